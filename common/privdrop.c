#include "config.h"

#include <cap-ng.h>
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "cleanup.h"
#include "log.h"
#include "privdrop.h"
#include "xalloc.h"

const char *const priv_base_syscalls[] = {
    /* memory and threads (libuv's thread pool) */
    "brk",
    "mmap",
    "munmap",
    "mprotect",
    "mremap",
    "madvise",
    "clone",
    "clone3",
    "set_robust_list",
    "get_robust_list",
    "rseq",
    "futex",
    "futex_waitv",
    "set_tid_address",
    "sched_yield",
    "sched_getaffinity",
    "exit",
    "exit_group",
    "membarrier",
    "arch_prctl",
    /* files */
    "read",
    "write",
    "readv",
    "writev",
    "pread64",
    "pwrite64",
    "preadv",
    "pwritev",
    "close",
    "close_range",
    "open",
    "openat",
    "openat2",
    "creat",
    "lseek",
    "fstat",
    "stat",
    "lstat",
    "newfstatat",
    "statx",
    "statfs",
    "fstatfs",
    "access",
    "faccessat",
    "faccessat2",
    "getdents64",
    "readlink",
    "readlinkat",
    "mkdir",
    "mkdirat",
    "rmdir",
    "unlink",
    "unlinkat",
    "rename",
    "renameat",
    "renameat2",
    "link",
    "linkat",
    "symlink",
    "symlinkat",
    "fsync",
    "fdatasync",
    "ftruncate",
    "fallocate",
    "fchmod",
    "fchmodat",
    "chmod",
    "fchown",
    "fchownat",
    "chown",
    "lchown",
    "umask",
    "utimensat",
    "fcntl",
    "dup",
    "dup2",
    "dup3",
    "pipe",
    "pipe2",
    "ioctl",
    "flock",
    "getcwd",
    "chdir",
    "fchdir",
    "sendfile",
    "copy_file_range",
    "splice",
    "memfd_create",
    "getxattr",
    "lgetxattr",
    "fgetxattr",
    "setxattr",
    "lsetxattr",
    "fsetxattr",
    "listxattr",
    "llistxattr",
    "flistxattr",
    "removexattr",
    "lremovexattr",
    "fremovexattr",
    /* event loop */
    "epoll_create",
    "epoll_create1",
    "epoll_ctl",
    "epoll_wait",
    "epoll_pwait",
    "epoll_pwait2",
    "eventfd",
    "eventfd2",
    "poll",
    "ppoll",
    "select",
    "pselect6",
    "timerfd_create",
    "timerfd_settime",
    "timerfd_gettime",
    "signalfd4",
    /* sockets */
    "socket",
    "socketpair",
    "connect",
    "accept",
    "accept4",
    "bind",
    "listen",
    "getsockname",
    "getpeername",
    "getsockopt",
    "setsockopt",
    "sendmsg",
    "recvmsg",
    "sendmmsg",
    "recvmmsg",
    "sendto",
    "recvfrom",
    "shutdown",
    /* signals and processes */
    "rt_sigaction",
    "rt_sigprocmask",
    "rt_sigreturn",
    "rt_sigtimedwait",
    "sigaltstack",
    "kill",
    "tgkill",
    "tkill",
    "getpid",
    "gettid",
    "getppid",
    "getpgrp",
    "getpgid",
    "getsid",
    "setsid",
    "wait4",
    "waitid",
    "fork",
    "vfork",
    "prctl",
    "getrlimit",
    "prlimit64",
    "getrusage",
    "getpriority",
    /* identity and time */
    "getuid",
    "geteuid",
    "getgid",
    "getegid",
    "getresuid",
    "getresgid",
    "getgroups",
    "capget",
    "uname",
    "sysinfo",
    "clock_gettime",
    "clock_getres",
    "clock_nanosleep",
    "nanosleep",
    "gettimeofday",
    "time",
    "getrandom",
    NULL,
};

const char *const *priv_allowlist(const char *const *extra)
{
	size_t n = 0, m = 0;
	const char **list;

	while (priv_base_syscalls[n])
		n++;
	while (extra && extra[m])
		m++;
	list = xcalloc(n + m + 1, sizeof(char *));
	memcpy(list, priv_base_syscalls, n * sizeof(char *));
	if (m)
		memcpy(list + n, extra, m * sizeof(char *));
	return list;
}

