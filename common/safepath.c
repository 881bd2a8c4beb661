#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "safepath.h"
#include "xalloc.h"

int open_in_root(int rootfd, const char *path, int flags, mode_t mode, struct err *err)
{
	struct open_how how = {
	    .flags = (uint64_t)(flags | O_CLOEXEC),
	    .mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
	    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int fd;

	do
		fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
	while (fd < 0 && errno == EAGAIN);
	if (fd < 0)
		return err_sys(err, "open %s inside root", path);
	return fd;
}

int mount_point_in_root(int rootfd, const char *path, int flags, char out[FDPATH_LEN],
			struct err *err)
{
	int fd = open_in_root(rootfd, path, O_PATH | flags, 0, err);

	if (fd >= 0)
		snprintf(out, FDPATH_LEN, "/proc/self/fd/%d", fd);
	return fd;
}

int mkdir_in_root(int rootfd, const char *path, mode_t mode, struct err *err)
{
	cleanup_free char *copy = xstrdup(path);
	cleanup_close int cur = dup(rootfd);
	char *save = NULL;

	if (cur < 0)
		return err_sys(err, "dup root fd");
	for (char *comp = strtok_r(copy, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
		int next;

		if (mkdirat(cur, comp, mode) < 0 && errno != EEXIST)
			return err_sys(err, "mkdir %s (component %s)", path, comp);
		next = open_in_root(cur, comp, O_RDONLY | O_DIRECTORY, 0, err);
		if (next < 0)
			return err_wrap(err, "mkdir %s", path);
		close(cur);
		cur = next;
	}
	return 0;
}

static int check_dir(const char *path, struct err *err)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return err_sys(err, "stat %s", path);
	if (!S_ISDIR(st.st_mode))
		return err_set(err, ENOTDIR, "%s exists and is not a directory", path);
	if (st.st_uid != geteuid())
		return err_set(err, EPERM, "refusing %s: owned by uid %u, not by us (uid %u)", path,
			       (unsigned)st.st_uid, (unsigned)geteuid());
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return err_set(err, EPERM, "refusing %s: writable by group or others (mode %04o)",
			       path, (unsigned)(st.st_mode & 07777));
	return 0;
}

int mkdir_secure(const char *path, mode_t mode, struct err *err)
{
	cleanup_free char *copy = xstrdup(path);
	size_t len = strlen(copy);

	if (len == 0 || copy[0] != '/')
		return err_set(err, EINVAL, "directory %s is not an absolute path", path);
	while (len > 1 && copy[len - 1] == '/')
		copy[--len] = '\0';
	for (char *p = copy + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, 0755) < 0 && errno != EEXIST)
			return err_sys(err, "mkdir %s", copy);
		*p = '/';
	}
	if (mkdir(copy, mode) < 0) {
		if (errno != EEXIST)
			return err_sys(err, "mkdir %s", copy);
	} else if (chmod(copy, mode) < 0) {
		return err_sys(err, "chmod %s", copy);
	}
	return check_dir(copy, err);
}

bool path_is_clean(const char *path)
{
	if (path[0] != '/')
		return false;
	for (const char *p = path; *p; p++) {
		if (*p != '/')
			continue;
		if (p[1] == '/' || (p[1] == '.' && (!p[2] || p[2] == '/')) ||
		    (p[1] == '.' && p[2] == '.' && (!p[3] || p[3] == '/')))
			return false;
	}
	return true;
}

int mkdir_nofollow(const char *path, mode_t mode, struct err *err)
{
	cleanup_free char *copy = xstrdup(path);
	char *save = NULL;
	int dir, next;

	if (!path_is_clean(path))
		return err_set(err, EINVAL, "%s is not a clean absolute path", path);
	if ((dir = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return err_sys(err, "open /");
	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		next = openat(dir, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT) {
			if (mkdirat(dir, c, mode) < 0 && errno != EEXIST) {
				err_sys(err, "create %s (at %s)", path, c);
				close(dir);
				return -err->code;
			}
			next = openat(dir, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (next < 0) {
			if (errno == ENOTDIR || errno == ELOOP)
				err_set(
				    err, ENOTDIR,
				    "cannot create %s: its component '%s' is a symlink or not a "
				    "directory (missing directories are made only through real "
				    "ones)",
				    path, c);
			else
				err_sys(err, "create %s (at %s)", path, c);
			close(dir);
			return -err->code;
		}
		close(dir);
		dir = next;
	}
	close(dir);
	return 0;
}
