// Which cgroup hierarchy the host has and whether this process may manage its own subtree,
// which is what memory, pids and CPU limits will need.
import { accessSync, constants, existsSync } from 'node:fs';
import { join } from 'node:path';
import { cgroupManager } from '../cgroup/index.js';
import { readText } from './host-files.js';
import type { ProbeItem } from './types.js';

const CGROUP_ROOT = '/sys/fs/cgroup';
const V1_CONTROLLERS = new Set([
  'cpuset', 'cpu', 'cpuacct', 'blkio', 'io', 'memory', 'devices', 'freezer', 'net_cls', 'perf_event',
  'net_prio', 'hugetlb', 'pids', 'rdma', 'misc',
]);
const DELEGATE_FIX = 'run under a delegated cgroup: `systemd-run --user --scope -p Delegate=yes <command>` ' +
  '(as root: `systemd-run --scope -p Delegate=yes <command>`, or give the container a writable cgroup mount)';

interface CgroupMount {
  mountPoint: string;
  fsType: string;
  superOptions: string[];
}

/** cgroup and cgroup2 mounts from mountinfo: "... mountpoint opts [tags] - fstype source superopts". */
export function cgroupMounts(mountinfo: string): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  for (const line of mountinfo.split('\n')) {
    const [before, after] = line.split(' - ');
    if (!after) continue;
    const [fsType, , superOptions = ''] = after.split(' ');
    if (fsType !== 'cgroup' && fsType !== 'cgroup2') continue;
    mounts.push({ mountPoint: before.split(' ')[4], fsType, superOptions: superOptions.split(',') });
  }
  return mounts;
}

/** The unified-hierarchy path of this process, from the "0::/path" line of /proc/self/cgroup. */
export function ownCgroupPath(procSelfCgroup: string): string | undefined {
  return /^0::(\/.*)$/m.exec(procSelfCgroup)?.[1];
}

function isWritable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** What nsbox itself will do: the manager's verdict, with the hierarchy's details for context. */
export function checkCgroup(): ProbeItem {
  const layoutItem = describeCgroupHierarchy();
  const manager = cgroupManager();
  if (manager.unavailable === null) {
    const controllers = [...manager.controllers].join(' ') || 'none';
    return { ...layoutItem, ok: true, detail: `limits available on cgroup v${manager.version} (controllers: ${controllers}); ${layoutItem.detail}`, fix: undefined };
  }
  return { ...layoutItem, ok: false, detail: `limits unavailable: ${manager.unavailable}; ${layoutItem.detail}`, fix: layoutItem.fix ?? DELEGATE_FIX };
}

function describeCgroupHierarchy(): ProbeItem {
  const base = { id: 'cgroup', name: 'cgroup', required: false };
  const controllers = readText(join(CGROUP_ROOT, 'cgroup.controllers'));
  if (controllers === undefined) return checkCgroupV1(base);

  const own = ownCgroupPath(readText('/proc/self/cgroup') ?? '');
  const rootList = controllers.trim() || 'none';
  if (own === undefined) {
    return { ...base, ok: false, detail: `v2 (controllers: ${rootList}), but /proc/self/cgroup names no unified cgroup for this process` };
  }
  const dir = join(CGROUP_ROOT, own);
  if (!existsSync(dir)) {
    return { ...base, ok: false, detail: `v2 (controllers: ${rootList}); this process's cgroup ${own} is outside the mounted hierarchy (another cgroup namespace)` };
  }
  const ownControllers = (readText(join(dir, 'cgroup.controllers')) ?? '').trim().split(/\s+/).filter(Boolean);
  const memoryPeak = existsSync(join(dir, 'memory.peak'));
  const writable = isWritable(dir) && isWritable(join(dir, 'cgroup.procs'));
  const detail = `v2, controllers ${rootList}; own cgroup ${own} offers ${ownControllers.join(' ') || 'none'}, ` +
    `memory.peak ${memoryPeak ? 'present' : 'absent (kernel < 5.19 or no memory controller here)'}, ` +
    `${writable ? 'writable (delegated)' : 'not writable'}`;
  const ok = writable && ownControllers.includes('memory');
  return ok ? { ...base, ok, detail } : { ...base, ok, detail, fix: DELEGATE_FIX };
}

function checkCgroupV1(base: { id: string; name: string; required: boolean }): ProbeItem {
  const mounts = cgroupMounts(readText('/proc/self/mountinfo') ?? '');
  const v1 = [...new Set(mounts.filter((m) => m.fsType === 'cgroup').flatMap((m) => m.superOptions.filter((o) => V1_CONTROLLERS.has(o))))];
  const unified = mounts.find((m) => m.fsType === 'cgroup2');
  const kind = unified ? `v1/hybrid (cgroup2 also mounted at ${unified.mountPoint})` : 'v1';
  const detail = mounts.length === 0
    ? 'no cgroup filesystem is mounted'
    : `${kind}; v1 controllers mounted: ${v1.join(' ') || 'none'}`;
  return {
    ...base,
    ok: false,
    detail: `${detail}; nsbox uses v1 as root only (no delegation exists on v1)`,
    fix: 'run as root, or boot with systemd.unified_cgroup_hierarchy=1 (cgroup v2) and delegate a subtree: ' +
      '`systemd-run --user --scope -p Delegate=yes <command>`',
  };
}
