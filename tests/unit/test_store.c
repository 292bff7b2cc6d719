/*
 * The store test suite, one for every backend: opening, migrations,
 * transactions and signing keys. Each test gets a fresh database from
 * store_fixture.h: a SQLite file under /tmp, or the database
 * LATCHKEY_TEST_DB_URL names, which is WIPED before each test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "store/backend.h"
#include "store/store.h"
#include "store_fixture.h"

#define RACE_ROUNDS 5

/* Each test starts with an empty database it opens itself (f->s stays NULL). */
static int setup(void **state)
{
	return fx_setup(state, "store", false);
}

static struct lk_store *open_db(const struct fx *f)
{
	struct lk_store *s = NULL;

	assert_int_equal(lk_store_open(f->url, &s), LK_OK);
	assert_non_null(s);
	return s;
}

static struct lk_store *open_migrated(const struct fx *f)
{
	struct lk_store *s = open_db(f);

	assert_int_equal(lk_store_migrate(s, NULL, NULL), LK_OK);
	return s;
}

/* Sealed bytes with a NUL inside, so a string copy would be caught. */
static unsigned char sealed[] = {0x01, 0x00, 0xff, 0x42, 0x00, 0x7f};

static struct lk_key_record key(const char *kid, int64_t created, int64_t activate, int64_t expire)
{
	struct lk_key_record r = {
		.kid = (char *)kid,
		.alg = (char *)"ES256",
		.public_jwk = (char *)"{\"kty\":\"EC\"}",
		.private_sealed = sealed,
		.private_sealed_len = sizeof(sealed),
		.created_at = created,
		.activate_at = activate,
		.retire_at = 0,
		.expire_at = expire,
	};
	return r;
}

static size_t count_keys(struct lk_store *s)
{
	struct lk_key_record *list = NULL;
	size_t n = 99;

	assert_int_equal(lk_store_key_list(s, &list, &n), LK_OK);
	lk_key_records_free(list, n);
	return n;
}

static void test_open_close(void **state)
{
	struct lk_store *s = open_db(*state);

	assert_non_null(s->ops->name);
	assert_int_equal(lk_store_ping(s), LK_OK);
	lk_store_close(s);
	lk_store_close(NULL);
}

static void test_open_memory(void **state)
{
	struct lk_store *s = NULL;
	int from = -1, to = -1;

	assert_int_equal(lk_store_open("sqlite::memory:", &s), LK_OK);
	assert_string_equal(s->ops->name, "sqlite");
	assert_int_equal(lk_store_migrate(s, &from, &to), LK_OK);
	assert_int_equal(from, 0);
	assert_int_equal(to, lk_store_latest_version());
	lk_store_close(s);
}

static void test_url_errors(void **state)
{
	struct lk_store *sentinel = (struct lk_store *)&sentinel;
	struct lk_store *s = sentinel;
	char big[LK_STORE_URL_MAX + 16];

	assert_int_equal(lk_store_open(NULL, &s), LK_EINVAL);
	assert_int_equal(lk_store_open("sqlite:x.db", NULL), LK_EINVAL);
	assert_int_equal(lk_store_open("mysql://localhost/db", &s), LK_EINVAL);
	/* A PostgreSQL server that cannot be reached (a socket directory that does not exist). */
	assert_int_equal(lk_store_open("postgres://u:secret@/db?host=/nonexistent-lk-dir", &s),
			 LK_ESTORE);
	assert_int_equal(lk_store_open("postgresql:///db?host=/nonexistent-lk-dir", &s), LK_ESTORE);
	assert_int_equal(lk_store_open("sqlite:", &s), LK_EINVAL);
	assert_int_equal(lk_store_open("latchkey.db", &s), LK_EINVAL);
	assert_int_equal(lk_store_open("sqlite:/nonexistent-lk-dir/sub/x.db", &s), LK_ESTORE);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "sqlite:", 7);
	assert_int_equal(lk_store_open(big, &s), LK_ETOOBIG);
	assert_ptr_equal(s, sentinel);

	assert_true(lk_store_url_supported("sqlite:latchkey.db"));
	assert_true(lk_store_url_supported("SQLite:/var/lib/latchkey/db"));
	assert_true(lk_store_url_supported("sqlite::memory:"));
	assert_true(lk_store_url_supported("postgres://h/db"));
	assert_true(lk_store_url_supported("postgresql://h/db"));
	assert_false(lk_store_url_supported("sqlite:"));
	assert_false(lk_store_url_supported("mysql://h/db"));
	assert_false(lk_store_url_supported(""));
	assert_false(lk_store_url_supported(NULL));
	assert_false(lk_store_url_supported(big));
}

