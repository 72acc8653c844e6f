// Processes that outlive the run: the classic daemon (fork, setsid, fork again, ignore SIGHUP and SIGTERM) that a
// payload leaves behind to keep a foothold, mine coins or wait for the next job on a shared runner. When the
// payload exits, PID 1 exits and the kernel kills everything left in the PID namespace: nothing is found on the
// host afterwards. (A sandbox outliving its host process: test/faults/host-killed.test.ts.)
import { describe, expect, it } from 'vitest';
import { Sandbox } from '../../src/index.js';
import { hostProcessesMatching } from '../helpers/host.js';

/** A sleep duration no other process on the host has in its command line. */
const unique = (base: number) => `${base}.${process.pid}${Math.floor(Math.random() * 1e6)}`;

function killLeftovers(text: string): void {
  for (const { pid } of hostProcessesMatching(text)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

describe('daemons left behind', () => {
  it('a double-forked, setsid, SIGTERM-ignoring daemon and a plain background child are gone when the run is over', async () => {
    const plain = unique(1234);
    const daemon = unique(1235);
    try {
      // Wait until both have exec'd sleep, so the check afterwards looks for something that did exist.
      const script = `sleep ${plain} &
        setsid sh -c 'trap "" HUP TERM INT; (trap "" HUP TERM INT; exec sleep ${daemon}) & exit 0' &
        until [ "$(ps -eo args | grep -c '^sleep ')" -ge 2 ]; do :; done
        ps -eo args | grep '^sleep ' | sort
        exit 0`;
      const result = await new Sandbox({}).run('/bin/sh', ['-c', script]);
      expect({ status: result.status, stdout: result.stdout }).toEqual({ status: 'ok', stdout: `sleep ${plain}\nsleep ${daemon}\n` });
      // PID 1 exits only once the kernel has killed the rest of its namespace, so by the report they are gone.
      expect([...hostProcessesMatching(plain), ...hostProcessesMatching(daemon)]).toEqual([]);
    } finally {
      killLeftovers(plain);
      killLeftovers(daemon);
    }
  });
});
