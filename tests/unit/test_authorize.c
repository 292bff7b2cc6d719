/*
 * The authorization endpoint's protocol (src/oauth/authorize.c and
 * authorize_flow.c): which requests are refused on a page and which at the
 * client, the PKCE rules, the shape of results for each strategy and
 * response mode, the pending request's JSON, the next step of a request,
 * remembered consent and the codes; and lk_buf_addurl, which the results
 * are encoded with. Applications are registered through the registry on a
 * fresh in-memory database per test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/log.h"
#include "oauth/authorize.h"
#include "oauth/params.h"
#include "oauth/registry.h"
#include "oauth/scope.h"
#include "store_fixture.h"

#define T0 1800000000
#define ISSUER "https://id.example"
#define ISS_ENC "https%3A%2F%2Fid.example"
#define CH "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
#define PKCE "&code_challenge=" CH "&code_challenge_method=S256"
#define WEB_URI "&redirect_uri=https://app.example/cb"
/* A request of the web application: add %s's client_id. */
#define WEB "response_type=code&client_id=%s" WEB_URI PKCE

struct fixture {
	struct lk_config cfg;
	struct lk_store *store;
	struct lk_registry r;
	struct lk_clients *clients;
	struct lk_arena *arena;
	/* client_ids */
	char *web;	/* confidential, https://app.example/cb */
	char *multi;	/* two redirect URIs */
	char *pub;	/* public web */
	char *nat;	/* mobile-localhost, http://127.0.0.1/cb */
	char *ttl;	/* mobile-title */
	char *qry;	/* https://q.example/cb?x=1 */
	char *first;	/* first party */
	char *off;	/* disabled */
	const char *pw; /* password grant with a redirect URI (written to the store) */
	/* The last lk_authz_parse. */
	struct lk_authz a;
	struct lk_authz_error err;
};

static void reload(struct fixture *f)
{
	struct lk_clients *c = NULL;

	assert_int_equal(lk_clients_load(f->store, T0, &c), LK_OK);
	lk_clients_unref(f->clients);
	f->clients = c;
}

