/*
 * libpq, loaded when the first PostgreSQL connection is opened rather than
 * at start: a server on SQLite then never maps libpq and its Kerberos, LDAP
 * and SASL dependencies, about a megabyte of resident memory (DESIGN §7's
 * idle-memory budget). The PostgreSQL backend includes this header instead
 * of <libpq-fe.h>: each function it calls is a pointer here, filled by
 * lk_pq_load, and the names below point the calls at them, so the backend
 * reads as plain libpq.
 */
#ifndef LK_STORE_PQ_LIB_H
#define LK_STORE_PQ_LIB_H

#include <libpq-fe.h>

#include "core/err.h"

/* The shared object of Debian's libpq5 package. */
#define LK_PQ_SONAME "libpq.so.5"

#define LK_PQ_FUNCS(X)                                                                             \
	X(PQclear)                                                                                 \
	X(PQcmdStatus)                                                                             \
	X(PQcmdTuples)                                                                             \
	X(PQconnectdbParams)                                                                       \
	X(PQconninfoFree)                                                                          \
	X(PQconninfoParse)                                                                         \
	X(PQerrorMessage)                                                                          \
	X(PQexec)                                                                                  \
	X(PQexecParams)                                                                            \
	X(PQexecPrepared)                                                                          \
	X(PQfinish)                                                                                \
	X(PQfname)                                                                                 \
	X(PQfreemem)                                                                               \
	X(PQgetisnull)                                                                             \
	X(PQgetlength)                                                                             \
	X(PQgetvalue)                                                                              \
	X(PQnfields)                                                                               \
	X(PQntuples)                                                                               \
	X(PQprepare)                                                                               \
	X(PQreset)                                                                                 \
	X(PQresultErrorField)                                                                      \
	X(PQresultErrorMessage)                                                                    \
	X(PQresultStatus)                                                                          \
	X(PQserverVersion)                                                                         \
	X(PQsetNoticeProcessor)                                                                    \
	X(PQstatus)                                                                                \
	X(PQtransactionStatus)

struct lk_pq_lib {
#define LK_PQ_POINTER(f) __typeof__(f) *f;
	LK_PQ_FUNCS(LK_PQ_POINTER)
#undef LK_PQ_POINTER
};

/* Filled by lk_pq_load; read only after it succeeded. */
extern struct lk_pq_lib lk_pq;

/*
 * Loads libpq once per process (later calls return the first result).
 * LK_ENOTFOUND, logged with the loader's reason, when it or one of its
 * functions is missing.
 */
enum lk_err lk_pq_load(void);

#ifndef LK_PQ_LIB_IMPL
#define PQclear (lk_pq.PQclear)
#define PQcmdStatus (lk_pq.PQcmdStatus)
#define PQcmdTuples (lk_pq.PQcmdTuples)
#define PQconnectdbParams (lk_pq.PQconnectdbParams)
#define PQconninfoFree (lk_pq.PQconninfoFree)
#define PQconninfoParse (lk_pq.PQconninfoParse)
#define PQerrorMessage (lk_pq.PQerrorMessage)
#define PQexec (lk_pq.PQexec)
#define PQexecParams (lk_pq.PQexecParams)
#define PQexecPrepared (lk_pq.PQexecPrepared)
#define PQfinish (lk_pq.PQfinish)
#define PQfname (lk_pq.PQfname)
#define PQfreemem (lk_pq.PQfreemem)
#define PQgetisnull (lk_pq.PQgetisnull)
#define PQgetlength (lk_pq.PQgetlength)
#define PQgetvalue (lk_pq.PQgetvalue)
#define PQnfields (lk_pq.PQnfields)
#define PQntuples (lk_pq.PQntuples)
#define PQprepare (lk_pq.PQprepare)
#define PQreset (lk_pq.PQreset)
#define PQresultErrorField (lk_pq.PQresultErrorField)
#define PQresultErrorMessage (lk_pq.PQresultErrorMessage)
#define PQresultStatus (lk_pq.PQresultStatus)
#define PQserverVersion (lk_pq.PQserverVersion)
#define PQsetNoticeProcessor (lk_pq.PQsetNoticeProcessor)
#define PQstatus (lk_pq.PQstatus)
#define PQtransactionStatus (lk_pq.PQtransactionStatus)
#endif

#endif
