#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "common/xalloc.h"
#include "oci.h"

static const char *const layer_types[] = {
    MT_OCI_LAYER,
    MT_OCI_LAYER_GZ,
    MT_OCI_LAYER_ZSTD,
    MT_DOCKER_LAYER_GZ,
    "application/vnd.docker.image.rootfs.diff.tar",
};

const char *oci_host_arch(void)
{
	static const struct {
		const char *uname, *oci;
	} map[] = {{"x86_64", "amd64"},	  {"aarch64", "arm64"},	  {"armv7l", "arm"},
		   {"i686", "386"},	  {"ppc64le", "ppc64le"}, {"s390x", "s390x"},
		   {"riscv64", "riscv64"}};
	static struct utsname u;

	if (!u.machine[0])
		uname(&u);
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(u.machine, map[i].uname))
			return map[i].oci;
	return u.machine;
}

int oci_descriptor_check(const cJSON *d, const char *where, struct err *err)
{
	const cJSON *mt = cJSON_GetObjectItem(d, "mediaType");
	const cJSON *dg = cJSON_GetObjectItem(d, "digest");
	const cJSON *sz = cJSON_GetObjectItem(d, "size");

	if (!cJSON_IsObject(d))
		return err_set(err, EINVAL, "%s is not a descriptor object", where);
	if (!cJSON_IsString(mt))
		return err_set(err, EINVAL, "%s.mediaType is missing", where);
	if (!cJSON_IsString(dg) || !digest_valid(dg->valuestring))
		return err_set(err, EINVAL, "%s.digest is not a sha256 digest", where);
	if (!cJSON_IsNumber(sz) || sz->valuedouble < 0)
		return err_set(err, EINVAL, "%s.size is missing or negative", where);
	return 0;
}

int oci_manifest_parse(const char *text, size_t len, struct oci_manifest *m, struct err *err)
{
	const cJSON *mt, *cfg, *layers, *it;
	size_t i = 0;
	int r;

	memset(m, 0, sizeof(*m));
	m->doc = cJSON_ParseWithLength(text, len);
	if (!m->doc || !cJSON_IsObject(m->doc)) {
		r = err_set(err, EINVAL, "manifest is not a JSON object");
		goto fail;
	}
	if (cJSON_GetNumberValue(cJSON_GetObjectItem(m->doc, "schemaVersion")) == 1) {
		r = err_set(err, ENOTSUP,
			    "Docker image manifest schema 1 is deprecated and not supported");
		goto fail;
	}
	if (cJSON_GetNumberValue(cJSON_GetObjectItem(m->doc, "schemaVersion")) != 2) {
		r = err_set(err, EINVAL, "manifest.schemaVersion must be 2");
		goto fail;
	}
	mt = cJSON_GetObjectItem(m->doc, "mediaType");
	if (mt && (!cJSON_IsString(mt) || (strcmp(mt->valuestring, MT_OCI_MANIFEST) &&
					   strcmp(mt->valuestring, MT_DOCKER_MANIFEST)))) {
		r = err_set(err, EINVAL, "manifest.mediaType '%s' is not an image manifest",
			    cJSON_IsString(mt) ? mt->valuestring : "?");
		goto fail;
	}
	cfg = cJSON_GetObjectItem(m->doc, "config");
	if ((r = oci_descriptor_check(cfg, "manifest.config", err)) < 0)
		goto fail;
	mt = cJSON_GetObjectItem(cfg, "mediaType");
	if (strcmp(mt->valuestring, MT_OCI_CONFIG) && strcmp(mt->valuestring, MT_DOCKER_CONFIG)) {
		r = err_set(err, EINVAL, "manifest.config.mediaType '%s' is not an image config",
			    mt->valuestring);
		goto fail;
	}
	snprintf(m->config_digest, sizeof(m->config_digest), "%s",
		 cJSON_GetObjectItem(cfg, "digest")->valuestring);
	layers = cJSON_GetObjectItem(m->doc, "layers");
	if (!cJSON_IsArray(layers)) {
		r = err_set(err, EINVAL, "manifest.layers must be an array");
		goto fail;
	}
	m->nlayers = (size_t)cJSON_GetArraySize(layers);
	m->layers = xcalloc(m->nlayers + 1, sizeof(*m->layers));
	cJSON_ArrayForEach (it, layers) {
		char where[48];
		bool known = false;

		snprintf(where, sizeof(where), "manifest.layers[%zu]", i);
		if ((r = oci_descriptor_check(it, where, err)) < 0)
			goto fail;
		mt = cJSON_GetObjectItem(it, "mediaType");
		for (size_t k = 0; k < sizeof(layer_types) / sizeof(layer_types[0]); k++)
			known = known || !strcmp(mt->valuestring, layer_types[k]);
		if (!known) {
			r = err_set(err, EINVAL,
				    "%s.mediaType '%s' is not a layer type berth knows", where,
				    mt->valuestring);
			goto fail;
		}
		snprintf(m->layers[i], DIGEST_STR_LEN + 1, "%s",
			 cJSON_GetObjectItem(it, "digest")->valuestring);
		m->total_size += (uint64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(it, "size"));
		i++;
	}
	return 0;
fail:
	cJSON_Delete(m->doc);
	free(m->layers);
	memset(m, 0, sizeof(*m));
	return r;
}