/* Registers an authorization code application allowed "api offline_access". */
static char *add_app(struct fixture *f, const char *name, const char *strategy,
		     const char *client_type, const char *uri1, const char *uri2, int first_party)
{
	struct lk_app_input in;
	struct lk_app a;
	char secret[LK_TOKEN_MAX];
	char *id;

	lk_app_input_init(&in);
	in.name = name;
	in.grant = "authorization_code";
	in.scopes[in.nscopes++] = "api offline_access";
	in.strategy = strategy;
	in.client_type = client_type;
	if (uri1)
		in.redirect_uris[in.nredirect_uris++] = uri1;
	if (uri2)
		in.redirect_uris[in.nredirect_uris++] = uri2;
	in.first_party = first_party;
	if (lk_registry_app_add(&f->r, &in, &a, secret) != LK_OK)
		fail_msg("app add %s: %s", name, f->r.err);
	id = strdup(a.client_id);
	assert_non_null(id);
	lk_app_release(&a);
	return id;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct lk_app pw, out;

	assert_non_null(f);
	fx_fast_config(&f->cfg);
	f->store = fx_memory_store();
	f->r.store = f->store;
	f->r.cfg = &f->cfg;
	f->r.actor = "test";
	f->r.now = T0;
	f->arena = lk_arena_new(LK_HTTP_ARENA_MAX);
	assert_non_null(f->arena);
	f->web = add_app(f, "web", NULL, NULL, "https://app.example/cb", NULL, -1);
	f->multi = add_app(f, "multi", NULL, NULL, "https://app.example/cb",
			   "https://app.example/other", -1);
	f->pub = add_app(f, "pub", NULL, "public", "https://app.example/cb", NULL, -1);
	f->nat = add_app(f, "nat", "mobile-localhost", NULL, "http://127.0.0.1/cb", NULL, -1);
	f->ttl = add_app(f, "ttl", "mobile-title", NULL, NULL, NULL, -1);
	f->qry = add_app(f, "qry", NULL, NULL, "https://q.example/cb?x=1", NULL, -1);
	f->first = add_app(f, "first", NULL, NULL, "https://first.example/cb", NULL, 1);
	f->off = add_app(f, "off", NULL, NULL, "https://app.example/cb", NULL, -1);
	assert_int_equal(lk_registry_app_set_enabled(&f->r, "off", false, &out), LK_OK);
	lk_app_release(&out);
	/*
	 * The registry refuses redirect URIs for other grants; the store keeps
	 * what it is given, as an older or hand-edited database might.
	 */
	f->pw = "pwapp";
	pw = fx_app(f->pw, "pwapp");
	pw.grant = LK_GRANT_PASSWORD;
	pw.redirect_uris = (char *)"https://pw.example/cb";
	assert_int_equal(lk_store_app_insert(f->store, &pw), LK_OK);
	reload(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	lk_authz_release(&f->a);
	lk_clients_unref(f->clients);
	lk_arena_free(f->arena);
	lk_store_close(f->store);
	lk_config_release(&f->cfg);
	free(f->web);
	free(f->multi);
	free(f->pub);
	free(f->nat);
	free(f->ttl);
	free(f->qry);
	free(f->first);
	free(f->off);
	free(f);
	return 0;
}

/*
 * Parses a query string as the endpoint does: repeats allowed by the form
 * parser, the first repeated name handed to lk_authz_parse.
 */
__attribute__((format(printf, 2, 3))) static bool parse(struct fixture *f, const char *fmt, ...)
{
	char q[8192];
	struct lk_params p;
	const char *dup = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(q, sizeof(q), fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < sizeof(q));
	lk_authz_release(&f->a);
	memset(&f->err, 0, sizeof(f->err));
	assert_int_equal(lk_form_parse(f->arena, q, strlen(q), 64, true, &p, NULL), LK_OK);
	for (size_t i = 0; i < p.n && !dup; i++)
		for (size_t j = 0; j < i && !dup; j++)
			if (strcmp(p.items[i].name, p.items[j].name) == 0)
				dup = p.items[i].name;
	return lk_authz_parse(&f->cfg, f->clients, &p, dup, &f->a, &f->err);
}

/* Refused on a page: nothing may be redirected anywhere. */
#define ASSERT_PAGE(f, ...)                                                                        \
	do {                                                                                       \
		assert_false(parse(f, __VA_ARGS__));                                               \
		assert_false((f)->err.trusted);                                                    \
		assert_int_not_equal((f)->err.oauth.code, LK_OAUTH_NONE);                          \
		assert_null((f)->a.client_id);                                                     \
	} while (0)

/* Refused with an error for the client, at its redirect URI. */
#define ASSERT_CLIENT_ERR(f, want, ...)                                                            \
	do {                                                                                       \
		assert_false(parse(f, __VA_ARGS__));                                               \
		assert_true((f)->err.trusted);                                                     \
		assert_string_equal(lk_oauth_code_name((f)->err.oauth.code), want);                \
		assert_non_null((f)->a.client_id);                                                 \
		assert_non_null((f)->a.deliver_to);                                                \
		assert_non_null((f)->a.state);                                                     \
	} while (0)

#define ASSERT_OK(f, ...)                                                                          \
	do {                                                                                       \
		if (!parse(f, __VA_ARGS__))                                                        \
			fail_msg("refused: %s (%s)", lk_oauth_code_name((f)->err.oauth.code),      \
				 (f)->err.oauth.description);                                      \
	} while (0)

/* --- the client and its redirect URI: a page ------------------------------- */

static void test_untrusted(void **state)
{
	struct fixture *f = *state;

	/* No client, an unknown one, a disabled one. */
	ASSERT_PAGE(f, "response_type=code" WEB_URI PKCE);
	ASSERT_PAGE(f, "response_type=code&client_id=" WEB_URI PKCE);
	ASSERT_PAGE(f, WEB, "nobody");
	ASSERT_PAGE(f, WEB, f->off);
	/* Exact string match for web: no other host, scheme, path, slash or query. */
	ASSERT_PAGE(f, "response_type=code&client_id=%s&redirect_uri=https://evil.example/cb" PKCE,
		    f->web);
	ASSERT_PAGE(f, "response_type=code&client_id=%s&redirect_uri=https://app.example/cb/" PKCE,
		    f->web);
	ASSERT_PAGE(f,
		    "response_type=code&client_id=%s&redirect_uri=https://app.example/"
		    "cb%%3Fx%%3D1" PKCE,
		    f->web);
	ASSERT_PAGE(f, "response_type=code&client_id=%s&redirect_uri=http://app.example/cb" PKCE,
		    f->web);
	ASSERT_PAGE(f, "response_type=code&client_id=%s&redirect_uri=https://APP.example/cb" PKCE,
		    f->web);
	ASSERT_PAGE(f,
		    "response_type=code&client_id=%s&redirect_uri=https://app.example/other" PKCE,
		    f->web);
	/* The URI of another application. */
	ASSERT_PAGE(
		f,
		"response_type=code&client_id=%s&redirect_uri=https://q.example/cb%%3Fx%%3D1" PKCE,
		f->web);
	/* Several registered: the request must say which. */
	ASSERT_PAGE(f, "response_type=code&client_id=%s" PKCE, f->multi);
	ASSERT_OK(f, "response_type=code&client_id=%s&redirect_uri=https://app.example/other" PKCE,
		  f->multi);
	assert_string_equal(f->a.deliver_to, "https://app.example/other");
	/* RFC 6749 §3.1: a repeated client_id or redirect_uri cannot be trusted. */
	ASSERT_PAGE(f, WEB "&client_id=%s", f->web, f->web);
	ASSERT_PAGE(f, WEB "&redirect_uri=https://app.example/cb", f->web);
	ASSERT_PAGE(f, WEB WEB_URI, f->web);
}

static void test_untrusted_before_everything(void **state)
{
	struct fixture *f = *state;

	/* Whatever else is wrong, an untrusted redirect URI wins: still a page. */
	ASSERT_PAGE(f, "response_type=token&client_id=%s&redirect_uri=https://evil.example/cb",
		    f->web);
	ASSERT_PAGE(f, "client_id=%s&redirect_uri=https://evil.example/cb&request=x&prompt=bad",
		    f->web);
	ASSERT_PAGE(f, "response_type=token&client_id=nobody" WEB_URI "&state=a&state=b");
	ASSERT_PAGE(f, "response_mode=bogus&client_id=%s&redirect_uri=https://evil.example/cb",
		    f->pub);
}

static void test_single_uri_may_be_omitted(void **state)
{
	struct fixture *f = *state;

	ASSERT_OK(f, "response_type=code&client_id=%s" PKCE, f->web);
	assert_string_equal(f->a.client_id, f->web);
	/* The token request repeats what was sent: nothing. */
	assert_string_equal(f->a.redirect_uri, "");
	assert_string_equal(f->a.deliver_to, "https://app.example/cb");
	assert_int_equal(f->a.strategy, LK_STRATEGY_WEB);
	assert_int_equal(f->a.mode, LK_RESPONSE_QUERY);
	/* No scope asked for: everything the application may have. */
	assert_string_equal(f->a.scope, "api offline_access");
	assert_string_equal(f->a.state, "");
	assert_string_equal(f->a.nonce, "");
	assert_string_equal(f->a.login_hint, "");
	assert_string_equal(f->a.code_challenge, CH);
	assert_false(f->a.prompt_none);
	assert_false(f->a.prompt_login);
	assert_false(f->a.prompt_consent);
	assert_int_equal(f->a.max_age, -1);
	/* Sent, it is kept as sent. */
	ASSERT_OK(f, WEB, f->web);
	assert_string_equal(f->a.redirect_uri, "https://app.example/cb");
	assert_string_equal(f->a.deliver_to, "https://app.example/cb");
}

static void test_mobile_localhost(void **state)
{
	struct fixture *f = *state;
	static const char *const tricks[] = {
		"http://127.0.0.1:5/cb%40evil.example",
		"http://127.0.0.1:5%40evil.example/cb",
		"http://127.0.0.1%40evil.example:5/cb",
		"http://evil.example%23%40127.0.0.1:5/cb",
		"http://127.0.0.1:5/cb%23frag",
		"http://127.0.0.1:5/cb%3Fx%3D1",
		"http://127.0.0.1:abc/cb",
		"http://127.0.0.1:-1/cb",
		"http://127.0.0.1:99999999999/cb",
		"http://127.0.0.1:5:6/cb",
		"http://127.0.0.1.evil.example:5/cb",
		"http://127.0.0.1:5//evil.example/cb",
		"//127.0.0.1:5/cb",
		"HTTP://127.0.0.1:5/cb",
	};

	/* RFC 8252 §7.3: any port on the loopback, the rest identical. */
	ASSERT_OK(f, "response_type=code&client_id=%s&redirect_uri=http://127.0.0.1:54321/cb" PKCE,
		  f->nat);
	assert_int_equal(f->a.strategy, LK_STRATEGY_MOBILE_LOCALHOST);
	assert_string_equal(f->a.redirect_uri, "http://127.0.0.1:54321/cb");
	assert_string_equal(f->a.deliver_to, "http://127.0.0.1:54321/cb");
	ASSERT_OK(f, "response_type=code&client_id=%s&redirect_uri=http://127.0.0.1/cb" PKCE,
		  f->nat);
	assert_string_equal(f->a.deliver_to, "http://127.0.0.1/cb");
	ASSERT_OK(f, "response_type=code&client_id=%s" PKCE, f->nat);
	assert_string_equal(f->a.deliver_to, "http://127.0.0.1/cb");
	assert_string_equal(f->a.redirect_uri, "");
	/* Another path, host or scheme is not the registered URI. */
	ASSERT_PAGE(
		f, "response_type=code&client_id=%s&redirect_uri=http://127.0.0.1:54321/other" PKCE,
		f->nat);
	ASSERT_PAGE(f,
		    "response_type=code&client_id=%s&redirect_uri=http://localhost:54321/cb" PKCE,
		    f->nat);
	ASSERT_PAGE(f,
		    "response_type=code&client_id=%s&redirect_uri=http://127.0.0.2:54321/cb" PKCE,
		    f->nat);
	ASSERT_PAGE(f,
		    "response_type=code&client_id=%s&redirect_uri=https://127.0.0.1:54321/cb" PKCE,
		    f->nat);
	ASSERT_PAGE(f,
		    "response_type=code&client_id=%s&redirect_uri=http://127.0.0.1:54321/cb/x" PKCE,
		    f->nat);
	/* Open-redirect shapes around the loopback URI. */
	for (size_t i = 0; i < sizeof(tricks) / sizeof(tricks[0]); i++)
		ASSERT_PAGE(f, "response_type=code&client_id=%s&redirect_uri=%s" PKCE, f->nat,
			    tricks[i]);
	/* A web application gets no such leniency. */
	ASSERT_PAGE(f,
		    "response_type=code&client_id=%s&redirect_uri=https://app.example:8443/cb" PKCE,
		    f->web);
}

static void test_mobile_title(void **state)
{
	struct fixture *f = *state;

	ASSERT_OK(f, "response_type=code&client_id=%s" PKCE, f->ttl);
	assert_int_equal(f->a.strategy, LK_STRATEGY_MOBILE_TITLE);
	assert_string_equal(f->a.redirect_uri, "");
	assert_string_equal(f->a.deliver_to, "");
	ASSERT_OK(
		f,
		"response_type=code&client_id=%s&redirect_uri=urn:ietf:wg:oauth:2.0:oob:auto" PKCE,
		f->ttl);
	assert_string_equal(f->a.redirect_uri, "urn:ietf:wg:oauth:2.0:oob:auto");
	assert_string_equal(f->a.deliver_to, "");
	/* Anything else is a page. */
	ASSERT_PAGE(f,
		    "response_type=code&client_id=%s&redirect_uri=urn:ietf:wg:oauth:2.0:oob" PKCE,
		    f->ttl);
	ASSERT_PAGE(f, "response_type=code&client_id=%s&redirect_uri=https://app.example/cb" PKCE,
		    f->ttl);
	ASSERT_PAGE(f, "response_type=code&client_id=%s&redirect_uri=http://127.0.0.1/cb" PKCE,
		    f->ttl);
	/* Errors after that go to the title: trusted. */
	ASSERT_CLIENT_ERR(f, "unsupported_response_type",
			  "response_type=token&client_id=%s&state=s" PKCE, f->ttl);
	assert_string_equal(f->a.state, "s");
	assert_int_equal(f->a.strategy, LK_STRATEGY_MOBILE_TITLE);
}

/* --- errors for the client ------------------------------------------------ */

static void test_client_errors(void **state)
{
	struct fixture *f = *state;
	char *big;

	ASSERT_CLIENT_ERR(f, "invalid_request", "client_id=%s" WEB_URI PKCE "&state=xyz", f->web);
	/* What the error needs to reach the client is there. */
	assert_string_equal(f->a.client_id, f->web);
	assert_string_equal(f->a.deliver_to, "https://app.example/cb");
	assert_string_equal(f->a.state, "xyz");
	assert_int_equal(f->a.mode, LK_RESPONSE_QUERY);
	ASSERT_CLIENT_ERR(f, "invalid_request", "response_type=&client_id=%s" WEB_URI PKCE, f->web);
	ASSERT_CLIENT_ERR(f, "unsupported_response_type",
			  "response_type=token&client_id=%s" WEB_URI PKCE, f->web);
	ASSERT_CLIENT_ERR(f, "unsupported_response_type",
			  "response_type=code+id_token&client_id=%s" WEB_URI PKCE, f->web);
	ASSERT_CLIENT_ERR(f, "request_not_supported", WEB "&request=eyJhbGciOiJub25lIn0.e30.",
			  f->web);
	ASSERT_CLIENT_ERR(f, "request_uri_not_supported",
			  WEB "&request_uri=https://app.example/req", f->web);
	/* An unknown response mode: delivered the default way. */
	ASSERT_CLIENT_ERR(f, "invalid_request", WEB "&response_mode=bogus", f->web);
	assert_int_equal(f->a.mode, LK_RESPONSE_QUERY);
	/* A known one is kept for the error, too. */
	ASSERT_CLIENT_ERR(f, "unsupported_response_type",
			  "response_type=token&client_id=%s" WEB_URI PKCE "&response_mode=fragment",
			  f->web);
	assert_int_equal(f->a.mode, LK_RESPONSE_FRAGMENT);
	/* None of the requested scopes allowed; a malformed scope. */
	ASSERT_CLIENT_ERR(f, "invalid_scope", WEB "&scope=email", f->web);
	ASSERT_CLIENT_ERR(f, "invalid_scope", WEB "&scope=email+phone", f->web);
	ASSERT_CLIENT_ERR(f, "invalid_scope", WEB "&scope=a%%22b", f->web);
	/* A repeated parameter other than client_id and redirect_uri: trusted. */
	ASSERT_CLIENT_ERR(f, "invalid_request", WEB "&state=a&state=b", f->web);
	ASSERT_CLIENT_ERR(f, "invalid_request", WEB "&scope=api&scope=api", f->web);
	/* A client registered for another grant. */
	ASSERT_CLIENT_ERR(f, "unauthorized_client",
			  "response_type=code&client_id=%s&redirect_uri=https://pw.example/cb" PKCE,
			  f->pw);
	assert_string_equal(f->a.deliver_to, "https://pw.example/cb");
	/* The limits. */
	big = malloc(LK_AUTHZ_STATE_MAX + 2);
	assert_non_null(big);
	memset(big, 's', LK_AUTHZ_STATE_MAX + 1);
	big[LK_AUTHZ_STATE_MAX + 1] = '\0';
	ASSERT_CLIENT_ERR(f, "invalid_request", WEB "&state=%s", f->web, big);
	big[LK_AUTHZ_STATE_MAX] = '\0';
	ASSERT_OK(f, WEB "&state=%s", f->web, big);
	assert_int_equal(strlen(f->a.state), LK_AUTHZ_STATE_MAX);
	free(big);
}

static void test_scope(void **state)
{
	struct fixture *f = *state;

	/* What is granted is requested ∩ allowed, in the allowed order. */
	ASSERT_OK(f, WEB "&scope=email+api", f->web);
	assert_string_equal(f->a.scope, "api");
	ASSERT_OK(f, WEB "&scope=offline_access+api", f->web);
	assert_string_equal(f->a.scope, "api offline_access");
	ASSERT_OK(f, WEB "&scope=", f->web);
	assert_string_equal(f->a.scope, "api offline_access");
}

static void test_prompt_and_max_age(void **state)
{
	struct fixture *f = *state;
	static const char *const bad_max_age[] = {"-1", "abc", "1e3",	     "10x",
						  " 5", "+5",  "99999999999"};

	/* OpenID Connect Core §3.1.2.1: none with anything else is an error. */
	ASSERT_CLIENT_ERR(f, "invalid_request", WEB "&prompt=none+login", f->web);
	ASSERT_CLIENT_ERR(f, "invalid_request", WEB "&prompt=consent+none", f->web);
	ASSERT_CLIENT_ERR(f, "invalid_request", WEB "&prompt=bogus", f->web);
	ASSERT_OK(f, WEB "&prompt=none", f->web);
	assert_true(f->a.prompt_none);
	assert_false(f->a.prompt_login);
	ASSERT_OK(f, WEB "&prompt=login+consent", f->web);
	assert_false(f->a.prompt_none);
	assert_true(f->a.prompt_login);
	assert_true(f->a.prompt_consent);
	ASSERT_OK(f, WEB "&prompt=select_account", f->web);
	assert_false(f->a.prompt_login);
	for (size_t i = 0; i < sizeof(bad_max_age) / sizeof(bad_max_age[0]); i++)
		ASSERT_CLIENT_ERR(f, "invalid_request", WEB "&max_age=%s", f->web, bad_max_age[i]);
	ASSERT_OK(f, WEB "&max_age=0", f->web);
	assert_int_equal(f->a.max_age, 0);
	ASSERT_OK(f, WEB "&max_age=300", f->web);
	assert_int_equal(f->a.max_age, 300);
}

/* --- PKCE ------------------------------------------------------------------ */

static void test_pkce_required(void **state)
{
	struct fixture *f = *state;

	/* Public clients and mobile strategies, always. */
	ASSERT_CLIENT_ERR(f, "invalid_request", "response_type=code&client_id=%s" WEB_URI, f->pub);
	ASSERT_CLIENT_ERR(f, "invalid_request", "response_type=code&client_id=%s", f->nat);
	ASSERT_CLIENT_ERR(f, "invalid_request", "response_type=code&client_id=%s", f->ttl);
	/* Confidential web applications while [tokens] pkce_required (the default). */
	assert_true(f->cfg.pkce_required);
	ASSERT_CLIENT_ERR(f, "invalid_request", "response_type=code&client_id=%s" WEB_URI, f->web);
	f->cfg.pkce_required = false;
	ASSERT_OK(f, "response_type=code&client_id=%s" WEB_URI, f->web);
	assert_string_equal(f->a.code_challenge, "");
	ASSERT_CLIENT_ERR(f, "invalid_request", "response_type=code&client_id=%s" WEB_URI, f->pub);
	ASSERT_CLIENT_ERR(f, "invalid_request", "response_type=code&client_id=%s", f->nat);
	ASSERT_CLIENT_ERR(f, "invalid_request", "response_type=code&client_id=%s", f->ttl);
	/* Optional does not mean anything goes: a challenge sent is checked. */
	ASSERT_CLIENT_ERR(f, "invalid_request",
			  "response_type=code&client_id=%s" WEB_URI "&code_challenge=" CH
			  "&code_challenge_method=plain",
			  f->web);
	ASSERT_OK(f, WEB, f->web);
	assert_string_equal(f->a.code_challenge, CH);
}

static void test_pkce_form(void **state)
{
	struct fixture *f = *state;
	static const char *const bad[] = {
		"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-c",	/* 42 */
		"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cMM", /* 44 */
		"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw%2BM", /* '+' */
		"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw/cM",
		"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw.cM",
	};
	/* RFC 9700 §2.1.1: S256 only. */
	ASSERT_CLIENT_ERR(f, "invalid_request",
			  "response_type=code&client_id=%s" WEB_URI "&code_challenge=" CH
			  "&code_challenge_method=plain",
			  f->pub);
	ASSERT_CLIENT_ERR(f, "invalid_request",
			  "response_type=code&client_id=%s" WEB_URI "&code_challenge=" CH
			  "&code_challenge_method=s256",
			  f->pub);
	/* RFC 7636 §4.3: no method means plain. */
	ASSERT_CLIENT_ERR(f, "invalid_request",
			  "response_type=code&client_id=%s" WEB_URI "&code_challenge=" CH, f->pub);
	/* A method without a challenge. */
	ASSERT_CLIENT_ERR(f, "invalid_request",
			  "response_type=code&client_id=%s" WEB_URI "&code_challenge_method=S256",
			  f->pub);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(parse(f,
				   "response_type=code&client_id=%s" WEB_URI
				   "&code_challenge=%s&code_challenge_method=S256",
				   f->pub, bad[i]));
		assert_true(f->err.trusted);
		assert_int_equal(f->err.oauth.code, LK_OAUTH_INVALID_REQUEST);
	}
	ASSERT_OK(f, "response_type=code&client_id=%s" WEB_URI PKCE, f->pub);
	assert_string_equal(f->a.code_challenge, CH);
}

