// Seccomp for nsbox: validate a policy's `seccomp` setting, compile it to BPF for the C init, name syscalls in reports.
// docs/seccomp.md describes the presets, the custom format and how violations are reported.
export {
  resolveSeccomp,
  describeAction,
  type SeccompAction,
  type ArgCondition,
  type SeccompRule,
  type SeccompPolicy,
  type SeccompPresetName,
  type SeccompPresetSetting,
  type SeccompSetting,
  type ResolvedSeccomp,
  type ResolvedSeccompAction,
  type ResolvedSeccompPolicy,
  type ResolvedSeccompRule,
  type ResolvedArgCondition,
} from './rules.js';
export { compileSeccomp, clearSeccompCache, instructionCount, BPF_INSTRUCTION_BYTES, BPF_MAX_INSTRUCTIONS } from './compile.js';
export { syscallName, syscallNumber, nativeArch, type NativeArch } from './arch.js';
export { libseccompVersion } from './bindings.js';
