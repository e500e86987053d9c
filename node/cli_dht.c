/* cli_dht.c - `dtt-node dht serve|get|put`: a plain mainline DHT node and a BEP 44 client. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "bep44.h"
#include "cli.h"
#include "err.h"
#include "hex.h"
#include "loop.h"

#define BOOTSTRAP_MAX 64

static const char usage[] =
	"usage: dtt-node dht serve [--port P] [--bind ADDR] [--bootstrap HOST:PORT,...]\n"
	"                          [--metrics HOST:PORT]\n"
	"       dtt-node dht get [--bootstrap ...] --pubkey HEX32 --salt HEX [--timeout SECONDS]\n"
	"       dtt-node dht put [--bootstrap ...] --key HEX32 --salt HEX --seq N --value HEX\n"
	"                        [--cas N] [--timeout SECONDS]\n"
	"\n"
	"serve  runs a DHT node (BEP 5 + BEP 44 storage) until SIGINT/SIGTERM. Prints one JSON\n"
	"       line {\"id\",\"addr\"} when ready. --port defaults to 6881 (0: any free port),\n"
	"       --bind to 0.0.0.0. --metrics serves its counters in the Prometheus text format\n"
	"       on http://HOST:PORT/metrics; SIGUSR1 prints them as one JSON line on stderr.\n"
	"get    looks up the BEP 44 mutable item (pubkey, salt) and prints one JSON line per\n"
	"       distinct value found: {\"seq\",\"value\" (hex of the stored byte string),\"from\"}.\n"
	"       Exit status 0 if a value was found, 1 if not.\n"
	"put    signs (--key is the ed25519 seed) and stores --value (raw bytes, stored as a\n"
	"       bencoded byte string, at most 1000 bytes encoded) under (pubkey, --salt) with\n"
	"       --seq, and prints how many nodes stored it. Exit status 0 if at least one did.\n"
	"\n"
	"--bootstrap defaults to the public routers (" DTT_PUBLIC_BOOTSTRAP ").\n"
	"--timeout bounds the whole command (default 30 s for get and put). get and put run as\n"
	"read-only clients (BEP 43) on an ephemeral port unless --port is given.\n";

struct dht_args {
	const char *bootstrap;
	const char *bind;
	const char *metrics;
	long port;
	bool has_pubkey, has_key, has_seq, has_cas, has_value, has_salt;
	uint8_t pubkey[32], key[32];
	uint8_t salt[DTT_BEP44_SALT_MAX];
	size_t salt_len;
	int64_t seq, cas;
	uint8_t value[DTT_BEP44_V_MAX];
	size_t value_len;
	uint64_t timeout_s;
};

static volatile sig_atomic_t stop_flag;

static bool parse_i64(int64_t *out, const char *opt, const char *arg)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(arg, &end, 10);
	if (!*arg || *end || errno) {
		cli_error("%s: expected an integer, got '%s'", opt, arg);
		return false;
	}
	*out = v;
	return true;
}

static int parse(int argc, char **argv, struct dht_args *a)
{
	static const struct option opts[] = {
		{"bootstrap", required_argument, NULL, 'b'}, {"bind", required_argument, NULL, 'B'},
		{"port", required_argument, NULL, 'p'},      {"pubkey", required_argument, NULL, 'P'},
		{"key", required_argument, NULL, 'k'},       {"salt", required_argument, NULL, 's'},
		{"seq", required_argument, NULL, 'q'},       {"cas", required_argument, NULL, 'c'},
		{"value", required_argument, NULL, 'v'},     {"timeout", required_argument, NULL, 't'},
		{"metrics", required_argument, NULL, 'M'},   {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	uint64_t u;
	long n;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'b': a->bootstrap = optarg; break;
		case 'B': a->bind = optarg; break;
		case 'M': a->metrics = optarg; break;
		case 'p':
			if (!cli_u64(&u, "--port", optarg) || u > 65535) {
				cli_error("--port: expected 0..65535");
				return CLI_EXIT_USAGE;
			}
			a->port = (long)u;
			break;
		case 'P':
			if (!cli_hex_exact(a->pubkey, 32, "--pubkey", optarg))
				return CLI_EXIT_USAGE;
			a->has_pubkey = true;
			break;
		case 'k':
			if (!cli_hex_exact(a->key, 32, "--key", optarg))
				return CLI_EXIT_USAGE;
			a->has_key = true;
			break;
		case 's':
			n = dtt_hex_decode(a->salt, sizeof(a->salt), optarg, strlen(optarg));
			if (n < 0) {
				cli_error("--salt: expected hex of at most %d bytes", DTT_BEP44_SALT_MAX);
				return CLI_EXIT_USAGE;
			}
			a->salt_len = (size_t)n;
			a->has_salt = true;
			break;
		case 'q':
			if (!parse_i64(&a->seq, "--seq", optarg))
				return CLI_EXIT_USAGE;
			a->has_seq = true;
			break;
		case 'c':
			if (!parse_i64(&a->cas, "--cas", optarg))
				return CLI_EXIT_USAGE;
			a->has_cas = true;
			break;
		case 'v':
			n = dtt_hex_decode(a->value, sizeof(a->value), optarg, strlen(optarg));
			if (n < 0) {
				cli_error("--value: expected hex of at most %d bytes", DTT_BEP44_V_MAX);
				return CLI_EXIT_USAGE;
			}
			a->value_len = (size_t)n;
			a->has_value = true;
			break;
		case 't':
			if (!cli_u64(&a->timeout_s, "--timeout", optarg) || a->timeout_s == 0 ||
			    a->timeout_s > 86400) {
				cli_error("--timeout: expected 1..86400 seconds");
				return CLI_EXIT_USAGE;
			}
			break;
		case 'h': fputs(usage, stdout); return -1;
		default:
			cli_error("dht: unknown or incomplete option '%s'", argv[optind - 1]);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		cli_error("dht: unexpected argument '%s'", argv[optind]);
		return CLI_EXIT_USAGE;
	}
	return 0;
}

/* --- serve --- */

