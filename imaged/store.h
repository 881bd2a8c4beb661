/* imaged's content store: blobs by digest, refs.json, and image records made from them. */
#ifndef BERTH_STORE_H
#define BERTH_STORE_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/digest.h"
#include "common/err.h"

#define MANIFEST_MAX (4u * 1024 * 1024)
#define CONFIG_MAX (8u * 1024 * 1024)

struct store {
	char *dir; /* $ROOT/image */
};

char *blob_path(const struct store *s, const char *digest);
/* A stored layer's OCI media type, from its first bytes (gzip, zstd, or a plain tar). */
const char *blob_layer_type(const struct store *s, const char *digest);
bool blob_exists(const struct store *s, const char *digest);
/* Read a blob (at most max bytes) and check that its content has that digest. */
int blob_read(const struct store *s, const char *digest, size_t max, char **out, size_t *len,
	      struct err *err);
/* Store a buffer; out gets its digest. */
int blob_put(const struct store *s, const void *buf, size_t len, char out[DIGEST_STR_LEN + 1],
	     struct err *err);

/* A blob being written: to a temporary file, hashed as it goes. */
struct blob_writer {
	int fd;
	char *tmp;
	struct sha256 h;
	uint64_t size;
	bool existed; /* after bw_commit: the store had this blob already */
};

int bw_open(const struct store *s, struct blob_writer *w, struct err *err);
int bw_write(struct blob_writer *w, const void *buf, size_t len, struct err *err);
/* Verify (expected may be NULL), then rename into place; out gets the digest. */
int bw_commit(const struct store *s, struct blob_writer *w, const char *expected,
	      char out[DIGEST_STR_LEN + 1], struct err *err);
void bw_abort(struct blob_writer *w);

/* refs.json: {"refs": {name: manifest digest}, "images": [manifest digests]} under a lock. */
int refs_lock(const struct store *s, struct err *err); /* returns the lock fd */
void refs_unlock(int fd);
int refs_load(const struct store *s, cJSON **out, struct err *err);
/*
 * Workers that add blobs hold the ingest lock shared for their whole run;
 * garbage collection runs only when it can take it exclusively, so it never
 * collects a blob a running load has stored but not yet recorded.
 */
int ingest_lock(const struct store *s, bool exclusive, struct err *err);
int refs_save(const struct store *s, const cJSON *doc, struct err *err);

/* The parsed parts of an image that every command needs. */
struct image {
	char manifest_digest[DIGEST_STR_LEN + 1];
	char id[DIGEST_STR_LEN + 1]; /* the config digest */
	cJSON *manifest;
	cJSON *config;
	size_t nlayers;
	char (*layers)[DIGEST_STR_LEN + 1];   /* layer blob digests */
	char (*diff_ids)[DIGEST_STR_LEN + 1]; /* uncompressed digests */
	char (*chain_ids)[DIGEST_STR_LEN + 1];
	uint64_t size; /* sum of the layer blobs */
};

int image_open(const struct store *s, const char *manifest_digest, struct image *img,
	       struct err *err);
void image_free(struct image *img);
/*
 * Find the manifest digest of a reference: a name (normalised), a name@digest,
 * a full or short image id, or a manifest digest.
 */
int image_resolve(const struct store *s, const cJSON *refs, const char *ref,
		  char out[DIGEST_STR_LEN + 1], struct err *err);
/* chain id of layer n from its parent chain and diff id. */
void chain_id(const char *parent, const char *diff_id, char out[DIGEST_STR_LEN + 1]);

#endif
