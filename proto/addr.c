#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addr.h"
#include "common/xalloc.h"

int unix_addr(const char *path, struct sockaddr_un *sun, int *dirfd, struct err *err)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int n;

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	*dirfd = -1;
	if (strlen(path) < sizeof(sun->sun_path)) {
		strcpy(sun->sun_path, path);
		return 0;
	}
	if (!slash || slash == path)
		return err_set(err, ENAMETOOLONG, "socket path %s is too long", path);
	dir = xstrndup(path, (size_t)(slash - path));
	*dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (*dirfd < 0)
		return err_sys(err, "open the directory of %s", path);
	n = snprintf(sun->sun_path, sizeof(sun->sun_path), "/proc/self/fd/%d%s", *dirfd, slash);
	if (n < 0 || (size_t)n >= sizeof(sun->sun_path)) {
		close(*dirfd);
		*dirfd = -1;
		return err_set(err, ENAMETOOLONG, "socket name %s is too long", slash + 1);
	}
	return 0;
}
