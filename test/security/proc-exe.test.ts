// Overwriting the runtime's binary through /proc (runc CVE-2019-5736: the container opened /proc/self/exe of a
// runc process that had joined it, then wrote the host's runc binary through the reopened descriptor). The payload
// opens its own and PID 1's /proc/PID/exe, reopens PID 1's descriptors for writing, and opens the host's node
// binary for writing, as uid 0 inside; the init binary and node are byte for byte the same afterwards. The host
// runs the init from a sealed memfd, so no file on disk is even involved.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findInitBinary } from '../../src/init-binary.js';
import { Sandbox } from '../../src/index.js';
import { libc } from '../../src/syscalls/libc.js';
import { isRoot } from '../helpers/host.js';
import { type Attacks, attempts, compileAttacks, NO_GCC, titled } from '../helpers/security.js';

const sha256 = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe('the host binaries through /proc/PID/exe', () => {
  let fx: Attacks | undefined;
  beforeAll(() => {
    if (NO_GCC === null) fx = compileAttacks(['exe']);
  });
  afterAll(() => fx?.cleanup());

  it.skipIf(NO_GCC !== null)(titled("writes through /proc/self/exe, /proc/1/exe and /proc/1/fd fail, and the init binary and the host's node are unchanged", NO_GCC), async () => {
    const before = { init: sha256(findInitBinary()), node: sha256(process.execPath) };
    // The profile shows /usr read-only; node lives there on this host, else the path simply does not exist inside.
    const result = await new Sandbox({ uid: 0, gid: 0, mounts: fx!.mounts }).run(fx!.inside('exe'), [process.execPath]);
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 'ok', stderr: '' });
    const got = attempts(result.stdout);
    expect(got).toEqual({
      // Its own binary is not its to write, sits on a read-only bind and is busy being executed.
      'self-exe-write': expect.stringMatching(/^(EROFS|ETXTBSY|EACCES)$/),
      // PID 1 is not dumpable: its exe link and fd table are closed to the payload, even for reading.
      'init-exe-readlink': 'EACCES',
      'init-exe-read': 'EACCES',
      'init-exe-write': 'EACCES',
      'init-exe-path': 'EACCES',
      'init-fd-dir': 'EACCES',
      'init-fds-reopened-for-write': '0',
      // Owned by another host uid, on a read-only bind, under Landlock's read-only rule for /: whichever answers first.
      'write-arg1': process.execPath.startsWith('/usr/') ? expect.stringMatching(/^(EACCES|EROFS)$/) : 'ENOENT',
    });
    expect({ init: sha256(findInitBinary()), node: sha256(process.execPath) }).toEqual(before);
  });

  // Reading /proc/PID/exe of a non-dumpable process needs root on the host.
  it.runIf(isRoot())('PID 1 runs from a sealed memfd, never from a path on disk', async () => {
    const child = new Sandbox().spawn('/bin/sleep', ['5']);
    await new Promise<void>((resolve) => child.once('spawn', resolve));
    const exe = fs.readlinkSync(`/proc/${child.pid}/exe`);
    child.kill('SIGKILL');
    await child.report;
    expect(exe).toMatch(/^\/memfd:nsbox-init/);
  });

  it('the memfd the host executes is sealed against writes, shrinking and growing', async () => {
    await new Sandbox().run('/bin/true');
    const F_GET_SEALS = 1034;
    const fd = fs.readdirSync('/proc/self/fd').map(Number).find((n) => {
      try {
        return fs.readlinkSync(`/proc/self/fd/${n}`).startsWith('/memfd:nsbox-init');
      } catch {
        return false;
      }
    });
    expect(fd).toBeDefined();
    expect(libc().fcntl(fd!, F_GET_SEALS, 0) & 0xf).toBe(0xf); // SEAL, SHRINK, GROW, WRITE
  });
});
