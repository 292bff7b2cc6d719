#include "oauth/pkce.h"

#include <ctype.h>
#include <string.h>

#include "core/secure.h"

static bool b64url_char(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_';
}

/* RFC 3986 §2.3 unreserved: ALPHA / DIGIT / "-" / "." / "_" / "~". */
static bool unreserved(char c)
{
	return b64url_char(c) || c == '.' || c == '~';
}

bool lk_pkce_challenge_ok(const char *s)
{
	size_t i;

	if (!s)
		return false;
	for (i = 0; s[i]; i++)
		if (i >= LK_PKCE_CHALLENGE_LEN || !b64url_char(s[i]))
			return false;
	return i == LK_PKCE_CHALLENGE_LEN;
}

bool lk_pkce_verifier_ok(const char *s)
{
	size_t i;

	if (!s)
		return false;
	for (i = 0; s[i]; i++)
		if (i >= LK_PKCE_VERIFIER_MAX || !unreserved(s[i]))
			return false;
	return i >= LK_PKCE_VERIFIER_MIN;
}

bool lk_pkce_verify(const char *verifier, const char *challenge)
{
	uint8_t digest[LK_SHA256_LEN];
	char computed[48]; /* 4 * ceil(32 / 3) + 1 */
	size_t n;

	if (!lk_pkce_verifier_ok(verifier) || !lk_pkce_challenge_ok(challenge))
		return false;
	lk_sha256(verifier, strlen(verifier), digest);
	n = lk_b64url_encode(digest, sizeof(digest), computed);
	computed[n] = '\0';
	return lk_ct_equal(computed, n, challenge, strlen(challenge));
}
