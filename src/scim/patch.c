/*
 * PATCH (RFC 7644 §3.5.2) applied to a resource held as JSON. The resource
 * code renders what it stores, this file changes that JSON operation by
 * operation, and the resource code stores the result as a PUT of it would:
 * so every path, filter and attribute behaves the same here as in a PUT, and
 * attributes latchkey does not keep simply fall away when the result is
 * read back.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "scim/filter_int.h"
#include "scim/path.h"
#include "scim/scim_int.h"

enum op { OP_ADD, OP_REPLACE, OP_REMOVE };

static enum lk_err nomem(struct lk_scim_error *e)
{
	return lk_scim_fail(e, 500, NULL, "out of memory");
}

/* Sets name in obj to a copy of v. */
static enum lk_err put(json_t *obj, const char *name, const json_t *v, struct lk_scim_error *e)
{
	json_t *c = json_deep_copy(v);

	if (!c || lk_scim_set(obj, name, c) != 0)
		return nomem(e);
	return LK_OK;
}

/* Sets every member of src in dst: a complex value's sub-attributes (§3.5.2.1). */
static enum lk_err merge(json_t *dst, const json_t *src, struct lk_scim_error *e)
{
	const char *key;
	json_t *v;
	enum lk_err err;

	json_object_foreach((json_t *)src, key, v)
	{
		if ((err = put(dst, key, v, e)))
			return err;
	}
	return LK_OK;
}

/*
 * Whether two values of a multi-valued attribute are the same value: equal
 * "value" sub-attributes for complex values (a member id sent as a number or
 * a string is the same member), equal JSON otherwise.
 */
static bool same_value(const json_t *a, const json_t *b)
{
	const json_t *va = json_is_object(a) ? lk_scim_member(a, "value") : a;
	const json_t *vb = json_is_object(b) ? lk_scim_member(b, "value") : b;
	char na[24], nb[24];

	if (!va || !vb)
		return json_equal(a, b);
	if (json_is_integer(va) && json_is_string(vb)) {
		snprintf(na, sizeof(na), "%lld", (long long)json_integer_value(va));
		return strcmp(na, json_string_value(vb)) == 0;
	}
	if (json_is_string(va) && json_is_integer(vb)) {
		snprintf(nb, sizeof(nb), "%lld", (long long)json_integer_value(vb));
		return strcmp(json_string_value(va), nb) == 0;
	}
	return json_equal(va, vb);
}

static bool holds(const json_t *array, const json_t *v)
{
	const json_t *el;
	size_t i;

	json_array_foreach(array, i, el)
	{
		if (same_value(el, v))
			return true;
	}
	return false;
}

/* add to a multi-valued attribute: each new value once (§3.5.2.1). */
static enum lk_err append(json_t *array, const json_t *value, struct lk_scim_error *e)
{
	const json_t *v;
	size_t i;

	if (!json_is_array(value)) {
		if (!holds(array, value) &&
		    json_array_append_new(array, json_deep_copy(value)) != 0)
			return nomem(e);
		return LK_OK;
	}
	json_array_foreach(value, i, v)
	{
		if (!holds(array, v) && json_array_append_new(array, json_deep_copy(v)) != 0)
			return nomem(e);
	}
	return LK_OK;
}

/* remove with a "value" naming the values to drop, as Entra ID sends it. */
static void drop_values(json_t *array, const json_t *value)
{
	size_t i = json_array_size(array);

	while (i-- > 0) {
		json_t *el = json_array_get(array, i);

		if (json_is_array(value) ? holds(value, el) : same_value(value, el))
			json_array_remove(array, i);
	}
}

/* An operation on a whole attribute: `emails`, `active`, `name`. */
static enum lk_err on_attr(json_t *scope, const char *attr, enum op op, const json_t *value,
			   struct lk_scim_error *e)
{
	json_t *target = lk_scim_member(scope, attr);

	if (op == OP_REMOVE) {
		if (value && json_is_array(target))
			drop_values(target, value);
		else
			lk_scim_del(scope, attr);
		return LK_OK;
	}
	if (op == OP_ADD && json_is_array(target))
		return append(target, value, e);
	/* A complex value keeps the sub-attributes the operation does not name. */
	if (json_is_object(target) && json_is_object(value))
		return merge(target, value, e);
	return put(scope, attr, value, e);
}

/* An operation on a sub-attribute: `name.givenName`, `emails.value`. */
static enum lk_err on_sub(json_t *scope, const char *attr, const char *sub, enum op op,
			  const json_t *value, struct lk_scim_error *e)
{
	json_t *target = lk_scim_member(scope, attr), *el;
	enum lk_err err;
	size_t i;

	if (!target || json_is_null(target)) {
		/* RFC 7644 §3.5.2.3: replacing what does not exist adds it. */
		if (op == OP_REMOVE)
			return LK_OK;
		el = json_object();
		if (!el || lk_scim_set(scope, attr, el) != 0)
			return nomem(e);
		return put(el, sub, value, e);
	}
	if (json_is_object(target)) {
		if (op == OP_REMOVE) {
			lk_scim_del(target, sub);
			return LK_OK;
		}
		return put(target, sub, value, e);
	}
	if (!json_is_array(target))
		return lk_scim_fail(e, 400, LK_SCIM_INVALID_PATH, "%s has no sub-attributes", attr);
	if (op != OP_REMOVE && json_array_size(target) == 0) {
		el = json_object();
		if (!el || json_array_append_new(target, el) != 0)
			return nomem(e);
	}
	json_array_foreach(target, i, el)
	{
		if (!json_is_object(el))
			continue;
		if (op == OP_REMOVE)
			lk_scim_del(el, sub);
		else if ((err = put(el, sub, value, e)))
			return err;
	}
	return LK_OK;
}

