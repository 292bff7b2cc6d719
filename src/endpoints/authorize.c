/*
 * GET and POST /oauth2/authorize (RFC 6749 §3.1, §4.1.1): parse ->
 * oauth/authorize -> the next step (login, consent, or the result).
 */
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "endpoints/endpoints.h"
#include "endpoints/limits.h"
#include "endpoints/signin.h"
#include "oauth/params.h"

/*
 * The parameters of the request, with repeats allowed so that a repeated
 * parameter can be reported to the client once it is trusted (RFC 6749
 * §3.1); *dup names the first one repeated. false for a malformed request.
 */
static bool read_params(const struct lk_ctx *c, const struct lk_request *req, struct lk_params *out,
			const char **dup)
{
	const char *text = req->query_string;
	size_t len = strlen(text);
	size_t i, j;

	if (strcmp(req->method, "POST") == 0) {
		if (req->form_err == LK_ENOTFOUND) {
			/* Not a form at all: no parameters. */
			out->items = NULL;
			out->n = 0;
			*dup = NULL;
			return true;
		}
		text = req->body;
		len = req->body_len;
	}
	if (lk_form_parse(req->arena, text, len, (size_t)c->cfg->max_params, true, out, NULL))
		return false;
	*dup = NULL;
	for (i = 0; i < out->n && !*dup; i++)
		for (j = 0; j < i && !*dup; j++)
			if (strcmp(out->items[i].name, out->items[j].name) == 0)
				*dup = out->items[i].name;
	return true;
}

void lk_ep_authorize(void *ctx, struct lk_request *req, struct lk_response *res)
{
	struct lk_ctx *c = ctx;
	struct lk_params params;
	struct lk_authz a = {0};
	struct lk_authz_error aerr = {0};
	struct lk_session sess;
	struct lk_clients *clients;
	struct lk_store *s;
	const char *dup;
	int64_t now = lk_now();
	bool ok, have_session;

	if (!lk_ep_limit_authorize(c, req, res))
		return;
	if (!read_params(c, req, &params, &dup)) {
		lk_ep_error_page(res, 400, "Invalid request",
				 "The authorization request is malformed.");
		return;
	}
	clients = lk_ctx_clients(c);
	ok = lk_authz_parse(c->cfg, clients, &params, dup, &a, &aerr);
	lk_clients_unref(clients);
	if (ok) {
		struct lk_keyring *kr = lk_ctx_keyring(c);

		ok = lk_authz_take_hint(c->cfg, kr, &params, &a, &aerr.oauth);
		/* The client and redirect URI are established: the error goes to them. */
		aerr.trusted = !ok;
		lk_keyring_unref(kr);
	}
	if (!ok && !aerr.trusted) {
		/* RFC 6749 §4.1.2.1: never redirect to an unverified URI. */
		lk_ep_error_page(res, 400, "Invalid request", aerr.oauth.description);
		return;
	}
	if (!ok) {
		lk_ep_deliver(c, req, res, &a, NULL, &aerr.oauth);
		goto out;
	}
	s = lk_ctx_store(c);
	if (!s) {
		lk_oauth_fail(&aerr.oauth, LK_OAUTH_TEMPORARILY_UNAVAILABLE,
			      "the service is temporarily unavailable");
		lk_ep_deliver(c, req, res, &a, NULL, &aerr.oauth);
		goto out;
	}
	have_session = lk_ep_session(c, s, req, now, &sess);
	lk_ep_continue(c, s, req, res, &a, NULL, have_session ? &sess : NULL, false, now);
out:
	lk_authz_release(&a);
}