static void test_sqlite_dir(void **state)
{
	char out[64], tiny[4];

	assert_int_equal(lk_store_sqlite_dir("sqlite:latchkey.db", out, sizeof(out)), LK_OK);
	assert_string_equal(out, ".");
	assert_int_equal(lk_store_sqlite_dir("sqlite:/var/lib/lk/x.db", out, sizeof(out)), LK_OK);
	assert_string_equal(out, "/var/lib/lk");
	assert_int_equal(lk_store_sqlite_dir("sqlite:data//x.db", out, sizeof(out)), LK_OK);
	assert_string_equal(out, "data");
	assert_int_equal(lk_store_sqlite_dir("sqlite:/x.db", out, sizeof(out)), LK_OK);
	assert_string_equal(out, "/");
	assert_int_equal(lk_store_sqlite_dir("sqlite:../db/x.db", out, sizeof(out)), LK_OK);
	assert_string_equal(out, "../db");

	memcpy(tiny, "ok", 3);
	assert_int_equal(lk_store_sqlite_dir("sqlite:/var/lib/x.db", tiny, sizeof(tiny)),
			 LK_ETOOBIG);
	assert_string_equal(tiny, "ok");
	assert_int_equal(lk_store_sqlite_dir("sqlite::memory:", out, sizeof(out)), LK_EINVAL);
	assert_int_equal(lk_store_sqlite_dir("sqlite:", out, sizeof(out)), LK_EINVAL);
	assert_int_equal(lk_store_sqlite_dir("sqlite:dir/", out, sizeof(out)), LK_EINVAL);
	assert_int_equal(lk_store_sqlite_dir("postgres://h/db", out, sizeof(out)), LK_EINVAL);
	assert_int_equal(lk_store_sqlite_dir(NULL, out, sizeof(out)), LK_EINVAL);
}

static void test_migration_list(void **state)
{
	int prev = 0;

	assert_true(lk_sqlite_migration_count > 0);
	for (size_t i = 0; i < lk_sqlite_migration_count; i++) {
		assert_int_equal(lk_sqlite_migrations[i].version, prev + 1);
		assert_true(strlen(lk_sqlite_migrations[i].description) > 0);
		assert_true(strlen(lk_sqlite_migrations[i].sql) > 0);
		prev = lk_sqlite_migrations[i].version;
	}
	assert_int_equal(lk_store_latest_version(), prev);
}

static void test_migrate_empty(void **state)
{
	struct lk_store *s = open_db(*state);
	int from = -1, to = -1, v = -1;
	int64_t seq = -1;

	assert_int_equal(lk_store_schema_version(s, &v), LK_OK);
	assert_int_equal(v, 0);
	/* Before migrating, the tables do not exist. */
	assert_int_equal(lk_store_change_seq(s, &seq), LK_ESTORE);
	assert_int_equal(seq, -1);

	assert_int_equal(lk_store_migrate(s, &from, &to), LK_OK);
	assert_int_equal(from, 0);
	assert_int_equal(to, lk_store_latest_version());
	assert_int_equal(lk_store_schema_version(s, &v), LK_OK);
	assert_int_equal(v, lk_store_latest_version());
	assert_int_equal(lk_store_change_seq(s, &seq), LK_OK);
	assert_int_equal(seq, 0);
	assert_int_equal(count_keys(s), 0);
	lk_store_close(s);
}

