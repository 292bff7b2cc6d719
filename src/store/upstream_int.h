/*
 * Private to src/store/: the upstream-provider operations of each backend
 * (sqlite_upstream.c, pg_upstream.c), in a table of their own that the
 * backend's main table points to; store.c has checked every argument before
 * they run.
 */
#ifndef LK_STORE_UPSTREAM_INT_H
#define LK_STORE_UPSTREAM_INT_H

#include "store/store.h"

struct lk_store_upstream_ops {
	enum lk_err (*flow_insert)(struct lk_store *s, const struct lk_upstream_flow_record *r);
	enum lk_err (*flow_consume)(struct lk_store *s, const uint8_t hash[LK_SHA256_LEN],
				    struct lk_upstream_flow_record *out);
	enum lk_err (*flows_delete_expired)(struct lk_store *s, int64_t now, int *deleted);
	enum lk_err (*link_insert)(struct lk_store *s, const struct lk_upstream_link_record *r);
	enum lk_err (*link_get)(struct lk_store *s, const char *issuer, const char *subject,
				struct lk_upstream_link_record *out);
	enum lk_err (*link_count)(struct lk_store *s, int64_t user_id, int64_t *n);
};

extern const struct lk_store_upstream_ops lk_sqlite_upstream_ops;
extern const struct lk_store_upstream_ops lk_pg_upstream_ops;

#endif
