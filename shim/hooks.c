/*
 * OCI hooks: each a program run with the container's state JSON on stdin,
 * its own args and env, and an optional timeout in seconds after which it is
 * killed. Where each kind runs is the caller's business (container.c and
 * spawn.c); here is only checking them and running one kind in order.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "hooks.h"
#include "runtime.h"

static uint64_t clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static const char *const kinds[] = {"prestart",	      "createRuntime", "createContainer",
				    "startContainer", "poststart",     "poststop"};

static int check_strings(const cJSON *arr, const char *where, struct err *err)
{
	const cJSON *it;

	if (!arr)
		return 0;
	if (!cJSON_IsArray(arr))
		return err_set(err, EINVAL, "%s must be an array of strings", where);
	cJSON_ArrayForEach (it, arr)
		if (!cJSON_IsString(it))
			return err_set(err, EINVAL, "%s must be an array of strings", where);
	return 0;
}

static int check_hook(const cJSON *h, const char *where, struct err *err)
{
	const cJSON *path = cJSON_GetObjectItemCaseSensitive(h, "path");
	const cJSON *timeout = cJSON_GetObjectItemCaseSensitive(h, "timeout");
	char sub[96];

	if (!cJSON_IsObject(h))
		return err_set(err, EINVAL, "%s must be an object", where);
	if (!cJSON_IsString(path) || path->valuestring[0] != '/')
		return err_set(err, EINVAL, "%s.path must be an absolute path", where);
	if (timeout &&
	    (!cJSON_IsNumber(timeout) || timeout->valuedouble < 1 || timeout->valuedouble > 86400 ||
	     timeout->valuedouble != (double)(int)timeout->valuedouble))
		return err_set(err, EINVAL, "%s.timeout must be a whole number of seconds > 0",
			       where);
	snprintf(sub, sizeof(sub), "%s.args", where);
	if (check_strings(cJSON_GetObjectItemCaseSensitive(h, "args"), sub, err) < 0)
		return -err->code;
	snprintf(sub, sizeof(sub), "%s.env", where);
	return check_strings(cJSON_GetObjectItemCaseSensitive(h, "env"), sub, err);
}

int hooks_check(const cJSON *hooks, struct err *err)
{
	const cJSON *kind;

	if (!hooks)
		return 0;
	if (!cJSON_IsObject(hooks))
		return err_set(err, EINVAL, "hooks must be an object");
	cJSON_ArrayForEach (kind, hooks) {
		size_t k, i = 0;
		const cJSON *h;

		for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
			if (strcmp(kind->string, kinds[k]) == 0)
				break;
		if (k == sizeof(kinds) / sizeof(kinds[0]))
			return err_set(err, EINVAL, "hooks.%s: unknown kind of hook", kind->string);
		if (!cJSON_IsArray(kind))
			return err_set(err, EINVAL, "hooks.%s must be an array", kind->string);
		cJSON_ArrayForEach (h, kind) {
			char where[64];

			snprintf(where, sizeof(where), "hooks.%s[%zu]", kind->string, i++);
			if (check_hook(h, where, err) < 0)
				return -err->code;
		}
	}
	return 0;
}

bool hooks_have(const cJSON *hooks, const char *kind)
{
	return cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(hooks, kind)) > 0;
}

/* NULL-terminated copy of a string array (the strings stay in the document). */
static char **vector(const cJSON *arr, const char *first)
{
	size_t n = (size_t)cJSON_GetArraySize(arr), i = 0;
	char **v = xcalloc(n + 2, sizeof(*v));
	const cJSON *it;

	cJSON_ArrayForEach (it, arr)
		v[i++] = it->valuestring;
	if (i == 0 && first)
		v[i++] = (char *)first;
	v[i] = NULL;
	return v;
}

