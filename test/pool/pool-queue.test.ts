// The pool's queue: concurrency, priorities, a bounded queue, aborts, events, and close() freeing
// everything it built (processes, cgroups, descriptors).
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PolicyError, PoolError, type PoolJob, SandboxPool } from '../../src/index.js';
import { openFds, waitFor, zombieChildren } from '../helpers/host.js';
import { leftoverRunCgroups, noCgroupReason } from '../helpers/limits.js';

/** Children of this process that are sandbox inits (warm sandboxes' PID 1s). */
function initChildren(): number[] {
  const tasks = fs.readdirSync(`/proc/${process.pid}/task`);
  const pids = tasks.flatMap((t) => fs.readFileSync(`/proc/${process.pid}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean));
  return pids.map(Number).filter((pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'nsbox-init';
    } catch {
      return false;
    }
  });
}

describe('SandboxPool', () => {
  it('runs at most `concurrency` jobs at once', async () => {
    const pool = new SandboxPool({}, { concurrency: 2 });
    let running = 0;
    let most = 0;
    pool.on('start', () => (most = Math.max(most, ++running)));
    pool.on('done', () => running--);
    const results = await Promise.all(Array.from({ length: 8 }, () => pool.run('/bin/sleep', ['0.05'])));
    expect(results.every((r) => r.status === 'ok')).toBe(true);
    expect(most).toBe(2);
    await pool.close();
  });

  it('starts waiting jobs by priority, then in order', async () => {
    const pool = new SandboxPool({}, { concurrency: 1 });
    const order: string[] = [];
    pool.on('start', (job: PoolJob) => order.push(job.args[0]));
    const first = pool.run('/bin/echo', ['first']);
    const rest = [pool.run('/bin/echo', ['low']), pool.run('/bin/echo', ['high'], { priority: 5 }), pool.run('/bin/echo', ['low2'])];
    await Promise.all([first, ...rest]);
    expect(order).toEqual(['first', 'high', 'low', 'low2']);
    await pool.close();
  });

  it('refuses a job with PoolError EQUEUEFULL once maxQueue jobs wait', async () => {
    const pool = new SandboxPool({}, { concurrency: 1, maxQueue: 2 });
    const accepted = [pool.run('/bin/sleep', ['0.2']), pool.run('/bin/true'), pool.run('/bin/true')];
    await expect(pool.run('/bin/true')).rejects.toMatchObject({ name: 'PoolError', code: 'EQUEUEFULL' });
    await Promise.all(accepted);
    await pool.close();
  });

  it('takes an aborted waiting job out of the queue (its promise rejects with the reason); the others run', async () => {
    const pool = new SandboxPool({}, { concurrency: 1 });
    const controller = new AbortController();
    const started: string[] = [];
    pool.on('start', (job: PoolJob) => started.push(job.args[0] ?? ''));
    const blocker = pool.run('/bin/sleep', ['0.2']);
    const aborted = pool.run('/bin/echo', ['aborted'], { signal: controller.signal });
    const after = pool.run('/bin/echo', ['after']);
    controller.abort(new Error('not needed'));
    await expect(aborted).rejects.toThrow('not needed');
    expect((await after).stdout).toBe('after\n');
    await blocker;
    expect(started).not.toContain('aborted');
    await pool.close();
  });

  it('emits queued, start, done and idle', async () => {
    const pool = new SandboxPool({}, { concurrency: 1 });
    const events: string[] = [];
    for (const name of ['queued', 'start', 'done', 'idle'] as const) pool.on(name, () => events.push(name));
    await pool.run('/bin/true');
    await waitFor(() => events.includes('idle'), 1000);
    expect(events).toEqual(['queued', 'start', 'done', 'idle']);
    await pool.close();
  });

  it('a job refused before it reaches its sandbox (per-job limits the pool was not prepared for) leaves the sandbox to the next job', async () => {
    const pool = new SandboxPool({}, { concurrency: 1, warm: 1 });
    // A cgroup limit in a pool whose sandboxes have no cgroup: PolicyError (or UnsupportedError where no cgroup exists).
    await expect(pool.run('/bin/true', [], { limits: { memory: '64M' } })).rejects.toThrow(/options\.limits|cgroup/);
    expect((await pool.run('/bin/echo', ['next'])).stdout).toBe('next\n');
    expect(pool.stats).toMatchObject({ built: 1, replaced: 0 });
    await pool.close();
  });

  it('validates its options, naming the field', () => {
    expect(() => new SandboxPool({}, { concurrency: 0 })).toThrow(PolicyError);
    expect(() => new SandboxPool({}, { concurrency: 0 })).toThrow(/options\.concurrency/);
    expect(() => new SandboxPool({}, { warm: -1 })).toThrow(/options\.warm/);
    expect(() => new SandboxPool({}, { maxQueue: 1.5 })).toThrow(/options\.maxQueue/);
  });

  it('close() lets queued jobs finish, then refuses new ones with PoolError ECLOSED', async () => {
    const pool = new SandboxPool({}, { concurrency: 1 });
    const jobs = [pool.run('/bin/echo', ['a']), pool.run('/bin/echo', ['b'])];
    const closed = pool.close();
    await expect(pool.run('/bin/true')).rejects.toBeInstanceOf(PoolError);
    expect((await Promise.all(jobs)).map((r) => r.stdout)).toEqual(['a\n', 'b\n']);
    await closed;
  });

  it('frees everything it built: no init process, zombie, cgroup or descriptor left (also through Symbol.asyncDispose)', async () => {
    const fdsBefore = openFds().length;
    const policy = noCgroupReason === null ? { limits: { memory: '64M', pids: 16 } } : {};
    const pool = new SandboxPool(policy, { concurrency: 2, warm: 3 });
    await Promise.all(Array.from({ length: 30 }, () => pool.run('/bin/true')));
    expect(initChildren().length).toBeGreaterThan(0);
    await pool[Symbol.asyncDispose]();
    expect(await waitFor(() => initChildren().length === 0, 2000)).toBe(true);
    expect(zombieChildren()).toEqual([]);
    if (noCgroupReason === null) expect(leftoverRunCgroups()).toEqual([]);
    // The reaper's pidfds close as it reaps: allow it a moment.
    expect(await waitFor(() => openFds().length <= fdsBefore, 2000)).toBe(true);
  });
});
