/*
 * Layer unpacking, in berth-imaged-worker (the only program that links
 * libarchive). Everything here runs after a chroot into the snapshot
 * directory, so no entry (../x, /abs, a symlink to /, a
 * hardlink to a host path) can reach outside it; the worker never resolves
 * user names (numeric ids only: no NSS module is ever loaded from an image).
 */
#include "config.h"

#include <archive.h>
#include <archive_entry.h>
#include <cap-ng.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/digest.h"
#include "common/xalloc.h"
#include "unpack.h"

#define WH_PREFIX ".wh."
#define WH_OPAQUE ".wh..wh..opq"

struct inner_src {
	struct archive *outer;
	struct sha256 h;
	uint64_t size;
	char buf[65536];
};

/* The tar reader pulls decompressed bytes from the outer reader, hashing them. */
static la_ssize_t inner_read(struct archive *a, void *data, const void **buf)
{
	struct inner_src *s = data;
	la_ssize_t n = archive_read_data(s->outer, s->buf, sizeof(s->buf));

	if (n < 0) {
		archive_set_error(a, EIO, "%s", archive_error_string(s->outer));
		return -1;
	}
	sha256_update(&s->h, s->buf, (size_t)n);
	s->size += (uint64_t)n;
	*buf = s->buf;
	return n;
}

static int mkdir_parents(const char *path)
{
	char tmp[4096];

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return 0;
}

/* Strip "./" and leading "/" so every path is relative to the layer root. */
static const char *clean_name(const char *n)
{
	while (*n == '/' || (n[0] == '.' && n[1] == '/'))
		n += (*n == '/') ? 1 : 2;
	return n;
}

static int handle_whiteout(const char *name, const char *base, char ***opaque, size_t *nopaque,
			   struct err *err)
{
	char target[4096];
	size_t dirlen = (size_t)(base - name);
	struct stat st;

	if (!strcmp(base, WH_OPAQUE)) {
		*opaque = xreallocarray(*opaque, *nopaque + 1, sizeof(char *));
		(*opaque)[(*nopaque)++] = dirlen ? xstrndup(name, dirlen) : xstrdup(".");
		return 0;
	}
	if (!strcmp(base, WH_PREFIX))
		return err_set(err, EINVAL, "layer entry '%s' is a whiteout without a name", name);
	snprintf(target, sizeof(target), "%.*s%s", (int)dirlen, name, base + strlen(WH_PREFIX));
	/* a whiteout hides lower layers only: an entry of this layer stays */
	if (lstat(target, &st) == 0)
		return 0;
	if (mkdir_parents(target) < 0)
		return err_sys(err, "create the parents of whiteout %s", target);
	if (mknod(target, S_IFCHR | 0, makedev(0, 0)) < 0)
		return err_sys(err, "create whiteout %s", target);
	return 0;
}

static int copy_data(struct archive *in, struct archive *out, struct err *err)
{
	const void *buf;
	size_t len;
	la_int64_t off;
	int r;

	while ((r = archive_read_data_block(in, &buf, &len, &off)) == ARCHIVE_OK)
		if (archive_write_data_block(out, buf, len, off) < ARCHIVE_OK)
			return err_set(err, EIO, "%s", archive_error_string(out));
	if (r != ARCHIVE_EOF)
		return err_set(err, EIO, "%s", archive_error_string(in));
	return 0;
}

