// Starting the fixture plugins of test/worker/fixtures, and ending every worker a test file started.
import path from 'node:path';
import { afterEach } from 'vitest';
import { type Policy, Sandbox, type SandboxWorker, startWorker, type WorkerOptions, type WorkerSpec } from '../../src/index.js';

export const fixtures = path.join(import.meta.dirname, 'fixtures');

export interface Started<S extends WorkerSpec> {
  worker: SandboxWorker<S>;
  /** Everything the worker wrote to stderr so far, for failure messages. */
  stderr(): string;
}

const running = new Set<SandboxWorker<any>>();

/** Registers the cleanup hook of the calling test file. */
export function useWorkers(): <S extends WorkerSpec = WorkerSpec>(name: string, policy?: Policy, options?: WorkerOptions) => Started<S> {
  afterEach(async () => {
    await Promise.all([...running].map((w) => w.terminate().catch(() => {})));
    running.clear();
  });
  return <S extends WorkerSpec = WorkerSpec>(name: string, policy: Policy = {}, options: WorkerOptions = {}) => {
    const worker = startWorker<S>(new Sandbox(policy), path.join(fixtures, name), options);
    running.add(worker);
    let err = '';
    worker.stderr?.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    worker.stdout?.resume();
    return { worker, stderr: () => err };
  };
}

/** The next `event` of the worker, or a rejection after `ms`. */
export function next<T>(worker: SandboxWorker<any>, event: 'message' | 'error' | 'exit' | 'ready', ms = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${event}' event within ${ms} ms`)), ms);
    worker.once(event, ((value: T) => {
      clearTimeout(timer);
      resolve(value);
    }) as never);
  });
}
