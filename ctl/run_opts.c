/*
 * The options of berth create and berth run, turned into the create request
 * containerd takes (Docker's shape: Name, Config, HostConfig). Values are
 * parsed here (sizes, CPUs, ulimits, files the user names) so that every
 * error names the option as typed; containerd checks the rest.
 */
#include "config.h"

#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/atomicfile.h"
#include "common/cleanup.h"
#include "common/signame.h"
#include "common/size.h"
#include "common/xalloc.h"
#include "ctl.h"
#include "run_opts.h"
#include "lib/bc_session.h"

enum {
	O_RM = 256,
	O_NAME,
	O_ENV_FILE,
	O_ENTRYPOINT,
	O_MOUNT,
	O_TMPFS,
	O_READ_ONLY,
	O_MEMORY_SWAP,
	O_CPUS,
	O_CPU_SHARES,
	O_CPUSET,
	O_PIDS,
	O_ULIMIT,
	O_CAP_ADD,
	O_CAP_DROP,
	O_PRIVILEGED,
	O_SECURITY_OPT,
	O_SYSCTL,
	O_INIT,
	O_RESTART,
	O_STOP_SIGNAL,
	O_STOP_TIMEOUT,
	O_NETWORK,
	O_DETACH_KEYS,
	O_LOG_OPT,
	O_LOG_DRIVER,
	O_HELP,
	O_PUBLISH_ALL,
	O_NETWORK_ALIAS,
	O_LINK,
	O_ADD_HOST,
	O_DNS,
	O_DNS_SEARCH,
	O_DNS_OPTION,
	O_SHM_SIZE,
	O_DEVICE,
	O_PULL,
	O_CIDFILE,
	O_HEALTH_CMD,
	O_HEALTH_INTERVAL,
	O_HEALTH_TIMEOUT,
	O_HEALTH_START_PERIOD,
	O_HEALTH_RETRIES,
	O_NO_HEALTHCHECK,
	O_PID,
	O_IPC,
	O_UTS,
	O_IP,
	O_MAC,
};

static const struct option run_options[] = {
    {"detach", no_argument, NULL, 'd'},
    {"interactive", no_argument, NULL, 'i'},
    {"tty", no_argument, NULL, 't'},
    {"rm", no_argument, NULL, O_RM},
    {"name", required_argument, NULL, O_NAME},
    {"env", required_argument, NULL, 'e'},
    {"env-file", required_argument, NULL, O_ENV_FILE},
    {"workdir", required_argument, NULL, 'w'},
    {"user", required_argument, NULL, 'u'},
    {"hostname", required_argument, NULL, 'h'},
    {"entrypoint", required_argument, NULL, O_ENTRYPOINT},
    {"label", required_argument, NULL, 'l'},
    {"volume", required_argument, NULL, 'v'},
    {"mount", required_argument, NULL, O_MOUNT},
    {"tmpfs", required_argument, NULL, O_TMPFS},
    {"read-only", no_argument, NULL, O_READ_ONLY},
    {"memory", required_argument, NULL, 'm'},
    {"memory-swap", required_argument, NULL, O_MEMORY_SWAP},
    {"cpus", required_argument, NULL, O_CPUS},
    {"cpu-shares", required_argument, NULL, O_CPU_SHARES},
    {"cpuset-cpus", required_argument, NULL, O_CPUSET},
    {"pids-limit", required_argument, NULL, O_PIDS},
    {"ulimit", required_argument, NULL, O_ULIMIT},
    {"cap-add", required_argument, NULL, O_CAP_ADD},
    {"cap-drop", required_argument, NULL, O_CAP_DROP},
    {"privileged", no_argument, NULL, O_PRIVILEGED},
    {"security-opt", required_argument, NULL, O_SECURITY_OPT},
    {"sysctl", required_argument, NULL, O_SYSCTL},
    {"init", no_argument, NULL, O_INIT},
    {"restart", required_argument, NULL, O_RESTART},
    {"stop-signal", required_argument, NULL, O_STOP_SIGNAL},
    {"stop-timeout", required_argument, NULL, O_STOP_TIMEOUT},
    {"network", required_argument, NULL, O_NETWORK},
    {"network-alias", required_argument, NULL, O_NETWORK_ALIAS},
    {"link", required_argument, NULL, O_LINK},
    {"net", required_argument, NULL, O_NETWORK},
    {"publish", required_argument, NULL, 'p'},
    {"publish-all", no_argument, NULL, 'P'},
    {"detach-keys", required_argument, NULL, O_DETACH_KEYS},
    {"log-opt", required_argument, NULL, O_LOG_OPT},
    {"log-driver", required_argument, NULL, O_LOG_DRIVER},
    {"add-host", required_argument, NULL, O_ADD_HOST},
    {"dns", required_argument, NULL, O_DNS},
    {"dns-search", required_argument, NULL, O_DNS_SEARCH},
    {"dns-option", required_argument, NULL, O_DNS_OPTION},
    {"shm-size", required_argument, NULL, O_SHM_SIZE},
    {"pid", required_argument, NULL, O_PID},
    {"ipc", required_argument, NULL, O_IPC},
    {"uts", required_argument, NULL, O_UTS},
    {"ip", required_argument, NULL, O_IP},
    {"mac-address", required_argument, NULL, O_MAC},
    {"device", required_argument, NULL, O_DEVICE},
    {"pull", required_argument, NULL, O_PULL},
    {"cidfile", required_argument, NULL, O_CIDFILE},
    {"health-cmd", required_argument, NULL, O_HEALTH_CMD},
    {"health-interval", required_argument, NULL, O_HEALTH_INTERVAL},
    {"health-timeout", required_argument, NULL, O_HEALTH_TIMEOUT},
    {"health-start-period", required_argument, NULL, O_HEALTH_START_PERIOD},
    {"health-retries", required_argument, NULL, O_HEALTH_RETRIES},
    {"no-healthcheck", no_argument, NULL, O_NO_HEALTHCHECK},
    {"help", no_argument, NULL, O_HELP},
    {NULL, 0, NULL, 0},
};

