#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "addr.h"
#include "server.h"
#include "service.h"
#include "tags.h"

/* Stop reading from a peer that does not read its replies. */
#define CONN_MAX_QUEUED (64u * 1024 * 1024)
/* Reads per readiness callback, so one busy peer cannot starve the others. */
#define CONN_READS_PER_WAKEUP 16

#define OWN_ANY OWN_MINE
#define OWN_CONTAINERD OWN_OTHER
#define OWN_IMAGED OWN_OTHER
#define OWN_NETD OWN_OTHER
#define OWN_SHIM OWN_OTHER
#define DISPATCH_EMIT DISPATCH_DECL
#include "proto/dispatch_gen.h"
#undef DISPATCH_EMIT

static const struct dispatch_entry common_table[] = {
#define DISPATCH_EMIT DISPATCH_ENTRY
#include "proto/dispatch_gen.h"
#undef DISPATCH_EMIT
    {0, NULL, 0, 0, 0},
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void server_init(struct server *s, uv_loop_t *loop, const struct server_ops *ops, void *ctx)
{
	memset(s, 0, sizeof(*s));
	s->loop = loop;
	s->ops = ops;
	s->ctx = ctx;
	s->lfd = -1;
	s->apid_uid = (uid_t)-1; /* no peer has it */
	s->started_ms = now_ms();
	LIST_INIT(&s->conns);
}

/* ---- connections ---- */

static void conn_update_events(struct conn *c);

static void on_conn_closed(uv_handle_t *h)
{
	struct conn *c = h->data;

	if (c->srv->ops->conn_closed)
		c->srv->ops->conn_closed(c);
	close(c->fd);
	frame_reader_free(&c->rd);
	frame_writer_free(&c->wr);
	free(c->peer_name);
	policy_who_free(&c->who);
	free(c->audit_target);
	free(c);
}

void conn_close(struct conn *c, const char *why)
{
	if (c->closing)
		return;
	c->closing = true;
	if (why)
		log_info("closing connection from pid %d (%s): %s", (int)c->cred.pid,
			 c->peer_name ? c->peer_name : "no hello", why);
	LIST_REMOVE(c, link);
	c->srv->nconns--;
	uv_poll_stop(&c->poll);
	uv_close((uv_handle_t *)&c->poll, on_conn_closed);
}

static void conn_flush(struct conn *c)
{
	struct err err = ERR_INIT;
	int r;

	if (c->closing)
		return;
	r = frame_writer_flush(&c->wr, c->fd, &err);
	if (r < 0) {
		conn_close(c, err_msg(&err));
		err_clear(&err);
		return;
	}
	if (r == 1 && c->close_when_flushed) {
		conn_close(c, NULL);
		return;
	}
	conn_update_events(c);
}

static void conn_push(struct conn *c, uint16_t type, uint16_t flags, uint32_t id, struct pbuf *pb,
		      const int *fds, unsigned nfds)
{
	if (c->closing) {
		if (pb)
			pb_free(pb);
		for (unsigned i = 0; i < nfds; i++)
			close(fds[i]);
		return;
	}
	frame_writer_push(&c->wr, type, flags, id, pb, fds, nfds);
	conn_flush(c);
}

void conn_reply(struct conn *c, const struct frame *req, struct pbuf *pb, const int *fds,
		unsigned nfds)
{
	conn_push(c, req->type, PF_REPLY, req->id, pb, fds, nfds);
}

void conn_reply_json(struct conn *c, const struct frame *req, cJSON *doc, const int *fds,
		     unsigned nfds)
{
	char *text = cJSON_PrintUnformatted(doc);
	struct pbuf pb;

	cJSON_Delete(doc);
	pb_init(&pb);
	pb_put_str(&pb, TAG_JSON, text ? text : "null");
	free(text);
	conn_reply(c, req, &pb, fds, nfds);
}

void conn_stream(struct conn *c, const struct frame *req, struct pbuf *pb, bool end)
{
	conn_push(c, req->type, PF_REPLY | PF_STREAM | (end ? PF_END : 0), req->id, pb, NULL, 0);
}

void conn_error(struct conn *c, const struct frame *req, const struct err *e)
{
	struct pbuf pb;

	pb_init(&pb);
	pb_put_u32(&pb, TAG_ERR_CODE, (uint32_t)(e->code ? e->code : EIO));
	pb_put_str(&pb, TAG_ERR_MSG, err_msg(e));
	conn_push(c, req->type, PF_REPLY | PF_ERROR, req->id, &pb, NULL, 0);
}

static void conn_fail(struct conn *c, const struct frame *req, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void conn_fail(struct conn *c, const struct frame *req, int code, const char *fmt, ...)
{
	struct err e = {code, NULL};
	va_list ap;

	va_start(ap, fmt);
	e.msg = xvasprintf(fmt, ap);
	va_end(ap);
	conn_error(c, req, &e);
	err_clear(&e);
}

static const struct dispatch_entry *find_entry(const struct dispatch_entry *t, uint16_t type)
{
	for (; t && t->type; t++)
		if (t->type == type)
			return t;
	return NULL;
}

/* ---- authorization and audit (berth-policy(5)) ---- */

static bool is_client(const struct conn *c)
{
	return c->role == ROLE_CLIENT || c->role == ROLE_APID;
}

/* A refusal names whom it refuses; the audit record says denied. */
int conn_deny(struct conn *c, struct err *err)
{
	c->denied = true;
	return err_wrap(err, "denied to %s", policy_who_name(&c->who));
}

/* A client's request that WRITES: the ones authorized and audited. */
static bool guarded(const struct conn *c, const struct frame *f)
{
	return c->srv->policy && is_client(c) && msg_writes(f->type);
}

/* Find a guarded request's profile; a read-only one stops here. */
static int authorize(struct conn *c, struct frame *f, struct err *err)
{
	struct server *s = c->srv;

	c->profile = NULL;
	c->denied = false;
	free(c->audit_target);
	c->audit_target = NULL;
	if (!guarded(c, f))
		return 0;
	policy_refresh(s->policy);
	c->profile = policy_profile_for(s->policy, &c->who, err);
	if (!c->profile || policy_check_write(c->profile, msg_name(f->type), err) < 0)
		return conn_deny(c, err);
	return 0;
}

int conn_authorize(struct conn *c,
		   int (*fn)(const struct policy_profile *, const cJSON *, struct err *),
		   const cJSON *req, struct err *err)
{
	if (!c->profile || fn(c->profile, req, err) == 0)
		return 0;
	return conn_deny(c, err);
}

int conn_authorize_image(struct conn *c, const char *ref, struct err *err)
{
	if (!c->profile || policy_check_image(c->profile, ref, err) == 0)
		return 0;
	return conn_deny(c, err);
}

void conn_audit_target(struct conn *c, const char *target)
{
	free(c->audit_target);
	c->audit_target = target ? xstrdup(target) : NULL;
}

/* The object a request is about: its reference, else the name in its JSON. */
static char *request_target(struct conn *c, struct frame *f)
{
	struct err ignore = ERR_INIT;
	char *ref = NULL, *text = NULL;
	cJSON *doc;
	const char *t = NULL;

	if (c->audit_target)
		return xstrdup(c->audit_target);
	if (p_get_str(f->payload, f->len, TAG_REF, &ref, &ignore) > 0 ||
	    p_get_str(f->payload, f->len, TAG_NAME, &ref, &ignore) > 0) {
		err_clear(&ignore);
		return ref;
	}
	err_clear(&ignore);
	if (p_get_str(f->payload, f->len, TAG_JSON, &text, &ignore) <= 0) {
		err_clear(&ignore);
		return xstrdup("");
	}
	doc = cJSON_Parse(text);
	free(text);
	t = cJSON_GetStringValue(cJSON_GetObjectItem(doc, "Name"));
	if (!t || !*t)
		t = cJSON_GetStringValue(cJSON_GetObjectItem(doc, "name"));
	if (!t || !*t)
		t = cJSON_GetStringValue(
		    cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "Config"), "Image"));
	ref = xstrdup(t ? t : "");
	cJSON_Delete(doc);
	return ref;
}

