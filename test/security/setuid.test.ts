// setuid binaries: a setuid-root program reachable by an unprivileged user is the oldest way up (and the second
// half of many container escapes, e.g. CVE-2023-0386, which smuggled a setuid file into an overlay). The test puts
// a setuid-root copy of a program, and a root-only file, in a host dir the sandbox binds read-write: executing it
// gives neither uid 0 nor a capability, and the root-only file stays unreadable and unchanged.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sandbox } from '../../src/index.js';
import { isRoot } from '../helpers/host.js';
import { type Attacks, attempts, compileAttacks, NO_GCC, titled } from '../helpers/security.js';

// Only host root can make a file setuid root; rootless, host root is not even mapped into the sandbox.
const SKIP = NO_GCC ?? (isRoot() ? null : 'making a setuid-root file needs host root (root lane only)');

describe.skipIf(SKIP !== null)(titled('setuid-root binaries in a bound dir', SKIP), () => {
  let fx: Attacks;
  beforeAll(() => {
    fx = compileAttacks(['setuid']);
    fs.chownSync(fx.host('setuid'), 0, 0);
    fs.chmodSync(fx.host('setuid'), 0o4755);
    fs.writeFileSync(path.join(fx.dir, 'root-only'), 'host root secret\n', { mode: 0o600 });
    fs.chmodSync(fx.dir, 0o777);
  });
  afterAll(() => fx?.cleanup());

  it('running it gives no uid 0 and no capability; the root-only host file stays unreadable and unchanged', async () => {
    expect(fs.statSync(fx.host('setuid')).mode & 0o4000).toBe(0o4000);
    const mounts = [{ type: 'bind' as const, source: fx.dir, target: '/opt/nsbox-attacks', readOnly: false }];
    for (const uid of [1000, 0]) {
      const result = await new Sandbox({ uid, gid: uid, mounts }).run(fx.inside('setuid'), ['/opt/nsbox-attacks/root-only']);
      expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 'ok', stderr: '' });
      expect({ asUid: uid, ...attempts(result.stdout) }).toEqual({
        asUid: uid,
        // nosuid and no_new_privs: the setuid bit changes nothing; uid 0 inside holds no capability after exec.
        ids: `uid ${uid} euid ${uid} capeff 0000000000000000`,
        'read-root-file': 'EACCES',
        'write-root-file': 'EACCES',
        // Only the one inside uid is mapped: for uid 1000 there is no uid 0 to become; uid 0 already is it.
        'setuid-0': uid === 0 ? 'ok' : 'EINVAL',
      });
    }
    expect(fs.readFileSync(path.join(fx.dir, 'root-only'), 'utf8')).toBe('host root secret\n');
  });
});
