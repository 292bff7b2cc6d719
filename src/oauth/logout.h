/*
 * RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0 §2, §3): what a
 * logout request names (the ID token it presents as id_token_hint, the
 * application, where to return) and whether latchkey may send the browser
 * back there. Protocol logic only: the endpoint ends the session, revokes
 * tokens and renders the pages.
 */
#ifndef LK_OAUTH_LOGOUT_H
#define LK_OAUTH_LOGOUT_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "jose/keyring.h"
#include "oauth/clients.h"
#include "oauth/errors.h"

/* The longest client_id, post_logout_redirect_uri or state accepted. */
#define LK_LOGOUT_PARAM_MAX 2048
/* The longest session id an ID token may name. */
#define LK_LOGOUT_SID_MAX 64
/* The longest origin of a post-logout redirect (for the page's form-action). */
#define LK_LOGOUT_ORIGIN_MAX 512

/* The request's parameters as sent; NULL or "" means absent. Borrowed. */
struct lk_logout_params {
	const char *id_token_hint;
	const char *client_id;
	const char *post_logout_redirect_uri;
	const char *state;
};

/* A checked logout request. */
struct lk_logout {
	bool hinted;			       /* a valid id_token_hint was presented */
	int64_t user_id;		       /* the hint's sub; 0 without a hint */
	char sid[LK_LOGOUT_SID_MAX + 1];       /* the hint's sid; "" when none */
	const struct lk_client *client;	       /* named by the hint or client_id; NULL: none
						  (borrowed from the snapshot) */
	char *redirect;			       /* post_logout_redirect_uri with state; NULL:
						  no redirect (malloc'd) */
	char origin[LK_LOGOUT_ORIGIN_MAX + 1]; /* redirect's origin, "" without one */
};

/*
 * Checks a logout request against the keyring and the application snapshot.
 * An id_token_hint must be an ID token this server signed (a key of kr, the
 * key's own algorithm, not an access token), with iss this issuer, a
 * numeric sub and aud a known application; it may have expired (§2: the
 * RP's session may be old). client_id, when given, must name a known
 * application and equal the hint's aud. redirect is set only when
 * post_logout_redirect_uri equals one of the enabled application's
 * registered post-logout redirect URIs exactly; state is then added to its
 * query. Anything else is no redirect, not an error.
 *
 * true with *out filled (release with lk_logout_release); false with e
 * filled: invalid_request for a hint that fails any check, an unknown
 * client_id, a client_id that is not the hint's aud, or a parameter past
 * its limit; server_error when memory ran out.
 */
bool lk_logout_check(const struct lk_config *cfg, const struct lk_keyring *kr,
		     const struct lk_clients *clients, const struct lk_logout_params *p,
		     struct lk_logout *out, struct lk_oauth_error *e);

/* Frees what a checked request holds and zeroes it. NULL is a no-op. */
void lk_logout_release(struct lk_logout *l);

#endif
