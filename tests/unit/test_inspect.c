/*
 * Token inspection and revocation (src/oauth/inspect.c): JWT and opaque
 * access tokens issued by lk_access_token_issue for applications registered
 * through the registry, on a fresh in-memory database per test, with the
 * clock moved by hand.
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
#include "oauth/inspect.h"
#include "oauth/registry.h"
#include "oauth/tokens.h"
#include "store_fixture.h"

#define T0 1800000000

struct fixture {
	struct lk_config cfg;
	struct lk_store *store;
	struct lk_registry r;
	struct lk_master_key mk;
	struct lk_keyring *kr;	    /* the server's keys */
	struct lk_keyring *foreign; /* keys the server never published */
	struct lk_clients *clients;
	struct lk_inspect_env env;
};

static struct lk_keyring *make_keyring(const struct lk_master_key *mk)
{
	struct lk_key_record rec = {0};
	struct lk_keyring *kr = NULL;

	assert_int_equal(lk_key_generate("ES256", mk, T0 - 100, T0 - 100, &rec), LK_OK);
	assert_int_equal(lk_keyring_build(&rec, 1, mk, T0, &kr), LK_OK);
	lk_key_record_release(&rec);
	return kr;
}

/* Rebuilds the application snapshot, as the server does after a change. */
static void reload(struct fixture *f)
{
	struct lk_clients *c = NULL;

	assert_int_equal(lk_clients_load(f->store, f->env.now, &c), LK_OK);
	lk_clients_unref(f->clients);
	f->clients = c;
	f->env.clients = c;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	fx_fast_config(&f->cfg);
	f->store = fx_memory_store();
	f->r.store = f->store;
	f->r.cfg = &f->cfg;
	f->r.actor = "test";
	f->r.now = T0;
	assert_int_equal(lk_random_bytes(f->mk.k, sizeof(f->mk.k)), LK_OK);
	f->kr = make_keyring(&f->mk);
	f->foreign = make_keyring(&f->mk);
	f->env.cfg = &f->cfg;
	f->env.keyring = f->kr;
	f->env.store = f->store;
	f->env.now = T0;
	reload(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	lk_clients_unref(f->clients);
	lk_keyring_unref(f->kr);
	lk_keyring_unref(f->foreign);
	lk_master_key_wipe(&f->mk);
	lk_store_close(f->store);
	lk_config_release(&f->cfg);
	free(f);
	return 0;
}

/*
 * Registers a client-credentials application; lifetime, lifecycle, format
 * and user may be NULL (the defaults). Returns its client_id, malloc'd.
 */
static char *add_app(struct fixture *f, const char *name, const char *lifetime,
		     const char *lifecycle, const char *format, const char *user)
{
	struct lk_app_input in;
	struct lk_app a;
	char secret[LK_TOKEN_MAX];
	char *id;

	lk_app_input_init(&in);
	in.name = name;
	in.grant = "client_credentials";
	in.scopes[in.nscopes++] = "api openid";
	in.lifetime = lifetime;
	in.lifecycle = lifecycle;
	in.token_format = format;
	in.user = user;
	if (lk_registry_app_add(&f->r, &in, &a, secret) != LK_OK)
		fail_msg("app add %s: %s", name, f->r.err);
	id = strdup(a.client_id);
	assert_non_null(id);
	lk_app_release(&a);
	reload(f);
	return id;
}

/* Issues a token for the app at the fixture's current time with keyring kr. */
static void issue_with(struct fixture *f, const struct lk_keyring *kr, const char *client_id,
		       struct lk_access_token *t)
{
	const struct lk_client *c = lk_clients_find(f->clients, client_id);
	struct lk_token_env te = {
		.cfg = &f->cfg, .keyring = kr, .store = f->store, .now = f->env.now};

	assert_non_null(c);
	assert_int_equal(lk_access_token_issue(&te, c, c->subject, "api", t), LK_OK);
}

static void issue(struct fixture *f, const char *client_id, struct lk_access_token *t)
{
	issue_with(f, f->kr, client_id, t);
}

/* Inspects at time now; returns whether the token is active. */
static bool active_at(struct fixture *f, const char *token, int64_t now)
{
	struct lk_token_info info = {0};
	bool active;

	f->env.now = now;
	assert_int_equal(lk_token_inspect(&f->env, token, &info), LK_OK);
	active = info.active;
	if (!active) {
		/* An inactive answer carries nothing. */
		assert_null(info.client_id);
		assert_null(info.subject);
		assert_null(info.scope);
		assert_int_equal(info.expires_at, 0);
	}
	lk_token_info_release(&info);
	return active;
}

/* The stored expiry of an opaque token. */
static int64_t stored_expiry(struct fixture *f, const char *token)
{
	struct lk_token_record rec = {0};
	uint8_t hash[LK_SHA256_LEN];
	int64_t exp;

	lk_sha256(token, strlen(token), hash);
	assert_int_equal(lk_store_token_get(f->store, hash, &rec), LK_OK);
	exp = rec.expires_at;
	lk_token_record_release(&rec);
	return exp;
}

/* --- JWT ----------------------------------------------------------------- */

static void test_jwt_active(void **state)
{
	struct fixture *f = *state;
	char *id = add_app(f, "svc", "10", NULL, NULL, NULL);
	struct lk_access_token t = {0};
	struct lk_token_info info = {0};

	issue(f, id, &t);
	assert_true(t.jwt);
	assert_int_equal(lk_token_inspect(&f->env, t.token, &info), LK_OK);
	assert_true(info.active);
	assert_true(info.jwt);
	assert_string_equal(info.client_id, id);
	assert_string_equal(info.subject, id); /* no bound user: the app itself */
	assert_string_equal(info.scope, "api");
	assert_string_equal(info.issuer, f->cfg.issuer);
	assert_string_equal(info.audience, f->cfg.issuer);
	assert_string_equal(info.jti, t.jti);
	assert_int_equal(info.issued_at, T0);
	assert_int_equal(info.expires_at, T0 + 600);
	lk_token_info_release(&info);
	assert_null(info.client_id);
	/* Active up to the second before exp (RFC 7519 §4.1.4), not at exp. */
	assert_true(active_at(f, t.token, T0 + 599));
	assert_false(active_at(f, t.token, T0 + 600));
	assert_false(active_at(f, t.token, T0 + 100000));
	lk_access_token_release(&t);
	free(id);
}

static void test_jwt_revoked(void **state)
{
	struct fixture *f = *state;
	char *id = add_app(f, "svc", "10", NULL, NULL, NULL);
	char *other = add_app(f, "other", "10", NULL, NULL, NULL);
	struct lk_access_token t = {0};
	bool revoked = true;
	bool gone = false;

	issue(f, id, &t);
	/* RFC 7009 §2.1: another client's request revokes nothing. */
	assert_int_equal(lk_token_revoke(&f->env, t.token, other, &revoked), LK_OK);
	assert_false(revoked);
	assert_true(active_at(f, t.token, T0));
	assert_int_equal(lk_token_revoke(&f->env, t.token, id, &revoked), LK_OK);
	assert_true(revoked);
	assert_false(active_at(f, t.token, T0));
	assert_int_equal(lk_store_jti_revoked(f->store, t.jti, &gone), LK_OK);
	assert_true(gone);
	/* Revoking again is no error (§2.2). */
	assert_int_equal(lk_token_revoke(&f->env, t.token, id, NULL), LK_OK);
	assert_false(active_at(f, t.token, T0));
	lk_access_token_release(&t);
	/* An expired token is invalid anyway: nothing is recorded for it. */
	issue(f, id, &t);
	f->env.now = T0 + 600;
	assert_int_equal(lk_token_revoke(&f->env, t.token, id, &revoked), LK_OK);
	assert_false(revoked);
	assert_int_equal(lk_store_jti_revoked(f->store, t.jti, &gone), LK_OK);
	assert_false(gone);
	lk_access_token_release(&t);
	free(id);
	free(other);
}

static void test_jwt_foreign_key(void **state)
{
	struct fixture *f = *state;
	char *id = add_app(f, "svc", NULL, NULL, NULL, NULL);
	struct lk_access_token t = {0};
	bool revoked = true;

	/* A well-formed token with every claim right, signed by a key we never published. */
	issue_with(f, f->foreign, id, &t);
	assert_false(active_at(f, t.token, T0));
	assert_int_equal(lk_token_revoke(&f->env, t.token, id, &revoked), LK_OK);
	assert_false(revoked);
	lk_access_token_release(&t);
	free(id);
}

static void test_jwt_wrong_issuer(void **state)
{
	struct fixture *f = *state;
	char *id = add_app(f, "svc", NULL, NULL, NULL, NULL);
	struct lk_access_token t = {0};
	char *saved = f->cfg.issuer;

	/* Our own key, but minted for another issuer. */
	f->cfg.issuer = "https://elsewhere.example";
	issue(f, id, &t);
	f->cfg.issuer = saved;
	assert_false(active_at(f, t.token, T0));
	lk_access_token_release(&t);
	free(id);
}

/* Signs claims with the server's key and a given typ. */
static char *sign(struct fixture *f, const char *typ, const char *claims)
{
	char *out = NULL;

	assert_int_equal(lk_jwt_sign(f->kr, "ES256", typ, claims, strlen(claims), &out), LK_OK);
	return out;
}

/* RFC 9068 claims for client_id, valid from T0 for 60 s, with extra members. */
static void claims_of(struct fixture *f, char *buf, size_t n, const char *client_id,
		      const char *jti, const char *extra)
{
	snprintf(buf, n,
		 "{\"iss\":\"%s\",\"sub\":\"%s\",\"aud\":\"%s\",\"client_id\":\"%s\","
		 "\"scope\":\"api\",\"iat\":%d,\"exp\":%d,\"jti\":\"%s\"%s}",
		 f->cfg.issuer, client_id, f->cfg.issuer, client_id, T0, T0 + 60, jti, extra);
}

static void test_jwt_claims_required(void **state)
{
	struct fixture *f = *state;
	char *id = add_app(f, "svc", NULL, NULL, NULL, NULL);
	char claims[1024];
	char *tok;

	/* The reference: everything right is active. */
	claims_of(f, claims, sizeof(claims), id, "j1", "");
	tok = sign(f, "at+jwt", claims);
	assert_true(active_at(f, tok, T0));
	free(tok);
	/* RFC 9068 §4: the media type form of typ is accepted too. */
	tok = sign(f, "application/at+jwt", claims);
	assert_true(active_at(f, tok, T0));
	free(tok);
	/* An ID token or any other JWT of ours is not an access token. */
	tok = sign(f, "JWT", claims);
	assert_false(active_at(f, tok, T0));
	free(tok);
	tok = sign(f, NULL, claims);
	assert_false(active_at(f, tok, T0));
	free(tok);
	/* Not yet valid. */
	claims_of(f, claims, sizeof(claims), id, "j2", ",\"nbf\":1800000030");
	tok = sign(f, "at+jwt", claims);
	assert_false(active_at(f, tok, T0));
	assert_true(active_at(f, tok, T0 + 30));
	free(tok);
	/* An unknown client, an empty jti. */
	claims_of(f, claims, sizeof(claims), "nobody", "j3", "");
	tok = sign(f, "at+jwt", claims);
	assert_false(active_at(f, tok, T0));
	free(tok);
	claims_of(f, claims, sizeof(claims), id, "", "");
	tok = sign(f, "at+jwt", claims);
	assert_false(active_at(f, tok, T0));
	free(tok);
	/* No exp: a JWT access token always expires. */
	snprintf(claims, sizeof(claims),
		 "{\"iss\":\"%s\",\"sub\":\"%s\",\"client_id\":\"%s\",\"jti\":\"j4\"}",
		 f->cfg.issuer, id, id);
	tok = sign(f, "at+jwt", claims);
	assert_false(active_at(f, tok, T0));
	free(tok);
	/* exp of the wrong type. */
	snprintf(claims, sizeof(claims),
		 "{\"iss\":\"%s\",\"sub\":\"%s\",\"client_id\":\"%s\",\"jti\":\"j5\","
		 "\"exp\":\"1900000000\"}",
		 f->cfg.issuer, id, id);
	tok = sign(f, "at+jwt", claims);
	assert_false(active_at(f, tok, T0));
	free(tok);
	free(id);
}

/* --- opaque --------------------------------------------------------------- */

static void test_opaque_active_expired(void **state)
{
	struct fixture *f = *state;
	char *id = add_app(f, "ref", "1", NULL, "opaque", NULL);
	struct lk_access_token t = {0};
	struct lk_token_info info = {0};

	issue(f, id, &t);
	assert_false(t.jwt);
	assert_int_equal(strncmp(t.token, "lk_at_", 6), 0);
	assert_int_equal(lk_token_inspect(&f->env, t.token, &info), LK_OK);
	assert_true(info.active);
	assert_false(info.jwt);
	assert_string_equal(info.client_id, id);
	assert_string_equal(info.subject, id);
	assert_string_equal(info.scope, "api");
	assert_string_equal(info.issuer, f->cfg.issuer);
	assert_string_equal(info.audience, f->cfg.issuer);
	assert_string_equal(info.jti, t.jti);
	assert_int_equal(info.issued_at, T0);
	assert_int_equal(info.expires_at, T0 + 60);
	lk_token_info_release(&info);
	assert_true(active_at(f, t.token, T0 + 59));
	assert_false(active_at(f, t.token, T0 + 60));
	/* An absolute token never moves. */
	assert_int_equal(stored_expiry(f, t.token), T0 + 60);
	lk_access_token_release(&t);
	free(id);
}

static void test_opaque_never(void **state)
{
	struct fixture *f = *state;
	char *id = add_app(f, "forever", "never", NULL, NULL, NULL);
	struct lk_access_token t = {0};
	struct lk_token_info info = {0};

	issue(f, id, &t);
	assert_int_equal(t.expires_in, -1);
	f->env.now = T0 + 100000000;
	assert_int_equal(lk_token_inspect(&f->env, t.token, &info), LK_OK);
	assert_true(info.active);
	assert_int_equal(info.expires_at, 0);
	lk_token_info_release(&info);
	lk_access_token_release(&t);
	free(id);
}

static void test_opaque_revoked(void **state)
{
	struct fixture *f = *state;
	char *id = add_app(f, "ref", NULL, NULL, "opaque", NULL);
	char *other = add_app(f, "other", NULL, NULL, "opaque", NULL);
	struct lk_access_token t = {0};
	bool revoked = true;

	issue(f, id, &t);
	assert_int_equal(lk_token_revoke(&f->env, t.token, other, &revoked), LK_OK);
	assert_false(revoked);
	assert_true(active_at(f, t.token, T0));
	assert_int_equal(lk_token_revoke(&f->env, t.token, id, &revoked), LK_OK);
	assert_true(revoked);
	assert_false(active_at(f, t.token, T0));
	/* Already revoked: nothing more to do, and no error. */
	assert_int_equal(lk_token_revoke(&f->env, t.token, id, &revoked), LK_OK);
	assert_false(revoked);
	lk_access_token_release(&t);
	free(id);
	free(other);
}

static void test_unknown_and_garbage(void **state)
{
	struct fixture *f = *state;
	char *id = add_app(f, "ref", NULL, NULL, "opaque", NULL);
	struct lk_access_token t = {0};
	struct lk_token_info info = {0};
	char tok[LK_TOKEN_MAX], bad[LK_TOKEN_MAX];
	char *big;
	static const char *const garbage[] = {
		"",	      "x",	"a.b.c",     "..",
		"a.b.c.d",    "lk_at_", "lk_rt_abc", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
		"Bearer abc",
	};
	bool revoked = true;

	issue(f, id, &t);
	/* Unknown: the right shape, never issued. */
	assert_int_equal(lk_token_new(LK_TOKEN_ACCESS, tok), LK_OK);
	assert_false(active_at(f, tok, T0));
	/* Prefix-less or of another kind: the same random part is not looked up. */
	assert_false(active_at(f, t.token + 6, T0));
	snprintf(bad, sizeof(bad), "lk_rt_%s", t.token + 6);
	assert_false(active_at(f, bad, T0));
	snprintf(bad, sizeof(bad), "%sA", t.token);
	assert_false(active_at(f, bad, T0));
	for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
		assert_false(active_at(f, garbage[i], T0));
		assert_int_equal(lk_token_revoke(&f->env, garbage[i], id, &revoked), LK_OK);
		assert_false(revoked);
	}
	assert_false(active_at(f, NULL, T0));
	/* Past the length limit, even with the shape of a JWT. */
	big = malloc(LK_INSPECT_TOKEN_MAX + 2);
	assert_non_null(big);
	memset(big, 'A', LK_INSPECT_TOKEN_MAX + 1);
	big[10] = '.';
	big[20] = '.';
	big[LK_INSPECT_TOKEN_MAX + 1] = '\0';
	assert_false(active_at(f, big, T0));
	free(big);
	/* Missing pieces of the environment are the caller's error. */
	f->env.store = NULL;
	assert_int_equal(lk_token_inspect(&f->env, t.token, &info), LK_EINVAL);
	assert_int_equal(lk_token_revoke(&f->env, t.token, id, NULL), LK_EINVAL);
	f->env.store = f->store;
	assert_int_equal(lk_token_revoke(&f->env, t.token, NULL, NULL), LK_EINVAL);
	assert_false(info.active);
	assert_true(active_at(f, t.token, T0));
	lk_access_token_release(&t);
	free(id);
}

