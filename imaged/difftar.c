/*
 * A container's upper directory as an OCI layer: a gzip tar in which
 * overlayfs whiteouts (0/0 character devices) become `.wh.NAME` files and
 * opaque directories (trusted.overlay.opaque=y) get a `.wh..wh..opq` entry.
 * Runs in berth-imaged-worker with CAP_SYS_ADMIN effective (trusted.*
 * xattrs are readable only with it). The walk opens every component with
 * O_NOFOLLOW relative to its parent: a symlink in the upper dir is stored as
 * a symlink and never followed, even if the container swaps it in while we
 * read.
 */
#include "config.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/safepath.h"
#include "common/xalloc.h"
#include "difftar.h"

struct link_seen {
	dev_t dev;
	ino_t ino;
	char *path;
};

struct walk {
	struct archive *a;
	struct link_seen *links;
	size_t nlinks;
	struct err *err;
	bool skip_stubs;
};

static int ar_fail(struct walk *w, const char *what)
{
	return err_set(w->err, EIO, "%s: %s", what, archive_error_string(w->a) ?: "write failed");
}

static int put_whiteout(struct walk *w, const char *path, const struct stat *st)
{
	struct archive_entry *e = archive_entry_new();
	int r = 0;

	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, 0);
	archive_entry_set_mtime(e, st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
	if (archive_write_header(w->a, e) != ARCHIVE_OK)
		r = ar_fail(w, path);
	archive_entry_free(e);
	return r;
}

/* security.capability and user.* travel with the layer; overlay's own never do. */
static void copy_xattrs(int fd, struct archive_entry *e)
{
	char names[4096], value[4096];
	ssize_t n = flistxattr(fd, names, sizeof(names));

	for (ssize_t i = 0; n > 0 && i < n; i += (ssize_t)strlen(names + i) + 1) {
		const char *name = names + i;
		ssize_t len;

		if (strcmp(name, "security.capability") && strncmp(name, "user.", 5))
			continue;
		len = fgetxattr(fd, name, value, sizeof(value));
		if (len >= 0)
			archive_entry_xattr_add_entry(e, name, value, (size_t)len);
	}
}

static const char *hardlink_of(struct walk *w, const struct stat *st, const char *path)
{
	if (st->st_nlink < 2)
		return NULL;
	for (size_t i = 0; i < w->nlinks; i++)
		if (w->links[i].dev == st->st_dev && w->links[i].ino == st->st_ino)
			return w->links[i].path;
	w->links = xreallocarray(w->links, w->nlinks + 1, sizeof(*w->links));
	w->links[w->nlinks++] = (struct link_seen){st->st_dev, st->st_ino, xstrdup(path)};
	return NULL;
}

static int copy_body(struct walk *w, int fd, const char *path)
{
	char buf[65536];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (archive_write_data(w->a, buf, (size_t)n) != n)
			return ar_fail(w, path);
	return n < 0 ? err_sys(w->err, "read %s", path) : 0;
}

static int walk_dir(struct walk *w, int dfd, const char *prefix);

bool difftar_mount_stub(int dfd, const char *name, const char *rel, const struct stat *st)
{
	static const char *const stubs[] = {
	    "proc", "sys", "dev", "etc/hosts", "etc/hostname", "etc/resolv.conf", "sbin/berth-init",
	    NULL};
	bool listed = false;

	for (const char *const *p = stubs; *p; p++)
		listed = listed || !strcmp(rel, *p);
	if (!listed)
		return false;
	if (S_ISREG(st->st_mode))
		return st->st_size == 0;
	if (S_ISDIR(st->st_mode)) {
		int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
		struct dirent *de;
		bool empty = true;

		if (!d) {
			if (fd >= 0)
				close(fd);
			return false;
		}
		while (empty && (de = readdir(d)))
			empty = !strcmp(de->d_name, ".") || !strcmp(de->d_name, "..");
		closedir(d);
		return empty;
	}
	return false;
}

static int put_entry(struct walk *w, int dfd, const char *name, const char *path)
{
	struct stat st;
	struct archive_entry *e;
	cleanup_close int fd = -1;
	const char *link;
	bool opaque = false;
	int r = 0;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return err_sys(w->err, "stat %s", path);
	/* what the runtime made to mount over (/proc, /etc/hosts, ...) is not the container's */
	if (w->skip_stubs && difftar_mount_stub(dfd, name, path, &st))
		return 0;
	if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
		const char *slash = strrchr(path, '/');
		cleanup_free char *wh =
		    slash ? xasprintf("%.*s/.wh.%s", (int)(slash - path), path, slash + 1)
			  : xasprintf(".wh.%s", path);

		return put_whiteout(w, wh, &st);
	}
	if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
		fd = openat(dfd, name,
			    O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
				(S_ISDIR(st.st_mode) ? O_DIRECTORY : 0));
		if (fd < 0)
			return err_sys(w->err, "open %s", path);
		if (fstat(fd, &st) < 0)
			return err_sys(w->err, "stat %s", path);
	}
	e = archive_entry_new();
	archive_entry_copy_stat(e, &st);
	archive_entry_set_pathname(e, path);
	archive_entry_set_uname(e, "");
	archive_entry_set_gname(e, "");
	if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlinkat(dfd, name, target, sizeof(target) - 1);

		if (n < 0) {
			archive_entry_free(e);
			return err_sys(w->err, "readlink %s", path);
		}
		target[n] = '\0';
		archive_entry_set_symlink(e, target);
	} else if (S_ISREG(st.st_mode) && (link = hardlink_of(w, &st, path))) {
		archive_entry_set_hardlink(e, link);
		archive_entry_set_size(e, 0);
	}
	if (fd >= 0) {
		char v[2];

		copy_xattrs(fd, e);
		opaque = S_ISDIR(st.st_mode) &&
			 fgetxattr(fd, "trusted.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y';
	}
	if (archive_write_header(w->a, e) != ARCHIVE_OK)
		r = ar_fail(w, path);
	else if (S_ISREG(st.st_mode) && archive_entry_size(e) > 0)
		r = copy_body(w, fd, path);
	archive_entry_free(e);
	if (r == 0 && opaque) {
		cleanup_free char *wh = xasprintf("%s/.wh..wh..opq", path);

		r = put_whiteout(w, wh, &st);
	}
	if (r == 0 && S_ISDIR(st.st_mode))
		r = walk_dir(w, fd, path);
	return r;
}

