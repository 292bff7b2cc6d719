/*
 * The SQLite backend's users, scope catalog and audit log. The statements are
 * in sqlite_int.h; store.c has checked every argument, so these functions
 * only move values between records and rows.
 */
#include "store/sqlite_int.h"

#include <stdlib.h>
#include <string.h>

/* The string members of struct lk_user, in the order of USER_COLUMNS from 1. */
static const size_t user_strings[] = {
	offsetof(struct lk_user, domain),	offsetof(struct lk_user, username),
	offsetof(struct lk_user, display_name), offsetof(struct lk_user, given_name),
	offsetof(struct lk_user, family_name),	offsetof(struct lk_user, email),
	offsetof(struct lk_user, phone),	offsetof(struct lk_user, external_id),
};

#define USER_NSTR ((int)(sizeof(user_strings) / sizeof(user_strings[0])))

/* The columns of USER_COLUMNS; parameter ?N is column N-1. */
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
 * Binds the columns of u as parameters. An update changes display_name to
 * updated_at (and binds id); an insert also binds domain, username, the
 * password hash and created_at, and not id.
 */
static int bind_user(sqlite3_stmt *st, const struct lk_user *u, bool inserting)
{
	int first = inserting ? U_DOMAIN : U_DISPLAY_NAME;
	int rc = SQLITE_OK;

	if (!inserting)
		rc = sqlite3_bind_int64(st, U_ID + 1, u->id);
	for (int i = first - 1; i < USER_NSTR && rc == SQLITE_OK; i++)
		rc = lk_sqlite_bind_text(st, i + 2, str_of(u, user_strings[i]));
	if (rc == SQLITE_OK)
		rc = lk_sqlite_bind_text(st, U_ROLE + 1, lk_role_name(u->role));
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, U_EMAIL_VERIFIED + 1, u->email_verified ? 1 : 0);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, U_ENABLED + 1, u->enabled ? 1 : 0);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, U_UPDATED_AT + 1, u->updated_at);
	if (rc == SQLITE_OK && inserting)
		rc = lk_sqlite_bind_text(st, U_PASSWORD_HASH + 1, u->password_hash);
	if (rc == SQLITE_OK && inserting)
		rc = sqlite3_bind_int64(st, U_CREATED_AT + 1, u->created_at);
	return rc;
}

/* Fills a user (zeroed) from the current row of USER_SELECT; empty on error. */
static enum lk_err read_user(sqlite3_stmt *st, void *rec)
{
	struct lk_user *u = rec;
	enum lk_err err = LK_OK;

	for (int i = 0; i < USER_NSTR && !err; i++)
		err = lk_sqlite_column_text(st, i + 1, str_at(u, user_strings[i]));
	if (!err)
		err = lk_sqlite_column_text(st, U_PASSWORD_HASH, &u->password_hash);
	if (!err && lk_role_parse((const char *)sqlite3_column_text(st, U_ROLE), &u->role))
		err = lk_sqlite_bad_value(st, U_ROLE);
	if (err) {
		lk_user_release(u);
		return err;
	}
	u->id = sqlite3_column_int64(st, U_ID);
	u->email_verified = sqlite3_column_int(st, U_EMAIL_VERIFIED) != 0;
	u->enabled = sqlite3_column_int(st, U_ENABLED) != 0;
	u->updated_at = sqlite3_column_int64(st, U_UPDATED_AT);
	u->created_at = sqlite3_column_int64(st, U_CREATED_AT);
	return LK_OK;
}

static void free_users(void *arr, size_t n)
{
	lk_users_free(arr, n);
}

static const struct lk_sqlite_rows user_rows = {
	.what = "users",
	.size = sizeof(struct lk_user),
	.max = LK_STORE_LIST_MAX,
	.read = read_user,
	.free_array = free_users,
};

/* Ids come from AUTOINCREMENT, so a deleted user's id is never handed out again. */
enum lk_err lk_sqlite_user_insert(struct lk_store *base, const struct lk_user *u, int64_t *id)
{
	struct sqlite_store *s = conn(base);
	sqlite3_stmt *st = NULL;
	enum lk_err err = lk_sqlite_stmt(s, ST_USER_INSERT, &st);