static int extract(int blobfd, const char *diff_id, char *diff_out, uint64_t *size, struct err *err)
{
	struct archive *outer = archive_read_new(), *in = archive_read_new();
	struct archive *out = archive_write_disk_new();
	struct archive_entry *ae;
	struct inner_src *src = xzalloc(sizeof(*src));
	char **opaque = NULL, got[DIGEST_STR_LEN + 1];
	size_t nopaque = 0;
	int r = 0, ar;

	archive_read_support_filter_all(outer);
	archive_read_support_format_raw(outer);
	archive_read_support_format_empty(outer);
	if (archive_read_open_fd(outer, blobfd, 65536) != ARCHIVE_OK ||
	    archive_read_next_header(outer, &ae) != ARCHIVE_OK) {
		r = err_set(err, EINVAL, "layer is not readable: %s", archive_error_string(outer));
		goto out;
	}
	src->outer = outer;
	if (sha256_init(&src->h, err) < 0) {
		r = -err->code;
		goto out;
	}
	archive_read_support_format_tar(in);
	archive_read_support_format_empty(in);
	if (archive_read_open(in, src, NULL, inner_read, NULL) != ARCHIVE_OK) {
		r = err_set(err, EINVAL, "layer is not a tar archive: %s",
			    archive_error_string(in));
		goto out;
	}
	archive_write_disk_set_options(out, ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM |
						ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_XATTR |
						ARCHIVE_EXTRACT_SECURE_NODOTDOT |
						ARCHIVE_EXTRACT_UNLINK);
	while ((ar = archive_read_next_header(in, &ae)) == ARCHIVE_OK) {
		const char *name = clean_name(archive_entry_pathname(ae));
		const char *slash = strrchr(name, '/');
		const char *base = slash ? slash + 1 : name;
		const char *link = archive_entry_hardlink(ae);

		if (!*name || !strcmp(name, "."))
			continue;
		if (!strncmp(base, WH_PREFIX, strlen(WH_PREFIX))) {
			r = handle_whiteout(name, base, &opaque, &nopaque, err);
			if (r < 0)
				goto out;
			continue;
		}
		archive_entry_set_pathname(ae, name);
		if (link)
			archive_entry_set_hardlink(ae, clean_name(link));
		if (archive_write_header(out, ae) < ARCHIVE_OK) {
			r = err_set(err, EINVAL, "layer entry '%s': %s", name,
				    archive_error_string(out));
			goto out;
		}
		if (archive_entry_size(ae) > 0 && (r = copy_data(in, out, err)) < 0) {
			err_wrap(err, "layer entry '%s'", name);
			goto out;
		}
		if (archive_write_finish_entry(out) < ARCHIVE_OK) {
			r = err_set(err, EIO, "layer entry '%s': %s", name,
				    archive_error_string(out));
			goto out;
		}
	}
	if (ar != ARCHIVE_EOF) {
		r = err_set(err, EINVAL, "layer: %s", archive_error_string(in));
		goto out;
	}
	if (archive_write_close(out) != ARCHIVE_OK) {
		r = err_set(err, EIO, "layer: %s", archive_error_string(out));
		goto out;
	}
	for (size_t i = 0; i < nopaque; i++) {
		if (mkdir(opaque[i], 0755) < 0 && errno != EEXIST) {
			r = err_sys(err, "opaque directory %s", opaque[i]);
			goto out;
		}
		if (lsetxattr(opaque[i], "trusted.overlay.opaque", "y", 1, 0) < 0) {
			r = err_sys(err, "mark %s opaque", opaque[i]);
			goto out;
		}
	}
	/* the tar end marker may come before the end of the stream: hash it all */
	{
		const void *rest;

		while (inner_read(in, src, &rest) > 0)
			;
	}
	sha256_final(&src->h, got);
	if (diff_id && strcmp(got, diff_id) != 0) {
		r = err_set(err, EIO, "layer content is %s but the image config says diff_id %s",
			    got, diff_id);
		goto out;
	}
	if (diff_out)
		memcpy(diff_out, got, DIGEST_STR_LEN + 1);
	*size = src->size;
out:
	for (size_t i = 0; i < nopaque; i++)
		free(opaque[i]);
	free(opaque);
	archive_read_free(in);
	archive_read_free(outer);
	archive_write_free(out);
	if (src->h.md)
		sha256_free(&src->h);
	free(src);
	return r;
}

static void raise_worker_caps(void)
{
	/* permitted only in the daemon: effective here, in this confined child */
	capng_get_caps_process();
	capng_update(CAPNG_ADD, CAPNG_EFFECTIVE, CAP_SYS_CHROOT);
	capng_update(CAPNG_ADD, CAPNG_EFFECTIVE, CAP_SYS_ADMIN);
	capng_apply(CAPNG_SELECT_CAPS);
}

int unpack_child_run(int fd, const char *dir, const char *diff_id, int out)
{
	struct err e = ERR_INIT;
	char d[DIGEST_STR_LEN + 1] = "", msg[4200];
	uint64_t sz = 0;
	int len;

	raise_worker_caps();
	umask(0);
	if (chdir(dir) < 0 || chroot(".") < 0 || chdir("/") < 0) {
		err_sys(&e, "confine the unpack worker to %s", dir);
		len = snprintf(msg, sizeof(msg), "E%s", err_msg(&e));
	} else if (extract(fd, diff_id, d, &sz, &e) < 0) {
		len = snprintf(msg, sizeof(msg), "E%s", err_msg(&e));
	} else {
		len = snprintf(msg, sizeof(msg), "O%s %llu", d, (unsigned long long)sz);
	}
	if (write(out, msg, (size_t)len) < 0)
		return 2;
	return msg[0] == 'O' ? 0 : 1;
}
