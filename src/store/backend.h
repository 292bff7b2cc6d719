/*
 * Private to src/store/: what store.c needs from each backend. store.c checks
 * every argument against the limits in store.h before a backend sees it, so a
 * backend only turns valid calls into SQL. Each backend keeps its own SQL
 * dialect and its own migration list; the lists carry the same versions so
 * that lk_store_latest_version means the same schema everywhere.
 */
#ifndef LK_STORE_BACKEND_H
#define LK_STORE_BACKEND_H

#include <stddef.h>

#include "store/store.h"

/* One step of the schema: applied once, in order of version, in one transaction. */
struct lk_migration {
	int version;		 /* 1, 2, 3, ... strictly increasing */
	const char *description; /* recorded in schema_migrations */
	const char *sql;	 /* one or more statements, no bound values */
};

/* The SQLite schema steps, oldest first (migrations_sqlite.c). */
extern const struct lk_migration lk_sqlite_migrations[];
extern const size_t lk_sqlite_migration_count;

/* Creates the table that records applied steps; safe to run when it exists. */
extern const char lk_sqlite_migrations_table_sql[];

/*
 * Opens the SQLite database file at path (":memory:" for a private in-memory
 * database), creating it if needed, and sets the connection up (WAL, busy
 * timeout, foreign keys). *out is closed with its ops->close. LK_ESTORE when
 * the file cannot be opened, LK_ENOMEM.
 */
enum lk_err lk_sqlite_open(const char *path, struct lk_store **out);

#endif
