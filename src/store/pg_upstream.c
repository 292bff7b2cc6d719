/*
 * The PostgreSQL backend's upstream-provider state (migration 8): sign-ins
 * in flight and linked identities. store.c has checked every argument.
 *
 * Consuming a flow is one DELETE ... RETURNING: the delete locks the row,
 * and a concurrent delete of the same row waits and then finds it gone, so
 * exactly one caller sees it returned.
 */
#include "store/pg_int.h"
#include "store/upstream_int.h"

#include <limits.h>

#define FLOW_COLUMNS "state_hash, upstream, request_id, browser_hash, created_at, expires_at"
#define LINK_COLUMNS "issuer, subject, user_id, upstream, created_at"

/* The columns of FLOW_COLUMNS and LINK_COLUMNS, in order. */
enum flow_col { F_STATE_HASH = 0, F_UPSTREAM, F_REQUEST_ID, F_BROWSER_HASH, F_CREATED, F_EXPIRES };
enum link_col { L_ISSUER = 0, L_SUBJECT, L_USER_ID, L_UPSTREAM, L_CREATED };

static const struct lk_pg_stmt st_flow_insert = {
	"upstream_flow_insert",
	"INSERT INTO upstream_flows (" FLOW_COLUMNS ") VALUES ($1, $2, $3, $4, $5, $6)",
	6,
};

static const struct lk_pg_stmt st_flow_consume = {
	"upstream_flow_consume",
	"DELETE FROM upstream_flows WHERE state_hash = $1 RETURNING " FLOW_COLUMNS,
	1,
};

static const struct lk_pg_stmt st_flows_expired = {
	"upstream_flows_expired",
	LK_PG_JANITOR_DELETE("upstream_flows", "expires_at <= $1"),
	1,
};

static const struct lk_pg_stmt st_link_insert = {
	"upstream_link_insert",
	"INSERT INTO upstream_links (" LINK_COLUMNS ") VALUES ($1, $2, $3, $4, $5)",
	5,
};

static const struct lk_pg_stmt st_link_get = {
	"upstream_link_get",
	"SELECT " LINK_COLUMNS " FROM upstream_links WHERE issuer = $1 AND subject = $2",
	2,
};

static const struct lk_pg_stmt st_link_count = {
	"upstream_link_count",
	"SELECT count(*) FROM upstream_links WHERE user_id = $1",
	1,
};

static enum lk_err flow_insert(struct lk_store *s, const struct lk_upstream_flow_record *r)
{
	struct lk_pg_params p;

	lk_pg_params_init(&p);
	lk_pg_param_bytes(&p, r->state_hash, LK_SHA256_LEN);
	lk_pg_param_text(&p, r->upstream);
	lk_pg_param_text(&p, r->request_id);
	lk_pg_param_bytes(&p, r->browser_hash, LK_SHA256_LEN);
	lk_pg_param_int(&p, r->created_at);
	lk_pg_param_int(&p, r->expires_at);
	return lk_pg_exec(lk_pg_of(s), &st_flow_insert, &p, NULL);
}

static enum lk_err read_flow(const PGresult *res, struct lk_upstream_flow_record *r)
{
	const struct lk_pg_text_col texts[] = {
		{F_UPSTREAM, &r->upstream},
		{F_REQUEST_ID, &r->request_id},
	};
	enum lk_err err = lk_pg_get_bytes(res, 0, F_STATE_HASH, r->state_hash, LK_SHA256_LEN);

	if (!err)
		err = lk_pg_get_bytes(res, 0, F_BROWSER_HASH, r->browser_hash, LK_SHA256_LEN);
	if (!err)
		err = lk_pg_get_texts(res, texts, sizeof(texts) / sizeof(texts[0]));
	if (err) {
		lk_upstream_flow_record_release(r);
		return err;
	}
	r->created_at = lk_pg_get_int(res, 0, F_CREATED);
	r->expires_at = lk_pg_get_int(res, 0, F_EXPIRES);
	return LK_OK;
}

