/*
 * What a query asks of the resources it returns (RFC 7644 §3.4.2, §3.9): a
 * filter, a page (startIndex and count) and a projection (attributes or
 * excludedAttributes). Resources are rendered one at a time and offered to a
 * page, which keeps only those it will return, so a list needs memory for
 * one page, not for the whole directory.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "scim/scim_int.h"

#define CORE_PREFIX "urn:ietf:params:scim:schemas:core:2.0:"
/* The longest attributes / excludedAttributes value accepted. */
#define PROJ_TEXT_MAX 4096

/* Parses one comma-separated list into p. */
static enum lk_err parse_list(const char *param, const char *text, struct lk_scim_proj *p,
			      struct lk_scim_error *e)
{
	char err[LK_SCIM_ERR_MAX];
	struct lk_scim_attr a;
	const char *s = text, *end;
	size_t len;

	p->n = 0;
	p->given = text != NULL;
	if (!text)
		return LK_OK;
	if (strlen(text) > PROJ_TEXT_MAX)
		return lk_scim_fail(e, 400, LK_SCIM_INVALID_VALUE, "%s: longer than %d bytes",
				    param, PROJ_TEXT_MAX);
	for (; *s; s = *end ? end + 1 : end) {
		s += strspn(s, " ");
		end = strchr(s, ',');
		if (!end)
			end = s + strlen(s);
		len = (size_t)(end - s);
		while (len && s[len - 1] == ' ')
			len--;
		if (len == 0)
			continue;
		if (lk_scim_attr_parse(s, len, &a, err, sizeof(err)) != LK_OK)
			return lk_scim_fail(e, 400, LK_SCIM_INVALID_VALUE, "%s: %s", param, err);
		/* An attribute of a schema extension: none is supported, none matches. */
		if (a.uri[0] && strncasecmp(a.uri, CORE_PREFIX, strlen(CORE_PREFIX)) != 0)
			continue;
		if (p->n == LK_SCIM_PROJ_MAX)
			return lk_scim_fail(e, 400, LK_SCIM_INVALID_VALUE,
					    "%s: more than %d attributes", param, LK_SCIM_PROJ_MAX);
		memcpy(p->items[p->n].name, a.name, sizeof(a.name));
		memcpy(p->items[p->n].sub, a.sub, sizeof(a.sub));
		p->n++;
	}
	return LK_OK;
}

enum lk_err lk_scim_proj_parse(const struct lk_scim_query *q, struct lk_scim_proj *inc,
			       struct lk_scim_proj *exc, struct lk_scim_error *e)
{
	enum lk_err err;

	err = parse_list("attributes", q ? q->attributes : NULL, inc, e);
	if (!err)
		err = parse_list("excludedAttributes", q ? q->excluded : NULL, exc, e);
	return err;
}

/* RFC 7643 §7: "returned": "always" for id and schemas. */
static bool always(const char *name)
{
	return strcasecmp(name, "id") == 0 || strcasecmp(name, "schemas") == 0;
}

/* Copies member name (with sub-attribute sub, if any) of src into dst. */
static int copy_attr(json_t *dst, const json_t *src, const char *name, const char *sub)
{
	json_t *m = lk_scim_member(src, name), *part, *v;

	if (!m)
		return 0;
	if (!sub[0] || !json_is_object(m))
		return lk_scim_set(dst, name, json_deep_copy(m));
	v = lk_scim_member(m, sub);
	if (!v)
		return 0;
	part = lk_scim_member(dst, name);
	if (!json_is_object(part)) {
		part = json_object();
		if (lk_scim_set(dst, name, part) != 0)
			return -1;
	}
	return lk_scim_set(part, sub, json_deep_copy(v));
}

/* Removes member name, or its sub-attribute sub (in each element of an array). */
static void drop_attr(json_t *res, const char *name, const char *sub)
{
	json_t *m = lk_scim_member(res, name), *el;
	size_t i;

	if (!m)
		return;
	if (!sub[0]) {
		if (!always(name))
			lk_scim_del(res, name);
	} else if (json_is_object(m)) {
		lk_scim_del(m, sub);
	} else if (json_is_array(m)) {
		json_array_foreach(m, i, el)
		{
			if (json_is_object(el))
				lk_scim_del(el, sub);
		}
	}
}

json_t *lk_scim_project(json_t *resource, const struct lk_scim_proj *inc,
			const struct lk_scim_proj *exc)
{
	json_t *out = resource;
	int rc = 0;
	size_t i;

	if (!resource)
		return NULL;
	if (inc && inc->given) {
		out = json_object();
		if (out) {
			rc |= copy_attr(out, resource, "schemas", "");
			rc |= copy_attr(out, resource, "id", "");
		}
		for (i = 0; out && i < inc->n; i++)
			rc |= copy_attr(out, resource, inc->items[i].name, inc->items[i].sub);
		json_decref(resource);
		if (rc && out) {
			json_decref(out);
			out = NULL;
		}
	}
	for (i = 0; out && exc && i < exc->n; i++)
		drop_attr(out, exc->items[i].name, exc->items[i].sub);
	return out;
}

enum lk_err lk_scim_query_check(const struct lk_scim_query *q, struct lk_scim_error *e)
{
	struct lk_scim_proj *p;
	enum lk_err err;

