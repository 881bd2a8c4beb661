/* Image references, normalised the way Docker does: busybox = docker.io/library/busybox:latest. */
#ifndef BERTH_REFERENCE_H
#define BERTH_REFERENCE_H

#include "common/err.h"

struct ref {
	char *domain; /* docker.io, localhost:5000 */
	char *path;   /* library/busybox */
	char *tag;    /* latest (NULL when only a digest was given) */
	char *digest; /* sha256:... or NULL */
};

int ref_parse(const char *s, struct ref *r, struct err *err);
void ref_free(struct ref *r);
/* domain/path:tag (or @digest): the key in refs.json. */
char *ref_full(const struct ref *r);
/* What people type: busybox:latest, user/x:1, localhost:5000/x:y. */
char *ref_familiar_of(const char *full);

#endif
