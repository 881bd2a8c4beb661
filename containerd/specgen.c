/*
 * The OCI runtime spec of a container: Docker's defaults (14 capabilities,
 * the default seccomp profile, masked and read-only paths, /dev/shm 64 MiB,
 * the etc files) plus what the user asked in Config and HostConfig. Nothing
 * security-relevant is ever taken from the image: only Env, Cmd,
 * Entrypoint, WorkingDir, User, StopSignal, Labels and ExposedPorts are.
 */
#include "config.h"

#include <cap-ng.h>
#include <ctype.h>
#include <linux/capability.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/atomicfile.h"
#include "common/bindspec.h"
#include "common/cleanup.h"
#include "common/safepath.h"
#include "common/xalloc.h"
#include "containerd.h"

static const char *const default_caps[] = {
    "CHOWN",  "DAC_OVERRIDE", "FSETID",	 "FOWNER",	     "MKNOD",	   "NET_RAW", "SETGID",
    "SETUID", "SETFCAP",      "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL",    "AUDIT_WRITE",
};

static const char *const masked_paths[] = {
    "/proc/asound",
    "/proc/acpi",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
};

static const char *const readonly_paths[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

static const cJSON *item(const cJSON *o, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(o, key);
}

static cJSON *strings(const char *const *v, size_t n)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
	return a;
}

static void add_mount(cJSON *mounts, const char *dst, const char *type, const char *src,
		      const char *opts)
{
	cJSON *m = cJSON_CreateObject(), *o = cJSON_AddArrayToObject(m, "options");
	cleanup_free char *copy = xstrdup(opts);
	char *save = NULL;

	cJSON_AddStringToObject(m, "destination", dst);
	cJSON_AddStringToObject(m, "type", type);
	cJSON_AddStringToObject(m, "source", src);
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
		cJSON_AddItemToArray(o, cJSON_CreateString(t));
	cJSON_AddItemToArray(mounts, m);
}

/* ---- capabilities ---- */

static bool cap_in(const cJSON *list, const char *name)
{
	const cJSON *c;

	cJSON_ArrayForEach (c, list) {
		const char *n = cJSON_GetStringValue(c);

		if (!n)
			continue;
		if (!strncasecmp(n, "CAP_", 4))
			n += 4;
		if (!strcasecmp(n, name) || !strcasecmp(n, "ALL"))
			return true;
	}
	return false;
}

/* The kernel's last capability: headers may know newer ones than it does. */
static int cap_last(void)
{
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	int last = CAP_LAST_CAP;

	if (f) {
		if (fscanf(f, "%d", &last) != 1 || last > CAP_LAST_CAP)
			last = CAP_LAST_CAP;
		fclose(f);
	}
	return last;
}

