/* Users: add, enable/disable, remove, passwords, the first administrator. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/password.h"
#include "oauth/registry_int.h"

#define USERNAME_MAX 64
#define DOMAIN_MAX 64
#define NAME_TEXT_MAX 200
#define EMAIL_MAX 254
#define PHONE_MAX 32

void lk_user_input_init(struct lk_user_input *in)
{
	memset(in, 0, sizeof(*in));
	in->email_verified = -1;
	in->enabled = -1;
}

static bool domain_char(char c)
{
	return islower((unsigned char)c) || isdigit((unsigned char)c) || c == '.' || c == '_' ||
	       c == '-';
}

static bool username_char(char c)
{
	return isalnum((unsigned char)c) || c == '.' || c == '_' || c == '-' || c == '@' ||
	       c == '+';
}

enum lk_err lk_user_name_parse(const char *s, const char *default_domain, char *domain, size_t dlen,
			       char *username, size_t ulen)
{
	const char *bs = strchr(s, '\\');
	const char *d = bs ? s : default_domain;
	size_t dn = bs ? (size_t)(bs - s) : strlen(default_domain);
	const char *u = bs ? bs + 1 : s;
	size_t un = strlen(u);

	if (dn == 0 || dn > DOMAIN_MAX || dn >= dlen || un == 0 || un > USERNAME_MAX || un >= ulen)
		return LK_EINVAL;
	for (size_t i = 0; i < dn; i++) {
		char c = (char)tolower((unsigned char)d[i]);

		if (!domain_char(c))
			return LK_EINVAL;
		domain[i] = c;
	}
	for (size_t i = 0; i < un; i++)
		if (!username_char(u[i]))
			return LK_EINVAL;
	domain[dn] = '\0';
	memcpy(username, u, un + 1);
	return LK_OK;
}

static void argon2_params(const struct lk_registry *r, struct lk_argon2_params *p)
{
	lk_argon2_defaults(p);
	p->memory_kib = (uint32_t)r->cfg->password_memory_kib;
	p->iterations = (uint32_t)r->cfg->password_iterations;
	p->parallelism = (uint32_t)r->cfg->password_parallelism;
}

static bool valid_email(const char *e)
{
	const char *at = strchr(e, '@');

	if (!at || at == e || !at[1] || strchr(at + 1, '@') || strlen(e) > EMAIL_MAX)
		return false;
	for (; *e; e++)
		if ((unsigned char)*e <= 0x20 || *e == 0x7f || *e == '<' || *e == '>' || *e == '\\')
			return false;
	return strchr(at + 1, '.') != NULL;
}

static bool valid_phone(const char *p)
{
	if (strlen(p) > PHONE_MAX)
		return false;
	for (; *p; p++)
		if (!isdigit((unsigned char)*p) && !strchr("+ ()-.", *p))
			return false;
	return true;
}

/* Checks and applies the profile options given in `in`. */
static enum lk_err apply_profile(struct lk_registry *r, const struct lk_user_input *in,
				 struct lk_user *u)
{
	const struct {
		const char *v, *flag, *member;
		char **dst;
	} texts[] = {
		{in->display_name, "--name", "display_name", &u->display_name},
		{in->given_name, "--given-name", "given_name", &u->given_name},
		{in->family_name, "--family-name", "family_name", &u->family_name},
	};
	enum lk_err err;

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		const char *f = lk_reg_field(r, texts[i].flag, texts[i].member);

