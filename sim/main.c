/* main.c - dtt-sim, the simulator's command line (SCENARIOS.md "Runs and comparisons"):
 * `run` one scenario and seed into a results database, `check` expectations over seeds,
 * `validate` a scenario file. Exit codes: 0 ok, 1 a run failed or an expectation did not
 * hold, 2 bad usage or input. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "check.h"
#include "engine.h"
#include "dtt.h"
#include "log.h"
#include "queue.h"
#include "results.h"
#include "rng.h"
#include "scenario.h"
#include "sweep.h"
#include "cli.h"

#define EXIT_OK	   0
#define EXIT_FAIL  1
#define EXIT_USAGE 2
#define ERR_LEN	   1024

/* The built-in backend for dtt-sim; sim/ns3/ builds the same command line on ns-3. */
#ifndef DTT_SIM_BACKEND
#define DTT_SIM_BACKEND NULL
#endif

static volatile sig_atomic_t stop_flag;
static struct dtt_sim *running; /* for the crash report */
static uint64_t running_seed;
static const char *running_path;
static const struct args *running_args;

static const char usage_main[] =
    "usage: " DTT_SIM_PROG " COMMAND [options]\n"
    "\n"
    "Deterministic discrete-event simulator of dtt nodes: runs real DHT nodes and topic\n"
    "members (gossip, topic tracker) on a virtual clock and a simulated network, as described\n"
    "by a scenario file (scenarios/README.md).\n"
    "\n"
    "commands:\n"
    "  run SCENARIO       run one seed, write results to SQLite, print figures and digest\n"
    "  check SCENARIO     run seeds and evaluate the scenario's expectations (PASS/FAIL)\n"
    "  validate SCENARIO  parse the scenario and print what it describes\n"
    "  sweep SCENARIO     every combination of grid values and seeds as independent runs\n"
    "                     (GNU parallel, or a Slurm job array), one results file each\n"
    "  merge DIR          a sweep's results files into one database\n"
    "  bench              the event queue alone in the hold model (events/s)\n"
    "\n"
    "`" DTT_SIM_PROG " COMMAND --help` describes each command's options.\n"
    "exit status: 0 ok, 1 run failed or expectations not met, 2 bad usage or input\n";

/* The environment both simulating commands read (heap_hugepages). */
#define USAGE_ENV                                                                                  \
	"\n"                                                                                       \
	"environment:\n"                                                                           \
	"  DTT_SIM_HUGEPAGES=0  do not restart with glibc.malloc.hugetlb=1 (huge pages for the\n"  \
	"                       heap, taken when the kernel offers them on request; results are\n" \
	"                       the same either way, large runs are about 10% faster with them)\n"

static const char usage_run[] =
    "usage: " DTT_SIM_PROG " run SCENARIO [options]\n"
    "\n"
    "Runs the scenario once. Prints a benchmark (events, events/s, wall time, peak RSS,\n"
    "bytes per node), per topic what its members did (joins, broadcasts: delivery, RMR,\n"
    "LDH; tracker), and always, last, `digest: <hex>`: a hash over every delivered\n"
    "datagram and fired timer, equal for equal (scenario, seed).\n"
    "\n"
    "options:\n"
    "  --seed N             seed (default: the scenario's `seed`)\n"
    "  --db FILE            results database (default: results/<scenario name>.db)\n"
    "  --no-db              write no database\n"
    "  --until T            stop at simulated time T (e.g. 90s, 5m) instead of `duration`\n"
    "  --set KEY.PATH=VALUE override one scenario value (repeatable), e.g.\n"
    "                       --set dht.nodes=500 --set events[0].at=2m\n"
    "  --log LEVEL          core log messages up to LEVEL (error, warn, info, debug)\n"
    "  --quiet              no progress line and no benchmark: only the digest\n"
    "  --help               this text\n"
    USAGE_ENV;

static const char usage_check[] =
    "usage: " DTT_SIM_PROG " check SCENARIO [options]\n"
    "\n"
    "Runs each seed and evaluates the scenario's `expect` list; prints PASS/FAIL per seed and\n"
    "per expectation with the measured value, and a `reproduce with:` line per failing\n"
    "seed. Exit status 0 only if every expectation held for every seed.\n"
    "\n"
    "options:\n"
    "  --seeds A..B         seeds A to B inclusive, or one seed N (default: the scenario's)\n"
    "  -j, --jobs N         run N seeds at once, each in its own process; the report is the\n"
    "                       same, in seed order (default 1)\n"
    "  --db FILE            also write every run to this results database (default: none)\n"
    "  --until T            stop at simulated time T instead of `duration`\n"
    "  --set KEY.PATH=VALUE override one scenario value (repeatable)\n"
    "  --log LEVEL          core log messages up to LEVEL\n"
    "  --quiet              no progress line\n"
    "  --help               this text\n"
    USAGE_ENV;

