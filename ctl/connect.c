/* Reaching the daemons from the client, with one clear line when one is not there. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/cleanup.h"
#include "ctl.h"

int ctl_fail(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("berth: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

void ctl_usage(FILE *out, const char *usage)
{
	fprintf(out, "Usage: berth %s", usage);
}

int ctl_try_connect(struct ctl *ctl, enum berth_daemon d, struct client *c, struct err *err)
{
	cleanup_free char *path = paths_socket(&ctl->paths, d);
	int r = client_connect(c, path, ROLE_CLIENT, err);

	if (r < 0)
		client_close(c);
	return r;
}

int ctl_connect(struct ctl *ctl, enum berth_daemon d, struct client *c)
{
	struct err err = ERR_INIT;
	const char *bin = berth_daemons[d].binary;
	int r = ctl_try_connect(ctl, d, c, &err);

	if (r == 0)
		return 0;
	if (err.code == ENOENT || err.code == ECONNREFUSED)
		ctl_fail(EXIT_DAEMON,
			 "cannot reach %s: %s (is %s running? try: berth system start)", bin,
			 err_msg(&err), bin);
	else if (err.code == EACCES)
		ctl_fail(EXIT_DAEMON, "%s: %s (are you root or in the berth group?)", bin,
			 err_msg(&err));
	else
		ctl_fail(EXIT_DAEMON, "%s: %s", bin, err_msg(&err));
	err_clear(&err);
	return EXIT_DAEMON;
}
