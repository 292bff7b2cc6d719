/*
 * SCIM 2.0 resources (RFC 7643) and their operations (RFC 7644), as identity
 * systems such as Microsoft Entra ID, Okta and OneLogin provision them
 * (DESIGN §5). This module is the protocol logic: parsed query parameters and
 * request bodies in, a JSON resource or a SCIM error out. It never sees
 * sockets or the HTTP library; src/endpoints/scim.c authenticates the request,
 * routes it here and renders what comes back.
 *
 * Every change goes through the registry (oauth/registry.h), so it is
 * validated, made in one transaction, audited under the actor of the
 * environment and announced to running servers like a change from the CLI.
 *
 * Mapping (DESIGN §5): a User is a latchkey user, its id the numeric user id
 * as a string; userName is "username" in the default domain and
 * "domain\username" elsewhere; active is the enabled flag; password sets the
 * password. A Group is a latchkey group, its id the numeric group id.
 */
#ifndef LK_SCIM_SCIM_H
#define LK_SCIM_SCIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "config/config.h"
#include "core/err.h"
#include "store/store.h"

/* Schema and message URIs (RFC 7643 §8.7, RFC 7644 §8.2). */
#define LK_SCIM_SCHEMA_USER "urn:ietf:params:scim:schemas:core:2.0:User"
#define LK_SCIM_SCHEMA_GROUP "urn:ietf:params:scim:schemas:core:2.0:Group"
#define LK_SCIM_SCHEMA_SPC "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
#define LK_SCIM_SCHEMA_RESOURCE_TYPE "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
#define LK_SCIM_SCHEMA_SCHEMA "urn:ietf:params:scim:schemas:core:2.0:Schema"
#define LK_SCIM_MSG_LIST "urn:ietf:params:scim:api:messages:2.0:ListResponse"
#define LK_SCIM_MSG_PATCH "urn:ietf:params:scim:api:messages:2.0:PatchOp"
#define LK_SCIM_MSG_ERROR "urn:ietf:params:scim:api:messages:2.0:Error"

/* The scope a bearer token needs for SCIM (DESIGN §5). */
#define LK_SCIM_SCOPE "user_sync"

/* The media type of every SCIM body (RFC 7644 §3.1). */
#define LK_SCIM_MEDIA_TYPE "application/scim+json"

/* Resource endpoints below the SCIM base URL. */
#define LK_SCIM_USERS "Users"
#define LK_SCIM_GROUPS "Groups"

/* The most resources one list answer holds, and the default page size. */
#define LK_SCIM_MAX_RESULTS 200
/* The most operations one PATCH request may carry. */
#define LK_SCIM_MAX_OPERATIONS 1000
/* The longest base URL accepted in an environment. */
#define LK_SCIM_BASE_MAX 1024
#define LK_SCIM_DETAIL_MAX 512

/* scimType values (RFC 7644 §3.12, Table 9). */
#define LK_SCIM_INVALID_FILTER "invalidFilter"
#define LK_SCIM_TOO_MANY "tooMany"
#define LK_SCIM_UNIQUENESS "uniqueness"
#define LK_SCIM_MUTABILITY "mutability"
#define LK_SCIM_INVALID_SYNTAX "invalidSyntax"
#define LK_SCIM_INVALID_PATH "invalidPath"
#define LK_SCIM_NO_TARGET "noTarget"
#define LK_SCIM_INVALID_VALUE "invalidValue"

/*
 * What an operation needs: a database connection, the configuration (for
 * the default domain and password rules), the absolute URL of the SCIM base
 * without a trailing '/' ("https://id.example.com/scim/v2", for meta.location
 * and $ref), the actor named in the audit log ("scim:CLIENT_ID") and the
 * time of the request. All borrowed.
 */
struct lk_scim_env {
	struct lk_store *store;
	const struct lk_config *cfg;
	const char *base;
	const char *actor;
	int64_t now;
};

/*
 * The query parameters of RFC 7644 §3.4.2 and §3.9 as received (decoded),
 * NULL when absent: filter, startIndex, count, attributes and
 * excludedAttributes. Only lists read filter, startIndex and count.
 */
struct lk_scim_query {
	const char *filter;
	const char *start_index;
	const char *count;
	const char *attributes;
	const char *excluded;
};

/*
 * A SCIM error (RFC 7644 §3.12): the HTTP status, the scimType (one of the
 * LK_SCIM_* values above, or NULL when none applies) and a detail for
 * people. The detail never holds a password or a token.
 */
struct lk_scim_error {
	int status;
	const char *type;
	char detail[LK_SCIM_DETAIL_MAX];
};

/*
 * Records an error with a printf-style detail and returns the lk_err that
 * matches the status (LK_EDENIED for 401 and 403, LK_ENOTFOUND for 404,
 * LK_EEXIST for 409, LK_EINTERNAL for 5xx, LK_EINVAL for any other), so
 * callers can `return lk_scim_fail(...)`.
 */
enum lk_err lk_scim_fail(struct lk_scim_error *e, int status, const char *type, const char *fmt,
			 ...) __attribute__((format(printf, 4, 5)));

/*
 * The error as a SCIM Error message: schemas, status (a string, as RFC 7644
 * §3.12 shows it), scimType when set and detail. New reference, or NULL
 * without memory.
 */
