/* Parsing config.json into struct spec, with an error naming the field for anything wrong. */
#include "config.h"

#include <cap-ng.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/atomicfile.h"
#include "common/cleanup.h"
#include "common/xalloc.h"
#include "hooks.h"
#include "spec.h"

static const struct {
	const char *name;
	int flag;
} ns_table[NS_COUNT] = {
    [NS_USER] = {"user", CLONE_NEWUSER},       [NS_PID] = {"pid", CLONE_NEWPID},
    [NS_NET] = {"network", CLONE_NEWNET},      [NS_IPC] = {"ipc", CLONE_NEWIPC},
    [NS_UTS] = {"uts", CLONE_NEWUTS},	       [NS_MOUNT] = {"mount", CLONE_NEWNS},
    [NS_CGROUP] = {"cgroup", CLONE_NEWCGROUP},
};

const char *ns_name(enum ns_kind k)
{
	return ns_table[k].name;
}
int ns_clone_flag(enum ns_kind k)
{
	return ns_table[k].flag;
}

static const struct {
	const char *name;
	bool clear;
	unsigned long flag;
} mount_opts[] = {
    {"ro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},
    {"nosuid", false, MS_NOSUID},
    {"suid", true, MS_NOSUID},
    {"nodev", false, MS_NODEV},
    {"dev", true, MS_NODEV},
    {"noexec", false, MS_NOEXEC},
    {"exec", true, MS_NOEXEC},
    {"sync", false, MS_SYNCHRONOUS},
    {"async", true, MS_SYNCHRONOUS},
    {"dirsync", false, MS_DIRSYNC},
    {"remount", false, MS_REMOUNT},
    {"mand", false, MS_MANDLOCK},
    {"nomand", true, MS_MANDLOCK},
    {"atime", true, MS_NOATIME},
    {"noatime", false, MS_NOATIME},
    {"diratime", true, MS_NODIRATIME},
    {"nodiratime", false, MS_NODIRATIME},
    {"relatime", false, MS_RELATIME},
    {"norelatime", true, MS_RELATIME},
    {"strictatime", false, MS_STRICTATIME},
    {"nostrictatime", true, MS_STRICTATIME},
    {"bind", false, MS_BIND},
    {"rbind", false, MS_BIND | MS_REC},
};

static const struct {
	const char *name;
	unsigned long flag;
} propagation_opts[] = {
    {"private", MS_PRIVATE},	   {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},	   {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},	   {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

static const struct {
	const char *name;
	int resource;
} rlimit_table[] = {
    {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
};

int cap_from_name(const char *name)
{
	char lower[64];
	size_t i;

	if (strncasecmp(name, "CAP_", 4) != 0 || strlen(name) >= sizeof(lower) + 4)
		return -1;
	for (i = 0; name[4 + i]; i++)
		lower[i] = (char)tolower((unsigned char)name[4 + i]);
	lower[i] = '\0';
	return capng_name_to_capability(lower);
}

/* ---- small typed accessors that name the field on error ---- */

static const cJSON *get(const cJSON *o, const char *key)
{
	return o ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
}

static int want_string(const cJSON *v, const char *where, const char **out, struct err *err)
{
	if (!v)
		return 0;
	if (!cJSON_IsString(v))
		return err_set(err, EINVAL, "%s must be a string", where);
	*out = v->valuestring;
	return 1;
}

static int want_uint(const cJSON *v, const char *where, uint64_t max, uint64_t *out,
		     struct err *err)
{
	if (!v)
		return 0;
	if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > (double)max ||
	    v->valuedouble != (double)(uint64_t)v->valuedouble)
		return err_set(err, EINVAL, "%s must be a whole number from 0 to %llu", where,
			       (unsigned long long)max);
	*out = (uint64_t)v->valuedouble;
	return 1;
}

static int want_array(const cJSON *v, const char *where, struct err *err)
{
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsArray(v))
		return err_set(err, EINVAL, "%s must be an array", where);
	return 1;
}

/* A NULL-terminated vector of the strings of an array (pointing into the document). */
static int string_vector(const cJSON *arr, const char *where, char ***out, struct err *err)
{
	size_t n = 0, i = 0;
	const cJSON *it;
	char **v;
	int r = want_array(arr, where, err);

	if (r <= 0)
		return r;
	n = (size_t)cJSON_GetArraySize(arr);
	v = xcalloc(n + 1, sizeof(char *));
	cJSON_ArrayForEach (it, arr) {
		if (!cJSON_IsString(it)) {
			free(v);
			return err_set(err, EINVAL, "%s[%zu] must be a string", where, i);
		}
		v[i++] = it->valuestring;
	}
	*out = v;
	return 1;
}

static int string_array_check(const cJSON *arr, const char *where, bool absolute, struct err *err)
{
	const cJSON *it;
	size_t i = 0;
	int r = want_array(arr, where, err);

	if (r <= 0)
		return r;
	cJSON_ArrayForEach (it, arr) {
		if (!cJSON_IsString(it))
			return err_set(err, EINVAL, "%s[%zu] must be a string", where, i);
		if (absolute && it->valuestring[0] != '/')
			return err_set(err, EINVAL, "%s[%zu]: '%s' is not an absolute path", where,
				       i, it->valuestring);
		i++;
	}
	return 1;
}

/* ---- process ---- */

static int parse_caps(struct spec_process *p, const cJSON *caps, struct err *err)
{
	static const char *const sets[CAPS_NSETS] = {"bounding", "effective", "inheritable",
						     "permitted", "ambient"};

	if (!caps)
		return 0;
	if (!cJSON_IsObject(caps))
		return err_set(err, EINVAL, "process.capabilities must be an object");
	p->has_caps = true;
	for (int s = 0; s < CAPS_NSETS; s++) {
		const cJSON *arr = get(caps, sets[s]), *it;
		size_t i = 0;
		char where[64];
		int r;

		snprintf(where, sizeof(where), "process.capabilities.%s", sets[s]);
		r = want_array(arr, where, err);
		if (r < 0)
			return r;
		cJSON_ArrayForEach (it, arr) {
			int c = cJSON_IsString(it) ? cap_from_name(it->valuestring) : -1;

			if (c < 0 || c > 63)
				return err_set(err, EINVAL, "%s[%zu]: unknown capability '%s'",
					       where, i,
					       cJSON_IsString(it) ? it->valuestring : "?");
			p->caps[s] |= 1ULL << c;
			i++;
		}
	}
	return 0;
}

static int parse_rlimits(struct spec_process *p, const cJSON *arr, struct err *err)
{
	const cJSON *it;
	size_t i = 0;
	int r = want_array(arr, "process.rlimits", err);

	if (r <= 0)
		return r;
	p->rlimits = xcalloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof(*p->rlimits));
	cJSON_ArrayForEach (it, arr) {
		struct spec_rlimit *rl = &p->rlimits[i];
		const char *type = NULL;
		size_t k;

		if (want_string(get(it, "type"), "process.rlimits[].type", &type, err) <= 0)
			return err_set(err, EINVAL, "process.rlimits[%zu].type is required", i);
		for (k = 0; k < sizeof(rlimit_table) / sizeof(rlimit_table[0]); k++)
			if (strcmp(rlimit_table[k].name, type) == 0)
				break;
		if (k == sizeof(rlimit_table) / sizeof(rlimit_table[0]))
			return err_set(err, EINVAL, "process.rlimits[%zu]: unknown type '%s'", i,
				       type);
		rl->resource = rlimit_table[k].resource;
		rl->name = rlimit_table[k].name;
		if (want_uint(get(it, "soft"), "rlimit soft", UINT64_MAX, &rl->soft, err) < 0 ||
		    want_uint(get(it, "hard"), "rlimit hard", UINT64_MAX, &rl->hard, err) < 0)
			return err_wrap(err, "process.rlimits[%zu]", i);
		if (rl->soft > rl->hard)
			return err_set(err, EINVAL,
				       "process.rlimits[%zu]: %s soft limit above hard", i, type);
		i++;
	}
	p->nrlimits = i;
	return 0;
}

int spec_parse_process(struct spec_process *p, const cJSON *proc, struct err *err)
{
	const cJSON *user;
	uint64_t v;
	int r;

	memset(p, 0, sizeof(*p));
	if (!cJSON_IsObject(proc))
		return err_set(err, EINVAL, "process is missing or not an object");
	p->terminal = cJSON_IsTrue(get(proc, "terminal"));
	r = string_vector(get(proc, "args"), "process.args", &p->argv, err);
	if (r < 0)
		return r;
	if (r == 0 || !p->argv[0] || !p->argv[0][0])
		return err_set(err, EINVAL, "process.args must name a program");
	r = string_vector(get(proc, "env"), "process.env", &p->env, err);
	if (r < 0)
		return r;
	if (!p->env)
		p->env = xcalloc(1, sizeof(char *));
	p->cwd = "/";
	if (want_string(get(proc, "cwd"), "process.cwd", &p->cwd, err) < 0)
		return -err->code;
	if (p->cwd[0] != '/')
		return err_set(err, EINVAL, "process.cwd '%s' is not an absolute path", p->cwd);
	user = get(proc, "user");
	if (want_uint(get(user, "uid"), "process.user.uid", UINT32_MAX - 1, &v, err) < 0)
		return -err->code;
	p->uid = (uid_t)(user && get(user, "uid") ? v : 0);
	v = 0;
	if (want_uint(get(user, "gid"), "process.user.gid", UINT32_MAX - 1, &v, err) < 0)
		return -err->code;
	p->gid = (gid_t)v;
	if (get(user, "umask")) {
		if (want_uint(get(user, "umask"), "process.user.umask", 0777, &v, err) < 0)
			return -err->code;
		p->has_umask = true;
		p->umask = (mode_t)v;
	}
	{
		const cJSON *g = get(user, "additionalGids"), *it;

		r = want_array(g, "process.user.additionalGids", err);
		if (r < 0)
			return r;
		p->groups = xcalloc((size_t)cJSON_GetArraySize(g) + 1, sizeof(gid_t));
		cJSON_ArrayForEach (it, g) {
			if (want_uint(it, "process.user.additionalGids[]", UINT32_MAX - 1, &v,
				      err) <= 0)
				return err_set(err, EINVAL,
					       "process.user.additionalGids must hold gids");
			p->groups[p->ngroups++] = (gid_t)v;
		}
	}
	r = parse_caps(p, get(proc, "capabilities"), err);
	if (r < 0)
		return r;
	p->no_new_privs = cJSON_IsTrue(get(proc, "noNewPrivileges"));
	if (get(proc, "oomScoreAdj")) {
		const cJSON *o = get(proc, "oomScoreAdj");

		if (!cJSON_IsNumber(o) || o->valuedouble < -1000 || o->valuedouble > 1000)
			return err_set(err, EINVAL,
				       "process.oomScoreAdj must be from -1000 to 1000");
		p->has_oom_score_adj = true;
		p->oom_score_adj = o->valueint;
	}
	return parse_rlimits(p, get(proc, "rlimits"), err);
}

/* ---- mounts ---- */

static int parse_mount_options(struct spec_mount *m, const cJSON *opts, size_t idx, struct err *err)
{
	cleanup_free char *data = NULL;
	const cJSON *it;

	if (want_array(opts, "mounts[].options", err) < 0)
		return err_wrap(err, "mounts[%zu]", idx);
	cJSON_ArrayForEach (it, opts) {
		const char *o;
		size_t k;
		bool found = false;

		if (!cJSON_IsString(it))
			return err_set(err, EINVAL, "mounts[%zu].options must be strings", idx);
		o = it->valuestring;
		for (k = 0; k < sizeof(mount_opts) / sizeof(mount_opts[0]); k++)
			if (strcmp(o, mount_opts[k].name) == 0) {
				if (mount_opts[k].clear) {
					m->flags &= ~mount_opts[k].flag;
					m->clear |= mount_opts[k].flag;
				} else {
					m->flags |= mount_opts[k].flag;
				}
				found = true;
				break;
			}
		for (k = 0; !found && k < sizeof(propagation_opts) / sizeof(propagation_opts[0]);
		     k++)
			if (strcmp(o, propagation_opts[k].name) == 0) {
				m->propagation = propagation_opts[k].flag;
				found = true;
			}
		if (found)
			continue;
		if (!strcmp(o, "src-nofollow")) {
			m->src_nofollow = true;
			continue;
		}
		if (strchr(o, ',') && !strchr(o, '='))
			return err_set(err, EINVAL, "mounts[%zu]: option '%s' holds a comma", idx,
				       o);
		if (data) {
			char *n = xasprintf("%s,%s", data, o);
			free(data);
			data = n;
		} else {
			data = xstrdup(o);
		}
	}
	m->bind = (m->flags & MS_BIND) != 0;
	m->data = steal_ptr(&data);
	return 0;
}

static int parse_mounts(struct spec *s, const cJSON *arr, struct err *err)
{
	const cJSON *it;
	size_t i = 0;
	int r = want_array(arr, "mounts", err);

	if (r <= 0)
		return r;
	s->mounts = xcalloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof(*s->mounts));
	cJSON_ArrayForEach (it, arr) {
		struct spec_mount *m = &s->mounts[i];

		if (!cJSON_IsObject(it))
			return err_set(err, EINVAL, "mounts[%zu] must be an object", i);
		if (want_string(get(it, "destination"), "mounts[].destination", &m->dest, err) <= 0)
			return err_set(err, EINVAL, "mounts[%zu].destination is required", i);
		if (m->dest[0] != '/')
			return err_set(err, EINVAL,
				       "mounts[%zu].destination '%s' is not an absolute path", i,
				       m->dest);
		if (want_string(get(it, "type"), "mounts[].type", &m->type, err) < 0 ||
		    want_string(get(it, "source"), "mounts[].source", &m->source, err) < 0)
			return err_wrap(err, "mounts[%zu]", i);
		s->nmounts = i + 1;
		r = parse_mount_options(m, get(it, "options"), i, err);
		if (r < 0)
			return r;
		if (m->type && strcmp(m->type, "bind") == 0)
			m->bind = true;
		if (!m->type && !m->bind)
			return err_set(err, EINVAL, "mounts[%zu] (%s) has neither a type nor bind",
				       i, m->dest);
		if (m->bind && !m->source)
			return err_set(err, EINVAL, "mounts[%zu] (%s): a bind mount needs a source",
				       i, m->dest);
		i++;
	}
	return 0;
}

