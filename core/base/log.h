/* log.h - logging through the env; a message above env->log_level is never formatted. */
#ifndef DTT_BASE_LOG_H
#define DTT_BASE_LOG_H

#include "env.h"

#if defined(__GNUC__)
#define DTT_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define DTT_PRINTF(a, b)
#endif

#define DTT_LOG_MSG_MAX 512

void dtt_log(const struct dtt_env *env, int level, const char *module, const char *fmt, ...)
	DTT_PRINTF(4, 5);

#define dtt_log_error(env, mod, ...) dtt_log((env), DTT_LOG_ERROR, (mod), __VA_ARGS__)
#define dtt_log_warn(env, mod, ...) dtt_log((env), DTT_LOG_WARN, (mod), __VA_ARGS__)
#define dtt_log_info(env, mod, ...) dtt_log((env), DTT_LOG_INFO, (mod), __VA_ARGS__)
#define dtt_log_debug(env, mod, ...) dtt_log((env), DTT_LOG_DEBUG, (mod), __VA_ARGS__)

/* Name of a level ("error", "warn", ...), and the level for a name (or -1). */
const char *dtt_log_level_name(int level);
int dtt_log_level_parse(const char *name);

#endif
