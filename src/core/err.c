#include "core/err.h"

static const char *const messages[] = {
#define LK_ERR_MSG(name, msg) msg,
	LK_ERR_LIST(LK_ERR_MSG)
#undef LK_ERR_MSG
};

static const char *const names[] = {
#define LK_ERR_NAME(name, msg) #name,
	LK_ERR_LIST(LK_ERR_NAME)
#undef LK_ERR_NAME
};

const char *lk_err_str(enum lk_err err)
{
	if ((unsigned)err >= LK_ERR__COUNT)
		return "unknown error";
	return messages[err];
}

const char *lk_err_name(enum lk_err err)
{
	if ((unsigned)err >= LK_ERR__COUNT)
		return "LK_E?";
	return names[err];
}
