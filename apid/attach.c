/*
 * Hijacked streams: attach and exec start. The connection becomes the
 * container's stdin and its output (stdcopy frames unless it has a
 * terminal); the client's half-close closes the container's stdin.
 *
 * docker run attaches before it starts the container. An attach to a
 * created (or exited: compose's up) container waits here; the start through
 * apid then starts it with its stream handed to that attach, so no output is
 * lost.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "apid.h"
#include "common/cleanup.h"
#include "common/id.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "ctl/lib/bc_session.h"
#include "ctl/lib/bclient.h"
#include "proto/tags.h"

/* How long an attach waits for a start before it gives up on a created container. */
#define PENDING_WAIT_S 3600

struct pending_attach {
	char id[65];
	pthread_cond_t cond;
	bool done;
	int fd;
	cJSON *reply;
	struct err err;
	struct pending_attach *next;
};

struct exec_rec {
	char id[65];
	char ctr[65];
	cJSON *config;
	bool running;
	bool ran;
	int exit_code;
	struct exec_rec *next;
};

/* ---- the output of a session to the client ---- */

struct sink {
	struct resp *rs;
	bool tty;
	bool want[3];
	bool broken;
};

static void out_cb(int stream, const void *data, size_t n, void *arg)
{
	struct sink *s = arg;
	int r;

	stream = stream == 2 ? 2 : 1;
	if (s->broken || !s->want[stream])
		return;
	r = s->tty ? conn_write_all(s->rs->c, data, n) : resp_stdcopy(s->rs, stream, data, n);
	if (r < 0)
		s->broken = true;
}

static int pump(struct resp *rs, int fd, uint32_t req_id, uint32_t exec_id, bool tty, bool in,
		bool want_out, bool want_err, int *code)
{
	struct sink sk = {.rs = rs, .tty = tty, .want = {false, want_out, want_err}};
	struct session s = {
	    .fd = fd,
	    .req_id = req_id,
	    .exec_id = exec_id,
	    .stdin = in,
	    .in = rs->c->fd,
	    .output = out_cb,
	    .arg = &sk,
	};
	struct err err = ERR_INIT;
	int r;

	if (!in)
		s.in = -1;
	/* what the client sent right behind its request is the first of its stdin */
	if (in && rs->c->rest_len) {
		session_send_stdin(&s, rs->c->rest, rs->c->rest_len);
		free(rs->c->rest);
		rs->c->rest = NULL;
		rs->c->rest_len = 0;
	}
	*code = -1;
	r = session_run(&s, code, &err);
	if (r < 0)
		log_debug("session: %s", err_msg(&err));
	err_clear(&err);
	/* the stream ends: say so to a client that half-closed and waits for EOF */
	shutdown(rs->c->fd, SHUT_WR);
	return r;
}

/* ---- attach ---- */

static struct pending_attach *pending_add(struct apid *a, const char *id)
{
	struct pending_attach *p = xzalloc(sizeof(*p));

	snprintf(p->id, sizeof(p->id), "%s", id);
	pthread_cond_init(&p->cond, NULL);
	p->fd = -1;
	p->err = (struct err)ERR_INIT;
	p->next = a->pending;
	a->pending = p;
	return p;
}

static void pending_remove(struct apid *a, struct pending_attach *p)
{
	for (struct pending_attach **pp = &a->pending; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
}

bool attach_hand_start(struct apid *a, const char *ref, struct err *err, bool *handed)
{
	cleanup_cjson cJSON *inspect = NULL, *out = NULL;
	struct pending_attach *p;
	const char *id;
	int fd = -1;

	*handed = false;
	if (bc_inspect(&a->paths, ref, &inspect, err) < 0) {
		return true;
	}
	id = cJSON_GetStringValue(cJSON_GetObjectItem(inspect, "Id"));
	pthread_mutex_lock(&a->lock);
	for (p = a->pending; p && (!id || strcmp(p->id, id) || p->done); p = p->next)
		;
	if (p)
		pending_remove(a, p);
	pthread_mutex_unlock(&a->lock);
	if (!p)
		return false;
	if (bc_start(&a->paths, id, true, &out, &fd, err) < 0) {
		/* the attach is told too */
		pthread_mutex_lock(&a->lock);
		err_set(&p->err, err->code, "%s", err_msg(err));
	} else {
		pthread_mutex_lock(&a->lock);
		p->fd = fd;
		p->reply = out;
		out = NULL;
	}
	p->done = true;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&a->lock);
	*handed = true;
	return err_isset(err);
}

