// The sandbox's PID 1 SIGKILLed from outside (an operator's kill -9, the OOM killer choosing it): the host cannot
// know how the payload ended, so the report says internal-error, never ok; the namespace takes the payload with
// it, and a run with limits still has its cgroup removed.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Sandbox } from '../../src/index.js';
import { hostProcessesMatching } from '../helpers/host.js';
import { noCgroupReason, runCgroupDirs, spawned } from '../helpers/limits.js';

/** A sleep duration no other process on the host has in its command line. */
const uniqueSleep = () => `30.${process.pid}${Math.floor(Math.random() * 1e6)}`;

async function killInit(policy: ConstructorParameters<typeof Sandbox>[0], tag: string) {
  const child = new Sandbox(policy).spawn('/bin/sh', ['-c', `exec sleep ${tag}`]);
  await spawned(child);
  process.kill(child.pid!, 'SIGKILL'); // not child.kill(): nsbox did not ask for it
  return child.report;
}

describe('PID 1 killed from outside', () => {
  const withCgroup = noCgroupReason === null;
  const policy = withCgroup ? { limits: { memory: '64M', pids: 16 } } : {};

  it(`the run reports (not ok, not killed by nsbox) and the payload is gone${withCgroup ? "; the run's cgroup is removed" : ' (no cgroup here)'}`, async () => {
    const tag = uniqueSleep();
    const report = await killInit(policy, tag);
    expect(report.status).not.toBe('ok');
    expect(report.killed).toBe(false);
    expect(hostProcessesMatching(`sleep ${tag}`)).toEqual([]);
    if (withCgroup) for (const dir of runCgroupDirs(report)) expect(fs.existsSync(dir), dir).toBe(false);
  });

  // PID 1 killed by someone other than the host's kill() is not the payload's signal: the sandbox broke.
  it('the report is internal-error, naming the init\'s SIGKILL', async () => {
    const report = await killInit(policy, uniqueSleep());
    expect({ status: report.status, error: report.error }).toEqual({
      status: 'internal-error',
      error: 'nsbox-init ended without a report (killed by SIGKILL)',
    });
  });
});
