/*
 * The filesystem view: a fresh tmpfs root, the plan's mounts and entries placed
 * beneath it, then pivot_root into it.
 *
 * Every target is resolved one component at a time with openat2(RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS), and mounts are attached to the resulting descriptors with
 * move_mount, so no step can be redirected by a symlink planted in a bind source
 * (the runc CVE-2025-31133 / bubblewrap CVE-2026-87766 class).
 */
#include "mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "status.h"
#include "sys.h"

/* Where the new root is staged before pivot_root; hidden from the sandbox afterwards. */
#define STAGING_DIR "/tmp"
#define SAFE_RESOLVE (NSB_RESOLVE_BENEATH | NSB_RESOLVE_NO_SYMLINKS | NSB_RESOLVE_NO_MAGICLINKS)

enum target_kind { TARGET_DIR, TARGET_FILE };

static void fail_op(const struct fs_op *op, uint32_t detail, int err)
{
	fail(STEP_MOUNT, op->index, detail, err);
}

static int open_dir_beneath(int dirfd, const char *name)
{
	return nsb_openat2(dirfd, name, O_PATH | O_DIRECTORY | O_CLOEXEC, 0, SAFE_RESOLVE);
}

/* Open (creating if missing) directory `name` under `dirfd`, never through a symlink. */
static int ensure_dir(int dirfd, const char *name, mode_t mode)
{
	int fd = open_dir_beneath(dirfd, name);
	if (fd >= 0 || errno != ENOENT)
		return fd;
	if (mkdirat(dirfd, name, mode) < 0 && errno != EEXIST)
		return -1;
	return open_dir_beneath(dirfd, name);
}

static int bad_component(const char *name)
{
	return name[0] == 0 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0;
}

/*
 * Walk `path` (absolute, inside the new root) down to its parent directory, creating
 * missing directories. Returns the parent's fd and points *last at the final name.
 * `buf` holds a writable copy of the path for the walk.
 */
static int open_parent(int rootfd, const char *path, char *buf, size_t buflen, const char **last)
{
	size_t len = strlen(path);
	if (len >= buflen) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, path, len + 1);
	int cur = dup(rootfd);
	if (cur < 0)
		return -1;
	char *name = buf;
	while (*name == '/')
		name++;
	for (;;) {
		char *slash = strchr(name, '/');
		if (!slash)
			break;
		*slash = 0;
		if (bad_component(name)) {
			close(cur);
			errno = EINVAL;
			return -1;
		}
		int next = ensure_dir(cur, name, 0755);
		close(cur);
		if (next < 0)
			return -1;
		cur = next;
		name = slash + 1;
	}
	if (bad_component(name)) {
		close(cur);
		errno = EINVAL;
		return -1;
	}
	*last = name;
	return cur;
}

/* Open the target itself, creating an empty directory or file to mount on. */
static int open_target(int rootfd, const char *path, enum target_kind kind, mode_t mode)
{
	char buf[4096];
	const char *name;
	int parent = open_parent(rootfd, path, buf, sizeof(buf), &name);
	if (parent < 0)
		return -1;
	int fd;
	if (kind == TARGET_DIR) {
		fd = ensure_dir(parent, name, mode);
	} else {
		fd = nsb_openat2(parent, name, O_PATH | O_CLOEXEC, 0, SAFE_RESOLVE);
		if (fd < 0 && errno == ENOENT) {
			int created = openat(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0444);
			if (created >= 0)
				close(created);
			if (created >= 0 || errno == EEXIST)
				fd = nsb_openat2(parent, name, O_PATH | O_CLOEXEC, 0, SAFE_RESOLVE);
		}
		struct stat st;
		if (fd >= 0 && (fstat(fd, &st) < 0 || S_ISDIR(st.st_mode))) {
			close(fd);
			fd = -1;
			errno = EISDIR;
		}
	}
	int saved = errno;
	close(parent);
	errno = saved;
	return fd;
}

static unsigned mount_attrs(uint32_t flags)
{
	unsigned attrs = NSB_MOUNT_ATTR_NOSUID;
	if (!(flags & MNT_DEVICES))
		attrs |= NSB_MOUNT_ATTR_NODEV;
	if (flags & MNT_READONLY)
		attrs |= NSB_MOUNT_ATTR_RDONLY;
	if (flags & MNT_EXEC_OFF)
		attrs |= NSB_MOUNT_ATTR_NOEXEC;
	return attrs;
}

