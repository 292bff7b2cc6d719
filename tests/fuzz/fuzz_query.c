/*
 * Fuzz target: a query string, parsed as the server parses it (no repeated
 * names), then again allowing repeats; every pair must be readable.
 */
#include <stdint.h>
#include <string.h>

#include "http/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lk_arena *a = lk_arena_new(LK_HTTP_ARENA_MAX);
	struct lk_params p = {0};
	const char *dup = NULL;
	size_t i, total = 0;

	if (!a)
		return 0;
	if (lk_form_parse(a, (const char *)data, size, LK_HTTP_DEFAULT_MAX_PARAMS, false, &p,
			  &dup) == LK_OK) {
		for (i = 0; i < p.n; i++)
			total += strlen(p.items[i].name) + p.items[i].value_len;
		if (p.n)
			lk_params_get(&p, p.items[p.n - 1].name);
	}
	if (lk_form_parse(a, (const char *)data, size, 4096, true, &p, NULL) == LK_OK) {
		for (i = 0; i < p.n; i++)
			total += strlen(p.items[i].value);
	}
	/* Decoding never lengthens the input. */
	if (total > 2 * size)
		__builtin_trap();
	lk_arena_free(a);
	return 0;
}
