// Sandboxed workers: a Node module run in a sandbox, with a typed message channel (docs/workers.md).
export { startWorker, CHANNEL_FD } from './start.js';
export { SandboxWorker, type WorkerEvents } from './worker.js';
export type { WorkerOptions } from './options.js';
export {
  WorkerError,
  WorkerTimeoutError,
  WorkerRemoteError,
  WorkerProtocolError,
  WorkerMessageSizeError,
  WorkerLoadError,
  WorkerExitedError,
} from './errors.js';
export type { ErrorInfo } from './protocol.js';
export type {
  WorkerSpec,
  ParentPort,
  AnyRequests,
  ToWorker,
  ToHost,
  WorkerRequests,
  HostRequests,
  Method,
  ParamsOf,
  ResultOf,
  HandlerOf,
  RequestArgs,
  RequestOptions,
} from './types.js';
