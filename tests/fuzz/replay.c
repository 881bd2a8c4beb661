/* Replay corpus files through the fuzz target, printing TAP. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/atomicfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
	int failed = 0;

	printf("1..%d\n", argc - 1);
	for (int i = 1; i < argc; i++) {
		struct err e = ERR_INIT;
		char *buf = NULL;
		size_t len = 0;

		if (read_file_at(-100 /* AT_FDCWD */, argv[i], 64u << 20, &buf, &len, &e) < 0) {
			printf("not ok %d - %s: %s\n", i, argv[i], err_msg(&e));
			err_clear(&e);
			failed++;
			continue;
		}
		LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
		free(buf);
		printf("ok %d - %s\n", i, argv[i]);
	}
	return failed ? 1 : 0;
}
