/*
 * The embedded DNS server of user-defined networks. netd listens on each
 * such network's gateway address, port 53, UDP and TCP (its containers get
 * it as their nameserver). It answers for the containers of that network
 * only, by name and by short id (A; AAAA gets an empty answer; PTR for
 * their addresses) and forwards every other question, untouched, to the
 * host's resolver ($BERTH_DNS_UPSTREAM, or the first non-loopback
 * nameserver of /etc/resolv.conf) over UDP, relaying the answer back the
 * way the question came (UDP or TCP).
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "netd.h"

#define DNS_MAX 4096
#define TTL 600

enum { T_A = 1, T_PTR = 12, T_AAAA = 28 };

struct dns_server {
	struct network *net; /* NULL once stopped */
	struct netd *n;
	uv_udp_t udp;
	uv_tcp_t tcp;
	int handles; /* open handles, plus one per forward in flight */
};

/* A question forwarded upstream: where the answer goes back. */
struct forward {
	uv_udp_t sock;
	uv_timer_t timer;
	struct dns_server *srv;
	struct sockaddr_in client;
	struct tcp_conn *tcp; /* a question that came over TCP: its connection */
	int handles;
};

struct tcp_conn {
	uv_tcp_t h;
	struct dns_server *srv;
	int refs;    /* the handle, plus one per question forwarded for it */
	bool closed; /* the handle is closed: answers are dropped */
	uint8_t buf[DNS_MAX + 2];
	size_t len;
};

/* ---- messages ---- */

/* The question's name as "a.b.c" (lower case) and its type; the question's end in *end. */
static int parse_question(const uint8_t *m, size_t len, char *name, size_t nlen, uint16_t *type,
			  size_t *end)
{
	size_t off = 12, out = 0;

	if (len < 12 || (m[2] & 0x80) || ((m[4] << 8) | m[5]) != 1)
		return -1;
	for (;;) {
		uint8_t l;

		if (off >= len)
			return -1;
		l = m[off++];
		if (l == 0)
			break;
		if (l > 63 || off + l > len || out + l + 2 > nlen)
			return -1;
		if (out)
			name[out++] = '.';
		for (uint8_t i = 0; i < l; i++)
			name[out++] = (char)tolower(m[off + i]);
		off += l;
	}
	name[out] = '\0';
	if (off + 4 > len)
		return -1;
	*type = (uint16_t)((m[off] << 8) | m[off + 1]);
	*end = off + 4;
	return 0;
}

static size_t put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return 2;
}

/* Encode "a.b.c" as labels. */
static size_t put_name(uint8_t *p, const char *name)
{
	size_t off = 0;

	while (*name) {
		size_t l = strcspn(name, ".");

		p[off++] = (uint8_t)l;
		memcpy(p + off, name, l);
		off += l;
		name += l;
		if (*name == '.')
			name++;
	}
	p[off++] = 0;
	return off;
}

/* The lease a name means on this network: its name, an alias, or its id (12 or more hex). */
static struct lease *lookup_name(struct network *net, const char *name)
{
	struct lease *l;
	size_t n = strlen(name);

	LIST_FOREACH (l, &net->leases, link) {
		const cJSON *a;

		if (l->name && !strcasecmp(l->name, name))
			return l;
		cJSON_ArrayForEach (a, l->aliases)
			if (cJSON_GetStringValue(a) && !strcasecmp(cJSON_GetStringValue(a), name))
				return l;
		if (n >= 12 && n <= 64 && !strncmp(l->container, name, n))
			return l;
	}
	return NULL;
}

static struct lease *lookup_ptr(struct network *net, const char *name)
{
	unsigned a, b, c, d;
	char rest[32];
	struct lease *l;
	struct in_addr ip;

