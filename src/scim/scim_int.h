/*
 * Internals shared by the files of src/scim/ that implement scim.h: request
 * bodies, member access without regard to case, list pages and attribute
 * projection, and the bridge to the registry. Not for use outside src/scim/.
 */
#ifndef LK_SCIM_SCIM_INT_H
#define LK_SCIM_SCIM_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "oauth/registry.h"
#include "scim/filter.h"
#include "scim/scim.h"

/* The most attribute names one attributes / excludedAttributes value lists. */
#define LK_SCIM_PROJ_MAX 32

/*
 * Parses a request body: JSON (RFC 8259) with no member given twice, whose
 * top level is an object. *out is a new reference. 400 invalidSyntax
 * otherwise.
 */
enum lk_err lk_scim_body(const char *body, size_t len, json_t **out, struct lk_scim_error *e);

/*
 * Checks the "schemas" member of a body: when present it must be an array of
 * strings naming want (compared without regard to case). Absent is accepted,
 * since several provisioning clients omit it. 400 invalidSyntax otherwise.
 */
enum lk_err lk_scim_check_schemas(const json_t *body, const char *want, struct lk_scim_error *e);

/*
 * Parses the id of a URL: the decimal digits of a positive 64-bit number,
 * nothing else. 404 (an id that cannot exist names no resource) otherwise;
 * what names the resource type in the message ("user").
 */
enum lk_err lk_scim_id_parse(const char *s, const char *what, int64_t *out,
			     struct lk_scim_error *e);

/*
 * An optional string member (absent or null: *out = NULL); another type is
 * 400 invalidValue naming the attribute.
 */
enum lk_err lk_scim_get_str(const json_t *obj, const char *name, const char **out,
			    struct lk_scim_error *e);

/*
 * An optional boolean member: *out is -1 when absent or null, else 0 or 1.
 * The strings "true" and "false" in any case are accepted, as Microsoft
 * Entra ID sends them ("False"); anything else is 400 invalidValue.
 */
enum lk_err lk_scim_get_bool(const json_t *obj, const char *name, int *out,
			     struct lk_scim_error *e);

/*
 * Sets the member of obj whose name equals name without regard to case (or
 * adds name), taking over the reference value. -1 on failure (value freed).
 */
int lk_scim_set(json_t *obj, const char *name, json_t *value);

/* Deletes every member of obj whose name equals name without regard to case. */
void lk_scim_del(json_t *obj, const char *name);

/*
 * Zeroes the text of every member named "password" (any case) in a JSON
 * tree, so a password does not linger in freed memory (STYLE: secrets are
 * wiped before being freed).
 */
void lk_scim_wipe_passwords(json_t *v);

/*
 * The meta attribute of a resource (RFC 7643 §3.1): resourceType, created,
 * lastModified and location (base/endpoint/id). New reference or NULL.
 */
json_t *lk_scim_meta(const struct lk_scim_env *env, const char *type, const char *endpoint,
		     int64_t id, int64_t created, int64_t modified);

/* The ids of resources as SCIM writes them: decimal strings. */
json_t *lk_scim_id_json(int64_t id);

/* A registry of the environment: API field names, the SCIM actor. */
void lk_scim_registry_init(struct lk_registry *r, const struct lk_scim_env *env);

/*
 * Turns a registry failure into a SCIM error: LK_EINVAL and LK_ETOOBIG are
 * 400 invalidValue, LK_EEXIST 409 uniqueness, LK_ENOTFOUND 404, LK_ESTATE
 * 409, anything else 500; the detail is the registry's message. Returns err.
 */
enum lk_err lk_scim_registry_error(struct lk_scim_error *e, enum lk_err err,
				   const struct lk_registry *r);

/* A store failure while reading: 500 naming what was being done. */
enum lk_err lk_scim_store_error(struct lk_scim_error *e, enum lk_err err, const char *what);

/* The attribute names of an attributes or excludedAttributes parameter. */
struct lk_scim_proj {
	struct {
		char name[LK_SCIM_NAME_MAX];
		char sub[LK_SCIM_NAME_MAX];
	} items[LK_SCIM_PROJ_MAX];
	size_t n;
	bool given;
};

