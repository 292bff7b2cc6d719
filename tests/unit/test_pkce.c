/*
 * Proof Key for Code Exchange (src/oauth/pkce.c) with RFC 7636's worked
 * example, and the HMAC-SHA256 of src/core/secure.c with RFC 4231's second
 * test case (the primitive the sign-in pages' CSRF tokens rest on).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/secure.h"
#include "oauth/pkce.h"

/* RFC 7636 Appendix B: the verifier and the S256 challenge it yields. */
#define RFC_VERIFIER "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
#define RFC_CHALLENGE "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

/* A string of n copies of c (at most 255), in a static buffer. */
static const char *repeat(char c, size_t n)
{
	static char buf[256];

	assert_true(n < sizeof(buf));
	memset(buf, c, n);
	buf[n] = '\0';
	return buf;
}

static void rfc7636_vector(void **state)
{
	assert_int_equal(strlen(RFC_VERIFIER), 43);
	assert_int_equal(strlen(RFC_CHALLENGE), LK_PKCE_CHALLENGE_LEN);
	assert_true(lk_pkce_verifier_ok(RFC_VERIFIER));
	assert_true(lk_pkce_challenge_ok(RFC_CHALLENGE));
	assert_true(lk_pkce_verify(RFC_VERIFIER, RFC_CHALLENGE));
}

static void verify_mismatch(void **state)
{
	char v[] = RFC_VERIFIER;
	char c[] = RFC_CHALLENGE;

	/* One character off on either side. */
	v[0] = 'e';
	assert_false(lk_pkce_verify(v, RFC_CHALLENGE));
	c[42] = 'N';
	assert_false(lk_pkce_verify(RFC_VERIFIER, c));
	/* "plain": the challenge is the verifier itself, which S256 never accepts. */
	assert_false(lk_pkce_verify(RFC_VERIFIER, RFC_VERIFIER));
	/* Swapped arguments. */
	assert_false(lk_pkce_verify(RFC_CHALLENGE, RFC_VERIFIER));
	/* A verifier that is not well formed is refused before anything is hashed. */
	assert_false(lk_pkce_verify("short", RFC_CHALLENGE));
	assert_false(lk_pkce_verify(NULL, RFC_CHALLENGE));
	assert_false(lk_pkce_verify(RFC_VERIFIER, NULL));
	assert_false(lk_pkce_verify(RFC_VERIFIER, ""));
	assert_false(lk_pkce_verify("", ""));
}

static void verifier_lengths(void **state)
{
	/* RFC 7636 §4.1: 43 to 128 characters. */
	assert_false(lk_pkce_verifier_ok(repeat('a', 42)));
	assert_true(lk_pkce_verifier_ok(repeat('a', 43)));
	assert_true(lk_pkce_verifier_ok(repeat('a', 128)));
	assert_false(lk_pkce_verifier_ok(repeat('a', 129)));
	assert_false(lk_pkce_verifier_ok(repeat('a', 200)));
	assert_false(lk_pkce_verifier_ok(""));
	assert_false(lk_pkce_verifier_ok(NULL));
}

static void verifier_characters(void **state)
{
	/* The unreserved set of RFC 3986 §2.3: letters, digits, "-._~". */
	static const char *const bad = "+/= %!\"#$&'()*,:;<>?@[\\]^`{|}\t\n\x7f\xc3";
	char v[44];

	memcpy(v, repeat('x', 43), 44);
	v[0] = '-';
	v[1] = '.';
	v[2] = '_';
	v[3] = '~';
	v[4] = 'Z';
	v[5] = '0';
	v[6] = '9';
	assert_true(lk_pkce_verifier_ok(v));
	for (const char *p = bad; *p; p++) {
		memcpy(v, repeat('x', 43), 44);
		v[20] = *p;
		assert_false(lk_pkce_verifier_ok(v));
	}
}

