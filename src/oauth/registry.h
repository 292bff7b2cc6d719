/*
 * The registry: applications, users and scopes with every consistency rule of
 * DESIGN §1 and §3. The CLI, the admin API and dynamic registration all call
 * these functions, so validation and messages are the same everywhere.
 *
 * Every function that changes something runs in one transaction that also
 * writes an audit entry and bumps the change counter (running servers reload
 * within seconds). On invalid input nothing is changed, the function returns
 * LK_EINVAL and r->err holds a message that names the field at fault
 * ("--redirect-uri: 'http://x' must use https"). Other results: LK_ENOTFOUND
 * ("no application 'x'"), LK_EEXIST (a unique name taken), LK_ESTATE (an
 * operation refused by the state of other objects, e.g. removing a scope in
 * use), LK_ESTORE. Warnings that do not stop the change go to r->warn.
 */
#ifndef LK_OAUTH_REGISTRY_H
#define LK_OAUTH_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "core/err.h"
#include "store/records.h"
#include "store/store.h"

#define LK_REGISTRY_MAX_LIST 32 /* repeated options (scopes, URIs) */
#define LK_REGISTRY_MSG 512

struct lk_registry {
	struct lk_store *store;
	const struct lk_config *cfg;
	const char *actor; /* for the audit log: "cli:USER", "admin:..." */
	int64_t now;	   /* the time of the operation */
	char err[LK_REGISTRY_MSG];
	char warn[LK_REGISTRY_MSG];
	/*
	 * Field names in messages: the CLI spells them as its flags
	 * ("--redirect-uri"); the admin API as JSON members ("redirect_uris").
	 */
	bool api_names;
};

/*
 * Options of `app add` / `app update`, as given: NULL (or a count of 0, or -1
 * for the flags) means "not given". Lists replace the stored list when given.
 */
struct lk_app_input {
	const char *name;
	const char *description;
	const char *website;
	const char *grant;
	const char *scopes[LK_REGISTRY_MAX_LIST]; /* each may hold several, space-separated */
	size_t nscopes;
	const char *user; /* "domain\user" or "user"; "" on update = unbind */
	const char *strategy;
	const char *redirect_uris[LK_REGISTRY_MAX_LIST];
	size_t nredirect_uris;
	const char *post_logout_uris[LK_REGISTRY_MAX_LIST];
	size_t npost_logout_uris;
	const char *lifetime; /* minutes, or "never" */
	const char *lifecycle;
	const unsigned char *cert; /* certificate file contents (PEM or DER) */
	size_t cert_len;
	const char *client_type;
	const char *token_format;
	const char *audience;
	const char *id_token_alg;
	const char *userinfo_alg; /* "" = plain JSON */
	int first_party;	  /* -1 not given, 0, 1 */
};

/* An empty input: nothing given. */
void lk_app_input_init(struct lk_app_input *in);

/*
 * Registers an application. *out receives it; secret receives the new client
 * secret ("lk_cs_..."), or "" for public and client-certificate applications.
 * The secret is shown once: only its SHA-256 is stored.
 */
enum lk_err lk_registry_app_add(struct lk_registry *r, const struct lk_app_input *in,
				struct lk_app *out, char secret[LK_TOKEN_MAX]);

/* Changes the options given in `in`; the whole result is validated again. */
enum lk_err lk_registry_app_update(struct lk_registry *r, const char *app,
				   const struct lk_app_input *in, struct lk_app *out);

/* Finds an application by client_id or name. */
enum lk_err lk_registry_app_get(struct lk_registry *r, const char *app, struct lk_app *out);

/* Every application, by name. */
enum lk_err lk_registry_app_list(struct lk_registry *r, struct lk_app **out, size_t *n);

/* Enables or disables an application (disabled apps are refused everywhere). */
enum lk_err lk_registry_app_set_enabled(struct lk_registry *r, const char *app, bool enabled,
					struct lk_app *out);

/* Removes an application and its secrets. */
enum lk_err lk_registry_app_remove(struct lk_registry *r, const char *app);

/*
 * Issues a new client secret, valid at once. The previous secrets stay valid
 * for grace_minutes (0 = they stop now). LK_ESTATE for applications without
 * secrets (public, client certificate).
 */
enum lk_err lk_registry_app_rotate_secret(struct lk_registry *r, const char *app, int grace_minutes,
					  char secret[LK_TOKEN_MAX]);

