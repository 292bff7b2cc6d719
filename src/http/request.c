/*
 * From libmicrohttpd's view of a connection to the plain struct lk_request
 * that endpoints see, and from their struct lk_response back to HTTP.
 */
#include "http/server_int.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/secure.h"
#include "http/internal.h"

#define FORM_TYPE "application/x-www-form-urlencoded"
/* More header lines than this cannot fit in the header limit anyway. */
#define MAX_HEADER_LINES 4096

struct header_walk {
	struct lk_arena *arena;
	struct lk_param *items; /* NULL while counting */
	size_t n;
	size_t cap;
	enum lk_err err;
};

static enum MHD_Result header_cb(void *cls, enum MHD_ValueKind kind, const char *key,
				 size_t key_size, const char *value, size_t value_size)
{
	struct header_walk *w = cls;
	struct lk_param *p;
	char *k, *v;

	if (w->n >= w->cap) {
		w->err = LK_ETOOMANY;
		return MHD_NO;
	}
	if (!w->items) {
		w->n++;
		return MHD_YES;
	}
	k = lk_arena_strndup(w->arena, key, key_size);
	v = lk_arena_strndup(w->arena, value ? value : "", value ? value_size : 0);
	if (!k || !v) {
		w->err = LK_ENOMEM;
		return MHD_NO;
	}
	p = &w->items[w->n++];
	p->name = k;
	p->value = v;
	p->value_len = value ? value_size : 0;
	return MHD_YES;
}

/* Copies every request header, in order, into req->headers. */
static enum lk_err collect_headers(struct http_req *hr)
{
	struct header_walk w = {.arena = hr->arena, .cap = MAX_HEADER_LINES};

	MHD_get_connection_values_n(hr->conn, MHD_HEADER_KIND, header_cb, &w);
	if (w.err || w.n == 0)
		return w.err;
	w.cap = w.n;
	w.items = lk_arena_alloc(hr->arena, w.cap * sizeof(*w.items));
	if (!w.items)
		return LK_ENOMEM;
	w.n = 0;
	MHD_get_connection_values_n(hr->conn, MHD_HEADER_KIND, header_cb, &w);
	if (w.err)
		return w.err;
	hr->req.headers.items = w.items;
	hr->req.headers.n = w.n;
	return LK_OK;
}

/* The value of the last header named name, or NULL. */
static const char *last_header(const struct lk_request *req, const char *name)
{
	const char *v = NULL;
	size_t i;

	for (i = 0; i < req->headers.n; i++)
		if (lk_http_ieq(req->headers.items[i].name, name))
			v = req->headers.items[i].value;
	return v;
}

/* The last comma-separated element of a list header, trimmed, in the arena. */
static char *last_element(struct lk_arena *a, const char *list)
{
	const char *s = strrchr(list, ',');
	const char *e;

	s = s ? s + 1 : list;
	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	return lk_arena_strndup(a, s, (size_t)(e - s));
}

static bool is_ip(const char *s)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* The peer's address as text; IPv4-mapped IPv6 addresses shown as IPv4. */
static const char *peer_address(struct http_req *hr)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;
	char text[INET6_ADDRSTRLEN];
	const char *r = NULL;

	ci = MHD_get_connection_info(hr->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	sa = ci ? ci->client_addr : NULL;
	if (sa && sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
		r = inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text));
	} else if (sa && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
			r = inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], text, sizeof(text));
		else
			r = inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text));
	}
	return lk_arena_strdup(hr->arena, r ? r : "unknown");
}

/*
 * Behind a reverse proxy the peer is the proxy. The proxy appends the address
 * it saw to X-Forwarded-For, so only the last hop can be trusted; earlier
 * ones were written by the client.
 */
