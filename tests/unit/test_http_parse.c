/*
 * The HTTP layer's parsers and helpers, without sockets: form and query
 * strings, cookies, the Basic and Bearer schemes, routing and responses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>
#include <time.h>
#include <jansson.h>

#include "core/log.h"
#include "http/http.h"
#include "http/internal.h"
#include "http/slowpool.h"

static struct lk_arena *A;

static int setup(void **state)
{
	A = lk_arena_new(LK_HTTP_ARENA_MAX);
	return A ? 0 : -1;
}

static int teardown(void **state)
{
	lk_arena_free(A);
	A = NULL;
	return 0;
}

static enum lk_err form(const char *s, size_t max, bool dup, struct lk_params *out,
			const char **dup_name)
{
	return lk_form_parse(A, s, strlen(s), max, dup, out, dup_name);
}

static void test_form_basic(void **state)
{
	struct lk_params p = {0};

	assert_int_equal(form("a=1&b=hello+world&c=%41%62%2b&d", 10, false, &p, NULL), LK_OK);
	assert_int_equal(p.n, 4);
	assert_string_equal(lk_params_get(&p, "a"), "1");
	assert_string_equal(lk_params_get(&p, "b"), "hello world");
	assert_string_equal(lk_params_get(&p, "c"), "Ab+");
	assert_string_equal(lk_params_get(&p, "d"), "");
	assert_int_equal(p.items[2].value_len, 3);
	assert_null(lk_params_get(&p, "A"));
	assert_null(lk_params_get(&p, "e"));
	assert_string_equal(p.items[0].name, "a");
	assert_string_equal(p.items[3].name, "d");
}

static void test_form_empty_pairs(void **state)
{
	struct lk_params p = {0};

	assert_int_equal(form("&&a=1&&&b=2&", 2, false, &p, NULL), LK_OK);
	assert_int_equal(p.n, 2);
	assert_string_equal(lk_params_get(&p, "b"), "2");
	assert_int_equal(form("", 0, false, &p, NULL), LK_OK);
	assert_int_equal(p.n, 0);
	assert_null(lk_params_get(&p, "a"));
	assert_int_equal(lk_form_parse(A, NULL, 0, 5, false, &p, NULL), LK_OK);
	assert_int_equal(p.n, 0);
	/* '=' alone is a pair with an empty name and value. */
	assert_int_equal(form("=", 1, false, &p, NULL), LK_OK);
	assert_int_equal(p.n, 1);
	assert_string_equal(p.items[0].name, "");
	/* Names and values keep '=' after the first one. */
	assert_int_equal(form("k=a=b", 1, false, &p, NULL), LK_OK);
	assert_string_equal(lk_params_get(&p, "k"), "a=b");
}

static void test_form_errors(void **state)
{
	struct lk_params p = {(struct lk_param *)1, 42};
	const char *dup = NULL;
	static const char *const bad[] = {"a=%", "a=%4",  "a=%zz",  "a=%4g",
					  "%=1", "a=%00", "a%00=1", "x=1&a=50%"};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(form(bad[i], 10, false, &p, NULL), LK_EPARSE);
	/* A raw NUL inside the given length is refused too. */
	assert_int_equal(lk_form_parse(A, "a=1\0b", 5, 10, false, &p, NULL), LK_EPARSE);
	assert_int_equal(form("a=1&b=2&c=3", 2, false, &p, NULL), LK_ETOOMANY);
	assert_int_equal(form("a=1", 0, false, &p, NULL), LK_ETOOMANY);
	assert_int_equal(form("a=1&b=2&a=3", 10, false, &p, &dup), LK_EDUP);
	assert_non_null(dup);
	assert_string_equal(dup, "a");
	/* Encoded names are compared after decoding. */
	dup = NULL;
	assert_int_equal(form("scope=x&sc%6Fpe=y", 10, false, &p, &dup), LK_EDUP);
	assert_string_equal(dup, "scope");
	assert_int_equal(form("a=1&a=2", 10, false, &p, NULL), LK_EDUP);
	/* Nothing was written on failure. */
	assert_ptr_equal(p.items, (struct lk_param *)1);
	assert_int_equal(p.n, 42);
	assert_int_equal(form("a=1&a=2", 10, true, &p, &dup), LK_OK);
	assert_int_equal(p.n, 2);
	assert_string_equal(lk_params_get(&p, "a"), "1");
}

