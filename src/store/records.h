/*
 * The registry's records as the store reads and writes them: applications
 * (OAuth clients) and their secrets, users, scopes and the audit log. Plain
 * data; the rules that make a record valid live in oauth/registry.c.
 *
 * Strings are malloc'd and NUL-terminated; an absent optional string is "",
 * never NULL, in a record returned by the store. Free a record's members with
 * its _release function.
 */
#ifndef LK_STORE_RECORDS_H
#define LK_STORE_RECORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/secure.h"

/*
 * Limits on what a record may hold. The store refuses a longer field with
 * LK_ETOOBIG before it writes anything.
 */
#define LK_REC_STR_MAX 4096         /* every string not named below */
#define LK_REC_DESCRIPTION_MAX 4096 /* app and scope descriptions */
#define LK_REC_URIS_MAX 65536       /* redirect_uris, post_logout_redirect_uris */
#define LK_REC_CERT_MAX 65536       /* cert_der */

/* Grant types of DESIGN §1, with their spelling on the CLI and in the store. */
#define LK_GRANT_LIST(X)                                          \
	X(LK_GRANT_AUTHORIZATION_CODE, "authorization_code")      \
	X(LK_GRANT_CLIENT_CREDENTIALS, "client_credentials")      \
	X(LK_GRANT_CLIENT_CERTIFICATE, "client_certificate")      \
	X(LK_GRANT_BEARER_TOKEN, "bearer_token")                  \
	X(LK_GRANT_PASSWORD, "password")                          \
	X(LK_GRANT_ALL, "all")

#define LK_STRATEGY_LIST(X)                                       \
	X(LK_STRATEGY_WEB, "web")                                 \
	X(LK_STRATEGY_MOBILE_TITLE, "mobile-title")               \
	X(LK_STRATEGY_MOBILE_LOCALHOST, "mobile-localhost")

#define LK_LIFECYCLE_LIST(X)                                      \
	X(LK_LIFECYCLE_ABSOLUTE, "absolute")                      \
	X(LK_LIFECYCLE_SLIDING, "sliding")

#define LK_CLIENT_TYPE_LIST(X)                                    \
	X(LK_CLIENT_CONFIDENTIAL, "confidential")                 \
	X(LK_CLIENT_PUBLIC, "public")

#define LK_TOKEN_FORMAT_LIST(X)                                   \
	X(LK_FORMAT_JWT, "jwt")                                   \
	X(LK_FORMAT_OPAQUE, "opaque")

#define LK_ROLE_LIST(X)                                           \
	X(LK_ROLE_USER, "user")                                   \
	X(LK_ROLE_ADMIN, "admin")

#define LK_ENUM_MEMBER(name, str) name,
enum lk_grant { LK_GRANT_LIST(LK_ENUM_MEMBER) LK_GRANT__COUNT };
enum lk_strategy { LK_STRATEGY_LIST(LK_ENUM_MEMBER) LK_STRATEGY__COUNT };
enum lk_lifecycle { LK_LIFECYCLE_LIST(LK_ENUM_MEMBER) LK_LIFECYCLE__COUNT };
enum lk_client_type { LK_CLIENT_TYPE_LIST(LK_ENUM_MEMBER) LK_CLIENT_TYPE__COUNT };
enum lk_token_format { LK_TOKEN_FORMAT_LIST(LK_ENUM_MEMBER) LK_TOKEN_FORMAT__COUNT };
enum lk_role { LK_ROLE_LIST(LK_ENUM_MEMBER) LK_ROLE__COUNT };
#undef LK_ENUM_MEMBER

/* Names of enum values ("client_credentials"); "" for an out-of-range value. */
const char *lk_grant_name(enum lk_grant g);
const char *lk_strategy_name(enum lk_strategy s);
const char *lk_lifecycle_name(enum lk_lifecycle l);
const char *lk_client_type_name(enum lk_client_type t);
const char *lk_token_format_name(enum lk_token_format f);
const char *lk_role_name(enum lk_role r);

/* Parse a name back; LK_EINVAL when it names no value. */
enum lk_err lk_grant_parse(const char *s, enum lk_grant *out);
enum lk_err lk_strategy_parse(const char *s, enum lk_strategy *out);
enum lk_err lk_lifecycle_parse(const char *s, enum lk_lifecycle *out);
enum lk_err lk_client_type_parse(const char *s, enum lk_client_type *out);
enum lk_err lk_token_format_parse(const char *s, enum lk_token_format *out);
enum lk_err lk_role_parse(const char *s, enum lk_role *out);

