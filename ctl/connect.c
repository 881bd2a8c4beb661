/* Reaching the daemons from the client, with one clear line when one is not there. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/cleanup.h"
#include "ctl.h"
#include "lib/bc_session.h"
#include "lib/bclient.h"

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

	if (bc_connect(&ctl->paths, d, c, &err) == 0)
		return 0;
	ctl_fail(EXIT_DAEMON, "%s", err_msg(&err));
	err_clear(&err);
	return EXIT_DAEMON;
}

int ctl_exit_for(int err_code, int code)
{
	/* unreachable, bad usage, or refused by the policy: Docker's 125 */
	if (err_code == BC_UNREACHABLE || err_code == BC_BADARG || err_code == ERR_DENIED)
		return EXIT_DAEMON;
	return code;
}

int ctl_fail_err(struct err *err, int code)
{
	int rc = ctl_fail(ctl_exit_for(err->code, code), "%s", err_msg(err));

	err_clear(err);
	return rc;
}

int ctl_session(const struct session *s, int *exit_code)
{
	struct err err = ERR_INIT;
	int r = session_run(s, exit_code, &err);

	if (r == 1)
		fprintf(stderr, "\nberth: detached (the container goes on)\n");
	if (r >= 0)
		return 0;
	/* an interrupted build says so itself */
	if (err.code != ECANCELED)
		ctl_fail(EXIT_FAIL, "%s", err_msg(&err));
	err_clear(&err);
	return -1;
}