static void test_form_arena_limit(void **state)
{
	struct lk_arena *small = lk_arena_new(64);
	struct lk_params p = {0};
	char big[200];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[0] = 'a';
	big[1] = '=';
	assert_int_equal(lk_form_parse(small, big, strlen(big), 10, false, &p, NULL), LK_ENOMEM);
	lk_arena_free(small);
}

static void test_params_nocase(void **state)
{
	struct lk_param items[] = {{"Content-Type", "text/plain", 10}, {"X-A", "1", 1}};
	struct lk_params p = {items, 2};
	struct lk_request req;

	memset(&req, 0, sizeof(req));
	req.headers = p;
	assert_string_equal(lk_params_get_nocase(&p, "content-type"), "text/plain");
	assert_string_equal(lk_req_header(&req, "x-a"), "1");
	assert_null(lk_req_header(&req, "x-b"));
	assert_null(lk_params_get(&p, "content-type"));
	assert_null(lk_params_get(NULL, "a"));
	assert_null(lk_params_get_nocase(NULL, "a"));
}

static void test_urldecode(void **state)
{
	char *out = NULL;
	size_t n = 0;

	assert_int_equal(lk_http_urldecode(A, "/a%2Fb+c", 8, false, &out, &n), LK_OK);
	assert_string_equal(out, "/a/b+c");
	assert_int_equal(n, 6);
	assert_int_equal(lk_http_urldecode(A, "a+b", 3, true, &out, &n), LK_OK);
	assert_string_equal(out, "a b");
	assert_int_equal(lk_http_urldecode(A, "%e2%82%ac", 9, true, &out, &n), LK_OK);
	assert_string_equal(out, "\xe2\x82\xac");
	assert_int_equal(lk_http_urldecode(A, "/%00", 4, false, &out, &n), LK_EPARSE);
	assert_int_equal(lk_http_urldecode(A, "%", 1, false, &out, &n), LK_EPARSE);
	assert_true(lk_http_ieq("Basic", "bASIC"));
	assert_false(lk_http_ieq("Basic", "Basi"));
	assert_true(lk_http_ieqn("Bearer xyz", "bearer", 6));
	assert_false(lk_http_ieqn("Bear", "bearer", 6));
}

static void test_cookie(void **state)
{
	struct lk_params p = {0};

	assert_int_equal(lk_cookie_parse(A, "a=1; b=\"two\";c=%41 ;  d = x ", 10, &p), LK_OK);
	assert_int_equal(p.n, 4);
	assert_string_equal(lk_params_get(&p, "a"), "1");
	assert_string_equal(lk_params_get(&p, "b"), "two");
	assert_string_equal(lk_params_get(&p, "c"), "%41");
	assert_string_equal(lk_params_get(&p, "d"), "x");
	assert_int_equal(lk_cookie_parse(A, "a=1; a=2; ;", 10, &p), LK_OK);
	assert_int_equal(p.n, 2);
	assert_string_equal(p.items[1].value, "2");
	assert_int_equal(lk_cookie_parse(A, "e=; f=\"\"; g=\"", 10, &p), LK_OK);
	assert_string_equal(lk_params_get(&p, "e"), "");
	assert_string_equal(lk_params_get(&p, "f"), "");
	assert_string_equal(lk_params_get(&p, "g"), "\"");
	assert_int_equal(lk_cookie_parse(A, "", 10, &p), LK_OK);
	assert_int_equal(p.n, 0);
	assert_int_equal(lk_cookie_parse(A, NULL, 10, &p), LK_OK);
	assert_int_equal(p.n, 0);
}

