// The nsbox runtime the plugin sees inside the sandbox: a tiny package at /node_modules/nsbox, written as
// file entries of the root tmpfs (read-only once sealed). Node resolves `nsbox/worker` there from a plugin
// in any directory, and the host needs no built dist/ to start a worker.
import type { FileEntry } from '../policy/types.js';
import { createParentPort } from './port.js';
import { channelRuntime } from './protocol.js';

/** Where the runtime package lives inside the sandbox. */
export const INSIDE_PACKAGE = '/node_modules/nsbox';
/** The script node runs: it sets up parentPort, imports the plugin, then reports ready or the load error. */
export const BOOTSTRAP = `${INSIDE_PACKAGE}/worker-bootstrap.cjs`;

const workerCjs = () => `'use strict';
// nsbox worker runtime, written by the host (src/worker/runtime-files.ts). One parentPort per process.
const KEY = Symbol.for('nsbox.worker.parentPort');
if (!(KEY in globalThis)) {
  const runtime = (${channelRuntime.toString()})({ v8: require('node:v8') });
  const port = (${createParentPort.toString()})({ runtime, net: require('node:net'), EventEmitter: require('node:events').EventEmitter, env: process.env });
  Object.defineProperty(globalThis, KEY, { value: port });
}
exports.parentPort = globalThis[KEY];
exports.getParentPort = () => {
  if (!globalThis[KEY]) throw new Error('nsbox/worker: this process was not started as an nsbox worker');
  return globalThis[KEY];
};
`;

const workerMjs = `import runtime from './worker.cjs';
export const parentPort = runtime.parentPort;
export const getParentPort = runtime.getParentPort;
`;

const bootstrapCjs = `'use strict';
// argv: node worker-bootstrap.cjs <module inside> [args...]; the plugin sees argv [node, module, args...].
const { pathToFileURL } = require('node:url');
const { parentPort } = require('./worker.cjs');
const internals = parentPort && parentPort[Symbol.for('nsbox.worker.internals')];
if (!internals) {
  process.stderr.write('nsbox worker bootstrap: no channel descriptor (NSBOX_WORKER_FD)\\n');
  process.exit(70);
}
const main = process.argv[2];
process.argv.splice(1, 2, main);
import(pathToFileURL(main).href).then(
  () => {
    internals.start();
    return internals.loaded();
  },
  async (error) => {
    process.stderr.write(\`nsbox worker: cannot load \${main}: \${(error && error.stack) || error}\\n\`);
    await internals.loaded(error);
    process.exit(1);
  },
);
`;

const packageJson = JSON.stringify({
  name: 'nsbox',
  private: true,
  exports: { './worker': { import: './worker.mjs', require: './worker.cjs' }, './package.json': './package.json' },
}, null, 2);

let files: FileEntry[] | undefined;

/** The file entries of the runtime package, built once per host process. */
export function runtimeFiles(): FileEntry[] {
  files ??= [
    { type: 'file', target: `${INSIDE_PACKAGE}/package.json`, content: packageJson, mode: 0o444 },
    { type: 'file', target: `${INSIDE_PACKAGE}/worker.cjs`, content: workerCjs(), mode: 0o444 },
    { type: 'file', target: `${INSIDE_PACKAGE}/worker.mjs`, content: workerMjs, mode: 0o444 },
    { type: 'file', target: BOOTSTRAP, content: bootstrapCjs, mode: 0o444 },
  ];
  return files;
}
