// The seccomp part of a policy: its types, its validation, and its normal form (what compile.ts compiles).
// Every problem is a PolicyError naming the field (`policy.seccomp.rules[3].syscall`), the value and the fix.
import { constants } from 'node:os';
import { PolicyError, describeValue } from '../errors.js';
import { closestName, isPlainObject, readBoolean, rejectUnknownKeys } from '../policy/checks.js';
import { isKnownSyscall, nativeSyscallNames } from './arch.js';
import { defaultPreset } from './presets/default.js';
import { judgePreset } from './presets/judge.js';

/** What the kernel does with a matching syscall. `{ errno }` fails it with that error (0 fakes success) without running it. */
export type SeccompAction = 'allow' | 'kill-process' | 'trap' | 'log' | { errno: number | string /* 'EPERM' or 1 */ };

/**
 * One comparison on a syscall argument, as libseccomp does it: on the 64-bit register value, unsigned.
 * `masked-eq` is `(arg & mask) === value`. For an argument the kernel reads as a 32-bit int (ioctl's request,
 * personality's persona, socket's family) prefer `masked-eq` with `mask: 0xffffffff`: the upper half of the
 * register is not defined by the C ABI, and a deny rule on the full 64 bits can be dodged by setting it.
 */
export interface ArgCondition {
  index: 0 | 1 | 2 | 3 | 4 | 5;
  op: 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge' | 'masked-eq';
  value: number | bigint;
  /** Only for masked-eq, and required there. */
  mask?: number | bigint;
}

/** A rule: conditions on different arguments are ANDed; different rules for one syscall are ORed. */
export interface SeccompRule {
  syscall: string;
  action: SeccompAction;
  args?: ArgCondition[];
}

export interface SeccompPolicy {
  /** What happens to every syscall no rule matches. */
  defaultAction: SeccompAction;
  rules: SeccompRule[];
}

export type SeccompPresetName = 'default' | 'judge';

export interface SeccompPresetSetting {
  preset: SeccompPresetName;
  /** Let the payload create namespaces (clone/unshare with CLONE_NEW*, setns, clone3). Default false. */
  allowNamespaces?: boolean;
  /** Let the payload use io_uring. Default false. */
  allowIoUring?: boolean;
  /** Rules that replace every preset rule for the syscalls they name (an `allow` in the `default` preset lifts its deny). */
  extraRules?: SeccompRule[];
}

/** `policy.seccomp`: a preset by name, `'none'` for no filter, a preset with options, or a whole custom policy. */
export type SeccompSetting = 'default' | 'judge' | 'none' | SeccompPolicy | SeccompPresetSetting;

/** An action after validation: errno names became numbers. */
export type ResolvedSeccompAction = 'allow' | 'kill-process' | 'trap' | 'log' | { errno: number };

/** A condition after validation: value and mask are numbers when exact as such, bigints above 2^53. */
export interface ResolvedArgCondition extends ArgCondition {
  value: number | bigint;
  mask?: number | bigint;
}

export interface ResolvedSeccompRule extends SeccompRule {
  action: ResolvedSeccompAction;
  /** Absent when the rule has no conditions; otherwise sorted by index, one per argument. */
  args?: ResolvedArgCondition[];
}

/**
 * A policy in normal form: every syscall name known to libseccomp, no two rules in conflict, no duplicates, and no
 * rule that only restates the default action.
 */
export interface ResolvedSeccompPolicy extends SeccompPolicy {
  defaultAction: ResolvedSeccompAction;
  rules: ResolvedSeccompRule[];
}

export interface ResolvedSeccomp {
  /** The preset's name, or 'custom'. */
  name: string;
  policy: ResolvedSeccompPolicy;
}

