/* purity_planted.c - a library that breaks the seam on purpose: the purity check must reject
 * it (test purity_catches_planted_call). Never linked into anything. */
#include <time.h>

long dtt_planted_clock(void);

long dtt_planted_clock(void)
{
	return (long)time(NULL);
}
