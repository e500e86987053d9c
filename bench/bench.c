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

static const char usage[] =
	"usage: dtt-bench [SECONDS]\n"
	"\n"
	"Prints operations per second of the primitives behind records: ed25519 sign and strict\n"
	"verify, X25519, record seal (604-byte gossip record) and record open (both HPKE layers\n"
	"and the signature). Each figure runs for at least SECONDS (default 1, at most 60).\n"
	"Figures are printed, never asserted; compare them on an otherwise idle machine.\n";

/* SECONDS from argv, or -1 after printing why (2 = bad usage, 0 = --help). */
static double parse_seconds(int argc, char **argv, int *status)
{
	char *end;
	double s;

	if (argc == 1)
		return 1.0;
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(usage, stdout);
		*status = 0;
		return -1;
	}
	if (argc == 2) {
		s = strtod(argv[1], &end);
		if (end != argv[1] && *end == '\0' && s > 0 && s <= 60)
			return s;
	}
	if (argc == 2)
		fprintf(stderr, "dtt-bench: expected SECONDS from 0 to 60, got '%s'\n", argv[1]);
	else
		fprintf(stderr, "dtt-bench: unexpected argument '%s'\n", argv[2]);
	fputs(usage, stderr);
	*status = 2;
	return -1;
}

int main(int argc, char **argv)
{
	int status = 0;
	double min_s = parse_seconds(argc, argv, &status);
	uint8_t seed[32] = {1}, pk[32], sk[64], sig[64], msg[392] = {2}, x[32], xs[32] = {3};
	uint8_t topic[32], secret_hash[32], enc_seed[32], content[DTT_GOSSIP_CONTENT_BYTES] = {4};
	uint8_t value[DTT_ENCRYPTED_RECORD_MAX];
	struct dtt_record rec, out;
	volatile int sink = 0;
	int n;

	if (min_s < 0)
		return status;
	if (dtt_crypto_init())
		return 1;
	dtt_rng_seed(&rng, 42);
	dtt_ed25519_seed_keypair(pk, sk, seed);
	dtt_ed25519_sign(sig, msg, sizeof(msg), sk);
	dtt_x25519_base(x, xs);
	dtt_topic_hash(topic, "bench", 5);
	dtt_secret_hash(secret_hash, "secret", 6);
	dtt_rotation_default(NULL, enc_seed, topic, 29000000, secret_hash);
	dtt_record_make(NULL, &rec, topic, 29000000, content, sizeof(content), sk);
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
	      sink += dtt_record_open(NULL, &out, value, (size_t)n, enc_seed, topic, 29000000, NULL));
	(void)sink;
	return 0;
}
