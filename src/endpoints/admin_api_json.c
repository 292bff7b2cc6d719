/*
 * What the admin API does with a request before the registry sees it: the
 * body's shape, the mapping of JSON members onto struct lk_app_input and
 * struct lk_user_input, and the paging of lists. Only the shape is judged
 * here (which members, which JSON types); every value goes to the registry,
 * whose messages name the member at fault.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "endpoints/admin_api.h"
#include "jose/cert.h"

static enum lk_err why_set(char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum lk_err why_set(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return LK_EINVAL;
}

/*
 * The deepest nesting of [ and { in JSON text, strings skipped. Counting
 * before parsing keeps a body of ten thousand brackets from reaching the
 * parser's recursion at all.
 */
static size_t json_depth(const char *s, size_t len)
{
	size_t depth = 0, max = 0;
	bool in_string = false;

	for (size_t i = 0; i < len; i++) {
		char ch = s[i];

		if (in_string) {
			if (ch == '\\')
				i++;
			else if (ch == '"')
				in_string = false;
		} else if (ch == '"') {
			in_string = true;
		} else if (ch == '[' || ch == '{') {
			if (++depth > max)
				max = depth;
		} else if ((ch == ']' || ch == '}') && depth) {
			depth--;
		}
	}
	return max;
}

enum lk_err lk_admin_json_parse(const char *body, size_t len, json_t **out, char *why,
				size_t whylen)
{
	json_error_t jerr;
	json_t *v;

	if (json_depth(body, len) > LK_ADMIN_JSON_DEPTH)
		return why_set(why, whylen, "the body is nested more than %d levels deep",
			       LK_ADMIN_JSON_DEPTH);
	/* RFC 8259 §4: names should be unique; a repeated one is refused, not guessed at. */
	v = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!v)
		return why_set(why, whylen, "the body is not JSON: %s (at character %d)", jerr.text,
			       jerr.position);
	if (!json_is_object(v)) {
		json_decref(v);
		return why_set(why, whylen, "the body must be a JSON object");
	}
	if (json_object_size(v) > LK_ADMIN_JSON_MEMBERS) {
		json_decref(v);
		return why_set(why, whylen, "the body has more than %d members",
			       LK_ADMIN_JSON_MEMBERS);
	}
	*out = v;
	return LK_OK;
}

/*
 * A string member: *dst points into v. null gives "" when nullable (the
 * member is cleared), else is refused like any other type.
 */
static enum lk_err take_string(const char *name, json_t *v, bool nullable, size_t max,
			       const char **dst, char *why, size_t whylen)
{
	if (json_is_null(v) && nullable) {
		*dst = "";
		return LK_OK;
	}
	if (!json_is_string(v))
		return why_set(why, whylen, "%s: must be a string%s", name,
			       nullable ? " or null" : "");
	if (json_string_length(v) > max)
		return why_set(why, whylen, "%s: longer than %zu characters", name, max);
	*dst = json_string_value(v);
	return LK_OK;
}

/* An array of strings into list (at most LK_REGISTRY_MAX_LIST). */
static enum lk_err take_list(const char *name, json_t *v, const char **list, size_t *n, char *why,
			     size_t whylen)
{
	size_t i;
	json_t *item;

	if (!json_is_array(v))
		return why_set(why, whylen, "%s: must be an array of strings", name);
	if (json_array_size(v) > LK_REGISTRY_MAX_LIST)
		return why_set(why, whylen, "%s: at most %d values", name, LK_REGISTRY_MAX_LIST);
	json_array_foreach(v, i, item)
	{
		if (!json_is_string(item))
			return why_set(why, whylen, "%s: must be an array of strings", name);
		if (json_string_length(item) > LK_ADMIN_STRING_MAX)
			return why_set(why, whylen, "%s: a value is longer than %d characters",
				       name, LK_ADMIN_STRING_MAX);
		list[i] = json_string_value(item);
	}
	*n = json_array_size(v);
	return LK_OK;
}

static enum lk_err take_bool(const char *name, json_t *v, int *dst, char *why, size_t whylen)
{
	if (!json_is_boolean(v))
		return why_set(why, whylen, "%s: must be true or false", name);
	*dst = json_is_true(v) ? 1 : 0;
	return LK_OK;
}

