/*
 * The registry half of the store suite: the scope catalog, applications and
 * their client secrets (users and the audit log are in test_store_users.c).
 * Each test gets a fresh database from store_fixture.h: a SQLite file under
 * /tmp, or the database LATCHKEY_TEST_DB_URL names, which is WIPED before
 * each test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "store/records.h"
#include "store/store.h"
#include "store_fixture.h"

/* Each test starts with a freshly migrated, empty registry in f->s. */
static int setup(void **state)
{
	return fx_setup(state, "registry", true);
}

static size_t count_apps(struct lk_store *s)
{
	struct lk_app *list = NULL;
	size_t n = 99;

	assert_int_equal(lk_store_app_list(s, &list, &n), LK_OK);
	lk_apps_free(list, n);
	return n;
}

static size_t count_secrets(struct lk_store *s, const char *client_id)
{
	struct lk_client_secret *list = NULL;
	size_t n = 99;

	assert_int_equal(lk_store_secret_list(s, client_id, &list, &n), LK_OK);
	free(list);
	return n;
}

/* ---- Scopes ---- */

static const char *const default_scopes[] = {
	"api",	 "login", "user_sync", "odata_query",	 "rpa",	     "openid", "profile",
	"email", "phone", "address",   "offline_access", "register", "admin",
};

#define NDEFAULT (sizeof(default_scopes) / sizeof(default_scopes[0]))

static void test_scope_catalog(void **state)
{
	struct lk_scope *list = NULL;
	size_t n = 0;

	assert_int_equal(lk_store_scope_list(fx_db(state), &list, &n), LK_OK);
	assert_int_equal(n, NDEFAULT);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(list[i].name, default_scopes[i]);
		assert_true(strlen(list[i].description) > 0);
		assert_true(list[i].builtin);
		assert_true(list[i].created_at > 0);
		/* odata_query is the only certificate scope (DESIGN §1). */
		assert_int_equal(list[i].certificate, strcmp(list[i].name, "odata_query") == 0);
	}
	lk_scopes_free(list, n);
}

static void test_scope_insert_delete(void **state)
{
	struct lk_store *s = fx_db(state);
	struct lk_scope sc = {
		.name = (char *)"reports", .description = (char *)"Read reports", .created_at = 7};
	struct lk_scope *list = NULL;
	size_t n = 0;

	assert_int_equal(lk_store_scope_insert(s, &sc), LK_OK);
	assert_int_equal(lk_store_scope_insert(s, &sc), LK_EEXIST);
	sc.name = (char *)"api";
	assert_int_equal(lk_store_scope_insert(s, &sc), LK_EEXIST);
	/* A deleted built-in leaves a gap; new scopes still go to the end. */
	assert_int_equal(lk_store_scope_delete(s, "rpa"), LK_OK);
	assert_int_equal(lk_store_scope_delete(s, "rpa"), LK_ENOTFOUND);
	sc = (struct lk_scope){.name = (char *)"billing", .certificate = true, .created_at = 8};
	assert_int_equal(lk_store_scope_insert(s, &sc), LK_OK);

	assert_int_equal(lk_store_scope_list(s, &list, &n), LK_OK);
	assert_int_equal(n, NDEFAULT + 1);
	assert_string_equal(list[3].name, "odata_query");
	assert_string_equal(list[4].name, "openid");
	assert_string_equal(list[n - 2].name, "reports");
	assert_string_equal(list[n - 2].description, "Read reports");
	assert_false(list[n - 2].builtin);
	assert_false(list[n - 2].certificate);
	assert_int_equal(list[n - 2].created_at, 7);
	assert_string_equal(list[n - 1].name, "billing");
	assert_string_equal(list[n - 1].description, "");
	assert_true(list[n - 1].certificate);
	lk_scopes_free(list, n);

	assert_int_equal(lk_store_scope_delete(s, "reports"), LK_OK);
	assert_int_equal(lk_store_scope_delete(s, "nope"), LK_ENOTFOUND);
}

