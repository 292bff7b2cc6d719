/*
 * Private to the PostgreSQL backend (libpq), which is split by subject like
 * the SQLite one: pg.c holds the connection, migrations, transactions, the
 * change counter, signing keys and the ops table; pg_util.c the helpers
 * below; pg_registry.c (or pg_apps.c, pg_users.c, pg_groups.c) the
 * registry; pg_tokens.c and pg_signin.c the tokens and sign-in state.
 *
 * Every op has the exact contract of its lk_store_* wrapper in store.h, and
 * the same store test suite checks both backends (LATCHKEY_TEST_DB_URL).
 *
 * Statements are prepared once per connection, on first use: each file
 * declares its own `static const struct lk_pg_stmt` values (a unique name,
 * the SQL with $1..$n, the parameter count), so files never share a list.
 * Integers travel as decimal text, byte strings (hashes, sealed keys,
 * certificates) as bytea in binary parameters, and results come back as text
 * (bytea as "\x..." hex, which lk_pg_get_bytes decodes).
 */
#ifndef LK_STORE_PG_INT_H
#define LK_STORE_PG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>


#include "store/backend.h"
#include "store/pq_lib.h"

/*
 * Housekeeping deletes in batches of LK_STORE_JANITOR_BATCH rows (see
 * store.h). The row addresses go through an array so that the delete is a
 * TID scan of just those rows, not a join against the table.
 */
#define LK_PG_JANITOR_DELETE(table, cond)                                                          \
	"DELETE FROM " table " WHERE ctid = ANY (ARRAY (SELECT ctid FROM " table " WHERE " cond    \
	" LIMIT " LK_STORE_STR(LK_STORE_JANITOR_BATCH) "))"

/* A statement of one file, prepared on a connection the first time it runs. */
struct lk_pg_stmt {
	const char *name; /* unique across the backend: "app_insert", ... */
	const char *sql;
	int nparams;
};

/* The most parameters a statement may have. */
#define LK_PG_MAX_PARAMS 32
/* The most distinct statements a connection prepares. */
#define LK_PG_MAX_PREPARED 256

/* One connection. */
struct lk_pg {
	struct lk_store base;
	PGconn *conn;
	bool in_tx;				  /* between lk_pg_begin and commit/rollback */
	int savepoints;				  /* nesting depth of lk_pg_savepoint */
	const char *prepared[LK_PG_MAX_PREPARED]; /* names prepared on this connection */
	size_t nprepared;
};

/* The connection behind a store handle. */
static inline struct lk_pg *lk_pg_of(struct lk_store *s)
{
	return (struct lk_pg *)s;
}

/* Parameters being bound; values point at caller storage or the buffers here. */
struct lk_pg_params {
	const char *values[LK_PG_MAX_PARAMS];
	int lengths[LK_PG_MAX_PARAMS];
	int formats[LK_PG_MAX_PARAMS];
	char num[LK_PG_MAX_PARAMS][24];
	int n;
};

void lk_pg_params_init(struct lk_pg_params *p);
void lk_pg_param_text(struct lk_pg_params *p, const char *v); /* NULL binds "" */
void lk_pg_param_int(struct lk_pg_params *p, int64_t v);
void lk_pg_param_bool(struct lk_pg_params *p, bool v);
void lk_pg_param_bytes(struct lk_pg_params *p, const void *v, size_t n);

/*
 * Runs statement st with params (prepared on first use). On success *res is
 * the result (PQclear it) and LK_OK is returned. A unique violation
 * (SQLSTATE 23505) is LK_EEXIST, a foreign key violation (23503) LK_ESTATE
 * (the caller maps it to what its contract says), a serialization failure
 * or lost connection LK_ESTORE (logged without parameter values: they may
 * hold secrets). When the connection is broken and no transaction is open,
 * it is reset once and the statement retried.
 */
enum lk_err lk_pg_run(struct lk_pg *pg, const struct lk_pg_stmt *st,
		      const struct lk_pg_params *params, PGresult **res);

/* The same for statements whose result is not needed; *changed (may be NULL) gets the row count. */
enum lk_err lk_pg_exec(struct lk_pg *pg, const struct lk_pg_stmt *st,
		       const struct lk_pg_params *params, int64_t *changed);

/* Result cells: a malloc'd copy of a text cell (never NULL on LK_OK), an integer, a boolean, bytea.
 */
enum lk_err lk_pg_get_text(const PGresult *r, int row, int col, char **out);
int64_t lk_pg_get_int(const PGresult *r, int row, int col);
bool lk_pg_get_bool(const PGresult *r, int row, int col);
/* One text column of row 0 and the record member it is copied to. */
struct lk_pg_text_col {
	int col;
	char **out;
};

/*
 * Copies n text columns of row 0 into their members (lk_pg_get_text); stops
 * at the first error, leaving the members copied so far for the caller's
 * release function.
 */
enum lk_err lk_pg_get_texts(const PGresult *r, const struct lk_pg_text_col *c, size_t n);

