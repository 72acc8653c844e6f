#!/usr/bin/env node
// `npm run soak`: pushes a mix of jobs (ok, runtime error, time limit, memory limit, output limit) through
// one SandboxPool and compares what the host holds before and after: descriptors, nsbox cgroups, mounts,
// zombies, sandbox processes and RSS. Not part of `npm test` (a full soak takes minutes).
//
//   node --expose-gc scripts/soak.mjs [--jobs 20000] [--concurrency N] [--warm N]
import fs from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

const { SandboxPool, Sandbox } = await import('../dist/index.js');

function option(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const JOBS = option('--jobs', 20_000);
const CONCURRENCY = option('--concurrency', Math.max(2, availableParallelism()));
const WARM = option('--warm', CONCURRENCY + 1);

/** Does this user get cgroups? Without them memory limits are left out of the mix (and said so). */
async function cgroupsUsable() {
  try {
    return (await new Sandbox({ limits: { memory: '32M' } }).run('/bin/true')).status === 'ok';
  } catch {
    return false;
  }
}

const cgroups = await cgroupsUsable();
const KINDS = [
  { name: 'ok', expect: 'ok', cmd: ['/bin/true'] },
  { name: 'runtime error', expect: 'runtime-error', cmd: ['/bin/sh', '-c', 'echo failing >&2; exit 3'] },
  { name: 'time limit (wall)', expect: 'time-limit', cmd: ['/bin/sleep', '5'], limits: { wallTime: 10 } },
  { name: 'time limit (cpu)', expect: cgroups ? 'time-limit' : 'ok', cmd: ['/bin/sh', '-c', 'while :; do :; done'], limits: cgroups ? { cpuTime: 10 } : { wallTime: 10 }, skipVerdict: !cgroups },
  // dd's one 48 MiB block buffer, filled from /dev/zero, goes over the 32 MiB limit at once.
  ...(cgroups ? [{ name: 'memory limit', expect: 'memory-limit', cmd: ['/bin/dd', 'if=/dev/zero', 'of=/dev/null', 'bs=48M', 'count=1'] }] : []),
  { name: 'output limit', expect: 'output-limit', cmd: ['/bin/sh', '-c', 'head -c 3000000 /dev/zero'], limits: { output: '1M' } },
];

function snapshot() {
  const fds = fs.readdirSync('/proc/self/fd').length;
  const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8').trim().split('\n').length;
  let zombies = 0;
  let inits = 0;
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) !== process.pid) continue;
      if (fields[0] === 'Z') zombies++;
      else if (stat.includes('(nsbox-init)')) inits++;
    } catch {
      // gone meanwhile
    }
  }
  const memory = process.memoryUsage();
  return { fds, nsboxCgroups: countCgroups(), mounts, zombies, sandboxInits: inits, rssMb: +(memory.rss / 2 ** 20).toFixed(1), heapMb: +(memory.heapUsed / 2 ** 20).toFixed(1) };
}

/** run-* directories under this process's nsbox-<pid>-* cgroup parents, in every hierarchy. */
function countCgroups() {
  let count = 0;
  const roots = ['/sys/fs/cgroup', ...fs.readdirSync('/sys/fs/cgroup').map((d) => join('/sys/fs/cgroup', d))];
  const walk = (dir, depth) => {
    let entries;
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      if (e.name.startsWith(`nsbox-${process.pid}-`)) {
        count += fs.readdirSync(join(dir, e.name)).filter((n) => n.startsWith('run-')).length;
      } else if (depth < 6) walk(join(dir, e.name), depth + 1);
    }
  };
  for (const r of roots) walk(r, 0);
  return count;
}

