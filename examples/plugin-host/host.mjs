// A plugin host: a good plugin answers requests; a hostile one tries to read the user's SSH key, call the
// host's listener, write outside its directory, fork-bomb, flood the channel and send an oversize message.
// Each line says what the attempt got. Run: node examples/plugin-host/host.mjs
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Sandbox, startWorker } from 'nsbox';

const here = path.dirname(fileURLToPath(import.meta.url));
const plugin = (name) => path.join(here, 'plugins', name, 'index.mjs');

// The host user's HOME, with a (fake) SSH key the hostile plugin knows the path of.
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'plugin-host-home-'));
fs.mkdirSync(path.join(home, '.ssh'), { mode: 0o700 });
fs.writeFileSync(path.join(home, '.ssh', 'id_ed25519'), '-----BEGIN OPENSSH PRIVATE KEY----- fake\n', { mode: 0o600 });
const server = net.createServer((socket) => socket.end('host-only data'));
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const hostPort = server.address().port;

try {
  // ---- the good plugin ----
  const good = startWorker(new Sandbox(), plugin('good'));
  good.on('message', (message) => console.log(`good says: ${message.line}`));
  await good.ready;
  console.log(`good add: 2 + 40 = ${await good.request('add', { a: 2, b: 40 })}`);
  console.log(`good wordCount: ${await good.request('wordCount', 'the quick brown fox')}`);
  good.postMessage({ kind: 'config', greeting: 'hi' });
  console.log(`good greet: ${await good.request('greet', 'host')}`);
  await good.terminate();

  // ---- the hostile plugin: no network, at most 32 processes and threads (node itself uses about 11) ----
  const sandbox = new Sandbox({ network: 'none', limits: { pids: 32, bestEffort: true } });
  const hostile = startWorker(sandbox, plugin('hostile'), { maxMessageBytes: '1M', requestTimeout: 10_000 });
  hostile.stderr.resume();
  hostile.child.on('downgrade', (why) => console.log(`(limits: ${why.split(' (')[0]})`));
  const context = { home, port: hostPort, pluginDir: path.dirname(plugin('hostile')) };
  for (const attack of ['read-ssh', 'connect-host', 'write-outside', 'fork-bomb']) {
    console.log(`hostile ${attack}: ${await hostile.request(attack, context)}`);
  }

  let received = 0;
  hostile.on('message', () => received++);
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const sent = await hostile.request('flood', 1000);
  lag.disable();
  console.log(`hostile flood: sent ${sent} messages in 1 s, host received ${received}, host event loop lag max ${(lag.max / 1e6).toFixed(0)} ms`);

  const broke = new Promise((resolve) => hostile.once('error', resolve));
  const pending = hostile.request('oversize').catch((error) => error.code);
  const error = await broke;
  const report = await hostile.report;
  console.log(`hostile oversize: ${error.code} (${error.message.split(';')[0]}); pending request: ${await pending}; worker ${report.status} by ${report.signal}`);

  const key = fs.readFileSync(path.join(home, '.ssh', 'id_ed25519'), 'utf8');
  const leftovers = ['pwned'].filter((f) => fs.existsSync(path.join(context.pluginDir, f))).length + (fs.existsSync(path.join(home, '.ssh', 'authorized_keys')) ? 1 : 0);
  console.log(`host: key ${key.includes('fake') ? 'intact' : 'CHANGED'}, files left by the plugin: ${leftovers}`);
} finally {
  server.close();
  fs.rmSync(home, { recursive: true, force: true });
}