	if (sscanf(name, "%u.%u.%u.%u.%31s", &d, &c, &b, &a, rest) != 5 ||
	    strcmp(rest, "in-addr.arpa") || a > 255 || b > 255 || c > 255 || d > 255)
		return NULL;
	ip.s_addr = htonl((a << 24) | (b << 16) | (c << 8) | d);
	LIST_FOREACH (l, &net->leases, link)
		if (l->ip.s_addr == ip.s_addr)
			return l;
	return NULL;
}

/*
 * An answer of our own into out, or 0 when the question is not ours to
 * answer (forward it). The question is copied back as asked.
 */
static size_t answer(struct network *net, const uint8_t *q, size_t qlen, uint8_t *out)
{
	char name[256];
	uint16_t type;
	size_t end, off;
	struct lease *l;

	if (parse_question(q, qlen, name, sizeof(name), &type, &end) < 0)
		return 0;
	l = type == T_PTR ? lookup_ptr(net, name) : lookup_name(net, name);
	if (!l)
		return 0;
	memcpy(out, q, end);
	out[2] = (uint8_t)(0x84 | (q[2] & 0x01)); /* response, authoritative, RD as asked */
	out[3] = 0x80;				  /* recursion available, NOERROR */
	out[6] = out[7] = 0;			  /* ANCOUNT */
	out[8] = out[9] = out[10] = out[11] = 0;
	off = end;
	if (type == T_A || type == T_PTR) {
		size_t rd;

		out[7] = 1;
		off += put_u16(out + off, 0xc00c); /* the question's name */
		off += put_u16(out + off, type);
		off += put_u16(out + off, 1);
		off += put_u16(out + off, 0);
		off += put_u16(out + off, TTL);
		if (type == T_A) {
			off += put_u16(out + off, 4);
			memcpy(out + off, &l->ip, 4);
			off += 4;
		} else {
			rd = put_name(out + off + 2, l->name && *l->name ? l->name : l->container);
			off += put_u16(out + off, (uint16_t)rd);
			off += rd;
		}
	}
	/* AAAA and the rest: the name exists, with no record of that type */
	return off;
}

/* ---- forwarding ---- */

static void srv_unref(struct dns_server *srv)
{
	if (--srv->handles == 0)
		free(srv);
}

static void tcp_unref(struct tcp_conn *c)
{
	if (--c->refs == 0)
		free(c);
}

static void fwd_closed(uv_handle_t *h)
{
	struct forward *f = h->data;

	if (--f->handles == 0) {
		srv_unref(f->srv);
		if (f->tcp)
			tcp_unref(f->tcp);
		free(f);
	}
}

static void fwd_done(struct forward *f)
{
	if (uv_is_closing((uv_handle_t *)&f->sock))
		return;
	uv_close((uv_handle_t *)&f->sock, fwd_closed);
	uv_close((uv_handle_t *)&f->timer, fwd_closed);
}

static void on_fwd_timeout(uv_timer_t *t)
{
	fwd_done(t->data);
}

static void alloc_buf(uv_handle_t *h, size_t want, uv_buf_t *b)
{
	(void)h;
	(void)want;
	b->base = xmalloc(DNS_MAX);
	b->len = DNS_MAX;
}

static void send_udp(uv_udp_t *sock, const struct sockaddr_in *to, const uint8_t *m, size_t len);
static void send_tcp(uv_tcp_t *c, const uint8_t *m, size_t len);

static void on_upstream(uv_udp_t *h, ssize_t n, const uv_buf_t *b, const struct sockaddr *from,
			unsigned flags)
{
	struct forward *f = h->data;

	(void)from;
	(void)flags;
	if (n > 0) {
		if (f->tcp && !f->tcp->closed)
			send_tcp(&f->tcp->h, (uint8_t *)b->base, (size_t)n);
		else if (!f->tcp && f->srv->net)
			send_udp(&f->srv->udp, &f->client, (uint8_t *)b->base, (size_t)n);
		fwd_done(f);
	}
	free(b->base);
}