static const char usage_bench[] =
    "usage: " DTT_SIM_PROG " bench [--pending K] [--events N] [--seed S]\n"
    "\n"
    "Measures the event queue alone in the hold model (SIMULATION.md §3.2): K events pending,\n"
    "each popped event schedules one more at now + U[1 us, 1 ms]. Prints events/s (inserts\n"
    "included) and a checksum of the pop order. Defaults: K = 1000 and 100000, N = 10^7.\n";

static const char usage_validate[] =
    "usage: " DTT_SIM_PROG " validate SCENARIO [--set KEY.PATH=VALUE]...\n"
    "\n"
    "Parses the scenario (with overrides) and prints a summary, or the first error with its\n"
    "file, line and column. Exit status 0 when valid, 2 otherwise.\n";

struct args {
	const char *scenario;
	const char *db;
	bool no_db, quiet, seed_set;
	uint64_t seed, seed_lo, seed_hi;
	uint64_t until_ms;
	int log_level;
	const char *sets[DTT_SCENARIO_SET_MAX];
	size_t sets_count;
	unsigned jobs; /* check -j */
};

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void on_crash(int sig)
{
	char buf[4096];
	size_t l;
	int n;

	if (running) {
		n = snprintf(buf, sizeof(buf),
			     "\n" DTT_SIM_PROG
			     ": fatal signal %d at simulated time %llu ms, node %lld\n"
			     "reproduce with: " DTT_SIM_PROG " run %s --seed %llu",
			     sig, (unsigned long long)dtt_sim_now_ms(running),
			     (long long)dtt_sim_current_node(running), running_path,
			     (unsigned long long)running_seed);
		l = n > 0 && (size_t)n < sizeof(buf) ? (size_t)n : 0;
		for (size_t i = 0; running_args && i < running_args->sets_count && l < sizeof(buf);
		     i++) {
			n = snprintf(buf + l, sizeof(buf) - l, " --set '%s'",
				     running_args->sets[i]);
			l = n > 0 && l + (size_t)n < sizeof(buf) ? l + (size_t)n : l;
		}
		if (l < sizeof(buf) - 1)
			buf[l++] = '\n';
		if (write(STDERR_FILENO, buf, l) < 0)
			l = 0;
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void install_signals(void)
{
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGSEGV, on_crash);
	signal(SIGABRT, on_crash);
	signal(SIGBUS, on_crash);
	signal(SIGFPE, on_crash);
}

/* Parses the options common to the commands. Returns -1 to go on, or an exit code. */
static int parse_args(int argc, char **argv, const char *usage, bool is_check, struct args *a)
{
	memset(a, 0, sizeof(*a));
	a->log_level = DTT_LOG_ERROR;
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(o, "--help") || !strcmp(o, "-h")) {
			fputs(usage, stdout);
			return EXIT_OK;
		}
		if (o[0] != '-' || !o[1]) {
			if (a->scenario)
				return dtt_sim_usage_error(usage, "unexpected argument '%s'", o);
			a->scenario = o;
			continue;
		}
		if (!strcmp(o, "--quiet") || !strcmp(o, "-q")) {
			a->quiet = true;
			continue;
		}
		if (!strcmp(o, "--no-db") && !is_check) {
			a->no_db = true;
			continue;
		}
		if (!v)
			return dtt_sim_usage_error(usage, "%s needs a value", o);
		i++;
		if (!strcmp(o, "--seed") && !is_check) {
			if (!dtt_sim_parse_u64(v, &a->seed))
				return dtt_sim_usage_error(
				    usage, "--seed: expected a non-negative integer, got '%s'", v);
			a->seed_set = true;
		} else if (!strcmp(o, "--seeds") && is_check) {
			if (!dtt_sim_parse_seeds(v, &a->seed_lo, &a->seed_hi))
				return dtt_sim_usage_error(
				    usage, "--seeds: expected N or A..B with A <= B, got '%s'", v);
			a->seed_set = true;
		} else if ((!strcmp(o, "-j") || !strcmp(o, "--jobs")) && is_check) {
			uint64_t j;

			if (!dtt_sim_parse_u64(v, &j) || j < 1 || j > 4096)
				return dtt_sim_usage_error(
				    usage, "--jobs: expected a number from 1 to 4096, got '%s'", v);
			a->jobs = (unsigned)j;
		} else if (!strcmp(o, "--db")) {
			a->db = v;
		} else if (!strcmp(o, "--until")) {
			double ms;

			if (dtt_scenario_duration_ms(v, &ms) || ms <= 0 || ms != floor(ms))
				return dtt_sim_usage_error(
				    usage,
				    "--until: expected a duration such as 90s or 5m, got '%s'", v);
			a->until_ms = (uint64_t)ms;
		} else if (!strcmp(o, "--set")) {
			if (a->sets_count == DTT_SCENARIO_SET_MAX)
				return dtt_sim_usage_error(usage, "too many --set options%s", "");
			a->sets[a->sets_count++] = v;
		} else if (!strcmp(o, "--log")) {
			a->log_level = dtt_log_level_parse(v);
			if (a->log_level < 0)
				return dtt_sim_usage_error(
				    usage,
				    "--log: expected error, warn, info, debug or trace, got '%s'",
				    v);
		} else {
			return dtt_sim_usage_error(usage, "unknown option '%s'", o);
		}
	}
	if (!a->scenario)
		return dtt_sim_usage_error(usage, "missing SCENARIO%s", "");
	return -1;
}

