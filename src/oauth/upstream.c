/*
 * Upstream providers: the per-upstream caches of discovery documents and
 * key sets, the secrets of one sign-in derived from its state, and the
 * authorization request (OpenID Connect Core §3.1.2.1, RFC 7636 §4).
 */
#include "oauth/upstream_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/secure.h"
#include "oauth/params.h"

/* OpenID Connect Discovery §4: the document's path below the issuer. */
#define WELL_KNOWN "/.well-known/openid-configuration"
/* Discovery metadata members (Discovery §3) latchkey reads. */
#define MD_ISSUER "issuer"
#define MD_AUTHORIZATION_ENDPOINT "authorization_endpoint"
#define MD_TOKEN_ENDPOINT "token_endpoint"
#define MD_JWKS_URI "jwks_uri"
#define MD_USERINFO_ENDPOINT "userinfo_endpoint"
#define MD_TOKEN_AUTH_METHODS "token_endpoint_auth_methods_supported"
#define AUTH_BASIC "client_secret_basic"
#define AUTH_POST "client_secret_post"
#define JWKS_KEYS "keys"

/* The longest authorization URL built. */
#define AUTH_URL_MAX 8192

/* One upstream's cached documents; guarded by the lock of struct lk_upstreams. */
struct upstream {
	const struct lk_upstream_config *cfg;
	struct lk_up_discovery disc; /* authorization_endpoint NULL until fetched */
	int64_t disc_at;
	char *jwks; /* JSON text, NULL until fetched */
	int64_t jwks_at;
	int64_t refetch_at; /* when a refresh was last allowed; 0 never */
};

struct lk_upstreams {
	pthread_mutex_t lock;
	struct upstream *ups;
	size_t n;
	lk_upstream_fetch_fn fetch;
	void *fetch_arg;
};

static enum lk_err default_fetch(void *arg, const struct lk_outbound_request *req,
				 struct lk_outbound_response *out)
{
	(void)arg;
	return lk_outbound_fetch(req, out);
}

void lk_up_discovery_release(struct lk_up_discovery *d)
{
	if (!d)
		return;
	free(d->authorization_endpoint);
	free(d->token_endpoint);
	free(d->jwks_uri);
	free(d->userinfo_endpoint);
	memset(d, 0, sizeof(*d));
}

enum lk_err lk_upstreams_new(const struct lk_config *cfg, struct lk_upstreams **out)
{
	struct lk_upstreams *u;
	enum lk_err err;

	if (!cfg || !out)
		return LK_EINVAL;
	/* Without upstreams, libcurl is never loaded (http/curl_lib.h). */
	err = cfg->nupstreams ? lk_outbound_global_init() : LK_OK;
	if (err)
		return err;
	u = calloc(1, sizeof(*u));
	if (u && cfg->nupstreams)
		u->ups = calloc(cfg->nupstreams, sizeof(*u->ups));
	if (!u || (cfg->nupstreams && !u->ups) || pthread_mutex_init(&u->lock, NULL) != 0) {
		if (u)
			free(u->ups);
		free(u);
		if (cfg->nupstreams)
			lk_outbound_global_cleanup();
		return LK_ENOMEM;
	}
	u->n = cfg->nupstreams;
	for (size_t i = 0; i < u->n; i++)
		u->ups[i].cfg = &cfg->upstreams[i];
	u->fetch = default_fetch;
	*out = u;
	return LK_OK;
}

void lk_upstreams_free(struct lk_upstreams *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < u->n; i++) {
		lk_up_discovery_release(&u->ups[i].disc);
		free(u->ups[i].jwks);
	}
	if (u->n)
		lk_outbound_global_cleanup();
	free(u->ups);
	pthread_mutex_destroy(&u->lock);
	free(u);
}

void lk_upstreams_set_fetch(struct lk_upstreams *u, lk_upstream_fetch_fn fn, void *arg)
{
	pthread_mutex_lock(&u->lock);
	u->fetch = fn ? fn : default_fetch;
	u->fetch_arg = fn ? arg : NULL;
	pthread_mutex_unlock(&u->lock);
}

int lk_up_index(const struct lk_upstreams *u, const char *name)
{
	for (size_t i = 0; u && name && i < u->n; i++)
		if (strcmp(u->ups[i].cfg->name, name) == 0)
			return (int)i;
	return -1;
}

const struct lk_upstream_config *lk_up_config(const struct lk_upstreams *u, int i)
{
	return u->ups[i].cfg;
}

