// The cgroup manager's public shapes. Internal layout types live in detect.ts.

export interface CgroupLimits {
  memoryBytes?: number;
  /** Swap allowed on top of memoryBytes; default 0 when memoryBytes is set. */
  swapBytes?: number;
  /** Processes of the payload; the sandbox's PID 1 is added on top. */
  pids?: number;
  /** CPU quota in cores, e.g. 0.5. */
  cpus?: number;
  /** CPUs the run may use, e.g. '0-1'. */
  cpuset?: string;
}

export interface CgroupStats {
  cpuUserNs: number;
  cpuSystemNs: number;
  cpuTotalNs: number;
  memoryCurrentBytes: number;
  memoryPeakBytes: number | null;
  memoryPeakSource: 'memory.peak' | 'max_usage_in_bytes' | null;
  pidsCurrent: number;
  oomKills: number;
  pidsMaxHits: number;
}

export interface InitCgroupFds {
  /** v2: an O_RDONLY|O_DIRECTORY|O_CLOEXEC fd of the run's cgroup, for clone3(CLONE_INTO_CGROUP). */
  intoFd?: number;
  /** v1: O_WRONLY|O_CLOEXEC fds of cgroup.procs in each hierarchy the run uses; the init writes its own pid to each before clone3. */
  procsFds?: number[];
  /** fd the init re-reads with pread(fd, buf, n, 0) for the tree's CPU time: v2 cpu.stat ('usage_usec N' line, µs) or v1 cpuacct.usage (ns). */
  cpuUsage: { fd: number; format: 'cpu.stat' | 'cpuacct.usage' };
  /**
   * OOM notification: v2 memory.events opened O_RDONLY (the init polls POLLPRI and parses 'oom_kill N');
   * v1 an eventfd registered through cgroup.event_control on memory.oom_control (the init polls POLLIN).
   * null when no memory limit.
   */
  oom: { fd: number; kind: 'memory.events' | 'eventfd' } | null;
}

export interface RunCgroup {
  readonly version: 1 | 2;
  /** v2 path, or v1 memory (or first) hierarchy path, for messages. */
  readonly path: string;
  /** The fds to hand to the init (all O_CLOEXEC; the launcher dup2s them). Call closeInitFds() right after spawning. */
  initFds(): InitCgroupFds;
  closeInitFds(): void;
  readStats(): CgroupStats;
  /**
   * Kill every process in the run's cgroup: v2 cgroup.kill (kernel >= 5.14; else cgroup.procs and SIGKILL
   * each, repeated until empty); v1 freezer FROZEN, SIGKILL everything in cgroup.procs, THAWED.
   */
  kill(): void;
  /** Whether a process is still in the run's cgroup (cheap: one read). */
  populated(): boolean;
  /** Remove the cgroup (and its v1 siblings); retries rmdir on EBUSY for up to ~1 s; never throws for a cgroup already gone. */
  destroy(): Promise<void>;
}

export interface CgroupManager {
  readonly version: 1 | 2 | null;
  /** null when usable; otherwise why not, with the fix. */
  readonly unavailable: string | null;
  /** Controllers usable here (subset of memory, pids, cpu, cpuset). */
  readonly controllers: ReadonlySet<string>;
  /** Create a run cgroup with these limits applied (fails with a clear Error naming the file and errno). */
  create(limits: CgroupLimits): RunCgroup;
}
