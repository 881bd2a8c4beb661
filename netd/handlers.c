/* netd's requests: networks for clients, attach and detach for containerd. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/mac.h"
#include "common/xalloc.h"
#include "netd.h"
#include "proto/tags.h"

static const char *jstr(const cJSON *o, const char *key)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

/* Save, and remake the rules when they change; on failure the caller undoes its change. */
static int commit_rules(struct netd *n, bool rules, struct err *err)
{
	if (nets_save(n, err) < 0 || (rules && nft_sync(n, err) < 0))
		return -err->code;
	return 0;
}

static int commit(struct netd *n, struct err *err)
{
	return commit_rules(n, true, err);
}

static bool name_ok(const char *s)
{
	if (!s || !*s || strlen(s) > 64)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || (p != s && strchr("_.-", *p))))
			return false;
	return true;
}

int h_NETWORK_CREATE(struct conn *c, struct frame *f, struct err *err)
{
	struct netd *n = netd_of(c);
	cleanup_free char *name = NULL, *text = NULL;
	cleanup_cjson cJSON *req = NULL;
	struct in_addr sub, gw;
	const char *s;
	struct network *net;
	int prefix;

	if (p_get_str(f->payload, f->len, TAG_NAME, &name, err) <= 0 || !name_ok(name))
		return err_set(err, EINVAL,
			       "invalid network name '%s': [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 64",
			       name ? name : "");
	if (p_get_str(f->payload, f->len, TAG_JSON, &text, err) > 0)
		req = cJSON_Parse(text);
	err_clear(err);
	if (net_find(n, name))
		return err_set(err, EEXIST, "network with name %s already exists", name);
	if ((s = jstr(req, "Subnet")) && *s) {
		if (cidr_parse(s, &sub, &prefix, err) < 0 || subnet_check(n, sub, prefix, err) < 0)
			return -err->code;
	} else if (subnet_pick(n, &sub, &prefix, err) < 0) {
		return -err->code;
	}
	gw.s_addr = htonl(ntohl(sub.s_addr) + 1);
	if ((s = jstr(req, "Gateway")) && *s) {
		uint32_t mask = htonl(~0u << (32 - prefix)), g;

		if (inet_pton(AF_INET, s, &gw) != 1)
			return err_set(err, EINVAL, "invalid gateway '%s': not an IPv4 address", s);
		g = ntohl(gw.s_addr);
		if ((gw.s_addr & mask) != sub.s_addr || g == ntohl(sub.s_addr) ||
		    g == (ntohl(sub.s_addr) | ~ntohl(mask)))
			return err_set(err, EINVAL,
				       "invalid gateway %s: it is not a host address of the subnet",
				       s);
	}
	net = net_new(n, name, sub, prefix, gw, cJSON_IsTrue(cJSON_GetObjectItem(req, "Internal")),
		      cJSON_GetObjectItem(req, "Labels"));
	if (bridge_ensure(n, net, err) < 0 || dns_start(n, net, err) < 0 || commit(n, err) < 0) {
		struct err ignore = ERR_INIT;

		bridge_remove(net);
		net_free(net);
		nets_save(n, &ignore);
		nft_sync(n, &ignore);
		err_clear(&ignore);
		return -err->code;
	}
	log_info("created network %s (%s)", net->name, net->bridge);
	server_event(c->srv, "network", "create", net->id, net->name, NULL);
	conn_reply_json(c, f, net_json(net), NULL, 0);
	return 0;
}

int h_NETWORK_LIST(struct conn *c, struct frame *f, struct err *err)
{
	struct netd *n = netd_of(c);
	cJSON *a = cJSON_CreateArray();
	struct network *net;

	LIST_FOREACH (net, &n->nets, link)
		cJSON_AddItemToArray(a, net_json(net));
	conn_reply_json(c, f, a, NULL, 0);
	return 0;
}

static struct network *find(struct conn *c, struct frame *f, struct err *err)
{
	cleanup_free char *ref = NULL;
	struct network *net;

	if (p_get_str(f->payload, f->len, TAG_REF, &ref, err) <= 0) {
		err_set(err, EINVAL, "a network name or id is needed");
		return NULL;
	}
	net = net_find(netd_of(c), ref);
	if (!net)
		err_set(err, ENOENT, "no such network: %s", ref);
	return net;
}