/* --- results ----------------------------------------------------------------- */

static void result_ok(struct fixture *f, const char *code, const struct lk_oauth_error *e,
		      struct lk_authz_result *r)
{
	memset(r, 0, sizeof(*r));
	assert_int_equal(lk_authz_result(&f->a, ISSUER, code, e, r), LK_OK);
}

static void test_result_query(void **state)
{
	struct fixture *f = *state;
	struct lk_authz_result r;

	ASSERT_OK(f, WEB "&state=xyz", f->web);
	result_ok(f, "lk_ac_abc", NULL, &r);
	assert_int_equal(r.kind, LK_DELIVER_REDIRECT);
	assert_false(r.error);
	/* RFC 9207 §2: iss in every response. */
	assert_string_equal(r.url, "https://app.example/cb?code=lk_ac_abc&state=xyz&iss=" ISS_ENC);
	assert_null(r.title);
	lk_authz_result_release(&r);
	assert_null(r.url);
	/* No state sent: none returned. */
	ASSERT_OK(f, WEB, f->web);
	result_ok(f, "lk_ac_abc", NULL, &r);
	assert_string_equal(r.url, "https://app.example/cb?code=lk_ac_abc&iss=" ISS_ENC);
	lk_authz_result_release(&r);
	/* A registered query is kept; ours is joined to it. Values are encoded. */
	ASSERT_OK(f,
		  "response_type=code&client_id=%s&redirect_uri=https://q.example/cb%%3Fx%%3D1" PKCE
		  "&state=a+b%%26c%%3Dd%%2F%%C3%%A9",
		  f->qry);
	assert_string_equal(f->a.state, "a b&c=d/\xc3\xa9");
	result_ok(f, "lk_ac_abc", NULL, &r);
	assert_string_equal(r.url, "https://q.example/cb?x=1&code=lk_ac_abc"
				   "&state=a%20b%26c%3Dd%2F%C3%A9&iss=" ISS_ENC);
	lk_authz_result_release(&r);
	/* Omitted redirect_uri: the registered one is used. */
	ASSERT_OK(f, "response_type=code&client_id=%s" PKCE "&state=1", f->qry);
	result_ok(f, "lk_ac_abc", NULL, &r);
	assert_string_equal(r.url, "https://q.example/cb?x=1&code=lk_ac_abc&state=1&iss=" ISS_ENC);
	lk_authz_result_release(&r);
	/* The loopback port the request used. */
	ASSERT_OK(f, "response_type=code&client_id=%s&redirect_uri=http://127.0.0.1:5555/cb" PKCE,
		  f->nat);
	result_ok(f, "lk_ac_abc", NULL, &r);
	assert_string_equal(r.url, "http://127.0.0.1:5555/cb?code=lk_ac_abc&iss=" ISS_ENC);
	lk_authz_result_release(&r);
}

