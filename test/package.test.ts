// The published package must run with no compiler and no install script: `npm pack`, then
// install the tarball into an empty project with scripts disabled and run a sandbox from it.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const repo = join(import.meta.dirname, '..');
const PACKED_PATHS = ['package.json', 'README.md', 'tsconfig.json', 'tsup.config.ts', 'src', 'scripts', 'docs'];
let work: string;
let tarball: string;
let project: string;

function run(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 240_000 });
}

// Packing rebuilds dist/ and prebuilds/; do it in a copy so other test files keep the checkout's build.
describe.runIf(process.getuid!() === 0)('npm pack', () => {
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'nsbox-pack-'));
    const copy = join(work, 'nsbox');
    for (const path of PACKED_PATHS) cpSync(join(repo, path), join(copy, path), { recursive: true });
    symlinkSync(join(repo, 'node_modules'), join(copy, 'node_modules'));
    const name = run('npm', ['pack', '--silent', '--pack-destination', work], copy).trim().split('\n').pop()!;
    tarball = join(work, name);
    project = join(work, 'app');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    run('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', tarball], project);
  }, 300_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('carries static prebuilt inits for linux-x64 and linux-arm64, and no compiled build/', () => {
    const listing = run('tar', ['-tzf', tarball], work);
    expect(listing).toContain('package/prebuilds/linux-x64/nsbox-init');
    expect(listing).toContain('package/prebuilds/linux-arm64/nsbox-init');
    expect(listing).toContain('package/dist/index.js');
    expect(listing).toContain('package/dist/index.cjs');
    expect(listing).toContain('package/dist/index.d.ts');
    expect(listing).toContain('package/dist/cli.js');
    expect(listing).not.toContain('package/build/');
    const x64 = run('file', ['-b', join(project, 'node_modules/nsbox/prebuilds/linux-x64/nsbox-init')], work);
    const arm64 = run('file', ['-b', join(project, 'node_modules/nsbox/prebuilds/linux-arm64/nsbox-init')], work);
    expect(x64).toMatch(/x86-64.*statically linked/);
    expect(arm64).toMatch(/aarch64.*statically linked/);
    expect(readdirSync(join(project, 'node_modules/nsbox'))).not.toContain('build');
  });

  test('runs a sandbox from the installed tarball (ESM, CJS and the CLI), with no compiler on PATH', () => {
    const env = { PATH: '/usr/bin:/bin', HOME: project };
    const esm = `import { Sandbox } from 'nsbox'; const r = await new Sandbox().run('/bin/echo', ['hi from esm']); process.stdout.write(r.stdout + r.status);`;
    writeFileSync(join(project, 'esm.mjs'), esm);
    expect(execFileSync('node', ['esm.mjs'], { cwd: project, env, encoding: 'utf8' })).toBe('hi from esm\nok');
    const cjs = `const { Sandbox } = require('nsbox'); new Sandbox().run('/bin/echo', ['hi from cjs']).then((r) => process.stdout.write(r.stdout));`;
    writeFileSync(join(project, 'cjs.cjs'), cjs);
    expect(execFileSync('node', ['cjs.cjs'], { cwd: project, env, encoding: 'utf8' })).toBe('hi from cjs\n');
    const cli = execFileSync(join(project, 'node_modules/.bin/nsbox'), ['run', '--', '/bin/echo', 'hi'], { cwd: project, env, encoding: 'utf8' });
    expect(cli).toBe('hi\n');
  });
});
