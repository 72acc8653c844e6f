// Constants and rule builders shared by the presets.
import type { ArgCondition, SeccompAction, SeccompRule } from '../rules.js';

export interface PresetOptions {
  allowNamespaces: boolean;
  allowIoUring: boolean;
}

export const EPERM = { errno: 'EPERM' } as const;
export const ENOSYS = { errno: 'ENOSYS' } as const;
export const EACCES = { errno: 'EACCES' } as const;

/** The CLONE_NEW* flags (linux/sched.h). */
export const CLONE_NEWTIME = 0x00000080;
export const CLONE_NEWNS = 0x00020000;
export const CLONE_NEWCGROUP = 0x02000000;
export const CLONE_NEWUTS = 0x04000000;
export const CLONE_NEWIPC = 0x08000000;
export const CLONE_NEWUSER = 0x10000000;
export const CLONE_NEWPID = 0x20000000;
export const CLONE_NEWNET = 0x40000000;

/**
 * The namespace flags clone() takes. CLONE_NEWTIME is not among them: its bit lies in clone()'s exit-signal byte
 * (CSIGNAL), so only unshare() and clone3() can ask for a time namespace.
 */
export const CLONE_NAMESPACE_FLAGS = [CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET];
export const UNSHARE_NAMESPACE_FLAGS = [...CLONE_NAMESPACE_FLAGS, CLONE_NEWTIME];
export const CLONE_NAMESPACE_MASK = CLONE_NAMESPACE_FLAGS.reduce((mask, flag) => mask | flag, 0) >>> 0;

/** Terminal ioctls (asm-generic/ioctls.h; the same numbers on x86_64 and aarch64). */
export const TIOCSTI = 0x5412;
export const TIOCLINUX = 0x541c;

/** The low 32 bits: what the kernel reads from an `int` or `unsigned int` argument. */
export const LOW32 = 0xffffffff;

/** `(arg & mask) === value`. */
export function masked(index: ArgCondition['index'], mask: number, value: number): ArgCondition {
  return { index, op: 'masked-eq', mask: mask >>> 0, value: value >>> 0 };
}

export function rule(syscall: string, action: SeccompAction, ...args: ArgCondition[]): SeccompRule {
  return args.length > 0 ? { syscall, action, args } : { syscall, action };
}

export function rules(action: SeccompAction, syscalls: readonly string[]): SeccompRule[] {
  return syscalls.map((syscall) => rule(syscall, action));
}

/**
 * One rule per flag, `(arg & flag) === flag`: together they match a call with ANY of the flags set. (A single
 * "(arg & all flags) !== 0" cannot be written: libseccomp has no masked not-equal.)
 */
export function anyFlagRules(syscall: string, index: ArgCondition['index'], flags: readonly number[], action: SeccompAction): SeccompRule[] {
  return flags.map((flag) => rule(syscall, action, masked(index, flag, flag)));
}

/**
 * Conditions (one per rule, ORed) that together match exactly the 32-bit values NOT in `values`, ignoring the upper
 * half of the register as the kernel does for an int argument. An allow list uses them to allow "anything but".
 *
 * Construction: a value outside the set either differs from all of them in a bit where they all agree (one
 * single-bit condition per such bit), or agrees there and differs in the bits where they disagree; that part is
 * split on the first disagreeing bit and solved the same way for each half, carrying the split bits as a prefix.
 * For {TIOCSTI, TIOCLINUX}: 29 single-bit conditions plus 4 for the 3 bits where they differ.
 */
export function notAnyOf32(index: ArgCondition['index'], values: readonly number[]): ArgCondition[] {
  const conditions: ArgCondition[] = [];
  const solve = (set: readonly number[], freeBits: readonly number[], prefixMask: number, prefixValue: number) => {
    const agree = freeBits.filter((bit) => set.every((v) => bitOf(v, bit) === bitOf(set[0], bit)));
    for (const bit of agree) {
      const flipped = bitOf(set[0], bit) ? 0 : 1 << bit;
      conditions.push(masked(index, prefixMask | (1 << bit), prefixValue | flipped));
    }
    const differ = freeBits.filter((bit) => !agree.includes(bit));
    if (differ.length === 0) return;
    const [split, ...rest] = differ;
    for (const side of [0, 1]) {
      const half = set.filter((v) => bitOf(v, split) === side);
      solve(half, rest, prefixMask | (1 << split), prefixValue | (side << split));
    }
  };
  const unique = [...new Set(values.map((v) => v >>> 0))];
  solve(unique, Array.from({ length: 32 }, (_, bit) => bit), 0, 0);
  return conditions;
}

function bitOf(value: number, bit: number): 0 | 1 {
  return ((value >>> bit) & 1) as 0 | 1;
}

/** personality(2) values that only change what the payload itself sees or gets. */
export const PER_LINUX32 = 0x0008;
export const UNAME26 = 0x0020000;
export const ADDR_NO_RANDOMIZE = 0x0040000;
/** personality(0xffffffff) changes nothing and returns the current persona. */
export const PERSONALITY_QUERY = 0xffffffff;
export const PERSONALITY_HARMLESS_BITS = PER_LINUX32 | UNAME26 | ADDR_NO_RANDOMIZE;

/**
 * Conditions on personality's argument (the kernel reads 32 bits) matching exactly the values outside
 * H = { x : x has no bit outside PERSONALITY_HARMLESS_BITS } ∪ { 0xffffffff }; a deny list denies with them.
 *
 * "x ∉ H" means x has a bit of D (the 29 other bits) set and x !== 0xffffffff. Lay the 32 bits on a circle: the D
 * bits d1..d29 in order, then the harmless bits a1..a3, back to d1. Start at a set D bit and walk around to the first
 * clear bit (there is one, as x !== all ones). If the bit just before it is a D bit d, x matches "d set, next bit
 * clear": 29 conditions. Otherwise the run of set bits went from d29 into a1..a3, and x matches one of "d29, a1 set,
 * a2 clear", "d29, a1, a2 set, a3 clear", "d29, a1..a3 set, d1 clear": 3 conditions. Every condition fixes a set D bit
 * and a clear bit, so none matches a value of H. 32 conditions in all.
 */
export function personalityOutsideHarmless(index: ArgCondition['index']): ArgCondition[] {
  const bits = Array.from({ length: 32 }, (_, bit) => bit);
  const d = bits.filter((bit) => !(PERSONALITY_HARMLESS_BITS & (1 << bit)));
  const a = bits.filter((bit) => PERSONALITY_HARMLESS_BITS & (1 << bit));
  const circle = [...d, ...a];
  const b = (bit: number) => (1 << bit) >>> 0;
  const conditions: ArgCondition[] = [];
  d.forEach((bit, k) => {
    const next = circle[k + 1];
    conditions.push(masked(index, b(bit) | b(next), b(bit)));
  });
  const last = b(d[d.length - 1]);
  let run = last;
  for (let k = 0; k < a.length; k++) {
    const clear = k + 1 < a.length ? b(a[k + 1]) : b(d[0]);
    run |= b(a[k]);
    conditions.push(masked(index, run | clear, run));
  }
  return conditions;
}