/* Decodes a bytea cell into out (exactly len bytes, else LK_ESTORE), or a malloc'd copy. */
enum lk_err lk_pg_get_bytes(const PGresult *r, int row, int col, void *out, size_t len);
enum lk_err lk_pg_get_bytes_dup(const PGresult *r, int row, int col, unsigned char **out,
				size_t *len);

/*
 * Atomic units inside or outside a caller's transaction (like the SQLite
 * backend's savepoints): begin opens a transaction when none is open, else a
 * savepoint; end commits or releases on ok, rolls back otherwise.
 */
enum lk_err lk_pg_unit_begin(struct lk_pg *pg);
enum lk_err lk_pg_unit_end(struct lk_pg *pg, enum lk_err err);

/* The PostgreSQL schema steps, oldest first (migrations_pg.c), same versions as SQLite's. */
extern const struct lk_migration lk_pg_migrations[];
extern const size_t lk_pg_migration_count;

/* Opens a connection to a libpq URI ("postgres://..." or "postgresql://..."). */
enum lk_err lk_pg_open(const char *url, struct lk_store **out);

/* ---- The ops, by file ---- */

/* pg.c */
void lk_pg_close(struct lk_store *s);
enum lk_err lk_pg_migrate(struct lk_store *s, int *from, int *to);
enum lk_err lk_pg_schema_version(struct lk_store *s, int *version);
enum lk_err lk_pg_ping(struct lk_store *s);
enum lk_err lk_pg_begin(struct lk_store *s);
enum lk_err lk_pg_commit(struct lk_store *s);
enum lk_err lk_pg_rollback(struct lk_store *s);
enum lk_err lk_pg_change_seq(struct lk_store *s, int64_t *seq);
enum lk_err lk_pg_change_bump(struct lk_store *s);
enum lk_err lk_pg_key_insert(struct lk_store *s, const struct lk_key_record *r);
enum lk_err lk_pg_key_list(struct lk_store *s, struct lk_key_record **out, size_t *n);
enum lk_err lk_pg_key_set_times(struct lk_store *s, const char *kid, int64_t retire_at,
				int64_t expire_at);
enum lk_err lk_pg_key_delete_expired(struct lk_store *s, int64_t now, int *deleted);

/* pg_registry.c (may be split into pg_apps.c, pg_users.c, pg_groups.c) */
enum lk_err lk_pg_app_insert(struct lk_store *s, const struct lk_app *a);
enum lk_err lk_pg_app_get(struct lk_store *s, const char *client_id_or_name, struct lk_app *out);
enum lk_err lk_pg_app_list(struct lk_store *s, struct lk_app **out, size_t *n);
enum lk_err lk_pg_app_update(struct lk_store *s, const struct lk_app *a);
enum lk_err lk_pg_app_delete(struct lk_store *s, const char *client_id);
enum lk_err lk_pg_secret_add(struct lk_store *s, const char *client_id,
			     const uint8_t hash[LK_SHA256_LEN], int64_t created_at, int64_t *id);
enum lk_err lk_pg_secret_list(struct lk_store *s, const char *client_id,
			      struct lk_client_secret **out, size_t *n);
enum lk_err lk_pg_secret_expire_others(struct lk_store *s, const char *client_id, int64_t keep_id,
				       int64_t expires_at);
enum lk_err lk_pg_secret_delete_expired(struct lk_store *s, int64_t now, int *deleted);
enum lk_err lk_pg_user_insert(struct lk_store *s, const struct lk_user *u, int64_t *id);
enum lk_err lk_pg_user_get(struct lk_store *s, int64_t id, struct lk_user *out);
enum lk_err lk_pg_user_find(struct lk_store *s, const char *domain, const char *username,
			    struct lk_user *out);
enum lk_err lk_pg_user_find_email(struct lk_store *s, const char *email, struct lk_user *out);
enum lk_err lk_pg_user_list(struct lk_store *s, struct lk_user **out, size_t *n);
enum lk_err lk_pg_user_update(struct lk_store *s, const struct lk_user *u);
enum lk_err lk_pg_user_set_password(struct lk_store *s, int64_t id, const char *hash,
				    int64_t updated_at);
enum lk_err lk_pg_user_delete(struct lk_store *s, int64_t id);
enum lk_err lk_pg_user_count_admins(struct lk_store *s, int64_t *n);
enum lk_err lk_pg_scope_insert(struct lk_store *s, const struct lk_scope *sc);
enum lk_err lk_pg_scope_list(struct lk_store *s, struct lk_scope **out, size_t *n);
enum lk_err lk_pg_scope_delete(struct lk_store *s, const char *name);
enum lk_err lk_pg_audit_add(struct lk_store *s, const struct lk_audit *e);
enum lk_err lk_pg_audit_list(struct lk_store *s, const struct lk_audit_filter *f, int limit,
			     struct lk_audit **out, size_t *n);
