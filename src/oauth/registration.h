/*
 * Dynamic client registration (RFC 7591) and its management protocol
 * (RFC 7592). The endpoint hands over the bearer token and the JSON body;
 * this module maps RFC 7591 client metadata to the registry's options and
 * back, and runs every change through the registry service, which does all
 * the validation, the transaction and the audit entry.
 *
 * Members and their application options (DESIGN §1):
 *   client_name                name (required: latchkey names are unique)
 *   client_uri                 website
 *   redirect_uris              redirect URIs
 *   post_logout_redirect_uris  post-logout redirect URIs
 *   grant_types                grant type: ["authorization_code"] (the default,
 *                              "refresh_token" may be added) = authorization_code,
 *                              ["client_credentials"] = client_credentials,
 *                              ["password"] (+ "refresh_token") = password, both
 *                              authorization_code and client_credentials = all
 *   response_types             ["code"] with authorization_code, else empty
 *   token_endpoint_auth_method none = public; client_secret_basic,
 *                              client_secret_post or absent = confidential
 *   scope                      allowed scopes (space-separated)
 *   application_type           web (the default) = the web redirect strategy;
 *                              native = mobile-localhost when every redirect
 *                              URI is a loopback one, else web
 *   id_token_signed_response_alg  ID token algorithm
 *   userinfo_signed_response_alg  algorithm of signed userinfo answers
 *                              (absent = plain JSON)
 * and latchkey's extensions for options without a standard name:
 *   token_format ("jwt" / "opaque"), lifetime (minutes as a number, or
 *   "never"), lifecycle ("absolute" / "sliding"), audience, redirect_strategy
 *   ("web", "mobile-title", "mobile-localhost"; wins over application_type).
 * Other members are ignored (RFC 7591 §2) and never echoed. Refused: the
 * client-certificate options (private_key_jwt, the jwt-bearer grant: an
 * administrator registers those apps with their certificate), first_party
 * and user (only an administrator vouches for an app or binds a user), and
 * the privileged scopes `admin` and `register` unless the initial access
 * token holds them (a registrant cannot hand out more than it has).
 *
 * Replacing (RFC 7592 §2.2, PUT): the document must carry client_id equal to
 * the path, and client_secret only if it is a current secret of the client.
 * Every member above that is omitted returns to its default, except scope
 * and the two URI lists, which keep their stored value when omitted or empty
 * (the registry treats an empty list as "not given" and cannot clear one).
 * Options without a member (description, a bound user, first party) are left
 * alone.
 */
#ifndef LK_OAUTH_REGISTRATION_H
#define LK_OAUTH_REGISTRATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "oauth/errors.h"
#include "oauth/registry.h"
#include "store/store.h"

/* What registration works with; the endpoint fills it per request. */
struct lk_dcr {
	struct lk_store *store;
	const struct lk_config *cfg;
	int64_t now;
};

/* The scope an initial access token must carry (DESIGN §2). */
#define LK_DCR_SCOPE "register"

/* A metadata document mapped to registry options. */
struct lk_dcr_metadata {
	struct lk_app_input in;	   /* strings point into doc or into the buffers below */
	const char *client_id;	   /* PUT: the client_id member, or NULL */
	const char *client_secret; /* PUT: the client_secret member, or NULL */
	void *doc;		   /* the parsed document (json_t *) */
	char lifetime[24];
};

/*
 * Parses a client metadata document of len bytes (JSON, duplicate members
 * refused) and maps it to registry options in *out, which the caller
 * releases with lk_dcr_metadata_release. replace selects the PUT rules:
 * omitted members are set to their defaults explicitly and client_id /
 * client_secret are collected. On a malformed document, a member of the
 * wrong type or a value that cannot be mapped, fills e with
 * invalid_client_metadata (or invalid_redirect_uri) naming the member and
 * returns LK_EINVAL; LK_ENOMEM as it comes. *out is written only on success.
 */
enum lk_err lk_dcr_metadata_parse(const struct lk_config *cfg, const char *body, size_t len,
				  bool replace, struct lk_dcr_metadata *out,
				  struct lk_oauth_error *e);

/* Frees what a parsed document holds. A zeroed struct is a no-op. */
void lk_dcr_metadata_release(struct lk_dcr_metadata *m);

/*
 * The registered metadata of an application as RFC 7591 §3.2.1 returns it
 * (json_t *, type-erased; the caller owns it): client_id,
 * client_id_issued_at, client_name, redirect_uris, grant_types, ..., with
 * registration_client_uri (issuer + "/oauth2/register/" + client_id). Never
 * a secret. NULL when out of memory.
 */
void *lk_dcr_app_to_json(const struct lk_app *a, const char *issuer);

/*
 * Maps a refusal of the registry (its message in r->err) to the protocol
 * error: invalid_redirect_uri when it is about a redirect URI list, else
 * invalid_client_metadata, with the message (fields renamed to their RFC
 * 7591 members) as description. Store failures become server_error.
 */
void lk_dcr_registry_error(const struct lk_registry *r, enum lk_err err, struct lk_oauth_error *e);

/*
 * POST /oauth2/register (RFC 7591 §3): registers the application described
 * by body for the holder of an initial access token issued to registrar
 * (a client_id, for the audit actor "dcr:REGISTRAR") with granted_scope.
 * A new registration access token (lk_rat_) is issued and only its SHA-256
 * stored. *out (json_t *, the caller's) receives the §3.2.1 response:
 * metadata, client_secret and client_secret_expires_at 0 for confidential
 * clients, registration_access_token. Refusals fill e and return LK_EINVAL;
 * store failures fill e with server_error and return the error. Nothing is
 * registered unless LK_OK is returned.
 */
enum lk_err lk_dcr_register(const struct lk_dcr *d, const char *registrar,
			    const char *granted_scope, const char *body, size_t len, void **out,
			    struct lk_oauth_error *e);

/*
 * Checks a registration access token presented for client_id (RFC 7592 §2):
 * its SHA-256 is compared in constant time with the one stored for exactly
 * that client. Any mismatch, an unknown client or a client registered
 * otherwise is LK_EDENIED with e = invalid_token, so the answer never tells
 * whether the client exists.
 */
enum lk_err lk_dcr_authenticate(const struct lk_dcr *d, const char *client_id, const char *token,
				struct lk_oauth_error *e);

/*
 * RFC 7592 §2.1 read: after lk_dcr_authenticate, *out (json_t *) receives the
 * current metadata with the presented registration_access_token; no secret.
 */
enum lk_err lk_dcr_read(const struct lk_dcr *d, const char *client_id, const char *token,
			void **out, struct lk_oauth_error *e);

/*
 * RFC 7592 §2.2 update: authenticates, then replaces the metadata of
 * client_id with the document in body (see the PUT rules above), validated
 * by the registry; *out receives the new metadata as for lk_dcr_read.
 * Refusals are LK_EINVAL with e filled, and change nothing.
 */
enum lk_err lk_dcr_update(const struct lk_dcr *d, const char *client_id, const char *token,
			  const char *body, size_t len, void **out, struct lk_oauth_error *e);

/*
 * RFC 7592 §2.3 delete: authenticates, then removes the application (its
 * secrets, tokens and registration access token go with it).
 */
enum lk_err lk_dcr_delete(const struct lk_dcr *d, const char *client_id, const char *token,
			  struct lk_oauth_error *e);

#endif
