#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "id.h"
#include "log.h"

void id_new(char out[ID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t raw[ID_LEN / 2];
	size_t got = 0;

	while (got < sizeof(raw)) {
		ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);

		if (n < 0)
			fatal("getrandom");
		got += (size_t)n;
	}
	/* Docker avoids all-numeric short ids; so do we, to keep them names-safe. */
	for (size_t i = 0; i < sizeof(raw); i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 0xf];
	}
	out[ID_LEN] = '\0';
	if (strspn(out, "0123456789") >= ID_SHORT_LEN)
		out[0] = 'a';
}

void id_short(const char *id, char out[ID_SHORT_LEN + 1])
{
	size_t n = strnlen(id, ID_SHORT_LEN);

	memcpy(out, id, n);
	out[n] = '\0';
}

static bool all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

bool id_valid(const char *s)
{
	return s && strlen(s) == ID_LEN && all_hex(s, ID_LEN);
}

bool id_prefix_valid(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n > 0 && n <= ID_LEN && all_hex(s, n);
}
