/*
 * berth-shim: one per container. Started by containerd (or by hand) with
 * the bundle and id, it detaches (new session, double fork), becomes a child
 * subreaper and serves its own socket. It creates the container with the
 * runtime core it links (no runtime binary on the start path), keeps the
 * init's stdio, writes the json-file log itself, serves attach, and records
 * the exit status when the init exits. containerd may die or restart at any
 * time: the shim and its container go on.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/atomicfile.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/safepath.h"
#include "common/xalloc.h"
#include "proto/tags.h"
#include "shim.h"

#define ATTACH_MAX_QUEUED (8u * 1024 * 1024)

static struct shim *shim_of(struct conn *c)
{
	return c->srv->ctx;
}

static int reply_json(struct conn *c, const struct frame *f, cJSON *doc)
{
	conn_reply_json(c, f, doc, NULL, 0);
	return 0;
}

static cJSON *exit_json(const struct shim *s)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "id", s->id);
	cJSON_AddNumberToObject(o, "pid", s->pid);
	cJSON_AddStringToObject(o, "status",
				!s->created  ? "new"
				: s->exited  ? "stopped"
				: s->started ? "running"
					     : "created");
	if (s->finished) {
		cJSON_AddNumberToObject(o, "exit_code", s->es.code);
		cJSON_AddNumberToObject(o, "signal", s->es.signal);
		cJSON_AddBoolToObject(o, "oom_killed", s->es.oom_killed);
	}
	cJSON_AddNumberToObject(o, "log_dropped", (double)s->log.dropped);
	return o;
}

/* ---- output: log it, and give it to whoever is attached ---- */

static void fan_out(struct shim *s, int stream, const char *buf, size_t len)
{
	for (struct waiter *w = s->attached; w; w = w->next) {
		struct frame req = {.type = w->type, .id = w->id};
		struct pbuf pb;

		/* a slow reader loses output rather than slow the container down */
		if (w->c->wr.queued > ATTACH_MAX_QUEUED)
			continue;
		pb_init(&pb);
		pb_put_u32(&pb, TAG_STREAM, (uint32_t)stream + 1);
		pb_put_bytes(&pb, TAG_DATA, buf, len);
		conn_stream(w->c, &req, &pb, false);
	}
}

static void finish(struct shim *s);

static void on_output(uv_poll_t *p, int status, int events);

/* Resume reading after a short pause (see below). */
static void on_batch(uv_timer_t *t)
{
	struct pipe_src *src = t->data;

	if (src->open)
		uv_poll_start(&src->poll, UV_READABLE | UV_DISCONNECT, on_output);
}

