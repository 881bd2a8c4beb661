/* berth-containerd: containers, their records and their shims. */
#ifndef BERTH_CONTAINERD_H
#define BERTH_CONTAINERD_H

#include <stdbool.h>
#include <sys/queue.h>
#include <sys/types.h>

#include "common/id.h"
#include "proto/client.h"
#include "proto/daemon.h"

/* Docker's state machine. */
enum ctr_status {
	CS_CREATED = 0,
	CS_RUNNING,
	CS_PAUSED,
	CS_RESTARTING,
	CS_EXITED,
	CS_DEAD,
	CS_REMOVING,
};

/* A request answered when the container exits (wait, stop). */
struct ctr_waiter {
	struct conn *c;
	uint16_t type;
	uint32_t id;
	bool removed; /* wait until the container is removed too */
	LIST_ENTRY(ctr_waiter) link;
};

/* One container: its record (config.json) and its state (state.json). */
struct ctr {
	TAILQ_ENTRY(ctr) link;
	struct cd *cd;
	char id[ID_LEN + 1];
	char *name;    /* without the leading '/' */
	cJSON *config; /* the record: Config, HostConfig, Image, snapshot mounts */
	/* state */
	enum ctr_status status;
	pid_t pid;
	int exit_code;
	bool oom_killed;
	bool stopped_by_user; /* for unless-stopped and for restarts */
	int restart_count;
	char *started_at, *finished_at, *error;
	cJSON *net;   /* what netd gave it: address, gateway, ports (NULL without netd) */
	cJSON *extra; /* the same for networks connected later (eth1 ...) */
	/* the exit watch: the shim writes $RUN/containers/<id>/exit */
	uv_fs_event_t watch;
	bool watching;
	uv_timer_t timer; /* stop's grace period, restart back-off */
	bool timer_ready;
	int handles; /* handles still to close before free */
	bool dead;   /* unlinked, freed once the handles close */
	LIST_HEAD(, ctr_waiter) waiters;
	struct health *health; /* its health checks while it runs (health.c), or NULL */
	/* berth cp or export of a container that does not run: its root is mounted
	 * (bundle_prepare) for this client until its connection closes; no start meanwhile */
	struct conn *mount_hold;
};

TAILQ_HEAD(ctr_list, ctr);

#define EVENTS_KEPT 1024
struct event_sub;

/* containerd's own state (the daemon's priv). */
struct cd {
	struct daemon *d;
	char *dir;     /* $ROOT/containers */
	char *run_dir; /* $RUN/containers */
	char *vol_dir; /* $ROOT/volumes */
	char *shim_path, *init_path, *seccomp_path;
	char *imaged_sock, *netd_sock;
	char *seccomp_cache; /* $RUN/seccomp: compiled filters, by profile digest */
	char *grants_dir;    /* $RUN/copy-grants: leave to copy (policy_grant_write) */
	struct ctr_list ctrs;
	unsigned nctrs;
	/* events: the last EVENTS_KEPT, and who listens */
	cJSON *ring[EVENTS_KEPT];
	unsigned ring_head;
	LIST_HEAD(, event_sub) subs;
};

static inline struct cd *cd_of(struct conn *c)
{
	return ((struct daemon *)c->srv->ctx)->priv;
}

extern const struct dispatch_entry containerd_table[];
int containerd_info(struct daemon *d, cJSON *out, struct err *err);
int containerd_init(struct daemon *d, struct err *err);
void containerd_fini(struct daemon *d);
void containerd_conn_closed(struct conn *c);

/* records.c: the container records on disk and in memory. */
const char *ctr_status_name(enum ctr_status s);
struct ctr *ctr_new(struct cd *cd, const char *id, const char *name, cJSON *config);
int ctr_save_config(struct ctr *k, struct err *err);
int ctr_save_state(struct ctr *k, struct err *err);
int ctr_load_all(struct cd *cd, struct err *err);
/* Find by full id, name (with or without '/') or unique id prefix. */
struct ctr *ctr_find(struct cd *cd, const char *ref, struct err *err);
struct ctr *ctr_by_name(struct cd *cd, const char *name);
/* The container a request names in TAG_REF. */
struct ctr *ctr_from_request(struct conn *c, struct frame *f, struct err *err);
/*
 * What runs a container's processes or reaches into it (start, exec,
 * attach, cp) is allowed only to a profile that could have created it: a
 * member cannot use root's privileged container (berth-policy(5)).
 */
