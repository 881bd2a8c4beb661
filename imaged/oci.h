/* OCI image-spec and Docker schema 2 documents: parsed, checked, and their media types. */
#ifndef BERTH_OCI_H
#define BERTH_OCI_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "common/digest.h"
#include "common/err.h"

#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define MT_OCI_LAYER_GZ "application/vnd.oci.image.layer.v1.tar+gzip"
#define MT_OCI_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define MT_DOCKER_LAYER_GZ "application/vnd.docker.image.rootfs.diff.tar.gzip"

struct oci_manifest {
	cJSON *doc;
	char config_digest[DIGEST_STR_LEN + 1];
	size_t nlayers;
	char (*layers)[DIGEST_STR_LEN + 1];
	uint64_t total_size;
};

/* Parse an image manifest (OCI or Docker schema 2). */
int oci_manifest_parse(const char *text, size_t len, struct oci_manifest *m, struct err *err);
/* Check a descriptor object; where names it in errors. */
int oci_descriptor_check(const cJSON *d, const char *where, struct err *err);
/* From an index (OCI or Docker list) pick the manifest for linux/<host arch>. */
int oci_index_pick(const cJSON *index, const char **digest, struct err *err);
/* The same for platform "os/arch[/variant]" (NULL: this host's). */
int oci_index_pick_platform(const cJSON *index, const char *platform, const char **digest,
			    struct err *err);
/* "amd64" for x86_64, as image configs spell it. */
const char *oci_host_arch(void);
/* A descriptor {mediaType, digest, size}. */
cJSON *oci_descriptor(const char *media_type, const char *digest, double size);
/* An OCI image manifest of that config; *layers is its empty layers array, to fill. */
cJSON *oci_manifest_new(const char *config_digest, size_t config_len, cJSON **layers);

#endif
