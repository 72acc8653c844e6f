// Every example runs as a user would run it, against the built package (`import 'nsbox'`).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { cgroupManager } from '../src/cgroup/index.js';

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

  // The judge needs cgroups (memory, pids and cpuTime limits without bestEffort).
  const noCgroup = cgroupManager().unavailable;
  if (noCgroup) console.warn(`examples: judge skipped, this host gives nsbox no cgroup: ${noCgroup}`);
  test.skipIf(noCgroup !== null)(`judge gives each submission its verdict${noCgroup ? ' [skipped: no cgroup here]' : ''}`, () => {
    // About 5 s on the host: sleepy.py waits out its 3 s wall time, spin.c its 1 s of CPU, two C compiles.
    const out = execFileSync(process.execPath, [join(repo, 'examples', 'judge', 'judge.mjs')], { cwd: repo, encoding: 'utf8', timeout: 90_000 });
    const verdicts = new Map(out.trim().split('\n').map((line) => {
      const [file, ...rest] = line.trim().split(/\s+/);
      return [file, rest.join(' ')] as const;
    }));
    const expected: Record<string, RegExp> = {
      'crash.c': /^signaled \(SIGSEGV\) /,
      'flood.py': /^output-limit /,
      'forkbomb.c': /^pids-limit /,
      'hog.py': /^memory-limit /,
      'sleepy.py': /^time-limit \(wall\) /,
      'spin.c': /^time-limit \(cpu\) /,
      'sum.c': /^ok answer=42 /,
      'sum.py': /^ok answer=42 /,
      'wrong.py': /^runtime-error \(exit 3\) /,
    };
    expect([...verdicts.keys()].sort(), out).toEqual(Object.keys(expected).sort());
    for (const [file, pattern] of Object.entries(expected)) expect(verdicts.get(file), `${file} in:\n${out}`).toMatch(pattern);
    // Every line carries the figures: cpu=…ms wall=…ms peak=…MiB.
    for (const verdict of verdicts.values()) expect(verdict).toMatch(/ cpu=\d+ms wall=\d+ms peak=\d+\.\dMiB$/);
  }, 120_000);
});
