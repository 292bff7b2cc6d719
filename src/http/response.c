/*
 * Building responses. A builder that fails (no memory, a header that would
 * allow response splitting) leaves the status at 0, which the server turns
 * into a 500, so a half-built response is never sent.
 */
#include "http/http.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "core/log.h"
#include "core/secure.h"
#include "http/internal.h"

/*
 * The policy of every HTML page: nothing but our own scripts, styles and
 * images, forms posting only to us, no framing (clickjacking, RFC 6749
 * §10.13), no <base> tricks. form-action comes last so that a page whose
 * form ends in a redirect to an application can add that one origin:
 * browsers check the redirect of a form submission against form-action too.
 */
#define HTML_CSP                                                                                   \
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "          \
	"connect-src 'self'; "                                                                     \
	"frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

/* The longest origin lk_res_html_to adds to the policy. */
#define FORM_ORIGIN_MAX 512

/* JSON bodies up to this size are serialised on the stack. */
#define JSON_STACK_MAX 4096

void lk_res_init(struct lk_response *res, struct lk_arena *arena)
{
	memset(res, 0, sizeof(*res));
	lk_buf_init(&res->body, LK_HTTP_MAX_RESPONSE_BODY);
	res->arena = arena;
}

void lk_res_release(struct lk_response *res)
{
	/* Bodies carry tokens and codes: zero them before the memory goes back. */
	lk_buf_wipe(&res->body);
}