static void on_output(uv_poll_t *p, int status, int events)
{
	struct pipe_src *src = p->data;
	struct shim *s = src->shim;
	char *buf = s->readbuf;
	size_t got = 0;

	for (int i = 0; i < 16; i++) {
		ssize_t n = read(src->fd, buf, sizeof(s->readbuf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			/*
			 * Drained: let the (1 MiB) pipe fill for a millisecond before
			 * the next read, instead of waking for every small write of a
			 * chatty container. At most 1 ms of latency for attach.
			 */
			if (got > 0) {
				uv_poll_stop(&src->poll);
				uv_timer_start(&src->batch, on_batch, 1, 0);
			}
			logfile_flush(&s->log, false);
			return;
		}
		if (n <= 0) {
			/* EOF (EIO from a pty whose other side is gone) */
			uv_poll_stop(&src->poll);
			src->open = false;
			if (s->exited)
				finish(s);
			return;
		}
		logfile_write(&s->log, src->stream, buf, (size_t)n);
		fan_out(s, src->stream, buf, (size_t)n);
		got += (size_t)n;
	}
	logfile_flush(&s->log, false);
}

static void watch(struct shim *s, int k, int fd, int stream)
{
	struct pipe_src *src = &s->out[k];

	src->fd = fd;
	src->stream = stream;
	src->shim = s;
	src->open = true;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	/* a deeper pipe: fewer wakeups for a chatty container */
	fcntl(fd, F_SETPIPE_SZ, 1 << 20);
	uv_poll_init(&s->loop, &src->poll, fd);
	uv_timer_init(&s->loop, &src->batch);
	src->poll.data = src->batch.data = src;
	uv_poll_start(&src->poll, UV_READABLE | UV_DISCONNECT, on_output);
}

/* The exit record as JSON text (heap). */
static char *exit_text(const struct shim *s)
{
	cJSON *o = exit_json(s);
	char *text = cJSON_PrintUnformatted(o);

	cJSON_Delete(o);
	return text;
}

static void end_waiters(struct shim *s, struct waiter **list, bool stream)
{
	struct waiter *w = *list;

	*list = NULL;
	while (w) {
		struct waiter *next = w->next;
		struct frame req = {.type = w->type, .id = w->id};
		char *text = exit_text(s);
		struct pbuf pb;

		pb_init(&pb);
		pb_put_str(&pb, TAG_JSON, text);
		if (stream)
			conn_stream(w->c, &req, &pb, true);
		else
			conn_reply(w->c, &req, &pb, NULL, 0);
		free(text);
		free(w);
		w = next;
	}
}

/* The init is gone and its output drained: log, exit record, waiters. */
static void finish(struct shim *s)
{
	struct err err = ERR_INIT;
	cleanup_free char *path = NULL;
	char buf[160];
	int n;

	if (s->finished || s->out[0].open || s->out[1].open)
		return;
	s->finished = true;
	logfile_flush(&s->log, true);
	if (exit_write(s->rt_root, s->id, &s->es, &err) < 0)
		log_warnx("%s", err_msg(&err));
	err_clear(&err);
	path = xasprintf("%s/exit", s->state_dir);
	n = snprintf(buf, sizeof(buf), "{\"exit_code\":%d,\"signal\":%d,\"oom_killed\":%s}\n",
		     s->es.code, s->es.signal, s->es.oom_killed ? "true" : "false");
	if (atomic_write_file(path, buf, (size_t)n, 0644, &err) < 0)
		log_warnx("%s", err_msg(&err));
	err_clear(&err);
	end_waiters(s, &s->waiters, false);
	end_waiters(s, &s->attached, true);
}

/* ---- exec ---- */

static void exec_free(uv_handle_t *h)
{
	struct exec_proc *e = h->data;

	/* the poll handles share the struct: free it after the last closes */
	if (--e->code_refs > 0)
		return;
	free(e);
}

/*
 * The process runs once the helper writes "P<pid>": a stream frame with the
 * pid and no data tells the client (exec -d returns on it). Read when the
 * pipe says so, and at the end in case the process was quicker.
 */
static void exec_ready_close(struct exec_proc *e)
{
	char buf[32];
	ssize_t n;

	if (!e->ready_open)
		return;
	e->ready_open = false;
	n = read(e->ready_fd, buf, sizeof(buf) - 1);
	if (n > 1 && buf[0] == 'P' && e->c) {
		struct frame req = {.type = e->type, .id = e->id};
		struct pbuf pb;

		buf[n] = '\0';
		pb_init(&pb);
		pb_put_u32(&pb, TAG_PID, (uint32_t)atoi(buf + 1));
		conn_stream(e->c, &req, &pb, false);
	}
	uv_poll_stop(&e->ready_poll);
	close(e->ready_fd);
	uv_close((uv_handle_t *)&e->ready_poll, exec_free);
}

static void on_exec_ready(uv_poll_t *p, int status, int events)
{
	exec_ready_close(p->data);
}

static void exec_done(struct exec_proc *e)
{
	struct shim *s = e->shim;
	struct exec_proc **pp;

	if (!e->exited || e->open[0] || e->open[1])
		return;
	exec_ready_close(e);
	if (e->c) {
		struct frame req = {.type = e->type, .id = e->id};
		struct pbuf pb;
		char json[64];

		snprintf(json, sizeof(json), "{\"exit_code\":%d}", e->code);
		pb_init(&pb);
		pb_put_str(&pb, TAG_JSON, json);
		conn_stream(e->c, &req, &pb, true);
	}
	for (pp = &s->execs; *pp; pp = &(*pp)->next)
		if (*pp == e) {
			*pp = e->next;
			break;
		}
	if (e->stdin_fd >= 0)
		close(e->stdin_fd);
	for (int i = 0; i < 2; i++) {
		close(e->fds[i]);
		uv_close((uv_handle_t *)&e->poll[i], exec_free);
	}
}

static void on_exec_output(uv_poll_t *p, int status, int events)
{
	struct exec_proc *e = p->data;
	int k = p == &e->poll[0] ? 0 : 1;
	char buf[16384];
	ssize_t n = read(e->fds[k], buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		uv_poll_stop(p);
		e->open[k] = false;
		exec_done(e);
		return;
	}
	if (e->c) {
		struct frame req = {.type = e->type, .id = e->id};
		struct pbuf pb;

		pb_init(&pb);
		pb_put_u32(&pb, TAG_STREAM, (uint32_t)k + 1);
		pb_put_bytes(&pb, TAG_DATA, buf, (size_t)n);
		conn_stream(e->c, &req, &pb, false);
	}
}

static void close_pipes(int *const *pipes, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (int k = 0; k < 2; k++)
			if (pipes[i][k] >= 0)
				close(pipes[i][k]);
}

int h_SHIM_EXEC(struct conn *c, struct frame *f, struct err *err)
{
	struct shim *s = shim_of(c);
	cleanup_free char *text = NULL;
	cleanup_cjson cJSON *doc = NULL;
	struct spec_process proc;
	int in[2] = {-1, -1}, out[2] = {-1, -1}, errp[2] = {-1, -1}, ready[2] = {-1, -1};
	struct exec_proc *e;
	uint32_t kill_on_close = 0;
	pid_t pid;
	int r;

	if (!s->started || s->exited)
		return err_set(err, ESRCH, "container %s is not running", s->id);
	p_get_u32(f->payload, f->len, TAG_KILL_ON_CLOSE, &kill_on_close, err);
	err_clear(err);
	if (p_get_str(f->payload, f->len, TAG_JSON, &text, err) <= 0 || !(doc = cJSON_Parse(text)))
		return err_set(err, EINVAL, "shim.exec needs the process as JSON");
	r = spec_parse_process(&proc, doc, err);
	if (r < 0)
		return err_wrap(err, "exec process");
	/* with a terminal the helper runs the pty and copies it to these pipes */
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 ||
	    pipe2(ready, O_CLOEXEC | O_NONBLOCK) < 0) {
		r = err_sys(err, "pipe");
		goto fail;
	}
	pid = fork();
	if (pid < 0) {
		r = err_sys(err, "fork");
		goto fail;
	}
	if (pid == 0) {
		/* the helper: the exec's stdio, then the runtime core does the rest */
		struct err e2 = ERR_INIT;
		int code = 126;

		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		/* a group of its own, so the relay and the process go with it when asked */
		if (kill_on_close)
			setpgid(0, 0);
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(errp[1], 2);
		/* libuv's handlers write to the loop's pipe: not ours any more */
		signal(SIGCHLD, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		/* fd 3 says when the process runs; the process itself does not get it */
		dup2(ready[1], 3);
		fcntl(3, F_SETFD, FD_CLOEXEC);
		fcntl(3, F_SETFL, 0);
		/* nothing else of the shim: no write end may keep a stdin from its EOF */
		syscall(SYS_close_range, 4, ~0U, 0);
		if (container_exec(s->rt_root, s->id, &proc, false, NULL, 3, &code, &e2) < 0)
			dprintf(2, "berth-shim: exec: %s\n", err_msg(&e2));
		_exit(code);
	}
	spec_process_free(&proc);
	close(in[0]);
	close(out[1]);
	close(errp[1]);
	close(ready[1]);
	e = xzalloc(sizeof(*e));
	e->stdin_fd = in[1];
	e->shim = s;
	e->pid = pid;
	e->kill_on_close = kill_on_close != 0;
	if (kill_on_close)
		setpgid(pid, pid); /* as the child does: whichever runs first */
	e->c = c;
	e->type = f->type;
	e->id = f->id;
	e->fds[0] = out[0];
	e->fds[1] = errp[0];
	e->code_refs = 3;
	e->ready_fd = ready[0];
	e->ready_open = true;
	uv_poll_init(&s->loop, &e->ready_poll, e->ready_fd);
	e->ready_poll.data = e;
	uv_poll_start(&e->ready_poll, UV_READABLE | UV_DISCONNECT, on_exec_ready);
	for (int i = 0; i < 2; i++) {
		e->open[i] = true;
		fcntl(e->fds[i], F_SETFL, fcntl(e->fds[i], F_GETFL) | O_NONBLOCK);
		uv_poll_init(&s->loop, &e->poll[i], e->fds[i]);
		e->poll[i].data = e;
		uv_poll_start(&e->poll[i], UV_READABLE | UV_DISCONNECT, on_exec_output);
	}
	e->next = s->execs;
	s->execs = e;
	return 0;
fail:
	close_pipes((int *[]){in, out, errp, ready}, 4);
	spec_process_free(&proc);
	return r;
}

static void on_sigchld(uv_signal_t *h, int signum)
{
	struct shim *s = h->data;
	int status;
	pid_t pid;

	/* a subreaper: every orphan of the container ends up here */
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		struct err err = ERR_INIT;
		struct cgroup cg;

		for (struct exec_proc *e = s->execs; e; e = e->next)
			if (e->pid == pid) {
				e->exited = true;
				e->code = WIFEXITED(status) ? WEXITSTATUS(status)
							    : 128 + WTERMSIG(status);
				exec_done(e);
				break;
			}
		if (pid != s->pid)
			continue;
		s->exited = true;
		if (WIFEXITED(status)) {
			s->es.code = WEXITSTATUS(status);
		} else {
			s->es.signal = WTERMSIG(status);
			s->es.code = 128 + s->es.signal;
		}
		if (container_cgroup(s->rt_root, s->id, &cg, &err) == 0)
			s->es.oom_killed = cg.ops->oom_kills(&cg) > 0;
		cgroup_close(&cg);
		err_clear(&err);
		finish(s);
	}
}

