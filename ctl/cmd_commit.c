/* berth commit and berth diff: a container's changes, as an image or as a list. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "ctl.h"
#include "lib/bc_commit.h"
#include "proto/proto.h"
#include "proto/tags.h"

const char cmd_commit_usage[] =
    "commit [OPTIONS] CONTAINER [NAME[:TAG]]\n"
    "\n"
    "Make an image from a container: its image plus one layer holding what the\n"
    "container changed, with the container's configuration. A running container is\n"
    "paused while its changes are read.\n"
    "\n"
    "Options:\n"
    "  -a, --author TEXT     the image's author\n"
    "  -c, --change CHANGE   apply a Dockerfile instruction (CMD, ENTRYPOINT, ENV,\n"
    "                        WORKDIR, USER, LABEL, EXPOSE); may be repeated\n"
    "  -m, --message TEXT    a commit message (in the image's history)\n"
    "  -p, --pause BOOL      pause the container while committing (default true)\n"
    "  -q, --quiet           print nothing but the image id\n";

const char cmd_diff_usage[] = "diff CONTAINER\n"
			      "\n"
			      "List the files and directories a container changed over its image:\n"
			      "A added, C changed, D deleted.\n";

int ctl_container_inspect(struct ctl *ctl, const char *ref, cJSON **out)
{
	cleanup_cjson cJSON *arr = NULL;
	struct pbuf pb;
	int rc;

	pb_init(&pb);
	pb_put_str(&pb, TAG_REF, ref);
	rc = ctl_container_call(ctl, MSG_CONTAINER_INSPECT, &pb, &arr, NULL, NULL, EXIT_FAIL);
	if (rc)
		return rc;
	*out = cJSON_IsArray(arr) ? cJSON_DetachItemFromArray(arr, 0) : steal_ptr(&arr);
	if (!*out || !cJSON_GetStringValue(cJSON_GetObjectItem(*out, "Id")))
		return ctl_fail(EXIT_FAIL, "berth-containerd sent no record for %s", ref);
	return 0;
}

int cmd_commit(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {{"author", required_argument, NULL, 'a'},
					     {"change", required_argument, NULL, 'c'},
					     {"message", required_argument, NULL, 'm'},
					     {"pause", required_argument, NULL, 'p'},
					     {"quiet", no_argument, NULL, 'q'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	cleanup_cjson cJSON *changes = cJSON_CreateArray();
	struct bc_commit o = {.changes = changes};
	struct err err = ERR_INIT;
	cleanup_free char *id = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "+a:c:m:p:q", opts, NULL)) != -1) {
		if (c == 'a')
			o.author = optarg;
		else if (c == 'c')
			cJSON_AddItemToArray(changes, cJSON_CreateString(optarg));
		else if (c == 'm')
			o.comment = optarg;
		else if (c == 'p')
			o.no_pause = !strcmp(optarg, "false") || !strcmp(optarg, "0");
		else if (c == 'q')
			continue; /* the id alone is what commit prints anyway */
		else if (c == 'h') {
			ctl_usage(stdout, cmd_commit_usage);
			return EXIT_OK;
		} else
			return EXIT_DAEMON;
	}
	if (optind >= argc || argc - optind > 2)
		return ctl_fail(EXIT_DAEMON, "commit needs a container and an optional name");
	o.ref = argv[optind];
	o.name = optind + 1 < argc ? argv[optind + 1] : NULL;
	if (bc_commit(&ctl->paths, &o, &id, &err) < 0)
		return ctl_fail_err(&err, EXIT_FAIL);
	printf("%s\n", id);
	return EXIT_OK;
}

static void diff_line(const char *line, void *arg)
{
	(void)arg;
	printf("%s\n", line);
}

int cmd_diff(struct ctl *ctl, int argc, char **argv)
{
	struct err err = ERR_INIT;

	if (argc >= 2 && !strcmp(argv[1], "--help")) {
		ctl_usage(stdout, cmd_diff_usage);
		return EXIT_OK;
	}
	if (argc != 2)
		return ctl_fail(EXIT_DAEMON, "diff needs one container");
	if (bc_diff(&ctl->paths, argv[1], diff_line, NULL, &err) < 0)
		return ctl_fail_err(&err, EXIT_FAIL);
	return EXIT_OK;
}
