/*
 * Published ports for the host's own connections, at connect time.
 *
 * A connection made on the host to 127.0.0.1:hostPort (or to one of the
 * host's own addresses) would go through nftables' output DNAT: every
 * packet is translated, routed again after the translation (loopback to the
 * bridge) and, coming from 127.0.0.1, masqueraded. Instead an eBPF program
 * on the cgroup2 root (BPF_CGROUP_INET4_CONNECT) turns
 * connect(127.x.y.z:hostPort) into connect(containerIP:containerPort)
 * before the socket leaves the stack: the
 * connection is then the same as one made to the container's address, with
 * no translation at all. A second program (BPF_CGROUP_INET4_GETPEERNAME)
 * gives the application back the address it asked for, remembered by the
 * socket's cookie.
 *
 * Only TCP, only local destinations (127.0.0.0/8, and the host's other
 * addresses, kept in a map that follows netlink's address events) and only
 * sockets of the host's own network namespace (a container's 127.0.0.1 is
 * its own): everything else,
 * and everything when the hook cannot be had (no cgroup2 mount, an old
 * kernel), takes the DNAT rules, which stay in place for all ports. The
 * programs hang on bpf links held by netd: if netd dies they go, and the
 * rules carry on alone.
 *
 * Ports map: {ip (0: any local address), port, IPPROTO_TCP} ->
 * {container ip, port}, ip and ports in network order as in a sockaddr.
 * Local map: the host's addresses but 127.0.0.0/8, each -> 1.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/bpf.h"
#include "common/log.h"
#include "common/sysinfo.h"
#include "common/xalloc.h"
#include "netd.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

struct hook_key {
	uint32_t ip;
	uint16_t port;
	uint16_t proto;
};

/* As the programs read and write them: a sockaddr_in's fields in 32 bits. */
struct hook_addr {
	uint32_t ip;
	uint32_t port;
};

#define PORTS_MAX 4096
#define PEERS_MAX 65536
#define LOCAL_MAX 1024

/* A program being assembled: jumps name labels, resolved at the end. */
enum { L_ALLOW, L_FOUND, L_LOCAL, L_COUNT };

struct prog {
	struct bpf_insn insn[96];
	size_t n;
	long label[L_COUNT];
	struct {
		size_t at;
		int label;
	} fix[12];
	size_t nfix;
};

static void put(struct prog *p, struct bpf_insn i)
{
	p->insn[p->n++] = i;
}

static void put_jump(struct prog *p, struct bpf_insn i, int label)
{
	p->fix[p->nfix].at = p->n;
	p->fix[p->nfix++].label = label;
	put(p, i);
}

static void put_imm64(struct prog *p, int reg, int src, uint64_t v)
{
	struct bpf_insn two[] = {BPF_LD_IMM64_RAW(reg, src, v)};

	put(p, two[0]);
	put(p, two[1]);
}

static void resolve(struct prog *p)
{
	for (size_t i = 0; i < p->nfix; i++)
		p->insn[p->fix[i].at].off =
		    (int16_t)(p->label[p->fix[i].label] - (long)p->fix[i].at - 1);
}

#define CTX(field) ((int16_t)offsetof(struct bpf_sock_addr, field))

/* r0 = lookup(map, fp + key); with value, update(map, fp + key, fp + value) instead. */
static void put_map_call(struct prog *p, int map, int key, int value)
{
	put_imm64(p, BPF_REG_1, BPF_PSEUDO_MAP_FD, (uint32_t)map);
	put(p, BPF_MOV64_REG(BPF_REG_2, BPF_REG_10));
	put(p, BPF_ALU64_IMM(BPF_ADD, BPF_REG_2, key));
	if (!value) {
		put(p, BPF_CALL_HELPER(BPF_FUNC_map_lookup_elem));
		return;
	}
	put(p, BPF_MOV64_REG(BPF_REG_3, BPF_REG_10));
	put(p, BPF_ALU64_IMM(BPF_ADD, BPF_REG_3, value));
	put(p, BPF_MOV64_IMM(BPF_REG_4, BPF_ANY));
	put(p, BPF_CALL_HELPER(BPF_FUNC_map_update_elem));
}

/* The socket's address (r6 ctx) becomes the struct hook_addr r0 points to. */
static void put_set_addr(struct prog *p)
{
	put(p, BPF_LDX_W(BPF_REG_2, BPF_REG_0, offsetof(struct hook_addr, ip)));
	put(p, BPF_STX_W(BPF_REG_6, BPF_REG_2, CTX(user_ip4)));
	put(p, BPF_LDX_W(BPF_REG_2, BPF_REG_0, offsetof(struct hook_addr, port)));
	put(p, BPF_STX_W(BPF_REG_6, BPF_REG_2, CTX(user_port)));
}

