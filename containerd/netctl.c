/*
 * Networking through berth-netd: containerd never configures a network
 * itself. After the shim created the container (its network namespace
 * exists), the namespace's fd goes to netd with the network and the
 * published ports; netd answers with the address, the resolvers and the
 * host ports it chose. At the end netd is told to let go of it all.
 */
#include "config.h"

#include <errno.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "containerd.h"
#include "proto/tags.h"

const char *ctr_network(const struct ctr *k)
{
	const char *m = cJSON_GetStringValue(ctr_cfg(k, "HostConfig", "NetworkMode"));

	if (!m || !*m || !strcmp(m, "default"))
		return "bridge";
	return m;
}

cJSON *ctr_networks(const struct ctr *k)
{
	cJSON *l = cJSON_CreateArray();
	const char *mode = ctr_network(k);
	const cJSON *n;

	if (strncmp(mode, "container:", 10))
		cJSON_AddItemToArray(l, cJSON_CreateString(mode));
	cJSON_ArrayForEach (n, ctr_cfg(k, "HostConfig", "ExtraNetworks"))
		if (cJSON_GetStringValue(n))
			cJSON_AddItemToArray(l, cJSON_CreateString(n->valuestring));
	return l;
}

const cJSON *ctr_attachment(const struct ctr *k, const char *network)
{
	const cJSON *e;

	if (k->net && !strcmp(ctr_network(k), network))
		return k->net;
	cJSON_ArrayForEach (e, k->extra)
		if (!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(e, "Network")) ?: "", network))
			return e;
	return NULL;
}

bool ctr_uses_netd(const struct ctr *k)
{
	const char *m = ctr_network(k);

	return strcmp(m, "none") && strcmp(m, "host") && strncmp(m, "container:", 10);
}

static int netd_call(struct cd *cd, uint16_t type, struct pbuf *pb, const int *fds, unsigned nfds,
		     cJSON **out, struct err *err)
{
	cleanup_free char *text = NULL;
	struct client c;
	struct frame f;
	int r;

	if (client_connect(&c, cd->netd_sock, ROLE_CONTAINERD, err) < 0) {
		pb_free(pb);
		for (unsigned i = 0; i < nfds; i++)
			close(fds[i]);
		return err_wrap(err, "reach berth-netd");
	}
	r = client_call(&c, type, pb, fds, nfds, &f, err);
	client_close(&c);
	if (r < 0)
		return r;
	if (out) {
		p_get_str(f.payload, f.len, TAG_JSON, &text, err);
		*out = text ? cJSON_Parse(text) : NULL;
	}
	frame_release(&f);
	return 0;
}

/* "80/tcp": [{"HostIp": "", "HostPort": "8080"}] into netd's list. */
static cJSON *port_list(const struct ctr *k)
{
	const cJSON *pb = ctr_cfg(k, "HostConfig", "PortBindings"), *e, *b;
	cJSON *out = cJSON_CreateArray();

	cJSON_ArrayForEach (e, pb) {
		char proto[8] = "tcp";
		int cport = 0;

		if (!e->string || sscanf(e->string, "%d/%7s", &cport, proto) < 1)
			continue;
		cJSON_ArrayForEach (b, e) {
			cJSON *p = cJSON_CreateObject();
			const char *hip = cJSON_GetStringValue(cJSON_GetObjectItem(b, "HostIp"));
			const char *hport =
			    cJSON_GetStringValue(cJSON_GetObjectItem(b, "HostPort"));

			cJSON_AddStringToObject(p, "HostIp", hip ? hip : "");
			cJSON_AddNumberToObject(p, "HostPort", hport ? atoi(hport) : 0);
			cJSON_AddNumberToObject(p, "ContainerPort", cport);
			cJSON_AddStringToObject(p, "Proto", proto);
			cJSON_AddItemToArray(out, p);
		}
	}
	return out;
}

