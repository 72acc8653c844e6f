// The worker channel protocol: framing, envelopes, requests and responses, one implementation for both
// ends. `channelRuntime` must stay self-contained (no imports, no outer variables, nothing a compiler
// would turn into a helper call): the host also ships it into the sandbox as source text
// (Function#toString, see runtime-files.ts), so the plugin side runs the very same code.
//
// Wire format (docs/workers.md): frames of a u32 little-endian body length, then the body, which is
// v8.serialize of an array envelope whose first item is its kind.

/** What an error looks like on the wire: plain strings only. */
export interface ErrorInfo {
  name: string;
  message: string;
  stack?: string;
  code?: string;
}

export interface RuntimeDeps {
  v8: { serialize(value: unknown): Buffer; deserialize(buffer: Uint8Array): unknown };
}

/** What an endpoint needs from its owner: how to write, and where inbound traffic and errors go. */
export interface EndpointHooks {
  write(frame: Buffer): boolean;
  message(value: unknown): void;
  /** The peer broke the protocol ('EPROTO') or sent a frame over the size limit ('EMSGSIZE'). */
  violation(code: 'EPROTO' | 'EMSGSIZE', detail: string): void;
  /** Control envelopes: the module is loaded, or it failed to load. Only the host gets these. */
  ready?(): void;
  loadFailed?(info: ErrorInfo): void;
  /** Errors are made by the owner, so each side gets its own classes. */
  sizeError(bytes: number, max: number): Error;
  timeoutError(method: string, timeoutMs: number): Error;
  remoteError(method: string, info: ErrorInfo): Error;
}

/** One end of the channel. */
export interface Endpoint {
  readonly closed: boolean;
  post(value: unknown): boolean;
  control(kind: 'ready' | 'load-failed', error?: unknown): boolean;
  handle(method: string, fn: ((params: unknown) => unknown) | null): void;
  request(method: string, params: unknown, timeoutMs: number): Promise<unknown>;
  close(error: Error): void;
  receive(chunk: Buffer): void;
}

export interface ChannelRuntime {
  Endpoint: new (hooks: EndpointHooks, maxBytes: number) => Endpoint;
  encode(envelope: unknown[]): Buffer;
  errorInfo(error: unknown): ErrorInfo;
  HEADER: number;
}