static void test_migrate_twice(void **state)
{
	struct lk_store *s = open_migrated(*state);
	int from = -1, to = -1;

	assert_int_equal(lk_store_migrate(s, &from, &to), LK_OK);
	assert_int_equal(from, lk_store_latest_version());
	assert_int_equal(to, lk_store_latest_version());
	lk_store_close(s);

	/* A new connection finds the schema in place too. */
	s = open_db(*state);
	from = to = -1;
	assert_int_equal(lk_store_migrate(s, &from, &to), LK_OK);
	assert_int_equal(from, lk_store_latest_version());
	assert_int_equal(to, lk_store_latest_version());
	lk_store_close(s);
}

static void test_migrate_newer(void **state)
{
	struct fx *f = *state;
	struct lk_store *s = open_migrated(f);
	int from = -1, to = -1, v = -1;
	char sql[160];

	snprintf(sql, sizeof(sql),
		 "INSERT INTO schema_migrations (version, description, applied_at) "
		 "VALUES (%d, 'from the future', 0)",
		 lk_store_latest_version() + 1000);
	fx_raw_exec(f->url, sql);
	assert_int_equal(lk_store_migrate(s, &from, &to), LK_ESTORE_VERSION);
	assert_int_equal(from, -1);
	assert_int_equal(to, -1);
	assert_int_equal(lk_store_schema_version(s, &v), LK_OK);
	assert_int_equal(v, lk_store_latest_version() + 1000);
	/* The failed migration left no transaction open. */
	assert_int_equal(lk_store_begin(s), LK_OK);
	assert_int_equal(lk_store_rollback(s), LK_OK);
	lk_store_close(s);
}

struct racer {
	const char *url;
	pthread_barrier_t *start;
	enum lk_err open_err, err;
	int from, to;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	struct lk_store *s = NULL;

	pthread_barrier_wait(r->start);
	r->open_err = lk_store_open(r->url, &s);
	if (r->open_err)
		return NULL;
	r->err = lk_store_migrate(s, &r->from, &r->to);
	lk_store_close(s);
	return NULL;
}

/*
 * Two connections migrate one database at once. Both must succeed; if a step
 * ran twice its CREATE TABLE would fail, and exactly one of them started from
 * an empty database.
 */
static void test_migrate_concurrent(void **state)
{
	struct fx *f = *state;
	pthread_barrier_t start;
	struct racer r[2];
	pthread_t t[2];
	struct lk_store *s;
	int64_t seq = -1;
	int v = -1;

	for (int round = 0; round < RACE_ROUNDS; round++) {
		fx_reset(f);
		assert_int_equal(pthread_barrier_init(&start, NULL, 2), 0);
		for (int i = 0; i < 2; i++) {
			r[i] = (struct racer){.url = f->url, .start = &start, .from = -1, .to = -1};
			assert_int_equal(pthread_create(&t[i], NULL, race, &r[i]), 0);
		}
		for (int i = 0; i < 2; i++)
			pthread_join(t[i], NULL);
		pthread_barrier_destroy(&start);
		for (int i = 0; i < 2; i++) {
			assert_int_equal(r[i].open_err, LK_OK);
			assert_int_equal(r[i].err, LK_OK);
			assert_int_equal(r[i].to, lk_store_latest_version());
		}
		assert_true((r[0].from == 0) != (r[1].from == 0));

		s = open_db(f);
		assert_int_equal(lk_store_schema_version(s, &v), LK_OK);
		assert_int_equal(v, lk_store_latest_version());
		assert_int_equal(lk_store_change_seq(s, &seq), LK_OK);
		assert_int_equal(seq, 0);
		lk_store_close(s);
	}
}

static void assert_key(const struct lk_key_record *got, const char *kid, int64_t created,
		       int64_t activate)
{
	assert_string_equal(got->kid, kid);
	assert_string_equal(got->alg, "ES256");
	assert_string_equal(got->public_jwk, "{\"kty\":\"EC\"}");
	assert_int_equal(got->private_sealed_len, sizeof(sealed));
	assert_memory_equal(got->private_sealed, sealed, sizeof(sealed));
	assert_int_equal(got->created_at, created);
	assert_int_equal(got->activate_at, activate);
}

