/* SHA-256 digests in OCI form: "sha256:<64 hex>". */
#ifndef BERTH_DIGEST_H
#define BERTH_DIGEST_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define DIGEST_STR_LEN (7 + 64) /* "sha256:" + hex */

struct sha256 {
	void *md; /* SHA256_CTX */
};

int sha256_init(struct sha256 *h, struct err *err);
void sha256_update(struct sha256 *h, const void *buf, size_t len);
/* Write "sha256:<hex>" (DIGEST_STR_LEN + 1 bytes) and free the context. */
void sha256_final(struct sha256 *h, char out[DIGEST_STR_LEN + 1]);
void sha256_free(struct sha256 *h);
/* One-shot digest of a buffer. */
int sha256_digest(const void *buf, size_t len, char out[DIGEST_STR_LEN + 1], struct err *err);
/* True when s is a well-formed sha256 digest string. */
bool digest_valid(const char *s);

#endif
