// The cgroup manager's public shapes. Internal layout types live in detect.ts.

export interface CgroupLimits {
  memoryBytes?: number;
  /** Swap allowed on top of memoryBytes; default 0 when memoryBytes is set. */
  swapBytes?: number;
  /** Processes of the payload; nsbox's own processes in the cgroup are added on top (see initProcesses). */
  pids?: number;
  /**
   * nsbox processes the cgroup counts besides the payload's: by default a one-shot sandbox's PID 1
   * (and on v1 the first stage that cloned it); 0 for a warm sandbox's job, whose PID 1 lives elsewhere.
   */
  initProcesses?: number;
  /**
   * cgroup v1: leave out the freezer hierarchy. The host freezes a run only to kill what it left, which a warm
   * job's PID 1 does itself (kill(-1) in its PID namespace); one hierarchy fewer to make, join and remove.
   */
  withoutFreezer?: boolean;
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
  /**
   * The fds to hand to the init (all O_CLOEXEC; the launcher dup2s them). Call closeInitFds() right after spawning.
   * `join: false` leaves out intoFd and procsFds: a warm job's process is in the cgroup already.
   */
  initFds(options?: { join?: boolean }): InitCgroupFds;
  closeInitFds(): void;
  readStats(): CgroupStats;
  /**
   * Kill every process in the run's cgroup: v2 cgroup.kill (kernel >= 5.14; else cgroup.procs and SIGKILL
   * each, repeated until empty); v1 freezer FROZEN, SIGKILL everything in cgroup.procs, THAWED.
   */
  kill(): void;
  /** cgroup.procs of every hierarchy the run uses: a warm sandbox's runner moves itself in through them. */
  procsPaths(): string[];
  /** Apply (new) limits to the existing cgroup; a warm job's own limits over its pool's. */
  arm(limits: CgroupLimits): void;
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
