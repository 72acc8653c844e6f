// Host files: reading secrets and writing outside what the policy lists (the classic chroot break-outs, Docker's
// "shocker" open_by_handle_at exploit, CVE-2014-9357-style path escapes). A secret the test writes in a host temp
// dir that is NOT bound, /etc/shadow, /root and the homes are out of reach by path, through /proc/*/root and
// through "..", and writes to host paths fail and leave the host as it was.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Sandbox } from '../../src/index.js';
import { useTempDirs } from '../helpers/host.js';
import { lines, okOutput, sh } from '../helpers/run.js';

const tempDir = useTempDirs();

describe('host files', () => {
  it('host secrets and homes are not there', async () => {
    const out = okOutput(await sh('for p in /etc/shadow /etc/gshadow /etc/ssh /etc/sudoers /etc/machine-id /root /home /etc/resolv.conf; do test -e $p && echo "present $p"; done; ls -a /; exit 0'));
    expect(out).not.toContain('present');
    const top = lines(out);
    expect(top).not.toContain('root');
    expect(top).not.toContain('home');
    expect(top).not.toContain('var');
  });

  it('a secret in an unbound host dir cannot be read or written, by its path, through /proc/1/root or with ..; the host is unchanged', async () => {
    const dir = tempDir('nsbox-host-secret-');
    const secret = path.join(dir, 'secret');
    fs.writeFileSync(secret, 'host-secret-value\n');
    fs.chmodSync(secret, 0o666); // the host's own permissions would let the sandbox's host uid read and write it
    const tries = [secret, `/proc/1/root${secret}`, `/proc/self/root/../../..${secret}`, `/tmp/../..${secret}`];
    const script = tries.map((p) => `cat '${p}' 2>/dev/null && echo "read ${p}"; (echo pwned > '${p}') 2>/dev/null && echo "wrote ${p}"; `).join('') +
      `(echo x > '${dir}/planted') 2>/dev/null && echo planted; (echo x > /etc/shadow) 2>/dev/null && echo shadow; exit 0`;
    for (const uid of [1000, 0]) {
      const result = await new Sandbox({ uid, gid: uid }).run('/bin/sh', ['-c', script]);
      expect({ uid, status: result.status, stdout: result.stdout }).toEqual({ uid, status: 'ok', stdout: '' });
    }
    expect(fs.readFileSync(secret, 'utf8')).toBe('host-secret-value\n');
    expect(fs.readdirSync(dir)).toEqual(['secret']);
  });
});
