/*
 * Authorization (berth-policy(5)): who asks, which profile that gives them,
 * and whether a profile allows what a request asks for. The daemons that own
 * an object call these; a client never decides.
 */
#ifndef BERTH_POLICY_H
#define BERTH_POLICY_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "err.h"

/* Where the policy lives unless --policy, $BERTH_POLICY or $BERTH_CONF_DIR say otherwise. */
#define POLICY_DEFAULT_PATH "/etc/berth/policy.json"

/*
 * Who sent a request: a Unix peer, or a TLS client asserted by berth-apid.
 * A connection keeps one; its user (from /etc/passwd) and its name for
 * messages are looked up once, the first time they are needed.
 */
struct policy_who {
	uid_t uid;     /* (uid_t)-1 for a TLS client */
	char *subject; /* the TLS certificate's subject (RFC 2253), or NULL */
	bool via_apid; /* the request came through berth-apid */
	/* filled by policy_who_name() */
	bool resolved;
	char *user;
	gid_t gid;
	char *name; /* "uid 1000 (alice)", "TLS client 'CN=x' via berth-apid" */
};

/* "uid 1000 (alice)" and the like (kept in who). */
const char *policy_who_name(struct policy_who *who);
void policy_who_free(struct policy_who *who);

/* Host namespaces a profile may share (HostConfig.*Mode "host"). */
enum policy_ns {
	POLICY_NS_PID = 1u << 0,
	POLICY_NS_NET = 1u << 1,
	POLICY_NS_IPC = 1u << 2,
	POLICY_NS_UTS = 1u << 3,
	POLICY_NS_USERNS = 1u << 4,
	POLICY_NS_CGROUP = 1u << 5,
};

struct policy_bind {
	char *prefix;	/* an absolute directory: it and what is below it */
	bool read_only; /* only with :ro */
};

struct policy_profile {
	char *name;
	bool unrestricted; /* every rule below is off */
	bool read_only;	   /* nothing that WRITES (messages.def) */
	bool privileged;
	bool unconfined; /* seccomp=unconfined, apparmor=unconfined */
	bool privileged_ports;
	bool host_resources; /* OOM immunity, real-time CPU: what can starve the host */
	unsigned host_ns;    /* enum policy_ns */
	char **capabilities;
	char **devices;
	char **sysctls;
	char **images; /* reference prefixes; NULL: any image */
	struct policy_bind *binds;
	size_t nbinds;
};

struct policy_identity;

struct policy {
	char *path;
	/* what the file was when last read: reread when it changes */
	bool loaded, exists;
	dev_t dev;
	ino_t ino;
	struct timespec mtime;
	off_t size;
	char *error; /* the file is invalid: every non-root request is refused */
	struct policy_profile *profiles;
	size_t nprofiles;
	struct policy_identity *ids;
	size_t nids;
	char *default_profile;
};

void policy_init(struct policy *p, const char *path);
void policy_free(struct policy *p);
/* Read the file again when it changed since the last look (logs what it did). */
void policy_refresh(struct policy *p);

/* The profile for who; NULL with err when none can be given (the policy file is invalid). */
const struct policy_profile *policy_profile_for(struct policy *p, struct policy_who *who,
						struct err *err);

/*
 * The checks. Each returns 0, or -ERR_DENIED with err naming the rule, the profile
 * and what was asked ("--privileged is not allowed: rule privileged of
 * profile restricted").
 */
int policy_check_write(const struct policy_profile *pr, const char *what, struct err *err);
/* A container.create request: {"Config": ..., "HostConfig": ...}. */
int policy_check_container(const struct policy_profile *pr, const cJSON *req, struct err *err);
/* A container.exec request ({"Privileged": ...}). */
int policy_check_exec(const struct policy_profile *pr, const cJSON *req, struct err *err);
/* An image reference to pull, push or run. */
int policy_check_image(const struct policy_profile *pr, const char *ref, struct err *err);

/*
 * Leave to copy a container (berth cp, export): containerd, which checked
 * the requester against the container, writes a grant in $RUN/copy-grants;
 * imaged, whose worker does the copy, accepts a member's snapshot.copy only
 * with a grant for that container and that same requester, within a minute.
 */
#define POLICY_GRANT_DIR "copy-grants"
int policy_grant_write(const char *run, const char *ctr_id, const struct policy_who *who,
		       char token[65], struct err *err);
int policy_grant_check(const char *run, const char *token, const char *ctr_id,
		       const struct policy_who *who, struct err *err);

/* "docker.io/library/busybox:latest" for "busybox" (heap). */
char *policy_image_canonical(const char *ref);

#endif