const char run_options_help[] =
    "  -d, --detach              run in the background and print the container id\n"
    "  -i, --interactive         keep stdin open and forward it\n"
    "  -t, --tty                 give the container a terminal\n"
    "      --rm                  remove the container when it exits\n"
    "      --name NAME           name the container\n"
    "  -e, --env KEY=VALUE       set an environment variable (KEY alone: take ours)\n"
    "      --env-file FILE       read KEY=VALUE lines from a file\n"
    "  -w, --workdir DIR         working directory inside the container\n"
    "  -u, --user USER[:GROUP]   user (name or uid) and group inside the container\n"
    "  -h, --hostname NAME       the container's host name\n"
    "      --entrypoint CMD      replace the image's entrypoint\n"
    "  -l, --label KEY=VALUE     set a label\n"
    "  -v, --volume SRC:DST[:OPTS]  bind mount a host path, or a named volume (a new one\n"
    "                            is filled from the image); OPTS: ro, nocopy\n"
    "      --mount type=bind|volume|tmpfs,source=,target=[,readonly][,KEY=VALUE]\n"
    "                            the long form of -v and --tmpfs; keys: volume-label,\n"
    "                            volume-nocopy, tmpfs-size, tmpfs-mode, bind-propagation\n"
    "      --tmpfs DST[:OPTS]    mount a tmpfs\n"
    "      --read-only           make the root filesystem read-only\n"
    "  -m, --memory SIZE         memory limit (e.g. 512m, 2g; at least 6m)\n"
    "      --memory-swap SIZE    memory plus swap limit (-1: unlimited swap)\n"
    "      --cpus N              CPU limit (e.g. 1.5)\n"
    "      --cpu-shares N        relative CPU weight\n"
    "      --cpuset-cpus LIST    CPUs the container may use (e.g. 0-1)\n"
    "      --pids-limit N        process limit (-1: unlimited)\n"
    "      --ulimit NAME=SOFT[:HARD]  set a resource limit\n"
    "      --cap-add CAP, --cap-drop CAP  change the capability set (ALL for all)\n"
    "      --privileged          every capability, every device, no seccomp filter\n"
    "      --security-opt OPT    seccomp=FILE|unconfined, no-new-privileges\n"
    "      --sysctl KEY=VALUE    set a namespaced sysctl\n"
    "      --init                run a reaping init as pid 1\n"
    "      --restart POLICY      no, always, unless-stopped, on-failure[:N]\n"
    "      --stop-signal SIG     signal for berth stop (default TERM)\n"
    "      --stop-timeout N      seconds berth stop waits before KILL (default 10)\n"
    "      --network NET         bridge (default), a network's name, none, host,\n"
    "                            container:NAME\n"
    "  -p, --publish [IP:][HOSTPORT:]PORT[/udp]  publish a port (ranges: 8080-8081:80-81;\n"
    "                            no host port: a free one)\n"
    "  -P, --publish-all         publish every EXPOSEd port on a free host port\n"
    "      --network-alias NAME  another name the network's DNS answers for\n"
    "      --link NAME[:ALIAS]   a running container on a shared network, in /etc/hosts\n"
    "      --ip ADDR             the container's IPv4 address on its (user defined) network\n"
    "      --mac-address MAC     its MAC address there (default 02:42 and the IPv4 address)\n"
    "      --pid host, --ipc host, --uts host  share the host's pid, IPC or UTS namespace\n"
    "      --pid container:NAME, --ipc container:NAME  another's (--ipc shareable there)\n"
    "      --detach-keys KEYS    keys that detach (default ctrl-p,ctrl-q)\n"
    "      --log-driver json-file|none  keep the output in a log (default), or not at all\n"
    "      --log-opt max-size=SIZE|max-file=N  log rotation (default 10m, 3 files)\n"
    "      --add-host NAME:IP    add a line to the container's /etc/hosts\n"
    "      --dns IP              a resolver for the container's /etc/resolv.conf\n"
    "      --dns-search DOMAIN, --dns-option OPT  its search domains and options\n"
    "      --shm-size SIZE       size of /dev/shm (default 64m)\n"
    "      --device HOST[:CONTAINER][:PERMS]  give the container a host device\n"
    "                            (PERMS: some of r, w, m; default rwm)\n"
    "      --pull POLICY         pull the image: missing (default), always or never\n"
    "      --cidfile FILE        write the container id to FILE (which must not exist)\n"
    "      --health-cmd CMD      a health check run in the container (through /bin/sh -c)\n"
    "      --health-interval D, --health-timeout D, --health-start-period D\n"
    "                            its timing (30s, 1m30s, 500ms; default 30s, 30s, 0s)\n"
    "      --health-retries N    failures in a row before unhealthy (default 3)\n"
    "      --no-healthcheck      do not run the image's HEALTHCHECK\n";