static void test_key_insert_list(void **state)
{
	struct lk_store *s = open_migrated(*state);
	const char *odd = "x'); DROP TABLE signing_keys; --";
	struct lk_key_record *list = NULL;
	struct lk_key_record r;
	size_t n = 0;

	r = key("k-late", 10, 300, 0);
	assert_int_equal(lk_store_key_insert(s, &r), LK_OK);
	r = key("k-b", 20, 100, 0);
	assert_int_equal(lk_store_key_insert(s, &r), LK_OK);
	r = key("k-a", 20, 100, 0);
	assert_int_equal(lk_store_key_insert(s, &r), LK_OK);
	r = key("k-first", 30, 50, 0);
	assert_int_equal(lk_store_key_insert(s, &r), LK_OK);
	r = key(odd, 40, 400, 0);
	assert_int_equal(lk_store_key_insert(s, &r), LK_OK);

	r = key("k-a", 99, 99, 0);
	assert_int_equal(lk_store_key_insert(s, &r), LK_EEXIST);

	assert_int_equal(lk_store_key_list(s, &list, &n), LK_OK);
	assert_int_equal(n, 5);
	assert_key(&list[0], "k-first", 30, 50);
	assert_key(&list[1], "k-a", 20, 100);
	assert_key(&list[2], "k-b", 20, 100);
	assert_key(&list[3], "k-late", 10, 300);
	assert_key(&list[4], odd, 40, 400);
	assert_int_equal(list[0].retire_at, 0);
	assert_int_equal(list[0].expire_at, 0);
	lk_key_records_free(list, n);
	lk_store_close(s);
}

static void test_key_bad_input(void **state)
{
	struct lk_store *s = open_migrated(*state);
	char long_kid[LK_KEY_KID_MAX + 2];
	struct lk_key_record r;

	memset(long_kid, 'k', sizeof(long_kid) - 1);
	long_kid[sizeof(long_kid) - 1] = '\0';
	r = key(long_kid, 1, 1, 0);
	assert_int_equal(lk_store_key_insert(s, &r), LK_ETOOBIG);
	r = key("", 1, 1, 0);
	assert_int_equal(lk_store_key_insert(s, &r), LK_EINVAL);
	r = key("k", 1, 1, 0);
	r.alg = NULL;
	assert_int_equal(lk_store_key_insert(s, &r), LK_EINVAL);
	r = key("k", 1, 1, 0);
	r.private_sealed_len = 0;
	assert_int_equal(lk_store_key_insert(s, &r), LK_EINVAL);
	r = key("k", 1, 1, 0);
	r.private_sealed_len = LK_KEY_SEALED_MAX + 1;
	assert_int_equal(lk_store_key_insert(s, &r), LK_ETOOBIG);
	r = key("k", -1, 1, 0);
	assert_int_equal(lk_store_key_insert(s, &r), LK_EINVAL);
	assert_int_equal(lk_store_key_insert(s, NULL), LK_EINVAL);
	assert_int_equal(lk_store_key_insert(NULL, &r), LK_EINVAL);
	assert_int_equal(lk_store_key_set_times(s, NULL, 1, 2), LK_EINVAL);
	assert_int_equal(lk_store_key_set_times(s, "k", -1, 2), LK_EINVAL);
	assert_int_equal(count_keys(s), 0);
	lk_store_close(s);
}

static void test_key_set_times(void **state)
{
	struct lk_store *s = open_migrated(*state);
	struct lk_key_record *list = NULL;
	struct lk_key_record r = key("k1", 1, 2, 0);
	size_t n = 0;

	assert_int_equal(lk_store_key_insert(s, &r), LK_OK);
	assert_int_equal(lk_store_key_set_times(s, "missing", 5, 6), LK_ENOTFOUND);
	assert_int_equal(lk_store_key_set_times(s, "k1", 500, 600), LK_OK);
	assert_int_equal(lk_store_key_list(s, &list, &n), LK_OK);
	assert_int_equal(n, 1);
	assert_int_equal(list[0].retire_at, 500);
	assert_int_equal(list[0].expire_at, 600);
	assert_int_equal(list[0].activate_at, 2);
	lk_key_records_free(list, n);
	lk_store_close(s);
}

