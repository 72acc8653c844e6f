import { PolicyError } from '../errors.js';
import type { CapabilityName } from './types.js';

/** Capability bit numbers from <linux/capability.h>; the Record type makes the compiler check every name is here. */
export const CAPABILITY_NUMBERS: Readonly<Record<CapabilityName, number>> = Object.freeze({
  CAP_CHOWN: 0,
  CAP_DAC_OVERRIDE: 1,
  CAP_DAC_READ_SEARCH: 2,
  CAP_FOWNER: 3,
  CAP_FSETID: 4,
  CAP_KILL: 5,
  CAP_SETGID: 6,
  CAP_SETUID: 7,
  CAP_SETPCAP: 8,
  CAP_LINUX_IMMUTABLE: 9,
  CAP_NET_BIND_SERVICE: 10,
  CAP_NET_BROADCAST: 11,
  CAP_NET_ADMIN: 12,
  CAP_NET_RAW: 13,
  CAP_IPC_LOCK: 14,
  CAP_IPC_OWNER: 15,
  CAP_SYS_MODULE: 16,
  CAP_SYS_RAWIO: 17,
  CAP_SYS_CHROOT: 18,
  CAP_SYS_PTRACE: 19,
  CAP_SYS_PACCT: 20,
  CAP_SYS_ADMIN: 21,
  CAP_SYS_BOOT: 22,
  CAP_SYS_NICE: 23,
  CAP_SYS_RESOURCE: 24,
  CAP_SYS_TIME: 25,
  CAP_SYS_TTY_CONFIG: 26,
  CAP_MKNOD: 27,
  CAP_LEASE: 28,
  CAP_AUDIT_WRITE: 29,
  CAP_AUDIT_CONTROL: 30,
  CAP_SETFCAP: 31,
  CAP_MAC_OVERRIDE: 32,
  CAP_MAC_ADMIN: 33,
  CAP_SYSLOG: 34,
  CAP_WAKE_ALARM: 35,
  CAP_BLOCK_SUSPEND: 36,
  CAP_AUDIT_READ: 37,
  CAP_PERFMON: 38,
  CAP_BPF: 39,
  CAP_CHECKPOINT_RESTORE: 40,
});

/** The highest capability number nsbox knows (CAP_LAST_CAP of Linux 5.9+). */
export const LAST_CAPABILITY = 40;

/** Every capability name, in bit order. */
export const CAPABILITY_NAMES: readonly CapabilityName[] = Object.freeze(
  (Object.keys(CAPABILITY_NUMBERS) as CapabilityName[]).sort((a, b) => CAPABILITY_NUMBERS[a] - CAPABILITY_NUMBERS[b]),
);

export function isCapabilityName(name: unknown): name is CapabilityName {
  // hasOwn keeps inherited keys such as 'toString' from passing as capabilities.
  return typeof name === 'string' && Object.hasOwn(CAPABILITY_NUMBERS, name);
}

/** The 64-bit set (as used by capset and prctl) holding exactly `names`. */
export function capabilityMask(names: readonly CapabilityName[]): bigint {
  let mask = 0n;
  names.forEach((name, index) => {
    if (!isCapabilityName(name)) {
      throw new PolicyError(`policy.capabilities[${index}]`, name, 'is not a Linux capability', "use a name such as 'CAP_NET_BIND_SERVICE' (see capabilities(7))");
    }
    mask |= 1n << BigInt(CAPABILITY_NUMBERS[name]);
  });
  return mask;
}
