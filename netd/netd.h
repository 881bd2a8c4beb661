/* berth-netd: bridges, addresses, NAT and published ports. */
#ifndef BERTH_NETD_H
#define BERTH_NETD_H

#include "proto/daemon.h"

extern const struct dispatch_entry netd_table[];
int netd_info(struct daemon *d, cJSON *out, struct err *err);

#endif
