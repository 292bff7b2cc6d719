/*
 * Tests of src/oauth/password_policy.c: counting characters in UTF-8, the
 * embedded list of common passwords (complete, indexed, case-insensitive),
 * and each rule of the sign-up policy with its message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oauth/password_policy.h"
#include "oauth/registry.h"

#define LIST_PATH "src/oauth/common_passwords.txt"

static void utf8_counts_code_points(void **state)
{
	size_t n = 99;

	(void)state;
	assert_true(lk_utf8_count("", 0, &n));
	assert_int_equal(n, 0);
	assert_true(lk_utf8_count("abc", 3, &n));
	assert_int_equal(n, 3);
	/* é (2 bytes), € (3 bytes), 😀 (4 bytes): three characters, nine bytes. */
	assert_true(lk_utf8_count("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9, &n));
	assert_int_equal(n, 3);
	assert_true(lk_utf8_count("\xf4\x8f\xbf\xbf", 4, &n)); /* U+10FFFF, the last */
	assert_int_equal(n, 1);
}

static void utf8_refuses_malformed(void **state)
{
	static const char *const bad[] = {
		"\x80",		    /* a continuation byte alone */
		"\xc3",		    /* truncated */
		"\xe2\x82",	    /* truncated */
		"\xc0\xaf",	    /* overlong '/' */
		"\xc1\xbf",	    /* overlong */
		"\xe0\x80\xaf",	    /* overlong, three bytes */
		"\xf0\x80\x80\xaf", /* overlong, four bytes */
		"\xed\xa0\x80",	    /* a UTF-16 surrogate */
		"\xf4\x90\x80\x80", /* past U+10FFFF */
		"\xf5\x80\x80\x80", /* a lead byte that never occurs */
		"\xff",
		"a\xc3(", /* a lead byte followed by ASCII */
	};
	size_t n = 77;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(lk_utf8_count(bad[i], strlen(bad[i]), &n));
		assert_int_equal(n, 77); /* untouched */
	}
}

/* Every line of the shipped file is found, and the file is what it claims. */
static void common_list_complete(void **state)
{
	FILE *f = fopen(LIST_PATH, "r");
	char line[256];
	size_t lines = 0, long_ones = 0;

	(void)state;
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		size_t n = strlen(line);

		/* One per line, none too long. */
		if (n == 0 || line[n - 1] != '\n')
			fail_msg("line %zu is too long or unterminated", lines + 1);
		line[--n] = '\0';
		assert_true(n >= 4);
		for (size_t i = 0; i < n; i++)
			assert_false(isupper((unsigned char)line[i]));
		if (!lk_password_is_common(line))
			fail_msg("'%s' is in the file but not found", line);
		long_ones += n >= 12;
		lines++;
	}
	fclose(f);
	assert_true(lines >= 1000);
	assert_true(long_ones >= 100); /* entries that matter at the default minimum of 12 */
	/* The index holds every line, so none was dropped by a limit. */
	assert_int_equal(lk_password_common_count(), lines);
}

static void common_lookup(void **state)
{
	(void)state;
	assert_true(lk_password_is_common("password"));
	assert_true(lk_password_is_common("password1234"));
	assert_true(lk_password_is_common("PassWord1234"));
	assert_true(lk_password_is_common("QWERTYUIOP123"));
	assert_true(lk_password_is_common("123456789012"));
	assert_true(lk_password_is_common("iloveyou"));
	assert_false(lk_password_is_common(""));
	assert_false(lk_password_is_common("password1234 "));
	assert_false(lk_password_is_common("passwor"));
	assert_false(lk_password_is_common("vq7-Lm2!pz9#Kt"));
	/* A prefix of an entry or an entry with one more byte is not the entry. */
	assert_false(lk_password_is_common("password12345678901"));
}

