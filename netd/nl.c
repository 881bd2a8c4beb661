/*
 * rtnetlink with libmnl: the few link, address and route operations netd
 * needs. Each request asks for an ACK and turns a NLMSGERR into an error
 * naming the operation.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nl.h"

int nl_open(struct nl *n, struct err *err)
{
	n->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!n->sock)
		return err_sys(err, "open a netlink socket");
	if (mnl_socket_bind(n->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		int r = err_sys(err, "bind the netlink socket");

		mnl_socket_close(n->sock);
		n->sock = NULL;
		return r;
	}
	n->seq = (unsigned)time(NULL);
	return 0;
}

void nl_close(struct nl *n)
{
	if (n->sock)
		mnl_socket_close(n->sock);
	n->sock = NULL;
}

static struct nlmsghdr *start(struct nl *n, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *h;

	/* attribute padding goes out too: no stale bytes in it */
	memset(n->buf, 0, sizeof(n->buf));
	h = mnl_nlmsg_put_header(n->buf);

	h->nlmsg_type = type;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	h->nlmsg_seq = ++n->seq;
	return h;
}

/* Send and wait for the ACK; what names the operation in the error. */
static int talk(struct nl *n, struct nlmsghdr *h, const char *what, struct err *err)
{
	unsigned portid = mnl_socket_get_portid(n->sock);
	ssize_t r;

	if (mnl_socket_sendto(n->sock, h, h->nlmsg_len) < 0)
		return err_sys(err, "netlink: %s", what);
	while ((r = mnl_socket_recvfrom(n->sock, n->buf, sizeof(n->buf))) > 0) {
		int cb = mnl_cb_run(n->buf, (size_t)r, h->nlmsg_seq, portid, NULL, NULL);

		if (cb == MNL_CB_STOP || cb == MNL_CB_OK)
			return 0;
		if (cb < 0)
			return err_set(err, errno, "%s: %s", what, strerror(errno));
	}
	return err_sys(err, "netlink: %s", what);
}

static struct ifinfomsg *ifi(struct nlmsghdr *h, int index)
{
	struct ifinfomsg *i = mnl_nlmsg_put_extra_header(h, sizeof(*i));

	i->ifi_family = AF_UNSPEC;
	i->ifi_index = index;
	return i;
}

int nl_bridge_add(struct nl *n, const char *name, struct err *err)
{
	struct nlmsghdr *h = start(n, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	struct nlattr *info;

	ifi(h, 0);
	mnl_attr_put_strz(h, IFLA_IFNAME, name);
	info = mnl_attr_nest_start(h, IFLA_LINKINFO);
	mnl_attr_put_strz(h, IFLA_INFO_KIND, "bridge");
	mnl_attr_nest_end(h, info);
	return talk(n, h, "create bridge", err) < 0 ? err_wrap(err, "%s", name) : 0;
}

int nl_veth_add(struct nl *n, const char *name, const char *peer, const uint8_t *peer_mac,
		int peer_netns_fd, int mtu, struct err *err)
{
	struct nlmsghdr *h = start(n, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	struct nlattr *info, *data, *p;
	struct ifinfomsg *pi;

	ifi(h, 0);
	mnl_attr_put_strz(h, IFLA_IFNAME, name);
	if (mtu > 0)
		mnl_attr_put_u32(h, IFLA_MTU, (uint32_t)mtu);
	info = mnl_attr_nest_start(h, IFLA_LINKINFO);
	mnl_attr_put_strz(h, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(h, IFLA_INFO_DATA);
	p = mnl_attr_nest_start(h, VETH_INFO_PEER);
	pi = mnl_nlmsg_put_extra_header(h, sizeof(*pi));
	pi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(h, IFLA_IFNAME, peer);
	if (peer_mac)
		mnl_attr_put(h, IFLA_ADDRESS, 6, peer_mac);
	if (mtu > 0)
		mnl_attr_put_u32(h, IFLA_MTU, (uint32_t)mtu);
	/* made right in its namespace: moving a link there waits for an RCU grace period */
	if (peer_netns_fd >= 0)
		mnl_attr_put_u32(h, IFLA_NET_NS_FD, (uint32_t)peer_netns_fd);
	mnl_attr_nest_end(h, p);
	mnl_attr_nest_end(h, data);
	mnl_attr_nest_end(h, info);
	return talk(n, h, "create veth pair", err) < 0 ? err_wrap(err, "%s", name) : 0;
}

int nl_link_set(struct nl *n, const char *name, const struct nl_link_change *c, struct err *err)
{
	int index = (int)if_nametoindex(name);
	struct nlmsghdr *h;
	struct ifinfomsg *i;

	if (!index)
		return err_sys(err, "no link %s", name);
	h = start(n, RTM_NEWLINK, 0);
	i = ifi(h, index);
	if (c->up) {
		i->ifi_flags = IFF_UP;
		i->ifi_change = IFF_UP;
	}
	if (c->master)
		mnl_attr_put_u32(h, IFLA_MASTER, if_nametoindex(c->master));
	if (c->netns_fd >= 0)
		mnl_attr_put_u32(h, IFLA_NET_NS_FD, (uint32_t)c->netns_fd);
	if (c->new_name)
		mnl_attr_put_strz(h, IFLA_IFNAME, c->new_name);
	return talk(n, h, "set link", err) < 0 ? err_wrap(err, "%s", name) : 0;
}

int nl_link_del(struct nl *n, const char *name, struct err *err)
{
	int index = (int)if_nametoindex(name);
	struct nlmsghdr *h;

	if (!index)
		return 0;
	h = start(n, RTM_DELLINK, 0);
	ifi(h, index);
	return talk(n, h, "delete link", err) < 0 ? err_wrap(err, "%s", name) : 0;
}

int nl_addr_add(struct nl *n, const char *name, struct in_addr addr, int prefix, struct err *err)
{
	int index = (int)if_nametoindex(name);
	struct nlmsghdr *h;
	struct ifaddrmsg *a;

	if (!index)
		return err_sys(err, "no link %s", name);
	h = start(n, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE);
	a = mnl_nlmsg_put_extra_header(h, sizeof(*a));
	a->ifa_family = AF_INET;
	a->ifa_prefixlen = (unsigned char)prefix;
	a->ifa_index = (unsigned)index;
	mnl_attr_put(h, IFA_LOCAL, sizeof(addr), &addr);
	mnl_attr_put(h, IFA_ADDRESS, sizeof(addr), &addr);
	return talk(n, h, "add address", err) < 0 ? err_wrap(err, "%s", name) : 0;
}

int nl_route_default(struct nl *n, struct in_addr gw, struct err *err)
{
	struct nlmsghdr *h = start(n, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE);
	struct rtmsg *r = mnl_nlmsg_put_extra_header(h, sizeof(*r));

	r->rtm_family = AF_INET;
	r->rtm_table = RT_TABLE_MAIN;
	r->rtm_protocol = RTPROT_BOOT;
	r->rtm_scope = RT_SCOPE_UNIVERSE;
	r->rtm_type = RTN_UNICAST;
	mnl_attr_put(h, RTA_GATEWAY, sizeof(gw), &gw);
	return talk(n, h, "add the default route", err);
}