/*
 * The element an "add" on a value-filter path creates when no element
 * matches (`emails[type eq "work"].value`): the filter's eq terms on simple
 * attributes, joined by "and", become its members.
 */
static enum lk_err seed(json_t *el, const struct lk_scim_node *n, struct lk_scim_error *e)
{
	enum lk_err err;

	if (!n)
		return LK_OK;
	if (n->kind == LK_SCIM_AND) {
		if ((err = seed(el, n->left, e)))
			return err;
		return seed(el, n->right, e);
	}
	if (n->kind == LK_SCIM_CMP && n->op == LK_SCIM_EQ && !n->attr.uri[0] && !n->attr.sub[0] &&
	    !json_is_null(n->value))
		return put(el, n->attr.name, n->value, e);
	return LK_OK;
}

/* A new element for an unmatched "add", appended to the attribute. */
static enum lk_err add_new(json_t *scope, const struct lk_scim_path *p, const json_t *value,
			   struct lk_scim_error *e)
{
	json_t *target = lk_scim_member(scope, p->attr);
	json_t *el = json_object();
	enum lk_err err;

	if (!el)
		return nomem(e);
	err = seed(el, p->value_filter->root, e);
	if (!err && p->sub[0])
		err = put(el, p->sub, value, e);
	else if (!err && json_is_object(value))
		err = merge(el, value, e);
	else if (!err)
		err = lk_scim_fail(e, 400, LK_SCIM_INVALID_VALUE,
				   "the value for %s[...] must be an object", p->attr);
	if (!err && !json_is_array(target)) {
		target = json_array();
		if (!target || lk_scim_set(scope, p->attr, target) != 0)
			err = nomem(e);
	}
	if (!err && json_array_append(target, el) != 0)
		err = nomem(e);
	json_decref(el);
	return err;
}

/* add or replace on one element that a value filter selected. */
static enum lk_err change_element(json_t *array, size_t i, const struct lk_scim_path *p, enum op op,
				  const json_t *value, struct lk_scim_error *e)
{
	json_t *el = json_array_get(array, i);

	if (p->sub[0] && !json_is_object(el))
		return lk_scim_fail(e, 400, LK_SCIM_INVALID_PATH,
				    "the values of %s are not complex", p->attr);
	if (p->sub[0])
		return put(el, p->sub, value, e);
	if (op == OP_ADD && json_is_object(el) && json_is_object(value))
		return merge(el, value, e);
	if (json_array_set_new(array, i, json_deep_copy(value)) != 0)
		return nomem(e);
	return LK_OK;
}

/* An operation on the elements a value filter selects: `members[value eq "2"]`. */
static enum lk_err on_filtered(json_t *scope, const struct lk_scim_path *p, enum op op,
			       const json_t *value, struct lk_scim_error *e)
{
	json_t *target = lk_scim_member(scope, p->attr), *el;
	size_t i, matched = 0;
	enum lk_err err;

	if (target && !json_is_array(target) && !json_is_null(target))
		return lk_scim_fail(e, 400, LK_SCIM_INVALID_PATH, "%s is not multi-valued",
				    p->attr);
	/* Backwards, so that removing an element leaves the ones to come in place. */
	for (i = json_array_size(target); i-- > 0;) {
		el = json_array_get(target, i);
		if (!lk_scim_filter_match(p->value_filter, el))
			continue;
		matched++;
		if (op == OP_REMOVE && !p->sub[0])
			json_array_remove(target, i);
		else if (op == OP_REMOVE)
			lk_scim_del(el, p->sub);
		else if ((err = change_element(target, i, p, op, value, e)))
			return err;
	}
	if (matched)
		return LK_OK;
	/* RFC 7644 §3.5.2.2 and §3.5.2.3: a filter that matches nothing. */
	if (op != OP_ADD)
		return lk_scim_fail(e, 400, LK_SCIM_NO_TARGET,
				    "the value filter of %s matches no value", p->attr);
	return add_new(scope, p, value, e);
}

static bool listed(const char *const *names, const char *name)
{
	for (; names && *names; names++)
		if (strcasecmp(*names, name) == 0)
			return true;
	return false;
}

/*
 * One operation on one path. A path into a schema extension the resource
 * lacks gets the extension's object, which nothing reads back: latchkey has
 * no extension attributes, and ignores them as it ignores unknown ones.
 */
