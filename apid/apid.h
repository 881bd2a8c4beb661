/*
 * berth-apid: the Docker Engine API over HTTP/1.1, for the docker CLI, the
 * SDKs and compose. It holds no privilege: it is a client of the daemons
 * (libberthclient), as berth is, running as its own user in group berth.
 *
 * The libuv loop accepts connections and parses requests (http_parser);
 * each complete request runs on a thread of its own, which owns the
 * connection until it has answered (the daemons' calls block, and a wait,
 * a log follow or an attach lasts as long as the container). The thread
 * hands the connection back to the loop for the next request.
 */
#ifndef BERTH_APID_H
#define BERTH_APID_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/types.h>

#include <cjson/cJSON.h>
#include <http_parser.h>
#include <uv.h>

#include "common/err.h"
#include "common/paths.h"

/* The API version we speak and the oldest a client may ask for. */
#define APID_API_VERSION "1.45"
#define APID_API_MIN "1.24"

/* Limits of one request. */
#define APID_MAX_HEADER 65536	  /* the request line and headers */
#define APID_MAX_BODY (64u << 20) /* the body of a request that is not an archive */
/* An archive (load, import, build context, PUT archive) goes to a temporary file, up to this. */
#define APID_MAX_ARCHIVE (256ull << 30)
#define APID_MAX_JSON_BODY (1u << 20) /* a body we parse as JSON */

struct apid;

struct hdr {
	char *name;
	char *value;
};

struct request {
	char *method;
	char *url;
	char *path;    /* without the /v1.xx prefix and the query */
	char *query;   /* raw, or NULL */
	char *version; /* the /v1.xx of the URL, or NULL */
	struct hdr *hdrs;
	unsigned nhdrs;
	char *body; /* the whole body: in memory, or the spool file mapped */
	size_t body_len;
	bool spool;	  /* an archive route: the body goes to body_fd */
	int body_fd;	  /* when spool and body_len: an unlinked file holding the body */
	bool body_mapped; /* body is body_fd mapped, not malloc'd */
	bool keep_alive;
	bool upgrade; /* Connection: Upgrade (attach, exec start) */
};

struct conn {
	struct apid *a;
	int fd;
	uv_poll_t poll;
	bool polling;
	http_parser parser;
	struct request req;
	size_t header_bytes;
	bool in_header_value;
	bool complete; /* a whole request was parsed: a thread takes it */
	bool closing;
	bool too_big;
	const char *bad; /* a reason to answer 4xx and close */
	int bad_status;
	/* bytes read past the end of the request (a pipelined next one) */
	char *rest;
	size_t rest_len;
	/* the thread's answer: close or keep */
	bool close_after;
	uid_t peer_uid;
	char *tls_subject; /* the client certificate's subject, on TCP with TLS */
	TAILQ_ENTRY(conn) done_link;
	LIST_ENTRY(conn) link;
};

/* What a handler answers with; handlers write through it from their thread. */
struct resp {
	struct conn *c;
	const struct request *req;
	bool sent_head;
	bool chunked;
	bool hijacked;
	int status;
	const char *extra_headers; /* "Name: value\r\n" lines for the next head, or NULL */
};

/* The API on TCP (tcp.c): where, and the TLS files or plain HTTP on loopback. */
struct apid_tcp_opts {
	char *listen; /* ADDR:PORT, or NULL: the Unix socket only */
	char *cacert;
	char *cert;
	char *key;
	bool insecure;
};

struct tcp;

struct apid {
	struct berth_paths paths;
	struct apid_tcp_opts tcp_opts;
	struct tcp *tcp;
	char *socket;
	char *pidfile;
	char *group;
	char *user;
	gid_t gid;
	uid_t uid;
	bool foreground;
	bool activated;
	bool pid_written;
	int listen_fd;
	uv_loop_t loop;
	uv_poll_t accept_poll;
	uv_signal_t sigterm, sigint;
	uv_async_t done_async;
	pthread_mutex_t lock; /* guards done and the attach registry */
	TAILQ_HEAD(, conn) done;
	LIST_HEAD(, conn) conns;
	unsigned nconns;
	struct pending_attach *pending; /* attaches waiting for their container's start */
	struct exec_rec *execs;		/* exec instances, newest first */
};

/* An unlinked file in $TMPDIR (a private /tmp under systemd). */
int apid_tmpfile(struct err *err);

/* ---- http.c ---- */
int http_start(struct apid *a, struct err *err);
void http_stop(struct apid *a);
void http_done_cb(uv_async_t *h);
/* A detached thread with a small stack (a request's, a TLS connection's); -1 with errno. */
int thread_start(void *(*fn)(void *), void *arg);
/* Whether the client of a connection a thread owns has closed it (a long stream's end). */
bool conn_hung_up(const struct conn *c);
/* A connected socket (non-blocking) joins the loop; subject is taken (or NULL). */
void conn_adopt(struct apid *a, int fd, uid_t peer_uid, char *tls_subject);

