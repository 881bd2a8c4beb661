/*
 * berth cp and berth export: files into and out of a container's root. The
 * worker chroots into the container's mounted root filesystem (the overlay
 * containerd mounted under $RUN/containers/<id>/rootfs) before it resolves
 * any path, so a symlink the container swaps in while we copy (the
 * CVE-2018-15664 pattern) can only ever lead to another file of the
 * container: no host file is read or written. Archives going in are
 * unpacked with libarchive's secure flags (no "..", no absolute paths, no
 * writing through symlinks).
 */
#include "config.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/paths.h"
#include "common/safepath.h"
#include "common/xalloc.h"
#include "commit.h"
#include "difftar.h"
#include "job.h"

static int enter_root(const char *rootfs, struct err *err)
{
	cleanup_close int fd = open(rootfs, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct statfs sf;

	if (fd < 0)
		return err_sys(err, "the container's root %s", rootfs);
	/* the container's own mount, not a directory that happens to be there */
	if (fstatfs(fd, &sf) < 0 || sf.f_type != OVERLAYFS_SUPER_MAGIC)
		return err_set(err, ENOENT, "the container's filesystem is not mounted");
	if (fchdir(fd) < 0 || chroot(".") < 0 || chdir("/") < 0)
		return err_sys(err, "enter the container's root");
	return 0;
}

static char *renamed(const char *name, const char *to, bool dot_top)
{
	const char *child = tar_child(name, dot_top);

	return *child ? xasprintf("%s/%s", to, child) : xstrdup(to);
}

/*
 * In: a tar whose top entry is the source's base name. An existing
 * directory at PATH receives it as is; otherwise the top entry is renamed
 * to PATH's base name in PATH's parent (which must exist).
 */
static int put(const char *path, int fd, struct err *err)
{
	cleanup_free char *copy = xstrdup(path), *rename_to = NULL;
	struct archive *a = NULL, *disk = NULL;
	struct archive_entry *e;
	cleanup_close int root = -1, dfd = -1;
	bool first = true, dot_top = false;
	int r = 0, ar;

	while (strlen(copy) > 1 && copy[strlen(copy) - 1] == '/')
		copy[strlen(copy) - 1] = '\0';
	/* resolved inside the root we are in (chroot), with openat2 RESOLVE_IN_ROOT too */
	root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return err_sys(err, "open the container's root");
	dfd = open_in_root(root, copy, O_RDONLY | O_DIRECTORY, 0, err);
	if (dfd < 0) {
		char *slash = strrchr(copy, '/');

		err_clear(err);
		rename_to = xstrdup(slash ? slash + 1 : copy);
		if (slash)
			*slash = '\0';
		dfd = open_in_root(root, slash && copy[0] ? copy : "/", O_RDONLY | O_DIRECTORY, 0,
				   err);
		if (dfd < 0) {
			err_clear(err);
			return err_sys(err, "%s: its directory", path);
		}
	}
	if (fchdir(dfd) < 0)
		return err_sys(err, "%s", path);
	a = archive_read_new();
	archive_read_support_format_tar(a);
	archive_read_support_filter_all(a);
	disk = archive_write_disk_new();
	archive_write_disk_set_options(
	    disk, ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
		      ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS | ARCHIVE_EXTRACT_PERM |
		      ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_XATTR);
	if (archive_read_open_fd(a, fd, 65536) != ARCHIVE_OK)
		r = err_set(err, EINVAL, "the archive: %s", archive_error_string(a));
	while (r == 0 && (ar = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);

		if (first) {
			dot_top = !strcmp(name, ".") || !strcmp(name, "./");
			first = false;
		}
		if (rename_to) {
			cleanup_free char *n = renamed(name, rename_to, dot_top);

			archive_entry_copy_pathname(e, n);
			if (archive_entry_hardlink(e)) {
				cleanup_free char *hn =
				    renamed(archive_entry_hardlink(e), rename_to, dot_top);

				archive_entry_copy_hardlink(e, hn);
			}
		}
		if (archive_write_header(disk, e) != ARCHIVE_OK) {
			r = err_set(err, EINVAL, "%s: %s", archive_entry_pathname(e),
				    archive_error_string(disk));
			break;
		}
		if (archive_entry_size(e) > 0) {
			const void *buf;
			size_t len;
			la_int64_t off;

			while ((ar = archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK)
				if (archive_write_data_block(disk, buf, len, off) != ARCHIVE_OK) {
					ar = ARCHIVE_FATAL;
					break;
				}
			if (ar != ARCHIVE_EOF) {
				r = err_set(err, EIO, "%s: %s", archive_entry_pathname(e),
					    archive_error_string(disk) ?: archive_error_string(a));
				break;
			}
		}
		archive_write_finish_entry(disk);
	}
	if (r == 0 && ar != ARCHIVE_EOF)
		r = err_set(err, EINVAL, "the archive: %s", archive_error_string(a));
	if (archive_write_close(disk) != ARCHIVE_OK && r == 0)
		r = err_set(err, EIO, "%s", archive_error_string(disk));
	archive_write_free(disk);
	archive_read_free(a);
	return r;
}

void ctrcopy_run(const struct store *s, int fd, int out, const char *args_text)
{
	struct err err = ERR_INIT;
	cleanup_cjson cJSON *args = cJSON_Parse(args_text);
	const char *rootfs = cJSON_GetStringValue(cJSON_GetObjectItem(args, "rootfs"));
	const char *path = cJSON_GetStringValue(cJSON_GetObjectItem(args, "path"));
	bool in = cJSON_IsTrue(cJSON_GetObjectItem(args, "put"));
	int r;

	(void)s;
	if (!rootfs || !path || path[0] != '/') {
		err_set(&err, EINVAL, "malformed copy arguments");
		job_fail(out, &err);
	}
	if (enter_root(rootfs, &err) < 0)
		job_fail(out, &err);
	r = in ? put(path, fd, &err) : tar_send_path(path, fd, &err);
	close(fd);
	if (r < 0)
		job_fail(out, &err);
	job_done(out, "{}");
}
