/*
 * The admin JSON API under /admin/api/ (DESIGN §6): applications, users,
 * scopes, signing keys and the audit log, for an enabled administrator
 * signed in to the console (a browser session with a CSRF token) or a bearer
 * token with the scope `admin` acting for one. Every rule and every message
 * comes from the registry (oauth/registry.h) with JSON member names, so the
 * API, the CLI and the console refuse the same input in the same words.
 *
 * admin_api.c authenticates and routes; admin_api_apps.c, admin_api_users.c
 * and admin_api_misc.c answer one resource each; admin_api_json.c holds what
 * needs no server and is unit-tested on its own: the request body, the
 * mapping of JSON members onto the registry's inputs, and list paging.
 */
#ifndef LK_ENDPOINTS_ADMIN_API_H
#define LK_ENDPOINTS_ADMIN_API_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "endpoints/context.h"
#include "http/http.h"
#include "oauth/registry.h"
#include "oauth/signin.h"

/* Lists: the page size when none is asked for, and the largest page. */
#define LK_ADMIN_LIST_DEFAULT 50
#define LK_ADMIN_LIST_MAX 500
/* The longest search text (q) and audit filter. */
#define LK_ADMIN_Q_MAX 256
/*
 * Bodies are flat objects whose members are strings, numbers, booleans or
 * arrays of strings: two levels. One more is allowed so that a value of the
 * wrong type is named as such rather than as too deep.
 */
#define LK_ADMIN_JSON_DEPTH 3
#define LK_ADMIN_JSON_MEMBERS 64
/*
 * The longest string member the mapping passes on. The registry's own limits
 * are lower and give the message; this only stops absurd values early.
 * Certificates (public_key) may be up to LK_CERT_MAX_SIZE.
 */
#define LK_ADMIN_STRING_MAX 4096
/* Room for a message about the request itself (not the registry's). */
#define LK_ADMIN_WHY 256

/* One request being served: who calls, and the registry acting for them. */
struct lk_admin_call {
	struct lk_ctx *c;
	struct lk_store *s;
	struct lk_request *req;
	struct lk_response *res;
	struct lk_registry r; /* api_names set; actor names the administrator */
	struct lk_user user;  /* the administrator */
	bool session;	      /* a browser session, not a bearer token */
	char sid[sizeof(((struct lk_session *)0)->sid)];
};

/* ---- Answers (admin_api.c); every one carries Cache-Control: no-store ---- */

