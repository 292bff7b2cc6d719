/*
 * Internals shared by upstream.c (the per-upstream caches, discovery, the
 * authorization request) and upstream_token.c (the code, the ID token,
 * userinfo).
 */
#ifndef LK_OAUTH_UPSTREAM_INT_H
#define LK_OAUTH_UPSTREAM_INT_H

#include "oauth/upstream.h"

/* What latchkey uses of an upstream's discovery document (copies). */
struct lk_up_discovery {
	char *authorization_endpoint;
	char *token_endpoint;
	char *jwks_uri;
	char *userinfo_endpoint; /* "" when the upstream has none */
	bool auth_post;		 /* client_secret_post rather than client_secret_basic */
};

void lk_up_discovery_release(struct lk_up_discovery *d);

/* The index of upstream name in u, or -1. */
int lk_up_index(const struct lk_upstreams *u, const char *name);

/* The configuration of upstream i. */
const struct lk_upstream_config *lk_up_config(const struct lk_upstreams *u, int i);

/* One request through u's fetch function. */
enum lk_err lk_up_fetch(struct lk_upstreams *u, const struct lk_outbound_request *req,
			struct lk_outbound_response *out);

/*
 * The discovery document of upstream i, from the cache or fetched (and
 * checked: issuer equal to the configured one, endpoints that
 * lk_outbound_url_allowed accepts). *out is a copy the caller releases.
 */
enum lk_err lk_up_discovery_get(struct lk_upstreams *u, int i, int64_t now,
				struct lk_up_discovery *out);

/*
 * The JWKS of upstream i as JSON text (a copy the caller frees), from the
 * cache or fetched. With refresh, it is fetched again even when cached,
 * unless the last forced fetch was less than LK_UPSTREAM_REFETCH_SECONDS
 * ago: then LK_EBUSY and nothing is fetched.
 */
enum lk_err lk_up_jwks_get(struct lk_upstreams *u, int i, int64_t now, bool refresh, char **out);

#endif