static int upstream(struct sockaddr_in *sa)
{
	const char *env = getenv("BERTH_DNS_UPSTREAM");
	char line[256], ns[64];
	FILE *f;

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons(53);
	if (env && *env) {
		char host[64];
		unsigned port = 53;

		if (sscanf(env, "%63[^:]:%u", host, &port) < 1 ||
		    inet_pton(AF_INET, host, &sa->sin_addr) != 1)
			return -1;
		sa->sin_port = htons((uint16_t)port);
		return 0;
	}
	f = fopen("/etc/resolv.conf", "re");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "nameserver %63s", ns) == 1 &&
		    inet_pton(AF_INET, ns, &sa->sin_addr) == 1) {
			fclose(f);
			return 0;
		}
	if (f)
		fclose(f);
	return -1;
}

/* Over UDP to the upstream, whichever way the question came; the answer goes back that way. */
static void forward(struct dns_server *srv, const struct sockaddr_in *client, struct tcp_conn *tcp,
		    const uint8_t *q, size_t len)
{
	struct forward *f;
	struct sockaddr_in up;
	uv_buf_t b;

	if (upstream(&up) < 0)
		return;
	f = xzalloc(sizeof(*f));
	f->srv = srv;
	srv->handles++;
	if (client)
		f->client = *client;
	if (tcp) {
		f->tcp = tcp;
		tcp->refs++;
	}
	f->handles = 2;
	uv_udp_init(srv->udp.loop, &f->sock);
	uv_timer_init(srv->udp.loop, &f->timer);
	f->sock.data = f->timer.data = f;
	b = uv_buf_init((char *)q, (unsigned)len);
	if (uv_udp_try_send(&f->sock, &b, 1, (struct sockaddr *)&up) < 0 ||
	    uv_udp_recv_start(&f->sock, alloc_buf, on_upstream) < 0) {
		fwd_done(f);
		return;
	}
	uv_timer_start(&f->timer, on_fwd_timeout, 5000, 0);
}

/* A network going away still owes its TCP clients an answer. */
static size_t servfail(const uint8_t *q, size_t len, uint8_t *out)
{
	if (len < 12 || len > DNS_MAX)
		return 0;
	memcpy(out, q, len);
	out[2] = (uint8_t)(0x80 | (q[2] & 0x01));
	out[3] = 0x82;
	return len;
}

/* ---- UDP ---- */

static void send_udp(uv_udp_t *sock, const struct sockaddr_in *to, const uint8_t *m, size_t len)
{
	uv_buf_t b = uv_buf_init((char *)m, (unsigned)len);

	uv_udp_try_send(sock, &b, 1, (const struct sockaddr *)to);
}

static void on_udp(uv_udp_t *h, ssize_t n, const uv_buf_t *b, const struct sockaddr *from,
		   unsigned flags)
{
	struct dns_server *srv = h->data;
	uint8_t out[DNS_MAX];
	size_t len;

	(void)flags;
	if (n > 0 && from && from->sa_family == AF_INET && srv->net) {
		len = answer(srv->net, (uint8_t *)b->base, (size_t)n, out);
		if (len)
			send_udp(h, (const struct sockaddr_in *)from, out, len);
		else
			forward(srv, (const struct sockaddr_in *)from, NULL, (uint8_t *)b->base,
				(size_t)n);
	}
	free(b->base);
}

/* ---- TCP: two-byte length, then the message ---- */

static void tcp_closed(uv_handle_t *h)
{
	struct tcp_conn *c = h->data;

	c->closed = true;
	tcp_unref(c);
}

static void on_written(uv_write_t *w, int status)
{
	(void)status;
	free(w->data);
	free(w);
}

static void send_tcp(uv_tcp_t *c, const uint8_t *m, size_t len)
{
	uv_write_t *w = xzalloc(sizeof(*w));
	uint8_t *copy = xmalloc(len + 2);
	uv_buf_t b;

	if (uv_is_closing((uv_handle_t *)c)) {
		free(w);
		free(copy);
		return;
	}
	put_u16(copy, (uint16_t)len);
	memcpy(copy + 2, m, len);
	w->data = copy;
	b = uv_buf_init((char *)copy, (unsigned)len + 2);
	if (uv_write(w, (uv_stream_t *)c, &b, 1, on_written) < 0) {
		free(copy);
		free(w);
	}
}

