/*
 * berth login / logout, and the credentials pull sends: a Docker-compatible
 * config.json ({"auths": {"host:port": {"auth": base64("user:password")}}})
 * in $BERTH_CONFIG, or ~/.config/berth/config.json, mode 0600, of the user
 * running berth. imaged gets them per request and never keeps them.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "common/atomicfile.h"
#include "common/cleanup.h"
#include "common/xalloc.h"
#include "ctl.h"
#include "lib/bclient.h"
#include "proto/tags.h"

const char cmd_login_usage[] =
    "login [-u USER] [--password-stdin] REGISTRY\n"
    "\n"
    "Check credentials with a registry (host[:port]) and keep them for pulls, in\n"
    "$BERTH_CONFIG or ~/.config/berth/config.json (mode 0600, Docker's format).\n"
    "  -u, --username USER   the user name (asked for when not given)\n"
    "      --password-stdin  read the password from standard input\n";
const char cmd_logout_usage[] = "logout REGISTRY\n"
				"\n"
				"Forget the credentials kept for a registry.\n";

static char *read_line(FILE *in, bool echo)
{
	struct termios old, quiet;
	bool tty = !echo && isatty(fileno(in)) && tcgetattr(fileno(in), &old) == 0;
	char buf[1024];

	if (tty) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(fileno(in), TCSANOW, &quiet);
	}
	if (!fgets(buf, sizeof(buf), in))
		buf[0] = '\0';
	if (tty) {
		tcsetattr(fileno(in), TCSANOW, &old);
		fputc('\n', stderr);
	}
	buf[strcspn(buf, "\r\n")] = '\0';
	return xstrdup(buf);
}

static void print_line(const char *line, void *arg)
{
	(void)arg;
	if (strncmp(line, "sha256:", 7) != 0)
		printf("%s\n", line);
}

int cmd_login(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {{"username", required_argument, NULL, 'u'},
					     {"password-stdin", no_argument, NULL, 'S'},
					     {"help", no_argument, NULL, 'H'},
					     {NULL, 0, NULL, 0}};
	cleanup_free char *user = NULL, *pass = NULL;
	struct err err = ERR_INIT;
	bool from_stdin = false;
	int c, rc;

	while ((c = getopt_long(argc, argv, "+u:", opts, NULL)) != -1) {
		if (c == 'u')
			user = xstrdup(optarg);
		else if (c == 'S')
			from_stdin = true;
		else if (c == 'H') {
			ctl_usage(stdout, cmd_login_usage);
			return EXIT_OK;
		} else
			return EXIT_DAEMON;
	}
	if (argc - optind != 1 || strchr(argv[optind], '/'))
		return ctl_fail(EXIT_DAEMON, "login needs one registry (host[:port])");
	if (!user) {
		if (from_stdin)
			return ctl_fail(EXIT_DAEMON, "--password-stdin needs --username");
		fprintf(stderr, "Username: ");
		user = read_line(stdin, true);
	}
	if (!from_stdin)
		fprintf(stderr, "Password: ");
	pass = read_line(stdin, from_stdin);
	if (!*user || !*pass || strchr(user, ':'))
		return ctl_fail(EXIT_DAEMON,
				"login needs a user name (without ':') and a password");
	rc = bc_login(&ctl->paths, argv[optind], user, pass, print_line, NULL, &err);
	explicit_bzero(pass, strlen(pass));
	if (rc < 0)
		return ctl_fail_err(&err, EXIT_FAIL);
	printf("Login Succeeded\n");
	return EXIT_OK;
}

int cmd_logout(struct ctl *ctl, int argc, char **argv)
{
	struct err err = ERR_INIT;

	(void)ctl;
	if (argc >= 2 && !strcmp(argv[1], "--help")) {
		ctl_usage(stdout, cmd_logout_usage);
		return EXIT_OK;
	}
	if (argc != 2)
		return ctl_fail(EXIT_DAEMON, "logout needs one registry");
	if (bc_logout(argv[1], &err) < 0)
		return ctl_fail_err(&err, EXIT_FAIL);
	printf("Removing login credentials for %s\n", argv[1]);
	return EXIT_OK;
}