		if (!texts[i].v)
			continue;
		if (strlen(texts[i].v) > NAME_TEXT_MAX || lk_reg_has_control(texts[i].v, false))
			return lk_reg_invalid(r, "%s: at most %d characters, no control characters",
					      f, NAME_TEXT_MAX);
		if ((err = lk_reg_set_str(texts[i].dst, texts[i].v)))
			return err;
	}
	if (in->email) {
		if (*in->email && !valid_email(in->email))
			return lk_reg_invalid(r, "%s: '%s' is not an email address",
					      lk_reg_field(r, "--email", "email"), in->email);
		if ((err = lk_reg_set_str(&u->email, in->email)))
			return err;
	}
	if (in->email_verified >= 0)
		u->email_verified = in->email_verified != 0;
	if (in->phone) {
		if (!valid_phone(in->phone))
			return lk_reg_invalid(r, "%s: '%s' is not a phone number",
					      lk_reg_field(r, "--phone", "phone_number"),
					      in->phone);
		if ((err = lk_reg_set_str(&u->phone, in->phone)))
			return err;
	}
	if (in->external_id) {
		if (strlen(in->external_id) > NAME_TEXT_MAX ||
		    lk_reg_has_control(in->external_id, false))
			return lk_reg_invalid(r, "%s: at most %d characters, no control characters",
					      lk_reg_field(r, "--external-id", "externalId"),
					      NAME_TEXT_MAX);
		if ((err = lk_reg_set_str(&u->external_id, in->external_id)))
			return err;
	}
	if (in->enabled >= 0)
		u->enabled = in->enabled != 0;
	if (in->role && lk_role_parse(in->role, &u->role) != LK_OK)
		return lk_reg_invalid(r, "%s: '%s' is not one of admin, user",
				      lk_reg_field(r, "--role", "role"), in->role);
	if (u->email_verified && !u->email[0])
		return lk_reg_invalid(r, "%s: there is no email to verify",
				      lk_reg_field(r, "--email-verified", "email_verified"));
	return LK_OK;
}

/* Hashes a given password, or generates one (shown once) when none is given. */
static enum lk_err make_password(struct lk_registry *r, const char *password, char *generated,
				 char **hash)
{
	struct lk_argon2_params p;
	enum lk_err err;

	if (!password) {
		err = lk_password_generate(generated, LK_PASSWORD_GENERATED_LEN);
		if (err)
			return err;
		password = generated;
	} else if (!*password) {
		return lk_reg_invalid(r, "password: must not be empty");
	} else if (strlen(password) > LK_PASSWORD_MAX) {
		return lk_reg_invalid(r, "password: longer than %d characters", LK_PASSWORD_MAX);
	} else if (strlen(password) < (size_t)r->cfg->min_password_length) {
		lk_reg_warn(r, "the password is shorter than %d characters",
			    r->cfg->min_password_length);
	}
	argon2_params(r, &p);
	err = lk_password_hash(password, &p, hash);
	if (err)
		return lk_reg_fail(r, err, "cannot hash the password: %s", lk_err_str(err));
	return LK_OK;
}

/*
 * Hashes the password (make_password), then begins the change's
 * transaction. Argon2id takes tens of milliseconds, and on SQLite a
 * transaction holds the database's write lock from its start, so the hash
 * comes first; a warning it gives survives the begin. On error nothing is
 * left to free and generated is wiped.
 */
static enum lk_err hash_then_begin(struct lk_registry *r, const char *password, char *generated,
				   char **hash)
{
	char warn[LK_REGISTRY_MSG];
	enum lk_err err;

	r->err[0] = r->warn[0] = '\0';
	err = make_password(r, password, generated, hash);
	if (err)
		return err;
	memcpy(warn, r->warn, sizeof(warn));
	err = lk_reg_begin(r);
	if (err) {
		lk_free_secret(*hash);
		*hash = NULL;
		if (generated)
			lk_wipe(generated, LK_PASSWORD_GENERATED_LEN + 1);
		return err;
	}
	memcpy(r->warn, warn, sizeof(warn));
	return LK_OK;
}

static enum lk_err user_taken(struct lk_registry *r, const struct lk_user *u)
{
	struct lk_user other = {0};

	if (lk_store_user_find(r->store, u->domain, u->username, &other) == LK_OK) {
		lk_user_release(&other);
		return lk_reg_fail(r, LK_EEXIST, "user '%s\\%s' already exists", u->domain,
				   u->username);
	}
	return lk_reg_fail(r, LK_EEXIST, "%s: '%s' belongs to another user",
			   lk_reg_field(r, "--email", "email"), u->email);
}

/*
 * Inserts the user of in with the password hash made beforehand (taken over:
 * u owns it from here).
 */
static enum lk_err add_user(struct lk_registry *r, const struct lk_user_input *in, char *hash,
			    struct lk_user *u)
{
	char domain[DOMAIN_MAX + 1], name[USERNAME_MAX + 1];
	enum lk_err err;

