// The verdict of a run, from the evidence the kernel and PID 1 left. Each rule, in order of
// precedence, is documented in docs/limits.md with the counter that proves it.
import { constants } from 'node:os';
import type { LimitKind, RunStatus } from './report.js';

export interface Evidence {
  /** The payload's execve succeeded. */
  started: boolean;
  exitCode: number | null;
  signalNumber: number | null;
  /** kill(), an AbortSignal or maxBuffer ended the run. */
  killedByHost: boolean;
  /** PID 1 ended the run at a CPU-time or wall-time limit (ST_LIMIT record). */
  limitHit: 'cpu' | 'wall' | null;
  /** The host stopped reading at limits.output. */
  outputExceeded: boolean;
  /** memory.events oom_kill (v2) / memory.oom_control oom_kill (v1) of the run's cgroup. */
  oomKills: number;
  /** pids.events max of the run's cgroup: forks refused at the limit. */
  pidsMaxHits: number;
  /** PID 1 saw a syscall the seccomp filter refuses with kill (ST_VIOLATION record). */
  violation: boolean;
  /** The CPU-time limit fell back to RLIMIT_CPU (bestEffort without cgroups): it ends with SIGXCPU, or SIGKILL at the hard limit. */
  cpuRlimitFallback: boolean;
}

export interface Verdict {
  status: RunStatus;
  limitExceeded: LimitKind | null;
}

export function decideVerdict(e: Evidence): Verdict {
  // A refused syscall ends the run at once; SIGSYS alone is the same without the syscall's name (trap).
  if (e.violation || (e.signalNumber === constants.signals.SIGSYS && !e.killedByHost)) return { status: 'syscall-violation', limitExceeded: null };
  if (e.limitHit) return { status: 'time-limit', limitExceeded: e.limitHit };
  // An OOM kill is never a plain signal, whichever process it hit.
  if (e.oomKills > 0) return { status: 'memory-limit', limitExceeded: 'memory' };
  if (e.outputExceeded) return { status: 'output-limit', limitExceeded: 'output' };
  const cpuRlimitSignal = e.signalNumber === constants.signals.SIGXCPU || (e.signalNumber === constants.signals.SIGKILL && !e.killedByHost);
  if (e.cpuRlimitFallback && cpuRlimitSignal) return { status: 'time-limit', limitExceeded: 'cpu' };
  if (e.signalNumber !== null && e.killedByHost) return { status: 'signaled', limitExceeded: null };
  const failed = e.signalNumber !== null || (e.exitCode !== null && e.exitCode !== 0);
  if (failed && e.pidsMaxHits > 0) return { status: 'pids-limit', limitExceeded: 'pids' };
  if (e.signalNumber !== null) return { status: 'signaled', limitExceeded: null };
  if (e.exitCode === null) return { status: 'internal-error', limitExceeded: null };
  return { status: e.exitCode === 0 ? 'ok' : 'runtime-error', limitExceeded: null };
}
