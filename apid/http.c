/*
 * The HTTP front: accept on the listening socket, read and parse requests
 * on the loop, bound their size, and run each complete one on a thread of
 * its own (which owns the connection until it answered); the thread hands
 * the connection back through done_async.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "apid.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "ctl/lib/bclient.h"

#define READ_CHUNK 65536
#define MAX_HEADERS 128
#define MAX_CONNS 1024

static void conn_read_cb(uv_poll_t *h, int status, int events);

static void req_free(struct request *r)
{
	for (unsigned i = 0; i < r->nhdrs; i++) {
		free(r->hdrs[i].name);
		free(r->hdrs[i].value);
	}
	free(r->hdrs);
	free(r->method);
	free(r->url);
	free(r->path);
	free(r->query);
	free(r->version);
	if (r->body_mapped)
		munmap(r->body, r->body_len);
	else
		free(r->body);
	if (r->spool && r->body_len)
		close(r->body_fd);
	memset(r, 0, sizeof(*r));
}

const char *req_header(const struct request *r, const char *name)
{
	for (unsigned i = 0; i < r->nhdrs; i++)
		if (!strcasecmp(r->hdrs[i].name, name))
			return r->hdrs[i].value;
	return NULL;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* %XX and + decoded; NULL when an escape is malformed or decodes to NUL. */
static char *url_decode(const char *s, size_t n)
{
	char *out = xmalloc(n + 1), *o = out;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%') {
			int hi = i + 2 < n ? hexval(s[i + 1]) : -1;
			int lo = i + 2 < n ? hexval(s[i + 2]) : -1;

			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
				free(out);
				return NULL;
			}
			*o++ = (char)(hi * 16 + lo);
			i += 2;
		} else {
			*o++ = s[i] == '+' ? ' ' : s[i];
		}
	}
	*o = '\0';
	return out;
}

char *req_query(const struct request *r, const char *name)
{
	return req_query_nth(r, name, 0);
}

char *req_query_nth(const struct request *r, const char *name, unsigned n)
{
	size_t len = strlen(name);
	const char *p = r->query;

	while (p && *p) {
		size_t seg = strcspn(p, "&");

		if (seg >= len && !strncmp(p, name, len) && (seg == len || p[len] == '=') && !n--)
			return seg == len ? xstrdup("") : url_decode(p + len + 1, seg - len - 1);
		p += seg;
		if (*p == '&')
			p++;
	}
	return NULL;
}

bool req_query_bool(const struct request *r, const char *name, bool def)
{
	char *v = req_query(r, name);
	bool b;

	if (!v)
		return def;
	b = !strcmp(v, "1") || !strcasecmp(v, "true") || !strcmp(v, "");
	free(v);
	return b;
}

long long req_query_int(const struct request *r, const char *name, long long def)
{
	char *v = req_query(r, name), *end;
	long long n;

	if (!v || !*v) {
		free(v);
		return def;
	}
	n = strtoll(v, &end, 10);
	if (*end)
		n = def;
	free(v);
	return n;
}

/* ---- parser callbacks ---- */

static void append(char **dst, size_t *len, const char *at, size_t n)
{
	*dst = xrealloc(*dst, *len + n + 1);
	memcpy(*dst + *len, at, n);
	*len += n;
	(*dst)[*len] = '\0';
}

static int bad(struct conn *c, int status, const char *why)
{
	c->bad = why;
	c->bad_status = status;
	return 1;
}

static int count_header(struct conn *c, size_t n)
{
	c->header_bytes += n;
	return c->header_bytes > APID_MAX_HEADER
		   ? bad(c, 431, "the request line and headers are over 64 KiB")
		   : 0;
}

static int on_url(http_parser *p, const char *at, size_t n)
{
	struct conn *c = p->data;
	size_t len = c->req.url ? strlen(c->req.url) : 0;

	if (count_header(c, n))
		return 1;
	append(&c->req.url, &len, at, n);
	return 0;
}

