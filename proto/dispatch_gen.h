/*
 * Rows of the message catalogue for one daemon. Before including this file
 * (it may be included more than once), define OWN_ANY, OWN_CONTAINERD,
 * OWN_IMAGED, OWN_NETD and OWN_SHIM each as OWN_MINE or OWN_OTHER, and
 * DISPATCH_EMIT as DISPATCH_DECL (handler prototypes) or DISPATCH_ENTRY
 * (dispatch table rows). messages.def stays the one list of messages.
 */
#define MSG(owner, name, code, str, roles, kind, lo, hi)                                           \
	OWN_##owner(DISPATCH_EMIT, name, roles, lo, hi)
#include "messages.def"
#undef MSG
