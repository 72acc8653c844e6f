// A full filesystem inside the sandbox: the payload sees ENOSPC on its tmpfs and the run reports as usual (with the
// payload's own exit code). A tmpfs size of 0 is refused: the kernel would read it as no limit at all.
import { describe, expect, it } from 'vitest';
import { PolicyError, Sandbox } from '../../src/index.js';
import { hasPython, PYTHON } from '../helpers/host.js';

// Writes 64 KiB chunks until the filesystem refuses, then exits 7 with the errno and the bytes written.
const FILL_PY = `
import errno, sys
n = 0
try:
    with open('/scratch/fill', 'wb') as f:
        while True:
            f.write(b'x' * 65536); f.flush(); n += 65536
except OSError as e:
    print(errno.errorcode[e.errno], n); sys.exit(7)
`;

describe('ENOSPC on a tmpfs', () => {
  it.skipIf(!hasPython)('a 1M tmpfs: the payload gets ENOSPC at 1 MiB, and the run reports its exit normally', async () => {
    const result = await new Sandbox({ mounts: [{ type: 'tmpfs', target: '/scratch', size: '1M' }] }).run(PYTHON, ['-c', FILL_PY]);
    expect({ status: result.status, exitCode: result.exitCode, stderr: result.stderr }).toEqual({ status: 'runtime-error', exitCode: 7, stderr: '' });
    const [errno, bytes] = result.stdout.trim().split(' ');
    expect(errno).toBe('ENOSPC');
    expect(Number(bytes)).toBeLessThanOrEqual(1 << 20);
    expect(Number(bytes)).toBeGreaterThan(900 * 1024);
  });

  it("size 0 is refused with a PolicyError naming the field (the kernel would give half of RAM)", () => {
    for (const size of [0, '0', '0M']) {
      expect(() => new Sandbox({ mounts: [{ type: 'tmpfs', target: '/scratch', size }] })).toThrow(PolicyError);
      expect(() => new Sandbox({ mounts: [{ type: 'tmpfs', target: '/scratch', size }] })).toThrow(/^policy\.mounts\[0\]\.size: /);
    }
  });
});
