/*
 * POST /images/prune, /networks/prune and /volumes/prune (docker image,
 * network, volume and system prune): the daemon that owns them removes what
 * nothing uses and says what went. Of the filters, the ones that choose
 * what counts: images dangling=false (prune -a), volumes all=true (prune -a;
 * without it only anonymous volumes go, as since API 1.42). POST /build/prune
 * (docker builder prune, system prune) removes the build cache's images.
 */
#include "config.h"

#include <string.h>

#include "apid.h"
#include "ctl/lib/bc_filter.h"
#include "common/cleanup.h"
#include "ctl/lib/bclient.h"
#include "proto/tags.h"

/* The one filter a prune takes (KEY=true|false) into *on; 400 for any other. */
static int prune_filter(struct resp *rs, const struct request *rq, const char *key, bool *on)
{
	struct filters f;
	size_t n = key ? strlen(key) : 0;
	int r = 0;

	if (req_filters(rs, rq, &f) < 0)
		return -1;
	for (unsigned i = 0; i < f.n && r == 0; i++) {
		const char *kv = f.kv[i];
		int b =
		    key && !strncmp(kv, key, n) && kv[n] == '=' ? bc_filter_bool(kv + n + 1) : -1;

		if (b >= 0)
			*on = b;
		else {
			resp_error(rs, 400, "invalid filter '%s' for a prune%s%s%s", kv,
				   key ? " (only " : "", key ? key : "", key ? "=BOOL)" : "");
			r = -1;
		}
	}
	filters_free(&f);
	return r;
}

/* Call the daemon; its answer, an array of what went, is the object's KEY. */
static void prune(struct apid *a, struct resp *rs, enum berth_daemon d, uint16_t type,
		  struct pbuf *pb, const char *key, bool images)
{
	cleanup_cjson cJSON *out = NULL, *o = cJSON_CreateObject();
	struct err err = ERR_INIT;
	cJSON *list = cJSON_AddArrayToObject(o, key);
	const cJSON *x;

	if (bc_call(&a->paths, d, type, pb, &out, NULL, NULL, &err) < 0) {
		resp_err(rs, &err);
		err_clear(&err);
		return;
	}
	cJSON_ArrayForEach (x, out) {
		if (!cJSON_IsString(x))
			continue;
		if (images && !strcmp(key, "CachesDeleted")) {
			cJSON_AddItemToArray(list, cJSON_CreateString(x->valuestring));
		} else if (images) {
			cJSON *e = cJSON_CreateObject();

			cJSON_AddStringToObject(e, "Deleted", x->valuestring);
			cJSON_AddItemToArray(list, e);
		} else {
			cJSON_AddItemToArray(list, cJSON_CreateString(x->valuestring));
		}
	}
	if (strcmp(key, "NetworksDeleted"))
		cJSON_AddNumberToObject(o, "SpaceReclaimed", 0);
	resp_json(rs, 200, o);
}

void h_img_prune(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	bool dangling = true;
	struct pbuf pb;

	(void)arg;
	if (prune_filter(rs, rq, "dangling", &dangling) < 0)
		return;
	pb_init(&pb);
	pb_put_u32(&pb, TAG_ALL, !dangling);
	prune(a, rs, DAEMON_IMAGED, MSG_IMAGE_PRUNE, &pb, "ImagesDeleted", true);
}

void h_net_prune(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	struct pbuf pb;

	(void)arg;
	if (prune_filter(rs, rq, NULL, NULL) < 0)
		return;
	pb_init(&pb);
	prune(a, rs, DAEMON_NETD, MSG_NETWORK_PRUNE, &pb, "NetworksDeleted", false);
}

void h_vol_prune(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	bool all = false;
	struct pbuf pb;

	(void)arg;
	if (prune_filter(rs, rq, "all", &all) < 0)
		return;
	pb_init(&pb);
	pb_put_u32(&pb, TAG_ALL, all);
	prune(a, rs, DAEMON_CONTAINERD, MSG_VOLUME_PRUNE, &pb, "VolumesDeleted", false);
}

void h_build_prune(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	struct pbuf pb;

	(void)arg;
	if (prune_filter(rs, rq, NULL, NULL) < 0)
		return;
	pb_init(&pb);
	pb_put_str(&pb, TAG_SCOPE, "build-cache");
	prune(a, rs, DAEMON_IMAGED, MSG_IMAGE_PRUNE, &pb, "CachesDeleted", true);
}