static void test_scope_bad_input(void **state)
{
	struct lk_store *s = fx_db(state);
	char *big = malloc(LK_REC_DESCRIPTION_MAX + 2);
	struct lk_scope sc = {.name = (char *)"", .created_at = 1};
	struct lk_scope *list = (struct lk_scope *)&list;
	size_t n = 5;

	assert_non_null(big);
	memset(big, 'd', LK_REC_DESCRIPTION_MAX + 1);
	big[LK_REC_DESCRIPTION_MAX + 1] = '\0';
	assert_int_equal(lk_store_scope_insert(s, &sc), LK_EINVAL);
	sc.name = NULL;
	assert_int_equal(lk_store_scope_insert(s, &sc), LK_EINVAL);
	sc.name = (char *)"x";
	sc.description = big;
	assert_int_equal(lk_store_scope_insert(s, &sc), LK_ETOOBIG);
	sc.description = NULL;
	sc.created_at = -1;
	assert_int_equal(lk_store_scope_insert(s, &sc), LK_EINVAL);
	assert_int_equal(lk_store_scope_insert(s, NULL), LK_EINVAL);
	assert_int_equal(lk_store_scope_delete(s, ""), LK_EINVAL);
	assert_int_equal(lk_store_scope_list(s, NULL, &n), LK_EINVAL);
	assert_ptr_equal(list, (struct lk_scope *)&list);
	assert_int_equal(n, 5);
	assert_int_equal(lk_store_scope_list(s, &list, &n), LK_OK);
	assert_int_equal(n, NDEFAULT);
	lk_scopes_free(list, n);
	free(big);
}

/* ---- Applications ---- */

/* A certificate with NUL bytes inside, so a string copy would be caught. */
static const unsigned char der[] = {0x30, 0x82, 0x00, 0x10, 0x00, 0xff, 0x00, 0x7f};

/* An application with every field set to a distinct value. */
static struct lk_app full_app(int64_t user_id)
{
	struct lk_app a = {
		.client_id = (char *)"cid-full",
		.name = (char *)"Full App",
		.description = (char *)"does everything",
		.website = (char *)"https://full.example",
		.grant = LK_GRANT_AUTHORIZATION_CODE,
		.scopes = (char *)"api openid profile",
		.user_id = user_id,
		.user = (char *)"ignored\\on-insert",
		.strategy = LK_STRATEGY_MOBILE_LOCALHOST,
		.redirect_uris = (char *)"http://127.0.0.1/cb https://localhost/cb",
		.post_logout_redirect_uris = (char *)"http://127.0.0.1/bye",
		.lifetime = 45,
		.lifecycle = LK_LIFECYCLE_SLIDING,
		.cert_der = (unsigned char *)der,
		.cert_der_len = sizeof(der),
		.cert_subject = (char *)"CN=full",
		.cert_key_type = (char *)"EC-P256",
		.cert_kid = (char *)"kid-123",
		.cert_not_before = 1000,
		.cert_not_after = 2000,
		.client_type = LK_CLIENT_PUBLIC,
		.token_format = LK_FORMAT_OPAQUE,
		.audience = (char *)"https://api.example",
		.id_token_alg = (char *)"ES256",
		.userinfo_alg = (char *)"PS256",
		.first_party = true,
		.enabled = false,
		.created_at = 300,
		.updated_at = 400,
	};
	return a;
}

