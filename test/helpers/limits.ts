// Shared pieces of the limits tests (test/limits/*): whether this host can give nsbox a cgroup,
// where the runs' cgroups live, small C payloads compiled once per file, and the host's own
// measure of CPU time (/usr/bin/time) to compare the sandbox's accounting with.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { detect } from '../../src/cgroup/detect.js';
import { cgroupManager } from '../../src/cgroup/index.js';
import type { MountSpec, RunReport, SandboxChild } from '../../src/index.js';

export const MiB = 1 << 20;

/**
 * Set by ../shared/vm/run-in-vm.sh. The VM runs under TCG emulation, 6-40x slower than the host:
 * timing tolerances are widened ONLY there (each place says by how much), and long loops shortened.
 */
export const IN_VM = process.env.RUN_IN_VM === '1';

/**
 * Options for the tests that hold a run to a timing bound (CPU overshoot, wall lateness, accounting
 * accuracy): two retries. The bounds stay as asked; what a retry absorbs is a burst of other work on the
 * machine (seen: at load average 6 on 2 CPUs, with a TCG VM running beside the suite, one cpuTime 100ms
 * run overshot by 106 ms and one wallTime 500ms run ended 29 ms late, while the runs around them were
 * within 1-5 ms). A real regression fails all three attempts. Every attempt logs its figures.
 */
export const TIMING = { retry: 2 } as const;

/** The same manager (and nsbox parent cgroup) the Sandbox in this test process uses. */
export const cgroups = cgroupManager();

/** Controllers the limits tests use: memory, pids, and cpu (needed for cpuTime). */
const NEEDED = ['memory', 'pids', 'cpu'];

/** Why this host cannot give nsbox the cgroups the limit tests need, or null when it can. */
export const noCgroupReason: string | null =
  cgroups.unavailable ??
  (NEEDED.some((c) => !cgroups.controllers.has(c))
    ? `the ${NEEDED.filter((c) => !cgroups.controllers.has(c)).join(', ')} controller is not usable here (usable: ${[...cgroups.controllers].join(' ') || 'none'})`
    : null);

/** A describe() title that says why it is skipped, so the reporter shows the reason next to the skip. */
export function needsCgroups(title: string): string {
  if (noCgroupReason === null) return title;
  console.warn(`${title}: skipped, this host gives nsbox no cgroup: ${noCgroupReason}`);
  return `${title} [skipped: no cgroup here: ${noCgroupReason.slice(0, 160)}]`;
}

/** The nsbox parent cgroup(s) of this process (one per v1 hierarchy used, or the v2 one). */
export function nsboxParents(): string[] {
  const layout = detect();
  if (layout.unavailable !== null) return [];
  return layout.version === 2 ? [layout.dir] : layout.hierarchies.map((h) => h.dir);
}

function runDirs(): string[] {
  return nsboxParents().flatMap((dir) => {
    try {
      return fs.readdirSync(dir).filter((name) => name.startsWith('run-')).map((name) => path.join(dir, name));
    } catch {
      return [];
    }
  });
}

function procsOf(dir: string): number[] {
  try {
    return fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0+$/, '').split('\0').join(' ');
  } catch {
    return '';
  }
}

function parentPid(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return -1;
  }
}

/**
 * Zygotes this process keeps parked for its next runs (cgroup v1: `nsbox-init zygote N`, children of
 * this process, each waiting in a fresh run-* cgroup of its own): nsbox's, not any run's.
 */
export function parkedZygotes(): number[] {
  const pids = new Set(runDirs().flatMap(procsOf));
  return [...pids].filter((pid) => parentPid(pid) === process.pid && cmdline(pid).startsWith('nsbox-init zygote'));
}

/**
 * `run-*` cgroups under our nsbox parent(s) that runs left behind: every one except the slots
 * holding a parked zygote (and nothing else).
 */
export function leftoverRunCgroups(): string[] {
  const zygotes = new Set(parkedZygotes());
  const all = runDirs();
  const slots = new Set(
    all.filter((dir) => {
      const procs = procsOf(dir);
      return procs.length > 0 && procs.every((pid) => zygotes.has(pid));
    }).map((dir) => path.basename(dir)),
  );
  return all.filter((dir) => !slots.has(path.basename(dir)));
}

/** The run-* cgroup directories (one per v1 hierarchy, or the v2 one) holding `pid`, e.g. a running sandbox's PID 1. */
export function runDirsHolding(pid: number): string[] {
  const name = runDirs().find((dir) => procsOf(dir).includes(pid));
  if (!name) return [];
  return nsboxParents().map((dir) => path.join(dir, path.basename(name))).filter((dir) => fs.existsSync(dir));
}

