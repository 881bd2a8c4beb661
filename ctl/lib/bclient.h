/*
 * libberthclient: what a client of the berth daemons does, without a word
 * printed: reaching a daemon, calls, imaged jobs with their progress lines,
 * the run orchestration (pull if missing, create, start, wait) and the
 * registry credentials `login` keeps. berth (ctl/) links it and adds
 * argument parsing and presentation; every other front end links the same.
 */
#ifndef BERTH_BCLIENT_H
#define BERTH_BCLIENT_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/err.h"
#include "common/paths.h"
#include "proto/client.h"

/* The error code of a daemon that cannot be reached (Docker's CLI exits 125 then). */
#define BC_UNREACHABLE EHOSTDOWN
/* The error code of a request refused before any daemon is asked (bad arguments: 125 too). */
#define BC_BADARG EBADR

/*
 * Connect to daemon d; the error says why and what to do ("is it running?"),
 * its code is BC_UNREACHABLE.
 */
int bc_connect(const struct berth_paths *p, enum berth_daemon d, struct client *c, struct err *err);
/*
 * berth-apid: every connection the calling thread makes from now on acts
 * for who (role apid), so the daemons authorize and audit that client, not
 * apid. NULL goes back to the caller's own identity. Per thread: apid
 * serves each request on its own one.
 */
void bc_act_for(const struct client_for *who);
/*
 * One request and its reply: the reply's JSON (TAG_JSON) into *out when out
 * is not NULL (an error when it is not JSON), its fds into fds/nfds.
 * pb is consumed.
 */
int bc_call(const struct berth_paths *p, enum berth_daemon d, uint16_t type, struct pbuf *pb,
	    cJSON **out, int *fds, unsigned *nfds, struct err *err);

/*
 * The same for a call that may last (a wait): given up (ECANCELED, the
 * connection to the daemon closed) when watch, a client's socket, hangs up.
 */
int bc_call_watch(const struct berth_paths *p, enum berth_daemon d, uint16_t type, struct pbuf *pb,
		  cJSON **out, int watch, struct err *err);

/* A progress line of an imaged job (pull, push, load, build steps...). */
typedef void (*bc_line_fn)(const char *line, void *arg);
/*
 * A request imaged runs as a job, with fd (taken over; -1 for none): every
 * progress line goes to on_line, the final document to *result.
 */
int bc_job(const struct berth_paths *p, uint16_t type, struct pbuf *pb, int fd, bc_line_fn on_line,
	   void *arg, cJSON **result, struct err *err);

/* Registry credentials as `berth login` keeps them ($BERTH_CONFIG or ~/.config/berth). */
char *bc_config_path(void);
/* The config document, with an "auths" object (empty when there is no file). */
cJSON *bc_config_load(const char *path);
int bc_config_save(const char *path, const cJSON *doc, struct err *err);
/* The registry of an image name, as Docker tells it (docker.io for bare names). */
char *bc_registry_of(const char *image);
/* base64 "user:password" kept for the registry of image, or NULL. */
char *bc_registry_auth(const char *image);

/* Check credentials with a registry through imaged, keeping nothing (the API's /auth). */
int bc_login_check(const struct berth_paths *p, const char *registry, const char *user,
		   const char *password, struct err *err);
/* Check credentials with a registry through imaged, then keep them (0600). */
int bc_login(const struct berth_paths *p, const char *registry, const char *user,
	     const char *password, bc_line_fn on_line, void *arg, struct err *err);
int bc_logout(const char *registry, struct err *err);

/* Is the image in the store? true also when imaged cannot say (create will). */
bool bc_image_present(const struct berth_paths *p, const char *ref);
struct bc_pull {
	const char *ref;
	const char *platform; /* or NULL */
	bool all_tags;
	const char *auth; /* base64 user:password, or NULL: what login kept */
	bc_line_fn on_line;
	void *arg;
};
int bc_pull(const struct berth_paths *p, const struct bc_pull *pull, struct err *err);
/* Push ref with auth (base64 "user:password"; NULL: what login kept), progress to on_line. */
int bc_push(const struct berth_paths *p, const char *ref, const char *auth, bc_line_fn on_line,
	    void *arg, struct err *err);

/* What run/create does before the container exists: the image, per the pull policy. */
struct bc_create {
	const cJSON *req; /* Docker's shape: Name, Config (with Image), HostConfig */
	const char *pull; /* "missing" (default), "always", "never" */
	void (*missing)(const char *image, void *arg); /* told before a missing image is pulled */
	bc_line_fn on_line;			       /* the pull's progress */
	void *arg;
};
int bc_create(const struct berth_paths *p, const struct bc_create *cr, char id[65],
	      struct err *err);
/*
 * START; with attach the container's stream comes back on *fd (a session as
 * containerd hands it over) and *out holds the reply (AttachId, Tty).
 */
int bc_start(const struct berth_paths *p, const char *ref, bool attach, cJSON **out, int *fd,
	     struct err *err);
/* A container's inspect JSON (*out, the caller's) by name, id or prefix. */
int bc_inspect(const struct berth_paths *p, const char *ref, cJSON **out, struct err *err);
/*
 * What the engine holds on disk: {"Images": [...], "Containers": [...],
 * "Volumes": [...]}, the daemons' lists with sizes; each image gets
 * "Containers", how many containers use it.
 */
int bc_disk_usage(const struct berth_paths *p, cJSON **doc, struct err *err);
/* Wait until the container is gone (run --rm). */
int bc_wait_removed(const struct berth_paths *p, const char *ref, struct err *err);

/* A container's logs, to output; following, until the container stops. */
struct bc_logs {
	const char *ref;
	bool follow;
	bool timestamps;
	long long since_ns, until_ns; /* 0: no bound */
	long tail;		      /* -1: all */
	void (*output)(int stream, const void *data, size_t n, void *arg);
	/* optional: the logged part is out, what follows is live (flush buffers) */
	void (*flush)(void *arg);
	void *arg;
};
int bc_logs(const struct berth_paths *p, const struct bc_logs *o, struct err *err);
/* RFC 3339, Unix seconds, or a duration back from now ("10m", "2h", "30s"). */
int bc_parse_time(const char *s, long long *ns);

#endif
