import { release } from 'node:os';
import type { ProbeItem } from './types.js';

/** mount_setattr is the newest call nsbox-init relies on; the others came earlier. */
const MINIMUM = { major: 5, minor: 12 };
const SYSCALLS = 'open_tree/move_mount (5.2), clone3 (5.3), openat2 (5.6), close_range (5.9), mount_setattr (5.12)';

export function parseKernelVersion(text: string): { major: number; minor: number } | undefined {
  const match = /^(\d+)\.(\d+)/.exec(text);
  return match ? { major: Number(match[1]), minor: Number(match[2]) } : undefined;
}

export function checkKernel(text: string = release()): ProbeItem {
  const base = { id: 'kernel', name: 'kernel', required: true };
  const version = parseKernelVersion(text);
  if (!version) {
    return { ...base, ok: false, detail: `cannot read a version from "${text}"; nsbox needs Linux 5.12+ for ${SYSCALLS}` };
  }
  const ok = version.major > MINIMUM.major || (version.major === MINIMUM.major && version.minor >= MINIMUM.minor);
  return ok
    ? { ...base, ok, detail: `Linux ${text}: has ${SYSCALLS}` }
    : { ...base, ok, detail: `Linux ${text} is older than 5.12; nsbox-init needs ${SYSCALLS}`, fix: 'upgrade to Linux 5.12 or newer' };
}
