/*
 * The PostgreSQL backend's users, scope catalog and audit log, with the
 * semantics of sqlite_users.c. store.c has checked every argument, so these
 * functions only move values between records and rows. Each operation is one
 * statement, atomic by itself.
 */
#include "store/pg_int.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

/*
 * The columns of users in the order every statement reads them. An insert
 * writes all but id, $1 to $14; an update takes id as $1 and writes the
 * middle run, display_name to updated_at, as $2 to $11. The password has
 * its own statement.
 */
#define USER_COLUMNS                                                                               \
	"id, domain, username, display_name, given_name, family_name, email, phone, "              \
	"external_id, role, email_verified, enabled, updated_at, password_hash, created_at"

#define USER_SELECT "SELECT " USER_COLUMNS " FROM users "

/*
 * Ids come from an identity sequence, so a deleted user's id is never handed
 * out again.
 */
static const struct lk_pg_stmt st_insert = {
	"users_insert",
	"INSERT INTO users (domain, username, display_name, given_name, family_name, email, "
	"phone, external_id, role, email_verified, enabled, updated_at, password_hash, "
	"created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) "
	"RETURNING id",
	14,
};

static const struct lk_pg_stmt st_get = {
	"users_get",
	USER_SELECT "WHERE id = $1",
	1,
};

/* The same expressions as the unique indexes, so each lookup is an index lookup. */
static const struct lk_pg_stmt st_find = {
	"users_find",
	USER_SELECT "WHERE lower(domain) = lower($1) AND lower(username) = lower($2)",
	2,
};

static const struct lk_pg_stmt st_find_email = {
	"users_find_email",
	USER_SELECT "WHERE email <> '' AND lower(email) = lower($1)",
	1,
};

/* In the byte order of lower(), as SQLite sorts, whatever the database's collation. */
static const struct lk_pg_stmt st_list = {
	"users_list",
	USER_SELECT "ORDER BY lower(domain) COLLATE \"C\", lower(username) COLLATE \"C\", id "
		    "LIMIT $1",
	1,
};

static const struct lk_pg_stmt st_update = {
	"users_update",
	"UPDATE users SET display_name = $2, given_name = $3, family_name = $4, email = $5, "
	"phone = $6, external_id = $7, role = $8, email_verified = $9, enabled = $10, "
	"updated_at = $11 WHERE id = $1",
	11,
};

static const struct lk_pg_stmt st_set_password = {
	"users_set_password",
	"UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1",
	3,
};

static const struct lk_pg_stmt st_delete = {
	"users_delete",
	"DELETE FROM users WHERE id = $1",
	1,
};

static const struct lk_pg_stmt st_count_role = {
	"users_count_role",
	"SELECT count(*) FROM users WHERE enabled = $1 AND role = $2",
	2,
};

/* The new scope goes after every other one: position is the largest plus one. */
static const struct lk_pg_stmt st_scope_insert = {
	"users_scope_insert",
	"INSERT INTO scopes (name, description, certificate, builtin, position, created_at) "
	"VALUES ($1, $2, $3, $4, (SELECT COALESCE(MAX(position), 0) + 1 FROM scopes), $5)",
	5,
};

static const struct lk_pg_stmt st_scope_list = {
	"users_scope_list",
	"SELECT name, description, certificate, builtin, created_at FROM scopes "
	"ORDER BY position, name LIMIT $1",
	1,
};

static const struct lk_pg_stmt st_scope_delete = {
	"users_scope_delete",
	"DELETE FROM scopes WHERE name = $1",
	1,
};

static const struct lk_pg_stmt st_audit_add = {
	"users_audit_add",
	"INSERT INTO audit (at, actor, action, object_type, object_id, detail) "
	"VALUES ($1, $2, $3, $4, $5, $6)",
	6,
};

