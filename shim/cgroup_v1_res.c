/*
 * cgroup v1: the resources beyond memory/cpu/pids limits: kernel memory,
 * OOM killer, net_cls/net_prio, blkio weights and throttles, hugetlb, real
 * time CPU and rdma. Each is applied, or refused naming the key and why;
 * nothing the spec asks for is dropped.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "common/cleanup.h"
#include "common/xalloc.h"

/* Write where->file, or say which hierarchy or file this host lacks. */
static int v1_set(const char *dir, const char *ctrl, const char *file, const char *value,
		  const char *where, struct err *err)
{
	cleanup_free char *path = NULL;

	if (!dir)
		return err_set(err, ENOTSUP,
			       "linux.resources.%s: no %s cgroup hierarchy is mounted", where,
			       ctrl);
	path = xasprintf("%s/%s", dir, file);
	if (access(path, F_OK) < 0)
		return err_set(err, ENOTSUP, "linux.resources.%s: this kernel has no %s", where,
			       file);
	if (cg_write(dir, file, value, err) < 0)
		return err_wrap(err, "linux.resources.%s", where);
	return 0;
}

static int v1_setf(const char *dir, const char *ctrl, const char *file, const char *where,
		   struct err *err, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static int v1_setf(const char *dir, const char *ctrl, const char *file, const char *where,
		   struct err *err, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return v1_set(dir, ctrl, file, buf, where, err);
}

/* Linux 6.1 keeps memory.kmem.limit_in_bytes but ignores writes: say so rather than pretend. */
static int set_kmem(const char *dir, int64_t limit, struct err *err)
{
	char back[64];
	int r = v1_setf(dir, "memory", "memory.kmem.limit_in_bytes", "memory.kernel", err,
			"%" PRId64, limit);

	if (r < 0 || limit < 0)
		return r;
	if (cg_read(dir, "memory.kmem.limit_in_bytes", back, sizeof(back)) > 0 &&
	    strtoll(back, NULL, 10) > limit)
		return err_set(err, ENOTSUP,
			       "linux.resources.memory.kernel: this kernel ignores kernel memory "
			       "limits (memory.kmem.limit_in_bytes stays %lld; Linux 6.1 dropped "
			       "them)",
			       strtoll(back, NULL, 10));
	return 0;
}

int v1_memory_extra(const char *dir, const cJSON *mem, struct err *err)
{
	const cJSON *v;
	int64_t n;
	int r;

	if ((r = res_i64(mem, "kernel", "memory", &n, err)) < 0 ||
	    (r && (r = set_kmem(dir, n, err)) < 0))
		return r;
	if ((r = res_i64(mem, "kernelTCP", "memory", &n, err)) < 0 ||
	    (r && (r = v1_setf(dir, "memory", "memory.kmem.tcp.limit_in_bytes", "memory.kernelTCP",
			       err, "%" PRId64, n)) < 0))
		return r;
	v = cJSON_GetObjectItemCaseSensitive(mem, "disableOOMKiller");
	if (v && !cJSON_IsBool(v))
		return err_set(err, EINVAL,
			       "linux.resources.memory.disableOOMKiller must be a boolean");
	if (v && (r = v1_set(dir, "memory", "memory.oom_control", cJSON_IsTrue(v) ? "1" : "0",
			     "memory.disableOOMKiller", err)) < 0)
		return r;
	v = cJSON_GetObjectItemCaseSensitive(mem, "useHierarchy");
	if (v && !cJSON_IsBool(v))
		return err_set(err, EINVAL,
			       "linux.resources.memory.useHierarchy must be a boolean");
	if (v && (r = v1_set(dir, "memory", "memory.use_hierarchy", cJSON_IsTrue(v) ? "1" : "0",
			     "memory.useHierarchy", err)) < 0)
		return r;
	return 0;
}

int v1_cpu_rt(const char *dir, const cJSON *cpu, struct err *err)
{
	int64_t n;
	int r;

	/* the period first: a runtime is checked against it */
	if ((r = res_i64(cpu, "realtimePeriod", "cpu", &n, err)) < 0 ||
	    (r && (r = v1_setf(dir, "cpu", "cpu.rt_period_us", "cpu.realtimePeriod", err,
			       "%" PRId64, n)) < 0))
		return r;
	if ((r = res_i64(cpu, "realtimeRuntime", "cpu", &n, err)) < 0 ||
	    (r && (r = v1_setf(dir, "cpu", "cpu.rt_runtime_us", "cpu.realtimeRuntime", err,
			       "%" PRId64, n)) < 0))
		return r;
	if (cJSON_GetObjectItemCaseSensitive(cpu, "idle"))
		return err_set(err, ENOTSUP, "linux.resources.cpu.idle needs cgroup v2");
	return 0;
}

static bool valid_ifname(const char *s)
{
	if (!*s || strlen(s) > 15)
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == ' ' || *s == '\n' || (unsigned char)*s < 0x20)
			return false;
	return true;
}

