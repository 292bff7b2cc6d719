/*
 * RP-initiated logout requests (src/oauth/logout.c): the id_token_hint
 * (ID tokens signed by lk_id_token_issue, and things that are not), the
 * application it or client_id names, and the post-logout redirect, for
 * applications made through the registry on a fresh in-memory database.
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
#include "oauth/id_token.h"
#include "oauth/logout.h"
#include "oauth/registry.h"
#include "oauth/tokens.h"
#include "store_fixture.h"

#define T0 1800000000
#define BYE "https://rp.example/bye"
#define BYE_QUERY "https://rp.example/bye?from=op"

struct fixture {
	struct lk_config cfg;
	struct lk_store *store;
	struct lk_registry r;
	struct lk_master_key mk;
	struct lk_keyring *kr;	    /* the server's keys */
	struct lk_keyring *foreign; /* keys the server never published */
	struct lk_clients *clients;
	char *rp;    /* client_id of an app with BYE and BYE_QUERY registered */
	char *other; /* client_id of an app with no post-logout URI */
	int64_t uid;
};

static struct lk_keyring *make_keyring(const struct lk_master_key *mk)
{
	struct lk_key_record rec[2] = {{0}};
	struct lk_keyring *kr = NULL;

	assert_int_equal(lk_key_generate("RS256", mk, T0 - 100, T0 - 100, &rec[0]), LK_OK);
	assert_int_equal(lk_key_generate("ES256", mk, T0 - 100, T0 - 100, &rec[1]), LK_OK);
	assert_int_equal(lk_keyring_build(rec, 2, mk, T0, &kr), LK_OK);
	lk_key_record_release(&rec[0]);
	lk_key_record_release(&rec[1]);
	return kr;
}

static void reload(struct fixture *f)
{
	struct lk_clients *c = NULL;

	assert_int_equal(lk_clients_load(f->store, T0, &c), LK_OK);
	lk_clients_unref(f->clients);
	f->clients = c;
}

