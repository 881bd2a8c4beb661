/* Unit tests for proto/: fields, frames, fd passing, partial and split I/O, bad headers. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "proto/field.h"
#include "proto/proto.h"
#include "proto/tags.h"
#include "proto/wire.h"
#include "tap.h"

static void sockpair(int sv[2])
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
}

static void set_nonblock(int fd)
{
	ck_assert_int_eq(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK), 0);
}

/* Read one frame from fd, blocking. */
static int read_frame(struct frame_reader *fr, int fd, struct frame *f, struct err *e)
{
	for (;;) {
		int r = frame_reader_next(fr, f, e);

		if (r != 0)
			return r;
		r = frame_reader_recv(fr, fd, e);
		if (r <= 0)
			return r == 0 ? -ECONNRESET : r;
	}
}

START_TEST(test_field_roundtrip)
{
	static const uint8_t blob[] = {0, 1, 2, 0, 255};
	struct err e = ERR_INIT;
	struct pbuf pb;
	uint32_t u32 = 0;
	uint64_t u64 = 0;
	int64_t i64 = 0;
	char *s = NULL;
	const uint8_t *b = NULL;
	size_t blen = 0;
	struct pfield list, f;
	struct preader r;
	size_t outer, inner;

	pb_init(&pb);
	pb_put_u32(&pb, 1, 0xdeadbeef);
	pb_put_u64(&pb, 2, 0x0123456789abcdefULL);
	pb_put_i64(&pb, 3, -42);
	pb_put_str(&pb, 4, "busybox:latest");
	pb_put_str(&pb, 5, "");
	pb_put_bytes(&pb, 6, blob, sizeof(blob));
	outer = pb_list_begin(&pb, 7);
	pb_put_str(&pb, 1, "a");
	inner = pb_list_begin(&pb, 2);
	pb_put_u32(&pb, 1, 7);
	pb_list_end(&pb, inner);
	pb_put_str(&pb, 1, "b");
	pb_list_end(&pb, outer);

	ck_assert_int_eq(fields_validate(pb.data, pb.len, &e), 0);
	ck_assert_int_eq(p_get_u32(pb.data, pb.len, 1, &u32, &e), 1);
	ck_assert_uint_eq(u32, 0xdeadbeef);
	ck_assert_int_eq(p_get_u64(pb.data, pb.len, 2, &u64, &e), 1);
	ck_assert(u64 == 0x0123456789abcdefULL);
	ck_assert_int_eq(p_get_i64(pb.data, pb.len, 3, &i64, &e), 1);
	ck_assert(i64 == -42);
	ck_assert_int_eq(p_get_str(pb.data, pb.len, 4, &s, &e), 1);
	ck_assert_str_eq(s, "busybox:latest");
	free(s);
	ck_assert_int_eq(p_get_str(pb.data, pb.len, 5, &s, &e), 1);
	ck_assert_str_eq(s, "");
	free(s);
	ck_assert_int_eq(p_get_bytes(pb.data, pb.len, 6, &b, &blen, &e), 1);
	ck_assert_uint_eq(blen, sizeof(blob));
	ck_assert_mem_eq(b, blob, sizeof(blob));
	ck_assert_int_eq(p_get_list(pb.data, pb.len, 7, &list, &e), 1);
	pr_init_list(&r, &list);
	ck_assert_int_eq(pr_next(&r, &f), 1);
	ck_assert_uint_eq(f.kind, KIND_STR);
	ck_assert_int_eq(pr_next(&r, &f), 1);
	ck_assert_uint_eq(f.kind, KIND_LIST);
	ck_assert_int_eq(p_get_u32(f.val, f.len, 1, &u32, &e), 1);
	ck_assert_uint_eq(u32, 7);
	ck_assert_int_eq(pr_next(&r, &f), 1);
	ck_assert_int_eq(pr_next(&r, &f), 0);
	/* absent and wrong kinds */
	ck_assert_int_eq(p_get_u32(pb.data, pb.len, 99, &u32, &e), 0);
	ck_assert_int_eq(p_get_u32(pb.data, pb.len, 4, &u32, &e), -EPROTO);
	ck_assert_ptr_nonnull(strstr(err_msg(&e), "kind"));
	err_clear(&e);
	pb_free(&pb);
}
END_TEST

