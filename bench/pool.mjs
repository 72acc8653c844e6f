#!/usr/bin/env node
// Throughput of a SandboxPool (warm sandboxes) against cold nsbox runs, bubblewrap and plain
// child_process.spawn, all running /bin/true at concurrency 1, 2 and 4, from a ~50 MB and a ~2 GB host.
// Each host size is a child Node process of this script (`--host MB`), which grows its RSS and then
// measures every variant in turn, each for a fixed number of runs or a time budget, whichever ends first.
//
//   node bench/pool.mjs [--quick] [--sizes 50,2048] [--runs N] [--budget-ms N]
import { execFileSync, fork, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bwrapArgs, LIMITS } from './variants.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const MB = 1 << 20;

function option(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const quick = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
const CONCURRENCY = [1, 2, 4];

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];

/** `runs` runs of `once`, `concurrency` at a time, or fewer when `budgetMs` runs out. */
async function measure(once, concurrency, runs, budgetMs) {
  for (let i = 0; i < Math.min(20, runs); i++) await once(); // warm-up: pools fill, caches settle
  const latencies = [];
  let started = 0;
  const t0 = performance.now();
  const lane = async () => {
    while (started < runs && performance.now() - t0 < budgetMs) {
      started++;
      const t = performance.now();
      await once();
      latencies.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  return { runs: latencies.length, perSecond: latencies.length / seconds, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) };
}

function exits(command, args) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolvePromise() : reject(new Error(`${command} exited ${code}`))));
  });
}

async function host(targetMb, runs, budgetMs) {
  const { Sandbox, SandboxPool } = await import('../dist/index.js');
  const ok = (name) => (r) => {
    if (r.status !== 'ok') throw new Error(`${name}: ${r.status} ${r.error ?? ''}`);
  };
  let limits = LIMITS;
  try {
    ok('probe')(await new Sandbox({ limits }).run('/bin/true'));
  } catch {
    limits = null; // no cgroup for this user: the limited variants are left out
  }
  const held = [];
  while (process.memoryUsage().rss < targetMb * MB) held.push(Buffer.alloc(MB, 1));
  const results = [];
  const variants = [
    ['warm', (c) => new SandboxPool({}, { concurrency: c })],
    ...(limits ? [['warm+limits', (c) => new SandboxPool({ limits }, { concurrency: c })]] : []),
    ['nsbox cold', () => new SandboxPool({}, { warm: 0, concurrency: 64 })],
    ...(limits ? [['nsbox cold+limits', () => new SandboxPool({ limits }, { warm: 0, concurrency: 64 })]] : []),
  ];
  for (const c of CONCURRENCY) {
    for (const [name, make] of variants) {
      const pool = make(c);
      results.push({ variant: name, concurrency: c, ...(await measure(async () => ok(name)(await pool.run('/bin/true')), c, runs, budgetMs)) });
      await pool.close();
    }
    const bargs = bwrapArgs();
    results.push({ variant: 'bubblewrap', concurrency: c, ...(await measure(() => exits('bwrap', bargs), c, runs, budgetMs)) });
    results.push({ variant: 'child_process', concurrency: c, ...(await measure(() => exits('/bin/true', []), c, runs, budgetMs)) });
  }
  return { targetMb, rssMb: process.memoryUsage().rss / MB, limits, results, held: held.length };
}

function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r) => r.map((c, i) => (i < 2 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ')).join('\n');
}

async function main() {
  if (!existsSync(join(root, 'dist/index.js'))) throw new Error('dist/index.js is missing: run `npm run build` first');
  const sizes = (option('--sizes', quick ? '50' : '50,2048')).split(',').map(Number);
  const runs = Number(option('--runs', quick ? 200 : 2000));
  const budgetMs = Number(option('--budget-ms', quick ? 1500 : 4000));
  const load0 = loadavg();
  const hosts = [];
  for (const size of sizes) {
    const child = fork(fileURLToPath(import.meta.url), ['--host', String(size), '--runs', String(runs), '--budget-ms', String(budgetMs)], {
      execArgv: ['--max-old-space-size=4096'],
    });
    hosts.push(await new Promise((resolvePromise, reject) => {
      child.on('message', resolvePromise);
      child.on('exit', (code) => code !== 0 && reject(new Error(`host ${size} MB exited ${code}`)));
    }));
  }
  let bwrap = 'bwrap';
  try {
    bwrap = execFileSync('bwrap', ['--version'], { encoding: 'utf8' }).trim();
  } catch {}
  console.log(`nsbox pool benchmark: /bin/true, Node ${process.version}, Linux ${release()}, ${cpus().length} x ${cpus()[0]?.model}, ${bwrap}`);
  console.log(`each cell: up to ${runs} runs or ${budgetMs} ms after 20 warm-up runs; load average ${load0.map((v) => v.toFixed(2)).join(' ')} at start, ${loadavg().map((v) => v.toFixed(2)).join(' ')} at end`);
  const targets = [];
  for (const h of hosts) {
    console.log(`\nhost ~${h.targetMb} MB (rss ${h.rssMb.toFixed(0)} MB)${h.limits ? `, limits ${JSON.stringify(h.limits)}` : ', no cgroup here: limited variants left out'}`);
    const rows = [['variant', 'concurrency', 'runs/s', 'p50 ms', 'p99 ms', 'runs', 'per run vs child_process']];
    for (const r of h.results) {
      const cp = h.results.find((x) => x.variant === 'child_process' && x.concurrency === r.concurrency);
      rows.push([r.variant, r.concurrency, r.perSecond.toFixed(0), r.p50.toFixed(2), r.p99.toFixed(2), r.runs, `${(cp.perSecond / r.perSecond).toFixed(2)}x`]);
    }
    console.log(table(rows));
    const best = (v) => Math.max(...h.results.filter((r) => r.variant === v).map((r) => r.perSecond));
    const at1 = (v) => h.results.find((r) => r.variant === v && r.concurrency === 1);
    const accounted = h.limits ? 'warm+limits' : 'warm';
    targets.push({ name: `${accounted} >= 1000 runs/s at its best concurrency (~${h.targetMb} MB host)`, value: `${best(accounted).toFixed(0)} runs/s`, pass: best(accounted) >= 1000 });
    targets.push({ name: `warm per run <= 0.5x child_process per run, concurrency 1 (~${h.targetMb} MB host)`, value: `${at1('warm').p50.toFixed(2)} vs ${at1('child_process').p50.toFixed(2)} ms p50`, pass: at1('warm').p50 <= 0.5 * at1('child_process').p50 });
    targets.push({ name: `cold nsbox p50 <= bubblewrap p50, concurrency 1 (~${h.targetMb} MB host)`, value: `${at1('nsbox cold').p50.toFixed(2)} vs ${at1('bubblewrap').p50.toFixed(2)} ms`, pass: at1('nsbox cold').p50 <= at1('bubblewrap').p50 });
  }
  console.log('\ntargets:');
  for (const t of targets) console.log(`  ${t.pass ? 'PASS' : 'MISS'}  ${t.name}: ${t.value}`);
}

if (process.argv.includes('--host')) {
  const result = await host(Number(option('--host')), Number(option('--runs')), Number(option('--budget-ms')));
  process.send(result, () => process.exit(0));
} else {
  await main();
}