static char *add_app(struct fixture *f, const char *name, bool logout_uris)
{
	struct lk_app_input in;
	struct lk_app a;
	char secret[LK_TOKEN_MAX];
	char *id;

	lk_app_input_init(&in);
	in.name = name;
	in.grant = "authorization_code";
	in.scopes[in.nscopes++] = "openid";
	in.redirect_uris[in.nredirect_uris++] = "https://rp.example/cb";
	if (logout_uris) {
		in.post_logout_uris[in.npost_logout_uris++] = BYE;
		in.post_logout_uris[in.npost_logout_uris++] = BYE_QUERY;
	}
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
	struct lk_user_input in;
	struct lk_user u;
	char pw[LK_PASSWORD_GENERATED_LEN + 1];

	assert_non_null(f);
	fx_fast_config(&f->cfg);
	f->store = fx_memory_store();
	f->r = (struct lk_registry){.store = f->store, .cfg = &f->cfg, .actor = "test", .now = T0};
	assert_int_equal(lk_random_bytes(f->mk.k, sizeof(f->mk.k)), LK_OK);
	f->kr = make_keyring(&f->mk);
	f->foreign = make_keyring(&f->mk);
	lk_user_input_init(&in);
	in.user = "alice";
	assert_int_equal(lk_registry_user_add(&f->r, &in, NULL, &u, pw), LK_OK);
	f->uid = u.id;
	lk_user_release(&u);
	f->rp = add_app(f, "rp", true);
	f->other = add_app(f, "other", false);
	reload(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	free(f->rp);
	free(f->other);
	lk_clients_unref(f->clients);
	lk_keyring_unref(f->kr);
	lk_keyring_unref(f->foreign);
	lk_master_key_wipe(&f->mk);
	lk_store_close(f->store);
	lk_config_release(&f->cfg);
	free(f);
	return 0;
}

/* An ID token for client_id signed with kr at time now; free it. */
static char *id_token(struct fixture *f, const struct lk_keyring *kr, const char *client_id,
		      int64_t now)
{
	const struct lk_client *c = lk_clients_find(f->clients, client_id);
	const struct lk_id_token_claims claims = {
		.user_id = f->uid, .auth_time = now, .sid = "sid-1", .amr = "pwd"};
	char *out = NULL;

	assert_non_null(c);
	assert_int_equal(lk_id_token_issue(&f->cfg, kr, c, &claims, now, &out), LK_OK);
	return out;
}

/* lk_logout_check on p; true with *l filled, false with *code set. */
static bool check(struct fixture *f, const struct lk_logout_params *p, struct lk_logout *l,
		  enum lk_oauth_code *code)
{
	struct lk_oauth_error e = {0};

	memset(l, 0, sizeof(*l));
	*code = LK_OAUTH_NONE;
	if (lk_logout_check(&f->cfg, f->kr, f->clients, p, l, &e))
		return true;
	*code = e.code;
	assert_true(e.description[0] != '\0');
	assert_null(l->redirect);
	return false;
}

static void test_hint(void **state)
{
	struct fixture *f = *state;
	char *hint = id_token(f, f->kr, f->rp, T0);
	struct lk_logout_params p = {
		.id_token_hint = hint, .post_logout_redirect_uri = BYE, .state = "a b&c"};
	struct lk_logout l;
	enum lk_oauth_code code;

	assert_true(check(f, &p, &l, &code));
	assert_true(l.hinted);
	assert_int_equal(l.user_id, f->uid);
	assert_string_equal(l.sid, "sid-1");
	assert_non_null(l.client);
	assert_string_equal(l.client->app.client_id, f->rp);
	assert_string_equal(l.redirect, BYE "?state=a%20b%26c");
	assert_string_equal(l.origin, "https:");
	lk_logout_release(&l);
	assert_null(l.redirect);

	/* client_id may repeat the hint's audience; state goes after a query. */
	p.client_id = f->rp;
	p.post_logout_redirect_uri = BYE_QUERY;
	assert_true(check(f, &p, &l, &code));
	assert_string_equal(l.redirect, BYE_QUERY "&state=a%20b%26c");
	lk_logout_release(&l);

	/* No state, no redirect URI. */
	p.state = NULL;
	assert_true(check(f, &p, &l, &code));
	assert_string_equal(l.redirect, BYE_QUERY);
	lk_logout_release(&l);
	p.post_logout_redirect_uri = "";
	assert_true(check(f, &p, &l, &code));
	assert_null(l.redirect);
	assert_string_equal(l.origin, "");
	lk_logout_release(&l);
	free(hint);

	/* §2: an expired hint still says who and which application. */
	hint = id_token(f, f->kr, f->rp, T0 - 86400);
	p.id_token_hint = hint;
	assert_true(check(f, &p, &l, &code));
	assert_true(l.hinted);
	lk_logout_release(&l);
	free(hint);
}

static void test_hint_refused(void **state)
{
	struct fixture *f = *state;
	char *hint = id_token(f, f->kr, f->rp, T0);
	char *foreign = id_token(f, f->foreign, f->rp, T0);
	const struct lk_client *c = lk_clients_find(f->clients, f->rp);
	struct lk_token_env te = {.cfg = &f->cfg, .keyring = f->kr, .store = f->store, .now = T0};
	struct lk_access_token at = {0};
	struct lk_logout_params p = {0};
	struct lk_logout l;
	enum lk_oauth_code code;
	size_t n = strlen(hint);

	/* An access token is signed with the same keys but is no ID token. */
	assert_int_equal(lk_access_token_issue(&te, c, "1", "openid", &at), LK_OK);
	assert_true(at.jwt);
	p.id_token_hint = at.token;
	assert_false(check(f, &p, &l, &code));
	assert_int_equal(code, LK_OAUTH_INVALID_REQUEST);
	lk_access_token_release(&at);

	p.id_token_hint = foreign;
	assert_false(check(f, &p, &l, &code));
	assert_int_equal(code, LK_OAUTH_INVALID_REQUEST);
	p.id_token_hint = "not.a.jwt";
	assert_false(check(f, &p, &l, &code));
	hint[n - 2] = hint[n - 2] == 'A' ? 'B' : 'A';
	p.id_token_hint = hint;
	assert_false(check(f, &p, &l, &code));
	assert_int_equal(code, LK_OAUTH_INVALID_REQUEST);
	free(hint);
	free(foreign);

	/* Another issuer's token, even with our keys. */
	hint = id_token(f, f->kr, f->rp, T0);
	free(f->cfg.issuer);
	f->cfg.issuer = strdup("https://elsewhere.example");
	assert_non_null(f->cfg.issuer);
	p.id_token_hint = hint;
	assert_false(check(f, &p, &l, &code));
	assert_int_equal(code, LK_OAUTH_INVALID_REQUEST);
	free(hint);
}

static void test_clients(void **state)
{
	struct fixture *f = *state;
	char *hint = id_token(f, f->kr, f->rp, T0);
	struct lk_logout_params p = {.id_token_hint = hint, .client_id = f->other};
	struct lk_logout l;
	enum lk_oauth_code code;

	/* §2: client_id must be the hint's audience. */
	assert_false(check(f, &p, &l, &code));
	assert_int_equal(code, LK_OAUTH_INVALID_REQUEST);
	free(hint);

	/* Without a hint, client_id names the application; it must exist. */
	p = (struct lk_logout_params){.client_id = f->rp, .post_logout_redirect_uri = BYE};
	assert_true(check(f, &p, &l, &code));
	assert_false(l.hinted);
	assert_int_equal(l.user_id, 0);
	assert_string_equal(l.sid, "");
	assert_string_equal(l.redirect, BYE);
	lk_logout_release(&l);
	p.client_id = "nope";
	assert_false(check(f, &p, &l, &code));
	assert_int_equal(code, LK_OAUTH_INVALID_REQUEST);

	/* No application: nothing to check a redirect URI against. */
	p.client_id = NULL;
	assert_true(check(f, &p, &l, &code));
	assert_null(l.client);
	assert_null(l.redirect);
	lk_logout_release(&l);
	lk_logout_release(NULL);
}

static void test_redirect_exact(void **state)
{
	struct fixture *f = *state;
	static const char *const bad[] = {
		"https://rp.example/bye/", "https://rp.example/bye?from=op&x=1",
		"https://RP.example/bye",  "https://rp.example/by",
		"http://rp.example/bye",   "https://evil.example/",
	};
	struct lk_logout_params p = {.client_id = f->rp, .state = "s"};
	struct lk_logout l;
	struct lk_app a;
	enum lk_oauth_code code;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p.post_logout_redirect_uri = bad[i];
		assert_true(check(f, &p, &l, &code));
		assert_non_null(l.client);
		assert_null(l.redirect);
		lk_logout_release(&l);
	}
	/* Another application's URI is not this one's. */
	p.client_id = f->other;
	p.post_logout_redirect_uri = BYE;
	assert_true(check(f, &p, &l, &code));
	assert_null(l.redirect);
	lk_logout_release(&l);
	/* A disabled application gets no redirect. */
	assert_int_equal(lk_registry_app_set_enabled(&f->r, "rp", false, &a), LK_OK);
	lk_app_release(&a);
	reload(f);
	p.client_id = f->rp;
	assert_true(check(f, &p, &l, &code));
	assert_null(l.redirect);
	lk_logout_release(&l);
}

