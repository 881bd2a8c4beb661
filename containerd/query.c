/* The handlers that only look: list, inspect (Docker-shaped), stats, top. */
#include "config.h"

#define _XOPEN_SOURCE_EXTENDED 1
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/bindspec.h"
#include "common/cleanup.h"
#include "common/xalloc.h"
#include "containerd.h"
#include "proto/tags.h"
#include "shim/cgroup.h"

static const char *str(const char *s)
{
	return s ? s : "0001-01-01T00:00:00Z";
}

static cJSON *state_obj(const struct ctr *k)
{
	cJSON *s = cJSON_CreateObject();

	cJSON_AddStringToObject(s, "Status", ctr_status_name(k->status));
	cJSON_AddBoolToObject(s, "Running", k->status == CS_RUNNING || k->status == CS_PAUSED);
	cJSON_AddBoolToObject(s, "Paused", k->status == CS_PAUSED);
	cJSON_AddBoolToObject(s, "Restarting", k->status == CS_RESTARTING);
	cJSON_AddBoolToObject(s, "OOMKilled", k->oom_killed);
	cJSON_AddBoolToObject(s, "Dead", k->status == CS_DEAD);
	cJSON_AddNumberToObject(s, "Pid", k->pid);
	cJSON_AddNumberToObject(s, "ExitCode", k->exit_code);
	cJSON_AddStringToObject(s, "Error", k->error ? k->error : "");
	cJSON_AddStringToObject(s, "StartedAt", str(k->started_at));
	cJSON_AddStringToObject(s, "FinishedAt", str(k->finished_at));
	{
		cJSON *h = health_json(k);

		if (h)
			cJSON_AddItemToObject(s, "Health", h);
	}
	return s;
}

static cJSON *mounts_obj(const struct ctr *k)
{
	cJSON *a = cJSON_CreateArray();
	const cJSON *b;

	cJSON_ArrayForEach (b, ctr_cfg(k, "HostConfig", "Binds")) {
		struct err err = ERR_INIT;
		struct bind_spec bs;
		cJSON *m;

		if (bind_spec_parse(cJSON_GetStringValue(b), &bs, &err) < 0) {
			err_clear(&err);
			continue;
		}
		m = cJSON_CreateObject();
		if (!bs.volume) {
			cJSON_AddStringToObject(m, "Type", "bind");
			cJSON_AddStringToObject(m, "Source", bs.src);
		} else {
			char *src = xasprintf("%s/%s/_data", k->cd->vol_dir, bs.src);

			cJSON_AddStringToObject(m, "Type", "volume");
			cJSON_AddStringToObject(m, "Name", bs.src);
			cJSON_AddStringToObject(m, "Source", src);
			cJSON_AddStringToObject(m, "Driver", "local");
			free(src);
		}
		cJSON_AddStringToObject(m, "Destination", bs.dst);
		cJSON_AddStringToObject(m, "Mode", bs.opts);
		cJSON_AddBoolToObject(m, "RW", !bs.ro);
		cJSON_AddStringToObject(m, "Propagation", bs.volume ? "" : "rprivate");
		cJSON_AddItemToArray(a, m);
		bind_spec_free(&bs);
	}
	return a;
}

/*
 * Each network's Aliases and DNSNames as Docker has them: on a user defined
 * network the aliases and the short id (compose looks for it), and the names
 * the network's DNS answers for.
 */
static void add_names(cJSON *nets, const struct ctr *k)
{
	char short_id[ID_SHORT_LEN + 1];
	cJSON *e;

	id_short(k->id, short_id);
	cJSON_ArrayForEach (e, nets) {
		bool user = strcmp(e->string, "bridge") != 0;
		cJSON *aliases = ctr_aliases(k, e->string, !strcmp(e->string, ctr_network(k)));
		cJSON *dns = cJSON_AddArrayToObject(e, "DNSNames");
		const cJSON *a;

		if (user) {
			cJSON_AddItemToArray(aliases, cJSON_CreateString(short_id));
			cJSON_AddItemToArray(dns, cJSON_CreateString(k->name));
			cJSON_ArrayForEach (a, aliases)
				cJSON_AddItemToArray(dns, cJSON_CreateString(a->valuestring));
		}
		cJSON_AddItemToObject(e, "Aliases", aliases);
	}
}

