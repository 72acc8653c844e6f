// The network: reaching the outside (exfiltration, attacks on the LAN or the cloud metadata service) and the host's
// own loopback services (databases, admin APIs and agents that trust 127.0.0.1, the class of Docker's exposed
// daemon socket and Kubernetes' CVE-2020-8558 route_localnet bug), and the host's abstract unix sockets (X11,
// D-Bus, containerd's shim sockets in CVE-2020-15257, which are not files and so ignore the mount namespace).
// Under the default profile the payload has its own network namespace: no route anywhere, and neither a TCP
// listener the test opens on the host's 127.0.0.1 nor an abstract socket the test listens on is reachable.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasPython } from '../helpers/host.js';
import { okOutput, py } from '../helpers/run.js';

// Each argv address (HOST:PORT, or @NAME for an abstract unix socket): "ADDRESS connected" or "ADDRESS ERRNO".
const CONNECT_PY = `
import errno, socket, sys
for address in sys.argv[1:]:
    if address.startswith('@'):
        s, target = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM), '\\0' + address[1:]
    else:
        host, port = address.rsplit(':', 1)
        s, target = socket.socket(), (host, int(port))
    s.settimeout(3)
    try:
        s.connect(target)
        print(address, 'connected')
    except OSError as e:
        print(address, errno.errorcode.get(e.errno, e.errno) if e.errno else type(e).__name__)
`;

describe.skipIf(!hasPython)(hasPython ? 'the network' : 'the network [skipped: /usr/bin/python3 is missing]', () => {
  let tcp: net.Server;
  let unix: net.Server;
  let port: number;
  const abstractName = `nsbox-security-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  let accepted = 0;

  beforeAll(async () => {
    tcp = net.createServer((socket) => {
      accepted++;
      socket.end();
    });
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
    port = (tcp.address() as net.AddressInfo).port;
    unix = net.createServer((socket) => {
      accepted++;
      socket.end();
    });
    await new Promise<void>((resolve) => unix.listen({ path: `\0${abstractName}` }, resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => tcp.close(resolve));
    await new Promise((resolve) => unix.close(resolve));
  });

  it('the host listeners are reachable from the host (so the checks below mean something)', async () => {
    for (const options of [{ port, host: '127.0.0.1' }, { path: `\0${abstractName}` }]) {
      await new Promise<void>((resolve, reject) => net.connect(options, resolve).on('error', reject));
    }
    expect(accepted).toBe(2);
  });

  it("no route out, and neither the host's 127.0.0.1 listener nor its abstract unix socket is reachable", async () => {
    accepted = 0;
    const targets = [`127.0.0.1:${port}`, `@${abstractName}`, '1.1.1.1:53', '10.0.0.1:80', '169.254.169.254:80'];
    const out = okOutput(await py(CONNECT_PY, {}, targets));
    expect(Object.fromEntries(out.trim().split('\n').map((line) => line.split(' ')))).toEqual({
      // lo is down: not even the sandbox's own 127.0.0.1 answers.
      [`127.0.0.1:${port}`]: 'ENETUNREACH',
      // The name belongs to the host's network namespace, not the sandbox's.
      [`@${abstractName}`]: 'ECONNREFUSED',
      '1.1.1.1:53': 'ENETUNREACH',
      '10.0.0.1:80': 'ENETUNREACH',
      '169.254.169.254:80': 'ENETUNREACH',
    });
    expect(accepted).toBe(0);
  });
});
