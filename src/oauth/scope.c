/*
 * Scope lists (RFC 6749 §3.3): "scope = scope-token *( SP scope-token )",
 * each token one or more of %x21 / %x23-5B / %x5D-7E, compared exactly. Lists
 * are short (a handful of names), so the quadratic membership test is
 * cheaper than building anything.
 */
#include "oauth/scope.h"

#include <stdlib.h>
#include <string.h>

/* RFC 6749 §3.3: the characters a scope-token may hold. */
static bool token_char(unsigned char c)
{
	return c == 0x21 || (c >= 0x23 && c <= 0x5B) || (c >= 0x5D && c <= 0x7E);
}

/* The next word of a space-separated list from *p: its start and length, 0 at the end. */
static size_t next_word(const char **p, const char **word)
{
	const char *s = *p;
	size_t n;

	while (*s == ' ')
		s++;
	n = strcspn(s, " ");
	*word = s;
	*p = s + n;
	return n;
}

/* Whether the list holds the word w of n bytes. */
static bool has_word(const char *list, const char *w, size_t n)
{
	const char *p = list, *word;
	size_t len;

	while ((len = next_word(&p, &word)) > 0)
		if (len == n && memcmp(word, w, n) == 0)
			return true;
	return false;
}

bool lk_scope_covers(const char *granted, const char *needed)
{
	const char *p = needed ? needed : "", *word;
	size_t len;

	while ((len = next_word(&p, &word)) > 0)
		if (!granted || !has_word(granted, word, len))
			return false;
	return true;
}

/*
 * A requested value is well formed when it is at most LK_SCOPE_MAX bytes of
 * scope-token characters and spaces. Several spaces in a row are tolerated:
 * they separate the same words, and refusing them helps nobody.
 */
static bool request_ok(const char *requested)
{
	size_t n = strnlen(requested, LK_SCOPE_MAX + 1);

	if (n > LK_SCOPE_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (requested[i] != ' ' && !token_char((unsigned char)requested[i]))
			return false;
	return true;
}

enum lk_err lk_scope_grant(const char *requested, const char *allowed, char **out)
{
	const char *p = allowed ? allowed : "", *word;
	bool all = !requested || strspn(requested, " ") == strlen(requested);
	size_t len, used = 0;
	char *s;

	if (requested && !request_ok(requested))
		return LK_EPARSE;
	/* The result is never longer than the allowed list. */
	s = malloc(strlen(p) + 1);
	if (!s)
		return LK_ENOMEM;
	while ((len = next_word(&p, &word)) > 0) {
		if (!all && !has_word(requested, word, len))
			continue;
		/* An allowed list that repeats a name grants it once. */
		if (used && has_word(s, word, len))
			continue;
		if (used)
			s[used++] = ' ';
		memcpy(s + used, word, len);
		used += len;
		s[used] = '\0';
	}
	s[used] = '\0';
	*out = s;
	return LK_OK;
}
