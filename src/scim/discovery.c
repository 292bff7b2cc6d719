/*
 * Discovery (RFC 7644 §4, RFC 7643 §5 - §7): what this SCIM service
 * supports, stated exactly, so that provisioning clients that read it (Okta
 * does) do not try the rest. The schemas come from one table per resource,
 * which lists only the attributes latchkey keeps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "scim/scim_int.h"

/* One attribute of a schema (RFC 7643 §7), with its sub-attributes. */
struct attr_def {
	const char *name;
	const char *type;
	bool multi;
	bool required;
	const char *mutability;
	const char *returned;
	const char *uniqueness;
	const char *ref_type; /* for references: the resource type named; else NULL */
	const char *description;
	const struct attr_def *subs;
	size_t nsubs;
};

#define RW "readWrite"
#define RO "readOnly"
#define DEF "default"
#define NONE "none"
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const struct attr_def NAME_SUBS[] = {
	{"givenName", "string", false, false, RW, DEF, NONE, NULL, "The given name.", NULL, 0},
	{"familyName", "string", false, false, RW, DEF, NONE, NULL, "The family name.", NULL, 0},
	{"formatted", "string", false, false, RO, DEF, NONE, NULL,
	 "The given and family names joined; derived from them.", NULL, 0},
};

static const struct attr_def EMAIL_SUBS[] = {
	{"value", "string", false, false, RW, DEF, NONE, NULL, "The email address.", NULL, 0},
	{"type", "string", false, false, RW, DEF, NONE, NULL, "Always 'work' when read.", NULL, 0},
	{"primary", "boolean", false, false, RW, DEF, NONE, NULL,
	 "The address to keep when several are sent.", NULL, 0},
};

static const struct attr_def PHONE_SUBS[] = {
	{"value", "string", false, false, RW, DEF, NONE, NULL, "The phone number.", NULL, 0},
	{"type", "string", false, false, RW, DEF, NONE, NULL, "Always 'work' when read.", NULL, 0},
};

static const struct attr_def USER_GROUP_SUBS[] = {
	{"value", "string", false, false, RO, DEF, NONE, NULL, "The id of the group.", NULL, 0},
	{"$ref", "reference", false, false, RO, DEF, NONE, "Group", "The URI of the group.", NULL,
	 0},
	{"display", "string", false, false, RO, DEF, NONE, NULL, "The name of the group.", NULL, 0},
	{"type", "string", false, false, RO, DEF, NONE, NULL, "Always 'direct'.", NULL, 0},
};

static const struct attr_def USER_ATTRS[] = {
	{"userName", "string", false, true, "immutable", DEF, "server", NULL,
	 "The sign-in name: 'user' in the default domain, 'domain\\user' in another. It cannot "
	 "be changed (latchkey user names are immutable) but in letter case.",
	 NULL, 0},
	{"name", "complex", false, false, RW, DEF, NONE, NULL, "The user's names.", NAME_SUBS,
	 COUNT(NAME_SUBS)},
	{"displayName", "string", false, false, RW, DEF, NONE, NULL, "The name shown to people.",
	 NULL, 0},
	{"emails", "complex", true, false, RW, DEF, NONE, NULL,
	 "latchkey keeps one address: the primary one, or else the first.", EMAIL_SUBS,
	 COUNT(EMAIL_SUBS)},
	{"phoneNumbers", "complex", true, false, RW, DEF, NONE, NULL,
	 "latchkey keeps one number: the primary one, or else the first.", PHONE_SUBS,
	 COUNT(PHONE_SUBS)},
	{"active", "boolean", false, false, RW, DEF, NONE, NULL,
	 "false disables the user: it cannot sign in and its tokens stop working.", NULL, 0},
	{"password", "string", false, false, "writeOnly", "never", NONE, NULL,
	 "Sets the password. Without one, a new user signs in through an upstream provider "
	 "until a password is set.",
	 NULL, 0},
	{"groups", "complex", true, false, RO, DEF, NONE, NULL,
	 "The groups of the user; change them through the Group resource.", USER_GROUP_SUBS,
	 COUNT(USER_GROUP_SUBS)},
};

