/* berth-netd: bridges, addresses, NAT and published ports. */
#ifndef BERTH_NETD_H
#define BERTH_NETD_H

#include <netinet/in.h>
#include <stdbool.h>
#include <sys/queue.h>

#include "common/id.h"
#include "proto/daemon.h"

/* A published port: host [ip:]port/proto to the container's port. */
struct port_map {
	struct in_addr host_ip; /* INADDR_ANY: every local address */
	uint16_t host_port, ctr_port;
	bool udp;
};

/* One address handed out on a network. */
struct lease {
	LIST_ENTRY(lease) link;
	struct in_addr ip;
	uint8_t mac[6]; /* the container's end: asked for, or 02:42 and the address */
	char container[ID_LEN + 1];
	char *name;	     /* the container's name, for hosts entries */
	cJSON *aliases;	     /* more names the network DNS answers for (--network-alias) */
	char ifname[16];     /* the host end of the veth */
	char ctr_ifname[16]; /* its name in the container: eth0, eth1 ... */
	bool default_route;  /* the container's first network routes everything */
	struct port_map *ports;
	size_t nports;
};

struct network {
	LIST_ENTRY(network) link;
	char id[ID_LEN + 1];
	char *name;
	char bridge[16];
	struct in_addr subnet, gateway;
	int prefix;
	bool internal, is_default;
	cJSON *labels;
	char *created;
	LIST_HEAD(, lease) leases;
	struct dns_server *dns; /* user networks: the embedded DNS server */
};

/* netd's own state (the daemon's priv). */
struct netd {
	struct daemon *d;
	char *state_file; /* $ROOT/network/networks.json */
	char *nft_table;  /* our nftables table (inet family) */
	char *default_bridge, *default_subnet;
	LIST_HEAD(, network) nets;
	uv_timer_t sweep; /* releases the leases of containers that are gone */
	bool sweep_ready;
	/* connhook.c: the maps and links of the connect hook, -1 when off */
	int hook_ports, hook_peers, hook_local, hook_links[2];
	int hook_nl; /* netlink: the host's addresses come and go */
	uv_poll_t hook_nl_poll;
	char *hook_where; /* the cgroup2 root it hangs on */
	char *hook_off;	  /* why it is off */
};

/* Every published port: net, l (its lease) and p set in the body. */
#define FOREACH_PORT(n, net, l, p)                                                                 \
	LIST_FOREACH (net, &(n)->nets, link)                                                       \
		LIST_FOREACH (l, &(net)->leases, link)                                             \
			for ((p) = (l)->ports; (p) < (l)->ports + (l)->nports; (p)++)

static inline struct netd *netd_of(struct conn *c)
{
	return ((struct daemon *)c->srv->ctx)->priv;
}

extern const struct dispatch_entry netd_table[];
int netd_info(struct daemon *d, cJSON *out, struct err *err);

/* networks.c: the model, its file, subnets and addresses. */
int nets_load(struct netd *n, struct err *err);
int nets_save(struct netd *n, struct err *err);
struct network *net_find(struct netd *n, const char *ref);
/* Parse "10.1.0.0/16"; the address must be the network's own. */
int cidr_parse(const char *s, struct in_addr *addr, int *prefix, struct err *err);
/* A free RFC 1918 /16 (or /24) no host address, route or network uses. */
int subnet_pick(struct netd *n, struct in_addr *addr, int *prefix, struct err *err);
/* Refused when it overlaps a network, a host address or a host route. */
int subnet_check(struct netd *n, struct in_addr addr, int prefix, struct err *err);
struct network *net_new(struct netd *n, const char *name, struct in_addr subnet, int prefix,
			struct in_addr gw, bool internal, const cJSON *labels);
void net_free(struct network *net);
cJSON *net_json(const struct network *net);
struct lease *lease_find(struct network *net, const char *container);
/* The lowest free address of the network. */
int lease_alloc(struct network *net, struct in_addr *ip, struct err *err);
int lease_take(struct network *net, const char *want, struct in_addr *ip, struct err *err);

void lease_free(struct lease *l);

/* bridge.c: the bridges themselves. */
int bridge_ensure(struct netd *n, struct network *net, struct err *err);
void bridge_remove(struct network *net);

/* nft.c: our nftables table, made anew from the model on every change. */
int nft_sync(struct netd *n, struct err *err);
void nft_drop(struct netd *n);

/*
 * connhook.c: the host's own TCP connections to published ports on its own
 * addresses turned to the container's address at connect() (eBPF on the
 * cgroup2 root); made before the privileges are dropped, off (DNAT only)
 * where the kernel cannot.
 */
void connhook_start(struct netd *n);
void connhook_stop(struct netd *n);
/* The ports map made the same as the model's published TCP ports. */
int connhook_sync(struct netd *n, struct err *err);
void connhook_info(const struct netd *n, cJSON *out);

/* dns.c: the embedded DNS server of a user network (on its gateway, port 53). */
struct dns_server;
int dns_start(struct netd *n, struct network *net, struct err *err);
void dns_stop(struct network *net);

/* attach.c */
int attach_netns(struct network *net, struct lease *l, int netns_fd, struct err *err);
/* Drop what a container had: veth, lease (the rules go with nft_sync). */
void detach_lease(struct network *net, struct lease *l, bool ns_gone);
/* Leases whose container is gone (its veth went with its namespace) are released; 1 if any. */
int reconcile(struct netd *n);

/* The handlers of this daemon's messages, declared from the catalogue. */
#define OWN_ANY OWN_OTHER
#define OWN_CONTAINERD OWN_OTHER
#define OWN_IMAGED OWN_OTHER
#define OWN_NETD OWN_MINE
#define OWN_SHIM OWN_OTHER
#define DISPATCH_EMIT DISPATCH_DECL
#include "proto/dispatch_gen.h"
#undef DISPATCH_EMIT

#endif
