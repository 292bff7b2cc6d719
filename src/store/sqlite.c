/*
 * The SQLite backend: one struct sqlite_store per connection, used by one
 * thread at a time. Every statement is prepared on first use and kept until
 * the connection closes; each use binds its values as parameters (never as SQL
 * text), steps, then resets and clears the bindings so that no statement keeps
 * a read transaction open or a pointer to the caller's memory.
 *
 * This file holds the connection, migrations, transactions and signing keys,
 * and the helpers that sqlite_apps.c, sqlite_users.c, sqlite_tokens.c,
 * sqlite_groups.c and sqlite_signin.c share with it through sqlite_int.h,
 * which also holds the statement table.
 */
#include "store/sqlite_int.h"
#include "store/upstream_int.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"

/* How long a connection waits for another one's write lock before LK_EBUSY. */
#define BUSY_TIMEOUT_MS 5000

static const char *const stmt_sql[] = {
#define STMT_SQL(id, sql) sql,
	STMT_LIST(STMT_SQL)
#undef STMT_SQL
};

static const char *const stmt_name[] = {
#define STMT_NAME(id, sql) #id,
	STMT_LIST(STMT_NAME)
#undef STMT_NAME
};

const char *lk_sqlite_stmt_name(enum stmt_id id)
{
	return stmt_name[id];
}

/*
 * SQLite's messages name tables and columns, never the bound values, which
 * may be secret. A uniqueness conflict is an expected outcome, not a fault,
 * and so is a foreign key that refuses to delete a row still referenced.
 */
enum lk_err lk_sqlite_fail(struct sqlite_store *s, int rc, const char *what)
{
	if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
		lk_debug("sqlite: %s: %s", what, sqlite3_errmsg(s->db));
		return LK_EEXIST;
	}
	/* SQLite reports ON DELETE RESTRICT through its trigger machinery. */
	if (rc == SQLITE_CONSTRAINT_FOREIGNKEY || rc == SQLITE_CONSTRAINT_TRIGGER) {
		lk_debug("sqlite: %s: %s", what, sqlite3_errmsg(s->db));
		return LK_ESTATE;
	}
	if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) {
		lk_warn("sqlite: %s: %s", what, sqlite3_errmsg(s->db));
		return LK_EBUSY;
	}
	if (rc == SQLITE_NOMEM)
		return LK_ENOMEM;
	lk_error("sqlite: %s: %s (code %d)", what, sqlite3_errmsg(s->db), rc);
	return LK_ESTORE;
}

/* The cached statement for id, prepared now if this is its first use. */
enum lk_err lk_sqlite_stmt(struct sqlite_store *s, enum stmt_id id, sqlite3_stmt **out)
{
	int rc;

	if (!s->stmts[id]) {
		rc = sqlite3_prepare_v3(s->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
					&s->stmts[id], NULL);
		if (rc != SQLITE_OK)
			return lk_sqlite_fail(s, rc, stmt_name[id]);
	}
	*out = s->stmts[id];
	return LK_OK;
}

/* Readies a used statement for its next use and drops the caller's pointers. */
void lk_sqlite_done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* Steps a statement that returns no rows. */
enum lk_err lk_sqlite_step_done(struct sqlite_store *s, enum stmt_id id, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	enum lk_err err = LK_OK;

	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		err = lk_sqlite_fail(s, rc, stmt_name[id]);
	lk_sqlite_done(st);
	return err;
}

/* Runs a statement that takes no parameters and returns no rows. */
static enum lk_err run(struct sqlite_store *s, enum stmt_id id)
{
	sqlite3_stmt *st = NULL;
	enum lk_err err = lk_sqlite_stmt(s, id, &st);

	return err ? err : lk_sqlite_step_done(s, id, st);
}