const struct lk_upstream_config *lk_upstreams_find(const struct lk_upstreams *u, const char *name)
{
	int i = lk_up_index(u, name);

	return i < 0 ? NULL : u->ups[i].cfg;
}

enum lk_err lk_up_fetch(struct lk_upstreams *u, const struct lk_outbound_request *req,
			struct lk_outbound_response *out)
{
	lk_upstream_fetch_fn fn;
	void *arg;

	pthread_mutex_lock(&u->lock);
	fn = u->fetch;
	arg = u->fetch_arg;
	pthread_mutex_unlock(&u->lock);
	return fn(arg, req, out);
}

/*
 * GETs url and parses the answer as a JSON object: anything but a 200 with
 * JSON is LK_EIO (logged with what).
 */
static enum lk_err get_json(struct lk_upstreams *u, const char *name, const char *what,
			    const char *url, json_t **out)
{
	struct lk_outbound_request req = {.url = url};
	struct lk_outbound_response res = {0};
	json_t *doc = NULL;
	enum lk_err err = lk_up_fetch(u, &req, &res);

	if (err)
		goto out;
	err = LK_EIO;
	if (res.status != 200) {
		lk_warn("upstream %s: %s answered %ld", name, what, res.status);
		goto out;
	}
	doc = json_loadb(res.body, res.len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(doc)) {
		lk_warn("upstream %s: %s is not a JSON object", name, what);
		goto out;
	}
	*out = doc;
	doc = NULL;
	err = LK_OK;
out:
	json_decref(doc);
	lk_outbound_response_release(&res);
	return err == LK_OK ? LK_OK : LK_EIO;
}

/* A copy of an endpoint member, which must be a URL that may be requested. */
static enum lk_err endpoint(const char *name, const json_t *doc, const char *member, bool required,
			    char **out)
{
	const json_t *v = json_object_get(doc, member);
	const char *s = json_string_value(v);

	if (!v && !required)
		s = "";
	else if (!s || !lk_outbound_url_allowed(s)) {
		lk_warn("upstream %s: discovery member %s is missing or not an allowed URL", name,
			member);
		return LK_EIO;
	}
	*out = strdup(s);
	return *out ? LK_OK : LK_ENOMEM;
}

/*
 * RFC 8414 §2: without the member, client_secret_basic is the default. It is
 * preferred whenever listed; client_secret_post only when it alone is.
 */
static bool wants_post(const json_t *doc)
{
	const json_t *methods = json_object_get(doc, MD_TOKEN_AUTH_METHODS);
	bool basic = false, post = false;
	size_t i;
	json_t *m;

	if (!json_is_array(methods))
		return false;
	json_array_foreach(methods, i, m)
	{
		basic = basic ||
			(json_is_string(m) && strcmp(json_string_value(m), AUTH_BASIC) == 0);
		post = post || (json_is_string(m) && strcmp(json_string_value(m), AUTH_POST) == 0);
	}
	return post && !basic;
}

/*
 * Reads a discovery document. Discovery §4.3: the issuer in it must be
 * exactly the one the document was fetched for, or a different provider
 * could stand in for the configured one.
 */
static enum lk_err read_discovery(const struct lk_upstream_config *c, const json_t *doc,
				  struct lk_up_discovery *out)
{
	struct lk_up_discovery d = {0};
	const char *iss = json_string_value(json_object_get(doc, MD_ISSUER));
	enum lk_err err = LK_EIO;

	if (!iss || strcmp(iss, c->issuer) != 0) {
		lk_warn("upstream %s: the discovery document names another issuer", c->name);
		goto out;
	}
	err = endpoint(c->name, doc, MD_AUTHORIZATION_ENDPOINT, true, &d.authorization_endpoint);
	if (!err)
		err = endpoint(c->name, doc, MD_TOKEN_ENDPOINT, true, &d.token_endpoint);
	if (!err)
		err = endpoint(c->name, doc, MD_JWKS_URI, true, &d.jwks_uri);
	if (!err)
		err = endpoint(c->name, doc, MD_USERINFO_ENDPOINT, false, &d.userinfo_endpoint);
	if (err)
		goto out;
	d.auth_post = wants_post(doc);
	*out = d;
	memset(&d, 0, sizeof(d));
out:
	lk_up_discovery_release(&d);
	return err;
}

