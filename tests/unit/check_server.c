/*
 * Unit tests for the daemon side of the protocol: a real server on a libuv
 * loop in a thread, a real blocking client on the other end of a socketpair.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "proto/client.h"
#include "proto/server.h"
#include "proto/tags.h"
#include "tap.h"

#define TEST_STREAM_TYPE 0x7ff0

static int h_STREAM(struct conn *c, struct frame *f, struct err *err)
{
	uint32_t n = 3;

	p_get_u32(f->payload, f->len, TAG_PID, &n, err);
	for (uint32_t i = 0; i < n; i++) {
		struct pbuf pb;

		pb_init(&pb);
		pb_put_u32(&pb, TAG_PID, i);
		conn_stream(c, f, &pb, false);
	}
	conn_stream(c, f, NULL, true);
	return 0;
}

static const struct dispatch_entry test_table[] = {
    {TEST_STREAM_TYPE, h_STREAM, ROLE_CLIENT, 0, 64},
    {0, NULL, 0, 0, 0},
};

static int test_info(struct server *s, cJSON *out, struct err *err)
{
	cJSON_AddStringToObject(out, "test", "yes");
	return 0;
}

static const struct server_ops test_ops = {
    .name = "berth-test",
    .role = ROLE_CONTAINERD,
    .accept_roles = ROLE_CLIENT | ROLE_IMAGED,
    .table = test_table,
    .info = test_info,
};

struct fixture {
	uv_loop_t loop;
	uv_async_t stop;
	struct server srv;
	pthread_t thread;
	int sv[2];
};

static void on_stop(uv_async_t *a)
{
	struct fixture *fx = a->data;

	server_stop(&fx->srv);
	uv_close((uv_handle_t *)&fx->stop, NULL);
}

static void *loop_thread(void *arg)
{
	struct fixture *fx = arg;

	uv_run(&fx->loop, UV_RUN_DEFAULT);
	return NULL;
}

static void fx_start(struct fixture *fx)
{
	struct err e = ERR_INIT;

	memset(fx, 0, sizeof(*fx));
	ck_assert_int_eq(uv_loop_init(&fx->loop), 0);
	server_init(&fx->srv, &fx->loop, &test_ops, fx);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fx->sv), 0);
	ck_assert_int_eq(server_adopt(&fx->srv, fx->sv[1], &e), 0);
	uv_async_init(&fx->loop, &fx->stop, on_stop);
	fx->stop.data = fx;
	ck_assert_int_eq(pthread_create(&fx->thread, NULL, loop_thread, fx), 0);
}

static void fx_stop(struct fixture *fx)
{
	uv_async_send(&fx->stop);
	pthread_join(fx->thread, NULL);
	ck_assert_int_eq(uv_loop_close(&fx->loop), 0);
}

static int connect_as(struct fixture *fx, struct client *c, uint32_t role, uint32_t version,
		      struct err *e)
{
	return client_from_fd(c, fx->sv[0], "test", role, version, e);
}

START_TEST(test_hello_ping_version_info)
{
	struct fixture fx;
	struct client c;
	struct err e = ERR_INIT;
	struct frame f;
	struct pbuf pb;
	const uint8_t *data;
	size_t len;
	char *s = NULL;

	fx_start(&fx);
	ck_assert_int_eq(connect_as(&fx, &c, ROLE_CLIENT, PROTO_VERSION, &e), 0);
	ck_assert_str_eq(c.peer_name, "berth-test");
	pb_init(&pb);
	pb_put_bytes(&pb, TAG_DATA, "echo me", 7);
	ck_assert_int_eq(client_call(&c, MSG_PING, &pb, NULL, 0, &f, &e), 0);
	ck_assert_int_eq(p_get_bytes(f.payload, f.len, TAG_DATA, &data, &len, &e), 1);
	ck_assert_uint_eq(len, 7);
	ck_assert_mem_eq(data, "echo me", 7);
	frame_release(&f);
	ck_assert_int_eq(client_call(&c, MSG_VERSION, NULL, NULL, 0, &f, &e), 0);
	ck_assert_int_eq(p_get_str(f.payload, f.len, TAG_VERSION, &s, &e), 1);
	ck_assert_str_eq(s, PACKAGE_VERSION);
	free(s);
	frame_release(&f);
	ck_assert_int_eq(client_call(&c, MSG_INFO, NULL, NULL, 0, &f, &e), 0);
	ck_assert_int_eq(p_get_str(f.payload, f.len, TAG_JSON, &s, &e), 1);
	ck_assert_ptr_nonnull(strstr(s, "\"test\":\"yes\""));
	ck_assert_ptr_nonnull(strstr(s, "\"name\":\"berth-test\""));
	free(s);
	frame_release(&f);
	client_close(&c);
	fx_stop(&fx);
}
END_TEST

START_TEST(test_stream)
{
	struct fixture fx;
	struct client c;
	struct err e = ERR_INIT;
	struct frame f;
	uint32_t id, v, n = 0;

	fx_start(&fx);
	ck_assert_int_eq(connect_as(&fx, &c, ROLE_CLIENT, PROTO_VERSION, &e), 0);
	ck_assert_int_eq(client_send(&c, TEST_STREAM_TYPE, NULL, NULL, 0, &id, &e), 0);
	for (;;) {
		ck_assert_int_eq(client_recv(&c, &f, &e), 0);
		ck_assert_uint_eq(f.id, id);
		ck_assert(f.flags & PF_STREAM);
		if (f.flags & PF_END) {
			frame_release(&f);
			break;
		}
		ck_assert_int_eq(p_get_u32(f.payload, f.len, TAG_PID, &v, &e), 1);
		ck_assert_uint_eq(v, n);
		n++;
		frame_release(&f);
	}
	ck_assert_uint_eq(n, 3);
	client_close(&c);
	fx_stop(&fx);
}
END_TEST

START_TEST(test_unknown_type_keeps_connection)
{
	struct fixture fx;
	struct client c;
	struct err e = ERR_INIT;
	struct frame f;

	fx_start(&fx);
	ck_assert_int_eq(connect_as(&fx, &c, ROLE_CLIENT, PROTO_VERSION, &e), 0);
	ck_assert_int_eq(client_call(&c, 0x6123, NULL, NULL, 0, &f, &e), -ENOSYS);
	ck_assert_ptr_nonnull(strstr(err_msg(&e), "unknown message type 0x6123"));
	err_clear(&e);
	/* the connection still serves */
	ck_assert_int_eq(client_call(&c, MSG_PING, NULL, NULL, 0, &f, &e), 0);
	frame_release(&f);
	client_close(&c);
	fx_stop(&fx);
}
END_TEST