// What the host held before the pool existed: close() must bring it back here.
const initial = snapshot();
const policy = { limits: cgroups ? { memory: '32M', pids: 32, cpuTime: 2000, wallTime: 5000 } : { wallTime: 5000 } };
const pool = new SandboxPool(policy, { concurrency: CONCURRENCY, warm: WARM });
// Warm up first, so the baseline includes the pool's own sandboxes, bindings and caches.
await Promise.all(Array.from({ length: WARM * 4 }, () => pool.run('/bin/true')));
await new Promise((r) => setTimeout(r, 200));
globalThis.gc?.();
const before = snapshot();
const counts = Object.fromEntries(KINDS.map((k) => [k.name, { total: 0, wrong: 0 }]));
const wrongExamples = [];
const started = performance.now();
let done = 0;
let nextReport = 1000;
/** One job of the mix, its verdict checked. */
async function runJob(kind) {
  const result = await pool.run(kind.cmd[0], kind.cmd.slice(1), { limits: kind.limits, maxBuffer: 8 << 20 });
  const c = counts[kind.name];
  c.total++;
  if (!kind.skipVerdict && result.status !== kind.expect) {
    c.wrong++;
    if (wrongExamples.length < 5) wrongExamples.push(`${kind.name}: got ${result.status} ${result.error ?? ''}`);
  }
  if (++done === Math.ceil(JOBS / 10)) {
    globalThis.gc?.();
    tenth = process.memoryUsage().rss / 2 ** 20;
  }
  if (done >= nextReport) {
    nextReport += 1000;
    const m = process.memoryUsage();
    process.stdout.write(`  ${done} jobs, ${(done / ((performance.now() - started) / 1000)).toFixed(0)} jobs/s, rss ${(m.rss / 2 ** 20).toFixed(0)} MB, heap ${(m.heapUsed / 2 ** 20).toFixed(0)} MB\n`);
  }
}
// A job service keeps a few jobs queued, not all 20,000 at once: each lane submits its next job when one ends.
let submitted = 0;
/** RSS once a tenth of the jobs ran: buffers, pipes and malloc arenas have reached their working size by then. */
let tenth = 0;
const lane = async () => {
  while (submitted < JOBS) await runJob(KINDS[submitted++ % KINDS.length]);
};
await Promise.all(Array.from({ length: CONCURRENCY * 2 }, lane));
const seconds = (performance.now() - started) / 1000;
await new Promise((r) => setTimeout(r, 500));
globalThis.gc?.();
const after = snapshot();
const stats = pool.stats;
await pool.close();
await new Promise((r) => setTimeout(r, 300));
const closed = snapshot();

console.log(`\nsoak: ${JOBS} jobs in ${seconds.toFixed(1)} s (${(JOBS / seconds).toFixed(0)} jobs/s), concurrency ${CONCURRENCY}, warm ${WARM}, cgroups ${cgroups ? 'on' : 'off (memory and cpu limits left out)'}`);
console.log(`rss after the first tenth of the jobs: ${tenth.toFixed(1)} MB; at the end: ${after.rssMb} MB`);
console.log(`pool: ${stats.warmJobs} warm jobs, ${stats.coldJobs} cold, ${stats.built} sandboxes built, ${stats.replaced} replaced`);
for (const [name, c] of Object.entries(counts)) console.log(`  ${name.padEnd(18)} ${String(c.total).padStart(6)} jobs, ${c.wrong} with an unexpected verdict`);
for (const w of wrongExamples) console.log(`    e.g. ${w}`);
const keys = Object.keys(before);
const width = Math.max(...keys.map((k) => k.length));
console.log(`\n${'what'.padEnd(width)}  no pool  before   after  after close()`);
for (const k of keys) console.log(`${k.padEnd(width)}  ${String(initial[k]).padStart(7)}  ${String(before[k]).padStart(6)}  ${String(after[k]).padStart(6)}  ${String(closed[k]).padStart(6)}`);

// Growth beyond noise: any descriptor, cgroup, mount, zombie or extra init; RSS beyond 64 MB.
const leaks = [];
for (const k of ['fds', 'nsboxCgroups', 'mounts', 'zombies', 'sandboxInits']) if (after[k] > before[k]) leaks.push(`${k} ${before[k]} -> ${after[k]}`);
// The heap after a full GC must come back to where it was. RSS first grows to a working size (V8 and malloc keep
// pages they once used), so it is compared with its level after the first tenth of the jobs.
if (after.heapMb - before.heapMb > 8) leaks.push(`heap grew ${(after.heapMb - before.heapMb).toFixed(1)} MB`);
if (after.rssMb - tenth > 16) leaks.push(`rss grew ${(after.rssMb - tenth).toFixed(0)} MB after the first tenth of the jobs`);
for (const k of ['fds', 'nsboxCgroups', 'mounts', 'zombies', 'sandboxInits']) if (closed[k] > initial[k]) leaks.push(`after close() ${k} ${initial[k]} -> ${closed[k]}`);
const wrong = Object.values(counts).reduce((n, c) => n + c.wrong, 0);
if (leaks.length || wrong) {
  console.log(`\nFAIL: ${[...leaks, wrong ? `${wrong} unexpected verdicts` : ''].filter(Boolean).join('; ')}`);
  process.exit(1);
}
console.log('\nno growth: every count is back where it started');
