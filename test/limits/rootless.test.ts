// Limits where nsbox gets no cgroup (here: the rootless lane on a cgroup v1 host, which cannot
// delegate v1 to other users): a limit that needs a cgroup is refused with a typed error that says
// how to get one, unless limits.bestEffort asks for rlimit fallbacks, which are announced. The
// limits that need no cgroup (wallTime, output) work the same everywhere; they are tested in every lane.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Limits, type RunReport, Sandbox, SandboxError, UnsupportedError } from '../../src/index.js';
import { lane } from '../helpers/host.js';
import { rejection } from '../helpers/run.js';
import { cgroups, compileFixtures, type Fixtures, IN_VM, MiB, TIMING } from '../helpers/limits.js';

const unavailable = cgroups.unavailable;
const title = unavailable === null
  ? `without a cgroup [skipped: this host gives nsbox a cgroup v${cgroups.version} (lane ${lane()}), so nothing falls back]`
  : 'without a cgroup';
if (unavailable === null) console.warn(`rootless limit fallbacks: skipped, cgroups are available here (cgroup v${cgroups.version}, lane ${lane()})`);
else console.log(`no cgroup here (lane ${lane()}): ${unavailable}`);

/**
 * The downgrades about limits. The report's list (and the 'downgrade' events) also name other weakened
 * protections, e.g. Landlock features an older kernel lacks ('landlock: truncate not enforced (kernel ABI 2 < 3)').
 */
const aboutLimits = (downgrades: string[]) => downgrades.filter((d) => /^(memory|swap|pids|cpuTime|cpus|cpuset):/.test(d));

/** How late a wall-time limit may end a run: 20 ms on the host, 300 ms in the emulated VM (see enforcement.test.ts). */
const WALL_LATE_MS = IN_VM ? 300 : 20;

describe.skipIf(unavailable === null)(title, () => {
  let fx: Fixtures;
  let sandbox: Sandbox;

  beforeAll(() => {
    fx = compileFixtures(['spin', 'touch']);
    sandbox = new Sandbox({ mounts: fx.mounts });
  }, 120_000);
  afterAll(() => fx?.cleanup());

  it('each limit that needs a cgroup is refused with an UnsupportedError that says how to get delegation', async () => {
    const needing: Limits[] = [{ memory: '64M' }, { pids: 16 }, { cpuTime: '1s' }, { cpus: 0.5 }, { cpuset: '0' }];
    for (const limits of needing) {
      const error = await rejection(sandbox.run('/bin/true', [], { limits }));
      expect(error, JSON.stringify(limits)).toBeInstanceOf(UnsupportedError);
      expect(error).toBeInstanceOf(SandboxError);
      expect((error as SandboxError).code).toBe('EUNSUPPORTED');
      // Why (from the cgroup manager), and the ways out: delegation (systemd Delegate=yes, or NSBOX_CGROUP_PARENT
      // on v2; root on v1), the docs, or bestEffort.
      expect(error.message).toContain(unavailable);
      expect(error.message).toMatch(/Delegate=yes/);
      expect(error.message).toMatch(/delegat/i);
      expect(error.message).toMatch(/bestEffort/);
      expect(error.message).toMatch(/docs\/limits\.md|nsbox doctor/);
      // spawn() refuses at once, before anything starts.
      expect(() => sandbox.spawn('/bin/true', [], { limits })).toThrow(UnsupportedError);
    }
    // The same from the policy, not just per spawn.
    const error = await rejection(new Sandbox({ limits: { memory: '64M' } }).run('/bin/true'));
    expect(error).toBeInstanceOf(UnsupportedError);
  });

  it('with bestEffort the run succeeds, with downgrade events naming the rlimit fallbacks, listed in the report', async () => {
    const child = sandbox.spawn('/bin/sh', ['-c', 'echo fine'], { limits: { memory: '64M', pids: 16, cpuTime: '2s', bestEffort: true } });
    const downgrades: string[] = [];
    child.on('downgrade', (message) => downgrades.push(message));
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk));
    const report = await child.report;
    expect({ status: report.status, exitCode: report.exitCode, out }).toEqual({ status: 'ok', exitCode: 0, out: 'fine\n' });
    const limits = aboutLimits(downgrades);
    expect(limits).toHaveLength(3);
    expect(limits[0]).toMatch(/^memory: RLIMIT_AS 67108864\b/);
    expect(limits[1]).toMatch(/^pids: RLIMIT_NPROC 17\b/);
    expect(limits[2]).toMatch(/^cpuTime: RLIMIT_CPU 2s\b/);
    for (const message of limits) expect(message).toContain(unavailable);
    expect(report.enforced.downgrades).toEqual(downgrades);
    expect(report.enforced.cgroup).toBe(false);
    expect(report.enforced.rlimits).toMatchObject({
      as: { soft: String(64 * MiB), hard: String(64 * MiB) },
      nproc: { soft: '17', hard: '17' },
      cpu: { soft: '2', hard: '3' },
    });
    expect(report.cpuSource).toBe('rusage');
    expect(report.memorySource).toBe('rusage');
  });

  it('bestEffort cpus and cpuset: not enforced, and said so', async () => {
    const r = await sandbox.run('/bin/true', [], { limits: { cpus: 0.5, cpuset: '0', bestEffort: true } });
    expect(r.status).toBe('ok');
    expect(aboutLimits(r.enforced.downgrades)).toEqual([expect.stringMatching(/^cpus: not enforced/), expect.stringMatching(/^cpuset: not enforced/)]);
  });

  it('an infinite loop under cpuTime 1s with bestEffort still ends: time-limit, from RLIMIT_CPU', TIMING, async () => {
    const start = performance.now();
    const r: RunReport = await sandbox.run(fx.inside('spin'), [], { limits: { cpuTime: '1s', bestEffort: true } });
    const elapsed = performance.now() - start;
    console.log(`cpuTime 1s via RLIMIT_CPU: ${r.status} (${r.limit}) by ${r.signal}, cpuTimeMs ${r.cpuTimeMs.toFixed(1)}, wall ${r.wallTimeMs.toFixed(0)} ms`);
    expect(r).toMatchObject({ status: 'time-limit', limit: 'cpu', limitExceeded: 'cpu', cpuSource: 'rusage' });
    // SIGXCPU at the soft limit (1 s); SIGKILL at the hard one (2 s) if SIGXCPU were caught.
    expect(['SIGXCPU', 'SIGKILL']).toContain(r.signal);
    // rusage, whose user/system split is sampled at ticks: 991.6 and 941.7 ms were seen for a 1 s RLIMIT_CPU.
    expect(r.cpuTimeMs).toBeGreaterThanOrEqual(750); // 822.8 was seen on a loaded machine
    expect(r.cpuTimeMs).toBeLessThan(2100);
    expect(elapsed).toBeLessThan(IN_VM ? 30_000 : 5000);
  });

  it('bestEffort memory is a per-process RLIMIT_AS: an allocation past it fails', async () => {
    const r = await sandbox.run(fx.inside('touch'), ['100'], { limits: { memory: '64M', bestEffort: true } });
    expect(r).toMatchObject({ status: 'runtime-error', exitCode: 1, stdout: 'ENOMEM\n' });
    const fits = await sandbox.run(fx.inside('touch'), ['30'], { limits: { memory: '64M', bestEffort: true } });
    expect(fits).toMatchObject({ status: 'ok', stdout: `touched ${30 * MiB}\n` });
  });
});

