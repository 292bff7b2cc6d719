/*
 * The SQLite schema, one versioned step per array entry, embedded in the
 * binary so that `latchkey migrate` needs no files beside it. To change the
 * schema, append an entry with the next version; never edit an entry that has
 * been released, since databases in the field have already applied it.
 *
 * The PostgreSQL backend keeps its own list with the same versions and the
 * same tables. The SQL here sticks to what both accept where that costs
 * nothing: INTEGER, TEXT and BLOB, which PostgreSQL spells BIGINT (SQLite
 * integers are 64-bit), TEXT and BYTEA.
 */
#include "store/backend.h"

const char lk_sqlite_migrations_table_sql[] = "CREATE TABLE IF NOT EXISTS schema_migrations (\n"
					      "	version INTEGER PRIMARY KEY,\n"
					      "	description TEXT,\n"
					      "	applied_at INTEGER\n"
					      ")";

/*
 * Version 1: the change counter that running servers poll to reload their
 * caches, and the signing keys. Primary keys are declared NOT NULL because
 * SQLite, unlike PostgreSQL, otherwise lets a TEXT primary key hold NULL.
 */
static const char v1_sql[] = "CREATE TABLE meta (\n"
			     "	name TEXT NOT NULL PRIMARY KEY,\n"
			     "	value INTEGER NOT NULL\n"
			     ");\n"
			     "INSERT INTO meta (name, value) VALUES ('change_seq', 0);\n"
			     "CREATE TABLE signing_keys (\n"
			     "	kid TEXT NOT NULL PRIMARY KEY,\n"
			     "	alg TEXT NOT NULL,\n"
			     "	public_jwk TEXT NOT NULL,\n"
			     "	private_sealed BLOB NOT NULL,\n"
			     "	created_at INTEGER NOT NULL,\n"
			     "	activate_at INTEGER NOT NULL,\n"
			     "	retire_at INTEGER NOT NULL DEFAULT 0,\n"
			     "	expire_at INTEGER NOT NULL DEFAULT 0\n"
			     ");\n";

/*
 * Version 2: the registry of DESIGN §1 and §3. Enum values are stored as
 * their names (the strings of records.h), booleans as 0/1 and times as Unix
 * seconds, so that the database reads well by hand; absent optional strings
 * are '' rather than NULL, except apps.user_id, NULL when no user is bound,
 * so that the foreign key can refuse to delete a user an application acts as.
 * Names that must be unique regardless of case have a unique index on
 * lower(); the store's lookups use the same expressions.
 *
 * The scope catalog is seeded with DESIGN §1's defaults in a fixed order
 * (position), which is the order in which consent pages list them; the
 * descriptions are shown to users there.
 */