static enum lk_err flow_consume(struct lk_store *s, const uint8_t hash[LK_SHA256_LEN],
				struct lk_upstream_flow_record *out)
{
	struct lk_upstream_flow_record r = {0};
	struct lk_pg_params p;
	PGresult *res = NULL;
	enum lk_err err;

	lk_pg_params_init(&p);
	lk_pg_param_bytes(&p, hash, LK_SHA256_LEN);
	err = lk_pg_run(lk_pg_of(s), &st_flow_consume, &p, &res);
	if (!err && PQntuples(res) == 0)
		err = LK_ENOTFOUND;
	if (!err)
		err = read_flow(res, &r);
	PQclear(res);
	if (!err)
		*out = r;
	return err;
}

static enum lk_err flows_delete_expired(struct lk_store *s, int64_t now, int *deleted)
{
	struct lk_pg_params p;
	int64_t changed = 0;
	enum lk_err err;

	lk_pg_params_init(&p);
	lk_pg_param_int(&p, now);
	err = lk_pg_exec(lk_pg_of(s), &st_flows_expired, &p, &changed);
	if (!err)
		*deleted = changed > INT_MAX - *deleted ? INT_MAX : *deleted + (int)changed;
	return err;
}

static enum lk_err link_insert(struct lk_store *s, const struct lk_upstream_link_record *r)
{
	struct lk_pg_params p;
	enum lk_err err;

	lk_pg_params_init(&p);
	lk_pg_param_text(&p, r->issuer);
	lk_pg_param_text(&p, r->subject);
	lk_pg_param_int(&p, r->user_id);
	lk_pg_param_text(&p, r->upstream);
	lk_pg_param_int(&p, r->created_at);
	err = lk_pg_exec(lk_pg_of(s), &st_link_insert, &p, NULL);
	/* The only foreign key is the user's. */
	return err == LK_ESTATE ? LK_ENOTFOUND : err;
}

static enum lk_err link_get(struct lk_store *s, const char *issuer, const char *subject,
			    struct lk_upstream_link_record *out)
{
	struct lk_upstream_link_record r = {0};
	const struct lk_pg_text_col texts[] = {
		{L_ISSUER, &r.issuer},
		{L_SUBJECT, &r.subject},
		{L_UPSTREAM, &r.upstream},
	};
	struct lk_pg_params p;
	PGresult *res = NULL;
	enum lk_err err;

	lk_pg_params_init(&p);
	lk_pg_param_text(&p, issuer);
	lk_pg_param_text(&p, subject);
	err = lk_pg_run(lk_pg_of(s), &st_link_get, &p, &res);
	if (!err && PQntuples(res) == 0)
		err = LK_ENOTFOUND;
	if (!err)
		err = lk_pg_get_texts(res, texts, sizeof(texts) / sizeof(texts[0]));
	if (!err) {
		r.user_id = lk_pg_get_int(res, 0, L_USER_ID);
		r.created_at = lk_pg_get_int(res, 0, L_CREATED);
		*out = r;
	} else {
		lk_upstream_link_record_release(&r);
	}
	PQclear(res);
	return err;
}

static enum lk_err link_count(struct lk_store *s, int64_t user_id, int64_t *n)
{
	struct lk_pg_params p;
	PGresult *res = NULL;
	enum lk_err err;

	lk_pg_params_init(&p);
	lk_pg_param_int(&p, user_id);
	err = lk_pg_run(lk_pg_of(s), &st_link_count, &p, &res);
	if (!err && PQntuples(res) != 1)
		err = LK_ESTORE;
	if (!err)
		*n = lk_pg_get_int(res, 0, 0);
	PQclear(res);
	return err;
}

const struct lk_store_upstream_ops lk_pg_upstream_ops = {
	.flow_insert = flow_insert,
	.flow_consume = flow_consume,
	.flows_delete_expired = flows_delete_expired,
	.link_insert = link_insert,
	.link_get = link_get,
	.link_count = link_count,
};
