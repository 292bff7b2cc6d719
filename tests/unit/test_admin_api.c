/*
 * The admin API's handling of a request before the registry sees it
 * (src/endpoints/admin_api_json.c): the body's limits, the mapping of JSON
 * members onto struct lk_app_input and struct lk_user_input, and the paging
 * and search of lists.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "endpoints/admin_api.h"
#include "jose/cert.h"

static json_t *parse(const char *text)
{
	char why[LK_ADMIN_WHY] = "";
	json_t *o = NULL;

	assert_int_equal(lk_admin_json_parse(text, strlen(text), &o, why, sizeof(why)), LK_OK);
	assert_non_null(o);
	return o;
}

/* Asserts that text is refused as a body, with a reason containing what. */
static void refused_body(const char *text, const char *what)
{
	char why[LK_ADMIN_WHY] = "";
	json_t *o = NULL;

	assert_int_equal(lk_admin_json_parse(text, strlen(text), &o, why, sizeof(why)), LK_EINVAL);
	assert_null(o);
	assert_non_null(strstr(why, what));
}

static void body_shape_and_limits(void **state)
{
	char deep[64], many[4096];
	size_t n = 0;

	json_decref(parse("{}"));
	json_decref(parse("{\"scopes\":[\"api\"],\"s\":\"[[[[\"}"));
	refused_body("", "not JSON");
	refused_body("{\"a\":", "not JSON");
	refused_body("[]", "must be a JSON object");
	refused_body("\"x\"", "not JSON");
	refused_body("{\"a\":1,\"a\":2}", "not JSON");
	/* A NUL inside a string would cut a name short: refused. */
	refused_body("{\"a\":\"x\\u0000y\"}", "not JSON");
	/* Nesting is counted before parsing. */
	strcpy(deep, "{\"a\":[[[1]]]}");
	refused_body(deep, "nested");
	json_decref(parse("{\"a\":[[1]]}"));
	n += (size_t)snprintf(many + n, sizeof(many) - n, "{");
	for (int i = 0; i <= LK_ADMIN_JSON_MEMBERS; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n, "%s\"m%d\":1", i ? "," : "", i);
	snprintf(many + n, sizeof(many) - n, "}");
	refused_body(many, "more than");
}

static void app_input_maps_every_member(void **state)
{
	json_t *o = parse(
		"{\"name\":\"billing\",\"description\":null,\"website\":\"https://x.example\","
		"\"grant_type\":\"all\",\"scopes\":[\"api\",\"openid email\"],"
		"\"user\":null,\"redirect_strategy\":\"web\","
		"\"redirect_uris\":[\"https://a.example/cb\",\"https://b.example/cb\"],"
		"\"post_logout_redirect_uris\":[\"https://a.example/bye\"],"
		"\"lifetime\":90,\"lifecycle\":\"sliding\",\"client_type\":\"public\","
		"\"token_format\":\"opaque\",\"audience\":null,"
		"\"id_token_signed_response_alg\":\"ES256\","
		"\"userinfo_signed_response_alg\":null,\"first_party\":true,"
		"\"public_key\":\"-----BEGIN CERTIFICATE-----\"}");
	struct lk_app_input in;
	char num[LK_ADMIN_NUM], why[LK_ADMIN_WHY] = "";

	assert_int_equal(lk_admin_app_input(o, &in, num, why, sizeof(why)), LK_OK);
	assert_string_equal(in.name, "billing");
	assert_string_equal(in.description, "");
	assert_string_equal(in.website, "https://x.example");
	assert_string_equal(in.grant, "all");
	assert_int_equal(in.nscopes, 2);
	assert_string_equal(in.scopes[1], "openid email");
	assert_string_equal(in.user, "");
	assert_string_equal(in.strategy, "web");
	assert_int_equal(in.nredirect_uris, 2);
	assert_string_equal(in.redirect_uris[1], "https://b.example/cb");
	assert_int_equal(in.npost_logout_uris, 1);
	assert_string_equal(in.lifetime, "90");
	assert_ptr_equal(in.lifetime, num);
	assert_string_equal(in.lifecycle, "sliding");
	assert_string_equal(in.client_type, "public");
	assert_string_equal(in.token_format, "opaque");
	assert_string_equal(in.audience, "");
	assert_string_equal(in.id_token_alg, "ES256");
	assert_string_equal(in.userinfo_alg, "");
	assert_int_equal(in.first_party, 1);
	assert_int_equal(in.cert_len, strlen("-----BEGIN CERTIFICATE-----"));
	json_decref(o);
}

