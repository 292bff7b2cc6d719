/*
 * UserInfo (src/oauth/userinfo.c): which token a request presents, by hand-
 * built requests, and the claims a token releases, for users and tokens
 * made through the registry on a fresh in-memory database.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "core/log.h"
#include "oauth/registry.h"
#include "oauth/tokens.h"
#include "oauth/userinfo.h"
#include "store_fixture.h"

#define T0 1800000000
#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- The token of a request ---- */

/* A request with the given method, headers, query and form (each may be empty). */
struct fake {
	struct lk_request req;
	struct lk_param headers[2];
	struct lk_param query[2];
	struct lk_param form[2];
};

static void fake_init(struct fake *f, const char *method)
{
	memset(f, 0, sizeof(*f));
	f->req.method = method;
	f->req.headers.items = f->headers;
	f->req.query.items = f->query;
	f->req.form.items = f->form;
	f->req.query_err = LK_OK;
	f->req.form_err = LK_ENOTFOUND;
}

static void add(struct lk_params *p, const char *name, const char *value)
{
	p->items[p->n].name = name;
	p->items[p->n].value = value;
	p->items[p->n].value_len = strlen(value);
	p->n++;
}

static void with_form(struct fake *f, const char *name, const char *value)
{
	f->req.form_err = LK_OK;
	if (name)
		add(&f->req.form, name, value);
}

/* lk_userinfo_token's answer: the token, or NULL with *code set. */
static const char *token_of(struct fake *f, enum lk_oauth_code *code)
{
	struct lk_oauth_error e = {0};
	const char *t = NULL;

	*code = LK_OAUTH_NONE;
	if (lk_userinfo_token(&f->req, &t, &e)) {
		assert_non_null(t);
		return t;
	}
	*code = e.code;
	assert_true(e.description[0] != '\0');
	return NULL;
}

static void test_token_methods(void **state)
{
	struct fake f;
	enum lk_oauth_code code;

	fake_init(&f, "GET");
	add(&f.req.headers, "authorization", "Bearer abc.def-_~+/=");
	assert_string_equal(token_of(&f, &code), "abc.def-_~+/=");

	fake_init(&f, "POST");
	add(&f.req.headers, "Authorization", "bearer tok");
	assert_string_equal(token_of(&f, &code), "tok");

	fake_init(&f, "POST");
	with_form(&f, "access_token", "lk_at_x");
	assert_string_equal(token_of(&f, &code), "lk_at_x");

	/* A header of another scheme is no bearer token. */
	fake_init(&f, "POST");
	add(&f.req.headers, "Authorization", "Basic dTpw");
	with_form(&f, "access_token", "lk_at_x");
	assert_string_equal(token_of(&f, &code), "lk_at_x");
	(void)state;
}

static void test_token_refused(void **state)
{
	struct fake f;
	enum lk_oauth_code code;

	/* Nothing at all: RFC 6750 §3.1, no error code. */
	fake_init(&f, "GET");
	assert_null(token_of(&f, &code));
	assert_int_equal(code, LK_OAUTH_NONE);
	fake_init(&f, "POST");
	with_form(&f, NULL, NULL);
	assert_null(token_of(&f, &code));
	assert_int_equal(code, LK_OAUTH_NONE);
	fake_init(&f, "GET");
	add(&f.req.headers, "Authorization", "Basic dTpw");
	assert_null(token_of(&f, &code));
	assert_int_equal(code, LK_OAUTH_NONE);

	/* Two methods at once. */
	fake_init(&f, "POST");
	add(&f.req.headers, "Authorization", "Bearer tok");
	with_form(&f, "access_token", "tok");
	assert_null(token_of(&f, &code));
	assert_int_equal(code, LK_OAUTH_INVALID_REQUEST);

	/* The query string, or a GET body, is no method here. */
	fake_init(&f, "GET");
	add(&f.req.query, "access_token", "tok");
	assert_null(token_of(&f, &code));
	assert_int_equal(code, LK_OAUTH_INVALID_REQUEST);
	fake_init(&f, "GET");
	with_form(&f, "access_token", "tok");
	assert_null(token_of(&f, &code));
	assert_int_equal(code, LK_OAUTH_INVALID_REQUEST);

	/* A broken form or query. */
	fake_init(&f, "POST");
	f.req.form_err = LK_EDUP;
	f.req.form_dup = "access_token";
	assert_null(token_of(&f, &code));
	assert_int_equal(code, LK_OAUTH_INVALID_REQUEST);
	fake_init(&f, "GET");
	f.req.query_err = LK_EPARSE;
	assert_null(token_of(&f, &code));
	assert_int_equal(code, LK_OAUTH_INVALID_REQUEST);

	/* A malformed header or an empty form token is an invalid token. */
	fake_init(&f, "GET");
	add(&f.req.headers, "Authorization", "Bearer a b");
	assert_null(token_of(&f, &code));
	assert_int_equal(code, LK_OAUTH_INVALID_TOKEN);
	fake_init(&f, "POST");
	with_form(&f, "access_token", "");
	assert_null(token_of(&f, &code));
	assert_int_equal(code, LK_OAUTH_INVALID_TOKEN);
	(void)state;
}

