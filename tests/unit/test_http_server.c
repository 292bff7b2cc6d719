/*
 * The HTTP server over real sockets: a server on 127.0.0.1:0 with two event
 * loops and a few test routes, driven by a tiny blocking client.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "core/log.h"
#include "http/http.h"

/* ---- a tiny HTTP/1.1 client ---- */

struct conn {
	int fd;
	char buf[256 * 1024];
	size_t len;
};

struct reply {
	int status;
	char head[16 * 1024];
	char body[64 * 1024];
	size_t body_len;
};

static int conn_open(struct conn *c, uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	struct timeval tv = {.tv_sec = 10};

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c->len = 0;
	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (c->fd < 0)
		return -1;
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(c->fd);
		return -1;
	}
	return 0;
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

static int conn_send(struct conn *c, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads more bytes into the buffer; 0 on EOF or error. */
static size_t conn_fill(struct conn *c)
{
	ssize_t r;

	if (c->len >= sizeof(c->buf))
		return 0;
	r = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
	if (r <= 0)
		return 0;
	c->len += (size_t)r;
	return (size_t)r;
}

static const char *find_header(const char *head, const char *name, char *out, size_t outlen)
{
	const char *p = head;
	size_t n = strlen(name);

	while ((p = strstr(p, "\r\n")) != NULL) {
		p += 2;
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			const char *v = p + n + 1, *e;
			while (*v == ' ')
				v++;
			e = strstr(v, "\r\n");
			if (!e)
				e = v + strlen(v);
			snprintf(out, outlen, "%.*s", (int)(e - v), v);
			return out;
		}
	}
	return NULL;
}

/* Reads one response (Content-Length framed). 0 on success, -1 otherwise. */
static int conn_read(struct conn *c, struct reply *r)
{
	char *end, cl[32];
	size_t hlen, blen = 0;

	memset(r, 0, sizeof(*r));
	while (!(c->len && (end = memmem(c->buf, c->len, "\r\n\r\n", 4))))
		if (!conn_fill(c))
			return -1;
	hlen = (size_t)(end - c->buf) + 4;
	if (hlen >= sizeof(r->head))
		return -1;
	memcpy(r->head, c->buf, hlen);
	r->head[hlen] = '\0';
	if (sscanf(r->head, "HTTP/1.%*d %d", &r->status) != 1)
		return -1;
	if (find_header(r->head, "Content-Length", cl, sizeof(cl)))
		blen = strtoul(cl, NULL, 10);
	if (blen >= sizeof(r->body))
		return -1;
	while (c->len < hlen + blen)
		if (!conn_fill(c))
			return -1;
	memcpy(r->body, c->buf + hlen, blen);
	r->body[blen] = '\0';
	r->body_len = blen;
	memmove(c->buf, c->buf + hlen + blen, c->len - hlen - blen);
	c->len -= hlen + blen;
	return 0;
}

/* True when the server has closed the connection (EOF within a second). */
static bool conn_closed(struct conn *c)
{
	struct timeval tv = {.tv_sec = 1};
	char b;

	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return recv(c->fd, &b, 1, 0) <= 0;
}

/* One request on a new connection. */
static int fetch(uint16_t port, const char *request, struct reply *r)
{
	struct conn *c = malloc(sizeof(*c));
	int rc = -1;

	if (!c)
		return -1;
	if (conn_open(c, port) == 0) {
		if (conn_send(c, request, strlen(request)) == 0)
			rc = conn_read(c, r);
		conn_close(c);
	}
	free(c);
	return rc;
}

/* ---- the test server ---- */

static atomic_int slow_runs;

static void echo(void *ctx, struct lk_request *req, struct lk_response *res)
{
	json_t *o = json_object();

	json_object_set_new(o, "method", json_string(req->method));
	json_object_set_new(o, "path", json_string(req->path));
	json_object_set_new(o, "query_string", json_string(req->query_string));
	json_object_set_new(o, "query_err", json_string(lk_err_name(req->query_err)));
	if (req->query_dup)
		json_object_set_new(o, "query_dup", json_string(req->query_dup));
	if (req->query_err == LK_OK && lk_params_get(&req->query, "q"))
		json_object_set_new(o, "q", json_string(lk_params_get(&req->query, "q")));
	json_object_set_new(o, "form_err", json_string(lk_err_name(req->form_err)));
	if (req->form_err == LK_OK && lk_params_get(&req->form, "a"))
		json_object_set_new(o, "a", json_string(lk_params_get(&req->form, "a")));
	json_object_set_new(o, "body_len", json_integer((json_int_t)req->body_len));
	json_object_set_new(o, "client", json_string(req->client_addr));
	json_object_set_new(o, "tls", json_boolean(req->tls));
	json_object_set_new(o, "id", json_string(req->request_id));
	if (lk_req_header(req, "x-test"))
		json_object_set_new(o, "x_test", json_string(lk_req_header(req, "X-Test")));
	lk_res_json_value(res, 200, o);
}

