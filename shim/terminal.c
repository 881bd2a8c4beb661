#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "terminal.h"

int pty_open(int *master, int *slave, char *path, struct err *err)
{
	cleanup_close int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	char name[64];
	int s;

	if (m < 0)
		return err_sys(err, "posix_openpt");
	if (grantpt(m) < 0 || unlockpt(m) < 0 || ptsname_r(m, name, sizeof(name)) != 0)
		return err_sys(err, "set up the pty");
	s = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s < 0)
		return err_sys(err, "open %s", name);
	*master = steal_fd(&m);
	*slave = s;
	if (path)
		snprintf(path, 64, "%s", name);
	return 0;
}

int console_socket_send(const char *path, int master, struct err *err)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	cleanup_close int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cmsg;
	char name[] = "/dev/ptmx";
	struct iovec iov = {name, sizeof(name) - 1};
	struct msghdr msg = {0};
	struct cmsghdr *c;

	if (fd < 0)
		return err_sys(err, "socket");
	if (strlen(path) >= sizeof(sun.sun_path))
		return err_set(err, ENAMETOOLONG, "--console-socket %s is too long", path);
	strcpy(sun.sun_path, path);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		return err_sys(err, "connect to --console-socket %s", path);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cmsg.buf;
	msg.msg_controllen = sizeof(cmsg.buf);
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &master, sizeof(int));
	if (sendmsg(fd, &msg, MSG_NOSIGNAL) < 0)
		return err_sys(err, "send the pty to %s", path);
	return 0;
}

int pty_become_stdio(int slave, struct err *err)
{
	if (setsid() < 0)
		return err_sys(err, "setsid");
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		return err_sys(err, "make the pty the controlling terminal");
	for (int i = 0; i < 3; i++)
		if (dup2(slave, i) < 0)
			return err_sys(err, "dup2 the pty");
	return 0;
}

static int copy_once(int from, int to)
{
	char buf[16384];
	ssize_t n = read(from, buf, sizeof(buf));

	if (n <= 0)
		return n == 0 || errno == EIO ? 0 : (errno == EINTR || errno == EAGAIN ? 1 : -1);
	for (ssize_t off = 0; off < n;) {
		ssize_t w = write(to, buf + off, (size_t)(n - off));

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		off += w;
	}
	return 1;
}

int pty_proxy(int master, int pidfd, struct err *err)
{
	struct termios saved, raw;
	bool tty = isatty(0) && tcgetattr(0, &saved) == 0;
	struct winsize ws;
	bool in_open = true;

	if (tty) {
		raw = saved;
		cfmakeraw(&raw);
		tcsetattr(0, TCSANOW, &raw);
		if (ioctl(0, TIOCGWINSZ, &ws) == 0)
			ioctl(master, TIOCSWINSZ, &ws);
	}
	for (;;) {
		struct pollfd p[3] = {
		    {master, POLLIN, 0}, {pidfd, POLLIN, 0}, {in_open ? 0 : -1, POLLIN, 0}};

		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents & (POLLIN | POLLHUP)) {
			if (copy_once(master, 1) <= 0)
				break;
		}
		if (p[2].revents & (POLLIN | POLLHUP)) {
			if (copy_once(0, master) <= 0)
				in_open = false;
		}
		if (p[1].revents & POLLIN) {
			/* drain what is left, then stop */
			while (poll(p, 1, 0) == 1 && (p[0].revents & POLLIN) &&
			       copy_once(master, 1) > 0)
				;
			break;
		}
	}
	if (tty)
		tcsetattr(0, TCSANOW, &saved);
	(void)err;
	return 0;
}
