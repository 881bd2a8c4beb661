/* cgroup v1 (and the hybrid layout, whose controllers are all on v1). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "common/cleanup.h"
#include "common/safepath.h"
#include "common/xalloc.h"

static bool has_ctrl(const struct cgroup_hier *h, const char *ctrl)
{
	size_t n = strlen(ctrl);

	for (const char *p = h->controllers; p && *p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		if (len == n && strncmp(p, ctrl, n) == 0)
			return true;
		p = comma ? comma + 1 : NULL;
	}
	return false;
}

static char *dir_of(const struct cgroup *cg, const char *ctrl)
{
	for (size_t i = 0; i < cg->nh; i++)
		if (has_ctrl(&cg->h[i], ctrl))
			return xasprintf("%s/%s", cg->h[i].mnt, cg->path);
	return NULL;
}

/*
 * A new cpuset cgroup starts empty: give it its parent's cpus and mems. The
 * parent may be new and empty too, made a moment ago by another runtime that
 * has not filled it yet (or made again after a removal): fill it first, from
 * its own parent. The root of the hierarchy is never empty.
 */
static int cpuset_inherit(const char *parent, const char *dir, struct err *err)
{
	char buf[4096];
	static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
	bool filled = false;

	for (int i = 0; i < 2; i++) {
		if (cg_read(parent, files[i], buf, sizeof(buf)) < 0)
			return err_sys(err, "read %s/%s", parent, files[i]);
		buf[strcspn(buf, "\n")] = '\0';
		if (!buf[0] && !filled) {
			cleanup_free char *grand = xstrdup(parent);
			char *slash = strrchr(grand, '/');

			if (!slash || slash == grand)
				return err_set(err, ENOSPC, "%s/%s is empty", parent, files[i]);
			*slash = '\0';
			if (cpuset_inherit(grand, parent, err) < 0)
				return -err->code;
			filled = true;
			i--; /* read the parent again */
			continue;
		}
		if (cg_write(dir, files[i], buf, err) < 0)
			return -err->code;
	}
	return 0;
}

static int set_memory(const char *dir, const cJSON *mem, struct err *err)
{
	int64_t limit = 0, swap = 0, res = 0, swappiness = 0;
	int hl, hs, r;

	if (!mem)
		return 0;
	if ((hl = res_i64(mem, "limit", "memory", &limit, err)) < 0 ||
	    (hs = res_i64(mem, "swap", "memory", &swap, err)) < 0)
		return -err->code;
	if (hl && limit != -1 && limit < 4096)
		return err_set(err, EINVAL, "linux.resources.memory.limit %lld is too small",
			       (long long)limit);
	if (hs && hl && swap != -1 && limit != -1 && swap < limit)
		return err_set(
		    err, EINVAL,
		    "linux.resources.memory.swap (%lld) must be at least the limit (%lld)",
		    (long long)swap, (long long)limit);
	if (hl) {
		r = cg_writef(dir, "memory.limit_in_bytes", err, "%lld", (long long)limit);
		/* raised above the memory+swap limit in force (berth update): that one first */
		if (r < 0 && hs && err->code == EINVAL) {
			err_clear(err);
			r = cg_writef(dir, "memory.memsw.limit_in_bytes", err, "%lld",
				      (long long)swap);
			if (r == 0)
				r = cg_writef(dir, "memory.limit_in_bytes", err, "%lld",
					      (long long)limit);
		}
		if (r < 0)
			return r;
	}
	if (hs) {
		char probe[64];

		if (cg_read(dir, "memory.memsw.limit_in_bytes", probe, sizeof(probe)) < 0)
			return err_set(err, ENOTSUP,
				       "linux.resources.memory.swap: this kernel has no swap "
				       "accounting (memory.memsw.*)");
		r = cg_writef(dir, "memory.memsw.limit_in_bytes", err, "%lld", (long long)swap);
		if (r < 0)
			return r;
	}
	if ((r = res_i64(mem, "reservation", "memory", &res, err)) < 0)
		return r;
	if (r &&
	    (r = cg_writef(dir, "memory.soft_limit_in_bytes", err, "%lld", (long long)res)) < 0)
		return r;
	if ((r = res_i64(mem, "swappiness", "memory", &swappiness, err)) < 0)
		return r;
	if (r && (swappiness < 0 || swappiness > 100))
		return err_set(err, EINVAL, "linux.resources.memory.swappiness must be 0..100");
	if (r && (r = cg_writef(dir, "memory.swappiness", err, "%lld", (long long)swappiness)) < 0)
		return r;
	return 0;
}