static cJSON *obj(cJSON *parent, const char *key)
{
	cJSON *o = cJSON_GetObjectItemCaseSensitive(parent, key);

	return o ? o : cJSON_AddObjectToObject(parent, key);
}

static cJSON *arr(cJSON *parent, const char *key)
{
	cJSON *a = cJSON_GetObjectItemCaseSensitive(parent, key);

	return a ? a : cJSON_AddArrayToObject(parent, key);
}

static void push(cJSON *parent, const char *key, const char *v)
{
	cJSON_AddItemToArray(arr(parent, key), cJSON_CreateString(v));
}

static void set_num(cJSON *o, const char *key, double v)
{
	cJSON_DeleteItemFromObjectCaseSensitive(o, key);
	cJSON_AddNumberToObject(o, key, v);
}

static void set_str(cJSON *o, const char *key, const char *v)
{
	cJSON_DeleteItemFromObjectCaseSensitive(o, key);
	cJSON_AddStringToObject(o, key, v);
}

static void set_bool(cJSON *o, const char *key, bool v)
{
	cJSON_DeleteItemFromObjectCaseSensitive(o, key);
	cJSON_AddBoolToObject(o, key, v);
}

static int bad(const char *opt, const char *v, const char *what)
{
	return ctl_fail(EXIT_DAEMON, "invalid %s '%s': %s", opt, v, what);
}

static int add_env(cJSON *cfg, const char *kv)
{
	if (!*kv || *kv == '=')
		return bad("--env", kv, "expected KEY=VALUE or KEY");
	if (!strchr(kv, '=')) {
		const char *v = getenv(kv);
		char *s;

		if (!v)
			return 0; /* Docker drops a KEY that is not set here */
		s = xasprintf("%s=%s", kv, v);
		push(cfg, "Env", s);
		free(s);
		return 0;
	}
	push(cfg, "Env", kv);
	return 0;
}

static int env_file(cJSON *cfg, const char *path)
{
	cleanup_fclose FILE *f = fopen(path, "re");
	char line[8192];
	int lineno = 0;

	if (!f)
		return ctl_fail(EXIT_DAEMON, "--env-file %s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		char *p = line;

		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		while (isspace((unsigned char)*p))
			p++;
		if (!*p || *p == '#')
			continue;
		if (*p == '=')
			return ctl_fail(EXIT_DAEMON, "--env-file %s:%d: a variable needs a name",
					path, lineno);
		if (add_env(cfg, p))
			return EXIT_DAEMON;
	}
	return 0;
}

static int kv_into(cJSON *o, const char *opt, const char *kv, bool need_value)
{
	cleanup_free char *copy = xstrdup(kv);
	char *eq = strchr(copy, '=');

	if ((need_value && !eq) || copy[0] == '=' || !copy[0])
		return bad(opt, kv, "expected KEY=VALUE");
	if (eq)
		*eq++ = '\0';
	set_str(o, copy, eq ? eq : "");
	return 0;
}

static int ulimit(cJSON *hc, const char *spec)
{
	cleanup_free char *copy = xstrdup(spec);
	char *eq = strchr(copy, '='), *colon, *end;
	long long soft, hard;
	cJSON *u;

	if (!eq)
		return bad("--ulimit", spec, "expected NAME=SOFT[:HARD]");
	*eq++ = '\0';
	colon = strchr(eq, ':');
	if (colon)
		*colon++ = '\0';
	soft = strtoll(eq, &end, 10);
	if (end == eq || *end)
		return bad("--ulimit", spec, "the soft limit is not a number");
	hard = soft;
	if (colon) {
		hard = strtoll(colon, &end, 10);
		if (end == colon || *end)
			return bad("--ulimit", spec, "the hard limit is not a number");
	}
	{
		static const char *const known[] = {
		    "core",   "cpu",   "data", "fsize",	 "locks",  "memlock",	 "msgqueue", "nice",
		    "nofile", "nproc", "rss",  "rtprio", "rttime", "sigpending", "stack",    "as"};
		bool ok = false;

		for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			ok = ok || !strcmp(copy, known[i]);
		if (!ok)
			return bad("--ulimit", spec, "unknown resource name");
	}
	u = cJSON_CreateObject();
	cJSON_AddStringToObject(u, "Name", copy);
	cJSON_AddNumberToObject(u, "Soft", (double)soft);
	cJSON_AddNumberToObject(u, "Hard", (double)hard);
	cJSON_AddItemToArray(arr(hc, "Ulimits"), u);
	return 0;
}

