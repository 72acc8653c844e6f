/*
 * Landlock and seccomp, applied by the payload right before execve (after no_new_privs), and the
 * handshake that hands PID 1 the seccomp notification listener so a refused syscall is named in
 * the report instead of leaving only a SIGSYS behind.
 */
#include "confine.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sys.h"

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#endif
#ifndef SYS_landlock_add_rule
#define SYS_landlock_add_rule 445
#endif
#ifndef SYS_landlock_restrict_self
#define SYS_landlock_restrict_self 446
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#ifndef SYS_seccomp
#error "SYS_seccomp missing"
#endif

#define LANDLOCK_RULE_PATH_BENEATH 1
#define LANDLOCK_RULE_NET_PORT 2
/* Rights that apply to a file that is not a directory; the kernel refuses the others there. */
#define LANDLOCK_FILE_RIGHTS (1ull | 2ull | 4ull | (1ull << 14) | (1ull << 15))

#define SECCOMP_SET_MODE_FILTER 1
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1u << 3)
#define SECCOMP_RET_KILL_PROCESS 0x80000000u
#define SECCOMP_RET_USER_NOTIF 0x7fc00000u
#define BPF_RET_K 0x06

struct ruleset_attr {
	uint64_t handled_access_fs, handled_access_net, scoped;
};
struct path_beneath_attr {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));
struct net_port_attr {
	uint64_t allowed_access, port;
};
struct bpf_insn {
	uint16_t code;
	uint8_t jt, jf;
	uint32_t k;
};
struct bpf_prog {
	unsigned short len;
	struct bpf_insn *filter;
};

void confine_landlock(const struct plan *plan, confine_fail_fn fail_fn)
{
	if (!plan->has_landlock)
		return;
	struct ruleset_attr attr = { plan->landlock_fs, plan->landlock_net, plan->landlock_scoped };
	int ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (ruleset < 0)
		fail_fn(STEP_LANDLOCK, plan->landlock_index, errno);
	for (unsigned i = 0; i < plan->n_landlock_paths; i++) {
		const struct landlock_path *p = &plan->landlock_paths[i];
		int fd = open(p->path, O_PATH | O_CLOEXEC);
		if (fd < 0) {
			if (errno == ENOENT && (p->flags & LANDLOCK_OPTIONAL))
				continue;
			fail_fn(STEP_LANDLOCK, p->index, errno);
		}
		struct stat st;
		struct path_beneath_attr rule = { .allowed_access = p->allowed, .parent_fd = fd };
		if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode))
			rule.allowed_access &= LANDLOCK_FILE_RIGHTS;
		if (rule.allowed_access == 0) {
			close(fd); /* nothing applicable to this file: it gets no rights, which is the rule's effect */
			continue;
		}
		if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0) < 0)
			fail_fn(STEP_LANDLOCK, p->index, errno);
		close(fd);
	}
	for (unsigned i = 0; i < plan->n_landlock_ports; i++) {
		struct net_port_attr rule = { plan->landlock_ports[i].allowed, plan->landlock_ports[i].port };
		if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_NET_PORT, &rule, 0) < 0)
			fail_fn(STEP_LANDLOCK, plan->landlock_index, errno);
	}
	if (syscall(SYS_landlock_restrict_self, ruleset, 0) < 0)
		fail_fn(STEP_LANDLOCK, plan->landlock_index, errno);
	close(ruleset);
}

/* The program sits in the plan buffer at any offset: read and write its instructions bytewise, never through a misaligned struct. */
static void swap_returns(struct plan *plan, uint32_t from, uint32_t to)
{
	for (uint32_t i = 0; i < plan->seccomp_len; i++) {
		uint8_t *insn = plan->seccomp_prog + (size_t)i * sizeof(struct bpf_insn);
		uint16_t code;
		uint32_t k;
		memcpy(&code, insn + offsetof(struct bpf_insn, code), sizeof(code));
		memcpy(&k, insn + offsetof(struct bpf_insn, k), sizeof(k));
		if (code == BPF_RET_K && k == from)
			memcpy(insn + offsetof(struct bpf_insn, k), &to, sizeof(to));
	}
}

static long install(struct plan *plan, unsigned flags)
{
	struct bpf_prog prog = { (unsigned short)plan->seccomp_len, (struct bpf_insn *)plan->seccomp_prog };
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
}