static int set_cpu(const char *dir, const cJSON *cpu, struct err *err)
{
	int64_t shares = 0, quota = 0, period = 0;
	int r;

	if (!cpu)
		return 0;
	if ((r = res_i64(cpu, "shares", "cpu", &shares, err)) < 0)
		return r;
	if (r && (shares < 2 || shares > 262144))
		return err_set(err, EINVAL, "linux.resources.cpu.shares must be 2..262144");
	if (r && (r = cg_writef(dir, "cpu.shares", err, "%lld", (long long)shares)) < 0)
		return r;
	if ((r = res_i64(cpu, "period", "cpu", &period, err)) < 0)
		return r;
	if (r && (period < 1000 || period > 1000000))
		return err_set(err, EINVAL, "linux.resources.cpu.period must be 1000..1000000");
	if (r && (r = cg_writef(dir, "cpu.cfs_period_us", err, "%lld", (long long)period)) < 0)
		return r;
	if ((r = res_i64(cpu, "quota", "cpu", &quota, err)) < 0)
		return r;
	if (r && quota != -1 && quota < 1000)
		return err_set(err, EINVAL,
			       "linux.resources.cpu.quota must be -1 or at least 1000");
	if (r && (r = cg_writef(dir, "cpu.cfs_quota_us", err, "%lld", (long long)quota)) < 0)
		return r;
	return 0;
}

static int set_cpuset(const char *dir, const cJSON *cpu, struct err *err)
{
	static const char *const keys[] = {"cpus", "mems"};

	for (int i = 0; cpu && i < 2; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(cpu, keys[i]);
		char file[32];

		if (!v || (cJSON_IsString(v) && !*v->valuestring))
			continue;
		if (!cJSON_IsString(v))
			return err_set(err, EINVAL, "linux.resources.cpu.%s must be a string",
				       keys[i]);
		snprintf(file, sizeof(file), "cpuset.%s", keys[i]);
		if (cg_write(dir, file, v->valuestring, err) < 0)
			return err_wrap(err, "linux.resources.cpu.%s", keys[i]);
	}
	return 0;
}

static int set_pids(const char *dir, const cJSON *pids, struct err *err)
{
	int64_t limit = 0;
	int r = res_i64(pids, "limit", "pids", &limit, err);

	if (r <= 0)
		return r;
	if (limit <= 0)
		return cg_write(dir, "pids.max", "max", err);
	return cg_writef(dir, "pids.max", err, "%lld", (long long)limit);
}

static int set_devices(const char *dir, const cJSON *devs, const struct spec *s, struct err *err)
{
	struct dev_rule *rules = NULL;
	size_t n = 0;
	int r = cg_device_rules(devs, s, &rules, &n, err);

	for (size_t i = 0; r == 0 && i < n; i++) {
		char text[64];

		cg_device_rule_text(&rules[i], text, sizeof(text));
		r = cg_write(dir, rules[i].allow ? "devices.allow" : "devices.deny", text, err);
		if (r < 0)
			r = err_wrap(err, "device rule '%s'", text);
	}
	free(rules);
	return r;
}

/* Every key of linux.resources v1 applies; the rest (unified, cpu.idle, ...) is refused. */
static const char *const v1_keys[] = {
    "devices",
    "memory",
    "memory.limit",
    "memory.reservation",
    "memory.swap",
    "memory.kernel",
    "memory.kernelTCP",
    "memory.swappiness",
    "memory.disableOOMKiller",
    "memory.useHierarchy",
    "memory.checkBeforeUpdate",
    "cpu",
    "cpu.shares",
    "cpu.quota",
    "cpu.period",
    "cpu.realtimeRuntime",
    "cpu.realtimePeriod",
    "cpu.cpus",
    "cpu.mems",
    "cpu.idle",
    "pids",
    "pids.limit",
    "blockIO",
    "blockIO.weight",
    "blockIO.leafWeight",
    "blockIO.weightDevice",
    "blockIO.throttleReadBpsDevice",
    "blockIO.throttleWriteBpsDevice",
    "blockIO.throttleReadIOPSDevice",
    "blockIO.throttleWriteIOPSDevice",
    "hugepageLimits",
    "network",
    "network.classID",
    "network.priorities",
    "rdma",
    NULL,
};

