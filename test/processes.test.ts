// The PID namespace: the payload sees only the sandbox's own processes, with the init as PID 1.
// (That host processes are neither visible nor reachable is test/security/host-processes.test.ts.)
import { describe, expect, it } from 'vitest';
import { Sandbox } from '../src/index.js';
import { lines, okOutput, sh } from './helpers/run.js';

function pids(listing: string): number[] {
  return lines(listing).filter((name) => /^\d+$/.test(name)).map(Number).sort((a, b) => a - b);
}

describe('processes', () => {
  it('the payload is PID 2, its parent is PID 1, and its children count up from there', async () => {
    const out = okOutput(await sh('echo $$; echo $PPID; /bin/sh -c \'echo $$\'; ls /proc'));
    const [self, parent, grandchild, ...listing] = lines(out);
    expect(Number(self)).toBe(2);
    expect(Number(parent)).toBe(1);
    expect(Number(grandchild)).toBeGreaterThan(2);
    expect(Number(grandchild)).toBeLessThan(10);
    // 1, the shell, and the ls (the grandchild shell has exited and was reaped)
    const seen = pids(listing.join('\n'));
    expect(seen.length).toBeLessThanOrEqual(3);
    expect(seen.slice(0, 2)).toEqual([1, 2]);
    expect(seen.every((pid) => pid < 10)).toBe(true);
  });

  it('PID 1 is the nsbox init', async () => {
    const out = okOutput(await sh("tr '\\0' ' ' < /proc/1/cmdline; echo"));
    expect(out.trim()).toBe('nsbox-init');
  });

  it('ps sees a small process table', async () => {
    const out = okOutput(await sh('ps -e -o pid=,comm='));
    const table = lines(out).map((line) => line.trim().split(/\s+/));
    expect(table.length).toBeLessThanOrEqual(3); // init, sh, ps
    expect(table.map(([pid]) => Number(pid))).toContain(1);
    expect(table.some(([, comm]) => comm === 'ps')).toBe(true);
  });

  it('child.pid is the host pid of the init, a child of the host process', async () => {
    const { readFileSync } = await import('node:fs');
    const child = new Sandbox({}).spawn('/bin/sleep', ['30']);
    try {
      await new Promise<void>((resolve) => child.once('spawn', resolve));
      expect(child.pid).toBeGreaterThan(2);
      const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      expect(ppid).toBe(process.pid);
      // NSpid: host pid, then 1 inside
      const nspid = /^NSpid:[ \t]*(.*)$/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1].trim().split(/\s+/).map(Number);
      expect(nspid).toEqual([child.pid, 1]);
    } finally {
      child.kill('SIGKILL');
      await child.report;
    }
  });
});
