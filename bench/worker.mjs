// One measuring host, forked by bench/spawn.mjs as
//   node --max-old-space-size=4096 --expose-gc bench/worker.mjs <targetRssMb>
// It loads nsbox (and tries one limited run, see makeVariants in variants.mjs), grows its RSS to about
// <targetRssMb> with touched 1 MiB Buffers (kept referenced), reports 'ready' with the variants it can run, then runs the timed blocks the parent asks for over IPC, one at a time.
// The parent interleaves the blocks of all hosts, so background noise lands on every host alike.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeVariants } from './variants.mjs';

const targetRssMb = Number(process.argv[2]);
const MB = 1 << 20;
const rssMb = () => process.memoryUsage().rss / MB;

// Load everything first so the top-up accounts for nsbox's own footprint.
const made = await makeVariants();
const variants = new Map(made.variants.map((v) => [v.name, v]));
const rssBeforeAllocMb = rssMb();
const held = [];
const allocatedMb = Math.max(0, Math.round(targetRssMb - rssBeforeAllocMb));
for (let i = 0; i < allocatedMb; i++) held.push(Buffer.alloc(MB, 1));
globalThis.gc?.();

/** warm-up runs back to back, then `runs` timed runs, each preceded by gapMs of idle time. */
async function block({ variant: name, runs, warmup, gapMs }) {
  const variant = variants.get(name);
  for (let i = 0; i < warmup; i++) await variant.run();
  const timesMs = [];
  const setupMs = [];
  const wallTimeMs = [];
  for (let i = 0; i < runs; i++) {
    if (gapMs) await sleep(gapMs);
    const t0 = performance.now();
    const report = await variant.run();
    timesMs.push(performance.now() - t0);
    if (report) {
      setupMs.push(report.setupMs);
      wallTimeMs.push(report.wallTimeMs);
    }
  }
  return { timesMs, setupMs, wallTimeMs };
}

process.on('message', async (msg) => {
  try {
    if (msg.type === 'block') process.send({ type: 'result', id: msg.id, ...(await block(msg)) });
    else if (msg.type === 'done') process.send({ type: 'bye', rssAtEndMb: rssMb(), heldBuffers: held.length }, () => process.exit(0));
  } catch (err) {
    process.send({ type: 'error', id: msg.id, message: String(err?.stack ?? err) }, () => process.exit(1));
  }
});
process.send({
  type: 'ready',
  targetRssMb,
  allocatedMb,
  rssBeforeAllocMb,
  rssAfterAllocMb: rssMb(),
  variants: [...variants.keys()],
  skipped: made.skipped,
  limitsCgroup: made.limitsCgroup,
});
