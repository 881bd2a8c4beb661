/* The daemon side of the protocol: listening socket, peer checks, connections, dispatch. */
#ifndef BERTH_SERVER_H
#define BERTH_SERVER_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <uv.h>

#include "common/policy.h"
#include "wire.h"

struct conn;
struct server;

typedef int (*msg_handler)(struct conn *c, struct frame *f, struct err *err);

/* One row of a daemon's dispatch table (made from messages.def). */
struct dispatch_entry {
	uint16_t type;
	msg_handler fn;
	uint32_t roles;
	uint32_t min_len, max_len;
};

/* See proto/dispatch_gen.h: rows and prototypes made from messages.def. */
#define DISPATCH_ENTRY(name, roles, lo, hi) {MSG_##name, h_##name, roles, lo, hi},
#define DISPATCH_DECL(name, roles, lo, hi)                                                         \
	int h_##name(struct conn *c, struct frame *f, struct err *err);
#define OWN_MINE(emit, name, roles, lo, hi) emit(name, roles, lo, hi)
#define OWN_OTHER(emit, name, roles, lo, hi)

struct server_ops {
	const char *name;		    /* "berth-containerd" */
	uint32_t role;			    /* ROLE_CONTAINERD */
	uint32_t accept_roles;		    /* roles that may say HELLO */
	const struct dispatch_entry *table; /* ends with a zero type */
	/* Add the daemon's own facts to the INFO document. */
	int (*info)(struct server *s, cJSON *out, struct err *err);
	/* Called before a connection is freed (drop per-connection state). */
	void (*conn_closed)(struct conn *c);
	/* Deliver an audit record (an event in Docker's shape; taken over). */
	void (*audit)(struct server *s, cJSON *event);
};

struct conn {
	LIST_ENTRY(conn) link;
	struct server *srv;
	uv_poll_t poll;
	int fd;
	int events;
	struct frame_reader rd;
	struct frame_writer wr;
	struct ucred cred;
	uint32_t role; /* 0 until HELLO */
	char *peer_name;
	bool closing;
	bool close_when_flushed;
	void *data; /* the daemon's per-connection state */
	/* who sent the requests (a client's, or the one apid asserted) */
	struct policy_who who;
	/* for the request being dispatched: its profile (NULL: not a client's) */
	const struct policy_profile *profile;
	char *audit_target;
	bool denied;
};

struct server {
	uv_loop_t *loop;
	const struct server_ops *ops;
	void *ctx; /* the daemon's context */
	int lfd;
	bool activated; /* socket came from systemd (LISTEN_FDS) */
	bool polling;
	uv_poll_t lpoll;
	char *path;
	gid_t gid;
	/* authorization (berth-policy(5)): NULL serves everyone as root */
	struct policy *policy;
	uid_t apid_uid; /* the only peer that may take the role apid */
	uint64_t started_ms;
	LIST_HEAD(, conn) conns;
	unsigned nconns;
};

void server_init(struct server *s, uv_loop_t *loop, const struct server_ops *ops, void *ctx);
/*
 * Take the socket from systemd when LISTEN_FDS says so; otherwise create it
 * at path (0660 root:gid), refusing when a live daemon answers there and
 * removing a stale one.
 */
int server_listen(struct server *s, const char *path, gid_t gid, struct err *err);
/* Start accepting (call from the loop's thread, after privileges are dropped). */
int server_start(struct server *s, struct err *err);
/* Close every connection and the listening socket; remove the socket file. */
void server_stop(struct server *s);
/* Serve an already connected socket (tests, socketpairs). */
int server_adopt(struct server *s, int fd, struct err *err);

/* Replies. pb's payload and the fds are taken over. */
void conn_reply(struct conn *c, const struct frame *req, struct pbuf *pb, const int *fds,
		unsigned nfds);
void conn_stream(struct conn *c, const struct frame *req, struct pbuf *pb, bool end);
/* Reply with one JSON document (TAG_JSON); doc and the fds are taken over. */
void conn_reply_json(struct conn *c, const struct frame *req, cJSON *doc, const int *fds,
		     unsigned nfds);
void conn_error(struct conn *c, const struct frame *req, const struct err *e);
void conn_close(struct conn *c, const char *why);

/*
 * Authorization inside a handler: when the request is a client's, check it
 * with fn against its profile; a refusal is audited as denied.
 */
int conn_authorize(struct conn *c,
		   int (*fn)(const struct policy_profile *, const cJSON *, struct err *),
		   const cJSON *req, struct err *err);
int conn_authorize_image(struct conn *c, const char *ref, struct err *err);
/* Audit a refusal (err says why) made by the handler itself; returns -err->code. */
int conn_deny(struct conn *c, struct err *err);
/*
 * An event in Docker's shape: {"status", "id", "Type", "Action", "Actor":
 * {"ID", "Attributes"}, "time", "timeNano"}; *attrs is its Attributes, for
 * the caller to fill. containerd's events and every daemon's audit records.
 */
cJSON *event_new(const char *type, const char *action, const char *id, cJSON **attrs);
/* What the audit record names as the object (a name, an image). */
void conn_audit_target(struct conn *c, const char *target);
/*
 * A Docker event of an image, network or volume (pull, tag, untag, delete,
 * load, import, push; create, connect, disconnect, destroy): Actor.ID id,
 * Attributes name (and container, when not NULL), delivered as the audit
 * records are: by imaged and netd to containerd, by containerd to its stream.
 */
void server_event(struct server *s, const char *type, const char *action, const char *id,
		  const char *name, const char *container);

#endif
