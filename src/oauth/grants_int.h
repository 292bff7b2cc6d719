/*
 * Private to the grants: the pieces token_grants.c and user_grants.c share.
 */
#ifndef LK_OAUTH_GRANTS_INT_H
#define LK_OAUTH_GRANTS_INT_H

#include "oauth/client_auth.h"
#include "oauth/token_grants.h"

/* A form parameter, NULL when absent or empty. */
const char *lk_grant_param(const struct lk_request *req, const char *name);

/* Logs what failed and fills err with server_error; returns false. */
bool lk_grant_server_error(struct lk_oauth_error *err, const char *what, enum lk_err e);

/* The database, or NULL with a server_error in err. */
struct lk_store *lk_grant_store(const struct lk_grant_env *env, struct lk_oauth_error *err);

/* Client authentication; allow_public accepts method none for public clients. */
bool lk_grant_authenticate(const struct lk_grant_env *env, const struct lk_request *req,
			   bool allow_public, struct lk_auth_result *who,
			   struct lk_oauth_error *err);

/* unauthorized_client for a grant the client may not use; returns false. */
bool lk_grant_unauthorized(struct lk_oauth_error *err, const char *grant);

#endif