/* --- sliding -------------------------------------------------------------- */

static void test_sliding(void **state)
{
	struct fixture *f = *state;
	char *id = add_app(f, "slide", "1", "sliding", NULL, NULL);
	struct lk_access_token t = {0};
	struct lk_token_info info = {0};

	issue(f, id, &t);
	assert_false(t.jwt);
	assert_int_equal(stored_expiry(f, t.token), T0 + 60);
	/* Within the 5 s batch: no write, and the stored expiry is reported. */
	f->env.now = T0 + 3;
	assert_int_equal(lk_token_inspect(&f->env, t.token, &info), LK_OK);
	assert_true(info.active);
	assert_int_equal(info.expires_at, T0 + 60);
	lk_token_info_release(&info);
	assert_int_equal(stored_expiry(f, t.token), T0 + 60);
	/* Exactly 5 s of movement is still batched. */
	f->env.now = T0 + 5;
	assert_true(active_at(f, t.token, T0 + 5));
	assert_int_equal(stored_expiry(f, t.token), T0 + 60);
	/* More than 5 s: written and reported. */
	f->env.now = T0 + 10;
	assert_int_equal(lk_token_inspect(&f->env, t.token, &info), LK_OK);
	assert_true(info.active);
	assert_int_equal(info.expires_at, T0 + 70);
	lk_token_info_release(&info);
	assert_int_equal(stored_expiry(f, t.token), T0 + 70);
	assert_true(active_at(f, t.token, T0 + 14));
	assert_int_equal(stored_expiry(f, t.token), T0 + 70);
	assert_true(active_at(f, t.token, T0 + 16));
	assert_int_equal(stored_expiry(f, t.token), T0 + 76);
	/* Used before it lapses, it lives on well past its first lifetime. */
	assert_true(active_at(f, t.token, T0 + 70));
	assert_true(active_at(f, t.token, T0 + 125));
	assert_int_equal(stored_expiry(f, t.token), T0 + 185);
	/* Not used for a whole lifetime: expired, and a late use does not revive it. */
	assert_false(active_at(f, t.token, T0 + 185));
	assert_false(active_at(f, t.token, T0 + 190));
	assert_int_equal(stored_expiry(f, t.token), T0 + 185);
	lk_access_token_release(&t);
	free(id);
}