static void serve_bootstrapped(void *ctx, int status, size_t nodes)
{
	(void)ctx;
	fprintf(stderr, "dtt-node: bootstrap %s, %zu nodes in the routing table\n",
		status ? dtt_strerror(status) : "done", nodes);
}

/* Sets up the loop on --bind/--port and starts bootstrapping from --bootstrap. */
static int start(struct dtt_loop *l, struct dht_args *a, bool read_only, struct dtt_addr *boot,
		 int *boot_n, void (*cb)(void *, int, size_t), void *ctx)
{
	struct dtt_node_config cfg;
	struct dtt_addr bind_addr;
	char s[300];
	int err;

	*boot_n = dtt_loop_parse_nodes(a->bootstrap ? a->bootstrap : DTT_PUBLIC_BOOTSTRAP, boot,
				       BOOTSTRAP_MAX);
	if (*boot_n < 0)
		return CLI_EXIT_USAGE;
	snprintf(s, sizeof(s), "%s:%ld", a->bind ? a->bind : "0.0.0.0", a->port);
	if (dtt_addr_parse(&bind_addr, s)) {
		cli_error("--bind: expected a numeric IP address, got '%s'", a->bind);
		return CLI_EXIT_USAGE;
	}
	dtt_node_config_init(&cfg);
	cfg.dht.read_only = read_only;
	if (dtt_loop_init(l, &bind_addr, &cfg, NULL))
		return CLI_EXIT_FAIL;
	dtt_loop_catch_signals(&stop_flag);
	if (*boot_n == 0) {
		/* the first node of a swarm: others bootstrap from it */
		if (cb == serve_bootstrapped) {
			fprintf(stderr, "dtt-node: no bootstrap nodes; waiting to be contacted\n");
			return 0;
		}
		cli_error("--bootstrap: at least one node is needed");
		dtt_loop_deinit(l);
		return CLI_EXIT_USAGE;
	}
	err = dtt_dht_bootstrap(dtt_node_dht(l->node), boot, (size_t)*boot_n, cb, ctx);
	if (err) {
		cli_error("bootstrap: %s", dtt_strerror(err));
		dtt_loop_deinit(l);
		return CLI_EXIT_FAIL;
	}
	return 0;
}