int h_NETWORK_INSPECT(struct conn *c, struct frame *f, struct err *err)
{
	struct network *net = find(c, f, err);

	if (!net)
		return -err->code;
	conn_reply_json(c, f, net_json(net), NULL, 0);
	return 0;
}

static int remove_net(struct netd *n, struct network *net, struct err *err)
{
	struct lease *l = LIST_FIRST(&net->leases);

	if (net->is_default)
		return err_set(err, EPERM, "%s is the default network and cannot be removed",
			       net->name);
	if (l)
		return err_set(err, EBUSY,
			       "network %s has active endpoints (container %.12s %s): remove or "
			       "disconnect them first",
			       net->name, l->container, l->name ? l->name : "");
	bridge_remove(net);
	log_info("removed network %s", net->name);
	server_event(&n->d->srv, "network", "destroy", net->id, net->name, NULL);
	net_free(net);
	return commit(n, err);
}

int h_NETWORK_REMOVE(struct conn *c, struct frame *f, struct err *err)
{
	struct network *net = find(c, f, err);
	cJSON *o;

	if (!net)
		return -err->code;
	o = cJSON_CreateString(net->name);
	if (remove_net(netd_of(c), net, err) < 0) {
		cJSON_Delete(o);
		return -err->code;
	}
	conn_reply_json(c, f, o, NULL, 0);
	return 0;
}

int h_NETWORK_PRUNE(struct conn *c, struct frame *f, struct err *err)
{
	struct netd *n = netd_of(c);
	cJSON *a = cJSON_CreateArray();
	struct network *net, *next;

	for (net = LIST_FIRST(&n->nets); net; net = next) {
		next = LIST_NEXT(net, link);
		if (net->is_default || LIST_FIRST(&net->leases))
			continue;
		cJSON_AddItemToArray(a, cJSON_CreateString(net->name));
		if (remove_net(n, net, err) < 0) {
			cJSON_Delete(a);
			return -err->code;
		}
	}
	conn_reply_json(c, f, a, NULL, 0);
	return 0;
}

/* ---- published ports ---- */

