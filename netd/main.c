/*
 * berth-netd keeps the network capabilities and CAP_SYS_ADMIN (setns into
 * a container's network namespace); nothing for files.
 *
 * Its default network is "bridge" on the bridge $BERTH_BRIDGE (berth0),
 * with the subnet $BERTH_SUBNET or the first private one the host does not
 * use, remembered in $ROOT/network/networks.json. Its nftables table is
 * "inet $BERTH_NFT_TABLE" (berth). Tests give each instance its own three.
 */
#include "config.h"

#include <arpa/inet.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <stddef.h>
#include <stdlib.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "netd.h"

static const int netd_caps[] = {
    CAP_NET_ADMIN, CAP_NET_BIND_SERVICE, CAP_NET_RAW, CAP_SYS_ADMIN, -1,
};

static const char *const netd_syscalls[] = {"setns", "unshare", NULL};

/* the connect hook's maps: programs are loaded and attached before the drop */
static const long netd_bpf_cmds[] = {
    BPF_MAP_LOOKUP_ELEM, BPF_MAP_UPDATE_ELEM, BPF_MAP_DELETE_ELEM, BPF_MAP_GET_NEXT_KEY, -1,
};

static const struct priv_arg_rule netd_arg_rules[] = {
    {"bpf", netd_bpf_cmds},
    {NULL, NULL},
};

static struct priv_spec netd_priv = {
    .caps = netd_caps,
    .no_new_privs = true,
    .arg_rules = netd_arg_rules,
};

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v && *v ? v : def;
}

static int default_network(struct netd *n, struct err *err)
{
	struct network *net;
	struct in_addr sub, gw;
	int prefix;

	LIST_FOREACH (net, &n->nets, link)
		if (net->is_default)
			return 0;
	if (n->default_subnet) {
		if (cidr_parse(n->default_subnet, &sub, &prefix, err) < 0 ||
		    subnet_check(n, sub, prefix, err) < 0)
			return err_wrap(err, "BERTH_SUBNET");
	} else if (subnet_pick(n, &sub, &prefix, err) < 0) {
		return -err->code;
	}
	gw.s_addr = htonl(ntohl(sub.s_addr) + 1);
	net = net_new(n, "bridge", sub, prefix, gw, false, NULL);
	snprintf(net->bridge, sizeof(net->bridge), "%s", n->default_bridge);
	net->is_default = true;
	return 0;
}

/*
 * A container removed while netd was down (or whose namespace was still
 * being torn down when netd started) leaves a lease: its veth tells.
 */
static void on_sweep(uv_timer_t *t)
{
	struct netd *n = t->data;
	struct err err = ERR_INIT;

	if (reconcile(n) && (nets_save(n, &err) < 0 || nft_sync(n, &err) < 0))
		log_warnx("%s", err_msg(&err));
	err_clear(&err);
}

static int netd_init(struct daemon *d, struct err *err)
{
	struct netd *n = xzalloc(sizeof(*n));
	struct network *net;

	d->priv = n;
	n->d = d;
	/* closed at fini even when init fails before the hook starts */
	n->hook_ports = n->hook_peers = n->hook_local = n->hook_links[0] = n->hook_links[1] = -1;
	n->hook_nl = -1;
	LIST_INIT(&n->nets);
	n->state_file = xasprintf("%s/networks.json", d->state_dir);
	n->nft_table = xstrdup(env_or("BERTH_NFT_TABLE", "berth"));
	n->default_bridge = xstrdup(env_or("BERTH_BRIDGE", "berth0"));
	n->default_subnet = getenv("BERTH_SUBNET") ? xstrdup(getenv("BERTH_SUBNET")) : NULL;
	if (nets_load(n, err) < 0 || default_network(n, err) < 0)
		return -err->code;
	/* loaded and attached now: after the drop netd may only change its maps */
	connhook_start(n);
	/* after a reboot the bridges are gone; after a crash the leases may be stale */
	LIST_FOREACH (net, &n->nets, link)
		if (bridge_ensure(n, net, err) < 0 || dns_start(n, net, err) < 0)
			return err_wrap(err, "network %s", net->name);
	reconcile(n);
	if (nets_save(n, err) < 0 || nft_sync(n, err) < 0)
		return -err->code;
	uv_timer_init(&d->loop, &n->sweep);
	n->sweep_ready = true;
	n->sweep.data = n;
	uv_timer_start(&n->sweep, on_sweep, 1000, 2000);
	log_info("default network on %s, nftables table inet %s", n->default_bridge, n->nft_table);
	return 0;
}

static void netd_fini(struct daemon *d)
{
	struct netd *n = d->priv;
	struct network *net;

	if (!n)
		return;
	/* bridges, rules and leases stay: running containers keep their network */
	while ((net = LIST_FIRST(&n->nets)))
		net_free(net);
	if (n->sweep_ready) {
		uv_timer_stop(&n->sweep);
		uv_close((uv_handle_t *)&n->sweep, NULL);
	}
	connhook_stop(n); /* the rules alone carry published ports until netd is back */
	uv_run(&d->loop, UV_RUN_NOWAIT);
	free(n->hook_off);
	free(n->state_file);
	free(n->nft_table);
	free(n->default_bridge);
	free(n->default_subnet);
	free(n);
	d->priv = NULL;
}

static const struct daemon_def netd_def = {
    .which = DAEMON_NETD,
    .accept_roles = ROLE_CLIENT | ROLE_APID | ROLE_CONTAINERD,
    .table = netd_table,
    .priv = &netd_priv,
    .init = netd_init,
    .info = netd_info,
    .fini = netd_fini,
};

int main(int argc, char **argv)
{
	netd_priv.syscalls = priv_allowlist(netd_syscalls);
	return daemon_main(argc, argv, &netd_def);
}
