#include "oauth/clients.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "jose/cert.h"

/*
 * Applications sorted by client_id for binary search: lookups stay
 * O(log n) without a hash table, and the snapshot is built once per change.
 */
struct lk_clients {
	atomic_int refs;
	struct lk_client *items;
	size_t n;
};

static int by_client_id(const void *a, const void *b)
{
	return strcmp(((const struct lk_client *)a)->app.client_id,
		      ((const struct lk_client *)b)->app.client_id);
}

static void client_release(struct lk_client *c)
{
	lk_app_release(&c->app);
	if (c->secrets)
		lk_wipe(c->secrets, c->nsecrets * sizeof(*c->secrets));
	free(c->secrets);
	free(c->cert_jwk);
	free(c->cert_x5t_s256);
}

static void clients_free(struct lk_clients *c)
{
	for (size_t i = 0; i < c->n; i++)
		client_release(&c->items[i]);
	free(c->items);
	free(c);
}

/* The certificate's public key, for verifying the application's assertions. */
static enum lk_err load_cert(struct lk_client *c)
{
	struct lk_cert_info info = {0};
	char why[160];

	/*
	 * now = 0: an expired certificate still loads, so that authentication
	 * can refuse it with a precise reason instead of "unknown client".
	 */
	if (lk_cert_parse(c->app.cert_der, c->app.cert_der_len, 0, &info, why, sizeof(why))) {
		lk_warn("application %s: stored certificate unusable: %s", c->app.client_id, why);
		return LK_OK;
	}
	c->cert_jwk = info.public_jwk;
	c->cert_x5t_s256 = info.x5t_s256;
	info.public_jwk = NULL;
	info.x5t_s256 = NULL;
	lk_cert_info_release(&info);
	return LK_OK;
}

static enum lk_err load_secrets(struct lk_store *s, struct lk_client *c, int64_t now)
{
	struct lk_client_secret *rows = NULL;
	size_t n = 0, k = 0;
	enum lk_err err = lk_store_secret_list(s, c->app.client_id, &rows, &n);

	if (err)
		return err;
	if (n) {
		c->secrets = calloc(n, sizeof(*c->secrets));
		if (!c->secrets) {
			free(rows);
			return LK_ENOMEM;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (rows[i].expires_at && rows[i].expires_at <= now)
			continue;
		memcpy(c->secrets[k].hash, rows[i].hash, LK_SHA256_LEN);
		c->secrets[k].expires_at = rows[i].expires_at;
		k++;
	}
	c->nsecrets = k;
	lk_wipe(rows, n * sizeof(*rows));
	free(rows);
	return LK_OK;
}

static enum lk_err load_user(struct lk_store *s, struct lk_client *c)
{
	struct lk_user u = {0};
	enum lk_err err;

	if (!c->app.user_id) {
		snprintf(c->subject, sizeof(c->subject), "%s", c->app.client_id);
		c->user_ok = true;
		return LK_OK;
	}
	snprintf(c->subject, sizeof(c->subject), "%lld", (long long)c->app.user_id);
	err = lk_store_user_get(s, c->app.user_id, &u);
	if (err == LK_ENOTFOUND) {
		c->user_ok = false;
		return LK_OK;
	}
	if (err)
		return err;
	c->user_ok = u.enabled;
	lk_user_release(&u);
	return LK_OK;
}

enum lk_err lk_clients_load(struct lk_store *s, int64_t now, struct lk_clients **out)
{
	struct lk_clients *c = calloc(1, sizeof(*c));
	struct lk_app *apps = NULL;
	size_t n = 0;
	enum lk_err err;

	if (!c)
		return LK_ENOMEM;
	atomic_init(&c->refs, 1);
	err = lk_store_app_list(s, &apps, &n);
	if (err)
		goto fail;
	c->items = n ? calloc(n, sizeof(*c->items)) : NULL;
	if (n && !c->items) {
		err = LK_ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		struct lk_client *cl = &c->items[i];

		/* The snapshot takes over the record's members. */
		cl->app = apps[i];
		memset(&apps[i], 0, sizeof(apps[i]));
		c->n++;
		err = load_secrets(s, cl, now);
		if (!err && cl->app.cert_der_len)
			err = load_cert(cl);
		if (!err)
			err = load_user(s, cl);
		if (err)
			goto fail;
	}
	if (c->n > 1)
		qsort(c->items, c->n, sizeof(*c->items), by_client_id);
	lk_apps_free(apps, n);
	*out = c;
	return LK_OK;
fail:
	lk_apps_free(apps, n);
	clients_free(c);
	return err;
}

const struct lk_client *lk_clients_find(const struct lk_clients *c, const char *client_id)
{
	size_t lo = 0, hi;

	if (!c || !client_id)
		return NULL;
	hi = c->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int cmp = strcmp(client_id, c->items[mid].app.client_id);

		if (cmp == 0)
			return &c->items[mid];
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

size_t lk_clients_count(const struct lk_clients *c)
{
	return c ? c->n : 0;
}

struct lk_clients *lk_clients_ref(struct lk_clients *c)
{
	if (c)
		atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
	return c;
}

void lk_clients_unref(struct lk_clients *c)
{
	if (c && atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) == 1)
		clients_free(c);
}

bool lk_client_secret_ok(const struct lk_client *c, const char *secret, int64_t now)
{
	uint8_t hash[LK_SHA256_LEN];
	bool ok = false;

	/* Every stored hash is compared, so timing does not tell which matched. */
	lk_sha256(secret, strlen(secret), hash);
	for (size_t i = 0; i < c->nsecrets; i++) {
		bool live = c->secrets[i].expires_at == 0 || now < c->secrets[i].expires_at;
		bool same = lk_ct_equal(hash, LK_SHA256_LEN, c->secrets[i].hash, LK_SHA256_LEN);

		ok |= live && same;
	}
	lk_wipe(hash, sizeof(hash));
	return ok;
}

bool lk_client_allows_grant(const struct lk_client *c, const char *grant_type)
{
	enum lk_grant g = c->app.grant;

	if (strcmp(grant_type, "authorization_code") == 0)
		return g == LK_GRANT_AUTHORIZATION_CODE || g == LK_GRANT_ALL;
	if (strcmp(grant_type, "refresh_token") == 0)
		return g == LK_GRANT_AUTHORIZATION_CODE || g == LK_GRANT_ALL ||
		       g == LK_GRANT_PASSWORD;
	if (strcmp(grant_type, "client_credentials") == 0)
		return g == LK_GRANT_CLIENT_CREDENTIALS || g == LK_GRANT_CLIENT_CERTIFICATE ||
		       g == LK_GRANT_BEARER_TOKEN || g == LK_GRANT_ALL;
	if (strcmp(grant_type, "urn:ietf:params:oauth:grant-type:jwt-bearer") == 0)
		return g == LK_GRANT_CLIENT_CERTIFICATE;
	if (strcmp(grant_type, "password") == 0)
		return g == LK_GRANT_PASSWORD;
	return false;
}