START_TEST(test_version_mismatch)
{
	struct fixture fx;
	struct client c;
	struct err e = ERR_INIT;

	fx_start(&fx);
	ck_assert_int_eq(connect_as(&fx, &c, ROLE_CLIENT, PROTO_VERSION + 1, &e), -EPROTO);
	ck_assert_ptr_nonnull(strstr(err_msg(&e), "protocol version mismatch"));
	err_clear(&e);
	client_close(&c);
	fx_stop(&fx);
}
END_TEST

START_TEST(test_wrong_role)
{
	struct fixture fx;
	struct client c;
	struct err e = ERR_INIT;

	fx_start(&fx);
	ck_assert_int_eq(connect_as(&fx, &c, ROLE_NETD, PROTO_VERSION, &e), -EACCES);
	ck_assert_ptr_nonnull(strstr(err_msg(&e), "does not accept peers of role netd"));
	err_clear(&e);
	client_close(&c);
	fx_stop(&fx);
}
END_TEST

START_TEST(test_role_not_allowed_for_message)
{
	struct fixture fx;
	struct client c;
	struct err e = ERR_INIT;
	struct frame f;

	fx_start(&fx);
	/* imaged may say hello here, but the stream message is for clients only */
	ck_assert_int_eq(connect_as(&fx, &c, ROLE_IMAGED, PROTO_VERSION, &e), 0);
	ck_assert_int_eq(client_call(&c, TEST_STREAM_TYPE, NULL, NULL, 0, &f, &e), -EACCES);
	ck_assert_ptr_nonnull(strstr(err_msg(&e), "not allowed for role imaged"));
	err_clear(&e);
	client_close(&c);
	fx_stop(&fx);
}
END_TEST