static int walk_dir(struct walk *w, int dfd, const char *prefix)
{
	int dup_fd = dup(dfd);
	struct dirent *de;
	DIR *d;
	int r = 0;

	if (dup_fd < 0 || !(d = fdopendir(dup_fd))) {
		if (dup_fd >= 0)
			close(dup_fd);
		return err_sys(w->err, "read directory %s", *prefix ? prefix : "/");
	}
	while (r == 0 && (errno = 0, de = readdir(d))) {
		cleanup_free char *path = NULL;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		path = *prefix ? xasprintf("%s/%s", prefix, de->d_name) : xstrdup(de->d_name);
		r = put_entry(w, dirfd(d), de->d_name, path);
	}
	if (r == 0 && errno)
		r = err_sys(w->err, "read directory %s", *prefix ? prefix : "/");
	closedir(d);
	return r;
}

static ssize_t to_blob(struct archive *a, void *data, const void *buf, size_t len)
{
	struct difftar_sink *k = data;

	(void)a;
	if (bw_write(k->w, buf, len, k->err) < 0)
		return -1;
	return (ssize_t)len;
}

static void walk_free(struct walk *w)
{
	archive_write_free(w->a);
	for (size_t i = 0; i < w->nlinks; i++)
		free(w->links[i].path);
	free(w->links);
}

int difftar_write(const char *upper, struct blob_writer *bw, struct err *err)
{
	cleanup_close int root = open(upper, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct difftar_sink k = {bw, err};
	struct walk w = {.err = err, .skip_stubs = true};
	int r;

	if (root < 0)
		return err_sys(err, "open %s", upper);
	w.a = archive_write_new();
	archive_write_set_format_pax_restricted(w.a);
	archive_write_set_format_option(w.a, "pax", "xattrheader", "SCHILY");
	archive_write_add_filter_gzip(w.a);
	archive_write_set_bytes_in_last_block(w.a, 1);
	if (archive_write_open(w.a, &k, NULL, to_blob, NULL) != ARCHIVE_OK) {
		r = ar_fail(&w, "start the layer");
		walk_free(&w);
		return r;
	}
	r = walk_dir(&w, root, "");
	if (archive_write_close(w.a) != ARCHIVE_OK && r == 0)
		r = err->code ? -err->code : ar_fail(&w, "finish the layer");
	walk_free(&w);
	return r;
}

int tar_path_to_fd(int dfd, const char *name, const char *entry, int fd, struct err *err)
{
	struct walk w = {.err = err};
	int r;

	w.a = archive_write_new();
	archive_write_set_format_pax_restricted(w.a);
	archive_write_set_format_option(w.a, "pax", "xattrheader", "SCHILY");
	archive_write_set_bytes_in_last_block(w.a, 1);
	if (archive_write_open_fd(w.a, fd) != ARCHIVE_OK) {
		r = ar_fail(&w, "start the archive");
		walk_free(&w);
		return r;
	}
	r = put_entry(&w, dfd, name, entry);
	if (archive_write_close(w.a) != ARCHIVE_OK && r == 0)
		r = ar_fail(&w, "finish the archive");
	walk_free(&w);
	return r;
}

/* Out: PATH as a tar whose top entry is its base name ("." for /). */
int tar_send_path(const char *path, int fd, struct err *err)
{
	cleanup_free char *copy = xstrdup(path);
	char *slash;
	const char *name;
	cleanup_close int dfd = -1;

	while (strlen(copy) > 1 && copy[strlen(copy) - 1] == '/')
		copy[strlen(copy) - 1] = '\0';
	slash = strrchr(copy, '/');
	name = slash && slash[1] ? slash + 1 : ".";
	if (slash && slash[1])
		*slash = '\0';
	{
		/* resolved inside the root we are in (chroot), with openat2 RESOLVE_IN_ROOT too */
		cleanup_close int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);

		dfd = root < 0 ? -1
			       : open_in_root(root, copy[0] ? copy : "/", O_RDONLY | O_DIRECTORY, 0,
					      err);
		if (dfd < 0)
			return err_isset(err) ? -err->code : err_sys(err, "%s", path);
	}
	if (strcmp(name, ".") && faccessat(dfd, name, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
		return err_sys(err, "%s", path);
	return tar_path_to_fd(dfd, name, name, fd, err);
}
