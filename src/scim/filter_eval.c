/*
 * Evaluation of a parsed SCIM filter against a resource held as a jansson
 * object (RFC 7644 §3.4.2.2). An attribute path yields the values it reaches,
 * flattening multi-valued attributes, and a test matches when any of them
 * passes it; that is the "any value" rule the RFC gives for multi-valued
 * attributes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "scim/filter.h"
#include "scim/filter_int.h"

/* RFC 7643 §8.7.1 and §3: the core schemas hold top-level attributes. */
#define CORE_SCHEMA_PREFIX "urn:ietf:params:scim:schemas:core:2.0:"

typedef bool (*visit_fn)(const json_t *v, const struct lk_scim_node *n);

json_t *lk_scim_member(const json_t *object, const char *name)
{
	const char *key;
	json_t *v;

	if (!json_is_object(object) || !name)
		return NULL;
	v = json_object_get(object, name);
	if (v)
		return v;
	/* json_object_foreach needs a non-const object; it does not modify it. */
	json_object_foreach((json_t *)object, key, v)
	{
		if (strcasecmp(key, name) == 0)
			return v;
	}
	return NULL;
}

json_t *lk_scim_scope(const json_t *resource, const char *uri)
{
	json_t *ext;

	if (!json_is_object(resource) || !uri)
		return NULL;
	if (!uri[0])
		return (json_t *)resource;
	ext = lk_scim_member(resource, uri);
	if (json_is_object(ext))
		return ext;
	if (strncasecmp(uri, CORE_SCHEMA_PREFIX, strlen(CORE_SCHEMA_PREFIX)) == 0)
		return (json_t *)resource;
	return NULL;
}

/* Visits a value, or each element of an array value. */
static bool visit_leaf(const json_t *v, visit_fn fn, const struct lk_scim_node *n)
{
	json_t *e;
	size_t i;

	if (!json_is_array(v))
		return fn(v, n);
	json_array_foreach(v, i, e)
	{
		if (fn(e, n))
			return true;
	}
	return false;
}

/* Whether fn holds for any value that the attribute path reaches from scope. */
static bool any_value(const json_t *scope, const struct lk_scim_attr *a, visit_fn fn,
		      const struct lk_scim_node *n)
{
	json_t *top, *e, *v;
	size_t i;

	top = lk_scim_member(lk_scim_scope(scope, a->uri), a->name);
	if (!top)
		return false;
	if (!a->sub[0])
		return visit_leaf(top, fn, n);
	if (!json_is_array(top)) {
		v = lk_scim_member(top, a->sub);
		return v && visit_leaf(v, fn, n);
	}
	json_array_foreach(top, i, e)
	{
		v = lk_scim_member(e, a->sub);
		if (v && visit_leaf(v, fn, n))
			return true;
	}
	return false;
}

static bool always(const json_t *v, const struct lk_scim_node *n)
{
	return true;
}

static bool is_null(const json_t *v, const struct lk_scim_node *n)
{
	return json_is_null(v);
}

/* RFC 7644 §3.4.2.2 "pr": a non-empty value, or a non-empty complex node. */
static bool present(const json_t *v, const struct lk_scim_node *n)
{
	if (json_is_string(v))
		return json_string_length(v) > 0;
	if (json_is_array(v))
		return json_array_size(v) > 0;
	if (json_is_object(v))
		return json_object_size(v) > 0;
	return !json_is_null(v);
}

