/*
 * The PostgreSQL backend's groups and their members (SCIM Groups, RFC 7643
 * §4.2, and the `groups` claim), with the semantics of sqlite_groups.c.
 * store.c has checked every argument, so these functions only move values
 * between records and rows.
 *
 * A group is one row of groups plus one row of group_members per member.
 * A read takes one statement, the members of each group aggregated into a
 * list of ids, so it sees the group and its members in one snapshot. A
 * write takes several, inside a unit (lk_pg_unit_begin): alone, the unit is
 * a transaction of its own; inside the caller's transaction it is a
 * savepoint. A write that fails part way, on an unknown member say, is
 * undone to the savepoint and changes nothing, and the caller's transaction
 * stays usable, as it does with SQLite.
 */
#include "store/pg_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

/* The columns of groups read by every statement below, in this order. */
#define GROUP_COLUMNS "g.id, g.display_name, g.external_id, g.created_at, g.updated_at"

/* The members of group g as ascending ids joined by ',', NULL when it has none. */
#define GROUP_MEMBERS                                                                              \
	"(SELECT string_agg(m.user_id::text, ',' ORDER BY m.user_id) FROM group_members m "        \
	"WHERE m.group_id = g.id)"

/*
 * Groups in the order every list of them uses: by name regardless of case,
 * in the byte order SQLite sorts in, whatever the database's collation.
 * Names are unique under lower(), so the id only makes the order total.
 */
#define GROUP_ORDER " ORDER BY lower(g.display_name) COLLATE \"C\", g.id"

/* Ids come from an identity sequence, so a deleted group's id (its SCIM id) is never reused. */
static const struct lk_pg_stmt st_insert = {
	"groups_insert",
	"INSERT INTO groups (display_name, external_id, created_at, updated_at) "
	"VALUES ($1, $2, $3, $4) RETURNING id",
	4,
};

static const struct lk_pg_stmt st_update = {
	"groups_update",
	"UPDATE groups SET display_name = $2, external_id = $3, updated_at = $4 WHERE id = $1",
	4,
};

static const struct lk_pg_stmt st_clear_members = {
	"groups_clear_members",
	"DELETE FROM group_members WHERE group_id = $1",
	1,
};

/*
 * Every member in one statement, from an array of ids; duplicates collapse.
 * The foreign key refuses an unknown user: LK_ESTATE from lk_pg_run.
 */
static const struct lk_pg_stmt st_add_members = {
	"groups_add_members",
	"INSERT INTO group_members (group_id, user_id) "
	"SELECT DISTINCT $1::bigint, u FROM unnest($2::bigint[]) AS u ON CONFLICT DO NOTHING",
	2,
};

static const struct lk_pg_stmt st_get = {
	"groups_get",
	"SELECT " GROUP_COLUMNS ", " GROUP_MEMBERS " FROM groups g WHERE g.id = $1",
	1,
};

static const struct lk_pg_stmt st_list = {
	"groups_list",
	"SELECT " GROUP_COLUMNS ", " GROUP_MEMBERS " FROM groups g" GROUP_ORDER " LIMIT $1",
	1,
};

/* The memberships go with the group (ON DELETE CASCADE); the users stay. */
static const struct lk_pg_stmt st_delete = {
	"groups_delete",
	"DELETE FROM groups WHERE id = $1",
	1,
};

static const struct lk_pg_stmt st_of_user = {
	"groups_of_user",
	"SELECT " GROUP_COLUMNS " FROM groups g JOIN group_members m ON m.group_id = g.id "
	"WHERE m.user_id = $1" GROUP_ORDER " LIMIT $2",
	2,
};

/* The columns of GROUP_COLUMNS, then GROUP_MEMBERS. */
enum group_col {
	G_ID = 0,
	G_DISPLAY_NAME,
	G_EXTERNAL_ID,
	G_CREATED_AT,
	G_UPDATED_AT,
	G_MEMBERS,
};

/* The most bytes an id takes in an array literal: 19 digits and a ','. */
#define ID_TEXT_MAX 20

/*
 * Parses the member list of row (GROUP_MEMBERS) into g: positive decimal
 * ids joined by ','. At most LK_STORE_LIST_MAX members, the most a write
 * accepts; anything else in the column is LK_ESTORE.
 */
