/* Creating the container process: clone, namespaces, the child's setup, and the sync protocol. */
#ifndef BERTH_SPAWN_H
#define BERTH_SPAWN_H

#include <stdbool.h>
#include <sys/types.h>

#include "runtime.h"

/* Child -> parent messages on the sync socket. */
#define SYNC_READY 'R' /* set up, waiting for start */
#define SYNC_ERROR 'E' /* followed by the error text */
#define SYNC_HOOKS 'H' /* mounted, before pivot_root: run prestart and createRuntime */
/* Parent -> child. */
#define SYNC_GO 'G'    /* namespaces mapped, cgroup joined: go on */
#define SYNC_START 'S' /* run mode: exec now */
#define SYNC_STATE 'C' /* after SYNC_HOOKS: the state JSON follows; go on */

struct spawn_args {
	const struct spec *spec;
	struct cgroup *cg;
	int sync;	 /* child end of the sync socketpair */
	int parent_sync; /* parent end: closed in the child */
	int fifo;	 /* exec.fifo opened O_RDWR (create mode), or -1 (run mode) */
	int done;	 /* exec.done opened O_RDWR (create mode): errors after start go there */
	int pty_slave;	 /* or -1; reopened by path in the child mount namespace */
	const char *pty_path;
	int preserve_fds;
	const int *stdio; /* NULL: inherit ours */
	int cgroup_fd;	  /* cgroup v2 directory to clone the init into, or -1 */
	bool placed;	  /* out: the init was born in that cgroup (clone3) */
};

/*
 * cgroup v2: clone3(CLONE_INTO_CGROUP), so the child is born in its cgroup
 * and no write to cgroup.procs is needed (that write waits for an RCU grace
 * period under cgroup_threadgroup_rwsem). -1 when there is no fd or the
 * kernel cannot: then clone as usual and move the child.
 */
pid_t clone_into_cgroup(unsigned long flags, int cgroup_fd);
/* clone the init process; returns its pid in the parent. */
pid_t spawn_init(struct spawn_args *a, struct err *err);
/* Read one sync message: the tag, and for SYNC_ERROR the text into err. */
int sync_read(int fd, char *tag, struct err *err);
int sync_send(int fd, char tag);

#endif
