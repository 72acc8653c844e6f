// Whether user namespaces can be created: the sysctls that decide it, confirmed by the test spawn.
import { existsSync } from 'node:fs';
import type { SandboxOutcome } from './sandbox-run.js';
import { readSysctl } from './host-files.js';
import type { ProbeItem } from './types.js';

/** Ubuntu's documented way: an unconfined profile for the one binary that needs `userns`. */
function apparmorFix(): string {
  const file = '/etc/apparmor.d/nsbox-node';
  return `allow user namespaces for this node binary: write ${file} with the lines ` +
    `\`abi <abi/4.0>,\` \`include <tunables/global>\` \`profile nsbox-node ${process.execPath} flags=(unconfined) { userns, }\` ` +
    `and load it with \`apparmor_parser -r ${file}\` (see docs/security.md); ` +
    'or, for the whole host, `sysctl kernel.apparmor_restrict_unprivileged_userns=0`';
}

interface Blocker {
  /** Applies to root with CAP_SYS_ADMIN too, not only to unprivileged users. */
  everyone: boolean;
  why: string;
  fix: string;
}

/** The knobs that refuse user namespaces; each may be absent on a given kernel. */
function findBlockers(): { blockers: Blocker[]; values: string[] } {
  const clone = readSysctl('/proc/sys/kernel/unprivileged_userns_clone');
  const max = readSysctl('/proc/sys/user/max_user_namespaces');
  const apparmor = readSysctl('/proc/sys/kernel/apparmor_restrict_unprivileged_userns');
  const values = [
    `user.max_user_namespaces=${max ?? 'absent'}`,
    `kernel.unprivileged_userns_clone=${clone ?? 'absent'}`,
    `kernel.apparmor_restrict_unprivileged_userns=${apparmor ?? 'absent'}`,
  ];
  const blockers: Blocker[] = [];
  if (!existsSync('/proc/self/ns/user')) {
    blockers.push({ everyone: true, why: 'the kernel has no user namespaces (CONFIG_USER_NS is off)', fix: 'use a kernel built with CONFIG_USER_NS=y' });
  }
  if (max === '0') {
    blockers.push({ everyone: true, why: 'user.max_user_namespaces=0 forbids them for everyone', fix: '`sysctl user.max_user_namespaces=15000`' });
  }
  if (clone === '0') {
    blockers.push({ everyone: false, why: 'kernel.unprivileged_userns_clone=0 (Debian knob) forbids them without CAP_SYS_ADMIN', fix: '`sysctl kernel.unprivileged_userns_clone=1`' });
  }
  if (apparmor === '1') {
    blockers.push({ everyone: false, why: 'AppArmor restricts them for unprivileged programs without a profile granting `userns,` (Ubuntu 23.10+)', fix: apparmorFix() });
  }
  return { blockers, values };
}

export function checkUserNamespaces(privileged: boolean, outcome: SandboxOutcome, spawnHint?: string): ProbeItem {
  const base = { id: 'user-namespaces', name: 'user namespaces', required: true };
  const { blockers, values } = findBlockers();
  const settings = values.join(', ');
  const forUs = blockers.filter((b) => privileged ? b.everyone : true);
  const forOthers = blockers.filter((b) => !b.everyone);
  const joinFixes = (list: Blocker[]) => list.map((b) => b.fix).join('; ');

  if (outcome === 'ran') {
    // The spawn is the truth: e.g. an AppArmor profile for node may already grant userns.
    if (privileged && forOthers.length > 0) {
      return {
        ...base,
        ok: true,
        detail: `work as root; rootless users are refused: ${forOthers.map((b) => b.why).join('; ')} (${settings})`,
        fix: `for rootless use: ${joinFixes(forOthers)}`,
      };
    }
    return { ...base, ok: true, detail: `${privileged ? 'work as root' : 'unprivileged user namespaces work'} (${settings})` };
  }
  if (forUs.length > 0) {
    return { ...base, ok: false, detail: `${forUs.map((b) => b.why).join('; ')} (${settings})`, fix: joinFixes(forUs) };
  }
  if (outcome === 'userns-refused') {
    return {
      ...base,
      ok: false,
      detail: `the kernel refused the test sandbox's user namespace although the sysctls allow it (${settings})`,
      ...(spawnHint ? { fix: spawnHint } : {}),
    };
  }
  return { ...base, ok: true, detail: `allowed by the sysctls (${settings}); the test sandbox failed for another reason` };
}