int oci_index_pick_platform(const cJSON *index, const char *platform, const char **digest,
			    struct err *err)
{
	const cJSON *list = cJSON_GetObjectItem(index, "manifests"), *it;
	char want_os[32] = "linux", want_arch[32], want_variant[32] = "";
	size_t i = 0;

	snprintf(want_arch, sizeof(want_arch), "%s", oci_host_arch());
	if (platform && *platform &&
	    sscanf(platform, "%31[^/]/%31[^/]/%31s", want_os, want_arch, want_variant) < 2)
		return err_set(err, EINVAL, "--platform '%s': expected OS/ARCH[/VARIANT]",
			       platform);
	if (!cJSON_IsArray(list))
		return err_set(err, EINVAL, "index.manifests must be an array");
	cJSON_ArrayForEach (it, list) {
		const cJSON *plat = cJSON_GetObjectItem(it, "platform");
		const char *os = cJSON_GetStringValue(cJSON_GetObjectItem(plat, "os"));
		const char *ar = cJSON_GetStringValue(cJSON_GetObjectItem(plat, "architecture"));
		const char *va = cJSON_GetStringValue(cJSON_GetObjectItem(plat, "variant"));
		char where[48];
		int r;

		snprintf(where, sizeof(where), "index.manifests[%zu]", i++);
		if ((r = oci_descriptor_check(it, where, err)) < 0)
			return r;
		if (plat && (!os || strcmp(os, want_os) || !ar || strcmp(ar, want_arch) ||
			     (want_variant[0] && (!va || strcmp(va, want_variant)))))
			continue;
		*digest = cJSON_GetObjectItem(it, "digest")->valuestring;
		return 0;
	}
	return err_set(err, ENOENT, "no manifest for %s/%s%s%s in the index", want_os, want_arch,
		       want_variant[0] ? "/" : "", want_variant);
}

int oci_index_pick(const cJSON *index, const char **digest, struct err *err)
{
	return oci_index_pick_platform(index, NULL, digest, err);
}

cJSON *oci_descriptor(const char *media_type, const char *digest, double size)
{
	cJSON *d = cJSON_CreateObject();

	cJSON_AddStringToObject(d, "mediaType", media_type);
	cJSON_AddStringToObject(d, "digest", digest);
	cJSON_AddNumberToObject(d, "size", size);
	return d;
}

cJSON *oci_manifest_new(const char *config_digest, size_t config_len, cJSON **layers)
{
	cJSON *m = cJSON_CreateObject();

	cJSON_AddNumberToObject(m, "schemaVersion", 2);
	cJSON_AddStringToObject(m, "mediaType", MT_OCI_MANIFEST);
	cJSON_AddItemToObject(m, "config",
			      oci_descriptor(MT_OCI_CONFIG, config_digest, (double)config_len));
	*layers = cJSON_AddArrayToObject(m, "layers");
	return m;
}
