/*
 * The networks and their leases: one file, $ROOT/network/networks.json,
 * replaced atomically on every change. Subnets are checked against each
 * other and against what the host already uses (its addresses and routes).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/atomicfile.h"
#include "common/cleanup.h"
#include "common/mac.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "netd.h"

static uint32_t mask_of(int prefix)
{
	return prefix ? htonl(~0u << (32 - prefix)) : 0;
}

static bool overlaps(struct in_addr a, int pa, struct in_addr b, int pb)
{
	int p = pa < pb ? pa : pb;

	return (a.s_addr & mask_of(p)) == (b.s_addr & mask_of(p));
}

int cidr_parse(const char *s, struct in_addr *addr, int *prefix, struct err *err)
{
	cleanup_free char *copy = xstrdup(s);
	char *slash = strchr(copy, '/'), *end;
	long p;

	if (!slash)
		return err_set(err, EINVAL, "invalid subnet '%s': expected ADDRESS/PREFIX", s);
	*slash = '\0';
	p = strtol(slash + 1, &end, 10);
	if (inet_pton(AF_INET, copy, addr) != 1 || end == slash + 1 || *end || p < 8 || p > 30)
		return err_set(err, EINVAL,
			       "invalid subnet '%s': an IPv4 address and a prefix from /8 to /30",
			       s);
	if (addr->s_addr & ~mask_of((int)p))
		return err_set(err, EINVAL,
			       "invalid subnet '%s': the address has host bits set for /%ld", s, p);
	*prefix = (int)p;
	return 0;
}

/* The host's own addresses and routes (/proc/net/route), as subnets. */
static int host_conflict(struct in_addr addr, int prefix, char *what, size_t len)
{
	struct ifaddrs *ifa = NULL, *i;
	FILE *f;
	char line[256];

	if (getifaddrs(&ifa) == 0) {
		for (i = ifa; i; i = i->ifa_next) {
			struct sockaddr_in *a = (struct sockaddr_in *)i->ifa_addr;
			struct sockaddr_in *m = (struct sockaddr_in *)i->ifa_netmask;
			int p;

			if (!a || a->sin_family != AF_INET || !m ||
			    (ntohl(a->sin_addr.s_addr) >> 24) == 127)
				continue;
			p = __builtin_popcount(m->sin_addr.s_addr);
			if (overlaps(addr, prefix, a->sin_addr, p)) {
				snprintf(what, len, "the address of %s", i->ifa_name);
				freeifaddrs(ifa);
				return 1;
			}
		}
		freeifaddrs(ifa);
	}
	f = fopen("/proc/net/route", "re");
	while (f && fgets(line, sizeof(line), f)) {
		char ifname[32];
		unsigned dst, gw, flags, mask;
		struct in_addr d;

		if (sscanf(line, "%31s %x %x %x %*s %*s %*s %x", ifname, &dst, &gw, &flags,
			   &mask) != 5 ||
		    mask == 0)
			continue;
		d.s_addr = dst;
		if (overlaps(addr, prefix, d, __builtin_popcount(mask))) {
			snprintf(what, len, "a route via %s", ifname);
			fclose(f);
			return 1;
		}
	}
	if (f)
		fclose(f);
	return 0;
}

int subnet_check(struct netd *n, struct in_addr addr, int prefix, struct err *err)
{
	struct network *net;
	char what[64], a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &addr, a, sizeof(a));
	LIST_FOREACH (net, &n->nets, link)
		if (overlaps(addr, prefix, net->subnet, net->prefix)) {
			char b[INET_ADDRSTRLEN];

			inet_ntop(AF_INET, &net->subnet, b, sizeof(b));
			return err_set(err, EEXIST, "subnet %s/%d overlaps network %s (%s/%d)", a,
				       prefix, net->name, b, net->prefix);
		}
	if (host_conflict(addr, prefix, what, sizeof(what)))
		return err_set(err, EEXIST, "subnet %s/%d overlaps %s on this host", a, prefix,
			       what);
	return 0;
}

