// The native architecture as libseccomp sees it, and syscall names <-> numbers on it.
// Filters are compiled for this one architecture only (see compile.ts); other ABIs are killed.
import { libseccomp, NR_SCMP_ERROR } from './bindings.js';

/** AUDIT_ARCH_* values (the `arch` field of struct seccomp_data) for the architectures Node runs on. */
export const AUDIT_ARCH = {
  x86_64: 0xc000003e,
  x32: 0x4000003e,
  x86: 0x40000003,
  aarch64: 0xc00000b7,
  arm: 0x40000028,
  riscv64: 0xc00000f3,
  ppc64le: 0xc0000015,
  ppc64: 0x80000015,
  s390x: 0x80000016,
  loongarch64: 0xc0000102,
  mips64el: 0xc0000008,
} as const;

/** On x86_64 the x32 ABI shares AUDIT_ARCH_X86_64 and is told apart by this bit in the syscall number. */
export const X32_SYSCALL_BIT = 0x40000000;

/** Offsets in struct seccomp_data: { int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6]; }. */
export const SECCOMP_DATA = { nr: 0, arch: 4, instructionPointer: 8, args: 16 } as const;

export interface NativeArch {
  /** libseccomp's token, which is the AUDIT_ARCH_* value. */
  token: number;
  /** 'x86_64', 'aarch64', ... or the token in hex for an architecture not listed above. */
  name: string;
}

let native: NativeArch | undefined;

export function nativeArch(): NativeArch {
  if (!native) {
    const token = libseccomp().seccomp_arch_native() >>> 0;
    const name = Object.entries(AUDIT_ARCH).find(([, value]) => value === token)?.[0] ?? `0x${token.toString(16)}`;
    native = { token, name };
  }
  return native;
}

/**
 * The native number of a syscall name: >= 0 when the native architecture has it, NR_SCMP_ERROR (-1) when libseccomp
 * knows no such name, and another negative number (a libseccomp pseudo-syscall) when the name exists only on other
 * architectures (e.g. 'stime' on x86_64). Rules for such names are valid but compile to nothing here.
 */
export function syscallNumber(name: string): number {
  return libseccomp().seccomp_syscall_resolve_name(name);
}

export function isKnownSyscall(name: string): boolean {
  return syscallNumber(name) !== NR_SCMP_ERROR;
}

const names = new Map<number, string | undefined>();

/** For reports: the name of syscall number `nr` on the native architecture, or undefined if it has none. */
const SCMP_ARCH_X32 = 0x4000003e;

/**
 * Name of syscall `nr` as the kernel reported it: under `arch` (an audit arch) when that is not the
 * native one, e.g. an i386 call from `int $0x80`, or an x32 call (bit 30 set on x86_64).
 */
export function syscallName(nr: number, arch?: number): string | undefined {
  if (!Number.isInteger(nr) || nr < 0 || nr > 0x7fffffff) return undefined;
  const native = nativeArch().token;
  const foreign = arch !== undefined && arch >>> 0 !== native >>> 0;
  const x32 = !foreign && nativeArch().name === 'x86_64' && (nr & X32_SYSCALL_BIT) !== 0;
  if (foreign || x32) {
    const name = libseccomp().seccomp_syscall_resolve_num_arch(x32 ? SCMP_ARCH_X32 : arch! >>> 0, nr) as string | null;
    return name ?? undefined;
  }
  if (!names.has(nr)) {
    const name = libseccomp().seccomp_syscall_resolve_num_arch(nativeArch().token, nr) as string | null;
    names.set(nr, name ?? undefined);
  }
  return names.get(nr);
}

/** Highest syscall number looked at when listing names (every Linux ABI is below 1024; x32 numbers are not listed). */
const MAX_LISTED_NR = 1024;
let nativeNames: string[] | undefined;

/** Every syscall name of the native architecture, in number order: the candidates for "did you mean". */
export function nativeSyscallNames(): readonly string[] {
  if (!nativeNames) {
    nativeNames = [];
    for (let nr = 0; nr < MAX_LISTED_NR; nr++) {
      const name = syscallName(nr);
      if (name !== undefined) nativeNames.push(name);
    }
  }
  return nativeNames;
}