static void test_key_delete_expired(void **state)
{
	struct lk_store *s = open_migrated(*state);
	struct lk_key_record *list = NULL;
	struct lk_key_record r;
	size_t n = 0;
	int deleted = -1;

	r = key("never", 1, 1, 0);
	assert_int_equal(lk_store_key_insert(s, &r), LK_OK);
	r = key("e100", 1, 2, 100);
	assert_int_equal(lk_store_key_insert(s, &r), LK_OK);
	r = key("e200", 1, 3, 200);
	assert_int_equal(lk_store_key_insert(s, &r), LK_OK);
	r = key("e300", 1, 4, 300);
	assert_int_equal(lk_store_key_insert(s, &r), LK_OK);

	assert_int_equal(lk_store_key_delete_expired(s, 99, &deleted), LK_OK);
	assert_int_equal(deleted, 0);
	assert_int_equal(lk_store_key_delete_expired(s, 200, &deleted), LK_OK);
	assert_int_equal(deleted, 2);
	assert_int_equal(lk_store_key_list(s, &list, &n), LK_OK);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].kid, "never");
	assert_string_equal(list[1].kid, "e300");
	lk_key_records_free(list, n);
	assert_int_equal(lk_store_key_delete_expired(s, 200, &deleted), LK_OK);
	assert_int_equal(deleted, 0);
	assert_int_equal(lk_store_key_delete_expired(s, 200, NULL), LK_OK);
	lk_store_close(s);
}

static void test_transactions(void **state)
{
	struct lk_store *s = open_migrated(*state);
	struct lk_key_record r = key("tx", 1, 1, 0);

	assert_int_equal(lk_store_begin(s), LK_OK);
	assert_int_equal(lk_store_key_insert(s, &r), LK_OK);
	assert_int_equal(count_keys(s), 1);
	assert_int_equal(lk_store_begin(s), LK_ESTATE);
	assert_int_equal(lk_store_rollback(s), LK_OK);
	assert_int_equal(count_keys(s), 0);

	assert_int_equal(lk_store_begin(s), LK_OK);
	assert_int_equal(lk_store_key_insert(s, &r), LK_OK);
	assert_int_equal(lk_store_change_bump(s), LK_OK);
	assert_int_equal(lk_store_commit(s), LK_OK);
	assert_int_equal(count_keys(s), 1);

	assert_int_equal(lk_store_commit(s), LK_ESTATE);
	assert_int_equal(lk_store_rollback(s), LK_OK);
	/* Migrating inside a transaction is refused. */
	assert_int_equal(lk_store_begin(s), LK_OK);
	assert_int_equal(lk_store_migrate(s, NULL, NULL), LK_ESTATE);
	assert_int_equal(lk_store_rollback(s), LK_OK);
	lk_store_close(s);

	/* A rollback after a failed statement leaves the store usable. */
	s = open_db(*state);
	assert_int_equal(lk_store_begin(s), LK_OK);
	assert_int_equal(lk_store_key_insert(s, &r), LK_EEXIST);
	assert_int_equal(lk_store_rollback(s), LK_OK);
	assert_int_equal(count_keys(s), 1);
	lk_store_close(s);
}

struct writer {
	const char *url;
	enum lk_err err;
};

static void *write_other(void *arg)
{
	struct writer *w = arg;
	struct lk_store *s = NULL;
	struct lk_key_record r = key("other", 1, 1, 0);

	w->err = lk_store_open(w->url, &s);
	if (!w->err)
		w->err = lk_store_key_insert(s, &r);
	lk_store_close(s);
	return NULL;
}

/*
 * A transaction that reads and then writes must not fail because another
 * connection wrote in between: begin takes the write lock at once (SQLite)
 * or the rows do not conflict (PostgreSQL), and both writes land.
 */
static void test_read_then_write(void **state)
{
	struct fx *f = *state;
	struct lk_store *s = open_migrated(f);
	struct lk_key_record r = key("mine", 1, 1, 0);
	struct writer w = {.url = f->url, .err = LK_EINTERNAL};
	pthread_t t;

	assert_int_equal(lk_store_begin(s), LK_OK);
	assert_int_equal(count_keys(s), 0);
	assert_int_equal(pthread_create(&t, NULL, write_other, &w), 0);
	usleep(100 * 1000);
	assert_int_equal(lk_store_key_insert(s, &r), LK_OK);
	assert_int_equal(lk_store_commit(s), LK_OK);
	pthread_join(t, NULL);
	assert_int_equal(w.err, LK_OK);
	assert_int_equal(count_keys(s), 2);
	lk_store_close(s);
}

