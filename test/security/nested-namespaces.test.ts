// Nested namespaces and mounts: the first step of CVE-2022-0185 (fsconfig heap overflow), CVE-2022-0492 (cgroup v1
// release_agent), CVE-2023-0386 (overlayfs) and most other user-namespace escapes is unshare(CLONE_NEWUSER) to be
// "root" of a fresh namespace; mount-table escapes remount, unmount or pivot away from what the runtime built.
// Every such call fails inside, and the mount table is the same afterwards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sandbox } from '../../src/index.js';
import { type Attacks, attempts, compileAttacks, NO_GCC, titled } from '../helpers/security.js';

describe.skipIf(NO_GCC !== null)(titled('nested namespaces and mounts', NO_GCC), () => {
  let fx: Attacks;
  beforeAll(() => {
    fx = compileAttacks(['namespaces']);
  });
  afterAll(() => fx?.cleanup());

  it.each([1000, 0])('as uid %i inside: unshare, clone and setns with every namespace, mount, umount, pivot_root, chroot, open_tree and fsopen all fail', async (uid) => {
    const result = await new Sandbox({ uid, gid: uid, mounts: fx.mounts }).run(fx.inside('namespaces'));
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 'ok', stderr: '' });
    const got = attempts(result.stdout);
    const { 'mounts-before': before, 'mounts-after': after, ...calls } = got;
    expect(Number(before)).toBeGreaterThan(5);
    expect(after).toBe(before);
    const succeeded = Object.entries(calls).filter(([, outcome]) => outcome.startsWith('ok'));
    expect(succeeded).toEqual([]);
    // The seccomp filter answers first (EPERM); PID 1's namespace files are out of reach anyway (not dumpable).
    expect(Object.keys(calls).length).toBe(25);
    const errnos = new Set(Object.values(calls));
    expect([...errnos].filter((errno) => errno !== 'EPERM' && errno !== 'EACCES')).toEqual([]);
    expect(calls['open-pid1-mntns']).toBe('EACCES');
  });
});
