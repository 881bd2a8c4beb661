/* berth info: the host as the daemons see it, and what they hold. */
#include "config.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "ctl.h"
#include "format.h"
#include "proto/tags.h"

const char cmd_info_usage[] =
    "info [--format table|json]\n"
    "\n"
    "Show the state directories, the kernel and cgroup layout, overlayfs support,\n"
    "what the daemons hold, your profile in their policy (berth-policy(5)) and the\n"
    "privileges each daemon kept.\n"
    "\n"
    "Options:\n"
    "  -f, --format FORMAT   table (default) or json\n"
    "  -h, --help            show this help\n";

static int daemon_info(struct ctl *ctl, enum berth_daemon d, cJSON **out)
{
	struct err err = ERR_INIT;
	cleanup_free char *text = NULL;
	struct client c;
	struct frame f;
	int rc = ctl_connect(ctl, d, &c);

	if (rc)
		return rc;
	if (client_call(&c, MSG_INFO, NULL, NULL, 0, &f, &err) < 0 ||
	    p_get_str(f.payload, f.len, TAG_JSON, &text, &err) <= 0) {
		if (!err.code)
			err_set(&err, EPROTO, "no info document in the reply");
		rc =
		    ctl_fail(EXIT_FAIL, "info from %s: %s", berth_daemons[d].binary, err_msg(&err));
		err_clear(&err);
		client_close(&c);
		return rc;
	}
	frame_release(&f);
	client_close(&c);
	*out = cJSON_Parse(text);
	if (!*out)
		return ctl_fail(EXIT_FAIL, "%s sent info that is not JSON",
				berth_daemons[d].binary);
	return EXIT_OK;
}

static const char *str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItem(o, key);

	return cJSON_IsString(v) ? v->valuestring : "?";
}

static double num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItem(o, key);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static void print_text(const cJSON *doc)
{
	const cJSON *ds = cJSON_GetObjectItem(doc, "daemons");
	const cJSON *c = cJSON_GetObjectItem(ds, "containerd");
	const cJSON *i = cJSON_GetObjectItem(ds, "imaged");
	const cJSON *n = cJSON_GetObjectItem(ds, "netd");
	const cJSON *d;

	kv_print(stdout, 0, 20, "Root", "%s", str(c, "root"));
	kv_print(stdout, 0, 20, "Run", "%s", str(c, "run"));
	kv_print(stdout, 0, 20, "Kernel", "%s", str(c, "kernel"));
	kv_print(stdout, 0, 20, "OS/Arch", "%s/%s", str(c, "os"), str(c, "architecture"));
	kv_print(stdout, 0, 20, "Hostname", "%s", str(c, "hostname"));
	kv_print(stdout, 0, 20, "Cgroup layout", "%s", str(c, "cgroup_layout"));
	kv_print(stdout, 0, 20, "Cgroup version", "%.0f", num(c, "cgroup_version"));
	kv_print(stdout, 0, 20, "Overlayfs", "%s",
		 cJSON_IsTrue(cJSON_GetObjectItem(c, "overlayfs")) ? "yes" : "no");
	kv_print(stdout, 0, 20, "Containers", "%.0f", num(c, "containers"));
	kv_print(stdout, 0, 20, "Images", "%.0f", num(i, "images"));
	kv_print(stdout, 0, 20, "Networks", "%.0f", num(n, "networks"));
	kv_print(stdout, 0, 20, "Published ports", "DNAT in nftables table inet %s",
		 str(n, "nftables_table"));
	if (cJSON_GetObjectItem(n, "connect_hook"))
		printf("%20s%s %s\n", "", "the host's own connections: connect hook on",
		       str(n, "connect_hook"));
	else if (cJSON_GetObjectItem(n, "connect_hook_off"))
		printf("%20s%s %s\n", "", "connect hook off:", str(n, "connect_hook_off"));
	if ((d = cJSON_GetObjectItem(c, "authorization"))) {
		const cJSON *e = cJSON_GetObjectItem(d, "error");

		kv_print(stdout, 0, 20, "Authorization", "%s: %s %s", str(d, "who"),
			 e ? "refused everything that writes:" : "profile",
			 e ? cJSON_GetStringValue(e) : str(d, "profile"));
		printf("%20s%s%s\n", "", str(d, "policy"),
		       cJSON_IsTrue(cJSON_GetObjectItem(d, "policy_file"))
			   ? ""
			   : " (none: the defaults)");
	}
	printf("Daemons:\n");
	cJSON_ArrayForEach (d, ds) {
		printf(" %s (pid %.0f, %s)\n", str(d, "name"), num(d, "pid"), str(d, "socket"));
		printf("   %s\n", str(d, "privileges"));
	}
}

int cmd_info(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"format", required_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	enum out_format fmt = FORMAT_TEXT;
	cleanup_cjson cJSON *doc = cJSON_CreateObject();
	cJSON *daemons;
	int c;

	while ((c = getopt_long(argc, argv, "+f:h", opts, NULL)) != -1) {
		if (c == 'h') {
			ctl_usage(stdout, cmd_info_usage);
			return EXIT_OK;
		}
		if (c != 'f' || format_parse(optarg, &fmt) < 0) {
			ctl_usage(stderr, cmd_info_usage);
			return EXIT_DAEMON;
		}
	}
	if (optind < argc)
		return ctl_fail(EXIT_DAEMON, "info takes no arguments ('%s')", argv[optind]);
	daemons = cJSON_AddObjectToObject(doc, "daemons");
	for (int d = DAEMON_CONTAINERD; d >= 0; d--) {
		cJSON *o = NULL;
		int rc = daemon_info(ctl, (enum berth_daemon)d, &o);

		if (rc)
			return rc;
		cJSON_AddItemToObject(daemons, berth_daemons[d].name, o);
	}
	if (fmt == FORMAT_JSON)
		json_print(stdout, doc);
	else
		print_text(doc);
	return EXIT_OK;
}
