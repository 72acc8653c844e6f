// The `nsbox` command end to end: dist/cli.js run as a real process, as root or as an unprivileged user.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = path.join(ROOT, 'dist', 'cli.js');
const TIMEOUT_MS = 30_000;
const IP = ['/usr/sbin/ip', '/usr/bin/ip', '/sbin/ip', '/bin/ip'].find((p) => fs.existsSync(p));

interface Outcome {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function nsbox(args: string[], env: Record<string, string> = {}): Outcome {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    timeout: TIMEOUT_MS,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (result.error) throw result.error;
  return { status: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
}

const tempDirs: string[] = [];

/** A host directory the sandbox user can use: as root, the inside user is host uid 65534, so it must be open to others. */
function tempDir(mode: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsbox-cli-'));
  fs.chmodSync(dir, mode);
  tempDirs.push(dir);
  return dir;
}

beforeAll(() => {
  if (fs.existsSync(CLI)) return;
  const build = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'tsup'), { cwd: ROOT, stdio: 'inherit', timeout: 120_000 });
  if (build.status !== 0) throw new Error('tsup failed to build dist/cli.js');
}, 130_000);

afterAll(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe('nsbox run', { timeout: TIMEOUT_MS }, () => {
  it('runs a command with the terminal stdio and exits 0', () => {
    const out = nsbox(['run', '--', '/bin/echo', 'hi']);
    expect(out.stderr).toBe('');
    expect(out.stdout).toBe('hi\n');
    expect(out.status).toBe(0);
  });

  it("passes the command's exit code through", () => {
    expect(nsbox(['run', '--', 'sh', '-c', 'exit 7']).status).toBe(7);
  });

  it('exits 128+N when the command is killed by signal N', () => {
    expect(nsbox(['run', '--', 'sh', '-c', 'kill -TERM $$']).status).toBe(128 + os.constants.signals.SIGTERM);
  });

  it('forwards SIGTERM sent to nsbox to the command', async () => {
    const child = spawn(process.execPath, [CLI, 'run', '--', 'sh', '-c', 'echo ready; exec sleep 30'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Only once the payload speaks is nsbox surely listening for the signal.
    await new Promise<void>((resolve) => child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve()));
    child.kill('SIGTERM');
    expect(await exited).toBe(128 + os.constants.signals.SIGTERM);
  });

  it('writes the run report to --report-file as JSON', () => {
    const file = path.join(tempDir(0o777), 'report.json');
    const out = nsbox(['run', '--report-file', file, '--', 'sh', '-c', 'exit 3']);
    expect(out.status).toBe(3);
    const report = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(report.status).toBe('runtime-error');
    expect(report.exitCode).toBe(3);
    expect(typeof report.wallTimeMs).toBe('number');
    expect(report.enforced).toMatchObject({ noNewPrivs: true, namespaces: { user: true } });
  });

  it('prints the report as JSON to stderr with --json', () => {
    const out = nsbox(['run', '--json', '--', 'true']);
    expect(out.status).toBe(0);
    expect(JSON.parse(out.stderr)).toMatchObject({ status: 'ok', exitCode: 0 });
  });

  it('--ro-bind makes a host directory readable but not writable', () => {
    const dir = tempDir(0o755);
    fs.writeFileSync(path.join(dir, 'note.txt'), 'from the host\n', { mode: 0o644 });
    const out = nsbox(['run', '--ro-bind', `${dir}:/data`, '--', 'sh', '-c', 'cat /data/note.txt; if touch /data/new 2>/dev/null; then echo writable; else echo read-only; fi']);
    expect(out.status).toBe(0);
    expect(out.stdout).toBe('from the host\nread-only\n');
    expect(fs.existsSync(path.join(dir, 'new'))).toBe(false);
  });

  it('--bind makes a host directory writable, and writes show on the host', () => {
    const dir = tempDir(0o777);
    const out = nsbox(['run', '--bind', `${dir}:/data`, '--', 'sh', '-c', 'echo from the sandbox > /data/out.txt']);
    expect(out.stderr).toBe('');
    expect(out.status).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'out.txt'), 'utf8')).toBe('from the sandbox\n');
  });

  it('--tmpfs DST:SIZE limits the tmpfs size', () => {
    const out = nsbox(['run', '--tmpfs', '/scratch:1M', '--', 'dd', 'if=/dev/zero', 'of=/scratch/fill', 'bs=1M', 'count=2']);
    expect(out.status).not.toBe(0);
    expect(out.stderr).toMatch(/No space left on device/);
  });

  it('--env sets variables and nothing leaks from the host environment', () => {
    const out = nsbox(['run', '--env', 'A=B', '--', 'sh', '-c', 'echo "A=$A"; env'], { FOO_SECRET: '1' });
    expect(out.status).toBe(0);
    expect(out.stdout).toMatch(/^A=B$/m);
    expect(out.stdout).not.toContain('FOO_SECRET');
  });

  it('--net loopback gives the sandbox its own network with only lo, up', () => {
    if (IP) {
      const out = nsbox(['run', '--net', 'loopback', '--', IP, '-o', 'link']);
      expect(out.status).toBe(0);
      const links = out.stdout.trim().split('\n');
      expect(links).toHaveLength(1);
      expect(links[0]).toMatch(/^\d+: lo: <[^>]*\bUP\b/);
    } else {
      const out = nsbox(['run', '--net', 'loopback', '--', 'cat', '/proc/net/dev']);
      expect(out.status).toBe(0);
      const interfaces = out.stdout.split('\n').slice(2).filter(Boolean).map((line) => line.split(':')[0].trim());
      expect(interfaces).toEqual(['lo']);
    }
  });

  it.skipIf(!IP)('--net none leaves lo down', () => {
    const out = nsbox(['run', '--net', 'none', '--', IP!, '-o', 'link']);
    expect(out.status).toBe(0);
    expect(out.stdout).toMatch(/^\d+: lo: <LOOPBACK>/);
  });

  it('--hostname sets the hostname inside', () => {
    const command = fs.existsSync('/usr/bin/hostname') || fs.existsSync('/bin/hostname') ? ['hostname'] : ['cat', '/proc/sys/kernel/hostname'];
    const out = nsbox(['run', '--hostname', 'box', '--', ...command]);
    expect(out.status).toBe(0);
    expect(out.stdout).toBe('box\n');
  });

  it('exits 127 and says so when the command is not found', () => {
    const out = nsbox(['run', '--', 'nsbox-no-such-command']);
    expect(out.status).toBe(127);
    expect(out.stderr).toMatch(/^nsbox: .*not found/);
  });

  it('exits 125 with the flag named when the policy rejects a value', () => {
    const out = nsbox(['run', '--uid', '70000', '--', 'true']);
    expect(out.status).toBe(125);
    expect(out.stderr).toMatch(/^nsbox: --uid: /);
  });

  it('exits 2 with a one-line error naming a bad flag and the fix', () => {
    const out = nsbox(['run', '--bogus', '--', 'true']);
    expect(out.status).toBe(2);
    expect(out.stderr).toMatch(/^nsbox: --bogus: unknown flag\. Fix: .+\n$/);
  });

  it('exits 2 for a bad flag value, suggesting the right one', () => {
    const out = nsbox(['run', '--net', 'loopbak', '--', 'true']);
    expect(out.status).toBe(2);
    expect(out.stderr).toContain('did you mean --net loopback?');
  });
});

describe('nsbox doctor, help and --version', { timeout: TIMEOUT_MS }, () => {
  it('doctor --json reports the host, with a user-namespace item', () => {
    const out = nsbox(['doctor', '--json']);
    const report = JSON.parse(out.stdout);
    const ids = report.items.map((item: { id: string }) => item.id);
    expect(ids).toContain('user-namespaces');
    for (const item of report.items) expect(item).toMatchObject({ name: expect.any(String), ok: expect.any(Boolean), detail: expect.any(String) });
    expect(out.status).toBe(report.summary.canRunSandbox ? 0 : 1);
  });

  it('doctor prints a table', () => {
    const out = nsbox(['doctor']);
    expect(out.stdout).toMatch(/[✓✗] user namespaces/);
  });

  it('--version prints the package version', () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    const out = nsbox(['--version']);
    expect(out.status).toBe(0);
    expect(out.stdout).toBe(`nsbox ${version}\n`);
  });

  it('help lists the commands; no arguments is a usage error', () => {
    expect(nsbox(['help']).stdout).toContain('nsbox run [flags] -- COMMAND');
    expect(nsbox(['run', '--help']).stdout).toContain('--ro-bind SRC[:DST]');
    expect(nsbox([]).status).toBe(2);
  });
});
