/* imaged's dispatch table, made from the catalogue (proto/messages.def). */
#include "config.h"

#include "imaged.h"

int h_IMAGE_LOAD(struct conn *c, struct frame *f, struct err *err);
int h_IMAGE_LIST(struct conn *c, struct frame *f, struct err *err);
int h_IMAGE_TAG(struct conn *c, struct frame *f, struct err *err);
int h_IMAGE_REMOVE(struct conn *c, struct frame *f, struct err *err);
int h_IMAGE_INSPECT(struct conn *c, struct frame *f, struct err *err);
int h_IMAGE_HISTORY(struct conn *c, struct frame *f, struct err *err);
int h_IMAGE_PRUNE(struct conn *c, struct frame *f, struct err *err);
int h_IMAGE_SAVE(struct conn *c, struct frame *f, struct err *err);
int h_IMAGE_IMPORT(struct conn *c, struct frame *f, struct err *err);
int h_SNAPSHOT_PREPARE(struct conn *c, struct frame *f, struct err *err);
int h_SNAPSHOT_REMOVE(struct conn *c, struct frame *f, struct err *err);

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
