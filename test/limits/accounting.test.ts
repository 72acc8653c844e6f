// What a run's report says it used, against the kernel's own figures: CPU time from the run's
// cgroup vs /usr/bin/time of the same program on the host, wall time of a sleep, CPU time of a
// whole process tree (two forked children, two threads), and the memory peak of a run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Policy, type RunResult, Sandbox } from '../../src/index.js';
import { hasPython, PYTHON } from '../helpers/host.js';
import {
  calibrate, calibrateBurn, cgroups, compileFixtures, type Fixtures, hostCpuTime, IN_VM, kernelVersion, median, MiB, needsCgroups, noCgroupReason, TIMING,
} from '../helpers/limits.js';

/** Limits that give the run a cgroup without getting in the way (accounting needs one; any cgroup limit makes it). */
const ROOMY = { memory: '512M', pids: 64 } as const;
/**
 * Against /usr/bin/time of a separate run on the host: ±10%. In the emulated VM ±50% and 50 ms: a TCG
 * guest's clock keeps running while the host deschedules the vCPU thread, and the guest charges that time
 * to whatever task was running, so two runs of the same loop differ by whatever else the host was doing
 * (210-480 ms seen for one 300 ms loop while other work ran on the host).
 */
const HOST_TOLERANCE = IN_VM ? { ratio: 0.5, ms: 50 } : { ratio: 0.1, ms: 0 };
/**
 * Against the payload's own getrusage at its end, in the same run: ±10% (measured on the host: within
 * 1.6%). In the VM also 80 ms: what lies outside the overlap of the two figures (the payload's setup before
 * execve in rusage; its exit and PID 1's reaping in the cgroup) takes tens of ms there when the host is busy.
 */
const SELF_TOLERANCE = IN_VM ? { ratio: 0.1, ms: 80 } : { ratio: 0.1, ms: 0 };
/** How much CPU the loops take: 300 ms; 500 ms in the VM, where fixed costs are larger. */
const TARGET_MS = IN_VM ? 500 : 300;

/** Asserts `value` is within `tolerance` of `reference`. */
function expectNear(value: number, reference: number, tolerance: { ratio: number; ms: number }, what: string): void {
  expect(value, what).toBeGreaterThanOrEqual(reference * (1 - tolerance.ratio) - tolerance.ms);
  expect(value, what).toBeLessThanOrEqual(reference * (1 + tolerance.ratio) + tolerance.ms);
}

/**
 * Each comparison alternates host and sandbox runs and compares the lowest figure of each side. On a
 * loaded machine one loop's CPU time varies from run to run (a python3 loop: 290-360 ms, on the host and
 * in the sandbox alike, at load average 5), and interference (caches, a busy sibling thread, stolen time)
 * only ever adds CPU time: the lowest figure is the least disturbed one. Medians are logged too.
 */
const ROUNDS = IN_VM ? 3 : 5;

/** The "rusage MS" line the payloads print at their end. */
function selfReported(stdout: string): number {
  const match = /^rusage (\d+(?:\.\d+)?)$/m.exec(stdout);
  if (!match) throw new Error(`no rusage line in ${JSON.stringify(stdout)}`);
  return Number(match[1]);
}