/* A deep copy of d; LK_ENOMEM. */
static enum lk_err copy_discovery(const struct lk_up_discovery *d, struct lk_up_discovery *out)
{
	struct lk_up_discovery c = {
		.authorization_endpoint = strdup(d->authorization_endpoint),
		.token_endpoint = strdup(d->token_endpoint),
		.jwks_uri = strdup(d->jwks_uri),
		.userinfo_endpoint = strdup(d->userinfo_endpoint),
		.auth_post = d->auth_post,
	};

	if (!c.authorization_endpoint || !c.token_endpoint || !c.jwks_uri || !c.userinfo_endpoint) {
		lk_up_discovery_release(&c);
		return LK_ENOMEM;
	}
	*out = c;
	return LK_OK;
}

/* The discovery URL of an issuer (Discovery §4: a trailing '/' is dropped first). */
static enum lk_err discovery_url(const char *issuer, char *out, size_t outlen)
{
	size_t n = strlen(issuer);
	int w;

	if (n && issuer[n - 1] == '/')
		n--;
	w = snprintf(out, outlen, "%.*s%s", (int)n, issuer, WELL_KNOWN);
	return w < 0 || (size_t)w >= outlen ? LK_ETOOBIG : LK_OK;
}

enum lk_err lk_up_discovery_get(struct lk_upstreams *u, int i, int64_t now,
				struct lk_up_discovery *out)
{
	struct upstream *up = &u->ups[i];
	struct lk_up_discovery fresh = {0};
	char url[LK_OUTBOUND_URL_MAX + 1];
	json_t *doc = NULL;
	enum lk_err err = LK_ENOTFOUND;

	pthread_mutex_lock(&u->lock);
	if (up->disc.authorization_endpoint && now - up->disc_at < LK_UPSTREAM_CACHE_SECONDS)
		err = copy_discovery(&up->disc, out);
	pthread_mutex_unlock(&u->lock);
	if (err != LK_ENOTFOUND)
		return err;
	/* Fetched without the lock: two threads may both fetch, and the later one wins. */
	err = discovery_url(up->cfg->issuer, url, sizeof(url));
	if (!err)
		err = get_json(u, up->cfg->name, "the discovery document", url, &doc);
	if (!err)
		err = read_discovery(up->cfg, doc, &fresh);
	json_decref(doc);
	if (err)
		return err;
	err = copy_discovery(&fresh, out);
	if (err) {
		lk_up_discovery_release(&fresh);
		return err;
	}
	pthread_mutex_lock(&u->lock);
	lk_up_discovery_release(&up->disc);
	up->disc = fresh;
	up->disc_at = now;
	pthread_mutex_unlock(&u->lock);
	return LK_OK;
}

/* Fetches the key set at jwks_uri: a JSON object with an array of at most MAX_KEYS keys. */
static enum lk_err fetch_jwks(struct lk_upstreams *u, int i, int64_t now, char **out)
{
	struct lk_up_discovery d = {0};
	const json_t *keys;
	json_t *doc = NULL;
	enum lk_err err = lk_up_discovery_get(u, i, now, &d);

	if (!err)
		err = get_json(u, u->ups[i].cfg->name, "the JWKS", d.jwks_uri, &doc);
	if (err)
		goto out;
	keys = json_object_get(doc, JWKS_KEYS);
	err = LK_EIO;
	if (!json_is_array(keys) || json_array_size(keys) > LK_UPSTREAM_MAX_KEYS) {
		lk_warn("upstream %s: the JWKS has no keys array, or more than %d keys",
			u->ups[i].cfg->name, LK_UPSTREAM_MAX_KEYS);
		goto out;
	}
	err = LK_ENOMEM;
	*out = json_dumps(doc, JSON_COMPACT);
	if (*out)
		err = LK_OK;
out:
	json_decref(doc);
	lk_up_discovery_release(&d);
	return err;
}

enum lk_err lk_up_jwks_get(struct lk_upstreams *u, int i, int64_t now, bool refresh, char **out)
{
	struct upstream *up = &u->ups[i];
	char *text = NULL, *copy;
	enum lk_err err = LK_ENOTFOUND;

	pthread_mutex_lock(&u->lock);
	if (refresh) {
		if (up->refetch_at && now - up->refetch_at < LK_UPSTREAM_REFETCH_SECONDS)
			err = LK_EBUSY;
		else
			up->refetch_at = now; /* taken before fetching: one refetch at a time */
	} else if (up->jwks && now - up->jwks_at < LK_UPSTREAM_CACHE_SECONDS) {
		*out = strdup(up->jwks);
		err = *out ? LK_OK : LK_ENOMEM;
	}
	pthread_mutex_unlock(&u->lock);
	if (err != LK_ENOTFOUND)
		return err;
	err = fetch_jwks(u, i, now, &text);
	if (err)
		return err;
	copy = strdup(text);
	if (!copy) {
		free(text);
		return LK_ENOMEM;
	}
	pthread_mutex_lock(&u->lock);
	free(up->jwks);
	up->jwks = text;
	up->jwks_at = now;
	pthread_mutex_unlock(&u->lock);
	*out = copy;
	return LK_OK;
}

