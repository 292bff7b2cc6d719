/*
 * The helpers every file of the PostgreSQL backend shares (pg_int.h):
 * binding parameters, running a statement (prepared on its first use on a
 * connection), turning a failure into an error code, reading result cells,
 * and atomic units. A statement outside any transaction that finds the
 * connection broken (the server restarted, a failover, an idle connection cut
 * by a firewall) reconnects once and runs again, so that one lost connection
 * costs a worker one slower request rather than every request after it.
 */
#include "store/pg_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

/* SQLSTATEs (PostgreSQL's appendix A) that mean something to a caller. */
#define SQLSTATE_UNIQUE "23505"
#define SQLSTATE_FOREIGN_KEY "23503"
#define SQLSTATE_NO_PREPARED "26000"
#define SQLSTATE_CANCELED "57014" /* statement_timeout */
#define SQLSTATE_LOCK_TIMEOUT "55P03"
/* Class 22, data exceptions: their messages may quote a bound value. */
#define SQLSTATE_CLASS_DATA "22"

void lk_pg_params_init(struct lk_pg_params *p)
{
	memset(p, 0, sizeof(*p));
}

/*
 * The next free slot, or -1 when every slot is taken: the count then goes
 * one past the maximum, which lk_pg_run refuses, so an overflow is caught
 * where it can be reported instead of being dropped silently.
 */
static int next_slot(struct lk_pg_params *p)
{
	if (p->n >= LK_PG_MAX_PARAMS) {
		p->n = LK_PG_MAX_PARAMS + 1;
		return -1;
	}
	return p->n++;
}

void lk_pg_param_text(struct lk_pg_params *p, const char *v)
{
	int i = next_slot(p);

	if (i < 0)
		return;
	p->values[i] = v ? v : "";
	p->lengths[i] = 0;
	p->formats[i] = 0;
}

void lk_pg_param_int(struct lk_pg_params *p, int64_t v)
{
	int i = next_slot(p);

	if (i < 0)
		return;
	snprintf(p->num[i], sizeof(p->num[i]), "%" PRId64, v);
	p->values[i] = p->num[i];
	p->lengths[i] = 0;
	p->formats[i] = 0;
}

/* Flags are SMALLINT 0/1 (migrations_pg.c); "1" and "0" are valid booleans too. */
void lk_pg_param_bool(struct lk_pg_params *p, bool v)
{
	int i = next_slot(p);

	if (i < 0)
		return;
	p->values[i] = v ? "1" : "0";
	p->lengths[i] = 0;
	p->formats[i] = 0;
}

/* Binary format: the bytes travel as they are, with no escaping to get wrong. */
void lk_pg_param_bytes(struct lk_pg_params *p, const void *v, size_t n)
{
	int i = next_slot(p);

	if (i < 0)
		return;
	if (n > (size_t)INT32_MAX) {
		p->n = LK_PG_MAX_PARAMS + 1;
		return;
	}
	p->values[i] = n ? (const char *)v : "";
	p->lengths[i] = (int)n;
	p->formats[i] = 1;
}

/* True when the statement of this name was prepared on this connection. */
static bool is_prepared(const struct lk_pg *pg, const char *name)
{
	for (size_t i = 0; i < pg->nprepared; i++) {
		if (pg->prepared[i] == name || strcmp(pg->prepared[i], name) == 0)
			return true;
	}
	return false;
}

/* Forgets every prepared statement: the session that held them is gone. */
static void forget_prepared(struct lk_pg *pg)
{
	pg->nprepared = 0;
}

/*
 * Logs a failed result and maps it to an error. The primary message names
 * tables, columns and constraints, never values, except for data exceptions
 * (an input that does not parse quotes it), which are logged by SQLSTATE
 * only. The DETAIL field, which quotes the conflicting key, is never logged.
 */
