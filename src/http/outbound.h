/*
 * Outbound HTTP, for sign-in through upstream OpenID providers (DESIGN §3):
 * discovery, JWKS, the token and userinfo endpoints. Blocking, so callers
 * run on the slow-work pool, never on an event loop.
 *
 * Every request is bounded: LK_OUTBOUND_CONNECT_MS to connect and
 * LK_OUTBOUND_TOTAL_MS in all, at most LK_OUTBOUND_MAX_BODY bytes of answer,
 * only http and https, redirects never followed (an endpoint that moved is
 * a configuration matter, and a redirect could lead a request carrying
 * credentials elsewhere), TLS peers and host names always verified. Plain
 * http is allowed only to loopback hosts, for development and tests.
 *
 * The CA certificates are the system's; SSL_CERT_FILE in the environment,
 * when set, names a PEM file to use instead (a private CA), as OpenSSL
 * tools read it.
 */
#ifndef LK_HTTP_OUTBOUND_H
#define LK_HTTP_OUTBOUND_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

#define LK_OUTBOUND_CONNECT_MS 5000
#define LK_OUTBOUND_TOTAL_MS 10000
#define LK_OUTBOUND_MAX_BODY (256 * 1024)
/* The longest URL requested. */
#define LK_OUTBOUND_URL_MAX 2048

struct lk_outbound_request {
	const char *url;
	/* An application/x-www-form-urlencoded body to POST; NULL for a GET. */
	const char *form;
	/* The value of an Authorization header, or NULL. A secret: never logged. */
	const char *authorization;
};

struct lk_outbound_response {
	long status;
	char *body; /* NUL-terminated, len bytes; may hold tokens */
	size_t len;
	char content_type[128]; /* without parameters, lower case; "" when none */
};

/*
 * Prepares libcurl; call once from the main thread before any request.
 * LK_EINTERNAL when libcurl cannot start.
 */
enum lk_err lk_outbound_global_init(void);

/* Undoes lk_outbound_global_init. */
void lk_outbound_global_cleanup(void);

/*
 * Whether url may be requested: an https URL, or an http URL whose host is
 * a loopback address (127.0.0.0/8, [::1]) or localhost; no user name or
 * password in it; at most LK_OUTBOUND_URL_MAX bytes.
 */
bool lk_outbound_url_allowed(const char *url);

/*
 * Performs one request. Any HTTP status is LK_OK with out->status set (the
 * caller decides what it accepts); LK_EINVAL for a URL that is not
 * allowed, LK_ETOOBIG for an answer past the limit, LK_EIO for anything
 * that kept an answer from arriving (refused, timed out, TLS failure, a
 * redirect), logged at warn with the URL but never the body or the
 * Authorization header. *out is written only on success; release it with
 * lk_outbound_response_release.
 */
enum lk_err lk_outbound_fetch(const struct lk_outbound_request *req,
			      struct lk_outbound_response *out);

/* Zeroes and frees the body. NULL is a no-op. */
void lk_outbound_response_release(struct lk_outbound_response *r);

#endif