static void tcp_alloc(uv_handle_t *h, size_t want, uv_buf_t *b)
{
	struct tcp_conn *c = h->data;

	(void)want;
	b->base = (char *)c->buf + c->len;
	b->len = sizeof(c->buf) - c->len;
}

static void on_tcp_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct tcp_conn *c = s->data;

	(void)b;
	if (n < 0 || c->len + (size_t)n > sizeof(c->buf)) {
		uv_close((uv_handle_t *)s, tcp_closed);
		return;
	}
	c->len += (size_t)n;
	while (c->len >= 2) {
		size_t mlen = ((size_t)c->buf[0] << 8) | c->buf[1];
		uint8_t out[DNS_MAX];
		size_t alen;

		if (mlen > DNS_MAX) {
			uv_close((uv_handle_t *)s, tcp_closed);
			return;
		}
		if (c->len < mlen + 2)
			break;
		alen = c->srv->net ? answer(c->srv->net, c->buf + 2, mlen, out) : 0;
		if (alen)
			send_tcp(&c->h, out, alen);
		else if (c->srv->net)
			forward(c->srv, NULL, c, c->buf + 2, mlen);
		else if ((alen = servfail(c->buf + 2, mlen, out)))
			send_tcp(&c->h, out, alen);
		memmove(c->buf, c->buf + mlen + 2, c->len - mlen - 2);
		c->len -= mlen + 2;
	}
}

static void on_tcp_conn(uv_stream_t *server, int status)
{
	struct dns_server *srv = server->data;
	struct tcp_conn *c;

	if (status < 0)
		return;
	c = xzalloc(sizeof(*c));
	c->srv = srv;
	c->refs = 1;
	uv_tcp_init(server->loop, &c->h);
	c->h.data = c;
	if (uv_accept(server, (uv_stream_t *)&c->h) < 0) {
		uv_close((uv_handle_t *)&c->h, tcp_closed);
		return;
	}
	uv_read_start((uv_stream_t *)&c->h, tcp_alloc, on_tcp_read);
}

/* ---- servers ---- */

static void srv_closed(uv_handle_t *h)
{
	srv_unref(h->data);
}

int dns_start(struct netd *n, struct network *net, struct err *err)
{
	struct dns_server *srv;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(53)};
	int r;

	if (net->is_default || net->dns)
		return 0;
	srv = xzalloc(sizeof(*srv));
	srv->net = net;
	srv->n = n;
	sa.sin_addr = net->gateway;
	uv_udp_init(&n->d->loop, &srv->udp);
	uv_tcp_init(&n->d->loop, &srv->tcp);
	srv->udp.data = srv->tcp.data = srv;
	srv->handles = 2;
	net->dns = srv;
	r = uv_udp_bind(&srv->udp, (struct sockaddr *)&sa, 0);
	if (r == 0)
		r = uv_udp_recv_start(&srv->udp, alloc_buf, on_udp);
	if (r == 0)
		r = uv_tcp_bind(&srv->tcp, (struct sockaddr *)&sa, 0);
	if (r == 0)
		r = uv_listen((uv_stream_t *)&srv->tcp, 16, on_tcp_conn);
	if (r < 0) {
		dns_stop(net);
		return err_set(err, -r, "DNS for network %s on port 53: %s", net->name,
			       uv_strerror(r));
	}
	return 0;
}

void dns_stop(struct network *net)
{
	struct dns_server *srv = net->dns;

	if (!srv)
		return;
	net->dns = NULL;
	srv->net = NULL;
	uv_close((uv_handle_t *)&srv->udp, srv_closed);
	uv_close((uv_handle_t *)&srv->tcp, srv_closed);
}