static void app_input_absent_means_not_given(void **state)
{
	json_t *o = parse("{\"scopes\":\"api openid\",\"lifetime\":\"never\"}");
	struct lk_app_input in;
	char num[LK_ADMIN_NUM], why[LK_ADMIN_WHY] = "";

	assert_int_equal(lk_admin_app_input(o, &in, num, why, sizeof(why)), LK_OK);
	assert_null(in.name);
	assert_null(in.grant);
	assert_null(in.user);
	assert_null(in.audience);
	assert_null(in.cert);
	assert_int_equal(in.nredirect_uris, 0);
	assert_int_equal(in.first_party, -1);
	/* One space-separated string: one entry, split by the registry. */
	assert_int_equal(in.nscopes, 1);
	assert_string_equal(in.scopes[0], "api openid");
	assert_string_equal(in.lifetime, "never");
	json_decref(o);
}

/* Asserts that the app body is refused with a reason containing what. */
static void refused_app(const char *text, const char *what)
{
	json_t *o = parse(text);
	struct lk_app_input in;
	char num[LK_ADMIN_NUM], why[LK_ADMIN_WHY] = "";

	memset(&in, 0x5a, sizeof(in));
	assert_int_equal(lk_admin_app_input(o, &in, num, why, sizeof(why)), LK_EINVAL);
	assert_non_null(strstr(why, what));
	/* Written only on success. */
	assert_int_equal(((unsigned char *)&in)[0], 0x5a);
	json_decref(o);
}

static void app_input_refuses_wrong_shapes(void **state)
{
	char big[LK_ADMIN_STRING_MAX + 64];
	struct lk_buf many;

	refused_app("{\"colour\":\"red\"}", "unknown member 'colour'");
	refused_app("{\"client_id\":\"x\"}", "unknown member 'client_id'");
	refused_app("{\"name\":null}", "name: must be a string");
	refused_app("{\"name\":7}", "name: must be a string");
	refused_app("{\"grant_type\":[\"all\"]}", "grant_type: must be a string");
	refused_app("{\"scopes\":[\"api\",1]}", "scopes: must be an array of strings");
	refused_app("{\"scopes\":{}}", "scopes: must be an array of strings");
	refused_app("{\"redirect_uris\":\"https://a.example/cb\"}",
		    "redirect_uris: must be an array");
	refused_app("{\"first_party\":\"yes\"}", "first_party: must be true or false");
	refused_app("{\"lifetime\":1.5}", "lifetime: must be a number of minutes");
	refused_app("{\"lifetime\":null}", "lifetime: must be a number of minutes");
	refused_app("{\"public_key\":null}", "public_key: must be a string");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "{\"audience\":\"", 13);
	memcpy(big + sizeof(big) - 3, "\"}", 2);
	refused_app(big, "audience: longer than");
	/* More URIs than the registry takes. */
	lk_buf_init(&many, 64 * 1024);
	lk_buf_addstr(&many, "{\"redirect_uris\":[");
	for (int i = 0; i <= LK_REGISTRY_MAX_LIST; i++)
		lk_buf_addstr(&many, i ? ",\"https://a.example/\"" : "\"https://a.example/\"");
	lk_buf_addstr(&many, "]}");
	refused_app(lk_buf_str(&many), "redirect_uris: at most");
	lk_buf_release(&many);
}