/* got holds full_app(user_id), stored under client_id and created at created_at. */
static void assert_full_app(const struct lk_app *got, const char *client_id, int64_t user_id,
			    int64_t created_at)
{
	assert_string_equal(got->client_id, client_id);
	assert_string_equal(got->name, "Full App");
	assert_string_equal(got->description, "does everything");
	assert_string_equal(got->website, "https://full.example");
	assert_int_equal(got->grant, LK_GRANT_AUTHORIZATION_CODE);
	assert_string_equal(got->scopes, "api openid profile");
	assert_int_equal(got->user_id, user_id);
	assert_string_equal(got->user, "Corp\\Alice");
	assert_int_equal(got->strategy, LK_STRATEGY_MOBILE_LOCALHOST);
	assert_string_equal(got->redirect_uris, "http://127.0.0.1/cb https://localhost/cb");
	assert_string_equal(got->post_logout_redirect_uris, "http://127.0.0.1/bye");
	assert_int_equal(got->lifetime, 45);
	assert_int_equal(got->lifecycle, LK_LIFECYCLE_SLIDING);
	assert_int_equal(got->cert_der_len, sizeof(der));
	assert_memory_equal(got->cert_der, der, sizeof(der));
	assert_string_equal(got->cert_subject, "CN=full");
	assert_string_equal(got->cert_key_type, "EC-P256");
	assert_string_equal(got->cert_kid, "kid-123");
	assert_int_equal(got->cert_not_before, 1000);
	assert_int_equal(got->cert_not_after, 2000);
	assert_int_equal(got->client_type, LK_CLIENT_PUBLIC);
	assert_int_equal(got->token_format, LK_FORMAT_OPAQUE);
	assert_string_equal(got->audience, "https://api.example");
	assert_string_equal(got->id_token_alg, "ES256");
	assert_string_equal(got->userinfo_alg, "PS256");
	assert_true(got->first_party);
	assert_false(got->enabled);
	assert_int_equal(got->created_at, created_at);
	assert_int_equal(got->updated_at, 400);
}

static void test_app_roundtrip(void **state)
{
	struct lk_store *s = fx_db(state);
	int64_t uid = fx_add_user(s, "Corp", "Alice", "");
	struct lk_app a = full_app(uid);
	struct lk_app got = {0};

	assert_int_equal(lk_store_app_insert(s, &a), LK_OK);
	assert_int_equal(lk_store_app_get(s, "cid-full", &got), LK_OK);
	assert_full_app(&got, "cid-full", uid, 300);
	lk_app_release(&got);
	assert_int_equal(lk_store_app_get(s, "fULL aPP", &got), LK_OK);
	assert_full_app(&got, "cid-full", uid, 300);
	lk_app_release(&got);
	assert_null(got.client_id);

	/* The smallest app: optional strings come back "", never NULL. */
	a = fx_app("cid-min", "Min");
	assert_int_equal(lk_store_app_insert(s, &a), LK_OK);
	assert_int_equal(lk_store_app_get(s, "cid-min", &got), LK_OK);
	assert_string_equal(got.description, "");
	assert_string_equal(got.website, "");
	assert_string_equal(got.redirect_uris, "");
	assert_string_equal(got.post_logout_redirect_uris, "");
	assert_string_equal(got.cert_subject, "");
	assert_string_equal(got.audience, "");
	assert_string_equal(got.userinfo_alg, "");
	assert_string_equal(got.user, "");
	assert_int_equal(got.user_id, 0);
	assert_null(got.cert_der);
	assert_int_equal(got.cert_der_len, 0);
	assert_int_equal(got.lifetime, LK_LIFETIME_DEFAULT);
	assert_true(got.enabled);
	lk_app_release(&got);

	got.name = (char *)"untouched";
	assert_int_equal(lk_store_app_get(s, "no-such-app", &got), LK_ENOTFOUND);
	assert_string_equal(got.name, "untouched");
}

