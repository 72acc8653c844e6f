// Custom seccomp policies in real sandboxes: each action (errno, kill-process, trap, log) and an argument condition,
// seen from inside by test/fixtures/syscalls/attacks.c; and the PolicyErrors a mistyped policy gets before anything
// is spawned.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PolicyError, type SeccompPolicy, Sandbox } from '../../src/index.js';
import { nativeArch, syscallNumber } from '../../src/seccomp/index.js';
import { compileSyscallFixtures, hasGcc, IN_VM, parseChecks, SIGSYS, type SyscallFixtures, watch } from '../helpers/syscalls.js';

const TCGETS = 0x5401;

const POLICY: SeccompPolicy = {
  defaultAction: 'allow',
  rules: [
    { syscall: 'getppid', action: { errno: 'EPERM' } },
    { syscall: 'uname', action: 'kill-process' },
    { syscall: 'ioctl', action: { errno: 'ENOTTY' }, args: [{ index: 1, op: 'eq', value: TCGETS }] },
  ],
};

describe.skipIf(!hasGcc)('custom seccomp policies' + (hasGcc ? '' : ' [skipped: gcc is not installed]'), () => {
  let fx: SyscallFixtures;
  beforeAll(() => {
    fx = compileSyscallFixtures(['attacks']);
  });
  afterAll(() => fx?.cleanup());

  const spawn = (seccomp: SeccompPolicy, checks: string[]) => watch(new Sandbox({ mounts: fx.mounts, seccomp }).spawn(fx.inside('attacks'), checks));

  it('errno rules: getppid gets EPERM; ioctl(TCGETS) on a pty gets ENOTTY while TIOCGWINSZ, TIOCSTI and FIONREAD pass', async () => {
    const w = await spawn(POLICY, ['getppid', 'pty-tiocsti', 'fionread']);
    expect({ status: w.report.status, stderr: w.stderr }).toEqual({ status: 'ok', stderr: '' });
    expect(w.report.enforced.seccomp).toBe('custom');
    const { results, done } = parseChecks(w.stdout);
    expect(done).toBe(true);
    expect(Object.fromEntries(results)).toEqual({
      getppid: 'EPERM',
      // The same fd: TCGETS matches the condition (a1 == 0x5401); other requests do not. On a pty TCGETS would
      // succeed (it does under the default preset), so ENOTTY is the filter's. TIOCSTI is the default preset's
      // business, not this policy's: the session's own terminal takes it.
      'pty-tiocsti': 'ok',
      'pty-tiocgwinsz': 'ok',
      'pty-tcgets': 'ENOTTY',
      fionread: 'ok 3',
    });
  });

  it("kill-process: uname ends the run, 'syscall-violation' naming uname, a 'violation' event before 'exit'; nothing after it runs", async () => {
    const w = await spawn(POLICY, ['getppid', 'uname', 'getppid']);
    expect(w.report.status).toBe('syscall-violation');
    expect(w.report.violation).toEqual({ syscall: 'uname', nr: syscallNumber('uname'), arch: nativeArch().token });
    expect(w.violations).toEqual([w.report.violation]);
    expect(w.events.filter((e) => e === 'violation' || e === 'exit')).toEqual(['violation', 'exit']);
    expect(w.stdout).toBe('getppid EPERM\n');
  });

  it("trap: an unhandled SIGSYS ends the run as 'syscall-violation' with violation.syscall null (only the signal is known)", async () => {
    const w = await spawn({ defaultAction: 'allow', rules: [{ syscall: 'getppid', action: 'trap' }] }, ['uname', 'getppid', 'uname']);
    expect(w.report).toMatchObject({ status: 'syscall-violation', signal: 'SIGSYS', signalNumber: SIGSYS, exitCode: null, killed: false });
    expect(w.report.violation).toEqual({ syscall: null, nr: null, arch: null });
    expect(w.violations).toEqual([]);
    expect(w.stdout).toBe('uname ok Linux\n');
  });

  it('trap: a program that handles SIGSYS sees the syscall number in si_syscall and carries on', async () => {
    const w = await spawn({ defaultAction: 'allow', rules: [{ syscall: 'getppid', action: 'trap' }] }, ['trap-handled', 'uname']);
    expect({ status: w.report.status, violation: w.report.violation, stderr: w.stderr }).toEqual({ status: 'ok', violation: null, stderr: '' });
    expect(w.stdout).toBe(`trap-handled ok sigsys=${syscallNumber('getppid')}\nuname ok Linux\ndone\n`);
  });

  // After installing a filter that kills, the payload still makes calls of its own before execve (read of PID 1's
  // ack, close of the listener, the exec timestamp write, execve itself: src/native/confine.c, payload.c). A kill
  // there is a user notification that PID 1 must answer while it waits for the exec (src/native/init.c
  // await_exec); before that was so, both waited for ever (no 'spawn', no 'exit', not even a wallTime ended it).
  /** Spawns and waits at most HANG_MS for the run to end by itself; SIGKILLs it after that. */
  async function endsByItself(seccomp: SeccompPolicy) {
    const child = new Sandbox({ mounts: fx.mounts, seccomp, limits: { wallTime: 1000 } }).spawn(fx.inside('attacks'), ['uname']);
    const HANG_MS = IN_VM ? 15_000 : 2_000; // a run takes ~10 ms here, ~0.5 s in the VM
    const watched = watch(child);
    const ended = await Promise.race([watched.then(() => true, () => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), HANG_MS))]);
    if (!ended) child.kill('SIGKILL');
    return { ended, w: await watched };
  }

  it('a policy that kills execve ends the run by itself: syscall-violation naming execve, with a violation event', async () => {
    const { ended, w } = await endsByItself({ defaultAction: 'allow', rules: [{ syscall: 'execve', action: 'kill-process' }] });
    expect(ended).toBe(true);
    expect(w.report.status).toBe('syscall-violation');
    expect(w.report.violation).toEqual({ syscall: 'execve', nr: syscallNumber('execve'), arch: nativeArch().token });
    expect(w.violations).toEqual([w.report.violation]);
    expect(w.stdout).toBe('');
  }, 30_000);

  it('an allow list that forgets read (the init reads PID 1\'s ack after installing it) ends the run the same way, naming read', async () => {
    const { ended, w } = await endsByItself({ defaultAction: 'kill-process', rules: [{ syscall: 'execve', action: 'allow' }, { syscall: 'exit_group', action: 'allow' }] });
    expect(ended).toBe(true);
    expect(w.report.status).toBe('syscall-violation');
    expect(w.report.violation).toMatchObject({ syscall: 'read' });
    expect(w.events).not.toContain('spawn');
  }, 30_000);

  // When execve itself is refused, the payload has already written its pre-exec timestamp; the exec pipe then
  // closes with the timestamp alone, which await_exec reads as a successful exec: the host emits 'spawn' (after the
  // 'violation') and counts setupMs/wallTimeMs from an exec that never happened.
  it("a refused execve is not reported as started: no 'spawn' event", async () => {
    const { w } = await endsByItself({ defaultAction: 'allow', rules: [{ syscall: 'execve', action: 'kill-process' }] });
    expect(w.report.status).toBe('syscall-violation');
    expect(w.events).not.toContain('spawn');
  }, 30_000);

  it('log: the call succeeds (it is only logged)', async () => {
    const w = await spawn({ defaultAction: 'allow', rules: [{ syscall: 'getppid', action: 'log' }] }, ['getppid']);
    expect({ status: w.report.status, violation: w.report.violation }).toEqual({ status: 'ok', violation: null });
    // The payload's parent is the sandbox's PID 1.
    expect(w.stdout).toBe('getppid ok 1\ndone\n');
  });
});

