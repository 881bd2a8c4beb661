/* Container commands that look: ps, inspect, logs, top, stats; and the "container" group. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "ctl.h"
#include "lib/bc_top.h"
#include "format.h"
#include "proto/tags.h"
#include "lib/bc_events.h"
#include "lib/bc_filter.h"
#include "lib/bc_session.h"
#include "lib/bclient.h"

const char cmd_ps_usage[] =
    "ps [-a] [-q] [-n N] [-l] [--no-trunc] [--filter KEY=VALUE]... [--format table|json]\n"
    "\n"
    "List containers (running ones unless -a).\n"
    "  -a, --all        show every container\n"
    "  -q, --quiet      only ids\n"
    "  -n, --last N     the N most recently created (any state)\n"
    "  -l, --latest     the most recently created one\n"
    "      --no-trunc   full ids and commands\n"
    "  -f, --filter     status=STATE, name=PART, label=KEY[=VALUE], ancestor=IMAGE, id=PREFIX,\n"
    "                   exited=CODE, health=STATE, network=NAME, volume=NAME|PATH,\n"
    "                   publish=PORT[/PROTO], expose=PORT[/PROTO], before=CTR, since=CTR;\n"
    "                   of one key any matches (label: all), of several keys all\n"
    "      --format     table (default), json, or a template: '{{.ID}} {{.Names}}',\n"
    "                   'table {{.ID}}\\t{{.Status}}' (see berth-inspect(1))\n";
const char cmd_inspect_usage[] =
    "inspect [-f TEMPLATE] [--type container|image|network|volume] NAME|ID...\n"
    "\n"
    "Show containers as Docker-shaped JSON (State, Config, HostConfig, "
    "Mounts,\nNetworkSettings); a name no container has is looked up as an image,\n"
    "a network, then a volume, unless --type says which.\n"
    "  -f, --format TEMPLATE   one line per container from a Go-style template,\n"
    "                          e.g. '{{.State.Pid}}' or '{{json .Config.Env}}'\n";
const char cmd_logs_usage[] =
    "logs [-f] [--tail N] [--since TIME] [--until TIME] [-t] CONTAINER\n"
    "\n"
    "Show a container's output, from its json-file log.\n"
    "  -f, --follow       keep printing new output until the container stops\n"
    "  -n, --tail N       only the last N lines (all: every line)\n"
    "      --since TIME   lines from TIME on (RFC 3339, Unix seconds, or 10m / 2h ago)\n"
    "      --until TIME   lines before TIME\n"
    "  -t, --timestamps   prefix each line with its time\n";
const char cmd_top_usage[] = "top CONTAINER [ps OPTIONS]\n"
			     "\n"
			     "Show the processes of a container (as ps shows them).\n";
const char cmd_stats_usage[] = "stats [--no-stream] [--format table|json|TEMPLATE] [CONTAINER...]\n"
			       "\n"
			       "CPU, memory and process counts of running containers, from their "
			       "cgroups.\n";
const char cmd_container_usage[] =
    "container COMMAND\n"
    "\n"
    "Manage containers.\n"
    "\n"
    "Commands:\n"
    "  ls, ps    list containers (as berth ps)\n"
    "  create, run, start, stop, restart, kill, rm, wait, rename,\n"
    "  attach, exec, inspect, logs, top, stats, pause, unpause, update,\n"
    "  port, cp, export, diff, commit\n"
    "            as the top-level commands\n"
    "  prune [-f]   remove every stopped container\n";

static const char *sget(const cJSON *o, const char *key)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));

	return s ? s : "";
}

static int list_sized(struct ctl *ctl, cJSON **out, bool sizes)
{
	struct pbuf pb;

	pb_init(&pb);
	if (sizes)
		pb_put_u32(&pb, TAG_ALL, 1);
	return ctl_container_call(ctl, MSG_CONTAINER_LIST, &pb, out, NULL, NULL, EXIT_DAEMON);
}

static int list(struct ctl *ctl, cJSON **out)
{
	return list_sized(ctl, out, false);
}

/* Image id -> size, from imaged (for "virtual" sizes); NULL when it does not answer. */
static cJSON *image_sizes(struct ctl *ctl)
{
	cJSON *imgs = NULL;
	struct pbuf pb;

	pb_init(&pb);
	pb_put_u32(&pb, TAG_ALL, 1);
	if (ctl_imaged_call(ctl, MSG_IMAGE_LIST, &pb, &imgs))
		return NULL;
	return imgs;
}

