/* fuzz.h - what every libFuzzer target here shares: CHECK, an always-on assertion that aborts
 * (so libFuzzer keeps the input), and the entry point's prototype. */
#ifndef DTT_FUZZ_H
#define DTT_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define CHECK(x)                                                                                   \
	do {                                                                                       \
		if (!(x))                                                                          \
			abort();                                                                   \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