static void test_result_fragment(void **state)
{
	struct fixture *f = *state;
	struct lk_authz_result r;

	ASSERT_OK(f, WEB "&state=xyz&response_mode=fragment", f->web);
	assert_int_equal(f->a.mode, LK_RESPONSE_FRAGMENT);
	result_ok(f, "lk_ac_abc", NULL, &r);
	assert_int_equal(r.kind, LK_DELIVER_REDIRECT);
	assert_string_equal(r.url, "https://app.example/cb#code=lk_ac_abc&state=xyz&iss=" ISS_ENC);
	lk_authz_result_release(&r);
	/* A registered query stays a query; the result goes after '#'. */
	ASSERT_OK(f,
		  "response_type=code&client_id=%s&redirect_uri=https://q.example/cb%%3Fx%%3D1" PKCE
		  "&response_mode=fragment",
		  f->qry);
	result_ok(f, "lk_ac_abc", NULL, &r);
	assert_string_equal(r.url, "https://q.example/cb?x=1#code=lk_ac_abc&iss=" ISS_ENC);
	lk_authz_result_release(&r);
	ASSERT_OK(f, WEB "&response_mode=query", f->web);
	assert_int_equal(f->a.mode, LK_RESPONSE_QUERY);
}

static void test_result_form_post(void **state)
{
	struct fixture *f = *state;
	struct lk_authz_result r;
	struct lk_oauth_error e = {0};

	ASSERT_OK(f, WEB "&state=a+b%%26c&response_mode=form_post", f->web);
	assert_int_equal(f->a.mode, LK_RESPONSE_FORM_POST);
	result_ok(f, "lk_ac_abc", NULL, &r);
	assert_int_equal(r.kind, LK_DELIVER_FORM_POST);
	assert_false(r.error);
	assert_string_equal(r.url, "https://app.example/cb");
	/* Fields carry raw values: the page escapes them as HTML. */
	assert_int_equal(r.nfields, 3);
	assert_string_equal(r.fields[0].name, "code");
	assert_string_equal(r.fields[0].value, "lk_ac_abc");
	assert_string_equal(r.fields[1].name, "state");
	assert_string_equal(r.fields[1].value, "a b&c");
	assert_string_equal(r.fields[2].name, "iss");
	assert_string_equal(r.fields[2].value, ISSUER);
	lk_authz_result_release(&r);
	assert_int_equal(r.nfields, 0);
	/* An error posts error, error_description, state, iss. */
	lk_oauth_fail(&e, LK_OAUTH_ACCESS_DENIED, "the user said no");
	result_ok(f, NULL, &e, &r);
	assert_int_equal(r.kind, LK_DELIVER_FORM_POST);
	assert_true(r.error);
	assert_int_equal(r.nfields, 4);
	assert_string_equal(r.fields[0].name, "error");
	assert_string_equal(r.fields[0].value, "access_denied");
	assert_string_equal(r.fields[1].name, "error_description");
	assert_string_equal(r.fields[1].value, "the user said no");
	assert_string_equal(r.fields[2].name, "state");
	assert_string_equal(r.fields[3].name, "iss");
	lk_authz_result_release(&r);
	/* Without a state. */
	ASSERT_OK(f, WEB "&response_mode=form_post", f->web);
	result_ok(f, "lk_ac_abc", NULL, &r);
	assert_int_equal(r.nfields, 2);
	assert_string_equal(r.fields[1].name, "iss");
	lk_authz_result_release(&r);
}

