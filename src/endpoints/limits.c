/*
 * The [limits] checks (limits.h). A check costs one keyed hash and a short
 * critical section (core/ratelimit.c); with a rate of 0 it returns at once.
 */
#include "endpoints/limits.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "endpoints/endpoints.h"
#include "endpoints/signin.h"
#include "oauth/errors.h"
#include "oauth/params.h"

/*
 * Slots per limiter: a key needs one only while its bucket is not full,
 * that is for at most [limits] burst seconds after its last request. 65536
 * slots are at most 1 MiB, reserved only for the limits that are on.
 */
#define LIMIT_SLOTS 65536

/* The most bytes of an address key: a family byte and 8 bytes of IPv6. */
#define ADDR_KEY_MAX 16

/* A limiter of rate per second with bursts of cfg->limit_burst seconds' worth. */
static enum lk_err make(const struct lk_config *cfg, int rate, struct lk_ratelimit **out)
{
	uint64_t burst = (uint64_t)(rate > 0 ? rate : 0) * (uint64_t)cfg->limit_burst;

	if (burst > UINT32_MAX)
		burst = UINT32_MAX;
	return lk_ratelimit_new(rate > 0 ? (uint32_t)rate : 0, burst > 0 ? (uint32_t)burst : 1,
				LIMIT_SLOTS, out);
}

enum lk_err lk_ep_limits_init(struct lk_ctx *ctx)
{
	const struct lk_config *cfg = ctx->cfg;
	enum lk_err err;

	err = make(cfg, cfg->limit_token_per_address, &ctx->limit_token_addr);
	if (!err)
		err = make(cfg, cfg->limit_token_per_client, &ctx->limit_token_client);
	if (!err)
		err = make(cfg, cfg->limit_authorize_per_address, &ctx->limit_authorize);
	if (!err)
		err = make(cfg, cfg->limit_login_per_address, &ctx->limit_login);
	return err;
}

void lk_ep_limits_release(struct lk_ctx *ctx)
{
	lk_ratelimit_free(ctx->limit_token_addr);
	lk_ratelimit_free(ctx->limit_token_client);
	lk_ratelimit_free(ctx->limit_authorize);
	lk_ratelimit_free(ctx->limit_login);
	ctx->limit_token_addr = NULL;
	ctx->limit_token_client = NULL;
	ctx->limit_authorize = NULL;
	ctx->limit_login = NULL;
}

/*
 * The key of a client address: an IPv4 address (also one written as
 * IPv4-mapped IPv6), or the /64 prefix of an IPv6 address, since one host
 * usually holds a whole /64 and could otherwise step through its addresses.
 * Anything else (a peer the server could not name) is keyed by its text.
 * Returns the key's length in out, or 0 when the text was used as it is.
 */
static size_t addr_key(const char *addr, unsigned char out[ADDR_KEY_MAX])
{
	struct in_addr a4;
	struct in6_addr a6;

	if (inet_pton(AF_INET, addr, &a4) == 1) {
		out[0] = 4;
		memcpy(out + 1, &a4, 4);
		return 5;
	}
	if (inet_pton(AF_INET6, addr, &a6) != 1)
		return 0;
	if (IN6_IS_ADDR_V4MAPPED(&a6)) {
		out[0] = 4;
		memcpy(out + 1, a6.s6_addr + 12, 4);
		return 5;
	}
	out[0] = 6;
	memcpy(out + 1, a6.s6_addr, 8);
	return 9;
}

/* Takes one request of the address of req from rl; *retry as lk_ratelimit_take. */
static bool take_addr(struct lk_ratelimit *rl, const struct lk_request *req, int64_t *retry)
{
	unsigned char key[ADDR_KEY_MAX];
	const char *addr = req->client_addr ? req->client_addr : "";
	size_t n;

	/* Off: not even the address is parsed. */
	if (lk_ratelimit_slots(rl) == 0)
		return true;
	n = addr_key(addr, key);
	if (n == 0)
		return lk_ratelimit_take(rl, addr, strlen(addr), lk_monotonic_ms(), retry);
	return lk_ratelimit_take(rl, key, n, lk_monotonic_ms(), retry);
}

/*
 * RFC 6749 §5.2 defines no error for too many requests. slow_down is the
 * registered code that means exactly that at the token endpoint (RFC 8628
 * §3.5), and 429 with Retry-After (RFC 6585 §4) is what generic HTTP clients
 * and their retry logic understand; the body keeps the §5.2 shape so OAuth
 * libraries can read it.
 */
static void refuse_json(struct lk_response *res, int64_t retry)
{
	struct lk_oauth_error e = {0};

	lk_oauth_fail(&e, LK_OAUTH_SLOW_DOWN, "too many requests; try again in %lld second%s",
		      (long long)retry, retry == 1 ? "" : "s");
	e.retry_after = retry;
	lk_oauth_render_json(res, &e);
}

/* The HTML refusal of the sign-in pages. */
static void refuse_page(struct lk_response *res, int64_t retry)
{
	char msg[128], v[24];

	snprintf(msg, sizeof(msg),
		 "Too many requests from your address. Try again in %lld second%s.",
		 (long long)retry, retry == 1 ? "" : "s");
	lk_ep_error_page(res, 429, "Too many requests", msg);
	snprintf(v, sizeof(v), "%lld", (long long)retry);
	lk_res_header(res, "Retry-After", v);
}

bool lk_ep_limit_token(struct lk_ctx *c, const struct lk_request *req, struct lk_response *res)
{
	int64_t retry = 1;

	if (take_addr(c->limit_token_addr, req, &retry))
		return true;
	refuse_json(res, retry);
	return false;
}

bool lk_ep_limit_token_client(struct lk_ctx *c, const struct lk_request *req,
			      struct lk_response *res)
{
	const char *id, *header, *user = NULL, *password = NULL;
	int64_t retry = 1;

	if (lk_ratelimit_slots(c->limit_token_client) == 0)
		return true;
	/*
	 * The client is not authenticated yet: the name is only counted. A
	 * request that names a client it cannot authenticate as still spends
	 * that client's allowance, which is why the per-address limit is the
	 * defence against attackers and this one a cap on a client's own rate.
	 */
	id = lk_ep_form_get(req, LK_CM_CLIENT_ID);
	header = id ? NULL : lk_req_header(req, LK_HDR_AUTHORIZATION);
	if (header && lk_basic_auth_parse(req->arena, header, &user, &password) == LK_OK)
		id = user;
	if (!id || !*id)
		return true;
	if (lk_ratelimit_take(c->limit_token_client, id, strlen(id), lk_monotonic_ms(), &retry))
		return true;
	refuse_json(res, retry);
	return false;
}

bool lk_ep_limit_authorize(struct lk_ctx *c, const struct lk_request *req, struct lk_response *res)
{
	int64_t retry = 1;

	if (take_addr(c->limit_authorize, req, &retry))
		return true;
	refuse_page(res, retry);
	return false;
}

bool lk_ep_limit_login(struct lk_ctx *c, const struct lk_request *req, struct lk_response *res)
{
	int64_t retry = 1;

	if (take_addr(c->limit_login, req, &retry))
		return true;
	refuse_page(res, retry);
	return false;
}