static void test_cookie_errors(void **state)
{
	struct lk_params p = {(struct lk_param *)1, 7};
	char *big;

	assert_int_equal(lk_cookie_parse(A, "=1", 10, &p), LK_EPARSE);
	assert_int_equal(lk_cookie_parse(A, "a=1; =2", 10, &p), LK_EPARSE);
	assert_int_equal(lk_cookie_parse(A, "a=1; novalue", 10, &p), LK_EPARSE);
	assert_int_equal(lk_cookie_parse(A, "a=1; b=2; c=3", 2, &p), LK_ETOOMANY);
	big = malloc(LK_HTTP_MAX_COOKIE_HEADER + 10);
	assert_non_null(big);
	memset(big, 'a', LK_HTTP_MAX_COOKIE_HEADER + 9);
	big[LK_HTTP_MAX_COOKIE_HEADER + 9] = '\0';
	big[1] = '=';
	assert_int_equal(lk_cookie_parse(A, big, 10, &p), LK_ETOOBIG);
	free(big);
	assert_ptr_equal(p.items, (struct lk_param *)1);
	assert_int_equal(p.n, 7);
}

static void test_basic_ok(void **state)
{
	const char *u = NULL, *pw = NULL;

	/* "Aladdin:open sesame" (RFC 7617 §2). */
	assert_int_equal(lk_basic_auth_parse(A, "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", &u, &pw),
			 LK_OK);
	assert_string_equal(u, "Aladdin");
	assert_string_equal(pw, "open sesame");
	/* Scheme in any case, several spaces, password with ':'. "a:b:c" */
	assert_int_equal(lk_basic_auth_parse(A, "bAsIc   YTpiOmM=", &u, &pw), LK_OK);
	assert_string_equal(u, "a");
	assert_string_equal(pw, "b:c");
	/* Unpadded: "a:b:c" without its '='. */
	assert_int_equal(lk_basic_auth_parse(A, "Basic YTpiOmM", &u, &pw), LK_OK);
	assert_string_equal(pw, "b:c");
	/* Empty password: "ab:" */
	assert_int_equal(lk_basic_auth_parse(A, "Basic YWI6", &u, &pw), LK_OK);
	assert_string_equal(u, "ab");
	assert_string_equal(pw, "");
	/* Form-encoded parts are decoded: "my%20id:p%3Aw+d" */
	assert_int_equal(lk_basic_auth_parse(A, "Basic bXklMjBpZDpwJTNBdytk", &u, &pw), LK_OK);
	assert_string_equal(u, "my id");
	assert_string_equal(pw, "p:w d");
	/* ...and a part that does not decode is taken as sent: "id:50%" */
	assert_int_equal(lk_basic_auth_parse(A, "Basic aWQ6NTAl", &u, &pw), LK_OK);
	assert_string_equal(u, "id");
	assert_string_equal(pw, "50%");
	/* ':' alone: both empty. */
	assert_int_equal(lk_basic_auth_parse(A, "Basic Og==", &u, &pw), LK_OK);
	assert_string_equal(u, "");
	assert_string_equal(pw, "");
}

