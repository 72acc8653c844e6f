// 1000 sequential runs must not leak host descriptors, zombies, mounts, or much memory.
import { describe, expect, it } from 'vitest';
import { Sandbox } from '../src/index.js';
import { hostMountCount, openFds, rssBytes, zombieChildren } from './helpers/host.js';

const RUNS = 1000;
const MiB = 1024 * 1024;

describe('leaks', () => {
  it(`${RUNS} sequential runs of /bin/true leave the host as they found it`, async () => {
    const sandbox = new Sandbox({});
    // Warm up: koffi bindings, the init memfd (one descriptor, kept for the process), JIT, and the
    // allocator, whose RSS grows for the first few hundred runs before it levels off (seen with and
    // without seccomp and Landlock; the JS heap stays flat throughout).
    for (let i = 0; i < 300; i++) expect((await sandbox.run('/bin/true')).status).toBe('ok');
    await new Promise((resolve) => setImmediate(resolve));

    const before = { fds: openFds(), zombies: zombieChildren(), mounts: hostMountCount(), rss: rssBytes() };
    const start = Date.now();
    const statuses = new Map<string, number>();
    for (let i = 0; i < RUNS; i++) {
      const result = await sandbox.run('/bin/true');
      statuses.set(result.status, (statuses.get(result.status) ?? 0) + 1);
    }
    // Let closed sockets and pidfd watchers finish their last callbacks.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const after = { fds: openFds(), zombies: zombieChildren(), mounts: hostMountCount(), rss: rssBytes() };

    expect(Object.fromEntries(statuses)).toEqual({ ok: RUNS });
    expect(after.fds).toEqual(before.fds);
    expect(after.zombies).toEqual([]);
    expect(before.zombies).toEqual([]);
    expect(after.mounts).toBe(before.mounts);
    expect((after.rss - before.rss) / MiB).toBeLessThan(30);
    expect(Date.now() - start).toBeLessThan(20_000);
  }, 90_000);

  it('runs that fail during setup leak nothing either', async () => {
    const sandbox = new Sandbox({});
    for (let i = 0; i < 5; i++) await sandbox.run('nsbox-no-such-command').catch(() => {});
    const before = { fds: openFds(), mounts: hostMountCount() };
    for (let i = 0; i < 200; i++) {
      await expect(sandbox.run('nsbox-no-such-command')).rejects.toThrow('not found');
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(openFds()).toEqual(before.fds);
    expect(zombieChildren()).toEqual([]);
    expect(hostMountCount()).toBe(before.mounts);
  });

  it('killed runs leak nothing either', async () => {
    const sandbox = new Sandbox({});
    const before = { fds: openFds() };
    for (let i = 0; i < 50; i++) {
      const child = sandbox.spawn('/bin/sleep', ['30']);
      await new Promise<void>((resolve) => child.once('spawn', resolve));
      child.kill('SIGKILL');
      expect((await child.report).signal).toBe('SIGKILL');
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(openFds()).toEqual(before.fds);
    expect(zombieChildren()).toEqual([]);
  });
});
