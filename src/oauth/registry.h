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

#define LK_REGISTRY_MAX_LIST 32   /* repeated options (scopes, URIs) */
#define LK_REGISTRY_MSG 512

struct lk_registry {
	struct lk_store *store;
	const struct lk_config *cfg;
	const char *actor; /* for the audit log: "cli:USER", "admin:..." */
	int64_t now;       /* the time of the operation */
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
	int first_party; /* -1 not given, 0, 1 */
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
enum lk_err lk_registry_app_rotate_secret(struct lk_registry *r, const char *app,
					  int grace_minutes, char secret[LK_TOKEN_MAX]);

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
	int enabled;             /* -1 not given (update only) */
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
enum lk_err lk_registry_user_passwd(struct lk_registry *r, const char *user,
				    const char *password, char *generated);

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
				     const char *external_id, const int64_t *members,
				     size_t n, bool set_members, struct lk_group *out);

enum lk_err lk_registry_group_remove(struct lk_registry *r, int64_t id);

/* Adds a scope to the catalog. Names: 1-64 of [A-Za-z0-9_.:/-]. */
enum lk_err lk_registry_scope_add(struct lk_registry *r, const char *name,
				  const char *description, bool certificate);

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
enum lk_err lk_user_name_parse(const char *s, const char *default_domain, char *domain,
			       size_t dlen, char *username, size_t ulen);

#endif
