// Compile-time checks of a typed worker, both ends (checked by tsc through types.test.ts; nothing runs).
import { expectTypeOf } from 'vitest';
import { type ParentPort, type Sandbox, startWorker, type SandboxWorker } from '../../src/index.js';
import { getParentPort, parentPort } from '../../src/worker/inside.js';

interface Calc {
  toWorker: { kind: 'config'; precision: number };
  toHost: { kind: 'log'; line: string };
  requests: { add(p: { a: number; b: number }): number; ping(): 'pong'; slow(p: string): Promise<string[]> };
  hostRequests: { lookup(key: string): string | null };
}

declare const sandbox: Sandbox;

// ---- the host's end ----
const worker = startWorker<Calc>(sandbox, '/srv/plugins/calc/index.mjs');
expectTypeOf(worker).toEqualTypeOf<SandboxWorker<Calc>>();
expectTypeOf(worker.request('add', { a: 1, b: 2 })).toEqualTypeOf<Promise<number>>();
expectTypeOf(worker.request('ping')).toEqualTypeOf<Promise<'pong'>>();
expectTypeOf(worker.request('slow', 'x', { timeout: 100 })).toEqualTypeOf<Promise<string[]>>();
// @ts-expect-error: no such method
void worker.request('sub', { a: 1, b: 2 });
// @ts-expect-error: wrong params
void worker.request('add', { a: '1', b: 2 });
// @ts-expect-error: params are required
void worker.request('add');
worker.postMessage({ kind: 'config', precision: 2 });
// @ts-expect-error: that is the worker's message type, not the host's
worker.postMessage({ kind: 'log', line: 'x' });
worker.on('message', (message) => expectTypeOf(message).toEqualTypeOf<{ kind: 'log'; line: string }>());
worker.handle('lookup', (key) => {
  expectTypeOf(key).toEqualTypeOf<string>();
  return null;
});
// @ts-expect-error: the host must answer lookup with string | null
worker.handle('lookup', () => 42);
// @ts-expect-error: no such event
worker.on('mesage', () => {});

// ---- the plugin's end ----
const port = getParentPort<Calc>();
expectTypeOf(port).toEqualTypeOf<ParentPort<Calc>>();
port.handle('add', ({ a, b }) => a + b);
port.handle('slow', async (p) => [p]);
port.handle('ping', () => 'pong' as const);
// @ts-expect-error: add must return a number
port.handle('add', () => 'x');
// @ts-expect-error: no such method
port.handle('mul', () => 1);
port.postMessage({ kind: 'log', line: 'x' });
// @ts-expect-error: that is the host's message type
port.postMessage({ kind: 'config', precision: 1 });
port.on('message', (message) => expectTypeOf(message).toEqualTypeOf<{ kind: 'config'; precision: number }>());
expectTypeOf(port.request('lookup', 'k')).toEqualTypeOf<Promise<string | null>>();

// ---- untyped: anything goes, results are any ----
const loose = startWorker(sandbox, '/x.mjs');
expectTypeOf(loose.request('whatever', 1)).toEqualTypeOf<Promise<any>>();
loose.postMessage(new Map());
expectTypeOf(parentPort).toEqualTypeOf<ParentPort | null>();
