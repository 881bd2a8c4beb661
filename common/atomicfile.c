#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"
#include "cleanup.h"
#include "xalloc.h"

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int atomic_write_at(int dirfd, const char *name, const void *buf, size_t len, mode_t mode,
		    struct err *err)
{
	cleanup_close int fd = -1;
	char tmp[4096];
	uint32_t rnd = 0;
	int r;

	if (getrandom(&rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		rnd = (uint32_t)getpid();
	r = snprintf(tmp, sizeof(tmp), "%s.tmp-%08x", name, rnd);
	if (r < 0 || (size_t)r >= sizeof(tmp))
		return err_set(err, ENAMETOOLONG, "write %s: name too long", name);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return err_sys(err, "create %s", tmp);
	if (write_all(fd, buf, len) < 0 || fchmod(fd, mode) < 0 || fsync(fd) < 0) {
		r = err_sys(err, "write %s", tmp);
		goto fail;
	}
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		r = err_sys(err, "rename %s to %s", tmp, name);
		goto fail;
	}
	return 0;
fail:
	unlinkat(dirfd, tmp, 0);
	return r;
}

int atomic_write_file(const char *path, const void *buf, size_t len, mode_t mode, struct err *err)
{
	cleanup_free char *dcopy = xstrdup(path);
	cleanup_free char *bcopy = xstrdup(path);
	cleanup_close int dirfd = -1;
	const char *dir = dirname(dcopy);
	const char *base = basename(bcopy);

	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return err_sys(err, "open directory %s", dir);
	int r = atomic_write_at(dirfd, base, buf, len, mode, err);

	if (r < 0)
		return r;
	if (fsync(dirfd) < 0)
		return err_sys(err, "fsync %s", dir);
	return 0;
}

int read_file_at(int dirfd, const char *path, size_t max, char **out, size_t *outlen,
		 struct err *err)
{
	cleanup_close int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	cleanup_free char *buf = NULL;
	size_t len = 0, cap = 0;

	if (fd < 0)
		return err_sys(err, "open %s", path);
	for (;;) {
		ssize_t n;

		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			buf = xrealloc(buf, cap + 1);
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return err_sys(err, "read %s", path);
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max)
			return err_set(err, EFBIG, "read %s: larger than %zu bytes", path, max);
	}
	if (!buf)
		buf = xmalloc(1);
	buf[len] = '\0';
	*out = steal_ptr(&buf);
	if (outlen)
		*outlen = len;
	return 0;
}