/* "lifetime": minutes as a number, or "never" / "default" (or minutes as text). */
static enum lk_err take_lifetime(json_t *v, char num[LK_ADMIN_NUM], const char **dst, char *why,
				 size_t whylen)
{
	if (json_is_integer(v)) {
		snprintf(num, LK_ADMIN_NUM, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		*dst = num;
		return LK_OK;
	}
	if (json_is_string(v))
		return take_string("lifetime", v, false, LK_ADMIN_STRING_MAX, dst, why, whylen);
	return why_set(why, whylen,
		       "lifetime: must be a number of minutes, \"never\" or "
		       "\"default\"");
}

/* The string members of an application, where each goes, and whether null clears it. */
struct str_member {
	const char *name;
	size_t offset;
	bool nullable;
};

#define APP_STR(name, field, nullable)                                                             \
	{                                                                                          \
		name, offsetof(struct lk_app_input, field), nullable                               \
	}

static const struct str_member APP_STRINGS[] = {
	APP_STR("name", name, false),
	APP_STR("description", description, true),
	APP_STR("website", website, true),
	APP_STR("grant_type", grant, false),
	APP_STR("user", user, true),
	APP_STR("redirect_strategy", strategy, false),
	APP_STR("lifecycle", lifecycle, false),
	APP_STR("client_type", client_type, false),
	APP_STR("token_format", token_format, false),
	APP_STR("audience", audience, true),
	APP_STR("id_token_signed_response_alg", id_token_alg, false),
	APP_STR("userinfo_signed_response_alg", userinfo_alg, true),
};

static const struct str_member *find_member(const struct str_member *t, size_t n, const char *k)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i].name, k) == 0)
			return &t[i];
	return NULL;
}

/* One member of an application that is not a plain string. */
static enum lk_err app_other(const char *k, json_t *v, struct lk_app_input *in,
			     char num[LK_ADMIN_NUM], char *why, size_t whylen)
{
	const char *pem = NULL;
	enum lk_err err;

	if (strcmp(k, "scopes") == 0) {
		/* DESIGN §6: scopes also come as one space-separated list. */
		if (json_is_string(v)) {
			err = take_string(k, v, false, LK_ADMIN_STRING_MAX, &in->scopes[0], why,
					  whylen);
			in->nscopes = err ? 0 : 1;
			return err;
		}
		return take_list(k, v, in->scopes, &in->nscopes, why, whylen);
	}
	if (strcmp(k, "redirect_uris") == 0)
		return take_list(k, v, in->redirect_uris, &in->nredirect_uris, why, whylen);
	if (strcmp(k, "post_logout_redirect_uris") == 0)
		return take_list(k, v, in->post_logout_uris, &in->npost_logout_uris, why, whylen);
	if (strcmp(k, "lifetime") == 0)
		return take_lifetime(v, num, &in->lifetime, why, whylen);
	if (strcmp(k, "first_party") == 0)
		return take_bool(k, v, &in->first_party, why, whylen);
	if (strcmp(k, "public_key") == 0) {
		/* One byte more than the limit, so that the certificate check names it. */
		err = take_string(k, v, false, LK_CERT_MAX_SIZE + 1, &pem, why, whylen);
		if (!err) {
			in->cert = (const unsigned char *)pem;
			in->cert_len = strlen(pem);
		}
		return err;
	}
	return why_set(why, whylen, "unknown member '%.64s'", k);
}

enum lk_err lk_admin_app_input(json_t *o, struct lk_app_input *in, char num[LK_ADMIN_NUM],
			       char *why, size_t whylen)
{
	struct lk_app_input tmp;
	const char *k;
	json_t *v;
	enum lk_err err = LK_OK;

	lk_app_input_init(&tmp);
	json_object_foreach(o, k, v)
	{
		const struct str_member *m =
			find_member(APP_STRINGS, sizeof(APP_STRINGS) / sizeof(APP_STRINGS[0]), k);

		if (m)
			err = take_string(k, v, m->nullable, LK_ADMIN_STRING_MAX,
					  (const char **)((char *)&tmp + m->offset), why, whylen);
		else
			err = app_other(k, v, &tmp, num, why, whylen);
		if (err)
			return err;
	}
	*in = tmp;
	return LK_OK;
}

#define USER_STR(name, field, nullable)                                                            \
	{                                                                                          \
		name, offsetof(struct lk_user_input, field), nullable                              \
	}

static const struct str_member USER_STRINGS[] = {
	USER_STR("email", email, true),		  USER_STR("display_name", display_name, true),
	USER_STR("given_name", given_name, true), USER_STR("family_name", family_name, true),
	USER_STR("phone_number", phone, true),	  USER_STR("role", role, false),
};

