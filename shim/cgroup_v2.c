/* cgroup v2: one unified hierarchy at /sys/fs/cgroup. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mount.h>
#include <unistd.h>

#include "cgroup.h"
#include "common/cleanup.h"
#include "common/safepath.h"
#include "common/xalloc.h"

static char *v2_dir(const struct cgroup *cg)
{
	return xasprintf("%s/%s", CGROUP_ROOT, cg->path);
}

/* Enable in the parent every controller it offers that we use. */
static int enable_controllers(const char *parent, const char *dir, struct err *err)
{
	static const char *const wanted[] = {"cpu", "cpuset", "io", "memory", "pids"};
	char avail[1024];

	if (cg_read(parent, "cgroup.controllers", avail, sizeof(avail)) < 0)
		return 0;
	for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
		char op[32];
		struct err ignore = ERR_INIT;

		if (!strstr(avail, wanted[i]))
			continue;
		snprintf(op, sizeof(op), "+%s", wanted[i]);
		/* the parent may hold processes (no internal processes rule): then skip */
		cg_write(parent, "cgroup.subtree_control", op, &ignore);
		err_clear(&ignore);
	}
	return 0;
}

/* linux.resources.devices (with the defaults and linux.devices) as the cgroup's eBPF filter. */
static int set_devices(const char *dir, const cJSON *devs, const struct spec *s, struct err *err)
{
	struct dev_rule *rules = NULL;
	cleanup_close int fd = -1;
	size_t n = 0;
	int r;

	if (!devs)
		return 0;
	if ((r = cg_device_rules(devs, s, &rules, &n, err)) < 0)
		return r;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		r = err_sys(err, "open %s", dir);
	else
		r = cg_bpf_devices(fd, rules, n, err);
	free(rules);
	return r < 0 ? err_wrap(err, "linux.resources.devices") : 0;
}

/* What v2 applies; the rest (kernel memory, swappiness, net_cls, ...) is refused. */
static const char *const v2_keys[] = {
    "devices",
    "memory",
    "memory.limit",
    "memory.swap",
    "memory.reservation",
    "memory.checkBeforeUpdate",
    "cpu",
    "cpu.shares",
    "cpu.quota",
    "cpu.period",
    "cpu.cpus",
    "cpu.mems",
    "cpu.idle",
    "pids",
    "pids.limit",
    "blockIO",
    "blockIO.weight",
    "hugepageLimits",
    "unified",
    NULL,
};

/* linux.resources.unified: cgroup v2 files by name, written as given. */
static int set_unified(const char *dir, const cJSON *unified, struct err *err)
{
	const cJSON *it;

	cJSON_ArrayForEach (it, unified) {
		if (!cJSON_IsString(it) || strchr(it->string, '/') || it->string[0] == '.' ||
		    !strncmp(it->string, "cgroup.", 7))
			return err_set(err, EINVAL,
				       "linux.resources.unified: \"%s\" is not a controller file "
				       "with a string value",
				       it->string);
		if (cg_write(dir, it->string, it->valuestring, err) < 0)
			return err_wrap(err, "linux.resources.unified.%s", it->string);
	}
	return 0;
}

static int set_hugetlb(const char *dir, const cJSON *limits, struct err *err)
{
	const cJSON *it;

	if (!cJSON_IsArray(limits))
		return err_set(err, EINVAL, "linux.resources.hugepageLimits must be an array");
	cJSON_ArrayForEach (it, limits) {
		const char *size;
		char file[64];
		int64_t limit;

		if (res_hugepage(it, &size, &limit, err) < 0)
			return -err->code;
		snprintf(file, sizeof(file), "hugetlb.%s.max", size);
		if (cg_writef(dir, file, err, "%lld", (long long)limit) < 0)
			return err_wrap(err, "linux.resources.hugepageLimits");
	}
	return 0;
}

