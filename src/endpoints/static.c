/*
 * GET /static/NAME: the style sheet and scripts of the pages, from the
 * built-in files or the theme directory.
 */
#include <string.h>

#include "endpoints/endpoints.h"
#include "oauth/params.h"
#include "ui/ui.h"

void lk_ep_static(void *ctx, struct lk_request *req, struct lk_response *res)
{
	const char *name = req->path + strlen(LK_PATH_STATIC);
	const unsigned char *data;
	const char *type;
	size_t len;

	(void)ctx;
	if (strchr(name, '/') || lk_ui_static(name, &data, &len, &type) != LK_OK) {
		lk_ep_not_found(ctx, req, res);
		return;
	}
	lk_res_body(res, 200, type, data, len);
	lk_res_header(res, "Cache-Control", "public, max-age=3600");
	lk_res_header(res, "X-Content-Type-Options", "nosniff");
}
