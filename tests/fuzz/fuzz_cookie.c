/* Fuzz target: a Cookie header (NUL-terminated copy of the input). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lk_arena *a = lk_arena_new(LK_HTTP_ARENA_MAX);
	struct lk_params p = {0};
	char *s = malloc(size + 1);
	size_t i;

	if (!a || !s)
		goto out;
	memcpy(s, data, size);
	s[size] = '\0';
	if (lk_cookie_parse(a, s, 50, &p) == LK_OK) {
		for (i = 0; i < p.n; i++)
			if (p.items[i].name[0] == '\0' ||
			    strlen(p.items[i].value) != p.items[i].value_len)
				__builtin_trap();
	}
out:
	free(s);
	lk_arena_free(a);
	return 0;
}