static enum lk_err read_members(const PGresult *r, int row, struct lk_group *g)
{
	const char *v = PQgetvalue(r, row, G_MEMBERS);
	int64_t *ids;
	size_t n = 1;

	if (PQgetisnull(r, row, G_MEMBERS))
		return LK_OK;
	for (const char *c = v; *c; c++)
		n += *c == ',';
	if (n > LK_STORE_LIST_MAX) {
		lk_error("postgres: group %lld has more than %d members", (long long)g->id,
			 LK_STORE_LIST_MAX);
		return LK_ETOOMANY;
	}
	ids = calloc(n, sizeof(*ids));
	if (!ids)
		return LK_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		int64_t id = 0;

		while (*v >= '0' && *v <= '9' && id <= (INT64_MAX - 9) / 10)
			id = id * 10 + (*v++ - '0');
		if (id <= 0 || *v != (i + 1 < n ? ',' : '\0')) {
			lk_error("postgres: group %lld has a malformed member list",
				 (long long)g->id);
			free(ids);
			return LK_ESTORE;
		}
		v++;
		ids[i] = id;
	}
	g->members = ids;
	g->nmembers = n;
	return LK_OK;
}

/* Fills a group (zeroed) from row of a GROUP_COLUMNS result, with members if asked; empty on error.
 */
static enum lk_err read_group(const PGresult *r, int row, bool members, struct lk_group *g)
{
	enum lk_err err = lk_pg_get_text(r, row, G_DISPLAY_NAME, &g->display_name);

	g->id = lk_pg_get_int(r, row, G_ID);
	if (!err)
		err = lk_pg_get_text(r, row, G_EXTERNAL_ID, &g->external_id);
	if (!err && members)
		err = read_members(r, row, g);
	if (err) {
		lk_group_release(g);
		return err;
	}
	g->created_at = lk_pg_get_int(r, row, G_CREATED_AT);
	g->updated_at = lk_pg_get_int(r, row, G_UPDATED_AT);
	return LK_OK;
}

/*
 * Runs a list statement with parameters p and reads its groups, with their
 * members if asked, into a new array (NULL when there are none).
 */
static enum lk_err list_groups(struct lk_store *s, const struct lk_pg_stmt *st,
			       const struct lk_pg_params *p, bool members, struct lk_group **out,
			       size_t *n)
{
	struct lk_group *arr = NULL;
	PGresult *r = NULL;
	size_t count = 0, rows = 0;
	enum lk_err err = lk_pg_run(lk_pg_of(s), st, p, &r);

	if (!err && PQntuples(r) > LK_STORE_LIST_MAX) {
		lk_error("postgres: %s: more than %d groups", st->name, LK_STORE_LIST_MAX);
		err = LK_ETOOMANY;
	}
	if (!err)
		rows = (size_t)PQntuples(r);
	if (!err && rows > 0 && !(arr = calloc(rows, sizeof(*arr))))
		err = LK_ENOMEM;
	for (; !err && count < rows; count++)
		err = read_group(r, (int)count, members, &arr[count]);
	PQclear(r);
	/* A failed read left its record empty, so freeing it too is harmless. */
	if (err) {
		lk_groups_free(arr, count);
		return err;
	}
	*out = arr;
	*n = count;
	return LK_OK;
}

/*
 * Adds the members of g to group gid as one array parameter ("{1,2,3}"); a
 * member already there is left as it is.
 */
static enum lk_err add_members(struct lk_pg *pg, int64_t gid, const struct lk_group *g)
{
	struct lk_pg_params p;
	size_t cap, len = 0;
	char *ids;
	enum lk_err err;

	if (g->nmembers == 0)
		return LK_OK;
	/* store.c caps nmembers at LK_STORE_LIST_MAX, so this cannot overflow. */
	cap = g->nmembers * ID_TEXT_MAX + 3;
	ids = malloc(cap);
	if (!ids)
		return LK_ENOMEM;
	ids[len++] = '{';
	for (size_t i = 0; i < g->nmembers; i++)
		len += (size_t)snprintf(ids + len, cap - len, i ? ",%lld" : "%lld",
					(long long)g->members[i]);
	ids[len++] = '}';
	ids[len] = '\0';
	lk_pg_params_init(&p);
	lk_pg_param_int(&p, gid);
	lk_pg_param_text(&p, ids);
	err = lk_pg_exec(pg, &st_add_members, &p, NULL);
	free(ids);
	return err;
}

