/*
 * One list of error codes and their messages. The enum and the message table
 * are both generated from LK_ERR_LIST, so code and text never drift apart.
 */
#ifndef LK_CORE_ERR_H
#define LK_CORE_ERR_H

#define LK_ERR_LIST(X)                                                        \
	X(LK_OK, "success")                                                   \
	X(LK_ENOMEM, "out of memory")                                         \
	X(LK_EINVAL, "invalid argument")                                      \
	X(LK_ETOOBIG, "input exceeds its size limit")                         \
	X(LK_ETOOMANY, "too many items")                                      \
	X(LK_EPARSE, "malformed input")                                       \
	X(LK_EDUP, "parameter given more than once")                          \
	X(LK_ENOTFOUND, "not found")                                          \
	X(LK_EEXIST, "already exists")                                        \
	X(LK_EIO, "input/output error")                                       \
	X(LK_ESTORE, "database error")                                        \
	X(LK_ESTORE_VERSION, "database schema is newer than this program")   \
	X(LK_ECRYPTO, "cryptographic operation failed")                       \
	X(LK_EKEY, "master key missing or wrong")                             \
	X(LK_ECONFIG, "invalid configuration")                                \
	X(LK_EUSAGE, "usage error")                                           \
	X(LK_EBUSY, "resource busy")                                          \
	X(LK_ESTATE, "operation not allowed in the current state")           \
	X(LK_EEXPIRED, "expired")                                             \
	X(LK_EDENIED, "access denied")                                        \
	X(LK_EINTERNAL, "internal error")

enum lk_err {
#define LK_ERR_ENUM(name, msg) name,
	LK_ERR_LIST(LK_ERR_ENUM)
#undef LK_ERR_ENUM
	LK_ERR__COUNT
};

/* The message for an error code; never NULL, static storage. */
const char *lk_err_str(enum lk_err err);

/* The symbolic name of an error code ("LK_ENOMEM"); never NULL. */
const char *lk_err_name(enum lk_err err);

#endif