START_TEST(test_payload_size_checked)
{
	struct fixture fx;
	struct client c;
	struct err e = ERR_INIT;
	struct frame f;
	struct pbuf pb;

	fx_start(&fx);
	ck_assert_int_eq(connect_as(&fx, &c, ROLE_CLIENT, PROTO_VERSION, &e), 0);
	pb_init(&pb);
	pb_put_u32(&pb, TAG_PID, 1);
	ck_assert_int_eq(client_call(&c, MSG_VERSION, &pb, NULL, 0, &f, &e), -EMSGSIZE);
	ck_assert_ptr_nonnull(strstr(err_msg(&e), "outside 0..0"));
	err_clear(&e);
	client_close(&c);
	fx_stop(&fx);
}
END_TEST

START_TEST(test_before_hello)
{
	struct fixture fx;
	struct frame_reader fr;
	struct frame_writer fw;
	struct frame f;
	struct err e = ERR_INIT;
	int r;

	fx_start(&fx);
	frame_writer_init(&fw);
	frame_reader_init(&fr);
	frame_writer_push(&fw, MSG_PING, 0, 1, NULL, NULL, 0);
	ck_assert_int_eq(frame_writer_flush(&fw, fx.sv[0], &e), 1);
	while ((r = frame_reader_next(&fr, &f, &e)) == 0)
		ck_assert_int_gt(frame_reader_recv(&fr, fx.sv[0], &e), 0);
	ck_assert_int_eq(r, 1);
	ck_assert(f.flags & PF_ERROR);
	frame_to_err(&f, &e);
	ck_assert_int_eq(e.code, EPROTO);
	ck_assert_ptr_nonnull(strstr(err_msg(&e), "ping before hello"));
	err_clear(&e);
	frame_release(&f);
	/* and then the server hangs up */
	ck_assert_int_eq(frame_reader_recv(&fr, fx.sv[0], &e), 0);
	frame_writer_free(&fw);
	frame_reader_free(&fr);
	close(fx.sv[0]);
	fx_stop(&fx);
}
END_TEST

START_TEST(test_malformed_payload_closes)
{
	struct fixture fx;
	struct client c;
	struct err e = ERR_INIT;
	struct frame f;
	struct pbuf pb;

	fx_start(&fx);
	ck_assert_int_eq(connect_as(&fx, &c, ROLE_CLIENT, PROTO_VERSION, &e), 0);
	pb_init(&pb);
	pb.data = xmalloc(5);
	memcpy(pb.data, "\x01\x00\x04\x00\xff", 5); /* a cut field header */
	pb.len = pb.cap = 5;
	ck_assert_int_lt(client_call(&c, MSG_PING, &pb, NULL, 0, &f, &e), 0);
	ck_assert_int_eq(e.code, ECONNRESET);
	err_clear(&e);
	client_close(&c);
	fx_stop(&fx);
}
END_TEST

START_TEST(test_oversize_header_closes)
{
	struct fixture fx;
	struct err e = ERR_INIT;
	uint8_t hdr[PROTO_HDR_SIZE];
	char b;

	fx_start(&fx);
	frame_header_encode(hdr, PROTO_MAX_PAYLOAD + 1, MSG_PING, 0, 1, 0);
	ck_assert_int_eq(write(fx.sv[0], hdr, sizeof(hdr)), (ssize_t)sizeof(hdr));
	ck_assert_int_eq(read(fx.sv[0], &b, 1), 0); /* closed, nothing sent */
	close(fx.sv[0]);
	fx_stop(&fx);
	err_clear(&e);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("server");
	TCase *tc = tcase_create("server");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_hello_ping_version_info);
	tcase_add_test(tc, test_stream);
	tcase_add_test(tc, test_unknown_type_keeps_connection);
	tcase_add_test(tc, test_version_mismatch);
	tcase_add_test(tc, test_wrong_role);
	tcase_add_test(tc, test_role_not_allowed_for_message);
	tcase_add_test(tc, test_payload_size_checked);
	tcase_add_test(tc, test_before_hello);
	tcase_add_test(tc, test_malformed_payload_closes);
	tcase_add_test(tc, test_oversize_header_closes);
	suite_add_tcase(s, tc);
	return run_suite_tap(s);
}
