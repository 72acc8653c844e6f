// A run cgroup on v1 hierarchies: <own cgroup>/nsbox-<pid>-<starttime>/run-<n> in each hierarchy used.
import fs from 'node:fs';
import { join } from 'node:path';
import { closeFd } from '../syscalls/fds.js';
import type { V1Layout } from './detect.js';
import {
  CgroupError, hasProcs, openingAll, eventfd, keyed, killPids, makeDir, openFd, procsBelow, readNumber, removeTree, removeWithRetry, tryRead,
  tryWrite, writeValue,
} from './files.js';
import type { CgroupLimits, CgroupStats, InitCgroupFds, RunCgroup } from './types.js';
import { CPU_PERIOD_US, cpuQuotaUs } from './v2.js';

const O_RDONLY = fs.constants.O_RDONLY;
const O_WRONLY = fs.constants.O_WRONLY;
/** cpuacct.stat counts USER_HZ ticks, 100 per second on every Linux ABI. */
const NS_PER_TICK = 1e9 / 100;
const KILL_ROUNDS = 100;
/** Hierarchies every run joins (accounting, kill); cpu and cpuset only when limited. */
const ALWAYS = ['memory', 'pids', 'cpuacct', 'freezer'];

function applyLimits(dirs: ReadonlyMap<string, string>, limits: CgroupLimits): void {
  const memory = dirs.get('memory')!;
  if (limits.memoryBytes !== undefined) {
    writeValue(join(memory, 'memory.limit_in_bytes'), limits.memoryBytes);
    // memsw is memory plus swap; absent without swap accounting (then swap is not limited).
    const memsw = join(memory, 'memory.memsw.limit_in_bytes');
    if (fs.existsSync(memsw)) writeValue(memsw, limits.memoryBytes + (limits.swapBytes ?? 0));
  } else if (limits.swapBytes !== undefined) {
    throw new CgroupError('limit swap through', join(memory, 'memory.memsw.limit_in_bytes'), 'EINVAL',
      'cgroup v1 limits memory and swap together: set memoryBytes too');
  }
  // +2 by default: the sandbox's PID 1 lives in this cgroup, and on v1 so does the first stage (or zygote)
  // that cloned it until the host reaps it, so `pids` stays what the payload gets.
  if (limits.pids !== undefined) writeValue(join(dirs.get('pids')!, 'pids.max'), limits.pids + (limits.initProcesses ?? 2));
  if (limits.cpus !== undefined) {
    const cpu = dirs.get('cpu')!;
    writeValue(join(cpu, 'cpu.cfs_period_us'), CPU_PERIOD_US);
    writeValue(join(cpu, 'cpu.cfs_quota_us'), cpuQuotaUs(limits.cpus));
  }
  // cpuset.mems came from our parent through cgroup.clone_children.
  if (limits.cpuset !== undefined) writeValue(join(dirs.get('cpuset')!, 'cpuset.cpus'), limits.cpuset);
}

/**
 * Freeze so nothing forks while we signal, SIGKILL everything listed, thaw so the killed can die.
 * Repeated while a round finds pids not signalled before (forks that raced the freeze).
 */
export function killV1(dirs: readonly string[], freezer: string | undefined): void {
  const signalled = new Set<number>();
  for (let round = 0; round < KILL_ROUNDS; round++) {
    const frozen = freezer !== undefined && tryWrite(join(freezer, 'freezer.state'), 'FROZEN');
    try {
      const fresh = [...new Set(dirs.flatMap(procsBelow))].filter((pid) => !signalled.has(pid));
      if (fresh.length === 0) return;
      killPids(fresh);
      fresh.forEach((pid) => signalled.add(pid));
    } finally {
      if (frozen) tryWrite(join(freezer, 'freezer.state'), 'THAWED');
    }
  }
}

export class V1Run implements RunCgroup {
  readonly version = 1;
  readonly path: string;
  private fds: InitCgroupFds | null = null;

  constructor(private readonly dirs: readonly string[], private readonly byController: ReadonlyMap<string, string>,
    private memoryLimited: boolean, private readonly preJoined = false) {
    this.path = byController.get('memory') ?? dirs[0];
  }

  /** A pre-made slot gets its limits when a run takes it (writing limits costs no migration). */
  arm(limits: CgroupLimits): void {
    applyLimits(this.byController, limits);
    this.memoryLimited = limits.memoryBytes !== undefined;
  }

  /** cgroup.procs of every hierarchy: where a zygote moves itself ahead of time. */
  procsPaths(): string[] {
    return this.dirs.map((dir) => join(dir, 'cgroup.procs'));
  }

  initFds({ join: joins = true }: { join?: boolean } = {}): InitCgroupFds {
    if (this.fds) return this.fds;
    this.fds = openingAll((open, track) => {
      // A zygote already lives in the cgroups: nothing is left to join.
      const procsFds = this.preJoined || !joins ? [] : this.dirs.map((dir) => open(join(dir, 'cgroup.procs'), O_WRONLY));
      const cpuUsage = { fd: open(join(this.byController.get('cpuacct')!, 'cpuacct.usage'), O_RDONLY), format: 'cpuacct.usage' as const };
      let oom: InitCgroupFds['oom'] = null;
      if (this.memoryLimited) {
        const efd = track(eventfd());
        const memory = this.byController.get('memory')!;
        const control = openFd(join(memory, 'memory.oom_control'), O_RDONLY);
        try {
          writeValue(join(memory, 'cgroup.event_control'), `${efd} ${control}`, 'register');
        } finally {
          closeFd(control); // the registration holds its own reference
        }
        oom = { fd: efd, kind: 'eventfd' as const };
      }
      return { procsFds, cpuUsage, oom };
    });
    return this.fds;
  }