/* ---- The claims of a token ---- */

struct fixture {
	struct lk_config cfg;
	struct lk_store *store;
	struct lk_registry r;
	struct lk_master_key mk;
	struct lk_keyring *kr;
	struct lk_clients *clients;
	struct lk_inspect_env env;
	char *app; /* client_id of a client-credentials app with every OIDC scope */
};

static void reload(struct fixture *f)
{
	struct lk_clients *c = NULL;

	assert_int_equal(lk_clients_load(f->store, T0, &c), LK_OK);
	lk_clients_unref(f->clients);
	f->clients = c;
	f->env.clients = c;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct lk_key_record rec = {0};
	struct lk_app_input in;
	struct lk_app a;
	char secret[LK_TOKEN_MAX];

	assert_non_null(f);
	fx_fast_config(&f->cfg);
	f->store = fx_memory_store();
	f->r = (struct lk_registry){.store = f->store, .cfg = &f->cfg, .actor = "test", .now = T0};
	assert_int_equal(lk_random_bytes(f->mk.k, sizeof(f->mk.k)), LK_OK);
	assert_int_equal(lk_key_generate("ES256", &f->mk, T0 - 100, T0 - 100, &rec), LK_OK);
	assert_int_equal(lk_keyring_build(&rec, 1, &f->mk, T0, &f->kr), LK_OK);
	lk_key_record_release(&rec);
	f->env = (struct lk_inspect_env){
		.cfg = &f->cfg, .keyring = f->kr, .store = f->store, .now = T0};
	lk_app_input_init(&in);
	in.name = "svc";
	in.grant = "client_credentials";
	in.scopes[in.nscopes++] = "api openid profile email phone";
	assert_int_equal(lk_registry_app_add(&f->r, &in, &a, secret), LK_OK);
	f->app = strdup(a.client_id);
	assert_non_null(f->app);
	lk_app_release(&a);
	reload(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	free(f->app);
	lk_clients_unref(f->clients);
	lk_keyring_unref(f->kr);
	lk_master_key_wipe(&f->mk);
	lk_store_close(f->store);
	lk_config_release(&f->cfg);
	free(f);
	return 0;
}

/* Adds a user and writes its id in decimal, the token subject, to sub. */
static void add_user(struct fixture *f, const struct lk_user_input *in, char sub[24])
{
	struct lk_user u;
	char pw[LK_PASSWORD_GENERATED_LEN + 1];

	assert_int_equal(lk_registry_user_add(&f->r, in, NULL, &u, pw), LK_OK);
	snprintf(sub, 24, "%lld", (long long)u.id);
	lk_user_release(&u);
}

/* A JWT access token of the app for subject with scope; free with lk_access_token_release. */
static void issue(struct fixture *f, const char *subject, const char *scope,
		  struct lk_access_token *t)
{
	const struct lk_client *c = lk_clients_find(f->clients, f->app);
	struct lk_token_env te = {.cfg = &f->cfg, .keyring = f->kr, .store = f->store, .now = T0};

	assert_non_null(c);
	assert_int_equal(lk_access_token_issue(&te, c, subject, scope, t), LK_OK);
}

/* The claims for subject and scope as a JSON object, or NULL with *code. */
static json_t *claims(struct fixture *f, const char *subject, const char *scope,
		      enum lk_oauth_code *code)
{
	struct lk_access_token t = {0};
	struct lk_oauth_error e = {0};
	char *text = NULL;
	json_t *o = NULL;

	issue(f, subject, scope, &t);
	*code = LK_OAUTH_NONE;
	if (lk_userinfo_claims(&f->env, t.token, &text, &e)) {
		o = json_loads(text, 0, NULL);
		assert_non_null(o);
		free(text);
	} else {
		*code = e.code;
	}
	lk_access_token_release(&t);
	return o;
}

static const char *str(const json_t *o, const char *name)
{
	const json_t *v = json_object_get(o, name);

	assert_true(json_is_string(v));
	return json_string_value(v);
}

static void test_claims_by_scope(void **state)
{
	struct fixture *f = *state;
	struct lk_user_input in;
	enum lk_oauth_code code;
	char sub[24];
	json_t *o;

	lk_user_input_init(&in);
	in.user = "alice";
	in.email = "alice@example.org";
	in.email_verified = 1;
	in.display_name = "Alice Liddell";
	in.given_name = "Alice";
	in.family_name = "Liddell";
	in.phone = "+1 555 0100";
	add_user(f, &in, sub);

	o = claims(f, sub, "openid profile email phone", &code);
	assert_non_null(o);
	assert_int_equal(json_object_size(o), 10);
	assert_string_equal(str(o, "sub"), sub);
	assert_string_equal(str(o, "name"), "Alice Liddell");
	assert_string_equal(str(o, "given_name"), "Alice");
	assert_string_equal(str(o, "family_name"), "Liddell");
	assert_string_equal(str(o, "preferred_username"), "alice");
	assert_int_equal(json_integer_value(json_object_get(o, "updated_at")), T0);
	assert_string_equal(str(o, "email"), "alice@example.org");
	assert_true(json_is_true(json_object_get(o, "email_verified")));
	assert_string_equal(str(o, "phone_number"), "+1 555 0100");
	assert_true(json_is_false(json_object_get(o, "phone_number_verified")));
	json_decref(o);

	/* openid alone: only sub. */
	o = claims(f, sub, "openid", &code);
	assert_int_equal(json_object_size(o), 1);
	assert_string_equal(str(o, "sub"), sub);
	json_decref(o);
}

/* Empty values are left out, with the verified flag of a missing value. */
static void test_claims_empty_and_domain(void **state)
{
	struct fixture *f = *state;
	struct lk_user_input in;
	enum lk_oauth_code code;
	char sub[24];
	json_t *o;

	lk_user_input_init(&in);
	in.user = "corp\\bob";
	add_user(f, &in, sub);
	o = claims(f, sub, "openid profile email phone", &code);
	assert_non_null(o);
	assert_int_equal(json_object_size(o), 3);
	assert_string_equal(str(o, "preferred_username"), "corp\\bob");
	assert_non_null(json_object_get(o, "updated_at"));
	json_decref(o);
}

static void test_claims_refused(void **state)
{
	struct fixture *f = *state;
	struct lk_user_input in;
	struct lk_user u;
	struct lk_oauth_error e = {0};
	enum lk_oauth_code code;
	char sub[24], *text = NULL;

	lk_user_input_init(&in);
	in.user = "carol";
	add_user(f, &in, sub);
	/* Core §5.3.1: without openid, insufficient_scope. */
	assert_null(claims(f, sub, "profile email", &code));
	assert_int_equal(code, LK_OAUTH_INSUFFICIENT_SCOPE);
	/* The application's own token, and subjects that are no user. */
	assert_null(claims(f, f->app, "openid", &code));
	assert_int_equal(code, LK_OAUTH_INVALID_TOKEN);
	assert_null(claims(f, "999999", "openid", &code));
	assert_int_equal(code, LK_OAUTH_INVALID_TOKEN);
	assert_null(claims(f, "0123", "openid", &code));
	assert_int_equal(code, LK_OAUTH_INVALID_TOKEN);
	/* Not a token at all. */
	assert_false(lk_userinfo_claims(&f->env, "lk_at_nope", &text, &e));
	assert_int_equal(e.code, LK_OAUTH_INVALID_TOKEN);
	assert_null(text);
	/* A disabled user's token is no longer active. */
	assert_int_equal(lk_registry_user_set_enabled(&f->r, "carol", false, &u), LK_OK);
	lk_user_release(&u);
	assert_null(claims(f, sub, "openid", &code));
	assert_int_equal(code, LK_OAUTH_INVALID_TOKEN);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_methods),
		cmocka_unit_test(test_token_refused),
		T(test_claims_by_scope),
		T(test_claims_empty_and_domain),
		T(test_claims_refused),
	};

	lk_log_setup(LK_LOG_WARN, LK_LOG_TEXT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