static int load(const struct args *a, struct dtt_scenario *sc)
{
	char err[ERR_LEN];

	if (dtt_scenario_load(sc, a->scenario, a->sets, a->sets_count, err, sizeof(err))) {
		fprintf(stderr, DTT_SIM_PROG ": %s\n", err);
		return EXIT_USAGE;
	}
	return 0;
}

/* mkdir -p of the directory part of path. */
static int make_parent_dirs(const char *path)
{
	char buf[4096];
	size_t n = strlen(path);

	if (n >= sizeof(buf))
		return -1;
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, 0777) && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return 0;
}

static struct dtt_results *open_db(const char *path)
{
	char err[ERR_LEN];
	struct dtt_results *r;

	if (make_parent_dirs(path)) {
		fprintf(stderr, DTT_SIM_PROG ": %s: cannot create its directory: %s\n", path,
			strerror(errno));
		return NULL;
	}
	r = dtt_results_open(path, err, sizeof(err));
	if (!r)
		fprintf(stderr, DTT_SIM_PROG ": %s: %s\n", path, err);
	return r;
}

static void fmt_bytes(double b, char *out, size_t len)
{
	if (b >= 1e9)
		snprintf(out, len, "%.2f GB", b / 1e9);
	else if (b >= 1e6)
		snprintf(out, len, "%.1f MB", b / 1e6);
	else if (b >= 1e3)
		snprintf(out, len, "%.1f KB", b / 1e3);
	else
		snprintf(out, len, "%.0f B", b);
}

/* Runs one seed. Returns 0 or a DTT_ERR_*; *sim_out keeps the finished sim (to free). */
static int run_one(const struct dtt_scenario *sc, const struct args *a, uint64_t seed,
		   struct dtt_results *res, struct dtt_sim **sim_out)
{
	struct dtt_sim_options opt = {
	    .seed = seed,
	    .until_ms = a->until_ms,
	    .results = res,
	    .progress = !a->quiet && isatty(STDERR_FILENO),
	    .log_level = a->log_level,
	    .stop = &stop_flag,
	    .backend = DTT_SIM_BACKEND,
	};
	char err[ERR_LEN];
	struct dtt_sim *sim = dtt_sim_new(sc, &opt, err, sizeof(err));
	int rc;

	*sim_out = NULL;
	if (!sim) {
		fprintf(stderr, DTT_SIM_PROG ": %s: %s\n", sc->path, err);
		return DTT_ERR_STATE;
	}
	running = sim;
	running_seed = seed;
	running_path = sc->path;
	running_args = a;
	rc = dtt_sim_run(sim);
	running = NULL;
	*sim_out = sim;
	return rc;
}

