/*
 * Checking a create request (Docker's shape: Config and HostConfig) before
 * anything is made for it. Each error names the option the user typed, so
 * "berth run -m 1k" says what is wrong with -m, not with a spec field.
 */
#include "config.h"

#include <arpa/inet.h>
#include <cap-ng.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/bindspec.h"
#include "common/cleanup.h"
#include "common/mac.h"
#include "common/signame.h"
#include "common/safepath.h"
#include "common/size.h"
#include "common/xalloc.h"
#include "containerd.h"
#include "shim/runtime.h"

#define MIN_MEMORY (6ll * 1024 * 1024)

static const cJSON *item(const cJSON *o, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(o, key);
}

static long long num(const cJSON *o, const char *key)
{
	const cJSON *v = item(o, key);

	return cJSON_IsNumber(v) ? (long long)v->valuedouble : 0;
}

static int check_memory(const cJSON *hc, struct err *err)
{
	long long mem = num(hc, "Memory"), swap = num(hc, "MemorySwap");

	if (mem < 0)
		return err_set(err, EINVAL, "invalid --memory: it cannot be negative");
	if (mem > 0 && mem < MIN_MEMORY)
		return err_set(err, EINVAL,
			       "invalid --memory %lld bytes: the minimum memory limit is 6 MiB",
			       mem);
	if (swap != 0 && swap != -1) {
		if (!mem)
			return err_set(err, EINVAL, "--memory-swap needs --memory as well");
		if (swap < mem)
			return err_set(
			    err, EINVAL,
			    "invalid --memory-swap: it must be at least --memory (memory "
			    "plus swap), or -1 for unlimited swap");
	}
	return 0;
}

static int check_cpus(const cJSON *hc, struct err *err)
{
	long long nano = num(hc, "NanoCpus"), shares = num(hc, "CpuShares");
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	const cJSON *set = item(hc, "CpusetCpus");

	if (nano < 0 || (nano > 0 && nano < 10000000) || nano > ncpu * 1000000000ll)
		return err_set(
		    err, EINVAL,
		    "invalid --cpus %.3f: the range is 0.01 to %ld.00, as this host has %ld "
		    "CPUs",
		    (double)nano / 1e9, ncpu, ncpu);
	if (shares < 0 || shares == 1 || shares > 262144)
		return err_set(err, EINVAL, "invalid --cpu-shares %lld: the range is 2 to 262144",
			       shares);
	if (cJSON_IsString(set) && set->valuestring[0]) {
		const char *p = set->valuestring;

		while (*p) {
			char *end;
			long a = strtol(p, &end, 10), b = a;

			if (end == p)
				goto bad_set;
			if (*end == '-') {
				p = end + 1;
				b = strtol(p, &end, 10);
				if (end == p || b < a)
					goto bad_set;
			}
			if (a < 0 || b >= ncpu)
				return err_set(
				    err, EINVAL,
				    "invalid --cpuset-cpus '%s': this host has CPUs 0-%ld",
				    set->valuestring, ncpu - 1);
			if (*end == ',')
				end++;
			else if (*end)
				goto bad_set;
			p = end;
		}
	}
	return 0;
bad_set:
	return err_set(err, EINVAL, "invalid --cpuset-cpus '%s': expected a list like 0-2,4",
		       set->valuestring);
}

static int check_volume_name(const char *name, struct err *err)
{
	if (name_check(name, err) < 0) {
		err_clear(err);
		return err_set(
		    err, EINVAL,
		    "invalid volume name '%s': a bind source must be an absolute path, a "
		    "volume name is [a-zA-Z0-9][a-zA-Z0-9_.-]+",
		    name);
	}
	return 0;
}

