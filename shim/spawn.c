#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "hooks.h"
#include "spawn.h"
#include "terminal.h"

int sync_send(int fd, char tag)
{
	return send(fd, &tag, 1, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

int sync_read(int fd, char *tag, struct err *err)
{
	char buf[4096];
	ssize_t n;

	do
		n = recv(fd, buf, sizeof(buf) - 1, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return err_sys(err, "read from the container's init");
	if (n == 0) {
		*tag = 0;
		return 0;
	}
	buf[n] = '\0';
	*tag = buf[0];
	if (buf[0] == SYNC_ERROR) {
		int32_t code = EINVAL;

		if (n < 5)
			return err_set(err, EINVAL, "the container's init failed");
		memcpy(&code, buf + 1, sizeof(code));
		return err_set(err, code > 0 ? code : EINVAL, "%s", buf + 5);
	}
	return 0;
}

/* Report an error to the parent (or stderr) and die. */
static void __attribute__((noreturn)) child_fail_done(int sync, int done, struct err *err, int code)
{
	char buf[4096];
	int32_t ec = err->code;
	int n;

	/* the tag, the error code, the message */
	buf[0] = SYNC_ERROR;
	memcpy(buf + 1, &ec, sizeof(ec));
	n = 5 + snprintf(buf + 5, sizeof(buf) - 5, "%s", err_msg(err));

	if (n >= (int)sizeof(buf))
		n = (int)sizeof(buf) - 1;
	/* after start (create mode) nobody reads the socket: `start` reads exec.done */
	if (done >= 0 && write(done, buf + 5, (size_t)(n - 5)) > 0)
		_exit(code);
	if (send(sync, buf, (size_t)n, MSG_NOSIGNAL) < 0)
		dprintf(2, "berth-runtime: %s\n", err_msg(err));
	_exit(code);
}

#define child_fail(sync, err, code) child_fail_done(sync, -1, err, code)

/* Does the init stop for hooks (SYNC_HOOKS) before pivot_root? */
static bool wants_hooks(const struct spec *s)
{
	static const char *const kinds[] = {"prestart", "createRuntime", "createContainer",
					    "startContainer"};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (hooks_have(s->hooks, kinds[i]))
			return true;
	return false;
}

/*
 * Mounted, not yet pivoted: the runtime runs prestart and createRuntime and
 * answers with the state; then createContainer, here in the container's
 * namespaces. Returns the state (for startContainer) or NULL after an error.
 */
static char *create_hooks(struct spawn_args *a, struct err *err)
{
	cleanup_free char *buf = NULL;
	ssize_t n;

	if (sync_send(a->sync, SYNC_HOOKS) < 0) {
		err_sys(err, "ask for the create hooks");
		return NULL;
	}
	do
		n = recv(a->sync, NULL, 0, MSG_PEEK | MSG_TRUNC);
	while (n < 0 && errno == EINTR);
	if (n <= 1) {
		err_set(err, ECANCELED, "the runtime went away during the create hooks");
		return NULL;
	}
	buf = xmalloc((size_t)n + 1);
	if (recv(a->sync, buf, (size_t)n, 0) != n || buf[0] != SYNC_STATE) {
		err_set(err, EPROTO, "unexpected answer from the runtime after the create hooks");
		return NULL;
	}
	buf[n] = '\0';
	if (hooks_run(a->spec->hooks, "createContainer", buf + 1, err) < 0)
		return NULL;
	return xstrdup(buf + 1);
}

/* startContainer sees the state as created. */
static int start_hooks(const struct spec *s, const char *state, struct err *err)
{
	cleanup_cjson cJSON *doc = NULL;
	cleanup_free char *text = NULL;

	if (!state || !hooks_have(s->hooks, "startContainer"))
		return 0;
	doc = cJSON_Parse(state);
	if (!doc)
		return err_set(err, EPROTO, "the state for startContainer is not JSON");
	cJSON_ReplaceItemInObjectCaseSensitive(doc, "status", cJSON_CreateString("created"));
	text = cJSON_PrintUnformatted(doc);
	return hooks_run(s->hooks, "startContainer", text, err);
}

static int join_namespaces(const struct spec *s, struct err *err)
{
	/* the user namespace first: it owns the others */
	static const enum ns_kind order[] = {NS_USER, NS_IPC, NS_UTS, NS_NET, NS_CGROUP, NS_MOUNT};

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		const struct spec_ns *ns = &s->ns[order[i]];
		cleanup_close int fd = -1;

		if (!ns->present || !ns->path)
			continue;
		fd = open(ns->path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return err_sys(err, "open %s namespace %s", ns_name(order[i]), ns->path);
		if (setns(fd, ns_clone_flag(order[i])) < 0)
			return err_sys(err, "join %s namespace %s", ns_name(order[i]), ns->path);
	}
	return 0;
}

static int unshare_flags(const struct spec *s)
{
	int flags = 0;

	for (int k = 0; k < NS_COUNT; k++)
		if (k != NS_USER && k != NS_PID && s->ns[k].present && !s->ns[k].path)
			flags |= ns_clone_flag((enum ns_kind)k);
	return flags;
}

static int oom_score_adj(const struct spec_process *p, struct err *err)
{
	char buf[16];
	cleanup_close int fd = -1;
	int n;

	if (!p->has_oom_score_adj)
		return 0;
	fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	n = snprintf(buf, sizeof(buf), "%d", p->oom_score_adj);
	if (fd < 0 || write(fd, buf, (size_t)n) != n)
		return err_sys(err, "set oomScoreAdj %d", p->oom_score_adj);
	return 0;
}

/* Wait for `start`: the fifo in create mode, the sync socket in run mode. */
static int wait_start(struct spawn_args *a, struct err *err)
{
	char c;
	ssize_t n;

	if (a->fifo >= 0) {
		do
			n = read(a->fifo, &c, 1);
		while (n < 0 && errno == EINTR);
		if (n != 1)
			return err_sys(err, "wait for start");
		close(a->fifo);
		a->fifo = -1;
		return 0;
	}
	do
		n = recv(a->sync, &c, 1, 0);
	while (n < 0 && errno == EINTR);
	if (n != 1 || c != SYNC_START)
		return err_set(err, ECANCELED, "the runtime went away before start");
	return 0;
}

static void created_signal(int sig)
{
	_exit(128 + sig);
}

/*
 * A created container is our code waiting for start; as pid 1 of its pid
 * namespace a signal without a handler would not reach it, so `kill` of a
 * created container would do nothing. Until exec (which puts back the
 * defaults) the signals that terminate end it.
 */
static void catch_terminating_signals(void)
{
	static const int sigs[] = {SIGHUP,  SIGINT,  SIGQUIT, SIGABRT,	 SIGUSR1, SIGUSR2, SIGALRM,
				   SIGTERM, SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGPWR,  SIGIO};
	struct sigaction sa = {.sa_handler = created_signal};

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

static void __attribute__((noreturn)) child_main(struct spawn_args *a)
{
	const struct spec *s = a->spec;
	struct err err = ERR_INIT;
	cleanup_free char *path = NULL, *state = NULL;
	bool new_user = s->ns[NS_USER].present && !s->ns[NS_USER].path;
	char c = 0;
	int r;

	close(a->parent_sync);
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (recv(a->sync, &c, 1, 0) != 1 || c != SYNC_GO)
		_exit(1); /* the parent failed: it reports */
	if (new_user && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)) {
		err_sys(&err, "become root in the new user namespace");
		child_fail(a->sync, &err, 1);
	}
	if (join_namespaces(s, &err) < 0 || oom_score_adj(&s->proc, &err) < 0)
		child_fail(a->sync, &err, 1);
	if (unshare(unshare_flags(s)) < 0) {
		err_sys(&err, "unshare namespaces");
		child_fail(a->sync, &err, 1);
	}
	if (a->stdio) {
		/* dup2 keeps them across exec (close-on-exec is not copied) */
		for (int i = 0; i < 3; i++)
			if (a->stdio[i] >= 0 && a->stdio[i] != i && dup2(a->stdio[i], i) < 0) {
				err_sys(&err, "set up stdio %d", i);
				child_fail(a->sync, &err, 1);
			}
	}
	if (a->pty_slave >= 0) {
		/* a mount can only be bound from our own mount namespace: reopen it here */
		int fd = open(a->pty_path, O_RDWR | O_NOCTTY | O_CLOEXEC);

		if (fd < 0) {
			err_sys(&err, "open the pty %s", a->pty_path);
			child_fail(a->sync, &err, 1);
		}
		dup3(fd, a->pty_slave, O_CLOEXEC);
		close(fd);
		if (pty_become_stdio(a->pty_slave, &err) < 0)
			child_fail(a->sync, &err, 1);
	}
	r = rootfs_prepare(s, a->cg, new_user || s->ns[NS_USER].path, a->pty_slave, &err);
	if (r == 0 && wants_hooks(s) && !(state = create_hooks(a, &err)))
		r = -1;
	if (r == 0)
		r = rootfs_enter(s, &err);
	if (r < 0 || rlimits_apply(&s->proc, &err) < 0)
		child_fail(a->sync, &err, 1);
	if (a->pty_slave > 2)
		close(a->pty_slave);
	/* create: the parent exits once it hears "ready"; we must outlive it */
	if (a->fifo >= 0)
		prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
	/* a missing or unrunnable command fails the create, as with runc */
	if (exec_check(&s->proc, &err) < 0)
		child_fail(a->sync, &err, err.code == ERR_NOCMD ? 127 : 126);
	catch_terminating_signals();
	if (sync_send(a->sync, SYNC_READY) < 0 || wait_start(a, &err) < 0)
		child_fail(a->sync, &err, 1);
	prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
	if (start_hooks(s, state, &err) < 0)
		child_fail_done(a->sync, a->done, &err, 1);
	if (process_finalize(s, &s->proc, 3 + (unsigned)a->preserve_fds, &path, &err) < 0)
		child_fail_done(a->sync, a->done, &err,
				err.code == ERR_NOCMD	  ? 127
				: err.code == ERR_CANTRUN ? 126
							  : 1);
	execve(path, s->proc.argv, s->proc.env);
	r = errno;
	err_sys(&err, "exec %s", s->proc.argv[0]);
	child_fail_done(a->sync, a->done, &err, r == ENOENT ? 127 : 126);
}

pid_t clone_into_cgroup(unsigned long flags, int cgroup_fd)
{
	struct clone_args ca = {
	    .flags = (flags & ~(unsigned long)CSIGNAL) | CLONE_INTO_CGROUP,
	    .exit_signal = flags & CSIGNAL,
	    .cgroup = (uint64_t)cgroup_fd,
	};

	if (cgroup_fd < 0)
		return -1;
	return (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
}

pid_t spawn_init(struct spawn_args *a, struct err *err)
{
	unsigned long flags = SIGCHLD;
	pid_t pid;

	if (a->spec->ns[NS_USER].present && !a->spec->ns[NS_USER].path)
		flags |= CLONE_NEWUSER;
	if (a->spec->ns[NS_PID].present) {
		if (a->spec->ns[NS_PID].path) {
			cleanup_close int fd = open(a->spec->ns[NS_PID].path, O_RDONLY | O_CLOEXEC);

			if (fd < 0 || setns(fd, CLONE_NEWPID) < 0)
				return err_sys(err, "join pid namespace %s",
					       a->spec->ns[NS_PID].path);
		} else {
			flags |= CLONE_NEWPID;
		}
	}
	pid = clone_into_cgroup(flags, a->cgroup_fd);
	a->placed = pid >= 0;
	if (pid < 0)
		pid = (pid_t)syscall(SYS_clone, flags, NULL, NULL, NULL, NULL);
	if (pid < 0)
		return err_sys(err, "clone the container's init");
	if (pid == 0)
		child_main(a);
	return pid;
}