static void nostatus(void *ctx, struct lk_request *req, struct lk_response *res)
{
}

static void slow_work(void *ctx, struct lk_request *req, struct lk_response *res, void *arg)
{
	char body[64];
	struct timespec ts = {.tv_nsec = (long)(intptr_t)arg * 1000000L};

	nanosleep(&ts, NULL);
	atomic_fetch_add(&slow_runs, 1);
	snprintf(body, sizeof(body), "{\"slow\":\"%s\"}", req->query_string);
	lk_res_json(res, 200, body);
	lk_res_header(res, "X-Slow", "yes");
}

static void slow(void *ctx, struct lk_request *req, struct lk_response *res)
{
	intptr_t ms = strcmp(req->path, "/slower") == 0 ? 300 : 2;

	if (lk_http_defer(req, slow_work, (void *)ms) != LK_OK) {
		lk_res_json_error(res, 503, "temporarily_unavailable", NULL);
		return;
	}
	/* A second deferral of the same request is refused. */
	if (lk_http_defer(req, slow_work, (void *)ms) != LK_ESTATE)
		lk_res_json(res, 200, "{\"second_defer\":\"accepted\"}");
}

/* A held answer (lk_http_hold): what the thread that resumes it needs. */
struct held {
	struct lk_request *req;
	struct lk_response *res;
};

static atomic_int held_started;

/* Finishes a held request: rewrites the answer the handler left, then resumes. */
static void *finish_held(void *arg)
{
	struct held *h = arg;
	char body[64];
	const struct timespec ts = {.tv_nsec = 3000000};

	nanosleep(&ts, NULL);
	snprintf(body, sizeof(body), "{\"held\":\"%s\"}", h->req->query_string);
	lk_res_json(h->res, 200, body);
	lk_http_resume(h->req);
	return NULL;
}

/* ?now resumes on the event loop, inside start; anything else from another thread. */
static void start_held(struct lk_request *req, void *arg)
{
	struct held *h = arg;
	pthread_t t;

	atomic_fetch_add(&held_started, 1);
	if (strcmp(req->query_string, "now") == 0) {
		lk_res_json(h->res, 200, "{\"held\":\"at once\"}");
		lk_http_resume(req);
		return;
	}
	if (pthread_create(&t, NULL, finish_held, h) != 0) {
		lk_res_json_error(h->res, 500, "server_error", NULL);
		lk_http_resume(req);
		return;
	}
	pthread_detach(t);
}

static void hold(void *ctx, struct lk_request *req, struct lk_response *res)
{
	struct held *h = lk_arena_alloc(req->arena, sizeof(*h));

	/* What the handler answers is sent only if nothing changes it. */
	lk_res_json(res, 200, "{\"held\":\"not resumed\"}");
	if (!h || lk_http_hold(req, start_held, h) != LK_OK) {
		lk_res_json_error(res, 500, "server_error", NULL);
		return;
	}
	h->req = req;
	h->res = res;
	/* One hold per request, and no deferral beside it. */
	if (lk_http_hold(req, start_held, h) != LK_ESTATE ||
	    lk_http_defer(req, slow_work, NULL) != LK_ESTATE)
		lk_res_json(res, 200, "{\"second_hold\":\"accepted\"}");
}

static void html(void *ctx, struct lk_request *req, struct lk_response *res)
{
	lk_res_html(res, 200, "<p>x</p>");
}

static void not_found(void *ctx, struct lk_request *req, struct lk_response *res)
{
	lk_res_json(res, 404, "{\"custom\":\"not_found\"}");
}