static void test_basic_errors(void **state)
{
	const char *u = "unchanged", *pw = "unchanged";
	static const char *const bad[] = {
		"Basic",	   "Basic ",
		"Basic QWxh ZGRp", "Basic QWxhZGRpbg==", /* no ':' */
		"Basic Q===",	   "Basic QQ=Q",
		"Basic Q",	   "Basic QWx!",
		"Basic YTpi\t",	   "Basic =",
		"Basic QQ=",	   "Basic YQBiOmM=", /* NUL */
		"Basic YTpi YTpi",
	};
	size_t i;
	char *big;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		enum lk_err err = lk_basic_auth_parse(A, bad[i], &u, &pw);
		if (err != LK_EPARSE)
			fail_msg("'%s' gave %s", bad[i], lk_err_name(err));
	}
	assert_int_equal(lk_basic_auth_parse(A, NULL, &u, &pw), LK_ENOTFOUND);
	assert_int_equal(lk_basic_auth_parse(A, "Bearer abc", &u, &pw), LK_ENOTFOUND);
	assert_int_equal(lk_basic_auth_parse(A, "BasicQWxh", &u, &pw), LK_ENOTFOUND);
	assert_int_equal(lk_basic_auth_parse(A, "", &u, &pw), LK_ENOTFOUND);
	big = malloc(LK_HTTP_MAX_AUTH_HEADER + 16);
	assert_non_null(big);
	memcpy(big, "Basic ", 6);
	memset(big + 6, 'Q', LK_HTTP_MAX_AUTH_HEADER + 8);
	big[LK_HTTP_MAX_AUTH_HEADER + 14] = '\0';
	assert_int_equal(lk_basic_auth_parse(A, big, &u, &pw), LK_EPARSE);
	free(big);
	assert_string_equal(u, "unchanged");
	assert_string_equal(pw, "unchanged");
}

static void test_bearer(void **state)
{
	const char *t = NULL;
	static const char *const bad[] = {
		"Bearer",     "Bearer ",      "Bearer  abc", "Bearer a b", "Bearer a=b",
		"Bearer ===", "Bearer abc\t", "Bearer ab,c", "Bearer ab%c"};
	size_t i;
	char *big;

	assert_int_equal(lk_bearer_parse("Bearer lk_at_abc-._~+/9==", &t), LK_OK);
	assert_string_equal(t, "lk_at_abc-._~+/9==");
	assert_int_equal(lk_bearer_parse("bearer x", &t), LK_OK);
	assert_string_equal(t, "x");
	t = "unchanged";
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		enum lk_err err = lk_bearer_parse(bad[i], &t);
		if (err != LK_EPARSE)
			fail_msg("'%s' gave %s", bad[i], lk_err_name(err));
	}
	assert_int_equal(lk_bearer_parse(NULL, &t), LK_ENOTFOUND);
	assert_int_equal(lk_bearer_parse("Basic abc", &t), LK_ENOTFOUND);
	assert_int_equal(lk_bearer_parse("Bearerabc", &t), LK_ENOTFOUND);
	big = malloc(LK_HTTP_MAX_AUTH_HEADER + 16);
	assert_non_null(big);
	memcpy(big, "Bearer ", 7);
	memset(big + 7, 'a', LK_HTTP_MAX_AUTH_HEADER + 8);
	big[LK_HTTP_MAX_AUTH_HEADER + 15] = '\0';
	assert_int_equal(lk_bearer_parse(big, &t), LK_EPARSE);
	free(big);
	assert_string_equal(t, "unchanged");
}

static void h(void *ctx, struct lk_request *req, struct lk_response *res)
{
}

static const struct lk_route routes[] = {
	{"GET", "/a", false, h},      {"POST", "/a", false, h},
	{"GET,POST", "/b", false, h}, {"DELETE, PUT", "/scim/v2/", true, h},
	{NULL, "/any", false, h},     {"POST", "/post", false, h},
};
#define NROUTES (sizeof(routes) / sizeof(routes[0]))