static void test_app_duplicates(void **state)
{
	struct lk_store *s = fx_db(state);
	struct lk_app a = fx_app("c1", "Billing");

	assert_int_equal(lk_store_app_insert(s, &a), LK_OK);
	a = fx_app("c1", "Other");
	assert_int_equal(lk_store_app_insert(s, &a), LK_EEXIST);
	a = fx_app("c2", "bILLING");
	assert_int_equal(lk_store_app_insert(s, &a), LK_EEXIST);
	/* A name that is another app's client_id: lookup by client_id wins. */
	a = fx_app("c3", "c1");
	assert_int_equal(lk_store_app_insert(s, &a), LK_OK);
	assert_int_equal(count_apps(s), 2);
	{
		struct lk_app got = {0};

		assert_int_equal(lk_store_app_get(s, "c1", &got), LK_OK);
		assert_string_equal(got.name, "Billing");
		lk_app_release(&got);
	}
	/* An unknown user to bind is refused and adds nothing. */
	a = fx_app("c4", "Bound");
	a.user_id = 12345;
	assert_int_equal(lk_store_app_insert(s, &a), LK_ESTATE);
	assert_int_equal(count_apps(s), 2);
}

static void test_app_update(void **state)
{
	struct lk_store *s = fx_db(state);
	int64_t uid = fx_add_user(s, "Corp", "Alice", "");
	struct lk_app a = fx_app("c1", "First");
	struct lk_app got = {0};

	assert_int_equal(lk_store_app_insert(s, &a), LK_OK);
	a = fx_app("c2", "Second");
	assert_int_equal(lk_store_app_insert(s, &a), LK_OK);

	a = full_app(uid);
	a.client_id = (char *)"c1";
	a.created_at = 999; /* not changed by an update */
	assert_int_equal(lk_store_app_update(s, &a), LK_OK);
	assert_int_equal(lk_store_app_get(s, "full app", &got), LK_OK);
	assert_full_app(&got, "c1", uid, 100);
	lk_app_release(&got);
	assert_int_equal(lk_store_app_get(s, "First", &got), LK_ENOTFOUND);

	/* Unbinding the user, dropping the certificate, back to plain userinfo. */
	a = fx_app("c1", "First again");
	assert_int_equal(lk_store_app_update(s, &a), LK_OK);
	assert_int_equal(lk_store_app_get(s, "c1", &got), LK_OK);
	assert_string_equal(got.userinfo_alg, "");
	assert_string_equal(got.user, "");
	assert_int_equal(got.user_id, 0);
	assert_null(got.cert_der);
	lk_app_release(&got);

	a = fx_app("c1", "SECOND");
	assert_int_equal(lk_store_app_update(s, &a), LK_EEXIST);
	a = fx_app("c1", "First again");
	a.user_id = uid + 1000; /* no such user */
	assert_int_equal(lk_store_app_update(s, &a), LK_ESTATE);
	a = fx_app("c1", "first AGAIN"); /* its own name in another case is fine */
	assert_int_equal(lk_store_app_update(s, &a), LK_OK);
	a = fx_app("c9", "Nine");
	assert_int_equal(lk_store_app_update(s, &a), LK_ENOTFOUND);
	assert_int_equal(lk_store_app_get(s, "Nine", &got), LK_ENOTFOUND);
}

static void test_app_list(void **state)
{
	struct lk_store *s = fx_db(state);
	const char *names[] = {"beta", "Alpha", "gamma", "Delta"};
	struct lk_app *list = (struct lk_app *)&list;
	struct lk_app a;
	size_t n = 9;
	char cid[32];

	assert_int_equal(lk_store_app_list(s, &list, &n), LK_OK);
	assert_null(list);
	assert_int_equal(n, 0);
	for (int i = 0; i < 4; i++) {
		snprintf(cid, sizeof(cid), "c%d", i);
		a = fx_app(cid, names[i]);
		assert_int_equal(lk_store_app_insert(s, &a), LK_OK);
	}
	assert_int_equal(lk_store_app_list(s, &list, &n), LK_OK);
	assert_int_equal(n, 4);
	assert_string_equal(list[0].name, "Alpha");
	assert_string_equal(list[1].name, "beta");
	assert_string_equal(list[2].name, "Delta");
	assert_string_equal(list[3].name, "gamma");
	assert_string_equal(list[3].client_id, "c2");
	assert_string_equal(list[3].user, "");
	lk_apps_free(list, n);
}

