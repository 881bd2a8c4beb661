/* The skeleton every berth daemon shares: options, directories, socket, privileges, loop. */
#ifndef BERTH_DAEMON_H
#define BERTH_DAEMON_H

#include <stdbool.h>
#include <sys/types.h>
#include <uv.h>

#include "common/paths.h"
#include "common/privdrop.h"
#include "server.h"

struct daemon;

struct daemon_def {
	enum berth_daemon which;
	uint32_t accept_roles;
	const struct dispatch_entry *table;
	const struct priv_spec *priv;
	/* Set up the daemon's own state (before privileges are dropped). */
	int (*init)(struct daemon *d, struct err *err);
	/* Add facts to INFO. */
	int (*info)(struct daemon *d, cJSON *out, struct err *err);
	void (*fini)(struct daemon *d);
	/* A client connection is going away. */
	void (*conn_closed)(struct conn *c);
	/* Deliver an audit record (taken over); NULL: send it to containerd. */
	void (*audit)(struct daemon *d, cJSON *event);
};

/* The daemon's one context struct. */
struct daemon {
	const struct daemon_def *def;
	struct server_ops ops;
	struct berth_paths paths;
	char *state_dir; /* $ROOT/<subdir> */
	char *socket;
	char *pidfile;
	char *group;
	gid_t gid;
	char *apid_user; /* the user whose peers may act for others (role apid) */
	struct policy policy;
	bool foreground;
	bool loop_ready;  /* uv_loop_init and server_init done */
	bool pid_written; /* the pidfile is ours to remove */
	uv_loop_t loop;
	struct server srv;
	uv_signal_t sigterm, sigint;
	uv_timer_t trim; /* gives freed heap back to the system now and then */
	void *priv;	 /* the daemon's own state */
};

/* Parse the command line, set up and run the loop until SIGTERM; returns the exit code. */
int daemon_main(int argc, char **argv, const struct daemon_def *def);

#endif
