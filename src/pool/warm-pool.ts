// The pool's warm sandboxes: kept at the asked number, handed out one job at a time, replaced when they die.
import { SandboxError } from '../errors.js';
import type { ResolvedPolicy } from '../policy/types.js';
import { WarmSandbox } from '../warm/warm-sandbox.js';

/** Builds that fail in a row before the pool stops warming and runs every job in a fresh sandbox. */
const MAX_FAILED_BUILDS = 3;

interface Waiter {
  resolve(warm: WarmSandbox | null): void;
  reject(error: unknown): void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

export class WarmPool {
  readonly stats = { warmJobs: 0, coldJobs: 0, built: 0, replaced: 0 };
  private readonly members = new Set<WarmSandbox>();
  private readonly taken = new Set<WarmSandbox>();
  private readonly waiters: Waiter[] = [];
  private failedBuilds = 0;
  private broken = false;
  private closed = false;

  constructor(private readonly policy: ResolvedPolicy, private readonly size: number, private readonly onError: (error: Error) => void) {
    for (let i = 0; i < size; i++) this.build();
  }

  private build(): void {
    let warm: WarmSandbox;
    try {
      warm = new WarmSandbox(this.policy, (w) => this.onChange(w));
    } catch (error) {
      this.buildFailed(error);
      return;
    }
    this.stats.built++;
    this.members.add(warm);
    warm.ready.then(() => {
      this.failedBuilds = 0;
    }, (error: unknown) => this.buildFailed(error));
  }

  private buildFailed(error: unknown): void {
    if (this.closed) return;
    this.failedBuilds++;
    if (this.failedBuilds < MAX_FAILED_BUILDS || this.broken) return;
    this.broken = true;
    const cause = error instanceof Error ? error.message : String(error);
    this.onError(new SandboxError(`warm sandboxes could not be built ${MAX_FAILED_BUILDS} times in a row (${cause}); the pool now runs every job in a fresh sandbox`, 'EWARM', { cause: error }));
    for (const waiter of this.waiters.splice(0)) this.settle(waiter, null);
  }

  private onChange(warm: WarmSandbox): void {
    if (warm.state === 'parked') {
      this.taken.delete(warm);
      const waiter = this.waiters.shift();
      if (waiter) this.give(waiter, warm);
    } else if (warm.state === 'closed' && this.members.delete(warm)) {
      this.taken.delete(warm);
      if (!this.closed && !this.broken) {
        this.stats.replaced++;
        // Not synchronously: the dead sandbox's own callbacks are still unwinding.
        setImmediate(() => {
          if (!this.closed && !this.broken) this.build();
        });
      }
    }
  }

  private give(waiter: Waiter, warm: WarmSandbox): void {
    this.taken.add(warm);
    this.stats.warmJobs++;
    this.settle(waiter, warm);
  }

  private settle(waiter: Waiter, warm: WarmSandbox | null): void {
    if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort);
    if (!warm) this.stats.coldJobs++;
    waiter.resolve(warm);
  }

  /** A parked sandbox for one job (wait for one if all are busy), or null when warming has given up. */
  acquire(signal?: AbortSignal): Promise<WarmSandbox | null> {
    if (this.closed) return Promise.reject(new SandboxError('the pool is closed', 'ECLOSED'));
    if (this.broken) {
      this.stats.coldJobs++;
      return Promise.resolve(null);
    }
    for (const warm of this.members) {
      if (warm.state === 'parked' && !this.taken.has(warm)) {
        this.taken.add(warm);
        this.stats.warmJobs++;
        return Promise.resolve(warm);
      }
    }
    return new Promise<WarmSandbox | null>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal };
      if (signal) {
        waiter.onAbort = () => {
          const index = this.waiters.indexOf(waiter);
          if (index >= 0) this.waiters.splice(index, 1);
          reject(signal.reason);
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.waiters.push(waiter);
    });
  }

  /** A sandbox that was acquired but got no job (the job was refused before it started). */
  release(warm: WarmSandbox): void {
    if (!this.taken.delete(warm) || warm.state !== 'parked') return;
    const waiter = this.waiters.shift();
    if (waiter) this.give(waiter, warm);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) waiter.reject(new SandboxError('the pool is closed', 'ECLOSED'));
    await Promise.all([...this.members].map((warm) => warm.close()));
    this.members.clear();
  }
}
