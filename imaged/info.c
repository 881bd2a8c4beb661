/* imaged's store layout and what it reports in INFO. */
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>

#include "common/atomicfile.h"
#include "common/cleanup.h"
#include "common/safepath.h"
#include "common/xalloc.h"
#include "imaged.h"

#define REFS_MAX (16u * 1024 * 1024)

int imaged_init(struct daemon *d, struct err *err)
{
	static const char *const sub[] = {"blobs", "blobs/sha256", "snapshots", "tmp"};
	struct imaged *im = xzalloc(sizeof(*im));

	im->store.dir = xstrdup(d->state_dir);
	d->priv = im;
	for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		cleanup_free char *p = xasprintf("%s/%s", d->state_dir, sub[i]);
		int r = mkdir_secure(p, 0700, err);

		if (r < 0)
			return r;
	}
	/* whatever a crash left half made is not used: remove it */
	store_cleanup_tmp(&im->store);
	return 0;
}

void imaged_fini(struct daemon *d)
{
	struct imaged *im = d->priv;

	if (!im)
		return;
	free(im->store.dir);
	free(im);
	d->priv = NULL;
}

int imaged_info(struct daemon *d, cJSON *out, struct err *err)
{
	cleanup_free char *path = xasprintf("%s/refs.json", d->state_dir);
	cleanup_free char *text = NULL;
	cleanup_cjson cJSON *refs = NULL;
	struct err ignore = ERR_INIT;
	int images = 0;

	if (read_file_at(-100, path, REFS_MAX, &text, NULL, &ignore) == 0) {
		refs = cJSON_Parse(text);
		if (!refs)
			return err_set(err, EINVAL, "%s is not valid JSON", path);
		images = cJSON_GetArraySize(cJSON_GetObjectItem(refs, "images"));
	} else if (ignore.code != ENOENT) {
		err_move(err, &ignore);
		return -err->code;
	}
	err_clear(&ignore);
	cJSON_AddNumberToObject(out, "images", images);
	return 0;
}