	memset(u, 0, sizeof(*u));
	u->password_hash = hash;
	if (!in->user || lk_user_name_parse(in->user, r->cfg->default_domain, domain,
					    sizeof(domain), name, sizeof(name)))
		return lk_reg_invalid(r,
				      "%s: '%s' is not a user name (domain\\user or user: "
				      "letters, digits and . _ - @ +)",
				      lk_reg_field(r, "USER", "user"), in->user ? in->user : "");
	if ((err = lk_reg_set_str(&u->domain, domain)) ||
	    (err = lk_reg_set_str(&u->username, name)))
		return err;
	const char **fields[] = {(const char **)&u->display_name, (const char **)&u->given_name,
				 (const char **)&u->family_name,  (const char **)&u->email,
				 (const char **)&u->phone,	  (const char **)&u->external_id};
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if ((err = lk_reg_set_str((char **)fields[i], "")))
			return err;
	u->role = LK_ROLE_USER;
	u->enabled = true;
	u->created_at = u->updated_at = r->now;
	err = apply_profile(r, in, u);
	if (err)
		return err;
	err = lk_store_user_insert(r->store, u, &u->id);
	if (err == LK_EEXIST)
		return user_taken(r, u);
	return err;
}

enum lk_err lk_registry_user_add(struct lk_registry *r, const struct lk_user_input *in,
				 const char *password, struct lk_user *out, char *generated)
{
	struct lk_user u = {0};
	char id[260] = "";
	char *hash = NULL;
	enum lk_err err;

	if (generated)
		generated[0] = '\0';
	err = hash_then_begin(r, password, generated, &hash);
	if (err)
		return err;
	err = add_user(r, in, hash, &u);
	if (!err && u.role == LK_ROLE_ADMIN)
		lk_reg_warn(r, "'%s\\%s' is an administrator", u.domain, u.username);
	if (u.domain && u.username)
		snprintf(id, sizeof(id), "%s\\%s", u.domain, u.username);
	err = lk_reg_end(r, err, "user.add", "user", id, lk_role_name(u.role));
	if (err) {
		if (generated)
			lk_wipe(generated, LK_PASSWORD_GENERATED_LEN + 1);
		lk_user_release(&u);
		return err;
	}
	*out = u;
	return LK_OK;
}

static enum lk_err find_user(struct lk_registry *r, const char *user, struct lk_user *out)
{
	char domain[DOMAIN_MAX + 1], name[USERNAME_MAX + 1];
	enum lk_err err;

	if (lk_user_name_parse(user, r->cfg->default_domain, domain, sizeof(domain), name,
			       sizeof(name)))
		return lk_reg_fail(r, LK_ENOTFOUND, "no user '%s'", user);
	err = lk_store_user_find(r->store, domain, name, out);
	if (err == LK_ENOTFOUND)
		return lk_reg_fail(r, err, "no user '%s\\%s'", domain, name);
	if (err)
		return lk_reg_store_error(r, err, "read the user");
	return LK_OK;
}

enum lk_err lk_registry_user_get(struct lk_registry *r, const char *user, struct lk_user *out)
{
	r->err[0] = '\0';
	return find_user(r, user, out);
}

enum lk_err lk_registry_user_list(struct lk_registry *r, struct lk_user **out, size_t *n)
{
	enum lk_err err;

	r->err[0] = '\0';
	err = lk_store_user_list(r->store, out, n);
	return err ? lk_reg_store_error(r, err, "list the users") : LK_OK;
}

static void user_id_text(const struct lk_user *u, char *out, size_t n)
{
	snprintf(out, n, "%s\\%s", u->domain ? u->domain : "", u->username ? u->username : "");
}

/*
 * DESIGN §5: a disabled user's sessions end and their refresh tokens and
 * delegated access tokens are revoked, in the same transaction.
 */
static enum lk_err end_grants(struct lk_registry *r, const struct lk_user *u)
{
	enum lk_err err = lk_store_user_revoke_grants(r->store, u->id, r->now);

	return err ? lk_reg_store_error(r, err, "revoke the user's sessions and tokens") : LK_OK;
}

enum lk_err lk_registry_user_set_enabled(struct lk_registry *r, const char *user, bool enabled,
					 struct lk_user *out)
{
	struct lk_user u = {0};
	char id[260] = "";
	enum lk_err err;

