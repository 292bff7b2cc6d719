/*
 * The PostgreSQL backend's applications (OAuth clients) and their secrets,
 * with the semantics of sqlite_apps.c. store.c has checked every argument,
 * so these functions only move values between records and rows.
 *
 * Each operation is one statement, atomic by itself. A failed statement
 * aborts the whole of the caller's transaction in PostgreSQL, where SQLite
 * lets the transaction go on; the writes a constraint may refuse therefore
 * run in a savepoint when a transaction is open (guarded), so that the
 * caller can still read to word its message, then roll back or go on.
 */
#include "store/pg_int.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

/*
 * The columns of apps in the order every statement uses them: column i is
 * parameter $(i+1) of apps_insert and apps_update. The thirteen strings come
 * first, so that they are read and bound from one table; created_at is last
 * because an update leaves it alone.
 */
#define APP_COLUMNS                                                                                \
	"client_id, name, description, website, scopes, redirect_uris, "                           \
	"post_logout_redirect_uris, cert_subject, cert_key_type, cert_kid, audience, "             \
	"id_token_alg, userinfo_alg, grant_type, strategy, lifecycle, client_type, token_format, " \
	"user_id, lifetime, cert_der, cert_not_before, cert_not_after, first_party, enabled, "     \
	"updated_at, created_at"

/* The bound user of an application as "domain\username", "" when none. */
#define APP_USER                                                                                   \
	"COALESCE((SELECT u.domain || '\\' || u.username FROM users u "                            \
	"WHERE u.id = apps.user_id), '')"

#define APP_SELECT "SELECT " APP_COLUMNS ", " APP_USER " FROM apps "

/*
 * No bound user is NULL, which the foreign key lets through, and so is no
 * certificate: the record says 0 and an empty byte string.
 */
#define APP_USER_ID "NULLIF($19::bigint, 0)"
#define APP_CERT_DER "NULLIF($21::bytea, ''::bytea)"

static const struct lk_pg_stmt st_insert = {
	"apps_insert",
	"INSERT INTO apps (" APP_COLUMNS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
	"$12, $13, $14, $15, $16, $17, $18, " APP_USER_ID ", $20, " APP_CERT_DER ", $22, $23, $24, "
	"$25, $26, $27)",
	27,
};

/*
 * Both of SQLite's lookups in one round trip: a client_id match sorts first,
 * so a name can never shadow another app.
 */
static const struct lk_pg_stmt st_get = {
	"apps_get",
	APP_SELECT "WHERE client_id = $1 OR lower(name) = lower($1) "
		   "ORDER BY client_id = $1 DESC LIMIT 1",
	1,
};

/*
 * Lists compare names in the byte order of lower(), as SQLite does, not in
 * the order of the database's collation; the byte order of "C" is that.
 */
static const struct lk_pg_stmt st_list = {
	"apps_list",
	APP_SELECT "ORDER BY lower(name) COLLATE \"C\", client_id LIMIT $1",
	1,
};

static const struct lk_pg_stmt st_update = {
	"apps_update",
	"UPDATE apps SET name = $2, description = $3, website = $4, scopes = $5, "
	"redirect_uris = $6, post_logout_redirect_uris = $7, cert_subject = $8, "
	"cert_key_type = $9, cert_kid = $10, audience = $11, id_token_alg = $12, "
	"userinfo_alg = $13, grant_type = $14, strategy = $15, lifecycle = $16, "
	"client_type = $17, token_format = $18, user_id = " APP_USER_ID ", lifetime = $20, "
	"cert_der = " APP_CERT_DER ", cert_not_before = $22, cert_not_after = $23, "
	"first_party = $24, enabled = $25, updated_at = $26 WHERE client_id = $1",
	26,
};

static const struct lk_pg_stmt st_delete = {
	"apps_delete",
	"DELETE FROM apps WHERE client_id = $1",
	1,
};

static const struct lk_pg_stmt st_secret_add = {
	"apps_secret_add",
	"INSERT INTO client_secrets (client_id, hash, created_at) VALUES ($1, $2, $3) "
	"RETURNING id",
	3,
};

static const struct lk_pg_stmt st_secret_list = {
	"apps_secret_list",
	"SELECT id, hash, created_at, expires_at FROM client_secrets "
	"WHERE client_id = $1 ORDER BY id DESC LIMIT $2",
	2,
};

