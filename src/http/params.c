/*
 * Name/value lists and the application/x-www-form-urlencoded parser used for
 * query strings and form bodies (WHATWG URL, "application/x-www-form-urlencoded
 * parsing", with the stricter error handling RFC 6749 asks of an
 * authorization server).
 */
#include "http/http.h"

#include <stdint.h>
#include <string.h>

#include "http/internal.h"

static int lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

bool lk_http_ieq(const char *a, const char *b)
{
	while (*a && lower((unsigned char)*a) == lower((unsigned char)*b)) {
		a++;
		b++;
	}
	return *a == '\0' && *b == '\0';
}

bool lk_http_ieqn(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return false;
		if (a[i] == '\0')
			return true;
	}
	return true;
}

const char *lk_params_get(const struct lk_params *p, const char *name)
{
	size_t i;

	if (!p || !name)
		return NULL;
	for (i = 0; i < p->n; i++)
		if (strcmp(p->items[i].name, name) == 0)
			return p->items[i].value;
	return NULL;
}

const char *lk_params_get_nocase(const struct lk_params *p, const char *name)
{
	size_t i;

	if (!p || !name)
		return NULL;
	for (i = 0; i < p->n; i++)
		if (lk_http_ieq(p->items[i].name, name))
			return p->items[i].value;
	return NULL;
}

const char *lk_req_header(const struct lk_request *req, const char *name)
{
	return req ? lk_params_get_nocase(&req->headers, name) : NULL;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

enum lk_err lk_http_urldecode(struct lk_arena *a, const char *s, size_t len, bool plus, char **out,
			      size_t *outlen)
{
	char *d;
	size_t i, n = 0;
	int hi, lo;

	/* Decoding never lengthens the text, so len + 1 bytes always suffice. */
	d = lk_arena_alloc(a, len + 1);
	if (!d)
		return LK_ENOMEM;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c == '%') {
			if (len - i < 3)
				return LK_EPARSE;
			hi = hexval(s[i + 1]);
			lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0)
				return LK_EPARSE;
			c = (char)(hi * 16 + lo);
			i += 2;
		} else if (c == '+' && plus) {
			c = ' ';
		}
		/* A NUL, sent raw or as %00, would silently cut the value short. */
		if (c == '\0')
			return LK_EPARSE;
		d[n++] = c;
	}
	d[n] = '\0';
	*out = d;
	*outlen = n;
	return LK_OK;
}

/* Counts the non-empty '&'-separated pairs of s. */
static size_t count_pairs(const char *s, size_t len)
{
	size_t i, n = 0, start = 0;

	for (i = 0; i <= len; i++) {
		if (i == len || s[i] == '&') {
			if (i > start)
				n++;
			start = i + 1;
		}
	}
	return n;
}

/* Decodes one "name=value" (or "name") pair into *p. */
static enum lk_err parse_pair(struct lk_arena *a, const char *s, size_t len, struct lk_param *p)
{
	const char *eq = memchr(s, '=', len);
	size_t nlen = eq ? (size_t)(eq - s) : len;
	char *name, *value;
	size_t name_len, value_len;
	enum lk_err err;

	err = lk_http_urldecode(a, s, nlen, true, &name, &name_len);
	if (err)
		return err;
	if (eq)
		err = lk_http_urldecode(a, eq + 1, len - nlen - 1, true, &value, &value_len);
	else
		err = lk_http_urldecode(a, "", 0, true, &value, &value_len);
	if (err)
		return err;
	p->name = name;
	p->value = value;
	p->value_len = value_len;
	return LK_OK;
}

/* The earlier pair with the same name as items[n], or NULL. */
static const struct lk_param *find_dup(const struct lk_param *items, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(items[i].name, items[n].name) == 0)
			return &items[i];
	return NULL;
}

/* Decodes the pair s[0..len) into items[n], refusing a repeated name. */
static enum lk_err add_pair(struct lk_arena *a, const char *s, size_t len, bool allow_dup,
			    struct lk_param *items, size_t n, const char **dup_name)
{
	enum lk_err err = parse_pair(a, s, len, &items[n]);

	if (err)
		return err;
	if (allow_dup || !find_dup(items, n))
		return LK_OK;
	if (dup_name)
		*dup_name = items[n].name;
	return LK_EDUP;
}

enum lk_err lk_form_parse(struct lk_arena *a, const char *s, size_t len, size_t max_params,
			  bool allow_dup, struct lk_params *out, const char **dup_name)
{
	struct lk_param *items = NULL;
	size_t total, n = 0, i, start = 0;
	enum lk_err err = LK_OK;

	if (!s)
		len = 0;
	/* Counting first refuses a flood of pairs before any decoding work. */
	total = count_pairs(s, len);
	if (total > max_params) {
		err = LK_ETOOMANY;
		goto out;
	}
	if (total) {
		items = total <= SIZE_MAX / sizeof(*items)
				? lk_arena_alloc(a, total * sizeof(*items))
				: NULL;
		if (!items) {
			err = LK_ENOMEM;
			goto out;
		}
	}
	for (i = 0; i <= len && !err; i++) {
		if (i < len && s[i] != '&')
			continue;
		if (i > start)
			err = add_pair(a, s + start, i - start, allow_dup, items, n++, dup_name);
		start = i + 1;
	}
	if (err)
		goto out;
	out->items = items;
	out->n = n;
out:
	return err;
}