static cJSON *capability_list(const cJSON *hc)
{
	bool privileged = cJSON_IsTrue(item(hc, "Privileged"));
	const cJSON *add = item(hc, "CapAdd"), *drop = item(hc, "CapDrop");
	cJSON *a = cJSON_CreateArray();

	int last = cap_last();

	for (int c = 0; c <= last; c++) {
		const char *name = capng_capability_to_name((unsigned)c);
		bool def = false;
		char buf[64];

		/* what we do not hold (here, maybe CAP_SYS_RESOURCE) no container gets */
		if (!name || prctl(PR_CAPBSET_READ, c, 0, 0, 0) != 1)
			continue;
		snprintf(buf, sizeof(buf), "%s", name);
		for (char *p = buf; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		for (size_t i = 0; i < sizeof(default_caps) / sizeof(default_caps[0]); i++)
			def = def || !strcmp(buf, default_caps[i]);
		/* --cap-drop ALL --cap-add X leaves X alone, as with Docker */
		if (!privileged && !cap_in(add, buf) && !(def && !cap_in(drop, buf)))
			continue;
		{
			char *full = xasprintf("CAP_%s", buf);

			cJSON_AddItemToArray(a, cJSON_CreateString(full));
			free(full);
		}
	}
	return a;
}

static void add_capabilities(cJSON *proc, const cJSON *hc, bool root_user)
{
	cJSON *caps = cJSON_AddObjectToObject(proc, "capabilities");
	cJSON *list = capability_list(hc);

	cJSON_AddItemToObject(caps, "bounding", cJSON_Duplicate(list, true));
	cJSON_AddItemToObject(caps, "permitted", cJSON_Duplicate(list, true));
	/* a non-root user starts without effective capabilities, as with Docker */
	if (root_user)
		cJSON_AddItemToObject(caps, "effective", list);
	else
		cJSON_Delete(list);
}

/* ---- the user, resolved in the container's own /etc/passwd and /etc/group ---- */

struct user {
	long uid, gid;
	char *home;
	long groups[32];
	int ngroups;
};

static FILE *open_etc(int rootfd, const char *path)
{
	struct err err = ERR_INIT;
	int fd = open_in_root(rootfd, path, O_RDONLY | O_CLOEXEC, 0, &err);

	err_clear(&err);
	return fd < 0 ? NULL : fdopen(fd, "r");
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static int lookup_passwd(int rootfd, const char *name, struct user *u, struct err *err)
{
	cleanup_fclose FILE *f = open_etc(rootfd, "/etc/passwd");
	char line[1024];
	bool numeric = all_digits(name);

	if (numeric)
		u->uid = strtol(name, NULL, 10);
	while (f && fgets(line, sizeof(line), f)) {
		char *fields[7] = {0}, *save = NULL, *p = line;
		int n = 0;

		line[strcspn(line, "\n")] = '\0';
		for (char *t; n < 7 && (t = strsep(&p, ":"));)
			fields[n++] = t;
		(void)save;
		if (n < 7)
			continue;
		if (numeric ? strtol(fields[2], NULL, 10) == u->uid : !strcmp(fields[0], name)) {
			u->uid = strtol(fields[2], NULL, 10);
			u->gid = strtol(fields[3], NULL, 10);
			free(u->home);
			u->home = xstrdup(fields[5]);
			return 0;
		}
	}
	if (numeric)
		return 0;
	return err_set(err, ENOENT,
		       "unable to find user %s: no matching entries in the image's /etc/passwd",
		       name);
}

/* The group by name or number, and the supplementary groups of the user. */
static int lookup_group(int rootfd, const char *group, const char *user, struct user *u,
			struct err *err)
{
	cleanup_fclose FILE *f = open_etc(rootfd, "/etc/group");
	char line[4096];
	bool found = !group || all_digits(group);

	if (group && all_digits(group))
		u->gid = strtol(group, NULL, 10);
	while (f && fgets(line, sizeof(line), f)) {
		char *fields[4] = {0}, *p = line, *m;
		int n = 0;

		line[strcspn(line, "\n")] = '\0';
		for (char *t; n < 4 && (t = strsep(&p, ":"));)
			fields[n++] = t;
		if (n < 4)
			continue;
		if (group && !found && !strcmp(fields[0], group)) {
			u->gid = strtol(fields[2], NULL, 10);
			found = true;
		}
		for (char *list = fields[3]; user && (m = strsep(&list, ","));)
			if (!strcmp(m, user) && u->ngroups < 32)
				u->groups[u->ngroups++] = strtol(fields[2], NULL, 10);
	}
	if (!found)
		return err_set(err, ENOENT,
			       "unable to find group %s: no matching entries in the image's "
			       "/etc/group",
			       group);
	return 0;
}

static int resolve_user(int rootfd, const char *spec, struct user *u, struct err *err)
{
	cleanup_free char *copy = xstrdup(spec && *spec ? spec : "0");
	char *group = strchr(copy, ':');

	if (group)
		*group++ = '\0';
	if (lookup_passwd(rootfd, copy, u, err) < 0)
		return -err->code;
	return lookup_group(rootfd, group, all_digits(copy) ? NULL : copy, u, err);
}

/* --group-add: each group, a number or a name in the image's /etc/group, joins the others. */
static int add_groups(int rootfd, const cJSON *hc, struct user *u, struct err *err)
{
	const cJSON *g;

	cJSON_ArrayForEach (g, item(hc, "GroupAdd")) {
		struct user tmp = {0};
		const char *name = cJSON_GetStringValue(g);

		if (lookup_group(rootfd, name, NULL, &tmp, err) < 0)
			return err_wrap(err, "--group-add");
		if (u->ngroups >= 32)
			return err_set(err, E2BIG, "--group-add: more than 32 groups");
		u->groups[u->ngroups++] = tmp.gid;
	}
	return 0;
}

/* ---- process ---- */

static bool env_has(const cJSON *env, const char *key)
{
	const cJSON *e;
	size_t n = strlen(key);

	cJSON_ArrayForEach (e, env) {
		const char *s = cJSON_GetStringValue(e);

		if (s && !strncmp(s, key, n) && s[n] == '=')
			return true;
	}
	return false;
}

static cJSON *make_env(const cJSON *cfg, const struct user *u, bool tty)
{
	cJSON *env = cJSON_Duplicate(item(cfg, "Env"), true);

	if (!cJSON_IsArray(env)) {
		cJSON_Delete(env);
		env = cJSON_CreateArray();
	}
	if (!env_has(env, "PATH"))
		cJSON_AddItemToArray(env, cJSON_CreateString("PATH=/usr/local/sbin:/usr/local/bin:"
							     "/usr/sbin:/usr/bin:/sbin:/bin"));
	if (!env_has(env, "HOSTNAME")) {
		const char *h = cJSON_GetStringValue(item(cfg, "Hostname"));
		char *s = xasprintf("HOSTNAME=%s", h ? h : "");

		cJSON_AddItemToArray(env, cJSON_CreateString(s));
		free(s);
	}
	if (tty && !env_has(env, "TERM"))
		cJSON_AddItemToArray(env, cJSON_CreateString("TERM=xterm"));
	if (!env_has(env, "HOME")) {
		char *s = xasprintf("HOME=%s", u->home && *u->home ? u->home : "/");

		cJSON_AddItemToArray(env, cJSON_CreateString(s));
		free(s);
	}
	return env;
}

static cJSON *make_args(const cJSON *cfg, bool init, const char *init_path)
{
	cJSON *args = cJSON_CreateArray(), *x;

	(void)init_path;
	if (init)
		cJSON_AddItemToArray(args, cJSON_CreateString("/sbin/berth-init"));
	cJSON_ArrayForEach (x, item(cfg, "Entrypoint"))
		cJSON_AddItemToArray(args, cJSON_Duplicate(x, false));
	cJSON_ArrayForEach (x, item(cfg, "Cmd"))
		cJSON_AddItemToArray(args, cJSON_Duplicate(x, false));
	return args;
}

static void add_rlimits(cJSON *proc, const cJSON *hc)
{
	const cJSON *u;
	cJSON *rl = NULL;

	cJSON_ArrayForEach (u, item(hc, "Ulimits")) {
		cJSON *r = cJSON_CreateObject();
		char *type = xasprintf("RLIMIT_%s", cJSON_GetStringValue(item(u, "Name")) ?: "");

		for (char *p = type; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		if (!rl)
			rl = cJSON_AddArrayToObject(proc, "rlimits");
		cJSON_AddStringToObject(r, "type", type);
		cJSON_AddNumberToObject(r, "soft", cJSON_GetNumberValue(item(u, "Soft")));
		cJSON_AddNumberToObject(r, "hard", cJSON_GetNumberValue(item(u, "Hard")));
		cJSON_AddItemToArray(rl, r);
		free(type);
	}
}

static bool no_new_privs(const cJSON *hc)
{
	const cJSON *o;
	bool nnp = false;

	cJSON_ArrayForEach (o, item(hc, "SecurityOpt")) {
		const char *s = cJSON_GetStringValue(o);

		if (s && !strncmp(s, "no-new-privileges", 17))
			nnp = !strstr(s, "false");
	}
	return nnp;
}

static void add_user(cJSON *proc, const struct user *u)
{
	cJSON *user = cJSON_AddObjectToObject(proc, "user");

	cJSON_AddNumberToObject(user, "uid", (double)u->uid);
	cJSON_AddNumberToObject(user, "gid", (double)u->gid);
	if (u->ngroups) {
		cJSON *g = cJSON_AddArrayToObject(user, "additionalGids");

		for (int i = 0; i < u->ngroups; i++)
			cJSON_AddItemToArray(g, cJSON_CreateNumber((double)u->groups[i]));
	}
}

static cJSON *make_process(struct ctr *k, const struct user *u)
{
	const cJSON *cfg = ctr_cfg(k, "Config", NULL), *hc = ctr_cfg(k, "HostConfig", NULL);
	const char *cwd = cJSON_GetStringValue(item(cfg, "WorkingDir"));
	bool tty = cJSON_IsTrue(item(cfg, "Tty"));
	cJSON *proc = cJSON_CreateObject();

	cJSON_AddBoolToObject(proc, "terminal", tty);
	add_user(proc, u);
	cJSON_AddItemToObject(proc, "args",
			      make_args(cfg, cJSON_IsTrue(item(hc, "Init")), k->cd->init_path));
	cJSON_AddItemToObject(proc, "env", make_env(cfg, u, tty));
	cJSON_AddStringToObject(proc, "cwd", cwd && *cwd ? cwd : "/");
	add_capabilities(proc, hc, u->uid == 0);
	add_rlimits(proc, hc);
	if (cJSON_IsNumber(item(hc, "OomScoreAdj")) && item(hc, "OomScoreAdj")->valuedouble != 0)
		cJSON_AddNumberToObject(proc, "oomScoreAdj", item(hc, "OomScoreAdj")->valuedouble);
	cJSON_AddBoolToObject(proc, "noNewPrivileges", no_new_privs(hc));
	return proc;
}

/* ---- mounts ---- */

/* HostConfig's mode for a namespace is "host": the container shares the host's. */
static bool host_ns(const cJSON *hc, const char *key)
{
	const char *m = cJSON_GetStringValue(item(hc, key));

	return m && !strcmp(m, "host");
}

/* The host side /dev/shm of a shareable container, this one's or the one it joins; or NULL. */
static char *shareable_shm(struct ctr *k, const cJSON *hc)
{
	const char *mode = cJSON_GetStringValue(item(hc, "IpcMode"));
	struct ctr *donor = join_target_ctr(k->cd, hc, "IpcMode");

	if (mode && !strcmp(mode, "shareable"))
		return xasprintf("%s/%s/shm", k->cd->run_dir, k->id);
	return donor ? xasprintf("%s/%s/shm", k->cd->run_dir, donor->id) : NULL;
}

static void add_default_mounts(cJSON *mounts, const cJSON *hc, struct ctr *k)
{
	bool priv = cJSON_IsTrue(item(hc, "Privileged"));

	add_mount(mounts, "/proc", "proc", "proc", "nosuid,noexec,nodev");
	add_mount(mounts, "/dev", "tmpfs", "tmpfs", "nosuid,strictatime,mode=755,size=65536k");
	add_mount(mounts, "/dev/pts", "devpts", "devpts",
		  "nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5");
	add_mount(mounts, "/sys", "sysfs", "sysfs",
		  priv ? "nosuid,noexec,nodev,rw" : "nosuid,noexec,nodev,ro");
	add_mount(mounts, "/sys/fs/cgroup", "cgroup", "cgroup",
		  priv ? "nosuid,noexec,nodev,relatime,rw" : "nosuid,noexec,nodev,relatime,ro");
	add_mount(mounts, "/dev/mqueue", "mqueue", "mqueue", "nosuid,noexec,nodev");
	{
		/* --shm-size, 64 MiB by default as with Docker */
		double shm = cJSON_GetNumberValue(item(hc, "ShmSize"));
		char *opts = xasprintf("nosuid,noexec,nodev,mode=1777,size=%lld",
				       shm > 0 ? (long long)shm : 67108864ll);
		cleanup_free char *shared = shareable_shm(k, hc);

		/* the host's IPC namespace: its /dev/shm too, as Docker does; a shareable one's
		 * or another container's: the tmpfs containerd mounted for it */
		if (host_ns(hc, "IpcMode")) {
			add_mount(mounts, "/dev/shm", "bind", "/dev/shm", "rbind,rprivate");
		} else if (shared) {
			add_mount(mounts, "/dev/shm", "bind", shared, "rbind,rprivate");
		} else {
			add_mount(mounts, "/dev/shm", "tmpfs", "shm", opts);
		}
		free(opts);
	}
}

static void add_etc_mounts(cJSON *mounts, struct ctr *k)
{
	static const char *const files[] = {"resolv.conf", "hostname", "hosts"};
	cleanup_free char *dir = ctr_dir(k);

	for (size_t i = 0; i < 3; i++) {
		char *src = xasprintf("%s/%s", dir, files[i]);
		char *dst = xasprintf("/etc/%s", files[i]);

		add_mount(mounts, dst, "bind", src, "rbind,rprivate");
		free(src);
		free(dst);
	}
}

static char *volume_data(struct cd *cd, const char *name)
{
	return xasprintf("%s/%s/_data", cd->vol_dir, name);
}

static int add_user_mounts(cJSON *mounts, struct ctr *k, struct err *err)
{
	const cJSON *hc = ctr_cfg(k, "HostConfig", NULL), *b;

	cJSON_ArrayForEach (b, item(hc, "Binds")) {
		cleanup_free char *src = NULL;
		struct bind_spec bs;
		bool nofollow = false;

		if (bind_spec_parse(cJSON_GetStringValue(b), &bs, err) < 0)
			return -err->code;
		if (!bs.volume) {
			/* -v of a missing host path: made, as Docker does, never through a symlink
			 */
			if (access(bs.src, F_OK) < 0 && errno == ENOENT &&
			    mkdir_nofollow(bs.src, 0755, err) < 0) {
				err_wrap(err, "bind source path %s", bs.src);
				bind_spec_free(&bs);
				return -err->code;
			}
			/* resolved now, checked against the policy at this start; the runtime then
			 * refuses a symlink swapped into it since (src-nofollow) */
			src = realpath(bs.src, NULL);
			if (!src)
				src = xstrdup(bs.src);
			else
				nofollow = true;
		} else {
			src = volume_data(k->cd, bs.src);
			if (volume_ensure(k->cd, bs.src, NULL, false, err) < 0 ||
			    (!bs.nocopy && volume_fill(k, bs.src, bs.dst, err) < 0)) {
				bind_spec_free(&bs);
				return -err->code;
			}
		}
		add_mount(mounts, bs.dst, "bind", src,
			  nofollow ? (bs.ro ? "rbind,rprivate,ro,src-nofollow"
					    : "rbind,rprivate,src-nofollow")
				   : (bs.ro ? "rbind,rprivate,ro" : "rbind,rprivate"));
		bind_spec_free(&bs);
	}
	cJSON_ArrayForEach (b, item(hc, "Tmpfs")) {
		const char *o = cJSON_GetStringValue(b);
		char *opts = xasprintf("nosuid,nodev,noexec%s%s", o && *o ? "," : "", o ? o : "");

		add_mount(mounts, b->string, "tmpfs", "tmpfs", opts);
		free(opts);
	}
	return 0;
}

/* ---- linux ---- */

static void add_namespaces(cJSON *lx, const cJSON *hc, struct cd *cd)
{
	static const char *const kinds[] = {"pid", "ipc", "uts", "mount", "cgroup", "network"};
	static const char *const modes[] = {"PidMode", "IpcMode",      "UTSMode",
					    NULL,      "CgroupnsMode", "NetworkMode"};
	cJSON *ns = cJSON_AddArrayToObject(lx, "namespaces");

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		cleanup_free char *path = modes[i] ? join_ns_path(cd, hc, modes[i]) : NULL;
		cJSON *o;

		if (modes[i] && host_ns(hc, modes[i]))
			continue;
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "type", kinds[i]);
		/* another container's (--network/--pid/--ipc container:NAME, running: checked) */
		if (path)
			cJSON_AddStringToObject(o, "path", path);
		cJSON_AddItemToArray(ns, o);
	}
}

static cJSON *seccomp_profile(struct cd *cd, const cJSON *hc, struct err *err)
{
	const cJSON *o;
	cleanup_free char *text = NULL;

	if (cJSON_IsTrue(item(hc, "Privileged")))
		return NULL;
	cJSON_ArrayForEach (o, item(hc, "SecurityOpt")) {
		const char *s = cJSON_GetStringValue(o);

		if (s && !strcmp(s, "seccomp=unconfined"))
			return NULL;
		if (s && !strncmp(s, "seccomp=", 8))
			return cJSON_Parse(s + 8);
	}
	if (read_file_at(AT_FDCWD, cd->seccomp_path, 1 << 22, &text, NULL, err) < 0) {
		err_wrap(err, "the default seccomp profile");
		return NULL;
	}
	return cJSON_Parse(text);
}

/*
 * --device: each host device node (looked up now: its type and numbers) made
 * in the container by the runtime, and allowed with its permissions.
 */
static int add_devices(cJSON *lx, const cJSON *hc, struct err *err)
{
	const cJSON *d;
	cJSON *nodes = NULL,
	      *rules = cJSON_GetObjectItem(cJSON_GetObjectItem(lx, "resources"), "devices");

	cJSON_ArrayForEach (d, item(hc, "Devices")) {
		const char *host = cJSON_GetStringValue(item(d, "PathOnHost"));
		const char *ctr = cJSON_GetStringValue(item(d, "PathInContainer"));
		const char *perms = cJSON_GetStringValue(item(d, "CgroupPermissions"));
		char type[2] = "c";
		cJSON *n, *r;
		struct stat st;

		if (!host || stat(host, &st) < 0 || !(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)))
			return err_set(err, ENODEV, "--device %s: not a device on this host",
				       host ? host : "");
		type[0] = S_ISBLK(st.st_mode) ? 'b' : 'c';
		if (!nodes)
			nodes = cJSON_AddArrayToObject(lx, "devices");
		n = cJSON_CreateObject();
		cJSON_AddStringToObject(n, "path", ctr ? ctr : host);
		cJSON_AddStringToObject(n, "type", type);
		cJSON_AddNumberToObject(n, "major", major(st.st_rdev));
		cJSON_AddNumberToObject(n, "minor", minor(st.st_rdev));
		cJSON_AddNumberToObject(n, "fileMode", st.st_mode & 07777);
		cJSON_AddNumberToObject(n, "uid", st.st_uid);
		cJSON_AddNumberToObject(n, "gid", st.st_gid);
		cJSON_AddItemToArray(nodes, n);
		r = cJSON_CreateObject();
		cJSON_AddBoolToObject(r, "allow", true);
		cJSON_AddStringToObject(r, "type", type);
		cJSON_AddNumberToObject(r, "major", major(st.st_rdev));
		cJSON_AddNumberToObject(r, "minor", minor(st.st_rdev));
		cJSON_AddStringToObject(r, "access", perms && *perms ? perms : "rwm");
		cJSON_AddItemToArray(rules, r);
	}
	return 0;
}