static void test_limits(void **state)
{
	struct fixture *f = *state;
	char *big = malloc(LK_LOGOUT_PARAM_MAX + 2);
	struct lk_logout_params p = {.client_id = f->rp, .post_logout_redirect_uri = BYE};
	struct lk_logout l;
	enum lk_oauth_code code;

	assert_non_null(big);
	memset(big, 's', LK_LOGOUT_PARAM_MAX + 1);
	big[LK_LOGOUT_PARAM_MAX + 1] = '\0';
	p.state = big + 1; /* the longest state accepted, percent-encoding nothing */
	assert_true(check(f, &p, &l, &code));
	assert_int_equal(strlen(l.redirect), strlen(BYE "?state=") + LK_LOGOUT_PARAM_MAX);
	lk_logout_release(&l);
	p.state = big;
	assert_false(check(f, &p, &l, &code));
	assert_int_equal(code, LK_OAUTH_INVALID_REQUEST);
	p.state = NULL;
	p.client_id = big;
	assert_false(check(f, &p, &l, &code));
	p.client_id = f->rp;
	p.post_logout_redirect_uri = big;
	assert_false(check(f, &p, &l, &code));
	free(big);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_hint),		T(test_hint_refused), T(test_clients),
		T(test_redirect_exact), T(test_limits),
	};

	lk_log_setup(LK_LOG_WARN, LK_LOG_TEXT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
