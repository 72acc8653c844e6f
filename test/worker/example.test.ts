// examples/plugin-host runs as a user would run it, against the built package (`import 'nsbox'`).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, test } from 'vitest';
import { repoRoot } from '../helpers/bundle.js';
import { isRoot } from '../helpers/host.js';

beforeAll(() => {
  // The example needs a dist/ that has workers; build it when it is missing or older than them (root lane only:
  // the unprivileged lane cannot write the checkout, and runs after the root lane).
  let built = '';
  try {
    built = readFileSync(join(repoRoot, 'dist/index.js'), 'utf8');
  } catch {}
  if (!built.includes('startWorker') && isRoot()) execFileSync(join(repoRoot, 'node_modules/.bin/tsup'), { cwd: repoRoot, stdio: 'ignore' });
}, 120_000);

test('plugin-host: the good plugin answers, every hostile attempt is refused, the host is unharmed', () => {
  const out = execFileSync(process.execPath, [join(repoRoot, 'examples/plugin-host/host.mjs')], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });
  const line = (prefix: string) => out.split('\n').find((l) => l.startsWith(prefix)) ?? `(no "${prefix}" line in:\n${out})`;
  expect(line('good add:')).toBe('good add: 2 + 40 = 42');
  expect(line('good wordCount:')).toBe('good wordCount: 4');
  expect(line('good greet:')).toBe('good greet: hi, host');
  expect(line('hostile read-ssh:')).toMatch(/id_ed25519: ENOENT, \/root\/.ssh\/id_rsa: ENOENT, \/etc\/shadow: ENOENT$/);
  expect(line('hostile connect-host:')).toBe('hostile connect-host: ENETUNREACH');
  expect(line('hostile write-outside:')).toMatch(/hostile\/pwned: ENOENT, \/plugin\/pwned: EROFS, .*authorized_keys: ENOENT, \/usr\/lib\/pwned: EROFS$/);
  expect(line('hostile fork-bomb:')).toMatch(/^hostile fork-bomb: \d+ processes, then EAGAIN$/);
  expect(Number(/: (\d+) processes/.exec(line('hostile fork-bomb:'))?.[1])).toBeLessThan(32);
  const flood = /sent (\d+) messages in 1 s, host received (\d+)/.exec(line('hostile flood:'));
  expect(flood?.[1]).toBe(flood?.[2]);
  expect(line('hostile oversize:')).toMatch(/^hostile oversize: EMSGSIZE .*pending request: EMSGSIZE; worker signaled by SIGKILL$/);
  expect(line('host:')).toBe('host: key intact, files left by the plugin: 0');
}, 90_000);