enum lk_err lk_pg_group_insert(struct lk_store *s, const struct lk_group *g, int64_t *id)
{
	struct lk_pg *pg = lk_pg_of(s);
	struct lk_pg_params p;
	PGresult *r = NULL;
	int64_t gid = 0;
	enum lk_err err = lk_pg_unit_begin(pg);

	if (err)
		return err;
	lk_pg_params_init(&p);
	lk_pg_param_text(&p, g->display_name);
	lk_pg_param_text(&p, g->external_id);
	lk_pg_param_int(&p, g->created_at);
	lk_pg_param_int(&p, g->updated_at);
	err = lk_pg_run(pg, &st_insert, &p, &r);
	if (!err && PQntuples(r) != 1) {
		lk_error("postgres: %s returned no id", st_insert.name);
		err = LK_ESTORE;
	}
	if (!err)
		gid = lk_pg_get_int(r, 0, 0);
	PQclear(r);
	if (!err)
		err = add_members(pg, gid, g);
	err = lk_pg_unit_end(pg, err);
	if (!err)
		*id = gid;
	return err;
}

/* The row first, so that an unknown id is LK_ENOTFOUND before any member is touched. */
enum lk_err lk_pg_group_update(struct lk_store *s, const struct lk_group *g)
{
	struct lk_pg *pg = lk_pg_of(s);
	struct lk_pg_params p;
	int64_t changed = 0;
	enum lk_err err = lk_pg_unit_begin(pg);

	if (err)
		return err;
	lk_pg_params_init(&p);
	lk_pg_param_int(&p, g->id);
	lk_pg_param_text(&p, g->display_name);
	lk_pg_param_text(&p, g->external_id);
	lk_pg_param_int(&p, g->updated_at);
	err = lk_pg_exec(pg, &st_update, &p, &changed);
	if (!err && changed == 0)
		err = LK_ENOTFOUND;
	if (!err) {
		lk_pg_params_init(&p);
		lk_pg_param_int(&p, g->id);
		err = lk_pg_exec(pg, &st_clear_members, &p, NULL);
	}
	if (!err)
		err = add_members(pg, g->id, g);
	return lk_pg_unit_end(pg, err);
}

enum lk_err lk_pg_group_get(struct lk_store *s, int64_t id, struct lk_group *out)
{
	struct lk_pg_params p;
	struct lk_group g = {0};
	PGresult *r = NULL;
	enum lk_err err;

	lk_pg_params_init(&p);
	lk_pg_param_int(&p, id);
	err = lk_pg_run(lk_pg_of(s), &st_get, &p, &r);
	if (!err && PQntuples(r) == 0)
		err = LK_ENOTFOUND;
	if (!err)
		err = read_group(r, 0, true, &g);
	PQclear(r);
	if (!err)
		*out = g;
	return err;
}

/* One statement whatever the number of groups: each row carries its members. */
enum lk_err lk_pg_group_list(struct lk_store *s, struct lk_group **out, size_t *n)
{
	struct lk_pg_params p;

	/* One row past the limit tells a full list from one too long. */
	lk_pg_params_init(&p);
	lk_pg_param_int(&p, (int64_t)LK_STORE_LIST_MAX + 1);
	return list_groups(s, &st_list, &p, true, out, n);
}

enum lk_err lk_pg_group_delete(struct lk_store *s, int64_t id)
{
	struct lk_pg_params p;
	int64_t changed = 0;
	enum lk_err err;

	lk_pg_params_init(&p);
	lk_pg_param_int(&p, id);
	err = lk_pg_exec(lk_pg_of(s), &st_delete, &p, &changed);
	return !err && changed == 0 ? LK_ENOTFOUND : err;
}

/* The records carry no member lists. */
enum lk_err lk_pg_user_groups(struct lk_store *s, int64_t user_id, struct lk_group **out, size_t *n)
{
	struct lk_pg_params p;

	lk_pg_params_init(&p);
	lk_pg_param_int(&p, user_id);
	lk_pg_param_int(&p, (int64_t)LK_STORE_LIST_MAX + 1);
	return list_groups(s, &st_of_user, &p, false, out, n);
}