/* Runs a statement that takes no parameters and returns one integer. */
static enum lk_err query_int(struct sqlite_store *s, enum stmt_id id, int64_t *out)
{
	sqlite3_stmt *st = NULL;
	enum lk_err err = lk_sqlite_stmt(s, id, &st);
	int rc;

	if (err)
		return err;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
	} else if (rc == SQLITE_DONE) {
		lk_error("sqlite: %s: no row (is the database migrated?)", stmt_name[id]);
		err = LK_ESTORE;
	} else {
		err = lk_sqlite_fail(s, rc, stmt_name[id]);
	}
	lk_sqlite_done(st);
	return err;
}

/* Runs SQL text that binds nothing: pragmas and migration steps. */
static enum lk_err exec_sql(struct sqlite_store *s, const char *sql, const char *what)
{
	char *msg = NULL;
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);
	enum lk_err err = LK_OK;

	if (rc != SQLITE_OK) {
		err = lk_sqlite_fail(s, rc, what);
		sqlite3_free(msg);
	}
	return err;
}

static void sqlite_close(struct lk_store *base)
{
	struct sqlite_store *s = conn(base);
	int rc;

	for (int i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(s->stmts[i]);
	/* An open transaction is rolled back by the close. */
	rc = sqlite3_close(s->db);
	if (rc != SQLITE_OK)
		lk_error("sqlite: close: %s", sqlite3_errstr(rc));
	free(s);
}

static enum lk_err sqlite_schema_version(struct lk_store *base, int *version)
{
	struct sqlite_store *s = conn(base);
	int64_t has = 0, v = 0;
	enum lk_err err;

	err = query_int(s, ST_HAS_MIGRATIONS, &has);
	if (!err && has)
		err = query_int(s, ST_VERSION, &v);
	if (err)
		return err;
	if (v < 0 || v > 0x7fffffff) {
		lk_error("sqlite: schema version %lld is out of range", (long long)v);
		return LK_ESTORE;
	}
	*version = (int)v;
	return LK_OK;
}

/* The first step newer than version, or NULL when none is. */
static const struct lk_migration *next_migration(int version)
{
	for (size_t i = 0; i < lk_sqlite_migration_count; i++) {
		if (lk_sqlite_migrations[i].version > version)
			return &lk_sqlite_migrations[i];
	}
	return NULL;
}

static enum lk_err record_migration(struct sqlite_store *s, const struct lk_migration *m)
{
	sqlite3_stmt *st = NULL;
	enum lk_err err = lk_sqlite_stmt(s, ST_RECORD_MIGRATION, &st);
	int rc;

	if (err)
		return err;
	rc = sqlite3_bind_int(st, 1, m->version);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 2, m->description, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, lk_now());
	if (rc != SQLITE_OK) {
		lk_sqlite_done(st);
		return lk_sqlite_fail(s, rc, "bind schema_migrations");
	}
	return lk_sqlite_step_done(s, ST_RECORD_MIGRATION, st);
}

/*
 * One migration transaction: takes the write lock, reads the version under it
 * (another process may have migrated while we waited) and applies at most one
 * step. *version receives the version found; *applied whether a step ran.
 */
static enum lk_err migrate_once(struct sqlite_store *s, int *version, bool *applied)
{
	const struct lk_migration *m;
	int v = 0;
	enum lk_err err;

	err = run(s, ST_BEGIN);
	if (err)
		return err;
	err = exec_sql(s, lk_sqlite_migrations_table_sql, "create schema_migrations");
	if (!err)
		err = sqlite_schema_version(&s->base, &v);
	if (err)
		goto out;
	if (v > lk_store_latest_version()) {
		lk_error("sqlite: database schema version %d is newer than this program's %d", v,
			 lk_store_latest_version());
		err = LK_ESTORE_VERSION;
		goto out;
	}
	m = next_migration(v);
	if (m) {
		lk_info("sqlite: applying migration %d: %s", m->version, m->description);
		err = exec_sql(s, m->sql, "migration");
		if (!err)
			err = record_migration(s, m);
	}
	if (!err)
		err = run(s, ST_COMMIT);
	if (!err) {
		*version = v;
		*applied = m != NULL;
	}
out:
	if (err && !sqlite3_get_autocommit(s->db))
		run(s, ST_ROLLBACK);
	return err;
}