	if (!err)
		err = lk_sqlite_bound(s, ST_USER_INSERT, st, bind_user(st, u, true));
	if (!err)
		err = lk_sqlite_step_done(s, ST_USER_INSERT, st);
	if (!err)
		*id = sqlite3_last_insert_rowid(s->db);
	return err;
}

/* Reads the one user that the bound statement st (of id) finds. */
static enum lk_err get_user(struct sqlite_store *s, enum stmt_id id, sqlite3_stmt *st, int rc,
			    struct lk_user *out)
{
	struct lk_user u = {0};
	enum lk_err err = lk_sqlite_bound(s, id, st, rc);

	if (!err)
		err = lk_sqlite_read_one(s, id, st, read_user, &u);
	if (!err)
		*out = u;
	return err;
}

enum lk_err lk_sqlite_user_get(struct lk_store *base, int64_t id, struct lk_user *out)
{
	struct sqlite_store *s = conn(base);
	sqlite3_stmt *st = NULL;
	enum lk_err err = lk_sqlite_stmt(s, ST_USER_GET, &st);

	return err ? err : get_user(s, ST_USER_GET, st, sqlite3_bind_int64(st, 1, id), out);
}

enum lk_err lk_sqlite_user_find(struct lk_store *base, const char *domain, const char *username,
				struct lk_user *out)
{
	struct sqlite_store *s = conn(base);
	sqlite3_stmt *st = NULL;
	enum lk_err err = lk_sqlite_stmt(s, ST_USER_FIND, &st);
	int rc;

	if (err)
		return err;
	rc = lk_sqlite_bind_text(st, 1, domain);
	if (rc == SQLITE_OK)
		rc = lk_sqlite_bind_text(st, 2, username);
	return get_user(s, ST_USER_FIND, st, rc, out);
}

enum lk_err lk_sqlite_user_find_email(struct lk_store *base, const char *email, struct lk_user *out)
{
	struct sqlite_store *s = conn(base);
	sqlite3_stmt *st = NULL;
	enum lk_err err = lk_sqlite_stmt(s, ST_USER_FIND_EMAIL, &st);

	return err ? err
		   : get_user(s, ST_USER_FIND_EMAIL, st, lk_sqlite_bind_text(st, 1, email), out);
}

enum lk_err lk_sqlite_user_list(struct lk_store *base, struct lk_user **out, size_t *n)
{
	struct sqlite_store *s = conn(base);
	sqlite3_stmt *st = NULL;
	void *arr = NULL;
	enum lk_err err = lk_sqlite_stmt(s, ST_USER_LIST, &st);

	if (!err)
		err = lk_sqlite_read_all(s, ST_USER_LIST, st, &user_rows, &arr, n);
	if (!err)
		*out = arr;
	return err;
}

/* Steps the bound statement st (of id), which changes one row; LK_ENOTFOUND for none. */
static enum lk_err change_one(struct sqlite_store *s, enum stmt_id id, sqlite3_stmt *st, int rc)
{
	enum lk_err err = lk_sqlite_bound(s, id, st, rc);

	if (!err)
		err = lk_sqlite_step_done(s, id, st);
	if (!err && sqlite3_changes(s->db) == 0)
		err = LK_ENOTFOUND;
	return err;
}

enum lk_err lk_sqlite_user_update(struct lk_store *base, const struct lk_user *u)
{
	struct sqlite_store *s = conn(base);
	sqlite3_stmt *st = NULL;
	enum lk_err err = lk_sqlite_stmt(s, ST_USER_UPDATE, &st);

	return err ? err : change_one(s, ST_USER_UPDATE, st, bind_user(st, u, false));
}

enum lk_err lk_sqlite_user_set_password(struct lk_store *base, int64_t id, const char *hash,
					int64_t updated_at)
{
	struct sqlite_store *s = conn(base);
	sqlite3_stmt *st = NULL;
	enum lk_err err = lk_sqlite_stmt(s, ST_USER_SET_PASSWORD, &st);
	int rc;

	if (err)
		return err;
	rc = sqlite3_bind_int64(st, 1, id);
	if (rc == SQLITE_OK)
		rc = lk_sqlite_bind_text(st, 2, hash);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, updated_at);
	return change_one(s, ST_USER_SET_PASSWORD, st, rc);
}

