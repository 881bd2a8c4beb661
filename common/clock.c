#include "config.h"

#include <stdio.h>
#include <time.h>

#include "clock.h"

char *rfc3339_now(char buf[RFC3339_LEN])
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return rfc3339_at(&ts, buf);
}

char *rfc3339_at(const struct timespec *t, char buf[RFC3339_LEN])
{
	struct timespec ts = *t;
	struct tm tm;

	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, RFC3339_LEN, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + 19, RFC3339_LEN - 19, ".%09ldZ", ts.tv_nsec);
	return buf;
}