int ctr_authorize(struct conn *c, const struct ctr *k, struct err *err);
struct ctr *ctr_for_use(struct conn *c, struct frame *f, struct err *err);
/* Unlink from the list and free once its handles close. */
void ctr_destroy(struct ctr *k);
char *ctr_dir(const struct ctr *k);
char *ctr_run_dir(const struct ctr *k);
/* Its cgroup, relative to each hierarchy's root (linux.cgroupsPath): "berth/<id>". */
char *ctr_cgroup_path(const struct ctr *k);
struct cgroup;
/* Open its cgroup (the caller closes it with cgroup_close). */
int ctr_cgroup_open(const struct ctr *k, struct cgroup *cg, struct err *err);
/* Short helpers over the record. */
const cJSON *ctr_cfg(const struct ctr *k, const char *section, const char *key);

/* names.c */
char *name_generate(struct cd *cd);
int name_check(const char *name, struct err *err);
/* A host name (--hostname, --domainname, a --link alias): at most max letters, digits, '.', '-'
 * and '_', not starting with '.' or '-'. */
bool host_name_valid(const char *s, size_t max);

/* specgen.c: the OCI runtime spec for a container. */
cJSON *spec_generate(struct cd *cd, struct ctr *k, struct err *err);
/* The exec process for CONTAINER_EXEC, from the container's spec and the request. */
cJSON *spec_exec_process(struct ctr *k, const cJSON *req, struct err *err);

/* Health checks (health.c): started when the container runs, stopped when it ends. */
/* resume: containerd came back to a running container; go on from health.json. */
void health_start(struct ctr *k, bool resume);
void health_stop(struct ctr *k);
/* State.Health for inspect (NULL without checks); "starting", "healthy" or "unhealthy". */
cJSON *health_json(const struct ctr *k);
const char *health_status(const struct ctr *k);

/* options.c: check a create request and turn it into a record. */
int options_check(struct cd *cd, cJSON *req, struct err *err);
/* A client that held a container's root mounted (CONTAINER_MOUNT) is gone. */
void mount_holds_closed(struct cd *cd, struct conn *c);
/* The checks of what berth update may change (limits, restart policy), on a merged HostConfig. */
int options_check_update(const cJSON *hc, struct err *err);

/* mounts.c: HostConfig.Mounts into Binds, Tmpfs and anonymous volumes, before the checks. */
int mounts_normalize(cJSON *req, struct err *err);
/* mounts.c: create the named volumes of Mounts that carry labels (after the policy). */
int mounts_volume_labels(struct cd *cd, const cJSON *req, struct err *err);

/* joins.c: --network, --pid, --ipc container:NAME: checked at create (there), by the policy
 * (the requester may use it) and at start (running); the path of its namespace for the spec. */
bool join_mode(const cJSON *hc, const char *key);
int joins_check(struct cd *cd, const cJSON *hc, struct err *err);
int joins_authorize(struct conn *c, const cJSON *hc, struct err *err);
int joins_check_start(struct ctr *k, struct err *err);
char *join_ns_path(struct cd *cd, const cJSON *hc, const char *key);
struct ctr *join_target_ctr(struct cd *cd, const cJSON *hc, const char *key);

/* links.c: --link NAME[:ALIAS], checked at create and at start, written into /etc/hosts. */
int links_check(struct cd *cd, const cJSON *hc, struct err *err);
int links_check_start(struct ctr *k, struct err *err);
void links_hosts(struct ctr *k, FILE *f);

/* shimctl.c: whether the container keeps no log (--log-driver none). */
bool ctr_logs_off(const struct ctr *k);

/* netctl.c: --ip's address for network (a NetworkMode): IPv4, on a user defined network. */
int net_address_check(const char *network, const char *ip, struct err *err);

/* resources.c: HostConfig's resources, checked at create, into the spec's linux.resources. */
int resources_check(const cJSON *hc, struct err *err);
void resources_spec(cJSON *lx, const cJSON *hc);