cJSON *event_new(const char *type, const char *action, const char *id, cJSON **attrs)
{
	cJSON *e = cJSON_CreateObject(), *actor;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	cJSON_AddStringToObject(e, "status", action);
	cJSON_AddStringToObject(e, "id", id);
	cJSON_AddStringToObject(e, "Type", type);
	cJSON_AddStringToObject(e, "Action", action);
	actor = cJSON_AddObjectToObject(e, "Actor");
	cJSON_AddStringToObject(actor, "ID", id);
	*attrs = cJSON_AddObjectToObject(actor, "Attributes");
	cJSON_AddNumberToObject(e, "time", (double)ts.tv_sec);
	cJSON_AddNumberToObject(e, "timeNano",
				(double)((long long)ts.tv_sec * 1000000000ll + ts.tv_nsec));
	return e;
}

void server_event(struct server *s, const char *type, const char *action, const char *id,
		  const char *name, const char *container)
{
	cJSON *attrs, *e;

	if (!s->ops->audit)
		return;
	e = event_new(type, action, id ? id : "", &attrs);
	cJSON_AddStringToObject(attrs, "name", name ? name : "");
	if (!strcmp(type, "network"))
		cJSON_AddStringToObject(attrs, "type", "bridge");
	else if (!strcmp(type, "volume"))
		cJSON_AddStringToObject(attrs, "driver", "local");
	if (container)
		cJSON_AddStringToObject(attrs, "container", container);
	s->ops->audit(s, e);
}

