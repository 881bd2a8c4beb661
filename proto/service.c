/* Socket activation, daemonizing and readiness (see service.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "addr.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "service.h"

#define LISTEN_FDS_START 3

int service_take_activated(int *fd, struct err *err)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	int type = 0, acc = 0;
	socklen_t len = sizeof(type);

	if (!pid || !fds || strtol(pid, NULL, 10) != getpid() || strtol(fds, NULL, 10) < 1)
		return 0;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (getsockopt(LISTEN_FDS_START, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
	    type != SOCK_STREAM)
		return err_set(err, EINVAL, "LISTEN_FDS: fd %d is not a stream socket",
			       LISTEN_FDS_START);
	len = sizeof(acc);
	if (getsockopt(LISTEN_FDS_START, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) < 0 || !acc)
		return err_set(err, EINVAL, "LISTEN_FDS: fd %d is not listening", LISTEN_FDS_START);
	if (fcntl(LISTEN_FDS_START, F_SETFD, FD_CLOEXEC) < 0 ||
	    fcntl(LISTEN_FDS_START, F_SETFL, fcntl(LISTEN_FDS_START, F_GETFL) | O_NONBLOCK) < 0)
		return err_sys(err, "LISTEN_FDS: fcntl");
	*fd = LISTEN_FDS_START;
	return 1;
}

/* 0 when nothing is at path (a stale socket is removed); <0 (EADDRINUSE when alive). */
static int clear_stale(const char *path, const struct sockaddr_un *sun, struct err *err)
{
	cleanup_close int fd = -1;
	struct stat st;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		return err_sys(err, "stat %s", path);
	}
	if (!S_ISSOCK(st.st_mode))
		return err_set(err, EEXIST, "%s exists and is not a socket", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_sys(err, "socket");
	if (connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0)
		return err_set(err, EADDRINUSE, "another daemon is already serving %s", path);
	if (errno != ECONNREFUSED)
		return err_sys(err, "probe %s", path);
	log_info("removing stale socket %s", path);
	if (unlink(path) < 0)
		return err_sys(err, "remove stale socket %s", path);
	return 0;
}

int service_listen_unix(const char *path, gid_t gid, int *out, struct err *err)
{
	struct sockaddr_un sun;
	cleanup_close int fd = -1, dirfd = -1;
	mode_t old;
	int r;

	if (unix_addr(path, &sun, &dirfd, err) < 0)
		return -err->code;
	r = clear_stale(path, &sun, err);
	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return err_sys(err, "socket");
	old = umask(0117);
	r = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (r < 0)
		return err_sys(err, "bind %s", path);
	if (chown(path, 0, gid) < 0 || chmod(path, 0660) < 0) {
		r = err_sys(err, "set owner root:%u and mode 0660 on %s", (unsigned)gid, path);
		unlink(path);
		return r;
	}
	if (listen(fd, 128) < 0) {
		r = err_sys(err, "listen on %s", path);
		unlink(path);
		return r;
	}
	*out = steal_fd(&fd);
	return 0;
}

int service_daemonize(struct err *err)
{
	pid_t pid = fork();
	int fd;

	if (pid < 0)
		return err_sys(err, "fork");
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		return err_sys(err, "setsid");
	pid = fork();
	if (pid < 0)
		return err_sys(err, "fork");
	if (pid > 0)
		_exit(0);
	if (chdir("/") < 0)
		return err_sys(err, "chdir /");
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return err_sys(err, "open /dev/null");
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
	return 0;
}

void service_notify_ready(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	cleanup_close int fd = -1;
	char msg[64];
	socklen_t len;
	int n;

	if (!path || !*path || strlen(path) >= sizeof(sun.sun_path))
		return;
	memcpy(sun.sun_path, path, strlen(path));
	if (sun.sun_path[0] == '@')
		sun.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	n = snprintf(msg, sizeof(msg), "READY=1\nMAINPID=%d", (int)getpid());
	if (sendto(fd, msg, (size_t)n, MSG_NOSIGNAL, (struct sockaddr *)&sun, len) < 0)
		log_warn("sd_notify");
	unsetenv("NOTIFY_SOCKET");
}
