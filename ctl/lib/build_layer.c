/*
 * berth build's side of COPY and ADD: the build context (a directory the
 * user named, filtered by .dockerignore) and the layer tars made from it,
 * or from a tar imaged sent (COPY --from), or from a local archive (ADD).
 * Every source is resolved inside the context: a path that leaves it is an
 * error, and symlinks are copied as symlinks, never followed. The layer's
 * content digest (paths, modes, owners, bytes; not times) is the step's
 * cache key.
 */
#include "config.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "build.h"
#include "common/cleanup.h"
#include "common/xalloc.h"

/* ---- the context ---- */

int ctx_open(const char *dir, struct build_ctx *c, struct err *err)
{
	cleanup_free char *ign = NULL;
	FILE *f;
	char line[1024];

	*c = (struct build_ctx){0};
	c->dir = realpath(dir, NULL);
	if (!c->dir)
		return err_sys(err, "build context %s", dir);
	ign = xasprintf("%s/.dockerignore", c->dir);
	f = fopen(ign, "re");
	while (f && fgets(line, sizeof(line), f)) {
		char *p = line + strspn(line, " \t");
		size_t n = strcspn(p, "\r\n");
		bool neg = false;

		p[n] = '\0';
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			p[--n] = '\0';
		if (!*p || *p == '#')
			continue;
		if (*p == '!') {
			neg = true;
			p++;
		}
		while (*p == '/')
			p++;
		while (!strncmp(p, "./", 2))
			p += 2;
		c->ignore = xreallocarray(c->ignore, c->nignore + 1, sizeof(char *));
		c->ignore[c->nignore++] = xasprintf("%c%s", neg ? '!' : '+', p);
	}
	if (f)
		fclose(f);
	return 0;
}

void ctx_close(struct build_ctx *c)
{
	for (size_t i = 0; i < c->nignore; i++)
		free(c->ignore[i]);
	free(c->ignore);
	free(c->dir);
}

static bool pattern_matches(const char *pat, const char *rel)
{
	int flags = strstr(pat, "**") ? 0 : FNM_PATHNAME;
	cleanup_free char *copy = xstrdup(rel);

	/* a pattern that names a directory names everything in it */
	for (char *p = copy + strlen(copy);;) {
		if (fnmatch(pat, copy, flags) == 0)
			return true;
		p = strrchr(copy, '/');
		if (!p)
			return false;
		*p = '\0';
	}
}

/* .dockerignore: the last pattern that matches decides; '!' ones bring a path back. */
bool ctx_ignored(const struct build_ctx *c, const char *rel)
{
	bool out = false;

	for (size_t i = 0; i < c->nignore; i++)
		if (pattern_matches(c->ignore[i] + 1, rel))
			out = c->ignore[i][0] == '+';
	return out;
}

/* A source path cleaned (no "..", no leading "/"); NULL when it leaves the context. */
static char *clean_rel(const char *src)
{
	char *out = xzalloc(strlen(src) + 2);
	const char *p = src;

	while (*p) {
		size_t n;

		p += strspn(p, "/");
		n = strcspn(p, "/");
		if (n == 0)
			break;
		if (n == 1 && p[0] == '.') {
			/* nothing */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			char *slash = strrchr(out, '/');

			if (!*out) {
				free(out);
				return NULL;
			}
			if (slash)
				*slash = '\0';
			else
				out[0] = '\0';
		} else {
			if (*out)
				strcat(out, "/");
			strncat(out, p, n);
		}
		p += n;
	}
	return out;
}

/* ---- the layer ---- */

