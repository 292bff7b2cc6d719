/*
 * Tests of src/core/password.c: Argon2id hashing and verification in the PHC
 * format, the rehash signal, the input limits, and the password generator.
 * Most tests use small cost parameters so the file runs quickly; one runs
 * with the defaults.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <argon2.h>

#include "core/password.h"

static const struct lk_argon2_params fast = {256, 1, 1};

static const char generator_alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";

static char *hash_of(const char *pw, const struct lk_argon2_params *p)
{
	char *enc = NULL;

	assert_int_equal(lk_password_hash(pw, p, &enc), LK_OK);
	assert_non_null(enc);
	return enc;
}

/* A copy of s with the first occurrence of from replaced by to. */
static char *replaced(const char *s, const char *from, const char *to)
{
	const char *at = strstr(s, from);
	size_t head, n;
	char *out;

	assert_non_null(at);
	head = (size_t)(at - s);
	n = strlen(s) - strlen(from) + strlen(to);
	out = malloc(n + 1);
	assert_non_null(out);
	memcpy(out, s, head);
	memcpy(out + head, to, strlen(to));
	memcpy(out + head + strlen(to), at + strlen(from), strlen(at + strlen(from)) + 1);
	return out;
}

static void test_defaults(void **state)
{
	struct lk_argon2_params p;

	(void)state;
	memset(&p, 0xff, sizeof(p));
	lk_argon2_defaults(&p);
	assert_int_equal(p.memory_kib, 19456);
	assert_int_equal(p.iterations, 2);
	assert_int_equal(p.parallelism, 1);
}

static void test_roundtrip(void **state)
{
	char *enc = hash_of("correct horse battery staple", &fast);
	bool rehash = true;

	(void)state;
	assert_true(strncmp(enc, "$argon2id$v=19$m=256,t=1,p=1$", 29) == 0);
	assert_int_equal(lk_password_verify(enc, "correct horse battery staple", &fast, &rehash),
			 LK_OK);
	assert_false(rehash);
	/* needs_rehash may be NULL. */
	assert_int_equal(lk_password_verify(enc, "correct horse battery staple", &fast, NULL),
			 LK_OK);
	free(enc);
}

static void test_wrong_password(void **state)
{
	char *enc = hash_of("s3cret-Password", &fast);
	bool rehash = true;

	(void)state;
	assert_int_equal(lk_password_verify(enc, "s3cret-passworD", &fast, &rehash), LK_EDENIED);
	assert_int_equal(lk_password_verify(enc, "s3cret-Passwor", &fast, &rehash), LK_EDENIED);
	assert_int_equal(lk_password_verify(enc, "", &fast, &rehash), LK_EDENIED);
	/* Not touched when the password does not match. */
	assert_true(rehash);
	free(enc);
}

static void test_salt_differs(void **state)
{
	char *a = hash_of("same password", &fast);
	char *b = hash_of("same password", &fast);

	(void)state;
	assert_string_not_equal(a, b);
	assert_int_equal(lk_password_verify(a, "same password", &fast, NULL), LK_OK);
	assert_int_equal(lk_password_verify(b, "same password", &fast, NULL), LK_OK);
	free(a);
	free(b);
}

static void test_empty_password(void **state)
{
	char *enc = hash_of("", &fast);

	(void)state;
	assert_int_equal(lk_password_verify(enc, "", &fast, NULL), LK_OK);
	assert_int_equal(lk_password_verify(enc, " ", &fast, NULL), LK_EDENIED);
	free(enc);
}

static void test_length_limit(void **state)
{
	char *pw = malloc(LK_PASSWORD_INPUT_MAX + 2);
	char *enc, *sentinel = (char *)"unchanged", *out = sentinel;

	(void)state;
	assert_non_null(pw);
	memset(pw, 'x', LK_PASSWORD_INPUT_MAX);
	pw[LK_PASSWORD_INPUT_MAX] = '\0';
	enc = hash_of(pw, &fast);
	assert_int_equal(lk_password_verify(enc, pw, &fast, NULL), LK_OK);
	/* One character more is refused, and can never verify. */
	pw[LK_PASSWORD_INPUT_MAX] = 'x';
	pw[LK_PASSWORD_INPUT_MAX + 1] = '\0';
	assert_int_equal(lk_password_hash(pw, &fast, &out), LK_ETOOBIG);
	assert_ptr_equal(out, sentinel);
	assert_int_equal(lk_password_verify(enc, pw, &fast, NULL), LK_EDENIED);
	free(enc);
	free(pw);
}

