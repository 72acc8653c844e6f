/* User and group ids, and capabilities. */
#include "identity.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "status.h"
#include "sys.h"

static int write_file(const char *path, const char *text, size_t len)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, len);
	int saved = errno;
	close(fd);
	errno = saved;
	return n == (ssize_t)len ? 0 : -1;
}

static size_t format_map(char *buf, size_t size, const struct id_map *maps, unsigned n)
{
	size_t used = 0;
	for (unsigned i = 0; i < n && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%u %u %u\n", maps[i].inside, maps[i].outside,
					 maps[i].count);
	return used < size ? used : size;
}

void identity_write_maps(pid_t child, const struct plan *plan)
{
	char path[64], map[512];
	size_t len;

	/* Required before an unprivileged gid_map, and it stops the sandbox from shedding groups. */
	snprintf(path, sizeof(path), "/proc/%d/setgroups", (int)child);
	if (write_file(path, "deny", 4) < 0 && errno != ENOENT)
		fail(STEP_SETGROUPS, -1, 0, errno);
	snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)child);
	len = format_map(map, sizeof(map), plan->uid_maps, plan->n_uid_maps);
	if (write_file(path, map, len) < 0)
		fail(STEP_UID_MAP, -1, 0, errno);
	snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)child);
	len = format_map(map, sizeof(map), plan->gid_maps, plan->n_gid_maps);
	if (write_file(path, map, len) < 0)
		fail(STEP_GID_MAP, -1, 0, errno);
}

static int raise_effective(void)
{
	struct nsb_cap_header h = { .version = NSB_CAP_VERSION_3, .pid = 0 };
	struct nsb_cap_data d[2];
	if (nsb_capget(&h, d) < 0)
		return -1;
	d[0].effective = d[0].permitted;
	d[1].effective = d[1].permitted;
	return nsb_capset(&h, d);
}

void identity_enter(const struct plan *plan)
{
	/* Files the setup creates must be owned by a mapped id, or the kernel refuses them (EOVERFLOW). */
	if (prctl(NSB_PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || setresgid(plan->gid, plan->gid, plan->gid) < 0 ||
	    setresuid(plan->uid, plan->uid, plan->uid) < 0 || raise_effective() < 0)
		fail(STEP_SETID, -1, 0, errno);
}

static int keeps(const struct plan *plan, unsigned cap)
{
	return cap < 64 && (plan->caps_keep >> cap) & 1;
}

void identity_drop(const struct plan *plan, void (*fail_fn)(uint32_t step, int op, int err))
{
	/* Uid changes must not touch capabilities, and uid 0 must not regain them on exec. */
	unsigned secure = NSB_SECBIT_NOROOT | NSB_SECBIT_NOROOT_LOCKED | NSB_SECBIT_NO_SETUID_FIXUP |
			  NSB_SECBIT_NO_SETUID_FIXUP_LOCKED | NSB_SECBIT_KEEP_CAPS_LOCKED;
	if (prctl(NSB_PR_SET_SECUREBITS, secure, 0, 0, 0) < 0)
		fail_fn(STEP_CAPS, -1, errno);
	for (unsigned cap = 0; cap < 64; cap++) {
		if (keeps(plan, cap))
			continue;
		if (prctl(NSB_PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
			if (errno == EINVAL)
				break; /* past the kernel's last capability */
			fail_fn(STEP_CAPS, -1, errno);
		}
	}
	if (prctl(NSB_PR_CAP_AMBIENT, NSB_PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		fail_fn(STEP_CAPS, -1, errno);

	/* Without a user namespace this is where a root host becomes the unprivileged host id. */
	if (!(plan->ns_flags & NSB_CLONE_NEWUSER) && setgroups(0, NULL) < 0)
		fail_fn(STEP_SETID, -1, errno);
	if (setresgid(plan->gid, plan->gid, plan->gid) < 0 || setresuid(plan->uid, plan->uid, plan->uid) < 0)
		fail_fn(STEP_SETID, -1, errno);

	struct nsb_cap_header h = { .version = NSB_CAP_VERSION_3, .pid = 0 };
	struct nsb_cap_data d[2];
	memset(d, 0, sizeof(d));
	d[0].effective = d[0].permitted = d[0].inheritable = (uint32_t)plan->caps_keep;
	d[1].effective = d[1].permitted = d[1].inheritable = (uint32_t)(plan->caps_keep >> 32);
	if (nsb_capset(&h, d) < 0)
		fail_fn(STEP_CAPS, -1, errno);
	/* Kept capabilities survive execve only as ambient ones (the payload is not a file-capability binary). */
	for (unsigned cap = 0; cap < 64; cap++) {
		if (keeps(plan, cap) && prctl(NSB_PR_CAP_AMBIENT, NSB_PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
			fail_fn(STEP_CAPS, -1, errno);
	}
	if (prctl(NSB_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		fail_fn(STEP_NO_NEW_PRIVS, -1, errno);
}
