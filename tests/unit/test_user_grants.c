/*
 * The grants that act for a person (src/oauth/user_grants.c), driven
 * through lk_token_grant with hand-built token requests: the authorization
 * code with PKCE and its single use, refresh token rotation and reuse, and
 * the password grant. Codes come from lk_authz_parse and
 * lk_authz_issue_code, as the authorization endpoint makes them; tokens are
 * checked with lk_token_inspect. A fresh in-memory database per test, small
 * Argon2id parameters, the clock moved by hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/log.h"
#include "jose/keyring.h"
#include "oauth/authorize.h"
#include "oauth/inspect.h"
#include "oauth/registry.h"
#include "oauth/token_grants.h"
#include "store_fixture.h"

#define T0 1800000000
#define ALICE_PW "correct horse battery staple"
/* RFC 7636 Appendix B. */
#define VERIFIER "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
#define CH "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
#define PKCE "&code_challenge=" CH "&code_challenge_method=S256"
#define URI "https://app.example/cb"
/* An authorization request of a web application (add its client_id) for a scope. */
#define AUTHZ "response_type=code&client_id=%s&redirect_uri=" URI PKCE "&scope=%s"
/* The token request that redeems it: code, client_id, client_secret. */
#define REDEEM                                                                                     \
	"grant_type=authorization_code&code=%s&redirect_uri=" URI "&code_verifier=" VERIFIER       \
	"&client_id=%s&client_secret=%s"

struct app {
	char *id;
	char secret[LK_TOKEN_MAX];
};

struct fixture {
	struct lk_config cfg;
	struct lk_store *store;
	struct lk_registry r;
	struct lk_master_key mk;
	struct lk_keyring *kr;
	struct lk_clients *clients;
	struct lk_arena *arena;
	struct lk_grant_env env;
	struct lk_inspect_env ienv;
	int64_t alice;
	struct app web;	  /* confidential, "api offline_access" */
	struct app web2;  /* another one, the same redirect URI */
	struct app nooff; /* confidential, "api" only */
	struct app opq;	  /* confidential, opaque access tokens */
	struct app pub;	  /* public */
	struct app ttl;	  /* mobile-title (public) */
	struct app pw;	  /* password grant */
	struct app sld;	  /* sliding life cycle (opaque tokens) */
	struct lk_oauth_error err;
};

static struct lk_store *get_store(void *arg)
{
	return arg;
}

static void reload(struct fixture *f)
{
	struct lk_clients *c = NULL;

	assert_int_equal(lk_clients_load(f->store, T0, &c), LK_OK);
	lk_clients_unref(f->clients);
	f->clients = c;
	f->env.clients = c;
	f->ienv.clients = c;
}

static void add_app(struct fixture *f, struct app *out, const char *name, const char *grant,
		    const char *scopes, const char *strategy, const char *type, const char *format,
		    const char *lifecycle)
{
	struct lk_app_input in;
	struct lk_app a;

	lk_app_input_init(&in);
	in.name = name;
	in.grant = grant;
	in.scopes[in.nscopes++] = scopes;
	in.strategy = strategy;
	in.client_type = type;
	in.token_format = format;
	in.lifecycle = lifecycle;
	if (strcmp(grant, "authorization_code") == 0 &&
	    !(strategy && strcmp(strategy, "mobile-title") == 0))
		in.redirect_uris[in.nredirect_uris++] = URI;
	if (lk_registry_app_add(&f->r, &in, &a, out->secret) != LK_OK)
		fail_msg("app add %s: %s", name, f->r.err);
	out->id = strdup(a.client_id);
	assert_non_null(out->id);
	lk_app_release(&a);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct lk_key_record rec = {0};
	struct lk_user_input uin;
	struct lk_user u;

	assert_non_null(f);
	fx_fast_config(&f->cfg);
	f->store = fx_memory_store();
	f->r.store = f->store;
	f->r.cfg = &f->cfg;
	f->r.actor = "test";
	f->r.now = T0;
	f->arena = lk_arena_new(LK_HTTP_ARENA_MAX);
	assert_non_null(f->arena);
	assert_int_equal(lk_random_bytes(f->mk.k, sizeof(f->mk.k)), LK_OK);
	assert_int_equal(lk_key_generate("ES256", &f->mk, T0 - 100, T0 - 100, &rec), LK_OK);
	assert_int_equal(lk_keyring_build(&rec, 1, &f->mk, T0, &f->kr), LK_OK);
	lk_key_record_release(&rec);
	lk_user_input_init(&uin);
	uin.user = "alice";
	uin.email = "alice@example.com";
	assert_int_equal(lk_registry_user_add(&f->r, &uin, ALICE_PW, &u, NULL), LK_OK);
	f->alice = u.id;
	lk_user_release(&u);
	add_app(f, &f->web, "web", "authorization_code", "api offline_access", NULL, NULL, NULL,
		NULL);
	add_app(f, &f->web2, "web2", "authorization_code", "api offline_access", NULL, NULL, NULL,
		NULL);
	add_app(f, &f->nooff, "nooff", "authorization_code", "api", NULL, NULL, NULL, NULL);
	add_app(f, &f->opq, "opq", "authorization_code", "api offline_access", NULL, NULL, "opaque",
		NULL);
	add_app(f, &f->pub, "pub", "authorization_code", "api offline_access", NULL, "public", NULL,
		NULL);
	add_app(f, &f->ttl, "ttl", "authorization_code", "api offline_access", "mobile-title", NULL,
		NULL, NULL);
	add_app(f, &f->pw, "pw", "password", "api offline_access", NULL, NULL, NULL, NULL);
	add_app(f, &f->sld, "sld", "authorization_code", "api offline_access", NULL, NULL, "opaque",
		"sliding");
	f->env.cfg = &f->cfg;
	f->env.keyring = f->kr;
	f->env.endpoint_url = "http://127.0.0.1:8080/oauth2/token";
	f->env.now = T0;
	f->env.store = get_store;
	f->env.store_arg = f->store;
	f->env.client_addr = "192.0.2.1";
	f->ienv.cfg = &f->cfg;
	f->ienv.keyring = f->kr;
	f->ienv.store = f->store;
	f->ienv.now = T0;
	reload(f);
	*state = f;
	return 0;
}