static enum lk_err sqlite_migrate(struct lk_store *base, int *from, int *to)
{
	struct sqlite_store *s = conn(base);
	int first = -1, v = 0;
	bool applied = true;
	enum lk_err err = LK_OK;

	if (!sqlite3_get_autocommit(s->db))
		return LK_ESTATE;
	while (applied) {
		err = migrate_once(s, &v, &applied);
		if (err)
			return err;
		if (first < 0)
			first = v;
	}
	if (from)
		*from = first;
	if (to)
		*to = v;
	return LK_OK;
}

static enum lk_err sqlite_ping(struct lk_store *base)
{
	int64_t one = 0;

	return query_int(conn(base), ST_PING, &one);
}

static enum lk_err sqlite_begin(struct lk_store *base)
{
	struct sqlite_store *s = conn(base);

	if (!sqlite3_get_autocommit(s->db))
		return LK_ESTATE; /* nesting is not supported */
	return run(s, ST_BEGIN);
}

static enum lk_err sqlite_commit(struct lk_store *base)
{
	struct sqlite_store *s = conn(base);

	if (sqlite3_get_autocommit(s->db))
		return LK_ESTATE;
	return run(s, ST_COMMIT);
}

/*
 * Some errors (a full disk, an I/O error) make SQLite roll back by itself, so
 * a rollback with no transaction open succeeds: cleanup paths stay simple.
 */
static enum lk_err sqlite_rollback(struct lk_store *base)
{
	struct sqlite_store *s = conn(base);

	if (sqlite3_get_autocommit(s->db))
		return LK_OK;
	return run(s, ST_ROLLBACK);
}

static enum lk_err sqlite_change_seq(struct lk_store *base, int64_t *seq)
{
	return query_int(conn(base), ST_CHANGE_SEQ, seq);
}

static enum lk_err sqlite_change_bump(struct lk_store *base)
{
	struct sqlite_store *s = conn(base);
	enum lk_err err = run(s, ST_CHANGE_BUMP);

	if (!err && sqlite3_changes(s->db) != 1) {
		lk_error("sqlite: meta has no change_seq row (is the database migrated?)");
		err = LK_ESTORE;
	}
	return err;
}

/*
 * Values are bound with SQLITE_STATIC: SQLite reads the caller's memory until
 * the bindings are cleared instead of keeping its own copy, which it would
 * free without zeroing.
 */
static enum lk_err sqlite_key_insert(struct lk_store *base, const struct lk_key_record *r)
{
	struct sqlite_store *s = conn(base);
	sqlite3_stmt *st = NULL;
	enum lk_err err = lk_sqlite_stmt(s, ST_KEY_INSERT, &st);
	int rc;

	if (err)
		return err;
	rc = sqlite3_bind_text(st, 1, r->kid, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 2, r->alg, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 3, r->public_jwk, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_blob(st, 4, r->private_sealed, (int)r->private_sealed_len,
				       SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 5, r->created_at);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 6, r->activate_at);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 7, r->retire_at);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 8, r->expire_at);
	if (rc != SQLITE_OK) {
		lk_sqlite_done(st);
		return lk_sqlite_fail(s, rc, "bind signing_keys");
	}
	return lk_sqlite_step_done(s, ST_KEY_INSERT, st);
}

enum lk_err lk_sqlite_column_copy(sqlite3_stmt *st, int col, bool blob, void **out, size_t *len)
{
	const void *p;
	unsigned char *copy;
	int n;

