// Every example runs as a user would run it, against the built package (`import 'nsbox'`).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';

const repo = join(import.meta.dirname, '..');

function runExample(name: string): string {
  return execFileSync(process.execPath, [join(repo, 'examples', name)], { cwd: repo, encoding: 'utf8', timeout: 20_000 });
}

describe('examples', () => {
  beforeAll(() => {
    if (!existsSync(join(repo, 'dist/index.js'))) execFileSync(join(repo, 'node_modules/.bin/tsup'), { cwd: repo, stdio: 'ignore' });
  }, 60_000);

  test('quick-start prints the sandbox identity and an ok report', () => {
    const out = runExample('quick-start.mjs');
    expect(out).toContain('uid=1000(sandbox)');
    expect(out).toMatch(/^sandbox$/m);
    expect(out).toContain('status=ok exit=0');
  });

  test('untrusted-command: only the workspace is writable, no secrets, no network', () => {
    const out = runExample('untrusted-command.mjs');
    expect(out).toContain('shadow: blocked');
    expect(out).toContain('token: absent');
    expect(out).toContain('usr: read-only');
    expect(out).toContain('network: none');
    expect(out).toContain('workspace file: result: 42');
    expect(out).toContain('capabilities=[]');
  });

  test('stream-io pipes stdin through the sandbox', () => {
    const out = runExample('stream-io.mjs');
    expect(out).toContain('HELLO FROM THE HOST\nSTREAMS WORK BOTH WAYS');
    expect(out).toMatch(/spawned as host pid \d+/);
    expect(out).toContain('status=ok exit=0');
  });
});
