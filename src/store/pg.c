/*
 * The PostgreSQL backend: one struct lk_pg per connection, used by one
 * thread at a time, like a SQLite connection. Several latchkey instances may
 * share the database; whatever must happen once (a migration step, a code's
 * redemption) is decided by the database, never by one instance's memory.
 *
 * This file holds the connection, migrations, transactions, the change
 * counter, the signing keys and the ops table; pg_util.c the helpers the
 * other files share (pg_int.h); pg_registry.c, pg_tokens.c and pg_signin.c
 * the rest of the ops.
 */
#include "store/pg_int.h"
#include "store/upstream_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/secure.h"

/*
 * The session settings, sent as connection options so that a reconnection
 * (PQreset) restores them. A statement may wait for locks a few seconds, then
 * fails with LK_EBUSY instead of holding its request; the URL's own options
 * come after it and may change it. bytea comes back as hex whatever the
 * server's default, which lk_pg_get_bytes relies on, so it comes last.
 */
#define OPTIONS_BEFORE "-c statement_timeout=5000"
#define OPTIONS_AFTER "-c bytea_output=hex"

/* Identity columns (migrations_pg.c) need PostgreSQL 10. */
#define MIN_SERVER_VERSION 100000

/*
 * The advisory lock that serializes migrations across instances starting at
 * once: any fixed number, the same in every version of the program.
 */
#define MIGRATION_LOCK "7316861375582251"

/* How long a migration step may run: far longer than an ordinary statement. */
#define MIGRATION_TIMEOUT "'10min'"

#define KEY_COLUMNS                                                                                \
	"kid, alg, public_jwk, private_sealed, created_at, activate_at, retire_at, expire_at"

#define STR_(x) #x
#define STR(x) STR_(x)

static const struct lk_pg_stmt st_begin = {"begin", "BEGIN", 0};
static const struct lk_pg_stmt st_commit = {"commit", "COMMIT", 0};
static const struct lk_pg_stmt st_rollback = {"rollback", "ROLLBACK", 0};
static const struct lk_pg_stmt st_ping = {"ping", "SELECT 1", 0};
static const struct lk_pg_stmt st_migration_timeout = {
	"migration_timeout", "SET LOCAL statement_timeout = " MIGRATION_TIMEOUT, 0};
static const struct lk_pg_stmt st_migration_lock = {
	"migration_lock", "SELECT pg_advisory_xact_lock(" MIGRATION_LOCK ")", 0};
static const struct lk_pg_stmt st_migrations_table = {
	"migrations_table",
	"CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
	"description TEXT, applied_at BIGINT)",
	0};
/* to_regclass follows the search path, as the table names of every statement do. */
static const struct lk_pg_stmt st_has_migrations = {
	"has_migrations",
	"SELECT CASE WHEN to_regclass('schema_migrations') IS NULL THEN 0 ELSE 1 END", 0};
static const struct lk_pg_stmt st_version = {
	"schema_version", "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", 0};
static const struct lk_pg_stmt st_record_migration = {
	"record_migration",
	"INSERT INTO schema_migrations (version, description, applied_at) VALUES ($1, $2, $3)", 3};
static const struct lk_pg_stmt st_change_seq = {
	"change_seq", "SELECT value FROM meta WHERE name = 'change_seq'", 0};
static const struct lk_pg_stmt st_change_bump = {
	"change_bump", "UPDATE meta SET value = value + 1 WHERE name = 'change_seq'", 0};