static unsigned char fold(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

/* Byte-wise order of two strings, ASCII case folded unless exact. */
static int order(const char *a, size_t alen, const char *b, size_t blen, bool exact)
{
	size_t i, n = alen < blen ? alen : blen;
	unsigned char x, y;

	for (i = 0; i < n; i++) {
		x = (unsigned char)a[i];
		y = (unsigned char)b[i];
		if (!exact) {
			x = fold(x);
			y = fold(y);
		}
		if (x != y)
			return x < y ? -1 : 1;
	}
	return alen < blen ? -1 : alen > blen;
}

/* "co": a linear-time search (glibc's memmem) over a folded copy when needed. */
static bool contains(const char *hay, size_t hlen, const char *needle, size_t nlen, bool exact)
{
	char *low;
	bool found;
	size_t i;

	if (nlen == 0)
		return true;
	if (nlen > hlen)
		return false;
	if (exact)
		return memmem(hay, hlen, needle, nlen) != NULL;
	low = malloc(hlen);
	if (!low)
		return false;
	for (i = 0; i < hlen; i++)
		low[i] = (char)fold((unsigned char)hay[i]);
	found = memmem(low, hlen, needle, nlen) != NULL;
	free(low);
	return found;
}

static bool compare_strings(const json_t *v, const struct lk_scim_node *n, enum lk_scim_op op)
{
	const char *a = json_string_value(v),
		   *b = n->exact ? json_string_value(n->value) : n->folded;
	size_t alen = json_string_length(v), blen = json_string_length(n->value);

	switch (op) {
	case LK_SCIM_CO:
		return contains(a, alen, b, blen, n->exact);
	case LK_SCIM_SW:
		return alen >= blen && order(a, blen, b, blen, n->exact) == 0;
	case LK_SCIM_EW:
		return alen >= blen && order(a + alen - blen, blen, b, blen, n->exact) == 0;
	case LK_SCIM_GT:
		return order(a, alen, b, blen, n->exact) > 0;
	case LK_SCIM_GE:
		return order(a, alen, b, blen, n->exact) >= 0;
	case LK_SCIM_LT:
		return order(a, alen, b, blen, n->exact) < 0;
	case LK_SCIM_LE:
		return order(a, alen, b, blen, n->exact) <= 0;
	default:
		return order(a, alen, b, blen, n->exact) == 0;
	}
}

/* -1, 0 or 1; integers compare exactly, anything with a real as doubles. */
static int order_numbers(const json_t *a, const json_t *b)
{
	double x, y;

	if (json_is_integer(a) && json_is_integer(b)) {
		json_int_t i = json_integer_value(a), j = json_integer_value(b);

		return i < j ? -1 : i > j;
	}
	x = json_number_value(a);
	y = json_number_value(b);
	return x < y ? -1 : x > y;
}

static bool compare_one(const json_t *v, const struct lk_scim_node *n)
{
	/* "ne" is evaluated as the negation of "eq" over all values. */
	enum lk_scim_op op = n->op == LK_SCIM_NE ? LK_SCIM_EQ : n->op;
	int c;

	/* RFC 7644 §3.4.2.2: a complex value is compared by its "value". */
	if (json_is_object(v))
		v = lk_scim_member(v, "value");
	if (json_is_string(n->value))
		return json_is_string(v) && compare_strings(v, n, op);
	if (json_is_boolean(n->value))
		return json_is_boolean(v) && json_is_true(v) == json_is_true(n->value);
	if (!json_is_number(n->value) || !json_is_number(v))
		return false;
	c = order_numbers(v, n->value);
	switch (op) {
	case LK_SCIM_GT:
		return c > 0;
	case LK_SCIM_GE:
		return c >= 0;
	case LK_SCIM_LT:
		return c < 0;
	case LK_SCIM_LE:
		return c <= 0;
	default:
		return c == 0;
	}
}

static bool match_cmp(const struct lk_scim_node *n, const json_t *obj)
{
	bool eq;

	if (json_is_null(n->value)) {
		/* "eq null": absent, or null among the values. */
		eq = !any_value(obj, &n->attr, always, n) || any_value(obj, &n->attr, is_null, n);
		return n->op == LK_SCIM_NE ? !eq : eq;
	}
	eq = any_value(obj, &n->attr, compare_one, n);
	return n->op == LK_SCIM_NE ? !eq : eq;
}

/* attr[filter]: some element satisfies the filter (and the trailing test). */
static bool match_value_path(const struct lk_scim_node *n, const json_t *obj)
{
	json_t *top = lk_scim_member(lk_scim_scope(obj, n->attr.uri), n->attr.name), *e;
	size_t i;

	if (json_is_object(top))
		return lk_scim_node_match(n->left, top) &&
		       (!n->right || lk_scim_node_match(n->right, top));
	json_array_foreach(top, i, e)
	{
		if (!json_is_object(e) || !lk_scim_node_match(n->left, e))
			continue;
		if (!n->right || lk_scim_node_match(n->right, e))
			return true;
	}
	return false;
}

bool lk_scim_node_match(const struct lk_scim_node *n, const json_t *obj)
{
	switch (n->kind) {
	case LK_SCIM_AND:
		return lk_scim_node_match(n->left, obj) && lk_scim_node_match(n->right, obj);
	case LK_SCIM_OR:
		return lk_scim_node_match(n->left, obj) || lk_scim_node_match(n->right, obj);
	case LK_SCIM_NOT:
		return !lk_scim_node_match(n->left, obj);
	case LK_SCIM_PRESENT:
		return any_value(obj, &n->attr, present, n);
	case LK_SCIM_VALUEPATH:
		return match_value_path(n, obj);
	case LK_SCIM_CMP:
		return match_cmp(n, obj);
	}
	return false;
}

bool lk_scim_filter_match(const struct lk_scim_filter *f, const void *resource)
{
	if (!f || !json_is_object((const json_t *)resource))
		return false;
	return lk_scim_node_match(f->root, resource);
}
