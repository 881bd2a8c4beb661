/* The berth protocol: frame header, flags, roles, and the message catalogue. */
#ifndef BERTH_PROTO_H
#define BERTH_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROTO_VERSION 1
#define PROTO_HDR_SIZE 16
#define PROTO_MAX_PAYLOAD (16u * 1024 * 1024)
#define PROTO_MAX_FDS 16

/* Header: u32 len, u16 type, u16 flags, u32 id, u32 nfds; little-endian. */
enum proto_flags {
	PF_REPLY = 1u << 0,
	PF_STREAM = 1u << 1,
	PF_END = 1u << 2,
	PF_ERROR = 1u << 3,
};
#define PF_KNOWN (PF_REPLY | PF_STREAM | PF_END | PF_ERROR)

/* Who is on the other end of a connection (declared in HELLO). */
enum proto_role {
	ROLE_CLIENT = 1u << 0,
	ROLE_CONTAINERD = 1u << 1,
	ROLE_IMAGED = 1u << 2,
	ROLE_NETD = 1u << 3,
	ROLE_SHIM = 1u << 4,
	/*
	 * berth-apid: a client that acts for someone else and says who in its
	 * HELLO (a Unix uid, or a TLS certificate's subject). Only apid's own
	 * user may take it; its requests are served as a client's.
	 */
	ROLE_APID = 1u << 5,
};
#define ROLES_DAEMONS (ROLE_CONTAINERD | ROLE_IMAGED | ROLE_NETD | ROLE_SHIM)
#define ROLES_ALL (ROLE_CLIENT | ROLES_DAEMONS)

enum msg_type {
#define MSG(owner, name, code, str, roles, kind, lo, hi) MSG_##name = code,
#include "messages.def"
#undef MSG
};

/* A message's kind (messages.def): WRITES changes state and is audited. */
enum msg_kind {
	READS = 0,
	WRITES = 1,
};

struct msg_info {
	uint16_t type;
	const char *name;
	uint32_t roles;
	enum msg_kind kind;
	uint32_t min_len, max_len;
};

/* The catalogue entry for type, or NULL when the type is unknown. */
const struct msg_info *msg_lookup(uint16_t type);
/* "container.create", or "0x1234" (in a static buffer) when unknown. */
const char *msg_name(uint16_t type);
/* True when type WRITES (an unknown type counts as one). */
bool msg_writes(uint16_t type);
const char *role_name(uint32_t role);
/* Parse a single role name; returns 0 when unknown. */
uint32_t role_parse(const char *s);

#endif