/* One paragraph per topic: joins, overlay, broadcasts, tracker. */
static void print_topics(const struct dtt_sim *sim)
{
	int64_t hot_node;
	double hot = dtt_sim_hottest_rps(sim, &hot_node);

	for (size_t i = 0; i < dtt_sim_topics(sim); i++) {
		struct dtt_sim_topic_stats t;

		dtt_sim_topic_stats(sim, i, &t);
		printf("topic %s: %u members, %u alive, %u joined, %u component%s at the last "
		       "sample\n",
		       t.name, t.members, t.alive, t.joined, t.components,
		       t.components == 1 ? "" : "s");
		printf(
		    "  time to join: %llu joins, p50 %.0f ms, p99 %.0f ms, max %.0f ms; %u alive "
		    "member%s never joined\n",
		    (unsigned long long)t.joins, t.join_p50_ms, t.join_p99_ms, t.join_max_ms,
		    t.never_joined, t.never_joined == 1 ? "" : "s");
		if (t.broadcasts || t.broadcasts_skipped)
			printf("  broadcasts: %llu (%llu rounds skipped), delivered %llu, missed "
			       "%llu (%.4f), RMR mean %.3f, LDH mean %.2f max %u, latency p50 mean "
			       "%.0f ms, p99 max %.0f ms\n",
			       (unsigned long long)t.broadcasts,
			       (unsigned long long)t.broadcasts_skipped,
			       (unsigned long long)t.delivered, (unsigned long long)t.missed,
			       t.delivered + t.missed
				   ? (double)t.delivered / (double)(t.delivered + t.missed)
				   : NAN,
			       t.rmr_mean, t.ldh_mean, t.ldh_max, t.latency_p50_mean_ms,
			       t.latency_p99_max_ms);
		if (t.broadcasts)
			printf("  broadcast cost: %.1f PlumTree datagrams per broadcast (payloads, "
			       "IHave, Graft, Prune), %.2f per alive member\n",
			       t.tree_msgs_mean, t.tree_msgs_member_mean);
		if (t.unsettled)
			printf(
			    "  %llu broadcasts of the last round not counted: the run ended before "
			    "they had their interval to spread\n",
			    (unsigned long long)t.unsettled);
		if (t.dht_gets || t.published || t.skipped_cap)
			printf(
			    "  tracker: %llu records published, %llu skipped (cap), %llu failed; "
			    "merges: %llu bubble, %llu overlap; DHT %llu gets, %llu puts\n",
			    (unsigned long long)t.published, (unsigned long long)t.skipped_cap,
			    (unsigned long long)t.publish_failed,
			    (unsigned long long)t.merges_bubble,
			    (unsigned long long)t.merges_overlap, (unsigned long long)t.dht_gets,
			    (unsigned long long)t.dht_puts);
		printf("  links: %llu handshakes started, %llu completed (%.1f per member)\n",
		       (unsigned long long)t.handshakes, (unsigned long long)t.handshakes_done,
		       t.members ? (double)t.handshakes / t.members : 0.0);
		if (!isnan(t.time_to_heal_ms))
			printf("  time to heal: %.0f ms after the last heal\n", t.time_to_heal_ms);
	}
	if (dtt_sim_topics(sim) && hot > 0)
		printf("dht: hottest node %lld at %.1f requests/s\n", (long long)hot_node, hot);
}

static void print_bench(const struct dtt_scenario *sc, struct dtt_sim *sim, uint64_t seed)
{
	struct dtt_sim_bench b;
	char rss[32], per[32], d[32];

	dtt_sim_bench(sim, &b);
	fmt_bytes((double)b.peak_rss_bytes, rss, sizeof(rss));
	fmt_bytes(b.bytes_per_node, per, sizeof(per));
	printf("%s seed %llu: %u nodes, %s simulated in %.2f s wall (%.0fx real time), %s crypto\n",
	       sc->name, (unsigned long long)seed, sc->dht.nodes + sc->members,
	       dtt_scenario_fmt_ms(b.sim_end_ms, d, sizeof(d)), b.wall_s,
	       b.wall_s > 0 ? (double)b.sim_end_ms / 1000.0 / b.wall_s : 0,
	       sc->crypto_modelled ? "modelled" : "real");
	printf("events: %llu (%.2fM events/s), %llu datagrams sent, %llu delivered, %llu wakes\n",
	       (unsigned long long)b.events, b.events_per_s / 1e6, (unsigned long long)b.datagrams,
	       (unsigned long long)b.delivered, (unsigned long long)b.wakes);
	printf("memory: peak RSS %s, %s per node; queue peak %llu events, %llu datagrams in "
	       "flight\n",
	       rss, per, (unsigned long long)b.queue_peak, (unsigned long long)b.inflight_peak);
	if (b.gets || b.puts)
		printf("workload: %llu gets (%.2f%% found a value), %llu puts (%.2f%% stored)\n",
		       (unsigned long long)b.gets,
		       b.gets ? 100.0 * (double)b.gets_ok / (double)b.gets : 0,
		       (unsigned long long)b.puts,
		       b.puts ? 100.0 * (double)b.puts_ok / (double)b.puts : 0);
	if (b.verify_checks)
		printf("signatures: %llu checks, %.2f%% answered by the memo, %llu verified, "
		       "%llu memo evictions\n",
		       (unsigned long long)b.verify_checks,
		       100.0 * (double)b.verify_hits / (double)b.verify_checks,
		       (unsigned long long)(b.verify_checks - b.verify_hits),
		       (unsigned long long)b.verify_replaced);
	if (b.record_hits + b.record_misses)
		printf("records: %llu openings, %.2f%% answered by the shared memo, %llu opened\n",
		       (unsigned long long)(b.record_hits + b.record_misses),
		       100.0 * (double)b.record_hits / (double)(b.record_hits + b.record_misses),
		       (unsigned long long)b.record_misses);
	if (b.crypto_memo_bytes) {
		char mb[32];

		fmt_bytes((double)b.crypto_memo_bytes, mb, sizeof(mb));
		printf("crypto memo (%s):", mb);
		for (int i = 0; i < DTT_CRYPTO_MEMO__COUNT; i++) {
			const struct dtt_crypto_memo_stats *cs = &b.crypto[i];

			printf("%s %s %llu lookups, %.2f%% hits, %llu evictions", i ? ";" : "",
			       dtt_crypto_memo_table_name((enum dtt_crypto_memo_table)i),
			       (unsigned long long)cs->lookups,
			       cs->lookups ? 100.0 * (double)cs->hits / (double)cs->lookups : 0,
			       (unsigned long long)cs->evictions);
		}
		printf("\n");
	}
	print_topics(sim);
}