static int v2_update(struct cgroup *cg, const cJSON *res, struct err *err)
{
	cleanup_free char *dir = v2_dir(cg);
	const cJSON *mem, *cpu, *pids, *blk, *c;
	int64_t v = 0, limit = -1;
	int r;

	if ((r = res_check_keys(res, v2_keys, "v2", err)) < 0)
		return r;
	c = cJSON_GetObjectItemCaseSensitive(res, "hugepageLimits");
	if (c && (r = set_hugetlb(dir, c, err)) < 0)
		return r;
	c = cJSON_GetObjectItemCaseSensitive(res, "unified");
	if (c && (r = set_unified(dir, c, err)) < 0)
		return r;

	mem = cJSON_GetObjectItemCaseSensitive(res, "memory");
	if ((r = res_i64(mem, "limit", "memory", &limit, err)) < 0)
		return r;
	if (r && limit != -1 && limit < 4096)
		return err_set(err, EINVAL, "linux.resources.memory.limit %lld is too small",
			       (long long)limit);
	if (r &&
	    (r = (limit == -1 ? cg_write(dir, "memory.max", "max", err)
			      : cg_writef(dir, "memory.max", err, "%lld", (long long)limit))) < 0)
		return r;
	if ((r = res_i64(mem, "swap", "memory", &v, err)) < 0)
		return r;
	if (r) {
		/* OCI swap is memory + swap; v2 swap.max is the swap alone */
		if (v != -1 && limit != -1 && v < limit)
			return err_set(err, EINVAL,
				       "linux.resources.memory.swap must be at least the limit");
		if (v == -1 || limit == -1)
			r = cg_write(dir, "memory.swap.max", "max", err);
		else
			r = cg_writef(dir, "memory.swap.max", err, "%lld", (long long)(v - limit));
		if (r < 0)
			return r;
	}
	if ((r = res_i64(mem, "reservation", "memory", &v, err)) < 0)
		return r;
	if (r && (r = cg_writef(dir, "memory.low", err, "%lld", (long long)v)) < 0)
		return r;
	cpu = cJSON_GetObjectItemCaseSensitive(res, "cpu");
	if ((r = res_i64(cpu, "shares", "cpu", &v, err)) < 0)
		return r;
	if (r && (v < 2 || v > 262144))
		return err_set(err, EINVAL, "linux.resources.cpu.shares must be 2..262144");
	if (r && (r = cg_writef(dir, "cpu.weight", err, "%lld",
				(long long)(1 + ((v - 2) * 9999) / 262142))) < 0)
		return r;
	{
		int64_t quota = -1, period = 100000;
		int hq = res_i64(cpu, "quota", "cpu", &quota, err);
		int hp = hq < 0 ? hq : res_i64(cpu, "period", "cpu", &period, err);

		if (hq < 0 || hp < 0)
			return -err->code;
		if ((hq || hp) &&
		    ((quota != -1 && quota < 1000) || period < 1000 || period > 1000000))
			return err_set(err, EINVAL,
				       "linux.resources.cpu quota/period out of range");
		if (hq || hp) {
			r = quota == -1
				? cg_writef(dir, "cpu.max", err, "max %lld", (long long)period)
				: cg_writef(dir, "cpu.max", err, "%lld %lld", (long long)quota,
					    (long long)period);
			if (r < 0)
				return r;
		}
	}
	for (int i = 0; cpu && i < 2; i++) {
		const char *key = i ? "mems" : "cpus";
		const cJSON *str = cJSON_GetObjectItemCaseSensitive(cpu, key);
		char file[32];

		if (!cJSON_IsString(str) || !*str->valuestring)
			continue;
		snprintf(file, sizeof(file), "cpuset.%s", key);
		if (cg_write(dir, file, str->valuestring, err) < 0)
			return err_wrap(err, "linux.resources.cpu.%s", key);
	}
	if ((r = res_i64(cpu, "idle", "cpu", &v, err)) < 0)
		return r;
	if (r && (r = cg_writef(dir, "cpu.idle", err, "%lld", (long long)v)) < 0)
		return err_wrap(err, "linux.resources.cpu.idle");
	pids = cJSON_GetObjectItemCaseSensitive(res, "pids");
	if ((r = res_i64(pids, "limit", "pids", &v, err)) < 0)
		return r;
	if (r && (r = (v <= 0 ? cg_write(dir, "pids.max", "max", err)
			      : cg_writef(dir, "pids.max", err, "%lld", (long long)v))) < 0)
		return r;
	blk = cJSON_GetObjectItemCaseSensitive(res, "blockIO");
	if ((r = res_i64(blk, "weight", "blockIO", &v, err)) < 0)
		return r;
	if (r) {
		char probe[64];

		if (v < 10 || v > 1000)
			return err_set(err, EINVAL,
				       "linux.resources.blockIO.weight must be 10..1000");
		if (cg_read(dir, "io.weight", probe, sizeof(probe)) < 0)
			return err_set(err, ENOTSUP,
				       "linux.resources.blockIO.weight: no io.weight here (the io "
				       "controller or a proportional I/O scheduler is missing)");
		if ((r = cg_writef(dir, "io.weight", err, "default %lld", (long long)v)) < 0)
			return r;
	}
	return 0;
}

