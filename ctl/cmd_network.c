/* berth network (create, ls, inspect, rm, prune) and berth port. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "ctl.h"
#include "format.h"
#include "proto/tags.h"

const char cmd_network_usage[] =
    "network COMMAND\n"
    "\n"
    "Manage networks (bridges run by berth-netd).\n"
    "\n"
    "Commands:\n"
    "  create [--subnet CIDR] [--gateway IP] [--internal] [--label KEY=VALUE]... NAME\n"
    "            a bridge network; without --subnet a free private one is chosen.\n"
    "            Containers on different networks cannot reach each other; an\n"
    "            --internal network has no route out of the host.\n"
    "  ls [-q] [--format table|json|TEMPLATE]  list networks\n"
    "  inspect [-f TEMPLATE] NETWORK...  show networks as JSON (or through a template)\n"
    "  rm NETWORK...                   remove networks no container uses\n"
    "  prune                           remove every network no container uses\n"
    "  connect [--ip ADDR] [--alias NAME]... NETWORK CONTAINER\n"
    "                                  add a network to a container (eth1, eth2 ...),\n"
    "                                  at that address, under those names too\n"
    "  disconnect NETWORK CONTAINER    take it away again\n";
const char cmd_port_usage[] = "port CONTAINER [PORT[/PROTO]]\n"
			      "\n"
			      "Show a container's published ports.\n";

static const char *sget(const cJSON *o, const char *key)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));

	return s ? s : "";
}

/* Call netd and parse the JSON of the reply. */
static int netd_call(struct ctl *ctl, uint16_t type, struct pbuf *pb, cJSON **out)
{
	return ctl_daemon_call(ctl, DAEMON_NETD, type, pb, out, NULL, NULL, EXIT_FAIL);
}

