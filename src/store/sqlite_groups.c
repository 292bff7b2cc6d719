/*
 * The SQLite backend's groups and their members (SCIM Groups, RFC 7643 §4.2,
 * and the `groups` claim). The statements are in sqlite_int.h; store.c has
 * checked every argument, so these functions only move values between
 * records and rows.
 *
 * A group is one row of groups plus one row of group_members per member, so
 * writing or reading one takes several statements. Each call runs them
 * inside a savepoint: alone, the savepoint is a transaction of its own; inside
 * the caller's transaction (the registry holds BEGIN IMMEDIATE around its
 * checks and the write) it nests, where a second BEGIN would fail. A write
 * that fails part way, on an unknown member say, is undone to the savepoint
 * and changes nothing, whether or not the caller then rolls back, and a read
 * sees the group rows and the member rows of one snapshot.
 */
#include "store/sqlite_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/log.h"

/* The columns of GROUP_COLUMNS. */
enum group_col {
	G_ID = 0,
	G_DISPLAY_NAME,
	G_EXTERNAL_ID,
	G_CREATED_AT,
	G_UPDATED_AT,
};

/* The parameters of ST_GROUP_INSERT and ST_GROUP_UPDATE. */
enum group_param {
	GP_ID = 1,
	GP_DISPLAY_NAME,
	GP_EXTERNAL_ID,
	GP_CREATED_AT,
	GP_UPDATED_AT,
};

/* Runs a statement that takes no parameters and returns no rows. */
static enum lk_err run(struct sqlite_store *s, enum stmt_id id)
{
	sqlite3_stmt *st = NULL;
	enum lk_err err = lk_sqlite_stmt(s, id, &st);

	return err ? err : lk_sqlite_step_done(s, id, st);
}

/*
 * Opens the savepoint of one call; *outer tells whether it is the whole
 * transaction (no caller's transaction was open), which decides how a
 * failure is undone.
 */
static enum lk_err unit_begin(struct sqlite_store *s, bool *outer)
{
	*outer = sqlite3_get_autocommit(s->db) != 0;
	return run(s, ST_SAVEPOINT);
}

/*
 * Closes the savepoint of one call whose statements ended with err: keeps
 * their work on success, else undoes it and leaves the caller's transaction,
 * if any, open for the caller to end. Returns err, or the error of the
 * release (which commits when the savepoint is the whole transaction).
 */
static enum lk_err unit_end(struct sqlite_store *s, bool outer, enum lk_err err)
{
	if (!err)
		err = run(s, ST_RELEASE);
	if (!err)
		return LK_OK;
	/* Some errors (a full disk, an I/O error) roll everything back already. */
	if (sqlite3_get_autocommit(s->db))
		return err;
	if (outer) {
		run(s, ST_ROLLBACK);
	} else {
		run(s, ST_ROLLBACK_TO);
		run(s, ST_RELEASE);
	}
	return err;
}

/* Binds the columns of g as parameters; id for an update, created_at for an insert. */
static int bind_group(sqlite3_stmt *st, const struct lk_group *g, bool inserting)
{
	int rc = SQLITE_OK;

	if (!inserting)
		rc = sqlite3_bind_int64(st, GP_ID, g->id);
	if (rc == SQLITE_OK)
		rc = lk_sqlite_bind_text(st, GP_DISPLAY_NAME, g->display_name);
	if (rc == SQLITE_OK)
		rc = lk_sqlite_bind_text(st, GP_EXTERNAL_ID, g->external_id);
	if (rc == SQLITE_OK && inserting)
		rc = sqlite3_bind_int64(st, GP_CREATED_AT, g->created_at);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, GP_UPDATED_AT, g->updated_at);
	return rc;
}

/* Fills a group (zeroed) from the current row of GROUP_COLUMNS; empty on error. */
static enum lk_err read_group(sqlite3_stmt *st, void *rec)
{
	struct lk_group *g = rec;
	enum lk_err err = lk_sqlite_column_text(st, G_DISPLAY_NAME, &g->display_name);

	if (!err)
		err = lk_sqlite_column_text(st, G_EXTERNAL_ID, &g->external_id);
	if (err) {
		lk_group_release(g);
		return err;
	}
	g->id = sqlite3_column_int64(st, G_ID);
	g->created_at = sqlite3_column_int64(st, G_CREATED_AT);
	g->updated_at = sqlite3_column_int64(st, G_UPDATED_AT);
	return LK_OK;
}

static void free_groups(void *arr, size_t n)
{
	lk_groups_free(arr, n);
}