static int check_binds(const cJSON *hc, struct err *err)
{
	const cJSON *b;

	cJSON_ArrayForEach (b, item(hc, "Binds")) {
		struct bind_spec bs;
		struct stat st;
		int rc = 0;

		if (bind_spec_parse(cJSON_GetStringValue(b), &bs, err) < 0)
			return -err->code;
		if (bs.dst[0] != '/')
			rc = err_set(err, EINVAL,
				     "invalid volume destination '%s': it must be an absolute path",
				     bs.dst);
		else if (bs.volume)
			rc = check_volume_name(bs.src, err);
		/* missing: made at start, as Docker does for -v (never through a symlink) */
		else if (stat(bs.src, &st) < 0 && (errno != ENOENT || !path_is_clean(bs.src)))
			rc = err_sys(err, "invalid volume: bind source path %s", bs.src);
		else if (bs.nocopy)
			rc = err_set(err, EINVAL,
				     "invalid volume '%s': nocopy is for volumes, not host paths",
				     cJSON_GetStringValue(b));
		bind_spec_free(&bs);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int check_tmpfs(const cJSON *hc, struct err *err)
{
	const cJSON *t;

	cJSON_ArrayForEach (t, item(hc, "Tmpfs"))
		if (!t->string || t->string[0] != '/')
			return err_set(err, EINVAL,
				       "invalid --tmpfs '%s': the path must be absolute",
				       t->string ? t->string : "");
	return 0;
}

static const char *const ipc_sysctls[] = {
    "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
    "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
};

static int check_sysctls(const cJSON *hc, struct err *err)
{
	const char *net = cJSON_GetStringValue(item(hc, "NetworkMode"));
	bool own_net = !net || (strcmp(net, "host") && strncmp(net, "container:", 10));
	const cJSON *s;

	cJSON_ArrayForEach (s, item(hc, "Sysctls")) {
		const char *k = s->string;
		bool ok = false;

		if (!cJSON_IsString(s))
			return err_set(err, EINVAL, "--sysctl %s needs a value", k);
		for (size_t i = 0; i < sizeof(ipc_sysctls) / sizeof(ipc_sysctls[0]); i++)
			ok = ok || !strcmp(k, ipc_sysctls[i]);
		ok = ok || !strncmp(k, "fs.mqueue.", 10);
		if (!strncmp(k, "net.", 4)) {
			if (!own_net)
				return err_set(err, EINVAL,
					       "--sysctl %s is not allowed with --network %s: it "
					       "would change a namespace the container shares",
					       k, net);
			ok = true;
		}
		if (!ok)
			return err_set(
			    err, EINVAL,
			    "--sysctl %s is not allowed: only namespaced sysctls "
			    "(kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*, net.*) can "
			    "be set without changing the host",
			    k);
	}
	return 0;
}

static int check_caps(const cJSON *hc, const char *key, struct err *err)
{
	const cJSON *c;

	cJSON_ArrayForEach (c, item(hc, key)) {
		const char *n = cJSON_GetStringValue(c);

		if (!n)
			return err_set(err, EINVAL, "%s holds a non-string", key);
		if (!strcasecmp(n, "ALL"))
			continue;
		if (!strncasecmp(n, "CAP_", 4))
			n += 4;
		if (capng_name_to_capability(n) < 0)
			return err_set(err, EINVAL, "invalid --%s: unknown capability '%s'",
				       !strcmp(key, "CapAdd") ? "cap-add" : "cap-drop",
				       cJSON_GetStringValue(c));
	}
	return 0;
}

static int check_security_opts(const cJSON *hc, struct err *err)
{
	const cJSON *o;

	cJSON_ArrayForEach (o, item(hc, "SecurityOpt")) {
		const char *s = cJSON_GetStringValue(o);

		if (!s)
			return err_set(err, EINVAL, "SecurityOpt holds a non-string");
		if (!strcmp(s, "no-new-privileges") || !strcmp(s, "no-new-privileges:true") ||
		    !strcmp(s, "no-new-privileges=true") || !strcmp(s, "no-new-privileges:false") ||
		    !strcmp(s, "no-new-privileges=false") || !strcmp(s, "seccomp=unconfined"))
			continue;
		if (!strncmp(s, "seccomp=", 8)) {
			cleanup_cjson cJSON *prof = cJSON_Parse(s + 8);

			if (!cJSON_IsObject(prof))
				return err_set(
				    err, EINVAL,
				    "invalid --security-opt seccomp: the profile is not a "
				    "JSON object");
			if (seccomp_check(prof, err) < 0)
				return err_wrap(err, "invalid --security-opt seccomp profile");
			continue;
		}
		/* berth loads no AppArmor profile and sets no SELinux label: these ask for that */
		if (!strcmp(s, "apparmor=unconfined") || !strcmp(s, "apparmor:unconfined") ||
		    !strcmp(s, "label=disable") || !strcmp(s, "label:disable"))
			continue;
		if (!strncmp(s, "apparmor", 8) || !strncmp(s, "label", 5))
			return err_set(err, EINVAL,
				       "invalid --security-opt '%s': berth applies no AppArmor "
				       "profile and no SELinux label (apparmor=unconfined and "
				       "label=disable are accepted)",
				       s);
		return err_set(err, EINVAL,
			       "invalid --security-opt '%s': expected seccomp=FILE|unconfined, "
			       "no-new-privileges, apparmor=unconfined or label=disable",
			       s);
	}
	return 0;
}

static bool nonzero(const cJSON *hc, const char *key)
{
	const cJSON *v = item(hc, key);

	return (cJSON_IsNumber(v) && v->valuedouble != 0) ||
	       (cJSON_IsString(v) && *v->valuestring) || (cJSON_IsArray(v) && v->child) ||
	       (cJSON_IsObject(v) && v->child) || cJSON_IsTrue(v);
}

static bool string_in(const cJSON *hc, const char *key, const char *const *ok)
{
	const char *v = cJSON_GetStringValue(item(hc, key));

	if (!v || !*v)
		return true;
	for (; *ok; ok++)
		if (!strcmp(v, *ok))
			return true;
	return false;
}

/* What Docker's API can ask and berth does not have: refused naming it, never ignored. */
static int check_unsupported(const cJSON *hc, struct err *err)
{
	static const char *const runtimes[] = {"runc", "berth", "berth-runtime", NULL};
	static const char *const drivers[] = {"local", NULL}, *const isolation[] = {"default",
										    NULL};
	static const char *const user_ns[] = {"host", NULL};
	static const char *const cgroup_ns[] = {"host", "private", NULL};
	static const struct {
		const char *key, *why;
	} windows_only[] = {{"CpuCount", "--cpu-count"},
			    {"CpuPercent", "--cpu-percent"},
			    {"IOMaximumIOps", "--io-maxiops"},
			    {"IOMaximumBandwidth", "--io-maxbandwidth"}};

	if (!string_in(hc, "Runtime", runtimes))
		return err_set(err, EINVAL,
			       "unknown or invalid runtime name: %s (berth runs containers with "
			       "berth-runtime; runc is taken as that)",
			       cJSON_GetStringValue(item(hc, "Runtime")));
	if (nonzero(hc, "DeviceRequests"))
		return err_set(err, EINVAL,
			       "--gpus and other device requests are not supported: berth has no "
			       "device drivers (use --device for a device node)");
	if (nonzero(hc, "StorageOpt"))
		return err_set(err, EINVAL,
			       "--storage-opt is not supported: berth's overlay layers have no "
			       "per-container size quota");
	if (!string_in(hc, "VolumeDriver", drivers))
		return err_set(err, EINVAL,
			       "volume driver '%s' is not supported: berth has the local driver "
			       "only",
			       cJSON_GetStringValue(item(hc, "VolumeDriver")));
	if (!string_in(hc, "Isolation", isolation))
		return err_set(err, EINVAL, "invalid --isolation '%s': Linux has default only",
			       cJSON_GetStringValue(item(hc, "Isolation")));
	if (!string_in(hc, "UsernsMode", user_ns))
		return err_set(err, EINVAL,
			       "invalid --userns '%s': berth does not remap users; host is the "
			       "only mode",
			       cJSON_GetStringValue(item(hc, "UsernsMode")));
	if (!string_in(hc, "CgroupnsMode", cgroup_ns))
		return err_set(err, EINVAL,
			       "invalid --cgroupns '%s': private (the default) or host",
			       cJSON_GetStringValue(item(hc, "CgroupnsMode")));
	if (nonzero(hc, "CgroupParent"))
		return err_set(err, EINVAL,
			       "--cgroup-parent is not supported: every container's cgroup is "
			       "berth/ID");
	if (nonzero(hc, "KernelMemory") || nonzero(hc, "KernelMemoryTCP"))
		return err_set(err, EINVAL,
			       "--kernel-memory is not supported (the kernel deprecated it; "
			       "--memory counts kernel memory)");
	for (size_t i = 0; i < sizeof(windows_only) / sizeof(windows_only[0]); i++)
		if (nonzero(hc, windows_only[i].key))
			return err_set(err, EINVAL, "%s is for Windows containers only",
				       windows_only[i].why);
	return 0;
}

/* --pid, --ipc and --uts: the container's own namespace, or the host's. */
static int check_ns_modes(const cJSON *hc, struct err *err)
{
	static const struct {
		const char *key, *flag;
	} modes[] = {{"PidMode", "--pid"}, {"IpcMode", "--ipc"}, {"UTSMode", "--uts"}};

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		const char *m = cJSON_GetStringValue(item(hc, modes[i].key));

		/* Docker's own words for the container's own IPC namespace */
		if (!m || !*m || !strcmp(m, "host") ||
		    (i == 1 && (!strcmp(m, "private") || !strcmp(m, "shareable"))))
			continue;
		/* another container's (joins.c checks it is there) */
		if (i < 2 && join_mode(hc, modes[i].key))
			continue;
		return err_set(err, EINVAL, "invalid %s '%s': the container's own, host%s",
			       modes[i].flag, m, i < 2 ? " or container:NAME" : "");
	}
	return 0;
}

static int check_restart(const cJSON *hc, struct err *err)
{
	const cJSON *rp = item(hc, "RestartPolicy");
	const char *n = cJSON_GetStringValue(item(rp, "Name"));

	if (!n || !*n || !strcmp(n, "no"))
		return 0;
	if (strcmp(n, "always") && strcmp(n, "unless-stopped") && strcmp(n, "on-failure"))
		return err_set(err, EINVAL,
			       "invalid --restart '%s': expected no, always, unless-stopped or "
			       "on-failure[:N]",
			       n);
	if (num(rp, "MaximumRetryCount") && strcmp(n, "on-failure"))
		return err_set(err, EINVAL, "--restart %s takes no retry count", n);
	if (num(rp, "MaximumRetryCount") < 0)
		return err_set(err, EINVAL, "--restart on-failure: the count cannot be negative");
	if (cJSON_IsTrue(item(hc, "AutoRemove")))
		return err_set(err, EINVAL, "--restart %s and --rm conflict", n);
	return 0;
}

static int check_network(struct cd *cd, const cJSON *hc, struct err *err)
{
	const char *n = cJSON_GetStringValue(item(hc, "NetworkMode"));
	const cJSON *pb = item(hc, "PortBindings");
	const char *ip = cJSON_GetStringValue(item(hc, "IPv4Address"));
	const char *mac = cJSON_GetStringValue(item(hc, "MacAddress"));
	bool own =
	    !n || !*n || (strcmp(n, "none") && strcmp(n, "host") && strncmp(n, "container:", 10));
	/* a network made with network create, not the default bridge */
	bool user_net = own && n && *n && strcmp(n, "default") && strcmp(n, "bridge");

	if (cJSON_GetArraySize(pb) > 0 && !own)
		return err_set(err, EINVAL,
			       "published ports (-p) need a bridge network, not --network %s", n);
	if (ip && *ip && net_address_check(n, ip, err) < 0)
		return -err->code;
	if (mac && *mac) {
		uint8_t bytes[6];

		if (mac_parse(mac, bytes) < 0)
			return err_set(err, EINVAL,
				       "invalid --mac-address '%s': six hex bytes such as "
				       "02:42:ac:11:00:02, of a unicast address",
				       mac);
		if (!own)
			return err_set(err, EINVAL,
				       "--mac-address needs a network of the container's own, not "
				       "--network %s",
				       n);
	}
	if (!user_net)
		return 0;
	if (net_exists(cd, n, err) < 0)
		return err_wrap(err, "--network %s", n);
	return 0;
}

static int check_pids(const cJSON *hc, struct err *err)
{
	if (num(hc, "PidsLimit") < -1)
		return err_set(err, EINVAL, "invalid --pids-limit: use -1 for unlimited");
	return 0;
}

/*
 * --log-driver and --log-opt (Docker's LogConfig): json-file with max-size
 * (a size such as 10m, the file rotated past it) and max-file (how many
 * files, 1 to 100), or none (no log kept; attach still sees the output).
 * Anything else is refused, not ignored.
 */
static int check_log(const cJSON *lc, struct err *err)
{
	const char *type = cJSON_GetStringValue(item(lc, "Type"));
	const cJSON *o;

	if (type && *type && strcmp(type, "json-file") && strcmp(type, "none"))
		return err_set(err, EINVAL,
			       "log driver '%s' is not supported: berth logs in json-file, or not "
			       "at all (none)",
			       type);
	if (type && !strcmp(type, "none") && cJSON_GetArraySize(item(lc, "Config")) > 0)
		return err_set(err, EINVAL,
			       "unknown log opt '%s' for the none log driver (it takes none)",
			       item(lc, "Config")->child->string);
	cJSON_ArrayForEach (o, item(lc, "Config")) {
		const char *v = cJSON_GetStringValue(o);
		long long n;
		char *end;

		if (!v)
			return err_set(err, EINVAL, "invalid --log-opt %s: a string is expected",
				       o->string);
		if (!strcmp(o->string, "max-size")) {
			if (size_parse(v, &n) < 0 || n < 4096)
				return err_set(err, EINVAL,
					       "invalid --log-opt max-size=%s: a size of at least "
					       "4096 bytes, such as 10m",
					       v);
		} else if (!strcmp(o->string, "max-file")) {
			n = strtoll(v, &end, 10);
			if (end == v || *end || n < 1 || n > 100)
				return err_set(err, EINVAL,
					       "invalid --log-opt max-file=%s: 1 to 100", v);
		} else {
			return err_set(
			    err, EINVAL,
			    "unknown log opt '%s' for the json-file log driver (it takes "
			    "max-size and max-file)",
			    o->string);
		}
	}
	return 0;
}

/* --hostname and --domainname: what the kernel takes (64 bytes), as a DNS name. */
static int check_uts_names(const cJSON *cfg, struct err *err)
{
	static const char *const keys[] = {"Hostname", "Domainname"};
	static const char *const opts[] = {"--hostname", "--domainname"};

	for (int i = 0; i < 2; i++) {
		const char *v = cJSON_GetStringValue(item(cfg, keys[i]));

		if (!v || !*v)
			continue;
		if (!host_name_valid(v, 64))
			return err_set(err, EINVAL,
				       "invalid %s '%s': at most 64 letters, digits, '.', '-' and "
				       "'_', not starting with '.' or '-'",
				       opts[i], v);
	}
	return 0;
}

static int check_misc(const cJSON *cfg, const cJSON *hc, struct err *err)
{
	const char *sig = cJSON_GetStringValue(item(cfg, "StopSignal"));
	const cJSON *u;

	if (sig && signal_parse(sig) < 0)
		return err_set(err, EINVAL, "invalid --stop-signal '%s'", sig);
	if (check_pids(hc, err) < 0 || check_uts_names(cfg, err) < 0)
		return -err->code;
	cJSON_ArrayForEach (u, item(hc, "Ulimits")) {
		if (num(u, "Soft") > num(u, "Hard") && num(u, "Hard") >= 0)
			return err_set(err, EINVAL,
				       "invalid --ulimit %s: the soft limit exceeds the hard one",
				       cJSON_GetStringValue(item(u, "Name")));
	}
	return check_log(item(hc, "LogConfig"), err);
}

static bool is_ip(const char *v)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return v && (inet_pton(AF_INET, v, buf) == 1 || inet_pton(AF_INET6, v, buf) == 1);
}