/* Docker's NetworkSettings: IPAddress, Gateway, Ports {"80/tcp": [...]}, Networks. */
static void add_network_settings(cJSON *ns, const struct ctr *k)
{
	const cJSON *n = k->net, *p;
	cJSON *ports = cJSON_AddObjectToObject(ns, "Ports"),
	      *nets = cJSON_AddObjectToObject(ns, "Networks");
	const char *ip = cJSON_GetStringValue(cJSON_GetObjectItem(n, "IPAddress"));
	const char *gw = cJSON_GetStringValue(cJSON_GetObjectItem(n, "Gateway"));
	const char *mac = cJSON_GetStringValue(cJSON_GetObjectItem(n, "MacAddress"));

	cJSON_AddStringToObject(ns, "IPAddress", ip ? ip : "");
	cJSON_AddStringToObject(ns, "MacAddress", mac ? mac : "");
	cJSON_AddStringToObject(ns, "Gateway", gw ? gw : "");
	cJSON_AddNumberToObject(ns, "IPPrefixLen",
				cJSON_GetNumberValue(cJSON_GetObjectItem(n, "IPPrefixLen")));
	cJSON_ArrayForEach (p, cJSON_GetObjectItem(n, "Ports")) {
		char key[32], hp[8];
		const char *proto = cJSON_GetStringValue(cJSON_GetObjectItem(p, "Proto"));
		cJSON *list, *b = cJSON_CreateObject();

		snprintf(key, sizeof(key), "%d/%s",
			 (int)cJSON_GetNumberValue(cJSON_GetObjectItem(p, "ContainerPort")),
			 proto ? proto : "tcp");
		snprintf(hp, sizeof(hp), "%d",
			 (int)cJSON_GetNumberValue(cJSON_GetObjectItem(p, "HostPort")));
		list = cJSON_GetObjectItem(ports, key);
		if (!list)
			list = cJSON_AddArrayToObject(ports, key);
		cJSON_AddStringToObject(b, "HostIp",
					cJSON_GetStringValue(cJSON_GetObjectItem(p, "HostIp"))
					    ?: "0.0.0.0");
		cJSON_AddStringToObject(b, "HostPort", hp);
		cJSON_AddItemToArray(list, b);
	}
	cJSON_ArrayForEach (p, k->extra) {
		cJSON *e = cJSON_AddObjectToObject(
		    nets, cJSON_GetStringValue(cJSON_GetObjectItem(p, "Network")) ?: "?");

		cJSON_AddStringToObject(e, "NetworkID",
					cJSON_GetStringValue(cJSON_GetObjectItem(p, "NetworkID"))
					    ?: "");
		cJSON_AddStringToObject(e, "IPAddress",
					cJSON_GetStringValue(cJSON_GetObjectItem(p, "IPAddress"))
					    ?: "");
		cJSON_AddStringToObject(e, "Interface",
					cJSON_GetStringValue(cJSON_GetObjectItem(p, "Interface"))
					    ?: "");
		cJSON_AddStringToObject(e, "MacAddress",
					cJSON_GetStringValue(cJSON_GetObjectItem(p, "MacAddress"))
					    ?: "");
	}
	if (!n) {
		/* not running: the networks it will join, without addresses (as Docker's) */
		cleanup_cjson cJSON *names = ctr_networks(k);
		cJSON *x;

		cJSON_ArrayForEach (x, names)
			if (strcmp(x->valuestring, "host") && strcmp(x->valuestring, "none") &&
			    !cJSON_GetObjectItem(nets, x->valuestring))
				cJSON_AddObjectToObject(nets, x->valuestring);
		cJSON_ArrayForEach (x, nets) {
			cJSON_AddStringToObject(x, "NetworkID", "");
			cJSON_AddStringToObject(x, "IPAddress", "");
			cJSON_AddStringToObject(x, "MacAddress", "");
			cJSON_AddStringToObject(x, "Gateway", "");
			cJSON_AddNumberToObject(x, "IPPrefixLen", 0);
		}
	}
	if (n) {
		cJSON *e = cJSON_AddObjectToObject(
		    nets, cJSON_GetStringValue(cJSON_GetObjectItem(n, "Network")) ?: "bridge");

		cJSON_AddStringToObject(e, "NetworkID",
					cJSON_GetStringValue(cJSON_GetObjectItem(n, "NetworkID"))
					    ?: "");
		cJSON_AddStringToObject(e, "IPAddress", ip ? ip : "");
		cJSON_AddStringToObject(e, "MacAddress", mac ? mac : "");
		cJSON_AddStringToObject(e, "Gateway", gw ? gw : "");
		cJSON_AddNumberToObject(
		    e, "IPPrefixLen", cJSON_GetNumberValue(cJSON_GetObjectItem(n, "IPPrefixLen")));
	}
	add_names(nets, k);
}

