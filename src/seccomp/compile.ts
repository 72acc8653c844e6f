// Resolved seccomp policy -> classic BPF (struct sock_filter[], 8 bytes each) for the native architecture, through
// libseccomp. The C init installs these bytes as the last step before execve; it never parses them.
import fs from 'node:fs';
import os from 'node:os';
import { PolicyError, SetupError } from '../errors.js';
import { errnoName, SyscallError } from '../syscalls/errno.js';
import { errno as lastErrno, libc } from '../syscalls/libc.js';
import { AUDIT_ARCH, SECCOMP_DATA, nativeArch, syscallNumber } from './arch.js';
import {
  SCMP_ACT_ALLOW,
  SCMP_ACT_ERRNO,
  SCMP_ACT_KILL_PROCESS,
  SCMP_ACT_LOG,
  SCMP_ACT_TRAP,
  SCMP_CMP,
  SCMP_FLTATR_ACT_BADARCH,
  SCMP_FLTATR_CTL_OPTIMIZE,
  libseccomp,
  libseccompVersion,
  type ScmpArgCmp,
} from './bindings.js';
import { fragmentCode, planFragments, spliceFragments } from './fragments.js';
import type { ResolvedSeccomp, ResolvedSeccompAction, ResolvedSeccompPolicy } from './rules.js';

/** Size of struct sock_filter. */
export const BPF_INSTRUCTION_BYTES = 8;
/** BPF_MAXINSNS: the kernel refuses longer classic BPF programs. */
export const BPF_MAX_INSTRUCTIONS = 4096;
/** BPF_LD | BPF_W | BPF_ABS: the opcode of "load 32 bits of seccomp_data at offset k". */
const BPF_LD_W_ABS = 0x20;
const MFD_CLOEXEC = 1;
/** SCMP_FLTATR_CTL_OPTIMIZE value 2: dispatch on the syscall number through a binary tree instead of a linear list. */
const OPTIMIZE_BINARY_TREE = 2;

const cache = new Map<string, Buffer>();
/** The same policy object again (presets are resolved once and shared): no need to hash it. */
let byPolicy = new WeakMap<object, Buffer>();

/**
 * The filter of a resolved policy as classic BPF for the native architecture. Other architectures (on x86_64 also
 * the x32 ABI and 32-bit int 0x80 calls) hit SCMP_FLTATR_ACT_BADARCH = kill-process. Cached per policy (JSON of the
 * resolved policy), so each distinct policy is compiled once per process; the same Buffer is returned every time,
 * so treat it as read-only.
 */
export function compileSeccomp(resolved: ResolvedSeccomp): Buffer {
  const known = Object.isFrozen(resolved.policy) ? byPolicy.get(resolved.policy) : undefined;
  if (known) return known;
  const key = policyKey(resolved.policy);
  let program = cache.get(key);
  if (!program) {
    program = compile(resolved);
    cache.set(key, program);
  }
  // Only a frozen policy can be trusted not to change under its identity.
  if (Object.isFrozen(resolved.policy)) byPolicy.set(resolved.policy, program);
  return program;
}

/** Number of instructions in a compiled program. */
export function instructionCount(program: Buffer): number {
  return program.length / BPF_INSTRUCTION_BYTES;
}

/** Forgets every compiled program (for tests and long-running hosts that cycle through many custom policies). */
export function clearSeccompCache(): void {
  cache.clear();
  byPolicy = new WeakMap();
}

function compile(resolved: ResolvedSeccomp): Buffer {
  const lib = libseccomp();
  const { policy } = resolved;
  const step = `compile the seccomp filter '${resolved.name}'`;
  const ctx = lib.seccomp_init(actionValue(policy.defaultAction));
  if (!ctx) {
    throw new SetupError(step, 'EINVAL', `libseccomp ${libseccompVersion()} refused the default action ${JSON.stringify(policy.defaultAction)}`, 'the kernel or libseccomp may be too old for it (kill-process and log need Linux 4.14 and libseccomp 2.4)');
  }
  let fd = -1;
  try {
    check(step, 'set the bad-architecture action', lib.seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS));
    restrictToNativeArch(step, ctx);
    // Binary-tree dispatch (libseccomp 2.5+); an older libseccomp builds the linear list, which is only slower.
    lib.seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, OPTIMIZE_BINARY_TREE);
    // Groups of masked-eq rules that a short check replaces (fragments.ts): libseccomp dispatches each such syscall
    // to a placeholder errno, which becomes a jump to the check once the program is exported.
    const { fragments, rules } = planFragments(policy);
    const placeholders = unusedErrnos(policy, fragments.length);
    const parts: { placeholder: number; code: ReturnType<typeof fragmentCode> }[] = [];
    fragments.forEach((fragment, i) => {
      const nr = syscallNumber(fragment.syscall);
      if (nr < 0) return;
      const placeholder = SCMP_ACT_ERRNO(placeholders[i]);
      check(step, `add the dispatch of ${fragment.syscall}`, lib.seccomp_rule_add_array(ctx, placeholder, nr, 0, null));
      parts.push({ placeholder, code: fragmentCode(fragment, actionValue(fragment.action), actionValue(policy.defaultAction)) });
    });
    for (const rule of rules) {
      const nr = syscallNumber(rule.syscall);
      // A syscall of other architectures only (e.g. stime on x86_64): nothing to filter here.
      if (nr < 0) continue;
      const args: ScmpArgCmp[] = (rule.args ?? []).map((condition) => ({
        arg: condition.index,
        op: SCMP_CMP[condition.op],
        datum_a: BigInt(condition.op === 'masked-eq' ? (condition.mask ?? 0) : condition.value),
        datum_b: BigInt(condition.op === 'masked-eq' ? condition.value : 0),
      }));
      const rc = lib.seccomp_rule_add_array(ctx, actionValue(rule.action), nr, args.length, args.length > 0 ? args : null);
      check(step, `add the rule ${JSON.stringify(rule, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))}`, rc);
    }
    fd = libc().memfd_create('nsbox-seccomp', MFD_CLOEXEC);
    if (fd < 0) throw new SyscallError('memfd_create', lastErrno());
    check(step, 'export the BPF program', lib.seccomp_export_bpf(ctx, fd));
    let program: Buffer;
    try {
      program = spliceFragments(readAll(fd), parts);
    } catch (error) {
      throw new SetupError(step, 'EINVAL', `the exported program could not take the compact argument checks: ${(error as Error).message}`, 'this is a bug in nsbox; please report it with the policy');
    }
    verify(step, resolved, program);
    return program;
  } finally {
    if (fd >= 0) fs.closeSync(fd);
    lib.seccomp_release(ctx);
  }
}

