/*
 * Private to the SQLite backend, which is split by subject: sqlite.c holds the
 * connection, migrations, transactions, signing keys and the helpers below;
 * sqlite_apps.c the applications and their secrets; sqlite_users.c the users,
 * scopes and audit log; sqlite_tokens.c the access tokens, revoked and
 * consumed JWT ids and registration tokens; sqlite_groups.c the groups and
 * their members; sqlite_signin.c the sessions, pending authorization
 * requests, codes, refresh tokens, consents and throttle records of sign-in.
 * This header holds the one statement table they share.
 */
#ifndef LK_STORE_SQLITE_INT_H
#define LK_STORE_SQLITE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "store/backend.h"

#define KEY_COLUMNS                                                                                \
	"kid, alg, public_jwk, private_sealed, created_at, activate_at, retire_at, "               \
	"expire_at"

/*
 * The columns of apps in the order every statement uses them: column i is
 * parameter ?(i+1) of ST_APP_INSERT and ST_APP_UPDATE. The thirteen strings
 * come first, so that sqlite_apps.c reads and binds them from one table.
 * created_at is last because an update leaves it alone.
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
 * The columns of users: column i is parameter ?(i+1) of ST_USER_INSERT and
 * ST_USER_UPDATE. Update changes the middle run (display_name to updated_at)
 * only; the password has its own statement.
 */
#define USER_COLUMNS                                                                               \
	"id, domain, username, display_name, given_name, family_name, email, phone, "              \
	"external_id, role, email_verified, enabled, updated_at, password_hash, created_at"

#define USER_SELECT "SELECT " USER_COLUMNS " FROM users "

/* The columns of groups, read by ST_GROUP_GET, ST_GROUP_LIST and ST_USER_GROUPS. */
#define GROUP_COLUMNS "g.id, g.display_name, g.external_id, g.created_at, g.updated_at"

/*
 * Groups in the order every list of them uses: by name, regardless of case.
 * Names are unique under lower(), so the id only makes the order total.
 */
#define GROUP_ORDER " ORDER BY lower(g.display_name), g.id"

/* The columns of access_tokens: column i is parameter ?(i+1) of ST_TOKEN_INSERT. */
#define TOKEN_COLUMNS                                                                              \
	"hash, jti, client_id, subject, scope, audience, issued_at, expires_at, "                  \
	"sliding_seconds, revoked, grant_id"

/*
 * The columns of the sign-in tables (migration 5, and the claims of
 * migration 6 last): column i is parameter
 * ?(i+1) of the table's insert. The login_throttle columns follow its key,
 * which is ?1, so that column i is parameter ?(i+2) of ST_THROTTLE_PUT.
 */
#define SESSION_COLUMNS "hash, sid, user_id, amr, auth_time, last_seen, expires_at"
#define AUTH_REQUEST_COLUMNS                                                                       \
	"id, browser_hash, client_id, params, created_at, expires_at, consented"
/* latchkey's own pending requests have no client: NULL in the table, "" in the record. */
#define AUTH_REQUEST_SELECT                                                                        \
	"id, browser_hash, COALESCE(client_id, ''), params, created_at, expires_at, consented"
#define CODE_COLUMNS                                                                               \
	"hash, grant_id, client_id, redirect_uri, user_id, scope, nonce, code_challenge, sid, "    \
	"amr, auth_time, created_at, expires_at, used_at, claims"
#define REFRESH_COLUMNS                                                                            \
	"hash, family, client_id, user_id, scope, sid, amr, auth_time, issued_at, expires_at, "    \
	"rotated_at, revoked, claims"
#define THROTTLE_COLUMNS "failures, window_start, locked_until, lock_seconds, expires_at"

/*
 * How long a code is kept past its expiry, in seconds: a replay that late is
 * still recognised as one, and still revokes what the code issued (RFC 6749
 * §4.1.2), instead of looking like an unknown code.
 */
#define CODE_KEEP_SECONDS "3600"

/*
 * The grants an application was issued in one session, for RP-initiated
 * logout: ?1 is the session id, ?2 the client_id. The refresh tokens keep
 * their rows when revoked, so the statements that run after the refresh
 * tokens are revoked still find the same families.
 */
#define SESSION_FAMILIES "SELECT family FROM refresh_tokens WHERE sid = ?1 AND client_id = ?2"

/*
 * A JWT id revoked with its grant is remembered until the latest expiry it
 * was issued with; one already expired needs no remembering. A second
 * revocation keeps the later expiry, as ST_JTI_REVOKE does.
 */
#define JTI_KEEP_LATER                                                                             \
	" ON CONFLICT (jti) DO UPDATE SET expires_at = max(expires_at, excluded.expires_at)"

/*
 * Housekeeping deletes in batches of LK_STORE_JANITOR_BATCH rows: the
 * statements stay short however large the backlog (see store.h).
 */
#define JANITOR_DELETE(table, cond)                                                                \
	"DELETE FROM " table " WHERE rowid IN (SELECT rowid FROM " table " WHERE " cond            \
	" LIMIT " LK_STORE_STR(LK_STORE_JANITOR_BATCH) ")"