describe.skipIf(noCgroupReason !== null)(needsCgroups('accounting from the run\'s cgroup'), () => {
  let fx: Fixtures;
  let burnN = 0;
  let pyN = 0;
  let sandbox: Sandbox;
  const pyCode = (n: number) =>
    // os._exit: no interpreter teardown after the measurement (it would be in the cgroup's figure only).
    `import os, resource\nfor i in range(${n}): pass\nr = resource.getrusage(resource.RUSAGE_SELF)\n` +
    `print('rusage %.3f' % ((r.ru_utime + r.ru_stime) * 1000), flush=True)\nos._exit(0)`;

  beforeAll(() => {
    fx = compileFixtures(['burn', 'touch']);
    burnN = calibrateBurn(fx, TARGET_MS);
    // python3: about TARGET_MS of `for i in range(N): pass`.
    if (hasPython) pyN = calibrate((n) => hostCpuTime([PYTHON, '-c', pyCode(n)]).totalMs, TARGET_MS);
    const policy: Policy = { mounts: fx.mounts, limits: ROOMY };
    sandbox = new Sandbox(policy);
  }, 120_000);
  afterAll(() => fx?.cleanup());

  interface Comparison {
    /** Lowest of the rounds: /usr/bin/time on the host, the report's cpuTimeMs; median of the payload's own rusage. */
    host: number;
    inside: number;
    self: number;
    hosts: number[];
    insides: number[];
    selfs: number[];
    reports: RunResult[];
  }

  /** Alternates host and sandbox runs of the same argv; returns the medians and every figure. */
  async function compare(hostArgv: string[], insideArgv: string[]): Promise<Comparison> {
    const hosts: number[] = [];
    const insides: number[] = [];
    const selfs: number[] = [];
    const reports: RunResult[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      hosts.push(hostCpuTime(hostArgv).totalMs);
      const r = await sandbox.run(insideArgv[0], insideArgv.slice(1));
      expect({ status: r.status, exitCode: r.exitCode, stderr: r.stderr }).toEqual({ status: 'ok', exitCode: 0, stderr: '' });
      expect(r.cpuSource).toBe('cgroup');
      insides.push(r.cpuTimeMs);
      selfs.push(selfReported(r.stdout));
      reports.push(r);
    }
    return { host: Math.min(...hosts), inside: Math.min(...insides), self: median(selfs), hosts, insides, selfs, reports };
  }

  const percent = (a: number, b: number) => `${a >= b ? '+' : ''}${(((a - b) / b) * 100).toFixed(1)}%`;

  /** Logs the figures, then checks the report against /usr/bin/time (separate runs) and against the payload's own rusage (each run). */
  function check(what: string, c: Comparison): void {
    console.log(`${what}: sandbox cpuTimeMs lowest ${c.inside.toFixed(1)}, median ${median(c.insides).toFixed(1)} [${c.insides.map((v) => v.toFixed(1)).join(' ')}]; ` +
      `host ${hostCpuTime(['true']).how} lowest ${c.host.toFixed(1)}, median ${median(c.hosts).toFixed(1)} [${c.hosts.map((v) => v.toFixed(0)).join(' ')}]: ` +
      `${percent(c.inside, c.host)} (medians ${percent(median(c.insides), median(c.hosts))}); ` +
      `the payload's own rusage [${c.selfs.map((v) => v.toFixed(1)).join(' ')}]: ` +
      `${c.reports.map((r, i) => percent(r.cpuTimeMs, c.selfs[i])).join(' ')}`);
    expectNear(c.inside, c.host, HOST_TOLERANCE, 'against /usr/bin/time');
    c.reports.forEach((r, i) => expectNear(r.cpuTimeMs, c.selfs[i], SELF_TOLERANCE, `run ${i} against its own rusage`));
  }

  it('a C busy loop: cpuTimeMs within ±10% of /usr/bin/time for the same binary on the host, from the cgroup', { ...TIMING, timeout: 120_000 }, async () => {
    const c = await compare([fx.host('burn'), String(burnN)], [fx.inside('burn'), String(burnN)]);
    check(`C loop (${burnN} iterations)`, c);
    expect(c.self).toBeGreaterThan(TARGET_MS / (IN_VM ? 10 : 2)); // the loop took about TARGET_MS (calibration in a busy VM is rough)
    for (const r of c.reports) {
      // user + system from the same cgroup: not reduced by the exec baseline, and sampled at scheduler ticks
      // (v1 cpuacct.usage_user/usage_sys, v2 cpu.stat user_usec/system_usec), unlike the exact total. So only
      // roughly the same: 412 ms against 310 ms was seen on the loaded host. In the VM, whose ticks land
      // wherever the host let the vCPU run, even the split is unreliable (68 ms against 154 ms in total, and
      // more system than user time for this user-space loop, were seen with the host busy): only that they add up.
      if (IN_VM) {
        expect(r.userTimeMs + r.systemTimeMs).toBeGreaterThan(0);
      } else {
        expect(r.userTimeMs + r.systemTimeMs).toBeGreaterThan(r.cpuTimeMs * 0.7);
        expect(r.userTimeMs + r.systemTimeMs).toBeLessThan(r.cpuTimeMs * 1.5 + 20);
        expect(r.userTimeMs).toBeGreaterThan(r.systemTimeMs);
      }
      expect(r.enforced.cgroup).not.toBe(false);
    }
  });

  it.skipIf(!hasPython)('a python3 loop: cpuTimeMs within ±10% of /usr/bin/time', { ...TIMING, timeout: 120_000 }, async () => {
    const c = await compare([PYTHON, '-c', pyCode(pyN)], [PYTHON, '-c', pyCode(pyN)]);
    check(`python3 loop (${pyN} iterations)`, c);
    expect(c.self).toBeGreaterThan(TARGET_MS / (IN_VM ? 10 : 2));
  });

  it('two forked busy children are counted as the whole tree: cpuTimeMs ≈ their sum', { ...TIMING, timeout: 120_000 }, async () => {
    const argv = (bin: string, k: number) => [bin, String(burnN), 'fork', String(k)];
    // /usr/bin/time and the payload's RUSAGE_CHILDREN count the children it waited for: the sum of both.
    const c = await compare(argv(fx.host('burn'), 2), argv(fx.inside('burn'), 2));
    check(`two forked children (${burnN} iterations each)`, c);
    // And twice what one child alone costs in the sandbox (same binary, same loop).
    const one: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const r = await sandbox.run(fx.inside('burn'), argv(fx.inside('burn'), 1).slice(1));
      expect(r.status).toBe('ok');
      one.push(r.cpuTimeMs);
    }
    const ratio = c.inside / Math.min(...one);
    console.log(`two forked children / one forked child: ${ratio.toFixed(3)}`);
    expectNear(ratio, 2, { ratio: HOST_TOLERANCE.ratio, ms: 0 }, 'two children / one child');
  });

  it('two busy threads are counted too: cpuTimeMs ≈ their sum', { ...TIMING, timeout: 120_000 }, async () => {
    const argv = (bin: string) => [bin, String(burnN), 'threads', '2'];
    const c = await compare(argv(fx.host('burn')), argv(fx.inside('burn')));
    check(`two threads (${burnN} iterations each)`, c);
  });

  it('wallTimeMs of `sleep 0.3` is between 295 and 400 ms', TIMING, async () => {
    // The VM's process start is up to 40x slower (362-420 ms seen there, 1052 ms with other work on the
    // host): its upper bound is 2500 ms.
    const upper = IN_VM ? 2500 : 400;
    const walls: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await sandbox.run('/bin/sleep', ['0.3']);
      expect(r.status).toBe('ok');
      expect(r.cpuSource).toBe('cgroup');
      walls.push(r.wallTimeMs);
      expect(r.wallTimeMs).toBeGreaterThanOrEqual(295);
      expect(r.wallTimeMs).toBeLessThanOrEqual(upper);
      // Sleeping costs next to no CPU. In the VM the exec and exit alone can cost hundreds of ms (the guest
      // charges the running task for time the host takes from the vCPU: 210-480 ms seen with the host busy).
      if (IN_VM) expect(r.cpuTimeMs).toBeLessThan(r.wallTimeMs);
      else expect(r.cpuTimeMs).toBeLessThan(50);
    }
    console.log(`sleep 0.3: wallTimeMs ${walls.map((w) => w.toFixed(1)).join(', ')}`);
  });

  it('memoryPeakBytes of touching 30 MiB under a 128 MiB limit is between 30 and 45 MiB', async () => {
    const [major, minor] = kernelVersion();
    const expectedSource = cgroups.version === 1 ? 'max_usage_in_bytes' : major > 5 || (major === 5 && minor >= 19) ? 'memory.peak' : 'rusage';
    const peaks: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await sandbox.run(fx.inside('touch'), ['30'], { limits: { memory: '128M' } });
      expect({ status: r.status, exitCode: r.exitCode, stdout: r.stdout.trim() }).toEqual({ status: 'ok', exitCode: 0, stdout: `touched ${30 * MiB}` });
      expect(r.oomKilled).toBe(false);
      expect(r.memorySource).toBe(expectedSource);
      expect(r.enforced.cgroup && r.enforced.cgroup.memoryBytes).toBe(128 * MiB);
      expect(r.memoryPeakBytes).toBeGreaterThanOrEqual(30 * MiB);
      expect(r.memoryPeakBytes).toBeLessThanOrEqual(45 * MiB);
      // The single process's resident peak is seen by rusage as well.
      expect(r.maxRssBytes).toBeGreaterThanOrEqual(30 * MiB);
      peaks.push(r.memoryPeakBytes);
    }
    console.log(`touch 30 MiB: memoryPeakBytes ${peaks.map((p) => (p / MiB).toFixed(2)).join(', ')} MiB (${expectedSource})`);
  });

  it('a run without any cgroup limit reports rusage figures and no cgroup', async () => {
    const r = await new Sandbox({ mounts: fx.mounts }).run(fx.inside('burn'), [String(Math.round(burnN / 10))]);
    expect(r.status).toBe('ok');
    expect(r.enforced.cgroup).toBe(false);
    expect(r.cpuSource).toBe('rusage');
    expect(r.memorySource).toBe('rusage');
    expect(r.cpuTimeMs).toBeGreaterThan(0);
  });
});