static const char v2_sql[] =
	"CREATE TABLE scopes (\n"
	"	name TEXT NOT NULL PRIMARY KEY,\n"
	"	description TEXT NOT NULL DEFAULT '',\n"
	"	certificate INTEGER NOT NULL DEFAULT 0,\n"
	"	builtin INTEGER NOT NULL DEFAULT 0,\n"
	"	position INTEGER NOT NULL,\n"
	"	created_at INTEGER NOT NULL\n"
	");\n"
	"INSERT INTO scopes (name, description, certificate, builtin, position, created_at)\n"
	"SELECT name, description, certificate, 1, position, CAST(strftime('%s', 'now') AS "
	"INTEGER)\n"
	"FROM (SELECT 'api' AS name, 'Full use of the API on your behalf' AS description,\n"
	"		0 AS certificate, 1 AS position\n"
	"	UNION ALL SELECT 'login', 'Sign you in to another service with this account', 0, "
	"2\n"
	"	UNION ALL SELECT 'user_sync', 'Create and update user accounts (SCIM)', 0, 3\n"
	"	UNION ALL SELECT 'odata_query', 'Query data through the query endpoint', 1, 4\n"
	"	UNION ALL SELECT 'rpa', 'Receive automation callbacks', 0, 5\n"
	"	UNION ALL SELECT 'openid', 'Sign you in', 0, 6\n"
	"	UNION ALL SELECT 'profile', 'Your name and profile', 0, 7\n"
	"	UNION ALL SELECT 'email', 'Your email address', 0, 8\n"
	"	UNION ALL SELECT 'phone', 'Your phone number', 0, 9\n"
	"	UNION ALL SELECT 'address', 'Your postal address', 0, 10\n"
	"	UNION ALL SELECT 'offline_access',\n"
	"		'Stay signed in, even when you are not using the application', 0, 11\n"
	"	UNION ALL SELECT 'register', 'Register new applications with this server', 0, 12\n"
	"	UNION ALL SELECT 'admin', 'Administer this server', 0, 13);\n"
	"CREATE TABLE users (\n"
	"	id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
	"	domain TEXT NOT NULL,\n"
	"	username TEXT NOT NULL,\n"
	"	display_name TEXT NOT NULL DEFAULT '',\n"
	"	given_name TEXT NOT NULL DEFAULT '',\n"
	"	family_name TEXT NOT NULL DEFAULT '',\n"
	"	email TEXT NOT NULL DEFAULT '',\n"
	"	phone TEXT NOT NULL DEFAULT '',\n"
	"	email_verified INTEGER NOT NULL DEFAULT 0,\n"
	"	role TEXT NOT NULL,\n"
	"	enabled INTEGER NOT NULL DEFAULT 1,\n"
	"	password_hash TEXT NOT NULL DEFAULT '',\n"
	"	created_at INTEGER NOT NULL,\n"
	"	updated_at INTEGER NOT NULL\n"
	");\n"
	"CREATE UNIQUE INDEX users_name ON users (lower(domain), lower(username));\n"
	"CREATE UNIQUE INDEX users_email ON users (lower(email)) WHERE email <> '';\n"
	"CREATE TABLE apps (\n"
	"	client_id TEXT NOT NULL PRIMARY KEY,\n"
	"	name TEXT NOT NULL,\n"
	"	description TEXT NOT NULL DEFAULT '',\n"
	"	website TEXT NOT NULL DEFAULT '',\n"
	"	grant_type TEXT NOT NULL,\n"
	"	scopes TEXT NOT NULL,\n"
	"	user_id INTEGER REFERENCES users (id) ON DELETE RESTRICT,\n"
	"	strategy TEXT NOT NULL,\n"
	"	redirect_uris TEXT NOT NULL DEFAULT '',\n"
	"	post_logout_redirect_uris TEXT NOT NULL DEFAULT '',\n"
	"	lifetime INTEGER NOT NULL DEFAULT 0,\n"
	"	lifecycle TEXT NOT NULL,\n"
	"	cert_der BLOB,\n"
	"	cert_subject TEXT NOT NULL DEFAULT '',\n"
	"	cert_key_type TEXT NOT NULL DEFAULT '',\n"
	"	cert_kid TEXT NOT NULL DEFAULT '',\n"
	"	cert_not_before INTEGER NOT NULL DEFAULT 0,\n"
	"	cert_not_after INTEGER NOT NULL DEFAULT 0,\n"
	"	client_type TEXT NOT NULL,\n"
	"	token_format TEXT NOT NULL,\n"
	"	audience TEXT NOT NULL DEFAULT '',\n"
	"	id_token_alg TEXT NOT NULL,\n"
	"	first_party INTEGER NOT NULL DEFAULT 0,\n"
	"	enabled INTEGER NOT NULL DEFAULT 1,\n"
	"	created_at INTEGER NOT NULL,\n"
	"	updated_at INTEGER NOT NULL\n"
	");\n"
	"CREATE UNIQUE INDEX apps_name ON apps (lower(name));\n"
	"CREATE INDEX apps_user ON apps (user_id);\n"
	"CREATE TABLE client_secrets (\n"
	"	id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
	"	client_id TEXT NOT NULL REFERENCES apps (client_id) ON DELETE CASCADE,\n"
	"	hash BLOB NOT NULL,\n"
	"	created_at INTEGER NOT NULL,\n"
	"	expires_at INTEGER NOT NULL DEFAULT 0\n"
	");\n"
	"CREATE INDEX client_secrets_client ON client_secrets (client_id);\n"
	"CREATE TABLE audit (\n"
	"	id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
	"	at INTEGER NOT NULL,\n"
	"	actor TEXT NOT NULL,\n"
	"	action TEXT NOT NULL,\n"
	"	object_type TEXT NOT NULL,\n"
	"	object_id TEXT NOT NULL DEFAULT '',\n"
	"	detail TEXT NOT NULL DEFAULT ''\n"
	");\n";