static int cmd_run(int argc, char **argv)
{
	struct dtt_scenario sc;
	struct dtt_results *res = NULL;
	struct dtt_sim *sim;
	char db[4096], hex[17];
	struct args a;
	uint64_t seed;
	int rc = parse_args(argc, argv, usage_run, false, &a);

	if (rc >= 0)
		return rc;
	if ((rc = load(&a, &sc)))
		return rc;
	seed = a.seed_set ? a.seed : sc.seed;
	if (!a.no_db) {
		if (a.db)
			snprintf(db, sizeof(db), "%s", a.db);
		else
			snprintf(db, sizeof(db), "results/%s.db", sc.name);
		res = open_db(db);
		if (!res) {
			dtt_scenario_deinit(&sc);
			return EXIT_FAIL;
		}
	}
	rc = run_one(&sc, &a, seed, res, &sim);
	if (sim && !a.quiet) {
		print_bench(&sc, sim, seed);
		if (res)
			printf("results: %s\n", db);
	}
	if (rc)
		fprintf(stderr, DTT_SIM_PROG ": run %s: %s\n",
			rc == DTT_ERR_CANCELED ? "interrupted" : "failed", dtt_strerror(rc));
	if (sim)
		printf("digest: %s\n", dtt_sim_digest_hex(sim, hex));
	fflush(stdout);
	dtt_sim_free(sim);
	dtt_results_close(res);
	dtt_scenario_deinit(&sc);
	return rc ? EXIT_FAIL : EXIT_OK;
}

static void print_reproduce(const struct args *a, uint64_t seed)
{
	printf("reproduce with: " DTT_SIM_PROG " run %s --seed %llu", a->scenario,
	       (unsigned long long)seed);
	for (size_t i = 0; i < a->sets_count; i++)
		printf(" --set '%s'", a->sets[i]);
	if (a->until_ms)
		printf(" --until %llums", (unsigned long long)a->until_ms);
	printf("\n");
}

/* Runs one seed of `check` and prints its report. 0 pass, 1 fail, 3 interrupted. */
static int check_seed(const struct dtt_scenario *sc, const struct args *a,
		      struct dtt_results *res, uint64_t seed)
{
	struct dtt_sim *sim;
	struct dtt_sim_bench b;
	char hex[17], line[ERR_LEN];
	bool pass = true;
	int err = run_one(sc, a, seed, res, &sim);

	if (err || !sim) {
		printf("seed %llu: FAIL (run %s: %s)\n", (unsigned long long)seed,
		       err == DTT_ERR_CANCELED ? "interrupted" : "failed", dtt_strerror(err));
		print_reproduce(a, seed);
		dtt_sim_free(sim);
		fflush(stdout);
		return err == DTT_ERR_CANCELED ? 3 : 1;
	}
	struct dtt_check_result r[DTT_SCENARIO_EXPECT_MAX];

