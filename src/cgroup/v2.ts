// A run cgroup on the unified hierarchy: <home>/nsbox-<pid>-<starttime>/run-<n>.
import fs from 'node:fs';
import { join } from 'node:path';
import { closeFd } from '../syscalls/fds.js';
import type { V2Layout } from './detect.js';
import {
  hasProcs, keyed, killPids, openingAll, makeDir, openFd, procsBelow, readNumber, removeTree, removeWithRetry, tryRead, tryWrite, writeValue,
} from './files.js';
import type { CgroupLimits, CgroupStats, InitCgroupFds, RunCgroup } from './types.js';

const O_RDONLY = fs.constants.O_RDONLY;
const O_DIRECTORY = fs.constants.O_DIRECTORY;
export const CPU_PERIOD_US = 100_000;
const KILL_ROUNDS = 1000;

/** Quota in µs per 100 ms period; the kernel refuses less than 1 ms. */
export function cpuQuotaUs(cpus: number): number {
  return Math.max(1000, Math.round(cpus * CPU_PERIOD_US));
}

function applyLimits(dir: string, limits: CgroupLimits, controllers: ReadonlySet<string>): void {
  if (controllers.has('memory')) {
    if (limits.memoryBytes !== undefined) writeValue(join(dir, 'memory.max'), limits.memoryBytes);
    const swap = join(dir, 'memory.swap.max'); // absent without swap accounting
    if ((limits.memoryBytes !== undefined || limits.swapBytes !== undefined) && fs.existsSync(swap)) {
      writeValue(swap, limits.swapBytes ?? 0);
    }
    // One OOM kill takes the whole run, not just the largest process in it.
    writeValue(join(dir, 'memory.oom.group'), 1);
  }
  // +1 by default: the sandbox's PID 1 (the init) lives in this cgroup too, so `pids` stays what the payload gets.
  if (limits.pids !== undefined) writeValue(join(dir, 'pids.max'), limits.pids + (limits.initProcesses ?? 1));
  if (limits.cpus !== undefined) writeValue(join(dir, 'cpu.max'), `${cpuQuotaUs(limits.cpus)} ${CPU_PERIOD_US}`);
  if (limits.cpuset !== undefined) writeValue(join(dir, 'cpuset.cpus'), limits.cpuset);
}

/**
 * Kill everything in `dir` and below: cgroup.kill (5.14+). Older kernels: freeze (5.2+) so nothing
 * forks meanwhile (a fatal signal still gets through), then SIGKILL what cgroup.procs lists until it is empty.
 */
export function killV2(dir: string): void {
  if (tryWrite(join(dir, 'cgroup.kill'), 1)) return;
  const frozen = tryWrite(join(dir, 'cgroup.freeze'), 1);
  try {
    for (let round = 0; round < KILL_ROUNDS; round++) {
      const pids = procsBelow(dir);
      if (pids.length === 0) break;
      killPids(pids);
    }
  } finally {
    if (frozen) tryWrite(join(dir, 'cgroup.freeze'), 0);
  }
}

class V2Run implements RunCgroup {
  readonly version = 2;
  private fds: InitCgroupFds | null = null;

  constructor(readonly path: string, private memoryLimited: boolean, private readonly controllers: ReadonlySet<string>) {}

  procsPaths(): string[] {
    return [join(this.path, 'cgroup.procs')];
  }

  arm(limits: CgroupLimits): void {
    applyLimits(this.path, limits, this.controllers);
    this.memoryLimited = limits.memoryBytes !== undefined;
  }

  initFds({ join: joins = true }: { join?: boolean } = {}): InitCgroupFds {
    if (this.fds) return this.fds;
    this.fds = openingAll((open) => {
      let oom: InitCgroupFds['oom'] = null;
      if (this.memoryLimited) {
        const fd = open(join(this.path, 'memory.events'), O_RDONLY);
        // kernfs reports POLLPRI on a fresh open until the first read: read once so the init's
        // poll waits for a real event (the init shares this open file, so this read counts for it).
        fs.readSync(fd, Buffer.alloc(512), 0, 512, 0);
        oom = { fd, kind: 'memory.events' };
      }
      return {
        intoFd: joins ? open(this.path, O_RDONLY | O_DIRECTORY) : undefined,
        cpuUsage: { fd: open(join(this.path, 'cpu.stat'), O_RDONLY), format: 'cpu.stat' as const },
        oom,
      };
    });
    return this.fds;
  }

  closeInitFds(): void {
    if (!this.fds) return;
    if (this.fds.intoFd !== undefined) closeFd(this.fds.intoFd);
    closeFd(this.fds.cpuUsage.fd);
    if (this.fds.oom) closeFd(this.fds.oom.fd);
    this.fds = null;
  }

  readStats(): CgroupStats {
    const file = (name: string) => join(this.path, name);
    const cpu = keyed(tryRead(file('cpu.stat'))); // core file: present without the cpu controller
    const peak = readNumber(file('memory.peak')); // kernel >= 5.19
    const events = keyed(tryRead(file('memory.events')));
    return {
      cpuUserNs: (cpu.get('user_usec') ?? 0) * 1000,
      cpuSystemNs: (cpu.get('system_usec') ?? 0) * 1000,
      cpuTotalNs: (cpu.get('usage_usec') ?? 0) * 1000,
      memoryCurrentBytes: readNumber(file('memory.current')) ?? 0,
      memoryPeakBytes: peak ?? null,
      memoryPeakSource: peak === undefined ? null : 'memory.peak',
      pidsCurrent: readNumber(file('pids.current')) ?? 0,
      // A group kill counts its victim twice in oom_kill (once chosen, once as a member of the group);
      // oom_group_kill (kernel >= 5.17) counts group kills, so the difference is the processes killed.
      oomKills: Math.max(0, (events.get('oom_kill') ?? 0) - (events.get('oom_group_kill') ?? 0)),
      pidsMaxHits: keyed(tryRead(file('pids.events'))).get('max') ?? 0,
    };
  }

  populated(): boolean {
    return hasProcs(this.path);
  }

  kill(): void {
    killV2(this.path);
  }

  async destroy(): Promise<void> {
    this.closeInitFds();
    // Still busy: something outlived the run; it must not keep the cgroup (or escape its end).
    await removeWithRetry(this.path, () => this.kill());
  }
}

/** A new run cgroup named `name`, limits applied; null when that name is taken. */
export function createV2Run(layout: V2Layout, name: string, limits: CgroupLimits): RunCgroup | null {
  const dir = join(layout.dir, name);
  if (!makeDir(dir)) return null;
  try {
    applyLimits(dir, limits, layout.controllers);
  } catch (error) {
    try {
      removeTree(dir);
    } catch {
      // the limit's error is the one to report
    }
    throw error;
  }
  return new V2Run(dir, limits.memoryBytes !== undefined, layout.controllers);
}
