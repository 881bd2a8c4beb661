/* Payload fields: a sequence of (u16 tag, u16 kind, u32 len, value), little-endian. */
#ifndef BERTH_FIELD_H
#define BERTH_FIELD_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define FIELD_HDR_SIZE 8
#define FIELD_MAX_DEPTH 8

enum field_kind {
	KIND_U32 = 1,
	KIND_U64 = 2,
	KIND_I64 = 3,
	KIND_STR = 4,	/* UTF-8 text, no NUL byte, not terminated on the wire */
	KIND_BYTES = 5, /* opaque */
	KIND_LIST = 6,	/* a nested sequence of fields */
};

/* A growing payload being built. */
struct pbuf {
	uint8_t *data;
	size_t len, cap;
};

void pb_init(struct pbuf *pb);
/* Like free(): NULL is nothing to do. */
void pb_free(struct pbuf *pb);
void pb_put_u32(struct pbuf *pb, uint16_t tag, uint32_t v);
void pb_put_u64(struct pbuf *pb, uint16_t tag, uint64_t v);
void pb_put_i64(struct pbuf *pb, uint16_t tag, int64_t v);
void pb_put_str(struct pbuf *pb, uint16_t tag, const char *s);
void pb_put_bytes(struct pbuf *pb, uint16_t tag, const void *p, size_t n);
/* Open a nested list; returns a mark to give to pb_list_end(). */
size_t pb_list_begin(struct pbuf *pb, uint16_t tag);
void pb_list_end(struct pbuf *pb, size_t mark);

/* One decoded field; val points into the payload. */
struct pfield {
	uint16_t tag, kind;
	uint32_t len;
	const uint8_t *val;
};

struct preader {
	const uint8_t *p;
	size_t len, off;
};

void pr_init(struct preader *r, const void *p, size_t len);
/* 1: *f filled; 0: end; -1: malformed (the rest cannot be read). */
int pr_next(struct preader *r, struct pfield *f);
/* Iterate the fields inside a KIND_LIST field. */
void pr_init_list(struct preader *r, const struct pfield *list);

/* Check a whole payload: lengths, fixed sizes, strings, nesting depth. */
int fields_validate(const void *p, size_t len, struct err *err);

/*
 * Getters on a validated payload. Each returns 1 when found, 0 when the
 * tag is absent, and a negative code (EPROTO, with err) for a wrong kind.
 */
int p_get_u32(const void *p, size_t len, uint16_t tag, uint32_t *out, struct err *err);
int p_get_u64(const void *p, size_t len, uint16_t tag, uint64_t *out, struct err *err);
int p_get_i64(const void *p, size_t len, uint16_t tag, int64_t *out, struct err *err);
/* *out is a new NUL-terminated copy. */
int p_get_str(const void *p, size_t len, uint16_t tag, char **out, struct err *err);
/* *out points into the payload. */
int p_get_bytes(const void *p, size_t len, uint16_t tag, const uint8_t **out, size_t *n,
		struct err *err);
int p_get_list(const void *p, size_t len, uint16_t tag, struct pfield *out, struct err *err);

#endif
