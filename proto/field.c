#include "config.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "field.h"

void pb_init(struct pbuf *pb)
{
	pb->data = NULL;
	pb->len = pb->cap = 0;
}

void pb_free(struct pbuf *pb)
{
	if (!pb)
		return;
	free(pb->data);
	pb_init(pb);
}

static uint8_t *pb_reserve(struct pbuf *pb, size_t n)
{
	if (pb->cap - pb->len < n) {
		size_t cap = pb->cap ? pb->cap : 64;

		while (cap - pb->len < n)
			cap *= 2;
		pb->data = xrealloc(pb->data, cap);
		pb->cap = cap;
	}
	return pb->data + pb->len;
}

static void put_hdr(uint8_t *at, uint16_t tag, uint16_t kind, uint32_t len)
{
	uint16_t t = htole16(tag), k = htole16(kind);
	uint32_t l = htole32(len);

	memcpy(at, &t, 2);
	memcpy(at + 2, &k, 2);
	memcpy(at + 4, &l, 4);
}

static void pb_put(struct pbuf *pb, uint16_t tag, uint16_t kind, const void *v, size_t n)
{
	uint8_t *at;

	if (n > UINT32_MAX)
		abort(); /* callers never build fields over 4 GiB; frames are far smaller */
	at = pb_reserve(pb, FIELD_HDR_SIZE + n);
	put_hdr(at, tag, kind, (uint32_t)n);
	if (n)
		memcpy(at + FIELD_HDR_SIZE, v, n);
	pb->len += FIELD_HDR_SIZE + n;
}

void pb_put_u32(struct pbuf *pb, uint16_t tag, uint32_t v)
{
	v = htole32(v);
	pb_put(pb, tag, KIND_U32, &v, 4);
}

void pb_put_u64(struct pbuf *pb, uint16_t tag, uint64_t v)
{
	v = htole64(v);
	pb_put(pb, tag, KIND_U64, &v, 8);
}

void pb_put_i64(struct pbuf *pb, uint16_t tag, int64_t v)
{
	uint64_t u = htole64((uint64_t)v);

	pb_put(pb, tag, KIND_I64, &u, 8);
}

void pb_put_str(struct pbuf *pb, uint16_t tag, const char *s)
{
	pb_put(pb, tag, KIND_STR, s, strlen(s));
}

void pb_put_bytes(struct pbuf *pb, uint16_t tag, const void *p, size_t n)
{
	pb_put(pb, tag, KIND_BYTES, p, n);
}

size_t pb_list_begin(struct pbuf *pb, uint16_t tag)
{
	size_t mark = pb->len;

	pb_reserve(pb, FIELD_HDR_SIZE);
	put_hdr(pb->data + mark, tag, KIND_LIST, 0);
	pb->len += FIELD_HDR_SIZE;
	return mark;
}

void pb_list_end(struct pbuf *pb, size_t mark)
{
	uint32_t l = htole32((uint32_t)(pb->len - mark - FIELD_HDR_SIZE));

	memcpy(pb->data + mark + 4, &l, 4);
}

void pr_init(struct preader *r, const void *p, size_t len)
{
	r->p = p;
	r->len = len;
	r->off = 0;
}

void pr_init_list(struct preader *r, const struct pfield *list)
{
	pr_init(r, list->val, list->len);
}

int pr_next(struct preader *r, struct pfield *f)
{
	uint16_t t, k;
	uint32_t l;

	if (r->off == r->len)
		return 0;
	if (r->len - r->off < FIELD_HDR_SIZE)
		return -1;
	memcpy(&t, r->p + r->off, 2);
	memcpy(&k, r->p + r->off + 2, 2);
	memcpy(&l, r->p + r->off + 4, 4);
	f->tag = le16toh(t);
	f->kind = le16toh(k);
	f->len = le32toh(l);
	if (r->len - r->off - FIELD_HDR_SIZE < f->len)
		return -1;
	f->val = r->p + r->off + FIELD_HDR_SIZE;
	r->off += FIELD_HDR_SIZE + f->len;
	return 1;
}