/*
 * apps.user_id is ON DELETE RESTRICT: while an application acts as the user,
 * the delete fails with a foreign key error, which lk_sqlite_fail maps to
 * LK_ESTATE, and nothing is deleted.
 */
enum lk_err lk_sqlite_user_delete(struct lk_store *base, int64_t id)
{
	struct sqlite_store *s = conn(base);
	sqlite3_stmt *st = NULL;
	enum lk_err err = lk_sqlite_stmt(s, ST_USER_DELETE, &st);

	return err ? err : change_one(s, ST_USER_DELETE, st, sqlite3_bind_int64(st, 1, id));
}

enum lk_err lk_sqlite_user_count_admins(struct lk_store *base, int64_t *n)
{
	struct sqlite_store *s = conn(base);
	sqlite3_stmt *st = NULL;
	enum lk_err err = lk_sqlite_stmt(s, ST_USER_COUNT_ROLE, &st);
	int rc;

	if (!err)
		err = lk_sqlite_bound(s, ST_USER_COUNT_ROLE, st,
				      lk_sqlite_bind_text(st, 1, lk_role_name(LK_ROLE_ADMIN)));
	if (err)
		return err;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*n = sqlite3_column_int64(st, 0);
	else
		err = lk_sqlite_fail(s, rc, lk_sqlite_stmt_name(ST_USER_COUNT_ROLE));
	lk_sqlite_done(st);
	return err;
}

/* The new scope goes after every other one: position is the largest plus one. */
enum lk_err lk_sqlite_scope_insert(struct lk_store *base, const struct lk_scope *sc)
{
	struct sqlite_store *s = conn(base);
	sqlite3_stmt *st = NULL;
	enum lk_err err = lk_sqlite_stmt(s, ST_SCOPE_INSERT, &st);
	int rc;

	if (err)
		return err;
	rc = lk_sqlite_bind_text(st, 1, sc->name);
	if (rc == SQLITE_OK)
		rc = lk_sqlite_bind_text(st, 2, sc->description);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 3, sc->certificate ? 1 : 0);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 4, sc->builtin ? 1 : 0);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 5, sc->created_at);
	err = lk_sqlite_bound(s, ST_SCOPE_INSERT, st, rc);
	return err ? err : lk_sqlite_step_done(s, ST_SCOPE_INSERT, st);
}

static enum lk_err read_scope(sqlite3_stmt *st, void *rec)
{
	struct lk_scope *sc = rec;
	enum lk_err err = lk_sqlite_column_text(st, 0, &sc->name);

	if (!err)
		err = lk_sqlite_column_text(st, 1, &sc->description);
	if (err) {
		lk_scope_release(sc);
		return err;
	}
	sc->certificate = sqlite3_column_int(st, 2) != 0;
	sc->builtin = sqlite3_column_int(st, 3) != 0;
	sc->created_at = sqlite3_column_int64(st, 4);
	return LK_OK;
}

static void free_scopes(void *arr, size_t n)
{
	lk_scopes_free(arr, n);
}

static const struct lk_sqlite_rows scope_rows = {
	.what = "scopes",
	.size = sizeof(struct lk_scope),
	.max = LK_STORE_LIST_MAX,
	.read = read_scope,
	.free_array = free_scopes,
};

enum lk_err lk_sqlite_scope_list(struct lk_store *base, struct lk_scope **out, size_t *n)
{
	struct sqlite_store *s = conn(base);
	sqlite3_stmt *st = NULL;
	void *arr = NULL;
	enum lk_err err = lk_sqlite_stmt(s, ST_SCOPE_LIST, &st);

	if (!err)
		err = lk_sqlite_read_all(s, ST_SCOPE_LIST, st, &scope_rows, &arr, n);
	if (!err)
		*out = arr;
	return err;
}

enum lk_err lk_sqlite_scope_delete(struct lk_store *base, const char *name)
{
	struct sqlite_store *s = conn(base);
	sqlite3_stmt *st = NULL;
	enum lk_err err = lk_sqlite_stmt(s, ST_SCOPE_DELETE, &st);