static int security_opt(cJSON *hc, const char *opt)
{
	cleanup_free char *text = NULL;
	struct err err = ERR_INIT;
	char *s;

	if (strncmp(opt, "seccomp=", 8) && strncmp(opt, "seccomp:", 8)) {
		push(hc, "SecurityOpt", opt);
		return 0;
	}
	if (!strcmp(opt + 8, "unconfined")) {
		push(hc, "SecurityOpt", "seccomp=unconfined");
		return 0;
	}
	/* as Docker's client: the profile's text travels, not its path */
	if (read_file_at(AT_FDCWD, opt + 8, 1 << 22, &text, NULL, &err) < 0) {
		int rc = ctl_fail(EXIT_DAEMON, "--security-opt seccomp: %s", err_msg(&err));

		err_clear(&err);
		return rc;
	}
	{
		cleanup_cjson cJSON *doc = cJSON_Parse(text);

		if (!doc)
			return ctl_fail(EXIT_DAEMON,
					"--security-opt seccomp: %s is not valid JSON (near byte "
					"%ld)",
					opt + 8, (long)(cJSON_GetErrorPtr() - text));
		free(text);
		text = cJSON_PrintUnformatted(doc);
	}
	s = xasprintf("seccomp=%s", text);
	push(hc, "SecurityOpt", s);
	free(s);
	return 0;
}

static int restart(cJSON *hc, const char *spec)
{
	cJSON *rp = obj(hc, "RestartPolicy");
	cleanup_free char *copy = xstrdup(spec);
	char *colon = strchr(copy, ':'), *end;

	if (colon) {
		long n;

		*colon++ = '\0';
		n = strtol(colon, &end, 10);
		if (end == colon || *end || n < 0)
			return bad("--restart", spec, "the retry count is not a number");
		set_num(rp, "MaximumRetryCount", (double)n);
	}
	set_str(rp, "Name", copy);
	return 0;
}

static bool mount_flag(const char *v, bool has_value)
{
	return !has_value || !strcmp(v, "true") || !strcmp(v, "1");
}

/* One key=value of --mount into Docker's Mount object m; false when the key is unknown. */
static bool mount_key(cJSON *m, const char *k, const char *v, bool has_value, bool *bad_value)
{
	if (!strcmp(k, "type"))
		set_str(m, "Type", v);
	else if (!strcmp(k, "source") || !strcmp(k, "src"))
		set_str(m, "Source", v);
	else if (!strcmp(k, "target") || !strcmp(k, "destination") || !strcmp(k, "dst"))
		set_str(m, "Target", v);
	else if (!strcmp(k, "readonly") || !strcmp(k, "ro"))
		set_bool(m, "ReadOnly", mount_flag(v, has_value));
	else if (!strcmp(k, "bind-propagation"))
		set_str(obj(m, "BindOptions"), "Propagation", v);
	else if (!strcmp(k, "volume-nocopy"))
		set_bool(obj(m, "VolumeOptions"), "NoCopy", mount_flag(v, has_value));
	else if (!strcmp(k, "volume-label")) {
		cleanup_free char *kv = xstrdup(v);
		char *eq = strchr(kv, '=');

		if (eq)
			*eq++ = '\0';
		set_str(obj(obj(m, "VolumeOptions"), "Labels"), kv, eq ? eq : "");
	} else if (!strcmp(k, "volume-driver"))
		set_str(obj(obj(m, "VolumeOptions"), "DriverConfig"), "Name", v);
	else if (!strcmp(k, "tmpfs-size") || !strcmp(k, "tmpfs-mode")) {
		long long n;
		char *end;

		if (!strcmp(k, "tmpfs-size"))
			*bad_value = size_parse(v, &n) < 0 || n < 0;
		else
			*bad_value = !*v || (n = strtoll(v, &end, 8), *end) || n < 0 || n > 07777;
		if (!*bad_value)
			set_num(obj(m, "TmpfsOptions"), k[6] == 's' ? "SizeBytes" : "Mode",
				(double)n);
	} else
		return false;
	return true;
}