describe('custom policy errors: a PolicyError naming the field, the value and the fix, before anything is spawned', () => {
  const error = (seccomp: unknown): PolicyError => {
    try {
      new Sandbox({ seccomp: seccomp as SeccompPolicy });
    } catch (caught) {
      expect(caught).toBeInstanceOf(PolicyError);
      return caught as PolicyError;
    }
    throw new Error(`no PolicyError for ${JSON.stringify(seccomp)}`);
  };

  it('an unknown syscall name gets the closest native name as the fix', () => {
    const e = error({ defaultAction: 'allow', rules: [{ syscall: 'getppid', action: 'allow' }, { syscall: 'getppidd', action: { errno: 'EPERM' } }] });
    expect(e.code).toBe('EPOLICY');
    expect(e.field).toBe('policy.seccomp.rules[1].syscall');
    expect(e.value).toBe('getppidd');
    expect(e.fix).toBe("did you mean 'getppid'?");
    expect(e.message).toContain('is not a syscall name libseccomp knows');
  });

  it('an unknown errno name, an errno name given as the action, a misspelled preset', () => {
    expect(error({ defaultAction: 'allow', rules: [{ syscall: 'mount', action: { errno: 'EPRM' } }] })).toMatchObject({
      field: 'policy.seccomp.rules[0].action.errno',
      fix: "did you mean 'EPERM'?",
    });
    expect(error({ defaultAction: 'allow', rules: [{ syscall: 'mount', action: 'EPERM' }] })).toMatchObject({
      field: 'policy.seccomp.rules[0].action',
      fix: "write { errno: 'EPERM' }",
    });
    expect(error('judgee')).toMatchObject({ field: 'policy.seccomp', fix: "did you mean 'judge'?" });
  });

  it('a condition that can never match, and two conditions on one argument', () => {
    expect(error({ defaultAction: 'allow', rules: [{ syscall: 'ioctl', action: 'kill-process', args: [{ index: 1, op: 'masked-eq', mask: 0xff, value: 0x5401 }] }] }).field).toBe(
      'policy.seccomp.rules[0].args[0].value',
    );
    expect(
      error({ defaultAction: 'allow', rules: [{ syscall: 'ioctl', action: 'kill-process', args: [{ index: 1, op: 'gt', value: 2 }, { index: 1, op: 'lt', value: 5 }] }] }).field,
    ).toBe('policy.seccomp.rules[0].args[1]');
  });
});