static void test_app_delete_cascade(void **state)
{
	struct lk_store *s = fx_db(state);
	uint8_t h[LK_SHA256_LEN] = {1};
	struct lk_app a = fx_app("c1", "One");

	assert_int_equal(lk_store_app_insert(s, &a), LK_OK);
	a = fx_app("c2", "Two");
	assert_int_equal(lk_store_app_insert(s, &a), LK_OK);
	assert_int_equal(lk_store_secret_add(s, "c1", h, 1, NULL), LK_OK);
	assert_int_equal(lk_store_secret_add(s, "c1", h, 2, NULL), LK_OK);
	assert_int_equal(lk_store_secret_add(s, "c2", h, 3, NULL), LK_OK);

	assert_int_equal(lk_store_app_delete(s, "c1"), LK_OK);
	assert_int_equal(lk_store_app_delete(s, "c1"), LK_ENOTFOUND);
	assert_int_equal(lk_store_app_delete(s, "One"), LK_ENOTFOUND); /* by client_id only */
	assert_int_equal(count_apps(s), 1);
	assert_int_equal(count_secrets(s, "c1"), 0);
	assert_int_equal(count_secrets(s, "c2"), 1);
	/* Re-created under the same client_id, it does not inherit the old secrets. */
	a = fx_app("c1", "One");
	assert_int_equal(lk_store_app_insert(s, &a), LK_OK);
	assert_int_equal(count_secrets(s, "c1"), 0);
}

static void test_app_bad_input(void **state)
{
	struct lk_store *s = fx_db(state);
	char *uris = malloc(LK_REC_URIS_MAX + 2);
	unsigned char *cert = calloc(1, LK_REC_CERT_MAX + 1);
	struct lk_app got = {.name = (char *)"untouched"};
	struct lk_app a;

	assert_non_null(uris);
	assert_non_null(cert);
	memset(uris, 'u', LK_REC_URIS_MAX + 1);
	uris[LK_REC_URIS_MAX + 1] = '\0';

	a = fx_app("", "x");
	assert_int_equal(lk_store_app_insert(s, &a), LK_EINVAL);
	a = fx_app("c", NULL);
	assert_int_equal(lk_store_app_insert(s, &a), LK_EINVAL);
	a = fx_app("c", "x");
	a.scopes = (char *)"";
	assert_int_equal(lk_store_app_insert(s, &a), LK_EINVAL);
	a = fx_app("c", "x");
	a.grant = LK_GRANT__COUNT;
	assert_int_equal(lk_store_app_insert(s, &a), LK_EINVAL);
	a = fx_app("c", "x");
	a.token_format = (enum lk_token_format) - 1;
	assert_int_equal(lk_store_app_insert(s, &a), LK_EINVAL);
	a = fx_app("c", "x");
	a.lifetime = -2;
	assert_int_equal(lk_store_app_insert(s, &a), LK_EINVAL);
	a = fx_app("c", "x");
	a.user_id = -1;
	assert_int_equal(lk_store_app_insert(s, &a), LK_EINVAL);
	a = fx_app("c", "x");
	a.cert_der_len = 4; /* but no bytes */
	assert_int_equal(lk_store_app_insert(s, &a), LK_EINVAL);
	a = fx_app("c", "x");
	a.cert_der = cert;
	a.cert_der_len = LK_REC_CERT_MAX + 1;
	assert_int_equal(lk_store_app_insert(s, &a), LK_ETOOBIG);
	a = fx_app("c", "x");
	a.redirect_uris = uris;
	assert_int_equal(lk_store_app_insert(s, &a), LK_ETOOBIG);
	a.redirect_uris = NULL;
	a.description = uris + (LK_REC_URIS_MAX - LK_REC_DESCRIPTION_MAX); /* 4097 bytes */
	assert_int_equal(lk_store_app_insert(s, &a), LK_ETOOBIG);
	a.description = NULL;
	a.userinfo_alg = uris + (LK_REC_URIS_MAX - LK_REC_STR_MAX); /* 4097 bytes */
	assert_int_equal(lk_store_app_insert(s, &a), LK_ETOOBIG);
	a = fx_app("c", "x");
	a.updated_at = -5;
	assert_int_equal(lk_store_app_insert(s, &a), LK_EINVAL);
	assert_int_equal(lk_store_app_insert(s, NULL), LK_EINVAL);
	assert_int_equal(lk_store_app_insert(NULL, &a), LK_EINVAL);
	assert_int_equal(count_apps(s), 0);

	/* The largest allowed values are accepted. */
	a = fx_app("c", "x");
	a.redirect_uris = uris + 1; /* exactly LK_REC_URIS_MAX */
	a.cert_der = cert;
	a.cert_der_len = LK_REC_CERT_MAX;
	assert_int_equal(lk_store_app_insert(s, &a), LK_OK);
	/* A bad update changes nothing. */
	a = fx_app("c", "renamed");
	a.strategy = LK_STRATEGY__COUNT;
	assert_int_equal(lk_store_app_update(s, &a), LK_EINVAL);
	assert_int_equal(lk_store_app_get(s, "renamed", &got), LK_ENOTFOUND);
	assert_int_equal(lk_store_app_get(s, "", &got), LK_EINVAL);
	assert_int_equal(lk_store_app_get(s, NULL, &got), LK_EINVAL);
	assert_string_equal(got.name, "untouched");
	assert_int_equal(lk_store_app_get(s, "c", &got), LK_OK);
	assert_string_equal(got.name, "x");
	assert_int_equal(strlen(got.redirect_uris), LK_REC_URIS_MAX);
	assert_int_equal(got.cert_der_len, LK_REC_CERT_MAX);
	lk_app_release(&got);
	assert_int_equal(lk_store_app_delete(s, ""), LK_EINVAL);
	assert_int_equal(count_apps(s), 1);
	free(uris);
	free(cert);
}

