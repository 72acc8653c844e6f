// A misbehaving worker gives the host typed errors and events; the host itself never throws or blocks.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import {
  type RunReport,
  type SandboxError,
  WorkerExitedError,
  WorkerLoadError,
  WorkerMessageSizeError,
  WorkerProtocolError,
  WorkerTimeoutError,
} from '../../src/index.js';
import { rejection } from '../helpers/run.js';
import { next, useWorkers } from './helpers.js';

const start = useWorkers();

describe('a worker that breaks the channel', () => {
  for (const [method, code, detail] of [
    ['malformed', 'EPROTO', /not a serialized value/],
    ['not-envelope', 'EPROTO', /not a channel envelope/],
    ['oversize-header', 'EMSGSIZE', /announced 4294967280 bytes, over the limit of 65536/],
  ] as const) {
    it(`${method}: 'error' with ${code}, pending requests reject, the worker is terminated`, async () => {
      const { worker } = start('misbehave.mjs', {}, { maxMessageBytes: '64K' });
      await worker.ready;
      const error = next<SandboxError>(worker, 'error');
      const pending = rejection(worker.request(method));
      const err = await error;
      expect(err).toBeInstanceOf(WorkerProtocolError);
      expect(err).toMatchObject({ code, detail: expect.stringMatching(detail) });
      expect(await pending).toBe(err);
      const report = await worker.report;
      expect(report).toMatchObject({ status: 'signaled', signal: 'SIGKILL', killed: true });
      expect(() => worker.postMessage('late')).toThrow(WorkerProtocolError);
    });
  }

  it('a worker that closes its channel and keeps running is noticed at once and ended after the grace period', async () => {
    const { worker } = start('misbehave.mjs');
    await worker.ready;
    expect(await worker.request('close-channel')).toBe('closing');
    const started = performance.now();
    const report = await worker.report;
    // Noticed when the channel closed (a 1 s grace for the worker's own exit), not at a request timeout.
    expect(performance.now() - started).toBeLessThan(5000);
    expect(report).toMatchObject({ status: 'signaled', signal: 'SIGKILL', killed: true });
    expect(() => worker.postMessage('late')).toThrow(WorkerExitedError);
  });

  it('a real message over maxMessageBytes is refused as EMSGSIZE before the body is buffered', async () => {
    const { worker } = start('misbehave.mjs', {}, { maxMessageBytes: '1M' });
    await worker.ready;
    const error = next<SandboxError>(worker, 'error');
    void worker.request('oversize-message', 3 << 20).catch(() => {});
    expect(await error).toMatchObject({ code: 'EMSGSIZE' });
    await worker.report;
  });

  it('the plugin side refuses its own oversize postMessage with a RangeError (EMSGSIZE)', async () => {
    const { worker } = start('misbehave.mjs', {}, { maxMessageBytes: '64K' });
    expect(await worker.request('post-too-big', 100_000)).toBe('RangeError EMSGSIZE');
    expect(await worker.request('ping')).toBe('pong');
  });
});

describe('host-side limits and misuse', () => {
  it('postMessage over maxMessageBytes throws WorkerMessageSizeError and sends nothing', async () => {
    const { worker } = start('echo.mjs', {}, { maxMessageBytes: '64K' });
    expect(() => worker.postMessage(Buffer.alloc(70_000))).toThrow(WorkerMessageSizeError);
    const error = await rejection(worker.request('add', { a: 1, b: Buffer.alloc(70_000) } as never));
    expect(error).toBeInstanceOf(WorkerMessageSizeError);
    expect(await worker.request('ping')).toBe('pong');
  });

  it('a value that cannot be cloned throws a DataCloneError', () => {
    const { worker } = start('echo.mjs');
    expect(() => worker.postMessage({ fn: () => 1 })).toThrow(/could not be cloned/);
  });
});

describe('a worker that hangs, crashes or leaves', () => {
  it('a request that is never answered rejects with WorkerTimeoutError; the worker keeps serving', async () => {
    const { worker } = start('misbehave.mjs', {}, { requestTimeout: 300 });
    const t0 = performance.now();
    const error = await rejection(worker.request('hang'));
    expect(error).toBeInstanceOf(WorkerTimeoutError);
    expect(error).toMatchObject({ code: 'ETIMEDOUT', method: 'hang', timeoutMs: 300 });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(290);
    expect(await worker.request('ping', undefined, { timeout: 5000 })).toBe('pong');
  });

  it('a worker spinning in a handler times out the request without blocking the host', async () => {
    const { worker } = start('misbehave.mjs');
    await worker.ready;
    const error = await rejection(worker.request('spin', undefined, { timeout: 200 }));
    expect(error).toBeInstanceOf(WorkerTimeoutError);
    const report = await worker.terminate();
    expect(report.status).toBe('signaled');
  });

  it('a crash rejects pending requests with WorkerExitedError carrying the report', async () => {
    const { worker } = start('misbehave.mjs');
    await worker.ready;
    const exit = next<RunReport>(worker, 'exit');
    const [a, b] = await Promise.all([rejection(worker.request('crash')), rejection(worker.request('hang'))]);
    expect(a).toBeInstanceOf(WorkerExitedError);
    expect(b).toBe(a);
    expect((a as WorkerExitedError).report).toMatchObject({ status: 'runtime-error', exitCode: 1 });
    expect(await exit).toMatchObject({ status: 'runtime-error', exitCode: 1 });
    expect(() => worker.postMessage(1)).toThrow(WorkerExitedError);
    expect(await rejection(worker.request('ping'))).toBeInstanceOf(WorkerExitedError);
  });

  it('a module that throws while loading: WorkerLoadError from ready and error, then the exit', async () => {
    const { worker } = start('throws.mjs');
    const error = await rejection(worker.ready);
    expect(error).toBeInstanceOf(WorkerLoadError);
    expect(error).toMatchObject({ code: 'ELOAD', remote: { name: 'Error', message: 'plugin broke while loading' } });
    expect(await worker.report).toMatchObject({ status: 'runtime-error', exitCode: 1 });
  });

  it('terminate() rejects pending requests and resolves with the report', async () => {
    const { worker } = start('misbehave.mjs');
    await worker.ready;
    const pending = rejection(worker.request('hang'));
    const report = await worker.terminate();
    expect(report).toMatchObject({ status: 'signaled', killed: true });
    expect(await pending).toMatchObject({ code: 'EEXITED', report });
  });

  it('a flood of messages neither blocks the host nor loses ordering', async () => {
    const { worker } = start('misbehave.mjs');
    await worker.ready;
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    let count = 0;
    let inOrder = true;
    worker.on('message', (n) => {
      if (n !== count) inOrder = false;
      count++;
    });
    const COUNT = 100_000;
    expect(await worker.request('flood', COUNT, { timeout: 20_000 })).toBe(COUNT);
    lag.disable();
    expect(count).toBe(COUNT);
    expect(inOrder).toBe(true);
    // Each socket read is handled in one turn of the loop: the host stays responsive throughout.
    expect(lag.max / 1e6).toBeLessThan(250);
  });
});
