#!/usr/bin/env node
// `npm run bench`: time sandbox.run('/bin/true'), with and without cgroup limits, against bubblewrap and
// a plain child_process.spawn, back to back and spaced, from a small (~50 MB RSS) and a large (~2 GB RSS) Node host.
// Each host size is a separate child Node process (bench/worker.mjs, driven through bench/host.mjs);
// this process only orchestrates: it interleaves the hosts' timed blocks in rounds so that background
// load hits every host and variant alike, then prints the table and writes the full JSON to
// bench/results/latest.json.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseOptions, USAGE } from './options.mjs';
import { Host } from './host.mjs';
import { analyze, formatReport, hostLabel } from './report.mjs';
import { median, summarize } from './stats.mjs';
import { LIMITS } from './variants.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');

function fail(message) {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(1);
}

let options;
try {
  options = parseOptions();
} catch (err) {
  fail(err.message);
}
if (options.help) {
  console.log(USAGE);
  process.exit(0);
}

// Preflight: the built library, its init, and bwrap.
if (!existsSync(join(root, 'dist/index.js'))) fail('dist/index.js is missing: run `npm run build` (or ./node_modules/.bin/tsup) first');
if (!existsSync(join(root, 'build/nsbox-init'))) fail('build/nsbox-init is missing: run `node scripts/build-native.mjs` first');
const bw = spawnSync('bwrap', ['--version'], { encoding: 'utf8' });
if (bw.error || bw.status !== 0) fail('bwrap not found: install bubblewrap (e.g. `apt-get install -y bubblewrap`)');

const PATTERNS = [
  { name: 'back-to-back', gapMs: 0, total: options.runs },
  { name: 'spaced', gapMs: options.gapMs, total: options.spacedRuns },
];
// 'nsbox+limits' runs only on hosts where a limited run worked at startup (see makeVariants in variants.mjs).
// 'nsbox-seccomp' is the default profile with seccomp: 'none', to price the filter.
// 'warm' and 'warm+limits' are jobs of a SandboxPool (concurrency 1): sandboxes built ahead, reused per job.
const VARIANTS = ['nsbox', 'nsbox+limits', 'nsbox-seccomp', 'warm', 'warm+limits', 'bubblewrap', 'child_process'];

/** Split `total` runs into `rounds` near-equal chunks. */
const chunk = (total, rounds, r) => Math.floor(total / rounds) + (r < total % rounds ? 1 : 0);

const loadAtStart = loadavg();
const started = performance.now();
process.stderr.write(
  `bench: ${options.quick ? 'quick, ' : ''}hosts ${options.sizes.map(hostLabel).join(' + ')}, ` +
    `${options.runs} back-to-back + ${options.spacedRuns} spaced runs per variant, interleaved in ${options.rounds} rounds\n`,
);

const live = [];
const hosts = [];
let skipped = [];