/* ---- handlers ---- */

int h_SHIM_CREATE(struct conn *c, struct frame *f, struct err *err)
{
	struct shim *s = shim_of(c);
	struct container_opts o = {0};
	int in[2] = {-1, -1}, out[2] = {-1, -1}, errp[2] = {-1, -1};
	int r;

	if (s->created)
		return err_set(err, EEXIST, "container %s is already created", s->id);
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		r = err_sys(err, "pipe");
		goto out;
	}
	o.state_root = s->rt_root;
	o.id = s->id;
	o.bundle = s->bundle;
	o.has_stdio = true;
	o.stdio[0] = in[0];
	o.stdio[1] = out[1];
	o.stdio[2] = errp[1];
	s->master = -1;
	o.master_out = &s->master;
	r = container_create(&o, &s->pid, err);
	if (r < 0)
		goto out;
	s->created = true;
	if (s->master >= 0) {
		/* a terminal: the pty carries stdin and the merged output */
		s->stdin_fd = dup(s->master);
		watch(s, 0, s->master, 0);
		s->out[1].open = false;
		close(out[0]);
		close(errp[0]);
	} else {
		s->stdin_fd = in[1];
		in[1] = -1;
		watch(s, 0, out[0], 0);
		watch(s, 1, errp[0], 1);
	}
	out[0] = errp[0] = -1;
	log_info("created container %s (init pid %d)", s->id, (int)s->pid);
	r = reply_json(c, f, exit_json(s));
out:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	return r;
}

int h_SHIM_START(struct conn *c, struct frame *f, struct err *err)
{
	struct shim *s = shim_of(c);
	int r;

	if (!s->created)
		return err_set(err, ESRCH, "container %s is not created yet", s->id);
	r = container_start(s->rt_root, s->id, err);
	if (r < 0)
		return r;
	s->started = true;
	/* the spec (seccomp profile and all) was parsed and freed: give the heap back */
	malloc_trim(0);
	return reply_json(c, f, exit_json(s));
}

int h_SHIM_STATE(struct conn *c, struct frame *f, struct err *err)
{
	return reply_json(c, f, exit_json(shim_of(c)));
}

int h_SHIM_KILL(struct conn *c, struct frame *f, struct err *err)
{
	struct shim *s = shim_of(c);
	uint32_t sig = SIGTERM, all = 0;

	p_get_u32(f->payload, f->len, TAG_SIGNAL, &sig, err);
	p_get_u32(f->payload, f->len, TAG_ALL, &all, err);
	if (sig == 0 || sig >= 65)
		return err_set(err, EINVAL, "invalid signal %u", sig);
	if (!s->created || s->exited)
		return err_set(err, ESRCH, "container %s is not running", s->id);
	if (container_kill(s->rt_root, s->id, (int)sig, all != 0, err) < 0)
		return -err->code;
	return reply_json(c, f, exit_json(s));
}