static void test_sliding_revoked_not_extended(void **state)
{
	struct fixture *f = *state;
	char *id = add_app(f, "slide", "1", "sliding", NULL, NULL);
	struct lk_access_token t = {0};

	issue(f, id, &t);
	assert_int_equal(lk_token_revoke(&f->env, t.token, id, NULL), LK_OK);
	assert_false(active_at(f, t.token, T0 + 30));
	assert_int_equal(stored_expiry(f, t.token), T0 + 60);
	lk_access_token_release(&t);
	free(id);
}

/* --- the application and its user ----------------------------------------- */

static void test_disabled_app(void **state)
{
	struct fixture *f = *state;
	char *jwt_app = add_app(f, "svc", NULL, NULL, NULL, NULL);
	char *ref_app = add_app(f, "ref", "1", "sliding", NULL, NULL);
	struct lk_access_token a = {0}, b = {0};
	struct lk_app out;

	issue(f, jwt_app, &a);
	issue(f, ref_app, &b);
	assert_int_equal(lk_registry_app_set_enabled(&f->r, "svc", false, &out), LK_OK);
	lk_app_release(&out);
	assert_int_equal(lk_registry_app_set_enabled(&f->r, "ref", false, &out), LK_OK);
	lk_app_release(&out);
	/* Until the snapshot is reloaded, the old state holds. */
	assert_true(active_at(f, a.token, T0));
	reload(f);
	assert_false(active_at(f, a.token, T0));
	/* A disabled app's sliding token is not extended either. */
	assert_false(active_at(f, b.token, T0 + 30));
	assert_int_equal(stored_expiry(f, b.token), T0 + 60);
	assert_int_equal(lk_registry_app_set_enabled(&f->r, "svc", true, &out), LK_OK);
	lk_app_release(&out);
	assert_int_equal(lk_registry_app_set_enabled(&f->r, "ref", true, &out), LK_OK);
	lk_app_release(&out);
	reload(f);
	assert_true(active_at(f, a.token, T0));
	assert_true(active_at(f, b.token, T0 + 30));
	/* A removed app's tokens are gone for good. */
	assert_int_equal(lk_registry_app_remove(&f->r, "svc"), LK_OK);
	assert_int_equal(lk_registry_app_remove(&f->r, "ref"), LK_OK);
	reload(f);
	assert_false(active_at(f, a.token, T0));
	assert_false(active_at(f, b.token, T0));
	lk_access_token_release(&a);
	lk_access_token_release(&b);
	free(jwt_app);
	free(ref_app);
}

