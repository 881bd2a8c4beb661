#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "addr.h"
#include "client.h"
#include "common/cleanup.h"
#include "common/xalloc.h"
#include "tags.h"

static int client_hello(struct client *c, uint32_t role, uint32_t version,
			const struct client_for *who, struct err *err)
{
	struct frame reply;
	struct pbuf pb;
	uint32_t peer_proto = 0;
	int r;

	pb_init(&pb);
	pb_put_u32(&pb, TAG_PROTO, version);
	pb_put_u32(&pb, TAG_ROLE, role);
	pb_put_str(&pb, TAG_NAME, program_invocation_short_name);
	pb_put_str(&pb, TAG_VERSION, PACKAGE_VERSION);
	if (who && who->uid != (uid_t)-1)
		pb_put_u32(&pb, TAG_AUTH_UID, (uint32_t)who->uid);
	else if (who)
		pb_put_str(&pb, TAG_AUTH_SUBJECT, who->subject ? who->subject : "");
	r = client_call(c, MSG_HELLO, &pb, NULL, 0, &reply, err);
	if (r < 0)
		return r;
	if (p_get_u32(reply.payload, reply.len, TAG_PROTO, &peer_proto, err) <= 0 ||
	    p_get_str(reply.payload, reply.len, TAG_NAME, &c->peer_name, err) <= 0 ||
	    p_get_str(reply.payload, reply.len, TAG_VERSION, &c->peer_version, err) <= 0) {
		frame_release(&reply);
		return err_set(err, EPROTO, "malformed hello reply from %s", c->path);
	}
	frame_release(&reply);
	if (peer_proto != version)
		return err_set(err, EPROTO, "%s speaks protocol version %u, we speak %u",
			       c->peer_name, peer_proto, version);
	return 0;
}

static void client_init(struct client *c, int fd, const char *label)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	frame_reader_init(&c->rd);
	c->path = xstrdup(label);
}

static int client_start(struct client *c, uint32_t role, uint32_t version,
			const struct client_for *who, struct err *err)
{
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	int r;

	if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0)
		c->peer_pid = cred.pid;
	r = client_hello(c, role, version, who, err);
	if (r < 0)
		return err_wrap(err, "hello to %s", c->path);
	return 0;
}

int client_from_fd(struct client *c, int fd, const char *label, uint32_t role, uint32_t version,
		   struct err *err)
{
	client_init(c, fd, label);
	return client_start(c, role, version, NULL, err);
}

static int connect_path(struct client *c, const char *path, uint32_t role, uint32_t version,
			const struct client_for *who, struct err *err)
{
	struct sockaddr_un sun;
	cleanup_close int dirfd = -1;

	client_init(c, -1, path);
	if (unix_addr(path, &sun, &dirfd, err) < 0)
		return -err->code;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return err_sys(err, "socket");
	if (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		return err_sys(err, "connect to %s", path);
	return client_start(c, role, version, who, err);
}

int client_connect_version(struct client *c, const char *path, uint32_t role, uint32_t version,
			   struct err *err)
{
	return connect_path(c, path, role, version, NULL, err);
}

int client_connect_for(struct client *c, const char *path, const struct client_for *who,
		       struct err *err)
{
	return connect_path(c, path, ROLE_APID, PROTO_VERSION, who, err);
}

int client_connect(struct client *c, const char *path, uint32_t role, struct err *err)
{
	return client_connect_version(c, path, role, PROTO_VERSION, err);
}

void client_close(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	frame_reader_free(&c->rd);
	free(c->path);
	free(c->peer_name);
	free(c->peer_version);
	c->path = c->peer_name = c->peer_version = NULL;
}

int client_set_timeout(struct client *c, unsigned ms, struct err *err)
{
	struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};

	if (setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		return err_sys(err, "setsockopt(SO_RCVTIMEO)");
	return 0;
}

int client_send(struct client *c, uint16_t type, struct pbuf *pb, const int *fds, unsigned nfds,
		uint32_t *id, struct err *err)
{
	struct frame_writer fw;
	int r;

	frame_writer_init(&fw);
	if (pb && pb->len > PROTO_MAX_PAYLOAD) {
		size_t len = pb->len;

		pb_free(pb);
		return err_set(err, EMSGSIZE, "request of %zu bytes is over the protocol limit",
			       len);
	}
	c->next_id++;
	if (id)
		*id = c->next_id;
	frame_writer_push(&fw, type, 0, c->next_id, pb, fds, nfds);
	r = frame_writer_flush(&fw, c->fd, err); /* blocking socket: all or error */
	frame_writer_free(&fw);
	if (r < 0)
		return err_wrap(err, "send %s to %s", msg_name(type), c->path);
	return 0;
}

int frame_to_err(const struct frame *f, struct err *err)
{
	cleanup_free char *msg = NULL;
	uint32_t code = EIO;
	struct err ignore = ERR_INIT;

	p_get_u32(f->payload, f->len, TAG_ERR_CODE, &code, &ignore);
	p_get_str(f->payload, f->len, TAG_ERR_MSG, &msg, &ignore);
	err_clear(&ignore);
	return err_set(err, (int)code, "%s", msg ? msg : "error without a message");
}

int client_recv(struct client *c, struct frame *f, struct err *err)
{
	for (;;) {
		int r = frame_reader_next(&c->rd, f, err);

		if (r < 0)
			return err_wrap(err, "bad frame from %s", c->path);
		if (r == 1)
			break;
		r = frame_reader_recv(&c->rd, c->fd, err);
		if (r == -EAGAIN)
			return err_set(err, ETIMEDOUT, "no answer from %s in time", c->path);
		if (r < 0)
			return r;
		if (r == 0)
			return err_set(err, ECONNRESET, "%s closed the connection", c->path);
	}
	if (fields_validate(f->payload, f->len, err) < 0) {
		frame_release(f);
		return err_wrap(err, "bad payload from %s", c->path);
	}
	if (f->flags & PF_ERROR) {
		int r = frame_to_err(f, err);

		frame_release(f);
		return r;
	}
	return 0;
}

int client_call(struct client *c, uint16_t type, struct pbuf *pb, const int *fds, unsigned nfds,
		struct frame *reply, struct err *err)
{
	uint32_t id;
	int r = client_send(c, type, pb, fds, nfds, &id, err);

	if (r < 0)
		return r;
	r = client_recv(c, reply, err);
	if (r < 0)
		return r;
	if (!(reply->flags & PF_REPLY) || reply->id != id) {
		frame_release(reply);
		return err_set(err, EPROTO, "%s answered %s with an unexpected frame", c->path,
			       msg_name(type));
	}
	return 0;
}