static int on_header_field(http_parser *p, const char *at, size_t n)
{
	struct conn *c = p->data;
	struct request *r = &c->req;
	size_t len;

	if (count_header(c, n))
		return 1;
	if (c->in_header_value || !r->nhdrs) {
		if (r->nhdrs >= MAX_HEADERS)
			return bad(c, 431, "more than 128 headers");
		r->hdrs = xrealloc(r->hdrs, (r->nhdrs + 1) * sizeof(*r->hdrs));
		r->hdrs[r->nhdrs].name = NULL;
		r->hdrs[r->nhdrs].value = xstrdup("");
		r->nhdrs++;
		c->in_header_value = false;
	}
	len = r->hdrs[r->nhdrs - 1].name ? strlen(r->hdrs[r->nhdrs - 1].name) : 0;
	append(&r->hdrs[r->nhdrs - 1].name, &len, at, n);
	return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t n)
{
	struct conn *c = p->data;
	struct request *r = &c->req;
	size_t len;

	if (count_header(c, n))
		return 1;
	c->in_header_value = true;
	len = strlen(r->hdrs[r->nhdrs - 1].value);
	append(&r->hdrs[r->nhdrs - 1].value, &len, at, n);
	return 0;
}

/* "/v1.45/containers/json?all=1" into version, path and query. */
static int split_url(struct request *r)
{
	const char *u = r->url, *q;

	if (!u || u[0] != '/')
		return -1;
	if (!strncmp(u, "/v", 2) && u[2] >= '0' && u[2] <= '9') {
		size_t n = strcspn(u + 2, "/?");

		r->version = xstrndup(u + 2, n);
		u += 2 + n;
		if (!*u)
			u = "/";
	}
	q = strchr(u, '?');
	r->path = q ? url_decode(u, (size_t)(q - u)) : url_decode(u, strlen(u));
	if (!r->path)
		return -1;
	if (q)
		r->query = xstrdup(q + 1);
	return 0;
}

/* Routes whose body is an archive, of any size: docker load, import, build, cp into. */
static bool archive_route(const struct request *r)
{
	const char *p = r->path;
	size_t n = strlen(p);

	if (!strcmp(r->method, "POST"))
		return !strcmp(p, "/images/load") || !strcmp(p, "/build") ||
		       !strcmp(p, "/images/create");
	return !strcmp(r->method, "PUT") && !strncmp(p, "/containers/", 12) && n > 20 &&
	       !strcmp(p + n - 8, "/archive");
}

static int on_headers_complete(http_parser *p)
{
	struct conn *c = p->data;
	struct request *r = &c->req;
	const char *conn_hdr;

	r->method = xstrdup(http_method_str((enum http_method)p->method));
	if (split_url(r) < 0)
		return bad(c, 400, "a malformed request target");
	r->spool = archive_route(r);
	if (p->content_length != ULLONG_MAX &&
	    p->content_length > (r->spool ? APID_MAX_ARCHIVE : APID_MAX_BODY))
		return bad(c, 413,
			   r->spool ? "the archive is over 256 GiB"
				    : "the request body is over 64 MiB");
	r->keep_alive = http_should_keep_alive(p);
	conn_hdr = req_header(r, "Connection");
	r->upgrade = conn_hdr && strcasestr(conn_hdr, "upgrade");
	/* an Upgrade request has no body to wait for (http_parser would stop here) */
	return 0;
}

/* An archive's bytes go to a file of their own, not to memory. */
static int spool(struct conn *c, const char *at, size_t n)
{
	struct request *r = &c->req;
	struct err err = ERR_INIT;

	if (r->body_len + n > APID_MAX_ARCHIVE)
		return bad(c, 413, "the archive is over 256 GiB");
	if (!r->body_len && (r->body_fd = apid_tmpfile(&err)) < 0) {
		log_warnx("spool a request body: %s", err_msg(&err));
		err_clear(&err);
		return bad(c, 500, "no temporary file for the request body");
	}
	for (size_t off = 0; off < n;) {
		ssize_t w = write(r->body_fd, at + off, n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			log_warn("spool a request body");
			return bad(c, 500,
				   errno == ENOSPC ? "no space left for the request body"
						   : "the request body could not be kept");
		}
		off += (size_t)w;
	}
	r->body_len += n;
	return 0;
}

static int on_body(http_parser *p, const char *at, size_t n)
{
	struct conn *c = p->data;

	if (c->req.spool)
		return spool(c, at, n);
	if (c->req.body_len + n > APID_MAX_BODY)
		return bad(c, 413, "the request body is over 64 MiB");
	append(&c->req.body, &c->req.body_len, at, n);
	return 0;
}

