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

#include "common/cleanup.h"
#include "common/log.h"
#include "common/paths.h"
#include "common/xalloc.h"
#include "job.h"
#include "unpack.h"
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
	char *kind, *target; /* what ran and on what: the image event of a success */
	struct job *next;
};

static void job_free(uv_handle_t *h)
{
	struct job *j = h->data;

	close(j->fd);
	free(j->buf);
	free(j->kind);
	free(j->target);
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

/*
 * Docker's image events of a finished pull, push, load or import: Actor.ID
 * the reference asked for (pull, push) or each image the result names.
 */
static void job_event(struct job *j, const char *result)
{
	static const char *const kinds[] = {"pull", "push", "load", "import"};
	cleanup_cjson cJSON *doc = NULL;
	const cJSON *it;
	bool known = false;

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		known = known || !strcmp(j->kind, kinds[i]);
	if (!known || !j->c)
		return;
	if (j->target && *j->target) {
		server_event(j->c->srv, "image", j->kind, j->target, j->target, NULL);
		return;
	}
	doc = cJSON_Parse(result);
	cJSON_ArrayForEach (it, cJSON_GetObjectItem(doc, "loaded"))
		if (cJSON_GetStringValue(it))
			server_event(j->c->srv, "image", j->kind, it->valuestring, it->valuestring,
				     NULL);
	if (cJSON_GetStringValue(cJSON_GetObjectItem(doc, "id")))
		server_event(j->c->srv, "image", j->kind,
			     cJSON_GetStringValue(cJSON_GetObjectItem(doc, "id")),
			     cJSON_GetStringValue(cJSON_GetObjectItem(doc, "id")), NULL);
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
		job_event(j, line + 1);
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

int job_start(struct conn *c, const struct frame *req, const struct store *s, int fd,
	      const char *kind, const char *args, struct err *err)
{
	cleanup_free char *worker = paths_program("berth-imaged-worker", LIBEXECDIR);
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

		/* a worker never outlives imaged: a restart cleans what it left */
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		flags = fcntl(pipefd[1], F_GETFL);
		fcntl(pipefd[1], F_SETFL, flags & ~O_NONBLOCK);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		/* the input as fd 3 (when there is one), the messages on fd 4 */
		if (fd < 0)
			fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fds_to_3_4(fd, pipefd[1]) < 0)
			_exit(2);
		execl(worker, "berth-imaged-worker", kind, s->dir, args ? args : "{}",
		      (char *)NULL);
		dprintf(4, "E%d exec %s: %s\n", errno, worker, strerror(errno));
		_exit(2);
	}
	close(pipefd[1]);
	if (fd >= 0)
		close(fd);
	j = xzalloc(sizeof(*j));
	j->ctx = imaged_of(c);
	j->c = c;
	j->type = req->type;
	j->id = req->id;
	j->kind = xstrdup(kind);
	{
		struct err ignore = ERR_INIT;

		if (p_get_str(req->payload, req->len, TAG_REF, &j->target, &ignore) <= 0)
			j->target = NULL;
		err_clear(&ignore);
	}
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
