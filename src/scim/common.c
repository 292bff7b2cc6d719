/*
 * Helpers every SCIM resource uses: the request body, ids, typed members,
 * member names without regard to case (RFC 7643 §2.1: attribute names are
 * case-insensitive), meta, and the registry the changes go through.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/clock.h"
#include "core/secure.h"
#include "scim/scim_int.h"

enum lk_err lk_scim_body(const char *body, size_t len, json_t **out, struct lk_scim_error *e)
{
	json_error_t je;
	json_t *v;

	if (!body || len == 0)
		return lk_scim_fail(e, 400, LK_SCIM_INVALID_SYNTAX, "the request has no body");
	v = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (!v)
		return lk_scim_fail(e, 400, LK_SCIM_INVALID_SYNTAX,
				    "the body is not JSON: %s at byte %d", je.text, je.position);
	if (!json_is_object(v)) {
		json_decref(v);
		return lk_scim_fail(e, 400, LK_SCIM_INVALID_SYNTAX,
				    "the body must be a JSON object");
	}
	*out = v;
	return LK_OK;
}

enum lk_err lk_scim_check_schemas(const json_t *body, const char *want, struct lk_scim_error *e)
{
	json_t *schemas = lk_scim_member(body, "schemas"), *s;
	bool found = false;
	size_t i;

	if (!schemas)
		return LK_OK;
	if (!json_is_array(schemas))
		return lk_scim_fail(e, 400, LK_SCIM_INVALID_SYNTAX,
				    "schemas must be an array of schema URIs");
	json_array_foreach(schemas, i, s)
	{
		if (!json_is_string(s))
			return lk_scim_fail(e, 400, LK_SCIM_INVALID_SYNTAX,
					    "schemas must be an array of schema URIs");
		if (strcasecmp(json_string_value(s), want) == 0)
			found = true;
	}
	if (!found)
		return lk_scim_fail(e, 400, LK_SCIM_INVALID_SYNTAX, "schemas must include %s",
				    want);
	return LK_OK;
}

enum lk_err lk_scim_id_parse(const char *s, const char *what, int64_t *out, struct lk_scim_error *e)
{
	long long v;
	char *end = NULL;

	/* strtoll alone would take a sign, spaces and leading zeros' cousins. */
	if (!s || s[0] < '1' || s[0] > '9' || strspn(s, "0123456789") != strlen(s) ||
	    strlen(s) > 19)
		goto bad;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end)
		goto bad;
	*out = (int64_t)v;
	return LK_OK;
bad:
	return lk_scim_fail(e, 404, NULL, "no %s with id '%.64s'", what, s ? s : "");
}

enum lk_err lk_scim_get_str(const json_t *obj, const char *name, const char **out,
			    struct lk_scim_error *e)
{
	json_t *v = lk_scim_member(obj, name);

	if (!v || json_is_null(v)) {
		*out = NULL;
		return LK_OK;
	}
	if (!json_is_string(v))
		return lk_scim_fail(e, 400, LK_SCIM_INVALID_VALUE, "%s must be a string", name);
	*out = json_string_value(v);
	return LK_OK;
}

enum lk_err lk_scim_get_bool(const json_t *obj, const char *name, int *out, struct lk_scim_error *e)
{
	json_t *v = lk_scim_member(obj, name);

	if (!v || json_is_null(v))
		*out = -1;
	else if (json_is_boolean(v))
		*out = json_is_true(v);
	else if (json_is_string(v) && strcasecmp(json_string_value(v), "true") == 0)
		*out = 1;
	else if (json_is_string(v) && strcasecmp(json_string_value(v), "false") == 0)
		*out = 0;
	else
		return lk_scim_fail(e, 400, LK_SCIM_INVALID_VALUE, "%s must be true or false",
				    name);
	return LK_OK;
}

/* The name of the member of obj equal to name without regard to case. */
static const char *find_key(json_t *obj, const char *name)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v)
	{
		if (strcasecmp(key, name) == 0)
			return key;
	}
	return NULL;
}

int lk_scim_set(json_t *obj, const char *name, json_t *value)
{
	const char *key = find_key(obj, name);
	char *copy;
	int rc;

	if (!key || strcmp(key, name) == 0)
		return json_object_set_new(obj, name, value);
	/* The key is stored in the object; setting may free it, so copy it. */
	copy = strdup(key);
	if (!copy) {
		json_decref(value);
		return -1;
	}
	rc = json_object_set_new(obj, copy, value);
	free(copy);
	return rc;
}

void lk_scim_del(json_t *obj, const char *name)
{
	const char *key;
	char *copy;

	while ((key = find_key(obj, name)) != NULL) {
		copy = strdup(key);
		if (!copy)
			return;
		json_object_del(obj, copy);
		free(copy);
	}
}

void lk_scim_wipe_passwords(json_t *v)
{
	const char *key;
	json_t *m;
	size_t i;

	if (json_is_array(v)) {
		json_array_foreach(v, i, m) lk_scim_wipe_passwords(m);
		return;
	}
	json_object_foreach(v, key, m)
	{
		/* The text belongs to the JSON value, which is about to be freed. */
		if (strcasecmp(key, "password") == 0 && json_is_string(m))
			lk_wipe((char *)json_string_value(m), json_string_length(m));
		else
			lk_scim_wipe_passwords(m);
	}
}

json_t *lk_scim_id_json(int64_t id)
{
	char s[24];

	snprintf(s, sizeof(s), "%lld", (long long)id);
	return json_string(s);
}

json_t *lk_scim_meta(const struct lk_scim_env *env, const char *type, const char *endpoint,
		     int64_t id, int64_t created, int64_t modified)
{
	char c[32], m[32];
	char *loc = NULL;
	json_t *o;
	int n;

	lk_time_format(created, c);
	lk_time_format(modified, m);
	n = snprintf(NULL, 0, "%s/%s/%lld", env->base, endpoint, (long long)id);
	if (n < 0 || !(loc = malloc((size_t)n + 1)))
		return NULL;
	snprintf(loc, (size_t)n + 1, "%s/%s/%lld", env->base, endpoint, (long long)id);
	o = json_pack("{s:s, s:s, s:s, s:s}", "resourceType", type, "created", c, "lastModified", m,
		      "location", loc);
	free(loc);
	return o;
}

void lk_scim_registry_init(struct lk_registry *r, const struct lk_scim_env *env)
{
	memset(r, 0, sizeof(*r));
	r->store = env->store;
	r->cfg = env->cfg;
	r->actor = env->actor;
	r->now = env->now;
	r->api_names = true;
}
