// nsbox-init is executed from a sealed memfd, so the host must allow executable memfds.
import { readSysctl } from './host-files.js';
import type { ProbeItem } from './types.js';

export function checkMemfdExec(): ProbeItem {
  const base = { id: 'memfd-exec', name: 'memfd exec', required: true };
  const value = readSysctl('/proc/sys/vm/memfd_noexec');
  switch (value) {
    case undefined:
      return { ...base, ok: true, detail: 'vm.memfd_noexec absent (kernel < 6.3): memfds are executable' };
    case '0':
      return { ...base, ok: true, detail: 'vm.memfd_noexec=0: memfds are executable' };
    case '1':
      return { ...base, ok: true, detail: 'vm.memfd_noexec=1: memfds are noexec unless created with MFD_EXEC, which nsbox asks for' };
    case '2':
      return {
        ...base,
        ok: false,
        detail: 'vm.memfd_noexec=2 forbids executable memfds, and nsbox runs its init from a sealed memfd',
        fix: '`sysctl vm.memfd_noexec=0` (the setting is per PID namespace; set it where Node runs)',
      };
    default:
      return { ...base, ok: true, detail: `vm.memfd_noexec=${value}` };
  }
}