	/* The type first: it is undefined once the value has been converted. */
	if (sqlite3_column_type(st, col) == SQLITE_NULL) {
		lk_error("sqlite: column %s holds NULL", sqlite3_column_name(st, col));
		return LK_ESTORE;
	}
	p = blob ? sqlite3_column_blob(st, col) : (const void *)sqlite3_column_text(st, col);
	n = sqlite3_column_bytes(st, col);
	if ((!p && n > 0) || n < 0)
		return LK_ENOMEM;
	copy = malloc((size_t)n + 1);
	if (!copy)
		return LK_ENOMEM;
	if (n > 0)
		memcpy(copy, p, (size_t)n);
	copy[n] = '\0';
	*out = copy;
	if (len)
		*len = (size_t)n;
	return LK_OK;
}

enum lk_err lk_sqlite_column_text(sqlite3_stmt *st, int col, char **out)
{
	void *p = NULL;
	enum lk_err err = lk_sqlite_column_copy(st, col, false, &p, NULL);

	if (!err)
		*out = p;
	return err;
}

/*
 * A value the schema allows but the program cannot read (an enum name that
 * names no value): the database was edited by hand or by a newer program.
 */
enum lk_err lk_sqlite_column_texts(sqlite3_stmt *st, const struct lk_sqlite_text_col *c, size_t n)
{
	enum lk_err err = LK_OK;

	for (size_t i = 0; i < n && !err; i++)
		err = lk_sqlite_column_text(st, c[i].col, c[i].out);
	return err;
}

enum lk_err lk_sqlite_bad_value(sqlite3_stmt *st, int col)
{
	const unsigned char *v = sqlite3_column_text(st, col);

	lk_error("sqlite: column %s holds an unknown value '%.32s'", sqlite3_column_name(st, col),
		 v ? (const char *)v : "(null)");
	return LK_ESTORE;
}

int lk_sqlite_bind_text(sqlite3_stmt *st, int i, const char *v)
{
	return sqlite3_bind_text(st, i, v ? v : "", -1, SQLITE_STATIC);
}

enum lk_err lk_sqlite_bound(struct sqlite_store *s, enum stmt_id id, sqlite3_stmt *st, int rc)
{
	if (rc == SQLITE_OK)
		return LK_OK;
	lk_sqlite_done(st);
	return lk_sqlite_fail(s, rc, stmt_name[id]);
}

int lk_sqlite_bind_hash(sqlite3_stmt *st, int i, const uint8_t hash[LK_SHA256_LEN])
{
	return sqlite3_bind_blob(st, i, hash, LK_SHA256_LEN, SQLITE_STATIC);
}

enum lk_err lk_sqlite_column_hash(sqlite3_stmt *st, int col, uint8_t out[LK_SHA256_LEN])
{
	const void *p;

	/* The type first: it is undefined once the value has been converted. */
	if (sqlite3_column_type(st, col) != SQLITE_BLOB ||
	    sqlite3_column_bytes(st, col) != LK_SHA256_LEN)
		return lk_sqlite_bad_value(st, col);
	p = sqlite3_column_blob(st, col);
	if (!p)
		return LK_ENOMEM;
	memcpy(out, p, LK_SHA256_LEN);
	return LK_OK;
}

enum lk_err lk_sqlite_change_by_hash(struct sqlite_store *s, enum stmt_id id,
				     const uint8_t hash[LK_SHA256_LEN], const int64_t *t,
				     int *changed)
{
	sqlite3_stmt *st = NULL;
	enum lk_err err = lk_sqlite_stmt(s, id, &st);
	int rc;

	if (err)
		return err;
	rc = lk_sqlite_bind_hash(st, 1, hash);
	if (rc == SQLITE_OK && t)
		rc = sqlite3_bind_int64(st, 2, *t);
	err = lk_sqlite_bound(s, id, st, rc);
	if (!err)
		err = lk_sqlite_step_done(s, id, st);
	if (!err && changed)
		*changed = sqlite3_changes(s->db);
	return err;
}

