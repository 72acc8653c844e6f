// Compact argument checks that libseccomp cannot express, spliced into its output.
//
// libseccomp compares an argument with eq/ne/lt/le/gt/ge/masked-eq only, so "any of these bits set" or "anything but
// these few values" becomes one masked-eq rule per case: the default preset's clone/unshare flags are 7 and 8 rules,
// personality 32, and judge's ioctl 33 (about 3 BPF instructions each). Installing a filter costs kernel time in
// proportion to its length (the JIT, and the cBPF -> eBPF conversion), paid on every spawn, so such groups are
// compiled here instead, from the same rules and to the same decisions:
//
// Every rule of the syscall is one masked-eq on the same argument with a mask within the low 32 bits, and all share
// one action A (the rules are ORed, so the syscall's decision is "A if the low word lies in the union of these cubes,
// else the default action"). complementOf() enumerates the values that are in no cube, exactly, as a few disjoint
// (mask, value) pairs; when that list is short, the syscall's check becomes "low word in the complement -> default,
// else A": a handful of instructions. libseccomp still builds the dispatch on the architecture and the syscall
// number: the syscall gets one unconditional rule with a placeholder action (an errno the policy does not use), and
// every `ret placeholder` in the exported program becomes a jump to the check, appended after libseccomp's code.
import os from 'node:os';
import { SECCOMP_DATA } from './arch.js';
import { sameAction, type ResolvedSeccompAction, type ResolvedSeccompPolicy, type ResolvedSeccompRule } from './rules.js';

/** `(word & mask) === value` on 32-bit unsigned words. */
export interface Cube {
  mask: number;
  value: number;
}

export interface Fragment {
  syscall: string;
  /** The argument the rules test (0-5). */
  index: number;
  /** The rules' common action. */
  action: ResolvedSeccompAction;
  /** The low-word values no rule matches, as disjoint cubes: these get the default action. */
  complement: Cube[];
  /** How many rules it replaces. */
  rules: number;
}

const LOW32 = 0xffffffffn;
/** Enough for "no bit of a mask set" plus a few exceptions; a longer complement is left to libseccomp. */
const MAX_COMPLEMENT = 8;
/** Search nodes per group before giving up (the presets' groups need about a thousand). */
const SEARCH_BUDGET = 50_000;

/**
 * The syscalls whose rules compile shorter as a complement check, and the rules libseccomp still gets.
 * A group qualifies when it has at least two rules, each with exactly one condition, masked-eq on the same argument
 * with a mask within the low 32 bits (so the upper half of the register is ignored, as libseccomp does for such a
 * mask), all with the same action, and its complement is short enough to beat libseccomp's encoding.
 */
export function planFragments(policy: ResolvedSeccompPolicy): { fragments: Fragment[]; rules: ResolvedSeccompRule[] } {
  const groups = new Map<string, ResolvedSeccompRule[]>();
  for (const rule of policy.rules) {
    const group = groups.get(rule.syscall) ?? [];
    group.push(rule);
    groups.set(rule.syscall, group);
  }
  const fragments: Fragment[] = [];
  for (const [syscall, group] of groups) {
    const fragment = fragmentOf(syscall, group);
    if (fragment) fragments.push(fragment);
  }
  const compacted = new Set(fragments.map((f) => f.syscall));
  return { fragments, rules: policy.rules.filter((rule) => !compacted.has(rule.syscall)) };
}

function fragmentOf(syscall: string, group: readonly ResolvedSeccompRule[]): Fragment | null {
  if (group.length < 2) return null;
  const first = group[0];
  const index = first.args?.[0]?.index;
  if (index === undefined) return null;
  const cubes: Cube[] = [];
  for (const rule of group) {
    const args = rule.args;
    if (!args || args.length !== 1) return null;
    const [condition] = args;
    if (condition.op !== 'masked-eq' || condition.index !== index || condition.mask === undefined) return null;
    if (!sameAction(rule.action, first.action)) return null;
    const mask = BigInt(condition.mask);
    const value = BigInt(condition.value);
    if (mask > LOW32 || (value & ~mask) !== 0n) return null;
    cubes.push({ mask: Number(mask), value: Number(value) });
  }
  const complement = complementOf(cubes, MAX_COMPLEMENT);
  if (!complement) return null;
  // libseccomp spends about 3 instructions per rule; the check costs checkLength().
  if (checkLength(complement) >= 3 * group.length) return null;
  return { syscall, index, action: first.action, complement, rules: group.length };
}

/**
 * The 32-bit words in none of `cubes`, as disjoint cubes (null when there are more than `limit`, or the search is too
 * long). A case split on bits: a region some cube contains entirely is covered, a region no cube meets is part of
 * the complement, anything else is split on a bit of a cube that still meets it. Every region is decided exactly,
 * so the result is exact; neighbouring pieces (same mask, values one bit apart) are then merged.
 */
export function complementOf(cubes: readonly Cube[], limit: number): Cube[] | null {
  const pieces: Cube[] = [];
  let budget = SEARCH_BUDGET;
  const split = (mask: number, value: number, live: readonly Cube[]): boolean => {
    if (--budget < 0) return false;
    const meeting = live.filter((c) => ((c.value ^ value) & c.mask & mask) === 0);
    if (meeting.some((c) => (c.mask & ~mask) === 0)) return true;
    if (meeting.length === 0) {
      pieces.push({ mask: mask >>> 0, value: value >>> 0 });
      return pieces.length <= 64;
    }
    const free = meeting[0].mask & ~mask;
    const bit = free & -free;
    return split(mask | bit, value, meeting) && split(mask | bit, value | bit, meeting);
  };
  if (!split(0, 0, cubes)) return null;
  const merged = mergeNeighbours(pieces);
  return merged.length <= limit ? merged : null;
}