static void test_disabled_user(void **state)
{
	struct fixture *f = *state;
	struct lk_user_input uin;
	struct lk_user u;
	char pw[LK_PASSWORD_GENERATED_LEN + 1];
	char *jwt_app, *ref_app;
	struct lk_access_token a = {0}, b = {0};
	struct lk_token_info info = {0};
	char sub[32];

	lk_user_input_init(&uin);
	uin.user = "corp\\svc-billing";
	assert_int_equal(lk_registry_user_add(&f->r, &uin, NULL, &u, pw), LK_OK);
	snprintf(sub, sizeof(sub), "%lld", (long long)u.id);
	lk_user_release(&u);
	jwt_app = add_app(f, "billing", NULL, NULL, NULL, "corp\\svc-billing");
	ref_app = add_app(f, "billing-ref", NULL, NULL, "opaque", "corp\\svc-billing");
	issue(f, jwt_app, &a);
	issue(f, ref_app, &b);
	/* The token's subject is the bound user. */
	assert_int_equal(lk_token_inspect(&f->env, a.token, &info), LK_OK);
	assert_true(info.active);
	assert_string_equal(info.subject, sub);
	lk_token_info_release(&info);
	assert_true(active_at(f, b.token, T0));
	assert_int_equal(lk_registry_user_set_enabled(&f->r, "corp\\svc-billing", false, &u),
			 LK_OK);
	lk_user_release(&u);
	reload(f);
	assert_false(active_at(f, a.token, T0));
	assert_false(active_at(f, b.token, T0));
	assert_int_equal(lk_registry_user_set_enabled(&f->r, "corp\\svc-billing", true, &u), LK_OK);
	lk_user_release(&u);
	reload(f);
	assert_true(active_at(f, a.token, T0));
	assert_true(active_at(f, b.token, T0));
	lk_access_token_release(&a);
	lk_access_token_release(&b);
	free(jwt_app);
	free(ref_app);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_jwt_active, setup, teardown),
		cmocka_unit_test_setup_teardown(test_jwt_revoked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_jwt_foreign_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_jwt_wrong_issuer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_jwt_claims_required, setup, teardown),
		cmocka_unit_test_setup_teardown(test_opaque_active_expired, setup, teardown),
		cmocka_unit_test_setup_teardown(test_opaque_never, setup, teardown),
		cmocka_unit_test_setup_teardown(test_opaque_revoked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_and_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sliding, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sliding_revoked_not_extended, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disabled_app, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disabled_user, setup, teardown),
	};

	lk_log_setup(LK_LOG_ERROR, LK_LOG_TEXT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
