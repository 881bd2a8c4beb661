/*
 * The API on TCP: mutual TLS (the client's certificate must be signed by the
 * CA given), or plain HTTP on a loopback address when asked for explicitly.
 *
 * TLS ends here and nowhere else: each TLS connection gets a thread that does
 * the handshake, then pumps bytes between the TLS session and one end of a
 * socketpair whose other end is handed to the loop as an ordinary
 * connection. The HTTP code, the handlers and the hijacks (attach, exec)
 * thus never see TLS; a client's close_notify is a half-close on the pair,
 * as a shutdown is on the Unix socket.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "apid.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/xalloc.h"

#define TLS_HANDSHAKE_MS 10000
#define TLS_MAX_THREADS 256
#define PUMP_CHUNK 16384

/* A connection the TLS thread hands to the loop. */
struct handoff {
	int fd;
	char *subject;
	STAILQ_ENTRY(handoff) link;
};

struct tcp {
	struct apid *a;
	int fd;
	char *where;  /* ADDR:PORT as given, for messages */
	SSL_CTX *ctx; /* NULL: plain HTTP (loopback only) */
	uv_poll_t poll;
	uv_async_t async;
	pthread_mutex_t lock; /* guards ready */
	STAILQ_HEAD(, handoff) ready;
	atomic_uint threads;
};

struct tls_conn {
	struct tcp *t;
	int fd;
	char peer[INET6_ADDRSTRLEN + 8];
};

/* The reason OpenSSL gives for what just failed (and its queue emptied). */
static const char *ssl_why(char *buf, size_t n)
{
	unsigned long e = ERR_get_error();

	if (!e)
		snprintf(buf, n, "%s", errno ? strerror(errno) : "the connection closed");
	else
		ERR_error_string_n(e, buf, n);
	ERR_clear_error();
	return buf;
}

/* ---- the listening socket ---- */

/* ADDR:PORT, [V6]:PORT, or tcp://... (DOCKER_HOST's form). */
static int parse_listen(const char *s, struct addrinfo **ai, struct err *err)
{
	cleanup_free char *host = NULL;
	const char *port, *p = s;
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE};
	int r;

	if (!strncmp(p, "tcp://", 6))
		p += 6;
	if (*p == '[') {
		const char *end = strchr(p, ']');

		if (!end || end[1] != ':')
			return err_set(err, EINVAL, "--tcp '%s': expected [ADDRESS]:PORT", s);
		host = xstrndup(p + 1, (size_t)(end - p - 1));
		port = end + 2;
	} else {
		const char *colon = strrchr(p, ':');

		if (!colon || colon == p)
			return err_set(err, EINVAL, "--tcp '%s': expected ADDRESS:PORT", s);
		host = xstrndup(p, (size_t)(colon - p));
		port = colon + 1;
	}
	if (!*port || strspn(port, "0123456789") != strlen(port) || atoi(port) < 1 ||
	    atoi(port) > 65535)
		return err_set(err, EINVAL, "--tcp '%s': the port must be 1 to 65535", s);
	r = getaddrinfo(host, port, &hints, ai);
	if (r != 0)
		return err_set(err, EINVAL, "--tcp '%s': '%s' is not an IP address (%s)", s, host,
			       gai_strerror(r));
	return 0;
}

static bool is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;

		return IN6_IS_ADDR_LOOPBACK(a6) ||
		       (IN6_IS_ADDR_V4MAPPED(a6) && a6->s6_addr[12] == 127);
	}
	return false;
}

static int tcp_bind(struct tcp *t, const struct addrinfo *ai, struct err *err)
{
	int one = 1;

	t->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (t->fd < 0)
		return err_sys(err, "socket for %s", t->where);
	setsockopt(t->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(t->fd, ai->ai_addr, ai->ai_addrlen) < 0)
		return err_sys(err, "bind %s", t->where);
	if (listen(t->fd, 128) < 0)
		return err_sys(err, "listen on %s", t->where);
	return 0;
}

