/*
 * Layer unpacking from the daemon's side: a child that runs
 * berth-imaged-worker (the program that links libarchive), which chroots
 * into the snapshot directory and unpacks there; the result comes back on
 * a pipe ("O<diff_id> <size>" or "E<message>").
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/digest.h"
#include "common/paths.h"
#include "common/xalloc.h"
#include "unpack.h"

int fds_to_3_4(int in, int out)
{
	/* out of the way first: either may already be 3 or 4 */
	int hi_in = fcntl(in, F_DUPFD_CLOEXEC, 10), hi_out = fcntl(out, F_DUPFD_CLOEXEC, 10);

	if (hi_in < 0 || hi_out < 0 || dup2(hi_in, 3) < 0 || dup2(hi_out, 4) < 0)
		return -1;
	return 0;
}

int unpack_layer(const char *blob, const char *dir, const char *diff_id, char *diff_out,
		 uint64_t *size, struct err *err)
{
	cleanup_close int fd = open(blob, O_RDONLY | O_CLOEXEC);
	cleanup_free char *worker = paths_program("berth-imaged-worker", LIBEXECDIR);
	int pipefd[2];
	pid_t pid;
	char msg[4200];
	ssize_t n;
	int status;

	if (fd < 0)
		return err_sys(err, "open layer %s", blob);
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return err_sys(err, "pipe");
	pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return err_sys(err, "fork the unpack worker");
	}
	if (pid == 0) {
		/* the layer as fd 3, the answer on fd 4 */
		if (fds_to_3_4(fd, pipefd[1]) < 0)
			_exit(2);
		execl(worker, "berth-imaged-worker", "unpack", dir, diff_id ? diff_id : "-",
		      (char *)NULL);
		dprintf(4, "Eexec %s: %s", worker, strerror(errno));
		_exit(2);
	}
	close(pipefd[1]);
	n = read(pipefd[0], msg, sizeof(msg) - 1);
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (n <= 0)
		return err_set(err, EIO, "the unpack worker died (status %d)", status);
	msg[n] = '\0';
	if (msg[0] != 'O')
		return err_set(err, EINVAL, "%s", msg + 1);
	if (diff_out)
		snprintf(diff_out, DIGEST_STR_LEN + 1, "%.*s", DIGEST_STR_LEN, msg + 1);
	if (size)
		*size = strtoull(msg + 1 + DIGEST_STR_LEN + 1, NULL, 10);
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		return rmdir(path) < 0 && errno != ENOENT ? -1 : 0;
	return unlink(path) < 0 && errno != ENOENT ? -1 : 0;
}

int rm_tree(const char *path, struct err *err)
{
	if (nftw(path, rm_one, 64, FTW_DEPTH | FTW_PHYS) < 0 && errno != ENOENT)
		return err_sys(err, "remove %s", path);
	return 0;
}
