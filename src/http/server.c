/*
 * The HTTP server: `workers` libmicrohttpd daemons, each with its own epoll
 * thread and its own listening socket on one port (SO_REUSEPORT lets the
 * kernel spread connections), the request state machine, dispatch to the
 * routes, the slow-work hand-off and the graceful stop.
 */
#include "http/server_int.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/addr.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/secure.h"

#define LISTEN_BACKLOG 511
#define MAX_WORKERS 256
#define MAX_SLOW_THREADS 256
/* Per-connection memory for headers and buffers, beyond the header limit. */
#define MEMORY_HEADROOM (16 * 1024)
/*
 * A chunked body that overflows max_body is drained so that the client can
 * still read its 413, but only up to this much more; then the connection is
 * cut.
 */
#define DRAIN_MAX (1024 * 1024)
/* Sanity bounds on the configurable limits. */
#define MAX_HEADER_LIMIT (1024 * 1024)
#define MAX_BODY_LIMIT (64 * 1024 * 1024)

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* libmicrohttpd's own messages are about single connections: debug level. */
__attribute__((format(printf, 2, 0))) static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	lk_debug("http: %s", msg);
}

/* While stopping, new connections are closed as soon as they are accepted. */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	struct lk_http_server *srv = cls;

	return atomic_load(&srv->stopping) ? MHD_NO : MHD_YES;
}

/* The request id: the process's random prefix and a counter, 16 hex digits. */
static void format_id(char out[17], uint32_t prefix, uint32_t n)
{
	static const char hex[] = "0123456789abcdef";
	int i;

	for (i = 0; i < 8; i++) {
		out[i] = hex[(prefix >> (28 - 4 * i)) & 15];
		out[8 + i] = hex[(n >> (28 - 4 * i)) & 15];
	}
	out[16] = '\0';
}

/*
 * Called with the request line's target before libmicrohttpd decodes it in
 * place: the raw text is the only place where a repeated query parameter or
 * an encoded NUL in the path can still be seen. The returned state becomes
 * the request's *req_cls.
 */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct lk_http_server *srv = cls;
	struct http_req *hr = calloc(1, sizeof(*hr));

	if (!hr)
		return NULL;
	hr->arena = lk_arena_new(LK_HTTP_ARENA_MAX);
	hr->raw_uri = hr->arena ? lk_arena_strdup(hr->arena, uri ? uri : "") : NULL;
	if (!hr->raw_uri) {
		lk_arena_free(hr->arena);
		free(hr);
		return NULL;
	}
	hr->srv = srv;
	hr->conn = conn;
	hr->start_ms = lk_monotonic_ms();
	format_id(hr->id, srv->id_prefix, atomic_fetch_add(&srv->id_counter, 1u));
	lk_buf_init(&hr->body, srv->opt.max_body);
	lk_res_init(&hr->res, hr->arena);
	hr->req.arena = hr->arena;
	hr->req.priv = hr;
	hr->req.request_id = hr->id;
	hr->req.query_string = "";
	atomic_fetch_add(&srv->active, 1);
	return hr;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct lk_http_server *srv = cls;
	struct http_req *hr = *req_cls;

	if (!hr)
		return;
	if (!hr->answered)
		lk_http_log_unanswered(hr, toe);
	/* Only if the connection went away between its resume and its answer. */
	if (hr->stage == HTTP_STAGE_DEFERRED)
		atomic_fetch_sub(&srv->suspended, 1);
	lk_http_request_release(hr);
	free(hr);
	*req_cls = NULL;
	atomic_fetch_sub(&srv->active, 1);
}

/* Answers at once with a JSON error (before or instead of the handler). */
static enum MHD_Result answer_error(struct http_req *hr, int status, const char *error,
				    const char *description)
{
	lk_res_json_error(&hr->res, status, error, description);
	return lk_http_response_queue(hr);
}

