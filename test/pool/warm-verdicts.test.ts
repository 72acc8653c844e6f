// A job in a warm sandbox gets the same verdicts, limits and accounting as a cold run of the same
// policy: each verdict is produced by a real program against the kernel, through the pool, and the
// sandbox serves the next job afterwards (a limit ends the job, not the sandbox).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Policy, SandboxPool } from '../../src/index.js';
import { compileFixtures, type Fixtures, IN_VM, MiB, needsCgroups, noCgroupReason, TIMING } from '../helpers/limits.js';
import { okOutput } from '../helpers/run.js';

let fixtures: Fixtures;
let pool: SandboxPool;

beforeAll(() => {
  fixtures = compileFixtures(['spin', 'touch', 'bomb', 'burn']);
  const policy: Policy = {
    mounts: [...fixtures.mounts],
    limits: noCgroupReason === null ? { memory: '64M', pids: 16, cpuTime: 2000, wallTime: 5000 } : { wallTime: 5000 },
    seccomp: { defaultAction: 'allow', rules: [{ syscall: 'uname', action: 'kill-process' }] },
  };
  pool = new SandboxPool(policy, { concurrency: 1, warm: 1 });
});

afterAll(async () => {
  await pool?.close();
  fixtures?.cleanup();
});

/** After every verdict the same sandbox runs the next job cleanly. */
async function stillServes(): Promise<void> {
  const replaced = pool.stats.replaced;
  expect(okOutput(await pool.run('/bin/echo', ['next'])).trim()).toBe('next');
  expect(pool.stats.replaced).toBe(replaced);
}

describe('verdicts of warm jobs (any host)', () => {
  it('ok and runtime-error with the exit code', async () => {
    expect((await pool.run('/bin/true')).status).toBe('ok');
    const failed = await pool.run('/bin/sh', ['-c', 'exit 3']);
    expect(failed).toMatchObject({ status: 'runtime-error', exitCode: 3 });
    await stillServes();
  });

  it('time-limit (wall), from a per-job limit over the pool\'s', TIMING, async () => {
    const result = await pool.run('/bin/sleep', ['5'], { limits: { wallTime: 300 } });
    expect(result).toMatchObject({ status: 'time-limit', limit: 'wall' });
    expect(result.wallTimeMs).toBeGreaterThanOrEqual(300);
    expect(result.wallTimeMs).toBeLessThan(300 + (IN_VM ? 300 : 100));
    await stillServes();
  });

  it('output-limit with exactly the limit received', async () => {
    const result = await pool.run('/bin/sh', ['-c', 'head -c 10000000 /dev/zero'], { limits: { output: '1M' } });
    expect(result).toMatchObject({ status: 'output-limit', limitExceeded: 'output' });
    expect(Buffer.byteLength(result.stdout)).toBeLessThanOrEqual(MiB);
    await stillServes();
  });

  it('syscall-violation naming the syscall', async () => {
    const result = await pool.run('/bin/uname');
    expect(result.status).toBe('syscall-violation');
    expect(result.violation?.syscall).toBe('uname');
    await stillServes();
  });

  it('signaled, when the host aborts the job (the sandbox stays)', async () => {
    const controller = new AbortController();
    const job = pool.run('/bin/sleep', ['30'], { signal: controller.signal });
    setTimeout(() => controller.abort(), 200);
    const result = await job;
    expect(result).toMatchObject({ status: 'signaled', signal: 'SIGKILL', killed: true });
    await stillServes();
  });
});

describe(needsCgroups('verdicts and accounting of warm jobs with cgroup limits'), () => {
  it.skipIf(noCgroupReason !== null)('time-limit (cpu) close to the limit', TIMING, async () => {
    const result = await pool.run(fixtures.inside('spin'), [], { limits: { cpuTime: 200 } });
    expect(result).toMatchObject({ status: 'time-limit', limit: 'cpu', cpuSource: 'cgroup' });
    expect(result.cpuTimeMs).toBeGreaterThanOrEqual(200);
    expect(result.cpuTimeMs).toBeLessThan(200 + (IN_VM ? 150 : 15)); // as test/limits/enforcement.test.ts allows
    await stillServes();
  });

  it.skipIf(noCgroupReason !== null)('memory-limit with an OOM kill; peak memory from the job\'s own cgroup', async () => {
    const big = await pool.run(fixtures.inside('touch'), ['100']);
    expect(big).toMatchObject({ status: 'memory-limit', oomKilled: true });
    const small = await pool.run(fixtures.inside('touch'), ['20']);
    expect(small.status).toBe('ok');
    // The job's own peak: about 20 MiB, not the 64 MiB the previous job reached.
    expect(small.memoryPeakBytes).toBeGreaterThan(20 * MiB);
    expect(small.memoryPeakBytes).toBeLessThan(40 * MiB);
    expect(small.memorySource).not.toBe('rusage');
  });

  it.skipIf(noCgroupReason !== null)('pids-limit for a fork bomb, nothing left for the next job', async () => {
    const result = await pool.run(fixtures.inside('bomb'), ['giveup']);
    expect(result).toMatchObject({ status: 'pids-limit', pidsLimitHit: true });
    expect(result.enforced.cgroup).toMatchObject({ pids: 16 });
    await stillServes();
  });

  it.skipIf(noCgroupReason !== null)('CPU time of a job is its own (the cgroup is new for every job)', async () => {
    const first = await pool.run(fixtures.inside('burn'), ['30000000']);
    const second = await pool.run(fixtures.inside('burn'), ['30000000']);
    expect(first.status).toBe('ok');
    expect(second.cpuTimeMs).toBeGreaterThan(first.cpuTimeMs * 0.6);
    expect(second.cpuTimeMs).toBeLessThan(first.cpuTimeMs * 1.6);
    // cgroup accounting agrees with the program's own rusage within 10% (30% in the emulated VM, whose guest
    // charges the running task for time the host took from the vCPU: see test/limits/accounting.test.ts).
    const own = Number(/rusage ([\d.]+)/.exec(second.stdout)?.[1]);
    expect(Math.abs(second.cpuTimeMs - own) / own).toBeLessThan(IN_VM ? 0.3 : 0.1);
  });
});