static const struct lk_route routes[] = {
	{"GET,POST", "/echo", false, echo}, {"GET", "/nostatus", false, nostatus},
	{"GET", "/slow", false, slow},	    {"GET", "/slower", false, slow},
	{"GET", "/html", false, html},	    {"PUT", "/p/", true, echo},
	{"GET", "/held", false, hold},
};

static struct lk_http_options base_options(void)
{
	struct lk_http_options o = {
		.listen = "127.0.0.1:0",
		.workers = 2,
		.slow_threads = 3,
		.max_body = 4096,
		.max_params = 8,
		.timeout_seconds = 10,
		.max_conns_per_ip = 64,
		.routes = routes,
		.nroutes = sizeof(routes) / sizeof(routes[0]),
		.not_found = not_found,
	};
	return o;
}

static struct lk_http_server *srv;
static uint16_t port;

static int setup(void **state)
{
	struct lk_http_options o = base_options();

	if (lk_http_server_start(&o, &srv) != LK_OK)
		return -1;
	port = lk_http_server_port(srv);
	return port ? 0 : -1;
}

static int teardown(void **state)
{
	lk_http_server_stop(srv);
	srv = NULL;
	return 0;
}

#define GET(path) "GET " path " HTTP/1.1\r\nHost: t\r\n\r\n"

static struct reply R;

static void test_json_200(void **state)
{
	char v[256];

	assert_int_equal(fetch(port, GET("/echo?q=a+b%21"), &R), 0);
	assert_int_equal(R.status, 200);
	assert_non_null(find_header(R.head, "Content-Type", v, sizeof(v)));
	assert_string_equal(v, "application/json");
	assert_non_null(find_header(R.head, "X-Content-Type-Options", v, sizeof(v)));
	assert_string_equal(v, "nosniff");
	assert_non_null(strstr(R.body, "\"path\":\"/echo\""));
	assert_non_null(strstr(R.body, "\"q\":\"a b!\""));
	assert_non_null(strstr(R.body, "\"query_string\":\"q=a+b%21\""));
	assert_non_null(strstr(R.body, "\"query_err\":\"LK_OK\""));
	assert_non_null(strstr(R.body, "\"form_err\":\"LK_ENOTFOUND\""));
	assert_non_null(strstr(R.body, "\"client\":\"127.0.0.1\""));
	assert_non_null(strstr(R.body, "\"tls\":false"));
	/* The path is decoded; the request id is 16 hex digits. */
	assert_int_equal(fetch(port, GET("/p/%41b") "", &R), 0);
	assert_int_equal(R.status, 405);
	assert_int_equal(
		fetch(port, "PUT /p/%41b HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n", &R), 0);
	assert_int_equal(R.status, 200);
	assert_non_null(strstr(R.body, "\"path\":\"/p/Ab\""));
	assert_non_null(strstr(R.body, "\"id\":\""));
	assert_int_equal(strcspn(strstr(R.body, "\"id\":\"") + 6, "\""), 16);
}

static void test_head(void **state)
{
	struct conn *c = malloc(sizeof(*c));

	assert_non_null(c);
	assert_int_equal(conn_open(c, port), 0);
	assert_int_equal(conn_send(c, "HEAD /html HTTP/1.1\r\nHost: t\r\n\r\n", 32), 0);
	/* A HEAD answer has a Content-Length but no body. */
	assert_true(conn_fill(c) > 0);
	c->buf[c->len] = '\0';
	assert_non_null(strstr(c->buf, "HTTP/1.1 200"));
	assert_non_null(strstr(c->buf, "Content-Security-Policy: default-src 'none'"));
	assert_non_null(strstr(c->buf, "X-Frame-Options: DENY"));
	assert_null(strstr(c->buf, "<p>"));
	conn_close(c);
	free(c);
}

static void test_not_found_and_405(void **state)
{
	char v[256];

	assert_int_equal(fetch(port, GET("/nope"), &R), 0);
	assert_int_equal(R.status, 404);
	assert_string_equal(R.body, "{\"custom\":\"not_found\"}");
	assert_int_equal(fetch(port, "DELETE /echo HTTP/1.1\r\nHost: t\r\n\r\n", &R), 0);
	assert_int_equal(R.status, 405);
	assert_non_null(find_header(R.head, "Allow", v, sizeof(v)));
	assert_string_equal(v, "GET, HEAD, POST");
	assert_non_null(strstr(R.body, "\"error\":\"method_not_allowed\""));
	assert_non_null(find_header(R.head, "X-Content-Type-Options", v, sizeof(v)));
}

