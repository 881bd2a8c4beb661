/* libberthclient: reaching the daemons, calls and imaged jobs. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bclient.h"
#include "common/cleanup.h"
#include "common/xalloc.h"
#include "proto/tags.h"

/* The one piece of per-thread state: whom this thread's requests are for. */
static _Thread_local const struct client_for *acting_for;

void bc_act_for(const struct client_for *who)
{
	acting_for = who;
}

int bc_connect(const struct berth_paths *p, enum berth_daemon d, struct client *c, struct err *err)
{
	cleanup_free char *path = paths_socket(p, d);
	const char *bin = berth_daemons[d].binary;
	int r = acting_for ? client_connect_for(c, path, acting_for, err)
			   : client_connect(c, path, ROLE_CLIENT, err);

	if (r == 0)
		return 0;
	client_close(c);
	if (err->code == ENOENT || err->code == ECONNREFUSED) {
		cleanup_free char *why = xstrdup(err_msg(err));

		return err_set(err, BC_UNREACHABLE,
			       "cannot reach %s: %s (is %s running? try: berth system start)", bin,
			       why, bin);
	}
	if (err->code == EACCES) {
		cleanup_free char *why = xstrdup(err_msg(err));

		return err_set(err, BC_UNREACHABLE, "%s: %s (are you root or in the berth group?)",
			       bin, why);
	}
	err_wrap(err, "%s", bin);
	err->code = BC_UNREACHABLE;
	return -BC_UNREACHABLE;
}

/* Wait until c has something to read, or watch (a client of ours) hangs up. */
static int wait_reply(struct client *c, int watch, struct err *err)
{
	for (;;) {
		struct pollfd p[2] = {{.fd = c->fd, .events = POLLIN},
				      {.fd = watch, .events = POLLRDHUP}};

		if (poll(p, watch >= 0 ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			return err_sys(err, "poll");
		}
		if (p[0].revents)
			return 0;
		if (p[1].revents & (POLLRDHUP | POLLHUP | POLLERR))
			return err_set(err, ECANCELED, "the client went away");
	}
}

static int call(const struct berth_paths *p, enum berth_daemon d, uint16_t type, struct pbuf *pb,
		cJSON **out, int *fds, unsigned *nfds, int watch, struct err *err)
{
	cleanup_free char *text = NULL;
	struct err ignore = ERR_INIT;
	struct client c;
	struct frame f;
	uint32_t id;

	if (nfds)
		*nfds = 0;
	if (out)
		*out = NULL;
	if (bc_connect(p, d, &c, err) < 0) {
		pb_free(pb);
		return -err->code;
	}
	if (client_send(&c, type, pb, NULL, 0, &id, err) < 0 ||
	    (watch >= 0 && wait_reply(&c, watch, err) < 0) || client_recv(&c, &f, err) < 0) {
		client_close(&c);
		return -err->code;
	}
	if (!(f.flags & PF_REPLY) || f.id != id) {
		frame_release(&f);
		client_close(&c);
		return err_set(err, EPROTO, "%s answered %s with an unexpected frame",
			       berth_daemons[d].binary, msg_name(type));
	}
	p_get_str(f.payload, f.len, TAG_JSON, &text, &ignore);
	err_clear(&ignore);
	if (fds && nfds)
		for (unsigned i = 0; i < f.nfds; i++)
			fds[(*nfds)++] = frame_take_fd(&f, i);
	frame_release(&f);
	client_close(&c);
	if (out && !(*out = text ? cJSON_Parse(text) : NULL))
		return err_set(err, EPROTO, "%s sent a reply that is not JSON",
			       berth_daemons[d].binary);
	return 0;
}

int bc_call(const struct berth_paths *p, enum berth_daemon d, uint16_t type, struct pbuf *pb,
	    cJSON **out, int *fds, unsigned *nfds, struct err *err)
{
	return call(p, d, type, pb, out, fds, nfds, -1, err);
}

int bc_call_watch(const struct berth_paths *p, enum berth_daemon d, uint16_t type, struct pbuf *pb,
		  cJSON **out, int watch, struct err *err)
{
	return call(p, d, type, pb, out, NULL, NULL, watch, err);
}

int bc_job(const struct berth_paths *p, uint16_t type, struct pbuf *pb, int fd, bc_line_fn on_line,
	   void *arg, cJSON **result, struct err *err)
{
	struct client c;
	struct frame f;
	uint32_t id;

	if (bc_connect(p, DAEMON_IMAGED, &c, err) < 0) {
		if (fd >= 0)
			close(fd);
		pb_free(pb);
		return -err->code;
	}
	/* the data travels as an fd: imaged reads or writes what we opened, nothing else */
	if (client_send(&c, type, pb, &fd, fd >= 0 ? 1 : 0, &id, err) < 0)
		goto fail;
	for (;;) {
		cleanup_free char *line = NULL, *json = NULL;

		if (client_recv(&c, &f, err) < 0)
			goto fail;
		if (f.flags & PF_END) {
			if (result && p_get_str(f.payload, f.len, TAG_JSON, &json, err) > 0)
				*result = cJSON_Parse(json);
			frame_release(&f);
			break;
		}
		if (p_get_str(f.payload, f.len, TAG_LINE, &line, err) > 0 && on_line)
			on_line(line, arg);
		frame_release(&f);
	}
	client_close(&c);
	return 0;
fail:
	client_close(&c);
	return err_wrap(err, "%s", strchr(msg_name(type), '.') + 1);
}