/* Is the container running now (started by someone else than apid)? */
static bool started_elsewhere(struct apid *a, const char *id, const char *was)
{
	cleanup_cjson cJSON *inspect = NULL;
	struct err err = ERR_INIT;
	const char *state;

	if (bc_inspect(&a->paths, id, &inspect, &err) < 0) {
		err_clear(&err);
		return true; /* gone: stop waiting */
	}
	state = cJSON_GetStringValue(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(inspect, "State"), "Status"));
	return !state || strcmp(state, was);
}

/*
 * A created or exited container: wait for its start through apid, which hands the
 * stream over; once a second, whether another client started it (then
 * attach as to a running one: 1).
 */
static int wait_for_start(struct apid *a, const char *id, const char *was, int *fd, cJSON **reply)
{
	struct pending_attach *p;
	unsigned waited = 0;
	int r;

	pthread_mutex_lock(&a->lock);
	p = pending_add(a, id);
	while (!p->done && waited < PENDING_WAIT_S) {
		struct timespec until;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 1;
		pthread_cond_timedwait(&p->cond, &a->lock, &until);
		if (p->done)
			break;
		waited++;
		pthread_mutex_unlock(&a->lock);
		bool elsewhere = started_elsewhere(a, id, was);
		pthread_mutex_lock(&a->lock);
		if (elsewhere && !p->done)
			break;
	}
	if (!p->done)
		pending_remove(a, p);
	pthread_mutex_unlock(&a->lock);
	*fd = p->fd;
	*reply = p->reply;
	r = p->done ? (p->fd >= 0 ? 0 : -1) : 1;
	err_clear(&p->err);
	pthread_cond_destroy(&p->cond);
	free(p);
	return r;
}

void h_ctr_attach(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	cleanup_cjson cJSON *inspect = NULL, *out = NULL;
	struct err err = ERR_INIT;
	const cJSON *cfg;
	const char *state, *id;
	bool tty, open_stdin, in;
	int fds[PROTO_MAX_FDS];
	unsigned nfds = 0;
	struct pbuf pb;
	int code, fd = -1;

	if (bc_inspect(&a->paths, arg[0], &inspect, &err) < 0) {
		resp_err(rs, &err);
		err_clear(&err);
		return;
	}
	if (!req_query_bool(rq, "stream", false)) {
		/* logs=1 without stream: what was logged, then the end */
		resp_error(rs, 400, "attach without stream=1 is not supported; use logs");
		return;
	}
	cfg = cJSON_GetObjectItem(inspect, "Config");
	id = cJSON_GetStringValue(cJSON_GetObjectItem(inspect, "Id"));
	state = cJSON_GetStringValue(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(inspect, "State"), "Status"));
	tty = cJSON_IsTrue(cJSON_GetObjectItem(cfg, "Tty"));
	open_stdin = cJSON_IsTrue(cJSON_GetObjectItem(cfg, "OpenStdin"));
	in = open_stdin && req_query_bool(rq, "stdin", false);
	if (!id || !state) {
		resp_error(rs, 500, "berth-containerd sent an inspect without Id or State");
		return;
	}
	if (!strcmp(state, "running") || !strcmp(state, "paused")) {
		pb_init(&pb);
		pb_put_str(&pb, TAG_REF, id);
		if (bc_call(&a->paths, DAEMON_CONTAINERD, MSG_CONTAINER_ATTACH, &pb, &out, fds,
			    &nfds, &err) < 0 ||
		    nfds < 1) {
			resp_err(rs, &err);
			err_clear(&err);
			return;
		}
		fd = fds[0];
		if (resp_hijack(rs, tty ? "application/vnd.docker.raw-stream"
					: "application/vnd.docker.multiplexed-stream") < 0) {
			close(fd);
			return;
		}
	} else if (!strcmp(state, "created") || !strcmp(state, "exited")) {
		/* Docker's streams outlive a run: an attach to a stopped container gets its
		 * next one (compose attaches, then starts, on every up) */
		int w;

		if (resp_hijack(rs, tty ? "application/vnd.docker.raw-stream"
					: "application/vnd.docker.multiplexed-stream") < 0)
			return;
		w = wait_for_start(a, id, state, &fd, &out);
		if (w < 0)
			return;
		if (w == 1) {
			pb_init(&pb);
			pb_put_str(&pb, TAG_REF, id);
			if (bc_call(&a->paths, DAEMON_CONTAINERD, MSG_CONTAINER_ATTACH, &pb, &out,
				    fds, &nfds, &err) < 0 ||
			    nfds < 1) {
				err_clear(&err);
				return;
			}
			fd = fds[0];
		}
	} else {
		resp_error(rs, 409,
			   "container %s is not running: you cannot attach to a stopped container, "
			   "start it first",
			   arg[0]);
		return;
	}
	pump(rs, fd, (uint32_t)cJSON_GetNumberValue(cJSON_GetObjectItem(out, "AttachId")), 0, tty,
	     in, req_query_bool(rq, "stdout", false), req_query_bool(rq, "stderr", false), &code);
	close(fd);
}

