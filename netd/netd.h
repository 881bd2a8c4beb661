/* berth-netd: bridges, addresses, NAT and published ports. */
#ifndef BERTH_NETD_H
#define BERTH_NETD_H

#include "proto/daemon.h"

extern const struct dispatch_entry netd_table[];
int netd_info(struct daemon *d, cJSON *out, struct err *err);

/* The handlers of this daemon's messages, declared from the catalogue. */
#define OWN_ANY OWN_OTHER
#define OWN_CONTAINERD OWN_OTHER
#define OWN_IMAGED OWN_OTHER
#define OWN_NETD OWN_MINE
#define OWN_SHIM OWN_OTHER
#define DISPATCH_EMIT DISPATCH_DECL
#include "proto/dispatch_gen.h"
#undef DISPATCH_EMIT

#endif
