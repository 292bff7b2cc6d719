/*
 * The fixture shared by the store test suites (test_store*.c): a fresh
 * database for every test, SQL run beside the store to set up odd states, and
 * the minimal records most tests start from.
 *
 * By default each test gets a new SQLite file under /tmp, removed afterwards.
 * With LATCHKEY_TEST_DB_URL set, every test runs against that database
 * instead, which is WIPED before each test (a SQLite file is deleted; for
 * PostgreSQL the public schema is dropped and recreated), so point it only at
 * a database that exists for testing.
 *
 * Every function here reports a failure through a cmocka assertion, which
 * ends the current test; none of them returns an error.
 */
#ifndef LK_TESTS_STORE_FIXTURE_H
#define LK_TESTS_STORE_FIXTURE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "store/store.h"

/* The environment variable that names the database every test runs against. */
#define FX_ENV_URL "LATCHKEY_TEST_DB_URL"

/* What a test finds in its state: where its database is, and maybe a connection. */
struct fx {
	char url[LK_STORE_URL_MAX + PATH_MAX];
	char path[PATH_MAX]; /* the SQLite file to remove, "" for another backend */
	struct lk_store *s;  /* an open, migrated store, or NULL (see fx_setup) */
};

/*
 * The file name of a "sqlite:" URL, pointing into url itself, or NULL when
 * url names another backend.
 */
const char *fx_sqlite_file(const char *url);

/*
 * Runs sql (one or more statements that return no rows) on the database of
 * url on a connection of its own, outside the store, to set up states the
 * store would refuse to write. Fails the test when the database cannot be
 * reached or a statement fails.
 */
void fx_raw_exec(const char *url, const char *sql);

/*
 * Deletes the SQLite database file path and its -wal, -shm and -journal
 * companions; files that do not exist are no error.
 */
void fx_remove_sqlite(const char *path);

/*
 * Creates a new empty file /tmp/lk_test_<tag>_XXXXXX for a SQLite database
 * and writes its name to path (of len bytes). The caller removes it, with
 * fx_remove_sqlite. Fails the test when no file can be made.
 */
void fx_temp_file(const char *tag, char *path, size_t len);

/*
 * Makes the database of f empty again: removes the SQLite file, or drops and
 * recreates the public schema of PostgreSQL. Any connection of f->s is left
 * alone, so close it first.
 */
void fx_reset(struct fx *f);

/*
 * The body of a cmocka setup: allocates a struct fx into *state for an empty
 * database, either the one LATCHKEY_TEST_DB_URL names (wiped with fx_reset)
 * or a new temporary file named after tag (see fx_temp_file). With migrated,
 * it also opens that database into f->s and applies every migration;
 * otherwise f->s stays NULL and the test opens what it needs. Returns 0 for
 * cmocka; release with fx_teardown.
 */
int fx_setup(void **state, const char *tag, bool migrated);

/*
 * The cmocka teardown that goes with fx_setup: closes f->s if open, removes
 * the SQLite file (the one of LATCHKEY_TEST_DB_URL too) and frees the fixture.
 * Returns 0.
 */
int fx_teardown(void **state);

/* The store fx_setup opened for the test whose state this is (borrowed). */
struct lk_store *fx_db(void **state);

/*
 * A minimal valid confidential client-credentials application with the
 * scope "api", created and updated at 100. Its strings are borrowed from the
 * arguments and literals: adjust members freely, but never release it.
 */
struct lk_app fx_app(const char *client_id, const char *name);

/*
 * A minimal valid enabled user of role "user", created and updated at 50.
 * email may be NULL. Strings are borrowed, as in fx_app.
 */
struct lk_user fx_user(const char *domain, const char *username, const char *email);

/*
 * Inserts fx_user(domain, username, email) into s and returns its new id,
 * failing the test unless the insert succeeds with a positive id.
 */
int64_t fx_add_user(struct lk_store *s, const char *domain, const char *username,
		    const char *email);

/*
 * Writes to h a hash distinct for every v in 0..65535, with a NUL byte
 * inside so that code reading it as text would be caught.
 */
void fx_hash_of(uint8_t h[LK_SHA256_LEN], int v);

/*
 * Fills cfg with the finished default configuration, except for small
 * Argon2id parameters so that tests creating users stay fast. Release it
 * with lk_config_release.
 */
void fx_fast_config(struct lk_config *cfg);

/* A migrated in-memory SQLite store; close it with lk_store_close. */
struct lk_store *fx_memory_store(void);

#endif
