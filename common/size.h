/* Sizes as people type them: "4096", "512k", "10m", "1.5g", "2gb", "-1". */
#ifndef BERTH_SIZE_H
#define BERTH_SIZE_H

/* Bytes (powers of 1024 for k, m, g, t), or -1 for "-1"; -1 returned when s is none. */
int size_parse(const char *s, long long *out);

#endif