static const struct lk_pg_stmt st_key_insert = {
	"key_insert",
	"INSERT INTO signing_keys (" KEY_COLUMNS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", 8};
/*
 * Ties on the times are broken by kid in byte order, as SQLite does, whatever
 * the database's collation. One row past the limit tells a full list from
 * one that was cut.
 */
static const struct lk_pg_stmt st_key_list = {
	"key_list",
	"SELECT " KEY_COLUMNS " FROM signing_keys ORDER BY activate_at, created_at, "
	"kid COLLATE \"C\" LIMIT " STR(LK_KEY_LIST_MAX) " + 1",
	0};
static const struct lk_pg_stmt st_key_set_times = {
	"key_set_times", "UPDATE signing_keys SET retire_at = $2, expire_at = $3 WHERE kid = $1",
	3};
static const struct lk_pg_stmt st_key_delete_expired = {
	"key_delete_expired",
	LK_PG_JANITOR_DELETE("signing_keys", "expire_at <> 0 AND expire_at <= $1"), 1};

void lk_pg_close(struct lk_store *s)
{
	struct lk_pg *pg = lk_pg_of(s);

	/* An open transaction is rolled back by the server when the connection ends. */
	PQfinish(pg->conn);
	free(pg);
}

/* Runs a statement that takes no parameters and returns one integer. */
static enum lk_err query_int(struct lk_pg *pg, const struct lk_pg_stmt *st, int64_t *out)
{
	PGresult *r = NULL;
	enum lk_err err = lk_pg_run(pg, st, NULL, &r);

	if (err)
		return err;
	if (PQntuples(r) != 1 || PQnfields(r) != 1 || PQgetisnull(r, 0, 0)) {
		lk_error("postgres: %s: no row (is the database migrated?)", st->name);
		err = LK_ESTORE;
	} else {
		*out = lk_pg_get_int(r, 0, 0);
	}
	PQclear(r);
	return err;
}

enum lk_err lk_pg_schema_version(struct lk_store *s, int *version)
{
	struct lk_pg *pg = lk_pg_of(s);
	int64_t has = 0, v = 0;
	enum lk_err err;

	err = query_int(pg, &st_has_migrations, &has);
	if (!err && has)
		err = query_int(pg, &st_version, &v);
	if (err)
		return err;
	if (v < 0 || v > 0x7fffffff) {
		lk_error("postgres: schema version %lld is out of range", (long long)v);
		return LK_ESTORE;
	}
	*version = (int)v;
	return LK_OK;
}

/* The first step newer than version, or NULL when none is. */
static const struct lk_migration *next_migration(int version)
{
	for (size_t i = 0; i < lk_pg_migration_count; i++) {
		if (lk_pg_migrations[i].version > version)
			return &lk_pg_migrations[i];
	}
	return NULL;
}

/*
 * Runs a migration step, several statements and no parameters, through the
 * simple query protocol. Its SQL is the program's own and binds nothing, so
 * the server's message, which names what failed, is logged.
 */
static enum lk_err run_step(struct lk_pg *pg, const struct lk_migration *m)
{
	PGresult *r = PQexec(pg->conn, m->sql);
	ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	enum lk_err err = LK_OK;

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		lk_error("postgres: migration %d failed: %s (%s)", m->version,
			 msg ? msg : "no answer", state ? state : "connection or memory");
		err = LK_ESTORE;
	}
	PQclear(r);
	return err;
}

static enum lk_err record_migration(struct lk_pg *pg, const struct lk_migration *m)
{
	struct lk_pg_params p;

	lk_pg_params_init(&p);
	lk_pg_param_int(&p, m->version);
	lk_pg_param_text(&p, m->description);
	lk_pg_param_int(&p, lk_now());
	return lk_pg_exec(pg, &st_record_migration, &p, NULL);
}

/*
 * COMMIT of a transaction that a failed statement aborted answers ROLLBACK,
 * without an error; the caller must learn that nothing was saved.
 */
static enum lk_err commit(struct lk_pg *pg)
{
	PGresult *r = NULL;
	enum lk_err err = lk_pg_run(pg, &st_commit, NULL, &r);

	if (err)
		return err;
	if (strcmp(PQcmdStatus(r), "COMMIT") != 0) {
		lk_error("postgres: the transaction had failed and was rolled back");
		err = LK_ESTORE;
	}
	PQclear(r);
	return err;
}

/*
 * One migration transaction: takes the migration lock, which other instances
 * migrating at the same moment wait for and which the transaction's end
 * releases, reads the version under it (another instance may have migrated
 * while we waited) and applies at most one step. DDL is transactional in
 * PostgreSQL, so a step is applied whole or not at all. *version receives
 * the version found; *applied whether a step ran.
 */
static enum lk_err migrate_once(struct lk_pg *pg, int *version, bool *applied)
{
	const struct lk_migration *m = NULL;
	int v = 0;
	enum lk_err err;