static enum lk_err fail(struct lk_pg *pg, const PGresult *r, const char *what)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	if (!state) {
		/* No server answer: the connection, or memory, failed. */
		if (PQstatus(pg->conn) == CONNECTION_BAD) {
			lk_error("postgres: %s: connection lost", what);
			return LK_ESTORE;
		}
		if (!r)
			return LK_ENOMEM;
		/* libpq's own message, about the protocol, on one line. */
		msg = PQresultErrorMessage(r);
		lk_error("postgres: %s: %.*s", what, (int)strcspn(msg, "\n"), msg);
		return LK_ESTORE;
	}
	if (!msg || strncmp(state, SQLSTATE_CLASS_DATA, 2) == 0)
		msg = "invalid value";
	/* A conflict or a row still referenced is an outcome, not a fault. */
	if (strcmp(state, SQLSTATE_UNIQUE) == 0) {
		lk_debug("postgres: %s: %s", what, msg);
		return LK_EEXIST;
	}
	if (strcmp(state, SQLSTATE_FOREIGN_KEY) == 0) {
		lk_debug("postgres: %s: %s", what, msg);
		return LK_ESTATE;
	}
	if (strcmp(state, SQLSTATE_CANCELED) == 0 || strcmp(state, SQLSTATE_LOCK_TIMEOUT) == 0) {
		lk_warn("postgres: %s: %s (%s)", what, msg, state);
		return LK_EBUSY;
	}
	lk_error("postgres: %s: %s (%s)", what, msg, state);
	return LK_ESTORE;
}

/* The SQLSTATE of a failed result, "" when there is none. */
static const char *sqlstate(const PGresult *r)
{
	const char *s = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;

	return s ? s : "";
}

