/*
 * libcurl's multi socket API on a libuv loop: curl says which sockets it
 * waits on (a uv_poll each) and when it wants to be called back (one
 * uv_timer); the loop tells curl what became ready, and finished
 * transfers are handed to their done callbacks.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

#include "common/xalloc.h"
#include "netloop.h"

struct netloop {
	uv_loop_t loop;
	uv_timer_t timer;
	CURLM *multi;
};

struct netsock {
	uv_poll_t poll;
	struct netloop *n;
	curl_socket_t fd;
};

struct xfer {
	net_done_cb done;
	void *data;
};

static void check_done(struct netloop *n)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(n->multi, &left))) {
		CURL *c = msg->easy_handle;
		CURLcode rc = msg->data.result;
		struct xfer *x = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(c, CURLINFO_PRIVATE, (char **)&x);
		curl_multi_remove_handle(n->multi, c);
		curl_easy_setopt(c, CURLOPT_PRIVATE, NULL);
		if (x) {
			net_done_cb done = x->done;
			void *data = x->data;

			free(x);
			done(c, rc, data);
		}
	}
}

static void on_timer(uv_timer_t *t)
{
	struct netloop *n = t->data;
	int running;

	curl_multi_socket_action(n->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(n);
}

static int on_curl_timer(CURLM *multi, long ms, void *userp)
{
	struct netloop *n = userp;

	(void)multi;
	if (ms < 0)
		uv_timer_stop(&n->timer);
	else
		uv_timer_start(&n->timer, on_timer, (uint64_t)ms, 0);
	return 0;
}

static void on_poll(uv_poll_t *p, int status, int events)
{
	struct netsock *s = p->data;
	struct netloop *n = s->n;
	int flags = 0, running;

	if (status < 0)
		flags = CURL_CSELECT_ERR;
	if (events & UV_READABLE)
		flags |= CURL_CSELECT_IN;
	if (events & UV_WRITABLE)
		flags |= CURL_CSELECT_OUT;
	curl_multi_socket_action(n->multi, s->fd, flags, &running);
	check_done(n);
}

static void free_sock(uv_handle_t *h)
{
	free(h->data);
}

static int on_curl_socket(CURL *c, curl_socket_t fd, int what, void *userp, void *sockp)
{
	struct netloop *n = userp;
	struct netsock *s = sockp;
	int events = 0;

	(void)c;
	if (what == CURL_POLL_REMOVE) {
		if (s) {
			uv_poll_stop(&s->poll);
			uv_close((uv_handle_t *)&s->poll, free_sock);
			curl_multi_assign(n->multi, fd, NULL);
		}
		return 0;
	}
	if (!s) {
		s = xzalloc(sizeof(*s));
		s->n = n;
		s->fd = fd;
		if (uv_poll_init_socket(&n->loop, &s->poll, fd) < 0) {
			free(s);
			return -1;
		}
		s->poll.data = s;
		curl_multi_assign(n->multi, fd, s);
	}
	if (what & CURL_POLL_IN)
		events |= UV_READABLE;
	if (what & CURL_POLL_OUT)
		events |= UV_WRITABLE;
	return uv_poll_start(&s->poll, events, on_poll) < 0 ? -1 : 0;
}

struct netloop *net_new(struct err *err)
{
	struct netloop *n = xzalloc(sizeof(*n));
	int r = uv_loop_init(&n->loop);

	if (r < 0) {
		free(n);
		err_set(err, -r, "event loop: %s", uv_strerror(r));
		return NULL;
	}
	uv_timer_init(&n->loop, &n->timer);
	n->timer.data = n;
	n->multi = curl_multi_init();
	if (!n->multi) {
		net_free(n);
		err_set(err, ENOMEM, "curl_multi_init failed");
		return NULL;
	}
	curl_multi_setopt(n->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
	curl_multi_setopt(n->multi, CURLMOPT_SOCKETDATA, n);
	curl_multi_setopt(n->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
	curl_multi_setopt(n->multi, CURLMOPT_TIMERDATA, n);
	return n;
}

static void close_any(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, h->type == UV_POLL ? free_sock : NULL);
}

void net_free(struct netloop *n)
{
	if (!n)
		return;
	/* the multi handle first: it says CURL_POLL_REMOVE for what it still watches */
	if (n->multi)
		curl_multi_cleanup(n->multi);
	uv_walk(&n->loop, close_any, NULL);
	uv_run(&n->loop, UV_RUN_DEFAULT);
	uv_loop_close(&n->loop);
	free(n);
}

uv_loop_t *net_uv(struct netloop *n)
{
	return &n->loop;
}

int net_start(struct netloop *n, CURL *c, net_done_cb done, void *data, struct err *err)
{
	struct xfer *x = xzalloc(sizeof(*x));
	CURLMcode mc;

	x->done = done;
	x->data = data;
	curl_easy_setopt(c, CURLOPT_PRIVATE, (char *)x);
	mc = curl_multi_add_handle(n->multi, c);
	if (mc != CURLM_OK) {
		curl_easy_setopt(c, CURLOPT_PRIVATE, NULL);
		free(x);
		return err_set(err, EIO, "start a transfer: %s", curl_multi_strerror(mc));
	}
	return 0;
}

void net_cancel(struct netloop *n, CURL *c)
{
	struct xfer *x = NULL;

	curl_easy_getinfo(c, CURLINFO_PRIVATE, (char **)&x);
	curl_multi_remove_handle(n->multi, c);
	curl_easy_setopt(c, CURLOPT_PRIVATE, NULL);
	free(x);
}

void net_run_once(struct netloop *n)
{
	uv_run(&n->loop, UV_RUN_ONCE);
}

void net_wait_done(CURL *c, CURLcode rc, void *data)
{
	struct net_wait *w = data;

	(void)c;
	w->done = true;
	w->rc = rc;
}

CURLcode net_wait(struct netloop *n, struct net_wait *w)
{
	while (!w->done)
		net_run_once(n);
	return w->rc;
}

CURLcode net_perform(struct netloop *n, CURL *c)
{
	struct net_wait w = {0};
	struct err e = ERR_INIT;

	if (net_start(n, c, net_wait_done, &w, &e) < 0) {
		err_clear(&e);
		return CURLE_FAILED_INIT;
	}
	return net_wait(n, &w);
}