function mergeNeighbours(input: readonly Cube[]): Cube[] {
  const cubes = [...input];
  for (let changed = true; changed; ) {
    changed = false;
    outer: for (let i = 0; i < cubes.length; i++) {
      for (let j = i + 1; j < cubes.length; j++) {
        const diff = (cubes[i].value ^ cubes[j].value) >>> 0;
        if (cubes[i].mask === cubes[j].mask && diff !== 0 && (diff & (diff - 1)) === 0) {
          cubes[i] = { mask: (cubes[i].mask & ~diff) >>> 0, value: (cubes[i].value & ~diff) >>> 0 };
          cubes.splice(j, 1);
          changed = true;
          break outer;
        }
      }
    }
  }
  // Exact values first: they compare without masking, so the word is loaded once for all of them.
  return cubes.sort((a, b) => Number(b.mask === 0xffffffff) - Number(a.mask === 0xffffffff));
}

/** Instructions of the check: the load, one jeq per exact value, and/jeq (plus a reload) per masked cube, two rets. */
function checkLength(complement: readonly Cube[]): number {
  let length = 1;
  let clobbered = false;
  for (const cube of complement) {
    if (cube.mask === 0xffffffff) {
      length += clobbered ? 2 : 1;
      clobbered = false;
    } else {
      length += clobbered ? 3 : 2;
      clobbered = true;
    }
  }
  return length + 2;
}

// struct sock_filter opcodes.
const BPF_LD_W_ABS = 0x20;
const BPF_ALU_AND_K = 0x54;
const BPF_JMP_JA = 0x05;
const BPF_JMP_JEQ_K = 0x15;
const BPF_RET_K = 0x06;

interface Insn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

/**
 * The check of one fragment: load the argument's low word; a word in the complement returns `defaultValue`, any
 * other returns `actionValue` (SECCOMP_RET_* values).
 */
export function fragmentCode(fragment: Fragment, actionValue: number, defaultValue: number): Insn[] {
  const little = os.endianness() === 'LE';
  const low = SECCOMP_DATA.args + 8 * fragment.index + (little ? 0 : 4);
  const code: Insn[] = [{ code: BPF_LD_W_ABS, jt: 0, jf: 0, k: low }];
  // Jumps to the final `ret default` are patched once the length is known.
  const toDefault: number[] = [];
  let clobbered = false;
  for (const cube of fragment.complement) {
    if (clobbered) code.push({ code: BPF_LD_W_ABS, jt: 0, jf: 0, k: low });
    if (cube.mask !== 0xffffffff) code.push({ code: BPF_ALU_AND_K, jt: 0, jf: 0, k: cube.mask });
    toDefault.push(code.length);
    code.push({ code: BPF_JMP_JEQ_K, jt: 0, jf: 0, k: cube.value });
    clobbered = cube.mask !== 0xffffffff;
  }
  code.push({ code: BPF_RET_K, jt: 0, jf: 0, k: actionValue >>> 0 });
  code.push({ code: BPF_RET_K, jt: 0, jf: 0, k: defaultValue >>> 0 });
  const last = code.length - 1;
  for (const at of toDefault) code[at].jt = last - at - 1;
  return code;
}

/**
 * libseccomp's program with every `ret placeholders[i]` turned into a jump to fragment i's check, the checks
 * appended. Throws when a placeholder is missing (the splice would silently drop the check).
 */
export function spliceFragments(program: Buffer, parts: readonly { placeholder: number; code: Insn[] }[]): Buffer {
  const little = os.endianness() === 'LE';
  const count = program.length / 8;
  const insns: Insn[] = [];
  for (let i = 0; i < count; i++) {
    const at = i * 8;
    insns.push({
      code: little ? program.readUInt16LE(at) : program.readUInt16BE(at),
      jt: program[at + 2],
      jf: program[at + 3],
      k: little ? program.readUInt32LE(at + 4) : program.readUInt32BE(at + 4),
    });
  }
  let start = count;
  for (const part of parts) {
    let found = 0;
    for (let i = 0; i < count; i++) {
      if (insns[i].code === BPF_RET_K && insns[i].k === part.placeholder >>> 0) {
        insns[i] = { code: BPF_JMP_JA, jt: 0, jf: 0, k: start - i - 1 };
        found++;
      }
    }
    if (found === 0) throw new Error(`placeholder 0x${part.placeholder.toString(16)} is not in the exported program`);
    insns.push(...part.code);
    start += part.code.length;
  }
  const out = Buffer.alloc(insns.length * 8);
  insns.forEach((insn, i) => {
    const at = i * 8;
    if (little) out.writeUInt16LE(insn.code, at);
    else out.writeUInt16BE(insn.code, at);
    out[at + 2] = insn.jt;
    out[at + 3] = insn.jf;
    if (little) out.writeUInt32LE(insn.k >>> 0, at + 4);
    else out.writeUInt32BE(insn.k >>> 0, at + 4);
  });
  return out;
}