	err = lk_reg_begin(r);
	if (err)
		return err;
	err = find_user(r, user, &u);
	if (!err) {
		u.enabled = enabled;
		u.updated_at = r->now;
		err = lk_store_user_update(r->store, &u);
		if (!err && !enabled)
			err = end_grants(r, &u);
		user_id_text(&u, id, sizeof(id));
	}
	err = lk_reg_end(r, err, enabled ? "user.enable" : "user.disable", "user", id, "");
	if (err || !out)
		lk_user_release(&u);
	else
		*out = u;
	return err;
}

enum lk_err lk_registry_user_update(struct lk_registry *r, const char *user,
				    const struct lk_user_input *in, struct lk_user *out)
{
	struct lk_user u = {0};
	char id[260] = "";
	enum lk_err err;

	err = lk_reg_begin(r);
	if (err)
		return err;
	err = find_user(r, user, &u);
	if (!err) {
		user_id_text(&u, id, sizeof(id));
		err = apply_profile(r, in, &u);
	}
	if (!err) {
		u.updated_at = r->now;
		err = lk_store_user_update(r->store, &u);
		if (err == LK_EEXIST)
			err = lk_reg_fail(r, err, "%s: '%s' belongs to another user",
					  lk_reg_field(r, "--email", "email"), u.email);
		if (!err && !u.enabled)
			err = end_grants(r, &u);
	}
	err = lk_reg_end(r, err, "user.update", "user", id, "");
	if (err || !out)
		lk_user_release(&u);
	else
		*out = u;
	return err;
}

/* Names the applications bound to a user, for the refusal to remove it. */
static enum lk_err bound_apps(struct lk_registry *r, const struct lk_user *u)
{
	struct lk_app *apps = NULL;
	size_t n = 0;
	char names[300] = "";
	size_t used = 0;
	int count = 0;
	enum lk_err err = lk_store_app_list(r->store, &apps, &n);

	if (err)
		return lk_reg_store_error(r, err, "list the applications");
	for (size_t i = 0; i < n; i++) {
		if (apps[i].user_id != u->id)
			continue;
		if (used < sizeof(names))
			used += (size_t)snprintf(names + used, sizeof(names) - used, "%s'%s'",
						 count ? ", " : "", apps[i].name);
		count++;
	}
	lk_apps_free(apps, n);
	if (!count)
		return LK_OK;
	return lk_reg_fail(r, LK_ESTATE, "user '%s\\%s' is bound to application(s) %s", u->domain,
			   u->username, names);
}

enum lk_err lk_registry_user_remove(struct lk_registry *r, const char *user)
{
	struct lk_user u = {0};
	char id[260] = "";
	enum lk_err err;

	err = lk_reg_begin(r);
	if (err)
		return err;
	err = find_user(r, user, &u);
	if (!err) {
		user_id_text(&u, id, sizeof(id));
		err = bound_apps(r, &u);
	}
	if (!err)
		err = lk_store_user_delete(r->store, u.id);
	err = lk_reg_end(r, err, "user.remove", "user", id, "");
	lk_user_release(&u);
	return err;
}

enum lk_err lk_registry_user_passwd(struct lk_registry *r, const char *user, const char *password,
				    char *generated)
{
	struct lk_user u = {0};
	char *hash = NULL;
	char id[260] = "";
	enum lk_err err;

	if (generated)
		generated[0] = '\0';
	err = hash_then_begin(r, password, generated, &hash);
	if (err)
		return err;
	err = find_user(r, user, &u);
	if (!err) {
		user_id_text(&u, id, sizeof(id));
		err = lk_store_user_set_password(r->store, u.id, hash, r->now);
	}
	lk_free_secret(hash);
	err = lk_reg_end(r, err, "user.passwd", "user", id, "");
	if (err && generated)
		lk_wipe(generated, LK_PASSWORD_GENERATED_LEN + 1);
	lk_user_release(&u);
	return err;
}

enum lk_err lk_registry_admin_bootstrap(struct lk_registry *r, char *generated, bool *created)
{
	struct lk_user_input in;
	struct lk_user u = {0};
	int64_t admins = 0;
	enum lk_err err;