/* A word that goes into /etc/hosts or /etc/resolv.conf: nothing that could add a line. */
static bool is_word(const char *v)
{
	if (!v || !*v || strlen(v) > 255)
		return false;
	for (; *v; v++)
		if (isspace((unsigned char)*v) || iscntrl((unsigned char)*v) || *v == '#')
			return false;
	return true;
}

/* --add-host, --dns, --dns-search, --dns-option. */
static int check_etc(const cJSON *hc, struct err *err)
{
	const cJSON *v;

	cJSON_ArrayForEach (v, item(hc, "ExtraHosts")) {
		const char *s = cJSON_GetStringValue(v), *colon = s ? strchr(s, ':') : NULL;
		cleanup_free char *name = colon ? xstrndup(s, (size_t)(colon - s)) : NULL;

		if (!colon || !is_word(name) || !is_ip(colon + 1))
			return err_set(err, EINVAL, "invalid --add-host '%s': expected NAME:IP",
				       s ? s : "");
	}
	cJSON_ArrayForEach (v, item(hc, "Dns"))
		if (!is_ip(cJSON_GetStringValue(v)))
			return err_set(err, EINVAL, "invalid --dns '%s': not an IP address",
				       cJSON_GetStringValue(v) ?: "");
	cJSON_ArrayForEach (v, item(hc, "DnsSearch"))
		if (!is_word(cJSON_GetStringValue(v)))
			return err_set(err, EINVAL, "invalid --dns-search '%s': one domain",
				       cJSON_GetStringValue(v) ?: "");
	cJSON_ArrayForEach (v, item(hc, "DnsOptions"))
		if (!is_word(cJSON_GetStringValue(v)))
			return err_set(err, EINVAL, "invalid --dns-option '%s': one option",
				       cJSON_GetStringValue(v) ?: "");
	if (num(hc, "ShmSize") < 0 || (num(hc, "ShmSize") > 0 && num(hc, "ShmSize") < 4096))
		return err_set(err, EINVAL, "invalid --shm-size: at least 4096 bytes");
	return 0;
}