void mounts_open_sources(struct plan *plan)
{
	for (unsigned i = 0; i < plan->n_fs_ops; i++) {
		struct fs_op *op = &plan->fs_ops[i];
		if (op->op != OP_BIND)
			continue;
		op->tree_fd = nsb_open_tree(AT_FDCWD, op->source,
					    NSB_OPEN_TREE_CLONE | NSB_OPEN_TREE_CLOEXEC | NSB_AT_RECURSIVE);
		if (op->tree_fd < 0) {
			if (errno == ENOENT && (op->flags & MNT_OPTIONAL)) {
				op->skipped = 1;
				continue;
			}
			fail_op(op, MNT_STEP_SOURCE, errno);
		}
		struct nsb_mount_attr attr = { .attr_set = mount_attrs(op->flags) };
		if (nsb_mount_setattr(op->tree_fd, "", NSB_AT_EMPTY_PATH | NSB_AT_RECURSIVE, &attr) < 0)
			fail_op(op, MNT_STEP_FLAGS, errno);
	}
}

/* Create a filesystem instance (tmpfs, proc, devpts) and return its detached mount. */
static int new_fs(const char *type, const char *const *options, unsigned attrs)
{
	int fsfd = nsb_fsopen(type, NSB_FSOPEN_CLOEXEC);
	if (fsfd < 0)
		return -1;
	for (; options && options[0]; options += 2) {
		if (nsb_fsconfig(fsfd, NSB_FSCONFIG_SET_STRING, options[0], options[1], 0) < 0)
			goto fail;
	}
	if (nsb_fsconfig(fsfd, NSB_FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		goto fail;
	int mnt = nsb_fsmount(fsfd, NSB_FSMOUNT_CLOEXEC, attrs);
	if (mnt < 0)
		goto fail;
	close(fsfd);
	return mnt;
fail:;
	int saved = errno;
	close(fsfd);
	errno = saved;
	return -1;
}

static int new_tmpfs(uint64_t size, uint32_t mode, unsigned attrs)
{
	char size_text[32], mode_text[16];
	snprintf(size_text, sizeof(size_text), "%llu", (unsigned long long)size);
	snprintf(mode_text, sizeof(mode_text), "%o", (unsigned)mode);
	const char *options[] = { "mode", mode_text, size ? "size" : NULL, size_text, NULL };
	return new_fs("tmpfs", options, attrs);
}

static void attach(const struct fs_op *op, int mnt, int rootfd, enum target_kind kind)
{
	int target = open_target(rootfd, op->target, kind, 0755);
	if (target < 0)
		fail_op(op, MNT_STEP_TARGET, errno);
	if (nsb_move_mount(mnt, "", target, "", NSB_MOVE_MOUNT_F_EMPTY_PATH | NSB_MOVE_MOUNT_T_EMPTY_PATH) < 0)
		fail_op(op, MNT_STEP_ATTACH, errno);
	close(target);
	close(mnt);
}

static void apply_bind(struct fs_op *op, int rootfd)
{
	struct stat st;
	if (op->skipped)
		return;
	if (fstat(op->tree_fd, &st) < 0)
		fail_op(op, MNT_STEP_SOURCE, errno);
	attach(op, op->tree_fd, rootfd, S_ISDIR(st.st_mode) ? TARGET_DIR : TARGET_FILE);
	op->tree_fd = -1;
}

static void apply_new_fs(const struct fs_op *op, int rootfd)
{
	int mnt;
	if (op->op == OP_TMPFS) {
		mnt = new_tmpfs(op->size, op->mode, mount_attrs(op->flags & ~MNT_DEVICES));
	} else if (op->op == OP_PROC) {
		mnt = new_fs("proc", NULL, NSB_MOUNT_ATTR_NOSUID | NSB_MOUNT_ATTR_NODEV | NSB_MOUNT_ATTR_NOEXEC);
	} else {
		const char *options[] = { "ptmxmode", "0666", "mode", "0620", NULL };
		mnt = new_fs("devpts", options, NSB_MOUNT_ATTR_NOSUID | NSB_MOUNT_ATTR_NOEXEC);
	}
	if (mnt < 0)
		fail_op(op, MNT_STEP_CREATE, errno);
	attach(op, mnt, rootfd, TARGET_DIR);
}

static void apply_entry(const struct fs_op *op, int rootfd)
{
	char buf[4096];
	const char *name;
	if (op->op == OP_DIR) {
		int fd = open_target(rootfd, op->target, TARGET_DIR, op->mode);
		if (fd < 0)
			fail_op(op, MNT_STEP_TARGET, errno);
		close(fd);
		return;
	}
	int parent = open_parent(rootfd, op->target, buf, sizeof(buf), &name);
	if (parent < 0)
		fail_op(op, MNT_STEP_TARGET, errno);
	if (op->op == OP_SYMLINK) {
		if (symlinkat(op->link_to, parent, name) < 0)
			fail_op(op, MNT_STEP_CREATE, errno);
	} else {
		/* O_NONBLOCK: a FIFO planted in a writable bind must not hang the setup. */
		int fd = openat(parent, name, O_WRONLY | O_CREAT | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC, op->mode);
		struct stat st;
		if (fd < 0)
			fail_op(op, MNT_STEP_CREATE, errno);
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
			fail_op(op, MNT_STEP_CREATE, EEXIST);
		if (ftruncate(fd, 0) < 0)
			fail_op(op, MNT_STEP_WRITE, errno);
		for (uint32_t done = 0; done < op->content_len;) {
			ssize_t n = write(fd, op->content + done, op->content_len - done);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				fail_op(op, MNT_STEP_WRITE, n < 0 ? errno : EIO);
			done += (uint32_t)n;
		}
		if (fchmod(fd, op->mode) < 0)
			fail_op(op, MNT_STEP_WRITE, errno);
		close(fd);
	}
	close(parent);
}

/* Read-only from now on: a tmpfs (such as /dev) that only had to hold the mount points beneath it. */
static void seal_filesystems(const struct plan *plan)
{
	int rootfd = -1;
	for (unsigned i = 0; i < plan->n_fs_ops; i++) {
		const struct fs_op *op = &plan->fs_ops[i];
		if (op->op != OP_TMPFS || !(op->flags & MNT_SEAL))
			continue;
		if (rootfd < 0 && (rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
			fail_op(op, MNT_STEP_FLAGS, errno);
		int fd = open_target(rootfd, op->target, TARGET_DIR, 0755);
		struct nsb_mount_attr attr = { .attr_set = NSB_MOUNT_ATTR_RDONLY };
		if (fd < 0 || nsb_mount_setattr(fd, "", NSB_AT_EMPTY_PATH, &attr) < 0)
			fail_op(op, MNT_STEP_FLAGS, errno);
		close(fd);
	}
	if (rootfd >= 0)
		close(rootfd);
}

void mounts_build_root(struct plan *plan)
{
	/* Nothing we mount may propagate back to the host's mount namespace. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		fail(STEP_MOUNT_PRIVATE, -1, 0, errno);
	if (!plan->privileged)
		mounts_open_sources(plan);

	int rootfd = new_tmpfs(plan->root_size, 0755, NSB_MOUNT_ATTR_NOSUID | NSB_MOUNT_ATTR_NODEV);
	if (rootfd < 0)
		fail(STEP_ROOTFS, -1, MNT_STEP_CREATE, errno);
	if (nsb_move_mount(rootfd, "", AT_FDCWD, STAGING_DIR, NSB_MOVE_MOUNT_F_EMPTY_PATH) < 0)
		fail(STEP_ROOTFS, -1, MNT_STEP_ATTACH, errno);

	for (unsigned i = 0; i < plan->n_fs_ops; i++) {
		struct fs_op *op = &plan->fs_ops[i];
		switch (op->op) {
		case OP_BIND:
			apply_bind(op, rootfd);
			break;
		case OP_TMPFS:
		case OP_PROC:
		case OP_DEVPTS:
			apply_new_fs(op, rootfd);
			break;
		default:
			apply_entry(op, rootfd);
			break;
		}
	}

	/* pivot_root(".", ".") stacks the old root on the new one; detaching it leaves only ours. */
	if (fchdir(rootfd) < 0 || nsb_pivot_root(".", ".") < 0 || umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
		fail(STEP_PIVOT, -1, 0, errno);
	close(rootfd);
	if (plan->root_flags & ROOT_READONLY) {
		struct nsb_mount_attr attr = { .attr_set = NSB_MOUNT_ATTR_RDONLY };
		if (nsb_mount_setattr(AT_FDCWD, "/", 0, &attr) < 0)
			fail(STEP_ROOT_READONLY, -1, 0, errno);
	}
	seal_filesystems(plan);
}

/* A writable tmpfs the payload may fill, which a warm sandbox replaces between jobs. */
static int is_scratch(const struct fs_op *op)
{
	return op->op == OP_TMPFS && !(op->flags & (MNT_READONLY | MNT_SEAL));
}

/* Entries and depth a reset removes one by one before it replaces the tmpfs instead (an unmount waits out an RCU grace period: milliseconds). */
#define EMPTY_BUDGET 4096
#define EMPTY_MAX_DEPTH 32

/* Remove everything in `dir` (a directory fd of the scratch tmpfs). Never follows a symlink. 0, or -1 over budget or on error. */
static int empty_dir(int dir, int depth, long *budget)
{
	char buf[4096];
	if (depth > EMPTY_MAX_DEPTH)
		return -1;
	for (;;) {
		long n = syscall(SYS_getdents64, dir, buf, sizeof(buf));
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		int removed = 0;
		for (long off = 0; off < n;) {
			struct nsb_dirent64 {
				uint64_t ino;
				int64_t off;
				unsigned short reclen;
				unsigned char type;
				char name[];
			} *d = (struct nsb_dirent64 *)(buf + off);
			off += d->reclen;
			if (strcmp(d->name, ".") == 0 || strcmp(d->name, "..") == 0)
				continue;
			if (--*budget < 0)
				return -1;
			if (unlinkat(dir, d->name, 0) == 0) {
				removed = 1;
				continue;
			}
			if (errno != EISDIR)
				return -1;
			int sub = openat(dir, d->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0)
				return -1;
			int emptied = empty_dir(sub, depth + 1, budget);
			close(sub);
			if (emptied < 0 || unlinkat(dir, d->name, AT_REMOVEDIR) < 0)
				return -1;
			removed = 1;
		}
		/* Entries were removed under the directory stream: read it again from the start. */
		if (removed && lseek(dir, 0, SEEK_SET) < 0)
			return -1;
	}
}

/* Empty the tmpfs in place when it is small and its root as made; 0, or -1 when it must be replaced. */
static int empty_scratch(int rootfd, const struct fs_op *op)
{
	int dir = nsb_openat2(rootfd, op->target[0] == '/' ? op->target + 1 : op->target, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, SAFE_RESOLVE);
	if (dir < 0)
		return -1;
	struct stat st;
	long budget = EMPTY_BUDGET;
	/* The payload may own the root directory: a changed mode, group or extended attribute is replaced, not trusted. */
	int ok = fstat(dir, &st) == 0 && (st.st_mode & 07777) == op->mode && st.st_uid == getuid() && st.st_gid == getgid() &&
			 flistxattr(dir, NULL, 0) == 0 && empty_dir(dir, 0, &budget) == 0
		 ? 0
		 : -1;
	/* Timestamps too could carry a message to the next job. */
	if (ok == 0 && futimens(dir, NULL) < 0)
		ok = -1;
	close(dir);
	return ok;
}

/* Detach the used instance from where it is mounted (no symlink can redirect this), then mount a fresh one there. */
static int replace_scratch(int rootfd, const struct fs_op *op)
{
	int ok = 0;
	int old = open_target(rootfd, op->target, TARGET_DIR, 0755);
	if (old < 0 || fchdir(old) < 0 || umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
		ok = -1;
	if (old >= 0)
		close(old);
	int mnt = ok == 0 ? new_tmpfs(op->size, op->mode, mount_attrs(op->flags & ~MNT_DEVICES)) : -1;
	int target = mnt >= 0 ? open_target(rootfd, op->target, TARGET_DIR, 0755) : -1;
	if (target < 0 || nsb_move_mount(mnt, "", target, "", NSB_MOVE_MOUNT_F_EMPTY_PATH | NSB_MOVE_MOUNT_T_EMPTY_PATH) < 0)
		ok = -1;
	if (target >= 0)
		close(target);
	if (mnt >= 0)
		close(mnt);
	return ok;
}

int mounts_reset_scratch(const struct plan *plan)
{
	int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return -1;
	int ok = 0;
	for (unsigned i = 0; i < plan->n_fs_ops && ok == 0; i++) {
		const struct fs_op *op = &plan->fs_ops[i];
		if (is_scratch(op) && empty_scratch(rootfd, op) < 0)
			ok = replace_scratch(rootfd, op);
	}
	close(rootfd);
	return ok;
}
