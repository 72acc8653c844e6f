// Host processes: seeing them (/proc of the host reveals command lines, environments of the same uid, open files)
// and reaching them (kill, ptrace: the classic way out of a chroot or a container without a PID namespace, and
// the point of CVE-2019-5736's attack on the runtime). The sandbox's /proc lists only its own processes; a victim
// on the host owned by the very host uid the sandbox runs as, the test process itself, and PID 1 all survive
// kill, ptrace, pidfd_open and process_vm_readv from inside.
import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sandbox } from '../../src/index.js';
import { isRoot, waitFor } from '../helpers/host.js';
import { lines, okOutput } from '../helpers/run.js';
import { type Attacks, attempts, compileAttacks, NO_GCC, titled } from '../helpers/security.js';

describe('host process visibility', () => {
  it('/proc lists only the init (1) and the payload (2), and none of the host pids', async () => {
    // ls is the payload itself here, so nothing else may be in the namespace.
    const pids = lines(okOutput(await new Sandbox({}).run('/bin/ls', ['/proc']))).filter((name) => /^\d+$/.test(name));
    expect(pids.map(Number).sort((a, b) => a - b)).toEqual([1, 2]);
    const probe = okOutput(await new Sandbox({}).run('/bin/sh', ['-c', `test -e /proc/${process.pid} && echo visible || echo hidden`]));
    expect(probe).toBe('hidden\n');
  });
});

describe.skipIf(NO_GCC !== null)(titled('signals and ptrace to host processes', NO_GCC), () => {
  let fx: Attacks;
  let victim: ChildProcess;
  beforeAll(() => {
    fx = compileAttacks(['signals']);
    // Same host uid as the sandbox (65534 from a root host, the caller's own rootless): only namespaces protect it.
    victim = spawn('/bin/sleep', ['60'], { stdio: 'ignore', ...(isRoot() ? { uid: 65534, gid: 65534 } : {}) });
  });
  afterAll(() => {
    victim?.kill('SIGKILL');
    fx?.cleanup();
  });

  it('kill, ptrace, pidfd_open and process_vm_readv reach neither a host process of the same uid, nor the host, nor PID 1', async () => {
    const result = await new Sandbox({ mounts: fx.mounts }).run(fx.inside('signals'), [String(victim.pid), String(process.pid)]);
    // kill(-1, SIGKILL) and kill(1, SIGKILL) did not end the run: PID 1 survived and reported the payload's exit.
    expect({ status: result.status, exitCode: result.exitCode, stderr: result.stderr }).toEqual({ status: 'ok', exitCode: 0, stderr: '' });
    const got = attempts(result.stdout);
    for (const who of ['host1', 'host2']) {
      // Those pid numbers do not exist in the sandbox's PID namespace; ptrace is refused by seccomp before the lookup.
      expect({ [who]: Object.fromEntries(Object.entries(got).filter(([name]) => name.startsWith(`${who}-`))) }).toEqual({
        [who]: { [`${who}-kill0`]: 'ESRCH', [`${who}-sigkill`]: 'ESRCH', [`${who}-ptrace-attach`]: 'EPERM', [`${who}-ptrace-seize`]: 'EPERM', [`${who}-pidfd_open`]: 'ESRCH', [`${who}-process_vm_readv`]: 'ESRCH' },
      });
    }
    // PID 1 exists, but it is not dumpable and ptrace is filtered; a signal from inside is silently dropped.
    expect(got['init-ptrace-attach']).toBe('EPERM');
    expect(got['init-ptrace-seize']).toBe('EPERM');
    expect(got['init-process_vm_readv']).toBe('EPERM');
    expect(victim.exitCode === null && victim.signalCode === null).toBe(true);
    expect(await waitFor(() => victim.signalCode !== null, 100)).toBe(false);
  });
});
