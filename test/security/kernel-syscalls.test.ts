// Kernel attack surface (the entry points of many container escapes and kernel LPEs: malicious modules and kexec,
// eBPF verifier bugs such as CVE-2021-3490, perf_event CVE-2013-2094, keyring CVE-2016-0728, userfaultfd as the
// race widener of countless exploits, io_uring CVE-2022-29582): the payload makes each call with well-formed
// arguments, and each is refused by the default profile's seccomp filter before the kernel code runs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sandbox } from '../../src/index.js';
import { type Attacks, attempts, compileAttacks, NO_GCC, titled } from '../helpers/security.js';

describe.skipIf(NO_GCC !== null)(titled('kernel-facing syscalls', NO_GCC), () => {
  let fx: Attacks;
  beforeAll(() => {
    fx = compileAttacks(['kernel']);
  });
  afterAll(() => fx?.cleanup());

  it('modules, kexec, bpf, perf_event_open, keyrings and userfaultfd fail with EPERM, io_uring_setup with ENOSYS', async () => {
    const result = await new Sandbox({ mounts: fx.mounts }).run(fx.inside('kernel'));
    expect({ status: result.status, stderr: result.stderr, seccomp: result.enforced.seccomp }).toEqual({ status: 'ok', stderr: '', seccomp: 'default' });
    const denied = { init_module: 'EPERM', finit_module: 'EPERM', kexec_load: 'EPERM', bpf: 'EPERM', perf_event_open: 'EPERM', add_key: 'EPERM', keyctl: 'EPERM', request_key: 'EPERM', userfaultfd: 'EPERM', io_uring_setup: 'ENOSYS' };
    const got = attempts(result.stdout);
    expect(got).toEqual(process.arch === 'x64' ? { ...denied, kexec_file_load: 'EPERM' } : expect.objectContaining(denied));
  });
});
