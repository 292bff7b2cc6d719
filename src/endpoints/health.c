#include "endpoints/context.h"
#include "endpoints/endpoints.h"

/* GET /healthz: alive, and the database answers from this thread. */
void lk_ep_healthz(void *ctx, struct lk_request *req, struct lk_response *res)
{
	struct lk_store *s = lk_ctx_store(ctx);
	struct lk_keyring *kr;

	if (!s || lk_store_ping(s) != LK_OK) {
		lk_res_json(res, 503, "{\"status\":\"unavailable\",\"database\":\"error\"}");
		goto out;
	}
	kr = lk_ctx_keyring(ctx);
	if (!kr) {
		lk_res_json(res, 503, "{\"status\":\"unavailable\",\"keys\":\"missing\"}");
		goto out;
	}
	lk_keyring_unref(kr);
	lk_res_json(res, 200, "{\"status\":\"ok\",\"database\":\"ok\",\"keys\":\"ok\"}");
out:
	lk_res_header(res, "Cache-Control", "no-store");
}

/* Any path no route knows: a JSON 404, never an HTML page. */
void lk_ep_not_found(void *ctx, struct lk_request *req, struct lk_response *res)
{
	lk_res_json_error(res, 404, "not_found", "no such endpoint");
}
