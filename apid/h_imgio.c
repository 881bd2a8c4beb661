/*
 * Images as archives through the API: GET /images/get and /images/NAME/get
 * (docker save) and POST /images/load (docker load). berth-imaged makes and
 * reads the archive (IMAGE_SAVE, IMAGE_LOAD) on an fd; apid hands it a file
 * of its own, unlinked (O_TMPFILE), so neither side waits on the other.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apid.h"
#include "common/cleanup.h"
#include "common/xalloc.h"
#include "ctl/lib/bclient.h"
#include "proto/tags.h"

#define COPY_CHUNK 65536

/* An unlinked file in $TMPDIR (a private /tmp under systemd). */
static int tmp_file(struct err *err)
{
	const char *dir = getenv("TMPDIR") ?: "/tmp";
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd < 0)
		return err_sys(err, "a temporary file in %s", dir);
	return fd;
}

/* The archive of names (docker or oci layout) as the answer, or the error before it. */
static void save(struct apid *a, struct resp *rs, char **names, unsigned n)
{
	cleanup_free char *buf = NULL;
	struct err err = ERR_INIT;
	struct pbuf pb;
	ssize_t got;
	int fd, job;

	if ((fd = tmp_file(&err)) < 0)
		goto fail;
	pb_init(&pb);
	pb_put_str(&pb, TAG_FORMAT, "docker");
	for (unsigned i = 0; i < n; i++)
		pb_put_str(&pb, TAG_REF, names[i]);
	job = dup(fd);
	if (job < 0) {
		err_sys(&err, "dup");
		close(fd);
		goto fail;
	}
	/* the archive is the answer: its progress goes nowhere */
	if (bc_job(&a->paths, MSG_IMAGE_SAVE, &pb, job, NULL, NULL, NULL, &err) < 0) {
		close(fd);
		goto fail;
	}
	if (lseek(fd, 0, SEEK_SET) < 0 || resp_stream_begin(rs, 200, "application/x-tar") < 0) {
		close(fd);
		return;
	}
	buf = xmalloc(COPY_CHUNK);
	while ((got = read(fd, buf, COPY_CHUNK)) > 0)
		if (resp_chunk(rs, buf, (size_t)got) < 0)
			break;
	if (got == 0)
		resp_stream_end(rs);
	close(fd);
	return;
fail:
	resp_err(rs, &err);
	err_clear(&err);
}

void h_img_get(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	char *names[64];
	unsigned n = 0;

	(void)arg;
	while (n < 64 && (names[n] = req_query_nth(rq, "names", n)))
		n++;
	if (!n)
		resp_error(rs, 400, "Bad parameters: no image named (?names=...)");
	else
		save(a, rs, names, n);
	for (unsigned i = 0; i < n; i++)
		free(names[i]);
}

void h_img_get_one(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	(void)rq;
	save(a, rs, arg, 1);
}

struct load_sink {
	struct resp *rs;
	bool quiet;
	bool begun;
	bool broken;
};

/* "Loaded image: NAME" lines as Docker's {"stream": ...} messages. */
static void load_line(const char *line, void *arg)
{
	struct load_sink *s = arg;
	cleanup_cjson cJSON *o = NULL;
	cleanup_free char *text = NULL;

	if (s->broken || (s->quiet && strncmp(line, "Loaded image", 12)))
		return;
	if (!s->begun) {
		s->begun = true;
		if (resp_stream_begin(s->rs, 200, "application/json") < 0) {
			s->broken = true;
			return;
		}
	}
	o = cJSON_CreateObject();
	text = xasprintf("%s\n", line);
	cJSON_AddStringToObject(o, "stream", text);
	if (resp_message(s->rs, o) < 0)
		s->broken = true;
}

void h_img_load(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	struct load_sink sink = {.rs = rs, .quiet = req_query_bool(rq, "quiet", false)};
	struct err err = ERR_INIT;
	int fd;

	(void)arg;
	if (!rq->body_len) {
		resp_error(rs, 400,
			   "Bad parameters: the body must be an image archive (docker save)");
		return;
	}
	if ((fd = tmp_file(&err)) < 0)
		goto fail;
	for (size_t off = 0; off < rq->body_len;) {
		ssize_t w = write(fd, rq->body + off, rq->body_len - off);

		if (w < 0) {
			err_sys(&err, "write the archive");
			close(fd);
			goto fail;
		}
		off += (size_t)w;
	}
	if (lseek(fd, 0, SEEK_SET) < 0) {
		err_sys(&err, "lseek");
		close(fd);
		goto fail;
	}
	if (bc_job(&a->paths, MSG_IMAGE_LOAD, NULL, fd, load_line, &sink, NULL, &err) < 0)
		goto fail;
	if (!sink.begun)
		load_line("Loaded", &sink);
	if (!sink.broken)
		resp_stream_end(rs);
	return;
fail:
	if (sink.begun) {
		resp_stream_error(rs, &err);
		resp_stream_end(rs);
	} else {
		resp_err(rs, &err);
	}
	err_clear(&err);
}