const SIMPLE_ACTIONS = ['allow', 'kill-process', 'trap', 'log'] as const;
const OPS = ['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'masked-eq'] as const;
const PRESETS: readonly SeccompPresetName[] = ['default', 'judge'];
const SETTING_NAMES = ['default', 'judge', 'none'];
const PRESET_FIELDS = ['preset', 'allowNamespaces', 'allowIoUring', 'extraRules'];
const POLICY_FIELDS = ['defaultAction', 'rules'];
const RULE_FIELDS = ['syscall', 'action', 'args'];
const CONDITION_FIELDS = ['index', 'op', 'value', 'mask'];
/**
 * The largest errno a rule may return: the kernel's MAX_ERRNO is 4095 (above it the value would not read as an error
 * in user space), but libseccomp 2.5 refuses 4095 itself, so a policy using it would fail only at compile time.
 */
const MAX_ERRNO = 4094;
const MAX_U64 = (1n << 64n) - 1n;
/** More rules than any sensible policy, and still far below what would not fit the kernel's 4096 instructions. */
const MAX_RULES = 1024;
const ERRNO_NAMES = Object.keys(constants.errno);

/**
 * Validates `policy.seccomp` (or any `field`) and puts it in normal form; null for 'none'.
 * Throws a PolicyError naming `${field}...` for the first problem; typos in syscall names get the closest native
 * syscall name as the fix. Needs libseccomp (for the syscall table) unless the value is 'none'.
 */
export function resolveSeccomp(field: string, value: unknown): ResolvedSeccomp | null {
  if (typeof value === 'string') {
    if (value === 'none') return null;
    if (value === 'default' || value === 'judge') return resolvePreset(field, { preset: value });
    const suggestion = closestName(value, SETTING_NAMES);
    throw new PolicyError(field, value, "must be 'default', 'judge', 'none', { preset, ... } or { defaultAction, rules }", suggestion ? `did you mean '${suggestion}'?` : "write e.g. 'default'");
  }
  if (!isPlainObject(value)) {
    throw new PolicyError(field, value, "must be 'default', 'judge', 'none', { preset, ... } or { defaultAction, rules }", "write e.g. 'default', or { preset: 'judge', extraRules: [...] }, or { defaultAction: 'allow', rules: [...] }");
  }
  if ('preset' in value) {
    rejectUnknownKeys(field, value, PRESET_FIELDS, 'preset option');
    return resolvePreset(field, value);
  }
  for (const key of PRESET_FIELDS) {
    if (key in value) {
      throw new PolicyError(`${field}.${key}`, value[key], 'only applies together with preset', `add preset: 'default' or preset: 'judge', or drop ${key} from this custom policy (custom rules go in rules)`);
    }
  }
  rejectUnknownKeys(field, value, POLICY_FIELDS, 'seccomp field');
  if (value.defaultAction === undefined) {
    throw new PolicyError(`${field}.defaultAction`, undefined, 'is required in a custom seccomp policy', "write e.g. defaultAction: 'allow' (a deny list) or defaultAction: 'kill-process' (an allow list), or use { preset: 'default' | 'judge' }");
  }
  const defaultAction = readAction(`${field}.defaultAction`, value.defaultAction);
  const rules = readRules(`${field}.rules`, value.rules, true);
  return { name: 'custom', policy: { defaultAction, rules: normalizeRules(defaultAction, rules) } };
}

function resolvePreset(field: string, value: Record<string, unknown>): ResolvedSeccomp {
  const preset = value.preset;
  if (typeof preset !== 'string' || !(PRESETS as readonly string[]).includes(preset)) {
    const suggestion = typeof preset === 'string' ? closestName(preset, PRESETS) : undefined;
    throw new PolicyError(`${field}.preset`, preset, "must be 'default' or 'judge'", suggestion ? `did you mean '${suggestion}'?` : "write preset: 'default' (deny list) or preset: 'judge' (allow list)");
  }
  const allowNamespaces = readBoolean(`${field}.allowNamespaces`, value.allowNamespaces) ?? false;
  const allowIoUring = readBoolean(`${field}.allowIoUring`, value.allowIoUring) ?? false;
  const extra = value.extraRules === undefined ? [] : readRules(`${field}.extraRules`, value.extraRules, false);
  // Without extra rules a preset resolves to the same thing every time: resolve it once, share it frozen (which
  // also lets compileSeccomp find its program by identity, without hashing the policy).
  const cacheKey = extra.length === 0 ? `${preset}:${allowNamespaces}:${allowIoUring}` : undefined;
  const cached = cacheKey === undefined ? undefined : presetCache.get(cacheKey);
  if (cached) return cached;
  const base = (preset === 'judge' ? judgePreset : defaultPreset)({ allowNamespaces, allowIoUring });
  const defaultAction = readAction(`seccomp preset '${preset}'`, base.defaultAction);
  // Extra rules replace the preset's rules for the syscalls they name, so the two never conflict.
  const replaced = new Set(extra.map((entry) => entry.rule.syscall));
  const presetRules = base.rules
    // A preset may list syscalls that an older libseccomp does not know yet; those cannot be compiled anyway.
    .filter((rule) => !replaced.has(rule.syscall) && isKnownSyscall(rule.syscall))
    .map((rule, index): PlacedRule => {
      const presetField = `seccomp preset '${preset}' rule ${index} (${rule.syscall})`;
      return { field: presetField, rule: readRule(presetField, rule) };
    });
  const resolved: ResolvedSeccomp = { name: preset, policy: { defaultAction, rules: normalizeRules(defaultAction, [...presetRules, ...extra]) } };
  if (cacheKey !== undefined) presetCache.set(cacheKey, deepFreeze(resolved));
  return resolved;
}

const presetCache = new Map<string, ResolvedSeccomp>();

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const member of Object.values(value)) deepFreeze(member);
    Object.freeze(value);
  }
  return value;
}

