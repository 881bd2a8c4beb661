/* Cgroup layout detection and the helpers both backends use. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "common/cleanup.h"
#include "common/xalloc.h"

int cg_write(const char *dir, const char *file, const char *value, struct err *err)
{
	char path[4096];
	cleanup_close int fd = -1;
	size_t len = strlen(value);

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(err, "open %s", path);
	if (write(fd, value, len) != (ssize_t)len)
		return err_sys(err, "write '%s' to %s", value, path);
	return 0;
}

int cg_writef(const char *dir, const char *file, struct err *err, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return cg_write(dir, file, buf, err);
}

int cg_read(const char *dir, const char *file, char *buf, size_t len)
{
	char path[4096];
	cleanup_close int fd = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return (int)n;
}

uint64_t cg_keyed_value(const char *dir, const char *file, const char *key)
{
	char buf[4096];
	size_t klen = strlen(key);

	if (cg_read(dir, file, buf, sizeof(buf)) < 0)
		return 0;
	for (char *line = buf; line && *line;) {
		char *nl = strchr(line, '\n');

		if (strncmp(line, key, klen) == 0 && line[klen] == ' ')
			return strtoull(line + klen + 1, NULL, 10);
		line = nl ? nl + 1 : NULL;
	}
	return 0;
}

int cg_kill_procs(const char *dir, int sig, struct err *err)
{
	char buf[65536];

	if (cg_read(dir, "cgroup.procs", buf, sizeof(buf)) < 0)
		return errno == ENOENT ? 0 : err_sys(err, "read %s/cgroup.procs", dir);
	for (char *p = buf; *p;) {
		char *end;
		long pid = strtol(p, &end, 10);

		if (end == p)
			break;
		if (pid > 0 && kill((pid_t)pid, sig) < 0 && errno != ESRCH)
			return err_sys(err, "kill %ld", pid);
		p = end;
		while (*p == '\n')
			p++;
	}
	return 0;
}

static int mkdir_levels(char *full, size_t start,
			int (*on_new)(const char *parent, const char *dir, struct err *err),
			struct err *err)
{
	for (size_t i = start;; i++) {
		char c = full[i];

		if (c != '/' && c != '\0')
			continue;
		if (i > start && full[i - 1] != '/') {
			full[i] = '\0';
			if (mkdir(full, 0755) == 0) {
				if (on_new) {
					cleanup_free char *parent = xstrdup(full);
					int r;

					*strrchr(parent, '/') = '\0';
					r = on_new(parent, full, err);
					if (r < 0)
						return r;
				}
			} else if (errno != EEXIST) {
				int r = err_sys(err, "create cgroup %s", full);

				full[i] = c;
				return r;
			}
			full[i] = c;
		}
		if (!c)
			break;
	}
	return 0;
}

int cg_mkdir_p(const char *base, const char *path,
	       int (*on_new)(const char *parent, const char *dir, struct err *err), struct err *err)
{
	cleanup_free char *full = xasprintf("%s/%s", base, path);
	int r = 0;

	/* an empty parent (berth/) may be removed by someone else between two levels: again */
	for (int tries = 0; tries < 5; tries++) {
		r = mkdir_levels(full, strlen(base) + 1, on_new, err);
		if (r != -ENOENT)
			return r;
		err_clear(err);
	}
	return mkdir_levels(full, strlen(base) + 1, on_new, err);
}

int cg_rmdir(const char *dir, struct err *err)
{
	struct timespec ts = {0, 1000000};

	/* a cgroup stays busy for a moment after its last process is reaped */
	for (int i = 0; i < 2000; i++) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			break;
		nanosleep(&ts, NULL);
	}
	return err_sys(err, "remove cgroup %s", dir);
}

int res_i64(const cJSON *o, const char *key, const char *where, int64_t *out, struct err *err)
{
	const cJSON *v = o ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;

	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsNumber(v) || v->valuedouble != (double)(int64_t)v->valuedouble)
		return err_set(err, EINVAL, "linux.resources.%s.%s must be a whole number", where,
			       key);
	*out = (int64_t)v->valuedouble;
	return 1;
}

int res_hugepage(const cJSON *e, const char **size, int64_t *limit, struct err *err)
{
	const cJSON *ps = cJSON_GetObjectItemCaseSensitive(e, "pageSize");
	int r;

	if (!cJSON_IsString(ps) || strchr(ps->valuestring, '/') || !*ps->valuestring)
		return err_set(err, EINVAL,
			       "linux.resources.hugepageLimits: pageSize must be like \"2MB\"");
	*size = ps->valuestring;
	if ((r = res_i64(e, "limit", "hugepageLimits", limit, err)) < 0)
		return r;
	if (!r)
		return err_set(err, EINVAL, "linux.resources.hugepageLimits: %s has no limit",
			       *size);
	return 0;
}