/* Append a field with any header at all, to build malformed payloads. */
static void put_raw(struct pbuf *pb, uint16_t tag, uint16_t kind, uint32_t len, const void *v,
		    size_t vlen)
{
	pb->data = xrealloc(pb->data, pb->len + FIELD_HDR_SIZE + vlen);
	memcpy(pb->data + pb->len, &tag, 2);
	memcpy(pb->data + pb->len + 2, &kind, 2);
	memcpy(pb->data + pb->len + 4, &len, 4);
	memcpy(pb->data + pb->len + FIELD_HDR_SIZE, v, vlen);
	pb->len += FIELD_HDR_SIZE + vlen;
	pb->cap = pb->len;
}

START_TEST(test_field_malformed)
{
	struct err e = ERR_INIT;
	struct pbuf pb;
	uint8_t junk[16] = {0};

	/* a header cut short */
	ck_assert_int_lt(fields_validate(junk, 5, &e), 0);
	err_clear(&e);
	/* a value longer than what follows */
	pb_init(&pb);
	put_raw(&pb, 1, KIND_STR, 100, "abc", 3);
	ck_assert_int_lt(fields_validate(pb.data, pb.len, &e), 0);
	ck_assert_ptr_nonnull(strstr(err_msg(&e), "truncated"));
	err_clear(&e);
	pb_free(&pb);
	/* a u32 of the wrong size */
	pb_init(&pb);
	put_raw(&pb, 1, KIND_U32, 3, "abc", 3);
	ck_assert_int_lt(fields_validate(pb.data, pb.len, &e), 0);
	err_clear(&e);
	pb_free(&pb);
	/* a string with a NUL in it */
	pb_init(&pb);
	put_raw(&pb, 1, KIND_STR, 3, "a\0c", 3);
	ck_assert_int_lt(fields_validate(pb.data, pb.len, &e), 0);
	ck_assert_ptr_nonnull(strstr(err_msg(&e), "NUL"));
	err_clear(&e);
	pb_free(&pb);
	/* an unknown kind */
	pb_init(&pb);
	put_raw(&pb, 1, 77, 0, "", 0);
	ck_assert_int_lt(fields_validate(pb.data, pb.len, &e), 0);
	ck_assert_ptr_nonnull(strstr(err_msg(&e), "unknown kind"));
	err_clear(&e);
	pb_free(&pb);
	/* nesting deeper than the limit */
	pb_init(&pb);
	{
		size_t marks[FIELD_MAX_DEPTH + 2];

		for (int i = 0; i < FIELD_MAX_DEPTH + 2; i++)
			marks[i] = pb_list_begin(&pb, 1);
		for (int i = FIELD_MAX_DEPTH + 1; i >= 0; i--)
			pb_list_end(&pb, marks[i]);
	}
	ck_assert_int_lt(fields_validate(pb.data, pb.len, &e), 0);
	ck_assert_ptr_nonnull(strstr(err_msg(&e), "nested"));
	err_clear(&e);
	pb_free(&pb);
}
END_TEST

