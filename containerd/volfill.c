/*
 * A volume mounted where the image has files: on the container's first
 * start, an empty volume gets a copy of what the image has at that path
 * (files, directories, symlinks, device nodes and fifos, with their owners,
 * modes and times), as Docker fills a new volume; nocopy (-v NAME:/p:nocopy,
 * --mount volume-nocopy) leaves it empty. The image side is read inside
 * the container's root (never out of it through a symlink); nothing is
 * followed on either side.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/safepath.h"
#include "common/xalloc.h"
#include "containerd.h"

#define FILL_DEPTH_MAX 128

static int copy_meta(int fd, const struct stat *st, struct err *err, const char *name)
{
	const struct timespec times[2] = {st->st_atim, st->st_mtim};

	if (fchown(fd, st->st_uid, st->st_gid) < 0 || fchmod(fd, st->st_mode & 07777) < 0 ||
	    futimens(fd, times) < 0)
		return err_sys(err, "set the owner and mode of %s", name);
	return 0;
}

/* A copy's end: the owner, mode and times of a copied file or directory; both closed. */
static int copy_done(int in, int out, int rc, const struct stat *st, const char *name,
		     struct err *err)
{
	if (rc == 0)
		rc = copy_meta(out, st, err, name);
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return rc;
}

static int copy_by_hand(int in, int out, const char *name, struct err *err)
{
	char buf[65536];
	ssize_t n;

	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_sys(err, "read %s", name);
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return err_sys(err, "write %s", name);
			off += w;
		}
	}
	return 0;
}

static int copy_file(int from, int to, const char *name, const struct stat *st, struct err *err)
{
	int in = openat(from, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	int out =
	    in < 0 ? -1
		   : openat(to, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	off_t left = st->st_size;
	int rc = 0;

	if (in < 0 || out < 0)
		rc = err_sys(err, "copy %s", name);
	while (rc == 0 && left > 0) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)left, 0);

		if (n < 0 && errno == EINTR)
			continue;
		/* across filesystems (an overlay to the volumes' disk): by hand */
		if (n < 0 &&
		    (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
			rc = copy_by_hand(in, out, name, err);
			break;
		}
		if (n <= 0) {
			rc = n < 0 ? err_sys(err, "copy %s", name) : 0;
			break;
		}
		left -= n;
	}
	return copy_done(in, out, rc, st, name, err);
}

static int copy_tree(int from, int to, int depth, struct err *err);

static int copy_dir(int from, int to, const char *name, const struct stat *st, int depth,
		    struct err *err)
{
	int in, out, rc;

	if (depth >= FILL_DEPTH_MAX)
		return err_set(err, ELOOP, "the image's directories nest deeper than %d",
			       FILL_DEPTH_MAX);
	if (mkdirat(to, name, 0700) < 0)
		return err_sys(err, "create %s", name);
	in = openat(from, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	out = openat(to, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0 || out < 0)
		rc = err_sys(err, "open %s", name);
	else
		rc = copy_tree(in, out, depth + 1, err);
	return copy_done(in, out, rc, st, name, err);
}

static int copy_entry(int from, int to, const char *name, int depth, struct err *err)
{
	struct stat st;
	char target[PATH_MAX];
	ssize_t n;

	if (fstatat(from, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return err_sys(err, "stat %s", name);
	switch (st.st_mode & S_IFMT) {
	case S_IFDIR:
		return copy_dir(from, to, name, &st, depth, err);
	case S_IFREG:
		return copy_file(from, to, name, &st, err);
	case S_IFLNK:
		n = readlinkat(from, name, target, sizeof(target) - 1);
		if (n < 0)
			return err_sys(err, "read the symlink %s", name);
		target[n] = '\0';
		if (symlinkat(target, to, name) < 0 ||
		    fchownat(to, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
			return err_sys(err, "copy the symlink %s", name);
		return 0;
	case S_IFCHR:
	case S_IFBLK:
	case S_IFIFO:
		if (mknodat(to, name, st.st_mode, st.st_rdev) < 0 ||
		    fchownat(to, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
			return err_sys(err, "copy the node %s", name);
		return 0;
	default: /* a socket means nothing in a copy */
		return 0;
	}
}

/* A stream of directory fd's entries, fd itself left open for the *at calls. */
static DIR *dir_of(int fd)
{
	int copy = dup(fd);
	DIR *d = copy < 0 ? NULL : fdopendir(copy);

	if (!d && copy >= 0)
		close(copy);
	return d;
}

static int copy_tree(int from, int to, int depth, struct err *err)
{
	DIR *d = dir_of(from);
	struct dirent *e;
	int rc = 0;

	if (!d)
		return err_sys(err, "read a directory of the image");
	while (rc == 0 && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			rc = copy_entry(from, to, e->d_name, depth, err);
	closedir(d);
	return rc;
}

/* What a failed fill left, removed: the volume is empty again. */
static void empty_dir(int fd, int depth)
{
	DIR *d = dir_of(fd);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		int sub;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (unlinkat(fd, e->d_name, 0) == 0 || errno != EISDIR || depth >= FILL_DEPTH_MAX)
			continue;
		sub = openat(fd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub >= 0) {
			empty_dir(sub, depth + 1);
			close(sub);
		}
		unlinkat(fd, e->d_name, AT_REMOVEDIR);
	}
	closedir(d);
}

static bool dir_empty(int fd)
{
	DIR *d = dir_of(fd);
	struct dirent *e;
	bool empty = true;

	if (!d)
		return false;
	while (empty && (e = readdir(d)))
		empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
	closedir(d);
	return empty;
}

int volume_fill(struct ctr *k, const char *name, const char *dst, struct err *err)
{
	cleanup_free char *run = ctr_run_dir(k), *rootfs = xasprintf("%s/rootfs", run);
	cleanup_free char *data = xasprintf("%s/%s/_data", k->cd->vol_dir, name);
	struct err e = ERR_INIT;
	struct stat st;
	int vol = -1, root = -1, src = -1, rc = 0;

	if (k->started_at) /* the first start only: later ones find the volume as it was left */
		return 0;
	vol = open(data, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (vol < 0)
		return err_sys(err, "open volume %s", name);
	root = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root >= 0 && dir_empty(vol))
		src = open_in_root(root, dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, &e);
	err_clear(&e); /* nothing there in the image: nothing to copy */
	if (src >= 0 && fstat(src, &st) == 0) {
		rc = copy_tree(src, vol, 0, err);
		if (rc == 0)
			rc = copy_meta(vol, &st, err, dst);
		if (rc < 0) {
			empty_dir(vol, 0);
			err_wrap(err, "fill volume %s from the image's %s", name, dst);
		}
	}
	if (src >= 0)
		close(src);
	if (root >= 0)
		close(root);
	close(vol);
	return rc;
}