static int add_linux(cJSON *spec, struct ctr *k, struct err *err)
{
	const cJSON *hc = ctr_cfg(k, "HostConfig", NULL), *s;
	bool priv = cJSON_IsTrue(item(hc, "Privileged"));
	cJSON *lx = cJSON_AddObjectToObject(spec, "linux"), *seccomp;
	char *cg = ctr_cgroup_path(k);

	cJSON_AddStringToObject(lx, "cgroupsPath", cg);
	free(cg);
	add_namespaces(lx, hc, k->cd);
	resources_spec(lx, hc);
	if (add_devices(lx, hc, err) < 0)
		return -err->code;
	if (item(hc, "Sysctls") && cJSON_GetArraySize(item(hc, "Sysctls")) > 0) {
		cJSON *sc = cJSON_AddObjectToObject(lx, "sysctl");

		cJSON_ArrayForEach (s, item(hc, "Sysctls"))
			cJSON_AddStringToObject(sc, s->string, cJSON_GetStringValue(s));
	}
	/* Docker's defaults, or the lists the client gave (systempaths=unconfined: none) */
	if (!priv) {
		const cJSON *m = item(hc, "MaskedPaths"), *r = item(hc, "ReadonlyPaths");

		cJSON_AddItemToObject(
		    lx, "maskedPaths",
		    cJSON_IsArray(m)
			? cJSON_Duplicate(m, true)
			: strings(masked_paths, sizeof(masked_paths) / sizeof(char *)));
		cJSON_AddItemToObject(
		    lx, "readonlyPaths",
		    cJSON_IsArray(r)
			? cJSON_Duplicate(r, true)
			: strings(readonly_paths, sizeof(readonly_paths) / sizeof(char *)));
	}
	err_clear(err);
	seccomp = seccomp_profile(k->cd, hc, err);
	if (err_isset(err))
		return -err->code;
	if (seccomp)
		cJSON_AddItemToObject(lx, "seccomp", seccomp);
	return 0;
}

