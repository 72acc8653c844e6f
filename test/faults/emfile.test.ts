// The host out of descriptors (EMFILE): a host process with RLIMIT_NOFILE lowered to 256 fills its table, frees
// 0, 1, 2, ... 14 descriptors and spawns each time, so every step of a spawn that opens one (pipes, the plan
// memfd, the status pipe, the pidfds) meets EMFILE once. A spawn either works or fails with a typed SandboxError,
// the host process never crashes, and once the descriptors are freed it holds as many as before: no leak, no zombie.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bundle, bundleSource } from '../helpers/bundle.js';

const HOST = `
const { Sandbox, SandboxError } = await import(process.env.NSBOX_BUNDLE);
const fs = await import('node:fs');
const count = () => fs.readdirSync('/proc/self/fd').length;
const zombies = () => fs.readdirSync('/proc').filter((n) => /^\\d+$/.test(n)).filter((n) => {
  try { const s = fs.readFileSync('/proc/' + n + '/stat', 'utf8').slice(0); const f = s.slice(s.lastIndexOf(')') + 2).split(' '); return f[0] === 'Z' && Number(f[1]) === process.pid; } catch { return false; }
});
const sandbox = new Sandbox({});
await sandbox.run('/bin/true'); // the init memfd and the bindings stay for the process
const base = count();
const steps = [];
for (let free = 0; free <= 14; free++) {
  const held = [];
  try { for (;;) held.push(fs.openSync('/dev/null', 'r')); } catch (e) { if (e.code !== 'EMFILE') throw e; }
  for (let i = 0; i < free; i++) fs.closeSync(held.pop());
  let outcome;
  try {
    const r = await sandbox.run('/bin/echo', ['hi']);
    outcome = r.status === 'ok' && r.stdout === 'hi\\n' ? 'ok' : 'report ' + r.status;
  } catch (e) {
    outcome = e instanceof SandboxError ? 'SandboxError ' + e.code : 'untyped ' + e;
  }
  for (const fd of held) fs.closeSync(fd);
  await new Promise((r) => setTimeout(r, 30));
  steps.push({ free, outcome, fds: count() });
}
console.log(JSON.stringify({ base, steps, zombies: zombies(), after: (await sandbox.run('/bin/true')).status }));
`;

type Result = { base: number; steps: { free: number; outcome: string; fds: number }[]; zombies: string[]; after: string };

describe('EMFILE in the host', () => {
  let bundle: Bundle;
  let result: Result;
  beforeAll(() => {
    bundle = bundleSource();
    const r = spawnSync('/bin/sh', ['-c', `ulimit -n 256 && exec "${process.execPath}" --input-type=module -e "$NSBOX_HOST"`], {
      env: { ...bundle.env, NSBOX_BUNDLE: bundle.file, NSBOX_HOST: HOST },
      encoding: 'utf8',
      timeout: 60_000,
    });
    // The host process itself must not crash, whatever failed inside it.
    expect({ status: r.status, signal: r.signal, stderr: r.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
    result = JSON.parse(r.stdout) as Result;
    console.log(`EMFILE steps (free:outcome:fds, base ${result.base}): ${result.steps.map((s) => `${s.free}:${s.outcome}:${s.fds}`).join(', ')}`);
  }, 90_000);
  afterAll(() => bundle?.cleanup());

  it('with 0 to 14 descriptors free, each spawn works or throws a typed SandboxError, and the host works on afterwards', () => {
    for (const step of result.steps) expect(step.outcome, `with ${step.free} free`).toMatch(/^(ok|SandboxError E[A-Z]+)$/);
    // Both ends were reached: a spawn refused for want of descriptors, and one with enough.
    expect(result.steps[0].outcome).toMatch(/^SandboxError/);
    expect(result.steps.at(-1)!.outcome).toBe('ok');
    expect(result.after).toBe('ok');
  });

  // When pidfd_open of the just-spawned first stage meets EMFILE, launchInit kills and reaps that process itself:
  // nobody else would (libuv reaps only its own children).
  it('no spawn that met EMFILE leaves a zombie', () => {
    expect(result.zombies).toEqual([]);
  });

  // Each host end of a stdio pipe is recorded for closing as soon as it is made, so the stdout pipe's read end
  // does not leak when the stderr pipe meets EMFILE.
  it('no spawn that met EMFILE leaves a descriptor behind', () => {
    expect(result.steps.map((step) => ({ free: step.free, fds: step.fds }))).toEqual(result.steps.map((step) => ({ free: step.free, fds: result.base })));
  });
});