/*
 * struct lk_audit_filter as ?2 (action prefix), ?3 (actor), ?4 (object id)
 * and ?5 (since); "" and 0 admit everything. The prefix is compared as text,
 * not through LIKE, so that '%' and '_' in it mean themselves.
 */
#define AUDIT_FILTER                                                                               \
	"(?2 = '' OR substr(action, 1, length(?2)) = ?2) AND (?3 = '' OR actor = ?3) "             \
	"AND (?4 = '' OR object_id = ?4) AND at >= ?5"

/*
 * Every statement the backend runs, by name. BEGIN IMMEDIATE takes the write
 * lock at once: a transaction that reads and then writes could otherwise fail
 * with SQLITE_BUSY when it upgrades, past any busy timeout. Names compare
 * case-insensitively through lower(), which the unique indexes of migration 2
 * use too, so each lookup is an index lookup.
 */
#define STMT_LIST(X)                                                                               \
	X(ST_BEGIN, "BEGIN IMMEDIATE")                                                             \
	X(ST_COMMIT, "COMMIT")                                                                     \
	X(ST_ROLLBACK, "ROLLBACK")                                                                 \
	X(ST_PING, "SELECT 1")                                                                     \
	X(ST_HAS_MIGRATIONS, "SELECT count(*) FROM sqlite_master "                                 \
			     "WHERE type = 'table' AND name = 'schema_migrations'")                \
	X(ST_VERSION, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations")                   \
	X(ST_RECORD_MIGRATION, "INSERT INTO schema_migrations "                                    \
			       "(version, description, applied_at) VALUES (?1, ?2, ?3)")           \
	X(ST_CHANGE_SEQ, "SELECT value FROM meta WHERE name = 'change_seq'")                       \
	X(ST_CHANGE_BUMP, "UPDATE meta SET value = value + 1 WHERE name = 'change_seq'")           \
	X(ST_KEY_INSERT, "INSERT INTO signing_keys (" KEY_COLUMNS ") "                             \
			 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")                                \
	X(ST_KEY_LIST, "SELECT " KEY_COLUMNS " FROM signing_keys "                                 \
		       "ORDER BY activate_at, created_at, kid")                                    \
	X(ST_KEY_SET_TIMES, "UPDATE signing_keys SET retire_at = ?2, expire_at = ?3 "              \
			    "WHERE kid = ?1")                                                      \
	X(ST_KEY_DELETE_EXPIRED,                                                                   \
	  JANITOR_DELETE("signing_keys", "expire_at <> 0 AND expire_at <= ?1"))                    \
	X(ST_APP_INSERT, "INSERT INTO apps (" APP_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, " \
			 "?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, "    \
			 "?22, ?23, ?24, ?25, ?26, ?27)")                                          \
	X(ST_APP_GET_ID, APP_SELECT "WHERE client_id = ?1")                                        \
	X(ST_APP_GET_NAME, APP_SELECT "WHERE lower(name) = lower(?1)")                             \
	X(ST_APP_LIST, APP_SELECT "ORDER BY lower(name)")                                          \
	X(ST_APP_UPDATE, "UPDATE apps SET name = ?2, description = ?3, website = ?4, "             \
			 "scopes = ?5, redirect_uris = ?6, post_logout_redirect_uris = ?7, "       \
			 "cert_subject = ?8, cert_key_type = ?9, cert_kid = ?10, "                 \
			 "audience = ?11, id_token_alg = ?12, userinfo_alg = ?13, "                \
			 "grant_type = ?14, strategy = ?15, lifecycle = ?16, client_type = ?17, "  \
			 "token_format = ?18, user_id = ?19, lifetime = ?20, cert_der = ?21, "     \
			 "cert_not_before = ?22, cert_not_after = ?23, first_party = ?24, "        \
			 "enabled = ?25, updated_at = ?26 WHERE client_id = ?1")                   \
	X(ST_APP_DELETE, "DELETE FROM apps WHERE client_id = ?1")                                  \
	X(ST_SECRET_ADD, "INSERT INTO client_secrets (client_id, hash, created_at) "               \
			 "VALUES (?1, ?2, ?3)")                                                    \
	X(ST_SECRET_LIST, "SELECT id, hash, created_at, expires_at FROM client_secrets "           \
			  "WHERE client_id = ?1 ORDER BY id DESC")                                 \
	X(ST_SECRET_EXPIRE_OTHERS, "UPDATE client_secrets SET expires_at = ?3 "                    \
				   "WHERE client_id = ?1 AND id <> ?2 "                            \
				   "AND (expires_at = 0 OR expires_at > ?3)")                      \
	X(ST_SECRET_DELETE_EXPIRED, "DELETE FROM client_secrets "                                  \
				    "WHERE expires_at <> 0 AND expires_at <= ?1")                  \
	X(ST_USER_INSERT, "INSERT INTO users (domain, username, display_name, given_name, "        \
			  "family_name, email, phone, external_id, role, email_verified, "         \
			  "enabled, updated_at, password_hash, created_at) VALUES (?2, ?3, ?4, "   \
			  "?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)")                     \
	X(ST_USER_GET, USER_SELECT "WHERE id = ?1")                                                \
	X(ST_USER_FIND, USER_SELECT "WHERE lower(domain) = lower(?1) "                             \
				    "AND lower(username) = lower(?2)")                             \
	X(ST_USER_FIND_EMAIL, USER_SELECT "WHERE email <> '' AND lower(email) = lower(?1)")        \
	X(ST_USER_LIST, USER_SELECT "ORDER BY lower(domain), lower(username)")                     \
	X(ST_USER_UPDATE, "UPDATE users SET display_name = ?4, given_name = ?5, "                  \
			  "family_name = ?6, email = ?7, phone = ?8, external_id = ?9, "           \
			  "role = ?10, email_verified = ?11, enabled = ?12, updated_at = ?13 "     \
			  "WHERE id = ?1")                                                         \
	X(ST_USER_SET_PASSWORD, "UPDATE users SET password_hash = ?2, updated_at = ?3 "            \
				"WHERE id = ?1")                                                   \
	X(ST_USER_DELETE, "DELETE FROM users WHERE id = ?1")                                       \
	X(ST_USER_COUNT_ROLE, "SELECT count(*) FROM users WHERE enabled = 1 AND role = ?1")        \
	X(ST_SCOPE_INSERT,                                                                         \
	  "INSERT INTO scopes "                                                                    \
	  "(name, description, certificate, builtin, position, created_at) "                       \
	  "SELECT ?1, ?2, ?3, ?4, COALESCE(MAX(position), 0) + 1, ?5 FROM scopes")                 \
	X(ST_SCOPE_LIST, "SELECT name, description, certificate, builtin, created_at "             \
			 "FROM scopes ORDER BY position")                                          \
	X(ST_SCOPE_DELETE, "DELETE FROM scopes WHERE name = ?1")                                   \
	X(ST_AUDIT_ADD, "INSERT INTO audit (at, actor, action, object_type, object_id, detail) "   \
			"VALUES (?1, ?2, ?3, ?4, ?5, ?6)")                                         \
	X(ST_AUDIT_LIST, "SELECT id, at, actor, action, object_type, object_id, detail "           \
			 "FROM audit WHERE " AUDIT_FILTER " ORDER BY id DESC LIMIT ?1")            \
	X(ST_AUDIT_DELETE_BEFORE, "DELETE FROM audit WHERE id IN (SELECT id FROM audit "           \
				  "WHERE at < ?1 ORDER BY id LIMIT ?2)")                           \
	X(ST_TOKEN_INSERT, "INSERT INTO access_tokens (" TOKEN_COLUMNS ") "                        \
			   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)")                \
	X(ST_TOKEN_GET, "SELECT " TOKEN_COLUMNS " FROM access_tokens WHERE hash = ?1")             \
	X(ST_TOKEN_REVOKE, "UPDATE access_tokens SET revoked = 1 WHERE hash = ?1")                 \
	X(ST_TOKEN_EXTEND, "UPDATE access_tokens SET expires_at = ?2 WHERE hash = ?1 "             \
			   "AND revoked = 0 AND sliding_seconds > 0 AND expires_at <> 0 "          \
			   "AND expires_at < ?2")                                                  \
	X(ST_TOKEN_DELETE_EXPIRED,                                                                 \
	  JANITOR_DELETE("access_tokens", "expires_at <> 0 AND expires_at <= ?1"))                 \
	X(ST_JTI_REVOKE, "INSERT INTO revoked_jtis (jti, expires_at) VALUES (?1, ?2) "             \
			 "ON CONFLICT (jti) DO UPDATE "                                            \
			 "SET expires_at = max(expires_at, excluded.expires_at)")                  \
	X(ST_JTI_REVOKED, "SELECT count(*) FROM revoked_jtis WHERE jti = ?1")                      \
	X(ST_JTI_DELETE_EXPIRED, JANITOR_DELETE("revoked_jtis", "expires_at <= ?1"))               \
	X(ST_ASSERTION_USE, "INSERT INTO used_assertions (client_id, jti, expires_at) "            \
			    "VALUES (?1, ?2, ?3)")                                                 \
	X(ST_ASSERTION_DELETE_EXPIRED, JANITOR_DELETE("used_assertions", "expires_at <= ?1"))      \
	X(ST_REG_TOKEN_SET, "INSERT INTO registration_tokens (client_id, hash, created_at) "       \
			    "VALUES (?1, ?2, ?3) ON CONFLICT (client_id) DO UPDATE "               \
			    "SET hash = excluded.hash, created_at = excluded.created_at")          \
	X(ST_REG_TOKEN_GET, "SELECT hash FROM registration_tokens WHERE client_id = ?1")           \
	X(ST_SAVEPOINT, "SAVEPOINT lk_step")                                                       \
	X(ST_RELEASE, "RELEASE lk_step")                                                           \
	X(ST_ROLLBACK_TO, "ROLLBACK TO lk_step")                                                   \
	X(ST_GROUP_INSERT, "INSERT INTO groups (display_name, external_id, created_at, "           \
			   "updated_at) VALUES (?2, ?3, ?4, ?5)")                                  \
	X(ST_GROUP_UPDATE, "UPDATE groups SET display_name = ?2, external_id = ?3, "               \
			   "updated_at = ?5 WHERE id = ?1")                                        \
	X(ST_GROUP_GET, "SELECT " GROUP_COLUMNS " FROM groups g WHERE g.id = ?1")                  \
	X(ST_GROUP_LIST, "SELECT " GROUP_COLUMNS " FROM groups g" GROUP_ORDER)                     \
	X(ST_GROUP_DELETE, "DELETE FROM groups WHERE id = ?1")                                     \
	X(ST_GROUP_MEMBERS, "SELECT group_id, user_id FROM group_members WHERE group_id = ?1 "     \
			    "ORDER BY user_id")                                                    \
	X(ST_GROUP_ALL_MEMBERS, "SELECT m.group_id, m.user_id FROM group_members m "               \
				"JOIN groups g ON g.id = m.group_id" GROUP_ORDER ", m.user_id")    \
	X(ST_GROUP_CLEAR_MEMBERS, "DELETE FROM group_members WHERE group_id = ?1")                 \
	X(ST_GROUP_ADD_MEMBER, "INSERT OR IGNORE INTO group_members (group_id, user_id) "          \
			       "VALUES (?1, ?2)")                                                  \
	X(ST_USER_GROUPS,                                                                          \
	  "SELECT " GROUP_COLUMNS " FROM groups g "                                                \
	  "JOIN group_members m ON m.group_id = g.id WHERE m.user_id = ?1" GROUP_ORDER)            \
	SIGNIN_STMTS(X)

