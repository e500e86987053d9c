/* fake_env.h - a deterministic env for unit tests: a manual clock, captured datagrams and a
 * seeded random stream. */
#ifndef DTT_TESTS_FAKE_ENV_H
#define DTT_TESTS_FAKE_ENV_H

#include "env.h"
#include "rng.h"

#define FAKE_ENV_SENT_MAX 256
#define FAKE_ENV_DGRAM_MAX 2048

struct fake_dgram {
	struct dtt_addr to;
	size_t len;
	uint8_t buf[FAKE_ENV_DGRAM_MAX];
};

struct fake_env {
	struct dtt_env env;
	uint64_t now_ms;
	int64_t wall_ms;
	struct dtt_rng rng;
	struct fake_dgram sent[FAKE_ENV_SENT_MAX];
	size_t sent_count;
	int send_result;  /* what send returns (set to an error to simulate failures) */
	size_t log_count; /* log lines received */
	char last_log[512];
};

/* Initialises with the clock at now_ms, the wall clock at wall_ms and a seeded stream. */
void fake_env_init(struct fake_env *f, uint64_t seed, uint64_t now_ms, int64_t wall_ms);
/* Advances both clocks by ms. */
void fake_env_advance(struct fake_env *f, uint64_t ms);
void fake_env_clear_sent(struct fake_env *f);

#endif