int subnet_pick(struct netd *n, struct in_addr *addr, int *prefix, struct err *err)
{
	struct err skip = ERR_INIT;

	/* Docker's order: 172.17-31/16, then 192.168.x/20... here /24s of 10.x */
	for (int b = 17; b <= 31; b++) {
		addr->s_addr = htonl((172u << 24) | ((unsigned)b << 16));
		if (subnet_check(n, *addr, 16, &skip) == 0) {
			*prefix = 16;
			return 0;
		}
		err_clear(&skip);
	}
	for (unsigned x = 0; x < 256 * 256; x += 1) {
		addr->s_addr = htonl((10u << 24) | (x << 8));
		if (subnet_check(n, *addr, 24, &skip) == 0) {
			*prefix = 24;
			return 0;
		}
		err_clear(&skip);
	}
	return err_set(err, ENOSPC, "no free private subnet is left on this host: give --subnet");
}

struct network *net_find(struct netd *n, const char *ref)
{
	struct network *net, *found = NULL;
	size_t len = strlen(ref);

	LIST_FOREACH (net, &n->nets, link)
		if (!strcmp(net->name, ref) || !strcmp(net->id, ref))
			return net;
	if (len >= 3)
		LIST_FOREACH (net, &n->nets, link)
			if (!strncmp(net->id, ref, len)) {
				if (found)
					return NULL;
				found = net;
			}
	return found;
}

struct network *net_new(struct netd *n, const char *name, struct in_addr subnet, int prefix,
			struct in_addr gw, bool internal, const cJSON *labels)
{
	struct network *net = xzalloc(sizeof(*net));
	char now[RFC3339_LEN];

	id_new(net->id);
	net->name = xstrdup(name);
	snprintf(net->bridge, sizeof(net->bridge), "br-%.12s", net->id);
	net->subnet = subnet;
	net->prefix = prefix;
	net->gateway = gw;
	net->internal = internal;
	net->labels = labels ? cJSON_Duplicate(labels, true) : cJSON_CreateObject();
	net->created = xstrdup(rfc3339_now(now));
	LIST_INIT(&net->leases);
	LIST_INSERT_HEAD(&n->nets, net, link);
	return net;
}

void lease_free(struct lease *l)
{
	LIST_REMOVE(l, link);
	free(l->name);
	cJSON_Delete(l->aliases);
	free(l->ports);
	free(l);
}

void net_free(struct network *net)
{
	struct lease *l;

	dns_stop(net);
	while ((l = LIST_FIRST(&net->leases)))
		lease_free(l);
	LIST_REMOVE(net, link);
	free(net->name);
	free(net->created);
	cJSON_Delete(net->labels);
	free(net);
}

struct lease *lease_find(struct network *net, const char *container)
{
	struct lease *l;

	LIST_FOREACH (l, &net->leases, link)
		if (!strcmp(l->container, container))
			return l;
	return NULL;
}

int lease_alloc(struct network *net, struct in_addr *ip, struct err *err)
{
	uint32_t base = ntohl(net->subnet.s_addr), size = 1u << (32 - net->prefix);

	for (uint32_t i = 1; i < size - 1; i++) {
		struct in_addr cand = {htonl(base + i)};
		struct lease *l;
		bool taken = cand.s_addr == net->gateway.s_addr;

		LIST_FOREACH (l, &net->leases, link)
			taken = taken || l->ip.s_addr == cand.s_addr;
		if (!taken) {
			*ip = cand;
			return 0;
		}
	}
	return err_set(err, ENOSPC, "network %s has no free address left", net->name);
}

/* --ip: the address asked for, if it is one of the network's and free. */
int lease_take(struct network *net, const char *want, struct in_addr *ip, struct err *err)
{
	uint32_t base = ntohl(net->subnet.s_addr), size = 1u << (32 - net->prefix), a;
	struct in_addr cand;
	struct lease *l;

	if (inet_pton(AF_INET, want, &cand) != 1)
		return err_set(err, EINVAL, "invalid IPv4 address %s", want);
	a = ntohl(cand.s_addr);
	if (a <= base || a >= base + size - 1 || cand.s_addr == net->gateway.s_addr)
		return err_set(err, EINVAL,
			       "address %s is not one network %s can give (its subnet, not its "
			       "gateway)",
			       want, net->name);
	LIST_FOREACH (l, &net->leases, link)
		if (l->ip.s_addr == cand.s_addr)
			return err_set(err, EADDRINUSE,
				       "address %s is already in use on network %s (container "
				       "%.12s)",
				       want, net->name, l->container);
	*ip = cand;
	return 0;
}

