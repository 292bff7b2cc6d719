/*
 * The in-memory snapshot of every application, with what authenticating it
 * needs (secret hashes, the certificate's public key) and the state of its
 * bound user. The token endpoint reads only this snapshot, so a client
 * credentials grant with a JWT access token touches no disk (DESIGN §7). The
 * server builds a new snapshot when the change counter moves (CLI, admin API
 * or another instance), within a second or two, and swaps it in; readers hold
 * a reference.
 */
#ifndef LK_OAUTH_CLIENTS_H
#define LK_OAUTH_CLIENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/secure.h"
#include "store/records.h"
#include "store/store.h"

struct lk_client_secret_hash {
	uint8_t hash[LK_SHA256_LEN];
	int64_t expires_at; /* 0 = no end; else valid while now < expires_at */
};

/* One application as the protocol code sees it. Immutable. */
struct lk_client {
	struct lk_app app;
	struct lk_client_secret_hash *secrets;
	size_t nsecrets;
	char *cert_jwk;      /* public JWK JSON of the certificate, NULL if none */
	char *cert_x5t_s256; /* base64url SHA-256 of the certificate, NULL if none */
	char subject[32];    /* the token subject: the bound user's id, else client_id */
	bool user_ok;        /* no bound user, or the bound user is enabled */
};

struct lk_clients;

/*
 * Reads every application, its secrets (those not yet expired at now) and
 * the state of bound users into a new snapshot with one reference.
 */
enum lk_err lk_clients_load(struct lk_store *s, int64_t now, struct lk_clients **out);

/* The application with this client_id (exact match), or NULL. */
const struct lk_client *lk_clients_find(const struct lk_clients *c, const char *client_id);

/* Number of applications in the snapshot. */
size_t lk_clients_count(const struct lk_clients *c);

struct lk_clients *lk_clients_ref(struct lk_clients *c);
void lk_clients_unref(struct lk_clients *c);

/*
 * Whether secret is a current secret of the client at time now: SHA-256 of
 * the presented value compared in constant time with each stored hash.
 */
bool lk_client_secret_ok(const struct lk_client *c, const char *secret, int64_t now);

/* Whether the application's grant type allows a grant_type value. */
bool lk_client_allows_grant(const struct lk_client *c, const char *grant_type);

#endif
