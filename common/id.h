/* Random ids: 64 hex characters, shown as their first 12. */
#ifndef BERTH_ID_H
#define BERTH_ID_H

#include <stdbool.h>
#include <stddef.h>

#define ID_LEN 64
#define ID_SHORT_LEN 12

/* Fill out (ID_LEN + 1 bytes) with a new random id. */
void id_new(char out[ID_LEN + 1]);
/* Copy the short form (ID_SHORT_LEN + 1 bytes). */
void id_short(const char *id, char out[ID_SHORT_LEN + 1]);
/* True when s is exactly 64 lower-case hex characters. */
bool id_valid(const char *s);
/* True when s is 1..64 lower-case hex characters (an id prefix). */
bool id_prefix_valid(const char *s);

#endif
