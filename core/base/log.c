/* log.c - formats log lines and hands them to env->ops->log. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const names[] = {"error", "warn", "info", "debug", "trace"};
_Static_assert(sizeof(names) / sizeof(names[0]) == DTT_LOG_TRACE + 1, "one name per level");

void dtt_log(const struct dtt_env *env, int level, const char *module, const char *fmt, ...)
{
	char msg[DTT_LOG_MSG_MAX];
	va_list ap;

	if (!env || !env->ops->log || level > env->log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	env->ops->log(env->ctx, level, module, msg);
}

const char *dtt_log_level_name(int level)
{
	if (level < 0 || level > DTT_LOG_TRACE)
		return "?";
	return names[level];
}

int dtt_log_level_parse(const char *name)
{
	for (int i = 0; i <= DTT_LOG_TRACE; i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return -1;
}