static int v2_create(struct cgroup *cg, const struct spec *s, struct err *err)
{
	const cJSON *res = s ? s->resources : NULL;
	cleanup_free char *dir = v2_dir(cg);
	int r;

	r = cg_mkdir_p(CGROUP_ROOT, cg->path, enable_controllers, err);
	if (r < 0)
		return r;
	if (!res)
		return 0;
	if ((r = set_devices(dir, cJSON_GetObjectItemCaseSensitive(res, "devices"), s, err)) < 0)
		return r;
	return v2_update(cg, res, err);
}

static int v2_add(struct cgroup *cg, pid_t pid, struct err *err)
{
	cleanup_free char *dir = v2_dir(cg);

	return cg_writef(dir, "cgroup.procs", err, "%d", (int)pid);
}

static bool v2_populated(struct cgroup *cg)
{
	cleanup_free char *dir = v2_dir(cg);

	return cg_keyed_value(dir, "cgroup.events", "populated") != 0;
}

static int v2_kill_all(struct cgroup *cg, int sig, struct err *err)
{
	cleanup_free char *dir = v2_dir(cg);

	/* cgroup.kill (5.14) gets every process at once, forks included */
	if (sig == SIGKILL && cg_write(dir, "cgroup.kill", "1", err) == 0)
		return 0;
	err_clear(err);
	return cg_kill_procs(dir, sig, err);
}

static int v2_destroy(struct cgroup *cg, struct err *err)
{
	cleanup_free char *dir = v2_dir(cg);

	return cg_rmdir(dir, err);
}

static uint64_t v2_oom_kills(struct cgroup *cg)
{
	cleanup_free char *dir = v2_dir(cg);

	return cg_keyed_value(dir, "memory.events", "oom_kill");
}

static int v2_mount(struct cgroup *cg, int rootfd, const char *dest, unsigned long flags,
		    struct err *err)
{
	char target[FDPATH_LEN];
	cleanup_close int fd = mount_point_in_root(rootfd, dest, O_DIRECTORY, target, err);

	if (fd < 0)
		return fd;
	if (mount("cgroup2", target, "cgroup2", flags | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return err_sys(err, "mount cgroup2");
	return 0;
}

static int v2_freeze(struct cgroup *cg, bool frozen, struct err *err)
{
	cleanup_free char *dir = v2_dir(cg);

	if (cg_write(dir, "cgroup.freeze", frozen ? "1" : "0", err) < 0)
		return -err->code;
	for (int i = 0; i < 1000; i++) {
		struct timespec ts = {0, 1000000};

		if (cg_keyed_value(dir, "cgroup.events", "frozen") == (frozen ? 1u : 0u))
			return 0;
		nanosleep(&ts, NULL);
	}
	return err_set(err, ETIMEDOUT, "the cgroup did not %s within a second",
		       frozen ? "freeze" : "thaw");
}

static int v2_clone_fd(struct cgroup *cg)
{
	cleanup_free char *dir = v2_dir(cg);

	return open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

const struct cgroup_ops cgroup_v2_ops = {
    .name = "v2",
    .create = v2_create,
    .update = v2_update,
    .add = v2_add,
    .kill_all = v2_kill_all,
    .destroy = v2_destroy,
    .oom_kills = v2_oom_kills,
    .mount = v2_mount,
    .populated = v2_populated,
    .freeze = v2_freeze,
    .clone_fd = v2_clone_fd,
};