/* --mount as Docker's CLI sends it: a HostConfig.Mounts entry, checked by the daemon. */
static int mount_opt(cJSON *hc, const char *spec)
{
	cleanup_free char *copy = xstrdup(spec);
	cJSON *m = cJSON_CreateObject();
	char *save = NULL;

	cJSON_AddStringToObject(m, "Type", "volume");
	cJSON_AddItemToArray(arr(hc, "Mounts"), m);
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(t, '=');
		bool bad_value = false;

		if (eq)
			*eq = '\0';
		if (!mount_key(m, t, eq ? eq + 1 : "", eq != NULL, &bad_value))
			return bad("--mount", spec,
				   "unknown key (type, source, target, readonly, bind-propagation, "
				   "volume-nocopy, volume-label, volume-driver, tmpfs-size, "
				   "tmpfs-mode)");
		if (bad_value)
			return bad("--mount", spec,
				   "tmpfs-size is a size (64m), tmpfs-mode an octal mode (1777)");
	}
	return 0;
}

static int log_opt(cJSON *hc, const char *spec)
{
	cJSON *lc = obj(hc, "LogConfig"), *conf;
	long long size;

	if (!cJSON_GetObjectItemCaseSensitive(lc, "Type"))
		set_str(lc, "Type", "json-file");
	conf = obj(lc, "Config");
	if (!strncmp(spec, "max-size=", 9)) {
		char buf[32];

		if (size_parse(spec + 9, &size) < 0 || size <= 0)
			return bad("--log-opt", spec, "max-size must be a size such as 10m");
		snprintf(buf, sizeof(buf), "%lld", size);
		set_str(conf, "max-size", buf);
		return 0;
	}
	if (!strncmp(spec, "max-file=", 9)) {
		char *end;
		long n = strtol(spec + 9, &end, 10);

		if (end == spec + 9 || *end || n < 1)
			return bad("--log-opt", spec, "max-file must be a positive number");
		set_str(conf, "max-file", spec + 9);
		return 0;
	}
	return bad("--log-opt", spec, "json-file logs take max-size= and max-file=");
}

/* "8080", "8080-8090" or "" into [lo, hi]; 0 0 for none. */
static int port_range(const char *s, long *lo, long *hi)
{
	char *end;

	*lo = *hi = 0;
	if (!*s)
		return 0;
	*lo = strtol(s, &end, 10);
	*hi = *lo;
	if (*end == '-')
		*hi = strtol(end + 1, &end, 10);
	if (*end || *lo < 1 || *hi > 65535 || *hi < *lo)
		return -1;
	return 0;
}

/* -p [ip:][hostPort:]containerPort[/proto], with ranges, as Docker takes it. */
static int publish(cJSON *cfg, cJSON *hc, const char *spec)
{
	cleanup_free char *copy = xstrdup(spec);
	char *proto = strchr(copy, '/'), *parts[3] = {0}, *p = copy;
	const char *ip = "", *hostp = "", *ctrp;
	long hlo, hhi, clo, chi;
	int n = 0;

	if (proto)
		*proto++ = '\0';
	if (proto && strcmp(proto, "tcp") && strcmp(proto, "udp"))
		return bad("-p", spec, "the protocol must be tcp or udp");
	while (n < 3 && (parts[n] = strsep(&p, ":")))
		n++;
	if (p)
		return bad("-p", spec, "expected [ip:][hostPort:]containerPort[/tcp|udp]");
	if (n == 1) {
		ctrp = parts[0];
	} else if (n == 2) {
		hostp = parts[0];
		ctrp = parts[1];
	} else {
		ip = parts[0];
		hostp = parts[1];
		ctrp = parts[2];
	}
	if (*ip) {
		unsigned a, b, c, d;
		char extra;

		if (sscanf(ip, "%u.%u.%u.%u%c", &a, &b, &c, &d, &extra) != 4 || a > 255 ||
		    b > 255 || c > 255 || d > 255)
			return bad("-p", spec, "the host address is not an IPv4 address");
	}
	if (port_range(ctrp, &clo, &chi) < 0 || !clo)
		return bad("-p", spec, "the container port must be 1-65535 (or a range)");
	if (port_range(hostp, &hlo, &hhi) < 0)
		return bad("-p", spec, "the host port must be 1-65535 (or a range)");
	if (hlo && hhi - hlo != chi - clo)
		return bad("-p", spec, "the host and container port ranges differ in size");
	for (long i = 0; i <= chi - clo; i++) {
		char key[32], hp[16];
		cJSON *list, *b = cJSON_CreateObject();

		snprintf(key, sizeof(key), "%ld/%s", clo + i, proto ? proto : "tcp");
		snprintf(hp, sizeof(hp), "%ld", hlo ? hlo + i : 0);
		list = cJSON_GetObjectItemCaseSensitive(obj(hc, "PortBindings"), key);
		if (!list)
			list = cJSON_AddArrayToObject(obj(hc, "PortBindings"), key);
		cJSON_AddStringToObject(b, "HostIp", ip);
		cJSON_AddStringToObject(b, "HostPort", hlo ? hp : "");
		cJSON_AddItemToArray(list, b);
		if (!cJSON_GetObjectItemCaseSensitive(obj(cfg, "ExposedPorts"), key))
			cJSON_AddObjectToObject(obj(cfg, "ExposedPorts"), key);
	}
	return 0;
}

