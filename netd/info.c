/* What netd reports in INFO. */
#include "config.h"

#include "netd.h"

int netd_info(struct daemon *d, cJSON *out, struct err *err)
{
	const struct netd *n = d->priv;
	const struct network *net;
	int nets = 0, endpoints = 0;

	(void)err;
	LIST_FOREACH (net, &n->nets, link) {
		const struct lease *l;

		nets++;
		LIST_FOREACH (l, &net->leases, link)
			endpoints++;
	}
	cJSON_AddNumberToObject(out, "networks", nets);
	cJSON_AddNumberToObject(out, "endpoints", endpoints);
	cJSON_AddStringToObject(out, "nftables_table", n->nft_table);
	connhook_info(n, out);
	return 0;
}
