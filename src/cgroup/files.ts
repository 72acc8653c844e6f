// Small, synchronous helpers for cgroupfs files, plus the few libc calls Node has no API for.
import fs from 'node:fs';
import { join } from 'node:path';
import koffi, { type LibraryHandle } from 'koffi';
import { SandboxError } from '../errors.js';
import { errnoName } from '../syscalls/errno.js';
import { errno, libc } from '../syscalls/libc.js';
import { closeFd } from '../syscalls/fds.js';

export const O_CLOEXEC = 0o2000000;
const EFD_CLOEXEC = O_CLOEXEC;

const WHY: Record<string, string> = {
  EACCES: 'permission denied: this user may not change this cgroup',
  EPERM: 'operation not permitted here',
  EINVAL: 'the kernel refused the value',
  ENOENT: 'no such file (controller not enabled for this cgroup, or kernel too old)',
  EBUSY: 'busy (processes or child cgroups remain)',
  ENOSPC: 'no space: e.g. a cpuset without CPUs or memory nodes',
  EOPNOTSUPP: 'not supported by this kernel',
};

/** A cgroup file operation failed; names the file and the errno. */
export class CgroupError extends SandboxError {
  readonly file: string;
  readonly errno: string;
  constructor(action: string, file: string, errno: string, detail?: string) {
    super(`cgroup: cannot ${action} ${file}: ${errno}: ${detail ?? WHY[errno] ?? 'failed'}`, 'ECGROUP');
    this.file = file;
    this.errno = errno;
  }
}

function codeOf(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? 'EIO';
}

/** The file's text; undefined when it (or its hierarchy: no path) does not exist. Stats tolerate missing controllers. */
export function tryRead(path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  try {
    return fs.readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export function readText(path: string): string {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch (error) {
    throw new CgroupError('read', path, codeOf(error));
  }
}

/** 'key N' lines (cpu.stat, memory.events, pids.events, memory.oom_control, cpuacct.stat) as numbers. */
export function keyed(text: string | undefined): Map<string, number> {
  const map = new Map<string, number>();
  for (const line of (text ?? '').split('\n')) {
    const [key, value] = line.split(' ');
    if (key && value !== undefined) map.set(key, Number(value));
  }
  return map;
}

export function readNumber(path: string | undefined): number | undefined {
  const text = tryRead(path);
  return text === undefined ? undefined : Number(text.trim());
}

/** One write(2): cgroupfs takes a value per write. O_WRONLY without O_CREAT (some files are write-only). */
function writeOnce(path: string, value: string | number): void {
  const fd = fs.openSync(path, fs.constants.O_WRONLY);
  try {
    fs.writeSync(fd, String(value));
  } finally {
    fs.closeSync(fd);
  }
}

export function writeValue(path: string, value: string | number, what = 'write'): void {
  try {
    writeOnce(path, value);
  } catch (error) {
    throw new CgroupError(`${what} ${JSON.stringify(String(value))} to`, path, codeOf(error));
  }
}

export function tryWrite(path: string, value: string | number): boolean {
  try {
    writeOnce(path, value);
    return true;
  } catch {
    return false;
  }
}

/** open(2) with O_CLOEXEC added: these fds reach the init only through the launcher's dup2. */
export function openFd(path: string, flags: number): number {
  const fd = libc().open(path, flags | O_CLOEXEC, 0);
  if (fd < 0) throw new CgroupError('open', path, errnoName(errno()));
  return fd;
}

/**
 * Run `build` with `open` (openFd that remembers the fd) and `track` (remember an fd made otherwise);
 * if `build` throws, every remembered fd is closed before the error goes on.
 */
export function openingAll<T>(build: (open: (path: string, flags: number) => number, track: (fd: number) => number) => T): T {
  const opened: number[] = [];
  const track = (fd: number) => {
    opened.push(fd);
    return fd;
  };
  try {
    return build((path, flags) => track(openFd(path, flags)), track);
  } catch (error) {
    opened.forEach(closeFd);
    throw error;
  }
}

let eventfdFn: ((initval: number, flags: number) => number) | undefined;

/** eventfd(0, EFD_CLOEXEC) through koffi (libc's own symbol: the syscall number differs per arch). */
export function eventfd(): number {
  if (!eventfdFn) {
    let lib: LibraryHandle | undefined;
    for (const name of ['libc.so.6', 'libc.musl-x86_64.so.1', 'libc.musl-aarch64.so.1']) {
      try {
        lib = koffi.load(name);
        break;
      } catch {
        // try the next name
      }
    }
    if (!lib) throw new SandboxError('nsbox: cannot load the C library for eventfd', 'EHOST');
    eventfdFn = lib.func('int eventfd(unsigned int initval, int flags)') as (initval: number, flags: number) => number;
  }
  const fd = eventfdFn(0, EFD_CLOEXEC);
  if (fd < 0) throw new CgroupError('create', 'an eventfd', errnoName(koffi.errno()));
  return fd;
}

/** Creates `dir`; false when it already existed. */
export function makeDir(dir: string): boolean {
  try {
    fs.mkdirSync(dir);
    return true;
  } catch (error) {
    if (codeOf(error) === 'EEXIST') return false;
    throw new CgroupError('create', dir, codeOf(error));
  }
}

/** Child cgroups of `dir` (cgroupfs lists only cgroups as directories). */
export function subdirs(dir: string): string[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => join(dir, e.name));
  } catch {
    return [];
  }
}