enum lk_err lk_pg_audit_delete_before(struct lk_store *s, int64_t before, int limit, int *deleted);
enum lk_err lk_pg_group_insert(struct lk_store *s, const struct lk_group *g, int64_t *id);
enum lk_err lk_pg_group_get(struct lk_store *s, int64_t id, struct lk_group *out);
enum lk_err lk_pg_group_list(struct lk_store *s, struct lk_group **out, size_t *n);
enum lk_err lk_pg_group_update(struct lk_store *s, const struct lk_group *g);
enum lk_err lk_pg_group_delete(struct lk_store *s, int64_t id);
enum lk_err lk_pg_user_groups(struct lk_store *s, int64_t user_id, struct lk_group **out,
			      size_t *n);

/* pg_tokens.c and pg_signin.c */
enum lk_err lk_pg_token_insert(struct lk_store *s, const struct lk_token_record *t);
enum lk_err lk_pg_token_get(struct lk_store *s, const uint8_t hash[LK_SHA256_LEN],
			    struct lk_token_record *out);
enum lk_err lk_pg_token_revoke(struct lk_store *s, const uint8_t hash[LK_SHA256_LEN]);
enum lk_err lk_pg_token_extend(struct lk_store *s, const uint8_t hash[LK_SHA256_LEN],
			       int64_t expires_at);
enum lk_err lk_pg_tokens_delete_expired(struct lk_store *s, int64_t now, int *deleted);
enum lk_err lk_pg_jti_revoke(struct lk_store *s, const char *jti, int64_t expires_at);
enum lk_err lk_pg_jti_revoked(struct lk_store *s, const char *jti, bool *revoked);
enum lk_err lk_pg_assertion_use(struct lk_store *s, const char *client_id, const char *jti,
				int64_t expires_at);
enum lk_err lk_pg_registration_token_set(struct lk_store *s, const char *client_id,
					 const uint8_t hash[LK_SHA256_LEN]);
enum lk_err lk_pg_registration_token_get(struct lk_store *s, const char *client_id,
					 uint8_t hash[LK_SHA256_LEN]);
enum lk_err lk_pg_session_insert(struct lk_store *s, const struct lk_session_record *r);
enum lk_err lk_pg_session_get(struct lk_store *s, const uint8_t hash[LK_SHA256_LEN],
			      struct lk_session_record *out);
enum lk_err lk_pg_session_touch(struct lk_store *s, const uint8_t hash[LK_SHA256_LEN],
				int64_t last_seen);
enum lk_err lk_pg_session_delete(struct lk_store *s, const uint8_t hash[LK_SHA256_LEN]);
enum lk_err lk_pg_auth_request_insert(struct lk_store *s, const struct lk_auth_request_record *r);
enum lk_err lk_pg_auth_request_get(struct lk_store *s, const char *id,
				   struct lk_auth_request_record *out);
enum lk_err lk_pg_auth_request_set_consented(struct lk_store *s, const char *id);
enum lk_err lk_pg_auth_request_delete(struct lk_store *s, const char *id);
enum lk_err lk_pg_code_insert(struct lk_store *s, const struct lk_code_record *r);
enum lk_err lk_pg_code_consume(struct lk_store *s, const uint8_t hash[LK_SHA256_LEN], int64_t now,
			       struct lk_code_record *out);
enum lk_err lk_pg_refresh_insert(struct lk_store *s, const struct lk_refresh_record *r);
enum lk_err lk_pg_refresh_get(struct lk_store *s, const uint8_t hash[LK_SHA256_LEN],
			      struct lk_refresh_record *out);
enum lk_err lk_pg_refresh_consume(struct lk_store *s, const uint8_t hash[LK_SHA256_LEN],
				  int64_t now, struct lk_refresh_record *out);
enum lk_err lk_pg_grant_jti_add(struct lk_store *s, const char *grant_id, int64_t user_id,
				const char *jti, int64_t expires_at);
enum lk_err lk_pg_token_claims_set(struct lk_store *s, const char *jti, const char *claims,
				   int64_t expires_at);
enum lk_err lk_pg_token_claims_get(struct lk_store *s, const char *jti, char **claims);
enum lk_err lk_pg_grant_revoke(struct lk_store *s, const char *grant_id, int64_t now);
enum lk_err lk_pg_user_revoke_grants(struct lk_store *s, int64_t user_id, int64_t now);
enum lk_err lk_pg_consent_get(struct lk_store *s, int64_t user_id, const char *client_id,
			      char **scope);
enum lk_err lk_pg_consent_set(struct lk_store *s, int64_t user_id, const char *client_id,
			      const char *scope, int64_t now);
enum lk_err lk_pg_throttle_get(struct lk_store *s, const char *key, struct lk_throttle_record *out);
enum lk_err lk_pg_throttle_put(struct lk_store *s, const char *key,
			       const struct lk_throttle_record *r);
enum lk_err lk_pg_throttle_delete(struct lk_store *s, const char *key);
enum lk_err lk_pg_signin_delete_expired(struct lk_store *s, int64_t now, int *deleted);
enum lk_err lk_pg_refresh_revoke_session(struct lk_store *s, const char *sid, const char *client_id,
					 int64_t now);

#endif