static double image_size(const cJSON *imgs, const char *id)
{
	const cJSON *i;

	if (!strncmp(id, "sha256:", 7))
		id += 7;
	cJSON_ArrayForEach (i, imgs) {
		const char *iid = sget(i, "Id");

		if (!strncmp(iid, "sha256:", 7))
			iid += 7;
		if (!strcmp(iid, id))
			return cJSON_GetNumberValue(cJSON_GetObjectItem(i, "Size"));
	}
	return 0;
}

/* "0.0.0.0:8080->80/tcp, 127.0.0.1:53->53/udp" */
static void ports_text(const cJSON *c, char *buf, size_t len)
{
	const cJSON *p;
	size_t off = 0;

	buf[0] = '\0';
	cJSON_ArrayForEach (p, cJSON_GetObjectItem(c, "Ports")) {
		int n = snprintf(buf + off, len - off, "%s%s:%d->%d/%s", off ? ", " : "",
				 sget(p, "HostIp"),
				 (int)cJSON_GetNumberValue(cJSON_GetObjectItem(p, "HostPort")),
				 (int)cJSON_GetNumberValue(cJSON_GetObjectItem(p, "ContainerPort")),
				 sget(p, "Proto"));

		if (n < 0 || (size_t)n >= len - off)
			break;
		off += (size_t)n;
	}
}

/* Comma-separated values of key in each element of list (Docker's .Networks, .Mounts). */
static char *joined(const cJSON *list, const char *key, const char *fallback)
{
	size_t len = 1;
	const cJSON *e;
	char *out, *p;

	cJSON_ArrayForEach (e, list)
		len += strlen(sget(e, key)) + strlen(sget(e, fallback)) + 1;
	p = out = xzalloc(len);
	cJSON_ArrayForEach (e, list) {
		const char *v = *sget(e, key) ? sget(e, key) : sget(e, fallback);

		p += sprintf(p, "%s%s", p == out ? "" : ",", v);
	}
	return out;
}

/* A ps row for --format templates: the fields Docker's ps templates name. */
static cJSON *ps_row(const cJSON *k, const char *const *cells, bool sizes)
{
	cJSON *row = cJSON_CreateObject();
	char at[64];
	char *labels = labels_text(cJSON_GetObjectItem(k, "Labels"));

	format_created_at(sget(k, "Created"), at, sizeof(at));
	cJSON_AddStringToObject(row, "ID", cells[0]);
	cJSON_AddStringToObject(row, "Image", cells[1]);
	cJSON_AddStringToObject(row, "Command", cells[2]);
	cJSON_AddStringToObject(row, "CreatedAt", at);
	cJSON_AddStringToObject(row, "RunningFor", cells[3]);
	cJSON_AddStringToObject(row, "Status", cells[4]);
	cJSON_AddStringToObject(row, "Ports", cells[5]);
	cJSON_AddStringToObject(row, "Names", cells[6] ? cells[6] : "");
	cJSON_AddStringToObject(row, "Size", sizes ? cells[7] : "");
	cJSON_AddStringToObject(row, "State", sget(k, "State"));
	cJSON_AddStringToObject(row, "Labels", labels);
	free(labels);
	labels = joined(cJSON_GetObjectItem(k, "Networks"), "Name", "Name");
	cJSON_AddStringToObject(row, "Networks", labels);
	free(labels);
	labels = joined(cJSON_GetObjectItem(k, "Mounts"), "Name", "Source");
	cJSON_AddStringToObject(row, "Mounts", labels);
	free(labels);
	return row;
}

/* The column titles of a "table" template. */
static cJSON *ps_headers(void)
{
	static const char *const kv[][2] = {
	    {"ID", "CONTAINER ID"},	 {"Image", "IMAGE"},	    {"Command", "COMMAND"},
	    {"CreatedAt", "CREATED AT"}, {"RunningFor", "CREATED"}, {"Status", "STATUS"},
	    {"Ports", "PORTS"},		 {"Names", "NAMES"},	    {"Size", "SIZE"},
	    {"State", "STATE"},		 {"Labels", "LABELS"},	    {"Networks", "NETWORKS"},
	    {"Mounts", "MOUNTS"}};

	return listfmt_titles(kv, sizeof(kv) / sizeof(kv[0]));
}