static void add_ip(cJSON *o, const char *key, struct in_addr a)
{
	char buf[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &a, buf, sizeof(buf));
	cJSON_AddStringToObject(o, key, buf);
}

cJSON *net_json(const struct network *net)
{
	cJSON *o = cJSON_CreateObject(), *ipam, *cfg, *c, *ctrs;
	char sub[32], ip[INET_ADDRSTRLEN], mac[18];
	const struct lease *l;

	cJSON_AddStringToObject(o, "Name", net->name);
	cJSON_AddStringToObject(o, "Id", net->id);
	cJSON_AddStringToObject(o, "Created", net->created);
	cJSON_AddStringToObject(o, "Driver", "bridge");
	cJSON_AddBoolToObject(o, "Internal", net->internal);
	ipam = cJSON_AddObjectToObject(o, "IPAM");
	cfg = cJSON_AddArrayToObject(ipam, "Config");
	c = cJSON_CreateObject();
	inet_ntop(AF_INET, &net->subnet, ip, sizeof(ip));
	snprintf(sub, sizeof(sub), "%s/%d", ip, net->prefix);
	cJSON_AddStringToObject(c, "Subnet", sub);
	add_ip(c, "Gateway", net->gateway);
	cJSON_AddItemToArray(cfg, c);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(o, "Options"),
				"com.docker.network.bridge.name", net->bridge);
	cJSON_AddItemToObject(o, "Labels", cJSON_Duplicate(net->labels, true));
	ctrs = cJSON_AddObjectToObject(o, "Containers");
	LIST_FOREACH (l, &net->leases, link) {
		cJSON *e = cJSON_AddObjectToObject(ctrs, l->container), *ports;

		cJSON_AddStringToObject(e, "Name", l->name ? l->name : "");
		inet_ntop(AF_INET, &l->ip, ip, sizeof(ip));
		snprintf(sub, sizeof(sub), "%s/%d", ip, net->prefix);
		cJSON_AddStringToObject(e, "IPv4Address", sub);
		mac_format(l->mac, mac);
		cJSON_AddStringToObject(e, "MacAddress", mac);
		cJSON_AddStringToObject(e, "HostVeth", l->ifname);
		cJSON_AddItemToObject(e, "Aliases",
				      l->aliases ? cJSON_Duplicate(l->aliases, true)
						 : cJSON_CreateArray());
		ports = cJSON_AddArrayToObject(e, "Ports");
		for (size_t i = 0; i < l->nports; i++) {
			cJSON *p = cJSON_CreateObject();

			add_ip(p, "HostIp", l->ports[i].host_ip);
			cJSON_AddNumberToObject(p, "HostPort", l->ports[i].host_port);
			cJSON_AddNumberToObject(p, "ContainerPort", l->ports[i].ctr_port);
			cJSON_AddStringToObject(p, "Proto", l->ports[i].udp ? "udp" : "tcp");
			cJSON_AddItemToArray(ports, p);
		}
	}
	return o;
}

static const char *jstr(const cJSON *o, const char *key)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

