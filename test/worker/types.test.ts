// Runs tsc over the typed-worker checks (types.test-d.ts), so a type regression fails the suite.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { expect, it } from 'vitest';
import { repoRoot } from '../helpers/bundle.js';

it('typed workers check at compile time on both ends (tsc)', () => {
  const tsc = path.join(repoRoot, 'node_modules', '.bin', 'tsc');
  let output = '';
  try {
    execFileSync(tsc, ['--noEmit', '-p', path.join(import.meta.dirname, 'tsconfig.json')], { cwd: repoRoot, encoding: 'utf8', stdio: 'pipe' });
  } catch (error) {
    output = `${(error as { stdout?: string }).stdout ?? ''}${(error as { stderr?: string }).stderr ?? ''}` || String(error);
  }
  expect(output).toBe('');
}, 60_000);
