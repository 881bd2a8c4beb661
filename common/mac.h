/* MAC addresses as people write them. */
#ifndef BERTH_MAC_H
#define BERTH_MAC_H

#include <stdint.h>

/* "02:42:ac:11:00:02" into six bytes: 0, or -1 unless six hex bytes of a unicast address. */
int mac_parse(const char *s, uint8_t mac[6]);
void mac_format(const uint8_t mac[6], char buf[18]);

#endif
