/* berth version: the client's version and each daemon's. */
#include "config.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "common/cleanup.h"
#include "ctl.h"
#include "format.h"
#include "proto/tags.h"

const char cmd_version_usage[] =
    "version [--format table|json]\n"
    "\n"
    "Show the version of the berth client, of each daemon and of the protocol.\n"
    "Exits 125 when a daemon cannot be reached (the client part is still shown).\n"
    "\n"
    "Options:\n"
    "  -f, --format FORMAT   table (default) or json\n"
    "  -h, --help            show this help\n";

static cJSON *daemon_version(struct ctl *ctl, enum berth_daemon d, struct err *err)
{
	struct client c;
	struct frame f;
	cJSON *o;
	cleanup_free char *name = NULL, *version = NULL;
	uint32_t proto = 0, pid = 0;
	uint64_t uptime = 0;

	if (ctl_try_connect(ctl, d, &c, err) < 0)
		return NULL;
	if (client_call(&c, MSG_VERSION, NULL, NULL, 0, &f, err) < 0) {
		client_close(&c);
		return NULL;
	}
	p_get_str(f.payload, f.len, TAG_NAME, &name, err);
	p_get_str(f.payload, f.len, TAG_VERSION, &version, err);
	p_get_u32(f.payload, f.len, TAG_PROTO, &proto, err);
	p_get_u32(f.payload, f.len, TAG_PID, &pid, err);
	p_get_u64(f.payload, f.len, TAG_UPTIME, &uptime, err);
	frame_release(&f);
	client_close(&c);
	err_clear(err);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", name ? name : berth_daemons[d].binary);
	cJSON_AddStringToObject(o, "version", version ? version : "unknown");
	cJSON_AddNumberToObject(o, "protocol", proto);
	cJSON_AddNumberToObject(o, "pid", pid);
	cJSON_AddNumberToObject(o, "uptime_ms", (double)uptime);
	return o;
}

static void print_text(const cJSON *doc)
{
	const cJSON *cl = cJSON_GetObjectItem(doc, "client");
	const cJSON *ds = cJSON_GetObjectItem(doc, "daemons");
	const cJSON *d;

	printf("Client:\n");
	kv_print(stdout, 1, 16, "Version", "%s", cJSON_GetObjectItem(cl, "version")->valuestring);
	kv_print(stdout, 1, 16, "Protocol", "%d", cJSON_GetObjectItem(cl, "protocol")->valueint);
	kv_print(stdout, 1, 16, "OS/Arch", "%s", cJSON_GetObjectItem(cl, "os_arch")->valuestring);
	cJSON_ArrayForEach (d, ds) {
		char up[32];

		format_duration(
		    up, sizeof(up),
		    (unsigned long long)cJSON_GetObjectItem(d, "uptime_ms")->valuedouble);
		printf("\n%s:\n", cJSON_GetObjectItem(d, "name")->valuestring);
		kv_print(stdout, 1, 16, "Version", "%s",
			 cJSON_GetObjectItem(d, "version")->valuestring);
		kv_print(stdout, 1, 16, "Protocol", "%d",
			 cJSON_GetObjectItem(d, "protocol")->valueint);
		kv_print(stdout, 1, 16, "PID", "%d", cJSON_GetObjectItem(d, "pid")->valueint);
		kv_print(stdout, 1, 16, "Uptime", "%s", up);
	}
}

int cmd_version(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"format", required_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	enum out_format fmt = FORMAT_TEXT;
	cleanup_cjson cJSON *doc = cJSON_CreateObject();
	cJSON *client, *daemons;
	struct utsname u;
	int c, rc = EXIT_OK;

	while ((c = getopt_long(argc, argv, "+f:h", opts, NULL)) != -1) {
		if (c == 'h') {
			ctl_usage(stdout, cmd_version_usage);
			return EXIT_OK;
		}
		if (c != 'f' || format_parse(optarg, &fmt) < 0) {
			ctl_usage(stderr, cmd_version_usage);
			return EXIT_DAEMON;
		}
	}
	if (optind < argc)
		return ctl_fail(EXIT_DAEMON, "version takes no arguments ('%s')", argv[optind]);
	uname(&u);
	client = cJSON_AddObjectToObject(doc, "client");
	cJSON_AddStringToObject(client, "version", PACKAGE_VERSION);
	cJSON_AddNumberToObject(client, "protocol", PROTO_VERSION);
	{
		cleanup_free char *osarch = NULL;
		if (asprintf(&osarch, "linux/%s", u.machine) > 0)
			cJSON_AddStringToObject(client, "os_arch", osarch);
	}
	daemons = cJSON_AddObjectToObject(doc, "daemons");
	for (int d = DAEMON_CONTAINERD; d >= 0; d--) {
		struct err err = ERR_INIT;
		cJSON *o = daemon_version(ctl, (enum berth_daemon)d, &err);

		if (o) {
			cJSON_AddItemToObject(daemons, berth_daemons[d].name, o);
			continue;
		}
		ctl_fail(EXIT_DAEMON,
			 "cannot reach %s: %s (is it running? try: berth system start)",
			 berth_daemons[d].binary, err_msg(&err));
		err_clear(&err);
		rc = EXIT_DAEMON;
	}
	if (fmt == FORMAT_JSON)
		json_print(stdout, doc);
	else
		print_text(doc);
	return rc;
}