static int cmd_serve(struct dht_args *a)
{
	struct dtt_addr boot[BOOTSTRAP_MAX];
	const struct dtt_dht_stats *st;
	struct dtt_loop l;
	char s[DTT_ADDR_STR_MAX];
	int n, rc, err;

	if (a->port < 0)
		a->port = 6881;
	rc = start(&l, a, false, boot, &n, serve_bootstrapped, NULL);
	if (rc)
		return rc;
	if (a->metrics && (err = dtt_loop_serve_metrics(&l, a->metrics))) {
		dtt_loop_deinit(&l);
		return err == DTT_ERR_INVALID ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
	}
	printf("{\"id\":\"");
	cli_print_hex(stdout, dtt_dht_id(dtt_node_dht(l.node)), 20);
	printf("\",\"addr\":\"%s\"}\n", dtt_addr_str(&l.local, s));
	fflush(stdout);
	dtt_loop_run(&l, &stop_flag, NULL, NULL, UINT64_MAX);
	st = dtt_dht_stats(dtt_node_dht(l.node));
	fprintf(stderr, "dtt-node: stopping; %zu nodes known, %llu datagrams in, %llu out\n",
		dtt_dht_node_count(dtt_node_dht(l.node)), (unsigned long long)st->datagrams_in,
		(unsigned long long)st->datagrams_out);
	dtt_loop_deinit(&l);
	return CLI_EXIT_OK;
}

/* --- get and put: bootstrap, then one operation --- */

struct op_state {
	struct dht_args *a;
	struct dtt_loop *l;
	bool bootstrapped, finished;
	int status;
	size_t values;
	uint64_t datagrams_start; /* datagrams sent before the operation started */
	uint64_t op_datagrams;    /* datagrams the operation sent */
	struct dtt_dht_put_result put;
	uint8_t target[20];
};

static bool op_finished(void *ctx)
{
	return ((struct op_state *)ctx)->finished;
}

static bool op_bootstrapped(void *ctx)
{
	return ((struct op_state *)ctx)->bootstrapped;
}

static void op_boot_done(void *ctx, int status, size_t nodes)
{
	struct op_state *o = ctx;

	(void)status;
	(void)nodes;
	o->bootstrapped = true;
}

static void get_value(void *ctx, const struct dtt_dht_value *v)
{
	struct op_state *o = ctx;
	char s[DTT_ADDR_STR_MAX];

	o->values++;
	printf("{\"seq\":%lld,\"value\":\"", (long long)v->seq);
	if (v->str)
		cli_print_hex(stdout, v->str, v->str_len);
	else
		cli_print_hex(stdout, v->v, v->v_len); /* not a byte string: its bencoding */
	printf("\",\"from\":\"%s\"}\n", dtt_addr_str(&v->from, s));
	fflush(stdout);
}

static void get_done(void *ctx, const struct dtt_dht_get_result *res)
{
	struct op_state *o = ctx;

	o->status = res->status;
	o->finished = true;
	fprintf(stderr,
		"{\"get\":\"%s\",\"values\":%zu,\"responded\":%zu,\"queried\":%zu,"
		"\"elapsed_ms\":%llu,\"datagrams\":%llu}\n",
		res->status ? dtt_strerror(res->status) : "done", res->values, res->responded,
		res->queried, (unsigned long long)res->elapsed_ms,
		(unsigned long long)(dtt_dht_stats(dtt_node_dht(o->l->node))->datagrams_out -
				     o->datagrams_start));
}

static void put_done(void *ctx, const struct dtt_dht_put_result *res)
{
	struct op_state *o = ctx;

	o->put = *res;
	o->status = res->status;
	o->op_datagrams = dtt_dht_stats(dtt_node_dht(o->l->node))->datagrams_out -
			  o->datagrams_start;
	o->finished = true;
}