static void load_lease(struct network *net, const char *id, const cJSON *e)
{
	struct lease *l = xzalloc(sizeof(*l));
	const char *ip = jstr(e, "IPv4Address"), *veth = jstr(e, "HostVeth");
	cleanup_free char *addr = xstrdup(ip ? ip : "");
	const cJSON *p;

	if (strchr(addr, '/'))
		*strchr(addr, '/') = '\0';
	inet_pton(AF_INET, addr, &l->ip);
	mac_parse(jstr(e, "MacAddress"), l->mac);
	snprintf(l->container, sizeof(l->container), "%s", id);
	l->name = xstrdup(jstr(e, "Name") ? jstr(e, "Name") : "");
	snprintf(l->ifname, sizeof(l->ifname), "%s", veth ? veth : "");
	l->aliases = cJSON_Duplicate(cJSON_GetObjectItem(e, "Aliases"), true);
	l->nports = (size_t)cJSON_GetArraySize(cJSON_GetObjectItem(e, "Ports"));
	l->ports = xcalloc(l->nports + 1, sizeof(*l->ports));
	l->nports = 0;
	cJSON_ArrayForEach (p, cJSON_GetObjectItem(e, "Ports")) {
		struct port_map *m = &l->ports[l->nports++];

		inet_pton(AF_INET, jstr(p, "HostIp") ? jstr(p, "HostIp") : "0.0.0.0", &m->host_ip);
		m->host_port = (uint16_t)cJSON_GetNumberValue(cJSON_GetObjectItem(p, "HostPort"));
		m->ctr_port =
		    (uint16_t)cJSON_GetNumberValue(cJSON_GetObjectItem(p, "ContainerPort"));
		m->udp = jstr(p, "Proto") && !strcmp(jstr(p, "Proto"), "udp");
	}
	LIST_INSERT_HEAD(&net->leases, l, link);
}

int nets_load(struct netd *n, struct err *err)
{
	cleanup_free char *text = NULL;
	cleanup_cjson cJSON *doc = NULL;
	const cJSON *o;

	if (read_file_at(AT_FDCWD, n->state_file, 1 << 24, &text, NULL, err) < 0) {
		if (err->code == ENOENT) {
			err_clear(err);
			return 0;
		}
		return -err->code;
	}
	doc = cJSON_Parse(text);
	if (!cJSON_IsArray(doc))
		return err_set(err, EINVAL, "%s is not a list of networks", n->state_file);
	cJSON_ArrayForEach (o, doc) {
		const cJSON *cfg = cJSON_GetArrayItem(
		    cJSON_GetObjectItem(cJSON_GetObjectItem(o, "IPAM"), "Config"), 0);
		const char *name = jstr(o, "Name"), *id = jstr(o, "Id");
		const char *br =
		    jstr(cJSON_GetObjectItem(o, "Options"), "com.docker.network.bridge.name");
		struct in_addr sub, gw = {0};
		struct network *net;
		const cJSON *e;
		int prefix;

		if (!name || !id || !br ||
		    cidr_parse(jstr(cfg, "Subnet") ?: "", &sub, &prefix, err) < 0) {
			log_warnx("%s: a network record is incomplete, skipped", n->state_file);
			err_clear(err);
			continue;
		}
		inet_pton(AF_INET, jstr(cfg, "Gateway") ?: "", &gw);
		net = net_new(n, name, sub, prefix, gw,
			      cJSON_IsTrue(cJSON_GetObjectItem(o, "Internal")),
			      cJSON_GetObjectItem(o, "Labels"));
		snprintf(net->id, sizeof(net->id), "%s", id);
		snprintf(net->bridge, sizeof(net->bridge), "%s", br);
		free(net->created);
		net->created = xstrdup(jstr(o, "Created") ?: "");
		net->is_default = cJSON_IsTrue(cJSON_GetObjectItem(o, "BerthDefault"));
		cJSON_ArrayForEach (e, cJSON_GetObjectItem(o, "Containers"))
			load_lease(net, e->string, e);
	}
	return 0;
}

int nets_save(struct netd *n, struct err *err)
{
	cJSON *doc = cJSON_CreateArray();
	struct network *net;
	char *text;
	int r;

	LIST_FOREACH (net, &n->nets, link) {
		cJSON *o = net_json(net);

		cJSON_AddBoolToObject(o, "BerthDefault", net->is_default);
		cJSON_AddItemToArray(doc, o);
	}
	text = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	r = atomic_write_file(n->state_file, text, strlen(text), 0600, err);
	free(text);
	return r;
}
