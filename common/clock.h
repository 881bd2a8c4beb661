/* Timestamps as the container world writes them. */
#ifndef BERTH_CLOCK_H
#define BERTH_CLOCK_H

#define RFC3339_LEN 40

/* "2026-11-28T03:12:14.258786897Z" (UTC, nanoseconds) into buf; returns buf. */
char *rfc3339_now(char buf[RFC3339_LEN]);
struct timespec;
/* The same for a given time. */
char *rfc3339_at(const struct timespec *t, char buf[RFC3339_LEN]);

#endif