/*
 * A row written by plain SQL reads back into the right members, so the
 * mapping of columns to members is checked against the column names, not
 * only against itself (a round trip cannot see two columns swapped).
 */
static void test_app_columns(void **state)
{
	struct fx *f = *state;
	struct lk_app got = {0};

	fx_raw_exec(f->url,
		    "INSERT INTO users (id, domain, username, role, created_at, updated_at) "
		    "VALUES (41, 'corp', 'svc', 'user', 1, 1);"
		    "INSERT INTO apps (client_id, name, description, website, grant_type, scopes, "
		    "user_id, strategy, redirect_uris, post_logout_redirect_uris, lifetime, "
		    "lifecycle, cert_subject, cert_key_type, cert_kid, cert_not_before, "
		    "cert_not_after, client_type, token_format, audience, id_token_alg, "
		    "userinfo_alg, first_party, enabled, created_at, updated_at) VALUES ('c-raw', "
		    "'Raw', 'desc', 'https://w', 'bearer_token', 'api rpa', 41, 'mobile-title', "
		    "'https://r', 'https://p', -1, 'sliding', 'CN=x', 'RSA-2048', 'kid', 11, 12, "
		    "'public', 'opaque', 'aud', 'PS256', 'ES256', 1, 0, 13, 14)");
	assert_int_equal(lk_store_app_get(f->s, "c-raw", &got), LK_OK);
	assert_string_equal(got.client_id, "c-raw");
	assert_string_equal(got.name, "Raw");
	assert_string_equal(got.description, "desc");
	assert_string_equal(got.website, "https://w");
	assert_int_equal(got.grant, LK_GRANT_BEARER_TOKEN);
	assert_string_equal(got.scopes, "api rpa");
	assert_int_equal(got.user_id, 41);
	assert_string_equal(got.user, "corp\\svc");
	assert_int_equal(got.strategy, LK_STRATEGY_MOBILE_TITLE);
	assert_string_equal(got.redirect_uris, "https://r");
	assert_string_equal(got.post_logout_redirect_uris, "https://p");
	assert_int_equal(got.lifetime, LK_LIFETIME_NEVER);
	assert_int_equal(got.lifecycle, LK_LIFECYCLE_SLIDING);
	assert_null(got.cert_der);
	assert_string_equal(got.cert_subject, "CN=x");
	assert_string_equal(got.cert_key_type, "RSA-2048");
	assert_string_equal(got.cert_kid, "kid");
	assert_int_equal(got.cert_not_before, 11);
	assert_int_equal(got.cert_not_after, 12);
	assert_int_equal(got.client_type, LK_CLIENT_PUBLIC);
	assert_int_equal(got.token_format, LK_FORMAT_OPAQUE);
	assert_string_equal(got.audience, "aud");
	assert_string_equal(got.id_token_alg, "PS256");
	assert_string_equal(got.userinfo_alg, "ES256");
	assert_true(got.first_party);
	assert_false(got.enabled);
	assert_int_equal(got.created_at, 13);
	assert_int_equal(got.updated_at, 14);
	lk_app_release(&got);
}