static int apply_caps(const struct priv_spec *spec, struct err *err)
{
	if (spec->keep_all_caps)
		return 0;
	capng_clear(CAPNG_SELECT_BOTH);
	for (const int *c = spec->caps; c && *c >= 0; c++)
		if (capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_BOUNDING_SET,
				 (unsigned)*c) < 0)
			return err_set(err, EINVAL, "cannot keep capability %d", *c);
	for (const int *c = spec->caps_permitted; c && *c >= 0; c++)
		if (capng_update(CAPNG_ADD, CAPNG_PERMITTED | CAPNG_BOUNDING_SET, (unsigned)*c) < 0)
			return err_set(err, EINVAL, "cannot keep capability %d", *c);
	if (capng_apply(CAPNG_SELECT_BOTH) < 0)
		return err_set(err, EPERM, "cannot drop capabilities (capng_apply failed)");
	return 0;
}

static int allow_args(scmp_filter_ctx ctx, const struct priv_arg_rule *rules, struct err *err)
{
	for (const struct priv_arg_rule *a = rules; a && a->syscall; a++) {
		int nr = seccomp_syscall_resolve_name(a->syscall), r;

		if (nr == __NR_SCMP_ERROR)
			continue;
		for (const long *v = a->arg0; *v >= 0; v++) {
			r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
					     SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)*v));
			if (r < 0)
				return err_set(err, -r, "seccomp: cannot allow %s(%ld): %s",
					       a->syscall, *v, strerror(-r));
		}
	}
	return 0;
}

static int apply_seccomp(const char *const *syscalls, const struct priv_arg_rule *arg_rules,
			 struct err *err)
{
	scmp_filter_ctx ctx;
	int r;

	if (!syscalls)
		return 0;
	/* Everything not listed fails with EPERM rather than killing the daemon. */
	ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	if (!ctx)
		return err_set(err, ENOMEM, "seccomp_init failed");
	for (const char *const *s = syscalls; *s; s++) {
		int nr = seccomp_syscall_resolve_name(*s);

		if (nr == __NR_SCMP_ERROR)
			continue; /* not on this architecture */
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		if (r < 0) {
			seccomp_release(ctx);
			return err_set(err, -r, "seccomp: cannot allow %s: %s", *s, strerror(-r));
		}
	}
	if (allow_args(ctx, arg_rules, err) < 0) {
		seccomp_release(ctx);
		return -err->code;
	}
	/* io_uring is a large kernel surface; libuv falls back without it. */
	seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(io_uring_setup), 0);
	r = seccomp_load(ctx);
	seccomp_release(ctx);
	if (r < 0)
		return err_set(err, -r, "seccomp_load: %s", strerror(-r));
	return 0;
}

int priv_drop(const struct priv_spec *spec, struct err *err)
{
	int r = apply_caps(spec, err);

	if (r < 0)
		return r;
	if (spec->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return err_sys(err, "prctl(PR_SET_NO_NEW_PRIVS)");
	return apply_seccomp(spec->syscalls, spec->arg_rules, err);
}

/* True when every capability this kernel knows is effective. */
static bool all_caps_effective(void)
{
	cleanup_fclose FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	int last = -1;

	if (!f || fscanf(f, "%d", &last) != 1 || last < 0)
		return false;
	for (int c = 0; c <= last; c++)
		if (!capng_have_capability(CAPNG_EFFECTIVE, (unsigned)c))
			return false;
	return true;
}

char *priv_describe(void)
{
	cleanup_free char *caps = NULL;
	int nnp = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
	int seccomp = prctl(PR_GET_SECCOMP, 0, 0, 0, 0);

	capng_get_caps_process();
	if (all_caps_effective())
		caps = xstrdup("all");
	else if (capng_have_capabilities(CAPNG_SELECT_CAPS) == CAPNG_NONE)
		caps = xstrdup("none");
	else {
		char *s = capng_print_caps_text(CAPNG_PRINT_BUFFER, CAPNG_EFFECTIVE);
		caps = xstrdup(s ? s : "?");
		free(s);
	}
	return xasprintf("capabilities: %s; no_new_privs: %s; seccomp: %s", caps,
			 nnp == 1 ? "yes" : "no", seccomp == 2 ? "filter" : "off");
}
