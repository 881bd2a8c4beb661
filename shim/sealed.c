/*
 * CVE-2019-5736: a process in the container must never be able to write
 * the runtime binary through /proc/<runtime pid>/exe. Before doing anything
 * in a container we re-exec ourselves from a sealed memfd copy, so that
 * /proc/self/exe is an anonymous, write-sealed file.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "runtime.h"

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

static bool running_sealed(void)
{
	cleanup_close int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	int seals;

	if (fd < 0)
		return false;
	seals = fcntl(fd, F_GET_SEALS);
	return seals >= 0 && (seals & SEALS) == SEALS;
}

int sealed_reexec(char **argv, struct err *err)
{
	extern char **environ;
	cleanup_close int self = -1, mfd = -1;
	struct stat st;
	off_t off = 0;

	if (running_sealed())
		return 0;
	self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (self < 0 || fstat(self, &st) < 0)
		return err_sys(err, "open /proc/self/exe");
	mfd = memfd_create("berth-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0)
		return err_sys(err, "memfd_create");
	while (off < st.st_size) {
		ssize_t n = sendfile(mfd, self, &off, (size_t)(st.st_size - off));

		if (n <= 0)
			return err_sys(err, "copy the runtime into a memfd");
	}
	if (fcntl(mfd, F_ADD_SEALS, SEALS) < 0)
		return err_sys(err, "seal the memfd");
	fexecve(mfd, argv, environ);
	return err_sys(err, "re-exec from the sealed copy");
}
