// A warm sandbox runs job after job; nothing of one job may reach the next: files in the writable
// tmpfs areas, processes (daemons), System V IPC objects, a changed /tmp. Each check runs the
// leaving job and then the next one in the same sandbox (warm: 1, concurrency: 1).
import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { PolicyError, Sandbox, SandboxPool } from '../../src/index.js';
import { WarmSandbox } from '../../src/warm/warm-sandbox.js';
import { waitFor } from '../helpers/host.js';
import { okOutput } from '../helpers/run.js';

const pool = new SandboxPool({ seccomp: 'none' }, { concurrency: 1, warm: 1 });
afterAll(() => pool.close());

async function sh(script: string) {
  return pool.run('/bin/sh', ['-c', script]);
}

describe('a warm sandbox between two jobs', () => {
  it('serves both jobs from the same sandbox', async () => {
    await sh('true');
    const before = pool.stats;
    await sh('true');
    expect(pool.stats.built).toBe(before.built);
    expect(pool.stats.replaced).toBe(0);
    expect(pool.stats.warmJobs).toBe(before.warmJobs + 1);
  });

  it('leaves no file of the first job in /tmp or /dev/shm', async () => {
    const first = await sh('mkdir -p /tmp/a/b/c && echo secret > /tmp/a/b/c/s && echo secret > /tmp/top && ln -s /etc /tmp/link && mkfifo /tmp/fifo && echo s > /dev/shm/s && ls -A /tmp | wc -l');
    expect(okOutput(first).trim()).toBe('4');
    const second = await sh('ls -A /tmp /dev/shm');
    expect(okOutput(second)).toBe('/dev/shm:\n\n/tmp:\n');
  });

  it('replaces a /tmp whose mode the first job changed', async () => {
    const first = await sh('chmod 700 /tmp && stat -c %a /tmp');
    expect(okOutput(first).trim()).toBe('700');
    const second = await sh('stat -c %a /tmp');
    expect(okOutput(second).trim()).toBe('1777');
  });

  it('resets timestamps the first job set on /tmp', async () => {
    await sh('touch -d "2001-02-03 04:05:06" /tmp');
    const second = await sh('stat -c %Y /tmp');
    expect(Number(okOutput(second).trim())).toBeGreaterThan(Date.now() / 1000 - 600);
  });

  it('leaves no process of the first job behind, daemons included', async () => {
    const first = await sh('(setsid sh -c "trap \\"\\" TERM HUP; sleep 1000" & ) ; sleep 1000 & echo started');
    expect(okOutput(first).trim()).toBe('started');
    // Every process the second job sees: PID 1 (the init), its shell, and ls's own.
    const second = await sh('for p in /proc/[0-9]*; do cat $p/comm; done');
    const names = okOutput(second).trim().split('\n').sort();
    expect(names).not.toContain('sleep');
    expect(names.filter((n) => n === 'nsbox-init')).toHaveLength(1);
  });

  it('gives each job its own System V IPC namespace', async () => {
    const first = await sh('ipcmk -M 4096 >/dev/null && ipcmk -Q >/dev/null && tail -n +2 /proc/sysvipc/shm | wc -l');
    expect(okOutput(first).trim()).toBe('1');
    const second = await sh('tail -n +2 /proc/sysvipc/shm | wc -l; tail -n +2 /proc/sysvipc/msg | wc -l');
    expect(okOutput(second).trim().split('\n')).toEqual(['0', '0']);
  });

  it('still serves jobs after a job that failed to start', async () => {
    await expect(pool.run('/no/such/program')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    expect(okOutput(await sh('echo fine')).trim()).toBe('fine');
  });
});

describe('signals to a warm job', () => {
  async function parked(warm: WarmSandbox): Promise<void> {
    expect(await waitFor(() => warm.state === 'parked', 5000)).toBe(true);
  }

  it("forward the host's SIGTERM to the job; SIGKILL ends the job, not the sandbox", async () => {
    const warm = new WarmSandbox(new Sandbox({}).policy, () => {});
    try {
      await warm.ready;
      const trapping = warm.spawn('/bin/sh', ['-c', 'trap "echo term; exit 7" TERM; echo ready; while :; do sleep 0.05; done']);
      let out = '';
      trapping.stdout!.on('data', (chunk: Buffer) => {
        out += chunk;
        if (out === 'ready\n') trapping.kill('SIGTERM');
      });
      expect(await trapping.report).toMatchObject({ status: 'runtime-error', exitCode: 7 });
      expect(out).toBe('ready\nterm\n');

      await parked(warm);
      const stubborn = warm.spawn('/bin/sh', ['-c', 'trap "" TERM; echo ready; sleep 30']);
      stubborn.stdout!.once('data', () => stubborn.kill('SIGKILL'));
      expect(await stubborn.report).toMatchObject({ status: 'signaled', signal: 'SIGKILL', killed: true });

      // A kill meant for an ended job (its output limit hit while its last output drains, say) must not reach the next.
      await parked(warm);
      const next = warm.spawn('/bin/sh', ['-c', 'sleep 0.3; echo survived']);
      const staleKill = (stubborn as unknown as { ctx: { warm: { signal(n: number): boolean } } }).ctx.warm.signal(9);
      expect(staleKill).toBe(false);
      let nextOut = '';
      next.stdout!.on('data', (chunk: Buffer) => (nextOut += chunk));
      expect(await next.report).toMatchObject({ status: 'ok' });
      expect(nextOut).toBe('survived\n');
    } finally {
      warm.closeNow();
    }
  });
});

describe('a warm sandbox that dies during a job', () => {
  it('reports the job as an internal error and is replaced', async () => {
    const job = sh('echo started; sleep 30');
    // The sandbox's PID 1 is a child of this process (CLONE_PARENT); kill every such init.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const children = fs.readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    const inits = children.filter((pid) => fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'nsbox-init');
    expect(inits.length).toBeGreaterThan(0);
    for (const pid of inits) process.kill(Number(pid), 'SIGKILL');
    const result = await job;
    expect(result.status).toBe('internal-error');
    expect(okOutput(await sh('echo again')).trim()).toBe('again');
    expect(pool.stats.replaced).toBeGreaterThanOrEqual(1);
  });
});

describe('policies a warm sandbox cannot serve', () => {
  it('refuses a policy without a PID namespace, naming the field', () => {
    expect(() => new SandboxPool({ namespaces: { pid: false } }, { warm: 1 })).toThrow(PolicyError);
    expect(() => new SandboxPool({ namespaces: { pid: false } }, { warm: 1 })).toThrow(/namespaces\.pid/);
  });

  it('refuses a mount beneath a writable tmpfs (it would be lost at the reset)', () => {
    const policy = { mounts: [{ type: 'tmpfs' as const, target: '/work' }, { type: 'dir' as const, target: '/work/sub' }] };
    expect(() => new SandboxPool({ profile: 'default', ...policy }, { warm: 1 })).toThrow(/mounts\[\d+\]\.target.*beneath the tmpfs on \/work.*\/work\/sub/);
  });

  it('runs such a policy cold with warm: 0', async () => {
    const cold = new SandboxPool({ namespaces: { pid: false } }, { warm: 0, concurrency: 1 });
    const result = await cold.run('/bin/true');
    expect(result.status).toBe('ok');
    expect(cold.stats.coldJobs).toBe(1);
    await cold.close();
  });
});
