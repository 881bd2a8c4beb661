/* The last steps before exec: rlimits, user, working directory, fds, PATH lookup. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <unistd.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "runtime.h"

int rlimits_apply(const struct spec_process *p, struct err *err)
{
	for (size_t i = 0; i < p->nrlimits; i++) {
		const struct spec_rlimit *rl = &p->rlimits[i];
		struct rlimit cur, want = {rl->soft, rl->hard};

		if (getrlimit(rl->resource, &cur) < 0)
			return err_sys(err, "getrlimit %s", rl->name);
		if (setrlimit(rl->resource, &want) == 0)
			continue;
		if (errno == EPERM && want.rlim_max > cur.rlim_max)
			return err_set(err, EPERM,
				       "process.rlimits: cannot raise the hard limit of %s to %llu "
				       "(it is %llu and raising it needs CAP_SYS_RESOURCE)",
				       rl->name, (unsigned long long)want.rlim_max,
				       (unsigned long long)cur.rlim_max);
		return err_sys(err, "setrlimit %s soft %llu hard %llu", rl->name,
			       (unsigned long long)want.rlim_cur,
			       (unsigned long long)want.rlim_max);
	}
	return 0;
}

int user_apply(const struct spec_process *p, struct err *err)
{
	if (setgroups(p->ngroups, p->groups) < 0 && !(errno == EPERM && p->ngroups == 0))
		return err_sys(err, "setgroups");
	if (setresgid(p->gid, p->gid, p->gid) < 0)
		return err_sys(err, "setresgid %u", (unsigned)p->gid);
	if (setresuid(p->uid, p->uid, p->uid) < 0)
		return err_sys(err, "setresuid %u", (unsigned)p->uid);
	if (p->has_umask)
		umask(p->umask);
	return 0;
}

int cwd_apply(const char *cwd, struct err *err)
{
	char buf[PATH_MAX];

	if (chdir(cwd) < 0)
		return err_sys(err, "chdir to process.cwd %s", cwd);
	/* a cwd outside the root shows as "(unreachable)/..." or fails */
	if (!getcwd(buf, sizeof(buf)) || buf[0] != '/')
		return err_set(err, EPERM, "process.cwd %s resolves outside the container root",
			       cwd);
	return 0;
}

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

int fds_cloexec_from(unsigned first, struct err *err)
{
	if (syscall(SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		return err_sys(err, "close_range");
	return 0;
}

static const char *env_get(char **env, const char *key)
{
	size_t n = strlen(key);

	for (char **e = env; e && *e; e++)
		if (strncmp(*e, key, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

char *exec_path(const struct spec_process *p)
{
	const char *name = p->argv[0];
	const char *path = env_get(p->env, "PATH");
	char *copy, *save = NULL, *found = NULL;

	if (strchr(name, '/'))
		return xstrdup(name);
	if (!path)
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	copy = xstrdup(path);
	for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		char *cand = xasprintf("%s/%s", *dir ? dir : ".", name);
		struct stat st;

		if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0) {
			found = cand;
			break;
		}
		free(cand);
	}
	free(copy);
	return found ? found : xstrdup(name);
}

int exec_check(const struct spec_process *p, struct err *err)
{
	const char *name = p->argv[0];
	cleanup_free char *path = NULL;
	struct stat st;

	/* relative to the working directory, which is not set yet: exec will tell */
	if (name[0] != '/' && strchr(name, '/'))
		return 0;
	path = exec_path(p);
	if (stat(path, &st) < 0) {
		if (name[0] == '/')
			return err_set(err, ERR_NOCMD, "exec %s: No such file or directory", name);
		return err_set(err, ERR_NOCMD, "exec %s: executable file not found in $PATH", name);
	}
	if (S_ISDIR(st.st_mode))
		return err_set(err, ERR_CANTRUN, "exec %s: Is a directory", path);
	if (!(st.st_mode & 0111))
		return err_set(err, ERR_CANTRUN, "exec %s: Permission denied", path);
	return 0;
}

/*
 * The last steps before execve, in an order that leaves the user's seccomp
 * filter for the very end: bounding set, ids, working directory, the path to
 * exec, fds, the capability sets and no_new_privs, signals back to their
 * defaults, then the filter. Without
 * no_new_privs loading a filter needs CAP_SYS_ADMIN in the effective set: it
 * stays there for that one call (execve computes the process's sets afresh from
 * the bounding, inheritable and ambient ones, so it does not outlive exec).
 */
/*
 * A process starts as after a fresh exec from init: every signal at its
 * default, none blocked. execve keeps what is ignored (the shim ignores
 * SIGPIPE; whoever started the daemons may have ignored others, 32 and 33
 * included) and the mask: a writer to a closed pipe would then spin on EPIPE
 * instead of dying, as `yes | head` must.
 */
static int signals_reset(struct err *err)
{
	/* the kernel's struct sigaction: the C library refuses its own signals (32, 33) */
	struct {
		void (*handler)(int);
		unsigned long flags;
		void (*restorer)(void);
		uint64_t mask;
	} dfl = {.handler = SIG_DFL};
	sigset_t none;

	for (int sig = 1; sig < NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		if (syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof(dfl.mask)) < 0)
			return err_sys(err, "reset the handler of signal %d", sig);
	}
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
		return err_sys(err, "unblock signals");
	return 0;
}

int process_finalize(const struct spec *s, const struct spec_process *p, unsigned first_fd,
		     char **path, struct err *err)
{
	bool nnp = p->no_new_privs;
	uint64_t extra = !nnp && s->seccomp ? 1ULL << CAP_SYS_ADMIN : 0;
	int r;

	*path = NULL;
	r = caps_drop_bounding(p, err);
	if (r < 0)
		return r;
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return err_sys(err, "PR_SET_KEEPCAPS");
	r = user_apply(p, err);
	if (r < 0)
		return r;
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return err_sys(err, "PR_SET_KEEPCAPS");
	r = cwd_apply(p->cwd, err);
	if (r < 0)
		return r;
	r = exec_check(p, err);
	if (r < 0)
		return r;
	/* nothing but 0-2 (and the preserved fds) may reach the process */
	r = fds_cloexec_from(first_fd, err);
	if (r < 0)
		return r;
	r = caps_apply(p, extra, err);
	if (r < 0)
		return r;
	if (nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return err_sys(err, "PR_SET_NO_NEW_PRIVS");
	*path = exec_path(p);
	r = signals_reset(err);
	if (r == 0)
		r = seccomp_apply(s, err);
	if (r < 0) {
		free(*path);
		*path = NULL;
	}
	return r;
}
