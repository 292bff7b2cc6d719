/*
 * Fuzz target: an authorization request's query string, through the whole
 * validation of oauth/authorize.c and the shaping of its result. What must
 * hold for every input: an error that is not trusted never carries a place
 * to redirect to; anything delivered goes to a registered redirect URI (or,
 * for mobile-title, to the page title); the pending-request JSON reads back
 * to the same request.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "core/arena.h"
#include "http/http.h"
#include "oauth/authorize.h"
#include "oauth/redirect_uri.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct lk_config cfg;
static struct lk_clients *clients;

static void add_app(struct lk_store *s, const char *id, enum lk_strategy strategy,
		    enum lk_client_type type, const char *uris)
{
	struct lk_app a = {
		.client_id = (char *)id,
		.name = (char *)id,
		.scopes = (char *)"openid api offline_access",
		.grant = LK_GRANT_AUTHORIZATION_CODE,
		.strategy = strategy,
		.redirect_uris = (char *)uris,
		.lifecycle = LK_LIFECYCLE_ABSOLUTE,
		.client_type = type,
		.token_format = LK_FORMAT_JWT,
		.id_token_alg = (char *)"RS256",
		.enabled = true,
		.created_at = 1,
		.updated_at = 1,
	};

	if (lk_store_app_insert(s, &a) != LK_OK)
		abort();
}

/* Three applications, one per redirect strategy, loaded once. */
static void setup(void)
{
	struct lk_store *s = NULL;

	if (lk_config_init(&cfg) != LK_OK || lk_store_open("sqlite::memory:", &s) != LK_OK ||
	    lk_store_migrate(s, NULL, NULL) != LK_OK)
		abort();
	free(cfg.issuer);
	cfg.issuer = strdup("https://as.example");
	add_app(s, "web", LK_STRATEGY_WEB, LK_CLIENT_CONFIDENTIAL,
		"https://app.example/cb https://app.example/cb2?x=1");
	add_app(s, "one", LK_STRATEGY_WEB, LK_CLIENT_PUBLIC, "https://one.example/cb");
	add_app(s, "loop", LK_STRATEGY_MOBILE_LOCALHOST, LK_CLIENT_PUBLIC,
		"http://127.0.0.1/cb http://[::1]/cb");
	add_app(s, "title", LK_STRATEGY_MOBILE_TITLE, LK_CLIENT_PUBLIC, "");
	if (lk_clients_load(s, 1, &clients) != LK_OK)
		abort();
	lk_store_close(s);
}

/* The result must go where the request may send it, nowhere else. */
static void check_delivery(const struct lk_authz *a)
{
	const struct lk_client *c = lk_clients_find(clients, a->client_id);
	struct lk_oauth_error oerr = {.code = LK_OAUTH_INVALID_REQUEST};
	struct lk_authz_result r;

	if (!c)
		__builtin_trap();
	if (a->strategy == LK_STRATEGY_MOBILE_TITLE) {
		if (*a->deliver_to)
			__builtin_trap();
	} else if (!lk_redirect_uri_match(c->app.redirect_uris, a->deliver_to, c->app.strategy)) {
		__builtin_trap();
	}
	if (lk_authz_result(a, cfg.issuer, NULL, &oerr, &r) != LK_OK)
		return;
	if (r.kind == LK_DELIVER_REDIRECT && strncmp(r.url, a->deliver_to, strlen(a->deliver_to)))
		__builtin_trap();
	lk_authz_result_release(&r);
}

static void check_json(const struct lk_authz *a)
{
	struct lk_authz b;
	char *text = lk_authz_to_json(a);

	if (!text)
		return;
	if (lk_authz_from_json(text, &b) != LK_OK)
		__builtin_trap();
	if (strcmp(a->client_id, b.client_id) || strcmp(a->deliver_to, b.deliver_to) ||
	    strcmp(a->state, b.state) || strcmp(a->code_challenge, b.code_challenge) ||
	    a->max_age != b.max_age || a->mode != b.mode)
		__builtin_trap();
	lk_authz_release(&b);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lk_arena *arena;
	struct lk_params p;
	struct lk_authz a = {0};
	struct lk_authz_error err;
	const char *dup = NULL;
	bool ok;

	if (!clients)
		setup();
	arena = lk_arena_new(LK_HTTP_ARENA_MAX);
	if (!arena)
		return 0;
	if (lk_form_parse(arena, (const char *)data, size, 64, true, &p, NULL) != LK_OK)
		goto out;
	for (size_t i = 0; i < p.n && !dup; i++)
		for (size_t j = 0; j < i && !dup; j++)
			if (strcmp(p.items[i].name, p.items[j].name) == 0)
				dup = p.items[i].name;
	ok = lk_authz_parse(&cfg, clients, &p, dup, &a, &err);
	if (ok || err.trusted) {
		check_delivery(&a);
		check_json(&a);
		lk_authz_release(&a);
	}
out:
	lk_arena_free(arena);
	return 0;
}
