/*
 * bench-proto SOCKET [ROUNDS]: PING round trips to a running daemon over
 * its Unix socket (median and p99), then the throughput of PINGs carrying
 * 1 MiB (each echoed back whole).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "proto/client.h"
#include "proto/tags.h"

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int ping(struct client *c, const void *data, size_t len)
{
	struct err e = ERR_INIT;
	struct frame f;
	struct pbuf pb;

	pb_init(&pb);
	if (len)
		pb_put_bytes(&pb, TAG_DATA, data, len);
	if (client_call(c, MSG_PING, &pb, NULL, 0, &f, &e) < 0) {
		fprintf(stderr, "ping: %s\n", err_msg(&e));
		return -1;
	}
	if (f.len != (len ? len + 8 : 0)) {
		fprintf(stderr, "ping: echoed %u bytes, sent %zu\n", f.len, len);
		return -1;
	}
	frame_release(&f);
	return 0;
}

/* The floor: 16 bytes back and forth on a socketpair with a forked echo process. */
static void baseline(int rounds)
{
	int sv[2];
	char buf[16] = {0};
	double *rtt = xcalloc((size_t)rounds, sizeof(double));
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return;
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		while (read(sv[1], buf, sizeof(buf)) == (ssize_t)sizeof(buf))
			if (write(sv[1], buf, sizeof(buf)) != (ssize_t)sizeof(buf))
				break;
		_exit(0);
	}
	close(sv[1]);
	for (int i = 0; i < rounds + 1000; i++) {
		double t0 = now_us();

		if (write(sv[0], buf, sizeof(buf)) != (ssize_t)sizeof(buf) ||
		    read(sv[0], buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			break;
		if (i >= 1000)
			rtt[i - 1000] = now_us() - t0;
	}
	close(sv[0]);
	waitpid(pid, NULL, 0);
	qsort(rtt, (size_t)rounds, sizeof(double), cmp_double);
	printf("baseline (raw socketpair echo, no protocol): median %.1f us, p99 %.1f us\n",
	       rtt[rounds / 2], rtt[rounds * 99 / 100]);
	free(rtt);
}

int main(int argc, char **argv)
{
	struct err e = ERR_INIT;
	struct client c;
	int rounds = argc > 2 ? atoi(argv[2]) : 20000;
	int big_rounds = 500;
	size_t big = 1024 * 1024;
	double *rtt, t0, secs;
	char *data;

	if (argc < 2 || rounds < 10) {
		fprintf(stderr, "usage: bench-proto SOCKET|--baseline [ROUNDS>=10]\n");
		return 2;
	}
	if (strcmp(argv[1], "--baseline") == 0) {
		baseline(rounds);
		return 0;
	}
	if (client_connect(&c, argv[1], ROLE_CLIENT, &e) < 0) {
		fprintf(stderr, "bench-proto: %s\n", err_msg(&e));
		return 1;
	}
	rtt = xcalloc((size_t)rounds, sizeof(double));
	for (int i = 0; i < 1000; i++)
		if (ping(&c, NULL, 0) < 0)
			return 1;
	for (int i = 0; i < rounds; i++) {
		t0 = now_us();
		if (ping(&c, NULL, 0) < 0)
			return 1;
		rtt[i] = now_us() - t0;
	}
	qsort(rtt, (size_t)rounds, sizeof(double), cmp_double);
	printf("ping round trip: median %.1f us, p99 %.1f us, min %.1f us (%d rounds)\n",
	       rtt[rounds / 2], rtt[rounds * 99 / 100], rtt[0], rounds);

	data = xmalloc(big);
	memset(data, 0x5a, big);
	for (int i = 0; i < 20; i++)
		if (ping(&c, data, big) < 0)
			return 1;
	t0 = now_us();
	for (int i = 0; i < big_rounds; i++)
		if (ping(&c, data, big) < 0)
			return 1;
	secs = (now_us() - t0) / 1e6;
	printf("1 MiB payload: %.2f GiB/s each way (%.0f round trips/s, %.2f GiB/s both ways)\n",
	       (double)big_rounds * (double)big / secs / (1 << 30), big_rounds / secs,
	       2.0 * big_rounds * (double)big / secs / (1 << 30));
	free(data);
	free(rtt);
	client_close(&c);
	return 0;
}
