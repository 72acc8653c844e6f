// Networking: 'none' (own namespace, lo down), 'loopback' (own namespace, lo up), 'host'.
// (That the default 'none' reaches nothing of the host is test/security/network.test.ts.)
import fs from 'node:fs';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NetworkMode } from '../src/index.js';
import { hasPython } from './helpers/host.js';
import { lines, okOutput, py } from './helpers/run.js';

const TOKEN = 'nsbox-host-server-token';

// Interface names, and the flags of lo (IFF_UP is bit 0).
const INTERFACES_PY = `
import fcntl, socket, struct
names = sorted(name for _, name in socket.if_nameindex())
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
flags = struct.unpack('16sH', fcntl.ioctl(s, 0x8913, struct.pack('16sH', b'lo', 0)))[1]
print(' '.join(names))
print('up' if flags & 1 else 'down')
`;

// Connects to 127.0.0.1:argv[1] and prints what the server sent, or the errno name.
const CONNECT_PY = `
import errno, socket, sys
s = socket.socket()
s.settimeout(3)
try:
    s.connect(('127.0.0.1', int(sys.argv[1])))
    print('connected', s.recv(100).decode())
except OSError as e:
    print('failed', errno.errorcode.get(e.errno, e.errno) if e.errno else type(e).__name__)
`;

// A server and a client inside one process, over the sandbox's own 127.0.0.1.
const ECHO_PY = `
import errno, socket, threading
try:
    srv = socket.socket()
    srv.bind(('127.0.0.1', 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    def serve():
        conn, _ = srv.accept()
        conn.sendall(conn.recv(100).upper())
        conn.close()
    threading.Thread(target=serve, daemon=True).start()
    c = socket.socket()
    c.settimeout(3)
    c.connect(('127.0.0.1', port))
    c.sendall(b'ping')
    print('echo', c.recv(100).decode())
except OSError as e:
    print('failed', errno.errorcode.get(e.errno, e.errno) if e.errno else type(e).__name__)
`;

function hostInterfaces(): string[] {
  return fs.readdirSync('/sys/class/net').sort();
}

describe.runIf(hasPython)('network', () => {
  let server: net.Server;
  let port: number;

  beforeAll(async () => {
    server = net.createServer((socket) => socket.end(TOKEN));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  async function connectFrom(network: NetworkMode): Promise<string> {
    return okOutput(await py(CONNECT_PY, { network }, [String(port)])).trim();
  }

  it("the host's own server is reachable from the host (the check below is meaningful)", async () => {
    const text = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      let data = '';
      socket.on('data', (chunk) => (data += chunk));
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
    expect(text).toBe(TOKEN);
  });

  describe("'none'", () => {
    it('has only lo, and it is down', async () => {
      const [names, state] = lines(okOutput(await py(INTERFACES_PY, { network: 'none' })));
      expect(names).toBe('lo');
      expect(state).toBe('down');
      expect(okOutput(await py("print(' '.join(l.split(':')[0].strip() for l in open('/proc/net/dev').readlines()[2:]))", { network: 'none' })).trim()).toBe('lo');
    });

    it('cannot even talk to itself over 127.0.0.1', async () => {
      expect(okOutput(await py(ECHO_PY, { network: 'none' })).trim()).toMatch(/^failed /);
    });

    it('is the default', async () => {
      const result = await py(INTERFACES_PY, {});
      expect(lines(okOutput(result))).toEqual(['lo', 'down']);
      expect(result.enforced.network).toBe('none');
      expect(result.enforced.namespaces.net).toBe(true);
    });
  });

  describe("'loopback'", () => {
    it('has only lo, and it is up', async () => {
      expect(lines(okOutput(await py(INTERFACES_PY, { network: 'loopback' })))).toEqual(['lo', 'up']);
    });

    it('a server and a client inside talk over 127.0.0.1', async () => {
      expect(okOutput(await py(ECHO_PY, { network: 'loopback' })).trim()).toBe('echo PING');
    });

    it("cannot reach the host's 127.0.0.1 (a different namespace)", async () => {
      expect(await connectFrom('loopback')).toBe('failed ECONNREFUSED');
    });

    it('report.enforced says so', async () => {
      const result = await py('pass', { network: 'loopback' });
      expect(result.enforced.network).toBe('loopback');
      expect(result.enforced.namespaces.net).toBe(true);
    });
  });

  describe("'host'", () => {
    it("reaches the host's server on 127.0.0.1", async () => {
      expect(await connectFrom('host')).toBe(`connected ${TOKEN}`);
    });

    it("sees the host's interfaces", async () => {
      const [names] = lines(okOutput(await py(INTERFACES_PY, { network: 'host' })));
      expect(names.split(' ')).toEqual(hostInterfaces());
    });

    it('report.enforced says the network namespace is off', async () => {
      const result = await py('pass', { network: 'host' });
      expect(result.enforced.network).toBe('host');
      expect(result.enforced.namespaces.net).toBe(false);
    });
  });
});