static struct waiter *add_waiter(struct waiter **list, struct conn *c, const struct frame *f)
{
	struct waiter *w = xzalloc(sizeof(*w));

	w->c = c;
	w->type = f->type;
	w->id = f->id;
	w->next = *list;
	*list = w;
	return w;
}

int h_SHIM_ATTACH(struct conn *c, struct frame *f, struct err *err)
{
	struct shim *s = shim_of(c);

	if (s->finished) {
		/* nothing more will come: the log has it all */
		struct pbuf pb;
		char *text = exit_text(s);

		pb_init(&pb);
		pb_put_str(&pb, TAG_JSON, text);
		conn_stream(c, f, &pb, true);
		free(text);
		return 0;
	}
	add_waiter(&s->attached, c, f);
	return 0;
}

/* The stdin a WRITE or CLOSE_STDIN is for: the init's, or an exec's (TAG_PID = its request id). */
static int *stdin_of(struct conn *c, const struct frame *f, struct err *err)
{
	struct shim *s = shim_of(c);
	uint32_t exec_id = 0;

	if (p_get_u32(f->payload, f->len, TAG_PID, &exec_id, err) <= 0)
		return &s->stdin_fd;
	for (struct exec_proc *e = s->execs; e; e = e->next)
		if (e->c == c && e->id == exec_id)
			return &e->stdin_fd;
	err_set(err, ESRCH, "no exec %u on this connection", exec_id);
	return NULL;
}

