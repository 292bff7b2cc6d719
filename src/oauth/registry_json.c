/*
 * JSON views of registry records, shared by the CLI's --json output and the
 * admin API. Member names follow RFC 7591 client metadata where one exists.
 * Never a secret or a password hash.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "core/clock.h"
#include "oauth/registry.h"

static json_t *time_json(int64_t t)
{
	char buf[32];

	if (!t)
		return json_null();
	lk_time_format(t, buf);
	return json_string(buf);
}

/* A space-separated list as a JSON array. */
static json_t *list_json(const char *list)
{
	json_t *a = json_array();

	for (const char *p = list; a && *p;) {
		size_t n;

		p += strspn(p, " ");
		n = strcspn(p, " ");
		if (n)
			json_array_append_new(a, json_stringn(p, n));
		p += n;
	}
	return a;
}

static json_t *lifetime_json(int lifetime)
{
	if (lifetime == LK_LIFETIME_NEVER)
		return json_string("never");
	if (lifetime == LK_LIFETIME_DEFAULT)
		return json_string("default");
	return json_integer(lifetime);
}

void *lk_app_to_json(const struct lk_app *a)
{
	json_t *o = json_object();
	json_t *cert;

	if (!o)
		return NULL;
	json_object_set_new(o, "client_id", json_string(a->client_id));
	json_object_set_new(o, "name", json_string(a->name));
	json_object_set_new(o, "description", json_string(a->description));
	json_object_set_new(o, "website", json_string(a->website));
	json_object_set_new(o, "grant_type", json_string(lk_grant_name(a->grant)));
	json_object_set_new(o, "scopes", list_json(a->scopes));
	json_object_set_new(o, "scope", json_string(a->scopes));
	json_object_set_new(o, "user", a->user[0] ? json_string(a->user) : json_null());
	json_object_set_new(o, "redirect_strategy", json_string(lk_strategy_name(a->strategy)));
	json_object_set_new(o, "redirect_uris", list_json(a->redirect_uris));
	json_object_set_new(o, "post_logout_redirect_uris",
			    list_json(a->post_logout_redirect_uris));
	json_object_set_new(o, "lifetime", lifetime_json(a->lifetime));
	json_object_set_new(o, "lifecycle", json_string(lk_lifecycle_name(a->lifecycle)));
	json_object_set_new(o, "client_type", json_string(lk_client_type_name(a->client_type)));
	json_object_set_new(o, "token_format", json_string(lk_token_format_name(a->token_format)));
	json_object_set_new(o, "audience", a->audience[0] ? json_string(a->audience) : json_null());
	json_object_set_new(o, "id_token_signed_response_alg", json_string(a->id_token_alg));
	/* null: userinfo answers plain JSON. */
	json_object_set_new(o, "userinfo_signed_response_alg",
			    a->userinfo_alg && a->userinfo_alg[0] ? json_string(a->userinfo_alg)
								  : json_null());
	json_object_set_new(o, "first_party", json_boolean(a->first_party));
	json_object_set_new(o, "enabled", json_boolean(a->enabled));
	json_object_set_new(o, "created_at", time_json(a->created_at));
	json_object_set_new(o, "updated_at", time_json(a->updated_at));
	if (a->cert_der_len) {
		cert = json_pack("{s:s, s:s, s:s, s:o, s:o}", "subject", a->cert_subject,
				 "key_type", a->cert_key_type, "kid", a->cert_kid, "not_before",
				 time_json(a->cert_not_before), "not_after",
				 time_json(a->cert_not_after));
		json_object_set_new(o, "certificate", cert);
	} else {
		json_object_set_new(o, "certificate", json_null());
	}
	return o;
}

void *lk_user_to_json(const struct lk_user *u)
{
	json_t *o = json_object();
	char full[300];

	if (!o)
		return NULL;
	snprintf(full, sizeof(full), "%s\\%s", u->domain, u->username);
	json_object_set_new(o, "id", json_integer(u->id));
	json_object_set_new(o, "user", json_string(full));
	json_object_set_new(o, "domain", json_string(u->domain));
	json_object_set_new(o, "username", json_string(u->username));
	json_object_set_new(o, "display_name", json_string(u->display_name));
	json_object_set_new(o, "given_name", json_string(u->given_name));
	json_object_set_new(o, "family_name", json_string(u->family_name));
	json_object_set_new(o, "email", u->email[0] ? json_string(u->email) : json_null());
	json_object_set_new(o, "email_verified", json_boolean(u->email_verified));
	json_object_set_new(o, "phone_number", u->phone[0] ? json_string(u->phone) : json_null());
	json_object_set_new(o, "role", json_string(lk_role_name(u->role)));
	json_object_set_new(o, "enabled", json_boolean(u->enabled));
	json_object_set_new(o, "has_password", json_boolean(u->password_hash[0] != '\0'));
	json_object_set_new(o, "created_at", time_json(u->created_at));
	json_object_set_new(o, "updated_at", time_json(u->updated_at));
	return o;
}

void *lk_scope_to_json(const struct lk_scope *s)
{
	return json_pack("{s:s, s:s, s:b, s:b}", "name", s->name, "description", s->description,
			 "certificate", s->certificate, "builtin", s->builtin);
}

void *lk_audit_to_json(const struct lk_audit *e)
{
	return json_pack("{s:I, s:o, s:s, s:s, s:s, s:s, s:s}", "id", (json_int_t)e->id, "at",
			 time_json(e->at), "actor", e->actor, "action", e->action, "object_type",
			 e->object_type, "object_id", e->object_id, "detail", e->detail);
}