/*
 * Version 3: what the token service remembers. Opaque access tokens are kept
 * only as the SHA-256 of their value, so a copy of the database cannot be
 * replayed; expires_at 0 means never, sliding_seconds 0 an absolute
 * lifetime. revoked_jtis holds the ids of revoked JWT access tokens until they
 * would have expired anyway; used_assertions the ids of consumed client
 * assertions (RFC 7523 §3), whose primary key makes their single use atomic;
 * registration_tokens the hash of each client's RFC 7592 registration access
 * token. Tokens and registration tokens go with their application.
 */
static const char v3_sql[] =
	"CREATE TABLE access_tokens (\n"
	"	hash BLOB NOT NULL PRIMARY KEY,\n"
	"	jti TEXT NOT NULL,\n"
	"	client_id TEXT NOT NULL REFERENCES apps (client_id) ON DELETE CASCADE,\n"
	"	subject TEXT NOT NULL,\n"
	"	scope TEXT NOT NULL DEFAULT '',\n"
	"	audience TEXT NOT NULL DEFAULT '',\n"
	"	issued_at INTEGER NOT NULL,\n"
	"	expires_at INTEGER NOT NULL DEFAULT 0,\n"
	"	sliding_seconds INTEGER NOT NULL DEFAULT 0,\n"
	"	revoked INTEGER NOT NULL DEFAULT 0\n"
	");\n"
	"CREATE INDEX access_tokens_client ON access_tokens (client_id);\n"
	"CREATE INDEX access_tokens_expiry ON access_tokens (expires_at);\n"
	"CREATE TABLE revoked_jtis (\n"
	"	jti TEXT NOT NULL PRIMARY KEY,\n"
	"	expires_at INTEGER NOT NULL\n"
	");\n"
	"CREATE TABLE used_assertions (\n"
	"	client_id TEXT NOT NULL,\n"
	"	jti TEXT NOT NULL,\n"
	"	expires_at INTEGER NOT NULL,\n"
	"	PRIMARY KEY (client_id, jti)\n"
	");\n"
	"CREATE TABLE registration_tokens (\n"
	"	client_id TEXT NOT NULL PRIMARY KEY\n"
	"		REFERENCES apps (client_id) ON DELETE CASCADE,\n"
	"	hash BLOB NOT NULL,\n"
	"	created_at INTEGER NOT NULL\n"
	");\n";

/*
 * Version 4: what SCIM (RFC 7643) adds. externalId is the provisioning
 * system's own identifier of a user or group, '' when it gave none. A group's
 * display name is unique regardless of case, like the other names. Members
 * go with their group and with their user: deleting either removes the
 * membership, while a user an application acts as still cannot be deleted
 * (apps.user_id stays ON DELETE RESTRICT). The index on user_id serves the
 * cascade and the `groups` claim, which looks groups up by member.
 */
static const char v4_sql[] =
	"ALTER TABLE users ADD COLUMN external_id TEXT NOT NULL DEFAULT '';\n"
	"CREATE TABLE groups (\n"
	"	id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
	"	display_name TEXT NOT NULL,\n"
	"	external_id TEXT NOT NULL DEFAULT '',\n"
	"	created_at INTEGER NOT NULL,\n"
	"	updated_at INTEGER NOT NULL\n"
	");\n"
	"CREATE UNIQUE INDEX groups_name ON groups (lower(display_name));\n"
	"CREATE TABLE group_members (\n"
	"	group_id INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,\n"
	"	user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,\n"
	"	PRIMARY KEY (group_id, user_id)\n"
	");\n"
	"CREATE INDEX group_members_user ON group_members (user_id);\n";

