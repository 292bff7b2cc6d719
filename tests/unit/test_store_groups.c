/*
 * The store's groups and their members, and the SCIM external id of users
 * across the migration that added it. Each test gets a fresh database from
 * store_fixture.h: a SQLite file under /tmp, or the database
 * LATCHKEY_TEST_DB_URL names, which is WIPED before each test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/log.h"
#include "store/backend.h"
#include "store/records.h"
#include "store/store.h"
#include "store_fixture.h"

/* Each test starts with a freshly migrated, empty registry in f->s. */
static int setup(void **state)
{
	return fx_setup(state, "groups", true);
}

/* Adds the user username of domain corp, without an email; returns its id. */
static int64_t add_user(struct lk_store *s, const char *username)
{
	return fx_add_user(s, "corp", username, NULL);
}

/* A group record over the caller's member array (not owned). */
static struct lk_group group(const char *name, int64_t *members, size_t n)
{
	struct lk_group g = {
		.display_name = (char *)name,
		.members = members,
		.nmembers = n,
		.created_at = 100,
		.updated_at = 100,
	};
	return g;
}

static int64_t add_group(struct lk_store *s, const char *name, int64_t *members, size_t n)
{
	struct lk_group g = group(name, members, n);
	int64_t id = 0;

	assert_int_equal(lk_store_group_insert(s, &g, &id), LK_OK);
	assert_true(id > 0);
	return id;
}

static size_t count_groups(struct lk_store *s)
{
	struct lk_group *list = NULL;
	size_t n = 99;

	assert_int_equal(lk_store_group_list(s, &list, &n), LK_OK);
	lk_groups_free(list, n);
	return n;
}

/* Checks that group id has exactly the n members of want (ascending). */
static void assert_members(struct lk_store *s, int64_t id, const int64_t *want, size_t n)
{
	struct lk_group g = {0};

	assert_int_equal(lk_store_group_get(s, id, &g), LK_OK);
	assert_int_equal(g.nmembers, n);
	if (n == 0)
		assert_null(g.members);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(g.members[i], want[i]);
	lk_group_release(&g);
}

/* ---- Groups ---- */

static void test_group_insert_get(void **state)
{
	struct lk_store *s = fx_db(state);
	int64_t a = add_user(s, "alice"), b = add_user(s, "bob");
	int64_t members[] = {b, a, b, a};
	struct lk_group g = group("Engineering", members, 4);
	struct lk_group got = {0};
	int64_t id = 0, id2 = 0;

	g.external_id = (char *)"ext-42";
	g.id = 999; /* ignored */
	g.created_at = 10;
	g.updated_at = 11;
	assert_int_equal(lk_store_group_insert(s, &g, &id), LK_OK);
	assert_true(id > 0);
	assert_int_not_equal(id, 999);
	assert_int_equal(lk_store_group_get(s, id, &got), LK_OK);
	assert_int_equal(got.id, id);
	assert_string_equal(got.display_name, "Engineering");
	assert_string_equal(got.external_id, "ext-42");
	assert_int_equal(got.created_at, 10);
	assert_int_equal(got.updated_at, 11);
	/* Duplicates collapse, and the list comes back ascending. */
	assert_int_equal(got.nmembers, 2);
	assert_int_equal(got.members[0], a);
	assert_int_equal(got.members[1], b);
	lk_group_release(&got);

	/* No members, no external id (stored as ""), no id wanted. */
	g = group("Empty", NULL, 0);
	assert_int_equal(lk_store_group_insert(s, &g, NULL), LK_OK);
	g = group("Other", NULL, 0);
	assert_int_equal(lk_store_group_insert(s, &g, &id2), LK_OK);
	assert_true(id2 > id);
	assert_int_equal(lk_store_group_get(s, id2, &got), LK_OK);
	assert_string_equal(got.external_id, "");
	assert_int_equal(got.nmembers, 0);
	assert_null(got.members);
	lk_group_release(&got);

	/* Names are unique regardless of case. */
	id2 = -5;
	g = group("ENGINEERING", members, 1);
	assert_int_equal(lk_store_group_insert(s, &g, &id2), LK_EEXIST);
	assert_int_equal(id2, -5);
	assert_int_equal(count_groups(s), 3);

	got.display_name = (char *)"untouched";
	assert_int_equal(lk_store_group_get(s, id + 100, &got), LK_ENOTFOUND);
	assert_int_equal(lk_store_group_get(s, 0, &got), LK_EINVAL);
	assert_int_equal(lk_store_group_get(s, -1, &got), LK_EINVAL);
	assert_int_equal(lk_store_group_get(s, id, NULL), LK_EINVAL);
	assert_string_equal(got.display_name, "untouched");
}

