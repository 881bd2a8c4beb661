/* berth-imaged: images, layers and snapshots. */
#ifndef BERTH_IMAGED_H
#define BERTH_IMAGED_H

#include "proto/daemon.h"

extern const struct dispatch_entry imaged_table[];
int imaged_init(struct daemon *d, struct err *err);
int imaged_info(struct daemon *d, cJSON *out, struct err *err);

#endif