interface PlacedRule {
  field: string;
  rule: ResolvedSeccompRule;
}

function readRules(field: string, value: unknown, required: boolean): PlacedRule[] {
  if (value === undefined && required) {
    throw new PolicyError(field, value, 'is required in a custom seccomp policy', "write e.g. rules: [{ syscall: 'mount', action: { errno: 'EPERM' } }] (or rules: [] for the default action alone)");
  }
  if (!Array.isArray(value)) {
    throw new PolicyError(field, value, 'must be an array of rules', "write e.g. [{ syscall: 'mount', action: { errno: 'EPERM' } }]");
  }
  if (value.length > MAX_RULES) {
    throw new PolicyError(field, `<${value.length} rules>`, `has more than ${MAX_RULES} rules`, 'merge rules, or start from a preset and list only the differences');
  }
  const rules: PlacedRule[] = [];
  // An index loop: map() would skip the holes of a sparse array instead of rejecting them.
  for (let index = 0; index < value.length; index++) {
    const ruleField = `${field}[${index}]`;
    rules.push({ field: ruleField, rule: readRule(ruleField, value[index]) });
  }
  return rules;
}

function readRule(field: string, value: unknown): ResolvedSeccompRule {
  if (!isPlainObject(value)) {
    throw new PolicyError(field, value, 'must be a rule object', "write e.g. { syscall: 'mount', action: { errno: 'EPERM' } }");
  }
  rejectUnknownKeys(field, value, RULE_FIELDS, 'rule field');
  const syscall = readSyscall(`${field}.syscall`, value.syscall);
  const action = readAction(`${field}.action`, value.action);
  if (value.args === undefined) return { syscall, action };
  const argsField = `${field}.args`;
  if (!Array.isArray(value.args)) {
    throw new PolicyError(argsField, value.args, 'must be an array of argument conditions', "write e.g. [{ index: 0, op: 'eq', value: 1 }]");
  }
  const args: ResolvedArgCondition[] = [];
  const seen = new Map<number, number>();
  for (let position = 0; position < value.args.length; position++) {
    const conditionField = `${argsField}[${position}]`;
    const condition = readCondition(conditionField, value.args[position]);
    const earlier = seen.get(condition.index);
    if (earlier !== undefined) {
      throw new PolicyError(conditionField, value.args[position], `tests argument ${condition.index} again, after ${argsField}[${earlier}]; libseccomp allows one condition per argument in a rule`, 'split it into two rules (rules are ORed, conditions in one rule are ANDed), or express both tests as one masked-eq');
    }
    seen.set(condition.index, position);
    args.push(condition);
  }
  if (args.length === 0) return { syscall, action };
  args.sort((a, b) => a.index - b.index);
  return { syscall, action, args };
}

function readSyscall(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new PolicyError(field, value, 'must be a syscall name', "write e.g. 'mount' or 'openat'");
  }
  if (!/^[a-z0-9_]{1,64}$/.test(value) || !isKnownSyscall(value)) {
    const suggestion = closestName(value, nativeSyscallNames());
    throw new PolicyError(field, value, 'is not a syscall name libseccomp knows', suggestion ? `did you mean '${suggestion}'?` : 'write a Linux syscall name in lower case, as in `man 2 syscalls`, e.g. openat');
  }
  return value;
}

