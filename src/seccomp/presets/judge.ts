// The `judge` preset: an allow list for running untrusted solutions (static and dynamic C/C++, python3, the JVM, node).
// Anything not listed kills the whole process (SIGSYS, status 'syscall-violation'), so a forbidden call is a visible
// verdict rather than an error the program might swallow; ENOSYS is used only where runtimes probe and fall back.
// Each entry says why; docs/seccomp.md lists the same entries. test/seccomp-compile.test.ts runs real programs under
// strace and checks every syscall they make is allowed here.
import type { SeccompPolicy, SeccompRule } from '../rules.js';
import {
  CLONE_NAMESPACE_MASK,
  EACCES,
  ENOSYS,
  TIOCLINUX,
  TIOCSTI,
  masked,
  notAnyOf32,
  rule,
  rules,
  type PresetOptions,
} from './common.js';

const AF_UNIX = 1;

export function judgePreset(options: PresetOptions): SeccompPolicy {
  const list: SeccompRule[] = [];
  const allow = (syscalls: readonly string[]) => list.push(...rules('allow', syscalls));

  // Running the payload: the filter is installed before execve, so execve itself must pass; then exit.
  allow(['execve', 'execveat', 'exit', 'exit_group']);
  // Child processes and their reaping (subprocess in python, child_process in node, fork in C).
  allow(['fork', 'vfork', 'wait4', 'waitid']);
  // Signals to processes and threads; the PID namespace keeps them inside the sandbox.
  allow(['kill', 'tkill', 'tgkill', 'pidfd_open', 'pidfd_send_signal']);
  // Process identity and sessions, read-only ids and capabilities (node reads its capability sets with capget).
  allow(['getpid', 'getppid', 'gettid', 'getuid', 'geteuid', 'getgid', 'getegid', 'getresuid', 'getresgid', 'getgroups', 'capget', 'getpgid', 'getpgrp', 'setpgid', 'getsid', 'setsid']);
  // Thread start-up done by the C library (TLS, robust futex list, restartable sequences) and prctl (thread names,
  // dumpable, no_new_privs and the like; the dangerous prctls need capabilities the payload does not have).
  allow(['arch_prctl', 'set_tid_address', 'set_robust_list', 'rseq', 'prctl', 'restart_syscall']);
  if (options.allowNamespaces) {
    // allowNamespaces: clone, clone3, unshare and setns with any flags.
    allow(['clone', 'clone3', 'unshare', 'setns']);
  } else {
    // clone() for threads and fork, as long as no CLONE_NEW* flag is set (flags are arg 0 on x86_64 and aarch64).
    list.push(rule('clone', 'allow', masked(0, CLONE_NAMESPACE_MASK, 0)));
    // clone3(): its flags are in memory seccomp cannot read; ENOSYS makes glibc fall back to clone() (checked above).
    list.push(rule('clone3', ENOSYS));
  }
  // Memory: the allocator, the JVM's heap and code cache, V8's pages, mlock within RLIMIT_MEMLOCK, NUMA hints.
  allow(['brk', 'mmap', 'munmap', 'mremap', 'mprotect', 'madvise', 'msync', 'mincore', 'mlock', 'mlock2', 'munlock', 'mlockall', 'munlockall', 'membarrier', 'pkey_alloc', 'pkey_free', 'pkey_mprotect', 'get_mempolicy', 'set_mempolicy', 'mbind', 'memfd_create']);
  // Futexes and scheduling of the payload's own threads.
  allow(['futex', 'futex_waitv', 'futex_wait', 'futex_wake', 'futex_requeue', 'sched_yield', 'sched_getaffinity', 'sched_setaffinity', 'sched_getparam', 'sched_getscheduler', 'sched_getattr', 'sched_get_priority_max', 'sched_get_priority_min', 'sched_rr_get_interval', 'getpriority', 'setpriority', 'getcpu']);
  // Signal handling, alarms and timers.
  allow(['rt_sigaction', 'rt_sigprocmask', 'rt_sigreturn', 'rt_sigsuspend', 'rt_sigpending', 'rt_sigtimedwait', 'rt_sigqueueinfo', 'rt_tgsigqueueinfo', 'sigaltstack', 'pause', 'alarm', 'getitimer', 'setitimer', 'timer_create', 'timer_settime', 'timer_gettime', 'timer_getoverrun', 'timer_delete', 'signalfd', 'signalfd4']);
  // Clocks and sleeping (reading only: setting the clock is not allowed).
  allow(['clock_gettime', 'clock_getres', 'clock_nanosleep', 'nanosleep', 'gettimeofday', 'time', 'times']);
  // Reading and writing file descriptors.
  allow(['read', 'write', 'readv', 'writev', 'pread64', 'pwrite64', 'preadv', 'pwritev', 'preadv2', 'pwritev2', 'lseek', 'sendfile', 'copy_file_range', 'splice', 'tee']);
  // Opening, closing and duplicating descriptors; locks, sync of one file, sizes, read-ahead hints.
  allow(['open', 'openat', 'openat2', 'creat', 'close', 'close_range', 'dup', 'dup2', 'dup3', 'fcntl', 'flock', 'fsync', 'fdatasync', 'sync_file_range', 'ftruncate', 'truncate', 'fallocate', 'fadvise64', 'readahead']);
  // File metadata and directories (the mount policy decides what is there and what is writable).
  allow(['stat', 'fstat', 'lstat', 'newfstatat', 'statx', 'statfs', 'fstatfs', 'access', 'faccessat', 'faccessat2', 'readlink', 'readlinkat', 'getdents', 'getdents64', 'getcwd', 'chdir', 'fchdir', 'umask']);
  // Creating, renaming and removing files, links, FIFOs (mknod of a device needs a capability the payload lacks).
  allow(['mkdir', 'mkdirat', 'rmdir', 'unlink', 'unlinkat', 'rename', 'renameat', 'renameat2', 'link', 'linkat', 'symlink', 'symlinkat', 'mknod', 'mknodat']);
  // Permissions, owners, times and extended attributes of files the payload may write (python's shutil.copystat).
  allow(['chmod', 'fchmod', 'fchmodat', 'fchmodat2', 'chown', 'fchown', 'fchownat', 'lchown', 'utime', 'utimes', 'utimensat', 'futimesat', 'getxattr', 'lgetxattr', 'fgetxattr', 'listxattr', 'llistxattr', 'flistxattr', 'setxattr', 'lsetxattr', 'fsetxattr', 'removexattr', 'lremovexattr', 'fremovexattr']);
  // Pipes and event loops (libuv's epoll and eventfd, python's selectors, the JVM's poll).
  allow(['pipe', 'pipe2', 'select', 'pselect6', 'poll', 'ppoll', 'epoll_create', 'epoll_create1', 'epoll_ctl', 'epoll_wait', 'epoll_pwait', 'epoll_pwait2', 'eventfd', 'eventfd2', 'timerfd_create', 'timerfd_settime', 'timerfd_gettime', 'inotify_init', 'inotify_init1', 'inotify_add_watch', 'inotify_rm_watch']);
  // ioctl() with any request but TIOCSTI and TIOCLINUX (terminal input injection): 33 allow rules that match exactly
  // the other 32-bit request values (see notAnyOf32); TIOCSTI and TIOCLINUX fall to the default action.
  list.push(...notAnyOf32(1, [TIOCSTI, TIOCLINUX]).map((condition) => rule('ioctl', 'allow', condition)));
  // What the machine and the process look like, limits (lowering, or raising up to the hard limit), randomness.
  allow(['uname', 'sysinfo', 'getrlimit', 'setrlimit', 'prlimit64', 'getrusage', 'getrandom']);
  // socket(AF_UNIX): glibc's nscd lookups, the JVM's attach socket.
  list.push(rule('socket', 'allow', { index: 0, op: 'eq', value: AF_UNIX }));
  // socket() of any other family fails with EACCES instead of killing: the JVM creates AF_INET and AF_INET6 sockets
  // to probe for IP support whenever java.net loads (seen under strace), and the network is the namespace's business.
  // 'ne' and 'eq' on the full register keep the two rules disjoint (glibc passes the int family sign-extended).
  list.push(rule('socket', EACCES, { index: 0, op: 'ne', value: AF_UNIX }));
  // The rest of the socket API, for AF_UNIX sockets and socketpair (the only sockets the payload can get).
  allow(['socketpair', 'connect', 'bind', 'listen', 'accept', 'accept4', 'sendto', 'recvfrom', 'sendmsg', 'recvmsg', 'sendmmsg', 'recvmmsg', 'shutdown', 'getsockname', 'getpeername', 'getsockopt', 'setsockopt']);
  // System V IPC (shared memory, semaphores, message queues), private to the sandbox's IPC namespace.
  allow(['shmget', 'shmat', 'shmdt', 'shmctl', 'semget', 'semop', 'semtimedop', 'semctl', 'msgget', 'msgsnd', 'msgrcv', 'msgctl']);
  if (options.allowIoUring) {
    // allowIoUring: io_uring.
    allow(['io_uring_setup', 'io_uring_enter', 'io_uring_register']);
  } else {
    // io_uring_setup(): ENOSYS, as libuv and liburing users probe it and fall back (without a ring, io_uring_enter
    // and io_uring_register have nothing to act on and stay unlisted).
    list.push(rule('io_uring_setup', ENOSYS));
  }
  // Not listed, so they kill: mount family, namespaces (unshare, setns), bpf, keyrings, ptrace, process_vm_*, kernel
  // modules, kexec, reboot, swap, clock setting, personality, seccomp, chroot, sync/syncfs (host-wide I/O).
  return { defaultAction: 'kill-process', rules: list };
}
