// Which policies a warm sandbox can serve: reuse must never let one job see another's processes or files.
import { PolicyError } from '../errors.js';
import type { MountSpec, ResolvedPolicy } from '../policy/types.js';

function targetOf(m: MountSpec): string {
  return m.type === 'bind' ? (m.target ?? m.source) : m.target;
}

function beneath(path: string, dir: string): boolean {
  return dir === '/' ? path !== '/' : path.startsWith(`${dir}/`);
}

/**
 * Throws PolicyError when a policy cannot be served warm:
 * - without a PID namespace PID 1 could not kill everything a job left;
 * - without a mount namespace there is no private filesystem to reset;
 * - without /proc PID 1 cannot check between jobs that the mount table is still the one it built;
 * - a writable tmpfs is replaced by a fresh one between jobs, which would drop any mount beneath it.
 */
export function checkWarmable(policy: ResolvedPolicy, field = 'warm'): void {
  for (const ns of ['pid', 'mount'] as const) {
    if (!policy.namespaces[ns]) {
      throw new PolicyError(`namespaces.${ns}`, false, `must be on for warm sandboxes (${field}): jobs share the sandbox one after another`,
        `keep namespaces.${ns} on, or set ${field}: 0 to run every job in a fresh sandbox`);
    }
  }
  if (!policy.mounts.some((m) => m.type === 'proc')) {
    throw new PolicyError('mounts', policy.mounts.length, `need a proc mount for warm sandboxes (${field}): PID 1 checks the mount table through it between jobs`,
      `add { type: 'proc', target: '/proc' }, or set ${field}: 0`);
  }
  const scratch = policy.mounts.filter((m) => m.type === 'tmpfs').map(targetOf);
  for (const dir of scratch) {
    const index = policy.mounts.findIndex((m) => beneath(targetOf(m), dir));
    if (index >= 0) {
      throw new PolicyError(`mounts[${index}].target`, targetOf(policy.mounts[index]), `lies beneath the tmpfs on ${dir}, which a warm sandbox empties or replaces between jobs`,
        `put it elsewhere, or set ${field}: 0`);
    }
  }
}
