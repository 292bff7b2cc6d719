/*
 * Fuzz target: a form body. The first byte picks the limit on pairs, the
 * rest is the body; a decoded value must never hold a NUL or be longer than
 * its input.
 */
#include <stdint.h>
#include <string.h>

#include "http/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lk_arena *a;
	struct lk_params p = {0};
	const char *dup = NULL;
	size_t i, max;
	enum lk_err err;

	if (size < 1)
		return 0;
	max = data[0];
	a = lk_arena_new(LK_HTTP_ARENA_MAX);
	if (!a)
		return 0;
	err = lk_form_parse(a, (const char *)data + 1, size - 1, max, data[0] & 1, &p, &dup);
	if (err == LK_EDUP && !dup)
		__builtin_trap();
	for (i = 0; err == LK_OK && i < p.n; i++) {
		if (strlen(p.items[i].value) != p.items[i].value_len ||
		    p.items[i].value_len >= size)
			__builtin_trap();
		if (lk_params_get(&p, p.items[i].name) == NULL)
			__builtin_trap();
	}
	if (err == LK_OK && p.n > max)
		__builtin_trap();
	lk_arena_free(a);
	return 0;
}
