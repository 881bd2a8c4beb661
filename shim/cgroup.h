/* The cgroup manager: one interface, a v1 and a v2 backend chosen at run time. */
#ifndef BERTH_CGROUP_H
#define BERTH_CGROUP_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"
#include "common/sysinfo.h"
#include "spec.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

struct cgroup;

struct cgroup_ops {
	const char *name;
	/* Create the cgroup and apply linux.resources (and allow linux.devices). */
	int (*create)(struct cgroup *cg, const struct spec *s, struct err *err);
	/* Apply linux.resources but devices to the existing cgroup (berth update). */
	int (*update)(struct cgroup *cg, const cJSON *resources, struct err *err);
	int (*add)(struct cgroup *cg, pid_t pid, struct err *err);
	/* Signal every process in the cgroup. */
	int (*kill_all)(struct cgroup *cg, int sig, struct err *err);
	/* Remove the cgroup (it must be empty, or become so shortly). */
	int (*destroy)(struct cgroup *cg, struct err *err);
	/* How many OOM kills happened in the cgroup. */
	uint64_t (*oom_kills)(struct cgroup *cg);
	/* Mount the container's view of its cgroups at dest inside rootfd. */
	int (*mount)(struct cgroup *cg, int rootfd, const char *dest, unsigned long flags,
		     struct err *err);
	/* True while any process is in the cgroup. */
	bool (*populated)(struct cgroup *cg);
	/* Freeze or thaw every process, and wait until it is done. */
	int (*freeze)(struct cgroup *cg, bool frozen, struct err *err);
	/* v2: an fd of the cgroup for clone3(CLONE_INTO_CGROUP), or -1 (NULL on v1). */
	int (*clone_fd)(struct cgroup *cg);
};

struct cgroup_hier {
	char *mnt;	   /* /sys/fs/cgroup/memory */
	char *controllers; /* "memory", "cpu,cpuacct" or "name=systemd" */
	char *name;	   /* directory name in the container's view */
};

struct cgroup {
	const struct cgroup_ops *ops;
	enum cgroup_mode mode;
	char *path; /* "/berth/<id>", relative to each hierarchy's root */
	struct cgroup_hier *h;
	size_t nh;
};

/* Detect the layout and find the hierarchies; path is linux.cgroupsPath or a default. */
int cgroup_open(struct cgroup *cg, const char *path, struct err *err);
void cgroup_close(struct cgroup *cg);

extern const struct cgroup_ops cgroup_v1_ops;
extern const struct cgroup_ops cgroup_v2_ops;

/* Helpers shared by the backends. */
int cg_write(const char *dir, const char *file, const char *value, struct err *err);
int cg_writef(const char *dir, const char *file, struct err *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int cg_read(const char *dir, const char *file, char *buf, size_t len);
/* mkdir every level of path under base; on_new(parent dir, new dir) for each new level. */
int cg_mkdir_p(const char *base, const char *path,
	       int (*on_new)(const char *parent, const char *dir, struct err *err),
	       struct err *err);
int cg_rmdir(const char *dir, struct err *err);
/* Read an int64 member of a resources object; 0 absent, 1 found, <0 not a number. */
int res_i64(const cJSON *o, const char *key, const char *where, int64_t *out, struct err *err);
/*
 * Refuse what a backend would not apply: every section of linux.resources
 * and every key of an object section must be in `known` ("memory",
 * "memory.limit", ..., NULL-terminated).
 */
int res_check_keys(const cJSON *res, const char *const *known, const char *backend,
		   struct err *err);
/* One entry of hugepageLimits: its page size ("2MB") and limit, checked. */
int res_hugepage(const cJSON *e, const char **size, int64_t *limit, struct err *err);
/* cgroup v1 resources beyond the basic limits (cgroup_v1_res.c); dir NULL: no hierarchy. */
int v1_memory_extra(const char *dir, const cJSON *mem, struct err *err);
int v1_cpu_rt(const char *dir, const cJSON *cpu, struct err *err);
int v1_network(const char *cls, const char *prio, const cJSON *net, struct err *err);
int v1_blkio(const char *dir, const cJSON *blk, struct err *err);
int v1_hugetlb(const char *dir, const cJSON *limits, struct err *err);
int v1_rdma(const char *dir, const cJSON *rdma, struct err *err);
/* Send sig to every pid listed in dir/cgroup.procs (a missing file is an empty cgroup). */
int cg_kill_procs(const char *dir, int sig, struct err *err);
/* Parse "oom_kill N" style lines. */
uint64_t cg_keyed_value(const char *dir, const char *file, const char *key);

/* One device rule; later rules win over earlier ones, as writes to devices.allow/deny do. */
struct dev_rule {
	bool allow;
	char type;	      /* 'a', 'b' or 'c' */
	int64_t major, minor; /* -1: any */
	unsigned access;      /* DEV_ACC_* bits */
};
#define DEV_ACC_MKNOD 1u
#define DEV_ACC_READ 2u
#define DEV_ACC_WRITE 4u
#define DEV_ACC_ALL 7u

/*
 * The device rules of a container: linux.resources.devices in order, then
 * what every container may use (as runc allows it), then linux.devices.
 */
int cg_device_rules(const cJSON *devs, const struct spec *s, struct dev_rule **out, size_t *n,
		    struct err *err);
/* "c 1:3 rwm" for devices.allow / devices.deny. */
void cg_device_rule_text(const struct dev_rule *r, char *buf, size_t len);
/* cgroup v2: the rules as an eBPF device program attached to the cgroup dir (an open fd). */
int cg_bpf_devices(int dirfd, const struct dev_rule *rules, size_t n, struct err *err);

#endif
