// Landlock for nsbox: validate a policy's `landlock` setting, probe the kernel's ABI, decide the ruleset, path and
// port records the C init applies in the payload right before execve. docs/landlock.md describes it all.
export { landlockAbi, landlockAvailability, kernelForAbi, LANDLOCK_ABI_HISTORY, type LandlockAvailability } from './abi.js';
export {
  FS,
  NET,
  SCOPE,
  FS_ACCESS,
  FS_ACCESS_NAMES,
  FILE_RIGHTS,
  fsRightsOfAbi,
  rightsOf,
  accessNames,
  type FsAccess,
  type FsAccessInfo,
} from './rights.js';
export { resolveLandlock, MAX_PATH_RULES, MAX_PORTS, type LandlockPathRule, type LandlockSetting, type ResolvedLandlock } from './resolve.js';
export { landlockPlan, mountRules, type LandlockPlan, type MountRule } from './derive.js';