static void app_input_lifetime_numbers(void **state)
{
	json_t *o = parse("{\"lifetime\":-5}");
	struct lk_app_input in;
	char num[LK_ADMIN_NUM], why[LK_ADMIN_WHY] = "";

	/* Any integer goes on as text; the registry judges its range. */
	assert_int_equal(lk_admin_app_input(o, &in, num, why, sizeof(why)), LK_OK);
	assert_string_equal(in.lifetime, "-5");
	json_decref(o);
	o = parse("{\"lifetime\":9223372036854775807}");
	assert_int_equal(lk_admin_app_input(o, &in, num, why, sizeof(why)), LK_OK);
	assert_string_equal(in.lifetime, "9223372036854775807");
	json_decref(o);
}

static void user_input_adding_and_updating(void **state)
{
	json_t *o = parse("{\"user\":\"corp\\\\carol\",\"email\":\"c@example.com\","
			  "\"email_verified\":true,\"display_name\":\"Carol\",\"given_name\":null,"
			  "\"family_name\":\"C\",\"phone_number\":\"+1 555\",\"role\":\"admin\","
			  "\"enabled\":false,\"password\":\"secret words\"}");
	struct lk_user_input in;
	const char *pw = "unset";
	char why[LK_ADMIN_WHY] = "";

	assert_int_equal(lk_admin_user_input(o, true, &in, &pw, why, sizeof(why)), LK_OK);
	assert_string_equal(in.user, "corp\\carol");
	assert_string_equal(in.email, "c@example.com");
	assert_int_equal(in.email_verified, 1);
	assert_string_equal(in.display_name, "Carol");
	assert_string_equal(in.given_name, "");
	assert_string_equal(in.family_name, "C");
	assert_string_equal(in.phone, "+1 555");
	assert_string_equal(in.role, "admin");
	assert_int_equal(in.enabled, 0);
	assert_string_equal(pw, "secret words");
	/* Updating: the name cannot change, and a password has its own resource. */
	assert_int_equal(lk_admin_user_input(o, false, &in, NULL, why, sizeof(why)), LK_EINVAL);
	assert_non_null(strstr(why, "cannot be changed"));
	json_decref(o);

	o = parse("{\"password\":\"x\"}");
	assert_int_equal(lk_admin_user_input(o, false, &in, NULL, why, sizeof(why)), LK_EINVAL);
	assert_non_null(strstr(why, "unknown member 'password'"));
	json_decref(o);

	o = parse("{\"display_name\":\"D\"}");
	assert_int_equal(lk_admin_user_input(o, false, &in, NULL, why, sizeof(why)), LK_OK);
	assert_string_equal(in.display_name, "D");
	assert_null(in.email);
	assert_int_equal(in.email_verified, -1);
	assert_int_equal(in.enabled, -1);
	/* Adding needs a name. */
	pw = "unset";
	assert_int_equal(lk_admin_user_input(o, true, &in, &pw, why, sizeof(why)), LK_EINVAL);
	assert_non_null(strstr(why, "user: required"));
	assert_string_equal(pw, "unset");
	json_decref(o);

	o = parse("{\"user\":\"dave\",\"password\":null}");
	assert_int_equal(lk_admin_user_input(o, true, &in, &pw, why, sizeof(why)), LK_OK);
	assert_null(pw);
	json_decref(o);

	o = parse("{\"user\":\"dave\",\"enabled\":1}");
	assert_int_equal(lk_admin_user_input(o, true, &in, &pw, why, sizeof(why)), LK_EINVAL);
	assert_non_null(strstr(why, "enabled: must be true or false"));
	json_decref(o);
}

/* A query string as the HTTP layer parses it. */
static struct lk_params query(struct lk_arena *a, const char *qs)
{
	struct lk_params p = {0};

	assert_int_equal(lk_form_parse(a, qs, strlen(qs), 16, false, &p, NULL), LK_OK);
	return p;
}