/* Options of `user add`; NULL / -1 = not given. */
struct lk_user_input {
	const char *user; /* "domain\user" or "user" */
	const char *email;
	int email_verified;
	const char *display_name;
	const char *given_name;
	const char *family_name;
	const char *phone;
	const char *role;
	const char *external_id; /* SCIM externalId */
	int enabled;		 /* -1 not given (update only) */
};

void lk_user_input_init(struct lk_user_input *in);

/* The longest password accepted, and the length of generated ones. */
#define LK_PASSWORD_MAX 1024
#define LK_PASSWORD_GENERATED_LEN 24

/*
 * Creates a user. password NULL generates one into generated (which must
 * hold LK_PASSWORD_GENERATED_LEN + 1 bytes), shown once. The password is
 * hashed with Argon2id.
 */
enum lk_err lk_registry_user_add(struct lk_registry *r, const struct lk_user_input *in,
				 const char *password, struct lk_user *out, char *generated);

enum lk_err lk_registry_user_get(struct lk_registry *r, const char *user, struct lk_user *out);
enum lk_err lk_registry_user_list(struct lk_registry *r, struct lk_user **out, size_t *n);
enum lk_err lk_registry_user_set_enabled(struct lk_registry *r, const char *user, bool enabled,
					 struct lk_user *out);

/*
 * Changes the profile options given in `in` (not the name: in->user is
 * ignored). Disabling a user here is the same as lk_registry_user_set_enabled.
 */
enum lk_err lk_registry_user_update(struct lk_registry *r, const char *user,
				    const struct lk_user_input *in, struct lk_user *out);

/* Removes a user; LK_ESTATE while an application is bound to it (named). */
enum lk_err lk_registry_user_remove(struct lk_registry *r, const char *user);

/* Sets a new password (NULL generates one into generated, as for add). */
enum lk_err lk_registry_user_passwd(struct lk_registry *r, const char *user, const char *password,
				    char *generated);

/*
 * An identity an upstream provider vouched for ([upstream.NAME], DESIGN
 * §3): its issuer and sub, and the claims a new user is made from. Claims
 * may be NULL or "".
 */
struct lk_external_user {
	const char *upstream; /* NAME */
	const char *issuer;
	const char *subject;
	const char *username_hint; /* preferred_username */
	const char *email;
	bool email_verified;
	const char *display_name;
	const char *given_name;
	const char *family_name;
};

/*
 * Creates a user for an upstream identity and links the identity to it, in
 * one transaction with the audit entries user.add and upstream.link. The
 * user has no password (it signs in only through the upstream); its domain
 * is the upstream's NAME, its username the first usable of username_hint,
 * the email's local part and the subject, reduced to the allowed characters
 * and made unique with a numeric suffix ("alice-2"). An email that is not
 * an address, or a name that is too long, is left out rather than refused.
 * LK_ESTATE when the email belongs to another user (nothing is created:
 * linking to that user is the caller's decision, lk_registry_link_external);
 * LK_EEXIST when the identity is linked already.
 */
enum lk_err lk_registry_user_add_external(struct lk_registry *r, const struct lk_external_user *in,
					  struct lk_user *out);

/*
 * Links an upstream identity to the existing user user_id (audit entry
 * upstream.link). LK_EEXIST when the identity is linked already,
 * LK_ENOTFOUND for an unknown user.
 */
enum lk_err lk_registry_link_external(struct lk_registry *r, const struct lk_external_user *in,
				      int64_t user_id);

/*
 * Creates the user `admin` (role admin) with a generated password when no
 * enabled administrator exists. *created tells whether it did.
 */
enum lk_err lk_registry_admin_bootstrap(struct lk_registry *r, char *generated, bool *created);

/*
 * Groups (SCIM Groups; the `groups` claim). Members are user ids. Names are
 * 1-256 characters without control characters, unique without regard to
 * case (LK_EEXIST). An unknown member id is LK_EINVAL naming it.
 */
enum lk_err lk_registry_group_add(struct lk_registry *r, const char *display_name,
				  const char *external_id, const int64_t *members, size_t n,
				  struct lk_group *out);

/* Replaces a group's name, external id and members (any NULL pointer: kept). */
enum lk_err lk_registry_group_update(struct lk_registry *r, int64_t id, const char *display_name,
				     const char *external_id, const int64_t *members, size_t n,
				     bool set_members, struct lk_group *out);