static void policy_length(void **state)
{
	char big[LK_PASSWORD_MAX + 2];

	(void)state;
	assert_int_equal(lk_password_policy_check("vq7-Lm2!pz9", 12, "bob", "bob@example.com"),
			 LK_PW_TOO_SHORT);
	assert_int_equal(lk_password_policy_check("vq7-Lm2!pz9#", 12, "bob", "bob@example.com"),
			 LK_PW_OK);
	/* Twelve bytes, but six characters: too short. */
	assert_int_equal(
		lk_password_policy_check("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 12,
					 NULL, NULL),
		LK_PW_TOO_SHORT);
	/* Twelve characters of several bytes each: long enough. */
	assert_int_equal(
		lk_password_policy_check("\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
					 "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
					 "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac",
					 12, NULL, NULL),
		LK_PW_OK);
	assert_int_equal(lk_password_policy_check("abc\xff"
						  "defghijklmn",
						  12, NULL, NULL),
			 LK_PW_ENCODING);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(lk_password_policy_check(big, 12, NULL, NULL), LK_PW_TOO_LONG);
	big[LK_PASSWORD_MAX] = '\0';
	assert_int_equal(lk_password_policy_check(big, 12, NULL, NULL), LK_PW_OK);
}

static void policy_common_and_names(void **state)
{
	(void)state;
	assert_int_equal(lk_password_policy_check("password1234", 12, "bob", "bob@example.com"),
			 LK_PW_COMMON);
	assert_int_equal(lk_password_policy_check("Password1234", 12, "bob", "bob@example.com"),
			 LK_PW_COMMON);
	/* Short and common: the length is what the person hears about first. */
	assert_int_equal(lk_password_policy_check("password", 12, NULL, NULL), LK_PW_TOO_SHORT);
	assert_int_equal(lk_password_policy_check("password", 8, NULL, NULL), LK_PW_COMMON);

	assert_int_equal(
		lk_password_policy_check("robert.tables", 12, "Robert.Tables", "rt@example.com"),
		LK_PW_NAME);
	assert_int_equal(
		lk_password_policy_check("rt.long@example.com", 12, "rt", "RT.Long@example.com"),
		LK_PW_NAME);
	assert_int_equal(lk_password_policy_check("bobby.tables.xyz", 12, "rt",
						  "Bobby.Tables.XYZ@example.com"),
			 LK_PW_NAME);
	/* Containing a name is allowed; only equality is refused. */
	assert_int_equal(lk_password_policy_check("bobby.tables.xyz!", 12, "bobby.tables.xyz",
						  "bobby.tables.xyz@example.com"),
			 LK_PW_OK);
	assert_int_equal(lk_password_policy_check("some long phrase", 12, "", ""), LK_PW_OK);
	assert_int_equal(lk_password_policy_check("some long phrase", 12, NULL, "no-at-sign"),
			 LK_PW_OK);
}

static void policy_messages(void **state)
{
	char msg[160];

	(void)state;
	lk_password_policy_message(LK_PW_TOO_SHORT, 14, msg, sizeof(msg));
	assert_string_equal(msg, "The password must be at least 14 characters long.");
	lk_password_policy_message(LK_PW_COMMON, 12, msg, sizeof(msg));
	assert_non_null(strstr(msg, "too common"));
	lk_password_policy_message(LK_PW_NAME, 12, msg, sizeof(msg));
	assert_non_null(strstr(msg, "username"));
	lk_password_policy_message(LK_PW_TOO_LONG, 12, msg, sizeof(msg));
	assert_non_null(strstr(msg, "1024"));
	lk_password_policy_message(LK_PW_ENCODING, 12, msg, sizeof(msg));
	assert_true(msg[0] != '\0');
	lk_password_policy_message(LK_PW_OK, 12, msg, sizeof(msg));
	assert_string_equal(msg, "");
	/* A small buffer is still terminated. */
	lk_password_policy_message(LK_PW_COMMON, 12, msg, 8);
	assert_int_equal(strlen(msg), 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(utf8_counts_code_points),
		cmocka_unit_test(utf8_refuses_malformed),
		cmocka_unit_test(common_list_complete),
		cmocka_unit_test(common_lookup),
		cmocka_unit_test(policy_length),
		cmocka_unit_test(policy_common_and_names),
		cmocka_unit_test(policy_messages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
