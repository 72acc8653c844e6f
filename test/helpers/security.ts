// Shared pieces of the escape tests (test/security/*): the attack programs of test/fixtures/security, compiled
// with gcc into a temp dir the sandbox binds read-only, and the parsing of their "NAME result" lines.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MountSpec } from '../../src/index.js';
import { repoRoot } from './bundle.js';
import { hasGcc } from './syscalls.js';

export { hasGcc };

const SOURCES = path.join(repoRoot, 'test', 'fixtures', 'security');
/** Where the programs appear inside the sandbox. */
export const ATTACKS_INSIDE = '/opt/nsbox-attacks';

export type Attack = 'kernel' | 'namespaces' | 'signals' | 'fds' | 'exe' | 'setuid';

export interface Attacks {
  dir: string;
  host(name: Attack): string;
  inside(name: Attack): string;
  /** The read-only bind of `dir` at ATTACKS_INSIDE. */
  mounts: MountSpec[];
  cleanup(): void;
}

/** Compiles each program (gcc -O1 -Wall -Werror) into a fresh temp dir; call in beforeAll. */
export function compileAttacks(names: Attack[]): Attacks {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsbox-attacks-'));
  fs.chmodSync(dir, 0o755);
  for (const name of names) {
    const out = path.join(dir, name);
    execFileSync('gcc', ['-O1', '-Wall', '-Werror', '-o', out, path.join(SOURCES, `${name}.c`)], { stdio: ['ignore', 'inherit', 'inherit'] });
    fs.chmodSync(out, 0o755);
  }
  return {
    dir,
    host: (name) => path.join(dir, name),
    inside: (name) => path.posix.join(ATTACKS_INSIDE, name),
    mounts: [{ type: 'bind', source: dir, target: ATTACKS_INSIDE }],
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** An attack program's output as NAME -> result ('ok', 'EPERM', 'ok 3', ...); throws unless it reached "done". */
export function attempts(stdout: string): Record<string, string> {
  const lines = stdout.split('\n').filter(Boolean);
  if (lines.at(-1) !== 'done') throw new Error(`the attack program did not finish; its output:\n${stdout}`);
  return Object.fromEntries(lines.slice(0, -1).map((line) => {
    const space = line.indexOf(' ');
    return space < 0 ? [line, ''] : [line.slice(0, space), line.slice(space + 1)];
  }));
}

/** A describe() title carrying its skip reason, so the reporter shows why. */
export function titled(title: string, skipReason: string | null): string {
  return skipReason === null ? title : `${title} [skipped: ${skipReason}]`;
}

export const NO_GCC = hasGcc ? null : 'gcc is not installed';