	for (size_t i = 0; i < sc->expects_count; i++) {
		struct dtt_sim_series se;

		dtt_sim_series(sim, sc->expects[i].metric, &se);
		dtt_check_eval(&sc->expects[i], &se, dtt_sim_end_ms(sim), &r[i]);
		pass = pass && r[i].pass;
	}
	dtt_sim_bench(sim, &b);
	printf("seed %llu: %s (digest %s, %.2f s, %.2fM events/s)\n", (unsigned long long)seed,
	       pass ? "PASS" : "FAIL", dtt_sim_digest_hex(sim, hex), b.wall_s,
	       b.events_per_s / 1e6);
	for (size_t i = 0; i < sc->expects_count; i++) {
		dtt_check_describe(&sc->expects[i], line, sizeof(line));
		printf("  %s  %s: measured %.6g over %zu sample%s%s%s (line %u)\n",
		       r[i].pass ? "PASS" : "FAIL", line, r[i].measured, r[i].samples,
		       r[i].samples == 1 ? "" : "s", r[i].why[0] ? "; " : "", r[i].why,
		       sc->expects[i].line);
	}
	if (!pass)
		print_reproduce(a, seed);
	dtt_sim_free(sim);
	fflush(stdout);
	return pass ? 0 : 1;
}

/* check -j: one forked child per seed (sweep.h, dtt_fanout), each with its own connection to
 * the results database. */
struct check_par {
	struct dtt_scenario *sc;
	const struct args *a;
};

static int check_task(size_t i, void *ctx)
{
	struct check_par *p = ctx;
	struct dtt_results *res = NULL;
	int rc;

	if (p->a->db && !(res = open_db(p->a->db))) {
		dtt_scenario_deinit(p->sc);
		return 1;
	}
	rc = check_seed(p->sc, p->a, res, p->a->seed_lo + i);
	dtt_results_close(res);
	dtt_scenario_deinit(p->sc);
	return rc;
}

static int cmd_check(int argc, char **argv)
{
	struct dtt_scenario sc;
	struct dtt_results *res = NULL;
	uint64_t failed_seeds = 0, seeds;
	struct args a;
	int rc = parse_args(argc, argv, usage_check, true, &a);

	if (rc >= 0)
		return rc;
	if ((rc = load(&a, &sc)))
		return rc;
	if (!a.seed_set)
		a.seed_lo = a.seed_hi = sc.seed;
	if (!sc.expects_count)
		printf("%s: no expectations to check (the scenario has no `expect` list)\n",
		       sc.name);
	if (a.db && !(res = open_db(a.db))) {
		dtt_scenario_deinit(&sc);
		return EXIT_FAIL;
	}
	seeds = a.seed_hi - a.seed_lo + 1;
	if (a.jobs > 1 && seeds > 1) {
		struct check_par p = {&sc, &a};
		size_t n = seeds > 10000000 ? 0 : (size_t)seeds;
		int *codes = n ? malloc(n * sizeof(*codes)) : NULL;

		/* Each child opens the file itself; the parent has created it. */
		dtt_results_close(res);
		res = NULL;
		if (!codes) {
			fprintf(stderr, DTT_SIM_PROG ": check -j: at most 10000000 seeds\n");
			dtt_scenario_deinit(&sc);
			return EXIT_USAGE;
		}
		a.quiet = true; /* no progress lines from several processes at once */
		dtt_fanout(n, a.jobs, check_task, &p, codes, &stop_flag);
		for (size_t i = 0; i < n; i++) {
			if (codes[i] == 0)
				continue;
			failed_seeds++;
			if (codes[i] > 128) {
				printf("seed %llu: FAIL (run crashed: signal %d)\n",
				       (unsigned long long)(a.seed_lo + i), codes[i] - 128);
				print_reproduce(&a, a.seed_lo + i);
			} else if (codes[i] < 0) {
				printf("seed %llu: FAIL (not run: %s)\n",
				       (unsigned long long)(a.seed_lo + i),
				       stop_flag ? "interrupted" : "cannot start a process");
			}
		}
		free(codes);
	} else {
		for (uint64_t seed = a.seed_lo;; seed++) {
			int r = check_seed(&sc, &a, res, seed);

			failed_seeds += r != 0;
			if (r == 3 || seed == a.seed_hi)
				break;
		}
	}
	printf("%s: %llu of %llu seed%s passed\n", sc.name,
	       (unsigned long long)(seeds - failed_seeds), (unsigned long long)seeds,
	       seeds == 1 ? "" : "s");
	dtt_results_close(res);
	dtt_scenario_deinit(&sc);
	return failed_seeds ? EXIT_FAIL : EXIT_OK;
}