/* An unknown member refuses the whole insert: no group without its members. */
static void test_group_insert_unknown_member(void **state)
{
	struct lk_store *s = fx_db(state);
	int64_t a = add_user(s, "alice");
	int64_t members[] = {a, a + 100};
	struct lk_group g = group("Team", members, 2);
	int64_t id = -7;

	assert_int_equal(lk_store_group_insert(s, &g, &id), LK_ESTATE);
	assert_int_equal(id, -7);
	assert_int_equal(count_groups(s), 0);

	/* The same inside the caller's transaction, which stays usable. */
	assert_int_equal(lk_store_begin(s), LK_OK);
	assert_int_equal(lk_store_group_insert(s, &g, &id), LK_ESTATE);
	assert_int_equal(count_groups(s), 0);
	g.nmembers = 1;
	assert_int_equal(lk_store_group_insert(s, &g, &id), LK_OK);
	assert_int_equal(count_groups(s), 1);
	assert_int_equal(lk_store_rollback(s), LK_OK);
	assert_int_equal(count_groups(s), 0);

	/* And the name is free again afterwards. */
	assert_int_equal(lk_store_group_insert(s, &g, &id), LK_OK);
	assert_members(s, id, &a, 1);
}

static void test_group_list(void **state)
{
	struct lk_store *s = fx_db(state);
	struct lk_group *list = (struct lk_group *)&list;
	int64_t a = add_user(s, "alice"), b = add_user(s, "bob"), c = add_user(s, "carol");
	int64_t m1[] = {c, a}, m3[] = {b};
	size_t n = 3;

	assert_int_equal(lk_store_group_list(s, &list, &n), LK_OK);
	assert_null(list);
	assert_int_equal(n, 0);

	add_group(s, "gamma", m3, 1);
	add_group(s, "Beta", NULL, 0);
	add_group(s, "alpha", m1, 2);
	add_group(s, "delta", NULL, 0);
	assert_int_equal(lk_store_group_list(s, &list, &n), LK_OK);
	assert_int_equal(n, 4);
	assert_string_equal(list[0].display_name, "alpha");
	assert_int_equal(list[0].nmembers, 2);
	assert_int_equal(list[0].members[0], a);
	assert_int_equal(list[0].members[1], c);
	assert_string_equal(list[1].display_name, "Beta");
	assert_int_equal(list[1].nmembers, 0);
	assert_null(list[1].members);
	assert_string_equal(list[2].display_name, "delta");
	assert_int_equal(list[2].nmembers, 0);
	assert_string_equal(list[3].display_name, "gamma");
	assert_int_equal(list[3].nmembers, 1);
	assert_int_equal(list[3].members[0], b);
	assert_string_equal(list[3].external_id, "");
	assert_int_equal(list[3].created_at, 100);
	lk_groups_free(list, n);

	assert_int_equal(lk_store_group_list(s, NULL, &n), LK_EINVAL);
	assert_int_equal(lk_store_group_list(s, &list, NULL), LK_EINVAL);
}