static const struct attr_def MEMBER_SUBS[] = {
	{"value", "string", false, false, "immutable", DEF, NONE, NULL, "The id of the user.", NULL,
	 0},
	{"$ref", "reference", false, false, "immutable", DEF, NONE, "User", "The URI of the user.",
	 NULL, 0},
	{"display", "string", false, false, RO, DEF, NONE, NULL, "The userName of the user.", NULL,
	 0},
	{"type", "string", false, false, "immutable", DEF, NONE, NULL, "Always 'User'.", NULL, 0},
};

static const struct attr_def GROUP_ATTRS[] = {
	{"displayName", "string", false, true, RW, DEF, "server", NULL,
	 "The name of the group, unique without regard to case.", NULL, 0},
	{"members", "complex", true, false, RW, DEF, NONE, NULL, "The users in the group.",
	 MEMBER_SUBS, COUNT(MEMBER_SUBS)},
};

struct resource_def {
	const char *name; /* also the ResourceType id */
	const char *endpoint;
	const char *schema;
	const char *description;
	const struct attr_def *attrs;
	size_t nattrs;
};

static const struct resource_def RESOURCES[] = {
	{"User", LK_SCIM_USERS, LK_SCIM_SCHEMA_USER, "User Account", USER_ATTRS, COUNT(USER_ATTRS)},
	{"Group", LK_SCIM_GROUPS, LK_SCIM_SCHEMA_GROUP, "Group", GROUP_ATTRS, COUNT(GROUP_ATTRS)},
};

/* meta of a discovery resource: its type and location (base/what[/id]). */
static json_t *meta(const struct lk_scim_env *env, const char *type, const char *what,
		    const char *id)
{
	char *loc = NULL;
	json_t *o;
	int n;

	n = snprintf(NULL, 0, "%s/%s%s%s", env->base, what, id ? "/" : "", id ? id : "");
	if (n < 0 || !(loc = malloc((size_t)n + 1)))
		return NULL;
	snprintf(loc, (size_t)n + 1, "%s/%s%s%s", env->base, what, id ? "/" : "", id ? id : "");
	o = json_pack("{s:s, s:s}", "resourceType", type, "location", loc);
	free(loc);
	return o;
}