// wallTime and output need no cgroup: PID 1's timer and the host's pipes. They work in every lane.
describe('wallTime and output, which need no cgroup', () => {
  it('`sleep 5` under wallTime 500ms: time-limit (wall), with no cgroup', TIMING, async () => {
    const late: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await new Sandbox({ limits: { wallTime: 500 } }).run('/bin/sleep', ['5']);
      expect(r).toMatchObject({ status: 'time-limit', limit: 'wall', limitExceeded: 'wall', cpuSource: 'rusage' });
      expect(r.enforced.cgroup).toBe(false);
      expect(aboutLimits(r.enforced.downgrades)).toEqual([]);
      late.push(r.wallTimeMs - 500);
      expect(r.wallTimeMs).toBeGreaterThanOrEqual(500);
      expect(r.wallTimeMs).toBeLessThanOrEqual(500 + WALL_LATE_MS);
    }
    console.log(`wallTime 500ms (lane ${lane()}): ${late.map((ms) => ms.toFixed(2)).join(', ')} ms late`);
  });

  it('10 MB of output under output 1M: output-limit, exactly 1 MiB received, with no cgroup', async () => {
    const child = new Sandbox({}).spawn('/bin/sh', ['-c', 'head -c 10000000 /dev/zero'], { limits: { output: '1M' } });
    let bytes = 0;
    child.stdout!.on('data', (chunk: Buffer) => (bytes += chunk.length));
    const limits: unknown[] = [];
    child.on('limit', (event) => limits.push(event));
    const r = await child.report;
    expect(r).toMatchObject({ status: 'output-limit', limitExceeded: 'output' });
    expect(r.enforced.cgroup).toBe(false);
    expect(limits).toEqual([{ kind: 'output', value: MiB }]);
    expect(bytes).toBe(MiB);
  });

  it('wallTime and output together with bestEffort limits: the fallbacks do not weaken them', TIMING, async () => {
    const r = await new Sandbox({ limits: { wallTime: 300, output: '1M', pids: 16, bestEffort: true } }).run('/bin/sleep', ['5']);
    expect(r).toMatchObject({ status: 'time-limit', limit: 'wall' });
    expect(r.wallTimeMs).toBeLessThanOrEqual(300 + WALL_LATE_MS);
    // Downgraded only where there is no cgroup.
    expect(aboutLimits(r.enforced.downgrades)).toEqual(unavailable === null ? [] : [expect.stringMatching(/^pids: RLIMIT_NPROC 17\b/)]);
  });
});