static void challenge_form(void **state)
{
	/* Exactly 43 base64url characters: the length of an unpadded SHA-256. */
	static const char *const bad = "+/=.~ %\t\xc3";
	char c[44];

	assert_false(lk_pkce_challenge_ok(repeat('A', 42)));
	assert_true(lk_pkce_challenge_ok(repeat('A', 43)));
	assert_false(lk_pkce_challenge_ok(repeat('A', 44)));
	assert_false(lk_pkce_challenge_ok(repeat('A', 128)));
	assert_false(lk_pkce_challenge_ok(""));
	assert_false(lk_pkce_challenge_ok(NULL));
	/* Padding or the standard alphabet is not base64url. */
	assert_false(lk_pkce_challenge_ok(RFC_CHALLENGE "="));
	for (const char *p = bad; *p; p++) {
		memcpy(c, RFC_CHALLENGE, 44);
		c[10] = *p;
		assert_false(lk_pkce_challenge_ok(c));
	}
	memcpy(c, RFC_CHALLENGE, 44);
	c[0] = '_';
	c[1] = '-';
	assert_true(lk_pkce_challenge_ok(c));
}

static void verify_long_verifier(void **state)
{
	/* The longest verifier hashes like any other. */
	char v[LK_PKCE_VERIFIER_MAX + 1];
	uint8_t digest[LK_SHA256_LEN];
	char challenge[48];

	memcpy(v, repeat('~', LK_PKCE_VERIFIER_MAX), sizeof(v));
	lk_sha256(v, strlen(v), digest);
	challenge[lk_b64url_encode(digest, sizeof(digest), challenge)] = '\0';
	assert_true(lk_pkce_verify(v, challenge));
	v[LK_PKCE_VERIFIER_MAX - 1] = '.';
	assert_false(lk_pkce_verify(v, challenge));
}

static void hmac_rfc4231_case2(void **state)
{
	/* RFC 4231 §4.3: key "Jefe", data "what do ya want for nothing?". */
	static const char key[] = "Jefe";
	static const char data[] = "what do ya want for nothing?";
	uint8_t mac[LK_SHA256_LEN];
	char hex[2 * LK_SHA256_LEN + 1];

	assert_int_equal(lk_hmac_sha256(key, strlen(key), data, strlen(data), mac), LK_OK);
	lk_hex(mac, sizeof(mac), hex);
	assert_string_equal(hex,
			    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	/* Another key gives another MAC. */
	assert_int_equal(lk_hmac_sha256("jefe", 4, data, strlen(data), mac), LK_OK);
	lk_hex(mac, sizeof(mac), hex);
	assert_string_not_equal(hex,
				"5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

/* lk_random_id: base64url of n random bytes, within the room it is given. */
static void random_id(void **state)
{
	char a[45], b[45];

	(void)state;
	assert_int_equal(lk_random_id(a, sizeof(a), 32), LK_OK);
	assert_int_equal(strlen(a), 43);
	assert_int_equal(
		strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), 43);
	assert_int_equal(lk_random_id(b, sizeof(b), 32), LK_OK);
	assert_string_not_equal(a, b);
	assert_int_equal(lk_random_id(a, 25, 16), LK_OK);
	assert_int_equal(strlen(a), 22);
	/* Too little room (the encoder's bound is 4 * ceil(n / 3) + 1), or too many bytes. */
	strcpy(b, "unchanged");
	assert_int_equal(lk_random_id(b, 44, 32), LK_ETOOBIG);
	assert_string_equal(b, "unchanged");
	assert_int_equal(lk_random_id(b, sizeof(b), 65), LK_ETOOBIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc7636_vector),     cmocka_unit_test(verify_mismatch),
		cmocka_unit_test(verifier_lengths),   cmocka_unit_test(verifier_characters),
		cmocka_unit_test(challenge_form),     cmocka_unit_test(verify_long_verifier),
		cmocka_unit_test(hmac_rfc4231_case2), cmocka_unit_test(random_id),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
