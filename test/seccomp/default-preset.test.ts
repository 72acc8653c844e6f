// The `default` seccomp preset in real sandboxes: every syscall it denies, called from inside, gets the errno the
// preset documents (docs/seccomp.md), and the calls it must leave alone still work.
//
// The list is not written down here: it comes from the resolved preset (resolveSeccomp('x', 'default').policy.rules),
// so a rule added to the preset is tried too. test/fixtures/syscalls/probe.c makes every call of the batch in ONE
// sandbox run (each in a forked child), with arguments that satisfy the rule's conditions and are otherwise
// harmless (zeros; -1 for ioctl's fd). test/fixtures/syscalls/attacks.c makes the same kind of calls the way an
// attacker would (real flags, a real pty) and the calls that must keep working.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Policy, Sandbox } from '../../src/index.js';
import { resolveSeccomp, syscallNumber, type ResolvedSeccompRule } from '../../src/seccomp/index.js';
import {
  compileSyscallFixtures,
  describeProbe,
  errnoName,
  hasGcc,
  parseChecks,
  parseProbe,
  type ProbeResult,
  type SyscallFixtures,
  watch,
} from '../helpers/syscalls.js';

const rules = resolveSeccomp('x', 'default')!.policy.rules;

/** A probe spec ("nr,a0,...,a5") for a rule: arguments meeting its conditions, everything else harmless. */
interface Case {
  rule: ResolvedSeccompRule;
  nr: number;
  spec: string;
  /** The rule in words, for failure messages: "clone(a0 & 0x20000 == 0x20000)". */
  label: string;
}

const U64_MAX = (1n << 64n) - 1n;

function argumentsFor(rule: ResolvedSeccompRule): bigint[] {
  const args = [0n, 0n, 0n, 0n, 0n, 0n];
  // ioctl on fd -1: if the filter let it through, the kernel would say EBADF, never the preset's EPERM.
  if (rule.syscall === 'ioctl') args[0] = U64_MAX;
  for (const condition of rule.args ?? []) {
    const value = BigInt(condition.value);
    switch (condition.op) {
      case 'masked-eq':
      case 'eq':
      case 'ge':
      case 'le':
        args[condition.index] = value;
        break;
      case 'ne':
      case 'gt':
        args[condition.index] = value + 1n;
        break;
      case 'lt':
        args[condition.index] = value - 1n;
        break;
    }
  }
  return args;
}

function describeRule(rule: ResolvedSeccompRule): string {
  const conditions = (rule.args ?? []).map((c) =>
    c.op === 'masked-eq' ? `a${c.index} & 0x${BigInt(c.mask!).toString(16)} == 0x${BigInt(c.value).toString(16)}` : `a${c.index} ${c.op} 0x${BigInt(c.value).toString(16)}`,
  );
  return `${rule.syscall}(${conditions.join(', ')})`;
}

const cases: Case[] = [];
/** Rules for syscalls this architecture does not have (e.g. stime, vm86 on x86_64): they compile to nothing. */
const foreign: string[] = [];
for (const rule of rules) {
  const nr = syscallNumber(rule.syscall);
  if (nr < 0) {
    foreign.push(rule.syscall);
    continue;
  }
  const spec = [nr, ...argumentsFor(rule).map((a) => `0x${a.toString(16)}`)].join(',');
  cases.push({ rule, nr, spec, label: describeRule(rule) });
}

function expectedErrno(rule: ResolvedSeccompRule): number {
  const action = rule.action;
  if (typeof action !== 'object') throw new Error(`the default preset denies with an errno, but ${describeRule(rule)} has ${JSON.stringify(action)}`);
  return action.errno;
}