int cmd_ps(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"all", no_argument, NULL, 'a'},	      {"quiet", no_argument, NULL, 'q'},
	    {"last", required_argument, NULL, 'n'},   {"latest", no_argument, NULL, 'l'},
	    {"no-trunc", no_argument, NULL, 'T'},     {"size", no_argument, NULL, 's'},
	    {"filter", required_argument, NULL, 'f'}, {"format", required_argument, NULL, 'F'},
	    {"help", no_argument, NULL, 'H'},	      {NULL, 0, NULL, 0}};
	static const char *const hdr[] = {"CONTAINER ID", "IMAGE", "COMMAND", "CREATED",
					  "STATUS",	  "PORTS", "NAMES"};
	cleanup_cjson cJSON *all = NULL, *shown = cJSON_CreateArray();
	static const char *const hdr_s[] = {"CONTAINER ID", "IMAGE", "COMMAND", "CREATED",
					    "STATUS",	    "PORTS", "NAMES",	"SIZE"};
	cleanup_cjson cJSON *imgs = NULL, *rows = cJSON_CreateArray();
	cleanup_listfmt struct listfmt lf = {0};
	bool show_all = false, quiet = false, notrunc = false, sizes = false;
	struct bc_filters fs = {0};
	struct err err = ERR_INIT;
	int last = -1, c, rc;
	const cJSON *k;
	struct table *t;

	while ((c = getopt_long(argc, argv, "+aqn:lsf:", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			show_all = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'n':
			last = atoi(optarg);
			break;
		case 'l':
			last = 1;
			break;
		case 'T':
			notrunc = true;
			break;
		case 's':
			sizes = true;
			break;
		case 'f':
			if (bc_filter_add(&fs, optarg, &err) < 0) {
				ctl_fail(EXIT_DAEMON, "%s", err_msg(&err));
				err_clear(&err);
				return EXIT_DAEMON;
			}
			break;
		case 'F':
			if (listfmt_parse(optarg, &lf) < 0)
				return EXIT_DAEMON;
			break;
		case 'H':
			ctl_usage(stdout, cmd_ps_usage);
			return EXIT_OK;
		default:
			return EXIT_DAEMON;
		}
	}
	if (fs.has_status)
		show_all = true;
	rc = list_sized(ctl, &all, sizes);
	if (rc)
		return rc;
	if (bc_filter_resolve(&fs, all, &err) < 0)
		return ctl_fail_err(&err, EXIT_DAEMON);
	if (sizes && lf.fmt == FORMAT_TEXT && !quiet)
		imgs = image_sizes(ctl);
	cJSON_ArrayForEach (k, all) {
		bool ok = show_all || last > 0 || !strcmp(sget(k, "State"), "running") ||
			  !strcmp(sget(k, "State"), "paused");

		if (!ok || !bc_filter_match(&fs, k))
			continue;
		if (last >= 0 && cJSON_GetArraySize(shown) >= last)
			break;
		cJSON_AddItemToArray(shown, cJSON_Duplicate(k, true));
	}
	if (lf.fmt == FORMAT_JSON) {
		json_print(stdout, shown);
		return EXIT_OK;
	}
	if (quiet) {
		cJSON_ArrayForEach (k, shown)
			printf("%.*s\n", notrunc ? 64 : 12, sget(k, "Id"));
		return EXIT_OK;
	}
	t = table_new(sizes ? 8 : 7, sizes ? hdr_s : hdr);
	cJSON_ArrayForEach (k, shown) {
		char id[65], cmd[64], created[64], status[96], size[64], rw[16], virt[16],
		    ports[256];
		const char *name = cJSON_GetStringValue(
		    cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(k, "Names"), 0));
		const char *cells[8];
		double srw = cJSON_GetNumberValue(cJSON_GetObjectItem(k, "SizeRw"));

		snprintf(id, sizeof(id), "%.*s", notrunc ? 64 : 12, sget(k, "Id"));
		if (notrunc || strlen(sget(k, "Command")) <= 20)
			snprintf(cmd, sizeof(cmd), "\"%s\"", sget(k, "Command"));
		else
			snprintf(cmd, sizeof(cmd), "\"%.17s...\"", sget(k, "Command"));
		format_ago(sget(k, "Created"), created, sizeof(created));
		bc_ctr_status(k, status, sizeof(status));
		cells[0] = id;
		cells[1] = sget(k, "Image");
		cells[2] = cmd;
		cells[3] = created;
		cells[4] = status;
		ports_text(k, ports, sizeof(ports));
		cells[5] = ports;
		cells[6] = name && name[0] == '/' ? name + 1 : name;
		if (sizes) {
			format_size(srw, rw, sizeof(rw));
			format_size(srw + image_size(imgs, sget(k, "ImageID")), virt, sizeof(virt));
			snprintf(size, sizeof(size), "%s (virtual %s)", rw, virt);
			cells[7] = size;
		}
		if (lf.t)
			cJSON_AddItemToArray(rows, ps_row(k, cells, sizes));
		else
			table_add(t, cells);
	}
	if (lf.t) {
		cleanup_cjson cJSON *titles = ps_headers();

		table_free(t);
		return listfmt_print(&lf, rows, titles);
	}
	table_print(t, stdout);
	table_free(t);
	return EXIT_OK;
}

