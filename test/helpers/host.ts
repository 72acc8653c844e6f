// Facts about the host process running the tests, and probes of the host's /proc.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';

/** The test process runs as uid 0 (nsbox then maps the inside ids to an unprivileged host id). */
export function isRoot(): boolean {
  return process.geteuid!() === 0;
}

/** Which lane of scripts/test.mjs this is: 'root' or 'rootless' (derived from the uid when run directly). */
export function lane(): 'root' | 'rootless' {
  const fromEnv = process.env.NSBOX_TEST_LANE;
  if (fromEnv === 'root' || fromEnv === 'rootless') return fromEnv;
  return isRoot() ? 'root' : 'rootless';
}

/** The host uid the sandbox's ids stand for with the default policy. */
export function expectedHostUid(): number {
  return isRoot() ? 65534 : process.geteuid!();
}

export function expectedHostGid(): number {
  return isRoot() ? 65534 : process.getegid!();
}

/**
 * Temp directories (mode 0o777, so the sandbox user, host uid 65534 in the root lane, can write
 * into read-write binds of them), removed after the test file.
 */
export function useTempDirs(): (prefix?: string) => string {
  const made: string[] = [];
  afterAll(() => {
    for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
  });
  return (prefix = 'nsbox-test-') => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    fs.chmodSync(dir, 0o777);
    made.push(dir);
    return dir;
  };
}

export interface HostProcess {
  pid: number;
  cmdline: string;
}

/** Every host process whose command line (arguments joined by spaces) contains `text`. */
export function hostProcessesMatching(text: string): HostProcess[] {
  const found: HostProcess[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let raw: string;
    try {
      raw = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    const cmdline = raw.replace(/\0+$/, '').split('\0').join(' ');
    if (cmdline.includes(text) && Number(name) !== process.pid) found.push({ pid: Number(name), cmdline });
  }
  return found;
}

export function hostHasProcessMatching(text: string): boolean {
  return hostProcessesMatching(text).length > 0;
}

/** Polls until `check` is true or `timeoutMs` passes; returns the last result. */
export async function waitFor(check: () => boolean, timeoutMs: number, intervalMs = 20): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (check()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Open descriptors of this process. */
export function openFds(): number[] {
  return fs.readdirSync('/proc/self/fd').map(Number).sort((a, b) => a - b);
}

/** Children of this process that have exited but were never reaped. */
export function zombieChildren(): number[] {
  const zombies: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    // pid (comm) state ppid ...; comm may contain spaces and parentheses, so split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' && Number(fields[1]) === process.pid) zombies.push(Number(name));
  }
  return zombies;
}

export function hostMountCount(): number {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').trim().split('\n').length;
}

export function rssBytes(): number {
  return process.memoryUsage.rss();
}

/** A capability set line of /proc/<pid>/status as a bigint. */
export function capabilityField(status: string, field: string): bigint {
  const match = new RegExp(`^${field}:[ \\t]*([0-9a-f]+)$`, 'm').exec(status);
  if (!match) throw new Error(`no ${field} line in:\n${status}`);
  return BigInt(`0x${match[1]}`);
}

export function statusField(status: string, field: string): string {
  const match = new RegExp(`^${field}:[ \\t]*(.*)$`, 'm').exec(status);
  if (!match) throw new Error(`no ${field} line in:\n${status}`);
  return match[1].trim();
}

/** A python3 the sandbox can run (the default profile binds /usr). */
export const PYTHON = '/usr/bin/python3';
export const hasPython = fs.existsSync(PYTHON);