static void test_no_status_is_500(void **state)
{
	assert_int_equal(fetch(port, GET("/nostatus"), &R), 0);
	assert_int_equal(R.status, 500);
	assert_non_null(strstr(R.body, "\"error\":\"server_error\""));
}

static void test_bad_paths(void **state)
{
	assert_int_equal(fetch(port, GET("/echo%00x"), &R), 0);
	assert_int_equal(R.status, 400);
	assert_int_equal(fetch(port, GET("/echo%zz"), &R), 0);
	assert_int_equal(R.status, 400);
	assert_int_equal(fetch(port, "OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n", &R), 0);
	assert_int_equal(R.status, 400);
	assert_int_equal(fetch(port, GET("http://t/echo"), &R), 0);
	assert_int_equal(R.status, 400);
	/* A request target with a NUL in the query reaches the handler as a parse error. */
	assert_int_equal(fetch(port, GET("/echo?q=%00"), &R), 0);
	assert_int_equal(R.status, 200);
	assert_non_null(strstr(R.body, "\"query_err\":\"LK_EPARSE\""));
}

static void test_query_errors(void **state)
{
	assert_int_equal(fetch(port, GET("/echo?q=1&x=2&q=3"), &R), 0);
	assert_int_equal(R.status, 200);
	assert_non_null(strstr(R.body, "\"query_err\":\"LK_EDUP\""));
	assert_non_null(strstr(R.body, "\"query_dup\":\"q\""));
	assert_null(strstr(R.body, "\"q\":"));
	assert_int_equal(fetch(port, GET("/echo?a&b&c&d&e&f&g&h&i"), &R), 0);
	assert_non_null(strstr(R.body, "\"query_err\":\"LK_ETOOMANY\""));
}

static void test_form(void **state)
{
	static const char form[] =
		"POST /echo HTTP/1.1\r\nHost: t\r\n"
		"Content-Type: application/x-www-form-urlencoded; charset=UTF-8\r\n"
		"Content-Length: 19\r\nX-Test: yes\r\n\r\na=hello+world%21&b=";
	static const char dup[] = "POST /echo HTTP/1.1\r\nHost: t\r\n"
				  "Content-Type: Application/X-WWW-Form-Urlencoded\r\n"
				  "Content-Length: 7\r\n\r\na=1&a=2";
	static const char json[] = "POST /echo HTTP/1.1\r\nHost: t\r\n"
				   "Content-Type: application/json\r\n"
				   "Content-Length: 7\r\n\r\n{\"a\":1}";

	assert_int_equal(fetch(port, form, &R), 0);
	assert_int_equal(R.status, 200);
	assert_non_null(strstr(R.body, "\"form_err\":\"LK_OK\""));
	assert_non_null(strstr(R.body, "\"a\":\"hello world!\""));
	assert_non_null(strstr(R.body, "\"body_len\":19"));
	assert_non_null(strstr(R.body, "\"x_test\":\"yes\""));
	assert_int_equal(fetch(port, dup, &R), 0);
	assert_non_null(strstr(R.body, "\"form_err\":\"LK_EDUP\""));
	assert_int_equal(fetch(port, json, &R), 0);
	assert_non_null(strstr(R.body, "\"form_err\":\"LK_ENOTFOUND\""));
	assert_non_null(strstr(R.body, "\"body_len\":7"));
}

static void test_keep_alive(void **state)
{
	struct conn *c = malloc(sizeof(*c));
	int i;

	assert_non_null(c);
	assert_int_equal(conn_open(c, port), 0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(conn_send(c, GET("/echo?q=ka"), strlen(GET("/echo?q=ka"))), 0);
		assert_int_equal(conn_read(c, &R), 0);
		assert_int_equal(R.status, 200);
		assert_non_null(strstr(R.body, "\"q\":\"ka\""));
	}
	/* An error answer does not end a keep-alive connection either. */
	assert_int_equal(conn_send(c, GET("/nope"), strlen(GET("/nope"))), 0);
	assert_int_equal(conn_read(c, &R), 0);
	assert_int_equal(R.status, 404);
	assert_int_equal(conn_send(c, GET("/slow?k"), strlen(GET("/slow?k"))), 0);
	assert_int_equal(conn_read(c, &R), 0);
	assert_int_equal(R.status, 200);
	conn_close(c);
	free(c);
}

