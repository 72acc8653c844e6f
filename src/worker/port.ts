// The plugin's end of the channel: parentPort, built on the shared Endpoint over the descriptor the host
// passed (its number in NSBOX_WORKER_FD). Like channelRuntime, `createParentPort` is self-contained: it is
// shipped into the sandbox as source text, and also bundled into the nsbox/worker entry.
import type { ChannelRuntime, ErrorInfo } from './protocol.js';
import type { ParentPort } from './types.js';

export interface PortDeps {
  runtime: ChannelRuntime;
  net: { Socket: new (options: { fd: number; readable: boolean; writable: boolean }) => import('node:net').Socket };
  EventEmitter: typeof import('node:events').EventEmitter;
  env: Record<string, string | undefined>;
}

/** Internal operations of the port, for the bootstrap only: begin reading, and report the load's outcome. */
export interface PortInternals {
  start(): void;
  loaded(error?: unknown): Promise<void>;
}

export const PORT_INTERNALS = Symbol.for('nsbox.worker.internals');

/** null when this process was not started as an nsbox worker (no channel descriptor in the environment). */
export function createParentPort(deps: PortDeps): ParentPort | null {
  const env = deps.env;
  const fdText = env.NSBOX_WORKER_FD;
  const fd = Number(fdText);
  if (!fdText || !Number.isSafeInteger(fd) || fd < 3 || String(fd) !== fdText) return null;
  const maxBytes = Number(env.NSBOX_WORKER_MAX_BYTES) || 16 * 1024 * 1024;
  const defaultTimeout = Number(env.NSBOX_WORKER_TIMEOUT_MS) || 30_000;
  // The plugin's own child processes have no use for them.
  delete env.NSBOX_WORKER_FD;
  delete env.NSBOX_WORKER_MAX_BYTES;
  delete env.NSBOX_WORKER_TIMEOUT_MS;

  const coded = <E extends Error>(error: E, code: string, extra: Record<string, unknown> = {}): E => Object.assign(error, { code }, extra);
  const socket = new deps.net.Socket({ fd, readable: true, writable: true });
  const events = new deps.EventEmitter();
  const queued: unknown[] = [];
  let started = false;
  let corked = false;

  const endpoint = new deps.runtime.Endpoint(
    {
      write(frame) {
        // Frames written in one tick leave in one write (fewer syscalls for bursts of small messages).
        if (!corked) {
          corked = true;
          socket.cork();
          process.nextTick(() => {
            corked = false;
            socket.uncork();
          });
        }
        return socket.write(frame);
      },
      message(value) {
        // Like a MessagePort: nothing is lost before the plugin adds its listener.
        if (events.listenerCount('message') > 0 && queued.length === 0) events.emit('message', value);
        else queued.push(value);
      },
      violation(code, detail) {
        endpoint.close(coded(new Error(`nsbox worker channel: ${detail}`), code));
        socket.destroy();
      },
      sizeError: (bytes, max) => coded(new RangeError(`a message of ${bytes} bytes is over the channel limit of ${max} bytes`), 'EMSGSIZE'),
      timeoutError: (method, ms) => coded(new Error(`request "${method}" got no answer within ${ms} ms`), 'ETIMEDOUT', { method }),
      remoteError: (method: string, info: ErrorInfo) => coded(new Error(`request "${method}" failed in the host: ${info.message}`), 'EREMOTE', { method, remote: info }),
    },
    maxBytes,
  );

  const flush = () => {
    while (queued.length && events.listenerCount('message') > 0) events.emit('message', queued.shift());
  };
  socket.on('error', () => {}); // the host went away: 'close' follows
  socket.on('close', () => {
    endpoint.close(coded(new Error('the nsbox worker channel is closed'), 'ECLOSED'));
    events.emit('close');
  });

  const port = {
    postMessage(value: unknown) {
      if (endpoint.closed) throw coded(new Error('the nsbox worker channel is closed'), 'ECLOSED');
      return endpoint.post(value);
    },
    on(event: string, listener: (...args: any[]) => void) {
      events.on(event, listener);
      if (event === 'message') queueMicrotask(flush);
      return port;
    },
    once(event: string, listener: (...args: any[]) => void) {
      events.once(event, listener);
      if (event === 'message') queueMicrotask(flush);
      return port;
    },
    off(event: string, listener: (...args: any[]) => void) {
      events.off(event, listener);
      return port;
    },
    handle(method: string, fn: (params: unknown) => unknown) {
      if (typeof method !== 'string' || typeof fn !== 'function') throw new TypeError('handle(method, fn): a method name and a function');
      endpoint.handle(method, fn);
      return port;
    },
    request(method: string, params?: unknown, options?: { timeout?: number }) {
      if (endpoint.closed) return Promise.reject(coded(new Error('the nsbox worker channel is closed'), 'ECLOSED'));
      return endpoint.request(method, params, options?.timeout ?? defaultTimeout);
    },
  };
  const internals: PortInternals = {
    start() {
      if (started) return;
      started = true;
      socket.on('data', (chunk: Buffer) => endpoint.receive(chunk));
    },
    loaded(error?: unknown) {
      if (error === undefined) {
        endpoint.control('ready');
        return Promise.resolve();
      }
      // After a failure the bootstrap exits: resolve once the report is flushed to the kernel.
      return new Promise((resolve) => {
        try {
          endpoint.control('load-failed', error);
        } catch {
          // an error too large for the channel: the host still sees the exit
        }
        socket.end(() => resolve());
      });
    },
  };
  Object.defineProperty(port, Symbol.for('nsbox.worker.internals'), { value: internals });
  return port as unknown as ParentPort;
}