static int net_create(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {{"subnet", required_argument, NULL, 's'},
					     {"gateway", required_argument, NULL, 'g'},
					     {"internal", no_argument, NULL, 'i'},
					     {"label", required_argument, NULL, 'l'},
					     {"driver", required_argument, NULL, 'd'},
					     {"help", no_argument, NULL, 'H'},
					     {NULL, 0, NULL, 0}};
	cleanup_cjson cJSON *req = cJSON_CreateObject(), *out = NULL;
	cJSON *labels = cJSON_AddObjectToObject(req, "Labels");
	struct pbuf pb;
	char *text;
	int c, rc;

	while ((c = getopt_long(argc, argv, "+d:", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			cJSON_AddStringToObject(req, "Subnet", optarg);
			break;
		case 'g':
			cJSON_AddStringToObject(req, "Gateway", optarg);
			break;
		case 'i':
			cJSON_AddBoolToObject(req, "Internal", true);
			break;
		case 'l': {
			char *eq = strchr(optarg, '=');

			if (!eq || eq == optarg)
				return ctl_fail(EXIT_DAEMON,
						"invalid --label '%s': expected KEY=VALUE", optarg);
			*eq = '\0';
			cJSON_AddStringToObject(labels, optarg, eq + 1);
			break;
		}
		case 'd':
			if (strcmp(optarg, "bridge"))
				return ctl_fail(EXIT_DAEMON, "invalid --driver '%s': only bridge",
						optarg);
			break;
		case 'H':
			ctl_usage(stdout, cmd_network_usage);
			return EXIT_OK;
		default:
			return EXIT_DAEMON;
		}
	}
	if (argc - optind != 1)
		return ctl_fail(EXIT_DAEMON, "network create needs one name");
	text = cJSON_PrintUnformatted(req);
	pb_init(&pb);
	pb_put_str(&pb, TAG_NAME, argv[optind]);
	pb_put_str(&pb, TAG_JSON, text);
	free(text);
	rc = netd_call(ctl, MSG_NETWORK_CREATE, &pb, &out);
	if (!rc)
		printf("%s\n", sget(out, "Id"));
	return rc;
}

/* A network ls row for --format templates: the fields Docker's templates name. */
static cJSON *net_row(const cJSON *n, const char *const *cells)
{
	cJSON *row = cJSON_CreateObject();
	char at[64], *labels = labels_text(cJSON_GetObjectItem(n, "Labels"));

	format_created_at(sget(n, "Created"), at, sizeof(at));
	cJSON_AddStringToObject(row, "ID", cells[0]);
	cJSON_AddStringToObject(row, "Name", cells[1]);
	cJSON_AddStringToObject(row, "Driver", cells[2]);
	cJSON_AddStringToObject(row, "Scope", "local");
	cJSON_AddStringToObject(
	    row, "Internal", cJSON_IsTrue(cJSON_GetObjectItem(n, "Internal")) ? "true" : "false");
	cJSON_AddStringToObject(row, "Labels", labels);
	cJSON_AddStringToObject(row, "Subnet", cells[3]);
	cJSON_AddStringToObject(row, "Bridge", cells[4]);
	cJSON_AddStringToObject(row, "CreatedAt", at);
	free(labels);
	return row;
}

static int net_ls(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {{"quiet", no_argument, NULL, 'q'},
					     {"format", required_argument, NULL, 'F'},
					     {"help", no_argument, NULL, 'H'},
					     {NULL, 0, NULL, 0}};
	static const char *const hdr[] = {"NETWORK ID", "NAME", "DRIVER", "SUBNET", "BRIDGE"};
	cleanup_cjson cJSON *out = NULL, *rows = cJSON_CreateArray();
	cleanup_listfmt struct listfmt lf = {0};
	bool quiet = false;
	const cJSON *n;
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
			ctl_usage(stdout, cmd_network_usage);
			return EXIT_OK;
		} else
			return EXIT_DAEMON;
	}
	pb_init(&pb);
	if ((rc = netd_call(ctl, MSG_NETWORK_LIST, &pb, &out)))
		return rc;
	if (lf.fmt == FORMAT_JSON) {
		json_print(stdout, out);
		return EXIT_OK;
	}
	t = table_new(5, hdr);
	cJSON_ArrayForEach (n, out) {
		char id[13];
		const cJSON *cfg = cJSON_GetArrayItem(
		    cJSON_GetObjectItem(cJSON_GetObjectItem(n, "IPAM"), "Config"), 0);
		const char *cells[5] = {
		    id, sget(n, "Name"), sget(n, "Driver"), sget(cfg, "Subnet"),
		    sget(cJSON_GetObjectItem(n, "Options"), "com.docker.network.bridge.name")};

		snprintf(id, sizeof(id), "%.12s", sget(n, "Id"));
		if (quiet)
			printf("%s\n", id);
		else if (lf.t)
			cJSON_AddItemToArray(rows, net_row(n, cells));
		else
			table_add(t, cells);
	}
	if (lf.t && !quiet) {
		static const char *const kv[][2] = {
		    {"ID", "NETWORK ID"}, {"Name", "NAME"},	    {"Driver", "DRIVER"},
		    {"Scope", "SCOPE"},	  {"Internal", "INTERNAL"}, {"Labels", "LABELS"},
		    {"Subnet", "SUBNET"}, {"Bridge", "BRIDGE"},	    {"CreatedAt", "CREATED AT"}};
		cleanup_cjson cJSON *titles = listfmt_titles(kv, sizeof(kv) / sizeof(kv[0]));
		table_free(t);
		return listfmt_print(&lf, rows, titles);
	}
	if (!quiet)
		table_print(t, stdout);
	table_free(t);
	return EXIT_OK;
}

int ctl_network_prune(struct ctl *ctl)
{
	cleanup_cjson cJSON *out = NULL;
	const cJSON *n;
	struct pbuf pb;
	int rc;

	pb_init(&pb);
	if ((rc = netd_call(ctl, MSG_NETWORK_PRUNE, &pb, &out)))
		return rc;
	printf("Deleted Networks:\n");
	cJSON_ArrayForEach (n, out)
		printf("%s\n", n->valuestring);
	return EXIT_OK;
}