enum lk_err lk_sqlite_delete_by_time(struct sqlite_store *s, enum stmt_id id, int64_t now,
				     int *deleted)
{
	sqlite3_stmt *st = NULL;
	enum lk_err err = lk_sqlite_stmt(s, id, &st);

	if (!err)
		err = lk_sqlite_bound(s, id, st, sqlite3_bind_int64(st, 1, now));
	if (!err)
		err = lk_sqlite_step_done(s, id, st);
	if (!err)
		*deleted += sqlite3_changes(s->db);
	return err;
}

/*
 * Outside a transaction the savepoint starts a deferred one: the first
 * statement that writes takes the write lock together with its snapshot, so
 * the units that write first wait in the busy handler like any single
 * statement, with no snapshot to lose.
 */
enum lk_err lk_sqlite_unit_begin(struct sqlite_store *s, bool *outer)
{
	*outer = sqlite3_get_autocommit(s->db) != 0;
	return run(s, ST_SAVEPOINT);
}

enum lk_err lk_sqlite_unit_end(struct sqlite_store *s, bool outer, enum lk_err err)
{
	if (!err)
		err = run(s, ST_RELEASE);
	if (!err)
		return LK_OK;
	/* Some errors (a full disk, an I/O error) roll everything back already. */
	if (sqlite3_get_autocommit(s->db))
		return err;
	if (outer) {
		run(s, ST_ROLLBACK);
	} else {
		run(s, ST_ROLLBACK_TO);
		run(s, ST_RELEASE);
	}
	return err;
}

/* Fills a key record from the current row of ST_KEY_LIST; empty on error. */
static enum lk_err read_key(sqlite3_stmt *st, void *rec)
{
	struct lk_key_record *r = rec;
	void *kid = NULL, *alg = NULL, *jwk = NULL, *sealed = NULL;
	size_t sealed_len = 0;
	enum lk_err err;

	err = lk_sqlite_column_copy(st, 0, false, &kid, NULL);
	if (!err)
		err = lk_sqlite_column_copy(st, 1, false, &alg, NULL);
	if (!err)
		err = lk_sqlite_column_copy(st, 2, false, &jwk, NULL);
	if (!err)
		err = lk_sqlite_column_copy(st, 3, true, &sealed, &sealed_len);
	r->kid = kid;
	r->alg = alg;
	r->public_jwk = jwk;
	r->private_sealed = sealed;
	r->private_sealed_len = sealed_len;
	if (err) {
		lk_key_record_release(r);
		return err;
	}
	r->created_at = sqlite3_column_int64(st, 4);
	r->activate_at = sqlite3_column_int64(st, 5);
	r->retire_at = sqlite3_column_int64(st, 6);
	r->expire_at = sqlite3_column_int64(st, 7);
	return LK_OK;
}

/* Makes room for one more record, doubling the array up to k->max. */
static enum lk_err grow(const struct lk_sqlite_rows *k, void **arr, size_t n, size_t *cap)
{
	void *p;
	size_t want;

	if (n < *cap)
		return LK_OK;
	if (n >= k->max) {
		lk_error("sqlite: more than %zu rows in %s", k->max, k->what);
		return LK_ETOOMANY;
	}
	want = *cap ? *cap * 2 : 4;
	if (want > k->max)
		want = k->max;
	p = realloc(*arr, want * k->size);
	if (!p)
		return LK_ENOMEM;
	*arr = p;
	*cap = want;
	return LK_OK;
}