static bool known_key(const char *const *known, const char *key)
{
	for (; *known; known++)
		if (strcmp(*known, key) == 0)
			return true;
	return false;
}

int res_check_keys(const cJSON *res, const char *const *known, const char *backend, struct err *err)
{
	const cJSON *sec, *it;

	cJSON_ArrayForEach (sec, res) {
		if (!known_key(known, sec->string))
			return err_set(err, ENOTSUP,
				       "linux.resources.%s cannot be applied with cgroup %s (this "
				       "host's layout)",
				       sec->string, backend);
		if (!cJSON_IsObject(sec) || !strcmp(sec->string, "unified") ||
		    !strcmp(sec->string, "rdma"))
			continue;
		cJSON_ArrayForEach (it, sec) {
			char key[128];

			snprintf(key, sizeof(key), "%s.%s", sec->string, it->string);
			if (!known_key(known, key))
				return err_set(
				    err, ENOTSUP,
				    "linux.resources.%s cannot be applied with cgroup %s "
				    "(this host's layout)",
				    key, backend);
		}
	}
	return 0;
}

/* What every container may use: null, zero, full, tty, random, urandom, console, ptmx, pts. */
static const struct dev_rule default_allowed[] = {
    {true, 'c', 1, 3, DEV_ACC_ALL},    {true, 'c', 1, 5, DEV_ACC_ALL},
    {true, 'c', 1, 7, DEV_ACC_ALL},    {true, 'c', 1, 8, DEV_ACC_ALL},
    {true, 'c', 1, 9, DEV_ACC_ALL},    {true, 'c', 5, 0, DEV_ACC_ALL},
    {true, 'c', 5, 1, DEV_ACC_ALL},    {true, 'c', 5, 2, DEV_ACC_ALL},
    {true, 'c', 136, -1, DEV_ACC_ALL},
};

static int parse_access(const char *a, unsigned *out)
{
	*out = 0;
	for (; *a; a++) {
		if (*a == 'r')
			*out |= DEV_ACC_READ;
		else if (*a == 'w')
			*out |= DEV_ACC_WRITE;
		else if (*a == 'm')
			*out |= DEV_ACC_MKNOD;
		else
			return -1;
	}
	return 0;
}

int cg_device_rules(const cJSON *devs, const struct spec *s, struct dev_rule **out, size_t *n,
		    struct err *err)
{
	size_t cap = (size_t)cJSON_GetArraySize(devs) +
		     sizeof(default_allowed) / sizeof(default_allowed[0]) + s->ndevices;
	struct dev_rule *v = xcalloc(cap ? cap : 1, sizeof(*v));
	const cJSON *it;
	size_t i = 0, k = 0, nspec;

	cJSON_ArrayForEach (it, devs) {
		const cJSON *allow = cJSON_GetObjectItemCaseSensitive(it, "allow");
		const cJSON *type = cJSON_GetObjectItemCaseSensitive(it, "type");
		const cJSON *access = cJSON_GetObjectItemCaseSensitive(it, "access");
		struct dev_rule *r = &v[k];

		r->major = r->minor = -1;
		r->type = cJSON_IsString(type) ? type->valuestring[0] : 'a';
		if (!cJSON_IsBool(allow)) {
			free(v);
			return err_set(err, EINVAL,
				       "linux.resources.devices[%zu].allow is required", i);
		}
		if ((r->type != 'a' && r->type != 'b' && r->type != 'c') ||
		    (cJSON_IsString(type) && type->valuestring[1])) {
			free(v);
			return err_set(err, EINVAL,
				       "linux.resources.devices[%zu].type must be a, b or c", i);
		}
		if (parse_access(cJSON_IsString(access) ? access->valuestring : "rwm", &r->access) <
			0 ||
		    !r->access) {
			free(v);
			return err_set(err, EINVAL,
				       "linux.resources.devices[%zu].access must be made of r, w "
				       "and m",
				       i);
		}
		if (res_i64(it, "major", "devices", &r->major, err) < 0 ||
		    res_i64(it, "minor", "devices", &r->minor, err) < 0) {
			free(v);
			return -err->code;
		}
		r->allow = cJSON_IsTrue(allow);
		k++;
		i++;
	}
	nspec = k;
	for (i = 0; i < sizeof(default_allowed) / sizeof(default_allowed[0]); i++)
		v[k++] = default_allowed[i];
	for (i = 0; i < s->ndevices; i++) {
		const struct spec_device *d = &s->devices[i];
		char type = d->type == 'b' ? 'b' : 'c';
		bool named = false;

		if (d->type == 'p')
			continue;
		/*
		 * A device the spec's rules name keeps the access they give it (--device
		 * PERMS), plus mknod, so the runtime can make its node; else all access.
		 */
		for (size_t j = 0; j < nspec && !named; j++)
			named =
			    v[j].type == type && v[j].major == d->major && v[j].minor == d->minor;
		v[k++] = (struct dev_rule){true, type, d->major, d->minor,
					   named ? DEV_ACC_MKNOD : DEV_ACC_ALL};
	}
	*out = v;
	*n = k;
	return 0;
}