/*
 * r6 ctx, r7 the address asked for, r8 its port; the key at fp-8, the
 * address asked for at fp-24 and the socket's cookie at fp-16.
 */
static void connect_prog(struct prog *p, int ports, int peers, int local, uint64_t netns)
{
	put(p, BPF_MOV64_REG(BPF_REG_6, BPF_REG_1));
	put(p, BPF_LDX_W(BPF_REG_2, BPF_REG_6, CTX(protocol)));
	put_jump(p, BPF_JNE_IMM(BPF_REG_2, IPPROTO_TCP, 0), L_ALLOW);
	put(p, BPF_LDX_W(BPF_REG_7, BPF_REG_6, CTX(user_ip4)));
	put(p, BPF_MOV64_REG(BPF_REG_2, BPF_REG_7));
	put(p, BPF_ALU64_IMM(BPF_AND, BPF_REG_2, 0xff)); /* the first octet */
	put_jump(p, BPF_JEQ_IMM(BPF_REG_2, 127, 0), L_LOCAL);
	/* not loopback: one of the host's own addresses, or not ours to turn */
	put(p, BPF_STX_W(BPF_REG_10, BPF_REG_7, -8));
	put_map_call(p, local, -8, 0);
	put_jump(p, BPF_JEQ_IMM(BPF_REG_0, 0, 0), L_ALLOW);
	p->label[L_LOCAL] = (long)p->n;
	put(p, BPF_MOV64_REG(BPF_REG_1, BPF_REG_6));
	put(p, BPF_CALL_HELPER(BPF_FUNC_get_netns_cookie));
	put_imm64(p, BPF_REG_1, 0, netns);
	put_jump(p, BPF_JNE_REG(BPF_REG_0, BPF_REG_1, 0), L_ALLOW);
	put(p, BPF_LDX_W(BPF_REG_8, BPF_REG_6, CTX(user_port)));
	put(p, BPF_STX_W(BPF_REG_10, BPF_REG_7, -8));
	put(p, BPF_STX_H(BPF_REG_10, BPF_REG_8, -4));
	put(p, BPF_ST_H(BPF_REG_10, -2, IPPROTO_TCP));
	/* this address and port, else the port on every local address */
	put_map_call(p, ports, -8, 0);
	put_jump(p, BPF_JNE_IMM(BPF_REG_0, 0, 0), L_FOUND);
	put(p, BPF_ST_W(BPF_REG_10, -8, 0));
	put_map_call(p, ports, -8, 0);
	put_jump(p, BPF_JEQ_IMM(BPF_REG_0, 0, 0), L_ALLOW);
	p->label[L_FOUND] = (long)p->n;
	put_set_addr(p);
	/* remember what the application asked for, for getpeername */
	put(p, BPF_STX_W(BPF_REG_10, BPF_REG_7, -24));
	put(p, BPF_STX_W(BPF_REG_10, BPF_REG_8, -20));
	put(p, BPF_MOV64_REG(BPF_REG_1, BPF_REG_6));
	put(p, BPF_CALL_HELPER(BPF_FUNC_get_socket_cookie));
	put(p, BPF_STX_DW(BPF_REG_10, BPF_REG_0, -16));
	put_map_call(p, peers, -16, -24);
	p->label[L_ALLOW] = (long)p->n;
	put(p, BPF_MOV64_IMM(BPF_REG_0, 1));
	put(p, BPF_EXIT_INSN());
	resolve(p);
}

/* The address the application connected to, if this socket's connect was turned. */
static void getpeername_prog(struct prog *p, int peers)
{
	put(p, BPF_MOV64_REG(BPF_REG_6, BPF_REG_1));
	put(p, BPF_CALL_HELPER(BPF_FUNC_get_socket_cookie));
	put(p, BPF_STX_DW(BPF_REG_10, BPF_REG_0, -8));
	put_map_call(p, peers, -8, 0);
	put_jump(p, BPF_JEQ_IMM(BPF_REG_0, 0, 0), L_ALLOW);
	put_set_addr(p);
	p->label[L_ALLOW] = (long)p->n;
	put(p, BPF_MOV64_IMM(BPF_REG_0, 1));
	put(p, BPF_EXIT_INSN());
	resolve(p);
}

static int host_netns_cookie(uint64_t *cookie, struct err *err)
{
	socklen_t len = sizeof(*cookie);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r = 0;

	if (fd < 0)
		return err_sys(err, "socket");
	if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, cookie, &len) < 0)
		r = err_sys(err, "the network namespace's cookie (SO_NETNS_COOKIE)");
	close(fd);
	return r;
}