/* bundle.c: the runtime bundle (rootfs mount, etc files, config.json). */
int bundle_prepare(struct cd *cd, struct ctr *k, struct err *err);
/* The container's /etc/hosts (its address ip and name, then --add-host lines), heap. */
char *etc_hosts(struct ctr *k, const char *ip, const char *host);
/* Its /etc/resolv.conf from base (the host's or the network's) and --dns, --dns-search,
 * --dns-option, heap. */
char *etc_resolv(struct ctr *k, const char *base);
void bundle_release(struct ctr *k);

/* shimctl.c: spawning and talking to a container's shim. */
int shim_spawn(struct cd *cd, struct ctr *k, struct err *err);
/* Connect to the shim and send one request (ATTACH, EXEC): the socket, for a client. */
int shim_session(struct ctr *k, uint16_t type, struct pbuf *pb, uint32_t *req_id, struct err *err);
/* One request/reply to the shim; *out gets the reply's JSON when wanted. */
int shim_call(struct ctr *k, uint16_t type, struct pbuf *pb, cJSON **out, struct err *err);
/* A connection with an ATTACH registered (before START), for a client. */
int shim_attach_conn(struct ctr *k, uint32_t *req_id, struct err *err);
bool shim_alive(struct ctr *k);
/* Watch for the exit file; on_exit runs when it appears. */
int exit_watch(struct ctr *k, struct err *err);
void exit_unwatch(struct ctr *k);

/* lifecycle.c */
int ctr_start(struct ctr *k, int *attach_fd, uint32_t *attach_id, struct err *err);
/* The container's init ended (exit file read): record, answer waiters, restart. */
void ctr_exited(struct ctr *k);
int ctr_remove(struct ctr *k, bool force, bool volumes, struct err *err);
void ctr_restore(struct cd *cd);
void ctr_timer_init(struct ctr *k);
/* pause/unpause through the freezer; the state is saved. */
int ctr_freeze(struct ctr *k, bool frozen, struct err *err);
/* Answer the waiters (wait, stop) once the container is not running. */
void ctr_wake(struct ctr *k, bool removed);

/* volumes.c: named and anonymous volumes under $ROOT/volumes. */
int volume_ensure(struct cd *cd, const char *name, const cJSON *labels, bool anonymous,
		  struct err *err);
int volume_remove_anonymous(struct cd *cd, struct ctr *k);
/* volfill.c: at the first start, an empty volume gets what the image has at dst (not nocopy). */
int volume_fill(struct ctr *k, const char *name, const char *dst, struct err *err);

/* events.c */
void event_emit(struct cd *cd, struct ctr *k, const char *action, const char *key,
		const char *value);
void event_emit_code(struct cd *cd, struct ctr *k, const char *action, const char *key, long value);

void event_publish(struct cd *cd, cJSON *e);
void events_conn_closed(struct cd *cd, struct conn *c);
void events_free(struct cd *cd);

/* netctl.c: networks through berth-netd. */
const char *ctr_network(const struct ctr *k);
/* The networks a container is on, running or not: its NetworkMode (not container:NAME), then
 * those connected later; a new array of names. */
cJSON *ctr_networks(const struct ctr *k);
/* What netd gave a running container for network (its address, ...), or NULL. */
const cJSON *ctr_attachment(const struct ctr *k, const char *network);
/* The aliases a container has on network (primary: its NetworkMode), a new array. */
cJSON *ctr_aliases(const struct ctr *k, const char *network, bool primary);
bool ctr_uses_netd(const struct ctr *k);
int net_attach(struct ctr *k, struct err *err);
void net_detach(struct ctr *k);
int net_connect_running(struct ctr *k, const char *network, struct err *err);
int net_disconnect_running(struct ctr *k, const char *network, struct err *err);
int net_exists(struct cd *cd, const char *name, struct err *err);

/* query.c */
cJSON *ctr_inspect(struct ctr *k);
cJSON *ctr_summary(struct ctr *k);
/* Disk use of a directory tree (du), not crossing mounts. */
uint64_t dir_usage(const char *dir);

/* The handlers of this daemon's messages, declared from the catalogue. */
#define OWN_ANY OWN_OTHER
#define OWN_CONTAINERD OWN_MINE
#define OWN_IMAGED OWN_OTHER
#define OWN_NETD OWN_OTHER
#define OWN_SHIM OWN_OTHER
#define DISPATCH_EMIT DISPATCH_DECL
#include "proto/dispatch_gen.h"
#undef DISPATCH_EMIT

#endif