/*
 * The statements of sqlite_signin.c. The revocations take the grant id or
 * the user id as ?1 and, when they write a time, now as ?2. A user's opaque
 * access tokens are those of a grant of theirs: one named by their refresh
 * tokens, codes or JWT ids, or one issued to their subject (the user id in
 * decimal) under any grant, which also finds a grant whose other traces are
 * gone. Client-credentials tokens have no grant and are left alone. The
 * claims of a token without an expiry go once its opaque token is gone.
 */
#define SIGNIN_STMTS(X)                                                                            \
	X(ST_SESSION_INSERT, "INSERT INTO sessions (" SESSION_COLUMNS ") "                         \
			     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")                                \
	X(ST_SESSION_GET, "SELECT " SESSION_COLUMNS " FROM sessions WHERE hash = ?1")              \
	X(ST_SESSION_TOUCH, "UPDATE sessions SET last_seen = ?2 "                                  \
			    "WHERE hash = ?1 AND last_seen < ?2")                                  \
	X(ST_SESSION_DELETE, "DELETE FROM sessions WHERE hash = ?1")                               \
	X(ST_SESSION_DELETE_EXPIRED, JANITOR_DELETE("sessions", "expires_at <= ?1"))               \
	X(ST_AUTH_REQUEST_INSERT, "INSERT INTO auth_requests (" AUTH_REQUEST_COLUMNS ") "          \
				  "VALUES (?1, ?2, NULLIF(?3, ''), ?4, ?5, ?6, ?7)")               \
	X(ST_AUTH_REQUEST_GET, "SELECT " AUTH_REQUEST_SELECT " FROM auth_requests "                \
			       "WHERE id = ?1")                                                    \
	X(ST_AUTH_REQUEST_CONSENT, "UPDATE auth_requests SET consented = 1 WHERE id = ?1")         \
	X(ST_AUTH_REQUEST_DELETE, "DELETE FROM auth_requests WHERE id = ?1")                       \
	X(ST_AUTH_REQUEST_DELETE_EXPIRED, JANITOR_DELETE("auth_requests", "expires_at <= ?1"))     \
	X(ST_CODE_INSERT, "INSERT INTO codes (" CODE_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, "  \
			  "?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)")                             \
	X(ST_CODE_GET, "SELECT " CODE_COLUMNS " FROM codes WHERE hash = ?1")                       \
	X(ST_CODE_USE, "UPDATE codes SET used_at = ?2 WHERE hash = ?1 AND used_at = 0")            \
	X(ST_CODE_DELETE_EXPIRED,                                                                  \
	  JANITOR_DELETE("codes", "expires_at <= ?1 - " CODE_KEEP_SECONDS))                        \
	X(ST_REFRESH_INSERT, "INSERT INTO refresh_tokens (" REFRESH_COLUMNS ") VALUES (?1, ?2, "   \
			     "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)")                    \
	X(ST_REFRESH_GET, "SELECT " REFRESH_COLUMNS " FROM refresh_tokens WHERE hash = ?1")        \
	X(ST_REFRESH_ROTATE, "UPDATE refresh_tokens SET rotated_at = ?2 "                          \
			     "WHERE hash = ?1 AND rotated_at = 0 AND revoked = 0")                 \
	X(ST_REFRESH_DELETE_EXPIRED, JANITOR_DELETE("refresh_tokens", "expires_at <= ?1"))         \
	X(ST_GRANT_JTI_ADD, "INSERT INTO grant_jtis (grant_id, jti, user_id, expires_at) "         \
			    "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (grant_id, jti) DO UPDATE "       \
			    "SET expires_at = max(expires_at, excluded.expires_at)")               \
	X(ST_GRANT_JTI_DELETE_EXPIRED, JANITOR_DELETE("grant_jtis", "expires_at <= ?1"))           \
	X(ST_TOKEN_CLAIMS_SET, "INSERT INTO token_claims (jti, claims, expires_at) "               \
			       "VALUES (?1, ?2, ?3)")                                              \
	X(ST_TOKEN_CLAIMS_GET, "SELECT claims FROM token_claims WHERE jti = ?1")                   \
	X(ST_TOKEN_CLAIMS_DELETE_EXPIRED,                                                          \
	  JANITOR_DELETE("token_claims", "(expires_at <> 0 AND expires_at <= ?1) "                 \
					 "OR (expires_at = 0 AND jti NOT IN "                      \
					 "(SELECT jti FROM access_tokens))"))                      \
	X(ST_GRANT_REVOKE_REFRESH, "UPDATE refresh_tokens SET revoked = 1 "                        \
				   "WHERE family = ?1 AND revoked = 0")                            \
	X(ST_GRANT_REVOKE_TOKENS, "UPDATE access_tokens SET revoked = 1 "                          \
				  "WHERE grant_id = ?1 AND revoked = 0")                           \
	X(ST_GRANT_REVOKE_JTIS, "INSERT INTO revoked_jtis (jti, expires_at) "                      \
				"SELECT jti, expires_at FROM grant_jtis "                          \
				"WHERE grant_id = ?1 AND expires_at > ?2" JTI_KEEP_LATER)          \
	X(ST_GRANT_USE_CODES, "UPDATE codes SET used_at = ?2 WHERE grant_id = ?1 AND used_at = 0") \
	X(ST_USER_END_SESSIONS, "DELETE FROM sessions WHERE user_id = ?1")                         \
	X(ST_USER_USE_CODES, "UPDATE codes SET used_at = ?2 WHERE user_id = ?1 AND used_at = 0")   \
	X(ST_USER_REVOKE_TOKENS,                                                                   \
	  "UPDATE access_tokens SET revoked = 1 WHERE revoked = 0 AND grant_id <> '' "             \
	  "AND (subject = CAST(?1 AS TEXT) OR grant_id IN ("                                       \
	  "SELECT family FROM refresh_tokens WHERE user_id = ?1 "                                  \
	  "UNION SELECT grant_id FROM codes WHERE user_id = ?1 "                                   \
	  "UNION SELECT grant_id FROM grant_jtis WHERE user_id = ?1))")                            \
	X(ST_USER_REVOKE_REFRESH, "UPDATE refresh_tokens SET revoked = 1 "                         \
				  "WHERE user_id = ?1 AND revoked = 0")                            \
	X(ST_USER_REVOKE_JTIS,                                                                     \
	  "INSERT INTO revoked_jtis (jti, expires_at) "                                            \
	  "SELECT jti, max(expires_at) FROM grant_jtis "                                           \
	  "WHERE user_id = ?1 AND expires_at > ?2 GROUP BY jti" JTI_KEEP_LATER)                    \
	X(ST_SESSION_REVOKE_REFRESH, "UPDATE refresh_tokens SET revoked = 1 "                      \
				     "WHERE revoked = 0 AND family IN (" SESSION_FAMILIES ")")     \
	X(ST_SESSION_REVOKE_TOKENS, "UPDATE access_tokens SET revoked = 1 "                        \
				    "WHERE revoked = 0 AND grant_id IN (" SESSION_FAMILIES ")")    \
	X(ST_SESSION_REVOKE_JTIS, "INSERT INTO revoked_jtis (jti, expires_at) "                    \
				  "SELECT jti, max(expires_at) FROM grant_jtis "                   \
				  "WHERE grant_id IN (" SESSION_FAMILIES                           \
				  ") AND expires_at > ?3 GROUP BY jti" JTI_KEEP_LATER)             \
	X(ST_SESSION_USE_CODES, "UPDATE codes SET used_at = ?3 "                                   \
				"WHERE used_at = 0 AND grant_id IN (" SESSION_FAMILIES ")")        \
	X(ST_CONSENT_GET, "SELECT scope FROM consents WHERE user_id = ?1 AND client_id = ?2")      \
	X(ST_CONSENT_SET, "INSERT INTO consents (user_id, client_id, scope, updated_at) "          \
			  "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (user_id, client_id) DO UPDATE "    \
			  "SET scope = excluded.scope, updated_at = excluded.updated_at")          \
	X(ST_THROTTLE_GET, "SELECT " THROTTLE_COLUMNS " FROM login_throttle WHERE key = ?1")       \
	X(ST_THROTTLE_PUT, "INSERT INTO login_throttle (key, " THROTTLE_COLUMNS ") "               \
			   "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (key) DO UPDATE "          \
			   "SET failures = excluded.failures, "                                    \
			   "window_start = excluded.window_start, "                                \
			   "locked_until = excluded.locked_until, "                                \
			   "lock_seconds = excluded.lock_seconds, "                                \
			   "expires_at = excluded.expires_at")                                     \
	X(ST_THROTTLE_DELETE, "DELETE FROM login_throttle WHERE key = ?1")                         \
	X(ST_THROTTLE_DELETE_EXPIRED, JANITOR_DELETE("login_throttle", "expires_at <= ?1"))

/* clang-format off */
enum stmt_id {
#define STMT_ENUM(id, sql) id,
	STMT_LIST(STMT_ENUM)
#undef STMT_ENUM
	ST__COUNT
};
/* clang-format on */

struct sqlite_store {
	struct lk_store base; /* first, so a struct lk_store * converts back */
	sqlite3 *db;
	sqlite3_stmt *stmts[ST__COUNT];
};

static inline struct sqlite_store *conn(struct lk_store *s)
{
	return (struct sqlite_store *)s;
}

/*
 * Turns a failed SQLite call into an error code and logs SQLite's message:
 * LK_EEXIST for a uniqueness conflict, LK_ESTATE for a foreign key (a row
 * still referenced, or a reference to a missing row), LK_EBUSY, LK_ENOMEM,
 * else LK_ESTORE. The message never holds a bound value.
 */
enum lk_err lk_sqlite_fail(struct sqlite_store *s, int rc, const char *what);

/* The cached statement for id, prepared on its first use. Not to be finalized. */
enum lk_err lk_sqlite_stmt(struct sqlite_store *s, enum stmt_id id, sqlite3_stmt **out);

/* The name of a statement ("ST_APP_INSERT"), for log lines. */
const char *lk_sqlite_stmt_name(enum stmt_id id);

/* Readies a used statement for its next use and drops the caller's pointers. */
void lk_sqlite_done(sqlite3_stmt *st);

/* Steps a bound statement that returns no rows, then readies it again. */
enum lk_err lk_sqlite_step_done(struct sqlite_store *s, enum stmt_id id, sqlite3_stmt *st);

/*
 * A malloc'd copy of a column's bytes, NUL-terminated, into *out and its
 * length into *len (may be NULL). LK_ESTORE for an SQL NULL, LK_ENOMEM.
 */
enum lk_err lk_sqlite_column_copy(sqlite3_stmt *st, int col, bool blob, void **out, size_t *len);

/* Like lk_sqlite_column_copy for a text column. */
enum lk_err lk_sqlite_column_text(sqlite3_stmt *st, int col, char **out);

/* One text column of the current row and the record member it is copied to. */
struct lk_sqlite_text_col {
	int col;
	char **out;
};

/*
 * Copies n text columns into their members (lk_sqlite_column_text); stops
 * at the first error, leaving the members copied so far for the caller's
 * release function.
 */
enum lk_err lk_sqlite_column_texts(sqlite3_stmt *st, const struct lk_sqlite_text_col *c, size_t n);

/* Logs that a column holds a value this program cannot read; LK_ESTORE. */
enum lk_err lk_sqlite_bad_value(sqlite3_stmt *st, int col);

/*
 * Binds v (NULL as "") to parameter i with SQLITE_STATIC: SQLite reads the
 * caller's memory until the bindings are cleared instead of keeping its own
 * copy, which it would free without zeroing. Returns SQLite's code.
 */
int lk_sqlite_bind_text(sqlite3_stmt *st, int i, const char *v);

/*
 * Ends the binding of st (of id): LK_OK when rc, the code of the last bind
 * call, is SQLITE_OK; otherwise readies st again and maps rc to an error.
 */
enum lk_err lk_sqlite_bound(struct sqlite_store *s, enum stmt_id id, sqlite3_stmt *st, int rc);

/*
 * Binds a SHA-256 to parameter i with SQLITE_STATIC, like every other value:
 * SQLite reads the caller's array until the bindings are cleared. Returns
 * SQLite's code.
 */
int lk_sqlite_bind_hash(sqlite3_stmt *st, int i, const uint8_t hash[LK_SHA256_LEN]);

/* Copies a SHA-256 column into out; LK_ESTORE when it is not 32 bytes of blob. */
enum lk_err lk_sqlite_column_hash(sqlite3_stmt *st, int col, uint8_t out[LK_SHA256_LEN]);

/*
 * Runs the statement id, which takes one hash (?1), and perhaps a time (?2,
 * when t is not NULL), and returns no rows. *changed (may be NULL) receives
 * the rows it changed.
 */
enum lk_err lk_sqlite_change_by_hash(struct sqlite_store *s, enum stmt_id id,
				     const uint8_t hash[LK_SHA256_LEN], const int64_t *t,
				     int *changed);

/*
 * Runs the statement id, which deletes by one time (?1), and adds the rows it
 * deleted to *deleted.
 */
enum lk_err lk_sqlite_delete_by_time(struct sqlite_store *s, enum stmt_id id, int64_t now,
				     int *deleted);

/*
 * One call that runs several statements as a unit: lk_sqlite_unit_begin opens
 * a savepoint, which is a transaction of its own when the caller has none
 * (*outer is then true) and nests inside the caller's transaction otherwise,
 * where a second BEGIN would fail. lk_sqlite_unit_end closes it after the
 * statements ended with err: keeps their work on success (committing when
 * outer), else undoes it and leaves the caller's transaction, if any, open
 * for the caller to end. It returns err, or the error of the release.
 */
enum lk_err lk_sqlite_unit_begin(struct sqlite_store *s, bool *outer);
enum lk_err lk_sqlite_unit_end(struct sqlite_store *s, bool outer, enum lk_err err);

/* How to read one kind of record from the rows of a statement. */
struct lk_sqlite_rows {
	const char *what; /* "apps", for the log */
	size_t size;	  /* of one record */
	size_t max;	  /* the most rows before LK_ETOOMANY */
	/* Fills rec (zeroed) from the current row; leaves it empty on error. */
	enum lk_err (*read)(sqlite3_stmt *st, void *rec);
	/* Frees an array of n records. */
	void (*free_array)(void *arr, size_t n);
};

/*
 * Steps the bound statement st (of id) through all its rows into a new array
 * of *n records (*out NULL when none), then readies st again. On error
 * nothing is returned and the records read so far are freed.
 */
enum lk_err lk_sqlite_read_all(struct sqlite_store *s, enum stmt_id id, sqlite3_stmt *st,
			       const struct lk_sqlite_rows *k, void **out, size_t *n);

/*
 * Steps the bound statement st (of id) once and reads its first row into
 * rec with read, then readies st again. LK_ENOTFOUND when there is no row.
 */
enum lk_err lk_sqlite_read_one(struct sqlite_store *s, enum stmt_id id, sqlite3_stmt *st,
			       enum lk_err (*read)(sqlite3_stmt *st, void *rec), void *rec);

/* The registry operations of the ops table (sqlite_apps.c, sqlite_users.c). */
enum lk_err lk_sqlite_app_insert(struct lk_store *s, const struct lk_app *a);
enum lk_err lk_sqlite_app_get(struct lk_store *s, const char *client_id_or_name,
			      struct lk_app *out);
enum lk_err lk_sqlite_app_list(struct lk_store *s, struct lk_app **out, size_t *n);
enum lk_err lk_sqlite_app_update(struct lk_store *s, const struct lk_app *a);
enum lk_err lk_sqlite_app_delete(struct lk_store *s, const char *client_id);
enum lk_err lk_sqlite_secret_add(struct lk_store *s, const char *client_id,
				 const uint8_t hash[LK_SHA256_LEN], int64_t created_at,
				 int64_t *id);
enum lk_err lk_sqlite_secret_list(struct lk_store *s, const char *client_id,
				  struct lk_client_secret **out, size_t *n);
enum lk_err lk_sqlite_secret_expire_others(struct lk_store *s, const char *client_id,
					   int64_t keep_id, int64_t expires_at);
enum lk_err lk_sqlite_secret_delete_expired(struct lk_store *s, int64_t now, int *deleted);
enum lk_err lk_sqlite_user_insert(struct lk_store *s, const struct lk_user *u, int64_t *id);
enum lk_err lk_sqlite_user_get(struct lk_store *s, int64_t id, struct lk_user *out);
enum lk_err lk_sqlite_user_find(struct lk_store *s, const char *domain, const char *username,
				struct lk_user *out);
enum lk_err lk_sqlite_user_find_email(struct lk_store *s, const char *email, struct lk_user *out);
enum lk_err lk_sqlite_user_list(struct lk_store *s, struct lk_user **out, size_t *n);
enum lk_err lk_sqlite_user_update(struct lk_store *s, const struct lk_user *u);
enum lk_err lk_sqlite_user_set_password(struct lk_store *s, int64_t id, const char *hash,
					int64_t updated_at);
enum lk_err lk_sqlite_user_delete(struct lk_store *s, int64_t id);
enum lk_err lk_sqlite_user_count_admins(struct lk_store *s, int64_t *n);
enum lk_err lk_sqlite_scope_insert(struct lk_store *s, const struct lk_scope *sc);
enum lk_err lk_sqlite_scope_list(struct lk_store *s, struct lk_scope **out, size_t *n);
enum lk_err lk_sqlite_scope_delete(struct lk_store *s, const char *name);
enum lk_err lk_sqlite_audit_add(struct lk_store *s, const struct lk_audit *e);
enum lk_err lk_sqlite_audit_list(struct lk_store *s, const struct lk_audit_filter *f, int limit,
				 struct lk_audit **out, size_t *n);
enum lk_err lk_sqlite_audit_delete_before(struct lk_store *s, int64_t before, int limit,
					  int *deleted);

/* The token operations of the ops table (sqlite_tokens.c). */
enum lk_err lk_sqlite_token_insert(struct lk_store *s, const struct lk_token_record *t);
enum lk_err lk_sqlite_token_get(struct lk_store *s, const uint8_t hash[LK_SHA256_LEN],
				struct lk_token_record *out);
enum lk_err lk_sqlite_token_revoke(struct lk_store *s, const uint8_t hash[LK_SHA256_LEN]);
enum lk_err lk_sqlite_token_extend(struct lk_store *s, const uint8_t hash[LK_SHA256_LEN],
				   int64_t expires_at);
enum lk_err lk_sqlite_tokens_delete_expired(struct lk_store *s, int64_t now, int *deleted);
enum lk_err lk_sqlite_jti_revoke(struct lk_store *s, const char *jti, int64_t expires_at);
enum lk_err lk_sqlite_jti_revoked(struct lk_store *s, const char *jti, bool *revoked);
enum lk_err lk_sqlite_assertion_use(struct lk_store *s, const char *client_id, const char *jti,
				    int64_t expires_at);
enum lk_err lk_sqlite_registration_token_set(struct lk_store *s, const char *client_id,
					     const uint8_t hash[LK_SHA256_LEN]);
enum lk_err lk_sqlite_registration_token_get(struct lk_store *s, const char *client_id,
					     uint8_t hash[LK_SHA256_LEN]);

/* The group operations of the ops table (sqlite_groups.c). */
enum lk_err lk_sqlite_group_insert(struct lk_store *s, const struct lk_group *g, int64_t *id);
enum lk_err lk_sqlite_group_get(struct lk_store *s, int64_t id, struct lk_group *out);
enum lk_err lk_sqlite_group_list(struct lk_store *s, struct lk_group **out, size_t *n);
enum lk_err lk_sqlite_group_update(struct lk_store *s, const struct lk_group *g);
enum lk_err lk_sqlite_group_delete(struct lk_store *s, int64_t id);
enum lk_err lk_sqlite_user_groups(struct lk_store *s, int64_t user_id, struct lk_group **out,
				  size_t *n);

/* The sign-in operations of the ops table (sqlite_signin.c). */
enum lk_err lk_sqlite_session_insert(struct lk_store *s, const struct lk_session_record *r);
enum lk_err lk_sqlite_session_get(struct lk_store *s, const uint8_t hash[LK_SHA256_LEN],
				  struct lk_session_record *out);
enum lk_err lk_sqlite_session_touch(struct lk_store *s, const uint8_t hash[LK_SHA256_LEN],
				    int64_t last_seen);
enum lk_err lk_sqlite_session_delete(struct lk_store *s, const uint8_t hash[LK_SHA256_LEN]);
enum lk_err lk_sqlite_auth_request_insert(struct lk_store *s,
					  const struct lk_auth_request_record *r);
enum lk_err lk_sqlite_auth_request_get(struct lk_store *s, const char *id,
				       struct lk_auth_request_record *out);
enum lk_err lk_sqlite_auth_request_set_consented(struct lk_store *s, const char *id);
enum lk_err lk_sqlite_auth_request_delete(struct lk_store *s, const char *id);
enum lk_err lk_sqlite_code_insert(struct lk_store *s, const struct lk_code_record *r);
enum lk_err lk_sqlite_code_consume(struct lk_store *s, const uint8_t hash[LK_SHA256_LEN],
				   int64_t now, struct lk_code_record *out);
enum lk_err lk_sqlite_refresh_insert(struct lk_store *s, const struct lk_refresh_record *r);
enum lk_err lk_sqlite_refresh_get(struct lk_store *s, const uint8_t hash[LK_SHA256_LEN],
				  struct lk_refresh_record *out);
enum lk_err lk_sqlite_refresh_consume(struct lk_store *s, const uint8_t hash[LK_SHA256_LEN],
				      int64_t now, struct lk_refresh_record *out);
enum lk_err lk_sqlite_grant_jti_add(struct lk_store *s, const char *grant_id, int64_t user_id,
				    const char *jti, int64_t expires_at);
enum lk_err lk_sqlite_token_claims_set(struct lk_store *s, const char *jti, const char *claims,
				       int64_t expires_at);
enum lk_err lk_sqlite_token_claims_get(struct lk_store *s, const char *jti, char **claims);
enum lk_err lk_sqlite_grant_revoke(struct lk_store *s, const char *grant_id, int64_t now);
enum lk_err lk_sqlite_user_revoke_grants(struct lk_store *s, int64_t user_id, int64_t now);
enum lk_err lk_sqlite_consent_get(struct lk_store *s, int64_t user_id, const char *client_id,
				  char **scope);
enum lk_err lk_sqlite_consent_set(struct lk_store *s, int64_t user_id, const char *client_id,
				  const char *scope, int64_t now);
enum lk_err lk_sqlite_throttle_get(struct lk_store *s, const char *key,
				   struct lk_throttle_record *out);
enum lk_err lk_sqlite_throttle_put(struct lk_store *s, const char *key,
				   const struct lk_throttle_record *r);
enum lk_err lk_sqlite_throttle_delete(struct lk_store *s, const char *key);
enum lk_err lk_sqlite_signin_delete_expired(struct lk_store *s, int64_t now, int *deleted);
enum lk_err lk_sqlite_refresh_revoke_session(struct lk_store *s, const char *sid,
					     const char *client_id, int64_t now);

#endif
