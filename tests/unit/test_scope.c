/*
 * Scope lists (src/oauth/scope.c): lk_scope_covers and lk_scope_grant, with
 * RFC 6749 §3.3's rules on what a scope value may hold.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "oauth/scope.h"

static void covers_exact_words(void **state)
{
	assert_true(lk_scope_covers("api openid", "api"));
	assert_true(lk_scope_covers("api openid", "openid api"));
	assert_true(lk_scope_covers("api openid", "api api"));
	/* Words compare whole and case-sensitively. */
	assert_false(lk_scope_covers("api openid", "ap"));
	assert_false(lk_scope_covers("apis", "api"));
	assert_false(lk_scope_covers("api", "apis"));
	assert_false(lk_scope_covers("api", "API"));
	assert_false(lk_scope_covers("api openid", "api email"));
	assert_true(lk_scope_covers("reports:read files:write", "files:write"));
}

static void covers_empty_and_null(void **state)
{
	assert_true(lk_scope_covers("api", ""));
	assert_true(lk_scope_covers("api", NULL));
	assert_true(lk_scope_covers("", ""));
	assert_true(lk_scope_covers(NULL, "  "));
	assert_false(lk_scope_covers("", "api"));
	assert_false(lk_scope_covers(NULL, "api"));
	/* Extra spaces separate the same words. */
	assert_true(lk_scope_covers("  api   openid ", " openid  api  "));
}

/* lk_scope_grant succeeds and grants exactly want. */
static void grant_is(const char *requested, const char *allowed, const char *want)
{
	char *out = NULL;

	assert_int_equal(lk_scope_grant(requested, allowed, &out), LK_OK);
	assert_non_null(out);
	assert_string_equal(out, want);
	free(out);
}

static void grant_all_when_nothing_requested(void **state)
{
	grant_is(NULL, "api openid email", "api openid email");
	grant_is("", "api openid email", "api openid email");
	grant_is("   ", "api openid", "api openid");
	grant_is(NULL, "", "");
	grant_is(NULL, NULL, "");
	/* The result is normalised to single spaces. */
	grant_is(NULL, " api   openid ", "api openid");
}

static void grant_intersection_in_allowed_order(void **state)
{
	grant_is("email api", "api openid email", "api email");
	grant_is("api", "api openid", "api");
	/* Unknown or disallowed scopes are dropped (RFC 6749 §3.3). */
	grant_is("api admin", "api openid", "api");
	grant_is("admin", "api openid", "");
	grant_is("API", "api", "");
	/* Repeats in the request or in the allowed list give one copy. */
	grant_is("api api openid", "api openid", "api openid");
	grant_is("api", "api api", "api");
	grant_is("a:b c!d", "c!d a:b", "c!d a:b");
}

static void grant_refuses_malformed_requests(void **state)
{
	static const char *const bad[] = {
		"api\topenid", "api\nopenid", "\"api\"", "api\\x", "caf\xc3\xa9", "api\x7f",
	};
	char *out = (char *)"untouched";

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(lk_scope_grant(bad[i], "api openid", &out), LK_EPARSE);
		assert_string_equal(out, "untouched");
	}
}

static void grant_refuses_overlong_requests(void **state)
{
	char *req = malloc(LK_SCOPE_MAX + 2);
	char *out = NULL;

	assert_non_null(req);
	memset(req, 'a', LK_SCOPE_MAX + 1);
	req[LK_SCOPE_MAX + 1] = '\0';
	assert_int_equal(lk_scope_grant(req, "api", &out), LK_EPARSE);
	assert_null(out);
	/* Exactly the limit is accepted. */
	req[LK_SCOPE_MAX] = '\0';
	req[0] = 'x';
	assert_int_equal(lk_scope_grant(req, "api", &out), LK_OK);
	assert_string_equal(out, "");
	free(out);
	free(req);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(covers_exact_words),
		cmocka_unit_test(covers_empty_and_null),
		cmocka_unit_test(grant_all_when_nothing_requested),
		cmocka_unit_test(grant_intersection_in_allowed_order),
		cmocka_unit_test(grant_refuses_malformed_requests),
		cmocka_unit_test(grant_refuses_overlong_requests),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