/* Rewritten in place: the container has the file bound at /etc/hosts already. */
static void write_in_place(struct ctr *k, const char *name, const char *text)
{
	cleanup_free char *dir = ctr_dir(k), *path = xasprintf("%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		log_warn("write %s", path);
	if (fd >= 0)
		close(fd);
}

static void add_strings(cJSON *to, const cJSON *from)
{
	const cJSON *e;

	cJSON_ArrayForEach (e, from)
		if (cJSON_IsString(e))
			cJSON_AddItemToArray(to, cJSON_CreateString(e->valuestring));
}

cJSON *ctr_aliases(const struct ctr *k, const char *network, bool primary)
{
	cJSON *l = cJSON_CreateArray();

	if (primary)
		add_strings(l, ctr_cfg(k, "HostConfig", "NetworkAliases"));
	add_strings(l, cJSON_GetObjectItemCaseSensitive(ctr_cfg(k, "HostConfig", "EndpointAliases"),
							network));
	return l;
}

/*
 * What a connect gave for network, kept in the record for every later start:
 * its aliases (HostConfig.EndpointAliases) and address (EndpointAddresses).
 */
static void set_endpoint(struct ctr *k, const char *map, const char *network, const cJSON *v)
{
	cJSON *hc = cJSON_GetObjectItem(k->config, "HostConfig"), *m;

	if (!v || !hc || (cJSON_IsArray(v) && !cJSON_GetArraySize(v)))
		return;
	m = cJSON_GetObjectItem(hc, map);
	if (!cJSON_IsObject(m)) {
		cJSON_DeleteItemFromObject(hc, map);
		m = cJSON_AddObjectToObject(hc, map);
	}
	cJSON_DeleteItemFromObjectCaseSensitive(m, network);
	cJSON_AddItemToObject(m, network, cJSON_Duplicate(v, true));
}

static void drop_endpoint(struct ctr *k, const char *network)
{
	cJSON *hc = cJSON_GetObjectItem(k->config, "HostConfig");

	cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItem(hc, "EndpointAliases"),
						network);
	cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItem(hc, "EndpointAddresses"),
						network);
}

/* The options of a connect request (TAG_JSON {"Aliases": [...], "IPv4Address": "..."}), or NULL. */
static cJSON *req_options(struct frame *f, struct err *err)
{
	cleanup_free char *text = NULL;
	cJSON *doc;

	if (p_get_str(f->payload, f->len, TAG_JSON, &text, err) <= 0) {
		err_clear(err);
		return NULL;
	}
	doc = cJSON_Parse(text);
	if (!cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		err_set(err, EINVAL, "network.connect: the options are not a JSON object");
		return NULL;
	}
	return doc;
}

int net_address_check(const char *network, const char *ip, struct err *err)
{
	struct in_addr a;

	if (inet_pton(AF_INET, ip, &a) != 1)
		return err_set(err, EINVAL, "invalid --ip '%s': an IPv4 address", ip);
	if (!network || !*network || !strcmp(network, "bridge") || !strcmp(network, "default") ||
	    !strcmp(network, "none") || !strcmp(network, "host") ||
	    !strncmp(network, "container:", 10))
		return err_set(err, EINVAL,
			       "--ip: a user specified IP address is supported on user defined "
			       "networks only");
	return 0;
}

/* --ip at connect, checked; NULL without one. */
static cJSON *req_address(const cJSON *opts, const char *network, struct err *err)
{
	const char *ip = cJSON_GetStringValue(cJSON_GetObjectItem(opts, "IPv4Address"));

	if (!ip || !*ip || net_address_check(network, ip, err) < 0)
		return NULL;
	return cJSON_CreateString(ip);
}

/* The aliases of a connect request's options, or NULL. */
static cJSON *req_aliases(cJSON *opts, struct err *err)
{
	cJSON *l;
	const cJSON *e;

	l = cJSON_DetachItemFromObject(opts, "Aliases");
	cJSON_ArrayForEach (e, l) {
		if (!cJSON_IsString(e) || !*e->valuestring || strlen(e->valuestring) > 253) {
			cJSON_Delete(l);
			err_set(err, EINVAL, "Aliases: each alias is a non-empty name");
			return NULL;
		}
	}
	return l;
}