static const struct lk_pg_stmt st_audit_list = {
	"users_audit_list",
	"SELECT id, at, actor, action, object_type, object_id, detail FROM audit "
	"WHERE ($2::text = '' OR left(action, length($2::text)) = $2::text) "
	"AND ($3::text = '' OR actor = $3::text) AND ($4::text = '' OR object_id = $4::text) "
	"AND at >= $5::bigint ORDER BY id DESC LIMIT $1",
	5,
};

/* Oldest first by id, which follows insertion, so a batch never skips ahead. */
static const struct lk_pg_stmt st_audit_delete_before = {
	"users_audit_delete_before",
	"DELETE FROM audit WHERE id = ANY (ARRAY (SELECT id FROM audit WHERE at < $1::bigint "
	"ORDER BY id LIMIT $2))",
	2,
};

/* The string members of struct lk_user, in the order of USER_COLUMNS from 1. */
static const size_t user_strings[] = {
	offsetof(struct lk_user, domain),	offsetof(struct lk_user, username),
	offsetof(struct lk_user, display_name), offsetof(struct lk_user, given_name),
	offsetof(struct lk_user, family_name),	offsetof(struct lk_user, email),
	offsetof(struct lk_user, phone),	offsetof(struct lk_user, external_id),
};

#define USER_NSTR ((int)(sizeof(user_strings) / sizeof(user_strings[0])))

/* The columns of USER_COLUMNS. */
enum user_col {
	U_ID = 0,
	U_DOMAIN,
	U_USERNAME,
	U_DISPLAY_NAME,
	U_EXTERNAL_ID = 8,
	U_ROLE,
	U_EMAIL_VERIFIED,
	U_ENABLED,
	U_UPDATED_AT,
	U_PASSWORD_HASH,
	U_CREATED_AT,
};

_Static_assert(USER_NSTR + 1 == U_ROLE, "user_strings must match USER_COLUMNS");

static char **str_at(struct lk_user *u, size_t off)
{
	return (char **)((char *)u + off);
}

static const char *str_of(const struct lk_user *u, size_t off)
{
	return *(char *const *)((const char *)u + off);
}

/*
 * Binds the columns of u as parameters, in the order of st_insert or
 * st_update: an update binds id and the run display_name to updated_at; an
 * insert also binds domain and username first and the password hash and
 * created_at last, and not id. Booleans travel as 0 and 1, which a column
 * of either type takes.
 */
static void bind_user(struct lk_pg_params *p, const struct lk_user *u, bool inserting)
{
	int first = inserting ? U_DOMAIN : U_DISPLAY_NAME;

	lk_pg_params_init(p);
	if (!inserting)
		lk_pg_param_int(p, u->id);
	for (int i = first - 1; i < USER_NSTR; i++)
		lk_pg_param_text(p, str_of(u, user_strings[i]));
	lk_pg_param_text(p, lk_role_name(u->role));
	lk_pg_param_int(p, u->email_verified ? 1 : 0);
	lk_pg_param_int(p, u->enabled ? 1 : 0);
	lk_pg_param_int(p, u->updated_at);
	if (inserting) {
		lk_pg_param_text(p, u->password_hash);
		lk_pg_param_int(p, u->created_at);
	}
}

/* Fills a user (zeroed) from row of a USER_SELECT result; empty on error. */
static enum lk_err read_user(const PGresult *r, int row, struct lk_user *u)
{
	enum lk_err err = LK_OK;

	for (int i = 0; i < USER_NSTR && !err; i++)
		err = lk_pg_get_text(r, row, i + 1, str_at(u, user_strings[i]));
	if (!err)
		err = lk_pg_get_text(r, row, U_PASSWORD_HASH, &u->password_hash);
	if (!err && lk_role_parse(PQgetvalue(r, row, U_ROLE), &u->role)) {
		/* Another program's role, or a hand edit: never a secret. */
		lk_error("postgres: column role holds an unknown value '%.32s'",
			 PQgetvalue(r, row, U_ROLE));
		err = LK_ESTORE;
	}
	if (err) {
		lk_user_release(u);
		return err;
	}
	u->id = lk_pg_get_int(r, row, U_ID);
	u->email_verified = lk_pg_get_bool(r, row, U_EMAIL_VERIFIED);
	u->enabled = lk_pg_get_bool(r, row, U_ENABLED);
	u->updated_at = lk_pg_get_int(r, row, U_UPDATED_AT);
	u->created_at = lk_pg_get_int(r, row, U_CREATED_AT);
	return LK_OK;
}

