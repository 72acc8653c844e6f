// The init the host runs must be out of the payload's reach: not writable, not traceable,
// and the payload's terminal must not be the host's controlling terminal.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Sandbox } from '../src/index.js';
import { bundleSource } from './helpers/bundle.js';
import { hasPython, PYTHON } from './helpers/host.js';
import { okOutput, sh } from './helpers/run.js';

describe('PID 1 (the init)', () => {
  it('is not dumpable: the payload cannot read its environment, fds or memory, nor write its exe', async () => {
    const script = [
      'cat /proc/1/environ >/dev/null 2>&1 && echo environ-readable || echo environ-denied',
      'ls /proc/1/fd >/dev/null 2>&1 && echo fd-readable || echo fd-denied',
      'head -c1 /proc/1/mem >/dev/null 2>&1 && echo mem-readable || echo mem-denied',
      '(echo x > /proc/1/exe) 2>/dev/null && echo exe-writable || echo exe-denied',
      'ls /proc/$$/fd >/dev/null 2>&1 && echo own-fd-readable',
    ].join('; ');
    expect(okOutput(await sh(script))).toBe('environ-denied\nfd-denied\nmem-denied\nexe-denied\nown-fd-readable\n');
  });

  // Reading /proc/PID/exe of a non-dumpable process needs root on the host.
  it.runIf(process.geteuid!() === 0)('runs from a sealed memfd, never from a path on disk (the runc CVE-2019-5736 class)', async () => {
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
    const { libc } = await import('../src/syscalls/libc.js');
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

// TIOCSTI pushes characters into a terminal's input queue, as if typed there. Only possible on
// one's controlling terminal, so the payload's setsid() must leave it without one.
describe.runIf(hasPython && fs.existsSync('/usr/bin/script'))('the host terminal', () => {
  const probe = 'import fcntl, termios, os\ntry:\n fcntl.ioctl(0, termios.TIOCSTI, b" ")\n print("injected")\nexcept OSError as e:\n print(os.strerror(e.errno))';

  it('cannot be written into with TIOCSTI, although an unsandboxed process could', () => {
    const bundle = bundleSource();
    try {
      const host = `import { Sandbox } from '${bundle.file}'; const c = new Sandbox().spawn('${PYTHON}', ['-c', ${JSON.stringify(probe)}], { stdin: 'inherit', stdout: 'inherit' }); await c.report;`;
      fs.writeFileSync(`${bundle.file}.host.mjs`, host);
      const inTerminal = (command: string) =>
        execFileSync('script', ['-qec', command, '/dev/null'], { env: bundle.env, encoding: 'utf8', timeout: 20_000 });
      // Kernels >= 6.2 may turn TIOCSTI off for everyone (dev.tty.legacy_tiocsti=0, then EIO); the control says which.
      const legacy = '/proc/sys/dev/tty/legacy_tiocsti';
      const legacyAllowed = !fs.existsSync(legacy) || fs.readFileSync(legacy, 'utf8').trim() === '1';
      if (legacyAllowed) expect(inTerminal(`${PYTHON} -c '${probe}'`)).toContain('injected');
      expect(inTerminal(`${process.execPath} ${bundle.file}.host.mjs`)).toMatch(/Operation not permitted|Input\/output error/);
    } finally {
      bundle.cleanup();
    }
  });
});
