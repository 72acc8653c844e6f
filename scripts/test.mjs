#!/usr/bin/env node
// `npm test`: runs the vitest suite as the current user and, when that user is root, runs the
// same suite again as an unprivileged user (uid/gid 65534), since nsbox behaves differently
// rootless (the caller's own ids are mapped, bind sources are opened inside the user namespace).
//
//   node scripts/test.mjs [vitest args...]     e.g. node scripts/test.mjs test/identity.test.ts
//
// Lanes get NSBOX_TEST_LANE=root or NSBOX_TEST_LANE=rootless. Exits non-zero if any lane fails.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const vitestBin = path.join(root, 'node_modules', '.bin', 'vitest');
const args = process.argv.slice(2);
const UNPRIVILEGED_ID = 65534;

// The default config loader writes the bundled config into node_modules/.vite-temp (or next to
// the config file), which an unprivileged user cannot do in a root-owned checkout. The runner
// loader evaluates it in memory. Respect an explicit choice on the command line.
const configLoaderArgs = args.some((a) => a === '--configLoader' || a.startsWith('--configLoader=')) ? [] : ['--configLoader', 'runner'];
const vitestArgs = ['run', ...configLoaderArgs, ...args];

function header(text) {
  const line = '='.repeat(Math.max(60, text.length + 8));
  process.stdout.write(`\n${line}\n==  ${text}\n${line}\n\n`);
}

function which(name) {
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    const candidate = path.join(dir || '.', name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  for (const dir of ['/usr/bin', '/bin', '/usr/sbin', '/sbin']) {
    const candidate = path.join(dir, name);
    if (fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Runs a command with inherited stdio, forwarding SIGINT/SIGTERM; resolves with an exit code. */
function run(command, commandArgs, env) {
  return new Promise((resolve) => {
    const child = spawn(command, commandArgs, { cwd: root, env, stdio: 'inherit' });
    const forward = (signal) => child.kill(signal);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.on('error', (error) => {
      process.stderr.write(`test.mjs: cannot run ${command}: ${error.message}\n`);
      resolve(127);
    });
    child.on('exit', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve(code ?? 128 + (os.constants.signals[signal] ?? 0));
    });
  });
}

/** A HOME/TMPDIR for the unprivileged lane, owned by it, so vitest and the tests can write there. */
function makeLaneHome() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsbox-test-rootless-'));
  fs.chownSync(dir, UNPRIVILEGED_ID, UNPRIVILEGED_ID);
  fs.chmodSync(dir, 0o700);
  return dir;
}

/** How to become the unprivileged user: setpriv, else runuser, else undefined. */
function dropCommand(home) {
  const laneEnv = [`HOME=${home}`, `TMPDIR=${home}`, 'NSBOX_TEST_LANE=rootless'];
  const vitest = [process.execPath, vitestBin, ...vitestArgs];
  const setpriv = which('setpriv');
  if (setpriv) {
    return {
      how: `setpriv --reuid=${UNPRIVILEGED_ID} --regid=${UNPRIVILEGED_ID} --clear-groups`,
      command: setpriv,
      args: [`--reuid=${UNPRIVILEGED_ID}`, `--regid=${UNPRIVILEGED_ID}`, '--clear-groups', 'env', ...laneEnv, ...vitest],
    };
  }
  const runuser = which('runuser');
  if (runuser) {
    return { how: 'runuser -u nobody', command: runuser, args: ['-u', 'nobody', '--', 'env', ...laneEnv, ...vitest] };
  }
  return undefined;
}

async function main() {
  if (!fs.existsSync(vitestBin)) {
    process.stderr.write(`test.mjs: ${vitestBin} is missing; run npm install first\n`);
    return 1;
  }
  const isRoot = process.geteuid?.() === 0;
  const results = [];

  const firstLane = isRoot ? 'root' : 'rootless';
  header(`lane ${firstLane}: vitest as uid ${process.geteuid?.()} (NSBOX_TEST_LANE=${firstLane})`);
  const firstCode = await run(process.execPath, [vitestBin, ...vitestArgs], { ...process.env, NSBOX_TEST_LANE: firstLane });
  results.push([firstLane, firstCode]);

  if (isRoot) {
    const home = makeLaneHome();
    try {
      const drop = dropCommand(home);
      if (!drop) {
        process.stderr.write(
          'test.mjs: running as root, but neither setpriv (util-linux) nor runuser is installed, so the rootless ' +
            'lane cannot run. Install util-linux, or run the suite as an unprivileged user yourself.\n',
        );
        results.push(['rootless', 1]);
      } else {
        header(`lane rootless: vitest as uid ${UNPRIVILEGED_ID} via ${drop.how} (NSBOX_TEST_LANE=rootless)`);
        // The checkout must be readable by the unprivileged user; say so plainly if it is not.
        const probe = spawnSync(drop.command, [...drop.args.slice(0, drop.args.indexOf('env')), 'test', '-r', path.join(root, 'package.json')]);
        if (probe.status !== 0) {
          process.stderr.write(`test.mjs: uid ${UNPRIVILEGED_ID} cannot read ${root}; make the checkout world-readable (chmod -R o+rX)\n`);
          results.push(['rootless', 1]);
        } else {
          results.push(['rootless', await run(drop.command, drop.args, process.env)]);
        }
      }
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  }

  header('summary');
  for (const [lane, code] of results) process.stdout.write(`  ${lane.padEnd(9)} ${code === 0 ? 'passed' : `FAILED (exit ${code})`}\n`);
  process.stdout.write('\n');
  return results.every(([, code]) => code === 0) ? 0 : 1;
}

process.exitCode = await main();