/* Our certificate and key, and the CA a client's certificate must come from. */
static int tls_context(struct tcp *t, const struct apid_tcp_opts *o, struct err *err)
{
	STACK_OF(X509_NAME) * cas;
	char why[256];

	t->ctx = SSL_CTX_new(TLS_server_method());
	if (!t->ctx)
		return err_set(err, ENOMEM, "TLS: %s", ssl_why(why, sizeof(why)));
	SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
	SSL_CTX_set_mode(t->ctx,
			 SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (SSL_CTX_use_certificate_chain_file(t->ctx, o->cert) != 1)
		return err_set(err, EINVAL, "--tlscert %s: %s", o->cert, ssl_why(why, sizeof(why)));
	if (SSL_CTX_use_PrivateKey_file(t->ctx, o->key, SSL_FILETYPE_PEM) != 1)
		return err_set(err, EINVAL, "--tlskey %s: %s", o->key, ssl_why(why, sizeof(why)));
	if (SSL_CTX_check_private_key(t->ctx) != 1)
		return err_set(err, EINVAL, "--tlskey %s does not match --tlscert %s: %s", o->key,
			       o->cert, ssl_why(why, sizeof(why)));
	if (SSL_CTX_load_verify_locations(t->ctx, o->cacert, NULL) != 1)
		return err_set(err, EINVAL, "--tlscacert %s: %s", o->cacert,
			       ssl_why(why, sizeof(why)));
	cas = SSL_load_client_CA_file(o->cacert);
	if (!cas)
		return err_set(err, EINVAL, "--tlscacert %s: no certificate in it", o->cacert);
	SSL_CTX_set_client_CA_list(t->ctx, cas);
	/* mutual TLS: no certificate, or one from another CA, and the handshake fails */
	SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	return 0;
}

/* What the options allow, in one place: TLS, or plain HTTP on loopback when asked. */
int tcp_check_opts(const struct apid_tcp_opts *o, struct err *err)
{
	bool any_tls = o->cacert || o->cert || o->key;

	if (!o->listen)
		return any_tls
			   ? err_set(err, EINVAL,
				     "--tlscacert, --tlscert and --tlskey need --tcp ADDRESS:PORT")
			   : 0;
	if (o->insecure && any_tls)
		return err_set(err, EINVAL, "--insecure-tcp and the TLS files exclude each other");
	if (!o->insecure && !(o->cacert && o->cert && o->key))
		return err_set(
		    err, EINVAL,
		    "--tcp %s needs mutual TLS: --tlscacert, --tlscert and --tlskey "
		    "(missing:%s%s%s); plain HTTP only with --insecure-tcp, on a loopback "
		    "address",
		    o->listen, o->cacert ? "" : " --tlscacert", o->cert ? "" : " --tlscert",
		    o->key ? "" : " --tlskey");
	return 0;
}

int tcp_setup(struct apid *a, const struct apid_tcp_opts *o, struct err *err)
{
	struct addrinfo *ai = NULL;
	struct tcp *t;
	int r;

	if ((r = tcp_check_opts(o, err)) < 0 || !o->listen)
		return r;
	if ((r = parse_listen(o->listen, &ai, err)) < 0)
		return r;
	if (o->insecure && !is_loopback(ai->ai_addr)) {
		freeaddrinfo(ai);
		return err_set(err, EPERM,
			       "plain HTTP on %s is refused: --insecure-tcp is for a loopback "
			       "address only (127.0.0.0/8, ::1); anywhere else use mutual TLS",
			       o->listen);
	}
	t = xzalloc(sizeof(*t));
	t->a = a;
	t->fd = -1;
	t->where = xstrdup(o->listen);
	pthread_mutex_init(&t->lock, NULL);
	STAILQ_INIT(&t->ready);
	a->tcp = t;
	r = o->insecure ? 0 : tls_context(t, o, err);
	if (r == 0)
		r = tcp_bind(t, ai, err);
	freeaddrinfo(ai);
	return r;
}

/* ---- a TLS connection's thread ---- */

/*
 * Our answer out, the rest of the client's request read and dropped: a close
 * with unread bytes would reset the connection, and the answer with it.
 */
static void linger_close(int fd)
{
	char buf[4096];

	shutdown(fd, SHUT_WR);
	for (int i = 0; i < 16; i++) {
		struct pollfd p = {.fd = fd, .events = POLLIN};

		if (poll(&p, 1, 200) <= 0 || read(fd, buf, sizeof(buf)) <= 0)
			break;
	}
}

static int handshake(SSL *ssl, int fd, char *why, size_t n)
{
	struct timespec start, now;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct pollfd p = {.fd = fd};
		int r = SSL_accept(ssl), left;

		if (r == 1)
			return 0;
		switch (SSL_get_error(ssl, r)) {
		case SSL_ERROR_WANT_READ:
			p.events = POLLIN;
			break;
		case SSL_ERROR_WANT_WRITE:
			p.events = POLLOUT;
			break;
		default:
			if (ERR_GET_REASON(ERR_peek_error()) == SSL_R_HTTP_REQUEST) {
				static const char plain[] =
				    "HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain\r\n\r\n"
				    "Client sent an HTTP request to an HTTPS server.\n";

				(void)!write(fd, plain, sizeof(plain) - 1);
				linger_close(fd);
			}
			ssl_why(why, n);
			return -1;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = TLS_HANDSHAKE_MS - (int)((now.tv_sec - start.tv_sec) * 1000 +
						(now.tv_nsec - start.tv_nsec) / 1000000);
		if (left <= 0 || poll(&p, 1, left) == 0) {
			snprintf(why, n, "no handshake within %d s", TLS_HANDSHAKE_MS / 1000);
			return -1;
		}
	}
}

struct pump_buf {
	char data[PUMP_CHUNK];
	size_t off, len;
};

/* What SSL_read or SSL_write wants before it can go on: poll events, or -1. */
static int ssl_wants(SSL *ssl, int r)
{
	switch (SSL_get_error(ssl, r)) {
	case SSL_ERROR_WANT_READ:
		return POLLIN;
	case SSL_ERROR_WANT_WRITE:
		return POLLOUT;
	default:
		ERR_clear_error();
		return -1;
	}
}

/*
 * Bytes both ways until apid closes its end (the answer is out: close_notify
 * and done) or the client is gone and apid has seen its EOF.
 */
static void pump(SSL *ssl, int tcp, int pair)
{
	struct pump_buf *up = xzalloc(sizeof(*up)), *down = xzalloc(sizeof(*down));
	bool tcp_eof = false, up_shut = false, pair_eof = false;

	for (;;) {
		struct pollfd p[2] = {{.fd = tcp}, {.fd = pair}};
		bool moved = false;
		ssize_t n;
		int w;

		/* the client's bytes to apid */
		if (!tcp_eof && !up->len) {
			n = SSL_read(ssl, up->data, sizeof(up->data));
			if (n > 0) {
				up->off = 0;
				up->len = (size_t)n;
				moved = true;
			} else if ((w = ssl_wants(ssl, (int)n)) > 0) {
				p[0].events |= (short)w;
			} else {
				tcp_eof = moved = true; /* close_notify, or the peer is gone */
			}
		}
		if (up->len) {
			n = send(pair, up->data + up->off, up->len, MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n > 0) {
				up->off += (size_t)n;
				up->len -= (size_t)n;
				moved = true;
			} else if (errno == EAGAIN || errno == EINTR) {
				p[1].events |= POLLOUT;
			} else {
				break; /* apid closed */
			}
		}
		if (tcp_eof && !up->len && !up_shut) {
			shutdown(pair, SHUT_WR); /* apid sees the client's half-close */
			up_shut = true;
		}
		/* apid's bytes to the client */
		if (!pair_eof && !down->len) {
			n = recv(pair, down->data, sizeof(down->data), MSG_DONTWAIT);
			if (n > 0) {
				down->off = 0;
				down->len = (size_t)n;
				moved = true;
			} else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
				p[1].events |= POLLIN;
			} else {
				pair_eof = moved = true;
			}
		}
		if (down->len) {
			int r = SSL_write(ssl, down->data + down->off, (int)down->len);

			if (r > 0) {
				down->off += (size_t)r;
				down->len -= (size_t)r;
				moved = true;
			} else if ((w = ssl_wants(ssl, r)) > 0) {
				p[0].events |= (short)w;
			} else {
				break; /* the client is gone */
			}
		}
		if (pair_eof && !down->len) {
			SSL_shutdown(ssl);
			break;
		}
		if (moved)
			continue;
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
	}
	free(up);
	free(down);
}

