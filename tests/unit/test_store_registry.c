/*
 * The registry half of the store suite: applications, client secrets, users,
 * the scope catalog and the audit log. As in test_store.c, each test gets a
 * fresh SQLite file under /tmp unless LATCHKEY_TEST_DB_URL is set, in which
 * case that database is WIPED before each test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "core/log.h"
#include "store/records.h"
#include "store/store.h"

#define ENV_URL "LATCHKEY_TEST_DB_URL"

struct fx {
	char url[LK_STORE_URL_MAX + PATH_MAX];
	char path[PATH_MAX]; /* the SQLite file to remove, "" for another backend */
	struct lk_store *s;
};

static const char *sqlite_file(const char *url)
{
	return strncmp(url, "sqlite:", 7) == 0 ? url + 7 : NULL;
}

/* Runs SQL on the test database outside the store, to set up odd states. */
static void raw_exec(const char *url, const char *sql)
{
	const char *file = sqlite_file(url);
	sqlite3 *db = NULL;
	PGconn *pg;
	PGresult *res;

	if (file) {
		assert_int_equal(sqlite3_open(file, &db), SQLITE_OK);
		assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
		sqlite3_close(db);
		return;
	}
	pg = PQconnectdb(url);
	if (PQstatus(pg) != CONNECTION_OK)
		fail_msg("cannot connect to " ENV_URL ": %s", PQerrorMessage(pg));
	res = PQexec(pg, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		fail_msg("%s", PQerrorMessage(pg));
	PQclear(res);
	PQfinish(pg);
}

static void remove_sqlite(const char *path)
{
	static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
	char name[PATH_MAX + 16];

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(name, sizeof(name), "%s%s", path, suffixes[i]);
		unlink(name);
	}
}

/* Each test starts with a freshly migrated, empty registry in f->s. */
static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	const char *env = getenv(ENV_URL);
	int fd;

	assert_non_null(f);
	if (env && env[0]) {
		assert_true(strlen(env) < sizeof(f->url));
		snprintf(f->url, sizeof(f->url), "%s", env);
		if (sqlite_file(env)) {
			snprintf(f->path, sizeof(f->path), "%s", sqlite_file(env));
			remove_sqlite(f->path);
		} else {
			raw_exec(f->url, "DROP SCHEMA public CASCADE; CREATE SCHEMA public");
		}
	} else {
		snprintf(f->path, sizeof(f->path), "/tmp/lk_test_registry_XXXXXX");
		fd = mkstemp(f->path);
		assert_true(fd >= 0);
		close(fd);
		snprintf(f->url, sizeof(f->url), "sqlite:%s", f->path);
	}
	assert_int_equal(lk_store_open(f->url, &f->s), LK_OK);
	assert_int_equal(lk_store_migrate(f->s, NULL, NULL), LK_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	lk_store_close(f->s);
	if (f->path[0])
		remove_sqlite(f->path);
	free(f);
	return 0;
}

static struct lk_store *db(void **state)
{
	return ((struct fx *)*state)->s;
}

/* A minimal valid application. */
static struct lk_app app(const char *client_id, const char *name)
{
	struct lk_app a = {
		.client_id = (char *)client_id,
		.name = (char *)name,
		.scopes = (char *)"api",
		.grant = LK_GRANT_CLIENT_CREDENTIALS,
		.strategy = LK_STRATEGY_WEB,
		.lifecycle = LK_LIFECYCLE_ABSOLUTE,
		.client_type = LK_CLIENT_CONFIDENTIAL,
		.token_format = LK_FORMAT_JWT,
		.id_token_alg = (char *)"RS256",
		.enabled = true,
		.created_at = 100,
		.updated_at = 100,
	};
	return a;
}

/* A minimal valid user. */
static struct lk_user user(const char *domain, const char *username, const char *email)
{
	struct lk_user u = {
		.domain = (char *)domain,
		.username = (char *)username,
		.email = (char *)email,
		.role = LK_ROLE_USER,
		.enabled = true,
		.created_at = 50,
		.updated_at = 50,
	};
	return u;
}

static int64_t add_user(struct lk_store *s, const char *domain, const char *username,
			const char *email)
{
	struct lk_user u = user(domain, username, email);
	int64_t id = 0;

	assert_int_equal(lk_store_user_insert(s, &u, &id), LK_OK);
	assert_true(id > 0);
	return id;
}