static int run_op(struct dht_args *a, bool is_put)
{
	struct dtt_addr boot[BOOTSTRAP_MAX];
	struct op_state o = {.a = a};
	uint8_t v[DTT_BEP44_V_MAX + 8], pk[32], sk[64];
	struct dtt_loop l;
	uint64_t deadline;
	int64_t op;
	size_t v_len = 0;
	int n, rc;

	if (a->metrics) {
		cli_error("dht %s: --metrics is for serve (and join)", is_put ? "put" : "get");
		return CLI_EXIT_USAGE;
	}
	if (is_put) {
		if (!a->has_key || !a->has_salt || !a->has_seq || !a->has_value) {
			cli_error("dht put: --key, --salt, --seq and --value are required");
			return CLI_EXIT_USAGE;
		}
		rc = dtt_bep44_string_encode(v, sizeof(v), a->value, a->value_len);
		if (rc < 0 || rc > DTT_BEP44_V_MAX) {
			cli_error("dht put: --value is too big: its bencoding exceeds %d bytes",
				  DTT_BEP44_V_MAX);
			return CLI_EXIT_USAGE;
		}
		v_len = (size_t)rc;
	} else if (!a->has_pubkey || !a->has_salt) {
		cli_error("dht get: --pubkey and --salt are required");
		return CLI_EXIT_USAGE;
	}
	if (a->port < 0)
		a->port = 0;
	rc = start(&l, a, true, boot, &n, op_boot_done, &o);
	if (rc)
		return rc;
	o.l = &l;
	deadline = dtt_env_now_ms(&l.pe.env) + a->timeout_s * 1000;
	dtt_loop_run(&l, &stop_flag, op_bootstrapped, &o, deadline);
	o.datagrams_start = dtt_dht_stats(dtt_node_dht(l.node))->datagrams_out;
	if (is_put) {
		dtt_ed25519_seed_keypair(pk, sk, a->key);
		op = dtt_dht_put_mutable(dtt_node_dht(l.node), sk, a->salt, a->salt_len, a->seq,
					 a->has_cas ? &a->cas : NULL, v, v_len, put_done, &o);
		sodium_memzero(sk, sizeof(sk));
		dtt_bep44_mutable_target(o.target, pk, a->salt, a->salt_len);
	} else {
		op = dtt_dht_get_mutable(dtt_node_dht(l.node), a->pubkey, a->salt, a->salt_len,
					 get_value, get_done, &o);
	}
	if (op < 0) {
		cli_error("dht %s: %s", is_put ? "put" : "get", dtt_strerror((int)op));
		dtt_loop_deinit(&l);
		return CLI_EXIT_FAIL;
	}
	if (dtt_loop_run(&l, &stop_flag, op_finished, &o, deadline) == DTT_ERR_TIMEOUT)
		cli_error("dht %s: --timeout of %llu s reached", is_put ? "put" : "get",
			  (unsigned long long)a->timeout_s);
	dtt_loop_deinit(&l); /* an unfinished operation is canceled here; its callback fires */
	if (is_put) {
		printf("{\"stored\":%zu,\"failed\":%zu,\"seq\":%lld,\"elapsed_ms\":%llu,"
		       "\"datagrams\":%llu,\"pubkey\":\"",
		       o.put.stored, o.put.failed, (long long)a->seq,
		       (unsigned long long)o.put.elapsed_ms, (unsigned long long)o.op_datagrams);
		cli_print_hex(stdout, pk, 32);
		printf("\",\"target\":\"");
		cli_print_hex(stdout, o.target, 20);
		printf("\"}\n");
		return o.put.stored > 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
	}
	return o.values > 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

int cli_dht(int argc, char **argv)
{
	struct dht_args a;
	const char *sub;
	int rc;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	sub = argv[1];
	memset(&a, 0, sizeof(a));
	a.port = -1;
	a.timeout_s = 30;
	rc = parse(argc - 1, argv + 1, &a);
	if (rc)
		return rc < 0 ? CLI_EXIT_OK : rc;
	if (!strcmp(sub, "serve"))
		rc = cmd_serve(&a);
	else if (!strcmp(sub, "get"))
		rc = run_op(&a, false);
	else if (!strcmp(sub, "put"))
		rc = run_op(&a, true);
	else {
		cli_error("dht: unknown subcommand '%s' (serve, get or put)", sub);
		rc = CLI_EXIT_USAGE;
	}
	sodium_memzero(&a, sizeof(a));
	return rc;
}
