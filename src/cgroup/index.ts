// cgroup limits and accounting for sandbox runs, on cgroup v2 or v1 (detected once per process).
import { SandboxError } from '../errors.js';
import { detect, type Layout } from './detect.js';
import { sweep } from './sweep.js';
import type { CgroupLimits, CgroupManager, RunCgroup } from './types.js';
import { createV1Run, createV1Slot, type V1Run } from './v1.js';
export type { V1Run } from './v1.js';
import { createV2Run } from './v2.js';

export type { CgroupLimits, CgroupManager, CgroupStats, InitCgroupFds, RunCgroup } from './types.js';
export { CgroupError } from './files.js';

const NEEDS: [keyof CgroupLimits, string][] = [
  ['memoryBytes', 'memory'], ['swapBytes', 'memory'], ['pids', 'pids'], ['cpus', 'cpu'], ['cpuset', 'cpuset'],
];

class Manager implements CgroupManager {
  readonly version: 1 | 2 | null;
  readonly unavailable: string | null;
  readonly controllers: ReadonlySet<string>;
  private next = 0;
  private swept = false;

  constructor(private readonly layout: Layout) {
    this.version = layout.version;
    this.unavailable = layout.unavailable;
    this.controllers = layout.unavailable === null ? layout.controllers : new Set();
  }

  /** cgroup v1 only: an unlimited run cgroup for a zygote to move into ahead of time (see src/zygote.ts). */
  createSlot(): V1Run {
    const layout = this.layout;
    if (layout.unavailable !== null || layout.version !== 1) throw new SandboxError('cgroup v1 slots are unavailable here', 'ECGROUP');
    this.sweepOnce();
    for (let attempt = 0; attempt < 1000; attempt++) {
      const slot = createV1Slot(layout, `run-${this.next++}`);
      if (slot) return slot;
    }
    throw new SandboxError(`cgroup: no free run name in ${layout.hierarchies[0].dir}`, 'ECGROUP');
  }

  private sweepOnce(): void {
    if (!this.swept && this.layout.unavailable === null) {
      this.swept = true;
      sweep(this.layout);
    }
  }

  create(limits: CgroupLimits): RunCgroup {
    const layout = this.layout;
    if (layout.unavailable !== null) throw new SandboxError(`cgroup limits are unavailable: ${layout.unavailable}`, 'ECGROUP');
    for (const [field, controller] of NEEDS) {
      if (limits[field] !== undefined && !layout.controllers.has(controller)) {
        const where = layout.version === 2 ? ` (enable it in ${layout.home}/cgroup.subtree_control)` : '';
        throw new SandboxError(`cgroup: ${field} needs the ${controller} controller, which is not usable here` +
          ` (usable: ${[...layout.controllers].join(' ') || 'none'})${where}`, 'ECGROUP');
      }
    }
    // First use: clear what crashed nsbox processes left, before adding our own.
    this.sweepOnce();
    // A name can be taken only by a second copy of nsbox in this process (ESM and CJS builds): skip it.
    for (let attempt = 0; attempt < 1000; attempt++) {
      const name = `run-${this.next++}`;
      const run = layout.version === 1 ? createV1Run(layout, name, limits) : createV2Run(layout, name, limits);
      if (run) return run;
    }
    throw new SandboxError(`cgroup: no free run name in ${layout.version === 1 ? layout.hierarchies[0].dir : layout.dir}`, 'ECGROUP');
  }
}

let manager: Manager | undefined;

/** The process's cgroup manager: detects once; sweeps stale nsbox cgroups on the first create(). */
export function cgroupManager(): CgroupManager & { createSlot(): V1Run } {
  manager ??= new Manager(detect());
  return manager;
}
