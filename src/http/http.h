/*
 * The HTTP layer: the only code that includes libmicrohttpd. Endpoints see a
 * plain request struct (which tests can build by hand, without a socket) and
 * fill a plain response struct; the server turns those into HTTP.
 *
 * Threading: `workers` event loops, each an epoll loop on its own thread with
 * its own listening socket on the same port (SO_REUSEPORT). Handlers run on
 * the loop's thread and must not block; slow work (password hashing, outbound
 * HTTP) is handed to a separate pool with lk_http_defer, which suspends the
 * connection until the work is done.
 */
#ifndef LK_HTTP_HTTP_H
#define LK_HTTP_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"

/* Limits on what a request may carry. */
#define LK_HTTP_DEFAULT_MAX_BODY (64 * 1024)
#define LK_HTTP_DEFAULT_MAX_HEADER (16 * 1024)
#define LK_HTTP_DEFAULT_MAX_PARAMS 64
#define LK_HTTP_MAX_RESPONSE_HEADERS 24
/* Each request may allocate at most this much from its arena. */
#define LK_HTTP_ARENA_MAX (1024 * 1024)
/* A response body may not grow past this. */
#define LK_HTTP_MAX_RESPONSE_BODY (8 * 1024 * 1024)
/* Idle connections are closed after this many seconds unless configured. */
#define LK_HTTP_DEFAULT_TIMEOUT 30
/* Open connections for the whole server, shared out among the event loops. */
#define LK_HTTP_MAX_CONNECTIONS 4096
/* Deferred requests that may wait for a slow-work thread. */
#define LK_HTTP_SLOW_QUEUE 1024
/* How long lk_http_server_stop waits for requests in flight. */
#define LK_HTTP_STOP_GRACE_MS 10000

/* One name/value pair: a query or form parameter, a header or a cookie. */
struct lk_param {
	const char *name;
	const char *value; /* NUL-terminated; value_len excludes the NUL */
	size_t value_len;
};

/* An ordered list of pairs; memory belongs to the request arena. */
struct lk_params {
	struct lk_param *items;
	size_t n;
};

/* The value of the first pair named name (exact match), or NULL. */
const char *lk_params_get(const struct lk_params *p, const char *name);

/* The same, comparing names without regard to ASCII case (headers). */
const char *lk_params_get_nocase(const struct lk_params *p, const char *name);

/*
 * Parses application/x-www-form-urlencoded text (a query string or a form
 * body) of len bytes into out, with strings in the arena. '+' is a space and
 * %XX is decoded; a stray or incomplete '%' escape or a decoded NUL is
 * LK_EPARSE. More than max_params pairs is LK_ETOOMANY. A name given more than
 * once is LK_EDUP unless allow_dup (RFC 6749 §3.1: request parameters must not
 * be repeated); *dup_name then names it (arena string) when dup_name is not
 * NULL. Empty pairs ("a=1&&b=2") are skipped; a pair without '=' has the value
 * "". out is written only on success.
 */
enum lk_err lk_form_parse(struct lk_arena *a, const char *s, size_t len, size_t max_params,
			  bool allow_dup, struct lk_params *out, const char **dup_name);

/*
 * Parses a Cookie header ("a=1; b=2") into out (RFC 6265 §5.4): names and
 * values are not decoded; surrounding double quotes are removed from values.
 * LK_EPARSE for a pair without a name, LK_ETOOMANY past max. Duplicates kept.
 */
enum lk_err lk_cookie_parse(struct lk_arena *a, const char *header, size_t max,
			    struct lk_params *out);

/*
 * Parses an Authorization header of the Basic scheme (RFC 7617), scheme name
 * case-insensitive. Each of user and password is then form-urlencoded-decoded
 * as RFC 6749 §2.3.1 requires; a value that does not decode cleanly is taken
 * as it was sent, so unencoded credentials still work. LK_ENOTFOUND when the
 * header is not Basic, LK_EPARSE when it is malformed (bad base64, no ':',
 * NUL bytes). Strings are in the arena; the caller must not log them.
 */
