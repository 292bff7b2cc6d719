/*
 * The SQLite backend's upstream-provider state (migration 8): sign-ins in
 * flight and linked identities. store.c has checked every argument.
 *
 * These statements are few and run once per sign-in through an upstream,
 * so each call prepares its statement and finalizes it afterwards rather
 * than joining the shared statement table of sqlite_int.h.
 *
 * Consuming a flow is one DELETE ... RETURNING: SQLite runs one writer at a
 * time, so of concurrent callbacks for one state only the first deletes the
 * row and sees it returned; every other one finds nothing.
 */
#include "store/sqlite_int.h"
#include "store/upstream_int.h"

#include <string.h>

#define FLOW_COLUMNS "state_hash, upstream, request_id, browser_hash, created_at, expires_at"
#define LINK_COLUMNS "issuer, subject, user_id, upstream, created_at"

/* The columns of FLOW_COLUMNS and LINK_COLUMNS, in order. */
enum flow_col { F_STATE_HASH = 0, F_UPSTREAM, F_REQUEST_ID, F_BROWSER_HASH, F_CREATED, F_EXPIRES };
enum link_col { L_ISSUER = 0, L_SUBJECT, L_USER_ID, L_UPSTREAM, L_CREATED };

/* A statement of this file: prepared for one call, finalized by finish(). */
static enum lk_err prepare(struct sqlite_store *s, const char *sql, const char *what,
			   sqlite3_stmt **out)
{
	int rc = sqlite3_prepare_v2(s->db, sql, -1, out, NULL);

	if (rc != SQLITE_OK) {
		*out = NULL;
		return lk_sqlite_fail(s, rc, what);
	}
	return LK_OK;
}

/*
 * Finalizes st after the call ended with err; rc is the code of the last
 * bind or step, mapped to an error when err is still LK_OK and rc is
 * neither SQLITE_OK, SQLITE_ROW nor SQLITE_DONE.
 */
static enum lk_err finish(struct sqlite_store *s, sqlite3_stmt *st, int rc, const char *what,
			  enum lk_err err)
{
	if (!err && rc != SQLITE_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
		err = lk_sqlite_fail(s, rc, what);
	sqlite3_finalize(st);
	return err;
}

static enum lk_err flow_insert(struct lk_store *base, const struct lk_upstream_flow_record *r)
{
	static const char what[] = "upstream_flow_insert";
	struct sqlite_store *s = conn(base);
	sqlite3_stmt *st = NULL;
	enum lk_err err = prepare(
		s, "INSERT INTO upstream_flows (" FLOW_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
		what, &st);
	int rc = SQLITE_OK;

	if (err)
		return err;
	rc = lk_sqlite_bind_hash(st, 1, r->state_hash);
	if (rc == SQLITE_OK)
		rc = lk_sqlite_bind_text(st, 2, r->upstream);
	if (rc == SQLITE_OK)
		rc = lk_sqlite_bind_text(st, 3, r->request_id);
	if (rc == SQLITE_OK)
		rc = lk_sqlite_bind_hash(st, 4, r->browser_hash);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 5, r->created_at);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 6, r->expires_at);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	return finish(s, st, rc, what, LK_OK);
}

static enum lk_err read_flow(sqlite3_stmt *st, struct lk_upstream_flow_record *r)
{
	const struct lk_sqlite_text_col texts[] = {
		{F_UPSTREAM, &r->upstream},
		{F_REQUEST_ID, &r->request_id},
	};
	enum lk_err err = lk_sqlite_column_hash(st, F_STATE_HASH, r->state_hash);

	if (!err)
		err = lk_sqlite_column_hash(st, F_BROWSER_HASH, r->browser_hash);
	if (!err)
		err = lk_sqlite_column_texts(st, texts, sizeof(texts) / sizeof(texts[0]));
	if (err) {
		lk_upstream_flow_record_release(r);
		return err;
	}
	r->created_at = sqlite3_column_int64(st, F_CREATED);
	r->expires_at = sqlite3_column_int64(st, F_EXPIRES);
	return LK_OK;
}

static enum lk_err flow_consume(struct lk_store *base, const uint8_t hash[LK_SHA256_LEN],
				struct lk_upstream_flow_record *out)
{
	static const char what[] = "upstream_flow_consume";
	struct sqlite_store *s = conn(base);
	struct lk_upstream_flow_record r = {0};
	sqlite3_stmt *st = NULL;
	enum lk_err err = prepare(
		s, "DELETE FROM upstream_flows WHERE state_hash = ?1 RETURNING " FLOW_COLUMNS, what,
		&st);
	int rc;