/* A row that another program wrote with an enum name this one does not know. */
static void test_bad_enum_rows(void **state)
{
	struct fx *f = *state;
	struct lk_store *s = f->s;
	struct lk_app a = fx_app("c1", "One");
	struct lk_app got = {0};
	struct lk_app *apps = (struct lk_app *)&apps;
	size_t n = 7;

	assert_int_equal(lk_store_app_insert(s, &a), LK_OK);
	fx_raw_exec(f->url, "UPDATE apps SET token_format = 'paseto'");
	assert_int_equal(lk_store_app_get(s, "c1", &got), LK_ESTORE);
	assert_null(got.client_id);
	assert_int_equal(lk_store_app_list(s, &apps, &n), LK_ESTORE);
	assert_ptr_equal(apps, (struct lk_app *)&apps);
	assert_int_equal(n, 7);
}

/* ---- Client secrets ---- */

static void test_secrets(void **state)
{
	struct lk_store *s = fx_db(state);
	struct lk_client_secret *list = NULL;
	struct lk_app a = fx_app("c1", "One");
	uint8_t h[LK_SHA256_LEN];
	int64_t id[5] = {0};
	int deleted = -1;
	size_t n = 0;

	assert_int_equal(lk_store_app_insert(s, &a), LK_OK);
	a = fx_app("c2", "Two");
	assert_int_equal(lk_store_app_insert(s, &a), LK_OK);
	for (int i = 0; i < 3; i++) {
		fx_hash_of(h, i + 1);
		assert_int_equal(lk_store_secret_add(s, "c1", h, 10 + i, &id[i]), LK_OK);
		assert_true(i == 0 || id[i] > id[i - 1]);
	}
	fx_hash_of(h, 9);
	assert_int_equal(lk_store_secret_add(s, "c2", h, 10, &id[4]), LK_OK);
	id[3] = -7;
	assert_int_equal(lk_store_secret_add(s, "nope", h, 10, &id[3]), LK_ENOTFOUND);
	assert_int_equal(id[3], -7);

	assert_int_equal(lk_store_secret_list(s, "c1", &list, &n), LK_OK);
	assert_int_equal(n, 3);
	for (int i = 0; i < 3; i++) {
		fx_hash_of(h, 3 - i);
		assert_int_equal(list[i].id, id[2 - i]);
		assert_memory_equal(list[i].hash, h, LK_SHA256_LEN);
		assert_int_equal(list[i].created_at, 12 - i);
		assert_int_equal(list[i].expires_at, 0);
	}
	free(list);

	/* Rotation: all but the newest end at 1000. */
	assert_int_equal(lk_store_secret_expire_others(s, "c1", id[2], 1000), LK_OK);
	/* A later end never extends an earlier one... */
	assert_int_equal(lk_store_secret_expire_others(s, "c1", id[2], 2000), LK_OK);
	assert_int_equal(lk_store_secret_list(s, "c1", &list, &n), LK_OK);
	assert_int_equal(n, 3);
	assert_int_equal(list[0].expires_at, 0);
	assert_int_equal(list[1].expires_at, 1000);
	assert_int_equal(list[2].expires_at, 1000);
	free(list);
	/* ...an earlier one shortens it. */
	assert_int_equal(lk_store_secret_expire_others(s, "c1", id[2], 500), LK_OK);
	assert_int_equal(lk_store_secret_list(s, "c1", &list, &n), LK_OK);
	assert_int_equal(list[0].expires_at, 0);
	assert_int_equal(list[1].expires_at, 500);
	assert_int_equal(list[2].expires_at, 500);
	free(list);

	/* Rotating again with a grace period: the kept one gets the grace. */
	fx_hash_of(h, 4);
	assert_int_equal(lk_store_secret_add(s, "c1", h, 20, &id[3]), LK_OK);
	assert_int_equal(lk_store_secret_expire_others(s, "c1", id[3], 800), LK_OK);
	assert_int_equal(lk_store_secret_list(s, "c1", &list, &n), LK_OK);
	assert_int_equal(n, 4);
	assert_int_equal(list[0].id, id[3]);
	assert_int_equal(list[0].expires_at, 0);
	assert_int_equal(list[1].expires_at, 800);
	assert_int_equal(list[2].expires_at, 500);
	assert_int_equal(list[3].expires_at, 500);
	free(list);

	/* Another application's secrets are not touched. */
	assert_int_equal(lk_store_secret_list(s, "c2", &list, &n), LK_OK);
	assert_int_equal(n, 1);
	assert_int_equal(list[0].expires_at, 0);
	free(list);

	assert_int_equal(lk_store_secret_delete_expired(s, 499, &deleted), LK_OK);
	assert_int_equal(deleted, 0);
	assert_int_equal(lk_store_secret_delete_expired(s, 500, &deleted), LK_OK);
	assert_int_equal(deleted, 2);
	assert_int_equal(lk_store_secret_delete_expired(s, 10000, NULL), LK_OK);
	assert_int_equal(lk_store_secret_list(s, "c1", &list, &n), LK_OK);
	assert_int_equal(n, 1);
	assert_int_equal(list[0].id, id[3]);
	free(list);
	assert_int_equal(count_secrets(s, "c2"), 1);

	/* An unknown client simply has none. */
	list = (struct lk_client_secret *)&list;
	assert_int_equal(lk_store_secret_list(s, "nope", &list, &n), LK_OK);
	assert_null(list);
	assert_int_equal(n, 0);

	assert_int_equal(lk_store_secret_add(s, "", h, 1, NULL), LK_EINVAL);
	assert_int_equal(lk_store_secret_add(s, "c1", NULL, 1, NULL), LK_EINVAL);
	assert_int_equal(lk_store_secret_add(s, "c1", h, -1, NULL), LK_EINVAL);
	assert_int_equal(lk_store_secret_expire_others(s, "c1", id[3], 0), LK_EINVAL);
	assert_int_equal(lk_store_secret_expire_others(s, NULL, id[3], 5), LK_EINVAL);
	assert_int_equal(lk_store_secret_list(s, "c1", NULL, &n), LK_EINVAL);
	assert_int_equal(count_secrets(s, "c1"), 1);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_scope_catalog), T(test_scope_insert_delete), T(test_scope_bad_input),
		T(test_app_roundtrip), T(test_app_duplicates),	    T(test_app_update),
		T(test_app_list),      T(test_app_delete_cascade),  T(test_app_bad_input),
		T(test_app_columns),   T(test_bad_enum_rows),	    T(test_secrets),
	};

	/* Expected failures log errors; the informational lines are noise here. */
	lk_log_setup(LK_LOG_WARN, LK_LOG_TEXT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
