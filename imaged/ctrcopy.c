/*
 * berth cp and berth export: files into and out of a container's root. The
 * worker chroots into the container's mounted root filesystem (the overlay
 * containerd mounted under $RUN/containers/<id>/rootfs) before it resolves
 * any path, so a symlink the container swaps in while we copy (the
 * CVE-2018-15664 pattern) can only ever lead to another file of the
 * container: no host file is read or written. Archives going in are
 * unpacked with libarchive's secure flags (no "..", no absolute paths, no
 * writing through symlinks).
 *
 * berth cp sees what the container sees: before the chroot, in a private
 * mount namespace, the worker binds the container's bind mounts (volumes,
 * -v host paths, /etc/hostname, hosts, resolv.conf) onto the root as the
 * runtime does, from the spec containerd wrote ($RUN/containers/<id>/
 * config.json, never from the client), each destination resolved inside the
 * root (mount_point_in_root) and read-only ones remounted read-only. tmpfs
 * mounts are not there (as with Docker). berth export does not do this: an
 * export is the container's own filesystem.
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
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "common/atomicfile.h"
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

static bool has_option(const cJSON *m, const char *opt)
{
	const cJSON *o;

	cJSON_ArrayForEach (o, cJSON_GetObjectItem(m, "options"))
		if (cJSON_IsString(o) && !strcmp(o->valuestring, opt))
			return true;
	return false;
}

/* The mount point of a bind: a directory for a directory, an empty file for the rest. */
static int make_mount_point(int rootfd, int sfd, const char *dst, struct err *err)
{
	cleanup_free char *parent = xstrdup(dst);
	char *slash = strrchr(parent, '/');
	struct stat st;
	int fd;

	if (fstat(sfd, &st) < 0)
		return err_sys(err, "the source of the mount on %s", dst);
	if (S_ISDIR(st.st_mode))
		return mkdir_in_root(rootfd, dst, 0755, err);
	if (slash && slash != parent) {
		*slash = '\0';
		if (mkdir_in_root(rootfd, parent, 0755, err) < 0)
			return -err->code;
	}
	fd = open_in_root(rootfd, dst, O_WRONLY | O_CREAT | O_CLOEXEC, 0644, err);
	if (fd < 0)
		return -err->code;
	close(fd);
	return 0;
}

/* One bind mount of the spec onto the root, its mount point made if need be. */
static int bind_one(int rootfd, const cJSON *m, struct err *err)
{
	const char *src = cJSON_GetStringValue(cJSON_GetObjectItem(m, "source"));
	const char *dst = cJSON_GetStringValue(cJSON_GetObjectItem(m, "destination"));
	const char *type = cJSON_GetStringValue(cJSON_GetObjectItem(m, "type"));
	char from[FDPATH_LEN], to[FDPATH_LEN];
	cleanup_close int sfd = -1, dfd = -1, again = -1;

	if (!src || !dst ||
	    (!(type && !strcmp(type, "bind")) && !has_option(m, "bind") && !has_option(m, "rbind")))
		return 0;
	sfd = open(src, O_PATH | O_CLOEXEC);
	if (sfd < 0 && errno == ENOENT)
		return 0; /* removed on the host since: that path alone shows what lies under it */
	if (sfd < 0)
		return err_sys(err, "the source %s of the mount on %s", src, dst);
	snprintf(from, sizeof(from), "/proc/self/fd/%d", sfd);
	dfd = mount_point_in_root(rootfd, dst, 0, to, err);
	if (dfd < 0 && err->code == ENOENT) {
		/* a container that never ran: made as the runtime would make it */
		err_clear(err);
		if (make_mount_point(rootfd, sfd, dst, err) < 0)
			return -err->code;
		dfd = mount_point_in_root(rootfd, dst, 0, to, err);
	}
	if (dfd < 0)
		return -err->code;
	if (mount(from, to, NULL, MS_BIND | MS_REC, NULL) < 0)
		return err_sys(err, "bind %s on %s", src, dst);
	if (!has_option(m, "ro"))
		return 0;
	again = mount_point_in_root(rootfd, dst, 0, to, err);
	if (again < 0)
		return -err->code;
	if (mount(NULL, to, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
		return err_sys(err, "make %s read-only", dst);
	return 0;
}

/* The container's bind mounts, from its spec, in a mount namespace of our own. */
static int bind_mounts(const char *rootfs, const char *spec_path, struct err *err)
{
	cleanup_free char *text = NULL;
	cleanup_cjson cJSON *spec = NULL;
	cleanup_close int rootfd = -1;
	const cJSON *m;

	struct statfs sf;

	rootfd = open(rootfs, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (rootfd < 0 || fstatfs(rootfd, &sf) < 0 || sf.f_type != OVERLAYFS_SUPER_MAGIC)
		return err_set(err, ENOENT, "the container's filesystem is not mounted");
	if (read_file_at(AT_FDCWD, spec_path, 1 << 24, &text, NULL, err) < 0)
		return err_wrap(err, "the container's spec");
	if (!(spec = cJSON_Parse(text)))
		return err_set(err, EINVAL, "%s is not JSON", spec_path);
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return err_sys(err, "a mount namespace for the copy");
	/* again, in the new namespace: a mount point must be one of its mounts */
	close(rootfd);
	rootfd = open(rootfs, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (rootfd < 0)
		return err_sys(err, "the container's root %s", rootfs);
	cJSON_ArrayForEach (m, cJSON_GetObjectItem(spec, "mounts"))
		if (bind_one(rootfd, m, err) < 0)
			return -err->code;
	/* --read-only: its root is read-only here too, the mounts on it as they are (after them:
	 * a container that never ran may have needed mount points made) */
	if (cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(spec, "root"), "readonly")) &&
	    mount(NULL, rootfs, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
		return err_sys(err, "make the container's root read-only");
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
	{
		struct statvfs sv;

		/* a read-only volume or bind (:ro), or a read-only root */
		if (fstatvfs(dfd, &sv) == 0 && (sv.f_flag & ST_RDONLY))
			return err_set(err, EROFS, "%s is on a read-only mount", path);
	}
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
	const char *spec = cJSON_GetStringValue(cJSON_GetObjectItem(args, "spec"));
	bool in = cJSON_IsTrue(cJSON_GetObjectItem(args, "put"));
	int r;

	(void)s;
	if (!rootfs || !path || path[0] != '/') {
		err_set(&err, EINVAL, "malformed copy arguments");
		job_fail(out, &err);
	}
	if (spec && bind_mounts(rootfs, spec, &err) < 0)
		job_fail(out, &err);
	if (enter_root(rootfs, &err) < 0)
		job_fail(out, &err);
	r = in ? put(path, fd, &err) : tar_send_path(path, fd, &err);
	close(fd);
	if (r < 0)
		job_fail(out, &err);
	job_done(out, "{}");
}