/* The pool thread's side of a deferred request. */
static void run_deferred(struct lk_slow_job *job, bool cancelled)
{
	struct http_req *hr =
		(struct http_req *)(void *)((char *)job - offsetof(struct http_req, job));

	lk_log_set_request_id(hr->id);
	if (cancelled) {
		hr->res.nheaders = 0;
		lk_res_json_error(&hr->res, 503, "temporarily_unavailable",
				  "the server is shutting down");
	} else {
		hr->work(hr->srv->opt.ctx, &hr->req, &hr->res, hr->work_arg);
	}
	lk_log_set_request_id(NULL);
	lk_http_resume(&hr->req);
}

void lk_http_resume(struct lk_request *req)
{
	struct http_req *hr = req->priv;
	struct MHD_Connection *conn = hr->conn;

	/*
	 * After the flag is set the event loop may answer and free the request
	 * at any moment, so hr is not touched past this point.
	 */
	atomic_store_explicit(&hr->work_done, true, memory_order_release);
	MHD_resume_connection(conn);
}

/* A request may be deferred or held once, and only from its handler. */
static bool may_suspend(const struct http_req *hr)
{
	return !hr->work && !hr->hold && hr->stage == HTTP_STAGE_BODY;
}

enum lk_err lk_http_hold(struct lk_request *req, lk_hold_fn start, void *arg)
{
	struct http_req *hr = req ? req->priv : NULL;

	if (!hr || !start)
		return LK_EINVAL;
	if (!may_suspend(hr))
		return LK_ESTATE;
	hr->hold = start;
	hr->hold_arg = arg;
	return LK_OK;
}

enum lk_err lk_http_defer(struct lk_request *req, lk_slow_fn work, void *arg)
{
	struct http_req *hr = req ? req->priv : NULL;
	enum lk_err err;

	if (!hr || !work)
		return LK_EINVAL;
	if (!may_suspend(hr))
		return LK_ESTATE;
	err = lk_slowpool_reserve(hr->srv->pool);
	if (err)
		return err;
	hr->work = work;
	hr->work_arg = arg;
	return LK_OK;
}

static void run_handler(struct http_req *hr)
{
	const struct lk_http_options *o = &hr->srv->opt;
	const struct lk_route *route;
	char allow[128];
	bool method_ok = false;

	route = lk_router_match(o->routes, o->nroutes, hr->req.method, hr->req.path, &method_ok);
	if (!route) {
		if (o->not_found)
			o->not_found(o->ctx, &hr->req, &hr->res);
		else
			lk_res_json_error(&hr->res, 404, "not_found", "no such resource");
	} else if (!method_ok) {
		lk_router_allow(o->routes, o->nroutes, hr->req.path, allow, sizeof(allow));
		lk_res_json_error(&hr->res, 405, "method_not_allowed",
				  "the method is not allowed for this resource");
		if (lk_res_header(&hr->res, "Allow", allow) != LK_OK)
			hr->res.status = 0;
	} else {
		route->fn(o->ctx, &hr->req, &hr->res);
	}
}

/* The whole request is in: run the handler, then answer or defer. */
static enum MHD_Result dispatch(struct http_req *hr)
{
	struct lk_http_server *srv = hr->srv;

	lk_http_request_body(hr);
	lk_log_set_request_id(hr->id);
	run_handler(hr);
	lk_log_set_request_id(NULL);
	if (!hr->work && !hr->hold)
		return lk_http_response_queue(hr);
	/*
	 * Suspend before the job is queued or the hold started: either may
	 * resume the connection at once, and a resume must follow its suspend.
	 */
	hr->stage = HTTP_STAGE_DEFERRED;
	atomic_fetch_add(&srv->suspended, 1);
	MHD_suspend_connection(hr->conn);
	if (hr->hold) {
		hr->hold(&hr->req, hr->hold_arg);
		return MHD_YES;
	}
	hr->job.run = run_deferred;
	lk_slowpool_push(srv->pool, &hr->job);
	return MHD_YES;
}

