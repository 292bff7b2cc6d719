/*
 * The sign-up password policy. The common passwords are a plain text file,
 * one per line, pulled into read-only data by the assembler (.incbin, as the
 * templates of src/ui/assets.c are), so the binary needs no generated source
 * and no file at run time. On first use the lines are indexed, once, into a
 * sorted array of slices; a lookup is then a binary search that only reads.
 */
#include "oauth/password_policy.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/embed.h"
#include "oauth/registry.h"

LK_EMBED(lk_common_passwords, "src/oauth/common_passwords.txt");

/*
 * The most entries indexed, and the longest one: a fixed table needs no
 * allocation that could fail inside pthread_once. Lines past either limit
 * are left out (the unit test checks that none is).
 */
#define COMMON_MAX 16384
#define COMMON_LEN_MAX 64

struct slice {
	const char *s;
	size_t n;
};

static struct slice common[COMMON_MAX];
static size_t ncommon;
static pthread_once_t common_once = PTHREAD_ONCE_INIT;

static unsigned char lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* Compares two byte strings without regard to ASCII case; shorter first on a tie. */
static int compare_nocase(const char *a, size_t an, const char *b, size_t bn)
{
	size_t n = an < bn ? an : bn;

	for (size_t i = 0; i < n; i++) {
		unsigned char x = lower((unsigned char)a[i]), y = lower((unsigned char)b[i]);

		if (x != y)
			return x < y ? -1 : 1;
	}
	return an < bn ? -1 : an > bn ? 1 : 0;
}

static int compare_slices(const void *pa, const void *pb)
{
	const struct slice *a = pa, *b = pb;

	return compare_nocase(a->s, a->n, b->s, b->n);
}

/* Splits the embedded file into lines (LF or CRLF), skipping empty ones, and sorts them. */
static void index_common(void)
{
	const char *p = (const char *)lk_common_passwords;
	const char *end = (const char *)lk_common_passwords_end;

	while (p < end && ncommon < COMMON_MAX) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		size_t n = (size_t)(eol - p);

		if (n && p[n - 1] == '\r')
			n--;
		if (n && n <= COMMON_LEN_MAX)
			common[ncommon++] = (struct slice){p, n};
		p = nl ? nl + 1 : end;
	}
	qsort(common, ncommon, sizeof(common[0]), compare_slices);
}

size_t lk_password_common_count(void)
{
	pthread_once(&common_once, index_common);
	return ncommon;
}

bool lk_password_is_common(const char *password)
{
	struct slice key = {password, strlen(password)};

	pthread_once(&common_once, index_common);
	/* Nothing longer than the longest line can be on the list. */
	if (key.n == 0 || key.n > COMMON_LEN_MAX)
		return false;
	return bsearch(&key, common, ncommon, sizeof(common[0]), compare_slices) != NULL;
}

bool lk_utf8_count(const char *s, size_t len, size_t *chars)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, count = 0;

	while (i < len) {
		unsigned char c = p[i];
		uint32_t cp;
		size_t more;

		if (c < 0x80) {
			i++;
			count++;
			continue;
		}
		/* RFC 3629 §4: lead bytes C2..F4 only; C0, C1 and F5.. begin overlong or too large
		 * forms. */
		if (c >= 0xc2 && c <= 0xdf) {
			cp = c & 0x1f;
			more = 1;
		} else if (c >= 0xe0 && c <= 0xef) {
			cp = c & 0x0f;
			more = 2;
		} else if (c >= 0xf0 && c <= 0xf4) {
			cp = c & 0x07;
			more = 3;
		} else {
			return false;
		}
		if (len - i - 1 < more)
			return false;
		for (size_t k = 1; k <= more; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		/* The shortest form only, no UTF-16 surrogates, nothing past U+10FFFF. */
		if ((more == 2 && cp < 0x800) || (more == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += more + 1;
		count++;
	}
	*chars = count;
	return true;
}

/* Whether a equals the first bn bytes of b without regard to ASCII case. */
static bool same_nocase(const char *a, const char *b, size_t bn)
{
	return bn > 0 && compare_nocase(a, strlen(a), b, bn) == 0;
}

enum lk_pw_problem lk_password_policy_check(const char *password, int min_chars,
					    const char *username, const char *email)
{
	size_t len = strlen(password), chars = 0;

	/* The byte limit first: no need to walk a megabyte to refuse it. */
	if (len > LK_PASSWORD_MAX)
		return LK_PW_TOO_LONG;
	if (!lk_utf8_count(password, len, &chars))
		return LK_PW_ENCODING;
	if (min_chars > 0 && chars < (size_t)min_chars)
		return LK_PW_TOO_SHORT;
	if (lk_password_is_common(password))
		return LK_PW_COMMON;
	if (username && same_nocase(password, username, strlen(username)))
		return LK_PW_NAME;
	if (email && *email) {
		const char *at = strrchr(email, '@');

		if (same_nocase(password, email, strlen(email)) ||
		    (at && same_nocase(password, email, (size_t)(at - email))))
			return LK_PW_NAME;
	}
	return LK_PW_OK;
}

void lk_password_policy_message(enum lk_pw_problem problem, int min_chars, char *out, size_t n)
{
	switch (problem) {
	case LK_PW_OK:
		snprintf(out, n, "%s", "");
		break;
	case LK_PW_ENCODING:
		snprintf(out, n, "%s", "The password contains characters that cannot be read.");
		break;
	case LK_PW_TOO_SHORT:
		snprintf(out, n, "The password must be at least %d characters long.", min_chars);
		break;
	case LK_PW_TOO_LONG:
		snprintf(out, n, "The password must be at most %d bytes long.", LK_PASSWORD_MAX);
		break;
	case LK_PW_COMMON:
		snprintf(out, n, "%s",
			 "That password is too common and easy to guess. Choose another one.");
		break;
	case LK_PW_NAME:
		snprintf(out, n, "%s",
			 "The password must not be your username or your email address.");
		break;
	}
}
