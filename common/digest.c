/*
 * SHA-256 with libcrypto's direct SHA256_* functions: they are marked
 * deprecated in OpenSSL 3 in favour of EVP, but EVP's first use loads the
 * provider machinery and leaves some 3 MiB of libcrypto resident in a daemon
 * that only ever needs this one digest.
 */
#include "config.h"

#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <errno.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "log.h"
#include "xalloc.h"

int sha256_init(struct sha256 *h, struct err *err)
{
	SHA256_CTX *ctx = xmalloc(sizeof(*ctx));

	if (SHA256_Init(ctx) != 1) {
		free(ctx);
		return err_set(err, ENOMEM, "cannot initialise SHA-256");
	}
	h->md = ctx;
	return 0;
}

void sha256_update(struct sha256 *h, const void *buf, size_t len)
{
	if (SHA256_Update(h->md, buf, len) != 1)
		fatalx("SHA-256 update failed");
}

void sha256_final(struct sha256 *h, char out[DIGEST_STR_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[SHA256_DIGEST_LENGTH];
	unsigned int n = SHA256_DIGEST_LENGTH;

	if (SHA256_Final(md, h->md) != 1)
		fatalx("SHA-256 final failed");
	memcpy(out, "sha256:", 7);
	for (unsigned int i = 0; i < n; i++) {
		out[7 + 2 * i] = hex[md[i] >> 4];
		out[7 + 2 * i + 1] = hex[md[i] & 0xf];
	}
	out[DIGEST_STR_LEN] = '\0';
	sha256_free(h);
}

void sha256_free(struct sha256 *h)
{
	free(h->md);
	h->md = NULL;
}

int sha256_digest(const void *buf, size_t len, char out[DIGEST_STR_LEN + 1], struct err *err)
{
	struct sha256 h = {NULL};
	int r = sha256_init(&h, err);

	if (r < 0)
		return r;
	sha256_update(&h, buf, len);
	sha256_final(&h, out);
	return 0;
}

bool digest_valid(const char *s)
{
	if (!s || strlen(s) != DIGEST_STR_LEN || strncmp(s, "sha256:", 7) != 0)
		return false;
	for (size_t i = 7; i < DIGEST_STR_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}
