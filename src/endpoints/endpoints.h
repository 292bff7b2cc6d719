/*
 * Every URL latchkey serves, one handler per file, and the route table that
 * maps paths to them. Handlers receive a struct lk_ctx * as ctx.
 */
#ifndef LK_ENDPOINTS_ENDPOINTS_H
#define LK_ENDPOINTS_ENDPOINTS_H

#include <stddef.h>

#include "config/config.h"
#include "http/http.h"

/* The route table, static storage; *n receives its length. */
const struct lk_route *lk_routes(size_t *n);

/* Builds the discovery document (RFC 8414 / OpenID Connect Discovery 1.0). */
enum lk_err lk_discovery_build(const struct lk_config *cfg, char **out);

void lk_ep_discovery(void *ctx, struct lk_request *req, struct lk_response *res);
void lk_ep_jwks(void *ctx, struct lk_request *req, struct lk_response *res);
void lk_ep_healthz(void *ctx, struct lk_request *req, struct lk_response *res);
void lk_ep_not_found(void *ctx, struct lk_request *req, struct lk_response *res);

#endif
