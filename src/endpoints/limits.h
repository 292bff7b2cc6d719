/*
 * The abuse limits of [limits]: request rates per client address and per
 * client_id on the token, authorization and login endpoints, one token
 * bucket table (core/ratelimit.h) each. Limits are per instance: several
 * instances behind a load balancer each allow the configured rate.
 *
 * Each check is called at the top of its handler. It returns true when the
 * request may go on; otherwise it has written the refusal itself (429 with
 * Retry-After), so the handler only returns.
 */
#ifndef LK_ENDPOINTS_LIMITS_H
#define LK_ENDPOINTS_LIMITS_H

#include <stdbool.h>

#include "endpoints/context.h"
#include "http/http.h"

/*
 * Makes the limiters of ctx->cfg in ctx (a rate of 0 gets a limiter that
 * allows everything). LK_ENOMEM, or the error of lk_ratelimit_new; what was
 * made is then left for lk_ep_limits_release.
 */
enum lk_err lk_ep_limits_init(struct lk_ctx *ctx);

/* Frees the limiters of ctx and leaves them NULL. */
void lk_ep_limits_release(struct lk_ctx *ctx);

/*
 * The token endpoint, per client address. Refused: 429 with the JSON error
 * slow_down (RFC 6749 §5.2 shape) and Retry-After.
 */
bool lk_ep_limit_token(struct lk_ctx *c, const struct lk_request *req, struct lk_response *res);

/*
 * The token endpoint, per client: the client_id form parameter, else the
 * user of a Basic Authorization header, read before the client is
 * authenticated. A request naming no client (a client assertion alone) is
 * limited only per address. Refused: as lk_ep_limit_token.
 */
bool lk_ep_limit_token_client(struct lk_ctx *c, const struct lk_request *req,
			      struct lk_response *res);

/* The authorization endpoint, per client address. Refused: an HTML page, 429. */
bool lk_ep_limit_authorize(struct lk_ctx *c, const struct lk_request *req, struct lk_response *res);

/* A submitted login form, per client address. Refused: an HTML page, 429. */
bool lk_ep_limit_login(struct lk_ctx *c, const struct lk_request *req, struct lk_response *res);

#endif
