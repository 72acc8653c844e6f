#!/usr/bin/env node
// Message round-trip latency and throughput of an nsbox worker beside Node's own worker_threads (same process,
// no isolation) and child_process.fork IPC (serialization 'advanced', the same structured clone), in one run.
//
//   node bench/messaging.mjs [--quick]      --quick: a few hundred messages each, for a CI smoke run
//
// Latency: sequential round trips of a small value (median, p99). Throughput: messages sent back to back, then
// one sync message the other side answers once it has counted them all (small values, and 64 KiB buffers).
import { fork } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { percentile } from './stats.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
if (!existsSync(join(root, 'dist/index.js'))) {
  process.stderr.write('bench: dist/index.js is missing: run `npm run build` first\n');
  process.exit(1);
}
const { Sandbox, startWorker } = await import(join(root, 'dist/index.js'));

const quick = process.argv.includes('--quick');
const N = quick ? { rtt: 300, small: 3000, big: 100 } : { rtt: 3000, small: 100_000, big: 2000 };
const SMALL = { id: 7, name: 'small', tags: ['a', 'b'] };
const BIG = Buffer.alloc(64 * 1024, 1);

// The same echo/sink/sync logic on every side; `send` is the transport's reply.
const LOGIC = `
let count = 0;
function onMessage(m, send) {
  if (m[0] === 'echo') send(m[1]);
  else if (m[0] === 'sink') count++;
  else { send(['count', count]); count = 0; }
}`;

const dir = mkdtempSync(join(tmpdir(), 'nsbox-bench-messaging-'));
chmodSync(dir, 0o755); // the sandbox's user (65534 under a root host) reads the plugin
writeFileSync(join(dir, 'plugin.mjs'), `import { getParentPort } from 'nsbox/worker';\nconst port = getParentPort();\n${LOGIC}\nport.on('message', (m) => onMessage(m, (v) => port.postMessage(v)));\n`);
writeFileSync(join(dir, 'child.cjs'), `${LOGIC}\nprocess.on('message', (m) => onMessage(m, (v) => process.send(v)));\n`);

/** A transport: post(value), and the next reply as a promise. Replies arrive in order. */
function transport(post, subscribe) {
  const waiting = [];
  subscribe((value) => waiting.shift()?.(value));
  return {
    post,
    reply: () => new Promise((resolve) => waiting.push(resolve)),
  };
}

async function nsbox() {
  const t0 = performance.now();
  const worker = startWorker(new Sandbox(), join(dir, 'plugin.mjs'), { maxMessageBytes: '1M', stdout: 'ignore', stderr: 'inherit' });
  await worker.ready;
  const t = transport((v) => worker.postMessage(v), (fn) => worker.on('message', fn));
  return { t, startMs: performance.now() - t0, close: () => worker.terminate() };
}

async function threads() {
  const t0 = performance.now();
  const worker = new Worker(`const { parentPort } = require('node:worker_threads');\n${LOGIC}\nparentPort.on('message', (m) => onMessage(m, (v) => parentPort.postMessage(v)));`, { eval: true });
  const t = transport((v) => worker.postMessage(v), (fn) => worker.on('message', fn));
  t.post(['echo', 0]);
  await t.reply();
  return { t, startMs: performance.now() - t0, close: () => worker.terminate() };
}

async function forked() {
  const t0 = performance.now();
  const child = fork(join(dir, 'child.cjs'), { serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const t = transport((v) => child.send(v), (fn) => child.on('message', fn));
  t.post(['echo', 0]);
  await t.reply();
  return { t, startMs: performance.now() - t0, close: () => new Promise((r) => child.once('exit', r).kill('SIGKILL')) };
}

async function latency(t, n) {
  const samples = [];
  for (let i = 0; i < n; i++) {
    const start = process.hrtime.bigint();
    t.post(['echo', SMALL]);
    await t.reply();
    samples.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  return { median: percentile(samples, 50), p99: percentile(samples, 99) };
}

async function throughput(t, value, n) {
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    // Every transport buffers without bound; yield now and then so the writes reach the other side.
    if (i % 256 === 255) await new Promise((r) => setImmediate(r));
    t.post(['sink', value]);
  }
  t.post(['sync']);
  const [, counted] = await t.reply();
  if (counted !== n) throw new Error(`the other side counted ${counted} of ${n}`);
  return n / ((performance.now() - start) / 1000);
}

const results = [];
try {
  for (const [name, open] of [['nsbox worker', nsbox], ['worker_threads', threads], ['child_process.fork', forked]]) {
    const side = await open();
    await latency(side.t, Math.min(100, N.rtt)); // warm-up
    const rtt = await latency(side.t, N.rtt);
    const small = await throughput(side.t, SMALL, N.small);
    const big = await throughput(side.t, BIG, N.big);
    await side.close();
    results.push({ name, startMs: side.startMs, rtt, small, big });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const fmt = (n, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const base = results.find((r) => r.name === 'worker_threads');
const rows = results.map((r) => [
  r.name,
  `${fmt(r.startMs, 1)} ms`,
  `${fmt(r.rtt.median, 1)} µs`,
  `${fmt(r.rtt.p99, 1)} µs`,
  `${fmt(r.small)}/s`,
  `${fmt(r.big)}/s (${fmt((r.big * BIG.length) / 2 ** 20)} MiB/s)`,
  `${fmt(r.rtt.median / base.rtt.median, 1)}x / ${fmt(base.small / r.small, 1)}x / ${fmt(base.big / r.big, 1)}x`,
]);
const header = ['transport', 'start', 'rtt median', 'rtt p99', 'small msgs', '64 KiB msgs', 'vs worker_threads (rtt / small / 64K)'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
console.log(`messaging bench${quick ? ' (--quick)' : ''}: ${N.rtt} round trips, ${N.small} small and ${N.big} 64 KiB messages each; node ${process.version}`);
console.log(line(header));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const row of rows) console.log(line(row));
console.log('ratios: how many times slower than worker_threads (latency up, throughput down); start: spawn to first answer');