static enum lk_err on_path(json_t *res, const struct lk_scim_path *p, enum op op,
			   const json_t *value, struct lk_scim_error *e)
{
	json_t *scope = lk_scim_scope(res, p->uri);

	if (!scope) {
		if (op == OP_REMOVE)
			return LK_OK;
		scope = json_object();
		if (!scope || lk_scim_set(res, p->uri, scope) != 0)
			return nomem(e);
	}
	if (p->value_filter)
		return on_filtered(scope, p, op, value, e);
	if (p->sub[0])
		return on_sub(scope, p->attr, p->sub, op, value, e);
	return on_attr(scope, p->attr, op, value, e);
}

/* Parses a path and applies one operation on it; mutability is checked first. */
static enum lk_err on_text(json_t *res, const char *text, enum op op, const json_t *value,
			   const char *const *readonly, bool quiet, struct lk_scim_error *e)
{
	struct lk_scim_path p;
	char msg[LK_SCIM_ERR_MAX] = "";
	enum lk_err err;

	err = lk_scim_path_parse(text, strlen(text), &p, msg, sizeof(msg));
	if (err == LK_ENOMEM)
		return nomem(e);
	if (err)
		return lk_scim_fail(e, 400, LK_SCIM_INVALID_PATH, "path '%.200s': %s", text, msg);
	if (lk_scim_scope(res, p.uri) == res && listed(readonly, p.attr)) {
		err = quiet ? LK_OK
			    : lk_scim_fail(e, 400, LK_SCIM_MUTABILITY, "%s is read-only", p.attr);
		lk_scim_path_release(&p);
		return err;
	}
	err = on_path(res, &p, op, value, e);
	lk_scim_path_release(&p);
	return err;
}

/* One element of Operations. */
static enum lk_err apply_one(json_t *res, const json_t *o, size_t i, const char *const *readonly,
			     struct lk_scim_error *e)
{
	const char *name = NULL, *path = NULL, *key;
	json_t *value, *v;
	enum lk_err err;
	enum op op;

	if (!json_is_object(o))
		return lk_scim_fail(e, 400, LK_SCIM_INVALID_SYNTAX,
				    "Operations[%zu] must be an object", i);
	if (lk_scim_get_str(o, "op", &name, e) || !name)
		return lk_scim_fail(e, 400, LK_SCIM_INVALID_SYNTAX,
				    "Operations[%zu].op must be add, replace or remove", i);
	if (strcasecmp(name, "add") == 0)
		op = OP_ADD;
	else if (strcasecmp(name, "replace") == 0)
		op = OP_REPLACE;
	else if (strcasecmp(name, "remove") == 0)
		op = OP_REMOVE;
	else
		return lk_scim_fail(e, 400, LK_SCIM_INVALID_SYNTAX,
				    "Operations[%zu].op: '%.32s' is not add, replace or remove", i,
				    name);
	if (lk_scim_get_str(o, "path", &path, e))
		return lk_scim_fail(e, 400, LK_SCIM_INVALID_PATH,
				    "Operations[%zu].path must be a string", i);
	value = lk_scim_member(o, "value");
	if (op != OP_REMOVE && !value)
		return lk_scim_fail(e, 400, LK_SCIM_INVALID_SYNTAX,
				    "Operations[%zu]: %s needs a value", i, name);
	if (path && path[0])
		return on_text(res, path, op, value, readonly, false, e);
	/* RFC 7644 §3.5.2.2: remove needs a path. */
	if (op == OP_REMOVE)
		return lk_scim_fail(e, 400, LK_SCIM_NO_TARGET,
				    "Operations[%zu]: remove needs a path", i);
	if (!json_is_object(value))
		return lk_scim_fail(e, 400, LK_SCIM_INVALID_VALUE,
				    "Operations[%zu]: without a path, the value must be an object",
				    i);
	/*
	 * Without a path each member of the value is an attribute to change;
	 * Okta and Entra ID also send paths there ("name.givenName").
	 */
	json_object_foreach(value, key, v)
	{
		if (strcasecmp(key, "schemas") == 0)
			continue;
		if ((err = on_text(res, key, op, v, readonly, true, e)))
			return err;
	}
	return LK_OK;
}

enum lk_err lk_scim_patch_apply(json_t *resource, const json_t *patch, const char *const *readonly,
				struct lk_scim_error *e)
{
	json_t *ops = lk_scim_member(patch, "Operations"), *o;
	enum lk_err err;
	size_t i;

	if (!json_is_object(resource))
		return lk_scim_fail(e, 500, NULL, "no resource to patch");
	if (!json_is_array(ops) || json_array_size(ops) == 0)
		return lk_scim_fail(e, 400, LK_SCIM_INVALID_SYNTAX,
				    "Operations must be a non-empty array");
	if (json_array_size(ops) > LK_SCIM_MAX_OPERATIONS)
		return lk_scim_fail(e, 400, LK_SCIM_INVALID_SYNTAX, "more than %d operations",
				    LK_SCIM_MAX_OPERATIONS);
	json_array_foreach(ops, i, o)
	{
		if ((err = apply_one(resource, o, i, readonly, e)))
			return err;
	}
	return LK_OK;
}