static void test_result_errors(void **state)
{
	struct fixture *f = *state;
	struct lk_authz_result r;
	struct lk_oauth_error e = {0};

	ASSERT_OK(f, WEB "&state=xyz", f->web);
	lk_oauth_fail(&e, LK_OAUTH_ACCESS_DENIED, "the user said no");
	result_ok(f, NULL, &e, &r);
	assert_true(r.error);
	assert_int_equal(r.kind, LK_DELIVER_REDIRECT);
	assert_string_equal(r.url,
			    "https://app.example/cb?error=access_denied"
			    "&error_description=the%20user%20said%20no&state=xyz&iss=" ISS_ENC);
	lk_authz_result_release(&r);
	/* No description: none sent. */
	lk_oauth_fail(&e, LK_OAUTH_LOGIN_REQUIRED, "%s", "");
	result_ok(f, NULL, &e, &r);
	assert_string_equal(r.url,
			    "https://app.example/cb?error=login_required&state=xyz&iss=" ISS_ENC);
	lk_authz_result_release(&r);
	/* A refused request's error goes where its response mode says. */
	ASSERT_CLIENT_ERR(f, "unsupported_response_type",
			  "response_type=token&client_id=%s" WEB_URI
			  "&state=s1&response_mode=fragment",
			  f->web);
	result_ok(f, NULL, &f->err.oauth, &r);
	assert_int_equal(strncmp(r.url, "https://app.example/cb#error=unsupported_response_type&",
				 strlen("https://app.example/cb#error=unsupported_response_type&")),
			 0);
	assert_non_null(strstr(r.url, "&state=s1&iss=" ISS_ENC));
	lk_authz_result_release(&r);
}

static void test_result_title(void **state)
{
	struct fixture *f = *state;
	struct lk_authz_result r;
	struct lk_oauth_error e = {0};

	ASSERT_OK(f, "response_type=code&client_id=%s" PKCE "&state=a+b%%26c", f->ttl);
	result_ok(f, "lk_ac_abc", NULL, &r);
	assert_int_equal(r.kind, LK_DELIVER_TITLE);
	assert_false(r.error);
	/* DESIGN §2: exactly "Success code=CODE&state=STATE", values form-urlencoded. */
	assert_string_equal(r.title, "Success code=lk_ac_abc&state=a%20b%26c");
	assert_null(r.url);
	lk_authz_result_release(&r);
	assert_null(r.title);
	lk_oauth_fail(&e, LK_OAUTH_ACCESS_DENIED, "the user said no");
	result_ok(f, NULL, &e, &r);
	assert_true(r.error);
	assert_int_equal(r.kind, LK_DELIVER_TITLE);
	assert_string_equal(r.title, "Error error=access_denied&state=a%20b%26c");
	lk_authz_result_release(&r);
	/* No state sent: no "&state=". */
	ASSERT_OK(
		f,
		"response_type=code&client_id=%s&redirect_uri=urn:ietf:wg:oauth:2.0:oob:auto" PKCE,
		f->ttl);
	result_ok(f, "lk_ac_abc", NULL, &r);
	assert_string_equal(r.title, "Success code=lk_ac_abc");
	lk_authz_result_release(&r);
	result_ok(f, NULL, &e, &r);
	assert_string_equal(r.title, "Error error=access_denied");
	lk_authz_result_release(&r);
	/* The response mode does not matter for the title. */
	ASSERT_OK(f, "response_type=code&client_id=%s" PKCE "&state=s&response_mode=form_post",
		  f->ttl);
	result_ok(f, "lk_ac_abc", NULL, &r);
	assert_int_equal(r.kind, LK_DELIVER_TITLE);
	assert_string_equal(r.title, "Success code=lk_ac_abc&state=s");
	lk_authz_result_release(&r);
	/* An error of a refused request. */
	ASSERT_CLIENT_ERR(f, "invalid_request", "response_type=code&client_id=%s&state=q", f->ttl);
	result_ok(f, NULL, &f->err.oauth, &r);
	assert_string_equal(r.title, "Error error=invalid_request&state=q");
	lk_authz_result_release(&r);
}

static void test_origin(void **state)
{
	struct fixture *f = *state;
	char o[128];

	/* https as a whole: the callback may redirect on to another origin. */
	ASSERT_OK(f, WEB, f->web);
	assert_int_equal(lk_authz_origin(&f->a, o, sizeof(o)), LK_OK);
	assert_string_equal(o, "https:");
	/* Exactly enough room, then one byte short. */
	assert_int_equal(lk_authz_origin(&f->a, o, strlen("https:") + 1), LK_OK);
	assert_string_equal(o, "https:");
	assert_int_equal(lk_authz_origin(&f->a, o, strlen("https:")), LK_ETOOBIG);
	ASSERT_OK(f, "response_type=code&client_id=%s" PKCE, f->qry);
	assert_int_equal(lk_authz_origin(&f->a, o, sizeof(o)), LK_OK);
	assert_string_equal(o, "https:");
	/* A loopback host on any port (RFC 8252 §7.3). */
	ASSERT_OK(f, "response_type=code&client_id=%s&redirect_uri=http://127.0.0.1:5555/cb" PKCE,
		  f->nat);
	assert_int_equal(lk_authz_origin(&f->a, o, sizeof(o)), LK_OK);
	assert_string_equal(o, "http://127.0.0.1:*");
	ASSERT_OK(f, "response_type=code&client_id=%s" PKCE, f->ttl);
	strcpy(o, "x");
	assert_int_equal(lk_authz_origin(&f->a, o, sizeof(o)), LK_OK);
	assert_string_equal(o, "");
}

