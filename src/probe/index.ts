// `probeHost()`: every check nsbox cares about, run for real on this host.
import { arch, release } from 'node:os';
import { checkCgroup } from './cgroup.js';
import { checkInitBinary } from './init-binary.js';
import { checkKernel } from './kernel.js';
import { checkLandlock } from './landlock.js';
import { checkMemfdExec } from './memfd-exec.js';
import { checkPrivileges, readPrivileges } from './privileges.js';
import { checkSandbox } from './sandbox-run.js';
import { checkSeccomp } from './seccomp.js';
import type { HostReport, ProbeItem } from './types.js';
import { checkUserNamespaces } from './user-namespaces.js';

export type { HostReport, ProbeItem } from './types.js';

/** A check that throws becomes a failed item, so one broken probe never hides the others. */
function safely(id: string, name: string, required: boolean, check: () => ProbeItem): ProbeItem {
  try {
    return check();
  } catch (error) {
    return { id, name, required, ok: false, detail: `the check itself failed: ${(error as Error).message}` };
  }
}

export async function probeHost(): Promise<HostReport> {
  const privileges = readPrivileges();
  const spawn = await checkSandbox(privileges.privileged);
  const items: ProbeItem[] = [
    safely('kernel', 'kernel', true, () => checkKernel()),
    safely('privileges', 'privileges', false, () => checkPrivileges(privileges)),
    safely('user-namespaces', 'user namespaces', true, () => checkUserNamespaces(privileges.privileged, spawn.outcome, spawn.hint)),
    safely('init', 'nsbox-init', true, checkInitBinary),
    safely('memfd-exec', 'memfd exec', true, checkMemfdExec),
    spawn.item,
    safely('cgroup', 'cgroup', false, checkCgroup),
    safely('seccomp', 'seccomp', false, checkSeccomp),
    safely('landlock', 'landlock', false, checkLandlock),
  ];
  return { kernel: release(), arch: arch(), node: process.version, items, summary: summarize(items, spawn.item.ok) };
}

function summarize(items: ProbeItem[], canRunSandbox: boolean): HostReport['summary'] {
  const failed = items.filter((item) => !item.ok);
  const blocking = failed.filter((item) => item.required && item.id !== 'sandbox');
  const optional = failed.filter((item) => !item.required).map((item) => item.name);
  const missing = optional.length ? ` Not available: ${optional.join(', ')}.` : '';
  const text = canRunSandbox
    ? `A default sandbox runs here.${missing}`
    : `nsbox cannot start a sandbox here${blocking.length ? `: ${blocking.map((item) => item.name).join(', ')} failed` : ''}.`;
  return { canRunSandbox, failed: failed.map((item) => item.name), text };
}