/* Held by a host process? Binding it tells (and a port 0 gets a free one). */
static int port_probe(struct port_map *p, struct err *err)
{
	struct sockaddr_in sa = {
	    .sin_family = AF_INET, .sin_port = htons(p->host_port), .sin_addr = p->host_ip};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, (p->udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0), r = 0;

	if (fd < 0)
		return err_sys(err, "socket");
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		r = err_set(err, EADDRINUSE,
			    "port %u/%s is already in use on this host: choose another host port",
			    p->host_port, p->udp ? "udp" : "tcp");
	else if (!p->host_port && getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		p->host_port = ntohs(sa.sin_port);
	close(fd);
	return r;
}

static int ports_parse(struct netd *n, const cJSON *a, struct lease *l, struct err *err)
{
	const cJSON *p;

	l->ports = xcalloc((size_t)cJSON_GetArraySize(a) + 1, sizeof(*l->ports));
	cJSON_ArrayForEach (p, a) {
		struct port_map *m = &l->ports[l->nports];
		const char *hip = jstr(p, "HostIp"), *proto = jstr(p, "Proto");
		double hp = cJSON_GetNumberValue(cJSON_GetObjectItem(p, "HostPort"));
		double cp = cJSON_GetNumberValue(cJSON_GetObjectItem(p, "ContainerPort"));
		struct network *net;
		struct lease *o;

		if (hip && *hip && inet_pton(AF_INET, hip, &m->host_ip) != 1)
			return err_set(err, EINVAL, "invalid host address '%s' in a port", hip);
		if (!(cp >= 1 && cp <= 65535) || !(hp >= 0 && hp <= 65535) ||
		    (proto && strcmp(proto, "tcp") && strcmp(proto, "udp")))
			return err_set(err, EINVAL, "invalid port mapping %g:%g/%s", hp, cp,
				       proto ? proto : "tcp");
		m->host_port = (uint16_t)hp;
		m->ctr_port = (uint16_t)cp;
		m->udp = proto && !strcmp(proto, "udp");
		/* another container's published port first, then the host's sockets */
		LIST_FOREACH (net, &n->nets, link)
			LIST_FOREACH (o, &net->leases, link)
				for (size_t i = 0; i < o->nports; i++)
					if (m->host_port && o->ports[i].host_port == m->host_port &&
					    o->ports[i].udp == m->udp)
						return err_set(err, EADDRINUSE,
							       "port %u/%s is already published by "
							       "container %.12s (%s)",
							       m->host_port, m->udp ? "udp" : "tcp",
							       o->container,
							       o->name ? o->name : "");
		if (port_probe(m, err) < 0)
			return -err->code;
		l->nports++;
	}
	return 0;
}

/* ---- attach and detach (containerd) ---- */

/* The host's resolv.conf without its nameservers, then dns (NULL: keep the host's). */
static char *resolv_conf(const char *dns)
{
	FILE *f = fopen("/etc/resolv.conf", "re");
	char *out = NULL, line[512];
	size_t len = 0;
	FILE *o = open_memstream(&out, &len);
	bool any = false;

	while (f && fgets(line, sizeof(line), f)) {
		char ns[128];

		/* a resolver on the host's loopback is not reachable from a container */
		if (sscanf(line, "nameserver %127s", ns) == 1) {
			if (dns || !strncmp(ns, "127.", 4) || !strcmp(ns, "::1"))
				continue;
			any = true;
		}
		fputs(line, o);
	}
	if (f)
		fclose(f);
	if (dns)
		fprintf(o, "nameserver %s\n", dns);
	else if (!any)
		fputs("nameserver 8.8.8.8\nnameserver 8.8.4.4\n", o);
	fclose(o);
	return out;
}

/* Two endpoints with one MAC address on a bridge break both: the second is refused. */
static int mac_check_free(const struct network *net, const struct lease *l, struct err *err)
{
	const struct lease *o;
	char mac[18];

	LIST_FOREACH (o, &net->leases, link) {
		if (o == l || memcmp(o->mac, l->mac, sizeof(l->mac)))
			continue;
		mac_format(l->mac, mac);
		return err_set(err, EADDRINUSE,
			       "MAC address %s is in use on network %s (container %.12s)", mac,
			       net->name, o->container);
	}
	return 0;
}

int h_NET_ATTACH(struct conn *c, struct frame *f, struct err *err)
{
	struct netd *n = netd_of(c);
	cleanup_free char *ref = NULL, *id = NULL, *name = NULL, *text = NULL, *resolv = NULL;
	cleanup_cjson cJSON *req = NULL;
	int netns = frame_take_fd(f, 0);
	struct network *net;
	struct lease *l;
	char ip[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN], veth[ID_LEN + 1], mac[18];
	cJSON *o, *ports;
	int r;

	p_get_str(f->payload, f->len, TAG_REF, &ref, err);
	p_get_str(f->payload, f->len, TAG_NAME, &name, err);
	if (p_get_str(f->payload, f->len, TAG_JSON, &text, err) > 0)
		req = cJSON_Parse(text);
	err_clear(err);
	if (p_get_str(f->payload, f->len, TAG_KEY, &id, err) <= 0 || !id_valid(id) || netns < 0) {
		if (netns >= 0)
			close(netns);
		return err_set(err, EINVAL, "net.attach needs a container id and its netns fd");
	}
	net = net_find(n, ref && *ref ? ref : "bridge");
	if (!net) {
		close(netns);
		return err_set(err, ENOENT, "network %s not found", ref ? ref : "bridge");
	}
	if ((l = lease_find(net, id))) {
		/* a restart of the same container: its old endpoint goes first */
		detach_lease(net, l, false);
	}
	l = xzalloc(sizeof(*l));
	snprintf(l->container, sizeof(l->container), "%s", id);
	{
		const char *ifn = jstr(req, "Interface");

		/* the first network is eth0 with the default route; connect adds eth1 ... */
		snprintf(l->ctr_ifname, sizeof(l->ctr_ifname), "%s", ifn && *ifn ? ifn : "eth0");
		l->default_route = !cJSON_IsFalse(cJSON_GetObjectItem(req, "DefaultRoute"));
		if (strlen(l->ctr_ifname) < 1 || strchr(l->ctr_ifname, '/')) {
			free(l);
			close(netns);
			return err_set(err, EINVAL, "invalid interface name");
		}
	}
	l->name = xstrdup(name ? name : "");
	l->aliases = cJSON_Duplicate(cJSON_GetObjectItem(req, "Aliases"), true);
	id_new(veth);
	snprintf(l->ifname, sizeof(l->ifname), "vb%.12s", veth);
	LIST_INSERT_HEAD(&net->leases, l, link);
	r = jstr(req, "IPv4Address") && *jstr(req, "IPv4Address")
		? lease_take(net, jstr(req, "IPv4Address"), &l->ip, err)
		: lease_alloc(net, &l->ip, err);
	if (r == 0 && jstr(req, "MacAddress") && *jstr(req, "MacAddress")) {
		if (mac_parse(jstr(req, "MacAddress"), l->mac) < 0)
			r = err_set(err, EINVAL, "invalid MAC address %s", jstr(req, "MacAddress"));
	} else if (r == 0) {
		/* Docker's: 02:42 and the IPv4 address, unique on the network */
		l->mac[0] = 0x02;
		l->mac[1] = 0x42;
		memcpy(l->mac + 2, &l->ip.s_addr, 4);
	}
	if (r == 0)
		r = mac_check_free(net, l, err);
	if (r == 0)
		r = ports_parse(n, cJSON_GetObjectItem(req, "Ports"), l, err);
	if (r == 0)
		r = attach_netns(net, l, netns, err);
	close(netns);
	if (r == 0)
		r = commit_rules(n, l->nports > 0, err);
	if (r < 0) {
		struct err ignore = ERR_INIT;

		detach_lease(net, l, false);
		nets_save(n, &ignore);
		nft_sync(n, &ignore);
		err_clear(&ignore);
		return r;
	}
	inet_ntop(AF_INET, &l->ip, ip, sizeof(ip));
	inet_ntop(AF_INET, &net->gateway, gw, sizeof(gw));
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "Network", net->name);
	cJSON_AddStringToObject(o, "NetworkID", net->id);
	cJSON_AddStringToObject(o, "IPAddress", ip);
	mac_format(l->mac, mac);
	cJSON_AddStringToObject(o, "MacAddress", mac);
	cJSON_AddNumberToObject(o, "IPPrefixLen", net->prefix);
	cJSON_AddStringToObject(o, "Gateway", net->internal ? "" : gw);
	/* user networks resolve their containers' names through netd's DNS on the gateway */
	resolv = resolv_conf(net->is_default ? NULL : gw);
	cJSON_AddStringToObject(o, "ResolvConf", resolv);
	ports = cJSON_AddArrayToObject(o, "Ports");
	for (size_t i = 0; i < l->nports; i++) {
		cJSON *p = cJSON_CreateObject();
		char hip[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &l->ports[i].host_ip, hip, sizeof(hip));
		cJSON_AddStringToObject(p, "HostIp", hip);
		cJSON_AddNumberToObject(p, "HostPort", l->ports[i].host_port);
		cJSON_AddNumberToObject(p, "ContainerPort", l->ports[i].ctr_port);
		cJSON_AddStringToObject(p, "Proto", l->ports[i].udp ? "udp" : "tcp");
		cJSON_AddItemToArray(ports, p);
	}
	log_info("attached container %.12s to %s as %s (%s)", id, net->name, ip, l->ifname);
	conn_reply_json(c, f, o, NULL, 0);
	return 0;
}

