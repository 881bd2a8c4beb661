/* berth volume: create, ls, inspect, rm, prune. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "ctl.h"
#include "format.h"
#include "proto/tags.h"

const char cmd_volume_usage[] =
    "volume COMMAND\n"
    "\n"
    "Manage volumes (directories under $ROOT/volumes that outlive containers).\n"
    "\n"
    "Commands:\n"
    "  create [--label KEY=VALUE]... [NAME]   create a volume (a random name without one)\n"
    "  ls [-q] [--format table|json|TEMPLATE] list volumes\n"
    "  inspect [-f TEMPLATE] NAME...          show volumes as JSON (or through a template)\n"
    "  rm NAME...                             remove volumes no container uses\n"
    "  prune                                  remove every volume no container uses\n";

static const char *sget(const cJSON *o, const char *key)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));

	return s ? s : "";
}

static int vol_create(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {{"label", required_argument, NULL, 'l'},
					     {"help", no_argument, NULL, 'H'},
					     {NULL, 0, NULL, 0}};
	cleanup_cjson cJSON *req = cJSON_CreateObject(), *out = NULL;
	cJSON *labels = cJSON_AddObjectToObject(req, "Labels");
	struct pbuf pb;
	char *text;
	int c, rc;

	while ((c = getopt_long(argc, argv, "+l:", opts, NULL)) != -1) {
		if (c == 'l') {
			char *eq = strchr(optarg, '=');

			if (!eq || eq == optarg)
				return ctl_fail(EXIT_DAEMON,
						"invalid --label '%s': expected KEY=VALUE", optarg);
			*eq = '\0';
			cJSON_AddStringToObject(labels, optarg, eq + 1);
		} else if (c == 'H') {
			ctl_usage(stdout, cmd_volume_usage);
			return EXIT_OK;
		} else
			return EXIT_DAEMON;
	}
	if (argc - optind > 1)
		return ctl_fail(EXIT_DAEMON, "volume create takes at most one name");
	text = cJSON_PrintUnformatted(req);
	pb_init(&pb);
	if (optind < argc)
		pb_put_str(&pb, TAG_NAME, argv[optind]);
	pb_put_str(&pb, TAG_JSON, text);
	free(text);
	rc = ctl_container_call(ctl, MSG_VOLUME_CREATE, &pb, &out, NULL, NULL, EXIT_FAIL);
	if (!rc)
		printf("%s\n", sget(out, "Name"));
	return rc;
}

static int vol_ls(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {{"quiet", no_argument, NULL, 'q'},
					     {"format", required_argument, NULL, 'F'},
					     {"help", no_argument, NULL, 'H'},
					     {NULL, 0, NULL, 0}};
	static const char *const hdr[] = {"DRIVER", "VOLUME NAME", "IN USE"};
	cleanup_cjson cJSON *out = NULL, *rows = cJSON_CreateArray();
	cleanup_listfmt struct listfmt lf = {0};
	bool quiet = false;
	const cJSON *v;
	struct table *t;
	struct pbuf pb;
	int c, rc;

	while ((c = getopt_long(argc, argv, "+q", opts, NULL)) != -1) {
		if (c == 'q')
			quiet = true;
		else if (c == 'F') {
			if (listfmt_parse(optarg, &lf) < 0)
				return EXIT_DAEMON;
		} else if (c == 'H') {
			ctl_usage(stdout, cmd_volume_usage);
			return EXIT_OK;
		} else
			return EXIT_DAEMON;
	}
	pb_init(&pb);
	rc = ctl_container_call(ctl, MSG_VOLUME_LIST, &pb, &out, NULL, NULL, EXIT_FAIL);
	if (rc)
		return rc;
	if (lf.fmt == FORMAT_JSON) {
		json_print(stdout, out);
		return EXIT_OK;
	}
	if (lf.t && !quiet) {
		static const char *const kv[][2] = {
		    {"Name", "VOLUME NAME"},	  {"Driver", "DRIVER"}, {"Scope", "SCOPE"},
		    {"Mountpoint", "MOUNTPOINT"}, {"Labels", "LABELS"}, {"InUse", "IN USE"}};
		cleanup_cjson cJSON *titles = listfmt_titles(kv, sizeof(kv) / sizeof(kv[0]));
		cJSON_ArrayForEach (v, out) {
			cJSON *row = cJSON_CreateObject();
			char *labels = labels_text(cJSON_GetObjectItem(v, "Labels"));

			cJSON_AddStringToObject(row, "Name", sget(v, "Name"));
			cJSON_AddStringToObject(row, "Driver", sget(v, "Driver"));
			cJSON_AddStringToObject(row, "Scope", "local");
			cJSON_AddStringToObject(row, "Mountpoint", sget(v, "Mountpoint"));
			cJSON_AddStringToObject(row, "Labels", labels);
			cJSON_AddStringToObject(
			    row, "InUse",
			    cJSON_IsTrue(cJSON_GetObjectItem(v, "InUse")) ? "yes" : "no");
			cJSON_AddItemToArray(rows, row);
			free(labels);
		}
		return listfmt_print(&lf, rows, titles);
	}
	if (quiet) {
		cJSON_ArrayForEach (v, out)
			printf("%s\n", sget(v, "Name"));
		return EXIT_OK;
	}
	t = table_new(3, hdr);
	cJSON_ArrayForEach (v, out) {
		const char *cells[3] = {sget(v, "Driver"), sget(v, "Name"),
					cJSON_IsTrue(cJSON_GetObjectItem(v, "InUse")) ? "yes"
										      : "no"};

		table_add(t, cells);
	}
	table_print(t, stdout);
	table_free(t);
	return EXIT_OK;
}

int ctl_volume_prune(struct ctl *ctl, int argc, char **argv)
{
	cleanup_cjson cJSON *out = NULL;
	const cJSON *v;
	struct pbuf pb;
	int rc;

	(void)argc;
	(void)argv;
	pb_init(&pb);
	rc = ctl_container_call(ctl, MSG_VOLUME_PRUNE, &pb, &out, NULL, NULL, EXIT_FAIL);
	if (rc)
		return rc;
	printf("Deleted Volumes:\n");
	cJSON_ArrayForEach (v, out)
		printf("%s\n", v->valuestring);
	printf("\nTotal: %d volume%s removed\n", cJSON_GetArraySize(out),
	       cJSON_GetArraySize(out) == 1 ? "" : "s");
	return EXIT_OK;
}

int cmd_volume(struct ctl *ctl, int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help")) {
		ctl_usage(argc < 2 ? stderr : stdout, cmd_volume_usage);
		return argc < 2 ? EXIT_DAEMON : EXIT_OK;
	}
	optind = 0;
	if (!strcmp(argv[1], "create"))
		return vol_create(ctl, argc - 1, argv + 1);
	if (!strcmp(argv[1], "ls") || !strcmp(argv[1], "list"))
		return vol_ls(ctl, argc - 1, argv + 1);
	if (!strcmp(argv[1], "inspect")) {
		static const struct inspect_kind vol = {"volume", DAEMON_CONTAINERD,
							MSG_VOLUME_INSPECT};

		return ctl_inspect(ctl, &vol, 1, argc - 1, argv + 1, cmd_volume_usage);
	}
	if (!strcmp(argv[1], "rm") || !strcmp(argv[1], "remove"))
		return ctl_each_ref(ctl, DAEMON_CONTAINERD, MSG_VOLUME_REMOVE, argc - 1, argv + 1,
				    "volume");
	if (!strcmp(argv[1], "prune"))
		return ctl_volume_prune(ctl, argc - 1, argv + 1);
	return ctl_fail(EXIT_DAEMON, "unknown volume command '%s' (see 'berth volume --help')",
			argv[1]);
}
