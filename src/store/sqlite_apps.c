/*
 * The SQLite backend's applications (OAuth clients) and their secrets. The
 * statements are in sqlite_int.h; store.c has checked every argument, so
 * these functions only move values between records and rows.
 */
#include "store/sqlite_int.h"

#include <stdlib.h>
#include <string.h>

/* The string members of struct lk_app, in the order of APP_COLUMNS. */
static const size_t app_strings[] = {
	offsetof(struct lk_app, client_id),
	offsetof(struct lk_app, name),
	offsetof(struct lk_app, description),
	offsetof(struct lk_app, website),
	offsetof(struct lk_app, scopes),
	offsetof(struct lk_app, redirect_uris),
	offsetof(struct lk_app, post_logout_redirect_uris),
	offsetof(struct lk_app, cert_subject),
	offsetof(struct lk_app, cert_key_type),
	offsetof(struct lk_app, cert_kid),
	offsetof(struct lk_app, audience),
	offsetof(struct lk_app, id_token_alg),
	offsetof(struct lk_app, userinfo_alg),
};

#define APP_NSTR ((int)(sizeof(app_strings) / sizeof(app_strings[0])))

/* The other columns of APP_COLUMNS, then APP_USER; parameter ?N is column N-1. */
enum app_col {
	C_GRANT = 13,
	C_STRATEGY,
	C_LIFECYCLE,
	C_CLIENT_TYPE,
	C_TOKEN_FORMAT,
	C_USER_ID,
	C_LIFETIME,
	C_CERT_DER,
	C_NOT_BEFORE,
	C_NOT_AFTER,
	C_FIRST_PARTY,
	C_ENABLED,
	C_UPDATED_AT,
	C_CREATED_AT,
	C_USER,
};

_Static_assert(APP_NSTR == C_GRANT, "app_strings must match APP_COLUMNS");

static char **str_at(struct lk_app *a, size_t off)
{
	return (char **)((char *)a + off);
}

static const char *str_of(const struct lk_app *a, size_t off)
{
	return *(char *const *)((const char *)a + off);
}

/* Binds the columns of a as parameters; created_at only for an insert. */
static int bind_app(sqlite3_stmt *st, const struct lk_app *a, bool inserting)
{
	int rc = SQLITE_OK;

	for (int i = 0; i < APP_NSTR && rc == SQLITE_OK; i++)
		rc = lk_sqlite_bind_text(st, i + 1, str_of(a, app_strings[i]));
	if (rc == SQLITE_OK)
		rc = lk_sqlite_bind_text(st, C_GRANT + 1, lk_grant_name(a->grant));
	if (rc == SQLITE_OK)
		rc = lk_sqlite_bind_text(st, C_STRATEGY + 1, lk_strategy_name(a->strategy));
	if (rc == SQLITE_OK)
		rc = lk_sqlite_bind_text(st, C_LIFECYCLE + 1, lk_lifecycle_name(a->lifecycle));
	if (rc == SQLITE_OK)
		rc = lk_sqlite_bind_text(st, C_CLIENT_TYPE + 1,
					 lk_client_type_name(a->client_type));
	if (rc == SQLITE_OK)
		rc = lk_sqlite_bind_text(st, C_TOKEN_FORMAT + 1,
					 lk_token_format_name(a->token_format));
	/* No bound user is NULL, which the foreign key lets through. */
	if (rc == SQLITE_OK && a->user_id)
		rc = sqlite3_bind_int64(st, C_USER_ID + 1, a->user_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, C_LIFETIME + 1, a->lifetime);
	if (rc == SQLITE_OK && a->cert_der_len)
		rc = sqlite3_bind_blob(st, C_CERT_DER + 1, a->cert_der, (int)a->cert_der_len,
				       SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, C_NOT_BEFORE + 1, a->cert_not_before);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, C_NOT_AFTER + 1, a->cert_not_after);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, C_FIRST_PARTY + 1, a->first_party ? 1 : 0);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, C_ENABLED + 1, a->enabled ? 1 : 0);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, C_UPDATED_AT + 1, a->updated_at);
	if (rc == SQLITE_OK && inserting)
		rc = sqlite3_bind_int64(st, C_CREATED_AT + 1, a->created_at);
	return rc;
}

static const char *text(sqlite3_stmt *st, int col)
{
	return (const char *)sqlite3_column_text(st, col);
}

/* The enum columns of an application row; LK_ESTORE for a name of no value. */
static enum lk_err read_enums(sqlite3_stmt *st, struct lk_app *a)
{
	if (lk_grant_parse(text(st, C_GRANT), &a->grant))
		return lk_sqlite_bad_value(st, C_GRANT);
	if (lk_strategy_parse(text(st, C_STRATEGY), &a->strategy))
		return lk_sqlite_bad_value(st, C_STRATEGY);
	if (lk_lifecycle_parse(text(st, C_LIFECYCLE), &a->lifecycle))
		return lk_sqlite_bad_value(st, C_LIFECYCLE);
	if (lk_client_type_parse(text(st, C_CLIENT_TYPE), &a->client_type))
		return lk_sqlite_bad_value(st, C_CLIENT_TYPE);
	if (lk_token_format_parse(text(st, C_TOKEN_FORMAT), &a->token_format))
		return lk_sqlite_bad_value(st, C_TOKEN_FORMAT);
	return LK_OK;
}

