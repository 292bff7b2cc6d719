/*
 * The Cookie request header (RFC 6265 §4.2.1 and §5.4): "name=value" pairs
 * separated by ";" and optional white space. Names and values are kept as
 * sent; only the optional double quotes around a value are removed.
 */
#include "http/http.h"

#include <string.h>

#include "http/internal.h"

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* Counts the ';'-separated segments that hold more than white space. */
static size_t count_segments(const char *s, size_t len)
{
	size_t i, n = 0;
	bool seen = false;

	for (i = 0; i <= len; i++) {
		if (i == len || s[i] == ';') {
			n += seen;
			seen = false;
		} else if (!is_ows(s[i])) {
			seen = true;
		}
	}
	return n;
}

/* Parses one segment, already known to hold something, into *p. */
static enum lk_err parse_segment(struct lk_arena *a, const char *s, size_t len, struct lk_param *p)
{
	const char *end = s + len, *eq, *ns, *ne, *vs, *ve;
	char *name, *value;

	ns = s;
	while (ns < end && is_ows(*ns))
		ns++;
	eq = memchr(ns, '=', (size_t)(end - ns));
	/* A segment without '=' is a cookie without a name, as is "=value". */
	if (!eq)
		return LK_EPARSE;
	ne = eq;
	while (ne > ns && is_ows(ne[-1]))
		ne--;
	if (ne == ns)
		return LK_EPARSE;
	vs = eq + 1;
	ve = end;
	while (vs < ve && is_ows(*vs))
		vs++;
	while (ve > vs && is_ows(ve[-1]))
		ve--;
	if (ve - vs >= 2 && vs[0] == '"' && ve[-1] == '"') {
		vs++;
		ve--;
	}
	name = lk_arena_strndup(a, ns, (size_t)(ne - ns));
	value = lk_arena_strndup(a, vs, (size_t)(ve - vs));
	if (!name || !value)
		return LK_ENOMEM;
	p->name = name;
	p->value = value;
	p->value_len = (size_t)(ve - vs);
	return LK_OK;
}

/* True when s[start..i) holds anything but white space. */
static bool has_content(const char *s, size_t start, size_t i)
{
	for (; start < i; start++)
		if (!is_ows(s[start]))
			return true;
	return false;
}

enum lk_err lk_cookie_parse(struct lk_arena *a, const char *header, size_t max,
			    struct lk_params *out)
{
	struct lk_param *items = NULL;
	size_t len, total, n = 0, i, start = 0;
	enum lk_err err = LK_OK;

	if (!header)
		header = "";
	len = strnlen(header, LK_HTTP_MAX_COOKIE_HEADER + 1);
	if (len > LK_HTTP_MAX_COOKIE_HEADER) {
		err = LK_ETOOBIG;
		goto out;
	}
	total = count_segments(header, len);
	if (total > max) {
		err = LK_ETOOMANY;
		goto out;
	}
	if (total) {
		items = lk_arena_alloc(a, total * sizeof(*items));
		if (!items) {
			err = LK_ENOMEM;
			goto out;
		}
	}
	for (i = 0; i <= len && !err; i++) {
		if (i < len && header[i] != ';')
			continue;
		if (has_content(header, start, i))
			err = parse_segment(a, header + start, i - start, &items[n++]);
		start = i + 1;
	}
	if (err)
		goto out;
	out->items = items;
	out->n = n;
out:
	return err;
}
