// An agent runs a command it did not write: the workspace is the only writable host path,
// nothing from the host environment leaks in, and there is no network.
import { mkdtempSync, readFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sandbox } from 'nsbox';

const workspace = mkdtempSync(join(tmpdir(), 'nsbox-workspace-'));
chmodSync(workspace, 0o777); // the sandbox's user must be able to write it, as root (uid 65534) or rootless
process.env.API_TOKEN = 'host-secret';

const sandbox = new Sandbox({
  mounts: [{ type: 'bind', source: workspace, target: '/work', readOnly: false }],
  cwd: '/work',
});
const script = [
  'echo "result: 42" > answer.txt',
  'cat /etc/shadow >/dev/null 2>&1 && echo "shadow: readable" || echo "shadow: blocked"',
  'echo "token: ${API_TOKEN:-absent}"',
  'touch /usr/bin/evil 2>/dev/null && echo "usr: writable" || echo "usr: read-only"',
  'python3 -c "import socket; socket.create_connection((\'1.1.1.1\', 53), 1)" 2>/dev/null && echo "network: open" || echo "network: none"',
].join('\n');
const result = await sandbox.run('/bin/sh', ['-c', script]);
process.stdout.write(result.stdout);
console.log(`workspace file: ${readFileSync(join(workspace, 'answer.txt'), 'utf8').trim()}`);
console.log(`status=${result.status} capabilities=${JSON.stringify(result.enforced.capabilities)} rootless=${result.enforced.rootless}`);