enum lk_err lk_basic_auth_parse(struct lk_arena *a, const char *header, const char **user,
				const char **password);

/*
 * Extracts the token of an Authorization header of the Bearer scheme (RFC
 * 6750 §2.1). LK_ENOTFOUND when the header is absent or of another scheme,
 * LK_EPARSE when the token is empty or has characters outside b64token.
 */
enum lk_err lk_bearer_parse(const char *header, const char **token);

/* A request as endpoints see it. Everything lives in the arena. */
struct lk_request {
	const char *method;	  /* "GET", "POST", ... */
	const char *path;	  /* decoded path, without the query string */
	const char *query_string; /* raw, "" when absent */
	struct lk_params query;	  /* parsed query; valid when query_err == LK_OK */
	enum lk_err query_err;	  /* LK_EDUP / LK_EPARSE / LK_ETOOMANY */
	const char *query_dup;	  /* the repeated name when query_err == LK_EDUP */
	struct lk_params headers; /* names as received; use lk_params_get_nocase */
	const char *body;	  /* NUL-terminated, body_len bytes */
	size_t body_len;
	struct lk_params form; /* parsed when the body is form-urlencoded */
	enum lk_err form_err;  /* as query_err; LK_ENOTFOUND when not a form */
	const char *form_dup;
	const char *client_addr; /* peer address, or the last X-Forwarded-For hop
				    behind a proxy */
	const char *request_id;
	bool tls; /* the connection (or the proxy's) is https */
	struct lk_arena *arena;
	void *priv; /* the server's own per-connection state */
};

/* The value of a request header (case-insensitive name), or NULL. */
const char *lk_req_header(const struct lk_request *req, const char *name);

/* A response being built. The server sends it after the handler returns. */
struct lk_response {
	int status; /* 0 = not set: the server answers 500 */
	const char *content_type;
	struct lk_buf body;
	struct lk_param headers[LK_HTTP_MAX_RESPONSE_HEADERS];
	size_t nheaders;
	struct lk_arena *arena; /* the request's arena, for header strings */
};

/* Prepares a response whose strings may live in arena. */
void lk_res_init(struct lk_response *res, struct lk_arena *arena);

/* Releases the body; header strings belong to the arena. */
void lk_res_release(struct lk_response *res);

/*
 * Adds a header; name and value are copied into the arena. A value with CR or
 * LF is refused (LK_EINVAL), as is a header past the maximum (LK_ETOOMANY).
 */
enum lk_err lk_res_header(struct lk_response *res, const char *name, const char *value);

/* Sets status, Content-Type (static storage or the arena) and the body (copied). */
void lk_res_body(struct lk_response *res, int status, const char *content_type, const void *data,
		 size_t len);

/* Sets status, Content-Type: application/json and the body to json (copied). */
void lk_res_json(struct lk_response *res, int status, const char *json);

/*
 * The same with a jansson value (type-erased to keep jansson out of this
 * header): takes ownership of `json_t *value` and serialises it compactly.
 */
void lk_res_json_value(struct lk_response *res, int status, void *value);

/* {"error": error, "error_description": description} with the status. */
void lk_res_json_error(struct lk_response *res, int status, const char *error,
		       const char *description);

/*
 * Sets status, text/html; charset=utf-8 and the security headers of HTML
 * pages: Content-Security-Policy (no inline script, frame-ancestors 'none'),
 * X-Frame-Options, Referrer-Policy: no-referrer, Cache-Control: no-store
 * (the server adds X-Content-Type-Options: nosniff to every response).
 */
void lk_res_html(struct lk_response *res, int status, const char *html);

/*
 * The same, with form_origin ("https://app.example", "http://127.0.0.1:*")
 * added to the policy's form-action: a form on the page may post, or end in
 * a redirect, there. NULL adds nothing; an origin with spaces, quotes, ';'
 * or ',' is refused (500).
 */
void lk_res_html_to(struct lk_response *res, int status, const char *html, const char *form_origin);

/* 303 See Other (302 for GET) to url, which the caller has checked is trusted. */
void lk_res_redirect(struct lk_response *res, int status, const char *url);

