/*
 * berth update: a container's resource limits and restart policy, changed
 * in place. The request names only what changes (HostConfig keys); the
 * merged HostConfig is checked as create checks it, a running or paused
 * container gets the new limits in its cgroup at once (as freeze, from
 * containerd itself), and the record keeps them for every later start
 * (each start makes the spec anew from the record). When the kernel
 * refuses a limit the record is left as it was and the limits already
 * written go back to it.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "containerd.h"
#include "proto/tags.h"
#include "shim/cgroup.h"

static const char *const update_keys[] = {
    "Memory",	  "MemorySwap", "NanoCpus",	 "CpuShares",
    "CpusetCpus", "PidsLimit",	"RestartPolicy", NULL,
};

static bool changes(const cJSON *chg, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(chg, key) != NULL;
}

static double num(const cJSON *o, const char *key)
{
	return cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

static cJSON *sub(cJSON *o, const char *key)
{
	cJSON *s = cJSON_GetObjectItemCaseSensitive(o, key);

	return s ? s : cJSON_AddObjectToObject(o, key);
}

/* linux.resources for what changes: a limit given as 0 (or -1) is lifted. */
static cJSON *resources_of(const cJSON *chg, const cJSON *hc)
{
	cJSON *res = cJSON_CreateObject();

	if (changes(chg, "Memory"))
		cJSON_AddNumberToObject(sub(res, "memory"), "limit",
					num(hc, "Memory") > 0 ? num(hc, "Memory") : -1);
	if (changes(chg, "MemorySwap") && num(hc, "MemorySwap") != 0)
		cJSON_AddNumberToObject(sub(res, "memory"), "swap", num(hc, "MemorySwap"));
	if (changes(chg, "NanoCpus")) {
		double nano = num(hc, "NanoCpus");

		cJSON_AddNumberToObject(sub(res, "cpu"), "period", 100000);
		cJSON_AddNumberToObject(sub(res, "cpu"), "quota",
					nano > 0 ? (double)(long long)(nano / 10000) : -1);
	}
	if (changes(chg, "CpuShares"))
		cJSON_AddNumberToObject(sub(res, "cpu"), "shares",
					num(hc, "CpuShares") > 0 ? num(hc, "CpuShares") : 1024);
	if (changes(chg, "CpusetCpus"))
		cJSON_AddStringToObject(sub(res, "cpu"), "cpus",
					cJSON_GetStringValue(cJSON_GetObjectItem(hc, "CpusetCpus"))
					    ?: "");
	if (changes(chg, "PidsLimit"))
		cJSON_AddNumberToObject(sub(res, "pids"), "limit",
					num(hc, "PidsLimit") > 0 ? num(hc, "PidsLimit") : 0);
	return res;
}

static int apply(struct ctr *k, const cJSON *res, struct err *err)
{
	struct cgroup cg;
	int r;

	if (ctr_cgroup_open(k, &cg, err) < 0)
		return -err->code;
	r = cg.ops->update(&cg, res, err);
	cgroup_close(&cg);
	return r < 0 ? err_wrap(err, "container %s", k->name) : 0;
}

int h_CONTAINER_UPDATE(struct conn *c, struct frame *f, struct err *err)
{
	struct ctr *k = ctr_from_request(c, f, err);
	cleanup_free char *text = NULL;
	cleanup_cjson cJSON *chg = NULL, *merged = NULL, *res = NULL;
	const cJSON *v;
	cJSON *o;

	if (!k)
		return -err->code;
	if (p_get_str(f->payload, f->len, TAG_JSON, &text, err) <= 0 ||
	    !cJSON_IsObject(chg = cJSON_Parse(text)))
		return err_set(err, EINVAL, "container.update needs the changes as a JSON object");
	if (!cJSON_GetArraySize(chg))
		return err_set(err, EINVAL,
			       "nothing to update: name at least one limit or --restart");
	merged = cJSON_Duplicate(ctr_cfg(k, "HostConfig", NULL), true);
	if (!merged)
		merged = cJSON_CreateObject();
	cJSON_ArrayForEach (v, chg) {
		size_t i = 0;

		while (update_keys[i] && strcmp(update_keys[i], v->string))
			i++;
		if (!update_keys[i])
			return err_set(err, EINVAL, "container.update: %s cannot be changed",
				       v->string);
		cJSON_DeleteItemFromObjectCaseSensitive(merged, v->string);
		cJSON_AddItemToObject(merged, v->string, cJSON_Duplicate(v, true));
	}
	if (options_check_update(merged, err) < 0)
		return -err->code;
	res = resources_of(chg, merged);
	if ((k->status == CS_RUNNING || k->status == CS_PAUSED) && cJSON_GetArraySize(res) > 0 &&
	    apply(k, res, err) < 0) {
		/* what went in before the refused one goes back to what the record says */
		cleanup_cjson cJSON *old = resources_of(chg, ctr_cfg(k, "HostConfig", NULL));
		struct err ignore = ERR_INIT;

		apply(k, old, &ignore);
		err_clear(&ignore);
		return -err->code;
	}
	if (!cJSON_ReplaceItemInObjectCaseSensitive(k->config, "HostConfig", merged))
		cJSON_AddItemToObject(k->config, "HostConfig", merged);
	merged = NULL;
	if (ctr_save_config(k, err) < 0)
		return -err->code;
	log_info("updated container %.12s (%s)", k->id, k->name);
	event_emit(k->cd, k, "update", NULL, NULL);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "Id", k->id);
	cJSON_AddStringToObject(o, "Name", k->name);
	conn_reply_json(c, f, o, NULL, 0);
	return 0;
}
