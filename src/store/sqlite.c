/*
 * The SQLite backend: one struct sqlite_store per connection, used by one
 * thread at a time. Every statement is prepared on first use and kept until
 * the connection closes; each use binds its values as parameters (never as SQL
 * text), steps, then resets and clears the bindings so that no statement keeps
 * a read transaction open or a pointer to the caller's memory.
 */
#include "store/backend.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/clock.h"
#include "core/log.h"

/* How long a connection waits for another one's write lock before LK_EBUSY. */
#define BUSY_TIMEOUT_MS 5000

#define KEY_COLUMNS                                                                    \
	"kid, alg, public_jwk, private_sealed, created_at, activate_at, retire_at, " \
	"expire_at"

/*
 * Every statement the backend runs, by name. BEGIN IMMEDIATE takes the write
 * lock at once: a transaction that reads and then writes could otherwise fail
 * with SQLITE_BUSY when it upgrades, past any busy timeout.
 */
#define STMT_LIST(X)                                                                   \
	X(ST_BEGIN, "BEGIN IMMEDIATE")                                                 \
	X(ST_COMMIT, "COMMIT")                                                         \
	X(ST_ROLLBACK, "ROLLBACK")                                                     \
	X(ST_PING, "SELECT 1")                                                         \
	X(ST_HAS_MIGRATIONS, "SELECT count(*) FROM sqlite_master "                     \
			     "WHERE type = 'table' AND name = 'schema_migrations'")    \
	X(ST_VERSION, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations")      \
	X(ST_RECORD_MIGRATION, "INSERT INTO schema_migrations "                        \
			       "(version, description, applied_at) VALUES (?1, ?2, ?3)") \
	X(ST_CHANGE_SEQ, "SELECT value FROM meta WHERE name = 'change_seq'")           \
	X(ST_CHANGE_BUMP, "UPDATE meta SET value = value + 1 WHERE name = 'change_seq'") \
	X(ST_KEY_INSERT, "INSERT INTO signing_keys (" KEY_COLUMNS ") "                 \
			 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")                    \
	X(ST_KEY_LIST, "SELECT " KEY_COLUMNS " FROM signing_keys "                     \
		       "ORDER BY activate_at, created_at, kid")                        \
	X(ST_KEY_SET_TIMES, "UPDATE signing_keys SET retire_at = ?2, expire_at = ?3 "  \
			    "WHERE kid = ?1")                                          \
	X(ST_KEY_DELETE_EXPIRED, "DELETE FROM signing_keys "                           \
				 "WHERE expire_at <> 0 AND expire_at <= ?1")

enum stmt_id {
#define STMT_ENUM(id, sql) id,
	STMT_LIST(STMT_ENUM)
#undef STMT_ENUM
	ST__COUNT
};

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

struct sqlite_store {
	struct lk_store base; /* first, so a struct lk_store * converts back */
	sqlite3 *db;
	sqlite3_stmt *stmts[ST__COUNT];
};

static struct sqlite_store *conn(struct lk_store *s)
{
	return (struct sqlite_store *)s;
}

/*
 * Turns a failed SQLite call into an error code and logs SQLite's message.
 * The message names tables and columns, never the bound values, which may be
 * secret. A uniqueness conflict is an expected outcome, not a fault.
 */
static enum lk_err fail(struct sqlite_store *s, int rc, const char *what)
{
	if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
		lk_debug("sqlite: %s: %s", what, sqlite3_errmsg(s->db));
		return LK_EEXIST;
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
static enum lk_err stmt(struct sqlite_store *s, enum stmt_id id, sqlite3_stmt **out)
{
	int rc;

	if (!s->stmts[id]) {
		rc = sqlite3_prepare_v3(s->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
					&s->stmts[id], NULL);
		if (rc != SQLITE_OK)
			return fail(s, rc, stmt_name[id]);
	}
	*out = s->stmts[id];
	return LK_OK;
}

/* Readies a used statement for its next use and drops the caller's pointers. */
static void done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* Steps a statement that returns no rows. */
static enum lk_err step_done(struct sqlite_store *s, enum stmt_id id, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	enum lk_err err = LK_OK;

	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		err = fail(s, rc, stmt_name[id]);
	done(st);
	return err;
}

/* Runs a statement that takes no parameters and returns no rows. */
static enum lk_err run(struct sqlite_store *s, enum stmt_id id)
{
	sqlite3_stmt *st;
	enum lk_err err = stmt(s, id, &st);

	return err ? err : step_done(s, id, st);
}

/* Runs a statement that takes no parameters and returns one integer. */
static enum lk_err query_int(struct sqlite_store *s, enum stmt_id id, int64_t *out)
{
	sqlite3_stmt *st;
	enum lk_err err = stmt(s, id, &st);
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
		err = fail(s, rc, stmt_name[id]);
	}
	done(st);
	return err;
}