static void test_change_seq(void **state)
{
	struct lk_store *a = open_migrated(*state);
	struct lk_store *b = open_db(*state);
	int64_t seq = -1;

	assert_int_equal(lk_store_change_seq(a, &seq), LK_OK);
	assert_int_equal(seq, 0);
	assert_int_equal(lk_store_change_bump(a), LK_OK);
	assert_int_equal(lk_store_change_seq(a, &seq), LK_OK);
	assert_int_equal(seq, 1);
	assert_int_equal(lk_store_change_bump(a), LK_OK);
	assert_int_equal(lk_store_change_seq(b, &seq), LK_OK);
	assert_int_equal(seq, 2);
	assert_int_equal(lk_store_change_bump(b), LK_OK);
	assert_int_equal(lk_store_change_seq(a, &seq), LK_OK);
	assert_int_equal(seq, 3);
	lk_store_close(b);
	lk_store_close(a);
}

/* A reader sees committed writes of another connection, and only those. */
static void test_visibility(void **state)
{
	struct lk_store *a = open_migrated(*state);
	struct lk_store *b = open_db(*state);
	struct lk_key_record r = key("shared", 1, 1, 0);

	assert_int_equal(lk_store_begin(a), LK_OK);
	assert_int_equal(lk_store_key_insert(a, &r), LK_OK);
	assert_int_equal(count_keys(b), 0); /* not blocked by the writer */
	assert_int_equal(lk_store_commit(a), LK_OK);
	assert_int_equal(count_keys(b), 1);
	lk_store_close(b);
	lk_store_close(a);
}

static void test_ping(void **state)
{
	struct lk_store *s = open_db(*state);

	for (int i = 0; i < 3; i++)
		assert_int_equal(lk_store_ping(s), LK_OK);
	assert_int_equal(lk_store_ping(NULL), LK_EINVAL);
	lk_store_close(s);
}

static void test_record_free(void **state)
{
	struct lk_key_record r = {0};

	lk_key_record_release(NULL);
	lk_key_records_free(NULL, 0);
	lk_key_records_free(NULL, 5);
	r.kid = strdup("kid");
	r.alg = strdup("RS256");
	r.public_jwk = NULL;
	r.private_sealed = malloc(8);
	assert_non_null(r.private_sealed);
	memset(r.private_sealed, 0xaa, 8);
	r.private_sealed_len = 8;
	r.expire_at = 5;
	lk_key_record_release(&r);
	assert_null(r.kid);
	assert_null(r.alg);
	assert_null(r.private_sealed);
	assert_int_equal(r.private_sealed_len, 0);
	assert_int_equal(r.expire_at, 0);
	lk_key_record_release(&r); /* twice is harmless */
}

static void test_key_list_empty(void **state)
{
	struct lk_store *s = open_migrated(*state);
	struct lk_key_record *list = (struct lk_key_record *)&list;
	size_t n = 7;

	assert_int_equal(lk_store_key_list(s, &list, &n), LK_OK);
	assert_null(list);
	assert_int_equal(n, 0);
	assert_int_equal(lk_store_key_list(s, NULL, &n), LK_EINVAL);
	lk_store_close(s);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_open_close),	    T(test_open_memory),    T(test_url_errors),
		T(test_sqlite_dir),	    T(test_migration_list), T(test_migrate_empty),
		T(test_migrate_twice),	    T(test_migrate_newer),  T(test_migrate_concurrent),
		T(test_key_insert_list),    T(test_key_bad_input),  T(test_key_set_times),
		T(test_key_delete_expired), T(test_transactions),   T(test_change_seq),
		T(test_read_then_write),    T(test_visibility),	    T(test_ping),
		T(test_record_free),	    T(test_key_list_empty),
	};

	/* Expected failures log errors; the informational lines are noise here. */
	lk_log_setup(LK_LOG_WARN, LK_LOG_TEXT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
