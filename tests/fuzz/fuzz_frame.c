/*
 * Fuzz target for frame and field decoding: whatever bytes a peer sends,
 * the reader either yields frames whose fields can all be walked, or a
 * clean error. Built with libFuzzer by `make fuzz`; `make check` replays
 * the seed corpus through the same function (replay.c).
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "proto/field.h"
#include "proto/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(const uint8_t *p, size_t len, int depth)
{
	struct preader r;
	struct pfield f;
	struct err e = ERR_INIT;

	pr_init(&r, p, len);
	while (pr_next(&r, &f) == 1) {
		uint32_t u32;
		uint64_t u64;
		char *s = NULL;

		if (f.kind == KIND_LIST && depth < FIELD_MAX_DEPTH)
			walk(f.val, f.len, depth + 1);
		p_get_u32(p, len, f.tag, &u32, &e);
		p_get_u64(p, len, f.tag, &u64, &e);
		if (p_get_str(p, len, f.tag, &s, &e) == 1)
			free(s);
		err_clear(&e);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct frame_reader fr;
	struct frame f;
	struct err e = ERR_INIT;

	frame_reader_init(&fr);
	frame_reader_feed(&fr, data, size);
	while (frame_reader_next(&fr, &f, &e) == 1) {
		if (fields_validate(f.payload, f.len, &e) == 0)
			walk(f.payload, f.len, 0);
		err_clear(&e);
		frame_release(&f);
	}
	err_clear(&e);
	frame_reader_free(&fr);
	return 0;
}