	if (err)
		return err;
	rc = lk_sqlite_bind_hash(st, 1, hash);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		err = LK_ENOTFOUND;
	else if (rc == SQLITE_ROW)
		err = read_flow(st, &r);
	/* The delete is whole only once the statement has run to its end. */
	if (!err) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			err = LK_ESTORE; /* two rows of one primary key */
	}
	err = finish(s, st, rc, what, err);
	if (!err)
		*out = r;
	else
		lk_upstream_flow_record_release(&r);
	return err;
}

static enum lk_err flows_delete_expired(struct lk_store *base, int64_t now, int *deleted)
{
	static const char what[] = "upstream_flows_delete_expired";
	struct sqlite_store *s = conn(base);
	sqlite3_stmt *st = NULL;
	enum lk_err err =
		prepare(s, JANITOR_DELETE("upstream_flows", "expires_at <= ?1"), what, &st);
	int rc;

	if (err)
		return err;
	rc = sqlite3_bind_int64(st, 1, now);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	err = finish(s, st, rc, what, LK_OK);
	if (!err)
		*deleted += sqlite3_changes(s->db);
	return err;
}

static enum lk_err link_insert(struct lk_store *base, const struct lk_upstream_link_record *r)
{
	static const char what[] = "upstream_link_insert";
	struct sqlite_store *s = conn(base);
	sqlite3_stmt *st = NULL;
	enum lk_err err = prepare(
		s, "INSERT INTO upstream_links (" LINK_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5)",
		what, &st);
	int rc;

	if (err)
		return err;
	rc = lk_sqlite_bind_text(st, 1, r->issuer);
	if (rc == SQLITE_OK)
		rc = lk_sqlite_bind_text(st, 2, r->subject);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, r->user_id);
	if (rc == SQLITE_OK)
		rc = lk_sqlite_bind_text(st, 4, r->upstream);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 5, r->created_at);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	err = finish(s, st, rc, what, LK_OK);
	/* The only foreign key is the user's. */
	return err == LK_ESTATE ? LK_ENOTFOUND : err;
}

static enum lk_err link_get(struct lk_store *base, const char *issuer, const char *subject,
			    struct lk_upstream_link_record *out)
{
	static const char what[] = "upstream_link_get";
	struct sqlite_store *s = conn(base);
	struct lk_upstream_link_record r = {0};
	sqlite3_stmt *st = NULL;
	enum lk_err err = prepare(s,
				  "SELECT " LINK_COLUMNS " FROM upstream_links "
				  "WHERE issuer = ?1 AND subject = ?2",
				  what, &st);
	const struct lk_sqlite_text_col texts[] = {
		{L_ISSUER, &r.issuer},
		{L_SUBJECT, &r.subject},
		{L_UPSTREAM, &r.upstream},
	};
	int rc;

	if (err)
		return err;
	rc = lk_sqlite_bind_text(st, 1, issuer);
	if (rc == SQLITE_OK)
		rc = lk_sqlite_bind_text(st, 2, subject);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		err = LK_ENOTFOUND;
	else if (rc == SQLITE_ROW)
		err = lk_sqlite_column_texts(st, texts, sizeof(texts) / sizeof(texts[0]));
	if (!err) {
		r.user_id = sqlite3_column_int64(st, L_USER_ID);
		r.created_at = sqlite3_column_int64(st, L_CREATED);
	}
	err = finish(s, st, rc, what, err);
	if (!err)
		*out = r;
	else
		lk_upstream_link_record_release(&r);
	return err;
}

static enum lk_err link_count(struct lk_store *base, int64_t user_id, int64_t *n)
{
	static const char what[] = "upstream_link_count";
	struct sqlite_store *s = conn(base);
	sqlite3_stmt *st = NULL;
	enum lk_err err =
		prepare(s, "SELECT count(*) FROM upstream_links WHERE user_id = ?1", what, &st);
	int64_t count = 0;
	int rc;

	if (err)
		return err;
	rc = sqlite3_bind_int64(st, 1, user_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		count = sqlite3_column_int64(st, 0);
	else if (rc == SQLITE_DONE)
		err = LK_ESTORE;
	err = finish(s, st, rc, what, err);
	if (!err)
		*n = count;
	return err;
}

const struct lk_store_upstream_ops lk_sqlite_upstream_ops = {
	.flow_insert = flow_insert,
	.flow_consume = flow_consume,
	.flows_delete_expired = flows_delete_expired,
	.link_insert = link_insert,
	.link_get = link_get,
	.link_count = link_count,
};
