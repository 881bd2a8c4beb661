/* berth-containerd: containers, their records and their shims. */
#ifndef BERTH_CONTAINERD_H
#define BERTH_CONTAINERD_H

#include "proto/daemon.h"

extern const struct dispatch_entry containerd_table[];
int containerd_info(struct daemon *d, cJSON *out, struct err *err);

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
