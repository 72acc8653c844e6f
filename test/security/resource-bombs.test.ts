// Exhausting the host: the fork bomb, the memory bomb, the disk bomb (filling a tmpfs, which is RAM) and the
// output bomb, the oldest denials of service of shared machines and code judges. Fork and memory bombs need the
// cgroup limits of the judge profile (cgroup v1 here: root only; rootless they skip, as test/limits does); the
// disk and output bombs are contained by the default profile itself: its /tmp and /dev/shm are 64 MiB tmpfs
// mounts, the root is read-only, and run() keeps at most maxBuffer (64 MiB) of output.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sandbox } from '../../src/index.js';
import { hasPython, hostProcessesMatching, PYTHON } from '../helpers/host.js';
import { compileFixtures, type Fixtures, marker, MiB, needsCgroups, noCgroupReason, spawned } from '../helpers/limits.js';

describe.skipIf(noCgroupReason !== null)(needsCgroups('fork and memory bombs under the judge profile'), () => {
  let fx: Fixtures;
  beforeAll(() => {
    fx = compileFixtures(['bomb']);
  });
  afterAll(() => fx?.cleanup());

  it('a fork bomb that never stops: pids-limit or time-limit, the host can still fork meanwhile, nothing left on the host', async () => {
    const tag = marker('bomb');
    const child = new Sandbox({ profile: 'judge', mounts: fx.mounts }).spawn(fx.inside('bomb'), ['forever', tag], { limits: { wallTime: '2s' } });
    await spawned(child);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(spawnSync('/bin/true').status).toBe(0);
    const report = await child.report;
    expect(['pids-limit', 'time-limit']).toContain(report.status);
    expect(report.pidsLimitHit).toBe(true);
    console.log(`endless fork bomb: ${report.status}${report.limit ? ` (${report.limit})` : ''} after ${report.wallTimeMs.toFixed(0)} ms`);
    // No process of the run is left, the moment the report is out.
    expect(hostProcessesMatching(tag)).toEqual([]);
  });

  it.skipIf(!hasPython)('allocating without end under memory 64M: memory-limit, and the host never lent it more', async () => {
    const code = 'a = []\nwhile True: a.append(bytearray(1 << 20))';
    const report = await new Sandbox({ profile: 'judge' }).run(PYTHON, ['-c', code], { limits: { memory: '64M' } });
    expect(report).toMatchObject({ status: 'memory-limit', limitExceeded: 'memory', oomKilled: true });
    expect(report.memoryPeakBytes).toBeLessThanOrEqual(64 * MiB);
  });
});

describe('disk and output bombs under the default profile', () => {
  it('filling /tmp and /dev/shm stops at 64 MiB each with ENOSPC; the root is read-only; the host tmp dir is untouched', async () => {
    // A name of this run only: other test files create entries in the host's tmp dir meanwhile.
    const name = `fill-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
    const script = `for f in /tmp/${name} /dev/shm/${name} /${name}; do
      why=$(dd if=/dev/zero of=$f bs=1M 2>&1 | grep -o 'No space left on device\\|Read-only file system')
      echo "$f $(stat -c %s $f 2>/dev/null || echo none) $why"; done`;
    const result = await new Sandbox({}).run('/bin/sh', ['-c', script]);
    expect(result.status).toBe('ok');
    expect(result.stdout).toBe(`/tmp/${name} ${64 * MiB} No space left on device\n/dev/shm/${name} ${64 * MiB} No space left on device\n/${name} none Read-only file system\n`);
    expect(fs.existsSync(path.join(os.tmpdir(), name))).toBe(false);
  });

  it('printing without end: run() kills the run at maxBuffer (64 MiB by default) and keeps no more than that', async () => {
    const result = await new Sandbox({}).run('/usr/bin/yes', ['nsbox-output-bomb']);
    expect({ killed: result.killed, status: result.status, signal: result.signal }).toEqual({ killed: true, status: 'signaled', signal: 'SIGKILL' });
    expect(result.stdout.length + result.stderr.length).toBeLessThanOrEqual(64 * MiB);
    expect(result.stdout.length).toBeGreaterThan(32 * MiB);
  });
});