/*
 * Parses q->attributes and q->excluded (RFC 7644 §3.9): comma-separated
 * attribute paths, a core schema URI in front allowed. q may be NULL. 400
 * invalidValue for a malformed one or more than LK_SCIM_PROJ_MAX.
 */
enum lk_err lk_scim_proj_parse(const struct lk_scim_query *q, struct lk_scim_proj *inc,
			       struct lk_scim_proj *exc, struct lk_scim_error *e);

/*
 * Projects a resource (reference taken over) through inc and exc: with inc
 * given, only the named attributes and id and schemas, which are always
 * returned; then the attributes named by exc are removed (never id or
 * schemas). Returns the result, a new reference, or NULL without memory.
 */
json_t *lk_scim_project(json_t *resource, const struct lk_scim_proj *inc,
			const struct lk_scim_proj *exc);

/*
 * Checks q's projection parameters before anything is changed, so that a
 * request refused for them changes nothing.
 */
enum lk_err lk_scim_query_check(const struct lk_scim_query *q, struct lk_scim_error *e);

/*
 * Applies q's projection parameters to a single resource (reference taken
 * over); *out is a new reference.
 */
enum lk_err lk_scim_project_query(json_t *resource, const struct lk_scim_query *q, json_t **out,
				  struct lk_scim_error *e);

/*
 * One page of a list (RFC 7644 §3.4.2): the filter, startIndex and count of
 * the query, the resources offered so far that matched, and those that fall
 * in the page, projected.
 */
struct lk_scim_page {
	struct lk_scim_filter *filter; /* NULL: every resource matches */
	int64_t start;		       /* 1-based */
	int64_t count;
	int64_t total;
	json_t *resources;
	struct lk_scim_proj inc, exc;
};

/* Parses the query into a page: 400 invalidFilter, invalidValue. */
enum lk_err lk_scim_page_init(struct lk_scim_page *p, const struct lk_scim_query *q,
			      struct lk_scim_error *e);

/*
 * Offers a resource (reference taken over) to the page: counted when it
 * matches the filter, kept when it also falls inside the page. 500 without
 * memory.
 */
enum lk_err lk_scim_page_offer(struct lk_scim_page *p, json_t *resource, struct lk_scim_error *e);

/*
 * The ListResponse of the page (new reference); the page is released. 500
 * without memory.
 */
enum lk_err lk_scim_page_finish(struct lk_scim_page *p, json_t **out, struct lk_scim_error *e);

/* Frees what the page holds. */
void lk_scim_page_release(struct lk_scim_page *p);

/*
 * A ListResponse holding every resource of an array chosen by the caller, as
 * the discovery lists use it. The array is borrowed (the answer takes its own
 * reference). New reference or NULL.
 */
json_t *lk_scim_list_json(json_t *resources);

/* ---- Users (user_json.c) ---- */

/* The longest userName: a domain, a backslash and a user name. */
#define LK_SCIM_USERNAME_MAX 160

/* A user's userName: "username" in the default domain, else "domain\username". */
void lk_scim_user_name(const struct lk_scim_env *env, const struct lk_user *u, char *out, size_t n);

/*
 * Renders a user as a SCIM User (RFC 7643 §4.1) with meta. groups holds n
 * groups: with members_known (lk_store_group_list) those whose member list
 * holds the user are named in "groups"; otherwise all of them are (the
 * answer of lk_store_user_groups). New reference or NULL without memory.
 */
json_t *lk_scim_user_json(const struct lk_scim_env *env, const struct lk_user *u,
			  const struct lk_group *groups, size_t n, bool members_known);

/*
 * What a User body asks for: the registry input (every profile field set,
 * "" for an absent one, so it replaces; enabled -1 when active is absent)
 * and the password (NULL when none). Strings are borrowed from the JSON.
 */
struct lk_scim_user_body {
	struct lk_user_input in;
	const char *password;
};

/*
 * Reads a User resource: userName is required; emails and phoneNumbers keep
 * the primary value, or else the first; readOnly attributes (id, meta,
 * groups, name.formatted) and attributes of no supported schema are
 * ignored. 400 invalidValue for a wrong type or a missing userName.
 */
enum lk_err lk_scim_user_parse(const json_t *res, struct lk_scim_user_body *out,
			       struct lk_scim_error *e);

#endif