int h_SHIM_WRITE(struct conn *c, struct frame *f, struct err *err)
{
	struct shim *s = shim_of(c);
	const uint8_t *data;
	size_t len, off = 0;
	int *fd = stdin_of(c, f, err);

	if (!fd)
		return -err->code;
	if (p_get_bytes(f->payload, f->len, TAG_DATA, &data, &len, err) <= 0)
		return err_set(err, EINVAL, "shim.write needs data");
	if (*fd < 0)
		return err_set(err, EPIPE, "stdin of %s is closed", s->id);
	while (off < len) {
		ssize_t n = write(*fd, data + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_sys(err, "write to the stdin of %s", s->id);
		off += (size_t)n;
	}
	return reply_json(c, f, cJSON_CreateObject());
}

int h_SHIM_CLOSE_STDIN(struct conn *c, struct frame *f, struct err *err)
{
	struct shim *s = shim_of(c);
	int *fd = stdin_of(c, f, err);

	if (!fd)
		return -err->code;
	if (*fd >= 0) {
		if (fd == &s->stdin_fd && s->master >= 0 && write(*fd, "\004", 1) < 0)
			log_warn("send EOF to the pty");
		close(*fd);
		*fd = -1;
	}
	return reply_json(c, f, cJSON_CreateObject());
}

int h_SHIM_WAIT(struct conn *c, struct frame *f, struct err *err)
{
	struct shim *s = shim_of(c);

	if (s->finished)
		return reply_json(c, f, exit_json(s));
	add_waiter(&s->waiters, c, f);
	return 0;
}

static void quit(struct shim *s)
{
	s->quitting = true;
	uv_stop(&s->loop);
}

int h_SHIM_DELETE(struct conn *c, struct frame *f, struct err *err)
{
	struct shim *s = shim_of(c);
	uint32_t force = 0;

	p_get_u32(f->payload, f->len, TAG_FORCE, &force, err);
	if (s->created && !s->exited && !force)
		return err_set(err, EBUSY, "container %s is running: kill it first or force",
			       s->id);
	if (s->created && container_delete(s->rt_root, s->id, force != 0, err) < 0)
		return -err->code;
	if (s->created && !s->exited && s->pid > 0) {
		/* killed by the delete: reap it here rather than leave a zombie to pid 1 */
		int status = 0;
		pid_t got = 0;

		/* bounded: a process that cannot die (frozen, stuck in D) must not hang the shim */
		for (int i = 0; i < 200 && (got = waitpid(s->pid, &status, WNOHANG)) == 0; i++) {
			struct timespec ts = {0, 10000000};

			nanosleep(&ts, NULL);
		}
		if (got == s->pid) {
			s->exited = true;
			s->es.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
			s->es.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + s->es.signal;
		}
	}
	reply_json(c, f, exit_json(s));
	quit(s);
	return 0;
}

int h_SHIM_SHUTDOWN(struct conn *c, struct frame *f, struct err *err)
{
	struct shim *s = shim_of(c);

	if (s->created && !s->finished)
		return err_set(err, EBUSY, "container %s is still running", s->id);
	reply_json(c, f, exit_json(s));
	quit(s);
	return 0;
}

int h_SHIM_RESIZE(struct conn *c, struct frame *f, struct err *err)
{
	struct shim *s = shim_of(c);
	uint32_t rows = 0, cols = 0;
	struct winsize ws = {0};

	if (s->master < 0)
		return err_set(err, ENOTTY, "container %s has no terminal", s->id);
	p_get_u32(f->payload, f->len, TAG_ROWS, &rows, err);
	p_get_u32(f->payload, f->len, TAG_COLS, &cols, err);
	if (!rows || !cols || rows > 65535 || cols > 65535)
		return err_set(err, EINVAL, "invalid terminal size %ux%u", rows, cols);
	ws.ws_row = (unsigned short)rows;
	ws.ws_col = (unsigned short)cols;
	if (ioctl(s->master, TIOCSWINSZ, &ws) < 0)
		return err_sys(err, "resize the terminal");
	return reply_json(c, f, cJSON_CreateObject());
}

static double cg_num(const char *base, const char *rel, const char *file)
{
	char dir[4096], buf[256];

	snprintf(dir, sizeof(dir), "%s/%s", base, rel);
	if (cg_read(dir, file, buf, sizeof(buf)) < 0)
		return -1;
	if (!strncmp(buf, "max", 3))
		return -1;
	return strtod(buf, NULL);
}

int h_SHIM_STATS(struct conn *c, struct frame *f, struct err *err)
{
	struct shim *s = shim_of(c);
	struct cgroup cg;
	cJSON *o;
	int r = container_cgroup(s->rt_root, s->id, &cg, err);

	if (r < 0)
		return r;
	o = cJSON_CreateObject();
	if (cg.mode == CGROUP_MODE_V2) {
		char dir[4096];

		snprintf(dir, sizeof(dir), CGROUP_ROOT "/%s", cg.path);
		cJSON_AddNumberToObject(o, "memory_usage",
					cg_num(CGROUP_ROOT, cg.path, "memory.current"));
		cJSON_AddNumberToObject(o, "memory_limit",
					cg_num(CGROUP_ROOT, cg.path, "memory.max"));
		cJSON_AddNumberToObject(o, "pids", cg_num(CGROUP_ROOT, cg.path, "pids.current"));
		cJSON_AddNumberToObject(o, "cpu_usage_ns",
					(double)cg_keyed_value(dir, "cpu.stat", "usage_usec") *
					    1000);
	} else {
		cJSON_AddNumberToObject(
		    o, "memory_usage",
		    cg_num(CGROUP_ROOT "/memory", cg.path, "memory.usage_in_bytes"));
		cJSON_AddNumberToObject(
		    o, "memory_limit",
		    cg_num(CGROUP_ROOT "/memory", cg.path, "memory.limit_in_bytes"));
		cJSON_AddNumberToObject(o, "pids",
					cg_num(CGROUP_ROOT "/pids", cg.path, "pids.current"));
		cJSON_AddNumberToObject(o, "cpu_usage_ns",
					cg_num(CGROUP_ROOT "/cpuacct", cg.path, "cpuacct.usage"));
	}
	cgroup_close(&cg);
	return reply_json(c, f, o);
}

static void drop_conn(struct waiter **list, struct conn *c)
{
	for (struct waiter **pp = list; *pp;) {
		if ((*pp)->c == c) {
			struct waiter *w = *pp;

			*pp = w->next;
			free(w);
		} else {
			pp = &(*pp)->next;
		}
	}
}

static void conn_closed(struct conn *c)
{
	struct shim *s = shim_of(c);

	for (struct exec_proc *e = s->execs; e; e = e->next)
		if (e->c == c) {
			e->c = NULL;
			/* the exec runs in a process group of its own: all of it goes */
			if (e->kill_on_close && !e->exited)
				kill(-e->pid, SIGKILL);
		}

	/* a detaching client never stops the container */
	drop_conn(&s->attached, c);
	drop_conn(&s->waiters, c);
}

static void on_sigterm(uv_signal_t *h, int signum)
{
	struct shim *s = h->data;

	/* only once the container has ended and its output is logged */
	if (!s->created || s->finished)
		quit(s);
}

/* ---- start-up ---- */

struct opts {
	bool foreground;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: berth-shim --id ID --bundle DIR --state-dir DIR [--log-path FILE|none]\n"
		"                  [--log-max-size BYTES] [--log-max-files N] [--foreground]\n"
		"\n"
		"The per-container monitor; see berth-shim(8).\n");
}