static void test_bad_params(void **state)
{
	static const struct lk_argon2_params bad[] = {
		{1, 1, 1},	 /* less memory than libargon2 allows */
		{256, 0, 1},	 /* no pass */
		{256, 1, 0},	 /* no lane */
		{64, 1, 16},	 /* fewer than 8 blocks per lane */
		{4194304, 1, 1}, /* past latchkey's memory bound */
		{256, 1000, 1},	 /* past latchkey's iteration bound */
		{UINT32_MAX, 1, 1},
	};
	char *sentinel = (char *)"unchanged", *out = sentinel;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(lk_password_hash("pw", &bad[i], &out), LK_EINVAL);
		assert_ptr_equal(out, sentinel);
	}
	assert_int_equal(lk_password_hash(NULL, &fast, &out), LK_EINVAL);
	assert_int_equal(lk_password_hash("pw", NULL, &out), LK_EINVAL);
	assert_int_equal(lk_password_hash("pw", &fast, NULL), LK_EINVAL);
	assert_ptr_equal(out, sentinel);
	assert_int_equal(lk_password_verify(NULL, "pw", &fast, NULL), LK_EINVAL);
}

static void test_needs_rehash(void **state)
{
	char *enc = hash_of("rehash me", &fast);
	struct lk_argon2_params other;
	bool rehash;

	(void)state;
	other = fast;
	other.memory_kib = 512;
	rehash = false;
	assert_int_equal(lk_password_verify(enc, "rehash me", &other, &rehash), LK_OK);
	assert_true(rehash);

	other = fast;
	other.iterations = 2;
	rehash = false;
	assert_int_equal(lk_password_verify(enc, "rehash me", &other, &rehash), LK_OK);
	assert_true(rehash);

	other = fast;
	other.parallelism = 2;
	rehash = false;
	assert_int_equal(lk_password_verify(enc, "rehash me", &other, &rehash), LK_OK);
	assert_true(rehash);

	/* Lower parameters than the hash's also ask for a new hash. */
	other = fast;
	other.memory_kib = 128;
	rehash = false;
	assert_int_equal(lk_password_verify(enc, "rehash me", &other, &rehash), LK_OK);
	assert_true(rehash);

	rehash = true;
	assert_int_equal(lk_password_verify(enc, "rehash me", &fast, &rehash), LK_OK);
	assert_false(rehash);
	free(enc);
}

