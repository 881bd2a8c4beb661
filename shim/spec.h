/* The OCI runtime spec (config.json), parsed and checked before anything is created. */
#ifndef BERTH_SPEC_H
#define BERTH_SPEC_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"

#define SPEC_MAX_SIZE (4u * 1024 * 1024)

enum ns_kind { NS_USER = 0, NS_PID, NS_NET, NS_IPC, NS_UTS, NS_MOUNT, NS_CGROUP, NS_COUNT };

struct spec_ns {
	bool present;	  /* listed in linux.namespaces */
	const char *path; /* join this one instead of creating a new one */
};

struct spec_idmap {
	uint32_t container, host, size;
};

struct spec_mount {
	const char *dest, *type, *source;
	unsigned long flags;	   /* MS_* set */
	unsigned long clear;	   /* MS_* explicitly cleared (rw, suid, ...) */
	unsigned long propagation; /* MS_PRIVATE | MS_REC, ... or 0 */
	char *data;		   /* the options that are not flags */
	bool bind;
	/* berth's "src-nofollow": the source was resolved before; a symlink in it now is refused */
	bool src_nofollow;
};

struct spec_rlimit {
	int resource;
	uint64_t soft, hard;
	const char *name;
};

struct spec_device {
	const char *path;
	char type; /* c, b, u or p */
	int64_t major, minor;
	mode_t mode;
	uid_t uid;
	gid_t gid;
};

enum cap_set {
	CAPS_BOUNDING = 0,
	CAPS_EFFECTIVE,
	CAPS_INHERITABLE,
	CAPS_PERMITTED,
	CAPS_AMBIENT,
	CAPS_NSETS
};

struct spec_process {
	bool terminal;
	char **argv; /* NULL-terminated, strings point into the document */
	char **env;
	const char *cwd;
	uid_t uid;
	gid_t gid;
	gid_t *groups;
	size_t ngroups;
	bool has_umask;
	mode_t umask;
	bool has_caps;
	uint64_t caps[CAPS_NSETS];
	bool no_new_privs;
	bool has_oom_score_adj;
	int oom_score_adj;
	struct spec_rlimit *rlimits;
	size_t nrlimits;
};

struct spec {
	cJSON *doc;
	char *bundle; /* absolute */
	char *rootfs; /* absolute */
	bool readonly_root;
	const char *hostname;
	const char *domainname;
	struct spec_process proc;
	struct spec_ns ns[NS_COUNT];
	struct spec_idmap *uid_maps, *gid_maps;
	size_t nuid_maps, ngid_maps;
	struct spec_mount *mounts;
	size_t nmounts;
	struct spec_device *devices;
	size_t ndevices;
	const cJSON *sysctl;	/* object of strings, checked */
	const cJSON *resources; /* linux.resources */
	const char *cgroups_path;
	const cJSON *masked;   /* array of strings */
	const cJSON *readonly; /* array of strings */
	const cJSON *seccomp;  /* linux.seccomp */
	/* the filter compiled by seccomp_prepare() (BPF instructions), loaded by the child */
	void *seccomp_bpf;
	size_t seccomp_bpf_len;
	unsigned long rootfs_propagation;
	const cJSON *hooks; /* checked by hooks_check */
};

/* Load and check bundle/config.json. */
int spec_load(struct spec *s, const char *bundle, struct err *err);
/* Parse a document already read (the bundle is used for a relative root). */
int spec_parse(struct spec *s, const char *bundle, const char *json, struct err *err);
/* Parse a process object alone (exec --process). */
int spec_parse_process(struct spec_process *p, const cJSON *proc, struct err *err);
void spec_free(struct spec *s);
void spec_process_free(struct spec_process *p);

const char *ns_name(enum ns_kind k);
int ns_clone_flag(enum ns_kind k);
/* Map "CAP_SYS_ADMIN" to its number, -1 when unknown. */
int cap_from_name(const char *name);
/* Check a sysctl key and value (namespaced keys only, no smuggled second key). */
int sysctl_check(const char *key, const char *value, const struct spec *s, struct err *err);

#endif