cJSON *ctr_inspect(struct ctr *k)
{
	cJSON *o = cJSON_Duplicate(k->config, true), *ns;
	const cJSON *cfg = ctr_cfg(k, "Config", NULL);
	cJSON *args = cJSON_CreateArray(), *x;
	const char *net = cJSON_GetStringValue(ctr_cfg(k, "HostConfig", "NetworkMode"));
	bool first = true;

	cJSON_ArrayForEach (x, cJSON_GetObjectItem(cfg, "Entrypoint")) {
		if (first)
			cJSON_AddStringToObject(o, "Path", x->valuestring);
		else
			cJSON_AddItemToArray(args, cJSON_Duplicate(x, false));
		first = false;
	}
	cJSON_ArrayForEach (x, cJSON_GetObjectItem(cfg, "Cmd")) {
		if (first)
			cJSON_AddStringToObject(o, "Path", x->valuestring);
		else
			cJSON_AddItemToArray(args, cJSON_Duplicate(x, false));
		first = false;
	}
	cJSON_AddItemToObject(o, "Args", args);
	cJSON_AddItemToObject(o, "State", state_obj(k));
	cJSON_AddNumberToObject(o, "RestartCount", k->restart_count);
	{
		char *dir = ctr_dir(k), *p;

		p = xasprintf("%s/resolv.conf", dir);
		cJSON_AddStringToObject(o, "ResolvConfPath", p);
		free(p);
		p = xasprintf("%s/hostname", dir);
		cJSON_AddStringToObject(o, "HostnamePath", p);
		free(p);
		p = xasprintf("%s/hosts", dir);
		cJSON_AddStringToObject(o, "HostsPath", p);
		free(p);
		free(dir);
	}
	cJSON_AddItemToObject(o, "Mounts", mounts_obj(k));
	ns = cJSON_AddObjectToObject(o, "NetworkSettings");
	cJSON_AddStringToObject(ns, "NetworkMode", net ? net : "bridge");
	add_network_settings(ns, k);
	return o;
}

static const char *sval(const cJSON *o, const char *key)
{
	return cJSON_GetStringValue(cJSON_GetObjectItem(o, key)) ?: "";
}

static void add_net_entry(cJSON *list, const char *name, const cJSON *att)
{
	cJSON *e = cJSON_CreateObject();

	cJSON_AddStringToObject(e, "Name", name);
	cJSON_AddStringToObject(e, "NetworkID", sval(att, "NetworkID"));
	cJSON_AddStringToObject(e, "IPAddress", sval(att, "IPAddress"));
	cJSON_AddItemToArray(list, e);
}

/* The networks a container is on, running or not: its NetworkMode, then those connected later. */
static cJSON *networks_list(const struct ctr *k)
{
	cleanup_cjson cJSON *names = ctr_networks(k);
	cJSON *l = cJSON_CreateArray();
	const cJSON *n;

	cJSON_ArrayForEach (n, names)
		add_net_entry(l, n->valuestring, ctr_attachment(k, n->valuestring));
	return l;
}