/** Variants some host left out, one line each: "<variant> skipped: <message>" (host named only when hosts disagree). */
function skippedVariants(hostList) {
  const out = [];
  for (const variant of VARIANTS) {
    const reasons = hostList.map((h) => h.info.skipped?.find((s) => s.variant === variant)?.message);
    const messages = [...new Set(reasons.filter((m) => m !== undefined))];
    if (messages.length === 0) continue;
    if (messages.length === 1 && reasons.every((m) => m !== undefined)) out.push({ variant, message: messages[0], line: `${variant} skipped: ${messages[0]}` });
    else {
      hostList.forEach((h, i) => {
        if (reasons[i] !== undefined) out.push({ variant, host: h.sizeMb, message: reasons[i], line: `${variant} skipped on the ${hostLabel(h.sizeMb)} host: ${reasons[i]}` });
      });
    }
  }
  return out;
}
try {
  for (const size of options.sizes) {
    const host = await Host.start(size);
    live.push(host);
    process.stderr.write(
      `  host ${hostLabel(size)}: rss ${host.info.rssBeforeAllocMb.toFixed(0)} MB + ${host.info.allocatedMb} MB of Buffers -> rss ${host.info.rssAfterAllocMb.toFixed(0)} MB\n`,
    );
  }
  skipped = skippedVariants(live);
  for (const s of skipped) process.stderr.write(`${s.line}\n`);
  // acc[host][pattern][variant] = { timesMs, setupMs, wallTimeMs, blockMediansMs }
  const acc = live.map(() => Object.fromEntries(PATTERNS.map((p) => [p.name, Object.fromEntries(VARIANTS.map((v) => [v, { timesMs: [], setupMs: [], wallTimeMs: [], blockMediansMs: [] }]))])));
  for (let r = 0; r < options.rounds; r++) {
    // alternate the host order and rotate the variant order each round, so neither gets a fixed slot
    const hostOrder = live.map((_, i) => i);
    if (r % 2) hostOrder.reverse();
    const variantOrder = VARIANTS.map((_, i) => VARIANTS[(i + r) % VARIANTS.length]);
    for (const pattern of PATTERNS) {
      const runs = chunk(pattern.total, options.rounds, r);
      if (runs === 0) continue;
      for (const h of hostOrder) {
        for (const variant of variantOrder) {
          if (!live[h].info.variants.includes(variant)) continue;
          const res = await live[h].runBlock({ variant, runs, warmup: options.warmup, gapMs: pattern.gapMs });
          const a = acc[h][pattern.name][variant];
          a.timesMs.push(...res.timesMs);
          a.setupMs.push(...res.setupMs);
          a.wallTimeMs.push(...res.wallTimeMs);
          a.blockMediansMs.push(median(res.timesMs));
        }
      }
    }
    process.stderr.write(`  round ${r + 1}/${options.rounds} done (${((performance.now() - started) / 1000).toFixed(0)} s)\n`);
  }
  for (const [h, host] of live.entries()) {
    const bye = await host.stop();
    const results = [];
    for (const pattern of PATTERNS) {
      for (const variant of VARIANTS) {
        const a = acc[h][pattern.name][variant];
        if (a.timesMs.length === 0) continue;
        const entry = { pattern: pattern.name, gapMs: pattern.gapMs, variant, ...summarize(a.timesMs), blockMediansMs: a.blockMediansMs, timesMs: a.timesMs };
        if (a.setupMs.length) {
          entry.steps = { setupMedianMs: median(a.setupMs), wallTimeMedianMs: median(a.wallTimeMs), setupMs: a.setupMs, wallTimeMs: a.wallTimeMs };
        }
        results.push(entry);
      }
    }
    const { type, ...info } = host.info;
    hosts.push({ ...info, rssAtEndMb: bye.rssAtEndMb, results });
  }
} catch (err) {
  for (const host of live) host.kill();
  fail(err.message);
}
const durationS = (performance.now() - started) / 1000;

const meta = {
  date: new Date().toISOString(),
  node: process.version,
  kernel: release(),
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? 'unknown',
  bwrapVersion: bw.stdout.trim(),
  euid: process.geteuid?.(),
  durationS,
  loadavgAtStart: loadAtStart,
  loadavgAtEnd: loadavg(),
  limits: LIMITS,
  // enforced.cgroup of each host's startup limited run (null where nsbox+limits was skipped)
  limitsCgroup: live.map((h) => h.info.limitsCgroup ?? null),
  skipped: skipped.map(({ line, ...s }) => s),
};
const analysis = analyze(hosts);
const text = formatReport({ meta, options, hosts, analysis });
console.log('');
console.log(text);
console.log(`\ntotal bench time ${durationS.toFixed(1)} s`);

const outFile = options.out ? resolve(options.out) : join(here, 'results', 'latest.json');
mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, JSON.stringify({ meta, options, analysis, hosts }, null, 2) + '\n');
console.log(`full results (per-run timings included): ${outFile}`);
