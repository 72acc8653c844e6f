// startWorker: runs this process's own Node binary in the sandbox on a bootstrap that sets up parentPort and
// imports the plugin. The channel is one end of a socket pair, passed as descriptor 3 (NSBOX_WORKER_FD);
// the plugin's directory, Node's files and the runtime package are added read-only to the policy's mounts.
import { PolicyError } from '../errors.js';
import type { Sandbox, SpawnOptions } from '../sandbox.js';
import { closeFd, socketPair } from '../syscalls/fds.js';
import { nodeRuntime } from './node-files.js';
import { PLUGIN_DIR, resolveWorkerOptions, type WorkerOptions } from './options.js';
import { BOOTSTRAP, runtimeFiles } from './runtime-files.js';
import { SPAWN_EXTRAS, type SpawnExtras } from './spawn-extras.js';
import type { WorkerSpec } from './types.js';
import { SandboxWorker } from './worker.js';

/** The channel's number inside: the first one after stdio, like node's own 'ipc' convention. */
export const CHANNEL_FD = 3;

export function startWorker<S extends WorkerSpec = WorkerSpec>(sandbox: Sandbox, modulePath: string, options: WorkerOptions = {}): SandboxWorker<S> {
  const resolved = resolveWorkerOptions(modulePath, options);
  const policy = sandbox.policy;
  if (!policy.namespaces.mount) {
    throw new PolicyError('policy.namespaces.mount', false, 'a worker needs the mount namespace to show its module and the nsbox runtime', 'leave namespaces.mount on');
  }
  const node = nodeRuntime(policy.mounts);
  const mounts: SpawnExtras['mounts'] = [...node.mounts, ...runtimeFiles(), { type: 'bind', source: resolved.root, target: PLUGIN_DIR, readOnly: true }];
  const [hostEnd, workerEnd] = socketPair();
  let child;
  try {
    const spawnOptions: SpawnOptions & { [SPAWN_EXTRAS]: SpawnExtras } = {
      stdin: options.stdin,
      stdout: options.stdout,
      stderr: options.stderr,
      cwd: options.cwd ?? PLUGIN_DIR,
      limits: options.limits,
      signal: options.signal,
      statsInterval: options.statsInterval,
      env: {
        ...resolved.env,
        ...node.env,
        NSBOX_WORKER_FD: String(CHANNEL_FD),
        NSBOX_WORKER_MAX_BYTES: String(resolved.maxMessageBytes),
        NSBOX_WORKER_TIMEOUT_MS: String(resolved.requestTimeout),
      },
      [SPAWN_EXTRAS]: { mounts, fds: [{ fd: workerEnd, to: CHANNEL_FD }] },
    };
    child = sandbox.spawn(node.command, [...resolved.execArgv, BOOTSTRAP, resolved.insideModule, ...resolved.args], spawnOptions);
  } catch (error) {
    closeFd(hostEnd);
    throw error;
  } finally {
    // The init holds its own copy now (or never will): ours would keep the channel open after the worker died.
    closeFd(workerEnd);
  }
  return new SandboxWorker<S>(child, hostEnd, resolved);
}