void h_ctr_resize(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	(void)a;
	(void)rq;
	(void)arg;
	resp_error(rs, 501, "resizing a container's terminal through the API is not implemented");
}

/* ---- exec ---- */

#define EXECS_KEPT 256

/* The oldest finished exec records go once there are many (under the lock). */
static void exec_prune(struct apid *a)
{
	unsigned n = 0;

	for (struct exec_rec **pp = &a->execs; *pp;) {
		struct exec_rec *e = *pp;

		if (++n > EXECS_KEPT && !e->running) {
			*pp = e->next;
			cJSON_Delete(e->config);
			free(e);
			continue;
		}
		pp = &e->next;
	}
}

static struct exec_rec *exec_find(struct apid *a, const char *id)
{
	for (struct exec_rec *e = a->execs; e; e = e->next)
		if (!strcmp(e->id, id))
			return e;
	return NULL;
}

void h_exec_create(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	cleanup_cjson cJSON *body = body_json(rs, rq), *inspect = NULL, *o = NULL;
	struct err err = ERR_INIT;
	const cJSON *cmd;
	struct exec_rec *e;
	const char *cid, *state;

	if (!body)
		return;
	cmd = cJSON_GetObjectItem(body, "Cmd");
	if (!cJSON_IsArray(cmd) || !cJSON_GetArraySize(cmd)) {
		resp_error(rs, 400, "Cmd: an exec needs a command");
		return;
	}
	if (bc_inspect(&a->paths, arg[0], &inspect, &err) < 0) {
		resp_err(rs, &err);
		err_clear(&err);
		return;
	}
	cid = cJSON_GetStringValue(cJSON_GetObjectItem(inspect, "Id"));
	state = cJSON_GetStringValue(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(inspect, "State"), "Status"));
	if (!cid || !state || strcmp(state, "running")) {
		resp_error(rs, 409, "container %s is not running", arg[0]);
		return;
	}
	e = xzalloc(sizeof(*e));
	id_new(e->id);
	snprintf(e->ctr, sizeof(e->ctr), "%s", cid);
	e->config = body;
	body = NULL;
	pthread_mutex_lock(&a->lock);
	exec_prune(a);
	e->next = a->execs;
	a->execs = e;
	pthread_mutex_unlock(&a->lock);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "Id", e->id);
	resp_json(rs, 201, o);
}

void h_exec_inspect(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	cleanup_cjson cJSON *o = cJSON_CreateObject();
	struct exec_rec *e;

	(void)rq;
	pthread_mutex_lock(&a->lock);
	e = exec_find(a, arg[0]);
	if (e) {
		cJSON_AddStringToObject(o, "ID", e->id);
		cJSON_AddStringToObject(o, "ContainerID", e->ctr);
		cJSON_AddBoolToObject(o, "Running", e->running);
		if (e->ran || e->running)
			cJSON_AddNumberToObject(o, "ExitCode", e->exit_code);
		else
			cJSON_AddNullToObject(o, "ExitCode");
		cJSON_AddBoolToObject(o, "OpenStdin",
				      cJSON_IsTrue(cJSON_GetObjectItem(e->config, "AttachStdin")));
		cJSON_AddNumberToObject(o, "Pid", 0);
	}
	pthread_mutex_unlock(&a->lock);
	if (!e)
		resp_error(rs, 404, "No such exec instance: %s", arg[0]);
	else
		resp_json(rs, 200, o);
}

