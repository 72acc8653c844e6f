// `nsbox/worker`: the plugin's side of a sandboxed worker. No native code and no dependencies, so it also
// runs in the sandbox from a plugin's own node_modules; every copy shares one port per process.
import { EventEmitter } from 'node:events';
import net from 'node:net';
import v8 from 'node:v8';
import { createParentPort } from './port.js';
import { channelRuntime } from './protocol.js';
import type { ParentPort, WorkerSpec } from './types.js';

const KEY = Symbol.for('nsbox.worker.parentPort');

function sharedPort(): ParentPort | null {
  const store = globalThis as unknown as Record<symbol, ParentPort | null>;
  if (!(KEY in store)) {
    const port = createParentPort({ runtime: channelRuntime({ v8 }), net, EventEmitter, env: process.env });
    Object.defineProperty(store, KEY, { value: port });
  }
  return store[KEY];
}

/** The channel to the host, or null when this process is not an nsbox worker (as worker_threads' parentPort). */
export const parentPort: ParentPort | null = sharedPort();

/** The channel typed by your spec; throws when this process is not an nsbox worker. */
export function getParentPort<S extends WorkerSpec = WorkerSpec>(): ParentPort<S> {
  const port = sharedPort();
  if (!port) throw new Error('nsbox/worker: this process was not started as an nsbox worker');
  return port as unknown as ParentPort<S>;
}

export type * from './types.js';
