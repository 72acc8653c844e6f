// Shared pieces of the seccomp and Landlock tests (test/seccomp/*, test/landlock/*): the small C attack
// programs of test/fixtures/syscalls, compiled with gcc into a temp dir and bound read-only into the sandbox,
// the parsing of their output, and a way to watch a run's events in the order they came.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cgroupManager } from '../../src/cgroup/index.js';
import type { MountSpec, RunReport, SandboxChild, Violation } from '../../src/index.js';
import { repoRoot } from './bundle.js';

/** Where the C sources live. */
export const SOURCES_DIR = path.join(repoRoot, 'test', 'fixtures', 'syscalls');
/** Where the compiled programs appear inside the sandbox. */
export const SYSCALLS_INSIDE = '/opt/nsbox-syscalls';

/** Set by ../shared/vm/run-in-vm.sh (a TCG-emulated VM, kernel 6.1, Landlock ABI 2). */
export const IN_VM = process.env.RUN_IN_VM === '1';
export const isX86_64 = os.arch() === 'x64';

/** AUDIT_ARCH_I386: the `arch` of a 32-bit `int $0x80` call on x86_64. */
export const AUDIT_ARCH_I386 = 0x40000003;
export const AUDIT_ARCH_X86_64 = 0xc000003e;
export const X32_SYSCALL_BIT = 0x40000000;

export const SIGSYS = os.constants.signals.SIGSYS;

/**
 * Why the judge profile cannot run here as it is (its memory and pids limits need a cgroup with those
 * controllers; cpuTime needs any cgroup), or null when it can. Rootless on a cgroup v1 host there is none.
 */
export function judgeCgroupProblem(): string | null {
  const manager = cgroupManager();
  if (manager.unavailable !== null) return manager.unavailable;
  const missing = ['memory', 'pids'].filter((controller) => !manager.controllers.has(controller));
  return missing.length > 0 ? `the ${missing.join(' and ')} controller${missing.length > 1 ? 's are' : ' is'} not usable here` : null;
}

export type Fixture = 'probe' | 'attacks' | 'arch' | 'compute';

export interface SyscallFixtures {
  /** Host directory holding the programs (world-readable and executable, for the sandbox user). */
  dir: string;
  /** Host path of a program ('compute-static' for the -static build). */
  host(name: string): string;
  /** Path of a program inside the sandbox, with `mounts` in the policy. */
  inside(name: string): string;
  /** The read-only bind of `dir` at SYSCALLS_INSIDE. */
  mounts: MountSpec[];
  cleanup(): void;
}

export function which(name: string): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/bin', '/bin']) {
    const candidate = path.join(dir || '.', name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

export const hasGcc = which('gcc') !== undefined;

/**
 * Compiles test/fixtures/syscalls/NAME.c for each name (gcc -O1 -pthread) into a fresh temp dir; `statics`
 * are built a second time with -static as NAME-static. Call in beforeAll (gcc takes seconds in the VM).
 */
export function compileSyscallFixtures(names: Fixture[], statics: Fixture[] = []): SyscallFixtures {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsbox-syscalls-'));
  fs.chmodSync(dir, 0o755);
  const build = (name: Fixture, output: string, extra: string[]) => {
    const out = path.join(dir, output);
    execFileSync('gcc', ['-O1', '-Wall', '-pthread', ...extra, '-o', out, path.join(SOURCES_DIR, `${name}.c`)], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    fs.chmodSync(out, 0o755);
  };
  for (const name of names) build(name, name, []);
  for (const name of statics) build(name, `${name}-static`, ['-static']);
  return {
    dir,
    host: (name) => path.join(dir, name),
    inside: (name) => path.posix.join(SYSCALLS_INSIDE, name),
    mounts: [{ type: 'bind', source: dir, target: SYSCALLS_INSIDE }],
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** errno number -> name ('EPERM'), from Node's table; 'errno N' when Node has no name for it. */
export function errnoName(n: number): string {
  const found = Object.entries(os.constants.errno).find(([, value]) => value === n);
  return found ? found[0] : `errno ${n}`;
}

export function errnoNumber(name: string): number {
  const n = (os.constants.errno as Record<string, number>)[name];
  if (n === undefined) throw new Error(`no errno ${name}`);
  return n;
}

/** One line of the probe program: the raw result of a syscall, or the signal that killed the child making it. */
export type ProbeResult = { ret: number; errno: number } | { signal: number };

/** The probe's output as SPEC -> result; throws when the final "done" line is missing (the run died). */
export function parseProbe(stdout: string): Map<string, ProbeResult> {
  const lines = stdout.split('\n').filter(Boolean);
  if (lines.at(-1) !== 'done') throw new Error(`the probe did not finish; its output:\n${stdout}`);
  const results = new Map<string, ProbeResult>();
  for (const line of lines.slice(0, -1)) {
    const match = /^(\S+) (?:ret=(-?\d+) errno=(\d+)|signal=(\d+))$/.exec(line);
    if (!match) throw new Error(`unexpected probe line ${JSON.stringify(line)}`);
    results.set(match[1], match[4] !== undefined ? { signal: Number(match[4]) } : { ret: Number(match[2]), errno: Number(match[3]) });
  }
  return results;
}

/** A probe result in words: 'EPERM', 'ok 0', 'signal 31'. */
export function describeProbe(result: ProbeResult | undefined): string {
  if (!result) return 'missing';
  if ('signal' in result) return `signal ${result.signal}`;
  return result.ret === -1 ? errnoName(result.errno) : `ok ${result.ret}`;
}

/** The attacks program's output as CHECK -> 'ok ...' | 'EPERM' | ...; `done` tells whether it reached the end. */
export function parseChecks(stdout: string): { results: Map<string, string>; done: boolean } {
  const results = new Map<string, string>();
  let done = false;
  for (const line of stdout.split('\n').filter(Boolean)) {
    if (line === 'done') {
      done = true;
      continue;
    }
    const space = line.indexOf(' ');
    results.set(space < 0 ? line : line.slice(0, space), space < 0 ? '' : line.slice(space + 1));
  }
  return { results, done };
}

/** What a run did, in the order the host saw it. */
export interface Watched {
  report: RunReport;
  stdout: string;
  stderr: string;
  /** Event names in arrival order ('spawn', 'violation', 'exit', 'downgrade', ...). */
  events: string[];
  violations: Violation[];
  downgrades: string[];
}

/** Runs a spawned child to its end, collecting its output and the events it emitted, in order. */
export async function watch(child: SandboxChild): Promise<Watched> {
  const events: string[] = [];
  const violations: Violation[] = [];
  const downgrades: string[] = [];
  let stdout = '';
  let stderr = '';
  child.on('spawn', () => events.push('spawn'));
  child.on('violation', (v) => {
    events.push('violation');
    violations.push(v);
  });
  child.on('downgrade', (message) => {
    events.push('downgrade');
    downgrades.push(message);
  });
  child.on('exit', () => events.push('exit'));
  child.on('error', () => events.push('error'));
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const report = await child.report;
  // 'exit' is emitted right after the report settles; let it land.
  await new Promise((resolve) => setImmediate(resolve));
  return { report, stdout, stderr, events, violations, downgrades };
}

/** A unique word for a payload's argv, to find its processes on the host afterwards. */
export function marker(what: string): string {
  return `nsbox-${what}-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
}
