// Turns a failed-step record from the init into a typed error that names the step in words,
// the errno, what it means there, and what to do about it.
import { readFileSync } from 'node:fs';
import { CommandError, SetupError, UnsupportedError } from './errors.js';
import { MountStep, Step } from './plan/protocol.js';
import type { StatusRecord } from './status-stream.js';
import { errnoName } from './syscalls/errno.js';

export interface FailureContext {
  describe(index: number): string;
  command: string;
  path: string;
  cwd: string;
}

const STEP_WORDS: Record<number, string> = {
  [Step.PLAN_READ]: 'read the plan',
  [Step.PLAN_PARSE]: 'parse the plan',
  [Step.PARENT]: 'tie the sandbox to the host process',
  [Step.CLONE]: 'create namespaces',
  [Step.SETGROUPS]: 'deny setgroups in the user namespace',
  [Step.UID_MAP]: 'write the uid map',
  [Step.GID_MAP]: 'write the gid map',
  [Step.SYNC]: 'start the sandbox',
  [Step.SETID]: 'switch to the inside uid/gid',
  [Step.HOSTNAME]: 'set the hostname',
  [Step.LOOPBACK]: 'bring lo up',
  [Step.MOUNT_PRIVATE]: 'make mounts private',
  [Step.ROOTFS]: 'mount the new root (tmpfs)',
  [Step.PIVOT]: 'pivot_root into the new root',
  [Step.ROOT_READONLY]: 'make the new root read-only',
  [Step.FORK]: 'start the payload',
  [Step.SETSID]: 'start a new session',
  [Step.FDS]: 'arrange file descriptors',
  [Step.CAPS]: 'drop capabilities',
  [Step.NO_NEW_PRIVS]: 'set no_new_privs',
  [Step.DUMPABLE]: 'make the init non-dumpable',
  [Step.SIGNALS]: 'set up signal handling',
  [Step.CGROUP]: 'join the run\'s cgroup',
  [Step.SECCOMP]: 'install the seccomp filter',
  [Step.JOB]: 'give the warm sandbox\'s job a fresh IPC namespace',
  [Step.CLEAR_GROUPS]: 'drop the root host\'s supplementary groups (needs CAP_SETGID)',
};

const MOUNT_EXPLANATIONS: Record<number, Record<string, string>> = {
  [MountStep.SOURCE]: {
    ENOENT: 'the source does not exist',
    EACCES: 'the host user cannot reach the source',
    EPERM: 'the kernel refused to clone the source mount',
    EINVAL: 'the source cannot be bind-mounted from here',
  },
  [MountStep.TARGET]: {
    ELOOP: 'the target path goes through a symlink inside the sandbox, and nsbox never follows symlinks when placing mounts',
    ENOTDIR: 'a component of the target is not a directory',
    EROFS: 'the target is on a read-only mount; mount a tmpfs or a writable bind at its parent first',
    EISDIR: 'the source is a file but the target is a directory',
    EEXIST: 'the target exists and is of another kind',
  },
  [MountStep.CREATE]: {
    EPERM: 'the kernel refused to create this filesystem here',
    EEXIST: 'something already exists at that path',
    EROFS: 'the parent is on a read-only mount',
  },
  [MountStep.ATTACH]: {
    EINVAL: 'the kernel refused to attach the mount at the target',
    EPERM: 'the kernel refused to attach the mount (locked mount or missing privilege)',
  },
  [MountStep.FLAGS]: { EPERM: 'the mount flags could not be applied (they are locked by the host)' },
  [MountStep.WRITE]: { ENOSPC: 'the new root tmpfs is full; raise rootSize' },
};