void lk_upstream_secrets_wipe(struct lk_upstream_secrets *s)
{
	if (s)
		lk_wipe(s, sizeof(*s));
}

/* base64url of HMAC-SHA256(key, label "\n" state). */
static enum lk_err derive_one(const uint8_t *key, size_t keylen, const char *label,
			      const char *state, char out[LK_UPSTREAM_SECRET_LEN + 1])
{
	uint8_t mac[LK_SHA256_LEN];
	char msg[512];
	int n = snprintf(msg, sizeof(msg), "latchkey upstream %s\n%s", label, state);
	enum lk_err err;

	if (n < 0 || (size_t)n >= sizeof(msg))
		return LK_ETOOBIG;
	err = lk_hmac_sha256(key, keylen, msg, (size_t)n, mac);
	if (!err)
		out[lk_b64url_encode(mac, sizeof(mac), out)] = '\0';
	lk_wipe(mac, sizeof(mac));
	return err;
}

enum lk_err lk_upstream_derive(const uint8_t *key, size_t keylen, const char *state,
			       struct lk_upstream_secrets *out)
{
	struct lk_upstream_secrets s;
	uint8_t digest[LK_SHA256_LEN];
	enum lk_err err;

	if (!key || !keylen || !state || !*state || !out)
		return LK_EINVAL;
	err = derive_one(key, keylen, "nonce", state, s.nonce);
	if (!err)
		err = derive_one(key, keylen, "pkce", state, s.verifier);
	if (!err) {
		/* RFC 7636 §4.2: S256 is the base64url of the verifier's SHA-256. */
		lk_sha256(s.verifier, strlen(s.verifier), digest);
		s.challenge[lk_b64url_encode(digest, sizeof(digest), s.challenge)] = '\0';
		*out = s;
	}
	lk_upstream_secrets_wipe(&s);
	return err;
}

/* Appends "&name=value" (or "?" first), value form-urlencoded. */
static enum lk_err add_param(struct lk_buf *b, const char *name, const char *value)
{
	enum lk_err err = lk_buf_addf(b, "%c%s=", strchr(lk_buf_str(b), '?') ? '&' : '?', name);

	return err ? err : lk_buf_addurl(b, value);
}

enum lk_err lk_upstream_auth_url(struct lk_upstreams *u, const char *name, const char *redirect_uri,
				 const char *state, const struct lk_upstream_secrets *sec,
				 int64_t now, char **url)
{
	const struct lk_upstream_config *c;
	struct lk_up_discovery d = {0};
	struct lk_buf b;
	int i = lk_up_index(u, name);
	enum lk_err err;

	if (i < 0)
		return LK_ENOTFOUND;
	if (!redirect_uri || !state || !sec || !url)
		return LK_EINVAL;
	c = u->ups[i].cfg;
	err = lk_up_discovery_get(u, i, now, &d);
	if (err)
		return err;
	lk_buf_init(&b, AUTH_URL_MAX);
	err = lk_buf_addstr(&b, d.authorization_endpoint);
	if (!err)
		err = add_param(&b, LK_P_RESPONSE_TYPE, LK_CM_RESPONSE_CODE);
	if (!err)
		err = add_param(&b, LK_CM_CLIENT_ID, c->client_id);
	if (!err)
		err = add_param(&b, LK_P_REDIRECT_URI, redirect_uri);
	if (!err)
		err = add_param(&b, LK_P_SCOPE, c->scopes);
	if (!err)
		err = add_param(&b, LK_P_STATE, state);
	if (!err)
		err = add_param(&b, LK_P_NONCE, sec->nonce);
	if (!err)
		err = add_param(&b, LK_P_CODE_CHALLENGE, sec->challenge);
	if (!err)
		err = add_param(&b, LK_P_CODE_CHALLENGE_METHOD, LK_PKCE_S256);
	if (!err) {
		*url = lk_buf_detach(&b, NULL);
		err = *url ? LK_OK : LK_ENOMEM;
	}
	lk_buf_release(&b);
	lk_up_discovery_release(&d);
	return err;
}
