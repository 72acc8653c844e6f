// The libc functions nsbox calls through koffi, bound once on first use.
// Only the host side runs here: nothing is called between clone and exec from JavaScript.
import koffi, { type LibraryHandle } from 'koffi';

const LIBC_NAMES = ['libc.so.6', 'libc.musl-x86_64.so.1', 'libc.musl-aarch64.so.1'];

function loadLibc(): LibraryHandle {
  const errors: string[] = [];
  for (const name of LIBC_NAMES) {
    try {
      return koffi.load(name);
    } catch (error) {
      errors.push(`${name}: ${(error as Error).message}`);
    }
  }
  throw new Error(`nsbox: cannot load the C library (${errors.join('; ')})`);
}

function bind() {
  const lib = loadLibc();
  return {
    lib,
    posix_spawn: lib.func(
      'int posix_spawn(_Out_ int *pid, const char *path, void *file_actions, void *attr, const char **argv, const char **envp)',
    ),
    fileActionsInit: lib.func('int posix_spawn_file_actions_init(void *fa)'),
    fileActionsDestroy: lib.func('int posix_spawn_file_actions_destroy(void *fa)'),
    fileActionsDup2: lib.func('int posix_spawn_file_actions_adddup2(void *fa, int fd, int newfd)'),
    attrInit: lib.func('int posix_spawnattr_init(void *attr)'),
    attrDestroy: lib.func('int posix_spawnattr_destroy(void *attr)'),
    attrSetFlags: lib.func('int posix_spawnattr_setflags(void *attr, short flags)'),
    attrSetSigMask: lib.func('int posix_spawnattr_setsigmask(void *attr, void *set)'),
    attrSetSigDefault: lib.func('int posix_spawnattr_setsigdefault(void *attr, void *set)'),
    sigemptyset: lib.func('int sigemptyset(void *set)'),
    sigfillset: lib.func('int sigfillset(void *set)'),
    memfd_create: lib.func('int memfd_create(const char *name, unsigned int flags)'),
    write: lib.func('long write(int fd, const void *buf, size_t count)'),
    fcntl: lib.func('int fcntl(int fd, int cmd, int arg)'),
    pipe2: lib.func('int pipe2(_Out_ int *fds, int flags)'),
    socketpair: lib.func('int socketpair(int domain, int type, int protocol, _Out_ int *fds)'),
    open: lib.func('int open(const char *path, int flags, int mode)'),
    close: lib.func('int close(int fd)'),
    waitid: lib.func('int waitid(int idtype, int id, void *infop, int options)'),
    syscall: lib.func('long syscall(long number, ...)'),
    geteuid: lib.func('unsigned int geteuid()'),
    getegid: lib.func('unsigned int getegid()'),
  };
}

let bound: ReturnType<typeof bind> | undefined;

export function libc(): ReturnType<typeof bind> {
  bound ??= bind();
  return bound;
}

export function errno(): number {
  return koffi.errno();
}
