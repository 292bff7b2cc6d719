/*
 * The server's private state, shared by server.c (life cycle, libmicrohttpd
 * callbacks, dispatch) and request.c (turning a connection into a struct
 * lk_request and a struct lk_response into an HTTP response).
 */
#ifndef LK_HTTP_SERVER_INT_H
#define LK_HTTP_SERVER_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <microhttpd.h>

#include "http/http.h"
#include "http/slowpool.h"

struct lk_http_server {
	struct lk_http_options opt; /* a copy, with defaults filled in */
	struct MHD_Daemon **daemons;
	int ndaemons;
	struct lk_slowpool *pool;
	uint16_t port;
	bool tls;
	atomic_bool stopping;  /* refuse new connections, close after each answer */
	atomic_long active;    /* request states alive (see struct http_req) */
	atomic_long suspended; /* deferred requests not answered yet */
	atomic_uint id_counter;
	uint32_t id_prefix; /* random per process, so ids differ across restarts */
};

/* Where a request is in its life. */
enum http_stage {
	HTTP_STAGE_HEADERS,  /* waiting for the first call of the access handler */
	HTTP_STAGE_BODY,     /* receiving the body */
	HTTP_STAGE_DEFERRED, /* connection suspended: slow work, or held (lk_http_hold) */
	HTTP_STAGE_DONE,     /* response queued */
};

/*
 * One request, from its request line (the URI log callback) to the end of
 * its response (the completion callback). The arena and everything in req
 * are released as soon as the response is queued.
 */
struct http_req {
	struct lk_http_server *srv;
	struct MHD_Connection *conn;
	struct lk_arena *arena;
	struct lk_request req;
	struct lk_response res;
	struct lk_buf body;  /* the request body, capped at max_body */
	const char *raw_uri; /* as sent, in the arena */
	enum http_stage stage;
	bool body_too_big;
	size_t body_seen; /* bytes of body received, kept or not */
	bool answered;
	int64_t start_ms;
	char id[17];
	lk_slow_fn work; /* set by lk_http_defer */
	void *work_arg;
	lk_hold_fn hold; /* set by lk_http_hold */
	void *hold_arg;
	atomic_bool work_done; /* set by whoever resumes the connection, just before */
	struct lk_slow_job job;
};

/*
 * Fills hr->req from the request line and headers: method, path, query,
 * headers, client address, TLS, ids. LK_EPARSE when the path is not an
 * absolute path or holds a NUL or a bad escape (the caller answers 400);
 * LK_ENOMEM.
 */
enum lk_err lk_http_request_begin(struct http_req *hr, const char *method);

/* Sets the body and parses it as a form when its type says so. */
void lk_http_request_body(struct http_req *hr);

/*
 * Turns hr->res into an HTTP response (a 500 when the handler set no valid
 * status), queues it, writes the access-log line and releases the request's
 * memory. Returns MHD_NO when the connection must be closed.
 */
enum MHD_Result lk_http_response_queue(struct http_req *hr);

/* Releases the arena, the body and the response of a request. */
void lk_http_request_release(struct http_req *hr);

/* The access-log line for a request that ended without our response. */
void lk_http_log_unanswered(struct http_req *hr, enum MHD_RequestTerminationCode toe);

#endif
