// Landlock's ABI version comes straight from the kernel: landlock_create_ruleset(NULL, 0, VERSION).
import { constants } from 'node:os';
import { errno, libc } from '../syscalls/libc.js';
import { errnoName } from '../syscalls/errno.js';
import type { ProbeItem } from './types.js';

const SYS_LANDLOCK_CREATE_RULESET = 444; // the same on x86_64 and arm64
const LANDLOCK_CREATE_RULESET_VERSION = 1;

/** What each ABI version added, and the kernel that brought it. */
const ABI_FEATURES: Record<number, string> = {
  1: 'filesystem access (5.13)',
  2: 'cross-directory rename/link (5.19)',
  3: 'truncate (6.2)',
  4: 'TCP bind/connect (6.7)',
  5: 'device ioctl (6.10)',
  6: 'abstract socket and signal scoping (6.12)',
  7: 'audit logging (6.15)',
};

/** The ABI version, or the errno the kernel answered with. */
export function landlockAbi(): { abi: number } | { errno: number } {
  const result = Number(libc().syscall(SYS_LANDLOCK_CREATE_RULESET, 'void *', null, 'long', 0, 'long', LANDLOCK_CREATE_RULESET_VERSION));
  return result >= 0 ? { abi: result } : { errno: errno() };
}

export function checkLandlock(): ProbeItem {
  const base = { id: 'landlock', name: 'landlock', required: false };
  const answer = landlockAbi();
  if ('abi' in answer) {
    const features = Object.entries(ABI_FEATURES).filter(([v]) => Number(v) <= answer.abi).map(([, f]) => f);
    return { ...base, ok: answer.abi >= 1, detail: `ABI ${answer.abi}: ${features.join(', ') || 'unknown features'}` };
  }
  switch (answer.errno) {
    case constants.errno.EOPNOTSUPP:
      return { ...base, ok: false, detail: 'built into the kernel but disabled (EOPNOTSUPP)', fix: 'add landlock to the lsm= kernel boot parameter (see /sys/kernel/security/lsm)' };
    case constants.errno.ENOSYS:
      return { ...base, ok: false, detail: 'not available (ENOSYS): kernel built without CONFIG_SECURITY_LANDLOCK, or a container seccomp profile hides the syscall', fix: 'use a kernel with CONFIG_SECURITY_LANDLOCK=y (5.13+); in a container, allow landlock_* in its seccomp profile' };
    case constants.errno.EPERM:
      return { ...base, ok: false, detail: 'refused (EPERM): a seccomp filter blocks landlock_create_ruleset', fix: "allow the landlock_* syscalls in the container's seccomp profile" };
    default:
      return { ...base, ok: false, detail: `landlock_create_ruleset failed with ${errnoName(answer.errno)}` };
  }
}