static int on_message_complete(http_parser *p)
{
	struct conn *c = p->data;
	struct request *r = &c->req;

	/* handlers see the archive as memory all the same (page cache, not heap) */
	if (r->spool && r->body_len) {
		void *m = mmap(NULL, r->body_len, PROT_READ, MAP_PRIVATE, r->body_fd, 0);

		if (m == MAP_FAILED)
			return bad(c, 500, "the request body could not be mapped");
		r->body = m;
		r->body_mapped = true;
	}
	c->complete = true;
	http_parser_pause(p, 1);
	return 0;
}

static const http_parser_settings settings = {
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

/* ---- connections ---- */

static void conn_free(struct conn *c)
{
	req_free(&c->req);
	free(c->rest);
	free(c->tls_subject);
	free(c);
}

static void on_poll_closed(uv_handle_t *h)
{
	struct conn *c = h->data;

	if (c->fd >= 0)
		close(c->fd);
	conn_free(c);
}

static void conn_close(struct conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	LIST_REMOVE(c, link);
	c->a->nconns--;
	uv_close((uv_handle_t *)&c->poll, on_poll_closed);
}

/* A request that cannot be parsed gets its 4xx here, on the loop (a short write). */
static void answer_bad(struct conn *c, int status, const char *why)
{
	struct resp rs = {.c = c, .req = &c->req};
	char msg[256];

	snprintf(msg, sizeof(msg), "%s", why);
	if (c->tls_subject)
		log_info("bad request from %s: %s", c->tls_subject, why);
	else if (c->peer_uid != (uid_t)-1)
		log_info("bad request from uid %u: %s", (unsigned)c->peer_uid, why);
	else
		log_info("bad request over TCP: %s", why);
	resp_error(&rs, status, "%s", msg);
	conn_close(c);
}

static void *request_thread(void *arg)
{
	struct conn *c = arg;
	struct apid *a = c->a;
	struct resp rs = {.c = c, .req = &c->req};
	/* the daemons authorize and audit the HTTP client, not apid */
	const struct client_for who = {.uid = c->peer_uid, .subject = c->tls_subject};

	bc_act_for(&who);
	route(a, &rs, &c->req);
	bc_act_for(NULL);
	c->close_after =
	    !c->req.keep_alive || rs.hijacked || (rs.sent_head && !rs.chunked && rs.status == 0);
	pthread_mutex_lock(&a->lock);
	TAILQ_INSERT_TAIL(&a->done, c, done_link);
	pthread_mutex_unlock(&a->lock);
	uv_async_send(&a->done_async);
	return NULL;
}

int thread_start(void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	pthread_t t;
	int r;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	r = pthread_create(&t, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	if (r != 0) {
		errno = r;
		return -1;
	}
	return 0;
}

static void dispatch(struct conn *c)
{
	if (c->polling) {
		uv_poll_stop(&c->poll);
		c->polling = false;
	}
	if (thread_start(request_thread, c) < 0) {
		log_warn("cannot start a thread for a request");
		answer_bad(c, 503, "berth-apid cannot take more requests now");
	}
}

/* Parse what is buffered; 1 when a request went to a thread. */
static int feed(struct conn *c, const char *data, size_t n)
{
	size_t used = http_parser_execute(&c->parser, &settings, data, n);

	if (c->bad) {
		answer_bad(c, c->bad_status, c->bad);
		return -1;
	}
	if (c->complete) {
		/* keep what follows for the next request (an upgrade's body is parsed first) */
		if (used < n) {
			free(c->rest);
			c->rest = xmalloc(n - used);
			memcpy(c->rest, data + used, n - used);
			c->rest_len = n - used;
		}
		dispatch(c);
		return 1;
	}
	if (HTTP_PARSER_ERRNO(&c->parser) != HPE_OK) {
		char why[160];

		snprintf(why, sizeof(why), "malformed HTTP: %s",
			 http_errno_description(HTTP_PARSER_ERRNO(&c->parser)));
		answer_bad(c, 400, why);
		return -1;
	}
	return 0;
}

static void conn_reset(struct conn *c)
{
	req_free(&c->req);
	c->header_bytes = 0;
	c->in_header_value = false;
	c->complete = false;
	http_parser_init(&c->parser, HTTP_REQUEST);
	c->parser.data = c;
}

static void conn_resume(struct conn *c)
{
	conn_reset(c);
	if (c->rest) {
		char *rest = c->rest;
		size_t n = c->rest_len;

		c->rest = NULL;
		c->rest_len = 0;
		int r = feed(c, rest, n);
		free(rest);
		if (r != 0)
			return;
	}
	uv_poll_start(&c->poll, UV_READABLE | UV_DISCONNECT, conn_read_cb);
	c->polling = true;
}

void http_done_cb(uv_async_t *h)
{
	struct apid *a = h->data;
	struct conn *c;

	for (;;) {
		pthread_mutex_lock(&a->lock);
		c = TAILQ_FIRST(&a->done);
		if (c)
			TAILQ_REMOVE(&a->done, c, done_link);
		pthread_mutex_unlock(&a->lock);
		if (!c)
			break;
		if (c->close_after)
			conn_close(c);
		else
			conn_resume(c);
	}
}

static void conn_read_cb(uv_poll_t *h, int status, int events)
{
	struct conn *c = h->data;
	char buf[READ_CHUNK];
	ssize_t n;

	if (status < 0) {
		conn_close(c);
		return;
	}
	n = recv(c->fd, buf, sizeof(buf), 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	feed(c, buf, (size_t)n);
	(void)events;
}

bool conn_hung_up(const struct conn *c)
{
	struct pollfd p = {.fd = c->fd, .events = POLLIN | POLLRDHUP};
	char ch;

	if (poll(&p, 1, 0) <= 0)
		return false;
	if (p.revents & (POLLRDHUP | POLLHUP | POLLERR))
		return true;
	return recv(c->fd, &ch, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

void conn_adopt(struct apid *a, int fd, uid_t peer_uid, char *tls_subject)
{
	struct conn *c;

	if (a->nconns >= MAX_CONNS) {
		log_warnx("refusing a connection: %u are open", a->nconns);
		close(fd);
		free(tls_subject);
		return;
	}
	c = xzalloc(sizeof(*c));
	c->a = a;
	c->fd = fd;
	c->peer_uid = peer_uid;
	c->tls_subject = tls_subject;
	if (uv_poll_init(&a->loop, &c->poll, fd) < 0) {
		close(fd);
		free(tls_subject);
		free(c);
		return;
	}
	c->poll.data = c;
	LIST_INSERT_HEAD(&a->conns, c, link);
	a->nconns++;
	conn_resume(c);
}

static void accept_cb(uv_poll_t *h, int status, int events)
{
	struct apid *a = h->data;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd;

	(void)events;
	if (status < 0)
		return;
	fd = accept4(a->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			log_warn("accept");
		return;
	}
	conn_adopt(a, fd,
		   getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 ? cred.uid : (uid_t)-1,
		   NULL);
}

int http_start(struct apid *a, struct err *err)
{
	int r;

	LIST_INIT(&a->conns);
	TAILQ_INIT(&a->done);
	pthread_mutex_init(&a->lock, NULL);
	r = uv_async_init(&a->loop, &a->done_async, http_done_cb);
	if (r < 0)
		return err_set(err, -r, "uv_async_init: %s", uv_strerror(r));
	a->done_async.data = a;
	r = uv_poll_init(&a->loop, &a->accept_poll, a->listen_fd);
	if (r < 0)
		return err_set(err, -r, "uv_poll_init: %s", uv_strerror(r));
	a->accept_poll.data = a;
	uv_poll_start(&a->accept_poll, UV_READABLE, accept_cb);
	return 0;
}

/* Connections a thread owns are left to it: the process is about to exit. */
void http_stop(struct apid *a)
{
	struct conn *c, *next;

	uv_close((uv_handle_t *)&a->accept_poll, NULL);
	uv_close((uv_handle_t *)&a->done_async, NULL);
	for (c = LIST_FIRST(&a->conns); c; c = next) {
		next = LIST_NEXT(c, link);
		if (c->polling)
			conn_close(c);
	}
}
