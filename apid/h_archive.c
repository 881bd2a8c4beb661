/*
 * A container's files through the API: GET and HEAD /containers/ID/archive
 * (a path as a tar, its stat in X-Docker-Container-Path-Stat), PUT (a tar
 * unpacked into a directory) and GET /containers/ID/export. The tar itself
 * is imaged's, made and read chrooted in the container's root
 * (libberthclient's bc_copy); apid only carries it.
 */
#include "config.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "apid.h"
#include "common/cleanup.h"
#include "common/xalloc.h"
#include "ctl/lib/bc_copy.h"

#define TAR_CHUNK 65536

/* Go's os.FileMode, which the docker CLI decodes: the type as high bits. */
static unsigned long go_mode(mode_t m)
{
	unsigned long g = m & 0777;

	if (m & S_ISUID)
		g |= 1ul << 23;
	if (m & S_ISGID)
		g |= 1ul << 22;
	if (m & S_ISVTX)
		g |= 1ul << 20;
	switch (m & S_IFMT) {
	case S_IFDIR:
		g |= 1ul << 31;
		break;
	case S_IFLNK:
		g |= 1ul << 27;
		break;
	case S_IFIFO:
		g |= 1ul << 25;
		break;
	case S_IFSOCK:
		g |= 1ul << 24;
		break;
	case S_IFCHR:
		g |= 1ul << 26 | 1ul << 21;
		break;
	case S_IFBLK:
		g |= 1ul << 26;
		break;
	}
	return g;
}

/* The worker's first TAR_CHUNK bytes (fewer at the end): the path's own header is in them. */
static size_t read_block(int in, char *buf)
{
	size_t len = 0;
	ssize_t n;

	while (len < TAR_CHUNK && (n = read(in, buf + len, TAR_CHUNK - len)) > 0)
		len += (size_t)n;
	return len;
}

/* The tar's first entry, read from its first block; the archive (to free) or NULL. */
static struct archive *first_entry(const char *buf, size_t n, struct archive_entry **e)
{
	struct archive *a = archive_read_new();

	archive_read_support_format_tar(a);
	if (n && archive_read_open_memory(a, buf, n) == ARCHIVE_OK &&
	    archive_read_next_header(a, e) == ARCHIVE_OK)
		return a;
	archive_read_free(a);
	return NULL;
}

/* The header value for the tar's first entry (path itself): base64 of Docker's JSON. */
static char *path_stat(const char *buf, size_t n, const char *path)
{
	struct archive_entry *e;
	struct archive *a = first_entry(buf, n, &e);
	cleanup_cjson cJSON *o = NULL;
	cleanup_free char *json = NULL;
	const char *base = strrchr(path, '/');
	char mtime[40] = "";
	char *b64;
	struct tm tm;
	time_t t;

	if (!a)
		return NULL;
	t = archive_entry_mtime(e);
	if (gmtime_r(&t, &tm))
		strftime(mtime, sizeof(mtime), "%Y-%m-%dT%H:%M:%SZ", &tm);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", base && base[1] ? base + 1 : path);
	cJSON_AddNumberToObject(o, "size", (double)archive_entry_size(e));
	cJSON_AddNumberToObject(o, "mode", (double)go_mode(archive_entry_mode(e)));
	cJSON_AddStringToObject(o, "mtime", mtime);
	cJSON_AddStringToObject(o, "linkTarget", archive_entry_symlink(e) ?: "");
	json = cJSON_PrintUnformatted(o);
	b64 = b64_encode(json);
	archive_read_free(a);
	return b64;
}

struct tar_out {
	struct resp *rs;
	const char *path; /* NULL: no stat header (export) */
	bool head_only;
	bool begun;
	bool broken;
};

/* The worker's tar to the client: the stat from its first block, then the stream. */
static int tar_out(int in, void *arg, struct err *err)
{
	struct tar_out *t = arg;
	cleanup_free char *buf = xmalloc(TAR_CHUNK), *stat = NULL, *hdr = NULL;
	size_t len = read_block(in, buf);
	ssize_t n;

	if (!len)
		return 0; /* nothing: the job's error says why */
	if (t->path && (stat = path_stat(buf, len, t->path))) {
		hdr = xasprintf("X-Docker-Container-Path-Stat: %s\r\n", stat);
		t->rs->extra_headers = hdr;
	}
	t->begun = true;
	if (t->head_only) {
		resp_empty(t->rs, 200);
		t->rs->extra_headers = NULL;
		return 0;
	}
	if (resp_stream_begin(t->rs, 200, "application/x-tar") < 0 ||
	    resp_chunk(t->rs, buf, len) < 0)
		goto broken;
	t->rs->extra_headers = NULL;
	while ((n = read(in, buf, TAR_CHUNK)) > 0)
		if (resp_chunk(t->rs, buf, (size_t)n) < 0)
			goto broken;
	return n < 0 ? err_sys(err, "read the archive") : 0;
broken:
	t->rs->extra_headers = NULL;
	t->broken = true;
	return err_set(err, EPIPE, "the client went away");
}

