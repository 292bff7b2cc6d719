/*
 * `latchkey config dump`: the effective configuration, every key of the
 * table in its order, as INI that lk_config_load_file reads back, or as one
 * JSON object. Secrets are masked; so is the password of a database URL.
 */
#include "config/config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "config/table.h"
#include "core/buf.h"

#define MASK "********"

/* Names of connection parameters that hold a password (libpq). */
static const char *const password_params[] = {"password=", "sslpassword=", NULL};

/* Length of the password parameter name at p ("password="), or 0 if there is none. */
static size_t password_param_at(const char *url, const char *p)
{
	size_t i, n;

	if (p != url && !strchr("?& \t", p[-1]))
		return 0;
	for (i = 0; password_params[i]; i++) {
		n = strlen(password_params[i]);
		if (strncasecmp(p, password_params[i], n) == 0)
			return n;
	}
	return 0;
}

/* Length of the parameter value at p: up to '&' or a space, or a quoted 'value'. */
static size_t param_value_len(const char *p)
{
	const char *q;

	if (*p != '\'')
		return strcspn(p, "& \t");
	for (q = p + 1; *q && *q != '\''; q++) {
		if (*q == '\\' && q[1])
			q++;
	}
	return (size_t)(q - p) + (*q == '\'');
}

/*
 * Writes url into b with its passwords masked: the one in the user
 * information (scheme://user:PASSWORD@host, found as libpq finds it, before
 * the first '/') and password=... parameters.
 */
static enum lk_err mask_url(const char *url, struct lk_buf *b)
{
	const char *p = url, *auth = strstr(url, "://"), *colon;
	enum lk_err e = LK_OK;
	size_t n;

	lk_buf_reset(b);
	if (auth) {
		auth += 3;
		n = strcspn(auth, "@/");
		colon = auth[n] == '@' ? memchr(auth, ':', n) : NULL;
		if (colon) {
			e = lk_buf_add(b, url, (size_t)(colon + 1 - url));
			if (!e)
				e = lk_buf_addstr(b, MASK);
			p = auth + n;
		}
	}
	while (!e && *p) {
		n = password_param_at(url, p);
		if (n == 0) {
			e = lk_buf_addc(b, *p++);
			continue;
		}
		e = lk_buf_add(b, p, n);
		if (!e)
			e = lk_buf_addstr(b, MASK);
		p += n;
		p += param_value_len(p);
	}
	if (!e && !b->data)
		e = lk_buf_addstr(b, "");
	return e;
}

/* The text to show for the string field of k: masked as the table says. */
static enum lk_err shown(const struct lk_config_key *k, const char *v, struct lk_buf *tmp,
			 const char **out)
{
	enum lk_err e = LK_OK;

	if (k->show == LK_CFG_SHOW_SECRET && v[0] != '\0')
		*out = MASK;
	else if (k->show == LK_CFG_SHOW_DBURL && !(e = mask_url(v, tmp)))
		*out = lk_buf_str(tmp);
	else
		*out = v;
	return e;
}

static enum lk_err ini_keys(struct lk_buf *b, const void *base, const struct lk_config_key *keys,
			    size_t n, const char *upstream)
{
	struct lk_buf tmp;
	const char *section = "", *v;
	enum lk_err e = LK_OK;
	size_t i;

	lk_buf_init(&tmp, 2 * LK_CONFIG_VALUE_MAX);
	if (upstream)
		e = lk_buf_addf(b, "\n[%s.%s]\n", LK_CONFIG_UPSTREAM, upstream);
	for (i = 0; !e && i < n; i++) {
		const struct lk_config_key *k = &keys[i];

		if (!upstream && strcmp(section, k->section) != 0) {
			section = k->section;
			e = lk_buf_addf(b, "\n[%s]\n", section);
		}
		if (!e)
			e = lk_buf_addf(b, "# %s\n%s = ", k->help, k->name);
		if (!e && k->type == LK_CFG_INT)
			e = lk_buf_addf(b, "%d\n", *LK_CONFIG_FIELD(base, k, const int));
		else if (!e && k->type == LK_CFG_BOOL)
			e = lk_buf_addf(b, "%s\n",
					*LK_CONFIG_FIELD(base, k, const bool) ? "true" : "false");
		else if (!e && !(e = shown(k, *LK_CONFIG_FIELD(base, k, char *const), &tmp, &v)))
			e = lk_buf_addf(b, "%s\n", v);
	}
	lk_buf_release(&tmp);
	return e;
}

