// Symlinks planted where a later run's mounts go (runc CVE-2025-31133 and CVE-2019-19921/CVE-2021-30465, where a
// container swapped a mount target for a symlink and the runtime mounted onto the host; bubblewrap CVE-2026-87766).
// A first run, the attacker, plants links to host dirs and a FIFO in a writable bind; a later run of the same
// policy adds mounts and entries below those names: each is refused (ELOOP, or ENXIO for the FIFO) and nothing lands
// on the host. Then an attacker flips a target between a directory and a link while other runs are set up.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type MountSpec, Sandbox, SetupError } from '../../src/index.js';
import { hasPython, PYTHON, useTempDirs } from '../helpers/host.js';
import { okOutput, rejection, sh } from '../helpers/run.js';

const tempDir = useTempDirs();

/** A host dir bound read-write at /work, in which a first sandboxed run planted links out of the sandbox and a FIFO. */
async function trap() {
  const outside = tempDir('nsbox-outside-'); // writable by the sandbox user, but never bound
  const bound = tempDir('nsbox-trap-');
  const bind: MountSpec = { type: 'bind', source: bound, target: '/work', readOnly: false };
  okOutput(await sh(`ln -s /etc /work/evil && ln -s ${outside} /work/evil2 && ln -s ${outside}/planted /work/evilfile && mkfifo /work/fifo`, { mounts: [bind] }));
  return { outside, bound, bind };
}

/** Setup either refuses with `errno`, or builds the mount beneath the new root; either way it must not reach the host. */
async function attempt(mounts: MountSpec[], errnos = ['ELOOP']): Promise<'refused' | 'ran'> {
  try {
    const result = await sh('true', { mounts });
    expect(result.status).toBe('ok');
    return 'ran';
  } catch (error) {
    expect(error).toBeInstanceOf(SetupError);
    expect(errnos).toContain((error as SetupError).errno);
    return 'refused';
  }
}

describe('symlinks planted at bind targets', () => {
  it('a tmpfs at /work/evil/x (evil -> /etc) does not touch the host /etc', async () => {
    const { bind } = await trap();
    const before = fs.readdirSync('/etc');
    expect(await attempt([bind, { type: 'tmpfs', target: '/work/evil/x' }])).toBe('refused');
    expect(fs.readdirSync('/etc')).toEqual(before);
  });

  it('mounts, directories, files and links through a link to a writable host dir never land there; a FIFO does not hang the setup', async () => {
    const { bind, outside, bound } = await trap();
    const outcomes = [
      await attempt([bind, { type: 'tmpfs', target: '/work/evil2/x' }]),
      await attempt([bind, { type: 'dir', target: '/work/evil2/newdir' }]),
      await attempt([bind, { type: 'file', target: '/work/evil2/f', content: 'pwned\n' }]),
      await attempt([bind, { type: 'file', target: '/work/evilfile', content: 'pwned\n' }]),
      await attempt([bind, { type: 'symlink', target: '/work/evil2/l', linkTo: '/' }]),
      await attempt([bind, { type: 'bind', source: '/usr/bin', target: '/work/evil2/b' }]),
      // Opened O_NONBLOCK | O_NOFOLLOW and checked with fstat: ENXIO with no reader, never a hang.
      await attempt([bind, { type: 'file', target: '/work/fifo', content: 'pwned\n' }], ['ENXIO']),
    ];
    expect(fs.readdirSync(outside)).toEqual([]);
    expect(fs.readdirSync(bound).sort()).toEqual(['evil', 'evil2', 'evilfile', 'fifo']);
    expect(outcomes).toEqual(Array(outcomes.length).fill('refused'));
  });

  it('the refusal explains that targets never go through symlinks', async () => {
    const { bind } = await trap();
    const error = await rejection(sh('true', { mounts: [bind, { type: 'tmpfs', target: '/work/evil/x' }] }));
    expect(error).toBeInstanceOf(SetupError);
    expect(error.message).toContain('ELOOP');
    expect(error.message).toContain('/work/evil/x');
  });

  // renameat2(RENAME_EXCHANGE) swaps /work/flip (a directory) and /work/link (a link to the host dir) atomically, in a loop.
  const FLIP_PY = `
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
os.mkdir('/work/flip'); os.symlink(sys.argv[1], '/work/link')
print('flipping', flush=True)
while libc.renameat2(-100, b'/work/flip', -100, b'/work/link', 2) == 0:
    pass
print('renameat2 failed', ctypes.get_errno(), flush=True)
`;

  it.skipIf(!hasPython)(`a run that flips a target between a directory and a link while 30 others are set up never gets one onto the host${hasPython ? '' : ' [skipped: /usr/bin/python3 is missing]'}`, async () => {
    const outside = tempDir('nsbox-outside-');
    const bound = tempDir('nsbox-flip-');
    const bind: MountSpec = { type: 'bind', source: bound, target: '/work', readOnly: false };
    const flipper = new Sandbox({ mounts: [bind] }).spawn(PYTHON, ['-c', FLIP_PY, outside]);
    let flipped = '';
    await new Promise<void>((resolve) => flipper.stdout!.on('data', (chunk: Buffer) => {
      flipped += chunk;
      if (flipped.includes('flipping')) resolve();
    }));
    const outcomes = { refused: 0, ran: 0 };
    for (let i = 0; i < 30; i++) {
      const mounts: MountSpec[] = [bind, { type: 'tmpfs', target: `/work/flip/t${i}` }, { type: 'dir', target: `/work/flip/d${i}` }];
      // ENOENT too: a lookup that meets the rename in flight on a tmpfs can miss the name altogether.
      outcomes[await attempt(mounts, ['ELOOP', 'ENOENT'])]++;
    }
    flipper.kill('SIGKILL');
    const report = await flipper.report;
    // Still flipping when stopped: it did not give up early.
    expect({ signal: report.signal, flipped }).toEqual({ signal: 'SIGKILL', flipped: 'flipping\n' });
    console.log(`flip race: ${JSON.stringify(outcomes)}`);
    expect(fs.readdirSync(outside)).toEqual([]);
    // The race was real: some setups met the link (refused) and, usually, some the directory.
    expect(outcomes.refused).toBeGreaterThan(0);
  });
});