/* One member of a user that is not a profile string. */
static enum lk_err user_other(const char *k, json_t *v, bool adding, struct lk_user_input *in,
			      const char **password, char *why, size_t whylen)
{
	if (strcmp(k, "email_verified") == 0)
		return take_bool(k, v, &in->email_verified, why, whylen);
	if (strcmp(k, "enabled") == 0)
		return take_bool(k, v, &in->enabled, why, whylen);
	if (strcmp(k, "user") == 0 && adding)
		return take_string(k, v, false, LK_ADMIN_STRING_MAX, &in->user, why, whylen);
	if (strcmp(k, "user") == 0)
		return why_set(why, whylen, "user: a user's name cannot be changed");
	if (strcmp(k, "password") == 0 && password) {
		/* null: generate one, as when the member is absent. */
		if (json_is_null(v))
			return LK_OK;
		return take_string(k, v, false, LK_ADMIN_STRING_MAX, password, why, whylen);
	}
	return why_set(why, whylen, "unknown member '%.64s'", k);
}

enum lk_err lk_admin_user_input(json_t *o, bool adding, struct lk_user_input *in,
				const char **password, char *why, size_t whylen)
{
	struct lk_user_input tmp;
	const char *pw = NULL;
	const char *k;
	json_t *v;
	enum lk_err err = LK_OK;

	lk_user_input_init(&tmp);
	json_object_foreach(o, k, v)
	{
		const struct str_member *m = find_member(
			USER_STRINGS, sizeof(USER_STRINGS) / sizeof(USER_STRINGS[0]), k);

		if (m)
			err = take_string(k, v, m->nullable, LK_ADMIN_STRING_MAX,
					  (const char **)((char *)&tmp + m->offset), why, whylen);
		else
			err = user_other(k, v, adding, &tmp, password ? &pw : NULL, why, whylen);
		if (err)
			return err;
	}
	if (adding && !tmp.user)
		return why_set(why, whylen, "user: required (domain\\user or user)");
	*in = tmp;
	if (password)
		*password = pw;
	return LK_OK;
}

/* A decimal number of at most max, as a query parameter. */
static enum lk_err page_number(const char *name, const char *v, size_t min, size_t max, size_t *out,
			       char *why, size_t whylen)
{
	unsigned long long n;
	char *end;

	errno = 0;
	if (v[0] < '0' || v[0] > '9')
		return why_set(why, whylen, "%s: must be a number from %zu to %zu", name, min, max);
	n = strtoull(v, &end, 10);
	if (*end || errno == ERANGE || n < min || n > max)
		return why_set(why, whylen, "%s: must be a number from %zu to %zu", name, min, max);
	*out = (size_t)n;
	return LK_OK;
}

enum lk_err lk_admin_page_parse(const struct lk_params *query, struct lk_admin_page *p, char *why,
				size_t whylen)
{
	struct lk_admin_page tmp = {NULL, 0, LK_ADMIN_LIST_DEFAULT, 0};
	const char *q = lk_params_get(query, "q");
	const char *offset = lk_params_get(query, "offset");
	const char *limit = lk_params_get(query, "limit");
	enum lk_err err = LK_OK;

	if (q && strlen(q) > LK_ADMIN_Q_MAX)
		return why_set(why, whylen, "q: longer than %d characters", LK_ADMIN_Q_MAX);
	tmp.q = q && *q ? q : NULL;
	/* Any offset past the end is an empty page, but a number this big is a mistake. */
	if (offset)
		err = page_number("offset", offset, 0, 1000000000, &tmp.offset, why, whylen);
	if (!err && limit)
		err = page_number("limit", limit, 1, LK_ADMIN_LIST_MAX, &tmp.limit, why, whylen);
	if (err)
		return err;
	*p = tmp;
	return LK_OK;
}

/* Whether s contains q, ASCII case folded. */
static bool contains_nocase(const char *s, const char *q)
{
	size_t n = strlen(q);

	for (; *s; s++)
		if (strncasecmp(s, q, n) == 0)
			return true;
	return n == 0;
}

bool lk_admin_page_match(const struct lk_admin_page *p, const char *const *fields, size_t n)
{
	if (!p->q)
		return true;
	for (size_t i = 0; i < n; i++)
		if (fields[i] && contains_nocase(fields[i], p->q))
			return true;
	return false;
}

bool lk_admin_page_take(struct lk_admin_page *p)
{
	size_t i = p->total++;

	return i >= p->offset && i - p->offset < p->limit;
}

json_t *lk_admin_page_json(const struct lk_admin_page *p, json_t *items)
{
	if (!items)
		return NULL;
	return json_pack("{s:o, s:I, s:I, s:I}", "items", items, "total", (json_int_t)p->total,
			 "offset", (json_int_t)p->offset, "limit", (json_int_t)p->limit);
}