static int cmd_validate(int argc, char **argv)
{
	static const char *const kinds[] = {"partition", "heal",   "crash",
					    "leave",	 "rejoin", "loss",
					    "duplicate", "jitter", "clock_skew", "cut"};
	_Static_assert(sizeof(kinds) / sizeof(kinds[0]) == DTT_SCEV__COUNT, "one name per kind");
	struct dtt_scenario sc;
	char a1[32], a2[32], line[ERR_LEN];
	struct args a;
	int rc = parse_args(argc, argv, usage_validate, false, &a);

	if (rc >= 0)
		return rc;
	if ((rc = load(&a, &sc)))
		return rc;
	printf("%s: valid\n", sc.path);
	printf("name: %s, seed %llu, duration %s, sample every %s\n", sc.name,
	       (unsigned long long)sc.seed, dtt_scenario_fmt_ms(sc.duration_ms, a1, sizeof(a1)),
	       dtt_scenario_fmt_ms(sc.sample_every_ms, a2, sizeof(a2)));
	printf("dht: %u nodes, %u bootstrap, join over %s%s\n", sc.dht.nodes, sc.dht.bootstrap,
	       dtt_scenario_fmt_ms(sc.dht.join_over_ms, a1, sizeof(a1)),
	       !sc.topics_count		    ? ""
	       : sc.dht.members_are_servers ? "; members are DHT servers"
					    : "; members are DHT clients");
	for (size_t i = 0; i < sc.topics_count; i++) {
		static const char *const senders[] = {"single", "random", "all"};
		_Static_assert(sizeof(senders) / sizeof(senders[0]) == DTT_SENDERS__COUNT,
			       "one name per senders mode");
		const struct dtt_scenario_topic *t = &sc.topics[i];

		printf("topic %s: %u members, strategy %s, bootstrap %s", t->name, t->members,
		       t->strategy, t->bootstrap == DTT_BOOTSTRAP_DHT ? "dht" : "peers");
		if (t->bootstrap == DTT_BOOTSTRAP_PEERS)
			printf(" (1..%u contacts)", t->peers);
		printf(", join at %s over %s", dtt_scenario_fmt_ms(t->join_at_ms, a1, sizeof(a1)),
		       dtt_scenario_fmt_ms(t->join_over_ms, a2, sizeof(a2)));
		if (t->bursts > 1)
			printf(" in %u bursts every %s", t->bursts,
			       dtt_scenario_fmt_ms(t->burst_every_ms, a1, sizeof(a1)));
		printf("\n");
		if (t->traffic.every_ms)
			printf("  traffic: %u bytes every %s from %s senders, from %s%s\n",
			       t->traffic.size,
			       dtt_scenario_fmt_ms(t->traffic.every_ms, a1, sizeof(a1)),
			       senders[t->traffic.senders],
			       dtt_scenario_fmt_ms(t->traffic.start_ms, a2, sizeof(a2)),
			       t->traffic.count ? " (limited rounds)" : "");
	}
	printf("network: latency %s, jitter %gms, loss %g, duplicate %g\n",
	       sc.network.latency.dist == DTT_SIMNET_CONSTANT    ? "constant"
	       : sc.network.latency.dist == DTT_SIMNET_UNIFORM   ? "uniform"
	       : sc.network.latency.dist == DTT_SIMNET_LOGNORMAL ? "lognormal"
								 : "coordinates",
	       sc.network.jitter_ms, sc.network.loss, sc.network.duplicate);
	printf("workload: %u keys, puts every %llu ms, gets every %llu ms, starting at %s\n",
	       sc.workload.keys, (unsigned long long)sc.workload.put_every_ms,
	       (unsigned long long)sc.workload.get_every_ms,
	       dtt_scenario_fmt_ms(sc.workload.start_ms, a1, sizeof(a1)));
	for (size_t i = 0; i < sc.events_count; i++)
		printf("event at %s: %s\n", dtt_scenario_fmt_ms(sc.events[i].at_ms, a1, sizeof(a1)),
		       kinds[sc.events[i].kind]);
	for (size_t i = 0; i < sc.expects_count; i++)
		printf("expect: %s\n", dtt_check_describe(&sc.expects[i], line, sizeof(line)));
	dtt_scenario_deinit(&sc);
	return EXIT_OK;
}

static double secs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* One hold-model run; prints and returns events/s. */
static double bench_hold(uint64_t pending, uint64_t events, uint64_t seed)
{
	struct dtt_simq q;
	struct dtt_simq_ev ev;
	struct dtt_rng r;
	uint64_t sum = 0;
	double t0, dt;

	dtt_rng_seed(&r, seed);
	dtt_simq_init(&q, 0);
	t0 = secs();
	for (uint64_t i = 0; i < pending; i++)
		if (dtt_simq_push(&q, 1 + dtt_rng_uniform(&r, 1000), i, 0, (uint32_t)i))
			return 0;
	for (uint64_t i = 0; i < events; i++) {
		dtt_simq_pop(&q, &ev);
		sum = (sum ^ ev.time_us ^ (uint64_t)ev.arg << 40) * 0x100000001b3ull;
		if (dtt_simq_push(&q, ev.time_us + 1 + dtt_rng_uniform(&r, 1000), pending + i, 0,
				  ev.arg))
			return 0;
	}
	dt = secs() - t0;
	printf("hold K=%llu N=%llu: %.2f M events/s (%.3f s, checksum %016llx)\n",
	       (unsigned long long)pending, (unsigned long long)events, (double)events / dt / 1e6,
	       dt, (unsigned long long)sum);
	dtt_simq_deinit(&q);
	return (double)events / dt;
}

