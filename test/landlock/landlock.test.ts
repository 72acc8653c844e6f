// Landlock in real sandboxes, on the running kernel: it blocks a write the mounts alone would allow, scopes
// abstract unix sockets and signals to the sandbox (ABI 6), and restricts TCP bind and connect to listed ports
// (ABI 4). Each case runs with and without the Landlock setting, so the denial is Landlock's own.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { landlockAbi } from '../../src/landlock/index.js';
import { type Policy, Sandbox } from '../../src/index.js';
import { hasPython, isRoot, useTempDirs, waitFor } from '../helpers/host.js';
import { lines, py } from '../helpers/run.js';

const ABI = landlockAbi();

/** A describe/it title that carries its skip reason, so the reporter shows it. */
function needs(title: string, minAbi: number, what: string): string {
  if (!hasPython) return `${title} [skipped: /usr/bin/python3 is missing]`;
  if (ABI >= minAbi) return title;
  return `${title} [skipped: ${what} needs Landlock ABI ${minAbi}; this kernel has ${ABI}]`;
}

/** Python: for each argv path, "PATH OP RESULT" for reading it, overwriting it, and creating PATH.new. */
const TRY_FILES_PY = `
import errno, sys
def attempt(label, fn):
    try:
        fn(); print(label, 'OK')
    except OSError as e:
        print(label, errno.errorcode.get(e.errno, e.errno))
def read(p):
    with open(p) as f: f.read()
def overwrite(p):
    with open(p, 'r+') as f: f.write('y')
def create(p):
    with open(p, 'w') as f: f.write('x')
for p in sys.argv[1:]:
    attempt(p + ' read', lambda: read(p))
    attempt(p + ' overwrite', lambda: overwrite(p))
    attempt(p + '.new create', lambda: create(p + '.new'))
`;

describe.skipIf(!hasPython || ABI < 1)(needs('Landlock over a read-write bind', 1, 'Landlock'), () => {
  const tempDir = useTempDirs();

  /** A host dir bound read-write at /work, with one world-writable file in it. */
  function workDir(): string {
    const dir = tempDir('nsbox-landlock-');
    fs.writeFileSync(path.join(dir, 'existing'), 'x');
    fs.chmodSync(path.join(dir, 'existing'), 0o666);
    return dir;
  }
  const bindWork = (dir: string): Policy['mounts'] => [{ type: 'bind', source: dir, target: '/work', readOnly: false }];

  it("readOnly: ['/work'] makes writes there fail with EACCES while reading works; /tmp stays writable", async () => {
    const dir = workDir();
    const r = await py(TRY_FILES_PY, { mounts: bindWork(dir), landlock: { fromMounts: true, readOnly: ['/work'] } }, ['/work/existing', '/tmp/scratch']);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 'ok', stderr: '' });
    expect(lines(r.stdout)).toEqual([
      '/work/existing read OK',
      '/work/existing overwrite EACCES',
      '/work/existing.new create EACCES',
      '/tmp/scratch read ENOENT',
      '/tmp/scratch overwrite ENOENT',
      '/tmp/scratch.new create OK',
    ]);
    expect(fs.readdirSync(dir)).toEqual(['existing']);
    expect(fs.readFileSync(path.join(dir, 'existing'), 'utf8')).toBe('x');
    expect(r.enforced.landlock).toMatchObject({ abi: ABI });
    expect(r.enforced.landlock && r.enforced.landlock.abi).toBe(landlockAbi());
  });

  it('the same mounts without readOnly (rules from the mounts), and with landlock: false: the writes go through', async () => {
    for (const landlock of [{ fromMounts: true }, false] as const) {
      const dir = workDir();
      const r = await py(TRY_FILES_PY, { mounts: bindWork(dir), landlock }, ['/work/existing']);
      expect({ landlock, status: r.status, stderr: r.stderr, out: lines(r.stdout) }).toEqual({
        landlock,
        status: 'ok',
        stderr: '',
        out: ['/work/existing read OK', '/work/existing overwrite OK', '/work/existing.new create OK'],
      });
      expect(fs.readdirSync(dir).sort()).toEqual(['existing', 'existing.new']);
      expect(r.enforced.landlock).toEqual(landlock === false ? false : expect.objectContaining({ abi: ABI }));
    }
  });
});