static void test_body_too_large(void **state)
{
	struct conn *c = malloc(sizeof(*c));
	char *chunk = malloc(3000);
	char head[128];
	int i;

	assert_non_null(c);
	assert_non_null(chunk);
	/* A declared length over the limit is refused before the body is read. */
	assert_int_equal(
		fetch(port, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n", &R),
		0);
	assert_int_equal(R.status, 413);
	assert_non_null(strstr(R.body, "payload_too_large"));
	/* A chunked body that grows past it gets a 413 as well. */
	assert_int_equal(conn_open(c, port), 0);
	snprintf(head, sizeof(head),
		 "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
	assert_int_equal(conn_send(c, head, strlen(head)), 0);
	memset(chunk, 'a', 3000);
	for (i = 0; i < 3; i++) {
		snprintf(head, sizeof(head), "%x\r\n", 3000);
		assert_int_equal(conn_send(c, head, strlen(head)), 0);
		assert_int_equal(conn_send(c, chunk, 3000), 0);
		assert_int_equal(conn_send(c, "\r\n", 2), 0);
	}
	assert_int_equal(conn_send(c, "0\r\n\r\n", 5), 0);
	assert_int_equal(conn_read(c, &R), 0);
	assert_int_equal(R.status, 413);
	conn_close(c);
	/* Exactly the limit is fine. */
	assert_int_equal(conn_open(c, port), 0);
	snprintf(head, sizeof(head),
		 "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4096\r\n\r\n");
	assert_int_equal(conn_send(c, head, strlen(head)), 0);
	assert_int_equal(conn_send(c, chunk, 3000), 0);
	assert_int_equal(conn_send(c, chunk, 1096), 0);
	assert_int_equal(conn_read(c, &R), 0);
	assert_int_equal(R.status, 200);
	assert_non_null(strstr(R.body, "\"body_len\":4096"));
	conn_close(c);
	free(chunk);
	free(c);
}

/* A request with one header line of n bytes. */
static char *big_header_request(size_t n)
{
	char *req = malloc(n + 128);
	size_t len;

	if (!req)
		return NULL;
	len = (size_t)snprintf(req, 128, "GET /echo HTTP/1.1\r\nHost: t\r\nX-Big: ");
	memset(req + len, 'b', n);
	memcpy(req + len + n, "\r\n\r\n", 5);
	return req;
}

static void test_header_too_large(void **state)
{
	struct conn *c = malloc(sizeof(*c));
	char *req;
	int rc;

	assert_non_null(c);
	/* Under the limit (16 KiB by default) passes. */
	req = big_header_request(12 * 1024);
	assert_int_equal(fetch(port, req, &R), 0);
	assert_int_equal(R.status, 200);
	free(req);
	/* Over the limit but within the connection's memory: our own 431. */
	req = big_header_request(20 * 1024);
	assert_int_equal(fetch(port, req, &R), 0);
	assert_int_equal(R.status, 431);
	assert_non_null(strstr(R.body, "header_too_large"));
	free(req);
	/*
	 * Far over it: libmicrohttpd runs out of connection memory and answers
	 * by itself, then closes the connection.
	 */
	req = big_header_request(200 * 1024);
	assert_int_equal(conn_open(c, port), 0);
	conn_send(c, req, strlen(req));
	rc = conn_read(c, &R);
	if (rc == 0) {
		assert_true(R.status >= 400 && R.status <= 499);
		print_message("huge header: status %d\n", R.status);
	}
	assert_true(conn_closed(c));
	conn_close(c);
	free(req);
	free(c);
}

static void test_deferred(void **state)
{
	char v[16];

	assert_int_equal(fetch(port, GET("/slow?one"), &R), 0);
	assert_int_equal(R.status, 200);
	assert_string_equal(R.body, "{\"slow\":\"one\"}");
	assert_non_null(find_header(R.head, "X-Slow", v, sizeof(v)));
	assert_non_null(find_header(R.head, "X-Content-Type-Options", v, sizeof(v)));
}

static void test_held(void **state)
{
	int before = atomic_load(&held_started);
	struct lk_request bare = {0};

	assert_int_equal(fetch(port, GET("/held?now"), &R), 0);
	assert_int_equal(R.status, 200);
	assert_string_equal(R.body, "{\"held\":\"at once\"}");
	assert_int_equal(fetch(port, GET("/held?later"), &R), 0);
	assert_int_equal(R.status, 200);
	assert_string_equal(R.body, "{\"held\":\"later\"}");
	assert_int_equal(atomic_load(&held_started) - before, 2);
	/* A request without a connection cannot be held. */
	assert_int_equal(lk_http_hold(&bare, start_held, NULL), LK_EINVAL);
	assert_int_equal(lk_http_hold(NULL, start_held, NULL), LK_EINVAL);
}

#define CLIENTS 8
#define PER_CLIENT 25

struct hammer {
	int id;
	int ok;
	const char *path; /* "slow" or "held" */
};

static void *hammer_run(void *arg)
{
	struct hammer *h = arg;
	struct conn *c = malloc(sizeof(*c));
	struct reply *r = malloc(sizeof(*r));
	char req[128], want[64];
	const char *kind = h->path;
	int i;

	if (!c || !r || conn_open(c, port) != 0)
		goto out;
	for (i = 0; i < PER_CLIENT; i++) {
		snprintf(req, sizeof(req), "GET /%s?%d-%d HTTP/1.1\r\nHost: t\r\n\r\n", kind, h->id,
			 i);
		snprintf(want, sizeof(want), "{\"%s\":\"%d-%d\"}", kind, h->id, i);
		if (conn_send(c, req, strlen(req)) != 0 || conn_read(c, r) != 0)
			break;
		if (r->status == 200 && strcmp(r->body, want) == 0)
			h->ok++;
	}
	conn_close(c);
out:
	free(r);
	free(c);
	return NULL;
}

/* Connections whose every request is held and resumed from another thread. */
static void test_many_held(void **state)
{
	pthread_t t[CLIENTS];
	struct hammer h[CLIENTS];
	int i, total = 0, before = atomic_load(&held_started);

	for (i = 0; i < CLIENTS; i++) {
		h[i] = (struct hammer){.id = i, .path = "held"};
		assert_int_equal(pthread_create(&t[i], NULL, hammer_run, &h[i]), 0);
	}
	for (i = 0; i < CLIENTS; i++) {
		pthread_join(t[i], NULL);
		total += h[i].ok;
	}
	assert_int_equal(total, CLIENTS * PER_CLIENT);
	assert_int_equal(atomic_load(&held_started) - before, CLIENTS * PER_CLIENT);
}

static void test_many_deferred(void **state)
{
	pthread_t t[CLIENTS];
	struct hammer h[CLIENTS];
	int i, total = 0, before = atomic_load(&slow_runs);

	for (i = 0; i < CLIENTS; i++) {
		h[i] = (struct hammer){.id = i, .path = "slow"};
		assert_int_equal(pthread_create(&t[i], NULL, hammer_run, &h[i]), 0);
	}
	for (i = 0; i < CLIENTS; i++) {
		pthread_join(t[i], NULL);
		total += h[i].ok;
	}
	assert_int_equal(total, CLIENTS * PER_CLIENT);
	assert_int_equal(atomic_load(&slow_runs) - before, CLIENTS * PER_CLIENT);
}

static void test_forwarded_ignored(void **state)
{
	static const char req[] = "GET /echo HTTP/1.1\r\nHost: t\r\n"
				  "X-Forwarded-For: 1.2.3.4\r\nX-Forwarded-Proto: https\r\n\r\n";

	assert_int_equal(fetch(port, req, &R), 0);
	assert_non_null(strstr(R.body, "\"client\":\"127.0.0.1\""));
	assert_non_null(strstr(R.body, "\"tls\":false"));
}

static void test_behind_proxy(void **state)
{
	struct lk_http_options o = base_options();
	struct lk_http_server *p = NULL;
	uint16_t pp;
	static const char req[] = "GET /echo HTTP/1.1\r\nHost: t\r\n"
				  "X-Forwarded-For: 6.6.6.6, 10.0.0.1\r\n"
				  "X-Forwarded-For: 9.9.9.9 , 2001:db8::7 \r\n"
				  "X-Forwarded-Proto: https\r\n\r\n";
	static const char junk[] = "GET /echo HTTP/1.1\r\nHost: t\r\n"
				   "X-Forwarded-For: 1.2.3.4, not-an-ip\r\n\r\n";

	o.behind_proxy = true;
	o.workers = 1;
	o.listen = "localhost:0";
	assert_int_equal(lk_http_server_start(&o, &p), LK_OK);
	pp = lk_http_server_port(p);
	assert_int_equal(fetch(pp, req, &R), 0);
	assert_non_null(strstr(R.body, "\"client\":\"2001:db8::7\""));
	assert_non_null(strstr(R.body, "\"tls\":true"));
	assert_int_equal(fetch(pp, junk, &R), 0);
	assert_non_null(strstr(R.body, "\"client\":\"127.0.0.1\""));
	assert_non_null(strstr(R.body, "\"tls\":false"));
	assert_int_equal(fetch(pp, GET("/echo"), &R), 0);
	assert_non_null(strstr(R.body, "\"client\":\"127.0.0.1\""));
	lk_http_server_stop(p);
}

static void test_start_errors(void **state)
{
	struct lk_http_options o = base_options();
	struct lk_http_server *p = NULL;

	o.listen = "127.0.0.1";
	assert_int_equal(lk_http_server_start(&o, &p), LK_EINVAL);
	o.listen = "no-such-host.invalid:0";
	assert_int_equal(lk_http_server_start(&o, &p), LK_EIO);
	o.listen = "127.0.0.1:0";
	o.workers = 0;
	assert_int_equal(lk_http_server_start(&o, &p), LK_EINVAL);
	o.workers = 1;
	o.tls_cert_pem = "x";
	assert_int_equal(lk_http_server_start(&o, &p), LK_EINVAL);
	o.tls_key_pem = "not a key";
	assert_int_equal(lk_http_server_start(&o, &p), LK_EIO);
	assert_null(p);
	lk_http_server_stop(NULL);
	assert_int_equal(lk_http_server_port(NULL), 0);
}

static void test_ipv6(void **state)
{
	struct lk_http_options o = base_options();
	struct lk_http_server *p = NULL;
	struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	struct conn *c;
	const char *req = GET("/echo");

	o.listen = "[::1]:0";
	if (lk_http_server_start(&o, &p) != LK_OK)
		skip();
	c = malloc(sizeof(*c));
	assert_non_null(c);
	c->len = 0;
	sa.sin6_port = htons(lk_http_server_port(p));
	c->fd = socket(AF_INET6, SOCK_STREAM, 0);
	assert_int_equal(connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(conn_send(c, req, strlen(req)), 0);
	assert_int_equal(conn_read(c, &R), 0);
	assert_non_null(strstr(R.body, "\"client\":\"::1\""));
	conn_close(c);
	free(c);
	lk_http_server_stop(p);
}

/* A self-signed P-256 certificate for localhost, as PEM strings (free them). */
static int make_cert(char **cert_pem, char **key_pem)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	BIO *cb = BIO_new(BIO_s_mem()), *kb = BIO_new(BIO_s_mem());
	X509_NAME *name;
	char *p;
	long n;
	int rc = -1;

	if (!key || !x || !cb || !kb)
		goto out;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1,
				   -1, 0);
	X509_set_issuer_name(x, name);
	if (!X509_sign(x, key, EVP_sha256()) || !PEM_write_bio_X509(cb, x) ||
	    !PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL))
		goto out;
	n = BIO_get_mem_data(cb, &p);
	*cert_pem = strndup(p, (size_t)n);
	n = BIO_get_mem_data(kb, &p);
	*key_pem = strndup(p, (size_t)n);
	rc = *cert_pem && *key_pem ? 0 : -1;
out:
	BIO_free(cb);
	BIO_free(kb);
	X509_free(x);
	EVP_PKEY_free(key);
	return rc;
}