/* Token lifetime in minutes: the server default, or never expiring. */
#define LK_LIFETIME_DEFAULT 0
#define LK_LIFETIME_NEVER (-1)

/* An application (OAuth client), DESIGN §1. */
struct lk_app {
	char *client_id;   /* random, URL-safe; never changes */
	char *name;        /* unique */
	char *description;
	char *website;
	enum lk_grant grant;
	char *scopes;      /* allowed scopes, space-separated, catalog order */
	int64_t user_id;   /* the bound user; 0 = the app acts as itself */
	char *user;        /* "domain\user" of the bound user (read only) */
	enum lk_strategy strategy;
	char *redirect_uris;             /* space-separated */
	char *post_logout_redirect_uris; /* space-separated */
	int lifetime;      /* minutes, or LK_LIFETIME_DEFAULT / LK_LIFETIME_NEVER */
	enum lk_lifecycle lifecycle;
	/* Client certificate (grant client_certificate); der_len 0 = none. */
	unsigned char *cert_der;
	size_t cert_der_len;
	char *cert_subject;
	char *cert_key_type; /* "RSA-2048", "RSA-4096", "EC-P256" */
	char *cert_kid;      /* RFC 7638 thumbprint of its public key */
	int64_t cert_not_before;
	int64_t cert_not_after;
	enum lk_client_type client_type;
	enum lk_token_format token_format;
	char *audience;      /* "" = [tokens] audience */
	char *id_token_alg;  /* "RS256", "PS256", "ES256" */
	char *userinfo_alg;  /* signs userinfo answers: "RS256", "PS256", "ES256"; "" = JSON */
	bool first_party;
	bool enabled;
	int64_t created_at;
	int64_t updated_at;
};

void lk_app_release(struct lk_app *a);
void lk_apps_free(struct lk_app *a, size_t n);

/* One client secret of an application. Only the SHA-256 of it is stored. */
struct lk_client_secret {
	int64_t id;
	uint8_t hash[LK_SHA256_LEN];
	int64_t created_at;
	int64_t expires_at; /* 0 = until rotated; else the end of its grace */
};

/* A user, DESIGN §3. Addressed as domain\username. */
struct lk_user {
	int64_t id;          /* stable, never reused: the OIDC subject */
	char *domain;        /* lower case */
	char *username;
	char *display_name;
	char *given_name;
	char *family_name;
	char *email;
	bool email_verified;
	char *phone;
	enum lk_role role;
	bool enabled;
	char *password_hash; /* Argon2id encoded; "" = no password */
	char *external_id;   /* SCIM externalId (the provisioning system's id), "" */
	int64_t created_at;
	int64_t updated_at;
};

/* Frees the members (wiping password_hash). */
void lk_user_release(struct lk_user *u);
void lk_users_free(struct lk_user *u, size_t n);

/* A scope of the catalog. */
struct lk_scope {
	char *name;
	char *description;
	bool certificate; /* granted to client-certificate applications */
	bool builtin;     /* created by the first migration */
	int64_t created_at;
};

/* A group of users (SCIM Groups, and the `groups` claim). */
struct lk_group {
	int64_t id;          /* stable, never reused: the SCIM id */
	char *display_name;  /* unique without regard to case */
	char *external_id;   /* "" when none */
	int64_t *members;    /* user ids, ascending */
	size_t nmembers;
	int64_t created_at;
	int64_t updated_at;
};

void lk_group_release(struct lk_group *g);
void lk_groups_free(struct lk_group *g, size_t n);

void lk_scope_release(struct lk_scope *s);
void lk_scopes_free(struct lk_scope *s, size_t n);

/* One audit log entry: who changed what, when. */
struct lk_audit {
	int64_t id;
	int64_t at;
	char *actor;       /* "cli:root", "admin:local\alice", "dcr:CLIENT_ID" */
	char *action;      /* "app.add", "app.rotate-secret", "user.disable", ... */
	char *object_type; /* "app", "user", "scope", "key" */
	char *object_id;   /* client_id, domain\user, scope name, kid */
	char *detail;      /* human-readable summary; never a secret */
};

void lk_audit_release(struct lk_audit *e);
void lk_audits_free(struct lk_audit *e, size_t n);

#endif
