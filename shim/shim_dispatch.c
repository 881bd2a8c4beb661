/* The shim's dispatch table, made from the catalogue (proto/messages.def). */
#include "config.h"

#include "shim.h"

int h_SHIM_CREATE(struct conn *c, struct frame *f, struct err *err);
int h_SHIM_START(struct conn *c, struct frame *f, struct err *err);
int h_SHIM_STATE(struct conn *c, struct frame *f, struct err *err);
int h_SHIM_KILL(struct conn *c, struct frame *f, struct err *err);
int h_SHIM_ATTACH(struct conn *c, struct frame *f, struct err *err);
int h_SHIM_WRITE(struct conn *c, struct frame *f, struct err *err);
int h_SHIM_CLOSE_STDIN(struct conn *c, struct frame *f, struct err *err);
int h_SHIM_WAIT(struct conn *c, struct frame *f, struct err *err);
int h_SHIM_DELETE(struct conn *c, struct frame *f, struct err *err);
int h_SHIM_SHUTDOWN(struct conn *c, struct frame *f, struct err *err);
int h_SHIM_RESIZE(struct conn *c, struct frame *f, struct err *err);
int h_SHIM_STATS(struct conn *c, struct frame *f, struct err *err);
int h_SHIM_EXEC(struct conn *c, struct frame *f, struct err *err);

#define OWN_ANY DISPATCH_SKIP
#define OWN_CONTAINERD DISPATCH_SKIP
#define OWN_IMAGED DISPATCH_SKIP
#define OWN_NETD DISPATCH_SKIP
#define OWN_SHIM DISPATCH_ENTRY
const struct dispatch_entry shim_table[] = {
#define MSG(owner, name, code, str, roles, lo, hi) OWN_##owner(name, roles, lo, hi)
#include "proto/messages.def"
#undef MSG
    {0, NULL, 0, 0, 0},
};