/* One network into the container's namespace; the result in *out. */
/* Docker's network connect and disconnect events, of one attachment (netd's answer). */
static void net_event(struct ctr *k, const char *action, const cJSON *att)
{
	server_event(&k->cd->d->srv, "network", action,
		     cJSON_GetStringValue(cJSON_GetObjectItem(att, "NetworkID")) ?: "",
		     cJSON_GetStringValue(cJSON_GetObjectItem(att, "Network")) ?: "", k->id);
}

static int attach_one(struct ctr *k, const char *network, const char *ifname, bool primary,
		      cJSON **out, struct err *err)
{
	cleanup_free char *nspath = xasprintf("/proc/%d/ns/net", (int)k->pid), *text = NULL;
	cleanup_cjson cJSON *req = cJSON_CreateObject();
	struct pbuf pb;
	int fd = open(nspath, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return err_sys(err, "open %s", nspath);
	cJSON_AddItemToObject(req, "Ports", primary ? port_list(k) : cJSON_CreateArray());
	cJSON_AddStringToObject(req, "Interface", ifname);
	cJSON_AddBoolToObject(req, "DefaultRoute", primary);
	/*
	 * The aliases: docker run's name the container on its first network;
	 * those given at connect (EndpointAliases) on theirs.
	 */
	cJSON_AddItemToObject(req, "Aliases", ctr_aliases(k, network, primary));
	/* --ip and --mac-address are for the container's own network; connect --ip for its */
	{
		const char *ip = cJSON_GetStringValue(
		    primary ? ctr_cfg(k, "HostConfig", "IPv4Address")
			    : cJSON_GetObjectItemCaseSensitive(
				  ctr_cfg(k, "HostConfig", "EndpointAddresses"), network));
		const char *mac =
		    primary ? cJSON_GetStringValue(ctr_cfg(k, "HostConfig", "MacAddress")) : NULL;

		if (ip && *ip)
			cJSON_AddStringToObject(req, "IPv4Address", ip);
		if (mac && *mac)
			cJSON_AddStringToObject(req, "MacAddress", mac);
	}
	text = cJSON_PrintUnformatted(req);
	pb_init(&pb);
	pb_put_str(&pb, TAG_REF, network);
	pb_put_str(&pb, TAG_KEY, k->id);
	pb_put_str(&pb, TAG_NAME, k->name);
	pb_put_str(&pb, TAG_JSON, text);
	if (netd_call(k->cd, MSG_NET_ATTACH, &pb, &fd, 1, out, err) < 0)
		return err_wrap(err, "network %s", network);
	if (!*out)
		return err_set(err, EPROTO, "berth-netd sent no attach result");
	cJSON_AddStringToObject(*out, "Interface", ifname);
	net_event(k, "connect", *out);
	return 0;
}

int net_connect_running(struct ctr *k, const char *network, struct err *err)
{
	cJSON *out = NULL;
	char ifname[16];

	if (!k->extra)
		k->extra = cJSON_CreateArray();
	snprintf(ifname, sizeof(ifname), "eth%d", cJSON_GetArraySize(k->extra) + 1);
	if (attach_one(k, network, ifname, false, &out, err) < 0)
		return -err->code;
	cJSON_AddItemToArray(k->extra, out);
	return 0;
}

int net_disconnect_running(struct ctr *k, const char *network, struct err *err)
{
	struct pbuf pb;
	cJSON *e;
	int i = 0;

	pb_init(&pb);
	pb_put_str(&pb, TAG_KEY, k->id);
	pb_put_str(&pb, TAG_REF, network);
	if (netd_call(k->cd, MSG_NET_DETACH, &pb, NULL, 0, NULL, err) < 0)
		return -err->code;
	cJSON_ArrayForEach (e, k->extra) {
		const char *n = cJSON_GetStringValue(cJSON_GetObjectItem(e, "Network"));

		if (n && !strcmp(n, network)) {
			net_event(k, "disconnect", e);
			cJSON_DeleteItemFromArray(k->extra, i);
			break;
		}
		i++;
	}
	return 0;
}

int net_attach(struct ctr *k, struct err *err)
{
	cJSON *out = NULL;
	const cJSON *extra;
	const char *ip, *host;

	if (!ctr_uses_netd(k))
		return 0;
	if (attach_one(k, ctr_network(k), "eth0", true, &out, err) < 0)
		return -err->code;
	cJSON_Delete(k->net);
	k->net = out;
	cJSON_Delete(k->extra);
	k->extra = NULL;
	/* the networks connected later (berth network connect) */
	cJSON_ArrayForEach (extra, ctr_cfg(k, "HostConfig", "ExtraNetworks"))
		if (cJSON_GetStringValue(extra) &&
		    net_connect_running(k, cJSON_GetStringValue(extra), err) < 0)
			return -err->code;
	ip = cJSON_GetStringValue(cJSON_GetObjectItem(out, "IPAddress"));
	host = cJSON_GetStringValue(ctr_cfg(k, "Config", "Hostname"));
	if (ip) {
		char *hosts = etc_hosts(k, ip, host);

		write_in_place(k, "hosts", hosts);
		free(hosts);
	}
	if (cJSON_GetStringValue(cJSON_GetObjectItem(out, "ResolvConf"))) {
		char *resolv =
		    etc_resolv(k, cJSON_GetStringValue(cJSON_GetObjectItem(out, "ResolvConf")));

		write_in_place(k, "resolv.conf", resolv);
		free(resolv);
	}
	return 0;
}

void net_detach(struct ctr *k)
{
	struct err err = ERR_INIT;
	struct pbuf pb;

	if (!ctr_uses_netd(k) && !k->net)
		return;
	pb_init(&pb);
	pb_put_str(&pb, TAG_KEY, k->id);
	/* the container ended: its namespace, and the veths in it, go with it */
	pb_put_u32(&pb, TAG_ALL, k->status != CS_RUNNING && k->status != CS_PAUSED);
	if (netd_call(k->cd, MSG_NET_DETACH, &pb, NULL, 0, NULL, &err) < 0)
		log_warnx("container %.12s: %s", k->id, err_msg(&err));
	err_clear(&err);
	{
		const cJSON *e;

		if (k->net)
			net_event(k, "disconnect", k->net);
		cJSON_ArrayForEach (e, k->extra)
			net_event(k, "disconnect", e);
	}
	cJSON_Delete(k->net);
	k->net = NULL;
	cJSON_Delete(k->extra);
	k->extra = NULL;
}

int net_exists(struct cd *cd, const char *name, struct err *err)
{
	struct pbuf pb;

	pb_init(&pb);
	pb_put_str(&pb, TAG_REF, name);
	return netd_call(cd, MSG_NETWORK_INSPECT, &pb, NULL, 0, NULL, err);
}

static cJSON *extra_list(struct ctr *k)
{
	cJSON *hc = cJSON_GetObjectItem(k->config, "HostConfig");
	cJSON *l = cJSON_GetObjectItem(hc, "ExtraNetworks");

	if (!cJSON_IsArray(l)) {
		cJSON_DeleteItemFromObject(hc, "ExtraNetworks");
		l = cJSON_AddArrayToObject(hc, "ExtraNetworks");
	}
	return l;
}

static int index_of(const cJSON *list, const char *name)
{
	const cJSON *e;
	int i = 0;

	cJSON_ArrayForEach (e, list) {
		if (cJSON_GetStringValue(e) && !strcmp(cJSON_GetStringValue(e), name))
			return i;
		i++;
	}
	return -1;
}

static struct ctr *req_ctr(struct conn *c, struct frame *f, char **network, struct err *err)
{
	cleanup_free char *ref = NULL;

	if (p_get_str(f->payload, f->len, TAG_REF, &ref, err) <= 0 ||
	    p_get_str(f->payload, f->len, TAG_NAME, network, err) <= 0) {
		err_set(err, EINVAL, "a container and a network are needed");
		return NULL;
	}
	return ctr_find(cd_of(c), ref, err);
}

static void reply_ok(struct conn *c, const struct frame *f)
{
	struct pbuf pb;

	pb_init(&pb);
	pb_put_str(&pb, TAG_JSON, "{}");
	conn_reply(c, f, &pb, NULL, 0);
}

int h_CONTAINER_CONNECT(struct conn *c, struct frame *f, struct err *err)
{
	cleanup_free char *network = NULL;
	struct ctr *k = req_ctr(c, f, &network, err);
	cleanup_cjson cJSON *opts = NULL, *aliases = NULL, *address = NULL;
	bool live;
	cJSON *list;

	if (!k)
		return -err->code;
	opts = req_options(f, err);
	if (err_isset(err))
		return -err->code;
	aliases = req_aliases(opts, err);
	if (!err_isset(err))
		address = req_address(opts, network, err);
	if (err_isset(err))
		return -err->code;
	if (!ctr_uses_netd(k))
		return err_set(err, EINVAL, "container %s uses --network %s: it cannot join others",
			       k->name, ctr_network(k));
	list = extra_list(k);
	live = k->status == CS_RUNNING || k->status == CS_PAUSED;
	/*
	 * a container not running yet takes its first network's aliases and address (compose
	 * connects every container it made to its networks, the first one too: that is no error)
	 */
	if (!live && !strcmp(network, ctr_network(k))) {
		set_endpoint(k, "EndpointAliases", network, aliases);
		if (address) {
			cJSON *hc = cJSON_GetObjectItem(k->config, "HostConfig");

			cJSON_DeleteItemFromObjectCaseSensitive(hc, "IPv4Address");
			cJSON_AddStringToObject(hc, "IPv4Address", address->valuestring);
		}
		if (ctr_save_config(k, err) < 0)
			return -err->code;
		reply_ok(c, f);
		return 0;
	}
	if (!strcmp(network, ctr_network(k)) || index_of(list, network) >= 0)
		return err_set(err, EEXIST, "container %s is already connected to network %s",
			       k->name, network);
	if (net_exists(k->cd, network, err) < 0)
		return -err->code;
	set_endpoint(k, "EndpointAliases", network, aliases);
	set_endpoint(k, "EndpointAddresses", network, address);
	if (live && net_connect_running(k, network, err) < 0) {
		drop_endpoint(k, network);
		return -err->code;
	}
	cJSON_AddItemToArray(list, cJSON_CreateString(network));
	if (ctr_save_config(k, err) < 0 || ctr_save_state(k, err) < 0)
		return -err->code;
	event_emit(k->cd, k, "connect", "network", network);
	reply_ok(c, f);
	return 0;
}

int h_CONTAINER_DISCONNECT(struct conn *c, struct frame *f, struct err *err)
{
	cleanup_free char *network = NULL;
	struct ctr *k = req_ctr(c, f, &network, err);
	cJSON *list;
	int i;

	if (!k)
		return -err->code;
	list = extra_list(k);
	if (!strcmp(network, ctr_network(k)))
		return err_set(
		    err, EINVAL,
		    "network %s is the first network of container %s: it stays while the "
		    "container exists",
		    network, k->name);
	if ((i = index_of(list, network)) < 0)
		return err_set(err, ENOENT, "container %s is not connected to network %s", k->name,
			       network);
	if ((k->status == CS_RUNNING || k->status == CS_PAUSED) &&
	    net_disconnect_running(k, network, err) < 0)
		return -err->code;
	cJSON_DeleteItemFromArray(list, i);
	drop_endpoint(k, network);
	if (ctr_save_config(k, err) < 0 || ctr_save_state(k, err) < 0)
		return -err->code;
	event_emit(k->cd, k, "disconnect", "network", network);
	reply_ok(c, f);
	return 0;
}