int h_NET_DETACH(struct conn *c, struct frame *f, struct err *err)
{
	struct netd *n = netd_of(c);
	cleanup_free char *id = NULL;
	struct network *net;
	int released = 0;

	cleanup_free char *only = NULL;
	uint32_t gone = 0;

	if (p_get_str(f->payload, f->len, TAG_KEY, &id, err) <= 0)
		return err_set(err, EINVAL, "net.detach needs a container id");
	/* one network (disconnect), or all of them (the container ended) */
	p_get_str(f->payload, f->len, TAG_REF, &only, err);
	p_get_u32(f->payload, f->len, TAG_ALL, &gone, err);
	err_clear(err);
	bool rules = false;

	LIST_FOREACH (net, &n->nets, link) {
		struct lease *l = lease_find(net, id);

		if (only && *only && strcmp(only, net->name) && strcmp(only, net->id))
			continue;
		if (l) {
			rules = rules || l->nports > 0;
			detach_lease(net, l, gone != 0);
			released++;
		}
	}
	if (only && *only && !released)
		return err_set(err, ENOENT, "container %.12s is not connected to network %s", id,
			       only);
	if (released && commit_rules(n, rules, err) < 0)
		return -err->code;
	conn_reply_json(c, f, cJSON_CreateNumber(released), NULL, 0);
	return 0;
}
