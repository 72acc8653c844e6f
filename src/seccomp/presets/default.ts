// The `default` preset: allow everything except a deny list in the spirit of Docker's default profile.
// Each entry says why; docs/seccomp.md lists the same entries (test/seccomp-compile.test.ts checks it names them all).
//
// Denied calls fail with EPERM, as they would for a process without the capability, except where programs probe a
// syscall and fall back when it is missing: those get ENOSYS, which means "this kernel has no such call".
import type { SeccompPolicy, SeccompRule } from '../rules.js';
import {
  ENOSYS,
  EPERM,
  CLONE_NAMESPACE_FLAGS,
  LOW32,
  TIOCLINUX,
  TIOCSTI,
  UNSHARE_NAMESPACE_FLAGS,
  anyFlagRules,
  masked,
  personalityOutsideHarmless,
  rule,
  rules,
  type PresetOptions,
} from './common.js';

export function defaultPreset(options: PresetOptions): SeccompPolicy {
  const list: SeccompRule[] = [];

  if (!options.allowNamespaces) {
    // clone() with any CLONE_NEW* flag: a nested user namespace is the usual first step of a kernel exploit, and the
    // others are only reachable through it (flags are arg 0 on x86_64 and aarch64; one masked-eq rule per flag).
    list.push(...anyFlagRules('clone', 0, CLONE_NAMESPACE_FLAGS, EPERM));
    // unshare() with any CLONE_NEW* flag, CLONE_NEWTIME included; unshare(CLONE_FILES) and the like stay allowed.
    list.push(...anyFlagRules('unshare', 0, UNSHARE_NAMESPACE_FLAGS, EPERM));
    // setns(): joining a namespace (the sandbox can only see its own, but there is nothing it needs to join).
    list.push(rule('setns', EPERM));
    // clone3(): its flags sit in a struct in memory that seccomp cannot read, so it cannot be filtered like clone();
    // ENOSYS makes glibc (2.34+, pthread_create and fork) and others fall back to clone(), whose flags are checked.
    list.push(rule('clone3', ENOSYS));
  }

  // The mount family: the filesystem view is built by nsbox before the payload starts and must stay as it is.
  list.push(...rules(EPERM, ['mount', 'umount', 'umount2', 'pivot_root', 'move_mount', 'open_tree', 'fsopen', 'fsconfig', 'fsmount', 'fspick', 'mount_setattr']));
  // Kernel keyrings are not namespaced: keys could leak between sandboxes and to the host user.
  list.push(...rules(EPERM, ['keyctl', 'add_key', 'request_key']));
  // bpf(): loading BPF programs is a large, exploit-prone kernel surface.
  list.push(rule('bpf', EPERM));
  // perf_event_open(): a kernel attack surface and a side channel on the host's CPUs.
  list.push(rule('perf_event_open', EPERM));
  // userfaultfd(): lets an exploit stall the kernel in the middle of a copy, widening race windows.
  list.push(rule('userfaultfd', EPERM));
  // Loading a new kernel.
  list.push(...rules(EPERM, ['kexec_load', 'kexec_file_load']));
  // Kernel modules (create_module, get_kernel_syms and query_module are the pre-2.6 forms, absent on new arches).
  list.push(...rules(EPERM, ['init_module', 'finit_module', 'delete_module', 'create_module', 'get_kernel_syms', 'query_module']));
  // reboot(): reboots or halts the host (in a PID namespace it would kill the sandbox's init instead).
  list.push(rule('reboot', EPERM));
  // Swap is a host-wide setting.
  list.push(...rules(EPERM, ['swapon', 'swapoff']));
  // The system clock is not namespaced (stime exists on 32-bit arches only).
  list.push(...rules(EPERM, ['clock_settime', 'clock_adjtime', 'settimeofday', 'adjtimex', 'stime']));
  // Process accounting is host-wide.
  list.push(rule('acct', EPERM));
  // Disk quotas are host-wide.
  list.push(...rules(EPERM, ['quotactl', 'quotactl_fd']));
  // ptrace(): the sandbox holds no host process to trace, but ptrace is a classic kernel attack surface (and the way
  // around a seccomp filter on kernels before 4.8).
  list.push(rule('ptrace', EPERM));
  // process_vm_readv/writev stay ALLOWED (no rule): they reach only processes the caller may ptrace-attach to, all
  // inside its own sandbox, and MPI libraries (Open MPI's CMA transport) use them for shared-memory copies.
  // Obsolete or host-wide interfaces with a history of bugs and no use in a sandbox.
  list.push(...rules(EPERM, ['lookup_dcookie', 'nfsservctl', 'uselib', '_sysctl', 'ustat', 'sysfs', 'vm86', 'vm86old']));
  // vhangup(): hangs up the current terminal, which may be the host's.
  list.push(rule('vhangup', EPERM));
  // I/O port access from user space.
  list.push(...rules(EPERM, ['iopl', 'ioperm']));
  // open_by_handle_at(): opens files by handle, bypassing the mount tree (the "shocker" container escape).
  list.push(rule('open_by_handle_at', EPERM));
  // name_to_handle_at(): its counterpart, which reveals handles that identify host files.
  list.push(rule('name_to_handle_at', EPERM));
  // syslog(): the kernel log belongs to the host.
  list.push(rule('syslog', EPERM));
  // personality(): allowed for 0 (PER_LINUX), PER_LINUX32, UNAME26, ADDR_NO_RANDOMIZE, their combinations, and
  // 0xffffffff (a query); denied for anything else, such as MMAP_PAGE_ZERO or READ_IMPLIES_EXEC, which help kernel
  // exploits. Written as 32 deny rules that match exactly the other values (see personalityOutsideHarmless).
  list.push(...personalityOutsideHarmless(0).map((condition) => rule('personality', EPERM, condition)));

  if (!options.allowIoUring) {
    // io_uring: a large, fast-moving kernel surface behind many recent CVEs; ENOSYS because libuv, liburing users and
    // others probe it and fall back to ordinary syscalls.
    list.push(...rules(ENOSYS, ['io_uring_setup', 'io_uring_enter', 'io_uring_register']));
  }

  // ioctl(TIOCSTI): pushes input into a terminal, which types commands into the host's shell if the payload got it.
  list.push(rule('ioctl', EPERM, masked(1, LOW32, TIOCSTI)));
  // ioctl(TIOCLINUX): the same for the Linux console (and console selection tricks); the request is an int, so
  // only its low 32 bits are compared, as the kernel does.
  list.push(rule('ioctl', EPERM, masked(1, LOW32, TIOCLINUX)));

  return { defaultAction: 'allow', rules: list };
}