/* The root of the cgroup2 hierarchy: every process of the host is under it. */
static int cgroup2_root(const char **path, struct err *err)
{
	switch (cgroup_mode_detect("/sys/fs/cgroup")) {
	case CGROUP_MODE_V2:
		*path = "/sys/fs/cgroup";
		break;
	case CGROUP_MODE_HYBRID:
		*path = "/sys/fs/cgroup/unified";
		break;
	default:
		return err_set(err, ENOENT, "no cgroup2 hierarchy is mounted");
	}
	return open(*path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static int link_prog(int cgroup, struct prog *p, enum bpf_attach_type type, const char *what,
		     struct err *err)
{
	union bpf_attr attr;
	int prog, link;

	prog = bpf_prog_new(BPF_PROG_TYPE_CGROUP_SOCK_ADDR, type, p->insn, p->n, what, err);
	if (prog < 0)
		return prog;
	memset(&attr, 0, sizeof(attr));
	attr.link_create.prog_fd = (uint32_t)prog;
	attr.link_create.target_fd = (uint32_t)cgroup;
	attr.link_create.attach_type = type;
	link = (int)bpf_sys(BPF_LINK_CREATE, &attr);
	if (link < 0)
		link = err_sys(err, "attach %s to the cgroup2 root", what);
	close(prog); /* the link holds it */
	return link;
}

/* The local map made the same as the host's addresses (loopback ones need none). */
static void local_sync(struct netd *n)
{
	struct ifaddrs *ifs, *i;
	uint32_t key, next, *stale = NULL;
	size_t nstale = 0;
	const uint8_t one = 1;

	if (getifaddrs(&ifs) < 0) {
		log_warn("connect hook: the host's addresses");
		return;
	}
	for (int k = bpf_map_next(n->hook_local, NULL, &next); k == 0;
	     k = bpf_map_next(n->hook_local, &key, &next)) {
		bool have = false;

		key = next;
		for (i = ifs; i && !have; i = i->ifa_next)
			have = i->ifa_addr && i->ifa_addr->sa_family == AF_INET &&
			       ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr == key;
		if (!have) {
			stale = xreallocarray(stale, nstale + 1, sizeof(*stale));
			stale[nstale++] = key;
		}
	}
	for (size_t k = 0; k < nstale; k++)
		bpf_map_del(n->hook_local, &stale[k]);
	free(stale);
	for (i = ifs; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
			continue;
		key = ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr;
		if ((ntohl(key) >> 24) != 127 && bpf_map_put(n->hook_local, &key, &one) < 0)
			log_warn("connect hook: a host address left to DNAT");
	}
	freeifaddrs(ifs);
}

/* An address came or went (or events were lost): the map again. */
static void on_addr_event(uv_poll_t *p, int status, int events)
{
	struct netd *n = p->data;
	char buf[8192];

	while (recv(n->hook_nl, buf, sizeof(buf), MSG_DONTWAIT) > 0 || errno == ENOBUFS)
		;
	local_sync(n);
}

static int local_watch(struct netd *n, struct err *err)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = RTMGRP_IPV4_IFADDR};

	n->hook_nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	if (n->hook_nl < 0)
		return err_sys(err, "netlink socket for address events");
	if (bind(n->hook_nl, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = err_sys(err, "netlink: listen to address events");

		close(n->hook_nl);
		n->hook_nl = -1;
		return r;
	}
	uv_poll_init(&n->d->loop, &n->hook_nl_poll, n->hook_nl);
	n->hook_nl_poll.data = n;
	uv_poll_start(&n->hook_nl_poll, UV_READABLE, on_addr_event);
	return 0;
}

static int hook_load(struct netd *n, struct err *err)
{
	struct prog connect4 = {0}, peer4 = {0};
	const char *root = NULL;
	uint64_t netns;
	int cg;

	if (host_netns_cookie(&netns, err) < 0)
		return -err->code;
	cg = cgroup2_root(&root, err);
	if (cg < 0)
		return root ? err_sys(err, "open %s", root) : -err->code;
	n->hook_ports = bpf_map_new(BPF_MAP_TYPE_HASH, sizeof(struct hook_key),
				    sizeof(struct hook_addr), PORTS_MAX, "berth_ports", err);
	if (n->hook_ports < 0)
		goto fail;
	n->hook_peers = bpf_map_new(BPF_MAP_TYPE_LRU_HASH, sizeof(uint64_t),
				    sizeof(struct hook_addr), PEERS_MAX, "berth_peers", err);
	if (n->hook_peers < 0)
		goto fail;
	n->hook_local = bpf_map_new(BPF_MAP_TYPE_HASH, sizeof(uint32_t), sizeof(uint8_t), LOCAL_MAX,
				    "berth_local", err);
	if (n->hook_local < 0 || local_watch(n, err) < 0)
		goto fail;
	local_sync(n);
	connect_prog(&connect4, n->hook_ports, n->hook_peers, n->hook_local, netns);
	getpeername_prog(&peer4, n->hook_peers);
	n->hook_links[0] =
	    link_prog(cg, &connect4, BPF_CGROUP_INET4_CONNECT, "the connect hook", err);
	if (n->hook_links[0] < 0)
		goto fail;
	n->hook_links[1] =
	    link_prog(cg, &peer4, BPF_CGROUP_INET4_GETPEERNAME, "the getpeername hook", err);
	if (n->hook_links[1] < 0)
		goto fail;
	close(cg);
	n->hook_where = xstrdup(root);
	return 0;
fail:
	close(cg);
	connhook_stop(n);
	return -err->code;
}

void connhook_start(struct netd *n)
{
	struct err err = ERR_INIT;

	const char *want = getenv("BERTH_CONNECT_HOOK");

	n->hook_ports = n->hook_peers = n->hook_local = n->hook_links[0] = n->hook_links[1] = -1;
	n->hook_nl = -1;
	if (want && strcmp(want, "off") == 0) {
		n->hook_off = xstrdup("BERTH_CONNECT_HOOK=off");
		log_info(
		    "connect hook off (BERTH_CONNECT_HOOK=off): published ports go through DNAT "
		    "only");
		return;
	}
	if (hook_load(n, &err) < 0) {
		log_warnx("published ports reach containers from the host through DNAT only: %s",
			  err_msg(&err));
		n->hook_off = xstrdup(err_msg(&err));
	} else {
		log_info("connect hook for published ports on the cgroup2 root %s", n->hook_where);
	}
	err_clear(&err);
}

void connhook_stop(struct netd *n)
{
	int *fds[] = {&n->hook_links[0], &n->hook_links[1], &n->hook_ports, &n->hook_peers,
		      &n->hook_local};

	if (n->hook_nl >= 0) {
		uv_poll_stop(&n->hook_nl_poll);
		uv_close((uv_handle_t *)&n->hook_nl_poll, NULL);
		close(n->hook_nl);
		n->hook_nl = -1;
	}
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (*fds[i] >= 0) {
			close(*fds[i]);
			*fds[i] = -1;
		}
	free(n->hook_where);
	n->hook_where = NULL;
}

static bool wanted(const struct netd *n, const struct hook_key *k)
{
	const struct network *net;
	const struct lease *l;
	const struct port_map *p;

	FOREACH_PORT(n, net, l, p)
	if (!p->udp && p->host_ip.s_addr == k->ip && htons(p->host_port) == k->port)
		return true;
	return false;
}

int connhook_sync(struct netd *n, struct err *err)
{
	const struct network *net;
	const struct lease *l;
	const struct port_map *p;
	struct hook_key key, next, *stale = NULL;
	size_t nstale = 0;
	int r = 0;

	if (n->hook_ports < 0)
		return 0;
	/* what the model no longer has goes first, then everything it has is put */
	for (int k = bpf_map_next(n->hook_ports, NULL, &next); k == 0;
	     k = bpf_map_next(n->hook_ports, &key, &next)) {
		key = next;
		if (!wanted(n, &key)) {
			stale = xreallocarray(stale, nstale + 1, sizeof(*stale));
			stale[nstale++] = key;
		}
	}
	for (size_t i = 0; i < nstale; i++)
		if (bpf_map_del(n->hook_ports, &stale[i]) < 0 && errno != ENOENT)
			r = err_sys(err, "connect hook: remove a port");
	free(stale);
	FOREACH_PORT(n, net, l, p)
	{
		struct hook_addr to = {l->ip.s_addr, htons(p->ctr_port)};

		if (p->udp)
			continue;
		key = (struct hook_key){p->host_ip.s_addr, htons(p->host_port), IPPROTO_TCP};
		/* a full map costs speed only: the rules still carry the port */
		if (bpf_map_put(n->hook_ports, &key, &to) < 0)
			log_warn("connect hook: port %u left to DNAT", p->host_port);
	}
	return r;
}

void connhook_info(const struct netd *n, cJSON *out)
{
	if (n->hook_where)
		cJSON_AddStringToObject(out, "connect_hook", n->hook_where);
	else
		cJSON_AddStringToObject(out, "connect_hook_off", n->hook_off ? n->hook_off : "");
}