static cJSON *audit_event(struct conn *c, struct frame *f, const char *target,
			  const struct err *err)
{
	cJSON *attrs,
	    *e = event_new("audit", c->denied ? "denied" : "allowed", msg_name(f->type), &attrs);
	char uid[16];

	cJSON_AddStringToObject(attrs, "name", target);
	cJSON_AddStringToObject(attrs, "request", msg_name(f->type));
	cJSON_AddStringToObject(attrs, "user", policy_who_name(&c->who));
	if (c->who.uid != (uid_t)-1) {
		snprintf(uid, sizeof(uid), "%u", (unsigned)c->who.uid);
		cJSON_AddStringToObject(attrs, "uid", uid);
	}
	if (c->who.subject)
		cJSON_AddStringToObject(attrs, "subject", c->who.subject);
	if (c->profile)
		cJSON_AddStringToObject(attrs, "profile", c->profile->name);
	cJSON_AddStringToObject(attrs, "daemon", c->srv->ops->name);
	if (c->denied)
		cJSON_AddStringToObject(attrs, "reason", err_msg(err));
	return e;
}

/* Every client request that WRITES: who, what, allowed or denied, to the log and as an event. */
static void audit(struct conn *c, struct frame *f, const struct err *err)
{
	cleanup_free char *target = NULL;

	if (!guarded(c, f))
		return;
	target = request_target(c, f);
	if (c->denied)
		log_warnx("audit: %s %s: %s", msg_name(f->type), target, err_msg(err));
	else
		log_info("audit: %s %s by %s (profile %s): allowed", msg_name(f->type), target,
			 policy_who_name(&c->who), c->profile ? c->profile->name : "?");
	if (c->srv->ops->audit)
		c->srv->ops->audit(c->srv, audit_event(c, f, target, err));
}

static void dispatch(struct conn *c, struct frame *f)
{
	const struct server_ops *ops = c->srv->ops;
	const struct dispatch_entry *e;
	struct err err = ERR_INIT;

	if (f->flags != 0) {
		conn_close(c, "request frame carries reply flags");
		return;
	}
	e = find_entry(common_table, f->type);
	if (!e)
		e = find_entry(ops->table, f->type);
	if (!e) {
		if (msg_lookup(f->type))
			conn_fail(c, f, ENOSYS, "%s is not served by %s", msg_name(f->type),
				  ops->name);
		else
			conn_fail(c, f, ENOSYS, "unknown message type 0x%04x", f->type);
		return;
	}
	if (!c->role && f->type != MSG_HELLO) {
		conn_fail(c, f, EPROTO, "%s before hello", msg_name(f->type));
		c->close_when_flushed = true;
		conn_flush(c);
		return;
	}
	/* apid's requests are a client's, checked for the one it acts for */
	if (c->role && !(e->roles & (c->role == ROLE_APID ? ROLE_CLIENT : c->role))) {
		conn_fail(c, f, EACCES, "%s is not allowed for role %s", msg_name(f->type),
			  role_name(c->role));
		return;
	}
	if (f->len < e->min_len || f->len > e->max_len) {
		conn_fail(c, f, EMSGSIZE, "%s payload of %u bytes is outside %u..%u",
			  msg_name(f->type), f->len, e->min_len, e->max_len);
		return;
	}
	if (fields_validate(f->payload, f->len, &err) < 0) {
		char *why = xasprintf("malformed %s payload: %s", msg_name(f->type), err_msg(&err));

		conn_close(c, why);
		free(why);
		err_clear(&err);
		return;
	}
	log_debug("%s from pid %d", msg_name(f->type), (int)c->cred.pid);
	if (authorize(c, f, &err) < 0 || e->fn(c, f, &err) < 0) {
		log_debug("%s failed: %s", msg_name(f->type), err_msg(&err));
		conn_error(c, f, &err);
	}
	audit(c, f, &err);
	err_clear(&err);
}

