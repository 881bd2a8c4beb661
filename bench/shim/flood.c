/* flood BYTES: write BYTES of 4 KiB lines (4095 'a' and a newline) to stdout,
 * 64 KiB per write, as fast as the pipe takes them (the shim benchmark's
 * container; busybox yes | head costs more than the shim itself). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	static char buf[64 * 1024];
	long long left = argc > 1 ? atoll(argv[1]) : 1LL << 30;

	memset(buf, 'a', sizeof(buf));
	for (size_t i = 4095; i < sizeof(buf); i += 4096)
		buf[i] = '\n';
	while (left > 0) {
		size_t n = left < (long long)sizeof(buf) ? (size_t)left : sizeof(buf);
		ssize_t w = write(1, buf, n);

		if (w <= 0)
			return 1;
		left -= w;
	}
	return 0;
}