/* --device: a host device node, a container path, permissions. */
static int check_devices(const cJSON *hc, struct err *err)
{
	const cJSON *d;

	cJSON_ArrayForEach (d, item(hc, "Devices")) {
		const char *host = cJSON_GetStringValue(item(d, "PathOnHost"));
		const char *ctr = cJSON_GetStringValue(item(d, "PathInContainer"));
		const char *perms = cJSON_GetStringValue(item(d, "CgroupPermissions"));
		struct stat st;

		if (!host || host[0] != '/')
			return err_set(err, EINVAL,
				       "invalid --device: the host path must be absolute");
		if (stat(host, &st) < 0)
			return err_set(err, errno == ENOENT ? ENOENT : EINVAL,
				       "invalid --device %s: %s", host, strerror(errno));
		if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
			return err_set(err, EINVAL,
				       "invalid --device %s: not a character or block device",
				       host);
		if (ctr && (ctr[0] != '/' || strstr(ctr, "/../") || !strcmp(ctr, "/") ||
			    !strncmp(ctr, "/proc", 5) || !strncmp(ctr, "/sys", 4)))
			return err_set(err, EINVAL,
				       "invalid --device %s: the container path '%s' must be an "
				       "absolute path outside /proc and /sys",
				       host, ctr);
		if (perms && (!*perms || strspn(perms, "rwm") != strlen(perms)))
			return err_set(err, EINVAL,
				       "invalid --device %s: permissions are some of r, w and m",
				       host);
	}
	return 0;
}

