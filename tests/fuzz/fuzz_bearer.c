/*
 * Fuzz target: an Authorization header for the Bearer scheme; an accepted
 * token must be a non-empty suffix of the header made of b64token characters.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void one(const char *header)
{
	const char *token = NULL;
	size_t n;

	if (lk_bearer_parse(header, &token) != LK_OK)
		return;
	n = strlen(token);
	if (n == 0 || token < header || token + n != header + strlen(header))
		__builtin_trap();
	if (strspn(token,
		   "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/=") != n)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 8);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	one(s);
	memcpy(s, "Bearer ", 7);
	memcpy(s + 7, data, size);
	s[size + 7] = '\0';
	one(s);
	free(s);
	return 0;
}
