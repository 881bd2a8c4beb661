/* The one error type: a code (errno-like) and a message chain. */
#ifndef BERTH_ERR_H
#define BERTH_ERR_H

#include <stdbool.h>

struct err {
	int code;  /* positive errno-like value, 0 when no error */
	char *msg; /* heap string, "outer: inner: cause" */
};

#define ERR_INIT                                                                                   \
	{                                                                                          \
		0, NULL                                                                            \
	}

/*
 * Codes beyond errno, carried unchanged across the protocol: the
 * container's command is not there (Docker's CLI exits 127) or cannot be
 * run (126).
 */
#define ERR_NOCMD 1127
#define ERR_CANTRUN 1126
/* Refused by the authorization policy (berth-policy(5)): exit 125, HTTP 403. */
#define ERR_DENIED 1403

/* Each setter fills *e (when e is not NULL) and returns -code. */
int err_set(struct err *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Like err_set with code = errno and ": strerror(errno)" appended. */
int err_sys(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prefix the existing message with context: "context: old". */
int err_wrap(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void err_clear(struct err *e);
/* Move src into dst (dst is cleared first). */
void err_move(struct err *dst, struct err *src);
static inline bool err_isset(const struct err *e)
{
	return e && e->code != 0;
}
const char *err_msg(const struct err *e);

#endif
