/*
 * HostConfig's resources, by Docker's names, as the OCI spec's
 * linux.resources: memory, cpu, pids, block I/O and device rules.
 * resources_check runs at create (a bad value is refused naming its
 * option); resources_spec writes them into the spec at each start.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "common/xalloc.h"
#include "containerd.h"

static const cJSON *item(const cJSON *o, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(o, key);
}

static long long num(const cJSON *o, const char *key)
{
	const cJSON *v = item(o, key);

	return cJSON_IsNumber(v) ? (long long)v->valuedouble : 0;
}

/* The block device at path: its numbers, or an error naming the option. */
static int block_device(const char *opt, const char *path, unsigned *maj, unsigned *min,
			struct err *err)
{
	struct stat st;

	if (!path || path[0] != '/')
		return err_set(err, EINVAL, "invalid %s: the device path must be absolute", opt);
	if (stat(path, &st) < 0)
		return err_set(err, EINVAL, "invalid %s %s: %s", opt, path, strerror(errno));
	if (!S_ISBLK(st.st_mode))
		return err_set(err, EINVAL, "invalid %s %s: not a block device", opt, path);
	*maj = major(st.st_rdev);
	*min = minor(st.st_rdev);
	return 0;
}

/* Docker's --blkio-weight-device, --device-read-bps and the like. */
static const struct {
	const char *key, *opt, *value, *oci;
} blkio_lists[] = {
    {"BlkioWeightDevice", "--blkio-weight-device", "Weight", "weightDevice"},
    {"BlkioDeviceReadBps", "--device-read-bps", "Rate", "throttleReadBpsDevice"},
    {"BlkioDeviceWriteBps", "--device-write-bps", "Rate", "throttleWriteBpsDevice"},
    {"BlkioDeviceReadIOps", "--device-read-iops", "Rate", "throttleReadIOPSDevice"},
    {"BlkioDeviceWriteIOps", "--device-write-iops", "Rate", "throttleWriteIOPSDevice"},
};

static int check_blkio(const cJSON *hc, struct err *err)
{
	long long w = num(hc, "BlkioWeight");

	if (w && (w < 10 || w > 1000))
		return err_set(err, EINVAL, "invalid --blkio-weight %lld: 10 to 1000", w);
	for (size_t i = 0; i < sizeof(blkio_lists) / sizeof(blkio_lists[0]); i++) {
		const cJSON *e;

		cJSON_ArrayForEach (e, item(hc, blkio_lists[i].key)) {
			const char *path = cJSON_GetStringValue(item(e, "Path"));
			long long v = num(e, blkio_lists[i].value);
			unsigned maj, min;

			if (block_device(blkio_lists[i].opt, path, &maj, &min, err) < 0)
				return -err->code;
			if (i == 0 && (v < 10 || v > 1000))
				return err_set(err, EINVAL,
					       "invalid %s %s:%lld: a weight of 10 to 1000",
					       blkio_lists[i].opt, path, v);
			if (v < 0)
				return err_set(err, EINVAL, "invalid %s %s: a negative rate",
					       blkio_lists[i].opt, path);
		}
	}
	return 0;
}