static cJSON *keys_of(const cJSON *o)
{
	cJSON *a = cJSON_CreateArray();
	const cJSON *x;

	cJSON_ArrayForEach (x, o)
		if (x->string)
			cJSON_AddItemToArray(a, cJSON_CreateString(x->string));
	return a;
}

cJSON *ctr_summary(struct ctr *k)
{
	const cJSON *cfg = ctr_cfg(k, "Config", NULL), *x;
	cJSON *o = cJSON_CreateObject(), *names;
	size_t len = 1;
	char *cmd, *p;

	cJSON_AddStringToObject(o, "Id", k->id);
	names = cJSON_AddArrayToObject(o, "Names");
	{
		char *n = xasprintf("/%s", k->name);

		cJSON_AddItemToArray(names, cJSON_CreateString(n));
		free(n);
	}
	cJSON_AddStringToObject(o, "Image",
				cJSON_GetStringValue(cJSON_GetObjectItem(cfg, "Image")));
	cJSON_AddStringToObject(o, "ImageID",
				cJSON_GetStringValue(ctr_cfg(k, "Image", NULL)) ?: "");
	cJSON_ArrayForEach (x, cJSON_GetObjectItem(cfg, "Entrypoint"))
		len += strlen(x->valuestring) + 1;
	cJSON_ArrayForEach (x, cJSON_GetObjectItem(cfg, "Cmd"))
		len += strlen(x->valuestring) + 1;
	p = cmd = xzalloc(len);
	cJSON_ArrayForEach (x, cJSON_GetObjectItem(cfg, "Entrypoint"))
		p += sprintf(p, "%s%s", p == cmd ? "" : " ", x->valuestring);
	cJSON_ArrayForEach (x, cJSON_GetObjectItem(cfg, "Cmd"))
		p += sprintf(p, "%s%s", p == cmd ? "" : " ", x->valuestring);
	cJSON_AddStringToObject(o, "Command", cmd);
	free(cmd);
	cJSON_AddStringToObject(o, "Created",
				cJSON_GetStringValue(ctr_cfg(k, "Created", NULL)) ?: "");
	cJSON_AddStringToObject(o, "State", ctr_status_name(k->status));
	if (health_status(k))
		cJSON_AddStringToObject(o, "Health", health_status(k));
	cJSON_AddNumberToObject(o, "ExitCode", k->exit_code);
	cJSON_AddStringToObject(o, "StartedAt", str(k->started_at));
	cJSON_AddStringToObject(o, "FinishedAt", str(k->finished_at));
	cJSON_AddItemToObject(o, "Labels",
			      cJSON_Duplicate(cJSON_GetObjectItem(cfg, "Labels"), true)
				  ?: cJSON_CreateObject());
	cJSON_AddItemToObject(o, "Ports",
			      cJSON_Duplicate(cJSON_GetObjectItem(k->net, "Ports"), true)
				  ?: cJSON_CreateArray());
	cJSON_AddStringToObject(o, "NetworkMode", ctr_network(k));
	cJSON_AddItemToObject(o, "Networks", networks_list(k));
	cJSON_AddItemToObject(o, "Mounts", mounts_obj(k));
	cJSON_AddItemToObject(o, "ExposedPorts", keys_of(cJSON_GetObjectItem(cfg, "ExposedPorts")));
	cJSON_AddItemToObject(o, "PublishedPorts",
			      keys_of(ctr_cfg(k, "HostConfig", "PortBindings")));
	return o;
}

static uint64_t du_total;

static int du_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)path;
	(void)ftw;
	if (flag == FTW_F)
		du_total += (uint64_t)st->st_blocks * 512;
	return 0;
}

/* Disk use of a directory tree, not crossing mounts or following symlinks. */
uint64_t dir_usage(const char *dir)
{
	du_total = 0;
	nftw(dir, du_entry, 32, FTW_PHYS | FTW_MOUNT);
	return du_total;
}