int cmd_inspect(struct ctl *ctl, int argc, char **argv)
{
	static const struct inspect_kind kinds[] = {
	    {"container", DAEMON_CONTAINERD, MSG_CONTAINER_INSPECT},
	    {"image", DAEMON_IMAGED, MSG_IMAGE_INSPECT},
	    {"network", DAEMON_NETD, MSG_NETWORK_INSPECT},
	    {"volume", DAEMON_CONTAINERD, MSG_VOLUME_INSPECT},
	};

	return ctl_inspect(ctl, kinds, sizeof(kinds) / sizeof(kinds[0]), argc, argv,
			   cmd_inspect_usage);
}

/* ---- logs ---- */

static void logs_out(int stream, const void *data, size_t n, void *arg)
{
	(void)arg;
	fwrite(data, 1, n, stream == 2 ? stderr : stdout);
	if (stream == 2)
		fflush(stderr);
}

int cmd_logs(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {{"follow", no_argument, NULL, 'f'},
					     {"tail", required_argument, NULL, 'n'},
					     {"since", required_argument, NULL, 'S'},
					     {"until", required_argument, NULL, 'U'},
					     {"timestamps", no_argument, NULL, 't'},
					     {"help", no_argument, NULL, 'H'},
					     {NULL, 0, NULL, 0}};
	struct bc_logs o = {.tail = -1, .output = logs_out};
	struct err err = ERR_INIT;
	int c;

	while ((c = getopt_long(argc, argv, "+fn:t", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			o.follow = true;
			break;
		case 'n':
			if (!strcmp(optarg, "all"))
				o.tail = -1;
			else {
				char *end;

				o.tail = strtol(optarg, &end, 10);
				if (end == optarg || *end || o.tail < 0)
					return ctl_fail(EXIT_DAEMON,
							"invalid --tail '%s': a number or all",
							optarg);
			}
			break;
		case 'S':
			if (bc_parse_time(optarg, &o.since_ns) < 0)
				return ctl_fail(EXIT_DAEMON,
						"invalid --since '%s': RFC 3339, Unix seconds or a "
						"duration like 10m",
						optarg);
			break;
		case 'U':
			if (bc_parse_time(optarg, &o.until_ns) < 0)
				return ctl_fail(EXIT_DAEMON,
						"invalid --until '%s': RFC 3339, Unix seconds or a "
						"duration like 10m",
						optarg);
			break;
		case 't':
			o.timestamps = true;
			break;
		case 'H':
			ctl_usage(stdout, cmd_logs_usage);
			return EXIT_OK;
		default:
			return EXIT_DAEMON;
		}
	}
	if (argc - optind != 1)
		return ctl_fail(EXIT_DAEMON, "logs needs one container");
	o.ref = argv[optind];
	if (bc_logs(&ctl->paths, &o, &err) < 0) {
		fflush(stdout);
		return ctl_fail_err(&err, EXIT_FAIL);
	}
	fflush(stdout);
	return EXIT_OK;
}

/* ---- top and stats ---- */

/* berth top C PS-OPTIONS...: the host's ps, with those options, for the container's pids. */
static int top_with_ps(struct ctl *ctl, int argc, char **argv)
{
	cleanup_free char *pids = NULL;
	char **args;
	struct err err = ERR_INIT;
	int n = 0, status;
	pid_t pid;

	if (bc_top_pids(&ctl->paths, argv[1], &pids, &err) < 0)
		return ctl_fail_err(&err, EXIT_FAIL);
	if (!*pids)
		return EXIT_OK;
	fflush(stdout);
	args = xcalloc((size_t)argc + 4, sizeof(char *));
	args[n++] = "ps";
	for (int i = 2; i < argc; i++)
		args[n++] = argv[i];
	args[n++] = "-p";
	args[n++] = pids;
	pid = fork();
	if (pid == 0) {
		execvp("ps", args);
		_exit(127);
	}
	free(args);
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return ctl_fail(EXIT_FAIL, "run ps: %s", strerror(errno));
	return WIFEXITED(status) && WEXITSTATUS(status) <= 1 ? EXIT_OK : EXIT_FAIL;
}

int cmd_top(struct ctl *ctl, int argc, char **argv)
{
	cleanup_cjson cJSON *out = NULL;
	struct err err = ERR_INIT;
	const char *titles[8];
	struct table *t;
	const cJSON *r;
	int i = 0;

	if (argc >= 2 && !strcmp(argv[1], "--help")) {
		ctl_usage(stdout, cmd_top_usage);
		return EXIT_OK;
	}
	if (argc < 2)
		return ctl_fail(EXIT_DAEMON, "top needs a container");
	if (argc > 2)
		return top_with_ps(ctl, argc, argv);
	/* ps -ef's columns, as docker top shows them: the same table apid serves */
	if (bc_top(&ctl->paths, argv[1], &out, &err) < 0)
		return ctl_fail_err(&err, EXIT_FAIL);
	cJSON_ArrayForEach (r, cJSON_GetObjectItem(out, "Titles"))
		titles[i++] = r->valuestring;
	t = table_new(8, titles);
	cJSON_ArrayForEach (r, cJSON_GetObjectItem(out, "Processes")) {
		const char *cells[8];

		i = 0;
		for (const cJSON *c = r->child; c && i < 8; c = c->next)
			cells[i++] = c->valuestring;
		table_add(t, cells);
	}
	table_print(t, stdout);
	table_free(t);
	return EXIT_OK;
}

/* One container's figures: a table row, or (rows not NULL) an object for --format templates. */
static void stats_row(struct table *t, cJSON *rows, const cJSON *s, const cJSON *prev, double dt)
{
	char id[13], cpu[16], mem[64], pct[16], pids[16];
	double usage = cJSON_GetNumberValue(cJSON_GetObjectItem(s, "memory_usage"));
	double limit = cJSON_GetNumberValue(cJSON_GetObjectItem(s, "memory_limit"));
	double cpu_ns = cJSON_GetNumberValue(cJSON_GetObjectItem(s, "cpu_usage_ns"));
	const char *cells[6];

	snprintf(id, sizeof(id), "%.12s", sget(s, "id"));
	if (cJSON_IsFalse(cJSON_GetObjectItem(s, "running"))) {
		/* a stopped container has no cgroup to read: zeros, as Docker shows */
		snprintf(cpu, sizeof(cpu), "0.00%%");
		snprintf(mem, sizeof(mem), "0B / 0B");
		snprintf(pct, sizeof(pct), "0.00%%");
		snprintf(pids, sizeof(pids), "0");
	} else if (prev && dt > 0 && cJSON_IsNumber(cJSON_GetObjectItem(prev, "cpu_usage_ns")))
		snprintf(
		    cpu, sizeof(cpu), "%.2f%%",
		    (cpu_ns - cJSON_GetNumberValue(cJSON_GetObjectItem(prev, "cpu_usage_ns"))) /
			(dt * 1e9) * 100);
	else
		snprintf(cpu, sizeof(cpu), "--");
	if (!cJSON_IsFalse(cJSON_GetObjectItem(s, "running"))) {
		if (limit <= 0 || limit > 1e18)
			snprintf(mem, sizeof(mem), "%.1fMiB / unlimited", usage / 1048576);
		else
			snprintf(mem, sizeof(mem), "%.1fMiB / %.1fMiB", usage / 1048576,
				 limit / 1048576);
		snprintf(pct, sizeof(pct), "%.2f%%",
			 limit > 0 && limit < 1e18 ? usage / limit * 100 : 0);
		snprintf(pids, sizeof(pids), "%d",
			 (int)cJSON_GetNumberValue(cJSON_GetObjectItem(s, "pids")));
	}
	cells[0] = id;
	cells[1] = sget(s, "name");
	cells[2] = cpu;
	cells[3] = mem;
	cells[4] = pct;
	cells[5] = pids;
	if (rows) {
		static const char *const keys[] = {"Container", "Name",	   "CPUPerc",
						   "MemUsage",	"MemPerc", "PIDs"};
		cJSON *row = cJSON_CreateObject();

		for (size_t i = 0; i < 6; i++)
			cJSON_AddStringToObject(row, keys[i], cells[i]);
		cJSON_AddStringToObject(row, "ID", sget(s, "id"));
		cJSON_AddItemToArray(rows, row);
	} else {
		table_add(t, cells);
	}
}

/* The column titles of a "table" template. */
static cJSON *stats_headers(void)
{
	static const char *const kv[][2] = {{"Container", "CONTAINER"},
					    {"ID", "CONTAINER ID"},
					    {"Name", "NAME"},
					    {"CPUPerc", "CPU %"},
					    {"MemUsage", "MEM USAGE / LIMIT"},
					    {"MemPerc", "MEM %"},
					    {"PIDs", "PIDS"}};
	return listfmt_titles(kv, sizeof(kv) / sizeof(kv[0]));
}

static cJSON *stats_sample(struct ctl *ctl, char **refs, int n, int *rc)
{
	cJSON *a = cJSON_CreateArray();

	for (int i = 0; i < n; i++) {
		cJSON *out = NULL;
		struct pbuf pb;

		pb_init(&pb);
		pb_put_str(&pb, TAG_REF, refs[i]);
		if ((*rc = ctl_container_call(ctl, MSG_CONTAINER_STATS, &pb, &out, NULL, NULL,
					      EXIT_FAIL)))
			break;
		cJSON_AddItemToArray(a, out);
	}
	return a;
}

int cmd_stats(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {{"no-stream", no_argument, NULL, 'N'},
					     {"format", required_argument, NULL, 'F'},
					     {"help", no_argument, NULL, 'H'},
					     {NULL, 0, NULL, 0}};
	static const char *const hdr[] = {"CONTAINER ID",      "NAME",	"CPU %",
					  "MEM USAGE / LIMIT", "MEM %", "PIDS"};
	cleanup_listfmt struct listfmt lf = {0};
	bool stream = true;
	char **refs;
	int c, n, rc = 0;
	cJSON *prev = NULL;

	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (c == 'N')
			stream = false;
		else if (c == 'F') {
			if (listfmt_parse(optarg, &lf) < 0)
				return EXIT_DAEMON;
		} else if (c == 'H') {
			ctl_usage(stdout, cmd_stats_usage);
			return EXIT_OK;
		} else
			return EXIT_DAEMON;
	}
	if (optind < argc) {
		refs = argv + optind;
		n = argc - optind;
	} else {
		cleanup_cjson cJSON *all = NULL;
		const cJSON *k;

		if ((rc = list(ctl, &all)))
			return rc;
		refs = xcalloc((size_t)cJSON_GetArraySize(all) + 1, sizeof(char *));
		n = 0;
		cJSON_ArrayForEach (k, all)
			if (!strcmp(sget(k, "State"), "running"))
				refs[n++] = xstrdup(sget(k, "Id"));
	}
	for (;;) {
		cJSON *cur = stats_sample(ctl, refs, n, &rc);
		struct table *t;

		if (rc) {
			cJSON_Delete(cur);
			break;
		}
		if (!prev && (!stream || lf.fmt == FORMAT_JSON)) {
			/* one interval for the CPU figure */
			struct timespec ts = {0, 500000000};

			nanosleep(&ts, NULL);
			prev = cur;
			cur = stats_sample(ctl, refs, n, &rc);
			if (rc) {
				cJSON_Delete(cur);
				break;
			}
		}
		if (lf.fmt == FORMAT_JSON) {
			json_print(stdout, cur);
		} else {
			cleanup_cjson cJSON *rows = lf.t ? cJSON_CreateArray() : NULL;

			if (stream && isatty(STDOUT_FILENO))
				printf("\033[2J\033[H");
			t = table_new(6, hdr);
			for (int i = 0; i < cJSON_GetArraySize(cur); i++)
				stats_row(t, rows, cJSON_GetArrayItem(cur, i),
					  cJSON_GetArrayItem(prev, i), stream && prev ? 1.0 : 0.5);
			if (lf.t) {
				cleanup_cjson cJSON *titles = stats_headers();

				rc = listfmt_print(&lf, rows, titles);
			} else {
				table_print(t, stdout);
			}
			table_free(t);
			fflush(stdout);
			if (rc)
				break;
		}
		cJSON_Delete(prev);
		prev = cur;
		if (!stream || lf.fmt == FORMAT_JSON)
			break;
		sleep(1);
	}
	cJSON_Delete(prev);
	return rc;
}