/* --- the pending request as JSON -------------------------------------------- */

static void assert_same(const struct lk_authz *x, const struct lk_authz *y)
{
	assert_string_equal(x->client_id, y->client_id);
	assert_string_equal(x->redirect_uri, y->redirect_uri);
	assert_string_equal(x->deliver_to, y->deliver_to);
	assert_int_equal(x->strategy, y->strategy);
	assert_int_equal(x->mode, y->mode);
	assert_string_equal(x->scope, y->scope);
	assert_string_equal(x->state, y->state);
	assert_string_equal(x->nonce, y->nonce);
	assert_string_equal(x->code_challenge, y->code_challenge);
	assert_int_equal(x->prompt_none, y->prompt_none);
	assert_int_equal(x->prompt_login, y->prompt_login);
	assert_int_equal(x->prompt_consent, y->prompt_consent);
	assert_int_equal(x->max_age, y->max_age);
	assert_string_equal(x->login_hint, y->login_hint);
	assert_string_equal(x->internal, y->internal);
	assert_int_equal(x->hint_user, y->hint_user);
}

static void round_trip(struct fixture *f)
{
	struct lk_authz back = {0};
	char *json = lk_authz_to_json(&f->a);

	assert_non_null(json);
	assert_int_equal(lk_authz_from_json(json, &back), LK_OK);
	assert_same(&f->a, &back);
	lk_authz_release(&back);
	free(json);
}

static void test_json_round_trip(void **state)
{
	struct fixture *f = *state;

	ASSERT_OK(f,
		  WEB
		  "&state=%%22quoted%%22+%%5C+%%C3%%A9&nonce=n-1&login_hint=alice%%40example.com"
		  "&prompt=login+consent&max_age=300&response_mode=fragment&scope=api",
		  f->web);
	assert_true(f->a.prompt_login);
	round_trip(f);
	ASSERT_OK(f, "response_type=code&client_id=%s" PKCE "&prompt=none&response_mode=form_post",
		  f->ttl);
	round_trip(f);
	ASSERT_OK(f,
		  "response_type=code&client_id=%s&redirect_uri=http://127.0.0.1:9/cb" PKCE
		  "&max_age=0",
		  f->nat);
	round_trip(f);
}

/* latchkey's own requests: a local path only, kept through the pending store. */
static void test_internal(void **state)
{
	struct fixture *f = *state;
	static const char *const refused[] = {
		"",
		"admin",
		"//evil.example/x",
		"https://evil.example/",
		"/a\\b",
		"/a\r\nSet-Cookie: x",
		NULL,
	};

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		assert_int_equal(lk_authz_internal(refused[i], &f->a), LK_EINVAL);
	assert_int_equal(lk_authz_internal("/admin", &f->a), LK_OK);
	assert_string_equal(f->a.internal, "/admin");
	assert_string_equal(f->a.client_id, "");
	assert_string_equal(f->a.deliver_to, "");
	round_trip(f);

	/* An application's request is never internal. */
	lk_authz_release(&f->a);
	ASSERT_OK(f, "response_type=code&client_id=%s" PKCE "&internal=/admin", f->ttl);
	assert_string_equal(f->a.internal, "");
	round_trip(f);
}

/* The JSON lk_authz_to_json writes, with strategy, mode and max_age given. */
#define JSON_OF(strategy, mode, max_age)                                                           \
	"{\"client_id\":\"c\",\"redirect_uri\":\"\",\"deliver_to\":\"https://a.example/cb\","      \
	"\"strategy\":" strategy ",\"mode\":" mode ",\"scope\":\"api\",\"state\":\"\","            \
	"\"nonce\":\"\",\"code_challenge\":\"\",\"prompt_none\":false,\"prompt_login\":false,"     \
	"\"prompt_consent\":false,\"max_age\":" max_age ",\"login_hint\":\"\"}"

static void test_json_refused(void **state)
{
	struct lk_authz a = {0};
	static const char *const bad[] = {
		"",
		"{",
		"[]",
		"{}",
		"null",
		JSON_OF("3", "0", "-1"),
		JSON_OF("-1", "0", "-1"),
		JSON_OF("0", "3", "-1"),
		JSON_OF("0", "-1", "-1"),
		JSON_OF("\"web\"", "0", "-1"),
		JSON_OF("0", "0", "\"300\""),
		"{\"client_id\":\"c\"}",
	};

	assert_int_equal(lk_authz_from_json(JSON_OF("2", "2", "30"), &a), LK_OK);
	assert_int_equal(a.strategy, LK_STRATEGY_MOBILE_LOCALHOST);
	assert_int_equal(a.mode, LK_RESPONSE_FORM_POST);
	assert_int_equal(a.max_age, 30);
	assert_string_equal(a.deliver_to, "https://a.example/cb");
	lk_authz_release(&a);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(lk_authz_from_json(bad[i], &a), LK_EPARSE);
		/* Written only on success. */
		assert_null(a.client_id);
	}
}

/* --- the next step ------------------------------------------------------------ */

static enum lk_authz_step next(struct fixture *f, const char *client_id,
			       const struct lk_session *sess, int64_t started_at, bool consented,
			       int64_t now, struct lk_oauth_error *e)
{
	const struct lk_client *c = lk_clients_find(f->clients, client_id);
	enum lk_authz_step step = (enum lk_authz_step) - 1;

	assert_non_null(c);
	memset(e, 0, sizeof(*e));
	assert_int_equal(
		lk_authz_next(f->store, c, &f->a, sess, started_at, consented, now, &step, e),
		LK_OK);
	return step;
}

static void test_next_login(void **state)
{
	struct fixture *f = *state;
	int64_t uid = fx_add_user(f->store, "local", "alice", NULL);
	struct lk_session s = {.user_id = uid, .auth_time = T0 - 1000};
	struct lk_oauth_error e;

	snprintf(s.sid, sizeof(s.sid), "sid1");
	snprintf(s.amr, sizeof(s.amr), "pwd");
	ASSERT_OK(f, "response_type=code&client_id=%s" PKCE, f->first);
	/* No session: sign in. */
	assert_int_equal(next(f, f->first, NULL, T0, false, T0, &e), LK_AUTHZ_LOGIN);
	assert_int_equal(e.code, LK_OAUTH_NONE);
	/* A session, a first-party app: the code at once. */
	assert_int_equal(next(f, f->first, &s, T0, false, T0, &e), LK_AUTHZ_ISSUE);
	/* prompt=none without a session: login_required, to the client. */
	ASSERT_OK(f, "response_type=code&client_id=%s" PKCE "&prompt=none", f->first);
	assert_int_equal(next(f, f->first, NULL, T0, false, T0, &e), LK_AUTHZ_FAIL);
	assert_string_equal(lk_oauth_code_name(e.code), "login_required");
	assert_int_equal(next(f, f->first, &s, T0, false, T0, &e), LK_AUTHZ_ISSUE);
	/* prompt=login: a session older than the request is not enough... */
	ASSERT_OK(f, "response_type=code&client_id=%s" PKCE "&prompt=login", f->first);
	assert_int_equal(next(f, f->first, &s, T0, false, T0, &e), LK_AUTHZ_LOGIN);
	/* ...one made since the request began is (no loop back to the login page). */
	s.auth_time = T0 + 5;
	assert_int_equal(next(f, f->first, &s, T0, false, T0 + 6, &e), LK_AUTHZ_ISSUE);
	s.auth_time = T0;
	assert_int_equal(next(f, f->first, &s, T0, false, T0 + 6, &e), LK_AUTHZ_ISSUE);
}