static const struct lk_pg_stmt st_secret_expire_others = {
	"apps_secret_expire_others",
	"UPDATE client_secrets SET expires_at = $3 WHERE client_id = $1 AND id <> $2 "
	"AND (expires_at = 0 OR expires_at > $3)",
	3,
};

static const struct lk_pg_stmt st_secret_delete_expired = {
	"apps_secret_delete_expired",
	"DELETE FROM client_secrets WHERE expires_at <> 0 AND expires_at <= $1",
	1,
};

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

/* The other columns of APP_COLUMNS, then APP_USER; parameter $N is column N-1. */
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

/*
 * Binds the columns of a as parameters, in order; created_at only for an
 * insert. Booleans travel as 0 and 1, which a column of either type takes.
 */
static void bind_app(struct lk_pg_params *p, const struct lk_app *a, bool inserting)
{
	lk_pg_params_init(p);
	for (int i = 0; i < APP_NSTR; i++)
		lk_pg_param_text(p, str_of(a, app_strings[i]));
	lk_pg_param_text(p, lk_grant_name(a->grant));
	lk_pg_param_text(p, lk_strategy_name(a->strategy));
	lk_pg_param_text(p, lk_lifecycle_name(a->lifecycle));
	lk_pg_param_text(p, lk_client_type_name(a->client_type));
	lk_pg_param_text(p, lk_token_format_name(a->token_format));
	lk_pg_param_int(p, a->user_id);
	lk_pg_param_int(p, a->lifetime);
	lk_pg_param_bytes(p, a->cert_der_len ? a->cert_der : (const void *)"", a->cert_der_len);
	lk_pg_param_int(p, a->cert_not_before);
	lk_pg_param_int(p, a->cert_not_after);
	lk_pg_param_int(p, a->first_party ? 1 : 0);
	lk_pg_param_int(p, a->enabled ? 1 : 0);
	lk_pg_param_int(p, a->updated_at);
	if (inserting)
		lk_pg_param_int(p, a->created_at);
}

/*
 * A value the schema allows but the program cannot read (an enum name that
 * names no value): the database was edited by hand or by a newer program.
 */
static enum lk_err bad_value(const PGresult *r, int row, int col)
{
	lk_error("postgres: column %s holds an unknown value '%.32s'", PQfname(r, col),
		 PQgetvalue(r, row, col));
	return LK_ESTORE;
}

/* The enum columns of an application row; LK_ESTORE for a name of no value. */
static enum lk_err read_enums(const PGresult *r, int row, struct lk_app *a)
{
	if (lk_grant_parse(PQgetvalue(r, row, C_GRANT), &a->grant))
		return bad_value(r, row, C_GRANT);
	if (lk_strategy_parse(PQgetvalue(r, row, C_STRATEGY), &a->strategy))
		return bad_value(r, row, C_STRATEGY);
	if (lk_lifecycle_parse(PQgetvalue(r, row, C_LIFECYCLE), &a->lifecycle))
		return bad_value(r, row, C_LIFECYCLE);
	if (lk_client_type_parse(PQgetvalue(r, row, C_CLIENT_TYPE), &a->client_type))
		return bad_value(r, row, C_CLIENT_TYPE);
	if (lk_token_format_parse(PQgetvalue(r, row, C_TOKEN_FORMAT), &a->token_format))
		return bad_value(r, row, C_TOKEN_FORMAT);
	return LK_OK;
}

/* Fills an application (zeroed) from row of an APP_SELECT result; empty on error. */
static enum lk_err read_app(const PGresult *r, int row, struct lk_app *a)
{
	unsigned char *der = NULL;
	size_t der_len = 0;
	enum lk_err err = LK_OK;

	for (int i = 0; i < APP_NSTR && !err; i++)
		err = lk_pg_get_text(r, row, i, str_at(a, app_strings[i]));
	if (!err)
		err = lk_pg_get_text(r, row, C_USER, &a->user);
	if (!err)
		err = read_enums(r, row, a);
	if (!err && !PQgetisnull(r, row, C_CERT_DER))
		err = lk_pg_get_bytes_dup(r, row, C_CERT_DER, &der, &der_len);
	if (err) {
		lk_app_release(a);
		return err;
	}
	/* An empty certificate is none, as the record has it. */
	if (der_len == 0) {
		free(der);
		der = NULL;
	}
	a->cert_der = der;
	a->cert_der_len = der_len;
	/* No bound user is NULL, which reads as 0. */
	a->user_id = lk_pg_get_int(r, row, C_USER_ID);
	a->lifetime = (int)lk_pg_get_int(r, row, C_LIFETIME);
	a->cert_not_before = lk_pg_get_int(r, row, C_NOT_BEFORE);
	a->cert_not_after = lk_pg_get_int(r, row, C_NOT_AFTER);
	a->first_party = lk_pg_get_bool(r, row, C_FIRST_PARTY);
	a->enabled = lk_pg_get_bool(r, row, C_ENABLED);
	a->updated_at = lk_pg_get_int(r, row, C_UPDATED_AT);
	a->created_at = lk_pg_get_int(r, row, C_CREATED_AT);
	return LK_OK;
}