int options_check(struct cd *cd, cJSON *req, struct err *err)
{
	const cJSON *cfg = item(req, "Config"), *hc = item(req, "HostConfig");
	const char *image = cJSON_GetStringValue(item(cfg, "Image"));
	const char *name = cJSON_GetStringValue(item(req, "Name"));

	if (!cJSON_IsObject(cfg) || !image || !*image)
		return err_set(err, EINVAL, "container.create needs Config.Image");
	if (!cJSON_IsObject(hc)) {
		cJSON_AddItemToObject(req, "HostConfig", cJSON_CreateObject());
		hc = item(req, "HostConfig");
	}
	/* Config.NetworkDisabled (the SDKs' network_disabled): no network but loopback */
	if (cJSON_IsTrue(item(cfg, "NetworkDisabled"))) {
		const char *mode = cJSON_GetStringValue(item(hc, "NetworkMode"));

		if (mode && *mode && strcmp(mode, "default") && strcmp(mode, "bridge") &&
		    strcmp(mode, "none"))
			return err_set(err, EINVAL,
				       "NetworkDisabled contradicts the network mode '%s'", mode);
		cJSON_DeleteItemFromObjectCaseSensitive((cJSON *)hc, "NetworkMode");
		cJSON_AddStringToObject((cJSON *)hc, "NetworkMode", "none");
	}
	if (name && *name) {
		struct ctr *other;

		if (name_check(name, err) < 0)
			return -err->code;
		if ((other = ctr_by_name(cd, name)))
			return err_set(err, EEXIST,
				       "the container name \"/%s\" is already in use by container "
				       "%.12s: remove or rename that container first",
				       name[0] == '/' ? name + 1 : name, other->id);
	}
	if (check_memory(hc, err) < 0 || check_cpus(hc, err) < 0 || check_binds(hc, err) < 0 ||
	    check_tmpfs(hc, err) < 0 || check_sysctls(hc, err) < 0 ||
	    check_caps(hc, "CapAdd", err) < 0 || check_caps(hc, "CapDrop", err) < 0 ||
	    check_security_opts(hc, err) < 0 || check_restart(hc, err) < 0 ||
	    check_ns_modes(hc, err) < 0 || check_network(cd, hc, err) < 0 ||
	    check_misc(cfg, hc, err) < 0 || check_etc(hc, err) < 0 || check_devices(hc, err) < 0 ||
	    check_unsupported(hc, err) < 0 || resources_check(hc, err) < 0 ||
	    links_check(cd, hc, err) < 0 || joins_check(cd, hc, err) < 0)
		return -err->code;
	return 0;
}

int options_check_update(const cJSON *hc, struct err *err)
{
	if (check_memory(hc, err) < 0 || check_cpus(hc, err) < 0 || check_pids(hc, err) < 0 ||
	    check_restart(hc, err) < 0)
		return -err->code;
	return 0;
}
