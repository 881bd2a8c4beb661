/* netd's dispatch table, made from the catalogue (proto/messages.def). */
#include "config.h"

#include "netd.h"

const struct dispatch_entry netd_table[] = {
#define DISPATCH_EMIT DISPATCH_ENTRY
#include "proto/dispatch_gen.h"
#undef DISPATCH_EMIT
    {0, NULL, 0, 0, 0},
};
