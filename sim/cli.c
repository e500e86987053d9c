/* cli.c - argument parsing shared by dtt-sim's commands. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int dtt_sim_usage_error(const char *usage, const char *fmt, const char *arg)
{
	fprintf(stderr, DTT_SIM_PROG ": ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n\n%s", usage);
	return DTT_SIM_EXIT_USAGE;
}

bool dtt_sim_parse_u64(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

bool dtt_sim_parse_seeds(const char *s, uint64_t *lo, uint64_t *hi)
{
	const char *dots = strstr(s, "..");
	char a[32];

	if (!dots)
		return dtt_sim_parse_u64(s, lo) && (*hi = *lo, true);
	if ((size_t)(dots - s) >= sizeof(a))
		return false;
	memcpy(a, s, (size_t)(dots - s));
	a[dots - s] = 0;
	return dtt_sim_parse_u64(a, lo) && dtt_sim_parse_u64(dots + 2, hi) && *lo <= *hi;
}