static bool result_ok(const PGresult *r)
{
	ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;

	return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

/*
 * Runs st: prepares it first when this connection has not yet. The result,
 * good or bad, is the caller's; NULL means libpq could not allocate one. A
 * connection that has prepared LK_PG_MAX_PREPARED statements runs the rest
 * unprepared, which is slower but still correct.
 */
static PGresult *execute(struct lk_pg *pg, const struct lk_pg_stmt *st,
			 const struct lk_pg_params *p)
{
	const char *const *values = p ? p->values : NULL;
	const int *lengths = p ? p->lengths : NULL;
	const int *formats = p ? p->formats : NULL;
	PGresult *r;

	if (!is_prepared(pg, st->name)) {
		if (pg->nprepared >= LK_PG_MAX_PREPARED)
			return PQexecParams(pg->conn, st->sql, st->nparams, NULL, values, lengths,
					    formats, 0);
		r = PQprepare(pg->conn, st->name, st->sql, st->nparams, NULL);
		if (!result_ok(r))
			return r;
		PQclear(r);
		pg->prepared[pg->nprepared++] = st->name;
	}
	return PQexecPrepared(pg->conn, st->name, st->nparams, values, lengths, formats, 0);
}

/*
 * True when no transaction could be lost by reconnecting: neither the
 * caller's (begin) nor a unit's is open. libpq's own view is consulted too,
 * and reads UNKNOWN once the connection is broken.
 */
static bool outside_tx(const struct lk_pg *pg)
{
	PGTransactionStatusType ts = PQtransactionStatus(pg->conn);

	return !pg->in_tx && pg->savepoints == 0 && (ts == PQTRANS_IDLE || ts == PQTRANS_UNKNOWN);
}

/*
 * Reconnects with the same parameters, which include the session settings
 * (pg.c puts them in the connection options); the prepared statements went
 * with the old session.
 */
static enum lk_err reconnect(struct lk_pg *pg)
{
	const char *msg;

	forget_prepared(pg);
	PQreset(pg->conn);
	if (PQstatus(pg->conn) != CONNECTION_OK) {
		/* Only the first line: the others are hints, and log lines are single. */
		msg = PQerrorMessage(pg->conn);
		lk_error("postgres: cannot reconnect: %.*s", (int)strcspn(msg, "\n"), msg);
		return LK_ESTORE;
	}
	lk_warn("postgres: the connection was lost; reconnected");
	return LK_OK;
}

enum lk_err lk_pg_run(struct lk_pg *pg, const struct lk_pg_stmt *st,
		      const struct lk_pg_params *params, PGresult **res)
{
	int n = params ? params->n : 0;
	bool may_retry;
	PGresult *r = NULL;
	enum lk_err err;

	if (n != st->nparams || n > LK_PG_MAX_PARAMS) {
		lk_error("postgres: %s: %d parameters bound, %d expected", st->name, n,
			 st->nparams);
		return LK_EINTERNAL;
	}
	/* Decided before the statement: a broken connection no longer knows. */
	may_retry = outside_tx(pg);
	for (int attempt = 0; attempt < 2; attempt++) {
		if (PQstatus(pg->conn) == CONNECTION_BAD) {
			if (!may_retry)
				break;
			err = reconnect(pg);
			if (err)
				return err;
		}
		r = execute(pg, st, params);
		if (result_ok(r)) {
			*res = r;
			return LK_OK;
		}
		if (attempt > 0 || !may_retry)
			break;
		/*
		 * The connection died under this statement: once more on a new
		 * one. Or a pooler or DISCARD dropped the prepared statements:
		 * prepare again.
		 */
		if (PQstatus(pg->conn) == CONNECTION_BAD ||
		    strcmp(sqlstate(r), SQLSTATE_NO_PREPARED) == 0) {
			forget_prepared(pg);
			PQclear(r);
			r = NULL;
			continue;
		}
		break;
	}
	err = fail(pg, r, st->name);
	PQclear(r);
	return err;
}

enum lk_err lk_pg_exec(struct lk_pg *pg, const struct lk_pg_stmt *st,
		       const struct lk_pg_params *params, int64_t *changed)
{
	PGresult *r = NULL;
	enum lk_err err = lk_pg_run(pg, st, params, &r);
	const char *tuples;

	if (err)
		return err;
	/* "" for a statement that reports no count. */
	tuples = PQcmdTuples(r);
	if (changed)
		*changed = tuples[0] ? strtoll(tuples, NULL, 10) : 0;
	PQclear(r);
	return LK_OK;
}

/* Logs a cell that holds what the schema does not allow there; LK_ESTORE. */
static enum lk_err bad_cell(const PGresult *r, int col, const char *why)
{
	const char *name = PQfname(r, col);

	lk_error("postgres: column %s %s", name ? name : "?", why);
	return LK_ESTORE;
}

enum lk_err lk_pg_get_text(const PGresult *r, int row, int col, char **out)
{
	int n;
	char *copy;

	if (PQgetisnull(r, row, col))
		return bad_cell(r, col, "holds NULL");
	n = PQgetlength(r, row, col);
	copy = malloc((size_t)n + 1);
	if (!copy)
		return LK_ENOMEM;
	memcpy(copy, PQgetvalue(r, row, col), (size_t)n);
	copy[n] = '\0';
	*out = copy;
	return LK_OK;
}

/* Text format integers are decimal; NULL, which the schema forbids, reads as 0. */
int64_t lk_pg_get_int(const PGresult *r, int row, int col)
{
	if (PQgetisnull(r, row, col))
		return 0;
	return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

/* A flag is SMALLINT (nonzero is true); a BOOLEAN arrives as "t" or "f". */
bool lk_pg_get_bool(const PGresult *r, int row, int col)
{
	const char *v;

	if (PQgetisnull(r, row, col))
		return false;
	v = PQgetvalue(r, row, col);
	if (v[0] == 't')
		return true;
	return strtoll(v, NULL, 10) != 0;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Checks that a cell is bytea in hex output ("\x" and an even number of hex
 * digits) and returns its decoded length. Checking everything before
 * decoding lets the callers write their output only on success.
 */
static enum lk_err bytea_len(const PGresult *r, int row, int col, size_t *len)
{
	const char *v;
	int n;

	if (PQgetisnull(r, row, col))
		return bad_cell(r, col, "holds NULL");
	v = PQgetvalue(r, row, col);
	n = PQgetlength(r, row, col);
	if (n < 2 || v[0] != '\\' || v[1] != 'x' || n % 2 != 0)
		return bad_cell(r, col, "is not bytea");
	for (int i = 2; i < n; i++) {
		if (hex_digit(v[i]) < 0)
			return bad_cell(r, col, "is not bytea");
	}
	*len = (size_t)(n - 2) / 2;
	return LK_OK;
}

static void hex_decode(const char *hex, size_t len, unsigned char *out)
{
	for (size_t i = 0; i < len; i++)
		out[i] = (unsigned char)(hex_digit(hex[2 * i]) << 4 | hex_digit(hex[2 * i + 1]));
}

enum lk_err lk_pg_get_bytes(const PGresult *r, int row, int col, void *out, size_t len)
{
	size_t have = 0;
	enum lk_err err = bytea_len(r, row, col, &have);

	if (err)
		return err;
	if (have != len)
		return bad_cell(r, col, "has the wrong length");
	hex_decode(PQgetvalue(r, row, col) + 2, len, out);
	return LK_OK;
}

enum lk_err lk_pg_get_bytes_dup(const PGresult *r, int row, int col, unsigned char **out,
				size_t *len)
{
	size_t n = 0;
	unsigned char *copy;
	enum lk_err err = bytea_len(r, row, col, &n);

	if (err)
		return err;
	/* One byte more, so that an empty value is not a NULL pointer. */
	copy = malloc(n + 1);
	if (!copy)
		return LK_ENOMEM;
	hex_decode(PQgetvalue(r, row, col) + 2, n, copy);
	copy[n] = 0;
	*out = copy;
	*len = n;
	return LK_OK;
}

static const struct lk_pg_stmt unit_begin_tx = {"unit_begin", "BEGIN", 0};
static const struct lk_pg_stmt unit_commit = {"unit_commit", "COMMIT", 0};
static const struct lk_pg_stmt unit_rollback = {"unit_rollback", "ROLLBACK", 0};
static const struct lk_pg_stmt unit_savepoint = {"unit_savepoint", "SAVEPOINT lk_unit", 0};
static const struct lk_pg_stmt unit_release = {"unit_release", "RELEASE SAVEPOINT lk_unit", 0};
static const struct lk_pg_stmt unit_rollback_to = {"unit_rollback_to",
						   "ROLLBACK TO SAVEPOINT lk_unit", 0};

/*
 * A unit opens the transaction when none is open (no caller's transaction,
 * no unit around it), else a savepoint. Savepoints of one name nest: RELEASE
 * and ROLLBACK TO act on the innermost. The end commits or releases on
 * success; on failure it undoes what the unit did and leaves the caller's
 * transaction, if any, usable: PostgreSQL aborts a whole transaction on any
 * failed statement, and only the rollback to the savepoint revives it.
 */
enum lk_err lk_pg_unit_begin(struct lk_pg *pg)
{
	bool outer = !pg->in_tx && pg->savepoints == 0;
	enum lk_err err = lk_pg_exec(pg, outer ? &unit_begin_tx : &unit_savepoint, NULL, NULL);

	if (!err)
		pg->savepoints++;
	return err;
}

/*
 * COMMIT of a transaction that a failed statement aborted answers ROLLBACK,
 * without an error: that is a failure here.
 */
static enum lk_err commit(struct lk_pg *pg)
{
	PGresult *r = NULL;
	enum lk_err err = lk_pg_run(pg, &unit_commit, NULL, &r);

	if (err)
		return err;
	if (strcmp(PQcmdStatus(r), "COMMIT") != 0) {
		lk_error("postgres: a unit's transaction was rolled back, not committed");
		err = LK_ESTORE;
	}
	PQclear(r);
	return err;
}

enum lk_err lk_pg_unit_end(struct lk_pg *pg, enum lk_err err)
{
	if (pg->savepoints <= 0) {
		lk_error("postgres: a unit ended that had not begun");
		return err ? err : LK_EINTERNAL;
	}
	pg->savepoints--;
	if (pg->savepoints == 0 && !pg->in_tx) {
		if (!err)
			return commit(pg);
		lk_pg_exec(pg, &unit_rollback, NULL, NULL);
		return err;
	}
	if (!err)
		return lk_pg_exec(pg, &unit_release, NULL, NULL);
	if (!lk_pg_exec(pg, &unit_rollback_to, NULL, NULL))
		lk_pg_exec(pg, &unit_release, NULL, NULL);
	return err;
}

enum lk_err lk_pg_get_texts(const PGresult *r, const struct lk_pg_text_col *c, size_t n)
{
	enum lk_err err = LK_OK;

	for (size_t i = 0; i < n && !err; i++)
		err = lk_pg_get_text(r, 0, c[i].col, c[i].out);
	return err;
}