function readSysctl(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Why the kernel may refuse an unprivileged user namespace, and the fix, or undefined. */
export function userNamespaceHint(): string | undefined {
  if (readSysctl('/proc/sys/kernel/apparmor_restrict_unprivileged_userns') === '1') {
    return 'AppArmor restricts unprivileged user namespaces on this host (kernel.apparmor_restrict_unprivileged_userns=1). ' +
      'Fix: add an AppArmor profile granting "userns," to the Node binary (see docs/security.md), ' +
      'or run `sysctl kernel.apparmor_restrict_unprivileged_userns=0`';
  }
  if (readSysctl('/proc/sys/kernel/unprivileged_userns_clone') === '0') {
    return 'unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone=0). Fix: `sysctl kernel.unprivileged_userns_clone=1`';
  }
  if (readSysctl('/proc/sys/user/max_user_namespaces') === '0') {
    return 'user namespaces are disabled (user.max_user_namespaces=0). Fix: `sysctl user.max_user_namespaces=15000`';
  }
  return 'a container seccomp profile or security module may forbid unshare/clone with namespace flags; run `nsbox doctor`';
}

export function setupFailure(record: StatusRecord, ctx: FailureContext): SetupError {
  const errno = errnoName(record.err);
  if (record.step === Step.EXEC) {
    const explanation =
      errno === 'ENOENT'
        ? (ctx.command.includes('/') ? 'no such file inside the sandbox' : `not found in PATH=${ctx.path} inside the sandbox`)
        : errno === 'EACCES'
          ? 'not executable inside the sandbox (permissions, or a noexec mount)'
          : errno === 'ENOEXEC'
            ? 'not a format this kernel can execute'
            : 'execve failed';
    const hint = errno === 'ENOENT' ? 'Is the directory holding it mounted? Add a bind mount for it' : undefined;
    return new CommandError(ctx.command, errno, explanation, hint);
  }
  if (record.step === Step.CWD) {
    return new SetupError(`chdir ${ctx.cwd}`, errno, errno === 'ENOENT' ? 'the working directory does not exist inside the sandbox' : 'cannot enter the working directory');
  }
  if (record.step === Step.MOUNT) {
    const explanation = MOUNT_EXPLANATIONS[record.detail]?.[errno] ?? 'the mount step failed';
    return new SetupError(ctx.describe(record.op), errno, explanation);
  }
  if (record.step === Step.SECCOMP && errno === 'EPERM') {
    return new UnsupportedError('install the seccomp filter', errno, 'PID 1 could not take the seccomp listener that names refused syscalls (ptrace is restricted: kernel.yama.ptrace_scope=3?)',
      'Fix: allow ptrace of children (kernel.yama.ptrace_scope <= 2), or use a filter without kill-process actions');
  }
  if (record.step === Step.LANDLOCK) {
    return new SetupError(ctx.describe(record.op), errno, errno === 'ENOENT' ? 'the path does not exist inside the sandbox' : 'the kernel refused the Landlock ruleset or rule');
  }
  if (record.step === Step.RLIMIT) {
    return new SetupError(ctx.describe(record.op), errno, errno === 'EPERM' ? 'the value is above the host hard limit' : 'setrlimit failed');
  }
  const words = STEP_WORDS[record.step] ?? `setup step ${record.step}`;
  const userNamespaceStep = record.step === Step.CLONE || record.step === Step.UID_MAP || record.step === Step.GID_MAP ||
    record.step === Step.SETGROUPS || record.step === Step.SETID;
  const refused = errno === 'EPERM' || errno === 'EACCES' || errno === 'ENOSPC' || (errno === 'EINVAL' && record.step !== Step.CLONE);
  if (userNamespaceStep && refused) {
    const hint = errno === 'ENOSPC'
      ? 'the per-user namespace limit is reached (user.max_user_namespaces and friends); raise it or end other sandboxes'
      : userNamespaceHint()!;
    return new UnsupportedError(words, errno, 'the kernel refused to set up the user namespace', hint);
  }
  if (record.step === Step.PARENT) return new SetupError(words, errno, 'the host process is gone');
  return new SetupError(words, errno, 'the step failed');
}