static void test_tls(void **state)
{
	struct lk_http_options o = base_options();
	struct lk_http_server *p = NULL;
	char *cert = NULL, *key = NULL, buf[4096] = "";
	struct conn *c = malloc(sizeof(*c));
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl;
	const char *req = GET("/echo?q=tls");
	int n, got = 0;

	assert_non_null(c);
	assert_non_null(ctx);
	assert_int_equal(make_cert(&cert, &key), 0);
	o.tls_cert_pem = cert;
	o.tls_key_pem = key;
	o.workers = 1;
	assert_int_equal(lk_http_server_start(&o, &p), LK_OK);
	assert_int_equal(conn_open(c, lk_http_server_port(p)), 0);
	ssl = SSL_new(ctx);
	assert_non_null(ssl);
	SSL_set_fd(ssl, c->fd);
	assert_int_equal(SSL_connect(ssl), 1);
	assert_int_equal(SSL_write(ssl, req, (int)strlen(req)), (int)strlen(req));
	while (got < (int)sizeof(buf) - 1 && !strstr(buf, "}")) {
		n = SSL_read(ssl, buf + got, (int)sizeof(buf) - 1 - got);
		if (n <= 0)
			break;
		got += n;
		buf[got] = '\0';
	}
	assert_non_null(strstr(buf, "HTTP/1.1 200"));
	assert_non_null(strstr(buf, "\"tls\":true"));
	assert_non_null(strstr(buf, "\"q\":\"tls\""));
	SSL_shutdown(ssl);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	conn_close(c);
	free(c);
	lk_http_server_stop(p);
	free(cert);
	free(key);
}