int lw_open(struct layer_w *w, struct err *err)
{
	const char *tmp = getenv("TMPDIR");

	*w = (struct layer_w){.err = err, .fd = -1};
	w->fd = open(tmp && *tmp ? tmp : "/var/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (w->fd < 0)
		w->fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (w->fd < 0)
		return err_sys(err, "a temporary file for the layer");
	if (sha256_init(&w->h, err) < 0)
		return -err->code;
	w->a = archive_write_new();
	archive_write_set_format_pax_restricted(w->a);
	archive_write_add_filter_gzip(w->a);
	archive_write_set_filter_option(w->a, "gzip", "compression-level", "1");
	archive_write_set_bytes_in_last_block(w->a, 1);
	if (archive_write_open_fd(w->a, w->fd) != ARCHIVE_OK)
		return err_set(err, EIO, "start the layer: %s", archive_error_string(w->a));
	w->dirs = cJSON_CreateObject();
	return 0;
}

void lw_free(struct layer_w *w)
{
	if (w->a)
		archive_write_free(w->a);
	if (w->fd >= 0)
		close(w->fd);
	if (w->h.md)
		sha256_free(&w->h);
	cJSON_Delete(w->dirs);
	*w = (struct layer_w){.fd = -1};
}

int lw_finish(struct layer_w *w, char key[DIGEST_STR_LEN + 1], int *fd)
{
	if (archive_write_close(w->a) != ARCHIVE_OK)
		return err_set(w->err, EIO, "finish the layer: %s", archive_error_string(w->a));
	sha256_final(&w->h, key);
	w->h.md = NULL;
	if (lseek(w->fd, 0, SEEK_SET) < 0)
		return err_sys(w->err, "rewind the layer");
	*fd = w->fd;
	w->fd = -1;
	return 0;
}

static void key_entry(struct layer_w *w, struct archive_entry *e)
{
	char meta[128];
	const char *link = archive_entry_symlink(e) ?: archive_entry_hardlink(e);

	sha256_update(&w->h, archive_entry_pathname(e), strlen(archive_entry_pathname(e)) + 1);
	snprintf(meta, sizeof(meta), "%o %lld %lld %lld", (unsigned)archive_entry_mode(e),
		 (long long)archive_entry_uid(e), (long long)archive_entry_gid(e),
		 (long long)archive_entry_size(e));
	sha256_update(&w->h, meta, strlen(meta) + 1);
	if (link)
		sha256_update(&w->h, link, strlen(link) + 1);
}

static int put_header(struct layer_w *w, struct archive_entry *e)
{
	key_entry(w, e);
	if (archive_write_header(w->a, e) != ARCHIVE_OK)
		return err_set(w->err, EIO, "layer entry %s: %s", archive_entry_pathname(e),
			       archive_error_string(w->a));
	return 0;
}

static int put_data(struct layer_w *w, const void *buf, size_t n)
{
	sha256_update(&w->h, buf, n);
	if (archive_write_data(w->a, buf, n) != (la_ssize_t)n)
		return err_set(w->err, EIO, "layer data: %s", archive_error_string(w->a));
	return 0;
}

/* Each missing parent of path (no leading '/') as a 0755 root directory, once. */
int lw_parents(struct layer_w *w, const char *path)
{
	cleanup_free char *copy = xstrdup(path);

	for (char *p = copy; (p = strchr(p, '/')); p++) {
		struct archive_entry *e;
		int r;

		*p = '\0';
		if (*copy && strcmp(copy, ".") && !cJSON_GetObjectItem(w->dirs, copy)) {
			cJSON_AddTrueToObject(w->dirs, copy);
			e = archive_entry_new();
			archive_entry_set_pathname(e, copy);
			archive_entry_set_filetype(e, AE_IFDIR);
			archive_entry_set_perm(e, 0755);
			archive_entry_set_mtime(e, time(NULL), 0);
			r = put_header(w, e);
			archive_entry_free(e);
			if (r < 0)
				return r;
		}
		*p = '/';
	}
	return 0;
}

static void owner(struct archive_entry *e, const struct copy_opts *o, bool is_dir)
{
	if (o->uid >= 0) {
		archive_entry_set_uid(e, o->uid);
		archive_entry_set_gid(e, o->gid >= 0 ? o->gid : o->uid);
	}
	(void)is_dir;
	if (o->mode >= 0)
		archive_entry_set_perm(e, (mode_t)o->mode);
	archive_entry_set_uname(e, "");
	archive_entry_set_gname(e, "");
}

static int add_file(struct layer_w *w, const struct build_ctx *c, int dfd, const char *name,
		    const char *rel, const char *dest, const struct copy_opts *o);

static int add_dir_contents(struct layer_w *w, const struct build_ctx *c, int fd, const char *rel,
			    const char *dest, const struct copy_opts *o)
{
	int dup_fd = dup(fd);
	DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	struct dirent *de;
	int r = 0;

	if (!d) {
		if (dup_fd >= 0)
			close(dup_fd);
		return err_sys(w->err, "read %s", rel);
	}
	while (r == 0 && (de = readdir(d))) {
		cleanup_free char *crel = NULL, *cdest = NULL;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		crel = *rel ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
		if (ctx_ignored(c, crel))
			continue;
		cdest = xasprintf("%s/%s", dest, de->d_name);
		r = add_file(w, c, dirfd(d), de->d_name, crel, cdest, o);
	}
	closedir(d);
	return r;
}

/* One context path (dfd/name, never followed) as dest in the layer. */
static int add_file(struct layer_w *w, const struct build_ctx *c, int dfd, const char *name,
		    const char *rel, const char *dest, const struct copy_opts *o)
{
	struct stat st;
	struct archive_entry *e;
	cleanup_close int fd = -1;
	int r;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return err_sys(w->err, "%s", rel);
	if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
		fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return err_sys(w->err, "open %s", rel);
	} else if (!S_ISLNK(st.st_mode)) {
		return 0; /* sockets, fifos, devices stay out, as with Docker */
	}
	e = archive_entry_new();
	archive_entry_copy_stat(e, &st);
	archive_entry_set_pathname(e, dest);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_nlink(e, 1);
	owner(e, o, S_ISDIR(st.st_mode));
	if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlinkat(dfd, name, target, sizeof(target) - 1);

		if (n < 0) {
			archive_entry_free(e);
			return err_sys(w->err, "readlink %s", rel);
		}
		target[n] = '\0';
		archive_entry_set_symlink(e, target);
	}
	if (S_ISDIR(st.st_mode))
		cJSON_AddTrueToObject(w->dirs, dest);
	r = put_header(w, e);
	archive_entry_free(e);
	if (r == 0 && S_ISREG(st.st_mode)) {
		char buf[65536];
		ssize_t n;

		while (r == 0 && (n = read(fd, buf, sizeof(buf))) > 0)
			r = put_data(w, buf, (size_t)n);
		if (r == 0 && n < 0)
			r = err_sys(w->err, "read %s", rel);
	}
	if (r == 0 && S_ISDIR(st.st_mode))
		r = add_dir_contents(w, c, fd, rel, dest, o);
	return r;
}

