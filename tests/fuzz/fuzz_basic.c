/*
 * Fuzz target: an Authorization header for the Basic scheme. The input is
 * tried as sent and with "Basic " in front of it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void one(struct lk_arena *a, const char *header)
{
	const char *user = NULL, *password = NULL;

	if (lk_basic_auth_parse(a, header, &user, &password) != LK_OK)
		return;
	if (!user || !password)
		__builtin_trap();
	/* Both are proper strings; reading them end to end must be safe. */
	if (strlen(user) + strlen(password) > strlen(header))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lk_arena *a = lk_arena_new(LK_HTTP_ARENA_MAX);
	char *s = malloc(size + 7);

	if (!a || !s)
		goto out;
	memcpy(s, data, size);
	s[size] = '\0';
	one(a, s);
	memcpy(s, "Basic ", 6);
	memcpy(s + 6, data, size);
	s[size + 6] = '\0';
	one(a, s);
out:
	free(s);
	lk_arena_free(a);
	return 0;
}