static json_t *attr_json(const struct attr_def *a)
{
	json_t *o, *subs;
	int rc;

	o = json_pack("{s:s, s:s, s:b, s:s, s:b, s:b, s:s, s:s, s:s}", "name", a->name, "type",
		      a->type, "multiValued", a->multi, "description", a->description, "required",
		      a->required, "caseExact", false, "mutability", a->mutability, "returned",
		      a->returned, "uniqueness", a->uniqueness);
	if (!o)
		return NULL;
	rc = a->ref_type ? json_object_set_new(o, "referenceTypes", json_pack("[s]", a->ref_type))
			 : 0;
	if (!rc && a->nsubs) {
		subs = json_array();
		rc = json_object_set_new(o, "subAttributes", subs);
		for (size_t i = 0; !rc && i < a->nsubs; i++)
			rc = json_array_append_new(subs, attr_json(&a->subs[i]));
	}
	if (rc) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *schema_json(const struct lk_scim_env *env, const struct resource_def *r)
{
	json_t *o, *attrs = json_array();
	int rc = !attrs;

	for (size_t i = 0; !rc && i < r->nattrs; i++)
		rc = json_array_append_new(attrs, attr_json(&r->attrs[i]));
	o = rc ? NULL
	       : json_pack("{s:[s], s:s, s:s, s:s, s:O, s:o}", "schemas", LK_SCIM_SCHEMA_SCHEMA,
			   "id", r->schema, "name", r->name, "description", r->description,
			   "attributes", attrs, "meta", meta(env, "Schema", "Schemas", r->schema));
	json_decref(attrs);
	return o;
}

static json_t *resource_type_json(const struct lk_scim_env *env, const struct resource_def *r)
{
	char endpoint[64];

	snprintf(endpoint, sizeof(endpoint), "/%s", r->endpoint);
	return json_pack("{s:[s], s:s, s:s, s:s, s:s, s:s, s:[], s:o}", "schemas",
			 LK_SCIM_SCHEMA_RESOURCE_TYPE, "id", r->name, "name", r->name, "endpoint",
			 endpoint, "description", r->description, "schema", r->schema,
			 "schemaExtensions", "meta",
			 meta(env, "ResourceType", "ResourceTypes", r->name));
}

enum lk_err lk_scim_service_provider_config(const struct lk_scim_env *env, json_t **out,
					    struct lk_scim_error *e)
{
	json_t *o;

	/*
	 * RFC 7643 §5. changePassword is supported in the sense of §5: the
	 * password attribute may be set by PUT and PATCH. Sorting, ETags and
	 * bulk requests are not.
	 */
	o = json_pack("{s:[s], s:{s:b}, s:{s:b, s:i, s:i}, s:{s:b, s:i}, s:{s:b}, s:{s:b}, "
		      "s:{s:b}, s:[{s:s, s:s, s:s, s:s, s:b}], s:o}",
		      "schemas", LK_SCIM_SCHEMA_SPC, "patch", "supported", 1, "bulk", "supported",
		      0, "maxOperations", 0, "maxPayloadSize", 0, "filter", "supported", 1,
		      "maxResults", LK_SCIM_MAX_RESULTS, "changePassword", "supported", 1, "sort",
		      "supported", 0, "etag", "supported", 0, "authenticationSchemes", "type",
		      "oauthbearertoken", "name", "OAuth Bearer Token", "description",
		      "A bearer token (RFC 6750) with the scope user_sync, typically of a "
		      "bearer_token application",
		      "specUri", "https://www.rfc-editor.org/rfc/rfc6750", "primary", 1, "meta",
		      meta(env, "ServiceProviderConfig", "ServiceProviderConfig", NULL));
	if (!o)
		return lk_scim_fail(e, 500, NULL, "out of memory");
	*out = o;
	return LK_OK;
}

/* The list of every resource's document, or the one named; 404 otherwise. */
static enum lk_err lookup(const struct lk_scim_env *env, const char *name, bool schemas,
			  json_t **out, struct lk_scim_error *e)
{
	json_t *list, *o;
	int rc = 0;

	for (size_t i = 0; name && i < COUNT(RESOURCES); i++) {
		const struct resource_def *r = &RESOURCES[i];

		if (strcasecmp(name, schemas ? r->schema : r->name) != 0)
			continue;
		o = schemas ? schema_json(env, r) : resource_type_json(env, r);
		if (!o)
			return lk_scim_fail(e, 500, NULL, "out of memory");
		*out = o;
		return LK_OK;
	}
	if (name)
		return lk_scim_fail(e, 404, NULL, "no %s '%.200s'",
				    schemas ? "schema" : "resource type", name);
	list = json_array();
	rc = !list;
	for (size_t i = 0; !rc && i < COUNT(RESOURCES); i++)
		rc = json_array_append_new(list, schemas ? schema_json(env, &RESOURCES[i])
							 : resource_type_json(env, &RESOURCES[i]));
	o = rc ? NULL : lk_scim_list_json(list);
	json_decref(list);
	if (!o)
		return lk_scim_fail(e, 500, NULL, "out of memory");
	*out = o;
	return LK_OK;
}

enum lk_err lk_scim_resource_types(const struct lk_scim_env *env, const char *name, json_t **out,
				   struct lk_scim_error *e)
{
	return lookup(env, name, false, out, e);
}

enum lk_err lk_scim_schemas(const struct lk_scim_env *env, const char *uri, json_t **out,
			    struct lk_scim_error *e)
{
	return lookup(env, uri, true, out, e);
}
