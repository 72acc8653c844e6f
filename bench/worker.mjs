// One measuring host. Started by bench/spawn.mjs as
//   node --max-old-space-size=4096 --expose-gc bench/worker.mjs <targetRssMb> '<json options>'
// It first grows its RSS to about <targetRssMb> with touched 1 MiB Buffers (kept referenced),
// then times every variant in both patterns and prints one JSON object on stdout.
// Progress goes to stderr.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeVariants } from './variants.mjs';
import { summarize, median } from './stats.mjs';

const targetRssMb = Number(process.argv[2]);
const opts = JSON.parse(process.argv[3] ?? '{}');
const { runs = 300, spacedRuns = 40, warmup = 20, gapMs = 100 } = opts;
const MB = 1 << 20;
const rssMb = () => process.memoryUsage().rss / MB;
const log = (msg) => process.stderr.write(`  [host ~${targetRssMb} MB] ${msg}\n`);

// Load everything first so the top-up accounts for nsbox's own footprint.
const variants = await makeVariants();
const rssBeforeMb = rssMb();

const held = [];
const allocateMb = Math.max(0, Math.round(targetRssMb - rssBeforeMb));
for (let i = 0; i < allocateMb; i++) held.push(Buffer.alloc(MB, 1));
globalThis.gc?.();
const rssAfterAllocMb = rssMb();
log(`rss ${rssBeforeMb.toFixed(0)} MB, allocated ${allocateMb} MB of Buffers -> rss ${rssAfterAllocMb.toFixed(0)} MB`);

const patterns = [
  { name: 'back-to-back', runs, gapMs: 0 },
  { name: `spaced`, runs: spacedRuns, gapMs },
];

const results = [];
for (const pattern of patterns) {
  for (const variant of variants) {
    for (let i = 0; i < warmup; i++) await variant.run();
    const times = [];
    const setupMs = [];
    const wallTimeMs = [];
    for (let i = 0; i < pattern.runs; i++) {
      if (pattern.gapMs) await sleep(pattern.gapMs);
      const t0 = performance.now();
      const report = await variant.run();
      times.push(performance.now() - t0);
      if (report) {
        setupMs.push(report.setupMs);
        wallTimeMs.push(report.wallTimeMs);
      }
    }
    const entry = { pattern: pattern.name, gapMs: pattern.gapMs, variant: variant.name, ...summarize(times), timesMs: times };
    if (setupMs.length) {
      entry.steps = {
        setupMedianMs: median(setupMs),
        wallTimeMedianMs: median(wallTimeMs),
        setupMs,
        wallTimeMs,
      };
    }
    results.push(entry);
    log(`${pattern.name.padEnd(12)} ${variant.name.padEnd(13)} median ${entry.medianMs.toFixed(2)} ms  p90 ${entry.p90Ms.toFixed(2)} ms`);
  }
}

const out = {
  targetRssMb,
  allocatedMb: allocateMb,
  rssBeforeAllocMb: rssBeforeMb,
  rssAfterAllocMb,
  rssAtEndMb: rssMb(),
  heldBuffers: held.length,
  results,
};
process.stdout.write(JSON.stringify(out) + '\n', () => process.exit(0));