/** Pids in `dir` and every cgroup below it. */
export function procsBelow(dir: string): number[] {
  const pids = (tryRead(join(dir, 'cgroup.procs')) ?? '').split('\n').filter(Boolean).map(Number);
  for (const sub of subdirs(dir)) pids.push(...procsBelow(sub));
  return pids;
}

/** SIGKILL each pid; gone ones and ones we may not signal are skipped. Never the host itself. */
export function killPids(pids: Iterable<number>): void {
  for (const pid of pids) {
    if (pid === process.pid || pid <= 0) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // ESRCH: already gone; EPERM: not ours to kill
    }
  }
}

/**
 * rmdir `dir` after the cgroups below it (a payload may have made some), deepest first.
 * 'busy' while a task lingers; 'gone' also when it was never there.
 */
export function removeTree(dir: string): 'gone' | 'busy' {
  // rmdir first: a run's cgroup has no children, so the readdir is only needed when it fails.
  const attempt = (): 'gone' | 'busy' => {
    try {
      fs.rmdirSync(dir);
      return 'gone';
    } catch (error) {
      const code = codeOf(error);
      if (code === 'ENOENT') return 'gone';
      if (code === 'EBUSY') return 'busy';
      throw new CgroupError('remove', dir, code);
    }
  };
  if (attempt() === 'gone') return 'gone';
  const children = subdirs(dir);
  if (children.length === 0) return 'busy';
  for (const sub of children) if (removeTree(sub) === 'busy') return 'busy';
  return attempt();
}

/** Whether any process is still in the cgroup at `dir` (its own cgroup.procs; runs have no children). */
export function hasProcs(dir: string): boolean {
  return (tryRead(join(dir, 'cgroup.procs')) ?? '').trim() !== '';
}

const RETRY_MS = 10;
const RETRY_FOR_MS = 1000;

/** removeTree, retried while EBUSY (exiting tasks leave their cgroup a moment after SIGKILL). */
export async function removeWithRetry(dir: string, onFirstBusy?: () => void, options: { unref?: boolean } = {}): Promise<void> {
  const deadline = Date.now() + RETRY_FOR_MS;
  let first = true;
  while (removeTree(dir) === 'busy') {
    if (first) onFirstBusy?.();
    first = false;
    if (Date.now() >= deadline) {
      const left = procsBelow(dir);
      throw new CgroupError('remove', dir, 'EBUSY', `still busy after ${RETRY_FOR_MS} ms${left.length ? ` (pids ${left.join(' ')})` : ''}`);
    }
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, RETRY_MS);
      if (options.unref) timer.unref(); // a background sweep must not hold the process open
    });
  }
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks): with the pid, it names one process for good. */
export function startTime(pid: number | 'self'): string | undefined {
  const stat = tryRead(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  // comm (field 2) may contain spaces and parentheses: count from the last ')'.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[22 - 3];
}