/* The client certificate's subject as RFC 2253 writes it ("CN=admin,O=ops"): policies name it. */
static char *peer_subject(SSL *ssl)
{
	X509 *cert = SSL_get1_peer_certificate(ssl);
	BIO *mem = BIO_new(BIO_s_mem());
	char *s = NULL, *data;
	long n;

	if (cert && mem &&
	    X509_NAME_print_ex(mem, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) >= 0 &&
	    (n = BIO_get_mem_data(mem, &data)) > 0)
		s = xstrndup(data, (size_t)n);
	BIO_free(mem);
	X509_free(cert);
	return s ? s : xstrdup("?");
}

static void handoff(struct tcp *t, int fd, char *subject)
{
	struct handoff *h = xzalloc(sizeof(*h));

	h->fd = fd;
	h->subject = subject;
	pthread_mutex_lock(&t->lock);
	STAILQ_INSERT_TAIL(&t->ready, h, link);
	pthread_mutex_unlock(&t->lock);
	uv_async_send(&t->async);
}

static void *tls_thread(void *arg)
{
	struct tls_conn *tc = arg;
	struct tcp *t = tc->t;
	SSL *ssl = SSL_new(t->ctx);
	int sv[2] = {-1, -1};
	char why[256];

	if (!ssl || SSL_set_fd(ssl, tc->fd) != 1) {
		log_warnx("TLS from %s: %s", tc->peer, ssl_why(why, sizeof(why)));
		goto out;
	}
	if (handshake(ssl, tc->fd, why, sizeof(why)) < 0) {
		log_info("TLS from %s refused: %s", tc->peer, why);
		goto out;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0) {
		log_warn("TLS from %s: socketpair", tc->peer);
		goto out;
	}
	char *subject = peer_subject(ssl);
	log_info("TLS from %s: client %s", tc->peer, subject);
	handoff(t, sv[0], subject);
	pump(ssl, tc->fd, sv[1]);
out:
	if (ssl)
		SSL_free(ssl);
	if (sv[1] >= 0)
		close(sv[1]);
	close(tc->fd);
	free(tc);
	atomic_fetch_sub(&t->threads, 1);
	return NULL;
}

