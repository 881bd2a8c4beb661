/* Dropping what a daemon does not need: capabilities, new privileges, syscalls. */
#ifndef BERTH_PRIVDROP_H
#define BERTH_PRIVDROP_H

#include <stdbool.h>

#include "err.h"

/* A syscall allowed only when its first argument is one of arg0 (-1 ends). */
struct priv_arg_rule {
	const char *syscall;
	const long *arg0;
};

struct priv_spec {
	const int *caps;	   /* kept effective + permitted + bounding, -1 ends */
	const int *caps_permitted; /* kept permitted + bounding only (for workers), -1 ends */
	bool keep_all_caps;	   /* containerd: shims and containers derive from it */
	bool no_new_privs;
	const char *const *syscalls;	       /* seccomp allowlist (NULL: no filter), NULL ends */
	const struct priv_arg_rule *arg_rules; /* more, narrowed; a NULL syscall ends */
};

/* The syscalls every libuv daemon of berth needs; NULL ends the list. */
extern const char *const priv_base_syscalls[];

/* The base list plus extra (NULL ends both); the result lives until exit. */
const char *const *priv_allowlist(const char *const *extra);

/* Apply spec to the calling process (all threads must not exist yet). */
int priv_drop(const struct priv_spec *spec, struct err *err);
/* A one-line description of what the process kept, for the start log. */
char *priv_describe(void);

#endif
