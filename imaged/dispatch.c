/* imaged's dispatch table, made from the catalogue (proto/messages.def). */
#include "config.h"

#include "imaged.h"

#define OWN_ANY DISPATCH_SKIP
#define OWN_CONTAINERD DISPATCH_SKIP
#define OWN_IMAGED DISPATCH_ENTRY
#define OWN_NETD DISPATCH_SKIP
#define OWN_SHIM DISPATCH_SKIP
const struct dispatch_entry imaged_table[] = {
#define MSG(owner, name, code, str, roles, lo, hi) OWN_##owner(name, roles, lo, hi)
#include "proto/messages.def"
#undef MSG
    {0, NULL, 0, 0, 0},
};
