// Typed errors of a worker. Every one is a SandboxError with a stable `code`, so callers can switch on it.
import { SandboxError } from '../errors.js';
import type { RunReport } from '../report.js';
import type { ErrorInfo } from './protocol.js';

/** Base class of the worker's own errors. */
export class WorkerError extends SandboxError {}

/** A request got no answer in time (code 'ETIMEDOUT'). The worker keeps running. */
export class WorkerTimeoutError extends WorkerError {
  constructor(readonly method: string, readonly timeoutMs: number) {
    super(`request "${method}" got no answer within ${timeoutMs} ms`, 'ETIMEDOUT');
  }
}

/** The other side's handler threw, or it has no handler for the method (code 'EREMOTE'; `remote.code` 'ENOHANDLER'). */
export class WorkerRemoteError extends WorkerError {
  constructor(readonly method: string, readonly remote: ErrorInfo) {
    super(`request "${method}" failed in the worker: ${remote.name}: ${remote.message}`, 'EREMOTE');
  }
}

/**
 * The worker broke the channel protocol: a frame over `maxMessageBytes` (code 'EMSGSIZE') or one that is not a
 * valid envelope (code 'EPROTO'). The channel is closed and the worker terminated.
 */
export class WorkerProtocolError extends WorkerError {
  constructor(code: 'EPROTO' | 'EMSGSIZE', readonly detail: string) {
    super(`the worker broke the channel protocol: ${detail}; it was terminated`, code);
  }
}

/** A message the host tried to send is over `maxMessageBytes` (code 'EMSGSIZE'); nothing was sent. */
export class WorkerMessageSizeError extends WorkerError {
  constructor(readonly bytes: number, readonly maxBytes: number) {
    super(`a message of ${bytes} bytes is over the channel limit of ${maxBytes} bytes (maxMessageBytes)`, 'EMSGSIZE');
  }
}

/** The plugin module threw while loading, or could not be found (code 'ELOAD'). */
export class WorkerLoadError extends WorkerError {
  constructor(readonly modulePath: string, readonly remote: ErrorInfo) {
    super(`the worker could not load ${modulePath}: ${remote.name}: ${remote.message}`, 'ELOAD');
  }
}

/** The worker is gone: it exited, crashed or was terminated (code 'EEXITED'). Carries its report once known. */
export class WorkerExitedError extends WorkerError {
  constructor(readonly report: RunReport | null, why = 'the worker has exited') {
    super(report ? `${why} (${describeEnd(report)})` : why, 'EEXITED');
  }
}

function describeEnd(report: RunReport): string {
  if (report.signal) return `status ${report.status}, ${report.signal}`;
  return `status ${report.status}, exit code ${report.exitCode}`;
}