static void set_client(struct http_req *hr)
{
	const struct lk_http_options *o = &hr->srv->opt;
	const char *xff, *proto;
	char *hop;

	hr->req.client_addr = peer_address(hr);
	hr->req.tls = hr->srv->tls;
	if (!o->behind_proxy)
		return;
	xff = last_header(&hr->req, "X-Forwarded-For");
	hop = xff ? last_element(hr->arena, xff) : NULL;
	if (hop && is_ip(hop))
		hr->req.client_addr = hop;
	else if (xff)
		lk_debug("ignoring an X-Forwarded-For whose last hop is not an address");
	proto = last_header(&hr->req, "X-Forwarded-Proto");
	if (proto) {
		hop = last_element(hr->arena, proto);
		hr->req.tls = hop && lk_http_ieq(hop, "https");
	}
}

/* Splits the raw request target into the decoded path and the raw query. */
static enum lk_err split_target(struct http_req *hr)
{
	const char *uri = hr->raw_uri, *q = strchr(uri, '?');
	size_t plen = q ? (size_t)(q - uri) : strlen(uri);
	char *path, *query;
	size_t n;
	enum lk_err err;

	/* Only origin-form targets (RFC 9112 §3.2.1) are served. */
	if (plen == 0 || uri[0] != '/')
		return LK_EPARSE;
	err = lk_http_urldecode(hr->arena, uri, plen, false, &path, &n);
	if (err)
		return err;
	query = lk_arena_strdup(hr->arena, q ? q + 1 : "");
	if (!query)
		return LK_ENOMEM;
	hr->req.path = path;
	hr->req.query_string = query;
	return LK_OK;
}

enum lk_err lk_http_request_begin(struct http_req *hr, const char *method)
{
	struct lk_request *req = &hr->req;
	const struct lk_http_options *o = &hr->srv->opt;
	enum lk_err err;

	req->method = lk_arena_strdup(hr->arena, method ? method : "");
	if (!req->method)
		return LK_ENOMEM;
	err = collect_headers(hr);
	if (err)
		return err == LK_ETOOMANY ? LK_ETOOBIG : err;
	set_client(hr);
	if (!req->client_addr)
		return LK_ENOMEM;
	err = split_target(hr);
	if (err)
		return err;
	req->query_err = lk_form_parse(hr->arena, req->query_string, strlen(req->query_string),
				       o->max_params, false, &req->query, &req->query_dup);
	req->form_err = LK_ENOTFOUND;
	req->body = "";
	return LK_OK;
}

/* True for application/x-www-form-urlencoded, with or without parameters. */
static bool is_form(const char *type)
{
	size_t n = strlen(FORM_TYPE);

	if (!type || !lk_http_ieqn(type, FORM_TYPE, n))
		return false;
	type += n;
	while (*type == ' ' || *type == '\t')
		type++;
	return *type == '\0' || *type == ';';
}

void lk_http_request_body(struct http_req *hr)
{
	struct lk_request *req = &hr->req;

	req->body = lk_buf_str(&hr->body);
	req->body_len = hr->body.len;
	if (!is_form(lk_req_header(req, "Content-Type")))
		return;
	req->form_err = lk_form_parse(hr->arena, req->body, req->body_len, hr->srv->opt.max_params,
				      false, &req->form, &req->form_dup);
}

/* A response body handed to libmicrohttpd, zeroed when it lets go of it. */
struct body_hold {
	char *data;
	size_t len;
};

static void body_free(void *cls)
{
	struct body_hold *h = cls;

	lk_wipe(h->data, h->len);
	free(h->data);
	free(h);
}

static struct MHD_Response *make_response(struct lk_response *res)
{
	struct MHD_Response *r;
	struct body_hold *h = calloc(1, sizeof(*h));
	size_t len;
	char *data = lk_buf_detach(&res->body, &len);

	if (!h) {
		lk_wipe(data, len);
		free(data);
		return NULL;
	}
	h->data = data;
	h->len = len;
	r = MHD_create_response_from_buffer_with_free_callback_cls(len, data, body_free, h);
	if (!r)
		body_free(h);
	return r;
}