static void conn_read(struct conn *c)
{
	struct err err = ERR_INIT;

	for (int i = 0; i < CONN_READS_PER_WAKEUP && !c->closing; i++) {
		struct frame f;
		int r = frame_reader_recv(&c->rd, c->fd, &err);

		if (r == -EAGAIN)
			break;
		if (r < 0) {
			conn_close(c, err_msg(&err));
			break;
		}
		if (r == 0) {
			conn_close(c, frame_reader_partial(&c->rd)
					  ? "peer went away in the middle of a frame"
					  : NULL);
			break;
		}
		while (!c->closing && (r = frame_reader_next(&c->rd, &f, &err)) == 1) {
			dispatch(c, &f);
			frame_release(&f);
		}
		if (r < 0) {
			conn_close(c, err_msg(&err));
			break;
		}
		if (c->wr.queued >= CONN_MAX_QUEUED)
			break;
	}
	err_clear(&err);
}

static void on_conn_event(uv_poll_t *p, int status, int events)
{
	struct conn *c = p->data;

	if (status < 0) {
		conn_close(c, uv_strerror(status));
		return;
	}
	if (events & UV_WRITABLE)
		conn_flush(c);
	if (!c->closing && (events & (UV_READABLE | UV_DISCONNECT)))
		conn_read(c);
	if (!c->closing)
		conn_update_events(c);
}

static void conn_update_events(struct conn *c)
{
	int ev = 0;

	if (c->closing)
		return;
	if (!c->close_when_flushed && c->wr.queued < CONN_MAX_QUEUED)
		ev |= UV_READABLE;
	if (!frame_writer_empty(&c->wr))
		ev |= UV_WRITABLE;
	if (ev == c->events)
		return;
	c->events = ev;
	uv_poll_start(&c->poll, ev, on_conn_event);
}

/* A peer may connect when it is root or in the socket's group. */
static bool peer_in_group(pid_t pid, gid_t gid)
{
	char path[64], line[4096];
	cleanup_fclose FILE *f = NULL;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		char *p, *end;

		if (strncmp(line, "Groups:", 7) != 0)
			continue;
		for (p = line + 7;; p = end) {
			unsigned long g = strtoul(p, &end, 10);

			if (end == p)
				break;
			if ((gid_t)g == gid)
				return true;
		}
	}
	return false;
}

int server_adopt(struct server *s, int fd, struct err *err)
{
	struct conn *c = xzalloc(sizeof(*c));
	socklen_t len = sizeof(c->cred);
	int flags;

	c->srv = s;
	c->fd = fd;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c->cred, &len) < 0) {
		free(c);
		close(fd);
		return err_sys(err, "SO_PEERCRED");
	}
	if (c->cred.uid != 0 &&
	    (s->gid == 0 || (c->cred.gid != s->gid && !peer_in_group(c->cred.pid, s->gid)))) {
		int r =
		    err_set(err, EACCES, "refusing uid %u (pid %d): not root and not in group %u",
			    (unsigned)c->cred.uid, (int)c->cred.pid, (unsigned)s->gid);
		free(c);
		close(fd);
		return r;
	}
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		int r = err_sys(err, "set O_NONBLOCK");
		free(c);
		close(fd);
		return r;
	}
	frame_reader_init(&c->rd);
	frame_writer_init(&c->wr);
	uv_poll_init(s->loop, &c->poll, fd);
	c->poll.data = c;
	LIST_INSERT_HEAD(&s->conns, c, link);
	s->nconns++;
	conn_update_events(c);
	return 0;
}

