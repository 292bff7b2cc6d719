/*
 * The state every endpoint reads while the server runs: the configuration,
 * the master key, the current keyring snapshot, cached documents, and one
 * database connection per thread. Owned by the serve command; handlers get it
 * as their ctx pointer.
 */
#ifndef LK_ENDPOINTS_CONTEXT_H
#define LK_ENDPOINTS_CONTEXT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "core/ratelimit.h"
#include "jose/keyring.h"
#include "oauth/clients.h"
#include "oauth/upstream.h"
#include "store/audit_queue.h"
#include "store/store.h"
#include "store/token_writer.h"

struct lk_ctx {
	const struct lk_config *cfg; /* borrowed; outlives the context */
	struct lk_master_key mk;
	pthread_mutex_t lock;	    /* guards keyring and clients */
	struct lk_keyring *keyring; /* current snapshot; one reference */
	struct lk_clients *clients; /* current snapshot; one reference */
	char *discovery;	    /* the metadata document; guarded by lock */
	pthread_key_t store_key;    /* this thread's struct lk_store * */
	/* [limits] (endpoints/limits.c); a limiter of rate 0 lets everything by. */
	struct lk_ratelimit *limit_token_addr;
	struct lk_ratelimit *limit_token_client;
	struct lk_ratelimit *limit_authorize;
	struct lk_ratelimit *limit_login;
	/*
	 * Audit events of the token endpoint, written by the refresher thread
	 * (lk_ctx_flush_audit); NULL with [audit] token_events = none.
	 */
	struct lk_audit_queue *audit;
	/* [upstream.NAME]: discovery and key caches (oauth/upstream.h); thread-safe. */
	struct lk_upstreams *upstreams;
	/* The group commit of the token endpoint's opaque tokens; its own thread. */
	struct lk_token_writer *token_writer;
};

/*
 * Prepares a context: copies the master key, builds the discovery document,
 * makes the rate limiters of [limits]. The keyring is set later with
 * lk_ctx_set_keyring. Free with lk_ctx_release.
 */
enum lk_err lk_ctx_init(struct lk_ctx *ctx, const struct lk_config *cfg,
			const struct lk_master_key *mk);

/* Frees what the context holds, zeroing the master key. */
void lk_ctx_release(struct lk_ctx *ctx);

/*
 * This thread's database connection, opened on first use and closed when the
 * thread exits. NULL (logged) when the database cannot be opened.
 */
struct lk_store *lk_ctx_store(struct lk_ctx *ctx);

/* The current keyring with a reference the caller must drop (unref). */
struct lk_keyring *lk_ctx_keyring(struct lk_ctx *ctx);

/* Swaps in a new keyring, taking over the caller's reference. */
void lk_ctx_set_keyring(struct lk_ctx *ctx, struct lk_keyring *kr);

/* The current applications with a reference the caller must drop (unref). */
struct lk_clients *lk_ctx_clients(struct lk_ctx *ctx);

/* Swaps in a new application snapshot, taking over the caller's reference. */
void lk_ctx_set_clients(struct lk_ctx *ctx, struct lk_clients *c);

/*
 * Rebuilds the application snapshot from s at once, and the keyring too
 * when keys is true, so that a change made through this server (the admin
 * API) is in force for its very next request rather than after the
 * refresher's next look at the change counter. Logged on error; the old
 * snapshots stay then.
 */
void lk_ctx_reload_now(struct lk_ctx *ctx, struct lk_store *s, bool keys);

/*
 * Writes the queued audit events to s (the refresher thread calls it every
 * second, and serve once more after the server stopped). Logged on error.
 */
void lk_ctx_flush_audit(struct lk_ctx *ctx, struct lk_store *s);

/*
 * Rebuilds the discovery document with the scope catalog read from s
 * (scopes_supported, DESIGN §6) and swaps it in under the lock. Called at
 * start and whenever the change counter moves. On error the old document
 * stays.
 */
enum lk_err lk_ctx_reload_discovery(struct lk_ctx *ctx, struct lk_store *s);

#endif