static int size_opt(cJSON *hc, const char *key, const char *opt, const char *v)
{
	long long n;

	if (size_parse(v, &n) < 0)
		return bad(opt, v, "expected a size such as 512m or 2g");
	set_num(hc, key, (double)n);
	return 0;
}

static int num_opt(cJSON *o, const char *key, const char *opt, const char *v)
{
	char *end;
	long long n = strtoll(v, &end, 10);

	if (end == v || *end)
		return bad(opt, v, "expected a whole number");
	set_num(o, key, (double)n);
	return 0;
}

static bool is_ip(const char *v)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, v, buf) == 1 || inet_pton(AF_INET6, v, buf) == 1;
}

/* NAME:IP (the IP may be IPv6, so the name ends at the first colon). */
static int add_host(cJSON *hc, const char *v)
{
	const char *colon = strchr(v, ':');

	if (!colon || colon == v)
		return bad("--add-host", v, "expected NAME:IP");
	if (!is_ip(colon + 1))
		return bad("--add-host", v, "the address is not an IPv4 or IPv6 address");
	push(hc, "ExtraHosts", v);
	return 0;
}

/* HOST[:CONTAINER][:PERMS], as Docker's HostConfig.Devices. */
static int device(cJSON *hc, const char *v)
{
	cleanup_free char *copy = xstrdup(v);
	char *host = copy, *ctr = NULL, *perms = NULL, *c1 = strchr(copy, ':');
	cJSON *d;

	if (c1) {
		*c1++ = '\0';
		char *c2 = strchr(c1, ':');

		if (c2) {
			*c2++ = '\0';
			ctr = c1;
			perms = c2;
		} else if (*c1 == '/') {
			ctr = c1;
		} else {
			perms = c1;
		}
	}
	if (host[0] != '/')
		return bad("--device", v, "the host device must be an absolute path");
	if (ctr && ctr[0] != '/')
		return bad("--device", v, "the path in the container must be absolute");
	if (perms && (!*perms || strspn(perms, "rwm") != strlen(perms)))
		return bad("--device", v, "permissions are some of r, w and m");
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "PathOnHost", host);
	cJSON_AddStringToObject(d, "PathInContainer", ctr ? ctr : host);
	cJSON_AddStringToObject(d, "CgroupPermissions", perms ? perms : "rwm");
	cJSON_AddItemToArray(arr(hc, "Devices"), d);
	return 0;
}