/* ---- linux ---- */

static int parse_namespaces(struct spec *s, const cJSON *arr, struct err *err)
{
	const cJSON *it;
	size_t i = 0;
	int r = want_array(arr, "linux.namespaces", err);

	if (r <= 0)
		return r;
	cJSON_ArrayForEach (it, arr) {
		const char *type = NULL, *path = NULL;
		int k;

		if (want_string(get(it, "type"), "type", &type, err) <= 0)
			return err_set(err, EINVAL, "linux.namespaces[%zu].type is required", i);
		for (k = 0; k < NS_COUNT; k++)
			if (strcmp(ns_table[k].name, type) == 0)
				break;
		if (k == NS_COUNT)
			return err_set(err, EINVAL,
				       "linux.namespaces[%zu]: unknown namespace type '%s'", i,
				       type);
		if (s->ns[k].present)
			return err_set(err, EINVAL,
				       "linux.namespaces[%zu]: %s namespace listed twice", i, type);
		if (want_string(get(it, "path"), "path", &path, err) < 0)
			return err_wrap(err, "linux.namespaces[%zu]", i);
		if (path && path[0] != '/')
			return err_set(err, EINVAL,
				       "linux.namespaces[%zu].path '%s' is not absolute", i, path);
		if (path && access(path, F_OK) < 0)
			return err_sys(err, "linux.namespaces[%zu]: %s namespace path %s", i, type,
				       path);
		s->ns[k].present = true;
		s->ns[k].path = path && *path ? path : NULL;
		i++;
	}
	return 0;
}