int v1_network(const char *cls, const char *prio, const cJSON *net, struct err *err)
{
	const cJSON *it, *v;
	int64_t id;
	int r;

	if ((r = res_i64(net, "classID", "network", &id, err)) < 0)
		return r;
	if (r && (id < 0 || id > UINT32_MAX))
		return err_set(err, EINVAL, "linux.resources.network.classID must be 0..%u",
			       UINT32_MAX);
	if (r && (r = v1_setf(cls, "net_cls", "net_cls.classid", "network.classID", err, "%" PRId64,
			      id)) < 0)
		return r;
	v = cJSON_GetObjectItemCaseSensitive(net, "priorities");
	if (v && !cJSON_IsArray(v))
		return err_set(err, EINVAL, "linux.resources.network.priorities must be an array");
	cJSON_ArrayForEach (it, v) {
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(it, "name");
		int64_t p;

		if (!cJSON_IsString(name) || !valid_ifname(name->valuestring))
			return err_set(
			    err, EINVAL,
			    "linux.resources.network.priorities: each needs an interface "
			    "name");
		if ((r = res_i64(it, "priority", "network.priorities", &p, err)) < 0)
			return r;
		if (!r || p < 0 || p > UINT32_MAX)
			return err_set(err, EINVAL,
				       "linux.resources.network.priorities: %s needs a priority "
				       "0..%u",
				       name->valuestring, UINT32_MAX);
		if ((r = v1_setf(prio, "net_prio", "net_prio.ifpriomap", "network.priorities", err,
				 "%s %" PRId64, name->valuestring, p)) < 0)
			return r;
	}
	return 0;
}

/* A {major, minor, <key>} entry of a blockIO device list, written as "maj:min value". */
static int blk_device(const char *dir, const char *file, const cJSON *e, const char *list,
		      const char *key, struct err *err)
{
	int64_t maj, min, val;
	char where[64];
	int r;

	snprintf(where, sizeof(where), "blockIO.%s", list);
	if ((r = res_i64(e, "major", where, &maj, err)) < 0)
		return r;
	if (r == 0 || (r = res_i64(e, "minor", where, &min, err)) <= 0)
		return r < 0 ? r
			     : err_set(err, EINVAL,
				       "linux.resources.%s: major and minor are required", where);
	if ((r = res_i64(e, key, where, &val, err)) <= 0)
		return r;
	if (maj < 0 || min < 0 || val < 0)
		return err_set(err, EINVAL, "linux.resources.%s: negative number", where);
	return v1_setf(dir, "blkio", file, where, err, "%" PRId64 ":%" PRId64 " %" PRId64, maj, min,
		       val);
}

static const char *weight_file(const char *dir, const char *cfq, const char *bfq)
{
	char probe[64];

	if (dir && cg_read(dir, cfq, probe, sizeof(probe)) >= 0)
		return cfq;
	if (bfq && dir && cg_read(dir, bfq, probe, sizeof(probe)) >= 0)
		return bfq;
	return NULL;
}

static int blk_weight(const char *dir, const cJSON *blk, const char *key, const char *cfq,
		      const char *bfq, struct err *err)
{
	const char *file;
	char where[64];
	int64_t w;
	int r = res_i64(blk, key, "blockIO", &w, err);

	if (r <= 0)
		return r;
	if (w < 10 || w > 1000)
		return err_set(err, EINVAL, "linux.resources.blockIO.%s must be 10..1000", key);
	snprintf(where, sizeof(where), "blockIO.%s", key);
	file = weight_file(dir, cfq, bfq);
	if (dir && !file)
		return err_set(err, ENOTSUP,
			       "linux.resources.blockIO.%s: no proportional I/O scheduler here "
			       "(%s%s%s)",
			       key, cfq, bfq ? ", " : "", bfq ? bfq : "");
	return v1_setf(dir, "blkio", file ? file : cfq, where, err, "%" PRId64, w);
}