describe.skipIf(!hasGcc)('seccomp default preset' + (hasGcc ? '' : ' [skipped: gcc is not installed]'), () => {
  let fx: SyscallFixtures;
  let batch: Map<string, ProbeResult>;

  beforeAll(async () => {
    fx = compileSyscallFixtures(['probe', 'attacks']);
    // The whole batch in one sandbox run.
    const w = await watch(new Sandbox({ mounts: fx.mounts }).spawn(fx.inside('probe'), cases.map((c) => c.spec)));
    expect({ status: w.report.status, stderr: w.stderr }).toEqual({ status: 'ok', stderr: '' });
    expect(w.report.enforced.seccomp).toBe('default');
    batch = parseProbe(w.stdout);
  });
  afterAll(() => fx?.cleanup());

  it(`every denied syscall (${rules.length} rules) fails with the errno its rule documents, in one run`, () => {
    expect(cases.length).toBeGreaterThan(80);
    const wrong = cases
      .map((c) => ({ rule: c.label, nr: c.nr, expected: errnoName(expectedErrno(c.rule)), got: describeProbe(batch.get(c.spec)) }))
      .filter((row) => row.got !== row.expected);
    expect(wrong).toEqual([]);
    const byErrno = new Map<string, string[]>();
    for (const c of cases) {
      const name = errnoName(expectedErrno(c.rule));
      byErrno.set(name, [...(byErrno.get(name) ?? []), c.rule.syscall]);
    }
    console.log(
      `default preset: ${cases.length} rules tried from inside (${[...byErrno].map(([errno, names]) => `${new Set(names).size} syscalls -> ${errno}`).join(', ')}); ` +
        `not on this architecture, so compiled to nothing: ${foreign.join(', ') || 'none'}`,
    );
  });

  it('every one of those calls is stopped by the filter itself, not by the kernel: the same rules with errno 4000 give errno 4000', async () => {
    // Without capabilities many of these calls would fail with EPERM anyway. A custom policy with the preset's own
    // rules and an errno no kernel path returns (4000, below MAX_ERRNO 4095) shows each call of the batch matches
    // its rule in the compiled filter: the errno can only come from there.
    const marked: Policy['seccomp'] = { defaultAction: 'allow', rules: rules.map((rule) => ({ ...rule, action: { errno: 4000 } })) };
    const w = await watch(new Sandbox({ mounts: fx.mounts, seccomp: marked }).spawn(fx.inside('probe'), cases.map((c) => c.spec)));
    expect(w.report.status).toBe('ok');
    expect(w.report.enforced.seccomp).toBe('custom');
    const results = parseProbe(w.stdout);
    const wrong = cases.map((c) => ({ rule: c.label, got: describeProbe(results.get(c.spec)) })).filter((row) => row.got !== 'errno 4000');
    expect(wrong).toEqual([]);
  });

  // The kernel-attack-surface calls made as an exploit makes them: test/security/kernel-syscalls.test.ts.

  const CHECKS = ['clone-newuser', 'thread', 'clone3', 'unshare-newns', 'mount', 'personality-aslr', 'personality-rie', 'pty-tiocsti'];

  it('as an attacker calls them: clone(CLONE_NEWUSER), unshare(CLONE_NEWNS), mount and TIOCSTI are EPERM, clone3 ENOSYS; threads, ADDR_NO_RANDOMIZE and TIOCGWINSZ work', async () => {
    const w = await watch(new Sandbox({ mounts: fx.mounts }).spawn(fx.inside('attacks'), CHECKS));
    expect({ status: w.report.status, stderr: w.stderr }).toEqual({ status: 'ok', stderr: '' });
    expect(w.report.enforced.seccomp).toBe('default');
    const { results, done } = parseChecks(w.stdout);
    expect(done).toBe(true);
    expect(Object.fromEntries(results)).toEqual({
      'clone-newuser': 'EPERM',
      // pthread_create: glibc tries clone3, gets ENOSYS, falls back to clone without namespace flags.
      thread: 'ok',
      clone3: 'ENOSYS',
      'unshare-newns': 'EPERM',
      mount: 'EPERM',
      'personality-aslr': 'ok 0x40000',
      'personality-rie': 'EPERM',
      // /dev/ptmx inside (devpts), the slave opened as the controlling terminal: TIOCSTI refused, others pass.
      'pty-tiocsti': 'EPERM',
      'pty-tiocgwinsz': 'ok',
      'pty-tcgets': 'ok',
    });
  });

  it('the same program without a filter (seccomp: none): clone(CLONE_NEWUSER), clone3, READ_IMPLIES_EXEC and TIOCSTI go through, so the EPERMs above are the filter\'s', async () => {
    const w = await watch(new Sandbox({ mounts: fx.mounts, seccomp: 'none' }).spawn(fx.inside('attacks'), CHECKS));
    expect({ status: w.report.status, stderr: w.stderr }).toEqual({ status: 'ok', stderr: '' });
    expect(w.report.enforced.seccomp).toBe(false);
    const { results, done } = parseChecks(w.stdout);
    expect(done).toBe(true);
    expect(results.get('clone-newuser')).toBe('ok');
    expect(results.get('clone3')).toBe('ok');
    expect(results.get('personality-rie')).toBe('ok');
    // Linux 6.2+ may refuse TIOCSTI to unprivileged processes (dev.tty.legacy_tiocsti=0): then EIO, never EPERM.
    expect(['ok', 'EIO']).toContain(results.get('pty-tiocsti'));
    // Without CAP_SYS_ADMIN in its namespace the kernel refuses these itself; the filter only answers first.
    expect(results.get('unshare-newns')).toBe('EPERM');
    expect(results.get('mount')).toBe('EPERM');
  });

  it("seccomp: { preset: 'default', allowNamespaces: true }: unshare(CLONE_NEWUSER), clone(CLONE_NEWUSER) and clone3 succeed; mount stays denied", async () => {
    const policy: Policy = { mounts: fx.mounts, seccomp: { preset: 'default', allowNamespaces: true } };
    const w = await watch(new Sandbox(policy).spawn(fx.inside('attacks'), ['unshare-newuser', 'clone-newuser', 'clone3', 'thread', 'mount']));
    expect({ status: w.report.status, stderr: w.stderr }).toEqual({ status: 'ok', stderr: '' });
    expect(w.report.enforced.seccomp).toBe('default');
    const { results, done } = parseChecks(w.stdout);
    expect(done).toBe(true);
    expect(Object.fromEntries(results)).toEqual({
      // A fresh user namespace without a mapping: the overflow uid.
      'unshare-newuser': 'ok uid=65534',
      'clone-newuser': 'ok',
      clone3: 'ok',
      thread: 'ok',
      mount: 'EPERM',
    });
  });
});
