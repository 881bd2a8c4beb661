/* What the import worker is asked to do. */
#ifndef BERTH_IMPORT_H
#define BERTH_IMPORT_H

#include <stddef.h>

struct import_args {
	char name[512]; /* full reference, or "" */
	char message[512];
	size_t nchanges;
	char **changes;
};

#endif