static int validate(const uint8_t *p, size_t len, int depth, struct err *err)
{
	struct preader r;
	struct pfield f;
	int n;

	if (depth > FIELD_MAX_DEPTH)
		return err_set(err, EPROTO, "fields nested deeper than %d", FIELD_MAX_DEPTH);
	pr_init(&r, p, len);
	while ((n = pr_next(&r, &f)) == 1) {
		switch (f.kind) {
		case KIND_U32:
			if (f.len != 4)
				return err_set(err, EPROTO, "field %u: u32 of length %u", f.tag,
					       f.len);
			break;
		case KIND_U64:
		case KIND_I64:
			if (f.len != 8)
				return err_set(err, EPROTO, "field %u: 64-bit value of length %u",
					       f.tag, f.len);
			break;
		case KIND_STR:
			if (memchr(f.val, '\0', f.len))
				return err_set(err, EPROTO, "field %u: string with a NUL byte",
					       f.tag);
			break;
		case KIND_BYTES:
			break;
		case KIND_LIST: {
			int rr = validate(f.val, f.len, depth + 1, err);
			if (rr < 0)
				return rr;
			break;
		}
		default:
			return err_set(err, EPROTO, "field %u: unknown kind %u", f.tag, f.kind);
		}
	}
	if (n < 0)
		return err_set(err, EPROTO, "truncated field at offset %zu of %zu", r.off, len);
	return 0;
}

int fields_validate(const void *p, size_t len, struct err *err)
{
	return validate(p, len, 0, err);
}

static int find(const void *p, size_t len, uint16_t tag, uint16_t kind, struct pfield *out,
		struct err *err)
{
	struct preader r;
	struct pfield f;

	pr_init(&r, p, len);
	while (pr_next(&r, &f) == 1) {
		if (f.tag != tag)
			continue;
		if (f.kind != kind)
			return err_set(err, EPROTO, "field %u has kind %u, expected %u", tag,
				       f.kind, kind);
		*out = f;
		return 1;
	}
	return 0;
}

#define GET_FIXED(fn, type, kind, conv)                                                            \
	int fn(const void *p, size_t len, uint16_t tag, type *out, struct err *err)                \
	{                                                                                          \
		struct pfield f;                                                                   \
		type v;                                                                            \
		int r = find(p, len, tag, kind, &f, err);                                          \
		if (r <= 0)                                                                        \
			return r;                                                                  \
		if (f.len != sizeof(v))                                                            \
			return err_set(err, EPROTO, "field %u has length %u", tag, f.len);         \
		memcpy(&v, f.val, sizeof(v));                                                      \
		*out = (type)conv(v);                                                              \
		return 1;                                                                          \
	}

GET_FIXED(p_get_u32, uint32_t, KIND_U32, le32toh)
GET_FIXED(p_get_u64, uint64_t, KIND_U64, le64toh)
GET_FIXED(p_get_i64, int64_t, KIND_I64, le64toh)

int p_get_str(const void *p, size_t len, uint16_t tag, char **out, struct err *err)
{
	struct pfield f;
	int r = find(p, len, tag, KIND_STR, &f, err);

	if (r <= 0)
		return r;
	if (memchr(f.val, '\0', f.len))
		return err_set(err, EPROTO, "field %u: string with a NUL byte", tag);
	*out = xstrndup((const char *)f.val, f.len);
	return 1;
}

int p_get_bytes(const void *p, size_t len, uint16_t tag, const uint8_t **out, size_t *n,
		struct err *err)
{
	struct pfield f;
	int r = find(p, len, tag, KIND_BYTES, &f, err);

	if (r <= 0)
		return r;
	*out = f.val;
	*n = f.len;
	return 1;
}

int p_get_list(const void *p, size_t len, uint16_t tag, struct pfield *out, struct err *err)
{
	return find(p, len, tag, KIND_LIST, out, err);
}