/** A file of the run's cgroup, from whichever of `dirs` has it. */
export function readCgroupFile(dirs: string[], file: string): string {
  for (const dir of dirs) {
    try {
      return fs.readFileSync(path.join(dir, file), 'utf8').trim();
    } catch {
      // another hierarchy
    }
  }
  throw new Error(`no ${file} in ${dirs.join(', ')}`);
}

/** Every directory a run's cgroup had: the v2 path, or the run's directory in each v1 hierarchy. */
export function runCgroupDirs(report: RunReport): string[] {
  const cgroup = report.enforced.cgroup;
  if (cgroup === false) throw new Error('the run had no cgroup');
  if (cgroup.version === 2) return [cgroup.path];
  const name = path.basename(cgroup.path);
  return nsboxParents().map((dir) => path.join(dir, name));
}

/** Resolves at the child's 'spawn' event; fails (instead of waiting for ever) when the run ends without one. */
export function spawned(child: SandboxChild): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.report.then(
      (report) => reject(new Error(`the run ended without a 'spawn' event: ${JSON.stringify({ status: report.status, exitCode: report.exitCode, signal: report.signal, error: report.error })}`)),
      (error: Error) => reject(error),
    );
  });
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** A unique word to put in a payload's argv, to find its processes on the host afterwards. */
export function marker(what: string): string {
  return `nsbox-${what}-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
}

// ---- C payloads ------------------------------------------------------------------------------

/** Small C programs the limit tests run; each is compiled with gcc into the fixtures dir. */
export const C_SOURCES = {
  /**
   * burn N [single|fork|threads] [K]: N iterations of a loop that cannot be optimised away, once
   * (single), or in each of K forked children the parent waits for, or in each of K threads. One
   * function for all three modes, so the CPU time per iteration is the same (a copy of the loop
   * placed elsewhere by the compiler can run measurably faster or slower). At the end it prints
   * "rusage MS": user + system time of itself and its waited-for children, as the kernel's per-process
   * accounting saw that very run.
   */
  burn: `
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
static unsigned long n;
__attribute__((noinline, aligned(64))) static void *burn(void *arg) {
  volatile unsigned long x = 0;
  for (unsigned long i = 0; i < n; i++) x += i;
  return arg;
}
static double ms(const struct rusage *r) {
  return (r->ru_utime.tv_sec + r->ru_stime.tv_sec) * 1e3 + (r->ru_utime.tv_usec + r->ru_stime.tv_usec) / 1e3;
}
static int done(int code) {
  struct rusage self, children;
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &children);
  printf("rusage %.3f\\n", ms(&self) + ms(&children));
  return code;
}
int main(int argc, char **argv) {
  n = strtoul(argv[1], 0, 10);
  const char *mode = argc > 2 ? argv[2] : "single";
  int k = argc > 3 ? atoi(argv[3]) : 2;
  if (k < 1 || k > 64) return 2;
  if (strcmp(mode, "fork") == 0) {
    for (int j = 0; j < k; j++) {
      pid_t pid = fork();
      if (pid < 0) return 2;
      if (pid == 0) { burn(0); _exit(0); }
    }
    int status, bad = 0;
    while (wait(&status) > 0) bad |= !WIFEXITED(status) || WEXITSTATUS(status) != 0;
    return done(bad);
  }
  if (strcmp(mode, "threads") == 0) {
    pthread_t t[64];
    for (int j = 0; j < k; j++) if (pthread_create(&t[j], 0, burn, 0)) return 2;
    for (int j = 0; j < k; j++) pthread_join(t[j], 0);
    return done(0);
  }
  burn(0);
  return done(0);
}`,
  /** spin [threads]: spins forever, in that many threads (default 1). */
  spin: `
