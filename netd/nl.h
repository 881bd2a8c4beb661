/* rtnetlink operations (libmnl). */
#ifndef BERTH_NETD_NL_H
#define BERTH_NETD_NL_H

#include <libmnl/libmnl.h>
#include <netinet/in.h>
#include <stdbool.h>

#include "common/err.h"

struct nl {
	struct mnl_socket *sock;
	unsigned seq;
	char buf[8192];
};

struct nl_link_change {
	bool up;
	const char *master;   /* enslave to this bridge */
	int netns_fd;	      /* move into this namespace (-1: stay) */
	const char *new_name; /* rename */
};

int nl_open(struct nl *n, struct err *err);
void nl_close(struct nl *n);
int nl_bridge_add(struct nl *n, const char *name, struct err *err);
/* A veth pair; the peer is created in peer_netns_fd's namespace when >= 0. */
int nl_veth_add(struct nl *n, const char *name, const char *peer, const uint8_t *peer_mac,
		int peer_netns_fd, int mtu, struct err *err);
int nl_link_set(struct nl *n, const char *name, const struct nl_link_change *c, struct err *err);
int nl_link_del(struct nl *n, const char *name, struct err *err);
int nl_addr_add(struct nl *n, const char *name, struct in_addr addr, int prefix, struct err *err);
int nl_route_default(struct nl *n, struct in_addr gw, struct err *err);

#endif