describe.skipIf(!hasPython || ABI < 6)(needs('Landlock scopes', 6, 'scoping'), () => {
  /**
   * Python: connect to the abstract socket named by argv[1] (without its leading NUL) and print "ok DATA" or the
   * errno. Node 20 binds an abstract name padded with NULs to the whole sun_path (107 bytes after the first NUL), so
   * that name is tried first, then the bare one; ECONNREFUSED (no such socket) from the first gives way to the second.
   */
  const CONNECT_PY = `
import errno, socket, sys
name = sys.argv[1]
result = None
for address in ('\\0' + name.ljust(107, '\\0'), '\\0' + name):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(address)
        result = 'ok ' + s.recv(16).decode()
        break
    except OSError as e:
        result = errno.errorcode.get(e.errno, e.errno)
        if e.errno != errno.ECONNREFUSED:
            break
print(result)
`;
  /** Python: an abstract server and client both inside the sandbox. */
  const OWN_SOCKET_PY = `
import socket, threading
name = '\\0nsbox-inside-socket'
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(name); server.listen(1)
def serve():
    conn, _ = server.accept(); conn.sendall(b'mine'); conn.close()
t = threading.Thread(target=serve); t.start()
c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); c.connect(name)
print('ok', c.recv(16).decode()); t.join()
`;

  let server: net.Server | undefined;
  afterAll(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  it("abstract unix sockets: a host listener is reachable with landlock: false, refused with EPERM under the default profile's scope; the sandbox's own abstract socket works", async () => {
    const name = `nsbox-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    server = net.createServer((socket) => socket.end('host'));
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen({ path: `\0${name}` }, resolve);
    });
    // Abstract sockets belong to the network namespace: network 'host' shares the host's.
    const open = await py(CONNECT_PY, { network: 'host', landlock: false }, [name]);
    expect({ status: open.status, stdout: open.stdout, stderr: open.stderr }).toEqual({ status: 'ok', stdout: 'ok host\n', stderr: '' });
    expect(open.enforced.landlock).toBe(false);

    const scoped = await py(CONNECT_PY, { network: 'host' }, [name]);
    expect({ status: scoped.status, stdout: scoped.stdout, stderr: scoped.stderr }).toEqual({ status: 'ok', stdout: 'EPERM\n', stderr: '' });
    expect(scoped.enforced.landlock).toEqual({ abi: ABI, paths: expect.any(Number), ports: 0, scoped: true });

    const own = await py(OWN_SOCKET_PY, { network: 'host' });
    expect({ status: own.status, stdout: own.stdout, stderr: own.stderr }).toEqual({ status: 'ok', stdout: 'ok mine\n', stderr: '' });
  });

  it('signals: without a PID namespace (where a host process of the same host uid is reachable by pid), scope.signals keeps the payload from signalling it', async () => {
    // The PID namespace hides host processes; with namespaces.pid false only the uid check remains, and the
    // sandbox's host uid (65534 as root, the caller's own rootless) owns the victim, so kill() would be allowed.
    const KILL_PY = `
import errno, os, signal, sys
for sig in (0, signal.SIGKILL):
    try:
        os.kill(int(sys.argv[1]), sig); print(int(sig), 'ok')
    except OSError as e:
        print(int(sig), errno.errorcode.get(e.errno, e.errno))
`;
    const startVictim = (): ChildProcess =>
      spawn('/bin/sleep', ['60'], { stdio: 'ignore', ...(isRoot() ? { uid: 65534, gid: 65534 } : {}) });
    const alive = (victim: ChildProcess) => victim.exitCode === null && victim.signalCode === null;
    const victims: ChildProcess[] = [];
    try {
      const scopedVictim = startVictim();
      victims.push(scopedVictim);
      const scoped = await py(KILL_PY, { namespaces: { pid: false } }, [String(scopedVictim.pid)]);
      expect({ status: scoped.status, stdout: scoped.stdout, stderr: scoped.stderr }).toEqual({ status: 'ok', stdout: '0 EPERM\n9 EPERM\n', stderr: '' });
      expect(scoped.enforced.namespaces.pid).toBe(false);
      expect(scoped.enforced.landlock).toMatchObject({ scoped: true });
      expect(alive(scopedVictim)).toBe(true);

      const openVictim = startVictim();
      victims.push(openVictim);
      const open = await py(KILL_PY, { namespaces: { pid: false }, landlock: false }, [String(openVictim.pid)]);
      expect({ status: open.status, stdout: open.stdout, stderr: open.stderr }).toEqual({ status: 'ok', stdout: '0 ok\n9 ok\n', stderr: '' });
      expect(await waitFor(() => openVictim.signalCode === 'SIGKILL', 2000)).toBe(true);
    } finally {
      for (const victim of victims) victim.kill('SIGKILL');
    }
  });
});

describe.skipIf(!hasPython || ABI < 4)(needs('Landlock TCP port rules', 4, 'TCP port rules'), () => {
  /** Python: bind TCP 8080 and 8081 and UDP 8081, listen on 8080, connect to it; one line each. */
  const PORTS_PY = `
import errno, socket
def attempt(label, fn):
    try:
        fn(); print(label, 'ok')
    except OSError as e:
        print(label, errno.errorcode.get(e.errno, e.errno))
s8080 = socket.socket(); s8081 = socket.socket(); u8081 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
attempt('bind 8080', lambda: s8080.bind(('127.0.0.1', 8080)))
attempt('bind 8081', lambda: s8081.bind(('127.0.0.1', 8081)))
attempt('udp bind 8081', lambda: u8081.bind(('127.0.0.1', 8081)))
s8080.listen(1)
attempt('connect 8080', lambda: socket.create_connection(('127.0.0.1', 8080), timeout=5))
`;

  it("network 'loopback' + net: { bind: [8080] }: binding 8080 works, 8081 fails with EACCES, UDP is not restricted, and connect (not listed) is denied", async () => {
    const r = await py(PORTS_PY, { network: 'loopback', landlock: { net: { bind: [8080] } } });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 'ok', stderr: '' });
    expect(lines(r.stdout)).toEqual(['bind 8080 ok', 'bind 8081 EACCES', 'udp bind 8081 ok', 'connect 8080 EACCES']);
    expect(r.enforced.landlock).toEqual({ abi: landlockAbi(), paths: expect.any(Number), ports: 1, scoped: false });
    expect(r.enforced.network).toBe('loopback');
  });

  it('net: { bind: [8080], connect: [8080] } allows the connection; without the net setting every port binds', async () => {
    const both = await py(PORTS_PY, { network: 'loopback', landlock: { net: { bind: [8080], connect: [8080] } } });
    expect(lines(both.stdout)).toEqual(['bind 8080 ok', 'bind 8081 EACCES', 'udp bind 8081 ok', 'connect 8080 ok']);
    expect(both.enforced.landlock).toMatchObject({ ports: 1 });
    const free = await py(PORTS_PY, { network: 'loopback', landlock: {} });
    expect(lines(free.stdout)).toEqual(['bind 8080 ok', 'bind 8081 ok', 'udp bind 8081 ok', 'connect 8080 ok']);
    expect(free.enforced.landlock).toMatchObject({ abi: ABI, ports: 0 });
  });
});
