// Leaked host descriptors (runc CVE-2024-21626 "Leaky Vessels": a host directory fd left open across exec gave the
// container the host's filesystem through /proc/self/fd/N; the same class as CVE-2016-9962). The host opens a
// directory and a file WITHOUT O_CLOEXEC, then spawns: the payload starts with exactly 0, 1 and 2, and neither
// the fd numbers, nor /proc/self/fd/N, nor PID 1's /proc/1/fd/N lead to the host's directory.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sandbox } from '../../src/index.js';
import { libc } from '../../src/syscalls/libc.js';
import { isRoot, useTempDirs } from '../helpers/host.js';
import { lines, okOutput, sh } from '../helpers/run.js';
import { type Attacks, attempts, compileAttacks, NO_GCC, titled } from '../helpers/security.js';

const O_RDONLY = 0;
const O_DIRECTORY = 0o200000;
const F_GETFD = 1;
const FD_CLOEXEC = 1;
const tempDir = useTempDirs();

describe('leaked host descriptors', () => {
  let secretDir: string;
  let leaky: number[] = [];
  let fx: Attacks | undefined;

  beforeAll(() => {
    secretDir = tempDir('nsbox-leaked-fds-');
    fs.writeFileSync(path.join(secretDir, 'host-secret-sentinel'), 'secret\n');
    // Plain open(2), no O_CLOEXEC: these survive any exec that does not close them.
    leaky = [libc().open(secretDir, O_RDONLY | O_DIRECTORY, 0), libc().open(path.join(secretDir, 'host-secret-sentinel'), O_RDONLY, 0)];
    if (NO_GCC === null) fx = compileAttacks(['fds']);
  });
  afterAll(() => {
    for (const fd of leaky) libc().close(fd);
    leaky = [];
    fx?.cleanup();
  });

  it('the test really holds inheritable descriptors of a host directory and a host file', () => {
    expect(leaky.map((fd) => fs.readlinkSync(`/proc/self/fd/${fd}`))).toEqual([secretDir, path.join(secretDir, 'host-secret-sentinel')]);
    for (const fd of leaky) expect(libc().fcntl(fd, F_GETFD, 0) & FD_CLOEXEC).toBe(0);
  });

  it.skipIf(NO_GCC !== null)(titled('the payload has only 0, 1 and 2; the leaked numbers, /proc/self/fd/N and /proc/1/fd/N are dead ends', NO_GCC), async () => {
    // A raised descriptor limit must not reveal more either.
    const result = await new Sandbox({ mounts: fx!.mounts, rlimits: { nofile: 4096 } }).run(fx!.inside('fds'), leaky.map(String));
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 'ok', stderr: '' });
    const expected: Record<string, string> = { fds: '0 1 2', 'open-above-2': '0' };
    for (const fd of leaky) {
      Object.assign(expected, { [`fd${fd}-fstat`]: 'EBADF', [`fd${fd}-openat-parent`]: 'EBADF', [`fd${fd}-proc-self`]: 'ENOENT', [`fd${fd}-proc-init`]: 'EACCES' });
    }
    expect(attempts(result.stdout)).toEqual(expected);
  });

  it('no descriptor of the payload points at the host directory or file: only the stdio pipes', async () => {
    // ls, a child of the shell, lists the shell's descriptors ($$); `exit` keeps the shell from exec'ing ls in its place.
    const out = okOutput(await sh('ls -l /proc/$$/fd; exit $?', {}, { stdin: 'pipe', input: '' }));
    const targets = lines(out).filter((line) => line.includes(' -> ')).map((line) => line.slice(line.indexOf(' -> ') + 4));
    expect(targets).toEqual([expect.stringMatching(/^pipe:\[\d+\]$/), expect.stringMatching(/^pipe:\[\d+\]$/), expect.stringMatching(/^pipe:\[\d+\]$/)]);
  });

  // Reading another process's /proc/PID/fd needs host root (PID 1 is not dumpable).
  it.runIf(isRoot())('the init (PID 1) holds nothing of the host either', async () => {
    const child = new Sandbox({}).spawn('/bin/sleep', ['30']);
    try {
      await new Promise<void>((resolve) => child.once('spawn', resolve));
      const fdDir = `/proc/${child.pid}/fd`;
      const targets = fs.readdirSync(fdDir).map((fd) => fs.readlinkSync(`${fdDir}/${fd}`));
      expect(targets.filter((target) => target.startsWith(secretDir))).toEqual([]);
      // stdio, the status pipe, and nothing else of note
      expect(targets.length).toBeLessThanOrEqual(6);
    } finally {
      child.kill('SIGKILL');
      await child.report;
    }
  });
});