/* Runs SQL text that binds nothing: pragmas and migration steps. */
static enum lk_err exec_sql(struct sqlite_store *s, const char *sql, const char *what)
{
	char *msg = NULL;
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);
	enum lk_err err = LK_OK;

	if (rc != SQLITE_OK) {
		err = fail(s, rc, what);
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
	sqlite3_stmt *st;
	enum lk_err err = stmt(s, ST_RECORD_MIGRATION, &st);
	int rc;

	if (err)
		return err;
	rc = sqlite3_bind_int(st, 1, m->version);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 2, m->description, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, lk_now());
	if (rc != SQLITE_OK) {
		done(st);
		return fail(s, rc, "bind schema_migrations");
	}
	return step_done(s, ST_RECORD_MIGRATION, st);
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
		lk_error("sqlite: database schema version %d is newer than this program's %d",
			 v, lk_store_latest_version());
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
	sqlite3_stmt *st;
	enum lk_err err = stmt(s, ST_KEY_INSERT, &st);
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
		done(st);
		return fail(s, rc, "bind signing_keys");
	}
	return step_done(s, ST_KEY_INSERT, st);
}

/* A malloc'd copy of a column's bytes, NUL-terminated; LK_ESTORE for NULL. */
static enum lk_err column_copy(sqlite3_stmt *st, int col, bool blob, void **out, size_t *len)
{
	const void *p = blob ? sqlite3_column_blob(st, col) : sqlite3_column_text(st, col);
	int n = sqlite3_column_bytes(st, col);
	unsigned char *copy;

	if (sqlite3_column_type(st, col) == SQLITE_NULL) {
		lk_error("sqlite: signing_keys holds NULL in column %d", col);
		return LK_ESTORE;
	}
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

/* Fills r from the current row of ST_KEY_LIST; r is left empty on error. */
static enum lk_err read_key(sqlite3_stmt *st, struct lk_key_record *r)
{
	void *kid = NULL, *alg = NULL, *jwk = NULL, *sealed = NULL;
	size_t sealed_len = 0;
	enum lk_err err;

	err = column_copy(st, 0, false, &kid, NULL);
	if (!err)
		err = column_copy(st, 1, false, &alg, NULL);
	if (!err)
		err = column_copy(st, 2, false, &jwk, NULL);
	if (!err)
		err = column_copy(st, 3, true, &sealed, &sealed_len);
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

/* Makes room for one more record, doubling the array up to LK_KEY_LIST_MAX. */
static enum lk_err grow(struct lk_key_record **arr, size_t n, size_t *cap)
{
	struct lk_key_record *p;
	size_t want;

	if (n < *cap)
		return LK_OK;
	if (n >= LK_KEY_LIST_MAX) {
		lk_error("sqlite: more than %d signing keys", LK_KEY_LIST_MAX);
		return LK_ETOOMANY;
	}
	want = *cap ? *cap * 2 : 4;
	if (want > LK_KEY_LIST_MAX)
		want = LK_KEY_LIST_MAX;
	p = realloc(*arr, want * sizeof(*p));
	if (!p)
		return LK_ENOMEM;
	*arr = p;
	*cap = want;
	return LK_OK;
}

static enum lk_err sqlite_key_list(struct lk_store *base, struct lk_key_record **out,
				   size_t *n)
{
	struct sqlite_store *s = conn(base);
	struct lk_key_record *arr = NULL;
	size_t count = 0, cap = 0;
	sqlite3_stmt *st;
	enum lk_err err = stmt(s, ST_KEY_LIST, &st);
	int rc;

	if (err)
		return err;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		err = grow(&arr, count, &cap);
		if (!err)
			err = read_key(st, &arr[count]);
		if (err)
			break;
		count++;
	}
	if (!err && rc != SQLITE_DONE)
		err = fail(s, rc, stmt_name[ST_KEY_LIST]);
	done(st);
	if (err) {
		lk_key_records_free(arr, count);
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

static enum lk_err sqlite_key_set_times(struct lk_store *base, const char *kid,
					int64_t retire_at, int64_t expire_at)
{
	struct sqlite_store *s = conn(base);
	sqlite3_stmt *st;
	enum lk_err err = stmt(s, ST_KEY_SET_TIMES, &st);
	int rc;

	if (err)
		return err;
	rc = sqlite3_bind_text(st, 1, kid, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, retire_at);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, expire_at);
	if (rc != SQLITE_OK) {
		done(st);
		return fail(s, rc, "bind signing_keys times");
	}
	err = step_done(s, ST_KEY_SET_TIMES, st);
	if (!err && sqlite3_changes(s->db) == 0)
		err = LK_ENOTFOUND;
	return err;
}

static enum lk_err sqlite_key_delete_expired(struct lk_store *base, int64_t now, int *deleted)
{
	struct sqlite_store *s = conn(base);
	sqlite3_stmt *st;
	enum lk_err err = stmt(s, ST_KEY_DELETE_EXPIRED, &st);
	int rc;

	if (err)
		return err;
	rc = sqlite3_bind_int64(st, 1, now);
	if (rc != SQLITE_OK) {
		done(st);
		return fail(s, rc, "bind signing_keys expiry");
	}
	err = step_done(s, ST_KEY_DELETE_EXPIRED, st);
	if (!err)
		*deleted = sqlite3_changes(s->db);
	return err;
}

static const struct lk_store_ops sqlite_ops = {
	.name = "sqlite",
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
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
	/* On failure SQLite's own open reports the reason. */
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
		err = exec_sql(s, "PRAGMA journal_mode = WAL", "journal_mode");
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