static const struct lk_sqlite_rows group_rows = {
	.what = "groups",
	.size = sizeof(struct lk_group),
	.max = LK_STORE_LIST_MAX,
	.read = read_group,
	.free_array = free_groups,
};

/*
 * Appends user id uid to the members of g, whose array has room for *cap,
 * doubling it up to LK_STORE_LIST_MAX members (the most a write accepts).
 */
static enum lk_err push_member(struct lk_group *g, size_t *cap, int64_t uid)
{
	int64_t *p;
	size_t want;

	if (g->nmembers >= *cap) {
		if (*cap >= LK_STORE_LIST_MAX) {
			lk_error("sqlite: group %lld has more than %d members", (long long)g->id,
				 LK_STORE_LIST_MAX);
			return LK_ETOOMANY;
		}
		want = *cap ? *cap * 2 : 8;
		if (want > LK_STORE_LIST_MAX)
			want = LK_STORE_LIST_MAX;
		p = realloc(g->members, want * sizeof(*p));
		if (!p)
			return LK_ENOMEM;
		g->members = p;
		*cap = want;
	}
	g->members[g->nmembers++] = uid;
	return LK_OK;
}

/*
 * Steps the bound statement st (of id), whose rows are (group_id, user_id),
 * and gives each user id to its group among the n of arr. The rows come in
 * the order of arr, those of one group together in ascending user id, so one
 * forward walk over arr places them all, and a group is never revisited. On
 * error the members read so far stay in arr for the caller to free.
 */
static enum lk_err read_members(struct sqlite_store *s, enum stmt_id id, sqlite3_stmt *st,
				struct lk_group *arr, size_t n)
{
	size_t i = 0, cap = 0;
	enum lk_err err = LK_OK;
	int rc = SQLITE_DONE;

	while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t gid = sqlite3_column_int64(st, 0);

		while (i < n && arr[i].id != gid) {
			i++;
			cap = 0;
		}
		if (i < n) {
			err = push_member(&arr[i], &cap, sqlite3_column_int64(st, 1));
		} else {
			lk_error("sqlite: %s: member of group %lld out of order",
				 lk_sqlite_stmt_name(id), (long long)gid);
			err = LK_ESTORE;
		}
	}
	if (!err && rc != SQLITE_DONE)
		err = lk_sqlite_fail(s, rc, lk_sqlite_stmt_name(id));
	lk_sqlite_done(st);
	return err;
}

/* Adds the members of g to group gid; a member already there is left as it is. */
static enum lk_err add_members(struct sqlite_store *s, int64_t gid, const struct lk_group *g)
{
	sqlite3_stmt *st = NULL;
	enum lk_err err = lk_sqlite_stmt(s, ST_GROUP_ADD_MEMBER, &st);
	int rc;

	/* The foreign key refuses an unknown user: LK_ESTATE from lk_sqlite_fail. */
	for (size_t i = 0; i < g->nmembers && !err; i++) {
		rc = sqlite3_bind_int64(st, 1, gid);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int64(st, 2, g->members[i]);
		err = lk_sqlite_bound(s, ST_GROUP_ADD_MEMBER, st, rc);
		if (!err)
			err = lk_sqlite_step_done(s, ST_GROUP_ADD_MEMBER, st);
	}
	return err;
}

/* Runs a statement that takes one id (?1) and returns no rows; *changed its row count. */
static enum lk_err change_by_id(struct sqlite_store *s, enum stmt_id id, int64_t key, int *changed)
{
	sqlite3_stmt *st = NULL;
	enum lk_err err = lk_sqlite_stmt(s, id, &st);

	if (!err)
		err = lk_sqlite_bound(s, id, st, sqlite3_bind_int64(st, 1, key));
	if (!err)
		err = lk_sqlite_step_done(s, id, st);
	if (!err)
		*changed = sqlite3_changes(s->db);
	return err;
}

/* Ids come from AUTOINCREMENT, so a deleted group's id (its SCIM id) is never reused. */
enum lk_err lk_sqlite_group_insert(struct lk_store *base, const struct lk_group *g, int64_t *id)
{
	struct sqlite_store *s = conn(base);
	sqlite3_stmt *st = NULL;
	int64_t gid = 0;
	bool outer = false;
	enum lk_err err = unit_begin(s, &outer);

	if (err)
		return err;
	err = lk_sqlite_stmt(s, ST_GROUP_INSERT, &st);
	if (!err)
		err = lk_sqlite_bound(s, ST_GROUP_INSERT, st, bind_group(st, g, true));
	if (!err)
		err = lk_sqlite_step_done(s, ST_GROUP_INSERT, st);
	if (!err) {
		gid = sqlite3_last_insert_rowid(s->db);
		err = add_members(s, gid, g);
	}
	err = unit_end(s, outer, err);
	if (!err)
		*id = gid;
	return err;
}