enum lk_err lk_sqlite_read_all(struct sqlite_store *s, enum stmt_id id, sqlite3_stmt *st,
			       const struct lk_sqlite_rows *k, void **out, size_t *n)
{
	void *arr = NULL;
	size_t count = 0, cap = 0;
	enum lk_err err = LK_OK;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		err = grow(k, &arr, count, &cap);
		if (err)
			break;
		memset((char *)arr + count * k->size, 0, k->size);
		err = k->read(st, (char *)arr + count * k->size);
		if (err)
			break;
		count++;
	}
	if (!err && rc != SQLITE_DONE)
		err = lk_sqlite_fail(s, rc, stmt_name[id]);
	lk_sqlite_done(st);
	if (err) {
		k->free_array(arr, count);
		return err;
	}
	if (count == 0) {
		free(arr);
		arr = NULL;
	}
	*out = arr;
	*n = count;
	return LK_OK;
}

enum lk_err lk_sqlite_read_one(struct sqlite_store *s, enum stmt_id id, sqlite3_stmt *st,
			       enum lk_err (*read)(sqlite3_stmt *st, void *rec), void *rec)
{
	int rc = sqlite3_step(st);
	enum lk_err err;

	if (rc == SQLITE_ROW)
		err = read(st, rec);
	else if (rc == SQLITE_DONE)
		err = LK_ENOTFOUND;
	else
		err = lk_sqlite_fail(s, rc, stmt_name[id]);
	lk_sqlite_done(st);
	return err;
}

static void free_keys(void *arr, size_t n)
{
	lk_key_records_free(arr, n);
}

static const struct lk_sqlite_rows key_rows = {
	.what = "signing_keys",
	.size = sizeof(struct lk_key_record),
	.max = LK_KEY_LIST_MAX,
	.read = read_key,
	.free_array = free_keys,
};

static enum lk_err sqlite_key_list(struct lk_store *base, struct lk_key_record **out, size_t *n)
{
	struct sqlite_store *s = conn(base);
	sqlite3_stmt *st = NULL;
	void *arr = NULL;
	enum lk_err err = lk_sqlite_stmt(s, ST_KEY_LIST, &st);

	if (!err)
		err = lk_sqlite_read_all(s, ST_KEY_LIST, st, &key_rows, &arr, n);
	if (!err)
		*out = arr;
	return err;
}

static enum lk_err sqlite_key_set_times(struct lk_store *base, const char *kid, int64_t retire_at,
					int64_t expire_at)
{
	struct sqlite_store *s = conn(base);
	sqlite3_stmt *st = NULL;
	enum lk_err err = lk_sqlite_stmt(s, ST_KEY_SET_TIMES, &st);
	int rc;

	if (err)
		return err;
	rc = sqlite3_bind_text(st, 1, kid, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, retire_at);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, expire_at);
	if (rc != SQLITE_OK) {
		lk_sqlite_done(st);
		return lk_sqlite_fail(s, rc, "bind signing_keys times");
	}
	err = lk_sqlite_step_done(s, ST_KEY_SET_TIMES, st);
	if (!err && sqlite3_changes(s->db) == 0)
		err = LK_ENOTFOUND;
	return err;
}

static enum lk_err sqlite_key_delete_expired(struct lk_store *base, int64_t now, int *deleted)
{
	struct sqlite_store *s = conn(base);
	sqlite3_stmt *st = NULL;
	enum lk_err err = lk_sqlite_stmt(s, ST_KEY_DELETE_EXPIRED, &st);
	int rc;

	if (err)
		return err;
	rc = sqlite3_bind_int64(st, 1, now);
	if (rc != SQLITE_OK) {
		lk_sqlite_done(st);
		return lk_sqlite_fail(s, rc, "bind signing_keys expiry");
	}
	err = lk_sqlite_step_done(s, ST_KEY_DELETE_EXPIRED, st);
	if (!err)
		*deleted = sqlite3_changes(s->db);
	return err;
}

