// The host's handle on a sandboxed worker: the channel (messages, requests both ways) over the host end of the
// socket pair, plus the SandboxChild it runs in. Whatever the worker does, the host only gets events, typed
// errors and rejected promises: nothing it sends can throw into the host or block its event loop.
import EventEmitter from 'eventemitter3';
import { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import v8 from 'node:v8';
import type { SandboxChild } from '../child.js';
import { PolicyError, type SandboxError } from '../errors.js';
import type { RunReport } from '../report.js';
import {
  WorkerExitedError,
  WorkerLoadError,
  WorkerMessageSizeError,
  WorkerProtocolError,
  WorkerRemoteError,
  WorkerTimeoutError,
} from './errors.js';
import { channelRuntime, type Endpoint } from './protocol.js';
import type { HandlerOf, HostRequests, Method, RequestArgs, RequestOptions, ResultOf, ToHost, ToWorker, WorkerRequests, WorkerSpec } from './types.js';

export interface WorkerEvents<S extends WorkerSpec> {
  /** A message the worker posted. */
  message: (value: ToHost<S>) => void;
  /** The plugin module has loaded; requests can be answered. */
  ready: () => void;
  /** The sandboxed node has been executed. */
  spawn: () => void;
  /** The channel's write buffer has drained after postMessage returned false. */
  drain: () => void;
  /** Setup failed, the module failed to load, or the worker broke the protocol (and was terminated). */
  error: (error: SandboxError) => void;
  /** The worker has ended; the same report `worker.report` resolves with. */
  exit: (report: RunReport) => void;
}

/** After the worker closes its end, it gets this long to exit on its own before it is killed. */
const CLOSE_GRACE_MS = 1000;
const MAX_METHOD = 256;

const runtime = channelRuntime({ v8 });

export interface WorkerSettings {
  modulePath: string;
  maxMessageBytes: number;
  requestTimeout: number;
}

export class SandboxWorker<S extends WorkerSpec = WorkerSpec> {
  /** The sandboxed process: its streams, its events (limit, oom, violation, stats...) and its report. */
  readonly child: SandboxChild;
  /** Resolves once the module has loaded; rejects with WorkerLoadError, a setup error, or WorkerExitedError. */
  readonly ready: Promise<void>;
  /** The worker's final report (rejects only when the sandbox could not be set up). */
  readonly report: Promise<RunReport>;
  readonly modulePath: string;

  private readonly events = new EventEmitter();
  private readonly socket: Socket;
  private readonly endpoint: Endpoint;
  private readonly requestTimeout: number;
  private settleReady!: (error?: Error) => void;
  private isReady = false;
  /** Why the channel can no longer be used, once it cannot. */
  private closedBy: Error | null = null;
  private graceTimer: NodeJS.Timeout | undefined;
  private ended = false;
  private corked = false;

  constructor(child: SandboxChild, hostFd: number, settings: WorkerSettings) {
    this.child = child;
    this.report = child.report;
    this.modulePath = settings.modulePath;
    this.requestTimeout = settings.requestTimeout;
    this.ready = new Promise<void>((resolve, reject) => {
      this.settleReady = (error) => (error ? reject(error) : resolve());
    });
    this.ready.catch(() => {}); // a caller who only listens to events must not get an unhandled rejection
    this.socket = new Socket({ fd: hostFd, readable: true, writable: true });
    this.endpoint = new runtime.Endpoint(
      {
        write: (frame) => this.write(frame),
        message: (value) => this.events.emit('message', value),
        violation: (code, detail) => this.breakChannel(new WorkerProtocolError(code, detail)),
        ready: () => {
          if (this.isReady || this.closedBy) return;
          this.isReady = true;
          this.settleReady();
          this.events.emit('ready');
        },
        loadFailed: (info) => this.breakChannel(new WorkerLoadError(this.modulePath, info)),
        sizeError: (bytes, max) => new WorkerMessageSizeError(bytes, max),
        timeoutError: (method, ms) => new WorkerTimeoutError(method, ms),
        remoteError: (method, info) => new WorkerRemoteError(method, info),
      },
      settings.maxMessageBytes,
    );
    this.socket.on('data', (chunk: Buffer) => this.endpoint.receive(chunk));
    this.socket.on('drain', () => this.events.emit('drain'));
    this.socket.on('error', () => {}); // EPIPE/ECONNRESET from a dead worker: 'close' follows, then the exit
    this.socket.on('close', () => this.onChannelClosed());
    child.on('spawn', () => this.events.emit('spawn'));
    child.on('exit', (report) => this.onExit(report));
    child.on('error', (error) => this.onSetupError(error));
  }

  get stdin(): Writable | null {
    return this.child.stdin;
  }
  get stdout(): Readable | null {
    return this.child.stdout;
  }
  get stderr(): Readable | null {
    return this.child.stderr;
  }
  /** Host pid of the sandbox's PID 1, once spawned. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  on<E extends keyof WorkerEvents<S>>(event: E, listener: WorkerEvents<S>[E]): this {
    this.events.on(event, listener);
    return this;
  }
  once<E extends keyof WorkerEvents<S>>(event: E, listener: WorkerEvents<S>[E]): this {
    this.events.once(event, listener);
    return this;
  }
  off<E extends keyof WorkerEvents<S>>(event: E, listener?: WorkerEvents<S>[E]): this {
    this.events.off(event, listener);
    return this;
  }

  /**
   * Sends a structured clone of `value`. Returns false when the channel's buffer is full (wait for 'drain').
   * Throws WorkerMessageSizeError over maxMessageBytes, a DataCloneError for values that cannot be cloned, and
   * WorkerExitedError (or the error that closed the channel) once the worker is gone.
   */
  postMessage(value: ToWorker<S>): boolean {
    if (this.closedBy) throw this.closedBy;
    return this.endpoint.post(value);
  }

  /** Asks the worker's `parentPort.handle(method, fn)`; rejects with WorkerTimeoutError, WorkerRemoteError or WorkerExitedError. */
  request<M extends Method<WorkerRequests<S>>>(method: M, ...args: RequestArgs<WorkerRequests<S>, M>): Promise<ResultOf<WorkerRequests<S>, M>> {
    const [params, options] = args as [unknown, RequestOptions | undefined];
    if (typeof method !== 'string' || method.length === 0 || method.length > MAX_METHOD) {
      return Promise.reject(new PolicyError('method', method, `must be a non-empty string of at most ${MAX_METHOD} characters`, "write e.g. 'add'"));
    }
    const timeout = options?.timeout ?? this.requestTimeout;
    if (typeof timeout !== 'number' || !(timeout > 0) || (Number.isFinite(timeout) && timeout > 2 ** 31 - 1)) {
      return Promise.reject(new PolicyError('options.timeout', timeout, 'must be a number of milliseconds above 0, or Infinity', 'write e.g. { timeout: 5000 }'));
    }
    if (this.closedBy) return Promise.reject(this.closedBy);
    return this.endpoint.request(method, params, timeout) as Promise<ResultOf<WorkerRequests<S>, M>>;
  }

  /** Answers the worker's `parentPort.request(method, ...)`. A thrown error reaches the worker as a rejection. */
  handle<M extends Method<HostRequests<S>>>(method: M, fn: HandlerOf<HostRequests<S>, M>): this {
    if (typeof method !== 'string' || typeof fn !== 'function') throw new TypeError('handle(method, fn): a method name and a function');
    this.endpoint.handle(method, fn as (params: unknown) => unknown);
    return this;
  }

  /** Ends the worker at once (SIGKILL to the sandbox) and resolves with its report. */
  terminate(): Promise<RunReport> {
    if (!this.closedBy) this.closedBy = new WorkerExitedError(null, 'the worker was terminated');
    this.socket.destroy();
    this.child.kill('SIGKILL');
    return this.report;
  }

  /** Frames written in one tick leave in one write: far fewer syscalls for bursts of small messages. */
  private write(frame: Buffer): boolean {
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    return this.socket.write(frame);
  }

  /** The worker broke the protocol, or failed to load: report it, close the channel and end the worker. */
  private breakChannel(error: WorkerProtocolError | WorkerLoadError): void {
    if (this.closedBy) return;
    this.closedBy = error;
    // Killed before its channel closes: a worker that saw the close first could exit by itself, and its report
    // would then read as a clean exit rather than the kill it is. A load failure exits by itself; give it the
    // grace period so its report is its own exit, not our kill.
    if (error instanceof WorkerLoadError) this.killAfterGrace();
    else this.child.kill('SIGKILL');
    this.endpoint.close(error);
    this.settleReady(error);
    this.socket.destroy();
    this.events.emit('error', error);
  }

  private onChannelClosed(): void {
    // The worker closed its end (or died): it cannot be talked to any more.
    if (!this.closedBy) this.closedBy = new WorkerExitedError(null, 'the worker closed its channel');
    this.killAfterGrace();
  }

  private killAfterGrace(): void {
    if (this.graceTimer || this.ended) return;
    this.graceTimer = setTimeout(() => this.child.kill('SIGKILL'), CLOSE_GRACE_MS);
  }

  private onExit(report: RunReport): void {
    this.ended = true;
    clearTimeout(this.graceTimer);
    const exited = new WorkerExitedError(report);
    // Keep a protocol or load error as the reason; otherwise the exit (with its report) is the reason.
    if (!this.closedBy || this.closedBy instanceof WorkerExitedError) this.closedBy = exited;
    this.endpoint.close(exited);
    this.settleReady(exited);
    this.socket.destroy();
    this.events.emit('exit', report);
  }

  private onSetupError(error: SandboxError): void {
    this.ended = true;
    clearTimeout(this.graceTimer);
    this.closedBy ??= error;
    this.endpoint.close(error);
    this.settleReady(error);
    this.socket.destroy();
    this.events.emit('error', error);
  }
}