/* {"error": code, "error_description": printf(fmt, ...)} with status. */
void lk_admin_error(struct lk_response *res, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * The answer to a refusal of the registry: LK_EINVAL 400 invalid_input,
 * LK_ENOTFOUND 404 not_found, LK_EEXIST and LK_ESTATE 409 conflict, each
 * with r->err; anything else 500 server_error (logged, not shown).
 */
void lk_admin_fail(struct lk_admin_call *a, enum lk_err err);

/* A JSON answer; takes v (NULL: 500). */
void lk_admin_send(struct lk_response *res, int status, json_t *v);

/*
 * The same for an answer that carries a secret shown once in string member
 * `member` (client_secret, password, access_token): after the body is
 * written, jansson's copy of it is zeroed before it is freed.
 */
void lk_admin_send_secret(struct lk_response *res, int status, json_t *v, const char *member);

/* 204 No Content. */
void lk_admin_no_content(struct lk_response *res);

/* 405 with Allow. */
void lk_admin_not_allowed(struct lk_response *res, const char *allow);

/* Adds the registry's warnings to v as "warnings": [...] when there are any. */
void lk_admin_warnings(const struct lk_admin_call *a, json_t *v);

/*
 * The request's JSON body as an object: Content-Type application/json, then
 * lk_admin_json_parse. A request without a body gives NULL when !required
 * (an action whose body is optional) and a 400 otherwise. On false the
 * answer has been written.
 */
bool lk_admin_body(struct lk_admin_call *a, bool required, json_t **out);

/*
 * Accepts only the query parameters named in allowed (NULL-terminated); on
 * false a 400 has been written.
 */
bool lk_admin_query_ok(struct lk_admin_call *a, const char *const *allowed);

/* ---- Resources ---- */

/*
 * Each answers /admin/api/RESOURCE[/ID[/ACTION]]; id and action are NULL
 * when absent.
 */
void lk_admin_apps(struct lk_admin_call *a, const char *id, const char *action);
void lk_admin_users(struct lk_admin_call *a, const char *id, const char *action);
void lk_admin_scopes(struct lk_admin_call *a, const char *id, const char *action);
void lk_admin_keys(struct lk_admin_call *a, const char *id, const char *action);
void lk_admin_audit(struct lk_admin_call *a, const char *id, const char *action);
void lk_admin_session(struct lk_admin_call *a, const char *id, const char *action);

/* ---- Bodies, inputs and pages (admin_api_json.c): no server needed ---- */

/*
 * Parses a request body of len bytes: JSON nested at most
 * LK_ADMIN_JSON_DEPTH deep, an object of at most LK_ADMIN_JSON_MEMBERS
 * members, no member twice. *out (the caller's reference) is written only on
 * success; otherwise LK_EINVAL with the reason in why.
 */
enum lk_err lk_admin_json_parse(const char *body, size_t len, json_t **out, char *why,
				size_t whylen);

/*
 * Maps the members of an APP_INPUT object onto in (initialised here):
 * strings, "scopes" as an array of strings or one space-separated string,
 * the URI lists as arrays, "lifetime" as minutes or "never" / "default",
 * "first_party" as a boolean, "public_key" as PEM text; null clears
 * description, website, user, audience and userinfo_signed_response_alg.
 * num receives the text of a numeric lifetime (in->lifetime points to it).
 * Strings in `in` point into o, which must outlive it. An unknown member or
 * a value of the wrong type is LK_EINVAL with the member named in why; the
 * values themselves are the registry's to check.
 */
#define LK_ADMIN_NUM 24
enum lk_err lk_admin_app_input(json_t *o, struct lk_app_input *in, char num[LK_ADMIN_NUM],
			       char *why, size_t whylen);

/*
 * Maps a USER_INPUT object onto in (initialised here). "user" is accepted
 * only when adding, and "password" (a string, or null for a generated one)
 * only when password is not NULL; *password is then the given one or NULL.
 * null clears email, display_name, given_name, family_name and phone_number.
 * As lk_admin_app_input otherwise.
 */
enum lk_err lk_admin_user_input(json_t *o, bool adding, struct lk_user_input *in,
				const char **password, char *why, size_t whylen);

/* A page of a list: the search text (NULL = everything), offset and limit. */
struct lk_admin_page {
	const char *q;
	size_t offset;
	size_t limit;
	size_t total; /* matches seen so far (lk_admin_page_take) */
};

/*
 * Reads q, offset (default 0) and limit (default LK_ADMIN_LIST_DEFAULT,
 * 1..LK_ADMIN_LIST_MAX) from a query; LK_EINVAL with why for a bad value.
 */
enum lk_err lk_admin_page_parse(const struct lk_params *query, struct lk_admin_page *p, char *why,
				size_t whylen);

/*
 * Whether any of the n fields (NULL fields skipped) contains p->q without
 * regard to ASCII case; true when there is no q.
 */
bool lk_admin_page_match(const struct lk_admin_page *p, const char *const *fields, size_t n);

/* Counts one match; true when it falls on the page. */
bool lk_admin_page_take(struct lk_admin_page *p);

/*
 * {"items": items, "total": T, "offset": N, "limit": M}; takes items. NULL
 * when out of memory.
 */
json_t *lk_admin_page_json(const struct lk_admin_page *p, json_t *items);

#endif
