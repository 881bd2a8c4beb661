#include "config.h"

#include <stdio.h>
#include <string.h>

#include "proto.h"

static const struct msg_info catalogue[] = {
#define MSG(owner, name, code, str, roles, kind, lo, hi) {code, str, roles, kind, lo, hi},
#include "messages.def"
#undef MSG
};

const struct msg_info *msg_lookup(uint16_t type)
{
	for (size_t i = 0; i < sizeof(catalogue) / sizeof(catalogue[0]); i++)
		if (catalogue[i].type == type)
			return &catalogue[i];
	return NULL;
}

const char *msg_name(uint16_t type)
{
	static __thread char buf[8];
	const struct msg_info *m = msg_lookup(type);

	if (m)
		return m->name;
	snprintf(buf, sizeof(buf), "0x%04x", type);
	return buf;
}

bool msg_writes(uint16_t type)
{
	const struct msg_info *m = msg_lookup(type);

	return !m || m->kind == WRITES;
}

static const struct {
	uint32_t role;
	const char *name;
} roles[] = {
    {ROLE_CLIENT, "client"}, {ROLE_CONTAINERD, "containerd"},
    {ROLE_IMAGED, "imaged"}, {ROLE_NETD, "netd"},
    {ROLE_SHIM, "shim"},     {ROLE_APID, "apid"},
};

const char *role_name(uint32_t role)
{
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (roles[i].role == role)
			return roles[i].name;
	return "unknown";
}

uint32_t role_parse(const char *s)
{
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (strcmp(roles[i].name, s) == 0)
			return roles[i].role;
	return 0;
}
