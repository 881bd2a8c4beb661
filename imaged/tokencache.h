/* Registry tokens cached between pulls until they expire. */
#ifndef BERTH_TOKENCACHE_H
#define BERTH_TOKENCACHE_H

#include "common/digest.h"

/* The cache key of a token request made with these credentials (NULL: anonymous). */
void token_key(const char *url, const char *userpwd, char out[DIGEST_STR_LEN + 1]);
/* A token still good for a while, or NULL. */
char *token_cache_get(const char *path, const char *key);
void token_cache_put(const char *path, const char *key, const char *token, long ttl);

#endif
