/* libberthclient: a container's files as a tar on an fd, both ways (bc_copy.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "bc_copy.h"
#include "common/cleanup.h"
#include "proto/tags.h"

void bc_hold_release(struct bc_root_hold *h)
{
	if (h->held)
		client_close(&h->c);
	h->held = false;
}

/*
 * containerd mounts a container that does not run for as long as this
 * connection lasts, and gives leave to copy (the grant) to who may.
 */
static int hold_root(const struct berth_paths *p, const char *id, struct bc_root_hold *h,
		     struct err *err)
{
	cleanup_free char *text = NULL;
	cleanup_cjson cJSON *o = NULL;
	struct err ignore = ERR_INIT;
	const char *grant;
	struct frame f;
	struct pbuf pb;

	if (bc_connect(p, DAEMON_CONTAINERD, &h->c, err) < 0)
		return -err->code;
	pb_init(&pb);
	pb_put_str(&pb, TAG_REF, id);
	if (client_call(&h->c, MSG_CONTAINER_MOUNT, &pb, NULL, 0, &f, err) < 0) {
		client_close(&h->c);
		return -err->code;
	}
	p_get_str(f.payload, f.len, TAG_JSON, &text, &ignore);
	err_clear(&ignore);
	frame_release(&f);
	h->held = true;
	o = text ? cJSON_Parse(text) : NULL;
	grant = cJSON_GetStringValue(cJSON_GetObjectItem(o, "Grant"));
	if (grant && strlen(grant) < sizeof(h->grant))
		memcpy(h->grant, grant, strlen(grant) + 1);
	return 0;
}

int bc_container_root(const struct berth_paths *p, const char *ref, char id[65],
		      struct bc_root_hold *h, cJSON **rec, struct err *err)
{
	cleanup_cjson cJSON *own = NULL;
	cJSON *r;
	const char *got;

	if (bc_inspect(p, ref, &own, err) < 0)
		return -err->code;
	r = own;
	got = cJSON_GetStringValue(cJSON_GetObjectItem(r, "Id"));
	if (!got || strlen(got) != 64)
		return err_set(err, EPROTO, "berth-containerd sent no id for %s", ref);
	memcpy(id, got, 65);
	memcpy(h->id, got, 65);
	if (rec) {
		*rec = own;
		own = NULL;
	}
	/* mounted while it runs (paused too): then containerd just checks and gives leave */
	return hold_root(p, id, h, err);
}

int bc_copy_job(const struct berth_paths *p, const struct bc_root_hold *h, const char *path,
		bool put, bool mounts, int fd, bc_consume_fn consume, int our_end, void *arg,
		struct err *err)
{
	struct err jerr = ERR_INIT;
	struct client c;
	struct pbuf pb;
	int r = 0;

	if (bc_connect(p, DAEMON_IMAGED, &c, err) < 0) {
		close(fd);
		if (our_end >= 0)
			close(our_end);
		return -err->code;
	}
	pb_init(&pb);
	pb_put_str(&pb, TAG_KEY, h->id);
	if (h->grant[0])
		pb_put_str(&pb, TAG_GRANT, h->grant);
	pb_put_str(&pb, TAG_NAME, path);
	pb_put_u32(&pb, TAG_STREAM, put);
	pb_put_u32(&pb, TAG_ALL, mounts);
	if (client_send(&c, MSG_SNAPSHOT_COPY, &pb, &fd, 1, NULL, err) < 0) {
		r = -err->code;
		goto out;
	}
	if (consume)
		r = consume(our_end, arg, err);
	/* our end goes now: a worker still writing (we stopped early) gets EPIPE */
	if (our_end >= 0) {
		close(our_end);
		our_end = -1;
	}
	for (;;) {
		struct frame f;
		bool end;

		if (client_recv(&c, &f, &jerr) < 0) {
			err_clear(err);
			*err = jerr;
			r = -err->code;
			break;
		}
		end = (f.flags & PF_END) || !(f.flags & PF_STREAM);
		frame_release(&f);
		if (end)
			break;
	}
out:
	if (our_end >= 0)
		close(our_end);
	client_close(&c);
	return r;
}

static int pump(int in, void *arg, struct err *err)
{
	int out = *(int *)arg;
	char buf[65536];
	ssize_t n;

	while ((n = read(in, buf, sizeof(buf))) > 0)
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));

			if (w < 0)
				return err_sys(err, "write");
			off += w;
		}
	return n < 0 ? err_sys(err, "read") : 0;
}

int bc_copy_out(const struct berth_paths *p, const struct bc_root_hold *h, const char *path,
		bool mounts, int out, struct err *err)
{
	int fds[2];

	if (pipe2(fds, O_CLOEXEC) < 0)
		return err_sys(err, "pipe");
	return bc_copy_job(p, h, path, false, mounts, fds[1], pump, fds[0], &out, err);
}