	err = lk_pg_exec(pg, &st_begin, NULL, NULL);
	if (err)
		return err;
	pg->in_tx = true;
	err = lk_pg_exec(pg, &st_migration_timeout, NULL, NULL);
	if (!err)
		err = lk_pg_exec(pg, &st_migration_lock, NULL, NULL);
	if (!err)
		err = lk_pg_exec(pg, &st_migrations_table, NULL, NULL);
	if (!err)
		err = lk_pg_schema_version(&pg->base, &v);
	if (err)
		goto out;
	if (v > lk_store_latest_version()) {
		lk_error("postgres: database schema version %d is newer than this program's %d", v,
			 lk_store_latest_version());
		err = LK_ESTORE_VERSION;
		goto out;
	}
	m = next_migration(v);
	if (m) {
		lk_info("postgres: applying migration %d: %s", m->version, m->description);
		err = run_step(pg, m);
		if (!err)
			err = record_migration(pg, m);
	}
	if (!err)
		err = commit(pg);
	pg->in_tx = false;
	if (!err) {
		*version = v;
		*applied = m != NULL;
	}
out:
	if (pg->in_tx)
		lk_pg_rollback(&pg->base);
	return err;
}

enum lk_err lk_pg_migrate(struct lk_store *s, int *from, int *to)
{
	struct lk_pg *pg = lk_pg_of(s);
	int first = -1, v = 0;
	bool applied = true;
	enum lk_err err;