static char *abs_path(const char *p)
{
	return p[0] == '/' ? xstrdup(p) : xasprintf("/%s", p);
}

/* A container's path or whole root as a tar; its error before the stream began. */
static void send_tar(struct apid *a, struct resp *rs, const char *ref, const char *path,
		     bool head_only)
{
	cleanup_hold struct bc_root_hold hold = {0};
	struct tar_out t = {.rs = rs, .path = path, .head_only = head_only};
	struct err err = ERR_INIT;
	char id[65];
	int p[2], r;

	if (bc_container_root(&a->paths, ref, id, &hold, NULL, &err) < 0 ||
	    (pipe2(p, O_CLOEXEC) < 0 && err_sys(&err, "pipe") < 0)) {
		resp_err(rs, &err);
		err_clear(&err);
		return;
	}
	/* a path: through the container's volumes and binds, as docker cp; export: its root only */
	r = bc_copy_job(&a->paths, &hold, path ? path : "/", false, path != NULL, p[1], tar_out,
			p[0], &t, &err);
	if (t.begun) {
		/* a stream that fails half-way just ends: the tar is cut short */
		if (!head_only && !t.broken)
			resp_stream_end(rs);
		err_clear(&err);
		return;
	}
	if (r == 0)
		err_set(&err, EIO, "berth-imaged sent no archive for %s", path ? path : "/");
	if (err.code == ENOENT && path)
		resp_error(rs, 404, "Could not find the file %s in container %s", path, ref);
	else
		resp_err(rs, &err);
	err_clear(&err);
}

void h_ctr_archive_get(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	cleanup_free char *q = req_query(rq, "path"), *path = NULL;

	if (!q || !*q) {
		resp_error(rs, 400, "Bad parameters: the path is missing (?path=...)");
		return;
	}
	path = abs_path(q);
	send_tar(a, rs, arg[0], path, !strcmp(rq->method, "HEAD"));
}

void h_ctr_export(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	(void)rq;
	send_tar(a, rs, arg[0], NULL, false);
}

/* The type of path's first tar entry (itself), read from the first block. */
static int first_type(int in, void *arg, struct err *err)
{
	mode_t *type = arg;
	cleanup_free char *buf = xmalloc(TAR_CHUNK);
	struct archive_entry *e;
	struct archive *a = first_entry(buf, read_block(in, buf), &e);

	(void)err;
	if (a) {
		*type = archive_entry_filetype(e);
		archive_read_free(a);
	}
	return 0;
}

/* Docker's PUT extracts into a directory that is there: 404 or 400 otherwise. */
static int check_dir(struct apid *a, struct resp *rs, const struct bc_root_hold *h, const char *ref,
		     const char *path)
{
	struct err err = ERR_INIT;
	mode_t type = 0;
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0) {
		err_sys(&err, "pipe");
		resp_err(rs, &err);
		err_clear(&err);
		return -1;
	}
	/* only the first block is read: the worker's EPIPE after it is no news */
	bc_copy_job(&a->paths, h, path, false, true, p[1], first_type, p[0], &type, &err);
	err_clear(&err);
	if (!type) {
		resp_error(rs, 404, "Could not find the file %s in container %s", path, ref);
		return -1;
	}
	if (type != AE_IFDIR) {
		resp_error(rs, 400, "extraction point is not a directory: %s", path);
		return -1;
	}
	return 0;
}

struct body_in {
	const char *data;
	size_t len;
};

/* The request's tar to the worker; a worker that stopped reading says why itself. */
static int body_out(int out, void *arg, struct err *err)
{
	const struct body_in *b = arg;

	(void)err;
	for (size_t off = 0; off < b->len;) {
		ssize_t w = write(out, b->data + off, b->len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return 0;
		off += (size_t)w;
	}
	return 0;
}

void h_ctr_archive_put(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	cleanup_hold struct bc_root_hold hold = {0};
	cleanup_free char *q = req_query(rq, "path"), *path = NULL;
	struct body_in b = {rq->body, rq->body_len};
	struct err err = ERR_INIT;
	char id[65];
	int p[2];

	if (!q || !*q) {
		resp_error(rs, 400, "Bad parameters: the path is missing (?path=...)");
		return;
	}
	if (!rq->body_len) {
		resp_error(rs, 400, "Bad parameters: the body must be a tar archive");
		return;
	}
	path = abs_path(q);
	if (bc_container_root(&a->paths, arg[0], id, &hold, NULL, &err) < 0 ||
	    (pipe2(p, O_CLOEXEC) < 0 && err_sys(&err, "pipe") < 0)) {
		resp_err(rs, &err);
		err_clear(&err);
		return;
	}
	if (check_dir(a, rs, &hold, arg[0], path) < 0) {
		close(p[0]);
		close(p[1]);
		return;
	}
	if (bc_copy_job(&a->paths, &hold, path, true, true, p[0], body_out, p[1], &b, &err) < 0)
		goto fail;
	resp_empty(rs, 200);
	return;
fail:
	if (err.code == ENOENT)
		resp_error(rs, 404, "Could not find the file %s in container %s", path, arg[0]);
	else
		resp_err(rs, &err);
	err_clear(&err);
}