/* ---- on the loop ---- */

static void handoff_cb(uv_async_t *h)
{
	struct tcp *t = h->data;
	struct handoff *ho;

	for (;;) {
		pthread_mutex_lock(&t->lock);
		ho = STAILQ_FIRST(&t->ready);
		if (ho)
			STAILQ_REMOVE_HEAD(&t->ready, link);
		pthread_mutex_unlock(&t->lock);
		if (!ho)
			break;
		conn_adopt(t->a, ho->fd, (uid_t)-1, ho->subject);
		free(ho);
	}
}

static void tls_start(struct tcp *t, int fd, const struct sockaddr_storage *ss)
{
	struct tls_conn *tc;
	char host[INET6_ADDRSTRLEN] = "?", port[8] = "?";

	if (atomic_fetch_add(&t->threads, 1) >= TLS_MAX_THREADS) {
		atomic_fetch_sub(&t->threads, 1);
		log_warnx("refusing a TLS connection: %d are open", TLS_MAX_THREADS);
		close(fd);
		return;
	}
	getnameinfo((const struct sockaddr *)ss, sizeof(*ss), host, sizeof(host), port,
		    sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV);
	tc = xzalloc(sizeof(*tc));
	tc->t = t;
	tc->fd = fd;
	snprintf(tc->peer, sizeof(tc->peer), "%s:%s", host, port);
	if (thread_start(tls_thread, tc) < 0) {
		log_warn("cannot start a thread for a TLS connection");
		close(fd);
		free(tc);
		atomic_fetch_sub(&t->threads, 1);
	}
}

static void accept_cb(uv_poll_t *h, int status, int events)
{
	struct tcp *t = h->data;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd;

	(void)events;
	if (status < 0)
		return;
	fd = accept4(t->fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			log_warn("accept on %s", t->where);
		return;
	}
	if (!t->ctx) {
		conn_adopt(t->a, fd, (uid_t)-1, NULL);
		return;
	}
	tls_start(t, fd, &ss);
}

int tcp_start(struct apid *a, struct err *err)
{
	struct tcp *t = a->tcp;
	int r;

	if (!t)
		return 0;
	r = uv_async_init(&a->loop, &t->async, handoff_cb);
	if (r < 0)
		return err_set(err, -r, "uv_async_init: %s", uv_strerror(r));
	t->async.data = t;
	r = uv_poll_init(&a->loop, &t->poll, t->fd);
	if (r < 0)
		return err_set(err, -r, "uv_poll_init: %s", uv_strerror(r));
	t->poll.data = t;
	uv_poll_start(&t->poll, UV_READABLE, accept_cb);
	log_info("serving the Docker API on %s too (%s)", t->where,
		 t->ctx ? "mutual TLS" : "plain HTTP, loopback");
	return 0;
}

void tcp_stop(struct apid *a)
{
	if (!a->tcp)
		return;
	uv_close((uv_handle_t *)&a->tcp->poll, NULL);
	uv_close((uv_handle_t *)&a->tcp->async, NULL);
}

/* After the loop: the threads still pumping are left to the exit. */
void tcp_free(struct apid *a)
{
	struct tcp *t = a->tcp;

	if (!t)
		return;
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	/* a TLS thread still pumping holds t and its context: they go with the exit */
	if (atomic_load(&t->threads) > 0)
		return;
	free(t->where);
	SSL_CTX_free(t->ctx);
	free(t);
	a->tcp = NULL;
}
