/* The blocking client side of the protocol (berth, tests, daemon-to-daemon calls at start). */
#ifndef BERTH_CLIENT_H
#define BERTH_CLIENT_H

#include <sys/types.h>

#include "wire.h"

struct client {
	int fd;
	struct frame_reader rd;
	uint32_t next_id;
	char *path;
	char *peer_name;    /* from HELLO: "berth-containerd" */
	char *peer_version; /* software version */
	pid_t peer_pid;	    /* SO_PEERCRED */
};

/* Connect to a daemon's socket and exchange HELLO, declaring role. */
int client_connect(struct client *c, const char *path, uint32_t role, struct err *err);
/*
 * berth-apid's connection (role apid) for one of its clients: a Unix uid,
 * or (uid (uid_t)-1) a TLS certificate's subject. The daemons trust it only
 * from apid's own user.
 */
struct client_for {
	uid_t uid;
	const char *subject;
};
int client_connect_for(struct client *c, const char *path, const struct client_for *who,
		       struct err *err);
/* Same, with an explicit protocol version (tests use it for mismatches). */
int client_connect_version(struct client *c, const char *path, uint32_t role, uint32_t version,
			   struct err *err);
/* Use an already connected socket (taken over) and exchange HELLO. */
int client_from_fd(struct client *c, int fd, const char *label, uint32_t role, uint32_t version,
		   struct err *err);
void client_close(struct client *c);
/* Fail a blocking receive after ms milliseconds (0: wait forever). */
int client_set_timeout(struct client *c, unsigned ms, struct err *err);

/* Send a request; pb's payload and the fds are taken over. */
int client_send(struct client *c, uint16_t type, struct pbuf *pb, const int *fds, unsigned nfds,
		uint32_t *id, struct err *err);
/* Receive the next frame, blocking. An ERROR frame becomes err (the daemon's code and text). */
int client_recv(struct client *c, struct frame *f, struct err *err);
/* Send a request and wait for its reply. */
int client_call(struct client *c, uint16_t type, struct pbuf *pb, const int *fds, unsigned nfds,
		struct frame *reply, struct err *err);
/* Turn an ERROR frame into err; returns -code. */
int frame_to_err(const struct frame *f, struct err *err);

#endif
