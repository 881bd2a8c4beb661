#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mac.h"

/* "02:42:ac:11:00:02": six hex bytes, a unicast address. */
int mac_parse(const char *s, uint8_t mac[6])
{
	if (!s || strlen(s) != 17)
		return -1;
	for (int i = 0; i < 17; i++)
		if (i % 3 == 2 ? s[i] != ':' : !isxdigit((unsigned char)s[i]))
			return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)strtoul((char[3]){s[3 * i], s[3 * i + 1], 0}, NULL, 16);
	return mac[0] & 1 ? -1 : 0;
}

void mac_format(const uint8_t mac[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
}
