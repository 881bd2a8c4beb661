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

/* The container's image: its manifest digest (exact), else its id. */
static const char *image_of(const cJSON *rec)
{
	return cJSON_GetStringValue(cJSON_GetObjectItem(rec, "ImageManifest"))
		   ?: cJSON_GetStringValue(cJSON_GetObjectItem(rec, "Image")) ?: "";
}

static int pause_call(struct ctl *ctl, const char *id, uint16_t type)
{
	struct pbuf pb;

	pb_init(&pb);
	pb_put_str(&pb, TAG_REF, id);
	return ctl_container_call(ctl, type, &pb, NULL, NULL, NULL, EXIT_FAIL);
}

/* What the new image runs: the container's configuration, without what is the container's own. */
static cJSON *image_config(const cJSON *rec)
{
	static const char *const drop[] = {
	    "Image",	    "Hostname",	 "Domainname", "AttachStdin", "AttachStdout",
	    "AttachStderr", "OpenStdin", "StdinOnce",  "Tty",	      NULL};
	cJSON *cfg = cJSON_Duplicate(cJSON_GetObjectItem(rec, "Config"), true);

	if (!cfg)
		return cJSON_CreateObject();
	for (const char *const *k = drop; *k; k++)
		cJSON_DeleteItemFromObject(cfg, *k);
	return cfg;
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
	cleanup_cjson cJSON *args = cJSON_CreateObject(), *rec = NULL, *res = NULL;
	cJSON *changes = cJSON_AddArrayToObject(args, "changes");
	cleanup_free char *text = NULL;
	bool pause = true, quiet = false, paused = false;
	const char *id, *state;
	struct pbuf pb;
	int c, rc;

	while ((c = getopt_long(argc, argv, "+a:c:m:p:q", opts, NULL)) != -1) {
		if (c == 'a')
			cJSON_AddStringToObject(args, "author", optarg);
		else if (c == 'c')
			cJSON_AddItemToArray(changes, cJSON_CreateString(optarg));
		else if (c == 'm')
			cJSON_AddStringToObject(args, "comment", optarg);
		else if (c == 'p')
			pause = strcmp(optarg, "false") && strcmp(optarg, "0");
		else if (c == 'q')
			quiet = true;
		else if (c == 'h') {
			ctl_usage(stdout, cmd_commit_usage);
			return EXIT_OK;
		} else
			return EXIT_DAEMON;
	}
	if (optind >= argc || argc - optind > 2)
		return ctl_fail(EXIT_DAEMON, "commit needs a container and an optional name");
	if ((rc = ctl_container_inspect(ctl, argv[optind], &rec)))
		return rc;
	id = cJSON_GetStringValue(cJSON_GetObjectItem(rec, "Id"));
	state =
	    cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(rec, "State"), "Status"));
	cJSON_AddStringToObject(args, "parent", image_of(rec));
	cJSON_AddStringToObject(args, "key", id);
	cJSON_AddItemToObject(args, "config", image_config(rec));
	cJSON_AddStringToObject(args, "created_by", "berth commit");
	if (optind + 1 < argc)
		cJSON_AddItemToArray(cJSON_AddArrayToObject(args, "names"),
				     cJSON_CreateString(argv[optind + 1]));
	if (pause && state && !strcmp(state, "running")) {
		if ((rc = pause_call(ctl, id, MSG_CONTAINER_PAUSE)))
			return rc;
		paused = true;
	}
	text = cJSON_PrintUnformatted(args);
	pb_init(&pb);
	pb_put_str(&pb, TAG_JSON, text);
	rc = ctl_imaged_job_result(ctl, MSG_IMAGE_COMMIT, &pb, true, &res);
	if (paused)
		pause_call(ctl, id, MSG_CONTAINER_UNPAUSE);
	if (rc)
		return rc;
	(void)quiet;
	printf("%s\n", cJSON_GetStringValue(cJSON_GetObjectItem(res, "id")) ?: "");
	return EXIT_OK;
}

int cmd_diff(struct ctl *ctl, int argc, char **argv)
{
	cleanup_cjson cJSON *rec = NULL;
	struct pbuf pb;
	int rc;

	if (argc >= 2 && !strcmp(argv[1], "--help")) {
		ctl_usage(stdout, cmd_diff_usage);
		return EXIT_OK;
	}
	if (argc != 2)
		return ctl_fail(EXIT_DAEMON, "diff needs one container");
	if ((rc = ctl_container_inspect(ctl, argv[1], &rec)))
		return rc;
	pb_init(&pb);
	pb_put_str(&pb, TAG_KEY, cJSON_GetStringValue(cJSON_GetObjectItem(rec, "Id")));
	pb_put_str(&pb, TAG_REF, image_of(rec));
	return ctl_imaged_job(ctl, MSG_SNAPSHOT_DIFF, &pb);
}
