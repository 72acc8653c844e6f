// A host that stops reading: the payload writes 64 MiB while the host has paused stdout. The payload must block on
// the full pipe; the host must not buffer the output (readableLength and RSS stay flat). Resumed, every byte
// arrives and the run ends ok.
import { describe, expect, it } from 'vitest';
import { Sandbox } from '../../src/index.js';

const MiB = 1 << 20;

describe('a host that stops reading stdout', () => {
  it('the payload blocks, host memory stays bounded, and after resume all 64 MiB arrive', async () => {
    const child = new Sandbox({}).spawn('/bin/sh', ['-c', 'head -c 67108864 /dev/zero; echo done >&2']);
    let bytes = 0;
    child.stdout!.on('data', (chunk: Buffer) => (bytes += chunk.length));
    child.stdout!.pause();
    child.stderr!.resume(); // the report waits for both streams to end, so stderr must be drained
    let settled = false;
    void child.report.then(() => (settled = true));
    const rssBefore = process.memoryUsage.rss();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const paused = { buffered: child.stdout!.readableLength, received: bytes, settled, rssGrowthMiB: (process.memoryUsage.rss() - rssBefore) / MiB };
    console.log(`paused for 1 s: ${JSON.stringify(paused)}`);
    expect(paused.settled).toBe(false);
    expect(paused.received).toBe(0);
    expect(paused.buffered).toBeLessThanOrEqual(1 * MiB);
    expect(paused.rssGrowthMiB).toBeLessThan(16);
    child.stdout!.resume();
    const report = await child.report;
    expect({ status: report.status, bytes }).toEqual({ status: 'ok', bytes: 64 * MiB });
  });
});
