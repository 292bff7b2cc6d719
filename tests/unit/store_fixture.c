/*
 * The fixture shared by the store test suites; see store_fixture.h. Linked
 * into every unit test program, so it defines no main() and nothing outside
 * the fx_ prefix.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "store/records.h"
#include "store/store.h"
#include "store_fixture.h"

const char *fx_sqlite_file(const char *url)
{
	return strncmp(url, "sqlite:", 7) == 0 ? url + 7 : NULL;
}

void fx_raw_exec(const char *url, const char *sql)
{
	const char *file = fx_sqlite_file(url);
	sqlite3 *db = NULL;
	PGconn *pg;
	PGresult *res;

	if (file) {
		assert_int_equal(sqlite3_open(file, &db), SQLITE_OK);
		assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
		sqlite3_close(db);
		return;
	}
	pg = PQconnectdb(url);
	if (PQstatus(pg) != CONNECTION_OK)
		fail_msg("cannot connect to " FX_ENV_URL ": %s", PQerrorMessage(pg));
	res = PQexec(pg, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		fail_msg("%s", PQerrorMessage(pg));
	PQclear(res);
	PQfinish(pg);
}

void fx_remove_sqlite(const char *path)
{
	static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
	char name[PATH_MAX + 16];

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(name, sizeof(name), "%s%s", path, suffixes[i]);
		unlink(name);
	}
}

void fx_temp_file(const char *tag, char *path, size_t len)
{
	int fd;

	assert_true((size_t)snprintf(path, len, "/tmp/lk_test_%s_XXXXXX", tag) < len);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
}

void fx_reset(struct fx *f)
{
	if (f->path[0])
		fx_remove_sqlite(f->path);
	else
		fx_raw_exec(f->url, "DROP SCHEMA public CASCADE; CREATE SCHEMA public");
}

int fx_setup(void **state, const char *tag, bool migrated)
{
	struct fx *f = calloc(1, sizeof(*f));
	const char *env = getenv(FX_ENV_URL);

	assert_non_null(f);
	if (env && env[0]) {
		assert_true(strlen(env) < sizeof(f->url));
		snprintf(f->url, sizeof(f->url), "%s", env);
		if (fx_sqlite_file(env))
			snprintf(f->path, sizeof(f->path), "%s", fx_sqlite_file(env));
		fx_reset(f);
	} else {
		fx_temp_file(tag, f->path, sizeof(f->path));
		snprintf(f->url, sizeof(f->url), "sqlite:%s", f->path);
	}
	if (migrated) {
		assert_int_equal(lk_store_open(f->url, &f->s), LK_OK);
		assert_int_equal(lk_store_migrate(f->s, NULL, NULL), LK_OK);
	}
	*state = f;
	return 0;
}

int fx_teardown(void **state)
{
	struct fx *f = *state;

	lk_store_close(f->s);
	if (f->path[0])
		fx_remove_sqlite(f->path);
	free(f);
	return 0;
}

struct lk_store *fx_db(void **state)
{
	return ((struct fx *)*state)->s;
}

struct lk_app fx_app(const char *client_id, const char *name)
{
	struct lk_app a = {
		.client_id = (char *)client_id,
		.name = (char *)name,
		.scopes = (char *)"api",
		.grant = LK_GRANT_CLIENT_CREDENTIALS,
		.strategy = LK_STRATEGY_WEB,
		.lifecycle = LK_LIFECYCLE_ABSOLUTE,
		.client_type = LK_CLIENT_CONFIDENTIAL,
		.token_format = LK_FORMAT_JWT,
		.id_token_alg = (char *)"RS256",
		.enabled = true,
		.created_at = 100,
		.updated_at = 100,
	};
	return a;
}

struct lk_user fx_user(const char *domain, const char *username, const char *email)
{
	struct lk_user u = {
		.domain = (char *)domain,
		.username = (char *)username,
		.email = (char *)email,
		.role = LK_ROLE_USER,
		.enabled = true,
		.created_at = 50,
		.updated_at = 50,
	};
	return u;
}

int64_t fx_add_user(struct lk_store *s, const char *domain, const char *username, const char *email)
{
	struct lk_user u = fx_user(domain, username, email);
	int64_t id = 0;

	assert_int_equal(lk_store_user_insert(s, &u, &id), LK_OK);
	assert_true(id > 0);
	return id;
}

void fx_hash_of(uint8_t h[LK_SHA256_LEN], int v)
{
	memset(h, 0, LK_SHA256_LEN);
	h[0] = (uint8_t)v;
	h[1] = (uint8_t)(v >> 8);
	h[LK_SHA256_LEN - 1] = 0xee;
}

void fx_fast_config(struct lk_config *cfg)
{
	char err[256];

	assert_int_equal(lk_config_init(cfg), LK_OK);
	assert_int_equal(lk_config_set(cfg, "users", "password_memory_kib", "256", "test", err,
				       sizeof(err)),
			 LK_OK);
	assert_int_equal(lk_config_set(cfg, "users", "password_iterations", "1", "test", err,
				       sizeof(err)),
			 LK_OK);
	assert_int_equal(lk_config_finish(cfg, err, sizeof(err)), LK_OK);
}

struct lk_store *fx_memory_store(void)
{
	struct lk_store *s = NULL;

	assert_int_equal(lk_store_open("sqlite::memory:", &s), LK_OK);
	assert_int_equal(lk_store_migrate(s, NULL, NULL), LK_OK);
	return s;
}