static int parse(struct shim *s, struct opts *o, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"id", required_argument, NULL, 'i'},
	    {"bundle", required_argument, NULL, 'b'},
	    {"state-dir", required_argument, NULL, 's'},
	    {"log-path", required_argument, NULL, 'l'},
	    {"log-max-size", required_argument, NULL, 'm'},
	    {"log-max-files", required_argument, NULL, 'n'},
	    {"foreground", no_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	s->log_max_size = 10u * 1024 * 1024;
	s->log_max_files = 3;
	while ((c = getopt_long(argc, argv, "f", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			s->id = optarg;
			break;
		case 'b':
			s->bundle = optarg;
			break;
		case 's':
			s->state_dir = optarg;
			break;
		case 'l':
			s->log_path = optarg;
			break;
		case 'm':
			s->log_max_size = strtoull(optarg, NULL, 10);
			break;
		case 'n':
			s->log_max_files = atoi(optarg);
			if (s->log_max_files < 1 || s->log_max_files > 100) {
				fprintf(stderr, "berth-shim: --log-max-files must be 1..100\n");
				return 2;
			}
			break;
		case 'f':
			o->foreground = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!s->id || !s->bundle || !s->state_dir || s->state_dir[0] != '/') {
		fprintf(stderr,
			"berth-shim: --id, --bundle and an absolute --state-dir are required\n");
		return 2;
	}
	return -1;
}

/* Detach: the caller gets the shim's pid once its socket answers, or the error. */
static int detach(int *ready_fd)
{
	int p[2];
	pid_t pid;
	char buf[512];
	ssize_t n;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0) {
		close(p[1]);
		n = read(p[0], buf, sizeof(buf) - 1);
		waitpid(pid, NULL, 0);
		if (n <= 0) {
			fprintf(stderr, "berth-shim: the shim died while starting\n");
			_exit(1);
		}
		buf[n] = '\0';
		if (buf[0] == 'E') {
			fprintf(stderr, "berth-shim: %s\n", buf + 1);
			_exit(1);
		}
		printf("%s\n", buf + 1);
		fflush(stdout);
		_exit(0);
	}
	close(p[0]);
	setsid();
	if (fork() > 0)
		_exit(0);
	*ready_fd = p[1];
	return 0;
}

static void ready(int fd, const char *msg)
{
	if (fd >= 0) {
		if (write(fd, msg, strlen(msg)) < 0)
			log_warn("report readiness");
		close(fd);
	}
}

int main(int argc, char **argv, char **envp)
{
	struct shim s = {0};
	struct opts o = {0};
	struct err err = ERR_INIT;
	static struct server_ops ops = {
	    .name = "berth-shim",
	    .role = ROLE_SHIM,
	    .accept_roles = ROLE_CONTAINERD | ROLE_CLIENT,
	    .table = shim_table,
	};
	cleanup_free char *sock = NULL, *pidfile = NULL, *pid = NULL;
	int ready_fd = -1, nul, rc;

	setproctitle_init(argc, argv, envp);
	rc = parse(&s, &o, argc, argv);
	if (rc >= 0)
		return rc;
	if (!o.foreground && detach(&ready_fd) < 0) {
		perror("berth-shim: detach");
		return 1;
	}
	log_init("berth-shim", o.foreground, LOG_LEVEL_INFO);
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	setproctitle("%.12s", s.id);
	if (!o.foreground && (nul = open("/dev/null", O_RDWR | O_CLOEXEC)) >= 0) {
		dup2(nul, 0);
		dup2(nul, 1);
		dup2(nul, 2);
		close(nul);
	}
	ops.conn_closed = conn_closed;
	s.stdin_fd = s.master = -1;
	s.rt_root = xasprintf("%s/rt", s.state_dir);
	if (!s.log_path)
		s.log_path = xasprintf("%s/%s-json.log", s.state_dir, s.id);
	if (mkdir_secure(s.state_dir, 0700, &err) < 0 ||
	    logfile_open(&s.log, strcmp(s.log_path, "none") ? s.log_path : NULL, s.log_max_size,
			 s.log_max_files, &err) < 0)
		goto fail;
	sock = xasprintf("%s/shim.sock", s.state_dir);
	pidfile = xasprintf("%s/shim.pid", s.state_dir);
	uv_loop_init(&s.loop);
	server_init(&s.srv, &s.loop, &ops, &s);
	if (server_listen(&s.srv, sock, 0, &err) < 0 || chmod(sock, 0600) < 0)
		goto fail;
	pid = xasprintf("%d", (int)getpid());
	if (atomic_write_file(pidfile, pid, strlen(pid), 0644, &err) < 0 ||
	    server_start(&s.srv, &err) < 0)
		goto fail;
	uv_signal_init(&s.loop, &s.sigchld);
	uv_signal_init(&s.loop, &s.sigterm);
	s.sigchld.data = s.sigterm.data = &s;
	uv_signal_start(&s.sigchld, on_sigchld, SIGCHLD);
	uv_signal_start(&s.sigterm, on_sigterm, SIGTERM);
	signal(SIGPIPE, SIG_IGN);
	{
		char msg[32];

		snprintf(msg, sizeof(msg), "O%d", (int)getpid());
		ready(ready_fd, msg);
	}
	uv_run(&s.loop, UV_RUN_DEFAULT);
	server_stop(&s.srv);
	logfile_close(&s.log);
	unlink(pidfile);
	log_info("shim for %s exits", s.id);
	return 0;
fail : {
	char *msg = xasprintf("E%s", err_msg(&err));

	if (ready_fd >= 0)
		ready(ready_fd, msg);
	else
		log_error("%s", err_msg(&err));
	free(msg);
	return 1;
}
}
