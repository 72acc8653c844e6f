// The policy's network modes apply to a worker: none, loopback, host, against a listener on the host.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NetworkMode } from '../../src/index.js';
import { useWorkers } from './helpers.js';

const start = useWorkers();
const TOKEN = 'host-listener';
let server: net.Server;
let port: number;

beforeAll(async () => {
  server = net.createServer((socket) => socket.end(TOKEN));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as net.AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const expected: Record<NetworkMode, { host: RegExp; self: RegExp }> = {
  // lo is down: nothing is reachable, not even the sandbox's own 127.0.0.1.
  none: { host: /^failed (ENETUNREACH|EADDRNOTAVAIL)$/, self: /^failed (ENETUNREACH|EADDRNOTAVAIL)$/ },
  // Its own lo is up: its own loopback works, the host's listener is in another namespace.
  loopback: { host: /^failed ECONNREFUSED$/, self: /^connected inside$/ },
  host: { host: new RegExp(`^connected ${TOKEN}$`), self: /^connected inside$/ },
};

describe('worker network modes', () => {
  for (const mode of ['none', 'loopback', 'host'] as const) {
    it(`${mode}: host listener ${expected[mode].host}, own loopback ${expected[mode].self}`, async () => {
      const { worker, stderr } = start('net-probe.mjs', { network: mode });
      const reached = await worker.request('connect', port).catch((error) => expect.fail(`${error}\n${stderr()}`));
      expect(reached).toMatch(expected[mode].host);
      expect(await worker.request('self-loopback')).toMatch(expected[mode].self);
      expect((await worker.terminate()).enforced.network).toBe(mode);
    });
  }
});