	*created = false;
	err = lk_store_user_count_admins(r->store, &admins);
	if (err)
		return lk_reg_store_error(r, err, "count the administrators");
	if (admins > 0)
		return LK_OK;
	lk_user_input_init(&in);
	in.user = "admin";
	in.role = "admin";
	in.display_name = "Administrator";
	err = lk_registry_user_add(r, &in, NULL, &u, generated);
	/* The warning about creating an administrator is expected here. */
	r->warn[0] = '\0';
	if (err == LK_EEXIST) {
		/* Another instance starting at the same moment created it. */
		r->err[0] = '\0';
		return LK_OK;
	}
	if (err)
		return err;
	lk_user_release(&u);
	*created = true;
	return LK_OK;
}

/* ---- Users from upstream providers ---- */

/* Room for a numeric suffix ("-99") inside USERNAME_MAX. */
#define EXTERNAL_BASE_MAX (USERNAME_MAX - 3)
/* How many suffixes are tried before giving up on a name. */
#define EXTERNAL_SUFFIXES 99

/*
 * Reduces s (up to its first '@' when at_stop) to the characters a
 * username may hold, at most EXTERNAL_BASE_MAX of them.
 */
static void external_base(const char *s, bool at_stop, char *out)
{
	size_t n = 0;

	for (; s && *s && n < EXTERNAL_BASE_MAX; s++) {
		if (at_stop && *s == '@')
			break;
		if (username_char(*s))
			out[n++] = *s;
	}
	out[n] = '\0';
}

/* The first usable base name of DESIGN §3's order, else "user". */
static void external_name(const struct lk_external_user *in, char *out)
{
	external_base(in->username_hint, false, out);
	if (!out[0])
		external_base(in->email, true, out);
	if (!out[0])
		external_base(in->subject, false, out);
	if (!out[0])
		snprintf(out, EXTERNAL_BASE_MAX + 1, "user");
}

/* A claim kept when it fits NAME_TEXT_MAX without control characters, else NULL. */
static const char *external_text(const char *v)
{
	return v && *v && strlen(v) <= NAME_TEXT_MAX && !lk_reg_has_control(v, false) ? v : NULL;
}

/* Picks a free domain\username for the new user into u. */
static enum lk_err external_pick_name(struct lk_registry *r, const struct lk_external_user *in,
				      struct lk_user *u)
{
	char domain[DOMAIN_MAX + 1], name[USERNAME_MAX + 1], base[EXTERNAL_BASE_MAX + 1];
	char full[DOMAIN_MAX + USERNAME_MAX + 2];
	struct lk_user other = {0};
	enum lk_err err;

	external_name(in, base);
	for (int i = 1; i <= EXTERNAL_SUFFIXES; i++) {
		if (i == 1)
			snprintf(full, sizeof(full), "%s\\%s", in->upstream, base);
		else
			snprintf(full, sizeof(full), "%s\\%s-%d", in->upstream, base, i);
		if (lk_user_name_parse(full, r->cfg->default_domain, domain, sizeof(domain), name,
				       sizeof(name)))
			return lk_reg_invalid(r, "upstream %s: no user name can be made",
					      in->upstream);
		err = lk_store_user_find(r->store, domain, name, &other);
		lk_user_release(&other);
		if (err == LK_ENOTFOUND)
			return (err = lk_reg_set_str(&u->domain, domain))
				       ? err
				       : lk_reg_set_str(&u->username, name);
		if (err)
			return lk_reg_store_error(r, err, "read the users");
	}
	return lk_reg_fail(r, LK_EEXIST, "upstream %s: every user name like '%s' is taken",
			   in->upstream, base);
}

/* The new user's record: the profile from the claims, no password. */
static enum lk_err external_user(struct lk_registry *r, const struct lk_external_user *in,
				 struct lk_user *u)
{
	bool email_ok = in->email && *in->email && valid_email(in->email);
	const struct {
		char **dst;
		const char *v;
	} fields[] = {
		{&u->display_name, external_text(in->display_name)},
		{&u->given_name, external_text(in->given_name)},
		{&u->family_name, external_text(in->family_name)},
		{&u->email, email_ok ? in->email : ""},
		{&u->phone, ""},
		{&u->external_id, ""},
		{&u->password_hash, ""},
	};
	enum lk_err err;