static void test_group_update(void **state)
{
	struct lk_store *s = fx_db(state);
	int64_t a = add_user(s, "alice"), b = add_user(s, "bob"), c = add_user(s, "carol");
	int64_t m1[] = {a, b}, m2[] = {c, b, c};
	int64_t id = add_group(s, "Team", m1, 2);
	int64_t other = add_group(s, "Other", m1, 1);
	struct lk_group g = group("Renamed", m2, 3);
	struct lk_group got = {0};
	int64_t want[] = {b, c};

	g.id = id;
	g.external_id = (char *)"x-1";
	g.created_at = 1; /* ignored */
	g.updated_at = 200;
	assert_int_equal(lk_store_group_update(s, &g), LK_OK);
	assert_int_equal(lk_store_group_get(s, id, &got), LK_OK);
	assert_string_equal(got.display_name, "Renamed");
	assert_string_equal(got.external_id, "x-1");
	assert_int_equal(got.created_at, 100);
	assert_int_equal(got.updated_at, 200);
	lk_group_release(&got);
	assert_members(s, id, want, 2);
	/* The other group's members are its own. */
	assert_members(s, other, &a, 1);

	/* Its own name in another case is no conflict; another group's is. */
	g.display_name = (char *)"RENAMED";
	g.nmembers = 0;
	assert_int_equal(lk_store_group_update(s, &g), LK_OK);
	assert_members(s, id, NULL, 0);
	g.display_name = (char *)"other";
	g.members = m1;
	g.nmembers = 2;
	assert_int_equal(lk_store_group_update(s, &g), LK_EEXIST);
	assert_int_equal(lk_store_group_get(s, id, &got), LK_OK);
	assert_string_equal(got.display_name, "RENAMED");
	assert_int_equal(got.nmembers, 0);
	lk_group_release(&got);

	g.display_name = (char *)"New";
	g.id = id + other + 100;
	assert_int_equal(lk_store_group_update(s, &g), LK_ENOTFOUND);
	g.id = 0;
	assert_int_equal(lk_store_group_update(s, &g), LK_EINVAL);
	assert_int_equal(count_groups(s), 2);
}

/*
 * An unknown member fails the update after the name and the old members have
 * been written over; the caller's rollback, as the registry does it, leaves
 * the group as it was. Without a transaction the update changes nothing too.
 */
static void test_group_update_unknown_member(void **state)
{
	struct lk_store *s = fx_db(state);
	int64_t a = add_user(s, "alice"), b = add_user(s, "bob");
	int64_t m1[] = {a, b}, bad[] = {b, b + 100};
	int64_t id = add_group(s, "Team", m1, 2);
	struct lk_group g = group("Renamed", bad, 2);
	struct lk_group got = {0};

	g.id = id;
	g.updated_at = 300;
	assert_int_equal(lk_store_begin(s), LK_OK);
	assert_int_equal(lk_store_group_update(s, &g), LK_ESTATE);
	assert_int_equal(lk_store_rollback(s), LK_OK);
	assert_int_equal(lk_store_group_get(s, id, &got), LK_OK);
	assert_string_equal(got.display_name, "Team");
	assert_int_equal(got.updated_at, 100);
	lk_group_release(&got);
	assert_members(s, id, m1, 2);

	assert_int_equal(lk_store_group_update(s, &g), LK_ESTATE);
	assert_int_equal(lk_store_group_get(s, id, &got), LK_OK);
	assert_string_equal(got.display_name, "Team");
	lk_group_release(&got);
	assert_members(s, id, m1, 2);

	/* A good update in the caller's transaction is kept by its commit. */
	g.nmembers = 1;
	assert_int_equal(lk_store_begin(s), LK_OK);
	assert_int_equal(lk_store_group_update(s, &g), LK_OK);
	assert_int_equal(lk_store_commit(s), LK_OK);
	assert_members(s, id, &b, 1);
}

static void test_group_delete(void **state)
{
	struct lk_store *s = fx_db(state);
	int64_t a = add_user(s, "alice"), b = add_user(s, "bob");
	int64_t m[] = {a, b};
	int64_t id = add_group(s, "Team", m, 2);
	int64_t keep = add_group(s, "Keep", m, 1);
	struct lk_group *list = NULL;
	struct lk_user u = {0};
	size_t n = 0;
	int64_t id2;

	assert_int_equal(lk_store_group_delete(s, id), LK_OK);
	assert_int_equal(lk_store_group_delete(s, id), LK_ENOTFOUND);
	assert_int_equal(lk_store_group_delete(s, 0), LK_EINVAL);
	assert_int_equal(lk_store_group_get(s, id, &(struct lk_group){0}), LK_ENOTFOUND);
	/* The users stay; only the memberships went. */
	assert_int_equal(lk_store_user_get(s, a, &u), LK_OK);
	lk_user_release(&u);
	assert_int_equal(lk_store_user_get(s, b, &u), LK_OK);
	lk_user_release(&u);
	assert_int_equal(lk_store_user_groups(s, b, &list, &n), LK_OK);
	assert_int_equal(n, 0);
	assert_null(list);
	assert_members(s, keep, &a, 1);

	/* A group's id is its SCIM id: never handed out again. */
	assert_int_equal(lk_store_group_delete(s, keep), LK_OK);
	id2 = add_group(s, "Team", m, 2);
	assert_true(id2 > keep);
}