static void test_router(void **state)
{
	bool ok = false;

	assert_ptr_equal(lk_router_match(routes, NROUTES, "GET", "/a", &ok), &routes[0]);
	assert_true(ok);
	assert_ptr_equal(lk_router_match(routes, NROUTES, "POST", "/a", &ok), &routes[1]);
	assert_true(ok);
	assert_ptr_equal(lk_router_match(routes, NROUTES, "HEAD", "/a", &ok), &routes[0]);
	assert_true(ok);
	assert_ptr_equal(lk_router_match(routes, NROUTES, "POST", "/b", &ok), &routes[2]);
	assert_true(ok);
	assert_ptr_equal(lk_router_match(routes, NROUTES, "PUT", "/scim/v2/Users/1", &ok),
			 &routes[3]);
	assert_true(ok);
	assert_ptr_equal(lk_router_match(routes, NROUTES, "PATCH", "/any", &ok), &routes[4]);
	assert_true(ok);
	/* Method names are case-sensitive; a path match without the method is a 405. */
	assert_ptr_equal(lk_router_match(routes, NROUTES, "get", "/a", &ok), &routes[0]);
	assert_false(ok);
	assert_ptr_equal(lk_router_match(routes, NROUTES, "GET", "/scim/v2/x", &ok), &routes[3]);
	assert_false(ok);
	assert_ptr_equal(lk_router_match(routes, NROUTES, "HEAD", "/post", &ok), &routes[5]);
	assert_false(ok);
	/* Exact routes do not match longer paths, prefixes need their full text. */
	assert_null(lk_router_match(routes, NROUTES, "GET", "/a/", &ok));
	assert_false(ok);
	assert_null(lk_router_match(routes, NROUTES, "PUT", "/scim/v2", &ok));
	assert_ptr_equal(lk_router_match(routes, NROUTES, "GET", "/b", &ok), &routes[2]);
	assert_true(ok);
	assert_null(lk_router_match(NULL, 0, "GET", "/a", &ok));
}

static void test_router_allow(void **state)
{
	char allow[64];

	assert_int_equal(lk_router_allow(routes, NROUTES, "/a", allow, sizeof(allow)), LK_OK);
	assert_string_equal(allow, "GET, HEAD, POST");
	assert_int_equal(lk_router_allow(routes, NROUTES, "/scim/v2/Groups", allow, sizeof(allow)),
			 LK_OK);
	assert_string_equal(allow, "DELETE, PUT");
	assert_int_equal(lk_router_allow(routes, NROUTES, "/post", allow, sizeof(allow)), LK_OK);
	assert_string_equal(allow, "POST");
	assert_int_equal(lk_router_allow(routes, NROUTES, "/none", allow, sizeof(allow)), LK_OK);
	assert_string_equal(allow, "");
	assert_int_equal(lk_router_allow(routes, NROUTES, "/a", allow, 8), LK_ETOOBIG);
	assert_string_equal(allow, "");
}

static const char *res_header(const struct lk_response *res, const char *name)
{
	size_t i;

	for (i = 0; i < res->nheaders; i++)
		if (strcmp(res->headers[i].name, name) == 0)
			return res->headers[i].value;
	return NULL;
}

static void test_response(void **state)
{
	struct lk_response res;
	json_t *v;
	int i;

	lk_res_init(&res, A);
	assert_int_equal(res.status, 0);
	lk_res_json(&res, 201, "{\"a\":1}");
	assert_int_equal(res.status, 201);
	assert_string_equal(res.content_type, "application/json");
	assert_string_equal(lk_buf_str(&res.body), "{\"a\":1}");
	v = json_pack("{s:s, s:i}", "b", "x y", "n", 3);
	lk_res_json_value(&res, 200, v);
	assert_string_equal(lk_buf_str(&res.body), "{\"b\":\"x y\",\"n\":3}");
	lk_res_json_error(&res, 400, "invalid_request", "bad \"thing\"");
	assert_int_equal(res.status, 400);
	assert_string_equal(
		lk_buf_str(&res.body),
		"{\"error\":\"invalid_request\",\"error_description\":\"bad \\\"thing\\\"\"}");
	lk_res_json_error(&res, 401, "invalid_client", NULL);
	assert_string_equal(lk_buf_str(&res.body), "{\"error\":\"invalid_client\"}");
	assert_int_equal(lk_res_header(&res, "X-A", "1"), LK_OK);
	assert_int_equal(lk_res_header(&res, "X-B", "a\r\nSet-Cookie: x=1"), LK_EINVAL);
	assert_int_equal(lk_res_header(&res, "X-B", "a\nb"), LK_EINVAL);
	assert_int_equal(lk_res_header(&res, "Bad Name", "v"), LK_EINVAL);
	assert_int_equal(lk_res_header(&res, "", "v"), LK_EINVAL);
	assert_int_equal(res.nheaders, 1);
	for (i = 1; i < LK_HTTP_MAX_RESPONSE_HEADERS; i++)
		assert_int_equal(lk_res_header(&res, "X-N", "v"), LK_OK);
	assert_int_equal(lk_res_header(&res, "X-N", "v"), LK_ETOOMANY);
	lk_res_release(&res);
	assert_null(res.body.data);
}