/* First call: the request line and headers are in, the body is not. */
static enum MHD_Result on_headers(struct http_req *hr, struct MHD_Connection *conn,
				  const char *method)
{
	const struct lk_http_options *o = &hr->srv->opt;
	const union MHD_ConnectionInfo *ci;
	const char *cl;
	enum lk_err err;

	hr->conn = conn;
	hr->stage = HTTP_STAGE_BODY;
	err = lk_http_request_begin(hr, method);
	if (err == LK_ETOOBIG)
		return answer_error(hr, 431, "header_too_large", "request headers too large");
	if (err == LK_EPARSE)
		return answer_error(hr, 400, "bad_request", "malformed request target");
	if (err)
		return answer_error(hr, 500, "server_error", "out of memory");
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
	if (ci && ci->header_size > o->max_header)
		return answer_error(hr, 431, "header_too_large", "request headers too large");
	/* A declared length past the limit is refused before reading any of it. */
	cl = lk_req_header(&hr->req, "Content-Length");
	if (cl && (strlen(cl) > 19 || strtoull(cl, NULL, 10) > o->max_body))
		return answer_error(hr, 413, "payload_too_large", "request body too large");
	return MHD_YES;
}

static enum MHD_Result on_body(struct http_req *hr, const char *data, size_t n)
{
	hr->body_seen += n;
	if (!hr->body_too_big && lk_buf_add(&hr->body, data, n) != LK_OK) {
		hr->body_too_big = true;
		lk_buf_wipe(&hr->body);
	}
	if (hr->body_too_big && hr->body_seen - hr->srv->opt.max_body > DRAIN_MAX) {
		lk_http_log_unanswered(hr, MHD_REQUEST_TERMINATED_WITH_ERROR);
		hr->answered = true;
		return MHD_NO;
	}
	return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **req_cls)
{
	struct http_req *hr = *req_cls;
	size_t n;

	if (!hr)
		return MHD_NO;
	switch (hr->stage) {
	case HTTP_STAGE_HEADERS:
		return on_headers(hr, conn, method);
	case HTTP_STAGE_BODY:
		n = *upload_data_size;
		*upload_data_size = 0;
		if (n)
			return on_body(hr, upload_data, n);
		if (hr->body_too_big)
			return answer_error(hr, 413, "payload_too_large", "request body too large");
		return dispatch(hr);
	case HTTP_STAGE_DEFERRED:
		if (!atomic_load_explicit(&hr->work_done, memory_order_acquire))
			return MHD_YES;
		atomic_fetch_sub(&hr->srv->suspended, 1);
		return lk_http_response_queue(hr);
	default:
		return MHD_NO;
	}
}

/* A non-blocking listening socket with SO_REUSEPORT bound to addr; -1 on error. */
static int listen_on(const struct sockaddr *addr, socklen_t len)
{
	int fd, one = 1;

	fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0 ||
	    bind(fd, addr, len) != 0 || listen(fd, LISTEN_BACKLOG) != 0) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* Sets the port of an IPv4 or IPv6 socket address. */
static void set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)(void *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)(void *)ss)->sin6_port = htons(port);
}

/*
 * Binds the first address of host that works; with port 0 the kernel picks
 * the port, which the other sockets then share. fds[0..n) are all opened or
 * none is.
 */
static enum lk_err open_listeners(const char *host, unsigned port, int *fds, int n, uint16_t *bound)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *res = NULL, *ai;
	struct sockaddr_storage ss;
	socklen_t sslen = 0;
	char portstr[8];
	int i, rc, opened = 0;
	enum lk_err err = LK_EIO;

	snprintf(portstr, sizeof(portstr), "%u", port);
	rc = getaddrinfo(host, portstr, &hints, &res);
	if (rc != 0) {
		lk_error("cannot resolve listen host '%s': %s", host, gai_strerror(rc));
		goto out;
	}
	for (ai = res; ai && fds[0] < 0; ai = ai->ai_next)
		fds[0] = listen_on(ai->ai_addr, ai->ai_addrlen);
	if (fds[0] < 0) {
		lk_error("cannot listen on '%s' port %u: %s", host, port, strerror(errno));
		goto out;
	}
	opened = 1;
	sslen = sizeof(ss);
	if (getsockname(fds[0], (struct sockaddr *)&ss, &sslen) != 0)
		goto out;
	*bound = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)(void *)&ss)->sin_port
					       : ((struct sockaddr_in6 *)(void *)&ss)->sin6_port);
	set_port(&ss, *bound);
	for (i = 1; i < n; i++, opened++) {
		fds[i] = listen_on((struct sockaddr *)&ss, sslen);
		if (fds[i] < 0) {
			lk_error("cannot add a listening socket on port %u: %s", *bound,
				 strerror(errno));
			goto out;
		}
	}
	err = LK_OK;