static void test_user_groups(void **state)
{
	struct lk_store *s = fx_db(state);
	int64_t a = add_user(s, "alice"), b = add_user(s, "bob");
	int64_t ab[] = {a, b};
	struct lk_group *list = (struct lk_group *)&list;
	size_t n = 5;
	int64_t zed, apes;

	zed = add_group(s, "zed", ab, 2);
	add_group(s, "Middle", &b, 1);
	apes = add_group(s, "Apes", ab, 2);
	assert_int_equal(lk_store_user_groups(s, a, &list, &n), LK_OK);
	assert_int_equal(n, 2);
	assert_int_equal(list[0].id, apes);
	assert_string_equal(list[0].display_name, "Apes");
	assert_string_equal(list[0].external_id, "");
	assert_int_equal(list[0].created_at, 100);
	assert_null(list[0].members);
	assert_int_equal(list[0].nmembers, 0);
	assert_int_equal(list[1].id, zed);
	assert_null(list[1].members);
	lk_groups_free(list, n);

	assert_int_equal(lk_store_user_groups(s, b, &list, &n), LK_OK);
	assert_int_equal(n, 3);
	assert_string_equal(list[0].display_name, "Apes");
	assert_string_equal(list[1].display_name, "Middle");
	assert_string_equal(list[2].display_name, "zed");
	lk_groups_free(list, n);

	/* A user in no group, or no user at all, is in no group. */
	assert_int_equal(lk_store_user_groups(s, b + 100, &list, &n), LK_OK);
	assert_int_equal(n, 0);
	assert_null(list);
	list = (struct lk_group *)&list;
	n = 5;
	assert_int_equal(lk_store_user_groups(s, 0, &list, &n), LK_EINVAL);
	assert_int_equal(lk_store_user_groups(s, a, NULL, &n), LK_EINVAL);
	assert_int_equal(lk_store_user_groups(s, a, &list, NULL), LK_EINVAL);
	assert_ptr_equal(list, (struct lk_group *)&list);
	assert_int_equal(n, 5);
}

/*
 * Deleting a user removes it from its groups, but a user an application acts
 * as still cannot be deleted, and keeps its memberships.
 */
static void test_user_delete_memberships(void **state)
{
	struct lk_store *s = fx_db(state);
	int64_t a = add_user(s, "alice"), b = add_user(s, "bob");
	int64_t ab[] = {a, b};
	int64_t id = add_group(s, "Team", ab, 2);
	struct lk_app app = fx_app("c1", "Robot");

	assert_int_equal(lk_store_user_delete(s, a), LK_OK);
	assert_members(s, id, &b, 1);

	app.user_id = b;
	assert_int_equal(lk_store_app_insert(s, &app), LK_OK);
	assert_int_equal(lk_store_user_delete(s, b), LK_ESTATE);
	assert_members(s, id, &b, 1);
	assert_int_equal(lk_store_app_delete(s, "c1"), LK_OK);
	assert_int_equal(lk_store_user_delete(s, b), LK_OK);
	assert_members(s, id, NULL, 0);
	assert_int_equal(count_groups(s), 1);
}