interface Pending {
  method: string;
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

export function channelRuntime(deps: RuntimeDeps): ChannelRuntime {
  const HEADER = 4;
  const MESSAGE = 0;
  const REQUEST = 1;
  const RESULT = 2;
  const FAILURE = 3;
  const READY = 4;
  const LOAD_FAILED = 5;
  const MAX_METHOD = 256;

  function errorInfo(error: unknown): ErrorInfo {
    const e = (typeof error === 'object' && error !== null ? error : { message: String(error) }) as Record<string, unknown>;
    const info: ErrorInfo = { name: typeof e.name === 'string' ? e.name : 'Error', message: typeof e.message === 'string' ? e.message : String(error) };
    if (typeof e.stack === 'string') info.stack = e.stack;
    if (typeof e.code === 'string') info.code = e.code;
    return info;
  }

  function readErrorInfo(value: unknown): ErrorInfo | null {
    if (typeof value !== 'object' || value === null) return null;
    const v = value as Record<string, unknown>;
    if (typeof v.name !== 'string' || typeof v.message !== 'string') return null;
    if (v.stack !== undefined && typeof v.stack !== 'string') return null;
    if (v.code !== undefined && typeof v.code !== 'string') return null;
    return { name: v.name, message: v.message, stack: v.stack as string | undefined, code: v.code as string | undefined };
  }

  /** One frame: the length, then the serialized envelope. Throws (DataCloneError) for values that cannot be cloned. */
  function encode(envelope: unknown[]): Buffer {
    const body = deps.v8.serialize(envelope);
    const frame = Buffer.allocUnsafe(HEADER + body.length);
    frame.writeUInt32LE(body.length, 0);
    body.copy(frame, HEADER);
    return frame;
  }

  const isId = (id: unknown): id is number => typeof id === 'number' && Number.isSafeInteger(id) && id > 0;

  class Endpoint {
    closed = false;
    private readonly hooks: EndpointHooks;
    private readonly maxBytes: number;
    private readonly handlers = new Map<string, (params: unknown) => unknown>();
    private readonly pending = new Map<number, Pending>();
    private nextId = 1;
    // Inbound bytes not yet a whole frame: a list, joined once per frame (no quadratic copying).
    private chunks: Buffer[] = [];
    private buffered = 0;
    private bodyLength = -1;

    constructor(hooks: EndpointHooks, maxBytes: number) {
      this.hooks = hooks;
      this.maxBytes = maxBytes;
    }

    /** Frames `envelope`, refusing it when the body is over the limit; the peer would refuse it anyway. */
    private send(envelope: unknown[]): boolean {
      const frame = encode(envelope);
      if (frame.length - HEADER > this.maxBytes) throw this.hooks.sizeError(frame.length - HEADER, this.maxBytes);
      return this.hooks.write(frame);
    }

    post(value: unknown): boolean {
      return this.send([MESSAGE, value]);
    }

    control(kind: 'ready' | 'load-failed', error?: unknown): boolean {
      return this.send(kind === 'ready' ? [READY] : [LOAD_FAILED, errorInfo(error)]);
    }

    handle(method: string, fn: ((params: unknown) => unknown) | null): void {
      if (fn) this.handlers.set(method, fn);
      else this.handlers.delete(method);
    }

    request(method: string, params: unknown, timeoutMs: number): Promise<unknown> {
      const id = this.nextId++;
      return new Promise((resolve, reject) => {
        // Encoding errors (DataCloneError, size) reject rather than throw: a request is always a promise.
        try {
          this.send([REQUEST, id, method, params]);
        } catch (error) {
          reject(error);
          return;
        }
        const timer = Number.isFinite(timeoutMs)
          ? setTimeout(() => {
              this.pending.delete(id);
              reject(this.hooks.timeoutError(method, timeoutMs));
            }, timeoutMs)
          : undefined;
        this.pending.set(id, { method, resolve, reject, timer });
      });
    }

    /** Ends the endpoint: every pending request rejects with `error`, nothing more is read or answered. */
    close(error: Error): void {
      if (this.closed) return;
      this.closed = true;
      this.chunks = [];
      for (const p of this.pending.values()) {
        if (p.timer) clearTimeout(p.timer);
        p.reject(error);
      }
      this.pending.clear();
    }

    /** Feeds bytes from the socket; stops at the first violation (the owner then closes the channel). */
    receive(chunk: Buffer): void {
      if (this.closed) return;
      this.chunks.push(chunk);
      this.buffered += chunk.length;
      while (!this.closed) {
        if (this.bodyLength < 0) {
          if (this.buffered < HEADER) return;
          const head = this.take(HEADER);
          this.bodyLength = head.readUInt32LE(0);
          if (this.bodyLength > this.maxBytes) {
            this.violate('EMSGSIZE', `a frame announced ${this.bodyLength} bytes, over the limit of ${this.maxBytes}`);
            return;
          }
        }
        if (this.buffered < this.bodyLength) return;
        const body = this.take(this.bodyLength);
        this.bodyLength = -1;
        this.dispatch(body);
      }
    }

    private take(n: number): Buffer {
      const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.buffered);
      const out = all.subarray(0, n);
      const rest = all.subarray(n);
      this.chunks = rest.length ? [rest] : [];
      this.buffered = rest.length;
      return out;
    }

    private violate(code: 'EPROTO' | 'EMSGSIZE', detail: string): void {
      this.hooks.violation(code, detail);
    }

    private dispatch(body: Buffer): void {
      let envelope: unknown;
      try {
        envelope = deps.v8.deserialize(body);
      } catch (error) {
        this.violate('EPROTO', `a frame of ${body.length} bytes is not a serialized value (${errorInfo(error).message})`);
        return;
      }
      if (!Array.isArray(envelope) || typeof envelope[0] !== 'number') {
        this.violate('EPROTO', 'a frame is not a channel envelope');
        return;
      }
      const [kind, a, b, c] = envelope as unknown[];
      if (kind === MESSAGE && envelope.length === 2) {
        this.hooks.message(a);
      } else if (kind === REQUEST && envelope.length === 4 && isId(a) && typeof b === 'string' && b.length > 0 && b.length <= MAX_METHOD) {
        this.answer(a, b, c);
      } else if ((kind === RESULT || kind === FAILURE) && envelope.length === 3 && isId(a)) {
        const info = kind === FAILURE ? readErrorInfo(b) : null;
        if (kind === FAILURE && !info) {
          this.violate('EPROTO', 'a failure response carries no error');
          return;
        }
        this.settle(a, kind === RESULT, kind === RESULT ? b : info);
      } else if (kind === READY && envelope.length === 1) {
        this.hooks.ready?.();
      } else if (kind === LOAD_FAILED && envelope.length === 2 && readErrorInfo(a)) {
        this.hooks.loadFailed?.(readErrorInfo(a)!);
      } else {
        this.violate('EPROTO', `an envelope of kind ${String(kind)} is malformed`);
      }
    }

    private settle(id: number, ok: boolean, value: unknown): void {
      const p = this.pending.get(id);
      if (!p) return; // answered after its timeout: nobody waits for it any more
      this.pending.delete(id);
      if (p.timer) clearTimeout(p.timer);
      if (ok) p.resolve(value);
      else p.reject(this.hooks.remoteError(p.method, value as ErrorInfo));
    }

    private answer(id: number, method: string, params: unknown): void {
      const fn = this.handlers.get(method);
      const respond = (envelope: unknown[]) => {
        if (this.closed) return;
        try {
          this.send(envelope);
        } catch (error) {
          // The result could not be cloned or is too large: the caller gets that error instead.
          try {
            this.send([FAILURE, id, errorInfo(error)]);
          } catch {
            // not even the error fits: the caller's timeout answers
          }
        }
      };
      if (!fn) {
        respond([FAILURE, id, { name: 'Error', message: `no handler for "${method}"`, code: 'ENOHANDLER' }]);
        return;
      }
      Promise.resolve()
        .then(() => fn(params))
        .then((result) => respond([RESULT, id, result]), (error) => respond([FAILURE, id, errorInfo(error)]));
    }
  }

  return { Endpoint, encode, errorInfo, HEADER };
}
