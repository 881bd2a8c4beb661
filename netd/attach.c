/*
 * Attaching a container: a veth pair, the host end on the network's
 * bridge, the other moved into the container's network namespace (its fd
 * came over SCM_RIGHTS) as eth0 with its address, the default route and
 * loopback up. The namespace side is done by a short-lived child that
 * joins the namespace (setns), so netd itself never leaves its own.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "netd.h"
#include "nl.h"

/* In the container's namespace: address, the interface and lo up, default route. */
static int inside(struct network *net, struct lease *l, int netns_fd, struct err *err)
{
	const char *ifname = l->ctr_ifname;

	struct nl_link_change up = {.up = true, .netns_fd = -1};
	struct nl nl;

	if (setns(netns_fd, CLONE_NEWNET) < 0)
		return err_sys(err, "join the container's network namespace");
	if (nl_open(&nl, err) < 0)
		return -err->code;
	if (nl_link_set(&nl, "lo", &up, err) < 0 ||
	    nl_addr_add(&nl, ifname, l->ip, net->prefix, err) < 0 ||
	    nl_link_set(&nl, ifname, &up, err) < 0 ||
	    (!net->internal && l->default_route && nl_route_default(&nl, net->gateway, err) < 0)) {
		nl_close(&nl);
		return -err->code;
	}
	nl_close(&nl);
	return 0;
}

static int configure_inside(struct network *net, struct lease *l, int netns_fd, struct err *err)
{
	int p[2], status;
	char msg[512];
	ssize_t n;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return err_sys(err, "pipe");
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return err_sys(err, "fork");
	}
	if (pid == 0) {
		struct err e = ERR_INIT;

		close(p[0]);
		if (inside(net, l, netns_fd, &e) < 0) {
			if (write(p[1], err_msg(&e), strlen(err_msg(&e))) < 0)
				_exit(2);
			_exit(1);
		}
		_exit(0);
	}
	close(p[1]);
	n = read(p[0], msg, sizeof(msg) - 1);
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	msg[n > 0 ? n : 0] = '\0';
	return err_set(err, EIO, "configure the container's network: %s",
		       n > 0 ? msg : "the helper died");
}

int attach_netns(struct network *net, struct lease *l, int netns_fd, struct err *err)
{
	struct nl_link_change to_bridge = {.up = true, .master = net->bridge, .netns_fd = -1};
	struct nl nl;
	int r;

	if (nl_open(&nl, err) < 0)
		return -err->code;
	/* the container's end is born in its namespace under its final name */
	r = nl_veth_add(&nl, l->ifname, l->ctr_ifname, l->mac, netns_fd, 0, err);
	if (r == 0)
		r = nl_link_set(&nl, l->ifname, &to_bridge, err);
	if (r == 0)
		r = configure_inside(net, l, netns_fd, err);
	if (r < 0) {
		struct err ignore = ERR_INIT;

		/* nothing half made: deleting our end takes the pair */
		nl_link_del(&nl, l->ifname, &ignore);
		err_clear(&ignore);
	}
	nl_close(&nl);
	return r;
}

void detach_lease(struct network *net, struct lease *l, bool ns_gone)
{
	struct err err = ERR_INIT;
	struct nl nl;

	(void)net;
	/*
	 * When the container's namespace is gone the kernel takes the pair
	 * with it, off our path; deleting it here would wait for an RCU
	 * grace period.
	 */
	if (!ns_gone && l->ifname[0] && nl_open(&nl, &err) == 0) {
		nl_link_del(&nl, l->ifname, &err);
		nl_close(&nl);
	}
	if (err_isset(&err))
		log_warnx("%s", err_msg(&err));
	err_clear(&err);
	lease_free(l);
}

int reconcile(struct netd *n)
{
	struct network *net;
	int released = 0;

	LIST_FOREACH (net, &n->nets, link) {
		struct lease *l, *next;

		for (l = LIST_FIRST(&net->leases); l; l = next) {
			next = LIST_NEXT(l, link);
			/* the host end lives as long as the container's namespace */
			if (l->ifname[0] && if_nametoindex(l->ifname))
				continue;
			log_info("released %s on %s: container %.12s is gone", l->ifname, net->name,
				 l->container);
			lease_free(l);
			released = 1;
		}
	}
	return released;
}