/* Enough members to grow the member arrays several times, in one group and over a list. */
static void test_group_many_members(void **state)
{
	struct lk_store *s = fx_db(state);
	enum { N = 300 };
	int64_t ids[N], rev[N];
	struct lk_group *list = NULL;
	char name[32];
	size_t n = 0;
	int64_t g1;

	assert_int_equal(lk_store_begin(s), LK_OK);
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "u%03d", i);
		ids[i] = add_user(s, name);
		rev[N - 1 - i] = ids[i];
	}
	assert_int_equal(lk_store_commit(s), LK_OK);
	g1 = add_group(s, "all", rev, N);
	add_group(s, "half", ids + N / 2, N / 2);
	add_group(s, "first", ids, 1);
	assert_members(s, g1, ids, N);
	assert_int_equal(lk_store_group_list(s, &list, &n), LK_OK);
	assert_int_equal(n, 3);
	assert_int_equal(list[0].nmembers, N);
	assert_string_equal(list[1].display_name, "first");
	assert_int_equal(list[1].nmembers, 1);
	assert_int_equal(list[1].members[0], ids[0]);
	assert_string_equal(list[2].display_name, "half");
	assert_int_equal(list[2].nmembers, N / 2);
	for (int i = 0; i < N; i++)
		assert_int_equal(list[0].members[i], ids[i]);
	for (int i = 0; i < N / 2; i++)
		assert_int_equal(list[2].members[i], ids[N / 2 + i]);
	lk_groups_free(list, n);
}

static void test_group_bad_input(void **state)
{
	struct lk_store *s = fx_db(state);
	int64_t a = add_user(s, "alice");
	char *big = malloc(LK_REC_STR_MAX + 2);
	int64_t zero[] = {a, 0}, neg[] = {-1};
	struct lk_group g;
	int64_t id = -3;

	assert_non_null(big);
	memset(big, 'n', LK_REC_STR_MAX + 1);
	big[LK_REC_STR_MAX + 1] = '\0';
	g = group("", NULL, 0);
	assert_int_equal(lk_store_group_insert(s, &g, &id), LK_EINVAL);
	g = group(NULL, NULL, 0);
	assert_int_equal(lk_store_group_insert(s, &g, &id), LK_EINVAL);
	g = group(big, NULL, 0);
	assert_int_equal(lk_store_group_insert(s, &g, &id), LK_ETOOBIG);
	g = group("ok", NULL, 0);
	g.external_id = big;
	assert_int_equal(lk_store_group_insert(s, &g, &id), LK_ETOOBIG);
	g = group("ok", NULL, 2);
	assert_int_equal(lk_store_group_insert(s, &g, &id), LK_EINVAL);
	g = group("ok", zero, 2);
	assert_int_equal(lk_store_group_insert(s, &g, &id), LK_EINVAL);
	g = group("ok", neg, 1);
	assert_int_equal(lk_store_group_insert(s, &g, &id), LK_EINVAL);
	/* The count is checked before any member is read. */
	g = group("ok", &a, (size_t)LK_STORE_LIST_MAX + 1);
	assert_int_equal(lk_store_group_insert(s, &g, &id), LK_ETOOMANY);
	g = group("ok", NULL, 0);
	g.created_at = -1;
	assert_int_equal(lk_store_group_insert(s, &g, &id), LK_EINVAL);
	g = group("ok", NULL, 0);
	g.updated_at = -1;
	assert_int_equal(lk_store_group_insert(s, &g, &id), LK_EINVAL);
	assert_int_equal(lk_store_group_insert(s, NULL, &id), LK_EINVAL);
	assert_int_equal(lk_store_group_insert(NULL, &g, &id), LK_EINVAL);
	assert_int_equal(id, -3);
	assert_int_equal(count_groups(s), 0);

	/* The same checks guard an update. */
	id = add_group(s, "Team", &a, 1);
	g = group("", NULL, 0);
	g.id = id;
	assert_int_equal(lk_store_group_update(s, &g), LK_EINVAL);
	g = group("Team2", zero, 2);
	g.id = id;
	assert_int_equal(lk_store_group_update(s, &g), LK_EINVAL);
	g = group("Team2", NULL, 0);
	g.id = id;
	g.external_id = big;
	assert_int_equal(lk_store_group_update(s, &g), LK_ETOOBIG);
	assert_int_equal(lk_store_group_update(s, NULL), LK_EINVAL);
	assert_members(s, id, &a, 1);
	free(big);
}

/*
 * Rows written by plain SQL read back into the right members, so the mapping
 * of columns to members is checked against the column names.
 */
