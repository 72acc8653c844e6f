// File descriptors: the payload starts with exactly 0, 1 and 2, whatever the host has open.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sandbox } from '../src/index.js';
import { libc } from '../src/syscalls/libc.js';
import { isRoot, PYTHON, useTempDirs } from './helpers/host.js';
import { lines, okOutput, sh } from './helpers/run.js';

const O_RDONLY = 0;
const F_GETFD = 1;
const FD_CLOEXEC = 1;
const tempDir = useTempDirs();

// ls (a child of the shell) lists the shell's descriptors ($$), not its own. The trailing
// `exit` keeps the shell from exec'ing ls in its place. (The shell cannot list them itself:
// its opendir would add a descriptor.)
const LIST_SHELL_FDS = 'ls /proc/$$/fd; exit $?';
const LIST_SHELL_FD_TARGETS = 'ls -l /proc/$$/fd; exit $?';

describe('file descriptors', () => {
  let sentinel: string;
  let leakyFds: number[] = [];

  beforeAll(() => {
    sentinel = path.join(tempDir('nsbox-fds-'), 'host-secret-sentinel');
    fs.writeFileSync(sentinel, 'secret\n');
    // Plain open(2) without O_CLOEXEC: these would survive any exec that does not close them.
    for (let i = 0; i < 3; i++) leakyFds.push(libc().open(sentinel, O_RDONLY, 0));
  });

  afterAll(() => {
    for (const fd of leakyFds) libc().close(fd);
    leakyFds = [];
  });

  it('the test really holds inheritable descriptors', () => {
    for (const fd of leakyFds) {
      expect(fd).toBeGreaterThanOrEqual(0);
      expect(libc().fcntl(fd, F_GETFD, 0) & FD_CLOEXEC).toBe(0);
      expect(fs.readlinkSync(`/proc/self/fd/${fd}`)).toBe(sentinel);
    }
  });

  it('the payload has only 0, 1 and 2', async () => {
    expect(lines(okOutput(await sh(LIST_SHELL_FDS))).sort()).toEqual(['0', '1', '2']);
  });

  it("no descriptor of the payload points at the host's inheritable file", async () => {
    const out = okOutput(await sh(LIST_SHELL_FD_TARGETS, {}, { stdin: 'pipe', input: '' }));
    const targets = lines(out)
      .filter((line) => line.includes(' -> '))
      .map((line) => line.slice(line.lastIndexOf(' ', line.indexOf(' -> ') - 1) + 1).replace(' -> ', ' '));
    expect(targets.map((line) => line.split(' ')[0]).sort()).toEqual(['0', '1', '2']);
    expect(out).not.toContain('sentinel');
    // stdin piped from the host, stdout and stderr piped back
    for (const line of targets) expect(line).toMatch(/^\d pipe:\[\d+\]$/);
  });

  it("stdio 'ignore' is /dev/null", async () => {
    // python3 as the payload reports its own fds 0 and 1 on stderr (a shell redirection would move them).
    const code = "import os, sys; sys.stderr.write(os.readlink('/proc/self/fd/0') + '\\n' + os.readlink('/proc/self/fd/1') + '\\n')";
    const child = new Sandbox({}).spawn(PYTHON, ['-c', code], { stdin: 'ignore', stdout: 'ignore', stderr: 'pipe' });
    expect(child.stdin).toBeNull();
    expect(child.stdout).toBeNull();
    let err = '';
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk));
    const report = await child.report;
    expect(report.status).toBe('ok');
    expect(err).toBe('/dev/null\n/dev/null\n');
  });

  it('a raised descriptor limit does not reveal more descriptors', async () => {
    const out = okOutput(await sh(LIST_SHELL_FDS, { rlimits: { nofile: 4096 } }));
    expect(lines(out).sort()).toEqual(['0', '1', '2']);
  });

  it.runIf(isRoot())('the init (PID 1) holds nothing of the host either', async () => {
    const child = new Sandbox({}).spawn('/bin/sleep', ['30']);
    try {
      await new Promise<void>((resolve) => child.once('spawn', resolve));
      const fdDir = `/proc/${child.pid}/fd`;
      const targets = fs.readdirSync(fdDir).map((fd) => fs.readlinkSync(`${fdDir}/${fd}`));
      expect(targets.filter((target) => target.includes('sentinel'))).toEqual([]);
      // stdio, the status pipe, and nothing else of note
      expect(targets.length).toBeLessThanOrEqual(6);
    } finally {
      child.kill('SIGKILL');
      await child.report;
    }
  });
});