/*
 * Version 5: what sign-in and the authorization code flow remember. Sessions,
 * codes and refresh tokens are kept only as the SHA-256 of their value, like
 * access tokens. Sessions, codes, refresh tokens and consents go with their
 * user, and codes, refresh tokens, consents and pending requests with their
 * application: nothing a deleted account held can be redeemed afterwards.
 *
 * A grant is what one authorization (a code, or a password grant) issues; its
 * random id is codes.grant_id, the family of its refresh tokens, the grant_id
 * of its opaque access tokens and the grant_id of the JWT ids in grant_jtis,
 * so that revoking the grant (a replayed code, a reused refresh token) finds
 * every token it issued by index. grant_jtis has no foreign key: its rows
 * outlive a deleted user until the tokens they name expire, so that a late
 * revocation still reaches them.
 *
 * used_at and rotated_at are 0 until a code is redeemed or a refresh token
 * rotated; the store's conditional updates test them, which makes each single
 * use atomic. login_throttle holds the failed sign-in counts by key. Each
 * table has an index on the expiry that housekeeping deletes by, and on the
 * user and application columns that revocations and cascades look up.
 * access_tokens gains the grant_id of migration 3's tokens ('' for those
 * issued without a grant, client credentials say) and an index on subject:
 * ending a user's grants also finds their opaque tokens by subject, whose
 * grant may have left no other trace.
 */