/*
 * Checks that r, the result of a list statement asked for one row more than
 * max, holds at most max rows; *rows gets how many.
 */
static enum lk_err list_size(const PGresult *r, const char *what, int max, size_t *rows)
{
	int n = PQntuples(r);

	if (n > max) {
		lk_error("postgres: more than %d %s", max, what);
		return LK_ETOOMANY;
	}
	*rows = (size_t)n;
	return LK_OK;
}

/* Binds the only parameter of a list statement: one row more than max. */
static void bind_limit(struct lk_pg_params *p, int max)
{
	lk_pg_params_init(p);
	lk_pg_param_int(p, (int64_t)max + 1);
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

/*
 * Runs a statement that changes at most one row, guarded when a constraint
 * may refuse it; LK_ENOTFOUND when it changed none.
 */
static enum lk_err change_one(struct lk_store *s, const struct lk_pg_stmt *st,
			      const struct lk_pg_params *p, bool guard)
{
	int64_t changed = 0;
	enum lk_err err = guard ? guarded(lk_pg_of(s), st, p, NULL, &changed)
				: lk_pg_exec(lk_pg_of(s), st, p, &changed);

	return !err && changed == 0 ? LK_ENOTFOUND : err;
}

enum lk_err lk_pg_user_insert(struct lk_store *s, const struct lk_user *u, int64_t *id)
{
	struct lk_pg_params p;
	PGresult *r = NULL;
	enum lk_err err;

	bind_user(&p, u, true);
	err = guarded(lk_pg_of(s), &st_insert, &p, &r, NULL);
	if (!err && PQntuples(r) != 1) {
		lk_error("postgres: %s returned no id", st_insert.name);
		err = LK_ESTORE;
	}
	if (!err)
		*id = lk_pg_get_int(r, 0, 0);
	PQclear(r);
	return err;
}

/* Reads the one user that statement st finds with parameters p. */
static enum lk_err get_user(struct lk_store *s, const struct lk_pg_stmt *st,
			    const struct lk_pg_params *p, struct lk_user *out)
{
	struct lk_user u = {0};
	PGresult *r = NULL;
	enum lk_err err = lk_pg_run(lk_pg_of(s), st, p, &r);

	if (!err && PQntuples(r) == 0)
		err = LK_ENOTFOUND;
	if (!err)
		err = read_user(r, 0, &u);
	PQclear(r);
	if (!err)
		*out = u;
	return err;
}

enum lk_err lk_pg_user_get(struct lk_store *s, int64_t id, struct lk_user *out)
{
	struct lk_pg_params p;

	lk_pg_params_init(&p);
	lk_pg_param_int(&p, id);
	return get_user(s, &st_get, &p, out);
}

enum lk_err lk_pg_user_find(struct lk_store *s, const char *domain, const char *username,
			    struct lk_user *out)
{
	struct lk_pg_params p;

	lk_pg_params_init(&p);
	lk_pg_param_text(&p, domain);
	lk_pg_param_text(&p, username);
	return get_user(s, &st_find, &p, out);
}

enum lk_err lk_pg_user_find_email(struct lk_store *s, const char *email, struct lk_user *out)
{
	struct lk_pg_params p;

	lk_pg_params_init(&p);
	lk_pg_param_text(&p, email);
	return get_user(s, &st_find_email, &p, out);
}

enum lk_err lk_pg_user_list(struct lk_store *s, struct lk_user **out, size_t *n)
{
	struct lk_pg_params p;
	struct lk_user *arr = NULL;
	PGresult *r = NULL;
	size_t count = 0, rows = 0;
	enum lk_err err;

	bind_limit(&p, LK_STORE_LIST_MAX);
	err = lk_pg_run(lk_pg_of(s), &st_list, &p, &r);
	if (!err)
		err = list_size(r, "users", LK_STORE_LIST_MAX, &rows);
	if (!err && rows > 0 && !(arr = calloc(rows, sizeof(*arr))))
		err = LK_ENOMEM;
	for (; !err && count < rows; count++)
		err = read_user(r, (int)count, &arr[count]);
	PQclear(r);
	/* A failed read left its record empty, so freeing it too is harmless. */
	if (err) {
		lk_users_free(arr, count);
		return err;
	}
	*out = arr;
	*n = count;
	return LK_OK;
}

enum lk_err lk_pg_user_update(struct lk_store *s, const struct lk_user *u)
{
	struct lk_pg_params p;

	bind_user(&p, u, false);
	return change_one(s, &st_update, &p, true);
}

enum lk_err lk_pg_user_set_password(struct lk_store *s, int64_t id, const char *hash,
				    int64_t updated_at)
{
	struct lk_pg_params p;

	lk_pg_params_init(&p);
	lk_pg_param_int(&p, id);
	lk_pg_param_text(&p, hash);
	lk_pg_param_int(&p, updated_at);
	return change_one(s, &st_set_password, &p, false);
}

/*
 * apps.user_id is ON DELETE RESTRICT: while an application acts as the user,
 * the delete fails with a foreign key violation, which lk_pg_run reports as
 * LK_ESTATE, and nothing is deleted; guarded, so that the caller's
 * transaction survives it.
 */
enum lk_err lk_pg_user_delete(struct lk_store *s, int64_t id)
{
	struct lk_pg_params p;

	lk_pg_params_init(&p);
	lk_pg_param_int(&p, id);
	return change_one(s, &st_delete, &p, true);
}

enum lk_err lk_pg_user_count_admins(struct lk_store *s, int64_t *n)
{
	struct lk_pg_params p;
	PGresult *r = NULL;
	enum lk_err err;

	lk_pg_params_init(&p);
	lk_pg_param_int(&p, 1);
	lk_pg_param_text(&p, lk_role_name(LK_ROLE_ADMIN));
	err = lk_pg_run(lk_pg_of(s), &st_count_role, &p, &r);
	if (!err && PQntuples(r) != 1) {
		lk_error("postgres: %s returned no count", st_count_role.name);
		err = LK_ESTORE;
	}
	if (!err)
		*n = lk_pg_get_int(r, 0, 0);
	PQclear(r);
	return err;
}

enum lk_err lk_pg_scope_insert(struct lk_store *s, const struct lk_scope *sc)
{
	struct lk_pg_params p;

	lk_pg_params_init(&p);
	lk_pg_param_text(&p, sc->name);
	lk_pg_param_text(&p, sc->description);
	lk_pg_param_int(&p, sc->certificate ? 1 : 0);
	lk_pg_param_int(&p, sc->builtin ? 1 : 0);
	lk_pg_param_int(&p, sc->created_at);
	return guarded(lk_pg_of(s), &st_scope_insert, &p, NULL, NULL);
}

enum lk_err lk_pg_scope_list(struct lk_store *s, struct lk_scope **out, size_t *n)
{
	struct lk_pg_params p;
	struct lk_scope *arr = NULL;
	PGresult *r = NULL;
	size_t count = 0, rows = 0;
	enum lk_err err;

	bind_limit(&p, LK_STORE_LIST_MAX);
	err = lk_pg_run(lk_pg_of(s), &st_scope_list, &p, &r);
	if (!err)
		err = list_size(r, "scopes", LK_STORE_LIST_MAX, &rows);
	if (!err && rows > 0 && !(arr = calloc(rows, sizeof(*arr))))
		err = LK_ENOMEM;
	for (; !err && count < rows; count++) {
		struct lk_scope *sc = &arr[count];
		int row = (int)count;

		err = lk_pg_get_text(r, row, 0, &sc->name);
		if (!err)
			err = lk_pg_get_text(r, row, 1, &sc->description);
		sc->certificate = lk_pg_get_bool(r, row, 2);
		sc->builtin = lk_pg_get_bool(r, row, 3);
		sc->created_at = lk_pg_get_int(r, row, 4);
	}
	PQclear(r);
	/* The record being read when an error came is freed with the others. */
	if (err) {
		lk_scopes_free(arr, count);
		return err;
	}
	*out = arr;
	*n = count;
	return LK_OK;
}

enum lk_err lk_pg_scope_delete(struct lk_store *s, const char *name)
{
	struct lk_pg_params p;

	lk_pg_params_init(&p);
	lk_pg_param_text(&p, name);
	return change_one(s, &st_scope_delete, &p, false);
}

enum lk_err lk_pg_audit_add(struct lk_store *s, const struct lk_audit *e)
{
	struct lk_pg_params p;

	lk_pg_params_init(&p);
	lk_pg_param_int(&p, e->at);
	lk_pg_param_text(&p, e->actor);
	lk_pg_param_text(&p, e->action);
	lk_pg_param_text(&p, e->object_type);
	lk_pg_param_text(&p, e->object_id);
	lk_pg_param_text(&p, e->detail);
	return lk_pg_exec(lk_pg_of(s), &st_audit_add, &p, NULL);
}

enum lk_err lk_pg_audit_list(struct lk_store *s, const struct lk_audit_filter *f, int limit,
			     struct lk_audit **out, size_t *n)
{
	struct lk_pg_params p;
	struct lk_audit *arr = NULL;
	PGresult *r = NULL;
	size_t count = 0, rows = 0;
	enum lk_err err;

	/* store.c has checked 1 <= limit <= LK_AUDIT_LIST_MAX and filled f. */
	lk_pg_params_init(&p);
	lk_pg_param_int(&p, limit);
	lk_pg_param_text(&p, f->action_prefix);
	lk_pg_param_text(&p, f->actor);
	lk_pg_param_text(&p, f->object_id);
	lk_pg_param_int(&p, f->since);
	err = lk_pg_run(lk_pg_of(s), &st_audit_list, &p, &r);
	if (!err)
		err = list_size(r, "audit entries", LK_AUDIT_LIST_MAX, &rows);
	if (!err && rows > 0 && !(arr = calloc(rows, sizeof(*arr))))
		err = LK_ENOMEM;
	for (; !err && count < rows; count++) {
		struct lk_audit *e = &arr[count];
		char **const str[] = {&e->actor, &e->action, &e->object_type, &e->object_id,
				      &e->detail};
		int row = (int)count;

		for (int i = 0; i < 5 && !err; i++)
			err = lk_pg_get_text(r, row, i + 2, str[i]);
		e->id = lk_pg_get_int(r, row, 0);
		e->at = lk_pg_get_int(r, row, 1);
	}
	PQclear(r);
	/* The record being read when an error came is freed with the others. */
	if (err) {
		lk_audits_free(arr, count);
		return err;
	}
	*out = arr;
	*n = count;
	return LK_OK;
}

enum lk_err lk_pg_audit_delete_before(struct lk_store *s, int64_t before, int limit, int *deleted)
{
	struct lk_pg_params p;
	int64_t changed = 0;
	enum lk_err err;

	lk_pg_params_init(&p);
	lk_pg_param_int(&p, before);
	lk_pg_param_int(&p, limit);
	err = lk_pg_exec(lk_pg_of(s), &st_audit_delete_before, &p, &changed);
	if (!err)
		*deleted = (int)changed;
	return err;
}
