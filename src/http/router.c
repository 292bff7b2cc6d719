/*
 * Route matching: a linear scan of a small static table, first match wins.
 * Methods are compared exactly (RFC 9110 §9.1: method names are
 * case-sensitive); HEAD is served by GET routes (RFC 9110 §9.3.2).
 */
#include "http/http.h"

#include <stdio.h>
#include <string.h>

static bool path_matches(const struct lk_route *r, const char *path)
{
	if (r->prefix)
		return strncmp(path, r->path, strlen(r->path)) == 0;
	return strcmp(path, r->path) == 0;
}

/* True when the comma-separated list names method (spaces around commas ok). */
static bool list_has(const char *list, const char *method)
{
	size_t mlen = strlen(method);
	const char *p = list;

	while (*p) {
		const char *end;
		size_t n;

		while (*p == ' ' || *p == ',')
			p++;
		end = p;
		while (*end && *end != ',' && *end != ' ')
			end++;
		n = (size_t)(end - p);
		if (n && n == mlen && memcmp(p, method, n) == 0)
			return true;
		p = end;
	}
	return false;
}

static bool method_matches(const struct lk_route *r, const char *method)
{
	if (!r->method)
		return true;
	if (list_has(r->method, method))
		return true;
	return strcmp(method, "HEAD") == 0 && list_has(r->method, "GET");
}

const struct lk_route *lk_router_match(const struct lk_route *routes, size_t n, const char *method,
				       const char *path, bool *method_ok)
{
	const struct lk_route *first = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!path_matches(&routes[i], path))
			continue;
		if (method_matches(&routes[i], method)) {
			*method_ok = true;
			return &routes[i];
		}
		if (!first)
			first = &routes[i];
	}
	*method_ok = false;
	return first;
}

/* Appends method to out unless it is there already. */
static enum lk_err allow_add(char *out, size_t outlen, size_t *used, const char *m, size_t n)
{
	char one[32];
	int w;

	if (n == 0 || n >= sizeof(one))
		return n == 0 ? LK_OK : LK_ETOOBIG;
	memcpy(one, m, n);
	one[n] = '\0';
	if (list_has(out, one))
		return LK_OK;
	w = snprintf(out + *used, outlen - *used, "%s%s", *used ? ", " : "", one);
	if (w < 0 || (size_t)w >= outlen - *used)
		return LK_ETOOBIG;
	*used += (size_t)w;
	return LK_OK;
}

/* Appends every method of one route's list (and HEAD after GET). */
static enum lk_err allow_route(const char *list, char *out, size_t outlen, size_t *used)
{
	const char *p = list, *end;
	enum lk_err err = LK_OK;

	while (*p && !err) {
		while (*p == ' ' || *p == ',')
			p++;
		end = p;
		while (*end && *end != ',' && *end != ' ')
			end++;
		err = allow_add(out, outlen, used, p, (size_t)(end - p));
		if (!err && end - p == 3 && memcmp(p, "GET", 3) == 0)
			err = allow_add(out, outlen, used, "HEAD", 4);
		p = end;
	}
	return err;
}

enum lk_err lk_router_allow(const struct lk_route *routes, size_t n, const char *path, char *out,
			    size_t outlen)
{
	size_t i, used = 0;
	enum lk_err err = LK_OK;

	if (outlen == 0)
		return LK_ETOOBIG;
	out[0] = '\0';
	for (i = 0; i < n && !err; i++) {
		if (!path_matches(&routes[i], path) || !routes[i].method)
			continue;
		err = allow_route(routes[i].method, out, outlen, &used);
	}
	if (err)
		out[0] = '\0';
	return err;
}