out:
	if (res)
		freeaddrinfo(res);
	for (i = 0; err && i < opened; i++) {
		close(fds[i]);
		fds[i] = -1;
	}
	return err;
}

static struct MHD_Daemon *start_daemon(struct lk_http_server *srv, int fd)
{
	const struct lk_http_options *o = &srv->opt;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
			     MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	unsigned int per_daemon =
		(LK_HTTP_MAX_CONNECTIONS + (unsigned)srv->ndaemons - 1) / (unsigned)srv->ndaemons;
	/*
	 * The per-address cap is kept by each event loop, so one address may
	 * hold up to workers times as many connections in all. Behind a proxy
	 * every connection comes from the proxy's address: no cap then.
	 */
	unsigned int per_ip = o->behind_proxy ? 0 : o->max_conns_per_ip;
	struct MHD_OptionItem tls[] = {
		{MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)(uintptr_t)o->tls_cert_pem},
		{MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)(uintptr_t)o->tls_key_pem},
		{MHD_OPTION_END, 0, NULL},
	};
	struct MHD_OptionItem none[] = {{MHD_OPTION_END, 0, NULL}};

	if (srv->tls)
		flags |= MHD_USE_TLS;
	/* clang-format off */
	return MHD_start_daemon(flags, 0, on_accept, srv, on_request, srv,
		/* First, so that messages about the other options come through it. */
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, srv,
		MHD_OPTION_LISTEN_SOCKET, fd,
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
		MHD_OPTION_CONNECTION_TIMEOUT, o->timeout_seconds,
		MHD_OPTION_CONNECTION_LIMIT, per_daemon,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(2 * o->max_header + MEMORY_HEADROOM),
		MHD_OPTION_STRICT_FOR_CLIENT, 1,
		MHD_OPTION_ARRAY, srv->tls ? tls : none,
		MHD_OPTION_END);
	/* clang-format on */
}

/* Copies the options, filling in defaults and refusing nonsense. */
static enum lk_err take_options(struct lk_http_server *srv, const struct lk_http_options *opt)
{
	struct lk_http_options *o = &srv->opt;

	*o = *opt;
	if (!o->listen || o->workers < 1 || o->workers > MAX_WORKERS || o->slow_threads < 1 ||
	    o->slow_threads > MAX_SLOW_THREADS || (o->nroutes && !o->routes) ||
	    (!o->tls_cert_pem != !o->tls_key_pem)) {
		lk_error("invalid HTTP server options");
		return LK_EINVAL;
	}
	if (o->max_header > MAX_HEADER_LIMIT || o->max_body > MAX_BODY_LIMIT) {
		lk_error("HTTP size limits too large");
		return LK_EINVAL;
	}
	if (!o->max_body)
		o->max_body = LK_HTTP_DEFAULT_MAX_BODY;
	if (!o->max_header)
		o->max_header = LK_HTTP_DEFAULT_MAX_HEADER;
	if (!o->max_params)
		o->max_params = LK_HTTP_DEFAULT_MAX_PARAMS;
	if (!o->timeout_seconds)
		o->timeout_seconds = LK_HTTP_DEFAULT_TIMEOUT;
	srv->tls = o->tls_cert_pem != NULL;
	return LK_OK;
}

/* Stops the daemons that were started and closes the sockets not handed over. */
static void stop_daemons(struct lk_http_server *srv, int *fds)
{
	int i;

	for (i = 0; i < srv->ndaemons; i++) {
		if (srv->daemons[i])
			MHD_stop_daemon(srv->daemons[i]);
		else if (fds && fds[i] >= 0)
			close(fds[i]);
		srv->daemons[i] = NULL;
	}
}