	memset(u, 0, sizeof(*u));
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if ((err = lk_reg_set_str(fields[i].dst, fields[i].v ? fields[i].v : "")))
			return err;
	u->email_verified = email_ok && in->email_verified;
	u->role = LK_ROLE_USER;
	u->enabled = true;
	u->created_at = u->updated_at = r->now;
	return external_pick_name(r, in, u);
}

/*
 * The link row of an identity to user_id and, with audit, the audit entry
 * upstream.link (without it, the caller's lk_reg_end writes that entry).
 */
static enum lk_err external_link(struct lk_registry *r, const struct lk_external_user *in,
				 int64_t user_id, const char *user_text, bool audit)
{
	struct lk_upstream_link_record l = {
		.issuer = (char *)in->issuer,
		.subject = (char *)in->subject,
		.user_id = user_id,
		.upstream = (char *)in->upstream,
		.created_at = r->now,
	};
	struct lk_audit e = {
		.at = r->now,
		.actor = (char *)(r->actor ? r->actor : "unknown"),
		.action = (char *)"upstream.link",
		.object_type = (char *)"user",
		.object_id = (char *)user_text,
		.detail = (char *)in->upstream,
	};
	enum lk_err err = lk_store_upstream_link_insert(r->store, &l);

	if (err == LK_EEXIST)
		return lk_reg_fail(r, err, "upstream %s: the identity is linked already",
				   in->upstream);
	if (err == LK_ENOTFOUND)
		return lk_reg_fail(r, err, "no user with id %lld", (long long)user_id);
	if (!err && audit)
		err = lk_store_audit_add(r->store, &e);
	return err ? lk_reg_store_error(r, err, "link the identity") : LK_OK;
}

static bool external_ok(const struct lk_external_user *in)
{
	return in && in->upstream && *in->upstream && in->issuer && *in->issuer && in->subject &&
	       *in->subject;
}

enum lk_err lk_registry_user_add_external(struct lk_registry *r, const struct lk_external_user *in,
					  struct lk_user *out)
{
	struct lk_user u = {0}, other = {0};
	char id[260] = "";
	enum lk_err err;

	if (!external_ok(in) || !out)
		return lk_reg_invalid(r, "upstream: an identity needs an upstream, issuer and sub");
	err = lk_reg_begin(r);
	if (err)
		return err;
	err = external_user(r, in, &u);
	if (!err && u.email[0] && lk_store_user_find_email(r->store, u.email, &other) == LK_OK)
		err = lk_reg_fail(r, LK_ESTATE, "upstream %s: the email belongs to another user",
				  in->upstream);
	lk_user_release(&other);
	if (!err) {
		err = lk_store_user_insert(r->store, &u, &u.id);
		if (err == LK_EEXIST)
			err = user_taken(r, &u);
		else if (err)
			err = lk_reg_store_error(r, err, "add the user");
	}
	user_id_text(&u, id, sizeof(id));
	if (!err)
		err = external_link(r, in, u.id, id, true);
	err = lk_reg_end(r, err, "user.add", "user", id, in->upstream);
	if (err) {
		lk_user_release(&u);
		return err;
	}
	*out = u;
	return LK_OK;
}

enum lk_err lk_registry_link_external(struct lk_registry *r, const struct lk_external_user *in,
				      int64_t user_id)
{
	struct lk_user u = {0};
	char id[260] = "";
	enum lk_err err;

	if (!external_ok(in) || user_id <= 0)
		return lk_reg_invalid(r, "upstream: an identity needs an upstream, issuer and sub");
	err = lk_reg_begin(r);
	if (err)
		return err;
	err = lk_store_user_get(r->store, user_id, &u);
	if (err == LK_ENOTFOUND)
		err = lk_reg_fail(r, err, "no user with id %lld", (long long)user_id);
	else if (err)
		err = lk_reg_store_error(r, err, "read the user");
	user_id_text(&u, id, sizeof(id));
	if (!err)
		err = external_link(r, in, user_id, id, false);
	err = lk_reg_end(r, err, "upstream.link", "user", id, in->upstream);
	lk_user_release(&u);
	return err;
}
