// Streams closed early on either side: a payload that closes its stdout and goes on, and a host that destroys the
// stdout stream while the payload still writes. Neither crashes the host with EPIPE; both runs report.
import { describe, expect, it } from 'vitest';
import { Sandbox, type SandboxError } from '../../src/index.js';

describe('stdout closed early', () => {
  it('by the payload: the run still reports, with its stderr and exit code', async () => {
    const result = await new Sandbox({}).run('/bin/sh', ['-c', 'echo before; exec 1>&-; sleep 0.1; echo after-close >&2; exit 3']);
    expect({ status: result.status, exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr }).toEqual({
      status: 'runtime-error', exitCode: 3, stdout: 'before\n', stderr: 'after-close\n',
    });
  });

  it('by the host, while the payload writes: the payload dies of SIGPIPE, the host gets a report and no error', async () => {
    const child = new Sandbox({}).spawn('/usr/bin/yes');
    const errors: SandboxError[] = [];
    child.on('error', (error) => errors.push(error));
    child.stdout!.once('data', () => child.stdout!.destroy());
    const report = await child.report;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect({ status: report.status, signal: report.signal, killed: report.killed, errors }).toEqual({ status: 'signaled', signal: 'SIGPIPE', killed: false, errors: [] });
  });
});
