/* berth commit and the steps of berth build: a new image from a parent and one layer. */
#ifndef BERTH_COMMIT_H
#define BERTH_COMMIT_H

#include "store.h"

/*
 * In berth-imaged-worker. args (JSON): parent (manifest digest, or absent
 * for scratch), key (an active snapshot whose upper dir becomes the layer)
 * or layer:true (the layer tar is on fd), config (the container config of
 * the new image), created_by, comment, author, names, cache (a build cache
 * key to record). Never returns.
 */
void __attribute__((noreturn)) commit_run(const struct store *s, int fd, int out, const char *args);
/*
 * In berth-imaged-worker: write a tar of PATH as the image shows it (its
 * layers mounted read-only in a private mount namespace, chrooted) to fd.
 */
void __attribute__((noreturn))
archive_run(const struct store *s, int fd, int out, const char *args);

/* In berth-imaged-worker: copy into (put) or out of a container's mounted root, chrooted there. */
void __attribute__((noreturn))
ctrcopy_run(const struct store *s, int fd, int out, const char *args);
/* In berth-imaged-worker: the changes of active snapshot key over image, as A/C/D lines. */
void __attribute__((noreturn)) diff_run(const struct store *s, int fd, int out, const char *args);

#endif
