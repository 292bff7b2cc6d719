/*
 * Checking an RP-initiated logout request (RP-Initiated Logout 1.0 §2, §3).
 * latchkey never redirects anywhere an application did not register: the
 * post-logout redirect URI is compared exactly with the application's list,
 * and an application is only known from a hint whose signature checks or
 * from client_id.
 */
#include "oauth/logout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "core/buf.h"
#include "jose/jwt_verify.h"
#include "oauth/id_token.h"
#include "oauth/params.h"
#include "oauth/redirect_uri.h"

/* The longest redirect built: the URI, "&state=" and state percent-encoded. */
#define REDIRECT_MAX (LK_LOGOUT_PARAM_MAX * 4 + 16)

static bool given(const char *s)
{
	return s && *s;
}

static bool bad_request(struct lk_oauth_error *e, const char *what)
{
	lk_oauth_fail(e, LK_OAUTH_INVALID_REQUEST, "%s", what);
	return false;
}

/* The single audience of an ID token: a string, or an array of one string. */
static const char *audience(const json_t *claims)
{
	const json_t *aud = json_object_get(claims, LK_CLAIM_AUD);

	if (json_is_array(aud) && json_array_size(aud) == 1)
		aud = json_array_get(aud, 0);
	return json_is_string(aud) ? json_string_value(aud) : NULL;
}

/*
 * §2: the hint is an ID token this server issued, maybe expired. An access
 * token (typ at+jwt, RFC 9068 §2.1) is signed with the same keys but is not
 * an ID token, so it is refused. On success out->hinted, user_id, sid and
 * *aud (borrowed from *claims, which the caller json_decref()s) are set.
 */
static bool check_hint(const struct lk_config *cfg, const struct lk_keyring *kr, const char *hint,
		       struct lk_logout *out, json_t **claims, const char **aud,
		       struct lk_oauth_error *e)
{
	void *payload = NULL;
	const json_t *sid;
	enum lk_err err;

	if (strlen(hint) > LK_JWT_MAX)
		return bad_request(e, "id_token_hint is too long");
	err = lk_id_token_hint(cfg, kr, hint, &out->user_id, &payload);
	if (err == LK_ENOMEM) {
		lk_oauth_fail(e, LK_OAUTH_SERVER_ERROR, "the request could not be completed");
		return false;
	}
	if (err)
		return bad_request(e, "id_token_hint is not an ID token issued here");
	*claims = payload;
	sid = json_object_get(*claims, LK_CLAIM_SID);
	*aud = audience(*claims);
	if (!*aud || (sid && !json_is_string(sid)))
		return bad_request(e, "id_token_hint is not an ID token issued here");
	if (sid && strlen(json_string_value(sid)) > LK_LOGOUT_SID_MAX)
		return bad_request(e, "id_token_hint names an unknown session");
	snprintf(out->sid, sizeof(out->sid), "%s", sid ? json_string_value(sid) : "");
	out->hinted = true;
	return true;
}

/* The form-action source for a redirect URI we built (lk_uri_form_source). */
static void origin_of(const char *uri, char out[LK_LOGOUT_ORIGIN_MAX + 1])
{
	(void)lk_uri_form_source(uri, out, LK_LOGOUT_ORIGIN_MAX + 1);
}

/*
 * §3: the browser goes back only to a registered post-logout redirect URI
 * of an enabled application, with state added to the query.
 */
static enum lk_err make_redirect(const struct lk_logout_params *p, struct lk_logout *out)
{
	const struct lk_client *c = out->client;
	const char *uri = p->post_logout_redirect_uri;
	struct lk_buf b;
	enum lk_err err;

	if (!c || !c->app.enabled || !given(uri) ||
	    !lk_redirect_uri_match(c->app.post_logout_redirect_uris, uri, LK_STRATEGY_WEB))
		return LK_OK;
	lk_buf_init(&b, REDIRECT_MAX);
	err = lk_buf_addstr(&b, uri);
	if (!err && given(p->state)) {
		err = lk_buf_addf(&b, "%c" LK_P_STATE "=", strchr(uri, '?') ? '&' : '?');
		if (!err)
			err = lk_buf_addurl(&b, p->state);
	}
	if (!err) {
		out->redirect = lk_buf_detach(&b, NULL);
		origin_of(out->redirect, out->origin);
	}
	lk_buf_release(&b);
	return err;
}

static bool too_long(const char *s)
{
	return s && strlen(s) > LK_LOGOUT_PARAM_MAX;
}

bool lk_logout_check(const struct lk_config *cfg, const struct lk_keyring *kr,
		     const struct lk_clients *clients, const struct lk_logout_params *p,
		     struct lk_logout *out, struct lk_oauth_error *e)
{
	struct lk_logout l = {0};
	json_t *claims = NULL;
	const char *aud = NULL;
	bool ok = false;

	if (too_long(p->client_id) || too_long(p->post_logout_redirect_uri) || too_long(p->state)) {
		bad_request(e, "a parameter is too long");
		goto out;
	}
	if (given(p->id_token_hint) && !check_hint(cfg, kr, p->id_token_hint, &l, &claims, &aud, e))
		goto out;
	/* §2: client_id, when sent with a hint, must be the hint's audience. */
	if (aud && given(p->client_id) && strcmp(aud, p->client_id) != 0) {
		bad_request(e, "client_id is not the audience of id_token_hint");
		goto out;
	}
	if (aud || given(p->client_id)) {
		l.client = lk_clients_find(clients, aud ? aud : p->client_id);
		if (!l.client) {
			bad_request(e, "the application is unknown");
			goto out;
		}
	}
	if (make_redirect(p, &l) != LK_OK) {
		lk_oauth_fail(e, LK_OAUTH_SERVER_ERROR, "the request could not be completed");
		goto out;
	}
	*out = l;
	ok = true;
out:
	if (!ok)
		lk_logout_release(&l);
	json_decref(claims);
	return ok;
}

void lk_logout_release(struct lk_logout *l)
{
	if (!l)
		return;
	free(l->redirect);
	memset(l, 0, sizeof(*l));
}
