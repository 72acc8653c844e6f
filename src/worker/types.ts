// Compile-time shape of a worker's channel, shared by the host handle and the plugin's parentPort.
// No runtime code here: the plugin-side entry (nsbox/worker) imports it too.

/**
 * Describes one worker's channel. Every member is optional; what is left out is untyped.
 *
 * ```ts
 * interface Calc {
 *   toWorker: { kind: 'config'; precision: number };
 *   toHost: { kind: 'log'; line: string };
 *   requests: { add(p: { a: number; b: number }): number; ping(): 'pong' };   // answered by the worker
 *   hostRequests: { lookup(key: string): string | null };                        // answered by the host
 * }
 * ```
 */
export interface WorkerSpec {
  /** Messages the host posts to the worker. */
  toWorker?: unknown;
  /** Messages the worker posts to the host. */
  toHost?: unknown;
  /** Requests the worker answers: method name to function type. */
  requests?: object;
  /** Requests the host answers, made by the worker. */
  hostRequests?: object;
}

/** A request map with nothing known: any method, any params, any result. */
export type AnyRequests = Record<string, (params?: any) => any>;

export type ToWorker<S extends WorkerSpec> = S extends { toWorker: infer T } ? T : unknown;
export type ToHost<S extends WorkerSpec> = S extends { toHost: infer T } ? T : unknown;
export type WorkerRequests<S extends WorkerSpec> = S extends { requests: infer R } ? R : AnyRequests;
export type HostRequests<S extends WorkerSpec> = S extends { hostRequests: infer R } ? R : AnyRequests;

/** The method names of a request map. */
export type Method<R> = Extract<keyof R, string>;
export type ParamsOf<R, M extends keyof R> = R[M] extends (...args: infer A) => unknown ? (A extends [] ? undefined : A[0]) : never;
export type ResultOf<R, M extends keyof R> = R[M] extends (...args: never[]) => infer T ? Awaited<T> : never;
/** What a handler may return: the result, or a promise of it. */
export type HandlerOf<R, M extends keyof R> = (params: ParamsOf<R, M>) => ResultOf<R, M> | Promise<ResultOf<R, M>>;

export interface RequestOptions {
  /** Milliseconds before the request rejects with a timeout error; Infinity waits forever. Default: the worker's requestTimeout. */
  timeout?: number;
}

/** `request(method, params?, options?)`: params may be left out when the method takes none. */
export type RequestArgs<R, M extends keyof R> = undefined extends ParamsOf<R, M>
  ? [params?: ParamsOf<R, M>, options?: RequestOptions]
  : [params: ParamsOf<R, M>, options?: RequestOptions];

/** The plugin's end of the channel (`import { parentPort } from 'nsbox/worker'`). */
export interface ParentPort<S extends WorkerSpec = WorkerSpec> {
  /** Sends a structured clone of `value` to the host. Throws for values that cannot be cloned or are over the size limit. */
  postMessage(value: ToHost<S>): boolean;
  on(event: 'message', listener: (value: ToWorker<S>) => void): this;
  on(event: 'close', listener: () => void): this;
  once(event: 'message', listener: (value: ToWorker<S>) => void): this;
  once(event: 'close', listener: () => void): this;
  off(event: 'message', listener: (value: ToWorker<S>) => void): this;
  off(event: 'close', listener: () => void): this;
  /** Answers the host's `worker.request(method, ...)`. A thrown error reaches the host as a WorkerRemoteError. */
  handle<M extends Method<WorkerRequests<S>>>(method: M, fn: HandlerOf<WorkerRequests<S>, M>): this;
  /** Asks the host (which answers with `worker.handle(method, fn)`). */
  request<M extends Method<HostRequests<S>>>(method: M, ...args: RequestArgs<HostRequests<S>, M>): Promise<ResultOf<HostRequests<S>, M>>;
}