static int v1_update(struct cgroup *cg, const cJSON *res, struct err *err)
{
	cleanup_free char *mem = dir_of(cg, "memory"), *cpu = dir_of(cg, "cpu"),
			  *cpuset = dir_of(cg, "cpuset"), *pids = dir_of(cg, "pids"),
			  *blk = dir_of(cg, "blkio"), *cls = dir_of(cg, "net_cls"),
			  *prio = dir_of(cg, "net_prio"), *huge = dir_of(cg, "hugetlb"),
			  *rdma = dir_of(cg, "rdma");
	const cJSON *c;
	int r;

	if ((r = res_check_keys(res, v1_keys, "v1", err)) < 0)
		return r;
	c = cJSON_GetObjectItemCaseSensitive(res, "memory");
	if (c && !mem)
		return err_set(err, ENOTSUP, "linux.resources.memory: no memory cgroup here");
	if (c && ((r = set_memory(mem, c, err)) < 0 || (r = v1_memory_extra(mem, c, err)) < 0))
		return r;
	c = cJSON_GetObjectItemCaseSensitive(res, "cpu");
	if (c && cpu && (r = set_cpu(cpu, c, err)) < 0)
		return r;
	if (c && (r = v1_cpu_rt(cpu, c, err)) < 0)
		return r;
	if (c && cpuset && (r = set_cpuset(cpuset, c, err)) < 0)
		return r;
	c = cJSON_GetObjectItemCaseSensitive(res, "network");
	if (c && (r = v1_network(cls, prio, c, err)) < 0)
		return r;
	c = cJSON_GetObjectItemCaseSensitive(res, "hugepageLimits");
	if (c && (r = v1_hugetlb(huge, c, err)) < 0)
		return r;
	c = cJSON_GetObjectItemCaseSensitive(res, "rdma");
	if (c && (r = v1_rdma(rdma, c, err)) < 0)
		return r;
	c = cJSON_GetObjectItemCaseSensitive(res, "pids");
	if (c && !pids)
		return err_set(err, ENOTSUP, "linux.resources.pids: no pids cgroup here");
	if (c && (r = set_pids(pids, c, err)) < 0)
		return r;
	c = cJSON_GetObjectItemCaseSensitive(res, "blockIO");
	if (c && (r = v1_blkio(blk, c, err)) < 0)
		return r;
	return 0;
}

static int v1_create(struct cgroup *cg, const struct spec *s, struct err *err)
{
	const cJSON *res = s ? s->resources : NULL;
	cleanup_free char *dev = NULL;
	const cJSON *c;
	int r;

	for (size_t i = 0; i < cg->nh; i++) {
		bool is_cpuset = has_ctrl(&cg->h[i], "cpuset");

		r = cg_mkdir_p(cg->h[i].mnt, cg->path, is_cpuset ? cpuset_inherit : NULL, err);
		if (r < 0)
			return r;
	}
	if (!res)
		return 0;
	dev = dir_of(cg, "devices");
	c = cJSON_GetObjectItemCaseSensitive(res, "devices");
	if (c && dev && (r = set_devices(dev, c, s, err)) < 0)
		return r;
	return v1_update(cg, res, err);
}

static int v1_add(struct cgroup *cg, pid_t pid, struct err *err)
{
	for (size_t i = 0; i < cg->nh; i++) {
		cleanup_free char *dir = xasprintf("%s/%s", cg->h[i].mnt, cg->path);
		int r = cg_writef(dir, "cgroup.procs", err, "%d", (int)pid);

		if (r < 0)
			return r;
	}
	return 0;
}

/* The hierarchy we read membership from: pids if there, else the first. */
static char *member_dir(const struct cgroup *cg)
{
	char *d = dir_of(cg, "pids");

	return d ? d : xasprintf("%s/%s", cg->h[0].mnt, cg->path);
}

static bool v1_populated(struct cgroup *cg)
{
	cleanup_free char *dir = member_dir(cg);
	char buf[64];

	return cg_read(dir, "cgroup.procs", buf, sizeof(buf)) > 0;
}

static int v1_kill_all(struct cgroup *cg, int sig, struct err *err)
{
	cleanup_free char *dir = member_dir(cg);

	return cg_kill_procs(dir, sig, err);
}

static int v1_destroy(struct cgroup *cg, struct err *err)
{
	int rc = 0;

	for (size_t i = 0; i < cg->nh; i++) {
		cleanup_free char *dir = xasprintf("%s/%s", cg->h[i].mnt, cg->path);

		if (cg_rmdir(dir, err) < 0)
			rc = -err->code;
	}
	return rc;
}

