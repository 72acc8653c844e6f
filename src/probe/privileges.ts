import type { ProbeItem } from './types.js';
import { statusField } from './host-files.js';

const CAP_SYS_ADMIN = 21n;

export interface Privileges {
  euid: number;
  hasSysAdmin: boolean;
  /** Root with CAP_SYS_ADMIN opens bind sources with its own rights; any root maps sandboxes to an unprivileged host id. */
  privileged: boolean;
}

export function readPrivileges(): Privileges {
  const capEff = BigInt(`0x${statusField('CapEff') ?? '0'}`);
  const euid = process.geteuid?.() ?? -1;
  const hasSysAdmin = ((capEff >> CAP_SYS_ADMIN) & 1n) === 1n;
  return { euid, hasSysAdmin, privileged: euid === 0 && hasSysAdmin };
}

/** Informational: both modes work, but they build sandboxes differently. */
export function checkPrivileges(p: Privileges = readPrivileges()): ProbeItem {
  const base = { id: 'privileges', name: 'privileges', required: false, ok: true };
  const caps = `CAP_SYS_ADMIN ${p.hasSysAdmin ? 'in' : 'not in'} CapEff`;
  if (p.privileged) {
    return { ...base, detail: `root (euid 0, ${caps}): sandboxes map their ids to an unprivileged host id (65534 by default)` };
  }
  if (p.euid === 0) {
    return {
      ...base,
      detail: `root without CAP_SYS_ADMIN (${caps}, as in a default container): sandboxes still map to the unprivileged host id (65534 by default), bind sources are opened inside the user namespace with that id's rights, and user namespaces must be allowed`,
    };
  }
  return { ...base, detail: `euid ${p.euid}, ${caps}: rootless mode; the sandbox runs as your own host uid through a user namespace` };
}
