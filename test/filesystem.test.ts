// The filesystem view: a read-only tmpfs root, the profile's host trees, binds, generated
// entries, tmpfs limits and mount flags. (Mount targets planted with symlinks: test/security/symlink-race.test.ts.)
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type MountSpec, Sandbox, SetupError } from '../src/index.js';
import { expectedHostUid, hasPython, useTempDirs } from './helpers/host.js';
import { lines, okOutput, py, rejection, sh, TRY_WRITE_PY } from './helpers/run.js';

const tempDir = useTempDirs();

/** Maps "path RESULT" lines of TRY_WRITE_PY to { path: RESULT }. */
async function tryWrite(paths: string[], policy: ConstructorParameters<typeof Sandbox>[0] = {}): Promise<Record<string, string>> {
  const out = okOutput(await py(TRY_WRITE_PY, policy, paths));
  return Object.fromEntries(lines(out).map((line) => line.split(' ') as [string, string]));
}

interface MountInfo {
  mountPoint: string;
  options: string[];
  fsType: string;
}

function parseMountInfo(text: string): MountInfo[] {
  return lines(text).map((line) => {
    const fields = line.split(' ');
    const separator = fields.indexOf('-');
    return { mountPoint: fields[4], options: fields[5].split(','), fsType: fields[separator + 1] };
  });
}

function missingHostPath(): string {
  return `/nonexistent-nsbox-${crypto.randomUUID()}`;
}

