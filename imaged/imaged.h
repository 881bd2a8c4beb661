/* berth-imaged: images, layers and snapshots. */
#ifndef BERTH_IMAGED_H
#define BERTH_IMAGED_H

#include "proto/daemon.h"
#include "store.h"

struct job;

/* imaged's state, hung from the daemon context (struct daemon.priv). */
struct imaged {
	struct store store;
	struct job *jobs; /* workers running for clients */
};

static inline struct imaged *imaged_of(struct conn *c)
{
	return ((struct daemon *)c->srv->ctx)->priv;
}

extern const struct dispatch_entry imaged_table[];
int imaged_init(struct daemon *d, struct err *err);
void imaged_fini(struct daemon *d);
int imaged_info(struct daemon *d, cJSON *out, struct err *err);

/* Workers (forked, see job.h). */
void load_run(const struct store *s, int fd, int out, void *arg);
void save_run(const struct store *s, int fd, int out, void *arg);
void import_run(const struct store *s, int fd, int out, void *arg);

/* Handler helpers (images.c). */
int reply_json(struct conn *c, const struct frame *f, const cJSON *doc);
/* A string field that must be there: 0, or an error naming what. */
int need_str(const struct frame *f, uint16_t tag, const char *what, char **out, struct err *err);
int snapshot_key_check(const char *key, struct err *err);

/* Store operations shared by the handlers. */
int store_gc(const struct store *s, cJSON *refs, struct err *err);
int store_add_image(const struct store *s, const char *manifest_digest, const char *const *names,
		    size_t nnames, cJSON *result, struct err *err);
int snapshots_ensure(const struct store *s, const struct image *img, int out, struct err *err);
/* The same for layer i alone (layers unpack independently: each has its own directory). */
int snapshot_ensure_layer(const struct store *s, const struct image *img, size_t i, int out,
			  struct err *err);
/* Build cache: step key -> manifest digest, kept in refs.json ("cache"). */
int store_cache_put(const struct store *s, const char *key, const char *manifest_digest,
		    struct err *err);
/* A build's untagged result: listed by images like any dangling image. */
int store_mark_result(const struct store *s, const char *manifest_digest, struct err *err);
/* The image a key names, if it is still in the store; NULL otherwise. */
const char *store_cache_get(const cJSON *refs, const char *key);
char *snapshot_dir(const struct store *s, const char *chain_id);
void store_cleanup_tmp(const struct store *s);

/* The handlers of this daemon's messages, declared from the catalogue. */
#define OWN_ANY OWN_OTHER
#define OWN_CONTAINERD OWN_OTHER
#define OWN_IMAGED OWN_MINE
#define OWN_NETD OWN_OTHER
#define OWN_SHIM OWN_OTHER
#define DISPATCH_EMIT DISPATCH_DECL
#include "proto/dispatch_gen.h"
#undef DISPATCH_EMIT

#endif