static int cmd_bench(int argc, char **argv)
{
	uint64_t pending = 0, events = 10000000, seed = 1;

	for (int i = 1; i < argc; i += 2) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		uint64_t *dst = NULL;

		if (!strcmp(o, "--help") || !strcmp(o, "-h")) {
			fputs(usage_bench, stdout);
			return EXIT_OK;
		}
		if (!strcmp(o, "--pending"))
			dst = &pending;
		else if (!strcmp(o, "--events"))
			dst = &events;
		else if (!strcmp(o, "--seed"))
			dst = &seed;
		else
			return dtt_sim_usage_error(usage_bench, "unknown option '%s'", o);
		if (!dtt_sim_parse_u64(v, dst) || (dst != &seed && !*dst))
			return dtt_sim_usage_error(usage_bench, "%s: expected a positive integer", o);
	}
	if (pending) {
		bench_hold(pending, events, seed);
	} else {
		bench_hold(1000, events, seed);
		bench_hold(100000, events, seed);
	}
	return EXIT_OK;
}

/* A large simulation waits on memory: its nodes' state is spread over hundreds of megabytes,
 * and with 4 KB pages most lookups miss the TLB as well as the cache. glibc backs malloc with
 * transparent huge pages when the tunable glibc.malloc.hugetlb=1 is set, which it reads only at
 * start-up, so a run restarts itself once with it set when the kernel gives huge pages on
 * request ("madvise"). Results do not depend on where memory is. DTT_SIM_HUGEPAGES=0, or a
 * GLIBC_TUNABLES that names the tunable, leaves the process as it is; so does a failed exec. */
static void heap_hugepages(char **argv)
{
	const char *tun = getenv("GLIBC_TUNABLES"), *opt = getenv("DTT_SIM_HUGEPAGES");
	char mode[128], env[1024], old[1024] = "", self[4096];
	FILE *f;
	size_t n;
	ssize_t sl;
	int len;

	if ((opt && !strcmp(opt, "0")) || (tun && strstr(tun, "glibc.malloc.hugetlb")))
		return;
	f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
	if (!f)
		return;
	n = fread(mode, 1, sizeof(mode) - 1, f);
	fclose(f);
	mode[n] = '\0';
	if (!strstr(mode, "[madvise]"))
		return; /* "always" needs nothing, "never" gives nothing */
	/* the binary by its own path, so the process keeps its name (not "exe") */
	sl = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (sl <= 0 || (size_t)sl >= sizeof(self) - 1)
		return;
	self[sl] = '\0';
	/* a copy: setenv may replace the string getenv returned */
	if (tun && (size_t)snprintf(old, sizeof(old), "%s", tun) >= sizeof(old))
		return;
	len = snprintf(env, sizeof(env), "%s%sglibc.malloc.hugetlb=1", old, *old ? ":" : "");
	if (len < 0 || (size_t)len >= sizeof(env) || setenv("GLIBC_TUNABLES", env, 1) != 0)
		return;
	execv(self, argv);
	/* still here: the exec failed, run without them */
	if (tun)
		setenv("GLIBC_TUNABLES", old, 1);
	else
		unsetenv("GLIBC_TUNABLES");
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd) {
		fputs(usage_main, stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		fputs(usage_main, stdout);
		return EXIT_OK;
	}
	if (!strcmp(cmd, "run") || !strcmp(cmd, "check"))
		heap_hugepages(argv);
	if (dtt_init()) {
		fputs(DTT_SIM_PROG ": crypto initialisation failed\n", stderr);
		return 1;
	}
	install_signals();
	if (!strcmp(cmd, "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(cmd, "check"))
		return cmd_check(argc - 1, argv + 1);
	if (!strcmp(cmd, "validate"))
		return cmd_validate(argc - 1, argv + 1);
	if (!strcmp(cmd, "bench"))
		return cmd_bench(argc - 1, argv + 1);
	if (!strcmp(cmd, "sweep"))
		return dtt_sweep_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "merge"))
		return dtt_merge_main(argc - 1, argv + 1);
	fprintf(stderr, DTT_SIM_PROG ": unknown command '%s'\n\n%s", cmd, usage_main);
	return EXIT_USAGE;
}