/* Cache-Control: no-store and Pragma: no-cache (token responses). */
void lk_res_no_store(struct lk_response *res);

/* A handler: fills res from req. ctx is the server's context pointer. */
typedef void (*lk_handler_fn)(void *ctx, struct lk_request *req, struct lk_response *res);

/*
 * Runs work(ctx, req, res, arg) on the slow-work pool once the current handler
 * returns; the connection is suspended meanwhile and the response sent when
 * work returns. Only one deferral per request. LK_EBUSY when the pool's queue
 * is full (the caller then answers 503 itself).
 */
typedef void (*lk_slow_fn)(void *ctx, struct lk_request *req, struct lk_response *res, void *arg);
enum lk_err lk_http_defer(struct lk_request *req, lk_slow_fn work, void *arg);

/*
 * Holds the answer the handler has written until something else has run:
 * once the handler returns, the connection is suspended and start(req, arg)
 * is called on the event loop; what start sets going must then call
 * lk_http_resume(req) exactly once, from any thread, and may change the
 * response until it does (the request and its arena stay valid until then).
 * This is how a response waits for a write that other requests' writes share
 * (the opaque tokens' group commit) without holding up the event loop.
 * LK_EINVAL for a request that has no connection (one built by hand, in
 * tests), LK_ESTATE when the request is already deferred or held.
 */
typedef void (*lk_hold_fn)(struct lk_request *req, void *arg);
enum lk_err lk_http_hold(struct lk_request *req, lk_hold_fn start, void *arg);

/* Sends the response of a held request (see lk_http_hold). */
void lk_http_resume(struct lk_request *req);

/* One route. method is "GET", "POST", "GET,POST", ... or NULL for any. */
struct lk_route {
	const char *method;
	const char *path;
	bool prefix; /* path is a prefix ("/scim/v2/") rather than exact */
	lk_handler_fn fn;
};

/*
 * Finds the route for a method and path. *method_ok is false when a route
 * matches the path but not the method (the caller answers 405 with Allow).
 * NULL when nothing matches the path.
 */
const struct lk_route *lk_router_match(const struct lk_route *routes, size_t n, const char *method,
				       const char *path, bool *method_ok);

/*
 * Writes into out (outlen bytes) the value of the Allow header for a 405 on
 * path (RFC 9110 §15.5.6): the methods of every route matching the path, in
 * table order, without repeats, with HEAD after GET ("GET, HEAD, POST").
 * LK_ETOOBIG when it does not fit (out is then ""). A route that accepts any
 * method contributes nothing, since it never yields a 405.
 */
enum lk_err lk_router_allow(const struct lk_route *routes, size_t n, const char *path, char *out,
			    size_t outlen);

struct lk_http_options {
	const char *listen;	  /* "127.0.0.1:8080", "[::1]:8080", "0.0.0.0:443" */
	int workers;		  /* event loops; >= 1 */
	int slow_threads;	  /* slow-work pool threads; >= 1 */
	const char *tls_cert_pem; /* both NULL for plain HTTP */
	const char *tls_key_pem;
	bool behind_proxy; /* trust X-Forwarded-For / X-Forwarded-Proto */
	size_t max_body;
	size_t max_header;
	size_t max_params;
	unsigned timeout_seconds; /* idle connection timeout */
	unsigned max_conns_per_ip;
	const struct lk_route *routes;
	size_t nroutes;
	lk_handler_fn not_found; /* called when no route matches */
	void *ctx;		 /* passed to every handler */
};

struct lk_http_server;

/*
 * Binds the listening sockets and starts the event loops. Returns LK_EIO with
 * a logged reason when the address cannot be bound. *out is written only on
 * success; free with lk_http_server_stop.
 */
enum lk_err lk_http_server_start(const struct lk_http_options *opt, struct lk_http_server **out);

/* Stops accepting, lets requests in flight finish, frees everything. */
void lk_http_server_stop(struct lk_http_server *srv);

/* The port actually bound (useful with port 0). */
uint16_t lk_http_server_port(const struct lk_http_server *srv);

#endif