void confine_seccomp(struct plan *plan, int channel, confine_fail_fn fail_fn)
{
	if (!plan->seccomp_len)
		return;
	if (!(plan->seccomp_flags & SECCOMP_NOTIFY_KILLS)) {
		if (install(plan, 0) < 0)
			fail_fn(STEP_SECCOMP, -1, errno);
		return;
	}
	/*
	 * PID 1 takes the listener with pidfd_getfd, a ptrace-class access. This process never exec'd
	 * since PID 1's clone, so its memory still belongs to the host's user namespace and, while not
	 * dumpable, only host-level CAP_SYS_PTRACE could reach it. It becomes dumpable at execve anyway.
	 */
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
		fail_fn(STEP_SECCOMP, -1, errno);
	/* The listener will take the lowest free descriptor: tell PID 1 which, before the filter exists. */
	int expected = dup(2);
	if (expected < 0)
		fail_fn(STEP_SECCOMP, -1, errno);
	close(expected);
	char intent[1 + sizeof(int)] = { 'N' };
	memcpy(intent + 1, &expected, sizeof(int));
	if (write(channel, intent, sizeof(intent)) != (ssize_t)sizeof(intent))
		fail_fn(STEP_SECCOMP, -1, errno);
	swap_returns(plan, SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_USER_NOTIF);
	long listener = install(plan, SECCOMP_FILTER_FLAG_NEW_LISTENER);
	if (listener < 0) {
		/* No user notification here: say so (no filter yet), then install plain kills. */
		int saved = errno;
		if (write(channel, "X", 1) != 1 || (swap_returns(plan, SECCOMP_RET_USER_NOTIF, SECCOMP_RET_KILL_PROCESS), install(plan, 0)) < 0)
			fail_fn(STEP_SECCOMP, -1, saved);
		return;
	}
	/* From here on everything runs under the filter; wait until PID 1 holds the listener. */
	char ack = 0;
	while (read(channel, &ack, 1) < 0 && errno == EINTR) {
	}
	close((int)listener);
	if (ack != 'A') {
		/*
		 * PID 1 could not take the listener (ptrace restricted, e.g. yama ptrace_scope=3), so kills
		 * would turn into ENOSYS. Fail closed: this run does not start.
		 */
		fail_fn(STEP_SECCOMP, -1, EPERM);
	}
}

/* SECCOMP_IOCTL_NOTIF_RECV: _IOWR('!', 0, struct seccomp_notif), which is 80 bytes. */
#define NOTIF_RECV 0xc0502100ul
#define NOTIF_SIZE 80

int confine_receive(int listener, int32_t *nr, uint32_t *arch)
{
	uint8_t notif[NOTIF_SIZE];
	memset(notif, 0, sizeof(notif)); /* the kernel insists on a zeroed buffer */
	if (ioctl(listener, NOTIF_RECV, notif) < 0)
		return -1;
	memcpy(nr, notif + 16, sizeof(*nr));
	memcpy(arch, notif + 20, sizeof(*arch));
	return 0;
}

int confine_take_listener(const struct plan *plan, int channel, int payload_pid)
{
	if (!plan->seccomp_len || !(plan->seccomp_flags & SECCOMP_NOTIFY_KILLS))
		return -1;
	char intent[1 + sizeof(int)];
	size_t got = 0;
	/* Peek first: a payload that failed before the handshake sent a status record, which must stay. */
	char first;
	ssize_t peeked;
	while ((peeked = recv(channel, &first, 1, MSG_PEEK)) < 0 && errno == EINTR) {
	}
	if (peeked != 1 || first != 'N')
		return -1;
	while (got < sizeof(intent)) {
		ssize_t n = read(channel, intent + got, sizeof(intent) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1; /* the payload failed before the filter; its report follows */
		got += (size_t)n;
		if (intent[0] != 'N')
			return -1;
	}
	int expected;
	memcpy(&expected, intent + 1, sizeof(int));
	int pidfd = nsb_pidfd_open(payload_pid);
	if (pidfd < 0)
		return -1;
	int listener = -1;
	for (int tries = 0; tries < 200000 && listener < 0; tries++) {
		listener = (int)syscall(SYS_pidfd_getfd, pidfd, expected, 0);
		if (listener >= 0 || errno != EBADF)
			break;
		/* Not installed yet, or it failed and the payload said 'X'. */
		struct pollfd p = { .fd = channel, .events = POLLIN };
		if (poll(&p, 1, 0) > 0) {
			char x;
			if (recv(channel, &x, 1, MSG_PEEK) == 1 && x == 'X') {
				if (read(channel, &x, 1) < 0) {
					/* nothing to add: the payload carries on with plain kills */
				}
				close(pidfd);
				return -1;
			}
		}
		struct timespec pause = { 0, 20000 };
		nanosleep(&pause, NULL);
	}
	close(pidfd);
	if (write(channel, listener >= 0 ? "A" : "F", 1) != 1 && listener >= 0) {
		close(listener);
		return -1;
	}
	return listener;
}
