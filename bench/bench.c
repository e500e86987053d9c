/* bench.c - dtt-bench: operations per second of the primitives behind records (record seal and
 * open, ed25519 sign and strict verify, X25519), printed, never asserted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "record.h"
#include "rng.h"

static struct dtt_rng rng;

static uint64_t bench_now(void *ctx)
{
	(void)ctx;
	return 0;
}

static int64_t bench_wall(void *ctx)
{
	(void)ctx;
	return 0;
}

static void bench_random(void *ctx, uint8_t *b, size_t n)
{
	(void)ctx;
	dtt_rng_fill(&rng, b, n);
}

static const struct dtt_env_ops ops = {.now_ms = bench_now, .wall_ms = bench_wall,
				       .random = bench_random};
static const struct dtt_env env = {.ops = &ops};

static double seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs fn until min_s seconds have passed; prints ops/s and microseconds per op. */
#define BENCH(name, min_s, body)                                                                 \
	do {                                                                                     \
		double t0 = seconds(), t;                                                        \
		long n_ = 0;                                                                     \
		do {                                                                             \
			for (int i_ = 0; i_ < 64; i_++) {                                        \
				body;                                                            \
			}                                                                        \
			n_ += 64;                                                                \
			t = seconds() - t0;                                                      \
		} while (t < (min_s));                                                           \
		printf("%-22s %10.0f ops/s %9.2f us/op\n", name, n_ / t, t * 1e6 / n_);          \
	} while (0)

int main(int argc, char **argv)
{
	double min_s = argc > 1 ? atof(argv[1]) : 1.0;
	uint8_t seed[32] = {1}, pk[32], sk[64], sig[64], msg[392] = {2}, x[32], xs[32] = {3};
	uint8_t topic[32], secret_hash[32], enc_seed[32], content[DTT_GOSSIP_CONTENT_BYTES] = {4};
	uint8_t value[DTT_ENCRYPTED_RECORD_MAX];
	struct dtt_record rec, out;
	volatile int sink = 0;
	int n;

	if (min_s <= 0)
		min_s = 1.0;
	if (dtt_crypto_init())
		return 1;
	dtt_rng_seed(&rng, 42);
	dtt_ed25519_seed_keypair(pk, sk, seed);
	dtt_ed25519_sign(sig, msg, sizeof(msg), sk);
	dtt_x25519_base(x, xs);
	dtt_topic_hash(topic, "bench", 5);
	dtt_secret_hash(secret_hash, "secret", 6);
	dtt_rotation_default(NULL, enc_seed, topic, 29000000, secret_hash);
	dtt_record_make(&rec, topic, 29000000, content, sizeof(content), sk);
	n = dtt_record_seal(&env, &rec, enc_seed, value, sizeof(value));
	if (n != DTT_GOSSIP_ENCRYPTED_BYTES) {
		fprintf(stderr, "dtt-bench: seal failed (%d)\n", n);
		return 1;
	}

	printf("dtt-bench: %.1f s per figure\n", min_s);
	BENCH("ed25519 sign", min_s, dtt_ed25519_sign(sig, msg, sizeof(msg), sk));
	BENCH("ed25519 verify", min_s, sink += dtt_ed25519_verify(sig, msg, sizeof(msg), pk));
	BENCH("x25519", min_s, sink += dtt_x25519(x, xs, x));
	BENCH("record seal (604 B)", min_s,
	      sink += dtt_record_seal(&env, &rec, enc_seed, value, sizeof(value)));
	n = dtt_record_seal(&env, &rec, enc_seed, value, sizeof(value));
	BENCH("record open+verify", min_s,
	      sink += dtt_record_open(&out, value, (size_t)n, enc_seed, topic, 29000000, NULL));
	(void)sink;
	return 0;
}
