/*
 * The login page's "Sign in with NAME" links, one per [upstream.NAME].
 */
#include "endpoints/upstream.h"

#include "oauth/params.h"
#include "ui/ui.h"

/* A link's path: the prefix, a name of at most 32 characters and a request id. */
#define LINK_MAX 256

enum lk_err lk_ep_upstream_links(struct lk_ctx *c, const char *request_id, struct lk_buf *out)
{
	struct lk_buf url;
	enum lk_err err = LK_OK;

	lk_buf_init(&url, LINK_MAX);
	for (size_t i = 0; i < c->cfg->nupstreams && !err; i++) {
		const struct lk_upstream_config *u = &c->cfg->upstreams[i];

		lk_buf_reset(&url);
		err = lk_buf_addf(&url, "%s%s?%s=", LK_PATH_UPSTREAM, u->name, LK_F_REQUEST);
		if (!err)
			err = lk_buf_addurl(&url, request_id);
		if (!err) {
			const struct lk_ui_var v[] = {{"url", lk_buf_str(&url)},
						      {"display_name", u->display_name},
						      {"name", u->name}};

			err = lk_ui_render("upstream_link.html", v, 3, out);
		}
	}
	lk_buf_release(&url);
	return err;
}