void cg_device_rule_text(const struct dev_rule *r, char *buf, size_t len)
{
	char maj[24] = "*", min[24] = "*", acc[4];
	size_t a = 0;

	if (r->major >= 0)
		snprintf(maj, sizeof(maj), "%lld", (long long)r->major);
	if (r->minor >= 0)
		snprintf(min, sizeof(min), "%lld", (long long)r->minor);
	if (r->access & DEV_ACC_READ)
		acc[a++] = 'r';
	if (r->access & DEV_ACC_WRITE)
		acc[a++] = 'w';
	if (r->access & DEV_ACC_MKNOD)
		acc[a++] = 'm';
	acc[a] = '\0';
	snprintf(buf, len, "%c %s:%s %s", r->type, maj, min, acc);
}

/* v1: every cgroup v1 mount in /proc/self/mountinfo, with its controllers. */
static int find_v1_hierarchies(struct cgroup *cg, struct err *err)
{
	cleanup_fclose FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL;
	size_t cap = 0;

	if (!f)
		return err_sys(err, "open /proc/self/mountinfo");
	while (getline(&line, &cap, f) > 0) {
		char *sep = strstr(line, " - cgroup ");
		char *fields[6] = {0}, *save = NULL, *opts, *mnt, *tok;
		cleanup_free char *ctrls = NULL;
		int n = 0;

		if (!sep)
			continue;
		for (tok = strtok_r(line, " ", &save); tok && n < 6;
		     tok = strtok_r(NULL, " ", &save))
			fields[n++] = tok;
		mnt = fields[4];
		if (!mnt || strncmp(mnt, CGROUP_ROOT "/", strlen(CGROUP_ROOT) + 1) != 0)
			continue;
		opts = strrchr(sep + 10, ' ');
		opts = opts ? opts + 1 : sep + 10;
		opts[strcspn(opts, "\n")] = '\0';
		/* keep the controller names (and name=...) from the super options */
		for (tok = strtok_r(opts, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			if (strcmp(tok, "rw") == 0 || strcmp(tok, "ro") == 0 ||
			    strncmp(tok, "release_agent", 13) == 0 ||
			    strcmp(tok, "clone_children") == 0 || strcmp(tok, "noprefix") == 0 ||
			    strcmp(tok, "xattr") == 0 || strcmp(tok, "cpuset_v2_mode") == 0)
				continue;
			if (ctrls) {
				char *x = xasprintf("%s,%s", ctrls, tok);
				free(ctrls);
				ctrls = x;
			} else {
				ctrls = xstrdup(tok);
			}
		}
		if (!ctrls)
			continue;
		cg->h = xreallocarray(cg->h, cg->nh + 1, sizeof(*cg->h));
		cg->h[cg->nh].mnt = xstrdup(mnt);
		cg->h[cg->nh].name = xstrdup(strrchr(mnt, '/') + 1);
		cg->h[cg->nh].controllers = steal_ptr(&ctrls);
		cg->nh++;
	}
	free(line);
	if (cg->nh == 0)
		return err_set(err, ENOENT, "no cgroup v1 hierarchy is mounted under %s",
			       CGROUP_ROOT);
	return 0;
}

int cgroup_open(struct cgroup *cg, const char *path, struct err *err)
{
	memset(cg, 0, sizeof(*cg));
	cg->mode = cgroup_mode_detect(CGROUP_ROOT);
	while (*path == '/')
		path++;
	if (!*path)
		return err_set(err, EINVAL, "the cgroup path is empty");
	cg->path = xstrdup(path);
	switch (cg->mode) {
	case CGROUP_MODE_V2:
		cg->ops = &cgroup_v2_ops;
		return 0;
	case CGROUP_MODE_V1:
	case CGROUP_MODE_HYBRID:
		/* hybrid: controllers live on v1; the cgroup2 mount has none we use */
		cg->ops = &cgroup_v1_ops;
		return find_v1_hierarchies(cg, err);
	default:
		return err_set(err, ENOENT, "cannot tell the cgroup layout of %s", CGROUP_ROOT);
	}
}

void cgroup_close(struct cgroup *cg)
{
	for (size_t i = 0; i < cg->nh; i++) {
		free(cg->h[i].mnt);
		free(cg->h[i].controllers);
		free(cg->h[i].name);
	}
	free(cg->h);
	free(cg->path);
	memset(cg, 0, sizeof(*cg));
}