function readAction(field: string, value: unknown): ResolvedSeccompAction {
  if (typeof value === 'string') {
    if ((SIMPLE_ACTIONS as readonly string[]).includes(value)) return value as ResolvedSeccompAction;
    if (/^E[A-Z0-9]+$/.test(value)) {
      throw new PolicyError(field, value, 'is an errno name, not an action', `write { errno: '${value}' }`);
    }
    const suggestion = closestName(value, SIMPLE_ACTIONS);
    throw new PolicyError(field, value, "must be 'allow', 'kill-process', 'trap', 'log' or { errno }", suggestion ? `did you mean '${suggestion}'?` : "write e.g. 'kill-process' or { errno: 'EPERM' }");
  }
  if (!isPlainObject(value)) {
    throw new PolicyError(field, value, "must be 'allow', 'kill-process', 'trap', 'log' or { errno }", "write e.g. 'kill-process' or { errno: 'EPERM' }");
  }
  rejectUnknownKeys(field, value, ['errno'], 'action field');
  return { errno: readErrno(`${field}.errno`, value.errno) };
}

function readErrno(field: string, value: unknown): number {
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 0 && value <= MAX_ERRNO) return value;
    throw new PolicyError(field, value, `must be an errno name or an integer from 0 to ${MAX_ERRNO}`, "write e.g. 'EPERM' or 1 (0 makes the syscall return 0 without running)");
  }
  if (typeof value === 'string') {
    const errno = Object.hasOwn(constants.errno, value) ? (constants.errno as Record<string, number>)[value] : undefined;
    if (errno !== undefined) return errno;
    const suggestion = closestName(value, ERRNO_NAMES);
    throw new PolicyError(field, value, 'is not an errno name', suggestion ? `did you mean '${suggestion}'?` : "write e.g. 'EPERM', 'ENOSYS' or 'EACCES' (as in `man 3 errno`)");
  }
  throw new PolicyError(field, value, 'must be an errno name or number', "write e.g. 'EPERM' or 1");
}

function readCondition(field: string, value: unknown): ResolvedArgCondition {
  if (!isPlainObject(value)) {
    throw new PolicyError(field, value, 'must be a condition object', "write e.g. { index: 0, op: 'eq', value: 1 }");
  }
  rejectUnknownKeys(field, value, CONDITION_FIELDS, 'condition field');
  const index = value.index;
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index > 5) {
    throw new PolicyError(`${field}.index`, index, 'must be an argument index from 0 to 5', 'write e.g. index: 0 for the first argument');
  }
  const op = value.op;
  if (typeof op !== 'string' || !(OPS as readonly string[]).includes(op)) {
    const suggestion = typeof op === 'string' ? closestName(op, OPS) : undefined;
    throw new PolicyError(`${field}.op`, op, `must be one of ${OPS.map((name) => `'${name}'`).join(', ')}`, suggestion ? `did you mean '${suggestion}'?` : "write e.g. op: 'eq'");
  }
  const datum = readDatum(`${field}.value`, value.value);
  if (op !== 'masked-eq') {
    if (value.mask !== undefined) {
      throw new PolicyError(`${field}.mask`, value.mask, `only applies to op 'masked-eq', not '${op}'`, "remove mask, or write op: 'masked-eq'");
    }
    return { index: index as ArgCondition['index'], op: op as ArgCondition['op'], value: compact(datum) };
  }
  if (value.mask === undefined) {
    throw new PolicyError(`${field}.mask`, undefined, "is required with op 'masked-eq' (the test is (arg & mask) === value)", 'write e.g. mask: 0xffffffff to compare the low 32 bits');
  }
  const mask = readDatum(`${field}.mask`, value.mask);
  if (mask === 0n) {
    throw new PolicyError(`${field}.mask`, value.mask, 'is 0, so the condition would match every value', 'remove the condition, or give a mask with the bits to compare');
  }
  if ((datum & ~mask) !== 0n) {
    throw new PolicyError(`${field}.value`, value.value, `has bits outside the mask ${hex(mask)}, so (arg & mask) can never equal it (libseccomp would silently drop those bits)`, `use value ${hex(datum & mask)}, or widen the mask`);
  }
  return { index: index as ArgCondition['index'], op: 'masked-eq', value: compact(datum), mask: compact(mask) };
}