/*
 * Binds the parameters of a list statement: the client_id when there is one,
 * then the limit, one row more than LK_STORE_LIST_MAX so that a list at the
 * limit can be told from one too long.
 */
static void bind_limit(struct lk_pg_params *p, const char *client_id)
{
	lk_pg_params_init(p);
	if (client_id)
		lk_pg_param_text(p, client_id);
	lk_pg_param_int(p, (int64_t)LK_STORE_LIST_MAX + 1);
}

/* Checks that the result r of a list statement holds at most LK_STORE_LIST_MAX rows. */
static enum lk_err list_size(const PGresult *r, const char *what, size_t *rows)
{
	int n = PQntuples(r);

	if (n > LK_STORE_LIST_MAX) {
		lk_error("postgres: more than %d %s", LK_STORE_LIST_MAX, what);
		return LK_ETOOMANY;
	}
	*rows = (size_t)n;
	return LK_OK;
}

/*
 * Runs a write that a constraint may refuse (a taken name, an unknown user):
 * *res gets its result when res is not NULL, else *changed (may be NULL) its
 * row count. Inside a transaction the write is a unit of its own, a
 * savepoint, so that a refusal leaves the transaction usable; alone, the
 * statement is atomic by itself and needs none.
 */
static enum lk_err guarded(struct lk_pg *pg, const struct lk_pg_stmt *st,
			   const struct lk_pg_params *p, PGresult **res, int64_t *changed)
{
	const bool unit = pg->in_tx || pg->savepoints > 0;
	enum lk_err err = unit ? lk_pg_unit_begin(pg) : LK_OK;

	if (err)
		return err;
	err = res ? lk_pg_run(pg, st, p, res) : lk_pg_exec(pg, st, p, changed);
	if (unit)
		err = lk_pg_unit_end(pg, err);
	if (err && res) {
		PQclear(*res);
		*res = NULL;
	}
	return err;
}

/* Runs an insert or update of apps; LK_ENOTFOUND when an update matched no row. */
static enum lk_err write_app(struct lk_store *s, const struct lk_pg_stmt *st,
			     const struct lk_app *a)
{
	const bool inserting = st == &st_insert;
	struct lk_pg_params p;
	int64_t changed = 0;
	enum lk_err err;

	bind_app(&p, a, inserting);
	/* The foreign key on user_id refuses an unknown user: LK_ESTATE. */
	err = guarded(lk_pg_of(s), st, &p, NULL, &changed);
	if (!err && changed == 0)
		err = LK_ENOTFOUND;
	return err;
}

enum lk_err lk_pg_app_insert(struct lk_store *s, const struct lk_app *a)
{
	return write_app(s, &st_insert, a);
}

enum lk_err lk_pg_app_update(struct lk_store *s, const struct lk_app *a)
{
	return write_app(s, &st_update, a);
}

enum lk_err lk_pg_app_get(struct lk_store *s, const char *client_id_or_name, struct lk_app *out)
{
	struct lk_pg_params p;
	struct lk_app a = {0};
	PGresult *r = NULL;
	enum lk_err err;

	lk_pg_params_init(&p);
	lk_pg_param_text(&p, client_id_or_name);
	err = lk_pg_run(lk_pg_of(s), &st_get, &p, &r);
	if (!err && PQntuples(r) == 0)
		err = LK_ENOTFOUND;
	if (!err)
		err = read_app(r, 0, &a);
	PQclear(r);
	if (!err)
		*out = a;
	return err;
}

enum lk_err lk_pg_app_list(struct lk_store *s, struct lk_app **out, size_t *n)
{
	struct lk_pg_params p;
	struct lk_app *arr = NULL;
	PGresult *r = NULL;
	size_t count = 0, rows = 0;
	enum lk_err err;