static void server_free(struct lk_http_server *srv)
{
	if (!srv)
		return;
	lk_slowpool_free(srv->pool);
	free(srv->daemons);
	free(srv);
}

enum lk_err lk_http_server_start(const struct lk_http_options *opt, struct lk_http_server **out)
{
	struct lk_http_server *srv = calloc(1, sizeof(*srv));
	char host[256];
	unsigned port;
	int *fds = NULL, i;
	enum lk_err err = LK_ENOMEM;

	if (!srv)
		goto out;
	err = take_options(srv, opt);
	if (err)
		goto out;
	err = lk_addr_split(opt->listen, host, sizeof(host), &port);
	if (err) {
		lk_error("invalid listen address '%s'", opt->listen);
		goto out;
	}
	err = lk_random_bytes(&srv->id_prefix, sizeof(srv->id_prefix));
	if (!err)
		err = lk_slowpool_new(srv->opt.slow_threads, LK_HTTP_SLOW_QUEUE, &srv->pool);
	if (err)
		goto out;
	err = LK_ENOMEM;
	srv->ndaemons = srv->opt.workers;
	srv->daemons = calloc((size_t)srv->ndaemons, sizeof(*srv->daemons));
	fds = malloc((size_t)srv->ndaemons * sizeof(*fds));
	if (!srv->daemons || !fds)
		goto out;
	for (i = 0; i < srv->ndaemons; i++)
		fds[i] = -1;
	err = open_listeners(host, port, fds, srv->ndaemons, &srv->port);
	if (err)
		goto out;
	for (i = 0; i < srv->ndaemons && !err; i++) {
		srv->daemons[i] = start_daemon(srv, fds[i]);
		/*
		 * The daemon owns its socket from here on: it closes it when it
		 * stops, and also when it fails to start.
		 */
		fds[i] = -1;
		if (!srv->daemons[i]) {
			lk_error("cannot start the HTTP event loop%s",
				 srv->tls ? " (check the TLS certificate and key)" : "");
			err = LK_EIO;
		}
	}
	if (err) {
		stop_daemons(srv, fds);
		goto out;
	}
	lk_info("listening on %s (port %u, %d event loops%s)", opt->listen, srv->port,
		srv->ndaemons, srv->tls ? ", TLS" : "");
	*out = srv;
	srv = NULL;
out:
	free(fds);
	server_free(srv);
	return err;
}

/* Waits until *counter is 0 or deadline (monotonic ms, 0 = none) has passed. */
static bool wait_zero(atomic_long *counter, int64_t deadline)
{
	while (atomic_load(counter) > 0) {
		if (deadline && lk_monotonic_ms() >= deadline)
			return false;
		sleep_ms(5);
	}
	return true;
}

void lk_http_server_stop(struct lk_http_server *srv)
{
	if (!srv)
		return;
	/*
	 * MHD_quiesce_daemon is not used: with an epoll loop on its own thread
	 * it races with that loop over removing the listening socket from the
	 * epoll set, and the loser aborts the process. Instead the accept
	 * policy turns new connections away and answers carry
	 * "Connection: close" until the daemons stop.
	 */
	atomic_store(&srv->stopping, true);
	if (!wait_zero(&srv->active, lk_monotonic_ms() + LK_HTTP_STOP_GRACE_MS))
		lk_warn("stopping with %ld requests still in flight", atomic_load(&srv->active));
	/*
	 * Deferred work still queued is answered with 503; running work is
	 * waited for. libmicrohttpd aborts if a daemon is stopped while one of
	 * its connections is suspended, so every deferred request must have
	 * been resumed and answered before the daemons go.
	 */
	lk_slowpool_shutdown(srv->pool);
	wait_zero(&srv->suspended, 0);
	stop_daemons(srv, NULL);
	server_free(srv);
}

uint16_t lk_http_server_port(const struct lk_http_server *srv)
{
	return srv ? srv->port : 0;
}
