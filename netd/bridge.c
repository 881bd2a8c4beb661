/* The bridges of the networks: made when missing (at start, after a reboot), removed with them. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "netd.h"
#include "nl.h"

static void write_sysctl(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, value, strlen(value)) < 0)
		log_warn("set %s to %s", path, value);
	if (fd >= 0)
		close(fd);
}

int bridge_ensure(struct netd *n, struct network *net, struct err *err)
{
	struct nl_link_change up = {.up = true, .netns_fd = -1};
	struct nl nl;
	char path[128];
	int r = 0;

	(void)n;
	if (nl_open(&nl, err) < 0)
		return -err->code;
	if (!if_nametoindex(net->bridge)) {
		r = nl_bridge_add(&nl, net->bridge, err);
		if (r == 0)
			log_info("created bridge %s for network %s", net->bridge, net->name);
	}
	if (r == 0)
		r = nl_addr_add(&nl, net->bridge, net->gateway, net->prefix, err);
	if (r == 0)
		r = nl_link_set(&nl, net->bridge, &up, err);
	nl_close(&nl);
	if (r < 0)
		return r;
	/* 127.0.0.1:hostPort reaches containers: DNAT to the bridge needs it */
	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/route_localnet", net->bridge);
	write_sysctl(path, "1");
	if (!net->internal)
		write_sysctl("/proc/sys/net/ipv4/ip_forward", "1");
	return 0;
}

void bridge_remove(struct network *net)
{
	struct err err = ERR_INIT;
	struct nl nl;

	if (nl_open(&nl, &err) == 0) {
		if (nl_link_del(&nl, net->bridge, &err) == 0)
			log_info("removed bridge %s", net->bridge);
		nl_close(&nl);
	}
	if (err_isset(&err))
		log_warnx("%s", err_msg(&err));
	err_clear(&err);
}