static void test_response_html_redirect(void **state)
{
	struct lk_response res;

	lk_res_init(&res, A);
	lk_res_no_store(&res);
	lk_res_html(&res, 200, "<p>hi</p>");
	assert_int_equal(res.status, 200);
	assert_string_equal(res.content_type, "text/html; charset=utf-8");
	assert_non_null(
		strstr(res_header(&res, "Content-Security-Policy"), "frame-ancestors 'none'"));
	assert_string_equal(res_header(&res, "X-Frame-Options"), "DENY");
	assert_string_equal(res_header(&res, "Referrer-Policy"), "no-referrer");
	assert_string_equal(res_header(&res, "Cache-Control"), "no-store");
	assert_string_equal(res_header(&res, "Pragma"), "no-cache");
	assert_null(strstr(res_header(&res, "Content-Security-Policy"), "unsafe-inline"));
	/* Cache-Control was set twice but is sent once. */
	assert_int_equal(res.nheaders, 5);
	lk_res_release(&res);

	/* A page whose form ends in a redirect to an application allows that origin. */
	lk_res_init(&res, A);
	lk_res_html_to(&res, 200, "<p>hi</p>", "https://app.example");
	assert_non_null(strstr(res_header(&res, "Content-Security-Policy"),
			       "form-action 'self' https://app.example"));
	lk_res_release(&res);
	lk_res_init(&res, A);
	lk_res_html_to(&res, 200, "<p>hi</p>", "https://a.example; script-src *");
	assert_int_equal(res.status, 0); /* unset: the server answers 500 */
	lk_res_release(&res);

	lk_res_init(&res, A);
	lk_res_redirect(&res, 302, "https://rp.example/cb?code=x&state=y");
	assert_int_equal(res.status, 302);
	assert_string_equal(res_header(&res, "Location"), "https://rp.example/cb?code=x&state=y");
	assert_int_equal(res.body.len, 0);
	lk_res_redirect(&res, 0, "/login");
	assert_int_equal(res.status, 303);
	lk_res_release(&res);

	lk_res_init(&res, A);
	lk_res_redirect(&res, 303, "https://rp.example/\r\nSet-Cookie: a=b");
	assert_int_equal(res.status, 500);
	assert_null(res_header(&res, "Location"));
	assert_non_null(strstr(lk_buf_str(&res.body), "server_error"));
	lk_res_release(&res);
}

static void test_response_failures(void **state)
{
	struct lk_response res;

	lk_res_init(&res, A);
	res.body.max = 4;
	lk_res_json(&res, 200, "{\"toolong\":1}");
	assert_int_equal(res.status, 0);
	lk_res_json_value(&res, 200, NULL);
	assert_int_equal(res.status, 0);
	lk_res_json(&res, 200, NULL);
	assert_int_equal(res.status, 0);
	lk_res_release(&res);
}

static void test_defer_without_server(void **state)
{
	struct lk_request req;

	memset(&req, 0, sizeof(req));
	assert_int_equal(lk_http_defer(&req, NULL, NULL), LK_EINVAL);
	assert_int_equal(lk_http_defer(NULL, NULL, NULL), LK_EINVAL);
}

