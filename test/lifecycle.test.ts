// How a run ends: exit codes, signals, kill(), AbortSignal, events and timings.
import { describe, expect, it } from 'vitest';
import { type RunReport, Sandbox } from '../src/index.js';
import { hasPython, PYTHON } from './helpers/host.js';

function spawned(child: { once(event: 'spawn', listener: () => void): unknown }): Promise<void> {
  return new Promise((resolve) => child.once('spawn', resolve));
}

describe('lifecycle', () => {
  it('the exit code propagates', async () => {
    const sandbox = new Sandbox({});
    const failed = await sandbox.run('/bin/sh', ['-c', 'exit 42']);
    expect([failed.status, failed.exitCode, failed.signal, failed.killed]).toEqual(['runtime-error', 42, null, false]);
    const ok = await sandbox.run('/bin/true');
    expect([ok.status, ok.exitCode, ok.signal]).toEqual(['ok', 0, null]);
  });

  it('a payload killed by a signal is reported as signaled, with the name', async () => {
    const result = await new Sandbox({}).run('/bin/sh', ['-c', 'kill -KILL $$']);
    expect([result.status, result.exitCode, result.signal, result.killed]).toEqual(['signaled', null, 'SIGKILL', false]);
    const segv = await new Sandbox({}).run('/bin/sh', ['-c', 'kill -SEGV $$']);
    expect([segv.status, segv.signal]).toEqual(['signaled', 'SIGSEGV']);
  });

  it("child.kill('SIGTERM') after 'spawn' is forwarded by PID 1 and ends the payload quickly", async () => {
    const child = new Sandbox({}).spawn('/bin/sleep', ['30']);
    await spawned(child);
    const start = Date.now();
    expect(child.kill('SIGTERM')).toBe(true);
    const report = await child.report;
    expect(Date.now() - start).toBeLessThan(2000);
    expect([report.status, report.signal, report.exitCode, report.killed]).toEqual(['signaled', 'SIGTERM', null, true]);
  });

  it("child.kill('SIGTERM') right after spawn(), before 'spawn', is not lost", async () => {
    const start = Date.now();
    const child = new Sandbox({}).spawn('/bin/sleep', ['4']);
    child.kill('SIGTERM');
    // A setup error here would be a misreport too: nothing failed but the signal.
    const report = await child.report.catch((error: Error) => ({ status: `rejected: ${error.message}`, signal: null, killed: null }));
    const elapsed = Date.now() - start;
    expect({ status: report.status, signal: report.signal, killed: report.killed, fast: elapsed < 2000 }).toEqual({
      status: 'signaled',
      signal: 'SIGTERM',
      killed: true,
      fast: true,
    });
  });

  it('a SIGKILL right after the payload started is always reported as signaled', async () => {
    // kill() as soon as the first output arrives: the init may not have reported the exec yet.
    const outcomes = new Map<string, number>();
    // The window is small (a few percent of runs), hence many runs.
    const runs = 150;
    for (let i = 0; i < runs; i++) {
      const child = new Sandbox({}).spawn('/bin/sh', ['-c', 'echo hi; exec sleep 30']);
      child.stdout!.once('data', () => child.kill('SIGKILL'));
      const report = await child.report;
      const key = `${report.status} ${report.signal}${report.error ? ` (${report.error})` : ''}`;
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    }
    expect(Object.fromEntries(outcomes)).toEqual({ 'signaled SIGKILL': runs });
  });

  it('a payload that handles SIGTERM can exit cleanly', async () => {
    const child = new Sandbox({}).spawn('/bin/sh', ['-c', 'trap "echo bye; exit 3" TERM; echo ready; while :; do sleep 0.05; done']);
    let out = '';
    const ready = new Promise<void>((resolve) => child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk;
      if (out.includes('ready')) resolve();
    }));
    await ready;
    child.kill('SIGTERM');
    const report = await child.report;
    expect([report.status, report.exitCode]).toEqual(['runtime-error', 3]);
    expect(out).toBe('ready\nbye\n');
  });

  it('an AbortSignal kills the whole sandbox (killed: true)', async () => {
    const controller = new AbortController();
    const child = new Sandbox({}).spawn('/bin/sleep', ['30'], { signal: controller.signal });
    await spawned(child);
    const start = Date.now();
    controller.abort();
    const report = await child.report;
    expect(Date.now() - start).toBeLessThan(2000);
    expect([report.status, report.signal, report.killed]).toEqual(['signaled', 'SIGKILL', true]);
  });

  it('an already aborted signal ends the run at once, reported as signaled', async () => {
    const start = Date.now();
    const report = await new Sandbox({}).run('/bin/sleep', ['30'], { signal: AbortSignal.abort() });
    expect(Date.now() - start).toBeLessThan(2000);
    // The host asked for the kill: that is not an internal error of nsbox.
    expect({ status: report.status, signal: report.signal, killed: report.killed, error: report.error }).toEqual({
      status: 'signaled',
      signal: 'SIGKILL',
      killed: true,
      error: undefined,
    });
  });

  it("'spawn' fires before 'exit', once each, and child.pid is known at 'spawn'", async () => {
    const child = new Sandbox({}).spawn('/bin/true');
    const events: string[] = [];
    let pidAtSpawn: number | undefined;
    child.on('spawn', () => {
      events.push('spawn');
      pidAtSpawn = child.pid;
    });
    const exitReport = new Promise<RunReport>((resolve) => child.on('exit', (report) => {
      events.push('exit');
      resolve(report);
    }));
    const report = await child.report;
    expect(await exitReport).toBe(report);
    expect(events).toEqual(['spawn', 'exit']);
    expect(pidAtSpawn).toBeGreaterThan(0);
  });

  it('wallTimeMs measures the payload', async () => {
    const report = await new Sandbox({}).run('/bin/sleep', ['0.2']);
    expect(report.status).toBe('ok');
    expect(report.wallTimeMs).toBeGreaterThanOrEqual(190);
    expect(report.wallTimeMs).toBeLessThan(400);
    expect(report.setupMs).toBeGreaterThan(0);
    expect(report.setupMs).toBeLessThan(2000);
  });

  it.runIf(hasPython)('userTimeMs counts the CPU time of the payload', async () => {
    // Pure computation between rare clock reads (each read is a system call, counted as system time).
    const code = 'import time\nt = time.process_time()\nwhile time.process_time() - t < 0.3:\n    for _ in range(200000): pass';
    const report = await new Sandbox({}).run(PYTHON, ['-c', code]);
    expect(report.status).toBe('ok');
    expect(report.userTimeMs + report.systemTimeMs).toBeGreaterThanOrEqual(290);
    expect(report.userTimeMs).toBeGreaterThanOrEqual(200);
    expect(report.userTimeMs + report.systemTimeMs).toBeLessThan(1500);
    expect(report.wallTimeMs).toBeGreaterThanOrEqual(290);
    expect(report.maxRssBytes).toBeGreaterThan(1 << 20);
  });
  // Daemons left behind: test/security/daemons.test.ts; the host process SIGKILLed: test/faults/host-killed.test.ts.
});

describe('signals outside the usual names', () => {
  it('a payload killed by a real-time signal is reported as signaled, with its number', async () => {
    const report = await new Sandbox().run('/bin/sh', ['-c', 'kill -s RTMIN+2 $$; sleep 5']);
    expect([report.status, report.signal, report.signalNumber, report.exitCode]).toEqual(['signaled', 'SIGRTMIN+2', 36, null]);
  });

  it('kill() refuses signals a PID namespace init would silently drop', async () => {
    const child = new Sandbox().spawn('/bin/sleep', ['5']);
    expect(() => child.kill('SIGSEGV')).toThrow(/cannot be delivered/);
    expect(() => child.kill('SIGSTOP')).toThrow(/cannot be delivered/);
    child.kill('SIGKILL');
    expect((await child.report).signal).toBe('SIGKILL');
  });
});