static const char v5_sql[] =
	"CREATE TABLE sessions (\n"
	"	hash BLOB NOT NULL PRIMARY KEY,\n"
	"	sid TEXT NOT NULL,\n"
	"	user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,\n"
	"	amr TEXT NOT NULL DEFAULT '',\n"
	"	auth_time INTEGER NOT NULL,\n"
	"	last_seen INTEGER NOT NULL,\n"
	"	expires_at INTEGER NOT NULL\n"
	");\n"
	"CREATE INDEX sessions_user ON sessions (user_id);\n"
	"CREATE INDEX sessions_expiry ON sessions (expires_at);\n"
	"CREATE TABLE auth_requests (\n"
	"	id TEXT NOT NULL PRIMARY KEY,\n"
	"	browser_hash BLOB NOT NULL,\n"
	"	client_id TEXT NOT NULL REFERENCES apps (client_id) ON DELETE CASCADE,\n"
	"	params TEXT NOT NULL,\n"
	"	created_at INTEGER NOT NULL,\n"
	"	expires_at INTEGER NOT NULL,\n"
	"	consented INTEGER NOT NULL DEFAULT 0\n"
	");\n"
	"CREATE INDEX auth_requests_client ON auth_requests (client_id);\n"
	"CREATE INDEX auth_requests_expiry ON auth_requests (expires_at);\n"
	"CREATE TABLE codes (\n"
	"	hash BLOB NOT NULL PRIMARY KEY,\n"
	"	grant_id TEXT NOT NULL,\n"
	"	client_id TEXT NOT NULL REFERENCES apps (client_id) ON DELETE CASCADE,\n"
	"	redirect_uri TEXT NOT NULL DEFAULT '',\n"
	"	user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,\n"
	"	scope TEXT NOT NULL DEFAULT '',\n"
	"	nonce TEXT NOT NULL DEFAULT '',\n"
	"	code_challenge TEXT NOT NULL DEFAULT '',\n"
	"	sid TEXT NOT NULL DEFAULT '',\n"
	"	amr TEXT NOT NULL DEFAULT '',\n"
	"	auth_time INTEGER NOT NULL,\n"
	"	created_at INTEGER NOT NULL,\n"
	"	expires_at INTEGER NOT NULL,\n"
	"	used_at INTEGER NOT NULL DEFAULT 0\n"
	");\n"
	"CREATE INDEX codes_grant ON codes (grant_id);\n"
	"CREATE INDEX codes_user ON codes (user_id);\n"
	"CREATE INDEX codes_client ON codes (client_id);\n"
	"CREATE INDEX codes_expiry ON codes (expires_at);\n"
	"CREATE TABLE refresh_tokens (\n"
	"	hash BLOB NOT NULL PRIMARY KEY,\n"
	"	family TEXT NOT NULL,\n"
	"	client_id TEXT NOT NULL REFERENCES apps (client_id) ON DELETE CASCADE,\n"
	"	user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,\n"
	"	scope TEXT NOT NULL DEFAULT '',\n"
	"	sid TEXT NOT NULL DEFAULT '',\n"
	"	amr TEXT NOT NULL DEFAULT '',\n"
	"	auth_time INTEGER NOT NULL,\n"
	"	issued_at INTEGER NOT NULL,\n"
	"	expires_at INTEGER NOT NULL,\n"
	"	rotated_at INTEGER NOT NULL DEFAULT 0,\n"
	"	revoked INTEGER NOT NULL DEFAULT 0\n"
	");\n"
	"CREATE INDEX refresh_tokens_family ON refresh_tokens (family);\n"
	"CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);\n"
	"CREATE INDEX refresh_tokens_client ON refresh_tokens (client_id);\n"
	"CREATE INDEX refresh_tokens_expiry ON refresh_tokens (expires_at);\n"
	"CREATE TABLE grant_jtis (\n"
	"	grant_id TEXT NOT NULL,\n"
	"	jti TEXT NOT NULL,\n"
	"	user_id INTEGER NOT NULL,\n"
	"	expires_at INTEGER NOT NULL,\n"
	"	PRIMARY KEY (grant_id, jti)\n"
	");\n"
	"CREATE INDEX grant_jtis_user ON grant_jtis (user_id);\n"
	"CREATE INDEX grant_jtis_expiry ON grant_jtis (expires_at);\n"
	"CREATE TABLE consents (\n"
	"	user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,\n"
	"	client_id TEXT NOT NULL REFERENCES apps (client_id) ON DELETE CASCADE,\n"
	"	scope TEXT NOT NULL DEFAULT '',\n"
	"	updated_at INTEGER NOT NULL,\n"
	"	PRIMARY KEY (user_id, client_id)\n"
	");\n"
	"CREATE INDEX consents_client ON consents (client_id);\n"
	"CREATE TABLE login_throttle (\n"
	"	key TEXT NOT NULL PRIMARY KEY,\n"
	"	failures INTEGER NOT NULL,\n"
	"	window_start INTEGER NOT NULL,\n"
	"	locked_until INTEGER NOT NULL DEFAULT 0,\n"
	"	lock_seconds INTEGER NOT NULL DEFAULT 0,\n"
	"	expires_at INTEGER NOT NULL\n"
	");\n"
	"CREATE INDEX login_throttle_expiry ON login_throttle (expires_at);\n"
	"ALTER TABLE access_tokens ADD COLUMN grant_id TEXT NOT NULL DEFAULT '';\n"
	"CREATE INDEX access_tokens_grant ON access_tokens (grant_id);\n"
	"CREATE INDEX access_tokens_subject ON access_tokens (subject);\n";

/*
 * Version 6: what OpenID Connect's claims request parameter (Core §5.5) and
 * signed userinfo answers (Core §5.3.2) add. An application's userinfo_alg
 * is '' for plain JSON. A code and its refresh tokens carry the normalised
 * claims request of their authorization ('' for none), so that every ID
 * token of the grant, refreshed ones too, honours it. Userinfo sees only an
 * access token, so each access token issued for a request that asked
 * userinfo for claims files them under its jti in token_claims: inspection
 * yields the jti of either format, JWT or opaque, so a lookup by primary key
 * finds them without changing the RFC 9068 token. A row lives as long as its
 * token: until the token's expiry, or with expires_at 0, for a token that
 * never expires or whose expiry slides, until its opaque token is gone.
 */
static const char v6_sql[] =
	"ALTER TABLE apps ADD COLUMN userinfo_alg TEXT NOT NULL DEFAULT '';\n"
	"ALTER TABLE codes ADD COLUMN claims TEXT NOT NULL DEFAULT '';\n"
	"ALTER TABLE refresh_tokens ADD COLUMN claims TEXT NOT NULL DEFAULT '';\n"
	"CREATE TABLE token_claims (\n"
	"	jti TEXT NOT NULL PRIMARY KEY,\n"
	"	claims TEXT NOT NULL,\n"
	"	expires_at INTEGER NOT NULL DEFAULT 0\n"
	");\n"
	"CREATE INDEX token_claims_expiry ON token_claims (expires_at);\n";