int v1_blkio(const char *dir, const cJSON *blk, struct err *err)
{
	static const struct {
		const char *list, *file;
	} throttles[] = {
	    {"throttleReadBpsDevice", "blkio.throttle.read_bps_device"},
	    {"throttleWriteBpsDevice", "blkio.throttle.write_bps_device"},
	    {"throttleReadIOPSDevice", "blkio.throttle.read_iops_device"},
	    {"throttleWriteIOPSDevice", "blkio.throttle.write_iops_device"},
	};
	const cJSON *it;
	int r;

	if ((r = blk_weight(dir, blk, "weight", "blkio.weight", "blkio.bfq.weight", err)) < 0 ||
	    (r = blk_weight(dir, blk, "leafWeight", "blkio.leaf_weight", NULL, err)) < 0)
		return r;
	cJSON_ArrayForEach (it, cJSON_GetObjectItemCaseSensitive(blk, "weightDevice")) {
		const char *f = weight_file(dir, "blkio.weight_device", "blkio.bfq.weight_device");

		if (cJSON_GetObjectItemCaseSensitive(it, "weight") && dir && !f)
			return err_set(err, ENOTSUP,
				       "linux.resources.blockIO.weightDevice: no proportional I/O "
				       "scheduler here (blkio.weight_device, "
				       "blkio.bfq.weight_device)");
		if ((r = blk_device(dir, f ? f : "blkio.weight_device", it, "weightDevice",
				    "weight", err)) < 0 ||
		    (r = blk_device(dir, "blkio.leaf_weight_device", it, "weightDevice",
				    "leafWeight", err)) < 0)
			return r;
	}
	for (size_t i = 0; i < sizeof(throttles) / sizeof(throttles[0]); i++)
		cJSON_ArrayForEach (it, cJSON_GetObjectItemCaseSensitive(blk, throttles[i].list))
			if ((r = blk_device(dir, throttles[i].file, it, throttles[i].list, "rate",
					    err)) < 0)
				return r;
	return 0;
}

int v1_hugetlb(const char *dir, const cJSON *limits, struct err *err)
{
	const cJSON *it;

	if (!cJSON_IsArray(limits))
		return err_set(err, EINVAL, "linux.resources.hugepageLimits must be an array");
	cJSON_ArrayForEach (it, limits) {
		cleanup_free char *file = NULL;
		const char *size;
		int64_t limit;
		int r;

		if ((r = res_hugepage(it, &size, &limit, err)) < 0)
			return r;
		file = xasprintf("hugetlb.%s.limit_in_bytes", size);
		if ((r = v1_setf(dir, "hugetlb", file, "hugepageLimits", err, "%" PRId64, limit)) <
		    0)
			return r;
	}
	return 0;
}

int v1_rdma(const char *dir, const cJSON *rdma, struct err *err)
{
	const cJSON *dev;

	cJSON_ArrayForEach (dev, rdma) {
		char line[256];
		int64_t h, o;
		int rh, ro;

		if ((rh = res_i64(dev, "hcaHandles", "rdma", &h, err)) < 0 ||
		    (ro = res_i64(dev, "hcaObjects", "rdma", &o, err)) < 0)
			return -err->code;
		if (!valid_ifname(dev->string))
			return err_set(err, EINVAL, "linux.resources.rdma: bad device name");
		snprintf(line, sizeof(line), "%s", dev->string);
		if (rh)
			snprintf(line + strlen(line), sizeof(line) - strlen(line),
				 " hca_handle=%" PRId64, h);
		if (ro)
			snprintf(line + strlen(line), sizeof(line) - strlen(line),
				 " hca_object=%" PRId64, o);
		if ((rh || ro) && v1_set(dir, "rdma", "rdma.max", line, "rdma", err) < 0)
			return -err->code;
	}
	return 0;
}