	return err ? err : change_one(s, ST_SCOPE_DELETE, st, lk_sqlite_bind_text(st, 1, name));
}

enum lk_err lk_sqlite_audit_add(struct lk_store *base, const struct lk_audit *e)
{
	struct sqlite_store *s = conn(base);
	sqlite3_stmt *st = NULL;
	enum lk_err err = lk_sqlite_stmt(s, ST_AUDIT_ADD, &st);
	int rc;

	if (err)
		return err;
	rc = sqlite3_bind_int64(st, 1, e->at);
	if (rc == SQLITE_OK)
		rc = lk_sqlite_bind_text(st, 2, e->actor);
	if (rc == SQLITE_OK)
		rc = lk_sqlite_bind_text(st, 3, e->action);
	if (rc == SQLITE_OK)
		rc = lk_sqlite_bind_text(st, 4, e->object_type);
	if (rc == SQLITE_OK)
		rc = lk_sqlite_bind_text(st, 5, e->object_id);
	if (rc == SQLITE_OK)
		rc = lk_sqlite_bind_text(st, 6, e->detail);
	err = lk_sqlite_bound(s, ST_AUDIT_ADD, st, rc);
	return err ? err : lk_sqlite_step_done(s, ST_AUDIT_ADD, st);
}

static enum lk_err read_audit(sqlite3_stmt *st, void *rec)
{
	struct lk_audit *e = rec;
	char **const str[] = {&e->actor, &e->action, &e->object_type, &e->object_id, &e->detail};
	enum lk_err err = LK_OK;

	for (int i = 0; i < 5 && !err; i++)
		err = lk_sqlite_column_text(st, i + 2, str[i]);
	if (err) {
		lk_audit_release(e);
		return err;
	}
	e->id = sqlite3_column_int64(st, 0);
	e->at = sqlite3_column_int64(st, 1);
	return LK_OK;
}

static void free_audits(void *arr, size_t n)
{
	lk_audits_free(arr, n);
}

static const struct lk_sqlite_rows audit_rows = {
	.what = "audit",
	.size = sizeof(struct lk_audit),
	.max = LK_AUDIT_LIST_MAX,
	.read = read_audit,
	.free_array = free_audits,
};

enum lk_err lk_sqlite_audit_list(struct lk_store *base, const struct lk_audit_filter *f, int limit,
				 struct lk_audit **out, size_t *n)
{
	struct sqlite_store *s = conn(base);
	sqlite3_stmt *st = NULL;
	void *arr = NULL;
	enum lk_err err = lk_sqlite_stmt(s, ST_AUDIT_LIST, &st);
	int rc;

	if (err)
		return err;
	/* store.c has filled every member of f. */
	rc = sqlite3_bind_int(st, 1, limit);
	if (rc == SQLITE_OK)
		rc = lk_sqlite_bind_text(st, 2, f->action_prefix);
	if (rc == SQLITE_OK)
		rc = lk_sqlite_bind_text(st, 3, f->actor);
	if (rc == SQLITE_OK)
		rc = lk_sqlite_bind_text(st, 4, f->object_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 5, f->since);
	err = lk_sqlite_bound(s, ST_AUDIT_LIST, st, rc);
	if (!err)
		err = lk_sqlite_read_all(s, ST_AUDIT_LIST, st, &audit_rows, &arr, n);
	if (!err)
		*out = arr;
	return err;
}

/* Oldest first by id, which follows insertion, so a batch never skips ahead. */
enum lk_err lk_sqlite_audit_delete_before(struct lk_store *base, int64_t before, int limit,
					  int *deleted)
{
	struct sqlite_store *s = conn(base);
	sqlite3_stmt *st = NULL;
	enum lk_err err = lk_sqlite_stmt(s, ST_AUDIT_DELETE_BEFORE, &st);
	int rc;

	if (err)
		return err;
	rc = sqlite3_bind_int64(st, 1, before);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 2, limit);
	err = lk_sqlite_bound(s, ST_AUDIT_DELETE_BEFORE, st, rc);
	if (!err)
		err = lk_sqlite_step_done(s, ST_AUDIT_DELETE_BEFORE, st);
	if (!err)
		*deleted = sqlite3_changes(s->db);
	return err;
}
