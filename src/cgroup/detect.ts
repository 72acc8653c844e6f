// Which cgroup hierarchy this host has, where nsbox may create cgroups, and our per-process parent there.
// Runs once per process; creating the parent is the only real test of "writable".
import fs from 'node:fs';
import { dirname, isAbsolute, join, posix } from 'node:path';
import { makeDir, removeTree, startTime, subdirs, tryRead, tryWrite, writeValue } from './files.js';

/** Controllers that carry limits (cpuacct and freezer only serve accounting and kill on v1). */
export const LIMIT_CONTROLLERS = ['memory', 'pids', 'cpu', 'cpuset'];
const V1_CONTROLLERS = ['memory', 'pids', 'cpu', 'cpuacct', 'cpuset', 'freezer'];

const V2_FIX = 'Fix: run under `systemd-run --user --scope -p Delegate=yes <command>` (as root: `systemd-run --scope -p Delegate=yes`), ' +
  'or in a service with Delegate=yes, or set NSBOX_CGROUP_PARENT to a cgroup directory this user may create children in, ' +
  "whose cgroup.subtree_control enables memory pids cpu";
const V1_FIX = 'Fix: run as root (cgroup v1 cannot be delegated safely to other users), or boot with cgroup v2 ' +
  '(systemd.unified_cgroup_hierarchy=1) and run under `systemd-run --user --scope -p Delegate=yes <command>`';

export interface V1Hierarchy {
  /** Ours among the controllers of this hierarchy (cpu and cpuacct are often co-mounted). */
  controllers: string[];
  /** The caller's own cgroup here: where nsbox parents live, ours and stale ones. */
  home: string;
  /** home/nsbox-<pid>-<starttime>. */
  dir: string;
}
export interface V1Layout { version: 1; unavailable: null; name: string; controllers: Set<string>; hierarchies: V1Hierarchy[] }
export interface V2Layout { version: 2; unavailable: null; name: string; controllers: Set<string>; home: string; dir: string }
export interface NoLayout { version: 1 | 2 | null; unavailable: string }
export type Layout = V1Layout | V2Layout | NoLayout;

interface Mount { root: string; mountPoint: string; fsType: string; superOptions: string[] }

/** mountinfo's octal escapes (\040 for a space). */
const unescape = (text: string) => text.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));

/** cgroup and cgroup2 mounts: "id parent dev root mountpoint opts [tags] - fstype source superopts". */
export function parseMountinfo(text: string): Mount[] {
  const mounts: Mount[] = [];
  for (const line of text.split('\n')) {
    const [before, after] = line.split(' - ');
    if (!after) continue;
    const [fsType, , superOptions = ''] = after.split(' ');
    if (fsType !== 'cgroup' && fsType !== 'cgroup2') continue;
    const fields = before.split(' ');
    mounts.push({ root: unescape(fields[3]), mountPoint: unescape(fields[4]), fsType, superOptions: superOptions.split(',') });
  }
  return mounts;
}

/** /proc/self/cgroup: "id:controller,list:/path" (id 0 with an empty list is the unified hierarchy). */
export function parseProcCgroup(text: string): { id: string; controllers: string[]; path: string }[] {
  return text.split('\n').filter(Boolean).map((line) => {
    const [id, list, ...rest] = line.split(':');
    return { id, controllers: list ? list.split(',') : [], path: rest.join(':') };
  });
}

/** Where cgroup `path` of this hierarchy appears under the mount; undefined when the mount does not show it. */
function under(mount: Mount, path: string): string | undefined {
  const rel = posix.relative(mount.root, path);
  if (rel.startsWith('..')) return undefined;
  const dir = join(mount.mountPoint, rel);
  return fs.existsSync(dir) ? dir : undefined;
}