int ctl_container_prune(struct ctl *ctl, int argc, char **argv)
{
	cleanup_cjson cJSON *all = NULL;
	const cJSON *k;
	int rc = list(ctl, &all), removed = 0;

	(void)argc;
	(void)argv;
	if (rc)
		return rc;
	printf("Deleted Containers:\n");
	cJSON_ArrayForEach (k, all) {
		struct pbuf pb;

		if (!strcmp(sget(k, "State"), "running") || !strcmp(sget(k, "State"), "paused"))
			continue;
		pb_init(&pb);
		pb_put_str(&pb, TAG_REF, sget(k, "Id"));
		if (ctl_container_call(ctl, MSG_CONTAINER_REMOVE, &pb, NULL, NULL, NULL,
				       EXIT_FAIL) == 0) {
			printf("%s\n", sget(k, "Id"));
			removed++;
		}
	}
	printf("\nTotal: %d container%s removed\n", removed, removed == 1 ? "" : "s");
	return EXIT_OK;
}

int cmd_container(struct ctl *ctl, int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(struct ctl *, int, char **);
	} sub[] = {
	    {"ls", cmd_ps},
	    {"ps", cmd_ps},
	    {"list", cmd_ps},
	    {"create", cmd_create},
	    {"run", cmd_run},
	    {"start", cmd_start},
	    {"stop", cmd_stop},
	    {"restart", cmd_restart},
	    {"kill", cmd_kill},
	    {"rm", cmd_rm},
	    {"wait", cmd_wait},
	    {"rename", cmd_rename},
	    {"attach", cmd_attach},
	    {"exec", cmd_exec},
	    {"inspect", cmd_inspect},
	    {"logs", cmd_logs},
	    {"top", cmd_top},
	    {"stats", cmd_stats},
	    {"prune", ctl_container_prune},
	    {"pause", cmd_pause},
	    {"unpause", cmd_unpause},
	    {"update", cmd_update},
	    {"port", cmd_port},
	    {"cp", cmd_cp},
	    {"export", cmd_export},
	    {"diff", cmd_diff},
	    {"commit", cmd_commit},
	};

	if (argc < 2 || !strcmp(argv[1], "--help")) {
		ctl_usage(argc < 2 ? stderr : stdout, cmd_container_usage);
		return argc < 2 ? EXIT_DAEMON : EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++)
		if (!strcmp(argv[1], sub[i].name)) {
			optind = 0;
			return sub[i].fn(ctl, argc - 1, argv + 1);
		}
	return ctl_fail(EXIT_DAEMON,
			"unknown container command '%s' (see 'berth container --help')", argv[1]);
}

