/* Redirect URI parsing, registration rules and matching. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "oauth/redirect_uri.h"

static void test_parse(void **state)
{
	struct lk_uri u;

	assert_true(lk_uri_parse("https://app.example.com/cb?x=1", &u));
	assert_int_equal(u.scheme_len, 5);
	assert_int_equal(u.host_len, strlen("app.example.com"));
	assert_int_equal(u.port, -1);
	assert_string_equal(u.rest, "/cb?x=1");
	assert_true(lk_uri_parse("http://[::1]:8080/x", &u));
	assert_true(u.host_ipv6);
	assert_int_equal(u.port, 8080);
	assert_true(lk_uri_parse("https://h", &u));
	assert_string_equal(u.rest, "");

	assert_false(lk_uri_parse("/relative/path", &u));
	assert_false(lk_uri_parse("https:/one-slash", &u));
	assert_false(lk_uri_parse("https://", &u));
	assert_false(lk_uri_parse("https://h:0/", &u));
	assert_false(lk_uri_parse("https://h:65536/", &u));
	assert_false(lk_uri_parse("https://h:80x/", &u));
	assert_false(lk_uri_parse("https://h ost/", &u));
	assert_false(lk_uri_parse("https://h/\\evil.com", &u));
	assert_false(lk_uri_parse("https://h/\x01", &u));
	assert_false(lk_uri_parse("https://h/\xc3\xa9", &u));
	assert_false(lk_uri_parse("https://[::1/", &u));
	assert_false(lk_uri_parse("1https://h/", &u));
}

static void check(const char *uri, enum lk_strategy s, bool ok, const char *why_part)
{
	char why[160] = "";

	assert_int_equal(lk_redirect_uri_check(uri, s, why, sizeof(why)), ok);
	if (!ok)
		assert_non_null(strstr(why, why_part));
}

static void test_register_rules(void **state)
{
	check("https://app.example.com/cb", LK_STRATEGY_WEB, true, NULL);
	check("http://app.example.com/cb", LK_STRATEGY_WEB, false, "https");
	check("https://app.example.com/cb#frag", LK_STRATEGY_WEB, false, "fragment");
	check("https://user:pw@app.example.com/cb", LK_STRATEGY_WEB, false, "user information");
	check("cb", LK_STRATEGY_WEB, false, "absolute");
	check("http://127.0.0.1/cb", LK_STRATEGY_WEB, false, "https");
	check("http://127.0.0.1/cb", LK_STRATEGY_MOBILE_LOCALHOST, true, NULL);
	check("http://127.0.0.1:7000/cb", LK_STRATEGY_MOBILE_LOCALHOST, true, NULL);
	check("http://[::1]/cb", LK_STRATEGY_MOBILE_LOCALHOST, true, NULL);
	check("https://localhost:8443/cb", LK_STRATEGY_MOBILE_LOCALHOST, true, NULL);
	check("http://localhost/cb", LK_STRATEGY_MOBILE_LOCALHOST, false, "loopback");
	check("https://app.example.com/cb", LK_STRATEGY_MOBILE_LOCALHOST, false, "loopback");
	check("http://127.0.0.2/cb", LK_STRATEGY_MOBILE_LOCALHOST, false, "loopback");
}

static void test_match(void **state)
{
	const char *web = "https://a.example.com/cb https://b.example.com/cb?x=1";
	const char *loop = "http://127.0.0.1/cb http://[::1]:5000/native";

	assert_true(lk_redirect_uri_match(web, "https://a.example.com/cb", LK_STRATEGY_WEB));
	assert_true(lk_redirect_uri_match(web, "https://b.example.com/cb?x=1", LK_STRATEGY_WEB));
	/* Exact string match only: no prefix, case, port or query games. */
	assert_false(lk_redirect_uri_match(web, "https://a.example.com/cb/", LK_STRATEGY_WEB));
	assert_false(lk_redirect_uri_match(web, "https://a.example.com/c", LK_STRATEGY_WEB));
	assert_false(lk_redirect_uri_match(web, "https://A.example.com/cb", LK_STRATEGY_WEB));
	assert_false(lk_redirect_uri_match(web, "https://a.example.com:443/cb", LK_STRATEGY_WEB));
	assert_false(lk_redirect_uri_match(web, "https://a.example.com/cb?y", LK_STRATEGY_WEB));
	assert_false(lk_redirect_uri_match(web, "https://evil.com/cb", LK_STRATEGY_WEB));
	assert_false(lk_redirect_uri_match(web, "", LK_STRATEGY_WEB));

	/* RFC 8252 §7.3: any port for loopback, the rest exact. */
	assert_true(lk_redirect_uri_match(loop, "http://127.0.0.1:49152/cb",
					  LK_STRATEGY_MOBILE_LOCALHOST));
	assert_true(lk_redirect_uri_match(loop, "http://127.0.0.1/cb",
					  LK_STRATEGY_MOBILE_LOCALHOST));
	assert_true(lk_redirect_uri_match(loop, "http://[::1]:6000/native",
					  LK_STRATEGY_MOBILE_LOCALHOST));
	assert_false(lk_redirect_uri_match(loop, "http://127.0.0.1:49152/cb2",
					   LK_STRATEGY_MOBILE_LOCALHOST));
	assert_false(lk_redirect_uri_match(loop, "http://127.0.0.1:49152/cb?x",
					   LK_STRATEGY_MOBILE_LOCALHOST));
	assert_false(lk_redirect_uri_match(loop, "https://127.0.0.1:49152/cb",
					   LK_STRATEGY_MOBILE_LOCALHOST));
	assert_false(lk_redirect_uri_match(loop, "http://u@127.0.0.1:49152/cb",
					   LK_STRATEGY_MOBILE_LOCALHOST));
	assert_false(lk_redirect_uri_match(loop, "http://127.0.0.1.evil.com/cb",
					   LK_STRATEGY_MOBILE_LOCALHOST));
	/* The port is ignored only for the loopback strategy. */
	assert_false(lk_redirect_uri_match(loop, "http://127.0.0.1:49152/cb", LK_STRATEGY_WEB));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_register_rules),
		cmocka_unit_test(test_match),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
