/*
 * Sign-in through upstream OpenID providers ([upstream.NAME], DESIGN §3):
 * latchkey is the relying party. Per upstream it keeps the discovery
 * document and the JWKS (fetched when first needed, cached for
 * LK_UPSTREAM_CACHE_SECONDS), builds the authorization request (code flow
 * with PKCE S256, state and nonce), redeems the code, and fully validates
 * the ID token (OpenID Connect Core §3.1.3.7) before anything is believed.
 *
 * Every function that may fetch blocks on the network and belongs on the
 * slow-work pool. struct lk_upstreams is shared by all threads: its caches
 * are guarded by a mutex that is never held across a request.
 */
#ifndef LK_OAUTH_UPSTREAM_H
#define LK_OAUTH_UPSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "core/err.h"
#include "http/outbound.h"

/* The authentication method of a session begun at an upstream. */
#define LK_AMR_UPSTREAM "fed"
/* How long a sign-in at an upstream may take, from redirect to callback. */
#define LK_UPSTREAM_FLOW_SECONDS 600
/* How long discovery documents and key sets are kept before being fetched again. */
#define LK_UPSTREAM_CACHE_SECONDS 3600
/*
 * A token signed with a key the cached set lacks makes the set be fetched
 * again (key rotation), but not more often than this: a flood of made-up
 * kids cannot turn into a flood of requests to the upstream.
 */
#define LK_UPSTREAM_REFETCH_SECONDS 30
/* The clock difference tolerated on exp, iat and nbf. */
#define LK_UPSTREAM_SKEW_SECONDS 60
/* The most keys a JWKS may hold, and the longest sub, email or name kept. */
#define LK_UPSTREAM_MAX_KEYS 32
#define LK_UPSTREAM_CLAIM_MAX 255
/* base64url of an HMAC-SHA256: the length of a derived nonce and PKCE verifier. */
#define LK_UPSTREAM_SECRET_LEN 43

/*
 * Performs one outbound request, as lk_outbound_fetch does (the default);
 * tests substitute a function that answers from memory.
 */
typedef enum lk_err (*lk_upstream_fetch_fn)(void *arg, const struct lk_outbound_request *req,
					    struct lk_outbound_response *out);

struct lk_upstreams;

/*
 * The state of every [upstream.NAME] of cfg (which must outlive it). Also
 * initialises libcurl, so call it from the main thread. Free with
 * lk_upstreams_free.
 */
enum lk_err lk_upstreams_new(const struct lk_config *cfg, struct lk_upstreams **out);

/* Frees the caches. NULL is a no-op. */
void lk_upstreams_free(struct lk_upstreams *u);

/* Replaces how requests are made (tests); fn NULL restores lk_outbound_fetch. */
void lk_upstreams_set_fetch(struct lk_upstreams *u, lk_upstream_fetch_fn fn, void *arg);

/* The configuration of upstream name, or NULL when there is none. */
const struct lk_upstream_config *lk_upstreams_find(const struct lk_upstreams *u, const char *name);

/*
 * What one sign-in at an upstream needs beside its state, derived from the
 * state with an HMAC under key (the master key), so that the store keeps
 * nothing secret: nonce, PKCE verifier, and the verifier's S256 challenge.
 */
struct lk_upstream_secrets {
	char nonce[LK_UPSTREAM_SECRET_LEN + 1];
	char verifier[LK_UPSTREAM_SECRET_LEN + 1];
	char challenge[LK_UPSTREAM_SECRET_LEN + 1];
};

enum lk_err lk_upstream_derive(const uint8_t *key, size_t keylen, const char *state,
			       struct lk_upstream_secrets *out);

/* Zeroes secrets. */
void lk_upstream_secrets_wipe(struct lk_upstream_secrets *s);

/*
 * The URL to send the browser to at upstream name: its authorization
 * endpoint with response_type=code, client_id, redirect_uri, scope, state,
 * nonce, code_challenge and code_challenge_method=S256. Fetches the
 * discovery document when it is not cached. *url is the caller's (free()).
 * LK_ENOTFOUND for an unknown upstream, LK_EIO when the upstream cannot be
 * reached or its discovery document is not acceptable (logged).
 */
enum lk_err lk_upstream_auth_url(struct lk_upstreams *u, const char *name, const char *redirect_uri,
				 const char *state, const struct lk_upstream_secrets *sec,
				 int64_t now, char **url);

/* Who the upstream says signed in. Strings are never NULL ("" when absent). */
struct lk_upstream_identity {
	char *issuer;  /* the upstream's issuer, as configured */
	char *subject; /* its sub */
	char *email;
	bool email_verified;
	char *preferred_username;
	char *name;
	char *given_name;
	char *family_name;
};

void lk_upstream_identity_release(struct lk_upstream_identity *id);

/*
 * Redeems code at upstream name (RFC 6749 §4.1.3, with the PKCE verifier
 * and the client's secret), validates the ID token of the answer with
 * lk_upstream_verify_id_token and, when the upstream has a userinfo
 * endpoint, reads the claims there (Core §5.3: its sub must be the ID
 * token's). *out is written only on success.
 * LK_ENOTFOUND unknown upstream; LK_EIO the upstream could not be reached
 * or answered an error; LK_EDENIED the ID token is not valid; LK_EPARSE an
 * answer that is not what the protocol says. Reasons are logged at warn,
 * never a code or token.
 */
enum lk_err lk_upstream_redeem(struct lk_upstreams *u, const char *name, const char *redirect_uri,
			       const char *code, const struct lk_upstream_secrets *sec, int64_t now,
			       struct lk_upstream_identity *out);

/*
 * Validates an ID token of upstream name (Core §3.1.3.7): signed with RS256,
 * PS256 or ES256 (never none or HMAC) by a key of the upstream's JWKS,
 * which is fetched again once when no key matches the token's kid; iss the
 * configured issuer exactly; aud the client_id or an array holding it (with
 * azp equal to the client_id when there are several, or whenever azp is
 * present); exp in the future and iat and nbf not, within
 * LK_UPSTREAM_SKEW_SECONDS; nonce equal to nonce; a sub of 1 to
 * LK_UPSTREAM_CLAIM_MAX characters. On success *out holds the issuer, sub
 * and the identity claims the token carries. LK_EDENIED for a token that
 * fails any check, LK_EIO when the JWKS cannot be had.
 */
enum lk_err lk_upstream_verify_id_token(struct lk_upstreams *u, const char *name,
					const char *id_token, const char *nonce, int64_t now,
					struct lk_upstream_identity *out);

#endif