static int parse_idmaps(const cJSON *arr, const char *where, struct spec_idmap **out, size_t *n,
			struct err *err)
{
	const cJSON *it;
	int r = want_array(arr, where, err);

	if (r <= 0)
		return r;
	*out = xcalloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof(**out));
	cJSON_ArrayForEach (it, arr) {
		uint64_t c, h, sz;

		if (want_uint(get(it, "containerID"), where, UINT32_MAX, &c, err) <= 0 ||
		    want_uint(get(it, "hostID"), where, UINT32_MAX, &h, err) <= 0 ||
		    want_uint(get(it, "size"), where, UINT32_MAX, &sz, err) <= 0 || sz == 0)
			return err_set(err, EINVAL, "%s[%zu] needs containerID, hostID and size",
				       where, *n);
		(*out)[*n].container = (uint32_t)c;
		(*out)[*n].host = (uint32_t)h;
		(*out)[*n].size = (uint32_t)sz;
		(*n)++;
	}
	return 0;
}

static int parse_devices(struct spec *s, const cJSON *arr, struct err *err)
{
	const cJSON *it;
	int r = want_array(arr, "linux.devices", err);

	if (r <= 0)
		return r;
	s->devices = xcalloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof(*s->devices));
	cJSON_ArrayForEach (it, arr) {
		struct spec_device *d = &s->devices[s->ndevices];
		const char *type = NULL;
		uint64_t v = 0;
		size_t i = s->ndevices;

		if (want_string(get(it, "path"), "path", &d->path, err) <= 0 || d->path[0] != '/')
			return err_set(err, EINVAL, "linux.devices[%zu].path must be absolute", i);
		if (want_string(get(it, "type"), "type", &type, err) <= 0 || strlen(type) != 1 ||
		    !strchr("cbup", type[0]))
			return err_set(err, EINVAL, "linux.devices[%zu].type must be c, b, u or p",
				       i);
		d->type = type[0];
		if (d->type != 'p') {
			if (want_uint(get(it, "major"), "major", UINT32_MAX, &v, err) <= 0)
				return err_set(err, EINVAL, "linux.devices[%zu].major is required",
					       i);
			d->major = (int64_t)v;
			if (want_uint(get(it, "minor"), "minor", UINT32_MAX, &v, err) <= 0)
				return err_set(err, EINVAL, "linux.devices[%zu].minor is required",
					       i);
			d->minor = (int64_t)v;
		}
		v = 0666;
		if (want_uint(get(it, "fileMode"), "fileMode", 07777, &v, err) < 0)
			return err_wrap(err, "linux.devices[%zu]", i);
		d->mode = (mode_t)v;
		v = 0;
		if (want_uint(get(it, "uid"), "uid", UINT32_MAX - 1, &v, err) < 0)
			return err_wrap(err, "linux.devices[%zu]", i);
		d->uid = (uid_t)v;
		v = 0;
		if (want_uint(get(it, "gid"), "gid", UINT32_MAX - 1, &v, err) < 0)
			return err_wrap(err, "linux.devices[%zu]", i);
		d->gid = (gid_t)v;
		s->ndevices++;
	}
	return 0;
}

