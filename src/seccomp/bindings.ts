// The libseccomp functions nsbox calls through koffi, bound once on first use.
// Only the host uses them, to compile filters and to name syscall numbers; the sandbox's C init
// receives finished BPF bytes and never links libseccomp.
import koffi, { type LibraryHandle } from 'koffi';
import { UnsupportedError } from '../errors.js';

/** Actions, as in <seccomp.h> (SCMP_ACT_*). */
export const SCMP_ACT_KILL_PROCESS = 0x80000000;
export const SCMP_ACT_TRAP = 0x00030000;
export const SCMP_ACT_LOG = 0x7ffc0000;
export const SCMP_ACT_ALLOW = 0x7fff0000;
export function SCMP_ACT_ERRNO(errno: number): number {
  return (0x00050000 | (errno & 0xffff)) >>> 0;
}

/** enum scmp_compare. */
export const SCMP_CMP = { ne: 1, lt: 2, le: 3, eq: 4, ge: 5, gt: 6, 'masked-eq': 7 } as const;

/** enum scmp_filter_attr (the ones nsbox sets). */
export const SCMP_FLTATR_ACT_BADARCH = 2;
export const SCMP_FLTATR_CTL_OPTIMIZE = 8;

/** libseccomp's "no such syscall" (__NR_SCMP_ERROR); other negative numbers are syscalls of other architectures. */
export const NR_SCMP_ERROR = -1;

/** struct scmp_arg_cmp as passed to seccomp_rule_add_array (24 bytes on every ABI). */
export interface ScmpArgCmp {
  arg: number;
  op: number;
  datum_a: bigint;
  datum_b: bigint;
}

function bind() {
  let lib: LibraryHandle;
  try {
    lib = koffi.load('libseccomp.so.2');
  } catch (error) {
    throw new UnsupportedError(
      'load libseccomp.so.2',
      'ENOENT',
      `the seccomp filter compiler cannot be loaded (${(error as Error).message})`,
      "install libseccomp 2.5 or newer (Debian/Ubuntu: apt-get install libseccomp2; Fedora: dnf install libseccomp), or set seccomp: 'none'",
    );
  }
  // A unique type name: koffi's named types are global to the process.
  const argCmp = koffi.struct('nsbox_scmp_arg_cmp', {
    arg: 'unsigned int',
    op: 'int',
    datum_a: 'uint64_t',
    datum_b: 'uint64_t',
  });
  const version = koffi.struct('nsbox_scmp_version', { major: 'unsigned int', minor: 'unsigned int', micro: 'unsigned int' });
  return {
    lib,
    argCmpSize: koffi.sizeof(argCmp),
    seccomp_init: lib.func('void *seccomp_init(uint32_t def_action)'),
    seccomp_release: lib.func('void seccomp_release(void *ctx)'),
    seccomp_arch_native: lib.func('uint32_t seccomp_arch_native()'),
    seccomp_arch_exist: lib.func('int seccomp_arch_exist(void *ctx, uint32_t arch_token)'),
    seccomp_arch_remove: lib.func('int seccomp_arch_remove(void *ctx, uint32_t arch_token)'),
    seccomp_attr_set: lib.func('int seccomp_attr_set(void *ctx, int attr, uint32_t value)'),
    seccomp_rule_add_array: lib.func(
      'int seccomp_rule_add_array(void *ctx, uint32_t action, int syscall, unsigned int arg_cnt, const nsbox_scmp_arg_cmp *arg_array)',
    ),
    seccomp_export_bpf: lib.func('int seccomp_export_bpf(void *ctx, int fd)'),
    seccomp_syscall_resolve_name: lib.func('int seccomp_syscall_resolve_name(const char *name)'),
    // Returns a malloc()ed string: '!' makes koffi free it once converted.
    seccomp_syscall_resolve_num_arch: lib.func('char *! seccomp_syscall_resolve_num_arch(uint32_t arch_token, int num)'),
    seccomp_version: lib.func('const void *seccomp_version()'),
    versionType: version,
    seccomp_api_get: lib.func('unsigned int seccomp_api_get()'),
  };
}

let bound: ReturnType<typeof bind> | undefined;

/** libseccomp, loaded on first use; throws UnsupportedError when it is not installed. */
export function libseccomp(): ReturnType<typeof bind> {
  bound ??= bind();
  return bound;
}

/** "2.5.4", for error messages and reports. */
export function libseccompVersion(): string {
  const { seccomp_version, versionType } = libseccomp();
  const pointer = seccomp_version();
  if (!pointer) return 'unknown';
  const v = koffi.decode(pointer, versionType) as { major: number; minor: number; micro: number };
  return `${v.major}.${v.minor}.${v.micro}`;
}