function readDatum(field: string, value: unknown): bigint {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  if (typeof value === 'bigint' && value >= 0n && value <= MAX_U64) return value;
  if ((typeof value === 'number' && Number.isInteger(value) && value < 0) || (typeof value === 'bigint' && value < 0n)) {
    throw new PolicyError(field, value, 'is negative; arguments are compared as unsigned 64-bit values', `write the unsigned value, e.g. ${hex(BigInt.asUintN(64, BigInt(value)))}n for a 64-bit ${value}, or ${hex(BigInt.asUintN(32, BigInt(value)))} with op 'masked-eq' and mask 0xffffffff for a 32-bit int`);
  }
  throw new PolicyError(field, value, 'must be an integer from 0 to 2^64-1 (a number up to 2^53, or a bigint)', 'write e.g. 1, 0x5412 or 0xffffffffffffffffn');
}

/**
 * Conflicts are errors; duplicates and rules made redundant by a rule without conditions (same action) are dropped;
 * so are rules whose action is the default action (they only restate it, and libseccomp refuses them).
 */
function normalizeRules(defaultAction: ResolvedSeccompAction, placed: PlacedRule[]): ResolvedSeccompRule[] {
  const bySyscall = new Map<string, PlacedRule[]>();
  for (const entry of placed) {
    const group = bySyscall.get(entry.rule.syscall) ?? [];
    for (const earlier of group) checkPair(earlier, entry);
    group.push(entry);
    bySyscall.set(entry.rule.syscall, group);
  }
  const kept: ResolvedSeccompRule[] = [];
  for (const group of bySyscall.values()) {
    const unconditional = group.find((entry) => entry.rule.args === undefined);
    const seen = new Set<string>();
    for (const { rule } of group) {
      if (unconditional && rule.args !== undefined) continue; // same action as the unconditional rule (checked)
      const key = conditionsKey(rule.args);
      if (seen.has(key)) continue;
      seen.add(key);
      if (sameAction(rule.action, defaultAction)) continue;
      kept.push(rule);
    }
  }
  return kept;
}

function checkPair(earlier: PlacedRule, later: PlacedRule): void {
  const a = earlier.rule;
  const b = later.rule;
  if (sameAction(a.action, b.action)) return;
  const syscall = b.syscall;
  const both = `${earlier.field} and ${later.field}`;
  if (a.args === undefined && b.args === undefined) {
    throw new PolicyError(later.field, b, `conflicts with ${earlier.field} ${describeValue(a)}: both match every ${syscall} call, one with ${describeAction(a.action)} and one with ${describeAction(b.action)}`, `keep one of ${both}, or add args conditions that tell the calls apart`);
  }
  if (a.args === undefined || b.args === undefined) {
    const [bare, conditioned] = a.args === undefined ? [earlier, later] : [later, earlier];
    throw new PolicyError(later.field, b, `conflicts with ${earlier.field} ${describeValue(a)}: ${bare.field} has no conditions, so it decides every ${syscall} call and the conditions of ${conditioned.field} would never apply`, `give ${bare.field} conditions that exclude the calls ${conditioned.field} is meant for, or remove one of ${both}`);
  }
  if (conditionsKey(a.args) === conditionsKey(b.args)) {
    throw new PolicyError(later.field, b, `conflicts with ${earlier.field} ${describeValue(a)}: the same ${syscall} conditions with two actions (${describeAction(a.action)}, ${describeAction(b.action)})`, `keep one of ${both}`);
  }
}

function conditionsKey(args: readonly ResolvedArgCondition[] | undefined): string {
  if (!args) return '';
  return args.map((c) => `${c.index}:${c.op}:${BigInt(c.value)}:${c.mask === undefined ? '' : BigInt(c.mask)}`).join(',');
}

export function sameAction(a: ResolvedSeccompAction, b: ResolvedSeccompAction): boolean {
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  return a.errno === b.errno;
}

/** 'allow', 'errno EPERM', ... for messages and docs. */
export function describeAction(action: ResolvedSeccompAction): string {
  if (typeof action === 'string') return action;
  const name = Object.entries(constants.errno).find(([, value]) => value === action.errno)?.[0];
  return `errno ${name ?? action.errno}`;
}

function compact(value: bigint): number | bigint {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

function hex(value: bigint): string {
  return `0x${value.toString(16)}`;
}