function canWrite(path: string): boolean {
  try {
    fs.accessSync(path, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function commonAncestor(a: string, b: string): string {
  const x = a.split('/');
  const y = b.split('/');
  let i = 0;
  while (i < x.length && i < y.length && x[i] === y[i]) i++;
  return x.slice(0, i).join('/') || '/';
}

/** Best effort at exit: empty runs, then our parent. Runs with live tasks stay for a later sweep. */
function removeAtExit(dirs: string[]): void {
  process.once('exit', () => {
    for (const dir of [...dirs.flatMap(subdirs), ...dirs]) {
      try {
        removeTree(dir);
      } catch {
        // nothing more to do while exiting
      }
    }
  });
}

function detectV1(mounts: Mount[], own: ReturnType<typeof parseProcCgroup>, name: string): Layout {
  const hierarchies: V1Hierarchy[] = [];
  const reasons: string[] = [];
  const seen = new Set<string>();
  for (const mount of mounts) {
    if (mount.fsType !== 'cgroup') continue;
    const controllers = mount.superOptions.filter((o) => V1_CONTROLLERS.includes(o)).sort();
    const key = controllers.join(',');
    if (controllers.length === 0 || seen.has(key)) continue;
    const ownPath = own.find((e) => e.controllers.includes(controllers[0]))?.path;
    const home = ownPath === undefined ? undefined : under(mount, ownPath);
    if (!home) continue; // a bind mount of another part of the hierarchy; another mount may show ours
    seen.add(key);
    const dir = join(home, name);
    try {
      makeDir(dir);
      if (controllers.includes('cpuset')) {
        // A new cpuset is empty and takes no tasks: copy the parent's, and let runs inherit ours.
        writeValue(join(dir, 'cpuset.cpus'), (tryRead(join(home, 'cpuset.cpus')) ?? '').trim());
        writeValue(join(dir, 'cpuset.mems'), (tryRead(join(home, 'cpuset.mems')) ?? '').trim());
        writeValue(join(dir, 'cgroup.clone_children'), 1);
      }
      hierarchies.push({ controllers, home, dir });
    } catch (error) {
      reasons.push((error as Error).message.replace(/^cgroup: /, ''));
      try {
        removeTree(dir);
      } catch {
        // never created
      }
    }
  }
  if (!hierarchies.some((h) => h.controllers.includes('cpuacct'))) {
    for (const h of hierarchies) removeTree(h.dir);
    const why = reasons[0] ?? 'the cpuacct controller (needed for CPU accounting) is not mounted';
    return { version: 1, unavailable: `no writable cgroup: ${why}. ${V1_FIX}` };
  }
  removeAtExit(hierarchies.map((h) => h.dir));
  const controllers = new Set(hierarchies.flatMap((h) => h.controllers).filter((c) => LIMIT_CONTROLLERS.includes(c)));
  return { version: 1, unavailable: null, name, controllers, hierarchies };
}

/** Our parent in `home`, with the controllers it passes on; or why `home` cannot hold it. */
function tryV2Home(home: string, ownDir: string, mount: Mount, name: string): { dir: string; controllers: string[] } | string {
  if (!isAbsolute(home)) return 'not an absolute path';
  if (posix.relative(mount.mountPoint, home).startsWith('..')) return `not inside the cgroup2 mount ${mount.mountPoint}`;
  const subtree = tryRead(join(home, 'cgroup.subtree_control'));
  if (subtree === undefined) return 'not a cgroup directory';
  // Only what `home` already passes to its children: nsbox never changes a cgroup it did not create.
  const enabled = LIMIT_CONTROLLERS.filter((c) => subtree.split(/\s+/).includes(c));
  if (enabled.length === 0) return `its cgroup.subtree_control enables none of ${LIMIT_CONTROLLERS.join(' ')}`;
  if (!canWrite(home)) return 'not writable by this user (not delegated)';
  // Moving a task needs write access to cgroup.procs of the common ancestor of source and target.
  const common = commonAncestor(ownDir, home);
  if (!canWrite(join(common, 'cgroup.procs'))) return `${join(common, 'cgroup.procs')} is not writable, so processes cannot move there`;
  const dir = join(home, name);
  try {
    makeDir(dir);
  } catch (error) {
    return (error as Error).message;
  }
  const controllers = enabled.filter((c) => tryWrite(join(dir, 'cgroup.subtree_control'), `+${c}`));
  if (controllers.length === 0) {
    removeTree(dir);
    return `cannot enable ${enabled.join(' ')} in ${join(dir, 'cgroup.subtree_control')}`;
  }
  return { dir, controllers };
}

function detectV2(mount: Mount, own: ReturnType<typeof parseProcCgroup>, name: string): Layout {
  const ownPath = own.find((e) => e.id === '0' && e.controllers.length === 0)?.path;
  const ownDir = ownPath === undefined ? undefined : under(mount, ownPath);
  if (!ownDir) {
    return { version: 2, unavailable: `no writable cgroup: this process's cgroup (${ownPath ?? 'none'}) is not visible under ${mount.mountPoint}. ${V2_FIX}` };
  }
  const candidates: [string, string][] = [];
  const fromEnv = process.env.NSBOX_CGROUP_PARENT;
  if (fromEnv) candidates.push(['NSBOX_CGROUP_PARENT', fromEnv]);
  // Our own cgroup holds processes, so it cannot give controllers to children: use its parent
  // (or the mount root itself, when that is where we are).
  candidates.push(["the parent of this process's cgroup", ownDir === mount.mountPoint ? ownDir : dirname(ownDir)]);
  const reasons: string[] = [];
  for (const [label, home] of candidates) {
    const found = tryV2Home(home, ownDir, mount, name);
    if (typeof found === 'string') {
      reasons.push(`${label} ${home}: ${found}`);
      continue;
    }
    removeAtExit([found.dir]);
    return { version: 2, unavailable: null, name, controllers: new Set(found.controllers), home, dir: found.dir };
  }
  return { version: 2, unavailable: `no writable cgroup: ${reasons.join('; ')}. ${V2_FIX}` };
}

function detectNow(): Layout {
  const mounts = parseMountinfo(tryRead('/proc/self/mountinfo') ?? '');
  const own = parseProcCgroup(tryRead('/proc/self/cgroup') ?? '');
  const name = `nsbox-${process.pid}-${startTime('self')}`;
  // Hybrid hosts mount a cgroup2 next to the v1 hierarchies, holding none of ours (maybe hugetlb): that one does not count.
  const offers = (m: Mount) => (tryRead(join(m.mountPoint, 'cgroup.controllers')) ?? '').split(/\s+/).some((c) => LIMIT_CONTROLLERS.includes(c));
  const v2 = mounts.find((m) => m.fsType === 'cgroup2' && offers(m));
  if (v2) return detectV2(v2, own, name);
  if (mounts.some((m) => m.fsType === 'cgroup' && m.superOptions.some((o) => V1_CONTROLLERS.includes(o)))) return detectV1(mounts, own, name);
  const empty = mounts.find((m) => m.fsType === 'cgroup2');
  if (empty) return { version: 2, unavailable: `no writable cgroup: cgroup2 at ${empty.mountPoint} offers none of ${LIMIT_CONTROLLERS.join(' ')}. ${V2_FIX}` };
  return { version: null, unavailable: `no cgroup filesystem is mounted. ${V2_FIX}` };
}

let cached: Layout | undefined;

/** The layout, detected on the first call of the process. */
export function detect(): Layout {
  cached ??= detectNow();
  return cached;
}
