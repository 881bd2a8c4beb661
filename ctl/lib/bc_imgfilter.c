/* Image list filters (see bc_imgfilter.h). */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "bc_filter.h"
#include "bc_imgfilter.h"
#include "bclient.h"
#include "common/cleanup.h"
#include "common/xalloc.h"

void bc_img_filters_init(struct bc_img_filters *fs)
{
	memset(fs, 0, sizeof(*fs));
	fs->dangling = -1;
}

static const char *sget(const cJSON *o, const char *k)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k)) ?: "";
}

static int add_to(const char **list, unsigned *n, const char *v, const char *kv, struct err *err)
{
	if (*n == BC_IMGFILTER_MAX)
		return err_set(err, EINVAL, "invalid filter '%s': too many (at most %d)", kv,
			       BC_IMGFILTER_MAX);
	list[(*n)++] = v;
	return 0;
}

int bc_img_filter_add(struct bc_img_filters *fs, const char *kv, struct err *err)
{
	const char *eq = strchr(kv, '='), *v = eq ? eq + 1 : "";
	size_t n = eq ? (size_t)(eq - kv) : 0;

	if (!eq || !*v)
		return err_set(err, EINVAL, "invalid filter '%s': expected KEY=VALUE", kv);
	if (n == 9 && !strncmp(kv, "reference", n))
		return add_to(fs->refs, &fs->nrefs, v, kv, err);
	if (n == 5 && !strncmp(kv, "label", n))
		return add_to(fs->labels, &fs->nlabels, v, kv, err);
	if (n == 8 && !strncmp(kv, "dangling", n)) {
		if ((fs->dangling = bc_filter_bool(v)) < 0)
			return err_set(err, EINVAL,
				       "invalid filter '%s': dangling is true or false", kv);
		return 0;
	}
	if (n == 6 && !strncmp(kv, "before", n)) {
		fs->before_ref = v;
		return 0;
	}
	if (n == 5 && !strncmp(kv, "since", n)) {
		fs->since_ref = v;
		return 0;
	}
	if (n == 5 && !strncmp(kv, "until", n)) {
		if (bc_parse_time(v, &fs->until_ns) < 0)
			return err_set(err, EINVAL,
				       "invalid filter '%s': a time (RFC 3339, Unix seconds or a "
				       "duration such as 10m)",
				       kv);
		return 0;
	}
	return err_set(err, EINVAL,
		       "invalid filter '%s': use reference, dangling, label, before, since or "
		       "until",
		       kv);
}

/* An image by repo[:tag] (":latest" when none) or id (prefix, with or without sha256:). */
static const cJSON *find_image(const cJSON *list, const char *ref)
{
	cleanup_free char *tagged = NULL;
	const char *slash = strrchr(ref, '/'), *colon = strrchr(slash ? slash : ref, ':');
	const char *hex = strncmp(ref, "sha256:", 7) ? ref : ref + 7;
	const cJSON *img, *t;

	tagged = colon ? xstrdup(ref) : xasprintf("%s:latest", ref);
	cJSON_ArrayForEach (img, list) {
		const char *id = sget(img, "Id");

		cJSON_ArrayForEach (t, cJSON_GetObjectItemCaseSensitive(img, "RepoTags"))
			if (!strcmp(cJSON_GetStringValue(t) ?: "", tagged))
				return img;
		if (!strncmp(id, "sha256:", 7))
			id += 7;
		if (strlen(hex) >= 4 && !strncmp(id, hex, strlen(hex)))
			return img;
	}
	return NULL;
}

static long long created_ns(const cJSON *img)
{
	long long ns = 0;

	return bc_parse_time(sget(img, "Created"), &ns) < 0 ? 0 : ns;
}

int bc_img_filter_resolve(struct bc_img_filters *fs, const cJSON *list, struct err *err)
{
	const char *refs[2] = {fs->before_ref, fs->since_ref};
	long long *at[2] = {&fs->before_ns, &fs->since_ns};

	for (int i = 0; i < 2; i++) {
		const cJSON *img;

		if (!refs[i])
			continue;
		if (!(img = find_image(list, refs[i])))
			return err_set(err, ENOENT, "invalid filter '%s=%s': no such image: %s",
				       i ? "since" : "before", refs[i], refs[i]);
		*at[i] = created_ns(img);
	}
	return 0;
}

bool bc_img_filter_image(const struct bc_img_filters *fs, const cJSON *img)
{
	long long at = created_ns(img);

	if (fs->dangling >= 0 &&
	    (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(img, "RepoTags")) == 0) !=
		fs->dangling)
		return false;
	for (unsigned i = 0; i < fs->nlabels; i++)
		if (!bc_labels_match(cJSON_GetObjectItemCaseSensitive(img, "Labels"),
				     fs->labels[i]))
			return false;
	if ((fs->before_ref && at >= fs->before_ns) || (fs->since_ref && at <= fs->since_ns) ||
	    (fs->until_ns && at >= fs->until_ns))
		return false;
	return true;
}

bool bc_img_filter_tag(const struct bc_img_filters *fs, const char *tag)
{
	for (unsigned i = 0; i < fs->nrefs; i++)
		if (bc_image_ref_match(fs->refs[i], tag))
			return true;
	return fs->nrefs == 0;
}
