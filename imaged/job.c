#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "job.h"
#include "proto/tags.h"

struct job {
	struct imaged *ctx;
	struct conn *c; /* NULL once the client is gone */
	uint16_t type;
	uint32_t id;
	pid_t pid;
	int fd;
	uv_poll_t poll;
	char *buf;
	size_t len, cap;
	bool finished;
	struct job *next;
};

static void write_line(int out, char tag, const char *text)
{
	size_t n = strlen(text);
	char *line = xmalloc(n + 3);

	line[0] = tag;
	memcpy(line + 1, text, n);
	/* one message per line: newlines inside become spaces */
	for (size_t i = 1; i <= n; i++)
		if (line[i] == '\n')
			line[i] = ' ';
	line[n + 1] = '\n';
	for (size_t off = 0; off < n + 2;) {
		ssize_t w = write(out, line + off, n + 2 - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	free(line);
}

void job_progress(int out, const char *fmt, ...)
{
	char *text;
	va_list ap;

	va_start(ap, fmt);
	text = xvasprintf(fmt, ap);
	va_end(ap);
	write_line(out, 'P', text);
	free(text);
}

void job_done(int out, const char *json)
{
	write_line(out, 'R', json);
	_exit(0);
}

void job_fail(int out, const struct err *err)
{
	char *text = xasprintf("%d %s", err->code ? err->code : EIO, err_msg(err));

	write_line(out, 'E', text);
	free(text);
	_exit(1);
}

static void job_free(uv_handle_t *h)
{
	struct job *j = h->data;

	close(j->fd);
	free(j->buf);
	free(j);
}

static void job_finish(struct job *j)
{
	struct job **pp;
	int status;

	for (pp = &j->ctx->jobs; *pp; pp = &(*pp)->next)
		if (*pp == j) {
			*pp = j->next;
			break;
		}
	while (waitpid(j->pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!j->finished && j->c) {
		struct frame req = {.type = j->type, .id = j->id};
		struct err e = {EIO, NULL};

		e.msg =
		    xasprintf("the worker died (%s %d)", WIFSIGNALED(status) ? "signal" : "status",
			      WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
		conn_error(j->c, &req, &e);
		err_clear(&e);
	}
	uv_poll_stop(&j->poll);
	uv_close((uv_handle_t *)&j->poll, job_free);
}

static void job_line(struct job *j, char *line)
{
	struct frame req = {.type = j->type, .id = j->id};
	struct pbuf pb;

	if (!j->c || j->finished)
		return;
	pb_init(&pb);
	switch (line[0]) {
	case 'P':
		pb_put_str(&pb, TAG_LINE, line + 1);
		conn_stream(j->c, &req, &pb, false);
		break;
	case 'R':
		pb_put_str(&pb, TAG_JSON, line + 1);
		conn_stream(j->c, &req, &pb, true);
		j->finished = true;
		break;
	case 'E': {
		char *msg = NULL;
		struct err e = {(int)strtol(line + 1, &msg, 10), NULL};

		e.msg = xstrdup(msg && *msg == ' ' ? msg + 1 : line + 1);
		conn_error(j->c, &req, &e);
		err_clear(&e);
		j->finished = true;
		break;
	}
	default:
		break;
	}
	pb_free(&pb);
}

static void on_job_output(uv_poll_t *p, int status, int events)
{
	struct job *j = p->data;
	ssize_t n;
	char *nl;

	if (j->cap - j->len < 4096) {
		j->cap = j->cap ? j->cap * 2 : 8192;
		j->buf = xrealloc(j->buf, j->cap);
	}
	n = read(j->fd, j->buf + j->len, j->cap - j->len - 1);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		job_finish(j);
		return;
	}
	j->len += (size_t)n;
	j->buf[j->len] = '\0';
	while ((nl = memchr(j->buf, '\n', j->len))) {
		*nl = '\0';
		job_line(j, j->buf);
		j->len -= (size_t)(nl + 1 - j->buf);
		memmove(j->buf, nl + 1, j->len);
	}
}

int job_start(struct conn *c, const struct frame *req, const struct store *s, int fd, job_fn fn,
	      void *arg, struct err *err)
{
	struct job *j;
	int pipefd[2];
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC | O_NONBLOCK) < 0) {
		if (fd >= 0)
			close(fd);
		return err_sys(err, "pipe");
	}
	pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		if (fd >= 0)
			close(fd);
		return err_sys(err, "fork a worker");
	}
	if (pid == 0) {
		int flags;

		close(pipefd[0]);
		/* a worker never outlives imaged: a restart cleans what it left */
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		flags = fcntl(pipefd[1], F_GETFL);
		fcntl(pipefd[1], F_SETFL, flags & ~O_NONBLOCK);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		fn(s, fd, pipefd[1], arg);
		_exit(0);
	}
	close(pipefd[1]);
	if (fd >= 0)
		close(fd);
	j = xzalloc(sizeof(*j));
	j->ctx = imaged_of(c);
	j->c = c;
	j->type = req->type;
	j->id = req->id;
	j->pid = pid;
	j->fd = pipefd[0];
	uv_poll_init(c->srv->loop, &j->poll, j->fd);
	j->poll.data = j;
	uv_poll_start(&j->poll, UV_READABLE | UV_DISCONNECT, on_job_output);
	j->next = j->ctx->jobs;
	j->ctx->jobs = j;
	return 0;
}

void job_conn_closed(struct conn *c)
{
	for (struct job *j = imaged_of(c)->jobs; j; j = j->next)
		if (j->c == c) {
			j->c = NULL;
			kill(j->pid, SIGTERM);
		}
}