static enum lk_err dump_ini(const struct lk_config *cfg, struct lk_buf *b)
{
	enum lk_err e;
	size_t i;

	e = lk_buf_addstr(b, "# latchkey configuration in effect; secrets are masked.\n");
	if (!e)
		e = ini_keys(b, cfg, lk_config_keys, lk_config_nkeys, NULL);
	for (i = 0; !e && i < cfg->nupstreams; i++)
		e = ini_keys(b, &cfg->upstreams[i], lk_config_upstream_keys,
			     lk_config_upstream_nkeys, cfg->upstreams[i].name);
	return e;
}

/* json_object_set_new, which takes value (even NULL, after a failed allocation). */
static enum lk_err put(json_t *obj, const char *key, json_t *value)
{
	if (!value || json_object_set_new(obj, key, value) != 0)
		return LK_ENOMEM;
	return LK_OK;
}

static json_t *json_value(const struct lk_config_key *k, const void *base, struct lk_buf *tmp)
{
	const char *v;

	if (k->type == LK_CFG_INT)
		return json_integer(*LK_CONFIG_FIELD(base, k, const int));
	if (k->type == LK_CFG_BOOL)
		return json_boolean(*LK_CONFIG_FIELD(base, k, const bool));
	if (shown(k, *LK_CONFIG_FIELD(base, k, char *const), tmp, &v))
		return NULL;
	return json_string(v);
}

/* Adds the keys to obj, each in the object of its section when by_section. */
static enum lk_err json_keys(json_t *obj, const void *base, const struct lk_config_key *keys,
			     size_t n, bool by_section)
{
	struct lk_buf tmp;
	json_t *sec = obj;
	enum lk_err e = LK_OK;
	size_t i;

	lk_buf_init(&tmp, 2 * LK_CONFIG_VALUE_MAX);
	for (i = 0; !e && i < n; i++) {
		if (by_section && (i == 0 || strcmp(keys[i].section, keys[i - 1].section) != 0)) {
			sec = json_object();
			e = put(obj, keys[i].section, sec);
		}
		if (!e)
			e = put(sec, keys[i].name, json_value(&keys[i], base, &tmp));
	}
	lk_buf_release(&tmp);
	return e;
}

static enum lk_err dump_json(const struct lk_config *cfg, struct lk_buf *b)
{
	json_t *root = json_object(), *ups = json_object(), *u;
	enum lk_err e = root ? LK_OK : LK_ENOMEM;
	char *text = NULL;
	size_t i;

	if (!e)
		e = json_keys(root, cfg, lk_config_keys, lk_config_nkeys, true);
	if (!e)
		e = put(root, LK_CONFIG_UPSTREAM, json_incref(ups));
	for (i = 0; !e && i < cfg->nupstreams; i++) {
		u = json_object();
		e = put(ups, cfg->upstreams[i].name, u);
		if (!e)
			e = json_keys(u, &cfg->upstreams[i], lk_config_upstream_keys,
				      lk_config_upstream_nkeys, false);
	}
	if (!e) {
		text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		e = text ? lk_buf_addstr(b, text) : LK_ENOMEM;
	}
	if (!e)
		e = lk_buf_addc(b, '\n');
	free(text);
	json_decref(ups);
	json_decref(root);
	return e;
}

enum lk_err lk_config_dump(const struct lk_config *cfg, bool json, struct lk_buf *out)
{
	struct lk_buf b;
	enum lk_err e;

	/* Built apart, then appended whole, so that out is unchanged on error. */
	lk_buf_init(&b, out->max);
	e = json ? dump_json(cfg, &b) : dump_ini(cfg, &b);
	if (!e)
		e = lk_buf_add(out, b.data ? b.data : "", b.len);
	lk_buf_release(&b);
	return e;
}
