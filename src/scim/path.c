/*
 * SCIM PATCH paths (RFC 7644 §3.5.2). The attribute path is split by
 * lk_scim_attr_parse and the bracketed value filter is handed whole to the
 * filter parser, so both follow one grammar. Finding the closing ']' has to
 * step over quoted strings (a ']' may sit inside one) and over nested
 * brackets, which the filter grammar allows.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "scim/path.h"

static enum lk_err say(char *err, size_t errlen, enum lk_err rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static enum lk_err say(char *err, size_t errlen, enum lk_err rc, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return rc;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return rc;
}

/*
 * The offset of the ']' that closes the '[' at open, or len when there is
 * none. Escapes are only honoured inside strings, as in the filter lexer.
 */
static size_t closing_bracket(const char *s, size_t len, size_t open)
{
	size_t i, depth = 0;
	bool quoted = false;

	for (i = open; i < len; i++) {
		if (quoted) {
			if (s[i] == '\\')
				i++;
			else if (s[i] == '"')
				quoted = false;
			continue;
		}
		if (s[i] == '"')
			quoted = true;
		else if (s[i] == '[')
			depth++;
		else if (s[i] == ']' && --depth == 0)
			return i;
	}
	return len;
}

/* The bracketed filter and what follows it, into p; open is the '['. */
static enum lk_err parse_value_path(const char *text, size_t len, size_t open,
				    struct lk_scim_path *p, char *err, size_t errlen)
{
	size_t close = closing_bracket(text, len, open);
	struct lk_scim_attr sub;
	char inner[LK_SCIM_ERR_MAX];
	enum lk_err rc;

	if (close == len)
		return say(err, errlen, LK_EPARSE, "missing ']' to close the '[' at offset %zu",
			   open);
	rc = lk_scim_filter_parse(text + open + 1, close - open - 1, &p->value_filter, inner,
				  sizeof(inner));
	if (rc != LK_OK)
		return say(err, errlen, rc, "invalid value filter: %s", inner);
	if (close + 1 == len)
		return LK_OK;
	if (text[close + 1] != '.')
		return say(err, errlen, LK_EPARSE,
			   "unexpected text after ']' at offset %zu: only '.' and a sub-attribute "
			   "may follow",
			   close + 1);
	rc = lk_scim_attr_parse(text + close + 2, len - close - 2, &sub, inner, sizeof(inner));
	if (rc == LK_OK && (sub.uri[0] || sub.sub[0]))
		rc = LK_EPARSE;
	if (rc != LK_OK)
		return say(err, errlen, LK_EPARSE, "invalid sub-attribute after ']' at offset %zu",
			   close + 2);
	memcpy(p->sub, sub.name, sizeof(p->sub));
	return LK_OK;
}

enum lk_err lk_scim_path_parse(const char *text, size_t len, struct lk_scim_path *out, char *err,
			       size_t errlen)
{
	struct lk_scim_path p;
	struct lk_scim_attr a;
	const char *bracket;
	size_t alen;
	enum lk_err rc;

	memset(&p, 0, sizeof(p));
	if (!text || !out)
		return say(err, errlen, LK_EINVAL, "no path");
	if (len > LK_SCIM_PATH_MAX)
		return say(err, errlen, LK_ETOOBIG, "path longer than %d bytes", LK_SCIM_PATH_MAX);
	if (len == 0)
		return say(err, errlen, LK_EPARSE, "empty path");
	bracket = memchr(text, '[', len);
	alen = bracket ? (size_t)(bracket - text) : len;
	rc = lk_scim_attr_parse(text, alen, &a, err, errlen);
	if (rc != LK_OK)
		goto out;
	memcpy(p.uri, a.uri, sizeof(p.uri));
	memcpy(p.attr, a.name, sizeof(p.attr));
	memcpy(p.sub, a.sub, sizeof(p.sub));
	if (!bracket)
		goto out;
	if (a.sub[0]) {
		rc = say(err, errlen, LK_EPARSE,
			 "a value filter needs a multi-valued attribute, "
			 "not the sub-attribute '%s.%s'",
			 a.name, a.sub);
		goto out;
	}
	rc = parse_value_path(text, len, alen, &p, err, errlen);
out:
	if (rc == LK_OK)
		*out = p;
	else
		lk_scim_filter_free(p.value_filter);
	return rc;
}

void lk_scim_path_release(struct lk_scim_path *path)
{
	if (!path)
		return;
	lk_scim_filter_free(path->value_filter);
	memset(path, 0, sizeof(*path));
}