static void test_group_columns(void **state)
{
	struct fx *f = *state;
	struct lk_group got = {0};
	int64_t a = add_user(f->s, "alice"), b = add_user(f->s, "bob");
	char sql[512];

	snprintf(sql, sizeof(sql),
		 "INSERT INTO groups (id, display_name, external_id, created_at, updated_at) "
		 "VALUES (7, 'Disp', 'Ext', 31, 32); "
		 "INSERT INTO groups (id, display_name, created_at, updated_at) "
		 "VALUES (8, 'Bare', 41, 42); "
		 "INSERT INTO group_members (group_id, user_id) VALUES (7, %lld), (7, %lld)",
		 (long long)b, (long long)a);
	fx_raw_exec(f->url, sql);
	assert_int_equal(lk_store_group_get(f->s, 7, &got), LK_OK);
	assert_int_equal(got.id, 7);
	assert_string_equal(got.display_name, "Disp");
	assert_string_equal(got.external_id, "Ext");
	assert_int_equal(got.created_at, 31);
	assert_int_equal(got.updated_at, 32);
	assert_int_equal(got.nmembers, 2);
	assert_int_equal(got.members[0], a);
	assert_int_equal(got.members[1], b);
	lk_group_release(&got);
	assert_int_equal(lk_store_group_get(f->s, 8, &got), LK_OK);
	assert_string_equal(got.external_id, "");
	assert_int_equal(got.nmembers, 0);
	lk_group_release(&got);
}

/* ---- The external id of users ---- */

static void test_user_external_id(void **state)
{
	struct lk_store *s = fx_db(state);
	struct lk_user u = fx_user("corp", "alice", NULL);
	struct lk_user got = {0};
	struct lk_user *list = NULL;
	char *big = malloc(LK_REC_STR_MAX + 2);
	char *saved;
	size_t n = 0;
	int64_t id = 0;

	assert_non_null(big);
	memset(big, 'x', LK_REC_STR_MAX + 1);
	big[LK_REC_STR_MAX + 1] = '\0';
	u.external_id = (char *)"hr-0001";
	assert_int_equal(lk_store_user_insert(s, &u, &id), LK_OK);
	assert_int_equal(lk_store_user_get(s, id, &got), LK_OK);
	assert_string_equal(got.external_id, "hr-0001");
	lk_user_release(&got);
	assert_int_equal(lk_store_user_find(s, "CORP", "Alice", &got), LK_OK);
	assert_string_equal(got.external_id, "hr-0001");

	/* An update writes it like the other profile fields. */
	got.external_id[0] = 'H';
	got.updated_at = 70;
	assert_int_equal(lk_store_user_update(s, &got), LK_OK);
	lk_user_release(&got);
	u = fx_user("corp", "bob", NULL);
	assert_int_equal(lk_store_user_insert(s, &u, NULL), LK_OK);
	assert_int_equal(lk_store_user_list(s, &list, &n), LK_OK);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].external_id, "Hr-0001");
	assert_string_equal(list[1].external_id, "");
	assert_int_equal(list[0].updated_at, 70);

	/* Too long: refused, and nothing changes. */
	saved = list[0].external_id;
	list[0].external_id = big;
	assert_int_equal(lk_store_user_update(s, &list[0]), LK_ETOOBIG);
	list[0].external_id = saved;
	lk_users_free(list, n);
	u = fx_user("corp", "carol", NULL);
	u.external_id = big;
	assert_int_equal(lk_store_user_insert(s, &u, NULL), LK_ETOOBIG);
	assert_int_equal(lk_store_user_get(s, id, &got), LK_OK);
	assert_string_equal(got.external_id, "Hr-0001");
	/* NULL is stored as "". */
	got.external_id[0] = '\0';
	free(got.external_id);
	got.external_id = NULL;
	assert_int_equal(lk_store_user_update(s, &got), LK_OK);
	lk_user_release(&got);
	assert_int_equal(lk_store_user_get(s, id, &got), LK_OK);
	assert_string_equal(got.external_id, "");
	lk_user_release(&got);
	free(big);
}