/* ---- tcp.c ---- */
/* TLS, or plain HTTP on loopback when asked: what the options allow. */
int tcp_check_opts(const struct apid_tcp_opts *o, struct err *err);
/* As root, before the drop: check the options, load the certificates, bind. */
int tcp_setup(struct apid *a, const struct apid_tcp_opts *o, struct err *err);
int tcp_start(struct apid *a, struct err *err);
void tcp_stop(struct apid *a);
void tcp_free(struct apid *a);
const char *req_header(const struct request *r, const char *name);
/* The value of a query parameter (decoded, heap), or NULL. */
char *req_query(const struct request *r, const char *name);
/* Its n-th value when it is given more than once (?t=a&t=b). */
char *req_query_nth(const struct request *r, const char *name, unsigned n);
/* A query flag: 1, true, True (absent: def). */
bool req_query_bool(const struct request *r, const char *name, bool def);
long long req_query_int(const struct request *r, const char *name, long long def);

/* ---- response.c (from the request's thread) ---- */
int resp_json(struct resp *rs, int status, const cJSON *doc);
int resp_error(struct resp *rs, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The HTTP status of a berth error code. */
int resp_status_of(int code);
int resp_err(struct resp *rs, const struct err *err);
int resp_empty(struct resp *rs, int status);
int resp_text(struct resp *rs, int status, const char *type, const char *body);
int resp_stream_begin(struct resp *rs, int status, const char *type);
int resp_chunk(struct resp *rs, const void *data, size_t n);
int resp_stream_end(struct resp *rs);
/* 101 UPGRADED (or 200 for a client that did not ask): the raw stream follows. */
int resp_hijack(struct resp *rs, const char *type);
/* Write everything (blocking on the non-blocking fd). */
int conn_write_all(struct conn *c, const void *data, size_t n);
/* One message of a JSON stream (pull, build): the object and CRLF, as a chunk. */
int resp_message(struct resp *rs, const cJSON *msg);
/* {"errorDetail": {"message": ...}, "error": ...}: how a stream says it failed. */
int resp_stream_error(struct resp *rs, const struct err *err);
/* Standard base64 of a string (headers: X-Registry-Auth, the path stat), heap. */
char *b64_encode(const char *s);
/* Docker's stdcopy frame: stream 1 or 2, then data. */
int resp_stdcopy(struct resp *rs, int stream, const void *data, size_t n);

/* ---- router.c ---- */
typedef void (*handler_fn)(struct apid *a, struct resp *rs, const struct request *rq, char **arg);
void route(struct apid *a, struct resp *rs, const struct request *rq);
/* The request body as JSON (an empty body is an empty object); NULL after answering 400. */
cJSON *body_json(struct resp *rs, const struct request *rq);
/* The "filters" query parameter as "key=value" strings; -1 after answering 400. */
struct filters {
	char **kv;
	unsigned n;
};
int req_filters(struct resp *rs, const struct request *rq, struct filters *fs);
void filters_free(struct filters *fs);

/* ---- the handlers (h_*.c) ---- */
void h_ping(struct apid *a, struct resp *rs, const struct request *rq, char **arg);
void h_version(struct apid *a, struct resp *rs, const struct request *rq, char **arg);
void h_info(struct apid *a, struct resp *rs, const struct request *rq, char **arg);

void h_ctr_create(struct apid *a, struct resp *rs, const struct request *rq, char **arg);
void h_ctr_list(struct apid *a, struct resp *rs, const struct request *rq, char **arg);
void h_ctr_inspect(struct apid *a, struct resp *rs, const struct request *rq, char **arg);
void h_ctr_start(struct apid *a, struct resp *rs, const struct request *rq, char **arg);
void h_ctr_stop(struct apid *a, struct resp *rs, const struct request *rq, char **arg);
void h_ctr_restart(struct apid *a, struct resp *rs, const struct request *rq, char **arg);
void h_ctr_kill(struct apid *a, struct resp *rs, const struct request *rq, char **arg);
void h_ctr_wait(struct apid *a, struct resp *rs, const struct request *rq, char **arg);
void h_ctr_remove(struct apid *a, struct resp *rs, const struct request *rq, char **arg);
void h_ctr_rename(struct apid *a, struct resp *rs, const struct request *rq, char **arg);
void h_ctr_pause(struct apid *a, struct resp *rs, const struct request *rq, char **arg);
void h_ctr_unpause(struct apid *a, struct resp *rs, const struct request *rq, char **arg);
void h_ctr_top(struct apid *a, struct resp *rs, const struct request *rq, char **arg);
void h_ctr_logs(struct apid *a, struct resp *rs, const struct request *rq, char **arg);
void h_ctr_attach(struct apid *a, struct resp *rs, const struct request *rq, char **arg);
void h_ctr_resize(struct apid *a, struct resp *rs, const struct request *rq, char **arg);
void h_ctr_prune(struct apid *a, struct resp *rs, const struct request *rq, char **arg);
/* ---- h_prune.c ---- */
void h_img_prune(struct apid *a, struct resp *rs, const struct request *rq, char **arg);
void h_net_prune(struct apid *a, struct resp *rs, const struct request *rq, char **arg);
void h_vol_prune(struct apid *a, struct resp *rs, const struct request *rq, char **arg);
void h_build_prune(struct apid *a, struct resp *rs, const struct request *rq, char **arg);
void h_exec_create(struct apid *a, struct resp *rs, const struct request *rq, char **arg);
void h_exec_start(struct apid *a, struct resp *rs, const struct request *rq, char **arg);
void h_exec_inspect(struct apid *a, struct resp *rs, const struct request *rq, char **arg);
void h_exec_resize(struct apid *a, struct resp *rs, const struct request *rq, char **arg);

void h_img_list(struct apid *a, struct resp *rs, const struct request *rq, char **arg);
void h_img_inspect(struct apid *a, struct resp *rs, const struct request *rq, char **arg);
void h_img_create(struct apid *a, struct resp *rs, const struct request *rq, char **arg);
void h_img_get(struct apid *a, struct resp *rs, const struct request *rq, char **arg);
void h_img_get_one(struct apid *a, struct resp *rs, const struct request *rq, char **arg);
void h_img_load(struct apid *a, struct resp *rs, const struct request *rq, char **arg);
/* POST /images/create?fromSrc=: docker import (h_img_create passes it on). */
void h_img_import(struct apid *a, struct resp *rs, const struct request *rq, const char *src);
/* X-Registry-Config as {"REGISTRY": base64 "user:password"} (build's FROM pulls). */
cJSON *req_registry_config(const struct request *rq);
/* The ?changes= of commit and import (Dockerfile instructions), one per item. */
cJSON *req_changes(const struct request *rq);
void h_img_push(struct apid *a, struct resp *rs, const struct request *rq, char **arg);
void h_img_tag(struct apid *a, struct resp *rs, const struct request *rq, char **arg);
void h_img_remove(struct apid *a, struct resp *rs, const struct request *rq, char **arg);
void h_auth(struct apid *a, struct resp *rs, const struct request *rq, char **arg);
/* A container list entry (CONTAINER_LIST) as GET /containers/json has it. */
cJSON *ctr_summary(const cJSON *k);
void h_system_df(struct apid *a, struct resp *rs, const struct request *rq, char **arg);
void h_commit(struct apid *a, struct resp *rs, const struct request *rq, char **arg);
void h_ctr_changes(struct apid *a, struct resp *rs, const struct request *rq, char **arg);
void h_ctr_update(struct apid *a, struct resp *rs, const struct request *rq, char **arg);
void h_ctr_stats(struct apid *a, struct resp *rs, const struct request *rq, char **arg);
void h_events(struct apid *a, struct resp *rs, const struct request *rq, char **arg);
void h_ctr_archive_get(struct apid *a, struct resp *rs, const struct request *rq, char **arg);
void h_ctr_archive_put(struct apid *a, struct resp *rs, const struct request *rq, char **arg);
void h_ctr_export(struct apid *a, struct resp *rs, const struct request *rq, char **arg);
void h_build(struct apid *a, struct resp *rs, const struct request *rq, char **arg);
void h_img_history(struct apid *a, struct resp *rs, const struct request *rq, char **arg);
void h_img_search(struct apid *a, struct resp *rs, const struct request *rq, char **arg);

void h_net_list(struct apid *a, struct resp *rs, const struct request *rq, char **arg);
void h_net_inspect(struct apid *a, struct resp *rs, const struct request *rq, char **arg);
void h_net_create(struct apid *a, struct resp *rs, const struct request *rq, char **arg);
void h_net_connect(struct apid *a, struct resp *rs, const struct request *rq, char **arg);
void h_net_disconnect(struct apid *a, struct resp *rs, const struct request *rq, char **arg);
void h_net_remove(struct apid *a, struct resp *rs, const struct request *rq, char **arg);
void h_vol_list(struct apid *a, struct resp *rs, const struct request *rq, char **arg);
void h_vol_inspect(struct apid *a, struct resp *rs, const struct request *rq, char **arg);
void h_vol_create(struct apid *a, struct resp *rs, const struct request *rq, char **arg);
void h_vol_remove(struct apid *a, struct resp *rs, const struct request *rq, char **arg);

/* ---- attach.c: attaches asked before the container starts ---- */
/*
 * START with the stream handed to an attach waiting for it: *handed says
 * whether one waited; true when err was set (the start failed).
 */
bool attach_hand_start(struct apid *a, const char *id, struct err *err, bool *handed);

#endif
