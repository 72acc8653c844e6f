// Leaving the run's cgroup (the limits go with it) or abusing a cgroup file: CVE-2022-0492 wrote release_agent
// of a cgroup v1 hierarchy to run a program as host root; the simpler escape writes one's pid into another
// cgroup's cgroup.procs. /sys is not mounted in the sandbox, the cgroup namespace hides the host's paths, and
// mounting cgroupfs is refused, so no cgroup file is reachable. As root with limits, the payload is still in its
// run's cgroup after trying, as the host sees it.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Sandbox } from '../../src/index.js';
import { noCgroupReason, runDirsHolding } from '../helpers/limits.js';
import { lines } from '../helpers/run.js';

const ATTEMPTS = `
for f in /sys/fs/cgroup/cgroup.procs /sys/fs/cgroup/memory/cgroup.procs /sys/fs/cgroup/pids/cgroup.procs /sys/fs/cgroup/memory/release_agent; do
  (echo $$ > $f) 2>/dev/null && echo "wrote $f" || echo "denied $f"
done
test -e /sys && echo "sys present" || echo "sys absent"
mkdir -p /tmp/cg && (mount -t cgroup -o memory none /tmp/cg 2>/dev/null || mount -t cgroup2 none /tmp/cg 2>/dev/null) && echo mounted || echo "mount denied"
cat /proc/self/cgroup
`;

describe('cgroup escape', () => {
  it('no cgroup.procs or release_agent is reachable, cgroupfs cannot be mounted, and /proc/self/cgroup shows only the namespace root', async () => {
    const result = await new Sandbox({}).run('/bin/sh', ['-c', ATTEMPTS]);
    expect(result.status).toBe('ok');
    const out = lines(result.stdout);
    expect(out.slice(0, 6)).toEqual([
      'denied /sys/fs/cgroup/cgroup.procs',
      'denied /sys/fs/cgroup/memory/cgroup.procs',
      'denied /sys/fs/cgroup/pids/cgroup.procs',
      'denied /sys/fs/cgroup/memory/release_agent',
      'sys absent',
      'mount denied',
    ]);
    // Every hierarchy line ends in "/": the cgroup namespace's root, not a host path.
    expect(out.slice(6).length).toBeGreaterThan(0);
    for (const line of out.slice(6)) expect(line).toMatch(/:\/$/);
  });

  const skip = noCgroupReason;
  it.skipIf(skip !== null)(`with limits, the payload is in its run's cgroup after trying, as the host sees it${skip ? ` [skipped: this host gives nsbox no cgroup: ${skip.slice(0, 120)}]` : ''}`, async () => {
    const child = new Sandbox({ limits: { memory: '64M', pids: 16 } }).spawn('/bin/sh', ['-c', `${ATTEMPTS} >/dev/null; echo tried; exec sleep 30`]);
    try {
      await new Promise<void>((resolve) => child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('tried') && resolve()));
      const payload = Number(fs.readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(' ')[0]);
      const hostView = fs.readFileSync(`/proc/${payload}/cgroup`, 'utf8');
      const runDirs = runDirsHolding(child.pid!);
      expect(runDirs.length).toBeGreaterThan(0);
      // Both hierarchies the limits use list the run's cgroup for the payload.
      for (const controller of ['memory', 'pids']) {
        expect(hostView).toMatch(new RegExp(`:${controller}:/.*nsbox-[^/]+/run-\\d+$`, 'm'));
      }
    } finally {
      child.kill('SIGKILL');
      await child.report;
    }
  });
});