struct stopper {
	struct lk_http_server *srv;
};

static void *stop_later(void *arg)
{
	struct stopper *s = arg;
	struct timespec ts = {.tv_nsec = 100 * 1000000L};

	nanosleep(&ts, NULL);
	lk_http_server_stop(s->srv);
	return NULL;
}

static void test_graceful_stop(void **state)
{
	struct lk_http_options o = base_options();
	struct stopper s = {NULL};
	pthread_t t;
	struct reply *r = malloc(sizeof(*r));

	assert_non_null(r);
	assert_int_equal(lk_http_server_start(&o, &s.srv), LK_OK);
	assert_int_equal(pthread_create(&t, NULL, stop_later, &s), 0);
	/* The deferred work takes 300 ms; the stop starts after 100 ms. */
	assert_int_equal(fetch(lk_http_server_port(s.srv), GET("/slower?x"), r), 0);
	assert_int_equal(r->status, 200);
	assert_string_equal(r->body, "{\"slow\":\"x\"}");
	pthread_join(t, NULL);
	free(r);
}

static void test_access_log(void **state)
{
	char path[] = "/tmp/lk-http-log-XXXXXX";
	int fd = mkstemp(path), saved = dup(2), i;
	char buf[4096] = "";
	ssize_t n = 0;

	assert_true(fd >= 0);
	unlink(path);
	lk_log_setup(LK_LOG_INFO, LK_LOG_TEXT);
	fflush(stderr);
	dup2(fd, 2);
	assert_int_equal(fetch(port, GET("/echo?code=secretcode"), &R), 0);
	/* The line is written right after the answer is queued. */
	for (i = 0; i < 100 && !strstr(buf, "status=200"); i++) {
		struct timespec ts = {.tv_nsec = 10 * 1000000L};
		nanosleep(&ts, NULL);
		n = pread(fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
	}
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fd);
	lk_log_setup(LK_LOG_ERROR, LK_LOG_TEXT);
	assert_non_null(strstr(buf, "request method=GET path=/echo status=200 ms="));
	assert_non_null(strstr(buf, "client=127.0.0.1"));
	assert_null(strstr(buf, "secretcode"));
	assert_non_null(strchr(buf, '['));
	assert_int_equal(strcspn(strchr(buf, '[') + 1, "]"), 16);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_200),
		cmocka_unit_test(test_head),
		cmocka_unit_test(test_not_found_and_405),
		cmocka_unit_test(test_no_status_is_500),
		cmocka_unit_test(test_bad_paths),
		cmocka_unit_test(test_query_errors),
		cmocka_unit_test(test_form),
		cmocka_unit_test(test_keep_alive),
		cmocka_unit_test(test_body_too_large),
		cmocka_unit_test(test_header_too_large),
		cmocka_unit_test(test_deferred),
		cmocka_unit_test(test_many_deferred),
		cmocka_unit_test(test_held),
		cmocka_unit_test(test_many_held),
		cmocka_unit_test(test_forwarded_ignored),
		cmocka_unit_test(test_behind_proxy),
		cmocka_unit_test(test_start_errors),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_tls),
		cmocka_unit_test(test_graceful_stop),
		cmocka_unit_test(test_access_log),
	};

	signal(SIGPIPE, SIG_IGN);
	lk_log_setup(LK_LOG_ERROR, LK_LOG_TEXT);
	return cmocka_run_group_tests(tests, setup, teardown);
}
