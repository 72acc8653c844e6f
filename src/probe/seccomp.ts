import { readSysctl, statusField } from './host-files.js';
import type { ProbeItem } from './types.js';

const MODES: Record<string, string> = { 0: 'none', 1: 'strict', 2: 'filter' };

export function checkSeccomp(): ProbeItem {
  const base = { id: 'seccomp', name: 'seccomp', required: false };
  const mode = statusField('Seccomp');
  if (mode === undefined) {
    return { ...base, ok: false, detail: 'the kernel has no seccomp (no Seccomp field in /proc/self/status)', fix: 'use a kernel built with CONFIG_SECCOMP_FILTER=y' };
  }
  const actions = readSysctl('/proc/sys/kernel/seccomp/actions_avail');
  const filters = statusField('Seccomp_filters');
  const inherited = mode === '2'
    ? `; this process already runs under ${filters ?? 'some'} filter(s) (a container runtime's?), which stay in force inside every sandbox`
    : '';
  const hasFilter = actions === undefined || actions.split(/\s+/).includes('errno');
  return {
    ...base,
    ok: hasFilter,
    detail: `supported, this process: ${MODES[mode] ?? mode}; actions: ${actions ?? 'unknown (no actions_avail)'}${inherited}`,
    ...(hasFilter ? {} : { fix: 'use a kernel built with CONFIG_SECCOMP_FILTER=y' }),
  };
}