static void page_parse_defaults_and_bounds(void **state)
{
	struct lk_arena *a = lk_arena_new(64 * 1024);
	struct lk_admin_page p;
	struct lk_params q;
	char why[LK_ADMIN_WHY] = "";
	char longq[LK_ADMIN_Q_MAX + 8];

	assert_non_null(a);
	q = query(a, "");
	assert_int_equal(lk_admin_page_parse(&q, &p, why, sizeof(why)), LK_OK);
	assert_null(p.q);
	assert_int_equal(p.offset, 0);
	assert_int_equal(p.limit, LK_ADMIN_LIST_DEFAULT);
	q = query(a, "q=Bill&offset=10&limit=500");
	assert_int_equal(lk_admin_page_parse(&q, &p, why, sizeof(why)), LK_OK);
	assert_string_equal(p.q, "Bill");
	assert_int_equal(p.offset, 10);
	assert_int_equal(p.limit, 500);
	/* An empty q matches everything. */
	q = query(a, "q=");
	assert_int_equal(lk_admin_page_parse(&q, &p, why, sizeof(why)), LK_OK);
	assert_null(p.q);

	static const char *const bad[] = {"limit=0",	"limit=501",
					  "limit=-1",	"limit=1x",
					  "limit=",	"offset=-1",
					  "offset=1e3", "offset=99999999999",
					  "limit= 5",	"limit=+5"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p.limit = 7;
		q = query(a, bad[i]);
		assert_int_equal(lk_admin_page_parse(&q, &p, why, sizeof(why)), LK_EINVAL);
		assert_int_equal(p.limit, 7);
	}
	memset(longq, 'a', sizeof(longq) - 1);
	longq[sizeof(longq) - 1] = '\0';
	memcpy(longq, "q=", 2);
	q = query(a, longq);
	assert_int_equal(lk_admin_page_parse(&q, &p, why, sizeof(why)), LK_EINVAL);
	assert_non_null(strstr(why, "q: longer than"));
	lk_arena_free(a);
}

static void page_match_and_take(void **state)
{
	struct lk_admin_page p = {.q = "BILL", .offset = 1, .limit = 2};
	const char *names[] = {"billing", "Biller", "payroll", "billboard", "rebill", "x"};
	const char *none[] = {NULL, "payroll"};
	size_t taken[6], nt = 0;
	json_t *items, *page;

	for (size_t i = 0; i < 6; i++) {
		const char *f[] = {names[i], NULL};

		if (lk_admin_page_match(&p, f, 2) && lk_admin_page_take(&p))
			taken[nt++] = i;
	}
	/* Matches: billing, Biller, billboard, rebill; the page is the 2nd and 3rd. */
	assert_int_equal(p.total, 4);
	assert_int_equal(nt, 2);
	assert_int_equal(taken[0], 1);
	assert_int_equal(taken[1], 3);
	assert_false(lk_admin_page_match(&p, none, 2));
	p.q = NULL;
	assert_true(lk_admin_page_match(&p, none, 2));

	items = json_array();
	page = lk_admin_page_json(&p, items);
	assert_non_null(page);
	assert_int_equal(json_integer_value(json_object_get(page, "total")), 4);
	assert_int_equal(json_integer_value(json_object_get(page, "offset")), 1);
	assert_int_equal(json_integer_value(json_object_get(page, "limit")), 2);
	assert_ptr_equal(json_object_get(page, "items"), items);
	json_decref(page);
	assert_null(lk_admin_page_json(&p, NULL));
}

static void page_past_the_end_is_empty(void **state)
{
	struct lk_admin_page p = {.offset = 5, .limit = 3};

	for (int i = 0; i < 5; i++)
		assert_false(lk_admin_page_take(&p));
	assert_true(lk_admin_page_take(&p));
	assert_true(lk_admin_page_take(&p));
	assert_true(lk_admin_page_take(&p));
	assert_false(lk_admin_page_take(&p));
	assert_int_equal(p.total, 9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(body_shape_and_limits),
		cmocka_unit_test(app_input_maps_every_member),
		cmocka_unit_test(app_input_absent_means_not_given),
		cmocka_unit_test(app_input_refuses_wrong_shapes),
		cmocka_unit_test(app_input_lifetime_numbers),
		cmocka_unit_test(user_input_adding_and_updating),
		cmocka_unit_test(page_parse_defaults_and_bounds),
		cmocka_unit_test(page_match_and_take),
		cmocka_unit_test(page_past_the_end_is_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
