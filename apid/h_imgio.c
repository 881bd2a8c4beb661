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

int apid_tmpfile(struct err *err)
{
	const char *dir = getenv("TMPDIR") ?: "/tmp";
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd < 0)
		return err_sys(err, "a temporary file in %s", dir);
	return fd;
}

/* The archive the request carried (http.c spooled it to a file), from its start, for imaged. */
static int body_file(const struct request *rq, struct err *err)
{
	int fd;

	if (!rq->spool || !rq->body_len)
		return err_set(err, EINVAL, "no archive in the request");
	if ((fd = fcntl(rq->body_fd, F_DUPFD_CLOEXEC, 3)) < 0)
		return err_sys(err, "dup");
	if (lseek(fd, 0, SEEK_SET) < 0) {
		close(fd);
		return err_sys(err, "lseek");
	}
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

	if ((fd = apid_tmpfile(&err)) < 0)
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

/* A job that failed: in its stream once that began, else as the answer. */
static void job_failed(struct load_sink *s, struct err *err)
{
	if (s->begun) {
		resp_stream_error(s->rs, err);
		resp_stream_end(s->rs);
	} else {
		resp_err(s->rs, err);
	}
	err_clear(err);
}

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
	if ((fd = body_file(rq, &err)) < 0)
		goto fail;
	if (bc_job(&a->paths, MSG_IMAGE_LOAD, NULL, fd, load_line, &sink, NULL, &err) < 0)
		goto fail;
	if (!sink.begun)
		load_line("Loaded", &sink);
	if (!sink.broken)
		resp_stream_end(rs);
	return;
fail:
	job_failed(&sink, &err);
}

/* One line of the import's progress as Docker's {"status": ...}. */
static void import_line(const char *line, void *arg)
{
	struct load_sink *s = arg;
	cleanup_cjson cJSON *o = cJSON_CreateObject();

	if (s->broken)
		return;
	cJSON_AddStringToObject(o, "status", line);
	if (resp_message(s->rs, o) < 0)
		s->broken = true;
}

/*
 * docker import: the rootfs tar is the body (fromSrc=-) or at a URL imaged
 * downloads; repo and tag name it, message and changes go into its config.
 * The answer ends with {"status": "sha256:ID"} (imaged's last line), which the CLI prints.
 */
void h_img_import(struct apid *a, struct resp *rs, const struct request *rq, const char *src)
{
	cleanup_free char *repo = req_query(rq, "repo"), *tag = req_query(rq, "tag");
	cleanup_free char *msg = req_query(rq, "message"), *text = NULL;
	cleanup_cjson cJSON *o = cJSON_CreateObject(), *res = NULL;
	struct load_sink sink = {.rs = rs};
	struct err err = ERR_INIT;
	struct pbuf pb;
	int fd = -1;

	cJSON_AddItemToObject(o, "changes", req_changes(rq));
	if (msg && *msg)
		cJSON_AddStringToObject(o, "message", msg);
	if (!strcmp(src, "-")) {
		if (!rq->body_len) {
			resp_error(rs, 400,
				   "Bad parameters: fromSrc=- needs the archive as the body");
			return;
		}
		if ((fd = body_file(rq, &err)) < 0)
			goto fail;
	} else if (strstr(src, "://")) {
		cJSON_AddStringToObject(o, "url", src);
	} else {
		resp_error(rs, 400, "Bad parameters: fromSrc is - or a URL, not '%s'", src);
		return;
	}
	text = cJSON_PrintUnformatted(o);
	pb_init(&pb);
	pb_put_str(&pb, TAG_JSON, text);
	if (repo && *repo) {
		cleanup_free char *name =
		    tag && *tag ? xasprintf("%s:%s", repo, tag) : xstrdup(repo);

		pb_put_str(&pb, TAG_NAME, name);
	}
	if (resp_stream_begin(rs, 200, "application/json") < 0) {
		pb_free(&pb);
		if (fd >= 0)
			close(fd);
		return;
	}
	sink.begun = true;
	/* the job's last line is the new image's id */
	if (bc_job(&a->paths, MSG_IMAGE_IMPORT, &pb, fd, import_line, &sink, &res, &err) < 0)
		goto fail;
	resp_stream_end(rs);
	return;
fail:
	job_failed(&sink, &err);
}