/* A valid response in place of whatever the handler left. */
static void ensure_status(struct lk_response *res)
{
	if (res->status >= 100 && res->status <= 599)
		return;
	if (res->status != 0)
		lk_warn("handler set the invalid status %d", res->status);
	res->nheaders = 0;
	lk_res_json_error(res, 500, "server_error", "the request could not be completed");
	if (res->status == 0) {
		res->status = 500;
		res->content_type = NULL;
	}
}

static void add_headers(struct http_req *hr, struct MHD_Response *r)
{
	const struct lk_response *res = &hr->res;
	size_t i;

	for (i = 0; i < res->nheaders; i++)
		if (MHD_add_response_header(r, res->headers[i].name, res->headers[i].value) !=
		    MHD_YES)
			lk_warn("header '%s' was not accepted", res->headers[i].name);
	if (res->content_type)
		MHD_add_response_header(r, "Content-Type", res->content_type);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	/* While stopping, let keep-alive clients go instead of sending more. */
	if (atomic_load(&hr->srv->stopping))
		MHD_add_response_header(r, "Connection", "close");
}

/* One line per request; the query string is never logged (it can hold codes). */
static void log_access(struct http_req *hr, const char *status, const char *reason)
{
	static const char *const keys[] = {"method", "path", "status", "ms", "client", "reason"};
	const char *vals[6];
	char ms[24];

	/* At a level above info the line would be dropped: skip the formatting too. */
	if (!lk_log_enabled(LK_LOG_INFO))
		return;
	snprintf(ms, sizeof(ms), "%lld", (long long)(lk_monotonic_ms() - hr->start_ms));
	vals[0] = hr->req.method ? hr->req.method : "-";
	vals[1] = hr->req.path ? hr->req.path : "-";
	vals[2] = status;
	vals[3] = ms;
	vals[4] = hr->req.client_addr ? hr->req.client_addr : "-";
	vals[5] = reason;
	lk_log_set_request_id(hr->id);
	lk_log_kv(LK_LOG_INFO, "request", keys, vals, reason ? 6 : 5);
	lk_log_set_request_id(NULL);
}

enum MHD_Result lk_http_response_queue(struct http_req *hr)
{
	struct MHD_Response *r;
	enum MHD_Result ret = MHD_NO;
	char status[8];

	ensure_status(&hr->res);
	snprintf(status, sizeof(status), "%d", hr->res.status);
	r = make_response(&hr->res);
	if (r) {
		add_headers(hr, r);
		ret = MHD_queue_response(hr->conn, (unsigned int)hr->res.status, r);
		MHD_destroy_response(r);
	}
	if (ret != MHD_YES)
		lk_warn("cannot queue the response; closing the connection");
	log_access(hr, status, ret == MHD_YES ? NULL : "not sent");
	hr->answered = true;
	hr->stage = HTTP_STAGE_DONE;
	lk_http_request_release(hr);
	return ret;
}

void lk_http_request_release(struct http_req *hr)
{
	lk_res_release(&hr->res);
	lk_buf_wipe(&hr->body);
	lk_arena_free(hr->arena);
	hr->arena = NULL;
	hr->raw_uri = NULL;
	memset(&hr->req, 0, sizeof(hr->req));
	memset(&hr->res, 0, sizeof(hr->res));
}

static const char *toe_reason(enum MHD_RequestTerminationCode toe)
{
	switch (toe) {
	case MHD_REQUEST_TERMINATED_COMPLETED_OK:
		return "completed";
	case MHD_REQUEST_TERMINATED_TIMEOUT_REACHED:
		return "timeout";
	case MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN:
		return "shutdown";
	case MHD_REQUEST_TERMINATED_CLIENT_ABORT:
	case MHD_REQUEST_TERMINATED_READ_ERROR:
		return "client closed";
	default:
		return "refused by the HTTP parser";
	}
}

void lk_http_log_unanswered(struct http_req *hr, enum MHD_RequestTerminationCode toe)
{
	if (!hr->req.path && hr->raw_uri && hr->raw_uri[0] == '/')
		hr->req.path = lk_arena_strndup(hr->arena, hr->raw_uri, strcspn(hr->raw_uri, "?"));
	log_access(hr, "-", toe_reason(toe));
}
