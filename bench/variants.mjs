// The three things being timed: nsbox, bubblewrap and a plain child_process.spawn, all running /bin/true.
import { spawn } from 'node:child_process';
import { lstatSync, readlinkSync } from 'node:fs';

/** bwrap argv as in the issue: /usr read-only, /bin /sbin /lib* as symlinks (or binds) mirroring the host. */
export function bwrapArgs() {
  const args = ['--unshare-all', '--die-with-parent', '--ro-bind', '/usr', '/usr'];
  for (const path of ['/bin', '/sbin', '/lib', '/lib64', '/lib32']) {
    let st;
    try {
      st = lstatSync(path);
    } catch {
      continue; // absent on this host
    }
    if (st.isSymbolicLink()) args.push('--symlink', readlinkSync(path), path);
    else args.push('--ro-bind', path, path);
  }
  args.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp', '/bin/true');
  return args;
}

function spawnAndWaitExit(command, args, name) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${name}: /bin/true ended with code ${code} signal ${signal}`));
    });
  });
}

/**
 * Each variant is { name, run }: run() performs one complete run and resolves when it has ended.
 * nsbox's run() additionally returns the RunReport so setupMs / wallTimeMs can be collected.
 */
export async function makeVariants() {
  const { Sandbox } = await import('../dist/index.js');
  const sandbox = new Sandbox();
  const bargs = bwrapArgs();
  return [
    {
      name: 'nsbox',
      async run() {
        const report = await sandbox.run('/bin/true');
        if (report.status !== 'ok' || report.exitCode !== 0) {
          throw new Error(`nsbox: /bin/true gave status ${report.status} exit ${report.exitCode} ${report.error ?? ''} ${report.stderr ?? ''}`);
        }
        return report;
      },
    },
    { name: 'bubblewrap', run: () => spawnAndWaitExit('bwrap', bargs, 'bubblewrap') },
    { name: 'child_process', run: () => spawnAndWaitExit('/bin/true', [], 'child_process') },
  ];
}
