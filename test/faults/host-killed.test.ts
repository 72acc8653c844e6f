// The host process SIGKILLed mid-run (an OOM kill of the server, a crash, kill -9): nothing of the sandbox may
// outlive it. The parent-death signal takes PID 1 and with it the PID namespace; as root with limits, the run's
// cgroup is left empty and the next nsbox process's sweep removes it.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bundle, bundleSource } from '../helpers/bundle.js';
import { hostProcessesMatching, waitFor } from '../helpers/host.js';
import { noCgroupReason, nsboxParents } from '../helpers/limits.js';

function killLeftovers(text: string): void {
  for (const { pid } of hostProcessesMatching(text)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** The nsbox-<pid>-* cgroup directories a host process with that pid made, in every hierarchy. */
function cgroupsOf(pid: number): string[] {
  return nsboxParents().flatMap((parent) => {
    const home = path.dirname(parent);
    return fs.readdirSync(home).filter((name) => name.startsWith(`nsbox-${pid}-`)).map((name) => path.join(home, name));
  });
}

/** Processes in `dir` and below; a dir another nsbox process has swept meanwhile holds none. */
function processesIn(dir: string): number {
  if (!fs.existsSync(dir)) return 0;
  let count = fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).length;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) count += processesIn(path.join(dir, entry.name));
  return count;
}

/** Starts a host process that spawns `sleep <tag>` in a sandbox (with `limits`) and prints "spawned <pid>". */
async function startHost(bundle: Bundle, tag: string, limits: object): Promise<{ host: ReturnType<typeof spawn>; initPid: number }> {
  const script = `
    const { Sandbox } = await import(process.env.NSBOX_BUNDLE);
    const child = new Sandbox({ limits: JSON.parse(process.env.NSBOX_LIMITS) }).spawn('/bin/sleep', [process.env.NSBOX_TAG]);
    child.on('spawn', () => console.log('spawned ' + child.pid));
    child.on('error', (error) => { console.log('error ' + error.message); process.exit(1); });
    setInterval(() => {}, 1000);`;
  const host = spawn(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...bundle.env, NSBOX_BUNDLE: bundle.file, NSBOX_TAG: tag, NSBOX_LIMITS: JSON.stringify(limits) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    host.stdout!.on('data', (chunk: Buffer) => {
      out += chunk;
      if (out.includes('\n')) resolve(out.trim());
    });
    host.on('exit', (code) => reject(new Error(`host exited early (${code}): ${out}`)));
    setTimeout(() => reject(new Error(`host did not report the spawn: ${out}`)), 20_000);
  });
  expect(line).toMatch(/^spawned \d+$/);
  return { host, initPid: Number(line.split(' ')[1]) };
}

describe('the host process SIGKILLed mid-run', () => {
  let bundle: Bundle;
  beforeAll(() => {
    bundle = bundleSource();
  }, 60_000);
  afterAll(() => bundle?.cleanup());

  const withCgroup = noCgroupReason === null;
  it(`no sandboxed process survives it${withCgroup ? "; the run's cgroup is empty, and the next nsbox process sweeps it" : ' (no cgroup here, so no cgroup to check)'}`, async () => {
    const tag = `${1000 + Math.floor(Math.random() * 1e6)}.${process.pid}`; // a sleep duration no other process has
    const { host, initPid } = await startHost(bundle, tag, withCgroup ? { memory: '64M', pids: 16 } : {});
    try {
      // The sleep must really be running, or the check below proves nothing.
      expect(await waitFor(() => hostProcessesMatching(`sleep ${tag}`).length > 0, 2000)).toBe(true);
      const cgroups = withCgroup ? cgroupsOf(host.pid!) : [];
      if (withCgroup) expect(cgroups.length).toBeGreaterThan(0);

      const exited = new Promise((resolve) => host.on('exit', resolve));
      host.kill('SIGKILL');
      await exited;
      expect(await waitFor(() => hostProcessesMatching(`sleep ${tag}`).length === 0 && !fs.existsSync(`/proc/${initPid}`), 2000)).toBe(true);
      if (!withCgroup) return;
      // Nothing runs in what it left; a new nsbox process sweeps it at its first cgroup.
      expect(cgroups.map(processesIn)).toEqual(cgroups.map(() => 0));
      const next = await startHost(bundle, `${tag}1`, { memory: '64M' });
      next.host.kill('SIGKILL');
      expect(await waitFor(() => cgroups.every((dir) => !fs.existsSync(dir)), 2000)).toBe(true);
      // (The second host's own leftovers are swept by the next process in turn, e.g. this test file's own runs.)
    } finally {
      host.kill('SIGKILL');
      killLeftovers(`sleep ${tag}`);
    }
  });
});