/*
 * Pending requests of latchkey's own pages (the admin console signing in)
 * have no client: client_id may be NULL. SQLite cannot drop a NOT NULL
 * constraint, so the table is copied; nothing refers to it.
 */
static const char v7_sql[] =
	"CREATE TABLE auth_requests_v7 (\n"
	"	id TEXT NOT NULL PRIMARY KEY,\n"
	"	browser_hash BLOB NOT NULL,\n"
	"	client_id TEXT REFERENCES apps (client_id) ON DELETE CASCADE,\n"
	"	params TEXT NOT NULL,\n"
	"	created_at INTEGER NOT NULL,\n"
	"	expires_at INTEGER NOT NULL,\n"
	"	consented INTEGER NOT NULL DEFAULT 0\n"
	");\n"
	"INSERT INTO auth_requests_v7 (id, browser_hash, client_id, params, created_at, "
	"expires_at, consented) SELECT id, browser_hash, client_id, params, created_at, "
	"expires_at, consented FROM auth_requests;\n"
	"DROP TABLE auth_requests;\n"
	"ALTER TABLE auth_requests_v7 RENAME TO auth_requests;\n"
	"CREATE INDEX auth_requests_client ON auth_requests (client_id);\n"
	"CREATE INDEX auth_requests_expiry ON auth_requests (expires_at);\n";

/*
 * Version 8: sign-in through upstream OpenID providers ([upstream.NAME],
 * DESIGN §3). upstream_flows holds one sign-in in flight between the
 * redirect to the upstream and its callback, found by the SHA-256 of its
 * state and bound to the browser that started it (browser_hash as in
 * auth_requests); nothing secret is stored, since the PKCE verifier and the
 * nonce are derived from the state under the master key. upstream_links
 * ties an upstream identity (its issuer and sub) to a local user, and goes
 * with the user.
 */
static const char v8_sql[] = "CREATE TABLE upstream_flows (\n"
			     "	state_hash BLOB NOT NULL PRIMARY KEY,\n"
			     "	upstream TEXT NOT NULL,\n"
			     "	request_id TEXT NOT NULL,\n"
			     "	browser_hash BLOB NOT NULL,\n"
			     "	created_at INTEGER NOT NULL,\n"
			     "	expires_at INTEGER NOT NULL\n"
			     ");\n"
			     "CREATE INDEX upstream_flows_expiry ON upstream_flows (expires_at);\n"
			     "CREATE TABLE upstream_links (\n"
			     "	issuer TEXT NOT NULL,\n"
			     "	subject TEXT NOT NULL,\n"
			     "	user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,\n"
			     "	upstream TEXT NOT NULL,\n"
			     "	created_at INTEGER NOT NULL,\n"
			     "	PRIMARY KEY (issuer, subject)\n"
			     ");\n"
			     "CREATE INDEX upstream_links_user ON upstream_links (user_id);\n";

const struct lk_migration lk_sqlite_migrations[] = {
	{1, "change counter and signing keys", v1_sql},
	{2, "applications, secrets, users, scopes and audit log", v2_sql},
	{3, "access tokens, revoked and consumed JWT ids, registration tokens", v3_sql},
	{4, "SCIM external ids, groups and their members", v4_sql},
	{5, "sign-in: sessions, pending requests, codes, refresh tokens, consents, throttling",
	 v5_sql},
	{6, "claims requests of codes, refresh and access tokens; signed userinfo", v6_sql},
	{7, "pending requests of latchkey's own pages", v7_sql},
	{8, "upstream providers: sign-ins in flight and linked identities", v8_sql},
};

const size_t lk_sqlite_migration_count =
	sizeof(lk_sqlite_migrations) / sizeof(lk_sqlite_migrations[0]);