static int net_connect(struct ctl *ctl, int argc, char **argv, uint16_t type)
{
	static const struct option opts[] = {
	    {"ip", required_argument, NULL, 'i'}, {"alias", required_argument, NULL, 'a'}, {0}};
	cleanup_cjson cJSON *o = cJSON_CreateObject();
	cleanup_free char *text = NULL;
	struct pbuf pb;
	int c;

	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (c == '?' || type != MSG_CONTAINER_CONNECT)
			return ctl_fail(EXIT_DAEMON, "network %s: unknown option", argv[0]);
		if (c == 'i') {
			cJSON_DeleteItemFromObject(o, "IPv4Address");
			cJSON_AddStringToObject(o, "IPv4Address", optarg);
		} else {
			cJSON *l = cJSON_GetObjectItem(o, "Aliases");

			if (!l)
				l = cJSON_AddArrayToObject(o, "Aliases");
			cJSON_AddItemToArray(l, cJSON_CreateString(optarg));
		}
	}
	if (argc - optind != 2)
		return ctl_fail(EXIT_DAEMON, "network %s needs a network and a container", argv[0]);
	pb_init(&pb);
	pb_put_str(&pb, TAG_NAME, argv[optind]);
	pb_put_str(&pb, TAG_REF, argv[optind + 1]);
	if (cJSON_GetArraySize(o)) {
		text = cJSON_PrintUnformatted(o);
		pb_put_str(&pb, TAG_JSON, text);
	}
	return ctl_container_call(ctl, type, &pb, NULL, NULL, NULL, EXIT_FAIL);
}

int cmd_network(struct ctl *ctl, int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help")) {
		ctl_usage(argc < 2 ? stderr : stdout, cmd_network_usage);
		return argc < 2 ? EXIT_DAEMON : EXIT_OK;
	}
	optind = 0;
	if (!strcmp(argv[1], "create"))
		return net_create(ctl, argc - 1, argv + 1);
	if (!strcmp(argv[1], "ls") || !strcmp(argv[1], "list"))
		return net_ls(ctl, argc - 1, argv + 1);
	if (!strcmp(argv[1], "inspect")) {
		static const struct inspect_kind net = {"network", DAEMON_NETD,
							MSG_NETWORK_INSPECT};

		return ctl_inspect(ctl, &net, 1, argc - 1, argv + 1, cmd_network_usage);
	}
	if (!strcmp(argv[1], "rm") || !strcmp(argv[1], "remove"))
		return ctl_each_ref(ctl, DAEMON_NETD, MSG_NETWORK_REMOVE, argc - 1, argv + 1,
				    "network");
	if (!strcmp(argv[1], "prune"))
		return ctl_network_prune(ctl);
	if (!strcmp(argv[1], "connect"))
		return net_connect(ctl, argc - 1, argv + 1, MSG_CONTAINER_CONNECT);
	if (!strcmp(argv[1], "disconnect"))
		return net_connect(ctl, argc - 1, argv + 1, MSG_CONTAINER_DISCONNECT);
	return ctl_fail(EXIT_DAEMON, "unknown network command '%s' (see 'berth network --help')",
			argv[1]);
}

int cmd_port(struct ctl *ctl, int argc, char **argv)
{
	cleanup_cjson cJSON *out = NULL;
	const cJSON *ports, *e, *b;
	struct pbuf pb;
	int rc, shown = 0;

	if (argc >= 2 && !strcmp(argv[1], "--help")) {
		ctl_usage(stdout, cmd_port_usage);
		return EXIT_OK;
	}
	if (argc < 2 || argc > 3)
		return ctl_fail(EXIT_DAEMON, "port needs a container (and a port)");
	pb_init(&pb);
	pb_put_str(&pb, TAG_REF, argv[1]);
	if ((rc = ctl_container_call(ctl, MSG_CONTAINER_INSPECT, &pb, &out, NULL, NULL, EXIT_FAIL)))
		return rc;
	ports = cJSON_GetObjectItem(cJSON_GetObjectItem(out, "NetworkSettings"), "Ports");
	cJSON_ArrayForEach (e, ports) {
		char want[32];

		if (argc == 3) {
			snprintf(want, sizeof(want), "%s%s", argv[2],
				 strchr(argv[2], '/') ? "" : "/tcp");
			if (strcmp(want, e->string))
				continue;
		}
		cJSON_ArrayForEach (b, e) {
			if (argc == 3)
				printf("%s:%s\n", sget(b, "HostIp"), sget(b, "HostPort"));
			else
				printf("%s -> %s:%s\n", e->string, sget(b, "HostIp"),
				       sget(b, "HostPort"));
			shown++;
		}
	}
	if (argc == 3 && !shown)
		return ctl_fail(EXIT_FAIL, "no public port '%s' published for %s", argv[2],
				argv[1]);
	return EXIT_OK;
}