static const struct lk_store_ops sqlite_ops = {
	.name = "sqlite",
	.upstream = &lk_sqlite_upstream_ops,
	.close = sqlite_close,
	.migrate = sqlite_migrate,
	.schema_version = sqlite_schema_version,
	.ping = sqlite_ping,
	.begin = sqlite_begin,
	.commit = sqlite_commit,
	.rollback = sqlite_rollback,
	.change_seq = sqlite_change_seq,
	.change_bump = sqlite_change_bump,
	.key_insert = sqlite_key_insert,
	.key_list = sqlite_key_list,
	.key_set_times = sqlite_key_set_times,
	.key_delete_expired = sqlite_key_delete_expired,
	.app_insert = lk_sqlite_app_insert,
	.app_get = lk_sqlite_app_get,
	.app_list = lk_sqlite_app_list,
	.app_update = lk_sqlite_app_update,
	.app_delete = lk_sqlite_app_delete,
	.secret_add = lk_sqlite_secret_add,
	.secret_list = lk_sqlite_secret_list,
	.secret_expire_others = lk_sqlite_secret_expire_others,
	.secret_delete_expired = lk_sqlite_secret_delete_expired,
	.user_insert = lk_sqlite_user_insert,
	.user_get = lk_sqlite_user_get,
	.user_find = lk_sqlite_user_find,
	.user_find_email = lk_sqlite_user_find_email,
	.user_list = lk_sqlite_user_list,
	.user_update = lk_sqlite_user_update,
	.user_set_password = lk_sqlite_user_set_password,
	.user_delete = lk_sqlite_user_delete,
	.user_count_admins = lk_sqlite_user_count_admins,
	.scope_insert = lk_sqlite_scope_insert,
	.scope_list = lk_sqlite_scope_list,
	.scope_delete = lk_sqlite_scope_delete,
	.audit_add = lk_sqlite_audit_add,
	.audit_list = lk_sqlite_audit_list,
	.audit_delete_before = lk_sqlite_audit_delete_before,
	.token_insert = lk_sqlite_token_insert,
	.token_get = lk_sqlite_token_get,
	.token_revoke = lk_sqlite_token_revoke,
	.token_extend = lk_sqlite_token_extend,
	.tokens_delete_expired = lk_sqlite_tokens_delete_expired,
	.jti_revoke = lk_sqlite_jti_revoke,
	.jti_revoked = lk_sqlite_jti_revoked,
	.assertion_use = lk_sqlite_assertion_use,
	.registration_token_set = lk_sqlite_registration_token_set,
	.registration_token_get = lk_sqlite_registration_token_get,
	.group_insert = lk_sqlite_group_insert,
	.group_get = lk_sqlite_group_get,
	.group_list = lk_sqlite_group_list,
	.group_update = lk_sqlite_group_update,
	.group_delete = lk_sqlite_group_delete,
	.user_groups = lk_sqlite_user_groups,
	.session_insert = lk_sqlite_session_insert,
	.session_get = lk_sqlite_session_get,
	.session_touch = lk_sqlite_session_touch,
	.session_delete = lk_sqlite_session_delete,
	.auth_request_insert = lk_sqlite_auth_request_insert,
	.auth_request_get = lk_sqlite_auth_request_get,
	.auth_request_set_consented = lk_sqlite_auth_request_set_consented,
	.auth_request_delete = lk_sqlite_auth_request_delete,
	.code_insert = lk_sqlite_code_insert,
	.code_consume = lk_sqlite_code_consume,
	.refresh_insert = lk_sqlite_refresh_insert,
	.refresh_get = lk_sqlite_refresh_get,
	.refresh_consume = lk_sqlite_refresh_consume,
	.grant_jti_add = lk_sqlite_grant_jti_add,
	.token_claims_set = lk_sqlite_token_claims_set,
	.token_claims_get = lk_sqlite_token_claims_get,
	.grant_revoke = lk_sqlite_grant_revoke,
	.user_revoke_grants = lk_sqlite_user_revoke_grants,
	.consent_get = lk_sqlite_consent_get,
	.consent_set = lk_sqlite_consent_set,
	.throttle_get = lk_sqlite_throttle_get,
	.throttle_put = lk_sqlite_throttle_put,
	.throttle_delete = lk_sqlite_throttle_delete,
	.signin_delete_expired = lk_sqlite_signin_delete_expired,
	.refresh_revoke_session = lk_sqlite_refresh_revoke_session,
};