/* Fills an application (zeroed) from the current row of APP_SELECT; empty on error. */
static enum lk_err read_app(sqlite3_stmt *st, void *rec)
{
	struct lk_app *a = rec;
	void *der = NULL;
	size_t der_len = 0;
	enum lk_err err = LK_OK;

	for (int i = 0; i < APP_NSTR && !err; i++)
		err = lk_sqlite_column_text(st, i, str_at(a, app_strings[i]));
	if (!err)
		err = lk_sqlite_column_text(st, C_USER, &a->user);
	if (!err)
		err = read_enums(st, a);
	if (!err && sqlite3_column_type(st, C_CERT_DER) != SQLITE_NULL)
		err = lk_sqlite_column_copy(st, C_CERT_DER, true, &der, &der_len);
	if (err) {
		lk_app_release(a);
		return err;
	}
	a->cert_der = der;
	a->cert_der_len = der_len;
	a->user_id = sqlite3_column_int64(st, C_USER_ID);
	a->lifetime = sqlite3_column_int(st, C_LIFETIME);
	a->cert_not_before = sqlite3_column_int64(st, C_NOT_BEFORE);
	a->cert_not_after = sqlite3_column_int64(st, C_NOT_AFTER);
	a->first_party = sqlite3_column_int(st, C_FIRST_PARTY) != 0;
	a->enabled = sqlite3_column_int(st, C_ENABLED) != 0;
	a->updated_at = sqlite3_column_int64(st, C_UPDATED_AT);
	a->created_at = sqlite3_column_int64(st, C_CREATED_AT);
	return LK_OK;
}

static void free_apps(void *arr, size_t n)
{
	lk_apps_free(arr, n);
}

static const struct lk_sqlite_rows app_rows = {
	.what = "apps",
	.size = sizeof(struct lk_app),
	.max = LK_STORE_LIST_MAX,
	.read = read_app,
	.free_array = free_apps,
};

/* Runs an insert or update of apps; LK_ENOTFOUND when an update matched no row. */
static enum lk_err write_app(struct sqlite_store *s, enum stmt_id id, const struct lk_app *a)
{
	const bool inserting = id == ST_APP_INSERT;
	sqlite3_stmt *st = NULL;
	enum lk_err err = lk_sqlite_stmt(s, id, &st);

	if (!err)
		err = lk_sqlite_bound(s, id, st, bind_app(st, a, inserting));
	if (!err)
		err = lk_sqlite_step_done(s, id, st);
	if (!err && !inserting && sqlite3_changes(s->db) == 0)
		err = LK_ENOTFOUND;
	return err;
}

enum lk_err lk_sqlite_app_insert(struct lk_store *base, const struct lk_app *a)
{
	return write_app(conn(base), ST_APP_INSERT, a);
}

enum lk_err lk_sqlite_app_update(struct lk_store *base, const struct lk_app *a)
{
	return write_app(conn(base), ST_APP_UPDATE, a);
}

/* Reads the one application that statement id finds for key (?1). */
static enum lk_err get_app(struct sqlite_store *s, enum stmt_id id, const char *key,
			   struct lk_app *a)
{
	sqlite3_stmt *st = NULL;
	enum lk_err err = lk_sqlite_stmt(s, id, &st);

	if (!err)
		err = lk_sqlite_bound(s, id, st, lk_sqlite_bind_text(st, 1, key));
	if (!err)
		err = lk_sqlite_read_one(s, id, st, read_app, a);
	return err;
}

/* A client_id wins over a name, so a name can never shadow another app. */
enum lk_err lk_sqlite_app_get(struct lk_store *base, const char *client_id_or_name,
			      struct lk_app *out)
{
	struct sqlite_store *s = conn(base);
	struct lk_app a = {0};
	enum lk_err err = get_app(s, ST_APP_GET_ID, client_id_or_name, &a);

	if (err == LK_ENOTFOUND)
		err = get_app(s, ST_APP_GET_NAME, client_id_or_name, &a);
	if (!err)
		*out = a;
	return err;
}

enum lk_err lk_sqlite_app_list(struct lk_store *base, struct lk_app **out, size_t *n)
{
	struct sqlite_store *s = conn(base);
	sqlite3_stmt *st = NULL;
	void *arr = NULL;
	enum lk_err err = lk_sqlite_stmt(s, ST_APP_LIST, &st);

	if (!err)
		err = lk_sqlite_read_all(s, ST_APP_LIST, st, &app_rows, &arr, n);
	if (!err)
		*out = arr;
	return err;
}

/* Runs a statement that deletes or updates by one text key; LK_ENOTFOUND for no row. */
static enum lk_err change_by_text(struct sqlite_store *s, enum stmt_id id, const char *key)
{
	sqlite3_stmt *st = NULL;
	enum lk_err err = lk_sqlite_stmt(s, id, &st);