#include <pthread.h>
#include <stdlib.h>
static void *spin(void *arg) { volatile unsigned long n = 0; for (;;) n++; return arg; }
int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 1;
  pthread_t t;
  for (int k = 1; k < threads; k++) pthread_create(&t, 0, spin, 0);
  spin(0);
  return 0;
}`,
  /**
   * touch MiB: allocates MiB mebibytes and writes every page (through a volatile pointer: gcc drops a
   * memset of memory nobody reads); exit 1 (printing ENOMEM) when malloc fails.
   */
  touch: `
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
  size_t size = strtoul(argv[1], 0, 10) << 20;
  volatile char *p = malloc(size);
  if (!p) { puts("ENOMEM"); return 1; }
  for (size_t i = 0; i < size; i += 1024) p[i] = 1;
  printf("touched %zu\\n", size);
  fflush(stdout);
  return 0;
}`,
  /**
   * bomb giveup|forever [marker]: a fork bomb. giveup: every process returns 1 at its first failed
   * fork (so the payload ends); forever: keeps forking whatever fails, and never exits.
   */
  bomb: `
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
  int forever = argc > 1 && strcmp(argv[1], "forever") == 0;
  for (;;) if (fork() < 0 && !forever) return 1;
}`,
} as const;

export type Program = keyof typeof C_SOURCES;

/** Where the fixtures dir appears inside the sandbox. */
export const FIXTURES_INSIDE = '/opt/nsbox-fixtures';

export interface Fixtures {
  /** Host directory holding the compiled programs (world-readable, so the sandbox user can run them). */
  dir: string;
  /** Host path of a program. */
  host(name: Program): string;
  /** Path of a program inside the sandbox (with `mounts` in the policy). */
  inside(name: Program): string;
  /** The read-only bind of the fixtures dir into the sandbox. */
  mounts: MountSpec[];
  cleanup(): void;
}

/** Compiles the programs into a fresh temp dir (call in beforeAll; gcc takes seconds in the VM). */
export function compileFixtures(names: Program[]): Fixtures {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsbox-limits-'));
  fs.chmodSync(dir, 0o755);
  for (const name of names) {
    const source = path.join(dir, `${name}.c`);
    fs.writeFileSync(source, C_SOURCES[name]);
    execFileSync('gcc', ['-O1', '-pthread', '-o', path.join(dir, name), source], { stdio: ['ignore', 'inherit', 'inherit'] });
    fs.chmodSync(path.join(dir, name), 0o755);
  }
  return {
    dir,
    host: (name) => path.join(dir, name),
    inside: (name) => path.join(FIXTURES_INSIDE, name),
    mounts: [{ type: 'bind', source: dir, target: FIXTURES_INSIDE }],
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

// ---- the host's measure of CPU time ----------------------------------------------------------

export const TIME_BIN = '/usr/bin/time';
export const hasTimeBin = fs.existsSync(TIME_BIN);

export interface HostCpu {
  userMs: number;
  systemMs: number;
  totalMs: number;
  how: string;
}

/**
 * CPU time (user + system, of the process and every child it waited for) of running `argv` directly
 * on the host: GNU time's `%U %S` (10 ms resolution), or bash's `time` builtin (1 ms) when GNU time is
 * missing (`apt-get install time`).
 */
export function hostCpuTime(argv: string[]): HostCpu {
  if (hasTimeBin) {
    const out = path.join(os.tmpdir(), `nsbox-time-${process.pid}-${Math.random().toString(36).slice(2)}`);
    try {
      const r = spawnSync(TIME_BIN, ['-o', out, '-f', '%U %S', ...argv], { stdio: ['ignore', 'ignore', 'pipe'] });
      if (r.status !== 0) throw new Error(`${argv.join(' ')} failed on the host: ${r.status} ${r.stderr}`);
      const [user, system] = fs.readFileSync(out, 'utf8').trim().split(/\s+/).map(Number);
      return { userMs: user * 1000, systemMs: system * 1000, totalMs: (user + system) * 1000, how: `${TIME_BIN} -f '%U %S'` };
    } finally {
      fs.rmSync(out, { force: true });
    }
  }
  const quoted = argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const r = spawnSync('bash', ['-c', `TIMEFORMAT='%3U %3S'; time ${quoted} >/dev/null 2>/dev/null`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed on the host: ${r.status} ${r.stderr}`);
  const [user, system] = r.stderr.trim().split('\n').pop()!.split(/\s+/).map(Number);
  return { userMs: user * 1000, systemMs: system * 1000, totalMs: (user + system) * 1000, how: "bash time (TIMEFORMAT='%3U %3S')" };
}

/**
 * The N for which `cost(N)` (ms of CPU, linear in N) is about `targetMs` on this machine, host or VM
 * alike: grows N until a measurement is long enough to trust, extrapolates, and corrects once.
 */
export function calibrate(cost: (n: number) => number, targetMs: number, start = 100_000): number {
  let n = start;
  for (let round = 0; round < 16; round++) {
    const ms = cost(n);
    if (ms >= 100) {
      // Once more at the estimate (GNU time counts in 10 ms steps; the VM is noisy).
      const estimate = Math.round((n * targetMs) / ms);
      return Math.round((estimate * targetMs) / Math.max(cost(estimate), 10));
    }
    n *= ms < 10 ? 16 : 4;
  }
  throw new Error('could not calibrate');
}

/** Iterations of the burn program that take about `targetMs` of CPU here. */
export function calibrateBurn(fixtures: Fixtures, targetMs: number): number {
  return calibrate((n) => hostCpuTime([fixtures.host('burn'), String(n)]).totalMs, targetMs, 1_000_000);
}

/** Kernel release as [major, minor]. */
export function kernelVersion(): [number, number] {
  const [major, minor] = os.release().split('.').map((part) => parseInt(part, 10));
  return [major, minor];
}
