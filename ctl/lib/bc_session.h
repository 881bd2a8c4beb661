/* A live attach or exec session over a connection to a container's shim. */
#ifndef BERTH_BC_SESSION_H
#define BERTH_BC_SESSION_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

struct session {
	int fd;		  /* the connection containerd handed over */
	uint32_t req_id;  /* the ATTACH or EXEC request whose stream we read */
	uint32_t exec_id; /* for an exec: its request id, so stdin reaches it */
	bool tty;	  /* the container has a terminal: raw mode, resize, detach keys */
	bool stdin;	  /* forward our stdin */
	const char *detach_keys;
	bool until_started; /* exec -d: end once the process runs (stdout dropped) */
	int in;		    /* what stdin reads (0 when zeroed: ours) */
	/* where the output goes (stream 1 or 2); NULL: our stdout and stderr */
	void (*output)(int stream, const void *data, size_t n, void *arg);
	void *arg;
};

/* Set from a signal handler: the session ends at once (berth build's Ctrl-C). */
extern volatile sig_atomic_t session_cancel;

/*
 * Run until the stream ends (0, *exit_code: the container's), or the user
 * detaches (1), or with until_started the exec's process runs (0, code 0);
 * -1 with err set when the session breaks.
 */
int session_run(const struct session *s, int *exit_code, struct err *err);
void session_close_stdin(const struct session *s);
/* Bytes for the process's stdin (what a client sent before the session began). */
void session_send_stdin(const struct session *s, const void *buf, size_t n);
/* "ctrl-p,ctrl-q" into bytes (static buffer); NULL when malformed. */
const char *detach_keys_parse(const char *spec);

#endif