/* ---- events ---- */

const char cmd_events_usage[] =
    "events [--filter KEY=VALUE]... [--since TIME] [--until TIME] [--format json]\n"
    "\n"
    "Stream container events: create, start, die, oom, kill, stop, pause, unpause,\n"
    "rename, destroy, exec_create, exec_start.\n"
    "  -f, --filter   container=NAME|ID, event=ACTION, type=container, image=NAME,\n"
    "                 label=KEY[=VALUE]; several of one key match any, different\n"
    "                 keys must all match\n"
    "      --since    replay the (recent) events from TIME on\n"
    "      --until    stop at TIME (RFC 3339, Unix seconds, or 10m / 2h ago)\n"
    "      --format   json: one JSON object per line\n";

static void event_print(const cJSON *e, enum out_format fmt)
{
	const cJSON *attrs = cJSON_GetObjectItem(cJSON_GetObjectItem(e, "Actor"), "Attributes");
	const cJSON *a;
	struct timespec ts;
	struct tm tm;
	double ns = cJSON_GetNumberValue(cJSON_GetObjectItem(e, "timeNano"));
	char when[64];
	bool first = true;

	if (fmt == FORMAT_JSON) {
		char *text = cJSON_PrintUnformatted(e);

		printf("%s\n", text);
		free(text);
		fflush(stdout);
		return;
	}
	ts.tv_sec = (time_t)(ns / 1e9);
	ts.tv_nsec = (long)(ns - (double)ts.tv_sec * 1e9);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	printf("%s.%09ldZ %s %s %s (", when, ts.tv_nsec, sget(e, "Type"), sget(e, "Action"),
	       sget(e, "id"));
	cJSON_ArrayForEach (a, attrs) {
		printf("%s%s=%s", first ? "" : ", ", a->string, cJSON_GetStringValue(a) ?: "");
		first = false;
	}
	printf(")\n");
	fflush(stdout);
}