/* id_token_hint (Core §3.1.2.2): only the user it names gets through. */
static void test_next_hint(void **state)
{
	struct fixture *f = *state;
	int64_t alice = fx_add_user(f->store, "local", "alice", NULL);
	int64_t bob = fx_add_user(f->store, "local", "bob", NULL);
	struct lk_session s = {.user_id = alice, .auth_time = T0 - 1000};
	struct lk_oauth_error e;

	ASSERT_OK(f, "response_type=code&client_id=%s" PKCE, f->first);
	f->a.hint_user = alice;
	assert_int_equal(next(f, f->first, &s, T0, false, T0, &e), LK_AUTHZ_ISSUE);
	/* Another user's session from before the request: sign in again. */
	f->a.hint_user = bob;
	assert_int_equal(next(f, f->first, &s, T0, false, T0, &e), LK_AUTHZ_LOGIN);
	/* ...or login_required, with prompt=none. */
	ASSERT_OK(f, "response_type=code&client_id=%s" PKCE "&prompt=none", f->first);
	f->a.hint_user = bob;
	assert_int_equal(next(f, f->first, &s, T0, false, T0, &e), LK_AUTHZ_FAIL);
	assert_string_equal(lk_oauth_code_name(e.code), "login_required");
	/* Signed in for this request, but as someone else: login_required. */
	ASSERT_OK(f, "response_type=code&client_id=%s" PKCE, f->first);
	f->a.hint_user = bob;
	s.auth_time = T0 + 5;
	assert_int_equal(next(f, f->first, &s, T0, false, T0 + 6, &e), LK_AUTHZ_FAIL);
	assert_string_equal(lk_oauth_code_name(e.code), "login_required");
	/* The named user, freshly signed in: the code. */
	s.user_id = bob;
	assert_int_equal(next(f, f->first, &s, T0, false, T0 + 6, &e), LK_AUTHZ_ISSUE);
	/* The hint survives the pending store. */
	round_trip(f);
}

static void test_next_max_age(void **state)
{
	struct fixture *f = *state;
	int64_t uid = fx_add_user(f->store, "local", "alice", NULL);
	struct lk_session s = {.user_id = uid};
	struct lk_oauth_error e;

	ASSERT_OK(f, "response_type=code&client_id=%s" PKCE "&max_age=60", f->first);
	/* Signed in 60 s ago: still within max_age. */
	s.auth_time = T0 - 60;
	assert_int_equal(next(f, f->first, &s, T0, false, T0, &e), LK_AUTHZ_ISSUE);
	/* 61 s ago: too old. */
	s.auth_time = T0 - 61;
	assert_int_equal(next(f, f->first, &s, T0, false, T0, &e), LK_AUTHZ_LOGIN);
	/* A sign-in since the request began counts, however long the consent took. */
	s.auth_time = T0 + 1;
	assert_int_equal(next(f, f->first, &s, T0, false, T0 + 500, &e), LK_AUTHZ_ISSUE);
	/* max_age=0: always a new sign-in (OpenID Connect Core §3.1.2.1). */
	ASSERT_OK(f, "response_type=code&client_id=%s" PKCE "&max_age=0", f->first);
	s.auth_time = T0 - 1;
	assert_int_equal(next(f, f->first, &s, T0, false, T0, &e), LK_AUTHZ_LOGIN);
	/* With prompt=none, login_required. */
	ASSERT_OK(f, "response_type=code&client_id=%s" PKCE "&max_age=0&prompt=none", f->first);
	assert_int_equal(next(f, f->first, &s, T0, false, T0, &e), LK_AUTHZ_FAIL);
	assert_string_equal(lk_oauth_code_name(e.code), "login_required");
}

static void test_next_consent(void **state)
{
	struct fixture *f = *state;
	int64_t uid = fx_add_user(f->store, "local", "alice", NULL);
	int64_t other = fx_add_user(f->store, "local", "bob", NULL);
	struct lk_session s = {.user_id = uid, .auth_time = T0 - 10};
	struct lk_oauth_error e;
	char *given = NULL;

	/* Not first party, nothing consented yet. */
	ASSERT_OK(f, WEB "&scope=api", f->web);
	assert_int_equal(next(f, f->web, &s, T0, false, T0, &e), LK_AUTHZ_CONSENT);
	/* Given on the consent page for this request. */
	assert_int_equal(next(f, f->web, &s, T0, true, T0, &e), LK_AUTHZ_ISSUE);
	/* prompt=none: consent_required. */
	ASSERT_OK(f, WEB "&scope=api&prompt=none", f->web);
	assert_int_equal(next(f, f->web, &s, T0, false, T0, &e), LK_AUTHZ_FAIL);
	assert_string_equal(lk_oauth_code_name(e.code), "consent_required");
	/* Remembered for "api": covers "api" and nothing more. */
	ASSERT_OK(f, WEB "&scope=api", f->web);
	assert_int_equal(lk_authz_remember_consent(f->store, &f->a, uid, T0), LK_OK);
	assert_int_equal(next(f, f->web, &s, T0, false, T0, &e), LK_AUTHZ_ISSUE);
	ASSERT_OK(f, WEB "&scope=api&prompt=none", f->web);
	assert_int_equal(next(f, f->web, &s, T0, false, T0, &e), LK_AUTHZ_ISSUE);
	ASSERT_OK(f, WEB "&scope=api+offline_access", f->web);
	assert_int_equal(next(f, f->web, &s, T0, false, T0, &e), LK_AUTHZ_CONSENT);
	/* Another user's consent is theirs alone. */
	ASSERT_OK(f, WEB "&scope=api", f->web);
	s.user_id = other;
	assert_int_equal(next(f, f->web, &s, T0, false, T0, &e), LK_AUTHZ_CONSENT);
	s.user_id = uid;
	/* Another app's consent neither. */
	ASSERT_OK(f, "response_type=code&client_id=%s" PKCE "&scope=api", f->qry);
	assert_int_equal(next(f, f->qry, &s, T0, false, T0, &e), LK_AUTHZ_CONSENT);
	/* Consenting to more adds to what was given. */
	ASSERT_OK(f, WEB "&scope=offline_access", f->web);
	assert_int_equal(lk_authz_remember_consent(f->store, &f->a, uid, T0 + 1), LK_OK);
	assert_int_equal(lk_store_consent_get(f->store, uid, f->web, &given), LK_OK);
	assert_true(lk_scope_covers(given, "api offline_access"));
	free(given);
	ASSERT_OK(f, WEB "&scope=api+offline_access", f->web);
	assert_int_equal(next(f, f->web, &s, T0, false, T0, &e), LK_AUTHZ_ISSUE);
	/* Consenting again to less takes nothing away. */
	ASSERT_OK(f, WEB "&scope=api", f->web);
	assert_int_equal(lk_authz_remember_consent(f->store, &f->a, uid, T0 + 2), LK_OK);
	ASSERT_OK(f, WEB "&scope=api+offline_access", f->web);
	assert_int_equal(next(f, f->web, &s, T0, false, T0, &e), LK_AUTHZ_ISSUE);
	/* prompt=consent asks again, unless given for this very request. */
	ASSERT_OK(f, WEB "&scope=api&prompt=consent", f->web);
	assert_int_equal(next(f, f->web, &s, T0, false, T0, &e), LK_AUTHZ_CONSENT);
	assert_int_equal(next(f, f->web, &s, T0, true, T0, &e), LK_AUTHZ_ISSUE);
	/* A first-party app skips consent. */
	ASSERT_OK(f, "response_type=code&client_id=%s" PKCE, f->first);
	assert_int_equal(next(f, f->first, &s, T0, false, T0, &e), LK_AUTHZ_ISSUE);
	/* Without a session, login comes before consent. */
	ASSERT_OK(f, WEB "&scope=api+offline_access", f->web);
	assert_int_equal(next(f, f->web, NULL, T0, false, T0, &e), LK_AUTHZ_LOGIN);
}