	if (!q || (!q->attributes && !q->excluded))
		return LK_OK;
	p = malloc(2 * sizeof(*p));
	if (!p)
		return lk_scim_fail(e, 500, NULL, "out of memory");
	err = lk_scim_proj_parse(q, &p[0], &p[1], e);
	free(p);
	return err;
}

enum lk_err lk_scim_project_query(json_t *resource, const struct lk_scim_query *q, json_t **out,
				  struct lk_scim_error *e)
{
	struct lk_scim_proj *p = malloc(2 * sizeof(*p));
	enum lk_err err;
	json_t *r;

	if (!p) {
		json_decref(resource);
		return lk_scim_fail(e, 500, NULL, "out of memory");
	}
	err = lk_scim_proj_parse(q, &p[0], &p[1], e);
	if (err) {
		json_decref(resource);
		goto out;
	}
	r = lk_scim_project(resource, &p[0], &p[1]);
	if (!r) {
		err = lk_scim_fail(e, 500, NULL, "out of memory");
		goto out;
	}
	*out = r;
out:
	free(p);
	return err;
}

/*
 * An integer query parameter. RFC 7644 §3.4.2.4 asks for lenient values:
 * startIndex below 1 is 1, a negative count is 0; the caller clamps. Only
 * text that is no number at all is an error.
 */
static enum lk_err int_param(const char *name, const char *s, int64_t dflt, int64_t *out,
			     struct lk_scim_error *e)
{
	long long v;
	char *end = NULL;

	if (!s) {
		*out = dflt;
		return LK_OK;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (!*s || *end || end == s)
		return lk_scim_fail(e, 400, LK_SCIM_INVALID_VALUE, "%s must be an integer", name);
	if (errno == ERANGE)
		v = v < 0 ? -1 : INT64_MAX;
	*out = (int64_t)v;
	return LK_OK;
}

enum lk_err lk_scim_page_init(struct lk_scim_page *p, const struct lk_scim_query *q,
			      struct lk_scim_error *e)
{
	char msg[LK_SCIM_ERR_MAX] = "";
	enum lk_err err;

	memset(p, 0, sizeof(*p));
	err = int_param("startIndex", q ? q->start_index : NULL, 1, &p->start, e);
	if (!err)
		err = int_param("count", q ? q->count : NULL, LK_SCIM_MAX_RESULTS, &p->count, e);
	if (!err)
		err = lk_scim_proj_parse(q, &p->inc, &p->exc, e);
	if (err)
		return err;
	if (p->start < 1)
		p->start = 1;
	if (p->count < 0)
		p->count = 0;
	if (p->count > LK_SCIM_MAX_RESULTS)
		p->count = LK_SCIM_MAX_RESULTS;
	if (q && q->filter) {
		err = lk_scim_filter_parse(q->filter, strlen(q->filter), &p->filter, msg,
					   sizeof(msg));
		if (err == LK_ENOMEM)
			return lk_scim_fail(e, 500, NULL, "out of memory");
		if (err)
			return lk_scim_fail(e, 400, LK_SCIM_INVALID_FILTER, "filter: %s",
					    msg[0] ? msg : lk_err_str(err));
	}
	p->resources = json_array();
	if (!p->resources) {
		lk_scim_page_release(p);
		return lk_scim_fail(e, 500, NULL, "out of memory");
	}
	return LK_OK;
}

enum lk_err lk_scim_page_offer(struct lk_scim_page *p, json_t *resource, struct lk_scim_error *e)
{
	json_t *r;

	if (!resource)
		return lk_scim_fail(e, 500, NULL, "out of memory");
	if (p->filter && !lk_scim_filter_match(p->filter, resource)) {
		json_decref(resource);
		return LK_OK;
	}
	p->total++;
	if (p->total < p->start || (int64_t)json_array_size(p->resources) >= p->count) {
		json_decref(resource);
		return LK_OK;
	}
	r = lk_scim_project(resource, &p->inc, &p->exc);
	if (!r || json_array_append_new(p->resources, r) != 0)
		return lk_scim_fail(e, 500, NULL, "out of memory");
	return LK_OK;
}

enum lk_err lk_scim_page_finish(struct lk_scim_page *p, json_t **out, struct lk_scim_error *e)
{
	json_t *o;

	o = json_pack("{s:[s], s:I, s:I, s:I, s:O}", "schemas", LK_SCIM_MSG_LIST, "totalResults",
		      (json_int_t)p->total, "startIndex", (json_int_t)p->start, "itemsPerPage",
		      (json_int_t)json_array_size(p->resources), "Resources", p->resources);
	lk_scim_page_release(p);
	if (!o)
		return lk_scim_fail(e, 500, NULL, "out of memory");
	*out = o;
	return LK_OK;
}

void lk_scim_page_release(struct lk_scim_page *p)
{
	lk_scim_filter_free(p->filter);
	json_decref(p->resources);
	p->filter = NULL;
	p->resources = NULL;
}

json_t *lk_scim_list_json(json_t *resources)
{
	size_t n = json_array_size(resources);

	return json_pack("{s:[s], s:I, s:I, s:I, s:O}", "schemas", LK_SCIM_MSG_LIST, "totalResults",
			 (json_int_t)n, "startIndex", (json_int_t)1, "itemsPerPage", (json_int_t)n,
			 "Resources", resources);
}
