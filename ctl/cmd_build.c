/* berth build: options, the context, the stages in order, and the names of the result. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/build.h"
#include "common/cleanup.h"
#include "common/xalloc.h"
#include "ctl.h"
#include "lib/bc_session.h"
#include "lib/bclient.h"
#include "proto/proto.h"
#include "proto/tags.h"

const char cmd_build_usage[] =
    "build [OPTIONS] CONTEXT|-\n"
    "\n"
    "Build an image from a Dockerfile. CONTEXT is a directory whose files COPY and ADD\n"
    "may use (minus what its .dockerignore excludes); '-' reads a Dockerfile, or a tar\n"
    "of a context, from standard input. RUN steps run in berth containers; each step\n"
    "that changes files becomes a layer, and unchanged steps come from the cache.\n"
    "\n"
    "Options:\n"
    "  -t, --tag NAME[:TAG]     name the image (may be given more than once)\n"
    "  -f, --file PATH          the Dockerfile (default: CONTEXT/Dockerfile)\n"
    "      --build-arg K=V      set a build-time variable (ARG)\n"
    "      --target STAGE       build up to this stage\n"
    "      --no-cache           run every step again\n"
    "      --pull               pull base images even when present\n"
    "      --label K=V          add a label to the image\n"
    "      --network MODE       network for RUN steps: bridge (default), none, host\n"
    "  -q, --quiet              print only the image id\n";

static int kv_opt(cJSON *o, const char *arg, const char *what)
{
	const char *eq = strchr(arg, '=');
	cleanup_free char *k = NULL;

	if (eq == arg)
		return ctl_fail(EXIT_DAEMON, "%s '%s': expected KEY=VALUE", what, arg);
	if (!eq) {
		/* --build-arg K takes K from the environment, as Docker does */
		const char *v = getenv(arg);

		if (v)
			cJSON_AddStringToObject(o, arg, v);
		return 0;
	}
	k = xstrndup(arg, (size_t)(eq - arg));
	cJSON_DeleteItemFromObject(o, k);
	cJSON_AddStringToObject(o, k, eq + 1);
	return 0;
}

static int parse_opts(struct bc_build *b, int argc, char **argv)
{
	static const struct option opts[] = {{"tag", required_argument, NULL, 't'},
					     {"file", required_argument, NULL, 'f'},
					     {"build-arg", required_argument, NULL, 'a'},
					     {"target", required_argument, NULL, 'T'},
					     {"no-cache", no_argument, NULL, 'n'},
					     {"pull", no_argument, NULL, 'p'},
					     {"label", required_argument, NULL, 'l'},
					     {"network", required_argument, NULL, 'N'},
					     {"quiet", no_argument, NULL, 'q'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	int c;

	while ((c = getopt_long(argc, argv, "+t:f:q", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			cJSON_AddItemToArray(b->tags, cJSON_CreateString(optarg));
			break;
		case 'f':
			b->dockerfile = optarg;
			break;
		case 'a':
			if (kv_opt(b->build_args, optarg, "--build-arg"))
				return EXIT_DAEMON;
			break;
		case 'l':
			if (kv_opt(b->labels, optarg, "--label"))
				return EXIT_DAEMON;
			break;
		case 'T':
			b->target = optarg;
			break;
		case 'n':
			b->no_cache = true;
			break;
		case 'p':
			b->pull = true;
			break;
		case 'N':
			b->network = optarg;
			break;
		case 'q':
			b->quiet = true;
			break;
		case 'h':
			ctl_usage(stdout, cmd_build_usage);
			return -1;
		default:
			return EXIT_DAEMON;
		}
	}
	if (argc - optind != 1)
		return ctl_fail(EXIT_DAEMON, "build needs one context (a directory, or -)");
	return 0;
}

/* Ctrl-C or SIGTERM: the running step's container is removed, then the build stops. */
static void on_interrupt(int sig)
{
	(void)sig;
	session_cancel = 1;
}

static int exit_for_build(const struct err *err)
{
	return ctl_exit_for(err->code == BC_BADARG ? 0 : err->code, EXIT_FAIL);
}

/* '-': a Dockerfile, or the tar of a context, on standard input */
static int stdin_context(struct bc_build *o, char **text, char **tmpdir, struct err *err)
{
	cleanup_free char *data = NULL;
	size_t len;

	if (bc_read_all(stdin, &data, &len, 512u << 20, err) < 0)
		return -err->code;
	if (bc_build_context(data, len, text, tmpdir, err) < 0)
		return -err->code;
	o->context_dir = *tmpdir;
	o->dockerfile_text = *text;
	return 0;
}

static void print_unused(const cJSON *unused)
{
	const cJSON *it;
	bool any = false;

	cJSON_ArrayForEach (it, unused) {
		fprintf(stderr, "%s%s",
			any ? " " : "[Warning] build-args not consumed: ", it->valuestring);
		any = true;
	}
	if (any)
		fputc('\n', stderr);
}

int cmd_build(struct ctl *ctl, int argc, char **argv)
{
	struct bc_build o = {.out = stdout, .err_out = stderr};
	struct err err = ERR_INIT;
	cleanup_free char *tmpdir = NULL, *text = NULL;
	int rc;

	o.build_args = cJSON_CreateObject();
	o.labels = cJSON_CreateObject();
	o.tags = cJSON_CreateArray();
	rc = parse_opts(&o, argc, argv);
	if (rc)
		goto out;
	if (o.quiet)
		o.out = o.err_out = NULL;
	if (!strcmp(argv[optind], "-")) {
		if (stdin_context(&o, &text, &tmpdir, &err) < 0) {
			rc = ctl_fail(EXIT_FAIL, "%s", err_msg(&err));
			goto out;
		}
	} else {
		o.context_dir = argv[optind];
	}
	{
		struct sigaction sa = {.sa_handler = on_interrupt};

		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
	if (bc_build(&ctl->paths, &o, &err) < 0) {
		rc = err.code == EINTR && session_cancel
			 ? ctl_fail(130, "build interrupted")
			 : ctl_fail(exit_for_build(&err), "%s", err_msg(&err));
		goto out;
	}
	if (o.quiet)
		printf("%s\n", o.id);
	print_unused(o.unused_args);
	rc = EXIT_OK;
out:
	err_clear(&err);
	if (tmpdir) {
		bc_build_context_remove(tmpdir);
		if (!access(tmpdir, F_OK))
			fprintf(stderr, "berth: could not remove %s\n", tmpdir);
	}
	cJSON_Delete(o.build_args);
	cJSON_Delete(o.labels);
	cJSON_Delete(o.tags);
	cJSON_Delete(o.unused_args);
	return rc < 0 ? EXIT_OK : rc;
}