static void test_malformed(void **state)
{
	char *enc = hash_of("pw", &fast);
	char *long_str, *bad;
	char trunc[256], other[256];
	size_t i, n = strlen(enc);
	static const char *const junk[] = {
		"",
		"garbage",
		"$argon2id$",
		"$argon2id$v=19$m=256,t=1,p=1$",
		"$argon2id$v=19$m=256,t=1,p=1$c2FsdHNhbHRzYWx0$",
		"$argon2id$v=19$m=256,t=1$c2FsdHNhbHRzYWx0$"
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"$argon2id$v=19$m=256,t=1,p=1$c2FsdHNhbHRzYWx0$"
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA$",
		"$argon2id$v=19$m=256,t=1,p=1$!!!!$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"$argon2id$v=19$m=256,t=1,p=1$c2FsdHNhbHRzYWx0$!!"
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"$argon2id$v=19$m=256,t=1,p=1$c2E$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$"
		"nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E",
	};
	/* Each of these replaces one part of a valid hash. */
	static const char *const edits[][2] = {
		{"m=256", "m=+256"}, {"m=256", "m=0256"},	{"m=256", "m= 256"},
		{"m=256", "m=-256"}, {"m=256", "m=256x"},	{"m=256", "m=99999999999"},
		{"m=256", "m="},     {"t=1", "t=0x1"},		{"p=1", "p=1,x=2"},
		{"v=19", "v=abc"},   {"m=256", "m=4294967295"}, {"t=1", "t=100000"},
		{"p=1", "p=0"},	     {"m=256", "m=1"},
	};

	(void)state;
	for (i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
		assert_int_equal(lk_password_verify(junk[i], "pw", &fast, NULL), LK_EPARSE);
	for (i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		bad = replaced(enc, edits[i][0], edits[i][1]);
		assert_int_equal(lk_password_verify(bad, "pw", &fast, NULL), LK_EPARSE);
		free(bad);
	}
	/* Every truncation of a valid hash is malformed, not merely a mismatch. */
	assert_true(n < sizeof(trunc));
	for (i = 0; i < n; i++) {
		memcpy(trunc, enc, i);
		trunc[i] = '\0';
		assert_int_equal(lk_password_verify(trunc, "pw", &fast, NULL), LK_EPARSE);
	}
	/* A tag longer than ours is taken at its length: it simply does not match. */
	assert_int_equal(snprintf(other, sizeof(other), "%sAAAA", enc), (int)n + 4);
	assert_int_equal(lk_password_verify(other, "pw", &fast, NULL), LK_EDENIED);
	/* Over 512 characters. */
	long_str = malloc(600);
	assert_non_null(long_str);
	memcpy(long_str, enc, n);
	memset(long_str + n, 'A', 600 - n - 1);
	long_str[599] = '\0';
	assert_int_equal(lk_password_verify(long_str, "pw", &fast, NULL), LK_EPARSE);
	free(long_str);
	assert_int_equal(lk_password_verify(enc, "pw", &fast, NULL), LK_OK);
	free(enc);
}

/* Other Argon2 variants, valid as such, are not hashes latchkey accepts. */
static void test_other_variants(void **state)
{
	char buf[256];
	const unsigned char salt[16] = "0123456789abcdef";

	(void)state;
	assert_int_equal(
		argon2i_hash_encoded(1, 256, 1, "pw", 2, salt, sizeof(salt), 32, buf, sizeof(buf)),
		ARGON2_OK);
	assert_int_equal(argon2i_verify(buf, "pw", 2), ARGON2_OK);
	assert_int_equal(lk_password_verify(buf, "pw", &fast, NULL), LK_EPARSE);
	assert_int_equal(
		argon2d_hash_encoded(1, 256, 1, "pw", 2, salt, sizeof(salt), 32, buf, sizeof(buf)),
		ARGON2_OK);
	assert_int_equal(lk_password_verify(buf, "pw", &fast, NULL), LK_EPARSE);
}

/* A hash without "v=" is version 0x10 for libargon2, and version 19 is ours. */
static void test_version(void **state)
{
	char *enc = hash_of("pw", &fast);
	char *old = replaced(enc, "v=19$", "");

	(void)state;
	assert_int_equal(lk_password_verify(old, "pw", &fast, NULL), LK_EDENIED);
	free(old);
	free(enc);
}

static void test_defaults_roundtrip(void **state)
{
	struct lk_argon2_params def;
	char *enc;
	bool rehash = true;

	(void)state;
	lk_argon2_defaults(&def);
	enc = hash_of("a password with the real parameters", &def);
	assert_true(strncmp(enc, "$argon2id$v=19$m=19456,t=2,p=1$", 31) == 0);
	assert_int_equal(
		lk_password_verify(enc, "a password with the real parameters", &def, &rehash),
		LK_OK);
	assert_false(rehash);
	assert_int_equal(
		lk_password_verify(enc, "a password with the real parameter", &def, &rehash),
		LK_EDENIED);
	assert_int_equal(
		lk_password_verify(enc, "a password with the real parameters", &fast, &rehash),
		LK_OK);
	assert_true(rehash);
	free(enc);
}

static void test_generate_alphabet_and_lengths(void **state)
{
	char a[130], b[130];
	size_t len, i;

	(void)state;
	for (len = 12; len <= 128; len++) {
		memset(a, '#', sizeof(a));
		assert_int_equal(lk_password_generate(a, len), LK_OK);
		assert_int_equal(strlen(a), len);
		/* Exactly len + 1 bytes are written. */
		assert_int_equal(a[len + 1], '#');
		for (i = 0; i < len; i++) {
			assert_non_null(strchr(generator_alphabet, a[i]));
			assert_null(strchr("0Oo1lI", a[i]));
		}
	}
	assert_int_equal(lk_password_generate(a, 24), LK_OK);
	assert_int_equal(lk_password_generate(b, 24), LK_OK);
	assert_string_not_equal(a, b);
}

static void test_generate_bounds(void **state)
{
	static const size_t bad[] = {0, 1, 11, 129, 1000, SIZE_MAX};
	char out[130];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(out, '#', sizeof(out));
		assert_int_equal(lk_password_generate(out, bad[i]), LK_EINVAL);
		assert_int_equal(out[0], '#');
	}
	assert_int_equal(lk_password_generate(NULL, 12), LK_EINVAL);
}

/* Every character of the alphabet turns up, and none far too often. */
static void test_generate_spread(void **state)
{
	size_t counts[256] = {0};
	size_t alen = strlen(generator_alphabet), total = 0, i, j;
	char out[129];

	(void)state;
	for (i = 0; i < 500; i++) {
		assert_int_equal(lk_password_generate(out, 128), LK_OK);
		for (j = 0; j < 128; j++)
			counts[(unsigned char)out[j]]++;
		total += 128;
	}
	for (i = 0; i < alen; i++) {
		size_t c = counts[(unsigned char)generator_alphabet[i]];

		/* Expected 1143 each; these bounds are many standard deviations wide. */
		assert_true(c > total / alen / 2);
		assert_true(c < total / alen * 2);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_wrong_password),
		cmocka_unit_test(test_salt_differs),
		cmocka_unit_test(test_empty_password),
		cmocka_unit_test(test_length_limit),
		cmocka_unit_test(test_bad_params),
		cmocka_unit_test(test_needs_rehash),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_other_variants),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_defaults_roundtrip),
		cmocka_unit_test(test_generate_alphabet_and_lengths),
		cmocka_unit_test(test_generate_bounds),
		cmocka_unit_test(test_generate_spread),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
