// The channel of a well-behaved worker: messages as structured clones, requests both ways, remote errors.
import { describe, expect, it } from 'vitest';
import { WorkerRemoteError } from '../../src/index.js';
import { rejection } from '../helpers/run.js';
import { next, useWorkers } from './helpers.js';

const start = useWorkers();

describe('worker channel', () => {
  it('round-trips messages as structured clones, in order', async () => {
    const { worker, stderr } = start('echo.mjs');
    await worker.ready.catch((error) => expect.fail(`${error}\n${stderr()}`));
    const value = { n: 1.5, big: 2n ** 70n, when: new Date(0), map: new Map([['k', [1, 2]]]), set: new Set(['a']), bytes: new Uint8Array([1, 2, 3]), re: /x+/g, nested: { deep: [null, undefined, true] } };
    const replies: unknown[] = [];
    const got = new Promise<void>((resolve) => {
      worker.on('message', (reply) => {
        replies.push(reply);
        if (replies.length === 3) resolve();
      });
    });
    worker.postMessage(value);
    worker.postMessage('second');
    worker.postMessage(3);
    await got;
    expect(replies).toEqual([{ echo: value }, { echo: 'second' }, { echo: 3 }]);
  });

  it('answers requests, with params and without', async () => {
    const { worker } = start('echo.mjs');
    expect(await worker.request('add', { a: 2, b: 40 })).toBe(42);
    expect(await worker.request('ping')).toBe('pong');
    // Requests made before the module finished loading are answered too (reading starts after the load).
    const early = start('echo.mjs').worker;
    expect(await early.request('add', { a: 1, b: 1 })).toBe(2);
  });

  it('carries a 4 MiB value both ways', async () => {
    const { worker } = start('echo.mjs');
    const big = Buffer.alloc(4 << 20, 9);
    const reply = next<{ echo: Uint8Array }>(worker, 'message');
    worker.postMessage(big);
    const { echo } = await reply;
    expect(echo.length).toBe(big.length);
    expect(Buffer.from(echo).equals(big)).toBe(true);
  });

  it('turns a throwing handler into a WorkerRemoteError with the remote name, message and code', async () => {
    const { worker } = start('echo.mjs');
    const error = await rejection(worker.request('fail'));
    expect(error).toBeInstanceOf(WorkerRemoteError);
    expect(error).toMatchObject({ code: 'EREMOTE', method: 'fail', remote: { name: 'TypeError', message: 'bad input', code: 'EPLUGIN' } });
    // The worker is still there.
    expect(await worker.request('ping')).toBe('pong');
  });

  it('answers an unknown method with ENOHANDLER', async () => {
    const { worker } = start('echo.mjs');
    const error = await rejection(worker.request('no-such-method'));
    expect(error).toMatchObject({ code: 'EREMOTE', remote: { code: 'ENOHANDLER' } });
  });

  it('lets the worker ask the host, and the host answer (or fail)', async () => {
    const { worker } = start('echo.mjs');
    worker.handle('lookup', (key: string) => {
      if (key === 'missing') throw new RangeError('no such key');
      return `value of ${key}`;
    });
    expect(await worker.request('askHost', 'k1')).toBe('value of k1');
    const error = await rejection(worker.request('askHost', 'missing'));
    expect(error).toMatchObject({ code: 'EREMOTE', remote: { code: 'EREMOTE', message: expect.stringContaining('no such key') } });
  });

  it('loads CommonJS plugins, which share the one port', async () => {
    const { worker } = start('echo.cjs');
    expect(await worker.request('same')).toBe(true);
    const reply = next(worker, 'message');
    worker.postMessage('hi');
    expect(await reply).toEqual({ cjs: 'hi' });
  });

  it('runs the plugin as /plugin/<module> with the given args, in /plugin, with the policy env only', async () => {
    process.env.NSBOX_WORKER_TEST_SECRET = 'host-only';
    const { worker } = start('echo.mjs', { env: { FROM_POLICY: '1' } }, { args: ['--flag', 'x'], env: { FROM_OPTIONS: '2' } });
    expect(await worker.request('argv')).toEqual(['/plugin/echo.mjs', '--flag', 'x']);
    const env = (await worker.request('env')) as Record<string, string>;
    expect(env).toEqual({ PATH: expect.any(String), HOME: '/tmp', LANG: 'C.UTF-8', FROM_POLICY: '1', FROM_OPTIONS: '2' });
  });

  it('emits exit with the report when the plugin exits on its own', async () => {
    const { worker } = start('echo.mjs');
    const exit = next<{ status: string; exitCode: number }>(worker, 'exit');
    expect(await worker.request('exit', 0)).toBe('bye');
    expect(await exit).toMatchObject({ status: 'ok', exitCode: 0 });
  });
});