	if (!err)
		err = lk_sqlite_bound(s, id, st, lk_sqlite_bind_text(st, 1, key));
	if (!err)
		err = lk_sqlite_step_done(s, id, st);
	if (!err && sqlite3_changes(s->db) == 0)
		err = LK_ENOTFOUND;
	return err;
}

/* The secrets go with the application: ON DELETE CASCADE. */
enum lk_err lk_sqlite_app_delete(struct lk_store *base, const char *client_id)
{
	return change_by_text(conn(base), ST_APP_DELETE, client_id);
}

enum lk_err lk_sqlite_secret_add(struct lk_store *base, const char *client_id,
				 const uint8_t hash[LK_SHA256_LEN], int64_t created_at, int64_t *id)
{
	struct sqlite_store *s = conn(base);
	sqlite3_stmt *st = NULL;
	enum lk_err err = lk_sqlite_stmt(s, ST_SECRET_ADD, &st);
	int rc;

	if (err)
		return err;
	rc = lk_sqlite_bind_text(st, 1, client_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_blob(st, 2, hash, LK_SHA256_LEN, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, created_at);
	err = lk_sqlite_bound(s, ST_SECRET_ADD, st, rc);
	if (!err)
		err = lk_sqlite_step_done(s, ST_SECRET_ADD, st);
	/* The foreign key on client_id refuses a secret of an unknown application. */
	if (err == LK_ESTATE)
		err = LK_ENOTFOUND;
	if (!err)
		*id = sqlite3_last_insert_rowid(s->db);
	return err;
}

static enum lk_err read_secret(sqlite3_stmt *st, void *rec)
{
	struct lk_client_secret *c = rec;
	const void *hash;

	/* The type first: it is undefined once the value has been converted. */
	if (sqlite3_column_type(st, 1) != SQLITE_BLOB ||
	    sqlite3_column_bytes(st, 1) != LK_SHA256_LEN)
		return lk_sqlite_bad_value(st, 1);
	hash = sqlite3_column_blob(st, 1);
	if (!hash)
		return LK_ENOMEM;
	c->id = sqlite3_column_int64(st, 0);
	memcpy(c->hash, hash, LK_SHA256_LEN);
	c->created_at = sqlite3_column_int64(st, 2);
	c->expires_at = sqlite3_column_int64(st, 3);
	return LK_OK;
}

static void free_secrets(void *arr, size_t n)
{
	(void)n;
	free(arr);
}

static const struct lk_sqlite_rows secret_rows = {
	.what = "client_secrets",
	.size = sizeof(struct lk_client_secret),
	.max = LK_STORE_LIST_MAX,
	.read = read_secret,
	.free_array = free_secrets,
};

enum lk_err lk_sqlite_secret_list(struct lk_store *base, const char *client_id,
				  struct lk_client_secret **out, size_t *n)
{
	struct sqlite_store *s = conn(base);
	sqlite3_stmt *st = NULL;
	void *arr = NULL;
	enum lk_err err = lk_sqlite_stmt(s, ST_SECRET_LIST, &st);

	if (!err)
		err = lk_sqlite_bound(s, ST_SECRET_LIST, st, lk_sqlite_bind_text(st, 1, client_id));
	if (!err)
		err = lk_sqlite_read_all(s, ST_SECRET_LIST, st, &secret_rows, &arr, n);
	if (!err)
		*out = arr;
	return err;
}

/*
 * The condition keeps an earlier expiry: rotating twice within a grace
 * period must not lengthen the life of the oldest secret.
 */
enum lk_err lk_sqlite_secret_expire_others(struct lk_store *base, const char *client_id,
					   int64_t keep_id, int64_t expires_at)
{
	struct sqlite_store *s = conn(base);
	sqlite3_stmt *st = NULL;
	enum lk_err err = lk_sqlite_stmt(s, ST_SECRET_EXPIRE_OTHERS, &st);
	int rc;

	if (err)
		return err;
	rc = lk_sqlite_bind_text(st, 1, client_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, keep_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, expires_at);
	err = lk_sqlite_bound(s, ST_SECRET_EXPIRE_OTHERS, st, rc);
	return err ? err : lk_sqlite_step_done(s, ST_SECRET_EXPIRE_OTHERS, st);
}

enum lk_err lk_sqlite_secret_delete_expired(struct lk_store *base, int64_t now, int *deleted)
{
	struct sqlite_store *s = conn(base);
	sqlite3_stmt *st = NULL;
	enum lk_err err = lk_sqlite_stmt(s, ST_SECRET_DELETE_EXPIRED, &st);

	if (!err)
		err = lk_sqlite_bound(s, ST_SECRET_DELETE_EXPIRED, st,
				      sqlite3_bind_int64(st, 1, now));
	if (!err)
		err = lk_sqlite_step_done(s, ST_SECRET_DELETE_EXPIRED, st);
	if (!err)
		*deleted = sqlite3_changes(s->db);
	return err;
}
