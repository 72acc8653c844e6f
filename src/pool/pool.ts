// SandboxPool: a queue of jobs (p-queue) run in warm sandboxes of one policy, for judge-like workloads.
import EventEmitter from 'eventemitter3';
import { availableParallelism } from 'node:os';
import PQueue from 'p-queue';
import type TypedEmitter from 'typed-emitter';
import { PoolError, SandboxError } from '../errors.js';
import { readInteger } from '../policy/checks.js';
import type { Policy } from '../policy/types.js';
import type { RunResult } from '../report.js';
import { runToEnd } from '../run-collect.js';
import { type RunOptions, Sandbox } from '../sandbox.js';
import { checkWarmable } from '../warm/requirements.js';
import { WarmPool } from './warm-pool.js';

export interface PoolOptions {
  /** Jobs running at once (default: the number of CPUs). */
  concurrency?: number;
  /**
   * Sandboxes kept built and waiting (default: concurrency + 1, so a finished sandbox can reset while
   * another takes the next job). 0: every job gets a fresh sandbox (Sandbox.run).
   */
  warm?: number;
  /** Jobs waiting beyond those running; a job past it is refused with PoolError 'EQUEUEFULL' (default: unbounded). */
  maxQueue?: number;
}

export interface PoolRunOptions extends RunOptions {
  /** Higher runs first among waiting jobs (default 0). */
  priority?: number;
}

export interface PoolJob {
  id: number;
  command: string;
  args: readonly string[];
  priority: number;
}

export type PoolEvents = {
  /** A job entered the queue. */
  queued: (job: PoolJob) => void;
  /** A job's sandbox is starting its command. */
  start: (job: PoolJob) => void;
  /** A job ended with a report (whatever its verdict). */
  done: (job: PoolJob, result: RunResult) => void;
  /** Nothing is running or waiting. */
  idle: () => void;
  /** A job could not be run (setup failure, abort), or a warm sandbox could not be built. */
  error: (error: Error, job?: PoolJob) => void;
};

export type PoolResult = RunResult;

export class SandboxPool extends (EventEmitter as unknown as new () => TypedEmitter<PoolEvents>) {
  readonly sandbox: Sandbox;
  readonly concurrency: number;
  readonly maxQueue: number;
  private readonly queue: PQueue;
  private readonly warm: WarmPool | null;
  private nextId = 1;
  private closing: Promise<void> | null = null;
  private coldJobs = 0;

  constructor(policy: Policy | Sandbox = {}, options: PoolOptions = {}) {
    super();
    this.sandbox = policy instanceof Sandbox ? policy : new Sandbox(policy);
    const { concurrency, warm: warmOption, maxQueue } = options;
    this.concurrency = concurrency === undefined ? availableParallelism() : readInteger('options.concurrency', concurrency, 1, Infinity, 'e.g. 4');
    const warm = warmOption === undefined ? this.concurrency + 1 : readInteger('options.warm', warmOption, 0, Infinity, 'e.g. 3 (0: a fresh sandbox per job)');
    this.maxQueue = maxQueue === undefined || maxQueue === Infinity ? Infinity : readInteger('options.maxQueue', maxQueue, 1, Infinity, 'e.g. 1000');
    if (warm > 0) checkWarmable(this.sandbox.policy, 'options.warm');
    this.warm = warm > 0 ? new WarmPool(this.sandbox.policy, warm, (error) => this.emit('error', error)) : null;
    this.queue = new PQueue({ concurrency: this.concurrency });
    this.queue.on('idle', () => this.emit('idle'));
  }

  /** Jobs waiting to start. */
  get waiting(): number {
    return this.queue.size;
  }

  /** Jobs running now. */
  get running(): number {
    return this.queue.pending;
  }

  /** Run a job; resolves with its report and output, rejects only when it could not be run at all. */
  run(command: string, args: readonly string[] = [], options: PoolRunOptions = {}): Promise<PoolResult> {
    if (this.closing) return Promise.reject(new PoolError('the pool is closed', 'ECLOSED'));
    if (this.queue.size >= this.maxQueue) {
      return Promise.reject(new PoolError(`the pool's queue is full (${this.maxQueue} waiting); retry later or raise maxQueue`, 'EQUEUEFULL'));
    }
    const { priority = 0, signal, ...runOptions } = options;
    const job: PoolJob = { id: this.nextId++, command, args: [...args], priority };
    // Aborting a waiting job takes it out of the queue (the promise rejects with the signal's reason);
    // aborting a running one kills it, and the promise resolves with its report (killed: true).
    let started = false;
    const dequeue = signal ? new AbortController() : undefined;
    const onAbort = () => {
      if (!started) dequeue!.abort(signal?.reason);
    };
    if (signal?.aborted) return Promise.reject(signal.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    this.emit('queued', job);
    const result = this.queue.add(async () => {
      started = true;
      this.emit('start', job);
      const outcome = await this.execute(command, args, { ...runOptions, signal });
      this.emit('done', job, outcome);
      return outcome;
    }, { priority, signal: dequeue?.signal }) as Promise<PoolResult>;
    result.finally(() => signal?.removeEventListener('abort', onAbort)).catch(() => {});
    result.catch((error: Error) => this.emit('error', error, job));
    return result;
  }

  private async execute(command: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
    const warm = this.warm ? await this.warm.acquire(options.signal) : null;
    if (!warm) {
      if (!this.warm) this.coldJobs++;
      return this.sandbox.run(command, args, options);
    }
    // runToEnd spawns synchronously: a job refused before it reached the sandbox (PolicyError, say) throws here.
    try {
      return runToEnd((spawnOptions) => warm.spawn(command, args, spawnOptions), options);
    } catch (error) {
      this.warm!.release(warm);
      throw error;
    }
  }

  /** Counters: jobs run warm and cold, and warm sandboxes built and replaced. */
  get stats(): { warmJobs: number; coldJobs: number; built: number; replaced: number } {
    return this.warm ? { ...this.warm.stats } : { warmJobs: 0, coldJobs: this.coldJobs, built: 0, replaced: 0 };
  }

  /** Stop taking jobs, let the queued and running ones finish, then take every sandbox down. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.queue.onIdle();
      await this.warm?.close();
    })();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

export { SandboxError };
