// Filters are compiled for the native ABI only (docs/seccomp.md, "Architectures and the x32 ABI"): on x86_64 a
// 32-bit `int $0x80` call and an x32 call (syscall number with bit 30 set) hit the bad-architecture action,
// kill-process, before they run, whatever the preset. Real calls from a C program (test/fixtures/syscalls/arch.c)
// in real sandboxes, under both presets, and the same program without a filter as the control.
//
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sandbox } from '../../src/index.js';
import {
  AUDIT_ARCH_I386,
  AUDIT_ARCH_X86_64,
  compileSyscallFixtures,
  hasGcc,
  isX86_64,
  type SyscallFixtures,
  watch,
  X32_SYSCALL_BIT,
} from '../helpers/syscalls.js';

const I386_GETPID = 20; // writev on x86_64
const X32_GETPID = 39 | X32_SYSCALL_BIT;

const skipReason = !isX86_64 ? `[skipped: int $0x80 and x32 are x86_64 ABIs; this is ${process.arch}]` : !hasGcc ? '[skipped: gcc is not installed]' : '';

describe.skipIf(skipReason !== '')(`foreign syscall ABIs are killed ${skipReason}`.trim(), () => {
  let fx: SyscallFixtures;
  /** Whether this kernel runs int $0x80 at all (CONFIG_IA32_EMULATION, not turned off with ia32_emulation=0). */
  let ia32 = false;
  beforeAll(() => {
    fx = compileSyscallFixtures(['arch']);
    const direct = spawnSync(fx.host('arch'), ['int80'], { encoding: 'utf8' });
    ia32 = direct.status === 0 && /^after int80 ret=(\d+) pid=\1$/m.test(direct.stdout);
    if (!ia32) console.warn(`int $0x80 does not work on this kernel even without a filter (${direct.signal ?? direct.status}): the int80 tests are skipped`);
  });
  afterAll(() => fx?.cleanup());

  const run = (mode: 'int80' | 'x32', seccomp: 'default' | 'judge' | 'none') =>
    watch(new Sandbox({ mounts: fx.mounts, seccomp }).spawn(fx.inside('arch'), [mode]));

  it('control, seccomp: none: both calls run (int80 returns the pid; x32 returns, ENOSYS where the kernel lacks x32)', async (ctx) => {
    const x32 = await run('x32', 'none');
    expect({ status: x32.report.status, stdout: x32.stdout }).toMatchObject({ status: 'ok' });
    expect(x32.stdout).toMatch(/^before x32\nafter x32 ret=-?\d+ pid=\d+\n$/);
    if (!ia32) ctx.skip();
    const int80 = await run('int80', 'none');
    expect(int80.report.status).toBe('ok');
    expect(int80.stdout).toMatch(/^before int80\nafter int80 ret=(\d+) pid=\1\n$/);
  });

  for (const preset of ['default', 'judge'] as const) {
    it(`${preset}: int $0x80 getpid (i386 nr 20) is killed before it runs: 'syscall-violation'`, async (ctx) => {
      if (!ia32) ctx.skip();
      const w = await run('int80', preset);
      expect(w.report.status).toBe('syscall-violation');
      expect(w.report.enforced.seccomp).toBe(preset);
      expect(w.stdout).toBe('before int80\n');
    });

    it(`${preset}: an x32 getpid (39 | 0x40000000) is killed before it runs: 'syscall-violation'`, async () => {
      const w = await run('x32', preset);
      expect(w.report.status).toBe('syscall-violation');
      expect(w.stdout).toBe('before x32\n');
    });

    if (preset === 'default') {
      // The default preset has no kill-process rule, so it is installed without the notification listener (that
      // handshake is paid only by filters that kill; docs/seccomp.md): a bad-architecture kill is a bare SIGSYS.
      it('default: the bad-arch kill is reported as syscall-violation without a name (bare SIGSYS)', async () => {
        const w = await run('x32', preset);
        expect(w.report.status).toBe('syscall-violation');
        expect(w.report.violation).toEqual({ syscall: null, nr: null, arch: null });
        expect(w.violations).toEqual([]);
      });
      continue;
    }

    it(`${preset}: the report and a 'violation' event (before 'exit') give arch AUDIT_ARCH_I386 and nr 20`, async (ctx) => {
      if (!ia32) ctx.skip();
      const w = await run('int80', preset);
      expect(w.report.violation).toMatchObject({ nr: I386_GETPID, arch: AUDIT_ARCH_I386 });
      expect(w.violations).toEqual([w.report.violation]);
      expect(w.events.filter((e) => e === 'violation' || e === 'exit')).toEqual(['violation', 'exit']);
    });

    it(`${preset}: the report and a 'violation' event give the x32 number (0x40000027) on AUDIT_ARCH_X86_64`, async () => {
      const w = await run('x32', preset);
      expect(w.report.violation).toMatchObject({ nr: X32_GETPID, arch: AUDIT_ARCH_X86_64 });
      expect(w.violations).toEqual([w.report.violation]);
      expect(w.events.filter((e) => e === 'violation' || e === 'exit')).toEqual(['violation', 'exit']);
    });
  }

  // The name is resolved on the call's own arch: i386 getpid is 20, which on x86_64 would be 'writev'.
  it("judge: the i386 call is named on its own table ('getpid'), not by its x86_64 number ('writev')", async (ctx) => {
    if (!ia32) ctx.skip();
    const w = await run('int80', 'judge');
    expect(w.report.violation?.arch).toBe(AUDIT_ARCH_I386);
    expect(['getpid', null]).toContain(w.report.violation?.syscall);
  });

  it('judge: the x32 call is named on the x32 table, never by a wrong native name', async () => {
    const w = await run('x32', 'judge');
    expect(w.report.violation).toMatchObject({ nr: X32_GETPID, arch: AUDIT_ARCH_X86_64 });
    expect(['getpid', null]).toContain(w.report.violation?.syscall);
  });
});