/* A row that plain SQL wrote without the column reads as "". */
static void test_user_external_id_default(void **state)
{
	struct fx *f = *state;
	struct lk_user got = {0};

	fx_raw_exec(f->url,
		    "INSERT INTO users (id, domain, username, role, created_at, updated_at) "
		    "VALUES (9, 'corp', 'old', 'user', 1, 2)");
	assert_int_equal(lk_store_user_get(f->s, 9, &got), LK_OK);
	assert_string_equal(got.username, "old");
	assert_string_equal(got.external_id, "");
	lk_user_release(&got);
}

/* Applies the SQLite migrations up to version `upto` by hand, as an older program did. */
static void migrate_sqlite_to(const char *file, int upto)
{
	sqlite3 *db = NULL;
	char sql[256];

	assert_int_equal(sqlite3_open(file, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, lk_sqlite_migrations_table_sql, NULL, NULL, NULL),
			 SQLITE_OK);
	for (size_t i = 0; i < lk_sqlite_migration_count; i++) {
		if (lk_sqlite_migrations[i].version > upto)
			break;
		assert_int_equal(sqlite3_exec(db, lk_sqlite_migrations[i].sql, NULL, NULL, NULL),
				 SQLITE_OK);
		snprintf(sql, sizeof(sql),
			 "INSERT INTO schema_migrations (version, description, applied_at) "
			 "VALUES (%d, 'by hand', 0)",
			 lk_sqlite_migrations[i].version);
		assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	}
	assert_int_equal(sqlite3_exec(db,
				      "INSERT INTO users (domain, username, role, created_at, "
				      "updated_at) VALUES ('corp', 'veteran', 'user', 1, 2)",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
}

/*
 * A database of schema 3 with a user in it upgrades to the latest: the user
 * gets an empty external id and can join a group. SQLite only, on its own file.
 */
static void test_upgrade_from_3(void **state)
{
	char path[PATH_MAX], url[PATH_MAX + 16];
	struct lk_store *s = NULL;
	struct lk_user got = {0};
	int from = -1, to = -1;
	int64_t gid;

	fx_temp_file("groups", path, sizeof(path));
	migrate_sqlite_to(path, 3);
	snprintf(url, sizeof(url), "sqlite:%s", path);
	assert_int_equal(lk_store_open(url, &s), LK_OK);
	assert_int_equal(lk_store_migrate(s, &from, &to), LK_OK);
	assert_int_equal(from, 3);
	assert_int_equal(to, lk_store_latest_version());
	assert_true(to >= 4);
	assert_int_equal(lk_store_user_find(s, "corp", "veteran", &got), LK_OK);
	assert_string_equal(got.external_id, "");
	gid = add_group(s, "Veterans", &got.id, 1);
	assert_members(s, gid, &got.id, 1);
	lk_user_release(&got);
	lk_store_close(s);
	fx_remove_sqlite(path);
}

/* ---- Records ---- */

static void test_group_release(void **state)
{
	struct lk_group g = {0};
	struct lk_group *arr = calloc(2, sizeof(*arr));

	lk_group_release(NULL);
	lk_groups_free(NULL, 3);
	g.display_name = strdup("Team");
	g.external_id = strdup("e");
	g.members = calloc(3, sizeof(*g.members));
	g.nmembers = 3;
	g.id = 4;
	lk_group_release(&g);
	assert_null(g.display_name);
	assert_null(g.external_id);
	assert_null(g.members);
	assert_int_equal(g.nmembers, 0);
	assert_int_equal(g.id, 0);
	lk_group_release(&g);

	assert_non_null(arr);
	arr[0].display_name = strdup("a");
	arr[1].members = calloc(1, sizeof(*arr[1].members));
	arr[1].nmembers = 1;
	lk_groups_free(arr, 2);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_group_insert_get),
		T(test_group_insert_unknown_member),
		T(test_group_list),
		T(test_group_update),
		T(test_group_update_unknown_member),
		T(test_group_delete),
		T(test_user_groups),
		T(test_user_delete_memberships),
		T(test_group_many_members),
		T(test_group_bad_input),
		T(test_group_columns),
		T(test_user_external_id),
		T(test_user_external_id_default),
		cmocka_unit_test(test_upgrade_from_3),
		cmocka_unit_test(test_group_release),
	};

	/* Expected failures log errors; the informational lines are noise here. */
	lk_log_setup(LK_LOG_WARN, LK_LOG_TEXT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