static void on_accept(uv_poll_t *p, int status, int events)
{
	struct server *s = p->data;

	for (int i = 0; i < 64; i++) {
		struct err err = ERR_INIT;
		int fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_warn("accept");
			return;
		}
		if (server_adopt(s, fd, &err) < 0)
			log_warnx("%s", err_msg(&err));
		err_clear(&err);
	}
}

/* ---- listening socket ---- */

int server_listen(struct server *s, const char *path, gid_t gid, struct err *err)
{
	int r;

	s->gid = gid;
	s->path = xstrdup(path);
	r = service_take_activated(&s->lfd, err);
	if (r != 0) {
		s->activated = r > 0;
		return r < 0 ? r : 0;
	}
	return service_listen_unix(path, gid, &s->lfd, err);
}

int server_start(struct server *s, struct err *err)
{
	int r = uv_poll_init(s->loop, &s->lpoll, s->lfd);

	if (r < 0)
		return err_set(err, -r, "uv_poll_init: %s", uv_strerror(r));
	s->lpoll.data = s;
	r = uv_poll_start(&s->lpoll, UV_READABLE, on_accept);
	if (r < 0)
		return err_set(err, -r, "uv_poll_start: %s", uv_strerror(r));
	s->polling = true;
	return 0;
}

void server_stop(struct server *s)
{
	struct conn *c;

	while ((c = LIST_FIRST(&s->conns)))
		conn_close(c, NULL);
	if (s->polling) {
		uv_poll_stop(&s->lpoll);
		uv_close((uv_handle_t *)&s->lpoll, NULL);
		s->polling = false;
	}
	if (s->lfd >= 0) {
		if (!s->activated && s->path)
			unlink(s->path);
		close(s->lfd);
		s->lfd = -1;
	}
	free(s->path);
	s->path = NULL;
}

/* ---- the messages every daemon serves ---- */

/* Who the connection's requests are from: the peer itself, or whom apid says. */
static int hello_who(struct conn *c, uint32_t role, struct frame *f, struct err *err)
{
	uint32_t uid = 0;
	int has_uid, has_subject;

	c->who.uid = c->cred.uid;
	c->who.subject = NULL;
	c->who.via_apid = role == ROLE_APID;
	if (role != ROLE_APID)
		return 0;
	has_uid = p_get_u32(f->payload, f->len, TAG_AUTH_UID, &uid, err);
	has_subject = p_get_str(f->payload, f->len, TAG_AUTH_SUBJECT, &c->who.subject, err);
	if (has_uid < 0 || has_subject < 0 || (has_uid > 0) == (has_subject > 0))
		return err_set(err, EPROTO,
			       "apid's hello names either the uid or the TLS subject it acts for");
	c->who.uid = has_uid > 0 ? (uid_t)uid : (uid_t)-1;
	return 0;
}

int h_HELLO(struct conn *c, struct frame *f, struct err *err)
{
	const struct server_ops *ops = c->srv->ops;
	uint32_t version = 0, role = 0;
	struct pbuf pb;

	if (c->role)
		return err_set(err, EPROTO, "hello sent twice");
	if (p_get_u32(f->payload, f->len, TAG_PROTO, &version, err) <= 0 ||
	    p_get_u32(f->payload, f->len, TAG_ROLE, &role, err) <= 0) {
		c->close_when_flushed = true;
		return err_set(err, EPROTO, "hello without protocol version and role");
	}
	if (version != PROTO_VERSION) {
		c->close_when_flushed = true;
		return err_set(err, EPROTO,
			       "protocol version mismatch: peer speaks %u, %s speaks %u", version,
			       ops->name, PROTO_VERSION);
	}
	if (__builtin_popcount(role) != 1 || !(role & ops->accept_roles)) {
		c->close_when_flushed = true;
		return err_set(err, EACCES, "%s does not accept peers of role %s", ops->name,
			       role_name(role));
	}
	if (role == ROLE_APID && c->cred.uid != c->srv->apid_uid) {
		c->close_when_flushed = true;
		return err_set(err, EACCES,
			       "role apid is only for berth-apid's user (uid %u, peer uid %u)",
			       (unsigned)c->srv->apid_uid, (unsigned)c->cred.uid);
	}
	if (role != ROLE_CLIENT && role != ROLE_APID && c->cred.uid != 0) {
		c->close_when_flushed = true;
		return err_set(err, EACCES, "role %s is only for root (peer uid %u)",
			       role_name(role), (unsigned)c->cred.uid);
	}
	if (hello_who(c, role, f, err) < 0) {
		c->close_when_flushed = true;
		return -err->code;
	}
	c->role = role;
	p_get_str(f->payload, f->len, TAG_NAME, &c->peer_name, err);
	pb_init(&pb);
	pb_put_u32(&pb, TAG_PROTO, PROTO_VERSION);
	pb_put_u32(&pb, TAG_ROLE, ops->role);
	pb_put_str(&pb, TAG_NAME, ops->name);
	pb_put_str(&pb, TAG_VERSION, PACKAGE_VERSION);
	pb_put_u32(&pb, TAG_PID, (uint32_t)getpid());
	conn_reply(c, f, &pb, NULL, 0);
	return 0;
}