/* A Go duration ("1m30s", "500ms", "2h", "1.5s") into nanoseconds; -1 when malformed. */
static double go_duration(const char *s)
{
	static const struct {
		const char *unit;
		double ns;
	} units[] = {{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
	double total = 0;

	if (!*s)
		return -1;
	while (*s) {
		char *end;
		double v = strtod(s, &end);
		size_t best = 0, i, blen = 0;

		if (end == s || v < 0)
			return -1;
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			size_t l = strlen(units[i].unit);

			if (!strncmp(end, units[i].unit, l) && l > blen) {
				best = i;
				blen = l;
			}
		}
		if (!blen)
			return -1;
		total += v * units[best].ns;
		s = end + blen;
	}
	return total;
}

static int health_opt(cJSON *cfg, int c, const char *v)
{
	static const char *const keys[] = {"Interval", "Timeout", "StartPeriod"};
	static const char *const names[] = {"--health-interval", "--health-timeout",
					    "--health-start-period"};
	cJSON *hc = obj(cfg, "Healthcheck");

	if (c == O_HEALTH_CMD || c == O_NO_HEALTHCHECK) {
		cJSON *test = cJSON_CreateArray();

		cJSON_AddItemToArray(test,
				     cJSON_CreateString(c == O_HEALTH_CMD ? "CMD-SHELL" : "NONE"));
		if (c == O_HEALTH_CMD)
			cJSON_AddItemToArray(test, cJSON_CreateString(v));
		cJSON_DeleteItemFromObject(hc, "Test");
		cJSON_AddItemToObject(hc, "Test", test);
		return 0;
	}
	if (c == O_HEALTH_RETRIES) {
		char *end;
		long n = strtol(v, &end, 10);

		if (end == v || *end || n < 1)
			return bad("--health-retries", v, "expected a number of at least 1");
		set_num(hc, "Retries", (double)n);
		return 0;
	}
	{
		int i = c - O_HEALTH_INTERVAL;
		double ns = go_duration(v);

		/* Docker's floor: a check every millisecond at most */
		if (ns < 0 || (ns > 0 && ns < 1e6))
			return bad(names[i], v, "expected a duration such as 30s, 1m30s or 500ms");
		set_num(hc, keys[i], ns);
	}
	return 0;
}

static int one_option(struct run_opts *ro, int c, const char *v)
{
	cJSON *cfg = ro->cfg, *hc = ro->hc;

	switch (c) {
	case 'd':
		ro->detach = true;
		return 0;
	case 'i':
		set_bool(cfg, "OpenStdin", true);
		ro->interactive = true;
		return 0;
	case 't':
		set_bool(cfg, "Tty", true);
		ro->tty = true;
		return 0;
	case O_RM:
		set_bool(hc, "AutoRemove", true);
		ro->rm = true;
		return 0;
	case O_NAME:
		set_str(ro->req, "Name", v);
		return 0;
	case 'e':
		return add_env(cfg, v);
	case O_ENV_FILE:
		return env_file(cfg, v);
	case 'w':
		set_str(cfg, "WorkingDir", v);
		return 0;
	case 'u':
		set_str(cfg, "User", v);
		return 0;
	case 'h':
		set_str(cfg, "Hostname", v);
		return 0;
	case O_ENTRYPOINT:
		cJSON_DeleteItemFromObject(cfg, "Entrypoint");
		push(cfg, "Entrypoint", v);
		return 0;
	case 'l':
		return kv_into(obj(cfg, "Labels"), "--label", v, false);
	case 'v':
		/* -v /path alone: an anonymous volume */
		if (v[0] == '/' && !strchr(v, ':')) {
			cJSON_AddObjectToObject(obj(cfg, "Volumes"), v);
			return 0;
		}
		push(hc, "Binds", v);
		return 0;
	case O_MOUNT:
		return mount_opt(hc, v);
	case O_TMPFS: {
		cleanup_free char *copy = xstrdup(v);
		char *colon = strchr(copy, ':');

		if (colon)
			*colon++ = '\0';
		set_str(obj(hc, "Tmpfs"), copy, colon ? colon : "");
		return 0;
	}
	case O_READ_ONLY:
		set_bool(hc, "ReadonlyRootfs", true);
		return 0;
	case 'm':
		return size_opt(hc, "Memory", "--memory", v);
	case O_MEMORY_SWAP:
		return size_opt(hc, "MemorySwap", "--memory-swap", v);
	case O_CPUS: {
		char *end;
		double n = strtod(v, &end);

		if (end == v || *end || n < 0)
			return bad("--cpus", v, "expected a number of CPUs such as 1.5");
		set_num(hc, "NanoCpus", (double)(long long)(n * 1e9));
		return 0;
	}
	case O_CPU_SHARES:
		return num_opt(hc, "CpuShares", "--cpu-shares", v);
	case O_CPUSET:
		set_str(hc, "CpusetCpus", v);
		return 0;
	case O_PIDS:
		return num_opt(hc, "PidsLimit", "--pids-limit", v);
	case O_ULIMIT:
		return ulimit(hc, v);
	case O_CAP_ADD:
		push(hc, "CapAdd", v);
		return 0;
	case O_CAP_DROP:
		push(hc, "CapDrop", v);
		return 0;
	case O_PRIVILEGED:
		set_bool(hc, "Privileged", true);
		return 0;
	case O_SECURITY_OPT:
		return security_opt(hc, v);
	case O_SYSCTL:
		return kv_into(obj(hc, "Sysctls"), "--sysctl", v, true);
	case O_INIT:
		set_bool(hc, "Init", true);
		return 0;
	case O_RESTART:
		return restart(hc, v);
	case O_STOP_SIGNAL:
		if (signal_parse(v) < 0)
			return bad("--stop-signal", v, "not a signal name or number");
		set_str(cfg, "StopSignal", v);
		return 0;
	case O_STOP_TIMEOUT:
		return num_opt(cfg, "StopTimeout", "--stop-timeout", v);
	case O_NETWORK:
		set_str(hc, "NetworkMode", v);
		return 0;
	case O_PID:
	case O_IPC:
	case O_UTS:
		/* containerd checks the value: it names what it takes */
		set_str(hc, c == O_PID ? "PidMode" : c == O_IPC ? "IpcMode" : "UTSMode", v);
		return 0;
	case O_IP:
	case O_MAC:
		/* containerd checks them: the address, the network that can take it */
		set_str(hc, c == O_IP ? "IPv4Address" : "MacAddress", v);
		return 0;
	case O_LINK: /* checked by the daemon, which knows the containers */
		push(hc, "Links", v);
		return 0;
	case O_NETWORK_ALIAS:
		for (const char *p = v; *p; p++)
			if (!isalnum((unsigned char)*p) && !strchr("-_.", *p))
				return bad("--network-alias", v,
					   "letters, digits, '-', '_' and '.'");
		if (!*v)
			return bad("--network-alias", v, "an empty alias");
		push(hc, "NetworkAliases", v);
		return 0;
	case 'p':
		return publish(cfg, hc, v);
	case 'P':
		set_bool(hc, "PublishAllPorts", true);
		return 0;
	case O_DETACH_KEYS:
		if (!detach_keys_parse(v))
			return bad("--detach-keys", v, "expected keys such as ctrl-p,ctrl-q");
		ro->detach_keys = v;
		return 0;
	case O_LOG_OPT:
		return log_opt(hc, v);
	case O_LOG_DRIVER: /* json-file or none: the daemon checks it with the options */
		set_str(obj(hc, "LogConfig"), "Type", v);
		return 0;
	case O_ADD_HOST:
		return add_host(hc, v);
	case O_DNS:
		if (!is_ip(v))
			return bad("--dns", v, "not an IPv4 or IPv6 address");
		push(hc, "Dns", v);
		return 0;
	case O_DNS_SEARCH:
		push(hc, "DnsSearch", v);
		return 0;
	case O_DNS_OPTION:
		push(hc, "DnsOptions", v);
		return 0;
	case O_SHM_SIZE:
		return size_opt(hc, "ShmSize", "--shm-size", v);
	case O_DEVICE:
		return device(hc, v);
	case O_PULL:
		if (strcmp(v, "always") && strcmp(v, "missing") && strcmp(v, "never"))
			return bad("--pull", v, "expected always, missing or never");
		ro->pull = v;
		return 0;
	case O_CIDFILE:
		ro->cidfile = v;
		return 0;
	case O_HEALTH_CMD:
	case O_HEALTH_INTERVAL:
	case O_HEALTH_TIMEOUT:
	case O_HEALTH_START_PERIOD:
	case O_HEALTH_RETRIES:
	case O_NO_HEALTHCHECK:
		return health_opt(cfg, c, v);
	default:
		return EXIT_DAEMON;
	}
}

/* getopt over opts, each option into ro; 0, 1 (help printed) or the exit code. */
static int options_loop(struct run_opts *ro, int argc, char **argv, const char *shortopts,
			const struct option *opts, const char *usage)
{
	int c;

	while ((c = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
		int rc;

		if (c == O_HELP) {
			ctl_usage(stdout, usage);
			return 1;
		}
		if (c == '?')
			return EXIT_DAEMON;
		rc = one_option(ro, c, optarg);
		if (rc)
			return rc;
	}
	return 0;
}

int run_opts_parse(struct run_opts *ro, int argc, char **argv, const char *usage)
{
	int rc;

	memset(ro, 0, sizeof(*ro));
	ro->req = cJSON_CreateObject();
	ro->cfg = cJSON_AddObjectToObject(ro->req, "Config");
	ro->hc = cJSON_AddObjectToObject(ro->req, "HostConfig");
	ro->detach_keys = "ctrl-p,ctrl-q";
	ro->pull = "missing";
	rc = options_loop(ro, argc, argv, "+dite:w:u:h:l:v:m:p:P", run_options, usage);
	if (rc)
		return rc;
	if (optind >= argc)
		return ctl_fail(EXIT_DAEMON, "%s needs an image (see 'berth %s --help')", argv[0],
				argv[0]);
	set_str(ro->cfg, "Image", argv[optind]);
	if (optind + 1 < argc) {
		cJSON *cmd = cJSON_AddArrayToObject(ro->cfg, "Cmd");

		for (int i = optind + 1; i < argc; i++)
			cJSON_AddItemToArray(cmd, cJSON_CreateString(argv[i]));
	}
	return 0;
}

static const struct option update_options[] = {
    {"memory", required_argument, NULL, 'm'},
    {"memory-swap", required_argument, NULL, O_MEMORY_SWAP},
    {"cpus", required_argument, NULL, O_CPUS},
    {"cpu-shares", required_argument, NULL, O_CPU_SHARES},
    {"cpuset-cpus", required_argument, NULL, O_CPUSET},
    {"pids-limit", required_argument, NULL, O_PIDS},
    {"restart", required_argument, NULL, O_RESTART},
    {"help", no_argument, NULL, O_HELP},
    {NULL, 0, NULL, 0},
};

int update_opts_parse(cJSON **changes, int argc, char **argv, const char *usage)
{
	struct run_opts ro = {0};
	int rc;

	*changes = cJSON_CreateObject();
	ro.hc = *changes; /* the options of run that update takes write only here */
	ro.cfg = ro.req = NULL;
	rc = options_loop(&ro, argc, argv, "+m:", update_options, usage);
	if (rc)
		return rc;
	if (!cJSON_GetArraySize(*changes))
		return ctl_fail(EXIT_DAEMON,
				"update needs at least one of --memory, --memory-swap, --cpus, "
				"--cpu-shares, --cpuset-cpus, --pids-limit or --restart");
	if (optind >= argc)
		return ctl_fail(EXIT_DAEMON, "update needs at least one container");
	return 0;
}

void run_opts_free(struct run_opts *ro)
{
	cJSON_Delete(ro->req);
	ro->req = NULL;
}
