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

const char lk_sqlite_migrations_table_sql[] =
	"CREATE TABLE IF NOT EXISTS schema_migrations (\n"
	"	version INTEGER PRIMARY KEY,\n"
	"	description TEXT,\n"
	"	applied_at INTEGER\n"
	")";

/*
 * Version 1: the change counter that running servers poll to reload their
 * caches, and the signing keys. Primary keys are declared NOT NULL because
 * SQLite, unlike PostgreSQL, otherwise lets a TEXT primary key hold NULL.
 */
static const char v1_sql[] =
	"CREATE TABLE meta (\n"
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

const struct lk_migration lk_sqlite_migrations[] = {
	{1, "change counter and signing keys", v1_sql},
};

const size_t lk_sqlite_migration_count =
	sizeof(lk_sqlite_migrations) / sizeof(lk_sqlite_migrations[0]);
