/* berth-shim: the per-container monitor. */
#ifndef BERTH_SHIM_H
#define BERTH_SHIM_H

#include <stdbool.h>
#include <sys/types.h>
#include <uv.h>

#include "logfile.h"
#include "proto/server.h"
#include "runtime.h"

struct waiter {
	struct conn *c;
	uint16_t type;
	uint32_t id;
	struct waiter *next;
};

struct pipe_src {
	int fd;
	int stream; /* 0 stdout, 1 stderr */
	bool open;
	uv_poll_t poll;
	uv_timer_t batch; /* a chatty container is read in batches, not per write */
	struct shim *shim;
};

/* An exec: a helper process running container_exec, its output streamed to one client. */
struct exec_proc {
	struct shim *shim;
	pid_t pid;
	struct conn *c; /* NULL once the client is gone */
	uint16_t type;
	uint32_t id;
	int fds[2];
	int stdin_fd; /* our end of the exec's stdin */
	bool open[2];
	uv_poll_t poll[2];
	bool exited;
	bool kill_on_close; /* TAG_KILL_ON_CLOSE: health checks that time out */
	int code;
	int code_refs; /* poll handles still to close */
	int ready_fd;  /* the helper says "P<pid>" here once the process runs */
	uv_poll_t ready_poll;
	bool ready_open;
	struct exec_proc *next;
};

/* The shim's one context. */
struct shim {
	char *id, *bundle, *state_dir, *rt_root, *log_path;
	uint64_t log_max_size;
	int log_max_files;
	uv_loop_t loop;
	struct server srv;
	uv_signal_t sigchld, sigterm;
	pid_t pid;
	bool created, started, exited, finished, quitting;
	struct exit_status es;
	int stdin_fd; /* our end of the init's stdin, or the pty master */
	int master;
	struct pipe_src out[2];
	struct logfile log;
	struct waiter *waiters;	 /* WAIT requests */
	struct waiter *attached; /* ATTACH streams */
	struct exec_proc *execs;
	char readbuf[64 * 1024];
};

extern const struct dispatch_entry shim_table[];

/* The handlers of this daemon's messages, declared from the catalogue. */
#define OWN_ANY OWN_OTHER
#define OWN_CONTAINERD OWN_OTHER
#define OWN_IMAGED OWN_OTHER
#define OWN_NETD OWN_OTHER
#define OWN_SHIM OWN_MINE
#define DISPATCH_EMIT DISPATCH_DECL
#include "proto/dispatch_gen.h"
#undef DISPATCH_EMIT

#endif