/* The row first, so that an unknown id is LK_ENOTFOUND before any member is touched. */
enum lk_err lk_sqlite_group_update(struct lk_store *base, const struct lk_group *g)
{
	struct sqlite_store *s = conn(base);
	sqlite3_stmt *st = NULL;
	bool outer = false;
	int changed = 0;
	enum lk_err err = unit_begin(s, &outer);

	if (err)
		return err;
	err = lk_sqlite_stmt(s, ST_GROUP_UPDATE, &st);
	if (!err)
		err = lk_sqlite_bound(s, ST_GROUP_UPDATE, st, bind_group(st, g, false));
	if (!err)
		err = lk_sqlite_step_done(s, ST_GROUP_UPDATE, st);
	if (!err && sqlite3_changes(s->db) == 0)
		err = LK_ENOTFOUND;
	if (!err)
		err = change_by_id(s, ST_GROUP_CLEAR_MEMBERS, g->id, &changed);
	if (!err)
		err = add_members(s, g->id, g);
	return unit_end(s, outer, err);
}

enum lk_err lk_sqlite_group_get(struct lk_store *base, int64_t id, struct lk_group *out)
{
	struct sqlite_store *s = conn(base);
	struct lk_group g = {0};
	sqlite3_stmt *st = NULL;
	bool outer = false;
	enum lk_err err = unit_begin(s, &outer);

	if (err)
		return err;
	err = lk_sqlite_stmt(s, ST_GROUP_GET, &st);
	if (!err)
		err = lk_sqlite_bound(s, ST_GROUP_GET, st, sqlite3_bind_int64(st, 1, id));
	if (!err)
		err = lk_sqlite_read_one(s, ST_GROUP_GET, st, read_group, &g);
	if (!err)
		err = lk_sqlite_stmt(s, ST_GROUP_MEMBERS, &st);
	if (!err)
		err = lk_sqlite_bound(s, ST_GROUP_MEMBERS, st, sqlite3_bind_int64(st, 1, id));
	if (!err)
		err = read_members(s, ST_GROUP_MEMBERS, st, &g, 1);
	err = unit_end(s, outer, err);
	if (err)
		lk_group_release(&g);
	else
		*out = g;
	return err;
}

/* Two statements whatever the number of groups: the groups, then every membership. */
enum lk_err lk_sqlite_group_list(struct lk_store *base, struct lk_group **out, size_t *n)
{
	struct sqlite_store *s = conn(base);
	sqlite3_stmt *st = NULL;
	void *arr = NULL;
	size_t count = 0;
	bool outer = false;
	enum lk_err err = unit_begin(s, &outer);

	if (err)
		return err;
	err = lk_sqlite_stmt(s, ST_GROUP_LIST, &st);
	if (!err)
		err = lk_sqlite_read_all(s, ST_GROUP_LIST, st, &group_rows, &arr, &count);
	if (!err && count > 0)
		err = lk_sqlite_stmt(s, ST_GROUP_ALL_MEMBERS, &st);
	if (!err && count > 0)
		err = read_members(s, ST_GROUP_ALL_MEMBERS, st, arr, count);
	err = unit_end(s, outer, err);
	if (err) {
		lk_groups_free(arr, count);
		return err;
	}
	*out = arr;
	*n = count;
	return LK_OK;
}

/* The memberships go with the group (ON DELETE CASCADE); the users stay. */
enum lk_err lk_sqlite_group_delete(struct lk_store *base, int64_t id)
{
	int changed = 0;
	enum lk_err err = change_by_id(conn(base), ST_GROUP_DELETE, id, &changed);

	return !err && changed == 0 ? LK_ENOTFOUND : err;
}

/* One statement, so no savepoint: the records carry no member lists. */
enum lk_err lk_sqlite_user_groups(struct lk_store *base, int64_t user_id, struct lk_group **out,
				  size_t *n)
{
	struct sqlite_store *s = conn(base);
	sqlite3_stmt *st = NULL;
	void *arr = NULL;
	enum lk_err err = lk_sqlite_stmt(s, ST_USER_GROUPS, &st);

	if (!err)
		err = lk_sqlite_bound(s, ST_USER_GROUPS, st, sqlite3_bind_int64(st, 1, user_id));
	if (!err)
		err = lk_sqlite_read_all(s, ST_USER_GROUPS, st, &group_rows, &arr, n);
	if (!err)
		*out = arr;
	return err;
}
