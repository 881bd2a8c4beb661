/* berth system start|stop|status for berth-apid: it speaks HTTP, not the daemons' protocol. */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "system.h"

#define APID "berth-apid"

static const char *group_of(const struct ctl *ctl)
{
	return ctl->group ? ctl->group : BERTH_DEFAULT_GROUP;
}

static bool group_exists(const char *name)
{
	cleanup_fclose FILE *f = fopen("/etc/group", "re");
	struct group *g;

	while (f && (g = fgetgrent(f)))
		if (!strcmp(g->gr_name, name))
			return true;
	return false;
}

static char *apid_socket(const struct ctl *ctl)
{
	return xasprintf("%s/docker.sock", ctl->paths.run);
}

/* 0 with the pid of the apid answering GET /_ping; -1 when none does. */
static int apid_probe(struct ctl *ctl, pid_t *pid)
{
	static const char req[] = "GET /_ping HTTP/1.1\r\nHost: berth\r\nConnection: close\r\n\r\n";
	cleanup_free char *path = apid_socket(ctl);
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct timeval tv = {2, 0};
	cleanup_close int fd = -1;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	char buf[64] = "";
	ssize_t n;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -1;
	memcpy(sun.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (write(fd, req, sizeof(req) - 1) != (ssize_t)sizeof(req) - 1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 12 || strncmp(buf, "HTTP/1.1 200", 12))
		return -1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0)
		*pid = cred.pid;
	return 0;
}

int apid_start(struct ctl *ctl, const char *logdir, unsigned timeout)
{
	cleanup_free char *log = xasprintf("%s/" APID ".log", logdir);
	struct err err = ERR_INIT;
	uint64_t deadline;
	pid_t pid = 0, child;
	int status;

	if (apid_probe(ctl, &pid) == 0) {
		printf(APID " already running (pid %d)\n", (int)pid);
		return EXIT_OK;
	}
	if (!group_exists(group_of(ctl))) {
		printf(APID " not started: group '%s' does not exist (it runs as a member of it; "
			    "create it with: groupadd --system %s)\n",
		       group_of(ctl), group_of(ctl));
		return EXIT_OK;
	}
	child = system_spawn(ctl, APID, log, &err);
	if (child < 0) {
		ctl_fail(EXIT_FAIL, "start " APID ": %s", err_msg(&err));
		err_clear(&err);
		return EXIT_FAIL;
	}
	deadline = mono_ms() + timeout * 1000ULL;
	for (;;) {
		if (apid_probe(ctl, &pid) == 0) {
			printf(APID " started (pid %d)\n", (int)pid);
			return EXIT_OK;
		}
		if (waitpid(child, &status, WNOHANG) == child) {
			ctl_fail(EXIT_FAIL, APID " exited with status %d while starting",
				 WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
			print_log_tail(log);
			return EXIT_FAIL;
		}
		if (mono_ms() > deadline) {
			kill(child, SIGTERM);
			ctl_fail(EXIT_FAIL, APID " did not answer within %us", timeout);
			print_log_tail(log);
			return EXIT_FAIL;
		}
		sleep_ms(5);
	}
}

int apid_stop(struct ctl *ctl, unsigned timeout)
{
	cleanup_free char *sock = apid_socket(ctl);
	cleanup_free char *pidfile = xasprintf("%s/" APID ".pid", ctl->paths.run);
	uint64_t deadline;
	pid_t pid = 0;

	if (apid_probe(ctl, &pid) < 0 || pid <= 1) {
		/* not running: nothing of it is left either */
		unlink(pidfile);
		return EXIT_OK;
	}
	if (kill(pid, SIGTERM) < 0)
		return ctl_fail(EXIT_FAIL, "signal " APID " (pid %d): %s", (int)pid,
				strerror(errno));
	deadline = mono_ms() + timeout * 1000ULL;
	while (system_alive(pid)) {
		if (mono_ms() > deadline) {
			kill(pid, SIGKILL);
			ctl_fail(EXIT_FAIL, APID " (pid %d) did not stop within %us: killed",
				 (int)pid, timeout);
			break;
		}
		sleep_ms(5);
	}
	/* apid runs unprivileged: what it made in $RUN is removed here */
	unlink(sock);
	unlink(pidfile);
	printf(APID " stopped (pid %d)\n", (int)pid);
	return EXIT_OK;
}

cJSON *apid_status(struct ctl *ctl)
{
	cJSON *o = cJSON_CreateObject();
	cleanup_free char *sock = apid_socket(ctl);
	pid_t pid = 0;

	cJSON_AddStringToObject(o, "name", APID);
	cJSON_AddStringToObject(o, "socket", sock);
	if (apid_probe(ctl, &pid) == 0) {
		cJSON_AddStringToObject(o, "status", "running");
		cJSON_AddNumberToObject(o, "pid", pid);
		cJSON_AddStringToObject(o, "version", PACKAGE_VERSION);
	} else if (!group_exists(group_of(ctl)) && access(sock, F_OK) < 0) {
		/* not started on purpose: without the group it cannot run */
		cJSON_AddStringToObject(o, "status", "disabled");
		cJSON_AddStringToObject(o, "error", "its group does not exist");
	} else {
		cJSON_AddStringToObject(o, "status", "stopped");
	}
	return o;
}
