/*
 * HTTP transfers for the worker's registry and URL jobs: libcurl's multi
 * socket API driven by a libuv loop. Every request of a job goes through
 * one loop: the sequential ones (ping, token, manifest) wait for their own
 * end with net_perform, the layers run side by side with net_start, and
 * the loop's thread pool unpacks what is complete meanwhile.
 */
#ifndef BERTH_NETLOOP_H
#define BERTH_NETLOOP_H

#include <curl/curl.h>
#include <stdbool.h>
#include <uv.h>

#include "common/err.h"

struct netloop;

/* Called on the loop when a transfer ends; the handle is out of the loop, the callee owns it. */
typedef void (*net_done_cb)(CURL *c, CURLcode rc, void *data);

struct netloop *net_new(struct err *err);
void net_free(struct netloop *n);
uv_loop_t *net_uv(struct netloop *n);

/* Start c on the loop; done is called when it ends (never from within net_start). */
int net_start(struct netloop *n, CURL *c, net_done_cb done, void *data, struct err *err);
/* Take c out of the loop before its end (its done is not called). */
void net_cancel(struct netloop *n, CURL *c);
/* Run c to its end (other transfers on the loop go on meanwhile). */
CURLcode net_perform(struct netloop *n, CURL *c);
/* For a transfer started with net_start(..., net_wait_done, &w): net_wait runs the loop
 * until it ends and gives its result. */
struct net_wait {
	bool done;
	CURLcode rc;
};
void net_wait_done(CURL *c, CURLcode rc, void *data);
CURLcode net_wait(struct netloop *n, struct net_wait *w);
/* Run the loop once: wait for any socket, timer or finished work. */
void net_run_once(struct netloop *n);

#endif