  closeInitFds(): void {
    if (!this.fds) return;
    this.fds.procsFds!.forEach(closeFd);
    closeFd(this.fds.cpuUsage.fd);
    if (this.fds.oom) closeFd(this.fds.oom.fd);
    this.fds = null;
  }

  /** A file of the run in `controller`'s hierarchy; undefined when the run does not use that hierarchy. */
  private file(controller: string, name: string): string | undefined {
    const dir = this.byController.get(controller);
    return dir === undefined ? undefined : join(dir, name);
  }

  readStats(): CgroupStats {
    let user = readNumber(this.file('cpuacct', 'cpuacct.usage_user'));
    let system = readNumber(this.file('cpuacct', 'cpuacct.usage_sys'));
    if (user === undefined || system === undefined) {
      const ticks = keyed(tryRead(this.file('cpuacct', 'cpuacct.stat')));
      user = (ticks.get('user') ?? 0) * NS_PER_TICK;
      system = (ticks.get('system') ?? 0) * NS_PER_TICK;
    }
    const peak = readNumber(this.file('memory', 'memory.max_usage_in_bytes'));
    return {
      cpuUserNs: user,
      cpuSystemNs: system,
      cpuTotalNs: readNumber(this.file('cpuacct', 'cpuacct.usage')) ?? 0,
      memoryCurrentBytes: readNumber(this.file('memory', 'memory.usage_in_bytes')) ?? 0,
      memoryPeakBytes: peak ?? null,
      memoryPeakSource: peak === undefined ? null : 'max_usage_in_bytes',
      pidsCurrent: readNumber(this.file('pids', 'pids.current')) ?? 0,
      // 'oom_kill N' in memory.oom_control: kernel >= 4.13
      oomKills: keyed(tryRead(this.file('memory', 'memory.oom_control'))).get('oom_kill') ?? 0,
      pidsMaxHits: keyed(tryRead(this.file('pids', 'pids.events'))).get('max') ?? 0,
    };
  }

  populated(): boolean {
    return hasProcs(this.dirs[0]);
  }

  kill(): void {
    killV1(this.dirs, this.byController.get('freezer'));
  }

  /** Remove the (empty) cgroup now, without waiting: for exit handlers. */
  removeNow(): void {
    this.closeInitFds();
    for (const dir of this.dirs) removeTree(dir);
  }

  async destroy(): Promise<void> {
    this.closeInitFds();
    // Still busy: something outlived the run; it must not keep the cgroup (or escape its end).
    let killed = false;
    const killOnce = () => {
      if (!killed) this.kill();
      killed = true;
    };
    for (const dir of this.dirs) await removeWithRetry(dir, killOnce);
  }
}

/** Make `name` in each hierarchy; null when the name is taken. A failure removes what was made. */
function makeRunDirs(hierarchies: V1Layout['hierarchies'], name: string): { dirs: string[]; byController: Map<string, string> } | null {
  const dirs: string[] = [];
  const byController = new Map<string, string>();
  try {
    for (const h of hierarchies) {
      const dir = join(h.dir, name);
      if (!makeDir(dir)) {
        if (dirs.length === 0) return null;
        throw new CgroupError('create', dir, 'EEXIST', 'it exists already');
      }
      dirs.push(dir);
      for (const c of h.controllers) byController.set(c, dir);
    }
  } catch (error) {
    removeAll(dirs);
    throw error;
  }
  return { dirs, byController };
}

function removeAll(dirs: readonly string[]): void {
  for (const dir of dirs) {
    try {
      removeTree(dir);
    } catch {
      // the first error is the one to report
    }
  }
}

/**
 * A slot for a zygote: the run cgroup in the hierarchies every run joins, unlimited until armed.
 * Runs that limit cpus or cpuset take the ordinary path. null when that name is taken.
 */
export function createV1Slot(layout: V1Layout, name: string): V1Run | null {
  const made = makeRunDirs(layout.hierarchies.filter((h) => h.controllers.some((c) => ALWAYS.includes(c))), name);
  return made && new V1Run(made.dirs, made.byController, false, true);
}

/** A new run cgroup named `name` in each hierarchy it needs, limits applied; null when that name is taken. */
export function createV1Run(layout: V1Layout, name: string, limits: CgroupLimits): RunCgroup | null {
  const used = layout.hierarchies.filter((h) => h.controllers.some((c) =>
    (ALWAYS.includes(c) && !(c === 'freezer' && limits.withoutFreezer)) || (c === 'cpu' && limits.cpus !== undefined) || (c === 'cpuset' && limits.cpuset !== undefined)));
  const made = makeRunDirs(used, name);
  if (!made) return null;
  try {
    applyLimits(made.byController, limits);
  } catch (error) {
    removeAll(made.dirs);
    throw error;
  }
  return new V1Run(made.dirs, made.byController, limits.memoryBytes !== undefined);
}