	bind_limit(&p, NULL);
	err = lk_pg_run(lk_pg_of(s), &st_list, &p, &r);
	if (!err)
		err = list_size(r, "apps", &rows);
	if (!err && rows > 0 && !(arr = calloc(rows, sizeof(*arr))))
		err = LK_ENOMEM;
	for (; !err && count < rows; count++)
		err = read_app(r, (int)count, &arr[count]);
	PQclear(r);
	/* A failed read left its record empty, so freeing it too is harmless. */
	if (err) {
		lk_apps_free(arr, count);
		return err;
	}
	*out = arr;
	*n = count;
	return LK_OK;
}

/* The secrets go with the application: ON DELETE CASCADE. */
enum lk_err lk_pg_app_delete(struct lk_store *s, const char *client_id)
{
	struct lk_pg_params p;
	int64_t changed = 0;
	enum lk_err err;

	lk_pg_params_init(&p);
	lk_pg_param_text(&p, client_id);
	err = lk_pg_exec(lk_pg_of(s), &st_delete, &p, &changed);
	if (!err && changed == 0)
		err = LK_ENOTFOUND;
	return err;
}

enum lk_err lk_pg_secret_add(struct lk_store *s, const char *client_id,
			     const uint8_t hash[LK_SHA256_LEN], int64_t created_at, int64_t *id)
{
	struct lk_pg_params p;
	PGresult *r = NULL;
	enum lk_err err;

	lk_pg_params_init(&p);
	lk_pg_param_text(&p, client_id);
	lk_pg_param_bytes(&p, hash, LK_SHA256_LEN);
	lk_pg_param_int(&p, created_at);
	err = guarded(lk_pg_of(s), &st_secret_add, &p, &r, NULL);
	/* The foreign key on client_id refuses a secret of an unknown application. */
	if (err == LK_ESTATE)
		err = LK_ENOTFOUND;
	if (!err && PQntuples(r) != 1) {
		lk_error("postgres: %s returned no id", st_secret_add.name);
		err = LK_ESTORE;
	}
	if (!err)
		*id = lk_pg_get_int(r, 0, 0);
	PQclear(r);
	return err;
}

enum lk_err lk_pg_secret_list(struct lk_store *s, const char *client_id,
			      struct lk_client_secret **out, size_t *n)
{
	struct lk_pg_params p;
	struct lk_client_secret *arr = NULL;
	PGresult *r = NULL;
	size_t rows = 0;
	enum lk_err err;

	bind_limit(&p, client_id);
	err = lk_pg_run(lk_pg_of(s), &st_secret_list, &p, &r);
	if (!err)
		err = list_size(r, "client_secrets", &rows);
	if (!err && rows > 0 && !(arr = calloc(rows, sizeof(*arr))))
		err = LK_ENOMEM;
	for (size_t i = 0; !err && i < rows; i++) {
		arr[i].id = lk_pg_get_int(r, (int)i, 0);
		err = lk_pg_get_bytes(r, (int)i, 1, arr[i].hash, LK_SHA256_LEN);
		arr[i].created_at = lk_pg_get_int(r, (int)i, 2);
		arr[i].expires_at = lk_pg_get_int(r, (int)i, 3);
	}
	PQclear(r);
	if (err) {
		free(arr);
		return err;
	}
	*out = arr;
	*n = rows;
	return LK_OK;
}

/*
 * The condition keeps an earlier expiry: rotating twice within a grace
 * period must not lengthen the life of the oldest secret.
 */
enum lk_err lk_pg_secret_expire_others(struct lk_store *s, const char *client_id, int64_t keep_id,
				       int64_t expires_at)
{
	struct lk_pg_params p;

	lk_pg_params_init(&p);
	lk_pg_param_text(&p, client_id);
	lk_pg_param_int(&p, keep_id);
	lk_pg_param_int(&p, expires_at);
	return lk_pg_exec(lk_pg_of(s), &st_secret_expire_others, &p, NULL);
}

enum lk_err lk_pg_secret_delete_expired(struct lk_store *s, int64_t now, int *deleted)
{
	struct lk_pg_params p;
	int64_t changed = 0;
	enum lk_err err;

	lk_pg_params_init(&p);
	lk_pg_param_int(&p, now);
	err = lk_pg_exec(lk_pg_of(s), &st_secret_delete_expired, &p, &changed);
	if (!err)
		*deleted = changed > INT_MAX ? INT_MAX : (int)changed;
	return err;
}