json_t *lk_scim_error_json(const struct lk_scim_error *e);

/*
 * Users (RFC 7644 §3.3 - §3.6). Each returns LK_OK with *out set to a new
 * reference to the resulting resource (a ListResponse for list), projected by
 * the attributes / excludedAttributes of q (§3.9; q may be NULL); or an error
 * code with e filled and nothing changed. id is the resource id as it came in
 * the URL. body is the request body of len bytes (JSON, not NUL-terminated).
 *
 * create: 201 semantics; userName is required and unique (409 uniqueness);
 * without a password the user gets a random one that nobody learns, so it
 * can sign in only once a password is set or through an upstream provider.
 * replace (PUT): every writable attribute is set from the body, absent ones
 * are cleared (active and password are kept when absent); userName cannot
 * change but in letter case (400 mutability). patch: RFC 7644 §3.5.2 add,
 * replace and remove, applied to the resource's JSON, whose result is then
 * stored as a replace would. remove: LK_OK, 204 semantics; 409 while an
 * application is bound to the user. replace, patch and remove refuse
 * administrators (403): the scope user_sync must not reach them.
 */
enum lk_err lk_scim_user_create(const struct lk_scim_env *env, const struct lk_scim_query *q,
				const char *body, size_t len, json_t **out,
				struct lk_scim_error *e);
enum lk_err lk_scim_user_get(const struct lk_scim_env *env, const char *id,
			     const struct lk_scim_query *q, json_t **out, struct lk_scim_error *e);
enum lk_err lk_scim_user_list(const struct lk_scim_env *env, const struct lk_scim_query *q,
			      json_t **out, struct lk_scim_error *e);
enum lk_err lk_scim_user_replace(const struct lk_scim_env *env, const char *id,
				 const struct lk_scim_query *q, const char *body, size_t len,
				 json_t **out, struct lk_scim_error *e);
enum lk_err lk_scim_user_patch(const struct lk_scim_env *env, const char *id,
			       const struct lk_scim_query *q, const char *body, size_t len,
			       json_t **out, struct lk_scim_error *e);
enum lk_err lk_scim_user_remove(const struct lk_scim_env *env, const char *id,
				struct lk_scim_error *e);

/*
 * Groups, with the same contracts as the user functions: displayName is
 * required and unique without regard to case, externalId is kept, members
 * are users named by their SCIM id (an unknown one is 400 invalidValue).
 */
enum lk_err lk_scim_group_create(const struct lk_scim_env *env, const struct lk_scim_query *q,
				 const char *body, size_t len, json_t **out,
				 struct lk_scim_error *e);
enum lk_err lk_scim_group_get(const struct lk_scim_env *env, const char *id,
			      const struct lk_scim_query *q, json_t **out, struct lk_scim_error *e);
enum lk_err lk_scim_group_list(const struct lk_scim_env *env, const struct lk_scim_query *q,
			       json_t **out, struct lk_scim_error *e);
enum lk_err lk_scim_group_replace(const struct lk_scim_env *env, const char *id,
				  const struct lk_scim_query *q, const char *body, size_t len,
				  json_t **out, struct lk_scim_error *e);
enum lk_err lk_scim_group_patch(const struct lk_scim_env *env, const char *id,
				const struct lk_scim_query *q, const char *body, size_t len,
				json_t **out, struct lk_scim_error *e);
enum lk_err lk_scim_group_remove(const struct lk_scim_env *env, const char *id,
				 struct lk_scim_error *e);

/*
 * Discovery (RFC 7644 §4): the ServiceProviderConfig, the ResourceTypes and
 * the Schemas, describing exactly what this module supports. name NULL asks
 * for the whole list (a ListResponse), otherwise for one resource type
 * ("User", "Group") or one schema URI (404 when unknown). *out is a new
 * reference.
 */
enum lk_err lk_scim_service_provider_config(const struct lk_scim_env *env, json_t **out,
					    struct lk_scim_error *e);
enum lk_err lk_scim_resource_types(const struct lk_scim_env *env, const char *name, json_t **out,
				   struct lk_scim_error *e);
enum lk_err lk_scim_schemas(const struct lk_scim_env *env, const char *uri, json_t **out,
			    struct lk_scim_error *e);

/*
 * Applies the operations of a PatchOp message (RFC 7644 §3.5.2) to resource,
 * a JSON object that the caller owns and that is changed in place. Accepted
 * beyond the letter of the RFC, because provisioning clients send them: op
 * names in any case, a "value" object without a path whose member names are
 * themselves paths ("name.givenName"), "add" on a value-filter path that
 * matches nothing (a new element is made from the filter's eq terms), and
 * "remove" of a multi-valued attribute with a "value" array naming the
 * elements to drop. readonly lists the top-level attributes (NULL-ended,
 * compared without regard to case) that an operation with a path must not
 * touch (400 mutability); a path-less value naming one is ignored, as RFC
 * 7644 §3.5.1 says a PUT ignores them. Errors: LK_EINVAL with e filled
 * (invalidSyntax, invalidPath, noTarget, mutability, invalidValue); the
 * resource may then be half changed, so the caller discards it.
 */
enum lk_err lk_scim_patch_apply(json_t *resource, const json_t *patch, const char *const *readonly,
				struct lk_scim_error *e);

#endif