/* "c 1:3 rwm", "b *:* m", "a": Docker's --device-cgroup-rule. */
static bool number_or_star(const char *s, size_t n)
{
	if (n == 1 && *s == '*')
		return true;
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

static int parse_rule(const char *r, char *type, char *majmin[2], char *perms)
{
	const char *sp, *colon, *sp2;

	if (!r || (r[0] != 'a' && r[0] != 'b' && r[0] != 'c'))
		return -1;
	*type = r[0];
	if (r[1] == '\0' && r[0] == 'a') {
		majmin[0] = majmin[1] = NULL;
		strcpy(perms, "rwm");
		return 0;
	}
	if (r[1] != ' ' || !(sp = r + 2) || !(colon = strchr(sp, ':')) ||
	    !(sp2 = strchr(colon, ' ')) || !number_or_star(sp, (size_t)(colon - sp)) ||
	    !number_or_star(colon + 1, (size_t)(sp2 - colon - 1)) || !sp2[1] ||
	    strlen(sp2 + 1) > 3 || strspn(sp2 + 1, "rwm") != strlen(sp2 + 1))
		return -1;
	majmin[0] = xstrndup(sp, (size_t)(colon - sp));
	majmin[1] = xstrndup(colon + 1, (size_t)(sp2 - colon - 1));
	strcpy(perms, sp2 + 1);
	return 0;
}

static int check_rules(const cJSON *hc, struct err *err)
{
	const cJSON *r;

	cJSON_ArrayForEach (r, item(hc, "DeviceCgroupRules")) {
		const char *s = cJSON_GetStringValue(r);
		char type, perms[4], *mm[2] = {NULL, NULL};
		int bad = parse_rule(s, &type, mm, perms);

		free(mm[0]);
		free(mm[1]);
		if (bad)
			return err_set(
			    err, EINVAL,
			    "invalid --device-cgroup-rule '%s': expected TYPE MAJOR:MINOR "
			    "PERMS, such as 'c 1:3 rwm' (TYPE a, b or c; * for any number)",
			    s ? s : "");
	}
	return 0;
}

static bool cpu_list(const char *s)
{
	return s && strspn(s, "0123456789,-") == strlen(s);
}

static int check_cpu(const cJSON *hc, struct err *err)
{
	long long period = num(hc, "CpuPeriod"), quota = num(hc, "CpuQuota");
	long long rt_period = num(hc, "CpuRealtimePeriod"), rt = num(hc, "CpuRealtimeRuntime");
	const char *mems = cJSON_GetStringValue(item(hc, "CpusetMems"));

	if (num(hc, "NanoCpus") && (period || quota))
		return err_set(err, EINVAL,
			       "conflicting options: --cpus and --cpu-period/--cpu-quota cannot "
			       "both be set");
	if (period && (period < 1000 || period > 1000000))
		return err_set(err, EINVAL,
			       "invalid --cpu-period %lld: 1000 to 1000000 microseconds", period);
	if (quota && quota != -1 && quota < 1000)
		return err_set(err, EINVAL,
			       "invalid --cpu-quota %lld: at least 1000 microseconds, or -1",
			       quota);
	if (rt_period < 0 || rt < -1 || (rt_period && rt > rt_period))
		return err_set(err, EINVAL,
			       "invalid --cpu-rt-runtime %lld: at most --cpu-rt-period (%lld)", rt,
			       rt_period);
	if (mems && *mems && !cpu_list(mems))
		return err_set(err, EINVAL,
			       "invalid --cpuset-mems '%s': a list such as 0-1,3 of memory nodes",
			       mems);
	return 0;
}

static int check_memory_extra(const cJSON *hc, struct err *err)
{
	long long mem = num(hc, "Memory"), res = num(hc, "MemoryReservation");
	const cJSON *sw = item(hc, "MemorySwappiness");

	if (res < 0)
		return err_set(err, EINVAL, "invalid --memory-reservation: it cannot be negative");
	if (res && res < 6ll * 1024 * 1024)
		return err_set(err, EINVAL,
			       "invalid --memory-reservation %lld bytes: at least 6 MiB", res);
	if (mem > 0 && res > mem)
		return err_set(
		    err, EINVAL,
		    "invalid --memory-reservation: it must be below --memory (the limit)");
	if (cJSON_IsNumber(sw) && (sw->valuedouble < -1 || sw->valuedouble > 100))
		return err_set(err, EINVAL, "invalid --memory-swappiness %lld: 0 to 100",
			       (long long)sw->valuedouble);
	return 0;
}

int resources_check(const cJSON *hc, struct err *err)
{
	long long adj = num(hc, "OomScoreAdj");
	const cJSON *g;

	if (adj < -1000 || adj > 1000)
		return err_set(err, EINVAL, "invalid --oom-score-adj %lld: -1000 to 1000", adj);
	cJSON_ArrayForEach (g, item(hc, "GroupAdd")) {
		const char *s = cJSON_GetStringValue(g);

		if (!s || !*s || strpbrk(s, ": \t\n"))
			return err_set(err, EINVAL, "invalid --group-add '%s': a group name or id",
				       s ? s : "");
	}
	if (check_cpu(hc, err) < 0 || check_memory_extra(hc, err) < 0 || check_blkio(hc, err) < 0 ||
	    check_rules(hc, err) < 0)
		return -err->code;
	return 0;
}

/* ---- the spec ---- */

static cJSON *child(cJSON *o, const char *key)
{
	cJSON *c = cJSON_GetObjectItemCaseSensitive(o, key);

	return c ? c : cJSON_AddObjectToObject(o, key);
}

static void spec_memory(cJSON *res, const cJSON *hc)
{
	long long mem = num(hc, "Memory"), swap = num(hc, "MemorySwap");
	long long reservation = num(hc, "MemoryReservation");
	const cJSON *sw = item(hc, "MemorySwappiness");

	if (mem > 0) {
		cJSON_AddNumberToObject(child(res, "memory"), "limit", (double)mem);
		if (swap > 0 || swap == -1)
			cJSON_AddNumberToObject(child(res, "memory"), "swap", (double)swap);
	}
	if (reservation > 0)
		cJSON_AddNumberToObject(child(res, "memory"), "reservation", (double)reservation);
	if (cJSON_IsNumber(sw) && sw->valuedouble >= 0)
		cJSON_AddNumberToObject(child(res, "memory"), "swappiness", sw->valuedouble);
	if (cJSON_IsTrue(item(hc, "OomKillDisable")))
		cJSON_AddTrueToObject(child(res, "memory"), "disableOOMKiller");
}

static void spec_cpu(cJSON *res, const cJSON *hc)
{
	long long nano = num(hc, "NanoCpus"), shares = num(hc, "CpuShares");
	long long period = num(hc, "CpuPeriod"), quota = num(hc, "CpuQuota");
	const char *cpus = cJSON_GetStringValue(item(hc, "CpusetCpus"));
	const char *mems = cJSON_GetStringValue(item(hc, "CpusetMems"));

	if (nano > 0) {
		period = 100000;
		quota = nano / 10000;
	}
	if (period > 0)
		cJSON_AddNumberToObject(child(res, "cpu"), "period", (double)period);
	if (quota > 0 || quota == -1)
		cJSON_AddNumberToObject(child(res, "cpu"), "quota", (double)quota);
	if (shares > 0)
		cJSON_AddNumberToObject(child(res, "cpu"), "shares", (double)shares);
	if (num(hc, "CpuRealtimePeriod") > 0)
		cJSON_AddNumberToObject(child(res, "cpu"), "realtimePeriod",
					(double)num(hc, "CpuRealtimePeriod"));
	if (num(hc, "CpuRealtimeRuntime") > 0)
		cJSON_AddNumberToObject(child(res, "cpu"), "realtimeRuntime",
					(double)num(hc, "CpuRealtimeRuntime"));
	if (cpus && *cpus)
		cJSON_AddStringToObject(child(res, "cpu"), "cpus", cpus);
	if (mems && *mems)
		cJSON_AddStringToObject(child(res, "cpu"), "mems", mems);
}

static void spec_blkio(cJSON *res, const cJSON *hc)
{
	if (num(hc, "BlkioWeight") > 0)
		cJSON_AddNumberToObject(child(res, "blockIO"), "weight",
					(double)num(hc, "BlkioWeight"));
	for (size_t i = 0; i < sizeof(blkio_lists) / sizeof(blkio_lists[0]); i++) {
		const cJSON *e;
		cJSON *list = NULL;

		cJSON_ArrayForEach (e, item(hc, blkio_lists[i].key)) {
			struct err ignore = ERR_INIT;
			unsigned maj, min;
			cJSON *d;

			/* checked at create; a device gone since is left out */
			if (block_device(blkio_lists[i].opt, cJSON_GetStringValue(item(e, "Path")),
					 &maj, &min, &ignore) < 0) {
				err_clear(&ignore);
				continue;
			}
			if (!list)
				list = cJSON_AddArrayToObject(child(res, "blockIO"),
							      blkio_lists[i].oci);
			d = cJSON_CreateObject();
			cJSON_AddNumberToObject(d, "major", maj);
			cJSON_AddNumberToObject(d, "minor", min);
			cJSON_AddNumberToObject(d, i == 0 ? "weight" : "rate",
						(double)num(e, blkio_lists[i].value));
			cJSON_AddItemToArray(list, d);
		}
	}
}

static void spec_rules(cJSON *devices, const cJSON *hc)
{
	const cJSON *r;

	cJSON_ArrayForEach (r, item(hc, "DeviceCgroupRules")) {
		char type, perms[4], *mm[2] = {NULL, NULL}, t[2] = {0};
		cJSON *d;

		if (parse_rule(cJSON_GetStringValue(r), &type, mm, perms) < 0)
			continue;
		d = cJSON_CreateObject();
		t[0] = type;
		cJSON_AddTrueToObject(d, "allow");
		cJSON_AddStringToObject(d, "type", t);
		for (int i = 0; i < 2; i++)
			if (mm[i] && strcmp(mm[i], "*"))
				cJSON_AddNumberToObject(d, i ? "minor" : "major",
							(double)strtoll(mm[i], NULL, 10));
		cJSON_AddStringToObject(d, "access", perms);
		cJSON_AddItemToArray(devices, d);
		free(mm[0]);
		free(mm[1]);
	}
}

void resources_spec(cJSON *lx, const cJSON *hc)
{
	cJSON *res = cJSON_AddObjectToObject(lx, "resources");
	cJSON *dev = cJSON_AddArrayToObject(res, "devices"), *d = cJSON_CreateObject();
	long long pids = num(hc, "PidsLimit");

	/* everything denied (allowed with --privileged), then what was granted */
	cJSON_AddBoolToObject(d, "allow", cJSON_IsTrue(item(hc, "Privileged")));
	cJSON_AddStringToObject(d, "access", "rwm");
	cJSON_AddItemToArray(dev, d);
	spec_rules(dev, hc);
	spec_memory(res, hc);
	spec_cpu(res, hc);
	spec_blkio(res, hc);
	if (pids > 0)
		cJSON_AddNumberToObject(child(res, "pids"), "limit", (double)pids);
}
