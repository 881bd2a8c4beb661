/* libberthclient: the words Docker shows for things. */
#ifndef BERTH_BC_TEXT_H
#define BERTH_BC_TEXT_H

#include <stddef.h>

#include <cjson/cJSON.h>

/* Seconds since an RFC 3339 time (-1 when unparsable). */
long format_age_seconds(const char *rfc3339);
/* "5 minutes", "Less than a second". */
void format_age(char *buf, size_t len, long seconds);
/* A container's status as docker ps says it: "Up 5 minutes (healthy)", "Exited (1) 2 hours ago". */
void bc_ctr_status(const cJSON *summary, char *buf, size_t len);

#endif