static int event_out(const cJSON *e, void *arg)
{
	event_print(e, *(const enum out_format *)arg);
	return 0;
}

int cmd_events(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"filter", required_argument, NULL, 'f'}, {"since", required_argument, NULL, 'S'},
	    {"until", required_argument, NULL, 'U'},  {"format", required_argument, NULL, 'F'},
	    {"help", no_argument, NULL, 'H'},	      {NULL, 0, NULL, 0}};
	enum out_format fmt = FORMAT_TEXT;
	struct bc_filters fs = {0};
	struct bc_events o = {.filters = &fs, .on_event = event_out, .arg = &fmt};
	struct err err = ERR_INIT;
	int c;

	while ((c = getopt_long(argc, argv, "+f:", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (bc_event_filter_add(&fs, optarg, &err) < 0)
				return ctl_fail_err(&err, EXIT_DAEMON);
			break;
		case 'S':
		case 'U':
			if ((c == 'S' ? bc_events_since(&o, optarg)
				      : bc_parse_time(optarg, &o.until_ns)) < 0)
				return ctl_fail(EXIT_DAEMON, "invalid --%s '%s'",
						c == 'S' ? "since" : "until", optarg);
			break;
		case 'F':
			if (format_parse(optarg, &fmt) < 0)
				return EXIT_DAEMON;
			break;
		case 'H':
			ctl_usage(stdout, cmd_events_usage);
			return EXIT_OK;
		default:
			return EXIT_DAEMON;
		}
	}
	if (bc_events(&ctl->paths, &o, &err) < 0)
		return ctl_fail_err(&err, EXIT_FAIL);
	return EXIT_OK;
}