/** seccomp_init adds the native architecture only; make sure, and make sure no sibling ABI came along. */
function restrictToNativeArch(step: string, ctx: unknown): void {
  const lib = libseccomp();
  const native = nativeArch().token;
  if (lib.seccomp_arch_exist(ctx, native) !== 0) {
    throw new SetupError(step, 'EINVAL', `libseccomp did not put the native architecture (${nativeArch().name}) in the filter`, 'reinstall libseccomp2 for this architecture');
  }
  for (const token of Object.values(AUDIT_ARCH)) {
    if (token !== native && lib.seccomp_arch_exist(ctx, token) === 0) {
      check(step, `remove architecture 0x${token.toString(16)}`, lib.seccomp_arch_remove(ctx, token));
    }
  }
}

/**
 * `count` errno values (largest first, from 4094: libseccomp 2.5 refuses 4095) that no action of the policy uses: the
 * placeholders of fragments. They never reach the kernel: spliceFragments replaces every one.
 */
function unusedErrnos(policy: ResolvedSeccompPolicy, count: number): number[] {
  const used = new Set<number>();
  for (const action of [policy.defaultAction, ...policy.rules.map((rule) => rule.action)]) {
    if (typeof action !== 'string') used.add(action.errno);
  }
  const free: number[] = [];
  for (let errno = 4094; free.length < count; errno--) if (!used.has(errno)) free.push(errno);
  return free;
}

function actionValue(action: ResolvedSeccompAction): number {
  switch (action) {
    case 'allow':
      return SCMP_ACT_ALLOW;
    case 'kill-process':
      return SCMP_ACT_KILL_PROCESS;
    case 'trap':
      return SCMP_ACT_TRAP;
    case 'log':
      return SCMP_ACT_LOG;
    default:
      return SCMP_ACT_ERRNO(action.errno);
  }
}

function check(step: string, what: string, rc: number): void {
  if (rc < 0) {
    throw new SetupError(step, errnoName(-rc), `libseccomp ${libseccompVersion()} failed to ${what}`, 'this is a bug in nsbox or an old libseccomp; please report it with the policy');
  }
}

function readAll(fd: number): Buffer {
  const size = fs.fstatSync(fd).size;
  const program = Buffer.alloc(size);
  let done = 0;
  while (done < size) {
    const n = fs.readSync(fd, program, done, size - done, done);
    if (n === 0) break;
    done += n;
  }
  return program.subarray(0, done);
}

function verify(step: string, resolved: ResolvedSeccomp, program: Buffer): void {
  if (program.length === 0 || program.length % BPF_INSTRUCTION_BYTES !== 0) {
    throw new SetupError(step, 'EINVAL', `libseccomp exported ${program.length} bytes, not a whole number of BPF instructions`, 'this is a bug; please report it');
  }
  // struct sock_filter { __u16 code; __u8 jt, jf; __u32 k; } in host byte order.
  const little = os.endianness() === 'LE';
  const code = little ? program.readUInt16LE(0) : program.readUInt16BE(0);
  const k = little ? program.readUInt32LE(4) : program.readUInt32BE(4);
  if (code !== BPF_LD_W_ABS || k !== SECCOMP_DATA.arch) {
    throw new SetupError(step, 'EINVAL', 'the exported program does not start by checking the architecture', 'this is a bug; please report it');
  }
  const count = instructionCount(program);
  if (count > BPF_MAX_INSTRUCTIONS) {
    throw new PolicyError('seccomp', resolved.name, `compiles to ${count} BPF instructions; the kernel accepts at most ${BPF_MAX_INSTRUCTIONS}`, 'use fewer rules, or fewer conditions on the same syscall');
  }
}

/** Stable text of a resolved policy: JSON with bigints written as "123n". */
function policyKey(policy: ResolvedSeccompPolicy): string {
  return JSON.stringify(policy, (_, value) => (typeof value === 'bigint' ? `${value}n` : value));
}
