/* Running an extra process inside a running container: its namespaces, cgroup and confinement. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/atomicfile.h"
#include "common/cleanup.h"
#include "common/xalloc.h"
#include "spawn.h"
#include "terminal.h"

/* user first (it owns the others), mount last (it changes our root) */
static const enum ns_kind join_order[] = {NS_USER, NS_IPC,    NS_UTS,  NS_NET,
					  NS_PID,  NS_CGROUP, NS_MOUNT};
static const char *const proc_ns_name[NS_COUNT] = {
    [NS_USER] = "user", [NS_PID] = "pid",   [NS_NET] = "net",	    [NS_IPC] = "ipc",
    [NS_UTS] = "uts",	[NS_MOUNT] = "mnt", [NS_CGROUP] = "cgroup",
};

static void __attribute__((noreturn)) fail(int sync, struct err *err, int code)
{
	char buf[4096];
	int n = snprintf(buf, sizeof(buf), "%c%s", SYNC_ERROR, err_msg(err));

	send(sync, buf, (size_t)(n < (int)sizeof(buf) ? n : (int)sizeof(buf) - 1), MSG_NOSIGNAL);
	_exit(code);
}

struct exec_args {
	pid_t target;
	const struct spec *spec; /* the container's, for seccomp */
	struct spec_process *p;
	struct cgroup *cg;
	int sync;
	int slave;
	bool placed; /* born in the container's cgroup (v2, clone3) */
};

static void __attribute__((noreturn)) exec_child(struct exec_args *a)
{
	struct err err = ERR_INIT;
	cleanup_free char *path = NULL;
	int r;

	if (a->slave >= 0 && pty_become_stdio(a->slave, &err) < 0)
		fail(a->sync, &err, 126);
	if (rlimits_apply(a->p, &err) < 0)
		fail(a->sync, &err, 126);
	r = process_finalize(a->spec, a->p, 3, &path, &err);
	/* what run says of a command that is not there or cannot run, and its code */
	if (r < 0)
		fail(a->sync, &err, err.code == ERR_NOCMD ? 127 : 126);
	execve(path, a->p->argv, a->p->env);
	r = errno;
	err_sys(&err, "exec %s", a->p->argv[0]);
	fail(a->sync, &err, r == ENOENT ? 127 : 126);
}

/* The first child joins everything, forks the process (now in the pid namespace) and relays its
 * exit. */
static void __attribute__((noreturn)) join_child(struct exec_args *a)
{
	struct err err = ERR_INIT;
	int fds[NS_COUNT], master = -1;
	pid_t pid;
	int status;
	char msg[32];

	for (size_t i = 0; i < sizeof(join_order) / sizeof(join_order[0]); i++) {
		enum ns_kind k = join_order[i];
		char path[64], self[64];
		struct stat a_st, b_st;

		fds[k] = -1;
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)a->target, proc_ns_name[k]);
		snprintf(self, sizeof(self), "/proc/self/ns/%s", proc_ns_name[k]);
		if (stat(path, &a_st) < 0 || (stat(self, &b_st) == 0 && a_st.st_ino == b_st.st_ino))
			continue;
		fds[k] = open(path, O_RDONLY | O_CLOEXEC);
		if (fds[k] < 0) {
			err_sys(&err, "open %s", path);
			fail(a->sync, &err, 126);
		}
	}
	if (!a->placed && a->cg->ops->add(a->cg, getpid(), &err) < 0)
		fail(a->sync, &err, 126);
	for (size_t i = 0; i < sizeof(join_order) / sizeof(join_order[0]); i++) {
		enum ns_kind k = join_order[i];

		if (fds[k] < 0)
			continue;
		if (setns(fds[k], ns_clone_flag(k)) < 0) {
			err_sys(&err, "join the container's %s namespace", ns_name(k));
			fail(a->sync, &err, 126);
		}
		close(fds[k]);
	}
	/* a terminal from the container's own /dev/ptmx, so tty(1) names it inside */
	if (a->p->terminal && pty_open(&master, &a->slave, NULL, &err) < 0)
		fail(a->sync, &err, 126);
	pid = fork();
	if (pid < 0) {
		err_sys(&err, "fork");
		fail(a->sync, &err, 126);
	}
	if (pid == 0)
		exec_child(a);
	snprintf(msg, sizeof(msg), "P%d", (int)pid);
	send(a->sync, msg, strlen(msg), MSG_NOSIGNAL);
	close(a->sync);
	if (master >= 0) {
		int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);

		close(a->slave);
		if (pidfd >= 0)
			pty_proxy(master, pidfd, &err);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			_exit(126);
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

int container_exec(const char *root, const char *id, struct spec_process *p, bool detach,
		   const char *pid_file, int ready_fd, int *exit_code, struct err *err)
{
	struct container_state st = {0};
	struct spec spec = {0};
	struct cgroup cg = {0};
	struct exec_args a = {0};
	int sync[2] = {-1, -1}, master = -1, cgfd;
	pid_t child = -1, proc = -1;
	char tag;
	int r, status;

	r = state_read(root, id, &st, err);
	if (r < 0)
		return r;
	if (state_status(root, &st) == ST_STOPPED) {
		r = err_set(err, ESRCH, "container %s is not running", id);
		goto out;
	}
	r = spec_load(&spec, st.bundle, err);
	if (r == 0)
		r = seccomp_prepare(&spec, err);
	if (r < 0)
		goto out;
	r = cgroup_open(&cg, st.cgroup_path, err);
	if (r < 0)
		goto out;
	a.slave = -1; /* a terminal is made inside the container by the relay */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sync) < 0) {
		r = err_sys(err, "socketpair");
		goto out;
	}
	a.target = st.pid;
	a.spec = &spec;
	a.p = p;
	a.cg = &cg;
	a.sync = sync[1];
	cgfd = cg.ops->clone_fd ? cg.ops->clone_fd(&cg) : -1;
	child = clone_into_cgroup(SIGCHLD, cgfd);
	a.placed = child >= 0;
	if (child < 0)
		child = fork();
	if (cgfd >= 0)
		close(cgfd);
	if (child < 0) {
		r = err_sys(err, "fork");
		goto out;
	}
	if (child == 0) {
		close(sync[0]);
		join_child(&a);
	}
	close(sync[1]);
	sync[1] = -1;
	/* "P<pid>", then EOF when exec worked, or an error */
	for (;;) {
		char buf[4096];
		ssize_t n = recv(sync[0], buf, sizeof(buf) - 1, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		buf[n] = '\0';
		tag = buf[0];
		if (tag == 'P') {
			proc = (pid_t)atoi(buf + 1);
			continue;
		}
		if (tag == SYNC_ERROR) {
			r = err_set(err, EINVAL, "%s", buf + 1);
			break;
		}
	}
	if (r == 0 && pid_file && proc > 0) {
		char buf[32];
		int n = snprintf(buf, sizeof(buf), "%d", (int)proc);

		r = atomic_write_file(pid_file, buf, (size_t)n, 0644, err);
	}
	if (r == 0 && ready_fd >= 0 && proc > 0)
		dprintf(ready_fd, "P%d", (int)proc);
	if (detach && r == 0) {
		/* the relay exits when the process does; nobody waits for it but init */
		*exit_code = 0;
		goto out;
	}
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			break;
	*exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
out:
	if (sync[0] >= 0)
		close(sync[0]);
	if (master >= 0)
		close(master);
	if (a.slave >= 0)
		close(a.slave);
	cgroup_close(&cg);
	spec_free(&spec);
	state_free(&st);
	return r;
}