cJSON *spec_generate(struct cd *cd, struct ctr *k, struct err *err)
{
	const cJSON *cfg = ctr_cfg(k, "Config", NULL), *hc = ctr_cfg(k, "HostConfig", NULL);
	cleanup_free char *run = ctr_run_dir(k), *rootfs = xasprintf("%s/rootfs", run);
	cJSON *spec = cJSON_CreateObject(), *root, *mounts;
	struct user u = {0};
	int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (rootfd < 0) {
		err_sys(err, "open %s", rootfs);
		goto fail;
	}
	if (resolve_user(rootfd, cJSON_GetStringValue(item(cfg, "User")), &u, err) < 0 ||
	    add_groups(rootfd, hc, &u, err) < 0) {
		close(rootfd);
		goto fail;
	}
	/* a missing WorkingDir is made in the container's root, as Docker does */
	{
		const char *wd = cJSON_GetStringValue(item(cfg, "WorkingDir"));

		if (wd && wd[0] == '/' && wd[1] && mkdir_in_root(rootfd, wd, 0755, err) < 0) {
			close(rootfd);
			err_wrap(err, "WorkingDir %s", wd);
			goto fail;
		}
	}
	close(rootfd);
	cJSON_AddStringToObject(spec, "ociVersion", "1.0.2");
	cJSON_AddItemToObject(spec, "process", make_process(k, &u));
	root = cJSON_AddObjectToObject(spec, "root");
	cJSON_AddStringToObject(root, "path", "rootfs");
	cJSON_AddBoolToObject(root, "readonly", cJSON_IsTrue(item(hc, "ReadonlyRootfs")));
	/* the host's UTS namespace: its hostname too (a spec may not set one then) */
	if (!host_ns(hc, "UTSMode")) {
		const char *dn = cJSON_GetStringValue(item(cfg, "Domainname"));

		cJSON_AddStringToObject(spec, "hostname",
					cJSON_GetStringValue(item(cfg, "Hostname")) ?: k->id);
		if (dn && *dn)
			cJSON_AddStringToObject(spec, "domainname", dn);
	}
	mounts = cJSON_AddArrayToObject(spec, "mounts");
	add_default_mounts(mounts, hc, k);
	add_etc_mounts(mounts, k);
	if (cJSON_IsTrue(item(hc, "Init"))) {
		add_mount(mounts, "/sbin/berth-init", "bind", cd->init_path, "rbind,rprivate,ro");
	}
	if (add_user_mounts(mounts, k, err) < 0 || add_linux(spec, k, err) < 0)
		goto fail;
	/* the runtime keeps compiled seccomp filters there: one compile per profile */
	cJSON_AddStringToObject(cJSON_AddObjectToObject(spec, "annotations"),
				"org.berth.seccomp-cache", cd->seccomp_cache);
	free(u.home);
	return spec;
fail:
	free(u.home);
	cJSON_Delete(spec);
	return NULL;
}

