// The things being timed, all running /bin/true: nsbox, nsbox with cgroup limits (when this user can have
// cgroups), warm sandboxes of a pool (with and without limits), bubblewrap and a plain child_process.spawn.
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

/** The limits of the 'nsbox+limits' variant: each needs a cgroup (memory, pids, and cpuacct for cpuTime). */
export const LIMITS = { memory: '256M', pids: 64, cpuTime: '10s' };

function checkReport(name, report) {
  if (report.status !== 'ok' || report.exitCode !== 0) {
    throw new Error(`${name}: /bin/true gave status ${report.status} exit ${report.exitCode} ${report.error ?? ''} ${report.stderr ?? ''}`);
  }
  return report;
}

/**
 * Each variant is { name, run }: run() performs one complete run and resolves when it has ended.
 * nsbox's run()s additionally return the RunReport so setupMs / wallTimeMs can be collected.
 *
 * 'nsbox+limits' is included only when a limited run works here. One limited run is tried now (which
 * also does nsbox's one-time cgroup detection and, on cgroup v1, starts its zygote pool, before the
 * host tops up its RSS): when it rejects with a SandboxError whose code is EUNSUPPORTED or whose
 * message mentions cgroups, the variant is left out and `skipped` says why. Any other failure throws.
 *
 * Returns { variants, skipped: [{ variant, message }], limitsCgroup: enforced.cgroup of the probe run or null }.
 */
export async function makeVariants() {
  const { Sandbox, SandboxError, SandboxPool } = await import('../dist/index.js');
  const sandbox = new Sandbox();
  const limited = new Sandbox({ limits: LIMITS });
  // The same default profile without its seccomp filter: the filter's own cost (target: within 5%).
  const unfiltered = new Sandbox({ seccomp: 'none' });
  // Warm sandboxes (src/warm/): built once, a run pays for its own process only. One job at a time here.
  const warm = new SandboxPool(sandbox, { concurrency: 1 });
  const warmLimited = new SandboxPool(limited, { concurrency: 1 });
  const bargs = bwrapArgs();
  const variants = [
    { name: 'nsbox', run: async () => checkReport('nsbox', await sandbox.run('/bin/true')) },
    { name: 'nsbox+limits', run: async () => checkReport('nsbox+limits', await limited.run('/bin/true')) },
    { name: 'nsbox-seccomp', run: async () => checkReport('nsbox-seccomp', await unfiltered.run('/bin/true')) },
    { name: 'warm', run: async () => checkReport('warm', await warm.run('/bin/true')) },
    { name: 'warm+limits', run: async () => checkReport('warm+limits', await warmLimited.run('/bin/true')) },
    { name: 'bubblewrap', run: () => spawnAndWaitExit('bwrap', bargs, 'bubblewrap') },
    { name: 'child_process', run: () => spawnAndWaitExit('/bin/true', [], 'child_process') },
  ];
  const skipped = [];
  let limitsCgroup = null;
  try {
    const report = await variants[1].run();
    limitsCgroup = report.enforced?.cgroup ?? null;
  } catch (err) {
    if (!(err instanceof SandboxError && (err.code === 'EUNSUPPORTED' || /cgroup/i.test(err.message)))) throw err;
    skipped.push({ variant: 'nsbox+limits', message: err.message });
  }
  if (skipped.length) {
    skipped.push({ variant: 'warm+limits', message: skipped[0].message });
    void warmLimited.close();
  }
  return { variants: variants.filter((v) => !skipped.some((s) => s.variant === v.name)), skipped, limitsCgroup };
}