static void app_free(struct app *a)
{
	free(a->id);
	lk_wipe(a->secret, sizeof(a->secret));
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	app_free(&f->web);
	app_free(&f->web2);
	app_free(&f->nooff);
	app_free(&f->opq);
	app_free(&f->pub);
	app_free(&f->ttl);
	app_free(&f->pw);
	app_free(&f->sld);
	lk_clients_unref(f->clients);
	lk_keyring_unref(f->kr);
	lk_master_key_wipe(&f->mk);
	lk_arena_free(f->arena);
	lk_store_close(f->store);
	lk_config_release(&f->cfg);
	free(f);
	return 0;
}

/* Parses form-encoded text into f's arena, as the server does. */
static void form(struct fixture *f, struct lk_params *p, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

static void form(struct fixture *f, struct lk_params *p, const char *fmt, va_list ap)
{
	char text[8192];
	int n = vsnprintf(text, sizeof(text), fmt, ap);

	assert_true(n >= 0 && (size_t)n < sizeof(text));
	assert_int_equal(lk_form_parse(f->arena, text, strlen(text), 64, false, p, NULL), LK_OK);
}

/*
 * An authorization request that passes, and its code, issued at env.now to
 * alice signed in 10 s before.
 */
__attribute__((format(printf, 3, 4))) static void
get_code(struct fixture *f, char code[LK_TOKEN_MAX], const char *fmt, ...)
{
	struct lk_params p;
	struct lk_authz a = {0};
	struct lk_authz_error e = {0};
	struct lk_session s = {.user_id = f->alice, .auth_time = f->env.now - 10};
	va_list ap;

	va_start(ap, fmt);
	form(f, &p, fmt, ap);
	va_end(ap);
	if (!lk_authz_parse(&f->cfg, f->clients, &p, NULL, &a, &e))
		fail_msg("authorization refused: %s (%s)", lk_oauth_code_name(e.oauth.code),
			 e.oauth.description);
	snprintf(s.sid, sizeof(s.sid), "sid-1");
	snprintf(s.amr, sizeof(s.amr), "pwd");
	assert_int_equal(lk_authz_issue_code(f->store, &f->cfg, &a, &s, f->env.now, code), LK_OK);
	lk_authz_release(&a);
}

/* A POST to the token endpoint with a form body; true when a token is issued. */
__attribute__((format(printf, 3, 4))) static bool
token(struct fixture *f, struct lk_grant_result *res, const char *fmt, ...)
{
	struct lk_request req;
	va_list ap;
	bool ok;

	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.path = "/oauth2/token";
	req.query_string = "";
	req.client_addr = f->env.client_addr;
	req.arena = f->arena;
	req.body = "";
	req.form_err = LK_OK;
	va_start(ap, fmt);
	form(f, &req.form, fmt, ap);
	va_end(ap);
	memset(&f->err, 0, sizeof(f->err));
	memset(res, 0x5a, sizeof(*res));
	ok = lk_token_grant(&f->env, &req, res, &f->err);
	if (ok)
		assert_int_equal(f->err.code, LK_OAUTH_NONE);
	return ok;
}

#define ASSERT_GRANTED(f, res, ...)                                                                \
	do {                                                                                       \
		if (!token(f, res, __VA_ARGS__))                                                   \
			fail_msg("refused: %s (%s)", lk_oauth_code_name((f)->err.code),            \
				 (f)->err.description);                                            \
	} while (0)

#define ASSERT_REFUSED(f, want, ...)                                                               \
	do {                                                                                       \
		struct lk_grant_result r_;                                                         \
		assert_false(token(f, &r_, __VA_ARGS__));                                          \
		assert_string_equal(lk_oauth_code_name((f)->err.code), want);                      \
	} while (0)

/* Whether an access token is active at introspection now. */
static bool active(struct fixture *f, const char *tok)
{
	struct lk_token_info info = {0};
	bool on;

	f->ienv.now = f->env.now;
	assert_int_equal(lk_token_inspect(&f->ienv, tok, &info), LK_OK);
	on = info.active;
	lk_token_info_release(&info);
	return on;
}

static void save(char dst[LK_TOKEN_MAX], const char *src)
{
	assert_true(strlen(src) < LK_TOKEN_MAX);
	memcpy(dst, src, strlen(src) + 1);
}

/* --- authorization code ------------------------------------------------------ */

static void test_code_with_refresh(void **state)
{
	struct fixture *f = *state;
	struct lk_grant_result res;
	struct lk_token_info info = {0};
	char code[LK_TOKEN_MAX], sub[24];

	get_code(f, code, AUTHZ, f->web.id, "api+offline_access");
	ASSERT_GRANTED(f, &res, REDEEM, code, f->web.id, f->web.secret);
	assert_true(res.access.jwt);
	assert_string_equal(res.access.scope, "api offline_access");
	assert_int_equal(res.access.expires_in, 3600);
	/* offline_access granted: a refresh token comes with it. */
	assert_int_equal(strncmp(res.refresh, "lk_rt_", 6), 0);
	assert_int_equal(strlen(res.refresh), 6 + 43);
	/* The access token is alice's, for this client. */
	assert_int_equal(lk_token_inspect(&f->ienv, res.access.token, &info), LK_OK);
	assert_true(info.active);
	assert_string_equal(info.client_id, f->web.id);
	snprintf(sub, sizeof(sub), "%lld", (long long)f->alice);
	assert_string_equal(info.subject, sub);
	assert_string_equal(info.scope, "api offline_access");
	lk_token_info_release(&info);
	lk_grant_result_release(&res);
}

static void test_code_without_offline_access(void **state)
{
	struct fixture *f = *state;
	struct lk_grant_result res;
	char code[LK_TOKEN_MAX];

	get_code(f, code, AUTHZ, f->web.id, "api");
	ASSERT_GRANTED(f, &res, REDEEM, code, f->web.id, f->web.secret);
	assert_string_equal(res.access.scope, "api");
	assert_string_equal(res.refresh, "");
	lk_grant_result_release(&res);
	/* Asked for, but the application may not have it: none either. */
	get_code(f, code, AUTHZ, f->nooff.id, "api+offline_access");
	ASSERT_GRANTED(f, &res, REDEEM, code, f->nooff.id, f->nooff.secret);
	assert_string_equal(res.access.scope, "api");
	assert_string_equal(res.refresh, "");
	lk_grant_result_release(&res);
}

static void replay(struct fixture *f, struct app *app)
{
	struct lk_grant_result first, again;
	char code[LK_TOKEN_MAX];

	get_code(f, code, AUTHZ, app->id, "api+offline_access");
	ASSERT_GRANTED(f, &first, REDEEM, code, app->id, app->secret);
	assert_true(active(f, first.access.token));
	/* RFC 6749 §4.1.2: a second use fails... */
	f->env.now = T0 + 5;
	assert_false(token(f, &again, REDEEM, code, app->id, app->secret));
	assert_string_equal(lk_oauth_code_name(f->err.code), "invalid_grant");
	assert_int_equal(lk_oauth_code_status(f->err.code), 400);
	/* ...and what the first one issued is revoked. */
	assert_false(active(f, first.access.token));
	ASSERT_REFUSED(f, "invalid_grant",
		       "grant_type=refresh_token&refresh_token=%s"
		       "&client_id=%s&client_secret=%s",
		       first.refresh, app->id, app->secret);
	/* A third try is no different. */
	ASSERT_REFUSED(f, "invalid_grant", REDEEM, code, app->id, app->secret);
	lk_grant_result_release(&first);
}

static void test_code_replay(void **state)
{
	struct fixture *f = *state;

	replay(f, &f->web);
}

static void test_code_replay_opaque(void **state)
{
	struct fixture *f = *state;

	replay(f, &f->opq);
}

static void test_code_unknown(void **state)
{
	struct fixture *f = *state;
	char code[LK_TOKEN_MAX];

	assert_int_equal(lk_token_new(LK_TOKEN_CODE, code), LK_OK);
	ASSERT_REFUSED(f, "invalid_grant", REDEEM, code, f->web.id, f->web.secret);
	ASSERT_REFUSED(f, "invalid_grant", REDEEM, "lk_rt_abc", f->web.id, f->web.secret);
	ASSERT_REFUSED(f, "invalid_grant", REDEEM, "abc", f->web.id, f->web.secret);
	ASSERT_REFUSED(f, "invalid_request",
		       "grant_type=authorization_code&redirect_uri=" URI "&code_verifier=" VERIFIER
		       "&client_id=%s&client_secret=%s",
		       f->web.id, f->web.secret);
}

static void test_code_redirect_uri(void **state)
{
	struct fixture *f = *state;
	struct lk_grant_result res;
	char code[LK_TOKEN_MAX];

	/* RFC 6749 §4.1.3: the same redirect_uri as the authorization request. */
	get_code(f, code, AUTHZ, f->web.id, "api");
	ASSERT_REFUSED(f, "invalid_grant",
		       "grant_type=authorization_code&code=%s&redirect_uri=https://app.example/cb/"
		       "&code_verifier=" VERIFIER "&client_id=%s&client_secret=%s",
		       code, f->web.id, f->web.secret);
	get_code(f, code, AUTHZ, f->web.id, "api");
	ASSERT_REFUSED(f, "invalid_grant",
		       "grant_type=authorization_code&code=%s"
		       "&code_verifier=" VERIFIER "&client_id=%s&client_secret=%s",
		       code, f->web.id, f->web.secret);
	/* Absent from the authorization request: absent here too. */
	get_code(f, code, "response_type=code&client_id=%s" PKCE, f->web.id);
	ASSERT_REFUSED(f, "invalid_grant", REDEEM, code, f->web.id, f->web.secret);
	get_code(f, code, "response_type=code&client_id=%s" PKCE, f->web.id);
	ASSERT_GRANTED(f, &res,
		       "grant_type=authorization_code&code=%s"
		       "&code_verifier=" VERIFIER "&client_id=%s&client_secret=%s",
		       code, f->web.id, f->web.secret);
	lk_grant_result_release(&res);
}

static void test_code_mobile_title_redirect(void **state)
{
	struct fixture *f = *state;
	struct lk_grant_result res;
	char code[LK_TOKEN_MAX];

	/* DESIGN §2: absent and the out-of-band URN are one value. */
	get_code(f, code,
		 "response_type=code&client_id=%s&redirect_uri=urn:ietf:wg:oauth:2.0:oob:auto" PKCE,
		 f->ttl.id);
	ASSERT_GRANTED(f, &res,
		       "grant_type=authorization_code&code=%s&code_verifier=" VERIFIER
		       "&client_id=%s",
		       code, f->ttl.id);
	lk_grant_result_release(&res);
	get_code(f, code, "response_type=code&client_id=%s" PKCE, f->ttl.id);
	ASSERT_GRANTED(f, &res,
		       "grant_type=authorization_code&code=%s&code_verifier=" VERIFIER
		       "&redirect_uri=urn:ietf:wg:oauth:2.0:oob:auto&client_id=%s",
		       code, f->ttl.id);
	lk_grant_result_release(&res);
	get_code(f, code,
		 "response_type=code&client_id=%s&redirect_uri=urn:ietf:wg:oauth:2.0:oob:auto" PKCE,
		 f->ttl.id);
	ASSERT_GRANTED(f, &res,
		       "grant_type=authorization_code&code=%s&code_verifier=" VERIFIER
		       "&redirect_uri=urn:ietf:wg:oauth:2.0:oob:auto&client_id=%s",
		       code, f->ttl.id);
	lk_grant_result_release(&res);
	/* Anything else is not the same. */
	get_code(f, code, "response_type=code&client_id=%s" PKCE, f->ttl.id);
	ASSERT_REFUSED(f, "invalid_grant",
		       "grant_type=authorization_code&code=%s&code_verifier=" VERIFIER
		       "&redirect_uri=" URI "&client_id=%s",
		       code, f->ttl.id);
}

static void test_code_pkce(void **state)
{
	struct fixture *f = *state;
	struct lk_grant_result res;
	char code[LK_TOKEN_MAX];

	/* A well-formed verifier that is not the one. */
	get_code(f, code, AUTHZ, f->web.id, "api");
	ASSERT_REFUSED(f, "invalid_grant",
		       "grant_type=authorization_code&code=%s&redirect_uri=" URI
		       "&code_verifier=eBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
		       "&client_id=%s&client_secret=%s",
		       code, f->web.id, f->web.secret);
	/* A malformed one. */
	get_code(f, code, AUTHZ, f->web.id, "api");
	ASSERT_REFUSED(f, "invalid_grant",
		       "grant_type=authorization_code&code=%s&redirect_uri=" URI
		       "&code_verifier=short&client_id=%s&client_secret=%s",
		       code, f->web.id, f->web.secret);
	/* None, for a code with a challenge. */
	get_code(f, code, AUTHZ, f->web.id, "api");
	ASSERT_REFUSED(f, "invalid_grant",
		       "grant_type=authorization_code&code=%s&redirect_uri=" URI
		       "&client_id=%s&client_secret=%s",
		       code, f->web.id, f->web.secret);
	/* RFC 9700 §2.1.1: a verifier for a code without a challenge is a downgrade. */
	f->cfg.pkce_required = false;
	get_code(f, code, "response_type=code&client_id=%s&redirect_uri=" URI "&scope=api",
		 f->web.id);
	ASSERT_REFUSED(f, "invalid_grant", REDEEM, code, f->web.id, f->web.secret);
	get_code(f, code, "response_type=code&client_id=%s&redirect_uri=" URI "&scope=api",
		 f->web.id);
	ASSERT_GRANTED(f, &res,
		       "grant_type=authorization_code&code=%s&redirect_uri=" URI
		       "&client_id=%s&client_secret=%s",
		       code, f->web.id, f->web.secret);
	lk_grant_result_release(&res);
}

static void test_code_expired(void **state)
{
	struct fixture *f = *state;
	struct lk_grant_result res;
	char code[LK_TOKEN_MAX], code2[LK_TOKEN_MAX];

	assert_int_equal(f->cfg.code_lifetime, 60);
	get_code(f, code, AUTHZ, f->web.id, "api");
	get_code(f, code2, AUTHZ, f->web.id, "api");
	f->env.now = T0 + 60;
	ASSERT_REFUSED(f, "invalid_grant", REDEEM, code, f->web.id, f->web.secret);
	f->env.now = T0 + 59;
	ASSERT_GRANTED(f, &res, REDEEM, code2, f->web.id, f->web.secret);
	lk_grant_result_release(&res);
}

static void test_code_other_client(void **state)
{
	struct fixture *f = *state;
	char code[LK_TOKEN_MAX];

	/* Another client's code, with that client's own valid credentials. */
	get_code(f, code, AUTHZ, f->web.id, "api");
	ASSERT_REFUSED(f, "invalid_grant", REDEEM, code, f->web2.id, f->web2.secret);
	/* The client's id with another's secret: client authentication fails. */
	get_code(f, code, AUTHZ, f->web.id, "api");
	ASSERT_REFUSED(f, "invalid_client", REDEEM, code, f->web.id, f->web2.secret);
	/* A confidential client must authenticate: its client_id alone is not enough. */
	ASSERT_REFUSED(f, "invalid_client",
		       "grant_type=authorization_code&code=%s&redirect_uri=" URI
		       "&code_verifier=" VERIFIER "&client_id=%s",
		       code, f->web.id);
}

static void test_code_public_client(void **state)
{
	struct fixture *f = *state;
	struct lk_grant_result res, res2;
	char code[LK_TOKEN_MAX];

	get_code(f, code, AUTHZ, f->pub.id, "api+offline_access");
	ASSERT_GRANTED(f, &res,
		       "grant_type=authorization_code&code=%s&redirect_uri=" URI
		       "&code_verifier=" VERIFIER "&client_id=%s",
		       code, f->pub.id);
	assert_true(active(f, res.access.token));
	assert_true(res.refresh[0] != '\0');
	/* Its refresh token with client_id only, too. */
	ASSERT_GRANTED(f, &res2, "grant_type=refresh_token&refresh_token=%s&client_id=%s",
		       res.refresh, f->pub.id);
	assert_true(res2.refresh[0] != '\0');
	lk_grant_result_release(&res2);
	lk_grant_result_release(&res);
	/* Without any client identification. */
	get_code(f, code, AUTHZ, f->pub.id, "api");
	assert_false(token(f, &res,
			   "grant_type=authorization_code&code=%s&redirect_uri=" URI
			   "&code_verifier=" VERIFIER,
			   code));
}

/* --- refresh tokens ---------------------------------------------------------- */

/* Redeems a fresh code of web for "api offline_access". */
static void start(struct fixture *f, struct lk_grant_result *res)
{
	char code[LK_TOKEN_MAX];

	get_code(f, code, AUTHZ, f->web.id, "api+offline_access");
	ASSERT_GRANTED(f, res, REDEEM, code, f->web.id, f->web.secret);
	assert_true(res->refresh[0] != '\0');
}

#define REFRESH "grant_type=refresh_token&refresh_token=%s&client_id=%s&client_secret=%s"
#define PASSWORD "grant_type=password&username=%s&password=%s&client_id=%s&client_secret=%s"

static void test_refresh_rotation(void **state)
{
	struct fixture *f = *state;
	struct lk_grant_result a, b, c, d, e;

	start(f, &a);
	f->env.now = T0 + 100;
	ASSERT_GRANTED(f, &b, REFRESH, a.refresh, f->web.id, f->web.secret);
	/* A new refresh token every time (RFC 9700 §4.14.2). */
	assert_int_equal(strncmp(b.refresh, "lk_rt_", 6), 0);
	assert_string_not_equal(b.refresh, a.refresh);
	assert_string_equal(b.access.scope, "api offline_access");
	assert_true(active(f, b.access.token));
	/* The older access token stays valid: rotation revokes nothing. */
	assert_true(active(f, a.access.token));
	ASSERT_GRANTED(f, &c, REFRESH, b.refresh, f->web.id, f->web.secret);
	assert_string_not_equal(c.refresh, b.refresh);
	/* Narrower: the access token has less; the new refresh token keeps the grant's scope. */
	ASSERT_GRANTED(f, &d, REFRESH "&scope=api", c.refresh, f->web.id, f->web.secret);
	assert_string_equal(d.access.scope, "api");
	assert_true(d.refresh[0] != '\0');
	/* Wider: invalid_scope, and the token is not used up by the refusal. */
	ASSERT_REFUSED(f, "invalid_scope", REFRESH "&scope=api+openid", d.refresh, f->web.id,
		       f->web.secret);
	ASSERT_REFUSED(f, "invalid_scope", REFRESH "&scope=email", d.refresh, f->web.id,
		       f->web.secret);
	ASSERT_GRANTED(f, &e, REFRESH, d.refresh, f->web.id, f->web.secret);
	assert_string_equal(e.access.scope, "api offline_access");
	assert_true(active(f, e.access.token));
	lk_grant_result_release(&a);
	lk_grant_result_release(&b);
	lk_grant_result_release(&c);
	lk_grant_result_release(&d);
	lk_grant_result_release(&e);
}

static void test_refresh_reuse_revokes_family(void **state)
{
	struct fixture *f = *state;
	struct lk_grant_result a, b, c, other;

	start(f, &a);
	start(f, &other); /* another grant of the same user and client */
	ASSERT_GRANTED(f, &b, REFRESH, a.refresh, f->web.id, f->web.secret);
	ASSERT_GRANTED(f, &c, REFRESH, b.refresh, f->web.id, f->web.secret);
	assert_true(active(f, c.access.token));
	/* b's refresh token again: a theft. */
	ASSERT_REFUSED(f, "invalid_grant", REFRESH, b.refresh, f->web.id, f->web.secret);
	/* The newest refresh token of the family stops working too... */
	ASSERT_REFUSED(f, "invalid_grant", REFRESH, c.refresh, f->web.id, f->web.secret);
	ASSERT_REFUSED(f, "invalid_grant", REFRESH, a.refresh, f->web.id, f->web.secret);
	/* ...and every access token of the family is inactive. */
	assert_false(active(f, a.access.token));
	assert_false(active(f, b.access.token));
	assert_false(active(f, c.access.token));
	/* Another family is left alone. */
	assert_true(active(f, other.access.token));
	lk_grant_result_release(&c);
	ASSERT_GRANTED(f, &c, REFRESH, other.refresh, f->web.id, f->web.secret);
	lk_grant_result_release(&a);
	lk_grant_result_release(&b);
	lk_grant_result_release(&c);
	lk_grant_result_release(&other);
}

static void test_refresh_other_client(void **state)
{
	struct fixture *f = *state;
	struct lk_grant_result a, b;

	start(f, &a);
	ASSERT_REFUSED(f, "invalid_grant", REFRESH, a.refresh, f->web2.id, f->web2.secret);
	ASSERT_REFUSED(f, "invalid_grant", "grant_type=refresh_token&refresh_token=%s&client_id=%s",
		       a.refresh, f->pub.id);
	/* The owner's token is not used up by that. */
	ASSERT_GRANTED(f, &b, REFRESH, a.refresh, f->web.id, f->web.secret);
	assert_true(active(f, a.access.token));
	lk_grant_result_release(&a);
	lk_grant_result_release(&b);
}

static void test_refresh_unknown_and_expired(void **state)
{
	struct fixture *f = *state;
	struct lk_grant_result a;
	char rt[LK_TOKEN_MAX];
	int64_t life = (int64_t)f->cfg.refresh_lifetime * 60;

	assert_int_equal(lk_token_new(LK_TOKEN_REFRESH, rt), LK_OK);
	ASSERT_REFUSED(f, "invalid_grant", REFRESH, rt, f->web.id, f->web.secret);
	ASSERT_REFUSED(f, "invalid_grant", REFRESH, "lk_ac_abc", f->web.id, f->web.secret);
	ASSERT_REFUSED(f, "invalid_request",
		       "grant_type=refresh_token&client_id=%s&client_secret=%s", f->web.id,
		       f->web.secret);
	start(f, &a);
	save(rt, a.refresh);
	lk_grant_result_release(&a);
	f->env.now = T0 + life;
	ASSERT_REFUSED(f, "invalid_grant", REFRESH, rt, f->web.id, f->web.secret);
	f->env.now = T0 + life - 1;
	ASSERT_GRANTED(f, &a, REFRESH, rt, f->web.id, f->web.secret);
	lk_grant_result_release(&a);
}

static void test_refresh_disabled_user(void **state)
{
	struct fixture *f = *state;
	struct lk_grant_result a;
	struct lk_user u;
	char rt[LK_TOKEN_MAX];

	start(f, &a);
	save(rt, a.refresh);
	assert_int_equal(lk_registry_user_set_enabled(&f->r, "alice", false, &u), LK_OK);
	lk_user_release(&u);
	reload(f);
	ASSERT_REFUSED(f, "invalid_grant", REFRESH, rt, f->web.id, f->web.secret);
	assert_false(active(f, a.access.token));
	lk_grant_result_release(&a);
}

static void test_refresh_family_end(void **state)
{
	struct fixture *f = *state;
	struct lk_grant_result a, b;
	char code[LK_TOKEN_MAX], rt[LK_TOKEN_MAX];
	int64_t life = (int64_t)f->cfg.refresh_lifetime * 60;

	/* DESIGN §1: an absolute application's refresh tokens end with the first one... */
	start(f, &a);
	f->env.now = T0 + life - 1;
	ASSERT_GRANTED(f, &b, REFRESH, a.refresh, f->web.id, f->web.secret);
	save(rt, b.refresh);
	lk_grant_result_release(&a);
	lk_grant_result_release(&b);
	f->env.now = T0 + life;
	ASSERT_REFUSED(f, "invalid_grant", REFRESH, rt, f->web.id, f->web.secret);
	/* ...a sliding one's live on while they are used. */
	f->env.now = T0;
	get_code(f, code, AUTHZ, f->sld.id, "api+offline_access");
	ASSERT_GRANTED(f, &a, REDEEM, code, f->sld.id, f->sld.secret);
	f->env.now = T0 + life - 1;
	ASSERT_GRANTED(f, &b, REFRESH, a.refresh, f->sld.id, f->sld.secret);
	save(rt, b.refresh);
	lk_grant_result_release(&a);
	lk_grant_result_release(&b);
	f->env.now = T0 + 2 * life - 2;
	ASSERT_GRANTED(f, &a, REFRESH, rt, f->sld.id, f->sld.secret);
	lk_grant_result_release(&a);
}

/* Disables alice in the store alone, as if the registry's revocation had not run yet. */
static void disable_in_store(struct fixture *f)
{
	struct lk_user u = {0};

	assert_int_equal(lk_store_user_get(f->store, f->alice, &u), LK_OK);
	u.enabled = false;
	assert_int_equal(lk_store_user_update(f->store, &u), LK_OK);
	lk_user_release(&u);
}

static void test_disabled_user_in_store(void **state)
{
	struct fixture *f = *state;
	struct lk_grant_result a;
	char code[LK_TOKEN_MAX], rt[LK_TOKEN_MAX];

	start(f, &a);
	save(rt, a.refresh);
	lk_grant_result_release(&a);
	get_code(f, code, AUTHZ, f->web.id, "api");
	disable_in_store(f);
	reload(f);
	ASSERT_REFUSED(f, "invalid_grant", REFRESH, rt, f->web.id, f->web.secret);
	ASSERT_REFUSED(f, "invalid_grant", REDEEM, code, f->web.id, f->web.secret);
	ASSERT_REFUSED(f, "invalid_grant", PASSWORD, "alice", "correct+horse+battery+staple",
		       f->pw.id, f->pw.secret);
}

/* --- password ----------------------------------------------------------------- */

static void test_password_grant(void **state)
{
	struct fixture *f = *state;
	struct lk_grant_result a, b;
	struct lk_token_info info = {0};
	char sub[24];

	ASSERT_GRANTED(f, &a, PASSWORD "&scope=api+offline_access", "alice",
		       "correct+horse+battery+staple", f->pw.id, f->pw.secret);
	assert_string_equal(a.access.scope, "api offline_access");
	assert_int_equal(strncmp(a.refresh, "lk_rt_", 6), 0);
	assert_int_equal(lk_token_inspect(&f->ienv, a.access.token, &info), LK_OK);
	assert_true(info.active);
	snprintf(sub, sizeof(sub), "%lld", (long long)f->alice);
	assert_string_equal(info.subject, sub);
	assert_string_equal(info.client_id, f->pw.id);
	lk_token_info_release(&info);
	/* Its refresh token works with the refresh grant. */
	ASSERT_GRANTED(f, &b, REFRESH, a.refresh, f->pw.id, f->pw.secret);
	assert_true(b.refresh[0] != '\0');
	lk_grant_result_release(&b);
	lk_grant_result_release(&a);
	/* The email is a user name too; no offline_access, no refresh token. */
	ASSERT_GRANTED(f, &a, PASSWORD "&scope=api", "alice%40example.com",
		       "correct+horse+battery+staple", f->pw.id, f->pw.secret);
	assert_string_equal(a.refresh, "");
	lk_grant_result_release(&a);
	/* Nothing asked for: everything allowed. */
	ASSERT_GRANTED(f, &a, PASSWORD, "local%5Calice", "correct+horse+battery+staple", f->pw.id,
		       f->pw.secret);
	assert_string_equal(a.access.scope, "api offline_access");
	lk_grant_result_release(&a);
	ASSERT_REFUSED(f, "invalid_scope", PASSWORD "&scope=email", "alice",
		       "correct+horse+battery+staple", f->pw.id, f->pw.secret);
}

static void test_password_refused(void **state)
{
	struct fixture *f = *state;

	ASSERT_REFUSED(f, "invalid_grant", PASSWORD, "alice", "wrong", f->pw.id, f->pw.secret);
	assert_int_equal(f->err.retry_after, 0);
	ASSERT_REFUSED(f, "invalid_grant", PASSWORD, "nobody", "wrong", f->pw.id, f->pw.secret);
	ASSERT_REFUSED(f, "invalid_request",
		       "grant_type=password&username=alice&client_id=%s&client_secret=%s", f->pw.id,
		       f->pw.secret);
	/* Only applications registered for the grant. */
	ASSERT_REFUSED(f, "unauthorized_client", PASSWORD, "alice", "correct+horse+battery+staple",
		       f->web.id, f->web.secret);
	ASSERT_REFUSED(f, "unauthorized_client",
		       "grant_type=authorization_code&code=lk_ac_abc&client_id=%s&client_secret=%s",
		       f->pw.id, f->pw.secret);
	/* Client authentication first. */
	ASSERT_REFUSED(f, "invalid_client", PASSWORD, "alice", "correct+horse+battery+staple",
		       f->pw.id, f->web.secret);
}

static void test_password_throttled(void **state)
{
	struct fixture *f = *state;
	int i;

	/* Failures counted as on the login page (the previous tests' are gone: a fresh database).
	 */
	for (i = 0; i < f->cfg.max_failures; i++)
		ASSERT_REFUSED(f, "invalid_grant", PASSWORD, "alice", "wrong", f->pw.id,
			       f->pw.secret);
	ASSERT_REFUSED(f, "invalid_grant", PASSWORD, "alice", "correct+horse+battery+staple",
		       f->pw.id, f->pw.secret);
	assert_int_equal(f->err.retry_after, 60);
	f->env.now = T0 + 60;
	{
		struct lk_grant_result a;

		ASSERT_GRANTED(f, &a, PASSWORD, "alice", "correct+horse+battery+staple", f->pw.id,
			       f->pw.secret);
		lk_grant_result_release(&a);
	}
}

static void test_unsupported_grant(void **state)
{
	struct fixture *f = *state;

	ASSERT_REFUSED(f, "unsupported_grant_type",
		       "grant_type=implicit&client_id=%s&client_secret=%s", f->web.id,
		       f->web.secret);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_code_with_refresh, setup, teardown),
		cmocka_unit_test_setup_teardown(test_code_without_offline_access, setup, teardown),
		cmocka_unit_test_setup_teardown(test_code_replay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_code_replay_opaque, setup, teardown),
		cmocka_unit_test_setup_teardown(test_code_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_code_redirect_uri, setup, teardown),
		cmocka_unit_test_setup_teardown(test_code_mobile_title_redirect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_code_pkce, setup, teardown),
		cmocka_unit_test_setup_teardown(test_code_expired, setup, teardown),
		cmocka_unit_test_setup_teardown(test_code_other_client, setup, teardown),
		cmocka_unit_test_setup_teardown(test_code_public_client, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refresh_rotation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refresh_reuse_revokes_family, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refresh_other_client, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refresh_unknown_and_expired, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refresh_disabled_user, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refresh_family_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disabled_user_in_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_password_grant, setup, teardown),
		cmocka_unit_test_setup_teardown(test_password_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_password_throttled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unsupported_grant, setup, teardown),
	};

	lk_log_setup(LK_LOG_ERROR, LK_LOG_TEXT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