static uint64_t v1_oom_kills(struct cgroup *cg)
{
	cleanup_free char *dir = dir_of(cg, "memory");

	return dir ? cg_keyed_value(dir, "memory.oom_control", "oom_kill") : 0;
}

/*
 * The container sees a tmpfs with one directory per hierarchy, each a bind
 * of its own cgroup, plus a symlink per controller of a combined hierarchy.
 */
static int v1_mount(struct cgroup *cg, int rootfd, const char *dest, unsigned long flags,
		    struct err *err)
{
	const unsigned long base = MS_NOSUID | MS_NODEV | MS_NOEXEC;
	cleanup_close int top = -1;
	char path[FDPATH_LEN];

	top = mount_point_in_root(rootfd, dest, O_DIRECTORY, path, err);
	if (top < 0)
		return top;
	if (mount("tmpfs", path, "tmpfs", base, "mode=755") < 0)
		return err_sys(err, "mount tmpfs for cgroups");
	close(top);
	top = mount_point_in_root(rootfd, dest, O_DIRECTORY, path, err);
	if (top < 0)
		return top;
	for (size_t i = 0; i < cg->nh; i++) {
		cleanup_free char *src = xasprintf("%s/%s", cg->h[i].mnt, cg->path);
		cleanup_free char *sub = xasprintf("%s/%s", dest, cg->h[i].name);
		cleanup_close int fd = -1;
		char target[FDPATH_LEN];

		if (mkdirat(top, cg->h[i].name, 0755) < 0 && errno != EEXIST)
			return err_sys(err, "mkdir %s", sub);
		fd = mount_point_in_root(rootfd, sub, O_DIRECTORY, target, err);
		if (fd < 0)
			return fd;
		if (mount(src, target, NULL, MS_BIND, NULL) < 0)
			return err_sys(err, "bind cgroup %s", src);
		close(fd);
		fd = mount_point_in_root(rootfd, sub, O_DIRECTORY, target, err);
		if (fd < 0)
			return fd;
		if (mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | base | (flags & MS_RDONLY),
			  NULL) < 0)
			return err_sys(err, "remount cgroup %s", sub);
		if (strchr(cg->h[i].controllers, ',')) {
			cleanup_free char *list = xstrdup(cg->h[i].controllers);
			char *save = NULL;

			for (char *c = strtok_r(list, ",", &save); c;
			     c = strtok_r(NULL, ",", &save))
				if (strcmp(c, cg->h[i].name) != 0 && !strchr(c, '=') &&
				    symlinkat(cg->h[i].name, top, c) < 0 && errno != EEXIST)
					return err_sys(err, "symlink %s/%s", dest, c);
		}
	}
	if ((flags & MS_RDONLY) &&
	    mount(NULL, path, NULL, MS_REMOUNT | MS_RDONLY | base, "mode=755") < 0)
		return err_sys(err, "remount the cgroup tmpfs read-only");
	return 0;
}

static int v1_freeze(struct cgroup *cg, bool frozen, struct err *err)
{
	cleanup_free char *dir = dir_of(cg, "freezer");
	const char *want = frozen ? "FROZEN" : "THAWED";
	char state[32];

	if (!dir)
		return err_set(err, ENOTSUP, "no freezer cgroup hierarchy is mounted");
	if (cg_write(dir, "freezer.state", want, err) < 0)
		return -err->code;
	/* FREEZING until every task stopped; a busy one may take a moment */
	for (int i = 0; i < 1000; i++) {
		struct timespec ts = {0, 1000000};

		if (cg_read(dir, "freezer.state", state, sizeof(state)) >= 0 &&
		    !strncmp(state, want, strlen(want)))
			return 0;
		if (frozen && i % 100 == 99)
			cg_write(dir, "freezer.state", want, err);
		nanosleep(&ts, NULL);
	}
	return err_set(err, ETIMEDOUT, "the freezer did not reach %s within a second", want);
}

const struct cgroup_ops cgroup_v1_ops = {
    .name = "v1",
    .create = v1_create,
    .update = v1_update,
    .add = v1_add,
    .kill_all = v1_kill_all,
    .destroy = v1_destroy,
    .oom_kills = v1_oom_kills,
    .mount = v1_mount,
    .populated = v1_populated,
    .freeze = v1_freeze,
};