static size_t count_apps(struct lk_store *s)
{
	struct lk_app *list = NULL;
	size_t n = 99;

	assert_int_equal(lk_store_app_list(s, &list, &n), LK_OK);
	lk_apps_free(list, n);
	return n;
}

static size_t count_users(struct lk_store *s)
{
	struct lk_user *list = NULL;
	size_t n = 99;

	assert_int_equal(lk_store_user_list(s, &list, &n), LK_OK);
	lk_users_free(list, n);
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

	assert_int_equal(lk_store_scope_list(db(state), &list, &n), LK_OK);
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
	struct lk_store *s = db(state);
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
	struct lk_store *s = db(state);
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
	assert_true(got->first_party);
	assert_false(got->enabled);
	assert_int_equal(got->created_at, created_at);
	assert_int_equal(got->updated_at, 400);
}

static void test_app_roundtrip(void **state)
{
	struct lk_store *s = db(state);
	int64_t uid = add_user(s, "Corp", "Alice", "");
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
	a = app("cid-min", "Min");
	assert_int_equal(lk_store_app_insert(s, &a), LK_OK);
	assert_int_equal(lk_store_app_get(s, "cid-min", &got), LK_OK);
	assert_string_equal(got.description, "");
	assert_string_equal(got.website, "");
	assert_string_equal(got.redirect_uris, "");
	assert_string_equal(got.post_logout_redirect_uris, "");
	assert_string_equal(got.cert_subject, "");
	assert_string_equal(got.audience, "");
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
	struct lk_store *s = db(state);
	struct lk_app a = app("c1", "Billing");

	assert_int_equal(lk_store_app_insert(s, &a), LK_OK);
	a = app("c1", "Other");
	assert_int_equal(lk_store_app_insert(s, &a), LK_EEXIST);
	a = app("c2", "bILLING");
	assert_int_equal(lk_store_app_insert(s, &a), LK_EEXIST);
	/* A name that is another app's client_id: lookup by client_id wins. */
	a = app("c3", "c1");
	assert_int_equal(lk_store_app_insert(s, &a), LK_OK);
	assert_int_equal(count_apps(s), 2);
	{
		struct lk_app got = {0};

		assert_int_equal(lk_store_app_get(s, "c1", &got), LK_OK);
		assert_string_equal(got.name, "Billing");
		lk_app_release(&got);
	}
	/* An unknown user to bind is refused and adds nothing. */
	a = app("c4", "Bound");
	a.user_id = 12345;
	assert_int_equal(lk_store_app_insert(s, &a), LK_ESTATE);
	assert_int_equal(count_apps(s), 2);
}

static void test_app_update(void **state)
{
	struct lk_store *s = db(state);
	int64_t uid = add_user(s, "Corp", "Alice", "");
	struct lk_app a = app("c1", "First");
	struct lk_app got = {0};

	assert_int_equal(lk_store_app_insert(s, &a), LK_OK);
	a = app("c2", "Second");
	assert_int_equal(lk_store_app_insert(s, &a), LK_OK);

	a = full_app(uid);
	a.client_id = (char *)"c1";
	a.created_at = 999; /* not changed by an update */
	assert_int_equal(lk_store_app_update(s, &a), LK_OK);
	assert_int_equal(lk_store_app_get(s, "full app", &got), LK_OK);
	assert_full_app(&got, "c1", uid, 100);
	lk_app_release(&got);
	assert_int_equal(lk_store_app_get(s, "First", &got), LK_ENOTFOUND);

	/* Unbinding the user and dropping the certificate. */
	a = app("c1", "First again");
	assert_int_equal(lk_store_app_update(s, &a), LK_OK);
	assert_int_equal(lk_store_app_get(s, "c1", &got), LK_OK);
	assert_string_equal(got.user, "");
	assert_int_equal(got.user_id, 0);
	assert_null(got.cert_der);
	lk_app_release(&got);

	a = app("c1", "SECOND");
	assert_int_equal(lk_store_app_update(s, &a), LK_EEXIST);
	a = app("c1", "first AGAIN"); /* its own name in another case is fine */
	assert_int_equal(lk_store_app_update(s, &a), LK_OK);
	a = app("c9", "Nine");
	assert_int_equal(lk_store_app_update(s, &a), LK_ENOTFOUND);
	assert_int_equal(lk_store_app_get(s, "Nine", &got), LK_ENOTFOUND);
}

