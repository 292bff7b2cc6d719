#include "endpoints/context.h"

#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "endpoints/endpoints.h"
#include "endpoints/limits.h"
#include "oauth/signing_keys.h"

/* Closes a thread's connection when the thread exits. */
static void close_store(void *p)
{
	lk_store_close(p);
}

enum lk_err lk_ctx_init(struct lk_ctx *ctx, const struct lk_config *cfg,
			const struct lk_master_key *mk)
{
	enum lk_err err;

	memset(ctx, 0, sizeof(*ctx));
	ctx->cfg = cfg;
	ctx->mk = *mk;
	if (pthread_mutex_init(&ctx->lock, NULL) != 0)
		return LK_EINTERNAL;
	if (pthread_key_create(&ctx->store_key, close_store) != 0) {
		pthread_mutex_destroy(&ctx->lock);
		return LK_EINTERNAL;
	}
	err = lk_discovery_build(cfg, &ctx->discovery);
	if (!err)
		err = lk_ep_limits_init(ctx);
	if (!err && strcmp(cfg->audit_token_events, "none") != 0)
		err = lk_audit_queue_new(LK_AUDIT_QUEUE_CAP, &ctx->audit);
	if (!err)
		err = lk_upstreams_new(cfg, &ctx->upstreams);
	if (!err)
		err = lk_token_writer_new(cfg->database_url, LK_TOKEN_WRITER_CAP,
					  &ctx->token_writer);
	/* Everything release frees may be NULL: it undoes a partial start too. */
	if (err)
		lk_ctx_release(ctx);
	return err;
}

void lk_ctx_release(struct lk_ctx *ctx)
{
	struct lk_store *s = pthread_getspecific(ctx->store_key);

	/* First: what it still stores ends in the audit queue. */
	lk_token_writer_free(ctx->token_writer);
	ctx->token_writer = NULL;
	/* Threads that exited closed their own connection; close ours. */
	if (s) {
		pthread_setspecific(ctx->store_key, NULL);
		lk_store_close(s);
	}
	pthread_key_delete(ctx->store_key);
	lk_audit_queue_free(ctx->audit);
	ctx->audit = NULL;
	lk_keyring_unref(ctx->keyring);
	ctx->keyring = NULL;
	lk_clients_unref(ctx->clients);
	ctx->clients = NULL;
	pthread_mutex_destroy(&ctx->lock);
	free(ctx->discovery);
	ctx->discovery = NULL;
	lk_ep_limits_release(ctx);
	lk_upstreams_free(ctx->upstreams);
	ctx->upstreams = NULL;
	lk_master_key_wipe(&ctx->mk);
}

struct lk_store *lk_ctx_store(struct lk_ctx *ctx)
{
	struct lk_store *s = pthread_getspecific(ctx->store_key);
	enum lk_err err;

	if (s)
		return s;
	err = lk_store_open(ctx->cfg->database_url, &s);
	if (err) {
		lk_error("cannot open the database: %s", lk_err_str(err));
		return NULL;
	}
	if (pthread_setspecific(ctx->store_key, s) != 0) {
		lk_store_close(s);
		return NULL;
	}
	return s;
}

struct lk_keyring *lk_ctx_keyring(struct lk_ctx *ctx)
{
	struct lk_keyring *kr;

	pthread_mutex_lock(&ctx->lock);
	kr = ctx->keyring ? lk_keyring_ref(ctx->keyring) : NULL;
	pthread_mutex_unlock(&ctx->lock);
	return kr;
}

void lk_ctx_set_keyring(struct lk_ctx *ctx, struct lk_keyring *kr)
{
	struct lk_keyring *old;

	pthread_mutex_lock(&ctx->lock);
	old = ctx->keyring;
	ctx->keyring = kr;
	pthread_mutex_unlock(&ctx->lock);
	lk_keyring_unref(old);
}

struct lk_clients *lk_ctx_clients(struct lk_ctx *ctx)
{
	struct lk_clients *c;

	pthread_mutex_lock(&ctx->lock);
	c = lk_clients_ref(ctx->clients);
	pthread_mutex_unlock(&ctx->lock);
	return c;
}

void lk_ctx_set_clients(struct lk_ctx *ctx, struct lk_clients *c)
{
	struct lk_clients *old;

	pthread_mutex_lock(&ctx->lock);
	old = ctx->clients;
	ctx->clients = c;
	pthread_mutex_unlock(&ctx->lock);
	lk_clients_unref(old);
}

enum lk_err lk_ctx_reload_discovery(struct lk_ctx *ctx, struct lk_store *s)
{
	struct lk_scope *scopes = NULL;
	size_t n = 0;
	char *doc = NULL, *old;
	enum lk_err err = lk_store_scope_list(s, &scopes, &n);

	if (err)
		return err;
	err = lk_discovery_build_scopes(ctx->cfg, scopes, n, &doc);
	lk_scopes_free(scopes, n);
	if (err)
		return err;
	pthread_mutex_lock(&ctx->lock);
	old = ctx->discovery;
	ctx->discovery = doc;
	pthread_mutex_unlock(&ctx->lock);
	free(old);
	return LK_OK;
}

void lk_ctx_flush_audit(struct lk_ctx *ctx, struct lk_store *s)
{
	if (ctx->audit && s)
		(void)lk_audit_queue_flush(ctx->audit, s, NULL);
}

void lk_ctx_reload_now(struct lk_ctx *ctx, struct lk_store *s, bool keys)
{
	struct lk_clients *clients = NULL;
	struct lk_keyring *kr = NULL;
	int64_t now = lk_now();

	if (lk_clients_load(s, now, &clients) == LK_OK)
		lk_ctx_set_clients(ctx, clients);
	else
		lk_warn("cannot reload the applications after a change");
	if (!keys)
		return;
	if (lk_signing_keys_load(s, &ctx->mk, now, &kr) == LK_OK)
		lk_ctx_set_keyring(ctx, kr);
	else
		lk_warn("cannot reload the signing keys after a change");
}