/* RFC 9110 §5.6.2 tchar: the characters of a header name. */
static bool is_tchar(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool valid_name(const char *name)
{
	const char *p;

	if (!name || !*name)
		return false;
	for (p = name; *p; p++)
		if (!is_tchar(*p))
			return false;
	return true;
}

/* RFC 9110 §5.5: no control characters but HTAB; above all no CR or LF. */
static bool valid_value(const char *value)
{
	const unsigned char *p;

	if (!value)
		return false;
	for (p = (const unsigned char *)value; *p; p++)
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			return false;
	return true;
}

/* Adds a header, or replaces the value of an existing one when replace. */
static enum lk_err put_header(struct lk_response *res, const char *name, const char *value,
			      bool replace)
{
	struct lk_param *slot = NULL;
	char *n, *v;
	size_t i;

	if (!valid_name(name) || !valid_value(value) || !res->arena)
		return LK_EINVAL;
	for (i = 0; replace && i < res->nheaders && !slot; i++)
		if (lk_http_ieq(res->headers[i].name, name))
			slot = &res->headers[i];
	if (!slot && res->nheaders >= LK_HTTP_MAX_RESPONSE_HEADERS)
		return LK_ETOOMANY;
	n = lk_arena_strdup(res->arena, name);
	v = lk_arena_strdup(res->arena, value);
	if (!n || !v)
		return LK_ENOMEM;
	if (!slot)
		slot = &res->headers[res->nheaders++];
	slot->name = n;
	slot->value = v;
	slot->value_len = strlen(v);
	return LK_OK;
}

enum lk_err lk_res_header(struct lk_response *res, const char *name, const char *value)
{
	return put_header(res, name, value, false);
}

/* A builder failed: make sure the response cannot go out half-built. */
static void fail(struct lk_response *res, const char *what, enum lk_err err)
{
	lk_warn("cannot build the response (%s): %s", what, lk_err_str(err));
	res->status = 0;
}

/* Replaces the body with n bytes of p and sets status and type. */
static void set_body(struct lk_response *res, int status, const char *type, const char *p, size_t n)
{
	enum lk_err err;

	lk_buf_wipe(&res->body);
	err = lk_buf_add(&res->body, p, n);
	if (err) {
		fail(res, "body", err);
		return;
	}
	res->status = status;
	res->content_type = type;
}

void lk_res_body(struct lk_response *res, int status, const char *content_type, const void *data,
		 size_t len)
{
	set_body(res, status, content_type, data, len);
}

void lk_res_json(struct lk_response *res, int status, const char *json)
{
	if (!json) {
		fail(res, "json", LK_EINVAL);
		return;
	}
	set_body(res, status, "application/json", json, strlen(json));
}

void lk_res_json_value(struct lk_response *res, int status, void *value)
{
	json_t *v = value;
	char stack[JSON_STACK_MAX];
	char *text;
	size_t n;

	if (!v) {
		fail(res, "json", LK_ENOMEM);
		return;
	}
	/*
	 * Token responses are a few hundred bytes: serialised on the stack in
	 * one pass, they cost one allocation (the body's) instead of the
	 * string buffer jansson grows by doubling, each step leaving a copy
	 * of the token in freed memory.
	 */
	n = json_dumpb(v, stack, sizeof(stack), JSON_COMPACT);
	if (n > 0 && n <= sizeof(stack)) {
		set_body(res, status, "application/json", stack, n);
		lk_wipe(stack, n);
		json_decref(v);
		return;
	}
	lk_wipe(stack, sizeof(stack));
	text = json_dumps(v, JSON_COMPACT);
	json_decref(v);
	if (!text) {
		fail(res, "json", LK_ENOMEM);
		return;
	}
	set_body(res, status, "application/json", text, strlen(text));
	/* The serialised value may hold a token. */
	lk_free_secret(text);
}

void lk_res_json_error(struct lk_response *res, int status, const char *error,
		       const char *description)
{
	json_t *o = json_object();

	if (o && error)
		json_object_set_new(o, "error", json_string(error));
	if (o && description)
		json_object_set_new(o, "error_description", json_string(description));
	lk_res_json_value(res, status, o);
}

void lk_res_html_to(struct lk_response *res, int status, const char *html, const char *form_origin)
{
	/* X-Content-Type-Options: nosniff goes on every response (request.c). */
	static const char *const names[] = {"X-Frame-Options", "Referrer-Policy", "Cache-Control"};
	static const char *const values[] = {"DENY", "no-referrer", "no-store"};
	char csp[sizeof(HTML_CSP) + FORM_ORIGIN_MAX + 2];
	enum lk_err err = LK_OK;
	size_t i;

	if (!html || (form_origin && (strlen(form_origin) > FORM_ORIGIN_MAX ||
				      strpbrk(form_origin, " ;,'\r\n")))) {
		fail(res, "html", LK_EINVAL);
		return;
	}
	snprintf(csp, sizeof(csp), "%s%s%s", HTML_CSP, form_origin ? " " : "",
		 form_origin ? form_origin : "");
	err = put_header(res, "Content-Security-Policy", csp, true);
	for (i = 0; i < sizeof(names) / sizeof(names[0]) && !err; i++)
		err = put_header(res, names[i], values[i], true);
	if (err) {
		fail(res, "html headers", err);
		return;
	}
	set_body(res, status, "text/html; charset=utf-8", html, strlen(html));
}

void lk_res_html(struct lk_response *res, int status, const char *html)
{
	lk_res_html_to(res, status, html, NULL);
}

void lk_res_redirect(struct lk_response *res, int status, const char *url)
{
	enum lk_err err;

	/* A CR or LF in Location would let the URL write headers of its own. */
	err = url && *url ? put_header(res, "Location", url, true) : LK_EINVAL;
	if (!err)
		err = put_header(res, "Cache-Control", "no-store", true);
	if (err) {
		lk_warn("refusing a redirect to an invalid location");
		res->nheaders = 0;
		lk_res_json_error(res, 500, "server_error", "invalid redirect location");
		return;
	}
	lk_buf_wipe(&res->body);
	res->content_type = NULL;
	res->status = (status >= 300 && status <= 399) ? status : 303;
}

void lk_res_no_store(struct lk_response *res)
{
	enum lk_err err;

	/* RFC 6749 §5.1: token responses must not be cached. */
	err = put_header(res, "Cache-Control", "no-store", true);
	if (!err)
		err = put_header(res, "Pragma", "no-cache", true);
	if (err)
		fail(res, "no-store headers", err);
}