static void test_app_list(void **state)
{
	struct lk_store *s = db(state);
	const char *names[] = {"beta", "Alpha", "gamma", "Delta"};
	struct lk_app *list = (struct lk_app *)&list;
	struct lk_app a;
	size_t n = 9;
	char cid[16];

	assert_int_equal(lk_store_app_list(s, &list, &n), LK_OK);
	assert_null(list);
	assert_int_equal(n, 0);
	for (int i = 0; i < 4; i++) {
		snprintf(cid, sizeof(cid), "c%d", i);
		a = app(cid, names[i]);
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
	struct lk_store *s = db(state);
	uint8_t h[LK_SHA256_LEN] = {1};
	struct lk_app a = app("c1", "One");

	assert_int_equal(lk_store_app_insert(s, &a), LK_OK);
	a = app("c2", "Two");
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
	a = app("c1", "One");
	assert_int_equal(lk_store_app_insert(s, &a), LK_OK);
	assert_int_equal(count_secrets(s, "c1"), 0);
}

static void test_app_bad_input(void **state)
{
	struct lk_store *s = db(state);
	char *uris = malloc(LK_REC_URIS_MAX + 2);
	unsigned char *cert = calloc(1, LK_REC_CERT_MAX + 1);
	struct lk_app got = {.name = (char *)"untouched"};
	struct lk_app a;

	assert_non_null(uris);
	assert_non_null(cert);
	memset(uris, 'u', LK_REC_URIS_MAX + 1);
	uris[LK_REC_URIS_MAX + 1] = '\0';

	a = app("", "x");
	assert_int_equal(lk_store_app_insert(s, &a), LK_EINVAL);
	a = app("c", NULL);
	assert_int_equal(lk_store_app_insert(s, &a), LK_EINVAL);
	a = app("c", "x");
	a.scopes = (char *)"";
	assert_int_equal(lk_store_app_insert(s, &a), LK_EINVAL);
	a = app("c", "x");
	a.grant = LK_GRANT__COUNT;
	assert_int_equal(lk_store_app_insert(s, &a), LK_EINVAL);
	a = app("c", "x");
	a.token_format = (enum lk_token_format) - 1;
	assert_int_equal(lk_store_app_insert(s, &a), LK_EINVAL);
	a = app("c", "x");
	a.lifetime = -2;
	assert_int_equal(lk_store_app_insert(s, &a), LK_EINVAL);
	a = app("c", "x");
	a.user_id = -1;
	assert_int_equal(lk_store_app_insert(s, &a), LK_EINVAL);
	a = app("c", "x");
	a.cert_der_len = 4; /* but no bytes */
	assert_int_equal(lk_store_app_insert(s, &a), LK_EINVAL);
	a = app("c", "x");
	a.cert_der = cert;
	a.cert_der_len = LK_REC_CERT_MAX + 1;
	assert_int_equal(lk_store_app_insert(s, &a), LK_ETOOBIG);
	a = app("c", "x");
	a.redirect_uris = uris;
	assert_int_equal(lk_store_app_insert(s, &a), LK_ETOOBIG);
	a.redirect_uris = NULL;
	a.description = uris + (LK_REC_URIS_MAX - LK_REC_DESCRIPTION_MAX); /* 4097 bytes */
	assert_int_equal(lk_store_app_insert(s, &a), LK_ETOOBIG);
	a = app("c", "x");
	a.updated_at = -5;
	assert_int_equal(lk_store_app_insert(s, &a), LK_EINVAL);
	assert_int_equal(lk_store_app_insert(s, NULL), LK_EINVAL);
	assert_int_equal(lk_store_app_insert(NULL, &a), LK_EINVAL);
	assert_int_equal(count_apps(s), 0);

	/* The largest allowed values are accepted. */
	a = app("c", "x");
	a.redirect_uris = uris + 1; /* exactly LK_REC_URIS_MAX */
	a.cert_der = cert;
	a.cert_der_len = LK_REC_CERT_MAX;
	assert_int_equal(lk_store_app_insert(s, &a), LK_OK);
	/* A bad update changes nothing. */
	a = app("c", "renamed");
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

/* A row that another program wrote with an enum name this one does not know. */
static void test_bad_enum_rows(void **state)
{
	struct fx *f = *state;
	struct lk_store *s = f->s;
	struct lk_app a = app("c1", "One");
	struct lk_app got = {0};
	struct lk_app *apps = (struct lk_app *)&apps;
	struct lk_user u = {0};
	struct lk_user *users = (struct lk_user *)&users;
	size_t n = 7;

	assert_int_equal(lk_store_app_insert(s, &a), LK_OK);
	add_user(s, "corp", "bob", "");
	raw_exec(f->url, "UPDATE apps SET token_format = 'paseto'");
	raw_exec(f->url, "UPDATE users SET role = 'root'");
	assert_int_equal(lk_store_app_get(s, "c1", &got), LK_ESTORE);
	assert_null(got.client_id);
	assert_int_equal(lk_store_app_list(s, &apps, &n), LK_ESTORE);
	assert_int_equal(lk_store_user_find(s, "corp", "bob", &u), LK_ESTORE);
	assert_null(u.domain);
	assert_int_equal(lk_store_user_list(s, &users, &n), LK_ESTORE);
	assert_ptr_equal(apps, (struct lk_app *)&apps);
	assert_ptr_equal(users, (struct lk_user *)&users);
	assert_int_equal(n, 7);
}

/* ---- Client secrets ---- */

static void hash_of(uint8_t h[LK_SHA256_LEN], int v)
{
	memset(h, 0, LK_SHA256_LEN);
	h[0] = (uint8_t)v;
	h[LK_SHA256_LEN - 1] = 0xee; /* and a NUL in between */
}

static void test_secrets(void **state)
{
	struct lk_store *s = db(state);
	struct lk_client_secret *list = NULL;
	struct lk_app a = app("c1", "One");
	uint8_t h[LK_SHA256_LEN];
	int64_t id[5] = {0};
	int deleted = -1;
	size_t n = 0;

	assert_int_equal(lk_store_app_insert(s, &a), LK_OK);
	a = app("c2", "Two");
	assert_int_equal(lk_store_app_insert(s, &a), LK_OK);
	for (int i = 0; i < 3; i++) {
		hash_of(h, i + 1);
		assert_int_equal(lk_store_secret_add(s, "c1", h, 10 + i, &id[i]), LK_OK);
		assert_true(i == 0 || id[i] > id[i - 1]);
	}
	hash_of(h, 9);
	assert_int_equal(lk_store_secret_add(s, "c2", h, 10, &id[4]), LK_OK);
	id[3] = -7;
	assert_int_equal(lk_store_secret_add(s, "nope", h, 10, &id[3]), LK_ENOTFOUND);
	assert_int_equal(id[3], -7);

	assert_int_equal(lk_store_secret_list(s, "c1", &list, &n), LK_OK);
	assert_int_equal(n, 3);
	for (int i = 0; i < 3; i++) {
		hash_of(h, 3 - i);
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
	/* ...an earlier one shortens it. */
	assert_int_equal(lk_store_secret_expire_others(s, "c1", id[2], 500), LK_OK);
	assert_int_equal(lk_store_secret_list(s, "c1", &list, &n), LK_OK);
	assert_int_equal(list[0].expires_at, 0);
	assert_int_equal(list[1].expires_at, 500);
	assert_int_equal(list[2].expires_at, 500);
	free(list);

	/* Rotating again with a grace period: the kept one gets the grace. */
	hash_of(h, 4);
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

/* ---- Users ---- */

static void test_user_insert_find(void **state)
{
	struct lk_store *s = db(state);
	struct lk_user u = user("corp", "Alice", "Alice@Example.com");
	struct lk_user got = {0};
	int64_t id = 0, id2 = 0;

	u.display_name = (char *)"Alice A.";
	u.given_name = (char *)"Alice";
	u.family_name = (char *)"Anders";
	u.phone = (char *)"+1 555 0100";
	u.email_verified = true;
	u.role = LK_ROLE_ADMIN;
	u.password_hash = (char *)"$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA";
	u.id = 777; /* ignored */
	assert_int_equal(lk_store_user_insert(s, &u, &id), LK_OK);
	assert_true(id > 0);
	assert_int_not_equal(id, 777);

	assert_int_equal(lk_store_user_find(s, "CORP", "aLICE", &got), LK_OK);
	assert_int_equal(got.id, id);
	assert_string_equal(got.domain, "corp");
	assert_string_equal(got.username, "Alice");
	assert_string_equal(got.display_name, "Alice A.");
	assert_string_equal(got.given_name, "Alice");
	assert_string_equal(got.family_name, "Anders");
	assert_string_equal(got.email, "Alice@Example.com");
	assert_true(got.email_verified);
	assert_string_equal(got.phone, "+1 555 0100");
	assert_int_equal(got.role, LK_ROLE_ADMIN);
	assert_true(got.enabled);
	assert_string_equal(got.password_hash, u.password_hash);
	assert_int_equal(got.created_at, 50);
	assert_int_equal(got.updated_at, 50);
	lk_user_release(&got);

	assert_int_equal(lk_store_user_find_email(s, "alice@EXAMPLE.COM", &got), LK_OK);
	assert_int_equal(got.id, id);
	lk_user_release(&got);
	assert_int_equal(lk_store_user_get(s, id, &got), LK_OK);
	assert_string_equal(got.username, "Alice");
	lk_user_release(&got);

	/* Another domain is another user; an empty email is nobody's. */
	u = user("other", "alice", "");
	assert_int_equal(lk_store_user_insert(s, &u, &id2), LK_OK);
	assert_true(id2 > id);
	u = user("other2", "alice", NULL);
	assert_int_equal(lk_store_user_insert(s, &u, NULL), LK_OK);
	assert_int_equal(lk_store_user_find(s, "other2", "alice", &got), LK_OK);
	assert_string_equal(got.email, "");
	assert_string_equal(got.password_hash, "");
	assert_string_equal(got.display_name, "");
	assert_int_equal(got.role, LK_ROLE_USER);
	lk_user_release(&got);

	u = user("Corp", "ALICE", "");
	assert_int_equal(lk_store_user_insert(s, &u, NULL), LK_EEXIST);
	u = user("corp", "alice2", "ALICE@example.COM");
	assert_int_equal(lk_store_user_insert(s, &u, NULL), LK_EEXIST);
	assert_int_equal(count_users(s), 3);

	got.username = (char *)"untouched";
	assert_int_equal(lk_store_user_find(s, "corp", "bob", &got), LK_ENOTFOUND);
	assert_int_equal(lk_store_user_find_email(s, "", &got), LK_EINVAL);
	assert_int_equal(lk_store_user_find_email(s, "bob@example.com", &got), LK_ENOTFOUND);
	assert_int_equal(lk_store_user_get(s, id2 + 100, &got), LK_ENOTFOUND);
	assert_int_equal(lk_store_user_get(s, 0, &got), LK_EINVAL);
	assert_string_equal(got.username, "untouched");
}

static void test_user_list(void **state)
{
	struct lk_store *s = db(state);
	struct lk_user *list = (struct lk_user *)&list;
	size_t n = 3;

	assert_int_equal(lk_store_user_list(s, &list, &n), LK_OK);
	assert_null(list);
	assert_int_equal(n, 0);
	add_user(s, "b", "zed", "");
	add_user(s, "a", "Mike", "");
	add_user(s, "b", "Adam", "");
	add_user(s, "a", "bert", "");
	assert_int_equal(lk_store_user_list(s, &list, &n), LK_OK);
	assert_int_equal(n, 4);
	assert_string_equal(list[0].username, "bert");
	assert_string_equal(list[1].username, "Mike");
	assert_string_equal(list[2].username, "Adam");
	assert_string_equal(list[3].username, "zed");
	lk_users_free(list, n);
}

static void test_user_update(void **state)
{
	struct lk_store *s = db(state);
	int64_t a = add_user(s, "corp", "alice", "alice@example.com");
	int64_t b = add_user(s, "corp", "bob", "bob@example.com");
	struct lk_user u = user("ignored", "ignored", "Alice@New.example");
	struct lk_user got = {0};

	u.id = a;
	u.display_name = (char *)"Alice";
	u.given_name = (char *)"Al";
	u.family_name = (char *)"Ice";
	u.phone = (char *)"123";
	u.email_verified = true;
	u.role = LK_ROLE_ADMIN;
	u.enabled = false;
	u.password_hash = (char *)"ignored";
	u.created_at = 1;
	u.updated_at = 60;
	assert_int_equal(lk_store_user_update(s, &u), LK_OK);
	assert_int_equal(lk_store_user_get(s, a, &got), LK_OK);
	assert_string_equal(got.domain, "corp");
	assert_string_equal(got.username, "alice");
	assert_string_equal(got.display_name, "Alice");
	assert_string_equal(got.given_name, "Al");
	assert_string_equal(got.family_name, "Ice");
	assert_string_equal(got.email, "Alice@New.example");
	assert_string_equal(got.phone, "123");
	assert_true(got.email_verified);
	assert_int_equal(got.role, LK_ROLE_ADMIN);
	assert_false(got.enabled);
	assert_string_equal(got.password_hash, "");
	assert_int_equal(got.created_at, 50);
	assert_int_equal(got.updated_at, 60);
	lk_user_release(&got);

	u.email = (char *)"BOB@example.com";
	assert_int_equal(lk_store_user_update(s, &u), LK_EEXIST);
	u.email = (char *)"";
	u.id = b + 100;
	assert_int_equal(lk_store_user_update(s, &u), LK_ENOTFOUND);
	u.id = 0;
	assert_int_equal(lk_store_user_update(s, &u), LK_EINVAL);
	u.id = a;
	u.role = LK_ROLE__COUNT;
	assert_int_equal(lk_store_user_update(s, &u), LK_EINVAL);
	assert_int_equal(lk_store_user_find_email(s, "alice@new.example", &got), LK_OK);
	assert_int_equal(got.id, a);
	lk_user_release(&got);

	assert_int_equal(lk_store_user_set_password(s, a, "$argon2id$new", 70), LK_OK);
	assert_int_equal(lk_store_user_get(s, a, &got), LK_OK);
	assert_string_equal(got.password_hash, "$argon2id$new");
	assert_int_equal(got.updated_at, 70);
	lk_user_release(&got);
	assert_int_equal(lk_store_user_set_password(s, a, "", 80), LK_OK);
	assert_int_equal(lk_store_user_get(s, a, &got), LK_OK);
	assert_string_equal(got.password_hash, "");
	lk_user_release(&got);
	assert_int_equal(lk_store_user_set_password(s, b + 100, "x", 80), LK_ENOTFOUND);
	assert_int_equal(lk_store_user_set_password(s, a, NULL, 80), LK_EINVAL);
}

static void test_user_count_admins(void **state)
{
	struct lk_store *s = db(state);
	struct lk_user u;
	int64_t n = -1;

	assert_int_equal(lk_store_user_count_admins(s, &n), LK_OK);
	assert_int_equal(n, 0);
	u = user("corp", "root", "");
	u.role = LK_ROLE_ADMIN;
	assert_int_equal(lk_store_user_insert(s, &u, NULL), LK_OK);
	u = user("corp", "old-root", "");
	u.role = LK_ROLE_ADMIN;
	u.enabled = false;
	assert_int_equal(lk_store_user_insert(s, &u, NULL), LK_OK);
	add_user(s, "corp", "plain", "");
	assert_int_equal(lk_store_user_count_admins(s, &n), LK_OK);
	assert_int_equal(n, 1);
	assert_int_equal(lk_store_user_count_admins(s, NULL), LK_EINVAL);
}

static void test_user_delete(void **state)
{
	struct lk_store *s = db(state);
	int64_t alice = add_user(s, "corp", "alice", "");
	int64_t bob = add_user(s, "corp", "bob", "");
	struct lk_app a = app("c1", "Robot");
	struct lk_app got = {0};
	int64_t carol;

	a.user_id = alice;
	assert_int_equal(lk_store_app_insert(s, &a), LK_OK);
	assert_int_equal(lk_store_app_get(s, "c1", &got), LK_OK);
	assert_string_equal(got.user, "corp\\alice");
	lk_app_release(&got);

	assert_int_equal(lk_store_user_delete(s, alice), LK_ESTATE);
	assert_int_equal(count_users(s), 2);
	assert_int_equal(lk_store_app_get(s, "c1", &got), LK_OK);
	assert_int_equal(got.user_id, alice);
	lk_app_release(&got);

	a.user_id = 0;
	assert_int_equal(lk_store_app_update(s, &a), LK_OK);
	assert_int_equal(lk_store_user_delete(s, alice), LK_OK);
	assert_int_equal(lk_store_user_delete(s, alice), LK_ENOTFOUND);
	assert_int_equal(lk_store_user_delete(s, 0), LK_EINVAL);

	/* The highest id is deleted too: the next user still gets a new one. */
	assert_int_equal(lk_store_user_delete(s, bob), LK_OK);
	carol = add_user(s, "corp", "alice", "");
	assert_true(carol > bob);
	assert_int_equal(count_users(s), 1);
}

static void test_user_bad_input(void **state)
{
	struct lk_store *s = db(state);
	char *big = malloc(LK_REC_STR_MAX + 2);
	struct lk_user u;
	int64_t id = -3;

	assert_non_null(big);
	memset(big, 'n', LK_REC_STR_MAX + 1);
	big[LK_REC_STR_MAX + 1] = '\0';
	u = user("", "x", "");
	assert_int_equal(lk_store_user_insert(s, &u, &id), LK_EINVAL);
	u = user("d", NULL, "");
	assert_int_equal(lk_store_user_insert(s, &u, &id), LK_EINVAL);
	u = user("d", big, "");
	assert_int_equal(lk_store_user_insert(s, &u, &id), LK_ETOOBIG);
	u = user("d", "x", big);
	assert_int_equal(lk_store_user_insert(s, &u, &id), LK_ETOOBIG);
	u = user("d", "x", "");
	u.password_hash = big;
	assert_int_equal(lk_store_user_insert(s, &u, &id), LK_ETOOBIG);
	u = user("d", "x", "");
	u.role = (enum lk_role)7;
	assert_int_equal(lk_store_user_insert(s, &u, &id), LK_EINVAL);
	u = user("d", "x", "");
	u.created_at = -1;
	assert_int_equal(lk_store_user_insert(s, &u, &id), LK_EINVAL);
	assert_int_equal(lk_store_user_insert(s, NULL, &id), LK_EINVAL);
	assert_int_equal(lk_store_user_find(s, "d", "", NULL), LK_EINVAL);
	assert_int_equal(lk_store_user_set_password(s, 1, big, 1), LK_ETOOBIG);
	assert_int_equal(id, -3);
	assert_int_equal(count_users(s), 0);
	free(big);
}

/* ---- Audit ---- */

static void test_audit(void **state)
{
	struct lk_store *s = db(state);
	struct lk_audit *list = (struct lk_audit *)&list;
	struct lk_audit e = {
		.id = 99,
		.actor = (char *)"cli:root",
		.action = (char *)"app.add",
		.object_type = (char *)"app",
		.object_id = (char *)"c1",
		.detail = (char *)"added",
	};
	char action[16];
	size_t n = 4;

	assert_int_equal(lk_store_audit_list(s, 10, &list, &n), LK_OK);
	assert_null(list);
	assert_int_equal(n, 0);
	for (int i = 0; i < 5; i++) {
		snprintf(action, sizeof(action), "app.act%d", i);
		e.action = action;
		e.at = 1000 + i;
		assert_int_equal(lk_store_audit_add(s, &e), LK_OK);
	}
	e.object_id = NULL;
	e.detail = NULL;
	e.action = (char *)"user.disable";
	assert_int_equal(lk_store_audit_add(s, &e), LK_OK);

	assert_int_equal(lk_store_audit_list(s, 3, &list, &n), LK_OK);
	assert_int_equal(n, 3);
	assert_string_equal(list[0].action, "user.disable");
	assert_string_equal(list[0].object_id, "");
	assert_string_equal(list[0].detail, "");
	assert_string_equal(list[1].action, "app.act4");
	assert_int_equal(list[1].at, 1004);
	assert_string_equal(list[1].actor, "cli:root");
	assert_string_equal(list[1].object_type, "app");
	assert_string_equal(list[1].object_id, "c1");
	assert_string_equal(list[1].detail, "added");
	assert_string_equal(list[2].action, "app.act3");
	assert_true(list[0].id > list[1].id && list[1].id > list[2].id);
	assert_int_not_equal(list[2].id, 99);
	lk_audits_free(list, n);
	assert_int_equal(lk_store_audit_list(s, LK_AUDIT_LIST_MAX, &list, &n), LK_OK);
	assert_int_equal(n, 6);
	lk_audits_free(list, n);

	list = NULL;
	n = 4;
	assert_int_equal(lk_store_audit_list(s, 0, &list, &n), LK_EINVAL);
	assert_int_equal(lk_store_audit_list(s, LK_AUDIT_LIST_MAX + 1, &list, &n), LK_EINVAL);
	assert_null(list);
	assert_int_equal(n, 4);
	e.actor = (char *)"";
	assert_int_equal(lk_store_audit_add(s, &e), LK_EINVAL);
	e.actor = (char *)"cli:root";
	e.object_type = NULL;
	assert_int_equal(lk_store_audit_add(s, &e), LK_EINVAL);
	e.object_type = (char *)"app";
	e.at = -1;
	assert_int_equal(lk_store_audit_add(s, &e), LK_EINVAL);
	assert_int_equal(lk_store_audit_list(s, 100, &list, &n), LK_OK);
	assert_int_equal(n, 6);
	lk_audits_free(list, n);
}

/* ---- Records ---- */

static void test_enum_names(void **state)
{
	enum lk_grant g;
	enum lk_strategy st;
	enum lk_lifecycle l;
	enum lk_client_type t;
	enum lk_token_format f;
	enum lk_role r;

	for (int i = 0; i < LK_GRANT__COUNT; i++) {
		assert_int_equal(lk_grant_parse(lk_grant_name((enum lk_grant)i), &g), LK_OK);
		assert_int_equal(g, i);
	}
	assert_string_equal(lk_grant_name(LK_GRANT_CLIENT_CERTIFICATE), "client_certificate");
	assert_string_equal(lk_grant_name(LK_GRANT__COUNT), "");
	assert_string_equal(lk_grant_name((enum lk_grant) - 1), "");
	g = LK_GRANT_ALL;
	assert_int_equal(lk_grant_parse("Password", &g), LK_EINVAL);
	assert_int_equal(lk_grant_parse("", &g), LK_EINVAL);
	assert_int_equal(lk_grant_parse(NULL, &g), LK_EINVAL);
	assert_int_equal(g, LK_GRANT_ALL);

	assert_int_equal(lk_strategy_parse("mobile-title", &st), LK_OK);
	assert_int_equal(st, LK_STRATEGY_MOBILE_TITLE);
	assert_string_equal(lk_strategy_name(LK_STRATEGY_MOBILE_LOCALHOST), "mobile-localhost");
	assert_int_equal(lk_lifecycle_parse("sliding", &l), LK_OK);
	assert_int_equal(l, LK_LIFECYCLE_SLIDING);
	assert_string_equal(lk_lifecycle_name(LK_LIFECYCLE__COUNT), "");
	assert_int_equal(lk_client_type_parse("public", &t), LK_OK);
	assert_int_equal(t, LK_CLIENT_PUBLIC);
	assert_string_equal(lk_client_type_name(LK_CLIENT_CONFIDENTIAL), "confidential");
	assert_int_equal(lk_token_format_parse("opaque", &f), LK_OK);
	assert_int_equal(f, LK_FORMAT_OPAQUE);
	assert_int_equal(lk_token_format_parse("jwe", &f), LK_EINVAL);
	assert_string_equal(lk_token_format_name(LK_FORMAT_JWT), "jwt");
	assert_int_equal(lk_role_parse("admin", &r), LK_OK);
	assert_int_equal(r, LK_ROLE_ADMIN);
	assert_string_equal(lk_role_name(LK_ROLE_USER), "user");
	assert_string_equal(lk_role_name(LK_ROLE__COUNT), "");
}

static void test_record_release(void **state)
{
	struct lk_user u = {0};
	struct lk_app a = {0};
	struct lk_scope sc = {0};
	struct lk_audit e = {0};

	lk_app_release(NULL);
	lk_user_release(NULL);
	lk_scope_release(NULL);
	lk_audit_release(NULL);
	lk_apps_free(NULL, 0);
	lk_users_free(NULL, 3);
	lk_scopes_free(NULL, 0);
	lk_audits_free(NULL, 0);

	u.domain = strdup("corp");
	u.password_hash = strdup("$argon2id$secret");
	u.id = 5;
	u.enabled = true;
	lk_user_release(&u);
	assert_null(u.domain);
	assert_null(u.password_hash);
	assert_int_equal(u.id, 0);
	assert_false(u.enabled);
	lk_user_release(&u);

	a.client_id = strdup("c");
	a.cert_der = malloc(3);
	a.cert_der_len = 3;
	a.user = strdup("corp\\x");
	lk_app_release(&a);
	assert_null(a.client_id);
	assert_null(a.cert_der);
	assert_int_equal(a.cert_der_len, 0);
	lk_app_release(&a);

	sc.name = strdup("s");
	sc.builtin = true;
	lk_scope_release(&sc);
	assert_null(sc.name);
	assert_false(sc.builtin);

	e.actor = strdup("cli:root");
	e.id = 4;
	lk_audit_release(&e);
	assert_null(e.actor);
	assert_int_equal(e.id, 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_scope_catalog),
		T(test_scope_insert_delete),
		T(test_scope_bad_input),
		T(test_app_roundtrip),
		T(test_app_duplicates),
		T(test_app_update),
		T(test_app_list),
		T(test_app_delete_cascade),
		T(test_app_bad_input),
		T(test_bad_enum_rows),
		T(test_secrets),
		T(test_user_insert_find),
		T(test_user_list),
		T(test_user_update),
		T(test_user_count_admins),
		T(test_user_delete),
		T(test_user_bad_input),
		T(test_audit),
		cmocka_unit_test(test_enum_names),
		cmocka_unit_test(test_record_release),
	};

	/* Expected failures log errors; the informational lines are noise here. */
	lk_log_setup(LK_LOG_WARN, LK_LOG_TEXT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