/*
 * An exec that could not start (no such user, the container gone): as
 * Docker does, a client that asked for the stream gets it upgraded and the
 * reason in it, then the exec's exit code (126) from inspect; the docker CLI
 * reads nothing but 101 on this request.
 */
static void exec_start_failed(struct resp *rs, const struct err *err, bool detach, bool tty)
{
	cleanup_free char *line = NULL;

	if (detach || !rs->req->upgrade) {
		resp_err(rs, err);
		return;
	}
	if (resp_hijack(rs, tty ? "application/vnd.docker.raw-stream"
				: "application/vnd.docker.multiplexed-stream") < 0)
		return;
	line = xasprintf("%s\r\n", err_msg(err));
	if (tty)
		conn_write_all(rs->c, line, strlen(line));
	else
		resp_stdcopy(rs, 1, line, strlen(line));
}

void h_exec_start(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	cleanup_cjson cJSON *body = body_json(rs, rq), *out = NULL, *proc = NULL;
	cleanup_free char *text = NULL;
	char ctr[65];
	struct err err = ERR_INIT;
	struct exec_rec *e;
	bool detach, tty, in;
	int fds[PROTO_MAX_FDS];
	unsigned nfds = 0;
	struct pbuf pb;
	uint32_t xid;
	int code = -1;

	if (!body)
		return;
	pthread_mutex_lock(&a->lock);
	e = exec_find(a, arg[0]);
	if (e && !e->running && !e->ran) {
		e->running = true;
		proc = cJSON_Duplicate(e->config, true);
		snprintf(ctr, sizeof(ctr), "%s", e->ctr);
	}
	pthread_mutex_unlock(&a->lock);
	if (!e) {
		resp_error(rs, 404, "No such exec instance: %s", arg[0]);
		return;
	}
	if (!proc) {
		resp_error(rs, 409, "exec %s has already run", arg[0]);
		return;
	}
	detach = cJSON_IsTrue(cJSON_GetObjectItem(body, "Detach"));
	tty = cJSON_IsTrue(cJSON_GetObjectItem(proc, "Tty"));
	in = cJSON_IsTrue(cJSON_GetObjectItem(proc, "AttachStdin")) && !detach;
	text = cJSON_PrintUnformatted(proc);
	pb_init(&pb);
	pb_put_str(&pb, TAG_REF, ctr);
	pb_put_str(&pb, TAG_JSON, text);
	if (bc_call(&a->paths, DAEMON_CONTAINERD, MSG_CONTAINER_EXEC, &pb, &out, fds, &nfds, &err) <
		0 ||
	    nfds < 1) {
		pthread_mutex_lock(&a->lock);
		e->running = false;
		e->ran = true;
		e->exit_code = 126;
		pthread_mutex_unlock(&a->lock);
		if (!err_isset(&err))
			err_set(&err, EPROTO, "berth-containerd did not hand over the exec");
		exec_start_failed(rs, &err, detach, tty);
		err_clear(&err);
		return;
	}
	xid = (uint32_t)cJSON_GetNumberValue(cJSON_GetObjectItem(out, "ExecId"));
	if (detach) {
		struct session s = {
		    .fd = fds[0], .req_id = xid, .exec_id = xid, .until_started = true, .in = -1};

		session_close_stdin(&s);
		if (session_run(&s, &code, &err) < 0) {
			resp_err(rs, &err);
			err_clear(&err);
		} else {
			resp_empty(rs, 200);
		}
		close(fds[0]);
		/* its exit is not watched: inspect says it runs until it is gone */
		return;
	}
	if (resp_hijack(rs, tty ? "application/vnd.docker.raw-stream"
				: "application/vnd.docker.multiplexed-stream") == 0) {
		struct session s = {.fd = fds[0], .req_id = xid, .exec_id = xid, .in = -1};

		if (!in)
			session_close_stdin(&s);
		pump(rs, fds[0], xid, xid, tty, in,
		     cJSON_IsTrue(cJSON_GetObjectItem(proc, "AttachStdout")),
		     cJSON_IsTrue(cJSON_GetObjectItem(proc, "AttachStderr")), &code);
	}
	close(fds[0]);
	pthread_mutex_lock(&a->lock);
	e->running = false;
	e->ran = true;
	e->exit_code = code;
	pthread_mutex_unlock(&a->lock);
}

void h_exec_resize(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	h_ctr_resize(a, rs, rq, arg);
}
