// What a worker can reach of the host: its own directory read-only, Node's files, and nothing else.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../helpers/host.js';
import { fixtures, useWorkers } from './helpers.js';

const start = useWorkers();
const tempDir = useTempDirs();

describe('worker isolation', () => {
  it('cannot read host files outside its binds, even knowing their paths', async () => {
    // A plugin directory with a secret beside it, and a host HOME with an SSH key.
    const parent = tempDir();
    const pluginDir = path.join(parent, 'plugin');
    fs.mkdirSync(pluginDir, { mode: 0o755 });
    fs.copyFileSync(path.join(fixtures, 'echo.mjs'), path.join(pluginDir, 'index.mjs'));
    fs.writeFileSync(path.join(parent, 'secret.txt'), 'sibling secret', { mode: 0o644 });
    fs.mkdirSync(path.join(parent, '.ssh'), { mode: 0o755 });
    fs.writeFileSync(path.join(parent, '.ssh', 'id_ed25519'), 'PRIVATE KEY', { mode: 0o644 });
    const { worker } = start(path.relative(fixtures, path.join(pluginDir, 'index.mjs')));
    for (const file of [path.join(parent, 'secret.txt'), path.join(parent, '.ssh', 'id_ed25519'), '/plugin/../secret.txt', '/etc/shadow', '/etc/machine-id', path.join(os.homedir(), '.bash_history')]) {
      expect(await worker.request('read', file), file).toEqual({ error: 'ENOENT' });
    }
    // Its own files are there, read-only; so is the nsbox runtime package.
    expect(await worker.request('read', '/plugin/index.mjs')).toEqual({ ok: fs.readFileSync(path.join(pluginDir, 'index.mjs'), 'utf8') });
    expect(await worker.request('write', '/plugin/index.mjs')).toBe('EROFS');
    expect(await worker.request('write', '/node_modules/nsbox/worker.cjs')).toBe('EROFS');
    expect(await worker.request('write', '/usr/bin/node-evil')).toBe('EROFS');
    // /tmp is the sandbox's own tmpfs: writable, and not the host's.
    expect(await worker.request('write', '/tmp/x')).toBe('ok');
    expect(fs.existsSync('/tmp/x') && fs.readFileSync('/tmp/x', 'utf8') === 'x').toBe(false);
  });

  it('gets no host descriptor but the channel: one socket, fd 3', async () => {
    const { worker } = start('echo.mjs');
    const fds = (await worker.request('fds')) as number[];
    expect(fds.slice(0, 4)).toEqual([0, 1, 2, 3]);
    // Every descriptor above 3 is node's own (epoll, eventfd, pipes), made inside: none is a socket.
    expect(await worker.request('sockets')).toEqual([3]);
  });
});