/* PING echoes its payload, so it also measures throughput. */
int h_PING(struct conn *c, struct frame *f, struct err *err)
{
	if (c->closing)
		return 0;
	frame_writer_push_buf(&c->wr, f->type, PF_REPLY, f->id, f->buf, f->payload, f->len);
	f->buf = f->payload = NULL;
	conn_flush(c);
	return 0;
}

int h_VERSION(struct conn *c, struct frame *f, struct err *err)
{
	struct pbuf pb;

	pb_init(&pb);
	pb_put_str(&pb, TAG_NAME, c->srv->ops->name);
	pb_put_str(&pb, TAG_VERSION, PACKAGE_VERSION);
	pb_put_u32(&pb, TAG_PROTO, PROTO_VERSION);
	pb_put_u32(&pb, TAG_PID, (uint32_t)getpid());
	pb_put_u64(&pb, TAG_UPTIME, now_ms() - c->srv->started_ms);
	conn_reply(c, f, &pb, NULL, 0);
	return 0;
}

/* Who the asker is to this daemon and what profile that gives (berth info says it). */
static void add_authorization(struct conn *c, cJSON *doc)
{
	cJSON *o = cJSON_AddObjectToObject(doc, "authorization");
	const struct policy_profile *pr;
	struct err err = ERR_INIT;

	policy_refresh(c->srv->policy);
	pr = policy_profile_for(c->srv->policy, &c->who, &err);
	cJSON_AddStringToObject(o, "policy", c->srv->policy->path);
	cJSON_AddBoolToObject(o, "policy_file", c->srv->policy->exists);
	cJSON_AddStringToObject(o, "who", policy_who_name(&c->who));
	if (pr)
		cJSON_AddStringToObject(o, "profile", pr->name);
	else
		cJSON_AddStringToObject(o, "error", err_msg(&err));
	err_clear(&err);
}

int h_INFO(struct conn *c, struct frame *f, struct err *err)
{
	struct server *s = c->srv;
	cleanup_cjson cJSON *doc = cJSON_CreateObject();
	cleanup_free char *text = NULL;
	struct pbuf pb;

	cJSON_AddStringToObject(doc, "name", s->ops->name);
	cJSON_AddStringToObject(doc, "version", PACKAGE_VERSION);
	cJSON_AddNumberToObject(doc, "pid", getpid());
	cJSON_AddNumberToObject(doc, "uptime_ms", (double)(now_ms() - s->started_ms));
	cJSON_AddStringToObject(doc, "socket", s->path ? s->path : "");
	cJSON_AddBoolToObject(doc, "socket_activated", s->activated);
	cJSON_AddNumberToObject(doc, "connections", s->nconns);
	if (s->policy && is_client(c))
		add_authorization(c, doc);
	if (s->ops->info) {
		int r = s->ops->info(s, doc, err);
		if (r < 0)
			return r;
	}
	text = cJSON_PrintUnformatted(doc);
	if (!text)
		return err_set(err, ENOMEM, "cannot format info");
	pb_init(&pb);
	pb_put_str(&pb, TAG_JSON, text);
	conn_reply(c, f, &pb, NULL, 0);
	return 0;
}
