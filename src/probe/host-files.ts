// Small readers for /proc and /sys: absent files are normal on some kernels, so they give undefined.
import { readFileSync } from 'node:fs';

export function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** A sysctl's value, trimmed; undefined when the kernel has no such knob. */
export function readSysctl(path: string): string | undefined {
  return readText(path)?.trim();
}

/** A field of /proc/self/status such as 'CapEff' or 'Seccomp'; undefined when the kernel does not show it. */
export function statusField(name: string): string | undefined {
  const status = readText('/proc/self/status') ?? '';
  return new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)?.[1]?.trim();
}