static void test_remember_consent_refuses_huge_scope(void **state)
{
	struct fixture *f = *state;
	int64_t uid = fx_add_user(f->store, "local", "alice", NULL);
	struct lk_authz big = {0};
	char *word = malloc(LK_SCOPE_MAX + 2);
	char *given = NULL;

	/*
	 * A scope word past LK_SCOPE_MAX (never produced by lk_authz_parse, but
	 * the function takes any lk_authz): refused, nothing stored, nothing
	 * leaked (the sanitizer build checks the last).
	 */
	ASSERT_OK(f, WEB "&scope=api", f->web);
	assert_int_equal(lk_authz_remember_consent(f->store, &f->a, uid, T0), LK_OK);
	assert_non_null(word);
	memset(word, 'a', LK_SCOPE_MAX + 1);
	word[LK_SCOPE_MAX + 1] = '\0';
	big.client_id = f->web;
	big.scope = word;
	assert_int_equal(lk_authz_remember_consent(f->store, &big, uid, T0 + 1), LK_ETOOBIG);
	assert_int_equal(lk_store_consent_get(f->store, uid, f->web, &given), LK_OK);
	assert_string_equal(given, "api");
	free(given);
	free(word);
}

/* --- codes ------------------------------------------------------------------- */

static void test_issue_code(void **state)
{
	struct fixture *f = *state;
	int64_t uid = fx_add_user(f->store, "local", "alice", NULL);
	struct lk_session s = {.user_id = uid, .auth_time = T0 - 30};
	struct lk_code_record rec = {0};
	uint8_t hash[LK_SHA256_LEN];
	char code[LK_TOKEN_MAX], code2[LK_TOKEN_MAX];

	snprintf(s.sid, sizeof(s.sid), "sid-1");
	snprintf(s.amr, sizeof(s.amr), "pwd");
	ASSERT_OK(f, WEB "&scope=api&nonce=n0", f->web);
	assert_int_equal(lk_authz_issue_code(f->store, &f->cfg, &f->a, &s, T0, code), LK_OK);
	assert_int_equal(strncmp(code, "lk_ac_", 6), 0);
	/* 256 random bits: 43 base64url characters after the prefix. */
	assert_int_equal(strlen(code), 6 + 43);
	assert_int_equal(lk_authz_issue_code(f->store, &f->cfg, &f->a, &s, T0, code2), LK_OK);
	assert_string_not_equal(code, code2);
	/* Only the hash is stored, bound to everything the token request checks. */
	lk_sha256(code, strlen(code), hash);
	assert_int_equal(lk_store_code_consume(f->store, hash, T0 + 1, &rec), LK_OK);
	assert_string_equal(rec.client_id, f->web);
	assert_string_equal(rec.redirect_uri, "https://app.example/cb");
	assert_int_equal(rec.user_id, uid);
	assert_string_equal(rec.scope, "api");
	assert_string_equal(rec.nonce, "n0");
	assert_string_equal(rec.code_challenge, CH);
	assert_string_equal(rec.sid, "sid-1");
	assert_string_equal(rec.amr, "pwd");
	assert_int_equal(rec.auth_time, T0 - 30);
	assert_int_equal(rec.created_at, T0);
	assert_int_equal(rec.expires_at, T0 + f->cfg.code_lifetime);
	assert_true(rec.grant_id[0] != '\0');
	lk_code_record_release(&rec);
	/* Each code is its own grant. */
	lk_sha256(code2, strlen(code2), hash);
	assert_int_equal(lk_store_code_consume(f->store, hash, T0 + 1, &rec), LK_OK);
	assert_string_equal(rec.redirect_uri, "https://app.example/cb");
	lk_code_record_release(&rec);
	/* The redirect URI is stored as sent: "" when omitted. */
	ASSERT_OK(f, "response_type=code&client_id=%s" PKCE, f->web);
	assert_int_equal(lk_authz_issue_code(f->store, &f->cfg, &f->a, &s, T0, code), LK_OK);
	lk_sha256(code, strlen(code), hash);
	assert_int_equal(lk_store_code_consume(f->store, hash, T0 + 1, &rec), LK_OK);
	assert_string_equal(rec.redirect_uri, "");
	assert_string_equal(rec.code_challenge, CH);
	lk_code_record_release(&rec);
}

/* --- lk_buf_addurl ----------------------------------------------------------- */

static void test_buf_addurl(void **state)
{
	struct lk_buf b;

	lk_buf_init(&b, 64);
	/* Unreserved characters (RFC 3986 §2.3) pass as they are. */
	assert_int_equal(lk_buf_addurl(&b, "AZaz09-._~"), LK_OK);
	assert_string_equal(lk_buf_str(&b), "AZaz09-._~");
	lk_buf_reset(&b);
	assert_int_equal(lk_buf_addurl(&b, "a b+c&d=e/f?g#h%i\xc3\xa9"), LK_OK);
	assert_string_equal(lk_buf_str(&b), "a%20b%2Bc%26d%3De%2Ff%3Fg%23h%25i%C3%A9");
	lk_buf_reset(&b);
	assert_int_equal(lk_buf_addurl(&b, ""), LK_OK);
	assert_string_equal(lk_buf_str(&b), "");
	/* Past the maximum: an error, and the buffer as it was. */
	assert_int_equal(lk_buf_addstr(&b, "keep"), LK_OK);
	assert_int_equal(lk_buf_addurl(&b, "                    x"), LK_ETOOBIG);
	assert_string_equal(lk_buf_str(&b), "keep");
	assert_int_equal(b.len, 4);
	lk_buf_release(&b);
	/* On a buffer that never held anything. */
	lk_buf_init(&b, 2);
	assert_int_equal(lk_buf_addurl(&b, " "), LK_ETOOBIG);
	assert_string_equal(lk_buf_str(&b), "");
	assert_int_equal(lk_buf_addurl(&b, "ab"), LK_OK);
	assert_string_equal(lk_buf_str(&b), "ab");
	lk_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_untrusted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_untrusted_before_everything, setup, teardown),
		cmocka_unit_test_setup_teardown(test_single_uri_may_be_omitted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mobile_localhost, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mobile_title, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scope, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prompt_and_max_age, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pkce_required, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pkce_form, setup, teardown),
		cmocka_unit_test_setup_teardown(test_result_query, setup, teardown),
		cmocka_unit_test_setup_teardown(test_result_fragment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_result_form_post, setup, teardown),
		cmocka_unit_test_setup_teardown(test_result_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_result_title, setup, teardown),
		cmocka_unit_test_setup_teardown(test_origin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_round_trip, setup, teardown),
		cmocka_unit_test(test_json_refused),
		cmocka_unit_test_setup_teardown(test_internal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_next_login, setup, teardown),
		cmocka_unit_test_setup_teardown(test_next_max_age, setup, teardown),
		cmocka_unit_test_setup_teardown(test_next_hint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_next_consent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remember_consent_refuses_huge_scope, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_issue_code, setup, teardown),
		cmocka_unit_test(test_buf_addurl),
	};

	lk_log_setup(LK_LOG_ERROR, LK_LOG_TEXT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