cJSON *spec_exec_process(struct ctr *k, const cJSON *req, struct err *err)
{
	cleanup_free char *run = ctr_run_dir(k), *path = xasprintf("%s/config.json", run);
	cleanup_free char *text = NULL;
	cleanup_cjson cJSON *spec = NULL;
	const cJSON *x, *cmd = item(req, "Cmd");
	cJSON *proc, *env, *args;
	const char *cwd = cJSON_GetStringValue(item(req, "WorkingDir"));
	const char *user = cJSON_GetStringValue(item(req, "User"));

	if (!cJSON_IsArray(cmd) || cJSON_GetArraySize(cmd) == 0) {
		err_set(err, EINVAL, "exec needs a command");
		return NULL;
	}
	if (read_file_at(AT_FDCWD, path, 1 << 24, &text, NULL, err) < 0 ||
	    !(spec = cJSON_Parse(text))) {
		if (!err_isset(err))
			err_set(err, EINVAL, "%s is not JSON", path);
		return NULL;
	}
	proc = cJSON_DetachItemFromObject(spec, "process");
	cJSON_ReplaceItemInObject(proc, "terminal",
				  cJSON_CreateBool(cJSON_IsTrue(item(req, "Tty"))));
	args = cJSON_Duplicate(cmd, true);
	cJSON_ReplaceItemInObject(proc, "args", args);
	env = cJSON_GetObjectItem(proc, "env");
	cJSON_ArrayForEach (x, item(req, "Env"))
		cJSON_AddItemToArray(env, cJSON_Duplicate(x, false));
	if (cwd && *cwd)
		cJSON_ReplaceItemInObject(proc, "cwd", cJSON_CreateString(cwd));
	if (user && *user) {
		cleanup_free char *rootfs = xasprintf("%s/rootfs", run);
		struct user u = {0};
		int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
		int r = rootfd < 0 ? err_sys(err, "open %s", rootfs)
				   : resolve_user(rootfd, user, &u, err);

		if (rootfd >= 0)
			close(rootfd);
		free(u.home);
		if (r < 0) {
			cJSON_Delete(proc);
			return NULL;
		}
		cJSON_DeleteItemFromObject(proc, "user");
		add_user(proc, &u);
	}
	return proc;
}
