// A plain-JavaScript build of src/ for tests that need nsbox in a separate, killable host process.
// It goes to a temp dir (the checkout may be read-only for the test user) and uses the checkout's
// node_modules through a link; NSBOX_INIT points that process at the checkout's build/nsbox-init.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface Bundle {
  /** Absolute path of the ESM bundle exporting what src/index.ts exports. */
  file: string;
  /** Environment for a node process importing it. */
  env: NodeJS.ProcessEnv;
  cleanup(): void;
}

export function bundleSource(): Bundle {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsbox-bundle-'));
  const file = path.join(dir, 'nsbox.mjs');
  execFileSync(
    path.join(repoRoot, 'node_modules', '.bin', 'esbuild'),
    [
      path.join(repoRoot, 'src', 'index.ts'),
      '--bundle',
      '--platform=node',
      '--format=esm',
      '--target=node20',
      '--packages=external',
      `--outfile=${file}`,
      '--log-level=warning',
    ],
    { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  fs.symlinkSync(path.join(repoRoot, 'node_modules'), path.join(dir, 'node_modules'));
  const init = process.env.NSBOX_INIT ?? path.join(repoRoot, 'build', 'nsbox-init');
  return {
    file,
    env: { ...process.env, NSBOX_INIT: init },
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
