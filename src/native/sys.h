/*
 * Raw system calls and constants the init needs. Declared here rather than taken
 * from the linux/ uapi headers so the init builds the same against glibc, musl (static
 * x86_64 prebuild) and the aarch64 cross toolchain. Syscall numbers from 424 up
 * are shared by every architecture.
 */
#ifndef NSBOX_SYS_H
#define NSBOX_SYS_H


#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef SYS_fsopen
#define SYS_fsopen 430
#endif
#ifndef SYS_fsconfig
#define SYS_fsconfig 431
#endif
#ifndef SYS_fsmount
#define SYS_fsmount 432
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef SYS_pivot_root
#error "SYS_pivot_root missing"
#endif

/* clone flags */
#define NSB_CLONE_NEWNS 0x00020000ULL
#define NSB_CLONE_PARENT 0x00008000ULL
#define NSB_CLONE_INTO_CGROUP 0x200000000ULL
#define NSB_CLONE_NEWCGROUP 0x02000000ULL
#define NSB_CLONE_NEWUTS 0x04000000ULL
#define NSB_CLONE_NEWIPC 0x08000000ULL
#define NSB_CLONE_NEWUSER 0x10000000ULL
#define NSB_CLONE_NEWPID 0x20000000ULL
#define NSB_CLONE_NEWNET 0x40000000ULL
#define NSB_CLONE_NS_MASK                                                               \
	(NSB_CLONE_NEWNS | NSB_CLONE_NEWCGROUP | NSB_CLONE_NEWUTS | NSB_CLONE_NEWIPC | \
	 NSB_CLONE_NEWUSER | NSB_CLONE_NEWPID | NSB_CLONE_NEWNET)

struct nsb_clone_args {
	uint64_t flags;
	uint64_t pidfd;
	uint64_t child_tid;
	uint64_t parent_tid;
	uint64_t exit_signal;
	uint64_t stack;
	uint64_t stack_size;
	uint64_t tls;
	uint64_t set_tid;
	uint64_t set_tid_size;
	uint64_t cgroup;
};

/* openat2 */
struct nsb_open_how {
	uint64_t flags;
	uint64_t mode;
	uint64_t resolve;
};
#define NSB_RESOLVE_NO_XDEV 0x01
#define NSB_RESOLVE_NO_MAGICLINKS 0x02
#define NSB_RESOLVE_NO_SYMLINKS 0x04
#define NSB_RESOLVE_BENEATH 0x08

/* new mount API */
#define NSB_OPEN_TREE_CLONE 1
#define NSB_OPEN_TREE_CLOEXEC 02000000
#define NSB_AT_RECURSIVE 0x8000
#define NSB_AT_EMPTY_PATH 0x1000
#define NSB_MOVE_MOUNT_F_EMPTY_PATH 0x04
#define NSB_MOVE_MOUNT_T_EMPTY_PATH 0x40
#define NSB_FSOPEN_CLOEXEC 0x1
#define NSB_FSMOUNT_CLOEXEC 0x1
#define NSB_FSCONFIG_SET_STRING 1
#define NSB_FSCONFIG_CMD_CREATE 6
#define NSB_MOUNT_ATTR_RDONLY 0x01
#define NSB_MOUNT_ATTR_NOSUID 0x02
#define NSB_MOUNT_ATTR_NODEV 0x04
#define NSB_MOUNT_ATTR_NOEXEC 0x08
struct nsb_mount_attr {
	uint64_t attr_set;
	uint64_t attr_clr;
	uint64_t propagation;
	uint64_t userns_fd;
};

/* close_range */
#define NSB_CLOSE_RANGE_CLOEXEC (1U << 2)

/* capabilities */
#define NSB_CAP_VERSION_3 0x20080522
#define NSB_CAP_SETPCAP 8
struct nsb_cap_header {
	uint32_t version;
	int pid;
};
struct nsb_cap_data {
	uint32_t effective;
	uint32_t permitted;
	uint32_t inheritable;
};

/* prctl values missing from older libc headers */
#define NSB_PR_SET_PDEATHSIG 1
#define NSB_PR_SET_DUMPABLE 4
#define NSB_PR_SET_KEEPCAPS 8
#define NSB_PR_CAPBSET_DROP 24
#define NSB_PR_SET_SECUREBITS 28
#define NSB_PR_SET_NO_NEW_PRIVS 38
#define NSB_PR_CAP_AMBIENT 47
#define NSB_PR_CAP_AMBIENT_RAISE 2
#define NSB_PR_CAP_AMBIENT_CLEAR_ALL 4
#define NSB_SECBIT_NOROOT (1u << 0)
#define NSB_SECBIT_NOROOT_LOCKED (1u << 1)
#define NSB_SECBIT_NO_SETUID_FIXUP (1u << 2)
#define NSB_SECBIT_NO_SETUID_FIXUP_LOCKED (1u << 3)
#define NSB_SECBIT_KEEP_CAPS_LOCKED (1u << 5)

static inline long nsb_clone3(struct nsb_clone_args *args)
{
	return syscall(SYS_clone3, args, sizeof(*args));
}
static inline int nsb_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve)
{
	struct nsb_open_how how = { .flags = flags, .mode = mode, .resolve = resolve };
	return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}
static inline int nsb_open_tree(int dirfd, const char *path, unsigned int flags)
{
	return (int)syscall(SYS_open_tree, dirfd, path, flags);
}
static inline int nsb_move_mount(int from_dirfd, const char *from, int to_dirfd, const char *to, unsigned int flags)
{
	return (int)syscall(SYS_move_mount, from_dirfd, from, to_dirfd, to, flags);
}
static inline int nsb_fsopen(const char *fsname, unsigned int flags)
{
	return (int)syscall(SYS_fsopen, fsname, flags);
}
static inline int nsb_fsconfig(int fd, unsigned int cmd, const char *key, const void *value, int aux)
{
	return (int)syscall(SYS_fsconfig, fd, cmd, key, value, aux);
}
static inline int nsb_fsmount(int fd, unsigned int flags, unsigned int attrs)
{
	return (int)syscall(SYS_fsmount, fd, flags, attrs);
}
static inline int nsb_mount_setattr(int dirfd, const char *path, unsigned int flags, struct nsb_mount_attr *attr)
{
	return (int)syscall(SYS_mount_setattr, dirfd, path, flags, attr, sizeof(*attr));
}
static inline int nsb_pidfd_open(int pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}
static inline int nsb_close_range(unsigned int first, unsigned int last, unsigned int flags)
{
	return (int)syscall(SYS_close_range, first, last, flags);
}
static inline int nsb_pivot_root(const char *new_root, const char *put_old)
{
	return (int)syscall(SYS_pivot_root, new_root, put_old);
}
static inline int nsb_capget(struct nsb_cap_header *h, struct nsb_cap_data *d)
{
	return (int)syscall(SYS_capget, h, d);
}
static inline int nsb_capset(struct nsb_cap_header *h, struct nsb_cap_data *d)
{
	return (int)syscall(SYS_capset, h, d);
}

#endif
