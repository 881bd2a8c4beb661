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
#include <openssl/evp.h>
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

static char *config_path(void)
{
	const char *env = getenv("BERTH_CONFIG"), *home = getenv("HOME");

	if (env && *env)
		return xstrdup(env);
	return xasprintf("%s/.config/berth/config.json", home && *home ? home : "/root");
}

static cJSON *config_load(const char *path)
{
	struct err err = ERR_INIT;
	cleanup_free char *text = NULL;
	cJSON *doc = NULL;

	if (read_file_at(AT_FDCWD, path, 1 << 20, &text, NULL, &err) == 0)
		doc = cJSON_Parse(text);
	err_clear(&err);
	if (!cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		doc = cJSON_CreateObject();
	}
	if (!cJSON_IsObject(cJSON_GetObjectItem(doc, "auths")))
		cJSON_AddObjectToObject(doc, "auths");
	return doc;
}

static int config_save(const char *path, const cJSON *doc)
{
	cleanup_free char *dir = xstrdup(path), *text = cJSON_Print(doc);
	struct err err = ERR_INIT;
	char *slash = strrchr(dir, '/');
	int rc = 0;

	if (slash) {
		*slash = '\0';
		/* ~/.config and ~/.config/berth, private */
		char *parent = xstrdup(dir), *ps = strrchr(parent, '/');

		if (ps) {
			*ps = '\0';
			mkdir(parent, 0700);
		}
		free(parent);
		mkdir(dir, 0700);
	}
	if (atomic_write_file(path, text, strlen(text), 0600, &err) < 0)
		rc = ctl_fail(EXIT_FAIL, "%s", err_msg(&err));
	err_clear(&err);
	return rc;
}

/* The registry part of an image name, as Docker tells it: docker.io for bare names. */
static char *registry_of(const char *image)
{
	const char *slash = strchr(image, '/');
	size_t n = slash ? (size_t)(slash - image) : 0;

	if (slash &&
	    (memchr(image, '.', n) || memchr(image, ':', n) || !strncmp(image, "localhost", n)))
		return xstrndup(image, n);
	return xstrdup("docker.io");
}

char *ctl_registry_auth(const char *image)
{
	cleanup_free char *path = config_path(), *reg = registry_of(image);
	cleanup_cjson cJSON *doc = config_load(path);
	const char *auth = cJSON_GetStringValue(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "auths"), reg), "auth"));

	return auth ? xstrdup(auth) : NULL;
}

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

int cmd_login(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {{"username", required_argument, NULL, 'u'},
					     {"password-stdin", no_argument, NULL, 'S'},
					     {"help", no_argument, NULL, 'H'},
					     {NULL, 0, NULL, 0}};
	cleanup_free char *user = NULL, *pass = NULL, *plain = NULL, *path = config_path();
	cleanup_cjson cJSON *doc = NULL, *out = NULL;
	bool from_stdin = false;
	unsigned char b64[4096];
	struct pbuf pb;
	cJSON *entry;
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
	plain = xasprintf("%s:%s", user, pass);
	if (strlen(plain) > 2000)
		return ctl_fail(EXIT_DAEMON, "the user name and password are too long");
	EVP_EncodeBlock(b64, (const unsigned char *)plain, (int)strlen(plain));
	explicit_bzero(plain, strlen(plain));
	explicit_bzero(pass, strlen(pass));
	pb_init(&pb);
	pb_put_str(&pb, TAG_REF, argv[optind]);
	pb_put_str(&pb, TAG_KEY, (const char *)b64);
	rc = ctl_imaged_job(ctl, MSG_IMAGE_LOGIN, &pb);
	if (rc)
		return rc;
	doc = config_load(path);
	entry = cJSON_CreateObject();
	cJSON_AddStringToObject(entry, "auth", (const char *)b64);
	cJSON_DeleteItemFromObject(cJSON_GetObjectItem(doc, "auths"), argv[optind]);
	cJSON_AddItemToObject(cJSON_GetObjectItem(doc, "auths"), argv[optind], entry);
	explicit_bzero(b64, sizeof(b64));
	if ((rc = config_save(path, doc)))
		return rc;
	printf("Login Succeeded\n");
	return EXIT_OK;
}

int cmd_logout(struct ctl *ctl, int argc, char **argv)
{
	cleanup_free char *path = config_path();
	cleanup_cjson cJSON *doc = NULL;
	cJSON *auths;

	(void)ctl;
	if (argc >= 2 && !strcmp(argv[1], "--help")) {
		ctl_usage(stdout, cmd_logout_usage);
		return EXIT_OK;
	}
	if (argc != 2)
		return ctl_fail(EXIT_DAEMON, "logout needs one registry");
	doc = config_load(path);
	auths = cJSON_GetObjectItem(doc, "auths");
	if (!cJSON_GetObjectItem(auths, argv[1]))
		return ctl_fail(EXIT_FAIL, "not logged in to %s", argv[1]);
	cJSON_DeleteItemFromObject(auths, argv[1]);
	if (config_save(path, doc))
		return EXIT_FAIL;
	printf("Removing login credentials for %s\n", argv[1]);
	return EXIT_OK;
}