describe.runIf(hasPython)('filesystem', () => {
  describe('the root', () => {
    it('/, /etc and /usr are read-only; /tmp is writable', async () => {
      expect(await tryWrite(['/usr/nsbox-x', '/etc/nsbox-x', '/nsbox-x', '/tmp/nsbox-x'])).toEqual({
        '/usr/nsbox-x': 'EROFS',
        '/etc/nsbox-x': 'EROFS',
        '/nsbox-x': 'EROFS',
        '/tmp/nsbox-x': 'OK',
      });
    });

    it('stays read-only for uid 0 inside', async () => {
      expect(await tryWrite(['/usr/nsbox-x', '/etc/nsbox-x', '/nsbox-x', '/tmp/nsbox-x'], { uid: 0, gid: 0 })).toEqual({
        '/usr/nsbox-x': 'EROFS',
        '/etc/nsbox-x': 'EROFS',
        '/nsbox-x': 'EROFS',
        '/tmp/nsbox-x': 'OK',
      });
    });

    it('/etc/passwd is the generated one', async () => {
      const passwd = okOutput(await sh('cat /etc/passwd'));
      expect(passwd).toContain('sandbox:x:1000:1000:');
      expect(lines(passwd).map((line) => line.split(':')[0])).toEqual(['root', 'sandbox', 'nobody']);
      expect(passwd).not.toBe(fs.readFileSync('/etc/passwd', 'utf8'));
      expect(okOutput(await sh('cut -d: -f1 /etc/group'))).toBe('root\nsandbox\nnogroup\n');
    });

    it('every mount is nosuid, and nodev except the device binds; / and host trees are read-only', async () => {
      const mounts = parseMountInfo(okOutput(await sh('cat /proc/self/mountinfo')));
      expect(mounts.length).toBeGreaterThan(5);
      const deviceBinds = new Set(['/dev/null', '/dev/zero', '/dev/full', '/dev/random', '/dev/urandom', '/dev/tty', '/dev/pts']);
      for (const mount of mounts) {
        expect(mount.options, mount.mountPoint).toContain('nosuid');
        if (!deviceBinds.has(mount.mountPoint)) expect(mount.options, mount.mountPoint).toContain('nodev');
      }
      const byPoint = new Map(mounts.map((mount) => [mount.mountPoint, mount]));
      expect(byPoint.get('/')?.options).toContain('ro');
      expect(byPoint.get('/')?.fsType).toBe('tmpfs');
      expect(byPoint.get('/usr')?.options).toContain('ro');
      expect(byPoint.get('/tmp')?.options).toContain('rw');
      expect(byPoint.get('/proc')?.options).toEqual(expect.arrayContaining(['noexec', 'nosuid', 'nodev']));
      // Nothing of the host's mount table is left below the new root.
      expect(mounts.filter((mount) => mount.mountPoint.startsWith('/tmp/') || mount.mountPoint === '/run')).toEqual([]);
    });
    it.skipIf(!hasPython)('/dev is read-only once populated: nothing can be left there; /dev/shm and the devices stay writable', async () => {
      expect(await tryWrite(['/dev/planted', '/dev/shm/ok', '/dev/null'])).toEqual({ '/dev/planted': 'EROFS', '/dev/shm/ok': 'OK', '/dev/null': 'OK' });
      expect(await tryWrite(['/dev/planted'], { uid: 0, gid: 0 })).toEqual({ '/dev/planted': 'EROFS' });
      const mounts = parseMountInfo(okOutput(await sh('cat /proc/self/mountinfo')));
      expect(mounts.find((mount) => mount.mountPoint === '/dev')?.options).toContain('ro');
    });
    // A setuid-binary check cannot tell nosuid apart here: with one mapped id and no_new_privs a setuid
    // bit can never change the uid, so the mount flags above are what is checked.
  });

  describe('binds', () => {
    it('a read-only bind is readable and not writable, and the host file is untouched', async () => {
      const dir = tempDir('nsbox-ro-');
      fs.writeFileSync(path.join(dir, 'data.txt'), 'host data\n');
      fs.chmodSync(path.join(dir, 'data.txt'), 0o666);
      const policy = { mounts: [{ type: 'bind', source: dir, target: '/data' } as MountSpec] };
      expect(okOutput(await sh('cat /data/data.txt', policy))).toBe('host data\n');
      expect(await tryWrite(['/data/data.txt', '/data/new.txt'], policy)).toEqual({ '/data/data.txt': 'EROFS', '/data/new.txt': 'EROFS' });
      expect(fs.readFileSync(path.join(dir, 'data.txt'), 'utf8')).toBe('host data\n');
      expect(fs.readdirSync(dir)).toEqual(['data.txt']);
    });

    it('a read-write bind is writable, and what is written shows on the host', async () => {
      const dir = tempDir('nsbox-rw-');
      const policy = { mounts: [{ type: 'bind', source: dir, target: '/out', readOnly: false } as MountSpec] };
      okOutput(await sh('echo from sandbox > /out/new.txt && mkdir /out/sub', policy));
      expect(fs.readFileSync(path.join(dir, 'new.txt'), 'utf8')).toBe('from sandbox\n');
      expect(fs.statSync(path.join(dir, 'new.txt')).uid).toBe(expectedHostUid());
      expect(fs.statSync(path.join(dir, 'sub')).isDirectory()).toBe(true);
    });

    it('a single file can be bound at another path', async () => {
      const dir = tempDir('nsbox-file-');
      const file = path.join(dir, 'app.conf');
      fs.writeFileSync(file, 'key=value\n');
      fs.chmodSync(file, 0o644);
      const out = okOutput(await sh('cat /etc/app.conf; test -d /etc/app.conf || echo file', { mounts: [{ type: 'bind', source: file, target: '/etc/app.conf' }] }));
      expect(out).toBe('key=value\nfile\n');
    });

    it('an optional bind of a missing path is skipped', async () => {
      const result = await sh('test -e /maybe && echo present || echo absent', { mounts: [{ type: 'bind', source: missingHostPath(), target: '/maybe', optional: true }] });
      expect(okOutput(result)).toBe('absent\n');
    });

    it('a required bind of a missing path rejects with a SetupError naming ENOENT', async () => {
      const source = missingHostPath();
      const error = await rejection(sh('true', { mounts: [{ type: 'bind', source, target: '/needed' }] }));
      expect(error).toBeInstanceOf(SetupError);
      const setup = error as SetupError;
      expect(setup.errno).toBe('ENOENT');
      expect(setup.message).toContain('ENOENT');
      expect(setup.message).toContain('the source does not exist');
      expect(setup.message).toContain(source);
      expect(setup.step).toContain('/needed');
    });
  });

  describe('generated entries and tmpfs', () => {
    it('creates files, directories and symlinks with their content and modes', async () => {
      const mounts: MountSpec[] = [
        { type: 'dir', target: '/opt/app/data', mode: 0o700 },
        { type: 'file', target: '/opt/app/config.txt', content: 'hello\n', mode: 0o640 },
        { type: 'file', target: '/opt/app/bytes.bin', content: new Uint8Array([0, 1, 2, 255]), mode: 0o600 },
        { type: 'file', target: '/opt/app/run.sh', content: '#!/bin/sh\necho ran\n', mode: 0o755 },
        { type: 'symlink', target: '/opt/app/link', linkTo: 'config.txt' },
      ];
      const out = okOutput(await sh(
        'cd /opt/app && stat -c "%n %a %F %u" data config.txt bytes.bin run.sh && readlink link && cat link && od -An -tu1 bytes.bin && ./run.sh',
        { mounts },
      ));
      expect(lines(out).map((line) => line.trim().replace(/\s+/g, ' '))).toEqual([
        'data 700 directory 1000',
        'config.txt 640 regular file 1000',
        'bytes.bin 600 regular file 1000',
        'run.sh 755 regular file 1000',
        'config.txt',
        'hello',
        '0 1 2 255',
        'ran',
      ]);
    });

    it('generated entries are read-only once the root is sealed', async () => {
      expect(await tryWrite(['/opt/f', '/opt/new'], { mounts: [{ type: 'file', target: '/opt/f', content: 'x', mode: 0o666 }] })).toEqual({
        '/opt/f': 'EROFS',
        '/opt/new': 'EROFS',
      });
    });

    it('a tmpfs size limit is enforced (ENOSPC)', async () => {
      const code = `
import errno
def fill(path, n):
    try:
        with open(path, 'wb') as f:
            f.write(b'x' * n)
        return 'OK'
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))
print(fill('/scratch/small', 256 * 1024), fill('/scratch/big', 2 * 1024 * 1024))
`;
      const result = await py(code, { mounts: [{ type: 'tmpfs', target: '/scratch', size: '1M', mode: 0o1777 }] });
      expect(okOutput(result).trim()).toBe('OK ENOSPC');
    });

    it('a tmpfs gets the requested mode', async () => {
      const out = okOutput(await sh('stat -c "%a" /scratch', { mounts: [{ type: 'tmpfs', target: '/scratch', mode: 0o700 }] }));
      expect(out.trim()).toBe('700');
    });
  });
});