enum lk_err lk_registry_group_remove(struct lk_registry *r, int64_t id);

/* Adds a scope to the catalog. Names: 1-64 of [A-Za-z0-9_.:/-]. */
enum lk_err lk_registry_scope_add(struct lk_registry *r, const char *name, const char *description,
				  bool certificate);

/* Removes a scope; LK_ESTATE naming the applications that still use it. */
enum lk_err lk_registry_scope_remove(struct lk_registry *r, const char *name);

enum lk_err lk_registry_scope_list(struct lk_registry *r, struct lk_scope **out, size_t *n);

/* The newest audit entries first, at most limit. */
enum lk_err lk_registry_audit_list(struct lk_registry *r, int limit, struct lk_audit **out,
				   size_t *n);

/*
 * JSON views shared by the CLI and the admin API (json_t *, type-erased):
 * every option of the app / user, never a secret or a password hash.
 */
void *lk_app_to_json(const struct lk_app *a);
void *lk_user_to_json(const struct lk_user *u);
void *lk_scope_to_json(const struct lk_scope *s);
void *lk_audit_to_json(const struct lk_audit *e);

/*
 * Splits "domain\user" or "user" (the default domain) into its parts; the
 * domain is lower-cased. LK_EINVAL for an empty part or bad characters.
 */
enum lk_err lk_user_name_parse(const char *s, const char *default_domain, char *domain, size_t dlen,
			       char *username, size_t ulen);

/* ---- Signing keys (registry_keys.c) and minted tokens (registry_token.c) ---- */

struct lk_master_key;
struct lk_keyring;
struct lk_key_record;
struct lk_access_token;

/*
 * Makes sure the signing keys exist (DESIGN §6: the first command that needs
 * them creates them) and that the master key mk opens them, before anything
 * is changed. On success *kr (may be NULL) receives a keyring snapshot at
 * r->now with one reference. LK_EKEY when mk is not this database's key.
 */
enum lk_err lk_registry_keys_prepare(struct lk_registry *r, const struct lk_master_key *mk,
				     struct lk_keyring **kr);

/* Every signing key row; free with lk_key_records_free. */
enum lk_err lk_registry_key_list(struct lk_registry *r, struct lk_key_record **out, size_t *n);

/*
 * JSON view of a key (json_t *, type-erased): kid, alg, its state at now
 * (next, active, retired, expired), created_at, activate_at, retire_at and
 * expire_at (null while unset). Never the private key.
 */
void *lk_key_to_json(const struct lk_key_record *k, int64_t now);

/* LK_EINVAL unless alg is one of ES256, RS256, PS256. */
enum lk_err lk_registry_key_alg_check(struct lk_registry *r, const char *alg);

/*
 * Rotates the signing key of alg, or of every algorithm of [keys]
 * signing_algs when alg is NULL: each new key is published at once and signs
 * after [keys] publish_delay (immediate: at once). Each rotation writes an
 * audit entry. *out receives a JSON array (json_t *) of {kid, alg,
 * activate_at}, one per new key. LK_EINVAL for an alg that is not supported
 * or not configured; on a later failure the rotations already made stay.
 */
enum lk_err lk_registry_key_rotate(struct lk_registry *r, const struct lk_master_key *mk,
				   const char *alg, bool immediate, void **out);

/*
 * Issues an access token for application app (client_id or name) exactly as
 * the token endpoint's client credentials grant would (scopes, lifetime,
 * format, audience), signed with keyring kr, and writes the audit entry
 * "app.token" (naming the jti, never the token) in the same transaction.
 * The application is read afresh from r->store. LK_ENOTFOUND for an unknown
 * application; LK_ESTATE when the token endpoint would refuse it (disabled,
 * its user disabled, a grant without client credentials, no scope) or the
 * server has no key for [tokens] access_alg. *out is released with
 * lk_access_token_release, which zeroes the token.
 */
enum lk_err lk_registry_app_token(struct lk_registry *r, const struct lk_keyring *kr,
				  const char *app, struct lk_access_token *out);

/*
 * A token response (json_t *) as RFC 6749 §5.1 shapes it: access_token,
 * token_type, scope, and expires_in unless the token never expires. The
 * caller wipes the access_token string before releasing it.
 */
void *lk_access_token_to_json(const struct lk_access_token *t);

#endif
