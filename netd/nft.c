/*
 * netd's nftables table (inet family, its name from --nft-table): made anew
 * from the model in one transaction on every change, so it is never half
 * made. Nothing outside it is touched; the host's own rules keep working.
 *
 *   postrouting  masquerade what leaves a non-internal network, and what
 *                reaches a container from 127.0.0.1 (published ports)
 *   prerouting   DNAT of published ports, for traffic from outside
 *   output       the same for connections made on the host itself
 *   forward      networks cannot reach each other; internal ones nothing else
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "netd.h"

static void ip(char *buf, struct in_addr a)
{
	inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static void dnat_rules(FILE *f, const struct netd *n)
{
	const struct network *net;
	const struct lease *l;
	const struct port_map *p;

	FOREACH_PORT(n, net, l, p)
	{
		char to[INET_ADDRSTRLEN], host[INET_ADDRSTRLEN];

		ip(to, l->ip);
		ip(host, p->host_ip);
		if (p->host_ip.s_addr)
			fprintf(f, "    ip daddr %s", host);
		else
			fprintf(f, "    meta nfproto ipv4 fib daddr type local");
		fprintf(f, " %s dport %u dnat ip to %s:%u\n", p->udp ? "udp" : "tcp", p->host_port,
			to, p->ctr_port);
	}
}

static char *ruleset(const struct netd *n)
{
	const struct network *net, *other;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	/* an empty table first, so the delete never fails: one transaction */
	fprintf(f, "table inet %s\ndelete table inet %s\n", n->nft_table, n->nft_table);
	fprintf(f, "table inet %s {\n", n->nft_table);
	fprintf(f, "  chain postrouting {\n    type nat hook postrouting priority srcnat; policy "
		   "accept;\n");
	LIST_FOREACH (net, &n->nets, link) {
		char sub[INET_ADDRSTRLEN];

		ip(sub, net->subnet);
		if (!net->internal)
			fprintf(f, "    ip saddr %s/%d oifname != \"%s\" masquerade\n", sub,
				net->prefix, net->bridge);
		fprintf(f, "    ip saddr 127.0.0.0/8 oifname \"%s\" masquerade\n", net->bridge);
	}
	fprintf(f,
		"  }\n  chain prerouting {\n    type nat hook prerouting priority dstnat; policy "
		"accept;\n");
	dnat_rules(f, n);
	fprintf(f, "  }\n  chain output {\n    type nat hook output priority -100; policy "
		   "accept;\n");
	dnat_rules(f, n);
	fprintf(f, "  }\n  chain forward {\n    type filter hook forward priority 0; policy "
		   "accept;\n");
	LIST_FOREACH (net, &n->nets, link) {
		LIST_FOREACH (other, &n->nets, link)
			if (other != net)
				fprintf(f, "    iifname \"%s\" oifname \"%s\" drop\n", net->bridge,
					other->bridge);
		if (net->internal)
			fprintf(f,
				"    iifname \"%s\" oifname != \"%s\" drop\n"
				"    oifname \"%s\" iifname != \"%s\" drop\n",
				net->bridge, net->bridge, net->bridge, net->bridge);
	}
	fprintf(f, "  }\n}\n");
	fclose(f);
	return text;
}

static int run(const char *cmds, struct err *err)
{
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	int r;

	if (!ctx)
		return err_set(err, ENOMEM, "nftables: no context");
	nft_ctx_buffer_error(ctx);
	r = nft_run_cmd_from_buffer(ctx, cmds);
	if (r != 0) {
		const char *msg = nft_ctx_get_error_buffer(ctx);
		char *copy = xstrdup(msg ? msg : "failed");

		copy[strcspn(copy, "\n")] = '\0';
		r = err_set(err, EIO, "nftables: %s", copy);
		free(copy);
	}
	nft_ctx_free(ctx);
	return r;
}

int nft_sync(struct netd *n, struct err *err)
{
	char *text = ruleset(n);
	int r = run(text, err);

	if (r < 0)
		log_warnx("nftables ruleset refused:\n%s", text);
	free(text);
	/* the connect hook does what the output DNAT does, for TCP, at connect() */
	return r < 0 ? r : connhook_sync(n, err);
}

void nft_drop(struct netd *n)
{
	struct err err = ERR_INIT;
	char *cmd = xasprintf("table inet %s\ndelete table inet %s\n", n->nft_table, n->nft_table);

	if (run(cmd, &err) < 0)
		log_warnx("%s", err_msg(&err));
	err_clear(&err);
	free(cmd);
}
