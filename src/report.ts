import type { CapabilityName, NamespaceName, NetworkMode } from './policy/types.js';

/** How a run ended. Limit statuses (time, memory, output, pids) arrive with cgroup limits. */
export type RunStatus = 'ok' | 'runtime-error' | 'signaled' | 'internal-error';

/** What was actually in force for a run, so nobody has to guess. */
export interface Enforced {
  namespaces: Record<NamespaceName, boolean>;
  /** true when the host had no root privileges and the caller's own ids were mapped. */
  rootless: boolean;
  /** The single id mapping of the user namespace: inside ids and the host ids they stand for. */
  idMap: { uid: number; gid: number; hostUid: number; hostGid: number } | null;
  /** Capabilities the payload kept in every set (empty: all dropped). */
  capabilities: CapabilityName[];
  noNewPrivs: true;
  /** The new root is a tmpfs made read-only after setup; writable only where a mount says so. */
  readOnlyRoot: boolean;
  network: NetworkMode;
  rlimits: Record<string, { soft: string; hard: string }>;
  seccomp: false;
  landlock: false;
  cgroup: false;
}

export interface RunReport {
  status: RunStatus;
  /** Exit code when the payload exited, otherwise null. */
  exitCode: number | null;
  /** Signal name when the payload was killed by a signal ('SIGTERM', 'SIGRTMIN+2'), otherwise null. */
  signal: string | null;
  /** Signal number when the payload was killed by a signal, otherwise null. */
  signalNumber: number | null;
  /** From the payload's execve to its exit, measured by the init on CLOCK_MONOTONIC. */
  wallTimeMs: number;
  /** CPU time of the payload and every descendant the init reaped (rusage of its children). */
  userTimeMs: number;
  systemTimeMs: number;
  /** Largest resident set of any single reaped process (rusage), in bytes. */
  maxRssBytes: number;
  /** From spawn() to the payload's execve: the cost of building the sandbox. */
  setupMs: number;
  /** The host killed the run (kill(), AbortSignal, maxBuffer). */
  killed: boolean;
  /** For internal-error: what went wrong. */
  error?: string;
  enforced: Enforced;
}

export interface RunResult extends RunReport {
  stdout: string;
  stderr: string;
}