/* ---- system df ---- */

static double sum_size(const cJSON *a, const char *key, const char *flag, bool want, int *count)
{
	const cJSON *i;
	double total = 0;

	*count = 0;
	cJSON_ArrayForEach (i, a) {
		bool f = flag ? cJSON_IsTrue(cJSON_GetObjectItem(i, flag)) : true;

		if (f != want)
			continue;
		total += cJSON_GetNumberValue(cJSON_GetObjectItem(i, key));
		(*count)++;
	}
	return total;
}

static void df_row(struct table *t, const char *type, int total, int active, double size,
		   double reclaimable)
{
	char tot[16], act[16], sz[16], rec[48], recsz[16];
	const char *cells[5] = {type, tot, act, sz, rec};

	snprintf(tot, sizeof(tot), "%d", total);
	snprintf(act, sizeof(act), "%d", active);
	format_size(size, sz, sizeof(sz));
	format_size(reclaimable, recsz, sizeof(recsz));
	snprintf(rec, sizeof(rec), "%s (%d%%)", recsz,
		 size > 0 ? (int)(reclaimable * 100 / size) : 0);
	table_add(t, cells);
}

int system_df(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {{"format", required_argument, NULL, 'F'},
					     {"help", no_argument, NULL, 'H'},
					     {NULL, 0, NULL, 0}};
	static const char *const hdr[] = {"TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"};
	cleanup_cjson cJSON *all = NULL;
	const cJSON *ctrs, *imgs, *vols;
	enum out_format fmt = FORMAT_TEXT;
	double isize = 0, iactive_size = 0, csize, crun, vsize, vfree;
	int c, iactive = 0, nrun, nstop, nused, nfree;
	struct err err = ERR_INIT;
	const cJSON *i, *k;
	struct table *t;

	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (c == 'F') {
			if (format_parse(optarg, &fmt) < 0)
				return EXIT_DAEMON;
		} else if (c == 'H') {
			ctl_usage(stdout, cmd_system_usage);
			return EXIT_OK;
		} else
			return EXIT_DAEMON;
	}
	if (bc_disk_usage(&ctl->paths, &all, &err) < 0)
		return ctl_fail_err(&err, EXIT_FAIL);
	imgs = cJSON_GetObjectItem(all, "Images");
	ctrs = cJSON_GetObjectItem(all, "Containers");
	vols = cJSON_GetObjectItem(all, "Volumes");
	cJSON_ArrayForEach (i, imgs) {
		isize += cJSON_GetNumberValue(cJSON_GetObjectItem(i, "Size"));
		if (cJSON_GetNumberValue(cJSON_GetObjectItem(i, "Containers")) > 0) {
			iactive++;
			iactive_size += cJSON_GetNumberValue(cJSON_GetObjectItem(i, "Size"));
		}
	}
	crun = 0;
	nrun = 0;
	cJSON_ArrayForEach (k, ctrs)
		if (!strcmp(sget(k, "State"), "running") || !strcmp(sget(k, "State"), "paused")) {
			crun += cJSON_GetNumberValue(cJSON_GetObjectItem(k, "SizeRw"));
			nrun++;
		}
	csize = sum_size(ctrs, "SizeRw", NULL, true, &nstop);
	vsize = sum_size(vols, "Size", "InUse", true, &nused);
	vfree = sum_size(vols, "Size", "InUse", false, &nfree);
	if (fmt == FORMAT_JSON) {
		json_print(stdout, all);
		return EXIT_OK;
	}
	t = table_new(5, hdr);
	df_row(t, "Images", cJSON_GetArraySize(imgs), iactive, isize, isize - iactive_size);
	df_row(t, "Containers", cJSON_GetArraySize(ctrs), nrun, csize, csize - crun);
	df_row(t, "Local Volumes", nused + nfree, nused, vsize + vfree, vfree);
	table_print(t, stdout);
	table_free(t);
	return EXIT_OK;
}