	if (pg->in_tx || pg->savepoints)
		return LK_ESTATE;
	/* Both lists must end at the same version: lk_store_latest_version reads SQLite's. */
	if (lk_pg_migration_count == 0 ||
	    lk_pg_migrations[lk_pg_migration_count - 1].version != lk_store_latest_version()) {
		lk_error("postgres: the migration list does not end at version %d",
			 lk_store_latest_version());
		return LK_EINTERNAL;
	}
	while (applied) {
		err = migrate_once(pg, &v, &applied);
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

enum lk_err lk_pg_ping(struct lk_store *s)
{
	int64_t one = 0;

	return query_int(lk_pg_of(s), &st_ping, &one);
}

enum lk_err lk_pg_begin(struct lk_store *s)
{
	struct lk_pg *pg = lk_pg_of(s);
	enum lk_err err;

	if (pg->in_tx || pg->savepoints)
		return LK_ESTATE; /* nesting is not supported */
	err = lk_pg_exec(pg, &st_begin, NULL, NULL);
	if (!err)
		pg->in_tx = true;
	return err;
}

/* The transaction ends whatever COMMIT answers: committed, rolled back or lost. */
enum lk_err lk_pg_commit(struct lk_store *s)
{
	struct lk_pg *pg = lk_pg_of(s);
	enum lk_err err;

	if (!pg->in_tx)
		return LK_ESTATE;
	err = commit(pg);
	pg->in_tx = false;
	return err;
}

/*
 * A rollback with no transaction open succeeds, as in the SQLite backend, so
 * that cleanup paths stay simple; so does one on a lost connection, whose
 * transaction the server has already rolled back.
 */
enum lk_err lk_pg_rollback(struct lk_store *s)
{
	struct lk_pg *pg = lk_pg_of(s);
	enum lk_err err = LK_OK;

	if (!pg->in_tx)
		return LK_OK;
	if (PQstatus(pg->conn) == CONNECTION_OK)
		err = lk_pg_exec(pg, &st_rollback, NULL, NULL);
	pg->in_tx = false;
	return err;
}

enum lk_err lk_pg_change_seq(struct lk_store *s, int64_t *seq)
{
	return query_int(lk_pg_of(s), &st_change_seq, seq);
}

enum lk_err lk_pg_change_bump(struct lk_store *s)
{
	int64_t changed = 0;
	enum lk_err err = lk_pg_exec(lk_pg_of(s), &st_change_bump, NULL, &changed);

	if (!err && changed != 1) {
		lk_error("postgres: meta has no change_seq row (is the database migrated?)");
		err = LK_ESTORE;
	}
	return err;
}

enum lk_err lk_pg_key_insert(struct lk_store *s, const struct lk_key_record *r)
{
	struct lk_pg_params p;

	lk_pg_params_init(&p);
	lk_pg_param_text(&p, r->kid);
	lk_pg_param_text(&p, r->alg);
	lk_pg_param_text(&p, r->public_jwk);
	lk_pg_param_bytes(&p, r->private_sealed, r->private_sealed_len);
	lk_pg_param_int(&p, r->created_at);
	lk_pg_param_int(&p, r->activate_at);
	lk_pg_param_int(&p, r->retire_at);
	lk_pg_param_int(&p, r->expire_at);
	return lk_pg_exec(lk_pg_of(s), &st_key_insert, &p, NULL);
}

/* Fills a key record from row i of st_key_list; empty on error. */
static enum lk_err read_key(const PGresult *res, int i, struct lk_key_record *r)
{
	enum lk_err err;

	err = lk_pg_get_text(res, i, 0, &r->kid);
	if (!err)
		err = lk_pg_get_text(res, i, 1, &r->alg);
	if (!err)
		err = lk_pg_get_text(res, i, 2, &r->public_jwk);
	if (!err)
		err = lk_pg_get_bytes_dup(res, i, 3, &r->private_sealed, &r->private_sealed_len);
	if (err) {
		lk_key_record_release(r);
		return err;
	}
	r->created_at = lk_pg_get_int(res, i, 4);
	r->activate_at = lk_pg_get_int(res, i, 5);
	r->retire_at = lk_pg_get_int(res, i, 6);
	r->expire_at = lk_pg_get_int(res, i, 7);
	return LK_OK;
}

/* The sealed keys are secrets: their text in the result is zeroed before libpq frees it. */
static void clear_keys(PGresult *res)
{
	for (int i = 0; i < PQntuples(res); i++)
		lk_wipe(PQgetvalue(res, i, 3), (size_t)PQgetlength(res, i, 3));
	PQclear(res);
}

enum lk_err lk_pg_key_list(struct lk_store *s, struct lk_key_record **out, size_t *n)
{
	struct lk_key_record *arr = NULL;
	PGresult *res = NULL;
	size_t count = 0, rows;
	enum lk_err err = lk_pg_run(lk_pg_of(s), &st_key_list, NULL, &res);

	if (err)
		return err;
	rows = (size_t)PQntuples(res);
	if (rows > LK_KEY_LIST_MAX) {
		lk_error("postgres: more than %d rows in signing_keys", LK_KEY_LIST_MAX);
		err = LK_ETOOMANY;
		goto out;
	}
	if (rows > 0) {
		arr = calloc(rows, sizeof(*arr));
		if (!arr) {
			err = LK_ENOMEM;
			goto out;
		}
	}
	for (; count < rows; count++) {
		err = read_key(res, (int)count, &arr[count]);
		if (err)
			break;
	}
out:
	clear_keys(res);
	if (err) {
		lk_key_records_free(arr, count);
		return err;
	}
	*out = arr;
	*n = count;
	return LK_OK;
}

enum lk_err lk_pg_key_set_times(struct lk_store *s, const char *kid, int64_t retire_at,
				int64_t expire_at)
{
	struct lk_pg_params p;
	int64_t changed = 0;
	enum lk_err err;

	lk_pg_params_init(&p);
	lk_pg_param_text(&p, kid);
	lk_pg_param_int(&p, retire_at);
	lk_pg_param_int(&p, expire_at);
	err = lk_pg_exec(lk_pg_of(s), &st_key_set_times, &p, &changed);
	if (!err && changed == 0)
		err = LK_ENOTFOUND;
	return err;
}

enum lk_err lk_pg_key_delete_expired(struct lk_store *s, int64_t now, int *deleted)
{
	struct lk_pg_params p;
	int64_t changed = 0;
	enum lk_err err;

	lk_pg_params_init(&p);
	lk_pg_param_int(&p, now);
	err = lk_pg_exec(lk_pg_of(s), &st_key_delete_expired, &p, &changed);
	if (!err)
		*deleted = (int)changed;
	return err;
}

static const struct lk_store_ops pg_ops = {
	.name = "postgres",
	.upstream = &lk_pg_upstream_ops,
	.close = lk_pg_close,
	.migrate = lk_pg_migrate,
	.schema_version = lk_pg_schema_version,
	.ping = lk_pg_ping,
	.begin = lk_pg_begin,
	.commit = lk_pg_commit,
	.rollback = lk_pg_rollback,
	.change_seq = lk_pg_change_seq,
	.change_bump = lk_pg_change_bump,
	.key_insert = lk_pg_key_insert,
	.key_list = lk_pg_key_list,
	.key_set_times = lk_pg_key_set_times,
	.key_delete_expired = lk_pg_key_delete_expired,
	.app_insert = lk_pg_app_insert,
	.app_get = lk_pg_app_get,
	.app_list = lk_pg_app_list,
	.app_update = lk_pg_app_update,
	.app_delete = lk_pg_app_delete,
	.secret_add = lk_pg_secret_add,
	.secret_list = lk_pg_secret_list,
	.secret_expire_others = lk_pg_secret_expire_others,
	.secret_delete_expired = lk_pg_secret_delete_expired,
	.user_insert = lk_pg_user_insert,
	.user_get = lk_pg_user_get,
	.user_find = lk_pg_user_find,
	.user_find_email = lk_pg_user_find_email,
	.user_list = lk_pg_user_list,
	.user_update = lk_pg_user_update,
	.user_set_password = lk_pg_user_set_password,
	.user_delete = lk_pg_user_delete,
	.user_count_admins = lk_pg_user_count_admins,
	.scope_insert = lk_pg_scope_insert,
	.scope_list = lk_pg_scope_list,
	.scope_delete = lk_pg_scope_delete,
	.audit_add = lk_pg_audit_add,
	.audit_list = lk_pg_audit_list,
	.audit_delete_before = lk_pg_audit_delete_before,
	.token_insert = lk_pg_token_insert,
	.token_get = lk_pg_token_get,
	.token_revoke = lk_pg_token_revoke,
	.token_extend = lk_pg_token_extend,
	.tokens_delete_expired = lk_pg_tokens_delete_expired,
	.jti_revoke = lk_pg_jti_revoke,
	.jti_revoked = lk_pg_jti_revoked,
	.assertion_use = lk_pg_assertion_use,
	.registration_token_set = lk_pg_registration_token_set,
	.registration_token_get = lk_pg_registration_token_get,
	.group_insert = lk_pg_group_insert,
	.group_get = lk_pg_group_get,
	.group_list = lk_pg_group_list,
	.group_update = lk_pg_group_update,
	.group_delete = lk_pg_group_delete,
	.user_groups = lk_pg_user_groups,
	.session_insert = lk_pg_session_insert,
	.session_get = lk_pg_session_get,
	.session_touch = lk_pg_session_touch,
	.session_delete = lk_pg_session_delete,
	.auth_request_insert = lk_pg_auth_request_insert,
	.auth_request_get = lk_pg_auth_request_get,
	.auth_request_set_consented = lk_pg_auth_request_set_consented,
	.auth_request_delete = lk_pg_auth_request_delete,
	.code_insert = lk_pg_code_insert,
	.code_consume = lk_pg_code_consume,
	.refresh_insert = lk_pg_refresh_insert,
	.refresh_get = lk_pg_refresh_get,
	.refresh_consume = lk_pg_refresh_consume,
	.grant_jti_add = lk_pg_grant_jti_add,
	.token_claims_set = lk_pg_token_claims_set,
	.token_claims_get = lk_pg_token_claims_get,
	.grant_revoke = lk_pg_grant_revoke,
	.user_revoke_grants = lk_pg_user_revoke_grants,
	.consent_get = lk_pg_consent_get,
	.consent_set = lk_pg_consent_set,
	.throttle_get = lk_pg_throttle_get,
	.throttle_put = lk_pg_throttle_put,
	.throttle_delete = lk_pg_throttle_delete,
	.signin_delete_expired = lk_pg_signin_delete_expired,
	.refresh_revoke_session = lk_pg_refresh_revoke_session,
};

/* Routes the server's notices (CREATE ... IF NOT EXISTS skipping) to the debug log. */
static void on_notice(void *arg, const char *message)
{
	size_t n = strlen(message);

	(void)arg;
	while (n > 0 && message[n - 1] == '\n')
		n--;
	lk_debug("postgres: %.*s", (int)n, message);
}

/*
 * libpq's last message on one line, as every log line is: its lines joined
 * by spaces, the last newline dropped, cut to fit out.
 */
static void one_line(const PGconn *conn, char *out, size_t len)
{
	const char *m = PQerrorMessage(conn);
	size_t n = 0;

	for (; *m && n + 1 < len; m++) {
		if (*m == '\n' || *m == '\t') {
			if (n > 0 && out[n - 1] != ' ')
				out[n++] = ' ';
			continue;
		}
		out[n++] = *m;
	}
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

/* The non-empty strings of parts joined by spaces; malloc'd. */
static char *join_options(const char *const *parts, size_t n)
{
	size_t len = 1, at = 0, k;
	char *out;

	for (size_t i = 0; i < n; i++)
		len += parts[i] ? strlen(parts[i]) + 1 : 0;
	out = malloc(len);
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (!parts[i] || !parts[i][0])
			continue;
		if (at > 0)
			out[at++] = ' ';
		k = strlen(parts[i]);
		memcpy(out + at, parts[i], k);
		at += k;
	}
	out[at] = '\0';
	return out;
}

/*
 * Connects with the parameters of url plus the session settings: every
 * parameter the URL sets is kept, client_encoding is UTF8, and the options
 * are OPTIONS_BEFORE, the URL's options, then OPTIONS_AFTER.
 */
static enum lk_err connect_url(const char *url, PGconn **out)
{
	const char *keys[64], *vals[64];
	PQconninfoOption *opts;
	char *errmsg = NULL, *options = NULL, *copy;
	const char *url_options = NULL, *scheme;
	size_t n = 0;
	enum lk_err err = LK_OK;

	/* libpq knows the schemes in lower case only; RFC 3986 §3.1 allows any. */
	copy = strdup(url);
	if (!copy)
		return LK_ENOMEM;
	scheme = strstr(url, "://");
	for (size_t i = 0; scheme && i < (size_t)(scheme - url); i++)
		copy[i] = (char)tolower((unsigned char)copy[i]);
	opts = PQconninfoParse(copy, &errmsg);
	lk_wipe(copy, strlen(copy));
	free(copy);
	if (!opts) {
		/* libpq's message may quote a piece of the URL, which may hold a password. */
		if (!errmsg)
			return LK_ENOMEM;
		PQfreemem(errmsg);
		lk_error("postgres: the database URL is malformed");
		return LK_EINVAL;
	}
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		if (!o->val || strcmp(o->keyword, "client_encoding") == 0)
			continue;
		if (strcmp(o->keyword, "options") == 0) {
			url_options = o->val;
			continue;
		}
		if (n + 3 >= sizeof(keys) / sizeof(keys[0])) {
			err = LK_ETOOMANY;
			goto out;
		}
		keys[n] = o->keyword;
		vals[n++] = o->val;
	}
	options =
		join_options((const char *const[]){OPTIONS_BEFORE, url_options, OPTIONS_AFTER}, 3);
	if (!options) {
		err = LK_ENOMEM;
		goto out;
	}
	keys[n] = "options";
	vals[n++] = options;
	keys[n] = "client_encoding";
	vals[n++] = "UTF8";
	keys[n] = NULL;
	vals[n] = NULL;
	*out = PQconnectdbParams(keys, vals, 0);
	if (!*out)
		err = LK_ENOMEM;
out:
	if (err == LK_ETOOMANY)
		lk_error("postgres: the database URL sets too many parameters");
	free(options);
	/* libpq keeps its own copy of the passwords; these are no longer needed. */
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		if (o->val && strstr(o->keyword, "password"))
			lk_wipe(o->val, strlen(o->val));
	}
	PQconninfoFree(opts);
	return err;
}

enum lk_err lk_pg_open(const char *url, struct lk_store **out)
{
	char msg[512];
	struct lk_pg *pg;
	enum lk_err err;

	err = lk_pq_load();
	if (err)
		return err;
	pg = calloc(1, sizeof(*pg));
	if (!pg)
		return LK_ENOMEM;
	pg->base.ops = &pg_ops;
	err = connect_url(url, &pg->conn);
	if (err)
		goto out;
	/* libpq's message names the host and the reason, never the password. */
	if (PQstatus(pg->conn) != CONNECTION_OK) {
		one_line(pg->conn, msg, sizeof(msg));
		lk_error("postgres: cannot connect: %s", msg);
		err = LK_ESTORE;
		goto out;
	}
	if (PQserverVersion(pg->conn) < MIN_SERVER_VERSION) {
		lk_error("postgres: the server is version %d; latchkey needs 10 or newer",
			 PQserverVersion(pg->conn));
		err = LK_ESTORE;
		goto out;
	}
	PQsetNoticeProcessor(pg->conn, on_notice, NULL);
out:
	if (err) {
		PQfinish(pg->conn);
		free(pg);
		return err;
	}
	*out = &pg->base;
	return LK_OK;
}
