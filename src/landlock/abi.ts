// The running kernel's Landlock ABI version, asked once per process (landlock_create_ruleset with
// LANDLOCK_CREATE_RULESET_VERSION), and what each version brought.
import { constants } from 'node:os';
import { landlockAbi as askKernel } from '../probe/landlock.js';
import { errnoName } from '../syscalls/errno.js';

/** What the kernel answered: an ABI version (0 when Landlock cannot be used) and, for 0, why. */
export interface LandlockAvailability {
  abi: number;
  /** errno name of the refusal when abi is 0: ENOSYS (not built in or hidden by seccomp), EOPNOTSUPP (built in, not enabled), EPERM, ... */
  errno?: string;
}

/** Each ABI version, the first kernel with it, and what it added. */
export const LANDLOCK_ABI_HISTORY: readonly { abi: number; kernel: string; adds: string }[] = Object.freeze([
  { abi: 1, kernel: '5.13', adds: 'filesystem rights: execute, read, write, make and remove files and directories' },
  { abi: 2, kernel: '5.19', adds: "'refer': moving and hard-linking files between directories" },
  { abi: 3, kernel: '6.2', adds: "'truncate': truncate(2), ftruncate(2), open(O_TRUNC)" },
  { abi: 4, kernel: '6.7', adds: 'TCP bind and connect port rules' },
  { abi: 5, kernel: '6.10', adds: "'ioctl-dev': ioctl(2) on character and block devices" },
  { abi: 6, kernel: '6.12', adds: 'scoping: abstract unix sockets and signals outside the domain' },
  { abi: 7, kernel: '6.15', adds: 'audit logging of denials (not used by nsbox)' },
]);

/** "Linux 6.2" for ABI 3. */
export function kernelForAbi(abi: number): string {
  const entry = LANDLOCK_ABI_HISTORY.find((item) => item.abi === abi);
  return entry ? `Linux ${entry.kernel}` : `a kernel with Landlock ABI ${abi}`;
}

let cached: LandlockAvailability | undefined;

/** The ABI version and, when it is 0, the errno the kernel refused with. Asked once, then cached. */
export function landlockAvailability(): LandlockAvailability {
  if (cached) return cached;
  let answer: ReturnType<typeof askKernel>;
  try {
    answer = askKernel();
  } catch {
    // No C library to call through (should not happen on Linux): treat as unsupported.
    answer = { errno: constants.errno.ENOSYS };
  }
  cached = 'abi' in answer && answer.abi >= 1 ? { abi: answer.abi } : { abi: 0, errno: 'errno' in answer ? errnoName(answer.errno) : 'EINVAL' };
  return cached;
}

/** The kernel's Landlock ABI version; 0 when Landlock is unsupported (ENOSYS), disabled (EOPNOTSUPP) or refused. Cached. */
export function landlockAbi(): number {
  return landlockAvailability().abi;
}