static void __attribute__((noreturn)) hook_child(const cJSON *h, int in)
{
	const char *path = cJSON_GetObjectItemCaseSensitive(h, "path")->valuestring;
	char **argv = vector(cJSON_GetObjectItemCaseSensitive(h, "args"), path);
	char **envp = vector(cJSON_GetObjectItemCaseSensitive(h, "env"), NULL);
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	struct err ignore = ERR_INIT;

	sigemptyset(&dfl.sa_mask);
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &dfl, NULL);
	if (dup2(in, 0) < 0)
		_exit(126);
	fds_cloexec_from(3, &ignore); /* the hook gets 0-2 only */
	execve(path, argv, envp);
	dprintf(2, "berth-runtime: hook %s: %s\n", path, strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

/* Feed the state, wait for the exit; kill the hook at the deadline (0: none). */
static int hook_wait(pid_t pid, int pidfd, int in, const char *state, uint64_t deadline_ms,
		     int *status)
{
	size_t len = strlen(state), off = 0;

	for (;;) {
		struct pollfd p[2] = {{pidfd, POLLIN, 0}, {in, POLLOUT, 0}};
		int timeout = -1, n;

		if (deadline_ms) {
			uint64_t now = clock_ms();

			if (now >= deadline_ms)
				return -ETIMEDOUT;
			timeout = (int)(deadline_ms - now);
		}
		n = poll(p, in >= 0 ? 2 : 1, timeout);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n <= 0)
			continue;
		if (in >= 0 && (p[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t w = write(in, state + off, len - off);

			if (w > 0)
				off += (size_t)w;
			if (w < 0 || off == len) {
				close(in);
				in = -1;
			}
		}
		if (p[0].revents & POLLIN) {
			if (in >= 0)
				close(in);
			while (waitpid(pid, status, 0) < 0)
				if (errno != EINTR)
					return -errno;
			return 0;
		}
	}
}

static int hook_run(const cJSON *h, const char *where, const char *state, struct err *err)
{
	const char *path = cJSON_GetObjectItemCaseSensitive(h, "path")->valuestring;
	const cJSON *timeout = cJSON_GetObjectItemCaseSensitive(h, "timeout");
	uint64_t deadline = timeout ? clock_ms() + (uint64_t)timeout->valuedouble * 1000 : 0;
	struct sigaction ign = {.sa_handler = SIG_IGN}, old;
	cleanup_close int pidfd = -1;
	int fds[2], status = 0, r;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return err_sys(err, "%s: pipe", where);
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return err_sys(err, "%s: fork", where);
	}
	if (pid == 0)
		hook_child(h, fds[0]);
	close(fds[0]);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0) {
		r = err_sys(err, "%s: pidfd_open", where);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close(fds[1]);
		return r;
	}
	fcntl(fds[1], F_SETFL, O_NONBLOCK);
	/* a hook that exits without reading its stdin must not kill us */
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &old);
	r = hook_wait(pid, pidfd, fds[1], state, deadline, &status);
	sigaction(SIGPIPE, &old, NULL);
	if (r == -ETIMEDOUT) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close(fds[1]);
		return err_set(err, ETIMEDOUT, "%s (%s) did not finish within its timeout of %ds",
			       where, path, (int)timeout->valuedouble);
	}
	if (r < 0)
		return err_set(err, -r, "%s (%s): wait: %s", where, path, strerror(-r));
	if (WIFSIGNALED(status))
		return err_set(err, ECANCELED, "%s (%s) was killed by signal %d", where, path,
			       WTERMSIG(status));
	if (WEXITSTATUS(status) != 0)
		return err_set(err, ECANCELED, "%s (%s) failed with exit status %d", where, path,
			       WEXITSTATUS(status));
	return 0;
}

int hooks_run(const cJSON *hooks, const char *kind, const char *state, struct err *err)
{
	const cJSON *h;
	size_t i = 0;

	cJSON_ArrayForEach (h, cJSON_GetObjectItemCaseSensitive(hooks, kind)) {
		char where[64];

		snprintf(where, sizeof(where), "hook %s[%zu]", kind, i++);
		if (hook_run(h, where, state, err) < 0)
			return -err->code;
	}
	return 0;
}

char *hooks_state(const char *id, const char *status, pid_t pid, const char *bundle,
		  const cJSON *annotations)
{
	cleanup_cjson cJSON *doc = cJSON_CreateObject();

	cJSON_AddStringToObject(doc, "ociVersion", "1.0.2");
	cJSON_AddStringToObject(doc, "id", id);
	cJSON_AddStringToObject(doc, "status", status);
	cJSON_AddNumberToObject(doc, "pid", pid);
	cJSON_AddStringToObject(doc, "bundle", bundle);
	if (annotations)
		cJSON_AddItemToObject(doc, "annotations", cJSON_Duplicate(annotations, true));
	return cJSON_PrintUnformatted(doc);
}