static int parse_sysctl(struct spec *s, const cJSON *obj, struct err *err)
{
	const cJSON *it;

	if (!obj)
		return 0;
	if (!cJSON_IsObject(obj))
		return err_set(err, EINVAL, "linux.sysctl must be an object");
	s->sysctl = obj;
	cJSON_ArrayForEach (it, obj) {
		int r;

		if (!cJSON_IsString(it))
			return err_set(err, EINVAL, "linux.sysctl.%s must be a string", it->string);
		r = sysctl_check(it->string, it->valuestring, s, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int parse_linux(struct spec *s, const cJSON *lx, struct err *err)
{
	const char *prop = NULL;
	int r;

	if (!lx)
		return err_set(err, EINVAL, "linux section is missing");
	r = parse_namespaces(s, get(lx, "namespaces"), err);
	if (r < 0)
		return r;
	r = parse_idmaps(get(lx, "uidMappings"), "linux.uidMappings", &s->uid_maps, &s->nuid_maps,
			 err);
	if (r < 0)
		return r;
	r = parse_idmaps(get(lx, "gidMappings"), "linux.gidMappings", &s->gid_maps, &s->ngid_maps,
			 err);
	if (r < 0)
		return r;
	if (s->ns[NS_USER].present && !s->ns[NS_USER].path && (!s->nuid_maps || !s->ngid_maps))
		return err_set(
		    err, EINVAL,
		    "a new user namespace needs linux.uidMappings and linux.gidMappings");
	r = parse_devices(s, get(lx, "devices"), err);
	if (r < 0)
		return r;
	s->resources = get(lx, "resources");
	if (s->resources && !cJSON_IsObject(s->resources))
		return err_set(err, EINVAL, "linux.resources must be an object");
	if (want_string(get(lx, "cgroupsPath"), "linux.cgroupsPath", &s->cgroups_path, err) < 0)
		return -err->code;
	if (s->cgroups_path && (strstr(s->cgroups_path, "..") || strchr(s->cgroups_path, ':')))
		return err_set(err, EINVAL, "linux.cgroupsPath '%s' is not a plain path",
			       s->cgroups_path);
	s->masked = get(lx, "maskedPaths");
	r = string_array_check(s->masked, "linux.maskedPaths", true, err);
	if (r < 0)
		return r;
	s->readonly = get(lx, "readonlyPaths");
	r = string_array_check(s->readonly, "linux.readonlyPaths", true, err);
	if (r < 0)
		return r;
	s->seccomp = get(lx, "seccomp");
	if (s->seccomp && !cJSON_IsObject(s->seccomp))
		return err_set(err, EINVAL, "linux.seccomp must be an object");
	s->rootfs_propagation = MS_PRIVATE | MS_REC;
	if (want_string(get(lx, "rootfsPropagation"), "linux.rootfsPropagation", &prop, err) < 0)
		return -err->code;
	if (prop) {
		size_t k;

		for (k = 0; k < sizeof(propagation_opts) / sizeof(propagation_opts[0]); k++)
			if (strcmp(prop, propagation_opts[k].name) == 0)
				break;
		if (k == sizeof(propagation_opts) / sizeof(propagation_opts[0]))
			return err_set(err, EINVAL, "linux.rootfsPropagation: unknown value '%s'",
				       prop);
		s->rootfs_propagation = propagation_opts[k].flag;
	}
	return parse_sysctl(s, get(lx, "sysctl"), err);
}

int spec_parse(struct spec *s, const char *bundle, const char *json, struct err *err)
{
	const cJSON *root;
	const char *path = NULL;
	struct stat st;
	int r;

	memset(s, 0, sizeof(*s));
	s->bundle = realpath(bundle, NULL);
	if (!s->bundle)
		return err_sys(err, "bundle %s", bundle);
	s->doc = cJSON_Parse(json);
	if (!s->doc) {
		const char *at = cJSON_GetErrorPtr();
		return err_set(err, EINVAL, "config.json is not valid JSON (near '%.20s')",
			       at ? at : "?");
	}
	if (!cJSON_IsObject(s->doc))
		return err_set(err, EINVAL, "config.json must hold an object");
	root = get(s->doc, "root");
	if (want_string(get(root, "path"), "root.path", &path, err) <= 0)
		return err_set(err, EINVAL, "root.path is required");
	s->rootfs = path[0] == '/' ? xstrdup(path) : xasprintf("%s/%s", s->bundle, path);
	if (stat(s->rootfs, &st) < 0)
		return err_sys(err, "root.path %s", s->rootfs);
	if (!S_ISDIR(st.st_mode))
		return err_set(err, ENOTDIR, "root.path %s is not a directory", s->rootfs);
	s->readonly_root = cJSON_IsTrue(get(root, "readonly"));
	if (want_string(get(s->doc, "domainname"), "domainname", &s->domainname, err) < 0)
		return -err->code;
	if (want_string(get(s->doc, "hostname"), "hostname", &s->hostname, err) < 0)
		return -err->code;
	r = spec_parse_process(&s->proc, get(s->doc, "process"), err);
	if (r < 0)
		return r;
	s->hooks = get(s->doc, "hooks");
	r = hooks_check(s->hooks, err);
	if (r < 0)
		return r;
	r = parse_mounts(s, get(s->doc, "mounts"), err);
	if (r < 0)
		return r;
	r = parse_linux(s, get(s->doc, "linux"), err);
	if (r < 0)
		return r;
	if (s->hostname && *s->hostname && !s->ns[NS_UTS].present)
		return err_set(err, EINVAL, "hostname is set but there is no uts namespace");
	if (s->domainname && *s->domainname && !s->ns[NS_UTS].present)
		return err_set(err, EINVAL, "domainname is set but there is no uts namespace");
	return 0;
}

int spec_load(struct spec *s, const char *bundle, struct err *err)
{
	cleanup_free char *path = xasprintf("%s/config.json", bundle);
	cleanup_free char *json = NULL;
	int r = read_file_at(AT_FDCWD, path, SPEC_MAX_SIZE, &json, NULL, err);

	if (r < 0) {
		memset(s, 0, sizeof(*s));
		return r;
	}
	return spec_parse(s, bundle, json, err);
}

void spec_process_free(struct spec_process *p)
{
	free(p->argv);
	free(p->env);
	free(p->groups);
	free(p->rlimits);
	memset(p, 0, sizeof(*p));
}

void spec_free(struct spec *s)
{
	spec_process_free(&s->proc);
	free(s->seccomp_bpf);
	s->seccomp_bpf = NULL;
	for (size_t i = 0; i < s->nmounts; i++)
		free(s->mounts[i].data);
	free(s->mounts);
	free(s->devices);
	free(s->uid_maps);
	free(s->gid_maps);
	free(s->rootfs);
	free(s->bundle);
	if (s->doc)
		cJSON_Delete(s->doc);
	memset(s, 0, sizeof(*s));
}