/* Is this context file an archive ADD unpacks (tar, compressed or not)? */
static bool is_archive(int dfd, const char *name)
{
	cleanup_close int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct archive *a;
	struct archive_entry *e;
	bool yes;

	if (fd < 0)
		return false;
	a = archive_read_new();
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	yes = archive_read_open_fd(a, fd, 65536) == ARCHIVE_OK &&
	      archive_read_next_header(a, &e) == ARCHIVE_OK;
	archive_read_free(a);
	return yes;
}

int lw_add_context(struct layer_w *w, const struct build_ctx *c, const char *const *srcs,
		   size_t nsrcs, const char *dest, const struct copy_opts *o, const char *where)
{
	cleanup_close int root = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	bool to_dir = dest[strlen(dest) - 1] == '/';
	size_t copied = 0;
	int r = 0;

	if (root < 0)
		return err_sys(w->err, "open the context %s", c->dir);
	for (size_t i = 0; r == 0 && i < nsrcs; i++) {
		cleanup_free char *rel = clean_rel(srcs[i]);
		cleanup_free char *pat = NULL;
		glob_t g = {0};
		int gr;

		if (!rel)
			return err_set(w->err, EINVAL, "%s: %s is outside the build context", where,
				       srcs[i]);
		pat = xasprintf("%s/%s", c->dir, rel);
		gr = glob(pat, GLOB_NOSORT | GLOB_NOESCAPE, NULL, &g);
		if (gr == GLOB_NOMATCH || gr != 0) {
			globfree(&g);
			return err_set(w->err, ENOENT,
				       "%s: %s: no such file or directory in the build context",
				       where, srcs[i]);
		}
		if (g.gl_pathc > 1 || nsrcs > 1)
			to_dir = true;
		for (size_t j = 0; r == 0 && j < g.gl_pathc; j++) {
			const char *crel = g.gl_pathv[j] + strlen(c->dir);
			cleanup_free char *parent = NULL, *target = NULL;
			cleanup_close int pfd = -1;
			const char *base;
			struct stat st;

			crel += strspn(crel, "/");
			if (*crel && ctx_ignored(c, crel))
				continue;
			parent = xstrdup(*crel ? crel : ".");
			base = strrchr(parent, '/');
			if (base) {
				parent[base - parent] = '\0';
				base = crel + (base - parent) + 1;
			} else {
				base = crel;
				strcpy(parent, ".");
			}
			pfd = openat(root, parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (pfd < 0 ||
			    fstatat(pfd, *base ? base : ".", &st, AT_SYMLINK_NOFOLLOW) < 0) {
				r = err_sys(w->err, "%s: %s", where, *crel ? crel : ".");
				break;
			}
			copied++;
			if (S_ISDIR(st.st_mode)) {
				cleanup_close int dfd =
				    openat(pfd, *base ? base : ".",
					   O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
				cleanup_free char *d = xstrdup(dest);

				if (dfd < 0) {
					r = err_sys(w->err, "%s: %s", where, crel);
					break;
				}
				while (strlen(d) > 1 && d[strlen(d) - 1] == '/')
					d[strlen(d) - 1] = '\0';
				target = xasprintf("%s/", d);
				r = lw_parents(w, target);
				if (r == 0)
					r = add_dir_contents(w, c, dfd, crel, d, o);
				continue;
			}
			target = to_dir ? xasprintf("%s%s%s", dest,
						    dest[strlen(dest) - 1] == '/' ? "" : "/", base)
					: xstrdup(dest);
			r = lw_parents(w, target);
			if (r < 0)
				break;
			if (o->unpack && S_ISREG(st.st_mode) && is_archive(pfd, base)) {
				cleanup_close int afd =
				    openat(pfd, base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

				r = lw_add_tar(w, afd, false, dest, o, where);
			} else {
				r = add_file(w, c, pfd, base, crel, target, o);
			}
		}
		globfree(&g);
	}
	if (r == 0 && copied == 0)
		return err_set(w->err, ENOENT, "%s: no source files were specified (all excluded?)",
			       where);
	return r;
}

/* "a/b" with the first component replaced: "x/b" (strip) or dest + "/" + name. */
static char *map_name(const char *name, bool strip_top, const char *dest, bool *is_top)
{
	const char *rest = name;

	while (!strncmp(rest, "./", 2))
		rest += 2;
	if (strip_top) {
		size_t n = strcspn(rest, "/");

		*is_top = rest[n] == '\0';
		rest = rest[n] ? rest + n + 1 : "";
	} else {
		*is_top = false;
	}
	if (!*rest)
		return xstrdup(dest);
	return xasprintf("%s%s%s", dest, dest[strlen(dest) - 1] == '/' ? "" : "/", rest);
}

int lw_add_tar(struct layer_w *w, int fd, bool strip_top, const char *dest,
	       const struct copy_opts *o, const char *where)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	cleanup_free char *d = xstrdup(dest);
	int r = 0, ar;

	while (strlen(d) > 1 && d[strlen(d) - 1] == '/')
		d[strlen(d) - 1] = '\0';
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	if (archive_read_open_fd(a, fd, 65536) != ARCHIVE_OK) {
		r = err_set(w->err, EIO, "%s: %s", where, archive_error_string(a));
		archive_read_free(a);
		return r;
	}
	while (r == 0 && (ar = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		bool top = false;
		const char *name = archive_entry_pathname(e);
		cleanup_free char *target = NULL;
		const void *buf;
		size_t len;
		la_int64_t off;

		if (!name || strstr(name, "..")) {
			r = err_set(w->err, EINVAL, "%s: a path with '..' in the archive", where);
			break;
		}
		target = map_name(name, strip_top, d, &top);
		/* a single file copied to a name that does not end in '/' is that name */
		if (top && archive_entry_filetype(e) != AE_IFDIR && dest[strlen(dest) - 1] == '/') {
			const char *base = strrchr(name, '/');

			free(target);
			target = xasprintf("%s/%s", d, base ? base + 1 : name);
		}
		if (lw_parents(w, target) < 0) {
			r = -w->err->code;
			break;
		}
		if (archive_entry_hardlink(e)) {
			bool t2;
			cleanup_free char *hl =
			    map_name(archive_entry_hardlink(e), strip_top, d, &t2);

			archive_entry_copy_hardlink(e, hl[0] == '/' ? hl + 1 : hl);
		}
		archive_entry_copy_pathname(e, target[0] == '/' ? target + 1 : target);
		if (o->uid >= 0 || o->mode >= 0)
			owner(e, o, archive_entry_filetype(e) == AE_IFDIR);
		r = put_header(w, e);
		while (r == 0 && (ar = archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK)
			r = put_data(w, buf, len);
		if (r == 0 && ar != ARCHIVE_EOF)
			r = err_set(w->err, EIO, "%s: %s", where, archive_error_string(a));
	}
	if (r == 0 && ar != ARCHIVE_EOF)
		r = err_set(w->err, EIO, "%s: %s", where, archive_error_string(a));
	archive_read_free(a);
	return r;
}

/* The dest a heredoc COPY writes: a file with the body. */
int lw_add_bytes(struct layer_w *w, const char *dest, const char *body, const struct copy_opts *o)
{
	struct archive_entry *e = archive_entry_new();
	int r;

	if ((r = lw_parents(w, dest)) < 0) {
		archive_entry_free(e);
		return r;
	}
	archive_entry_set_pathname(e, dest);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)strlen(body));
	archive_entry_set_mtime(e, time(NULL), 0);
	owner(e, o, false);
	r = put_header(w, e);
	archive_entry_free(e);
	return r < 0 ? r : put_data(w, body, strlen(body));
}

int tar_first_file(int fd, size_t max, char **out, struct err *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	int r = err_set(err, ENOENT, "no file in the archive");

	archive_read_support_format_tar(a);
	if (archive_read_open_fd(a, fd, 65536) == ARCHIVE_OK)
		while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
			la_int64_t size = archive_entry_size(e);
			la_ssize_t n;

			if (archive_entry_filetype(e) != AE_IFREG)
				continue;
			if (size < 0 || (size_t)size > max) {
				r = err_set(err, EFBIG, "%s is too large",
					    archive_entry_pathname(e));
				break;
			}
			*out = xzalloc((size_t)size + 1);
			n = archive_read_data(a, *out, (size_t)size);
			err_clear(err);
			r = n == size ? 0 : err_set(err, EIO, "short read in the archive");
			break;
		}
	/* drain what the sender still writes */
	while (archive_read_next_header(a, &e) == ARCHIVE_OK)
		;
	archive_read_free(a);
	return r;
}
