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

/* Store operations shared by the handlers. */
int store_gc(const struct store *s, cJSON *refs, struct err *err);
int store_add_image(const struct store *s, const char *manifest_digest, const char *const *names,
		    size_t nnames, cJSON *result, struct err *err);
int snapshots_ensure(const struct store *s, const struct image *img, int out, struct err *err);
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