START_TEST(test_frame_roundtrip)
{
	int sv[2];
	struct frame_writer fw;
	struct frame_reader fr;
	struct frame f;
	struct err e = ERR_INIT;
	struct pbuf pb;
	char *s = NULL;

	sockpair(sv);
	frame_writer_init(&fw);
	frame_reader_init(&fr);
	pb_init(&pb);
	pb_put_str(&pb, TAG_NAME, "hello");
	frame_writer_push(&fw, MSG_PING, PF_REPLY | PF_STREAM, 77, &pb, NULL, 0);
	ck_assert_ptr_null(pb.data); /* taken over */
	frame_writer_push(&fw, MSG_VERSION, 0, 78, NULL, NULL, 0);
	ck_assert_int_eq(frame_writer_flush(&fw, sv[0], &e), 1);
	ck_assert_int_eq(read_frame(&fr, sv[1], &f, &e), 1);
	ck_assert_uint_eq(f.type, MSG_PING);
	ck_assert_uint_eq(f.flags, PF_REPLY | PF_STREAM);
	ck_assert_uint_eq(f.id, 77);
	ck_assert_int_eq(p_get_str(f.payload, f.len, TAG_NAME, &s, &e), 1);
	ck_assert_str_eq(s, "hello");
	free(s);
	frame_release(&f);
	ck_assert_int_eq(read_frame(&fr, sv[1], &f, &e), 1);
	ck_assert_uint_eq(f.type, MSG_VERSION);
	ck_assert_uint_eq(f.len, 0);
	frame_release(&f);
	frame_writer_free(&fw);
	frame_reader_free(&fr);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(test_fd_passing)
{
	int sv[2], pipefd[2], fds[2];
	struct frame_writer fw;
	struct frame_reader fr;
	struct frame f;
	struct err e = ERR_INIT;
	struct stat a, b;
	char buf[8] = {0};
	int got;

	sockpair(sv);
	ck_assert_int_eq(pipe2(pipefd, O_CLOEXEC), 0);
	ck_assert_int_eq(fstat(pipefd[1], &a), 0);
	frame_writer_init(&fw);
	frame_reader_init(&fr);
	fds[0] = dup(pipefd[1]);
	fds[1] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	frame_writer_push(&fw, MSG_PING, 0, 1, NULL, fds, 2);
	ck_assert_int_eq(frame_writer_flush(&fw, sv[0], &e), 1);
	ck_assert_int_eq(read_frame(&fr, sv[1], &f, &e), 1);
	ck_assert_uint_eq(f.nfds, 2);
	got = frame_take_fd(&f, 0);
	ck_assert_int_ge(got, 0);
	/* the fd that arrived refers to the same open pipe */
	ck_assert_int_eq(fstat(got, &b), 0);
	ck_assert(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
	ck_assert_int_eq(write(got, "fd!", 3), 3);
	ck_assert_int_eq(read(pipefd[0], buf, sizeof(buf)), 3);
	ck_assert_str_eq(buf, "fd!");
	ck_assert_int_eq(frame_take_fd(&f, 0), -1); /* taken once */
	ck_assert_int_eq(frame_take_fd(&f, 5), -1);
	close(got);
	frame_release(&f); /* closes the /dev/null fd nobody took */
	frame_writer_free(&fw);
	frame_reader_free(&fr);
	close(pipefd[0]);
	close(pipefd[1]);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

static size_t encode(uint8_t *out, uint16_t type, uint32_t id, const void *p, uint32_t len)
{
	frame_header_encode(out, len, type, 0, id, 0);
	memcpy(out + PROTO_HDR_SIZE, p, len);
	return PROTO_HDR_SIZE + len;
}

START_TEST(test_partial_reads)
{
	int sv[2];
	uint8_t buf[64];
	size_t n = encode(buf, MSG_PING, 9, "0123456789", 10);
	struct frame_reader fr;
	struct frame f;
	struct err e = ERR_INIT;

	sockpair(sv);
	set_nonblock(sv[1]);
	frame_reader_init(&fr);
	/* one byte at a time: no frame until the last byte */
	for (size_t i = 0; i < n; i++) {
		ck_assert_int_eq(write(sv[0], buf + i, 1), 1);
		ck_assert_int_eq(frame_reader_recv(&fr, sv[1], &e), 1);
		if (i + 1 < n) {
			ck_assert_int_eq(frame_reader_next(&fr, &f, &e), 0);
			ck_assert(frame_reader_partial(&fr));
		}
	}
	ck_assert_int_eq(frame_reader_recv(&fr, sv[1], &e), -EAGAIN);
	ck_assert_int_eq(frame_reader_next(&fr, &f, &e), 1);
	ck_assert_uint_eq(f.id, 9);
	ck_assert_mem_eq(f.payload, "0123456789", 10);
	frame_release(&f);
	ck_assert(!frame_reader_partial(&fr));
	frame_reader_free(&fr);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(test_several_frames_one_read)
{
	int sv[2];
	uint8_t buf[256];
	size_t n = 0;
	struct frame_reader fr;
	struct frame f;
	struct err e = ERR_INIT;

	sockpair(sv);
	n += encode(buf + n, MSG_PING, 1, "a", 1);
	n += encode(buf + n, MSG_PING, 2, "bb", 2);
	n += encode(buf + n, MSG_PING, 3, "ccc", 3);
	/* and a fourth cut inside its header, finished by two more writes */
	n += encode(buf + n, MSG_PING, 4, "dddd", 4);
	ck_assert_int_eq(write(sv[0], buf, n - 6), (ssize_t)(n - 6));
	frame_reader_init(&fr);
	ck_assert_int_eq(frame_reader_recv(&fr, sv[1], &e), (int)(n - 6));
	for (uint32_t id = 1; id <= 3; id++) {
		ck_assert_int_eq(frame_reader_next(&fr, &f, &e), 1);
		ck_assert_uint_eq(f.id, id);
		ck_assert_uint_eq(f.len, id);
		frame_release(&f);
	}
	ck_assert_int_eq(frame_reader_next(&fr, &f, &e), 0);
	ck_assert_int_eq(write(sv[0], buf + n - 6, 4), 4);
	ck_assert_int_gt(frame_reader_recv(&fr, sv[1], &e), 0);
	ck_assert_int_eq(frame_reader_next(&fr, &f, &e), 0); /* 2 bytes still missing */
	ck_assert_int_eq(write(sv[0], buf + n - 2, 2), 2);
	ck_assert_int_gt(frame_reader_recv(&fr, sv[1], &e), 0);
	ck_assert_int_eq(frame_reader_next(&fr, &f, &e), 1);
	ck_assert_uint_eq(f.id, 4);
	frame_release(&f);
	frame_reader_free(&fr);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(test_bad_headers)
{
	struct frame_reader fr;
	struct frame f;
	struct err e = ERR_INIT;
	uint8_t hdr[PROTO_HDR_SIZE];

	/* over the 16 MiB limit */
	frame_reader_init(&fr);
	frame_header_encode(hdr, PROTO_MAX_PAYLOAD + 1, MSG_PING, 0, 1, 0);
	frame_reader_feed(&fr, hdr, sizeof(hdr));
	ck_assert_int_eq(frame_reader_next(&fr, &f, &e), -EMSGSIZE);
	ck_assert_ptr_nonnull(strstr(err_msg(&e), "limit"));
	err_clear(&e);
	frame_reader_free(&fr);
	/* unknown flags */
	frame_reader_init(&fr);
	frame_header_encode(hdr, 0, MSG_PING, 0x100, 1, 0);
	frame_reader_feed(&fr, hdr, sizeof(hdr));
	ck_assert_int_eq(frame_reader_next(&fr, &f, &e), -EPROTO);
	err_clear(&e);
	frame_reader_free(&fr);
	/* too many fds announced */
	frame_reader_init(&fr);
	frame_header_encode(hdr, 0, MSG_PING, 0, 1, PROTO_MAX_FDS + 1);
	frame_reader_feed(&fr, hdr, sizeof(hdr));
	ck_assert_int_eq(frame_reader_next(&fr, &f, &e), -EPROTO);
	err_clear(&e);
	frame_reader_free(&fr);
	/* fds announced but none arrived */
	frame_reader_init(&fr);
	frame_header_encode(hdr, 0, MSG_PING, 0, 1, 2);
	frame_reader_feed(&fr, hdr, sizeof(hdr));
	ck_assert_int_eq(frame_reader_next(&fr, &f, &e), -EPROTO);
	ck_assert_ptr_nonnull(strstr(err_msg(&e), "fds"));
	err_clear(&e);
	frame_reader_free(&fr);
}
END_TEST

START_TEST(test_truncated_frame)
{
	int sv[2];
	uint8_t buf[64];
	size_t n = encode(buf, MSG_PING, 1, "0123456789", 10);
	struct frame_reader fr;
	struct frame f;
	struct err e = ERR_INIT;

	sockpair(sv);
	ck_assert_int_eq(write(sv[0], buf, n - 3), (ssize_t)(n - 3));
	close(sv[0]);
	frame_reader_init(&fr);
	ck_assert_int_gt(frame_reader_recv(&fr, sv[1], &e), 0);
	ck_assert_int_eq(frame_reader_next(&fr, &f, &e), 0);
	ck_assert_int_eq(frame_reader_recv(&fr, sv[1], &e), 0); /* EOF */
	ck_assert(frame_reader_partial(&fr));			/* ...in the middle of a frame */
	frame_reader_free(&fr);
	close(sv[1]);
}
END_TEST

START_TEST(test_partial_writes)
{
	int sv[2], sndbuf = 4096;
	size_t big = 1024 * 1024;
	struct frame_writer fw;
	struct frame_reader fr;
	struct frame f;
	struct err e = ERR_INIT;
	struct pbuf pb;
	uint8_t *data = xmalloc(big);
	const uint8_t *got;
	size_t gotlen;
	int r, blocked = 0;

	for (size_t i = 0; i < big; i++)
		data[i] = (uint8_t)(i * 31);
	sockpair(sv);
	ck_assert_int_eq(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)), 0);
	set_nonblock(sv[0]);
	set_nonblock(sv[1]);
	frame_writer_init(&fw);
	frame_reader_init(&fr);
	pb_init(&pb);
	pb_put_bytes(&pb, TAG_DATA, data, big);
	frame_writer_push(&fw, MSG_PING, 0, 5, &pb, NULL, 0);
	for (;;) {
		r = frame_writer_flush(&fw, sv[0], &e);
		ck_assert_int_ge(r, 0);
		if (r == 0)
			blocked++;
		while (frame_reader_recv(&fr, sv[1], &e) > 0)
			;
		if (r == 1)
			break;
	}
	ck_assert_int_gt(blocked, 0); /* it really had to wait */
	while (frame_reader_recv(&fr, sv[1], &e) > 0)
		;
	ck_assert_int_eq(frame_reader_next(&fr, &f, &e), 1);
	ck_assert_int_eq(p_get_bytes(f.payload, f.len, TAG_DATA, &got, &gotlen, &e), 1);
	ck_assert_uint_eq(gotlen, big);
	ck_assert_mem_eq(got, data, big);
	frame_release(&f);
	frame_writer_free(&fw);
	frame_reader_free(&fr);
	free(data);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(test_catalogue)
{
	ck_assert_str_eq(msg_name(MSG_PING), "ping");
	ck_assert_str_eq(msg_name(MSG_HELLO), "hello");
	ck_assert_str_eq(msg_name(0x7abc), "0x7abc");
	ck_assert_ptr_null(msg_lookup(0x7abc));
	ck_assert_ptr_nonnull(msg_lookup(MSG_INFO));
	ck_assert_uint_eq(msg_lookup(MSG_VERSION)->max_len, 0);
	ck_assert_str_eq(role_name(ROLE_NETD), "netd");
	ck_assert_uint_eq(role_parse("containerd"), ROLE_CONTAINERD);
	ck_assert_uint_eq(role_parse("nobody"), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("proto");
	TCase *tc = tcase_create("proto");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_field_roundtrip);
	tcase_add_test(tc, test_field_malformed);
	tcase_add_test(tc, test_frame_roundtrip);
	tcase_add_test(tc, test_fd_passing);
	tcase_add_test(tc, test_partial_reads);
	tcase_add_test(tc, test_several_frames_one_read);
	tcase_add_test(tc, test_bad_headers);
	tcase_add_test(tc, test_truncated_frame);
	tcase_add_test(tc, test_partial_writes);
	tcase_add_test(tc, test_catalogue);
	suite_add_tcase(s, tc);
	return run_suite_tap(s);
}
