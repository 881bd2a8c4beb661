#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "size.h"

int size_parse(const char *s, long long *out)
{
	char *end;
	double v;
	long long mult = 1;

	if (!strcmp(s, "-1")) {
		*out = -1;
		return 0;
	}
	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno || v < 0)
		return -1;
	switch (tolower((unsigned char)*end)) {
	case '\0':
		break;
	case 'b':
		if (end[1])
			return -1;
		break;
	case 'k':
		mult = 1ll << 10;
		break;
	case 'm':
		mult = 1ll << 20;
		break;
	case 'g':
		mult = 1ll << 30;
		break;
	case 't':
		mult = 1ll << 40;
		break;
	default:
		return -1;
	}
	/* "512m" or "512mb" */
	if (*end && end[1] && !(tolower((unsigned char)end[1]) == 'b' && !end[2]))
		return -1;
	*out = (long long)(v * (double)mult);
	return 0;
}