int h_CONTAINER_LIST(struct conn *c, struct frame *f, struct err *err)
{
	struct cd *cd = cd_of(c);
	cJSON *a = cJSON_CreateArray();
	uint32_t sizes = 0;
	struct ctr *k;

	/* with sizes (ps -s, system df): the disk use of each writable layer */
	p_get_u32(f->payload, f->len, TAG_ALL, &sizes, err);
	err_clear(err);
	/* newest first, as docker ps shows them */
	TAILQ_FOREACH_REVERSE (k, &cd->ctrs, ctr_list, link) {
		cJSON *o = ctr_summary(k);
		const char *upper = cJSON_GetStringValue(
		    cJSON_GetObjectItem(ctr_cfg(k, "GraphDriver", "Data"), "UpperDir"));

		if (sizes && upper)
			cJSON_AddNumberToObject(o, "SizeRw", (double)dir_usage(upper));
		cJSON_AddItemToArray(a, o);
	}
	conn_reply_json(c, f, a, NULL, 0);
	return 0;
}

int h_CONTAINER_INSPECT(struct conn *c, struct frame *f, struct err *err)
{
	struct ctr *k = ctr_from_request(c, f, err);

	if (!k)
		return -err->code;
	conn_reply_json(c, f, ctr_inspect(k), NULL, 0);
	return 0;
}

int h_CONTAINER_STATS(struct conn *c, struct frame *f, struct err *err)
{
	struct ctr *k = ctr_from_request(c, f, err);
	cJSON *o = NULL;

	if (!k)
		return -err->code;
	if (k->status != CS_RUNNING && k->status != CS_PAUSED) {
		o = cJSON_CreateObject();
		cJSON_AddBoolToObject(o, "running", false);
	} else if (shim_call(k, MSG_SHIM_STATS, NULL, &o, err) < 0) {
		return -err->code;
	}
	cJSON_AddStringToObject(o, "id", k->id);
	cJSON_AddStringToObject(o, "name", k->name);
	conn_reply_json(c, f, o, NULL, 0);
	return 0;
}

/*
 * Whether pid lives in the container's pid namespace (its init's): an exec's
 * relay sits in the cgroup, outside the namespace, and is no process of the
 * container's. A container sharing the host's pid namespace has them all.
 */
static bool in_container_pidns(const struct ctr *k, long pid)
{
	char a[64], b[64];
	struct stat sa, sb;

	snprintf(a, sizeof(a), "/proc/%d/ns/pid", (int)k->pid);
	snprintf(b, sizeof(b), "/proc/%ld/ns/pid", pid);
	if (stat(a, &sa) < 0 || stat(b, &sb) < 0)
		return true; /* gone, or not to be told apart: listed as the cgroup has it */
	return sa.st_ino == sb.st_ino && sa.st_dev == sb.st_dev;
}

int h_CONTAINER_TOP(struct conn *c, struct frame *f, struct err *err)
{
	struct ctr *k = ctr_from_request(c, f, err);
	cleanup_free char *procs = NULL;
	cleanup_fclose FILE *in = NULL;
	struct cgroup cg;
	cJSON *o, *pids;
	char line[64];

	if (!k)
		return -err->code;
	if (k->status != CS_RUNNING && k->status != CS_PAUSED)
		return err_set(err, EINVAL, "container %s is not running", k->name);
	if (ctr_cgroup_open(k, &cg, err) < 0)
		return -err->code;
	procs =
	    xasprintf("%s/%s/cgroup.procs", cg.h[0].mnt, cg.path[0] == '/' ? cg.path + 1 : cg.path);
	cgroup_close(&cg);
	in = fopen(procs, "re");
	if (!in)
		return err_sys(err, "read %s", procs);
	o = cJSON_CreateObject();
	pids = cJSON_AddArrayToObject(o, "Pids");
	while (fgets(line, sizeof(line), in)) {
		long pid = strtol(line, NULL, 10);

		if (in_container_pidns(k, pid))
			cJSON_AddItemToArray(pids, cJSON_CreateNumber(pid));
	}
	conn_reply_json(c, f, o, NULL, 0);
	return 0;
}