struct counted_job {
	struct lk_slow_job job;
	int *ran;
	int *cancelled;
};

static void count_run(struct lk_slow_job *job, bool cancelled)
{
	struct counted_job *c = (struct counted_job *)job;

	(*c->ran)++;
	if (cancelled)
		(*c->cancelled)++;
}

static void *shutdown_thread(void *arg)
{
	lk_slowpool_shutdown(arg);
	return NULL;
}

/* A job pushed into a place reserved before the shutdown runs, cancelled. */
static void test_slowpool_cancel(void **state)
{
	struct lk_slowpool *p = NULL;
	struct counted_job job;
	int ran = 0, cancelled = 0;
	pthread_t t;
	struct timespec ts = {.tv_nsec = 50 * 1000000L};

	assert_int_equal(lk_slowpool_new(2, 4, &p), LK_OK);
	assert_int_equal(lk_slowpool_reserve(p), LK_OK);
	assert_int_equal(pthread_create(&t, NULL, shutdown_thread, p), 0);
	nanosleep(&ts, NULL);
	/* The pool is stopping: no new places, but the threads wait for ours. */
	assert_int_equal(lk_slowpool_reserve(p), LK_EBUSY);
	job = (struct counted_job){{count_run, NULL}, &ran, &cancelled};
	lk_slowpool_push(p, &job.job);
	pthread_join(t, NULL);
	assert_int_equal(ran, 1);
	assert_int_equal(cancelled, 1);
	lk_slowpool_free(p);
}

static void test_slowpool(void **state)
{
	struct lk_slowpool *p = NULL;
	struct counted_job jobs[2];
	int ran = 0, cancelled = 0;

	assert_int_equal(lk_slowpool_new(0, 2, &p), LK_EINVAL);
	assert_null(p);
	assert_int_equal(lk_slowpool_new(1, 2, &p), LK_OK);
	assert_int_equal(lk_slowpool_reserve(p), LK_OK);
	assert_int_equal(lk_slowpool_reserve(p), LK_OK);
	assert_int_equal(lk_slowpool_reserve(p), LK_EBUSY);
	lk_slowpool_unreserve(p);
	assert_int_equal(lk_slowpool_reserve(p), LK_OK);
	jobs[0] = (struct counted_job){{count_run, NULL}, &ran, &cancelled};
	jobs[1] = jobs[0];
	lk_slowpool_push(p, &jobs[0].job);
	lk_slowpool_push(p, &jobs[1].job);
	lk_slowpool_shutdown(p);
	assert_int_equal(ran, 2);
	assert_int_equal(lk_slowpool_reserve(p), LK_EBUSY);
	lk_slowpool_free(p);
	lk_slowpool_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_form_basic),
		cmocka_unit_test(test_form_empty_pairs),
		cmocka_unit_test(test_form_errors),
		cmocka_unit_test(test_form_arena_limit),
		cmocka_unit_test(test_params_nocase),
		cmocka_unit_test(test_urldecode),
		cmocka_unit_test(test_cookie),
		cmocka_unit_test(test_cookie_errors),
		cmocka_unit_test(test_basic_ok),
		cmocka_unit_test(test_basic_errors),
		cmocka_unit_test(test_bearer),
		cmocka_unit_test(test_router),
		cmocka_unit_test(test_router_allow),
		cmocka_unit_test(test_response),
		cmocka_unit_test(test_response_html_redirect),
		cmocka_unit_test(test_response_failures),
		cmocka_unit_test(test_defer_without_server),
		cmocka_unit_test(test_slowpool),
		cmocka_unit_test(test_slowpool_cancel),
	};

	lk_log_setup(LK_LOG_ERROR, LK_LOG_TEXT);
	return cmocka_run_group_tests(tests, setup, teardown);
}