/*
 * Creates a missing database file readable by its owner only: it holds
 * password and secret hashes and the sealed signing keys. SQLite gives the
 * -wal and -shm files the same mode as the database file.
 */
static void create_private(const char *path)
{
	int fd;

	if (strcmp(path, ":memory:") == 0)
		return;
	/*
	 * O_EXCL: never open (and close) an existing file, since closing any
	 * descriptor of it drops the POSIX locks of this process's connections.
	 */
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
	/* On failure SQLite's own open reports the reason. */
}

/*
 * Switching a new file to WAL needs an exclusive lock, and while another
 * connection is opening the same file SQLite may answer SQLITE_BUSY at once
 * instead of calling the busy handler (it could deadlock otherwise), so the
 * switch is retried here until the busy timeout. WAL is recorded in the file:
 * once one connection has switched, the others find it set.
 */
static enum lk_err set_wal(struct sqlite_store *s)
{
	const int64_t deadline = lk_monotonic_ms() + BUSY_TIMEOUT_MS;
	const char *mode;
	sqlite3_stmt *st = NULL;
	enum lk_err err = LK_OK;
	int rc;

	rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return lk_sqlite_fail(s, rc, "journal_mode");
	while (((rc = sqlite3_step(st)) & 0xff) == SQLITE_BUSY && lk_monotonic_ms() < deadline) {
		sqlite3_reset(st);
		sqlite3_sleep(5);
	}
	if (rc == SQLITE_ROW) {
		/* An in-memory database answers "memory", which is fine. */
		mode = (const char *)sqlite3_column_text(st, 0);
		if (!mode || (strcmp(mode, "wal") != 0 && strcmp(mode, "memory") != 0))
			lk_warn("sqlite: journal mode is %s, not wal", mode ? mode : "unknown");
	} else {
		err = lk_sqlite_fail(s, rc, "journal_mode");
	}
	sqlite3_finalize(st);
	return err;
}

/*
 * The connection settings. WAL lets readers run beside the one writer.
 * synchronous=NORMAL in WAL mode syncs at checkpoints rather than at every
 * commit: a crash of the process loses nothing that was committed (the WAL is
 * in the OS page cache); only a power loss or kernel crash may lose the last
 * transactions, never corrupt the database.
 */
static enum lk_err configure(struct sqlite_store *s)
{
	enum lk_err err;

	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
	err = exec_sql(s, "PRAGMA foreign_keys = ON", "foreign_keys");
	if (!err)
		err = set_wal(s);
	if (!err)
		err = exec_sql(s, "PRAGMA synchronous = NORMAL", "synchronous");
	return err;
}

enum lk_err lk_sqlite_open(const char *path, struct lk_store **out)
{
	const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
	struct sqlite_store *s;
	enum lk_err err;
	int rc;

	/* NOMUTEX needs a library built thread-safe: connections live in many threads. */
	if (!sqlite3_threadsafe()) {
		lk_error("sqlite: the SQLite library was built without thread support");
		return LK_ESTORE;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return LK_ENOMEM;
	s->base.ops = &sqlite_ops;
	create_private(path);
	rc = sqlite3_open_v2(path, &s->db, flags, NULL);
	if (rc != SQLITE_OK) {
		lk_error("sqlite: cannot open '%s': %s", path,
			 s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		err = rc == SQLITE_NOMEM ? LK_ENOMEM : LK_ESTORE;
		goto out;
	}
	err = configure(s);
	if (err)
		lk_error("sqlite: cannot set up '%s'", path);
out:
	if (err) {
		sqlite3_close(s->db);
		free(s);
		return err;
	}
	*out = &s->base;
	return LK_OK;
}
