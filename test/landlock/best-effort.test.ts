// Best-effort Landlock on a kernel that lacks features: what the kernel cannot enforce is skipped, reported as
// 'downgrade' events and in report.enforced.downgrades, and the run goes on; 'required' refuses instead.
//
// The real runs need an old kernel: they run ONLY in the VM of ../shared/vm (RUN_IN_VM=1, Debian kernel 6.1,
// Landlock ABI 2), e.g.
//   ../shared/vm/run-in-vm.sh --timeout 1500 "$PWD" -- ./node_modules/.bin/vitest run test/landlock/best-effort.test.ts
// Everywhere, the host-side plan for ABI 2 (landlockPlan(resolved, mounts, 2)) is checked to list the same lines.
import { describe, expect, it } from 'vitest';
import { landlockAbi, landlockPlan, resolveLandlock, fsRightsOfAbi, FS } from '../../src/landlock/index.js';
import { Sandbox, UnsupportedError } from '../../src/index.js';
import { rejection } from '../helpers/run.js';
import { IN_VM, watch } from '../helpers/syscalls.js';

const OLD_ABI = 2;

/** What the default profile's Landlock setting loses on ABI 2, in the words docs/landlock.md gives. */
const ABI2_DOWNGRADES = [
  'landlock: truncate not enforced (kernel ABI 2 < 3)',
  'landlock: device ioctl not enforced (kernel ABI 2 < 5)',
  'landlock: abstract unix sockets outside the sandbox not blocked (kernel ABI 2 < 6)',
  'landlock: signals to processes outside the sandbox not blocked (kernel ABI 2 < 6)',
];

describe('host side: the plan for an ABI 2 kernel', () => {
  const sandbox = new Sandbox({});

  it("the default profile's setting (best-effort, scope abstractUnix + signals) lists truncate, device ioctl and both scopes as downgrades", () => {
    const resolved = sandbox.policy.landlock;
    expect(resolved).toMatchObject({ mode: 'best-effort', fromMounts: true, scope: { abstractUnix: true, signals: true } });
    const plan = landlockPlan(resolved!, sandbox.policy.mounts, OLD_ABI);
    expect(plan.downgrades).toEqual(ABI2_DOWNGRADES);
    expect(plan).toMatchObject({ abi: OLD_ABI, scoped: 0n, net: 0n, fs: fsRightsOfAbi(OLD_ABI) });
    expect(plan.fs & FS.TRUNCATE).toBe(0n);
    // Every rule masked to the rights ABI 2 knows.
    for (const rule of plan.paths) expect(rule.allowed & ~fsRightsOfAbi(OLD_ABI)).toBe(0n);
  });

  it("mode 'required' with scope.abstractUnix refuses on ABI 2 with an UnsupportedError naming ABI 6", () => {
    const resolved = resolveLandlock('policy.landlock', { mode: 'required', scope: { abstractUnix: true } })!;
    let error: unknown;
    try {
      landlockPlan(resolved, sandbox.policy.mounts, OLD_ABI);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UnsupportedError);
    expect((error as UnsupportedError).code).toBe('EUNSUPPORTED');
    expect((error as UnsupportedError).message).toContain('abstract unix socket scoping (ABI 6, Linux 6.12)');
    expect((error as UnsupportedError).message).toContain("the kernel's Landlock ABI is 2");
  });
});

const abi = landlockAbi();
const vmReason = !IN_VM
  ? '[skipped: only in the ../shared/vm VM (RUN_IN_VM=1, kernel 6.1, ABI 2); this kernel has ABI ' + abi + ']'
  : abi !== OLD_ABI
    ? `[skipped: expected the VM's Landlock ABI ${OLD_ABI}, this kernel has ${abi}]`
    : '';

describe.skipIf(vmReason !== '')(`real runs on an ABI ${OLD_ABI} kernel ${vmReason}`.trim(), () => {
  it("the default profile runs 'ok', with each downgrade as a 'downgrade' event and in report.enforced.downgrades", async () => {
    const w = await watch(new Sandbox({}).spawn('/bin/sh', ['-c', 'echo hi > /tmp/x && cat /tmp/x']));
    expect({ status: w.report.status, stdout: w.stdout, stderr: w.stderr }).toEqual({ status: 'ok', stdout: 'hi\n', stderr: '' });
    expect(w.report.enforced.landlock).toMatchObject({ abi: OLD_ABI, scoped: false });
    expect(w.report.enforced.downgrades.filter((line) => line.startsWith('landlock:'))).toEqual(ABI2_DOWNGRADES);
    expect(w.downgrades).toEqual(w.report.enforced.downgrades);
    // Announced right after spawn(), before the run ends.
    expect(w.events.indexOf('downgrade')).toBeLessThan(w.events.indexOf('exit'));
  });

  it("landlock: { mode: 'required', scope: { abstractUnix: true } } rejects with an UnsupportedError naming ABI 6", async () => {
    const error = await rejection(new Sandbox({ landlock: { mode: 'required', scope: { abstractUnix: true } } }).run('/bin/true'));
    expect(error).toBeInstanceOf(UnsupportedError);
    expect(error.message).toContain('ABI 6');
    expect(error.message).toContain("the kernel's Landlock ABI is 2");
  });

  it("the same without scope (rules from the mounts only) runs in 'required' mode, listing what ABI 2 cannot enforce", async () => {
    const w = await watch(new Sandbox({ landlock: { mode: 'required' } }).spawn('/bin/true'));
    expect(w.report.status).toBe('ok');
    expect(w.report.enforced.landlock).toMatchObject({ abi: OLD_ABI });
    expect(w.downgrades).toEqual(ABI2_DOWNGRADES.slice(0, 2));
  });
});
