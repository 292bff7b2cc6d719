/*
 * Protocol errors: a code from errors.def and a description. Protocol logic
 * fills a struct lk_oauth_error; the endpoint renders it in the one way its
 * context requires (JSON at the token endpoint, a redirect to a trusted
 * redirect URI, an HTML page otherwise, WWW-Authenticate for bearer tokens).
 */
#ifndef LK_OAUTH_ERRORS_H
#define LK_OAUTH_ERRORS_H

#include <stdint.h>

#include "http/http.h"

enum lk_oauth_code {
	LK_OAUTH_NONE = 0,
#define X(name, code, status) name,
#include "oauth/errors.def"
#undef X
	LK_OAUTH__COUNT
};

#define LK_OAUTH_DESCRIPTION_MAX 256

struct lk_oauth_error {
	enum lk_oauth_code code; /* LK_OAUTH_NONE: no error */
	char description[LK_OAUTH_DESCRIPTION_MAX];
	/*
	 * Client authentication used the Basic scheme: an invalid_client answer
	 * then carries WWW-Authenticate: Basic (RFC 6749 §5.2).
	 */
	bool basic;
	/* Seconds to wait before trying again (a throttled sign-in), 0 = none. */
	int64_t retry_after;
};

/* The wire code ("invalid_grant"); "" for LK_OAUTH_NONE. */
const char *lk_oauth_code_name(enum lk_oauth_code code);

/* The HTTP status of the code as a JSON error (400, 401, ...). */
int lk_oauth_code_status(enum lk_oauth_code code);

/*
 * Records an error with a printf-style description (which must never hold a
 * secret, token or code). Returns code, so callers can `return lk_oauth_fail`.
 */
enum lk_oauth_code lk_oauth_fail(struct lk_oauth_error *e, enum lk_oauth_code code,
				 const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Renders an error as RFC 6749 §5.2 JSON with Cache-Control: no-store and
 * Pragma: no-cache, and WWW-Authenticate: Basic realm="latchkey" for an
 * invalid_client after Basic authentication.
 */
void lk_oauth_render_json(struct lk_response *res, const struct lk_oauth_error *e);

/*
 * Renders a bearer-token error (RFC 6750 §3): the status of the code and
 * WWW-Authenticate: Bearer realm="latchkey", error="...",
 * error_description="..." and scope="..." when scope is not NULL. A request
 * without any token (code LK_OAUTH_NONE) gets 401 with only the realm
 * (RFC 6750 §3.1). The body is the same JSON as lk_oauth_render_json.
 */
void lk_oauth_render_bearer(struct lk_response *res, const struct lk_oauth_error *e,
			    const char *scope);

#endif
