/* berth-containerd: containers, their records and their shims. */
#ifndef BERTH_CONTAINERD_H
#define BERTH_CONTAINERD_H

#include "proto/daemon.h"

extern const struct dispatch_entry containerd_table[];
int containerd_info(struct daemon *d, cJSON *out, struct err *err);

#endif
