/* sweep.c - `dtt-sim sweep`: every combination of grid values and seeds as one independent
 * `dtt-sim run`, executed by GNU parallel on local cores or written as a Slurm job array.
 *
 * A sweep directory holds:
 *   scenario-<hash>.yaml  the scenario text the runs read (a copy: editing the original later
 *                         does not change what a pending run does)
 *   runs.tsv              every run of the sweep: key, seed, overrides (tab separated)
 *   runs/<key>.db         a finished run's results (written as <key>.part.db, renamed when the
 *                         run succeeded); runs/<key>.log its output
 *   jobs.txt, joblog      the shell commands of the runs that were left, and GNU parallel's
 *                         job log of the last local sweep
 *   slurm/                sweep.sbatch, its jobs.txt, the tasks' output and job logs (--slurm)
 * A run's key is a hash of the scenario text, its overrides (fixed --set, then grid values),
 * --until, the seed and the dtt version: a run whose <key>.db exists is done, and skipped, both
 * when the sweep is started again (an interrupted sweep resumes) and inside every job command
 * (so a Slurm task never redoes what another sweep finished). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "crypto.h"
#include "scenario.h"
#include "sweep.h"
#include "cli.h"

#define EXIT_OK	      0
#define EXIT_FAIL     1
#define EXIT_USAGE    2
#define GRID_MAX      8	      /* --grid options */
#define GRID_VALUES   256     /* values per --grid */
#define SBATCH_MAX    16      /* --sbatch options */
#define RUNS_MAX      1000000 /* runs per sweep */
#define KEY_HEX	      16
#define ERR_LEN	      1024
#define PATH_LEN      4096

static const char usage_sweep[] =
    "usage: dtt-sim sweep SCENARIO --seeds A..B [options]\n"
    "\n"
    "Runs every combination of the grid's values and the seeds as one independent\n"
    "`dtt-sim run`, through GNU parallel on N local cores (with its --joblog), each into its\n"
    "own results file under DIR/runs. A run already done (same scenario text, overrides,\n"
    "--until, seed and dtt version: the key in its file name) is skipped, so an interrupted\n"
    "sweep resumes where it stopped. Prints a progress line (runs done and left), then how\n"
    "to merge: `dtt-sim merge DIR --db FILE`.\n"
    "\n"
    "options:\n"
    "  --seeds A..B         seeds A to B inclusive, or one seed N (default: the scenario's)\n"
    "  --grid KEY.PATH=V1,V2,...\n"
    "                       one scenario value to vary (repeatable: every combination runs);\n"
    "                       values are split on commas, e.g. --grid dht.nodes=100,200\n"
    "  --set KEY.PATH=VALUE a value every run of the sweep overrides (repeatable)\n"
    "  --until T            stop every run at simulated time T (e.g. 90s, 5m)\n"
    "  -j, --jobs N         runs at once (default: the number of online CPUs)\n"
    "  --out DIR            the sweep directory (default: sweeps/<scenario name>)\n"
    "  --slurm              run nothing: write DIR/slurm/sweep.sbatch, a Slurm job array of\n"
    "                       the runs left (one array task per chunk of runs, GNU parallel\n"
    "                       inside each task), and print how to submit it\n"
    "  --chunk K            runs per array task with --slurm (default 16)\n"
    "  --cpus C             CPUs per array task with --slurm (default 4)\n"
    "  --sbatch OPTION      an extra #SBATCH line with --slurm (repeatable), e.g.\n"
    "                       --sbatch --partition=short --sbatch --time=02:00:00\n"
    "  --help               this text\n"
    "\n"
    "exit status: 0 every run done, 1 a run failed or was interrupted, 2 bad usage or input\n";

struct grid {
	const char *key; /* "dht.nodes" (points into its own copy of the option) */
	char *buf;	 /* owned: the option, cut into key and values */
	const char *values[GRID_VALUES];
	size_t count;
};

struct run {
	uint64_t seed;
	size_t combo; /* index into the combinations, grid-major */
	char key[KEY_HEX + 1];
	bool done;
};

struct sweep {
	const char *scenario;
	uint64_t seed_lo, seed_hi;
	bool seeds_set, slurm;
	struct grid grids[GRID_MAX];
	size_t grids_count;
	const char *sets[DTT_SCENARIO_SET_MAX];
	size_t sets_count;
	const char *until;
	unsigned jobs;
	const char *out;
	unsigned chunk, cpus;
	const char *sbatch[SBATCH_MAX];
	size_t sbatch_count;

	char dir[PATH_LEN]; /* absolute */
	char exe[PATH_LEN];
	char scen_copy[PATH_LEN + 64];
	size_t combos;
	struct run *runs;
	size_t runs_count;
};




static bool parse_uint(const char *s, unsigned max, unsigned *out)
{
	uint64_t v;

	if (!dtt_sim_parse_u64(s, &v) || v == 0 || v > max)
		return false;
	*out = (unsigned)v;
	return true;
}

/* "key.path=v1,v2" into g. false on a malformed option. */
static bool parse_grid(const char *opt, struct grid *g)
{
	char *eq, *p;

	memset(g, 0, sizeof(*g));
	g->buf = dtt_alloc(strlen(opt) + 1);
	if (!g->buf)
		return false;
	strcpy(g->buf, opt);
	eq = strchr(g->buf, '=');
	if (!eq || eq == g->buf || !eq[1])
		return false;
	*eq = 0;
	g->key = g->buf;
	for (p = eq + 1;;) {
		char *comma = strchr(p, ',');

		if (comma)
			*comma = 0;
		if (!*p || g->count == GRID_VALUES)
			return false;
		g->values[g->count++] = p;
		if (!comma)
			break;
		p = comma + 1;
	}
	return true;
}

static void sweep_free(struct sweep *s)
{
	for (size_t i = 0; i < s->grids_count; i++)
		dtt_free(s->grids[i].buf);
	dtt_free(s->runs);
}

static int parse_args(int argc, char **argv, struct sweep *s)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	memset(s, 0, sizeof(*s));
	s->jobs = cpus > 0 ? (unsigned)cpus : 1;
	s->chunk = 16;
	s->cpus = 4;
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(o, "--help") || !strcmp(o, "-h")) {
			fputs(usage_sweep, stdout);
			return EXIT_OK;
		}
		if (o[0] != '-' || !o[1]) {
			if (s->scenario)
				return dtt_sim_usage_error(usage_sweep, "unexpected argument '%s'", o);
			s->scenario = o;
			continue;
		}
		if (!strcmp(o, "--slurm")) {
			s->slurm = true;
			continue;
		}
		if (!v)
			return dtt_sim_usage_error(usage_sweep, "%s needs a value", o);
		i++;
		if (!strcmp(o, "--seeds")) {
			if (!dtt_sim_parse_seeds(v, &s->seed_lo, &s->seed_hi))
				return dtt_sim_usage_error(
				    usage_sweep, "--seeds: expected N or A..B with A <= B, got '%s'",
				    v);
			s->seeds_set = true;
		} else if (!strcmp(o, "--grid")) {
			if (s->grids_count == GRID_MAX)
				return dtt_sim_usage_error(usage_sweep, "at most 8 --grid options%s", "");
			if (!parse_grid(v, &s->grids[s->grids_count++]))
				return dtt_sim_usage_error(usage_sweep,
						   "--grid: expected KEY.PATH=V1,V2,... (at most "
						   "256 non-empty values), got '%s'",
						   v);
		} else if (!strcmp(o, "--set")) {
			if (s->sets_count == DTT_SCENARIO_SET_MAX)
				return dtt_sim_usage_error(usage_sweep, "too many --set options%s", "");
			s->sets[s->sets_count++] = v;
		} else if (!strcmp(o, "--until")) {
			double ms;

			if (dtt_scenario_duration_ms(v, &ms) || ms <= 0 || ms != floor(ms))
				return dtt_sim_usage_error(
				    usage_sweep,
				    "--until: expected a duration such as 90s or 5m, got '%s'", v);
			s->until = v;
		} else if (!strcmp(o, "-j") || !strcmp(o, "--jobs")) {
			if (!parse_uint(v, 4096, &s->jobs))
				return dtt_sim_usage_error(usage_sweep,
						   "%s: expected a number from 1 to 4096", o);
		} else if (!strcmp(o, "--out")) {
			if (!*v)
				return dtt_sim_usage_error(usage_sweep, "--out: empty directory name%s", "");
			s->out = v;
		} else if (!strcmp(o, "--chunk")) {
			if (!parse_uint(v, 1000000, &s->chunk))
				return dtt_sim_usage_error(usage_sweep, "--chunk: expected a positive "
								"number, got '%s'",
						   v);
		} else if (!strcmp(o, "--cpus")) {
			if (!parse_uint(v, 4096, &s->cpus))
				return dtt_sim_usage_error(usage_sweep,
						   "--cpus: expected a number from 1 to 4096, got '%s'",
						   v);
		} else if (!strcmp(o, "--sbatch")) {
			if (s->sbatch_count == SBATCH_MAX)
				return dtt_sim_usage_error(usage_sweep, "at most 16 --sbatch options%s", "");
			if (strchr(v, '\n'))
				return dtt_sim_usage_error(usage_sweep, "--sbatch: no newline allowed%s", "");
			s->sbatch[s->sbatch_count++] = v;
		} else {
			return dtt_sim_usage_error(usage_sweep, "unknown option '%s'", o);
		}
	}
	if (!s->scenario)
		return dtt_sim_usage_error(usage_sweep, "missing SCENARIO%s", "");
	if (s->sets_count + s->grids_count > DTT_SCENARIO_SET_MAX)
		return dtt_sim_usage_error(usage_sweep, "too many --set and --grid options%s", "");
	return -1;
}

/* The overrides of combination c: the fixed --set ones, then one value of each grid (the
 * last grid varies fastest). out holds pointers into s and bufs. */
static size_t combo_sets(const struct sweep *s, size_t c, const char **out,
			 char bufs[GRID_MAX][PATH_LEN])
{
	size_t n = 0;

	for (size_t i = 0; i < s->sets_count; i++)
		out[n++] = s->sets[i];
	for (size_t g = s->grids_count; g-- > 0;) {
		const struct grid *gr = &s->grids[g];

		snprintf(bufs[g], PATH_LEN, "%s=%s", gr->key, gr->values[c % gr->count]);
		c /= gr->count;
	}
	for (size_t g = 0; g < s->grids_count; g++)
		out[n++] = bufs[g];
	return n;
}

static void hex(const uint8_t *b, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = 0;
}

/* Appends a length-prefixed field to buf (grown as needed). */
static int field(char **buf, size_t *len, size_t *cap, const char *s)
{
	size_t n = strlen(s), need = *len + n + 24;

	if (need > *cap) {
		size_t c = *cap ? *cap : 1024;
		char *p;

		while (c < need)
			c *= 2;
		p = dtt_realloc(*buf, c);
		if (!p)
			return -1;
		*buf = p;
		*cap = c;
	}
	*len += (size_t)snprintf(*buf + *len, *cap - *len, "%zu:", n);
	memcpy(*buf + *len, s, n);
	*len += n;
	return 0;
}

/* The run's key: SHA-1 over the dtt version, the scenario text, the overrides, --until and
 * the seed, each length-prefixed; the first 8 bytes in hex. */
static int run_key(const char *text, const char *const *sets, size_t sets_count,
		   const char *until, uint64_t seed, char out[KEY_HEX + 1])
{
	char *buf = NULL, num[32];
	size_t len = 0, cap = 0;
	uint8_t h[DTT_SHA1_BYTES];
	int rc = field(&buf, &len, &cap, "dtt-sweep-1") | field(&buf, &len, &cap, DTT_VERSION) |
		 field(&buf, &len, &cap, text);

	snprintf(num, sizeof(num), "%zu", sets_count);
	rc |= field(&buf, &len, &cap, num);
	for (size_t i = 0; i < sets_count; i++)
		rc |= field(&buf, &len, &cap, sets[i]);
	rc |= field(&buf, &len, &cap, until ? until : "");
	snprintf(num, sizeof(num), "%llu", (unsigned long long)seed);
	rc |= field(&buf, &len, &cap, num);
	if (!rc) {
		dtt_sha1(h, buf, len);
		hex(h, KEY_HEX / 2, out);
	}
	dtt_free(buf);
	return rc ? -1 : 0;
}

static int mkdir_p(const char *path)
{
	char buf[PATH_LEN];
	size_t n = strlen(path);

	if (n >= sizeof(buf))
		return -1;
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1;; p++) {
		if (*p != '/' && *p)
			continue;
		char c = *p;

		*p = 0;
		if (mkdir(buf, 0777) && errno != EEXIST)
			return -1;
		if (!c)
			return 0;
		*p = c;
	}
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* Writes text to path through path.tmp and a rename. */
static int write_file(const char *path, const char *text, size_t len)
{
	char tmp[PATH_LEN + 128];
	FILE *f;
	bool ok;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "wb");
	if (!f)
		return -1;
	ok = fwrite(text, 1, len, f) == len;
	ok = fclose(f) == 0 && ok;
	if (!ok || rename(tmp, path)) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* Appends s to f in single quotes, for /bin/sh. */
static void put_quoted(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	}
	fputc('\'', f);
}

/* One run's shell command: skip when done, else run into <key>.part.db and rename it when the
 * run succeeded; prints "ok KEY" or "failed KEY ..." and fails with the run. */
static void put_job(FILE *f, const struct sweep *s, const struct run *r)
{
	const char *sets[DTT_SCENARIO_SET_MAX];
	char bufs[GRID_MAX][PATH_LEN], base[PATH_LEN + 64];
	size_t n = combo_sets(s, r->combo, sets, bufs);

	snprintf(base, sizeof(base), "%s/runs/%s", s->dir, r->key);
	fprintf(f, "d=");
	put_quoted(f, base);
	fprintf(f, "; test -e \"$d.db\" || { rm -f \"$d.part.db\" \"$d.part.db-wal\" "
		   "\"$d.part.db-shm\"; ");
	put_quoted(f, s->exe);
	fprintf(f, " run ");
	put_quoted(f, s->scen_copy);
	fprintf(f, " --seed %llu", (unsigned long long)r->seed);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, " --set ");
		put_quoted(f, sets[i]);
	}
	if (s->until) {
		fprintf(f, " --until ");
		put_quoted(f, s->until);
	}
	fprintf(f, " --quiet --db \"$d.part.db\" >\"$d.log\" 2>&1 && mv \"$d.part.db\" \"$d.db\"; "
		   "}; if test -e \"$d.db\"; then echo 'ok %s'; else echo 'failed %s seed %llu: "
		   "see '\"$d.log\"; exit 1; fi\n",
		r->key, r->key, (unsigned long long)r->seed);
}

/* Loads the scenario with each combination's overrides (so a bad grid value is a usage error
 * before anything runs), copies its text into the sweep directory and lists the runs. */
static int plan(struct sweep *s)
{
	const char *sets[DTT_SCENARIO_SET_MAX];
	char bufs[GRID_MAX][PATH_LEN], err[ERR_LEN], path[PATH_LEN + 64], th[KEY_HEX + 1];
	struct dtt_scenario sc;
	uint64_t seeds;
	char *text = NULL;
	size_t text_len = 0;
	int rc = 0;

	s->combos = 1;
	for (size_t g = 0; g < s->grids_count && s->combos <= RUNS_MAX; g++)
		s->combos *= s->grids[g].count; /* <= RUNS_MAX * 256: no overflow */
	if (s->combos > RUNS_MAX) {
		fprintf(stderr, "dtt-sim: sweep: more than %d runs\n", RUNS_MAX);
		return EXIT_USAGE;
	}
	seeds = s->seed_hi - s->seed_lo + 1;
	for (size_t c = 0; c < s->combos; c++) {
		size_t n = combo_sets(s, c, sets, bufs);

		if (dtt_scenario_load(&sc, s->scenario, sets, n, err, sizeof(err))) {
			fprintf(stderr, "dtt-sim: %s\n", err);
			return EXIT_USAGE;
		}
		if (c == 0) {
			if (!s->seeds_set)
				s->seed_lo = s->seed_hi = sc.seed, seeds = 1;
			if (!s->out) {
				static char def[PATH_LEN];

				snprintf(def, sizeof(def), "sweeps/%s", sc.name);
				s->out = def;
			}
			text_len = strlen(sc.text);
			text = dtt_alloc(text_len + 1);
			if (text)
				memcpy(text, sc.text, text_len + 1);
		}
		dtt_scenario_deinit(&sc);
		if (!text)
			return EXIT_FAIL;
		if (c == 0 && (seeds == 0 || seeds > RUNS_MAX || s->combos * seeds > RUNS_MAX)) {
			fprintf(stderr, "dtt-sim: sweep: more than %d runs\n", RUNS_MAX);
			rc = EXIT_USAGE;
			goto out;
		}
	}
	if (mkdir_p(s->out) || !realpath(s->out, s->dir)) {
		fprintf(stderr, "dtt-sim: %s: cannot create the sweep directory: %s\n", s->out,
			strerror(errno));
		rc = EXIT_FAIL;
		goto out;
	}
	snprintf(path, sizeof(path), "%s/runs", s->dir);
	if (mkdir_p(path)) {
		fprintf(stderr, "dtt-sim: %s: %s\n", path, strerror(errno));
		rc = EXIT_FAIL;
		goto out;
	}
	{
		uint8_t h[DTT_SHA1_BYTES];

		dtt_sha1(h, text, text_len);
		hex(h, KEY_HEX / 2, th);
	}
	snprintf(s->scen_copy, sizeof(s->scen_copy), "%s/scenario-%s.yaml", s->dir, th);
	if (!exists(s->scen_copy) && write_file(s->scen_copy, text, text_len)) {
		fprintf(stderr, "dtt-sim: %s: cannot write: %s\n", s->scen_copy, strerror(errno));
		rc = EXIT_FAIL;
		goto out;
	}
	s->runs_count = s->combos * (size_t)seeds;
	s->runs = dtt_alloc(s->runs_count * sizeof(*s->runs));
	if (!s->runs) {
		rc = EXIT_FAIL;
		goto out;
	}
	for (size_t c = 0, i = 0; c < s->combos; c++) {
		size_t n = combo_sets(s, c, sets, bufs);

		for (uint64_t seed = s->seed_lo;; seed++) {
			struct run *r = &s->runs[i++];

			r->seed = seed;
			r->combo = c;
			if (run_key(text, sets, n, s->until, seed, r->key)) {
				rc = EXIT_FAIL;
				goto out;
			}
			snprintf(path, sizeof(path), "%s/runs/%s.db", s->dir, r->key);
			r->done = exists(path);
			if (seed == s->seed_hi)
				break;
		}
	}
out:
	dtt_free(text);
	return rc;
}

/* runs.tsv: every run of the sweep, done or not. */
static int write_manifest(const struct sweep *s)
{
	char path[PATH_LEN + 16], tmp[PATH_LEN + 32];
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), "%s/runs.tsv", s->dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return -1;
	fprintf(f, "key\tseed\toverrides\n");
	for (size_t i = 0; i < s->runs_count; i++) {
		const char *sets[DTT_SCENARIO_SET_MAX];
		char bufs[GRID_MAX][PATH_LEN];
		size_t n = combo_sets(s, s->runs[i].combo, sets, bufs);

		fprintf(f, "%s\t%llu\t", s->runs[i].key, (unsigned long long)s->runs[i].seed);
		for (size_t j = 0; j < n; j++)
			fprintf(f, "%s%s", j ? " " : "", sets[j]);
		fputc('\n', f);
	}
	ok = !ferror(f);
	ok = fclose(f) == 0 && ok;
	if (!ok || rename(tmp, path)) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* The job list of the runs not done; returns how many, or -1. */
static long write_jobs(const struct sweep *s, const char *path)
{
	char tmp[PATH_LEN + 64];
	long n = 0;
	FILE *f;
	bool ok;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return -1;
	for (size_t i = 0; i < s->runs_count; i++) {
		if (s->runs[i].done)
			continue;
		put_job(f, s, &s->runs[i]);
		n++;
	}
	ok = !ferror(f);
	ok = fclose(f) == 0 && ok;
	if (!ok || rename(tmp, path)) {
		unlink(tmp);
		return -1;
	}
	return n;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void progress(bool tty, size_t total, size_t done, size_t failed, double t0, bool last)
{
	double el = now_s() - t0;

	fprintf(stderr, "%ssweep: %zu of %zu runs done, %zu left%s%zu failed, %.0f s%s",
		tty ? "\r" : "", done, total, total - done - failed, ", ", failed, el,
		tty && !last ? "   " : "\n");
	fflush(stderr);
}

/* Runs the job list through GNU parallel, reading its "ok/failed KEY" lines for the
 * progress line. */
static int run_local(const struct sweep *s, const char *jobs_path, size_t left)
{
	char joblog[PATH_LEN + 16], jobs_arg[16], line[PATH_LEN * 2];
	size_t done = s->runs_count - left, failed = 0;
	bool tty = isatty(STDERR_FILENO);
	double t0 = now_s();
	int fds[2], status = 0;
	FILE *in;
	pid_t pid;

	snprintf(joblog, sizeof(joblog), "%s/joblog", s->dir);
	snprintf(jobs_arg, sizeof(jobs_arg), "%u", s->jobs);
	if (pipe(fds)) {
		perror("dtt-sim: pipe");
		return EXIT_FAIL;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		perror("dtt-sim: fork");
		return EXIT_FAIL;
	}
	if (pid == 0) {
		close(fds[0]);
		if (dup2(fds[1], STDOUT_FILENO) < 0)
			_exit(127);
		close(fds[1]);
		execlp("parallel", "parallel", "--will-cite", "--jobs", jobs_arg, "--joblog",
		       joblog, "--arg-file", jobs_path, (char *)NULL);
		fprintf(stderr, "dtt-sim: cannot run GNU parallel: %s (install the Debian package "
				"`parallel`)\n",
			strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	in = fdopen(fds[0], "r");
	if (!in) {
		close(fds[0]);
		waitpid(pid, &status, 0);
		return EXIT_FAIL;
	}
	progress(tty, s->runs_count, done, failed, t0, false);
	while (fgets(line, sizeof(line), in)) {
		if (!strncmp(line, "ok ", 3)) {
			done++;
		} else if (!strncmp(line, "failed ", 7)) {
			failed++;
			if (tty)
				fputc('\n', stderr);
			fprintf(stderr, "dtt-sim: %s", line);
		} else {
			continue;
		}
		progress(tty, s->runs_count, done, failed, t0, false);
	}
	fclose(in);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (tty)
		progress(tty, s->runs_count, done, failed, t0, true);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
		return EXIT_FAIL;
	}
	if (done < s->runs_count) {
		fprintf(stderr,
			"sweep: %zu run%s not done (see %s); the same command again runs only "
			"those\n",
			s->runs_count - done, s->runs_count - done == 1 ? "" : "s", joblog);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static int write_slurm(const struct sweep *s, size_t left)
{
	char dir[PATH_LEN + 16], jobs[PATH_LEN + 32], script[PATH_LEN + 32];
	size_t tasks = (left + s->chunk - 1) / s->chunk;
	long n;
	FILE *f;
	bool ok;

	snprintf(dir, sizeof(dir), "%s/slurm", s->dir);
	snprintf(jobs, sizeof(jobs), "%s/jobs.txt", dir);
	snprintf(script, sizeof(script), "%s/sweep.sbatch", dir);
	if (mkdir_p(dir) || (n = write_jobs(s, jobs)) < 0) {
		fprintf(stderr, "dtt-sim: %s: cannot write: %s\n", jobs, strerror(errno));
		return EXIT_FAIL;
	}
	if (!left) {
		unlink(script);
		printf("sweep: all %zu runs done before; nothing to submit\n", s->runs_count);
		printf("merge with: dtt-sim merge %s --db %s/sweep.db\n", s->dir, s->dir);
		return EXIT_OK;
	}
	f = fopen(script, "w");
	if (!f) {
		fprintf(stderr, "dtt-sim: %s: cannot write: %s\n", script, strerror(errno));
		return EXIT_FAIL;
	}
	fprintf(f, "#!/bin/bash\n");
	fprintf(f, "# Written by dtt-sim sweep (dtt %s): %zu runs of %s left of %zu, in %zu array\n"
		   "# tasks of up to %u runs, each run by GNU parallel on the task's CPUs. A run "
		   "whose\n# results file exists is skipped, so resubmitting is safe.\n",
		DTT_VERSION, left, s->scenario, s->runs_count, tasks, s->chunk);
	fprintf(f, "#SBATCH --job-name=dtt-sweep\n");
	fprintf(f, "#SBATCH --array=1-%zu\n", tasks);
	fprintf(f, "#SBATCH --ntasks=1\n");
	fprintf(f, "#SBATCH --cpus-per-task=%u\n", s->cpus);
	fprintf(f, "#SBATCH --output=%s/%%A_%%a.out\n", dir);
	for (size_t i = 0; i < s->sbatch_count; i++)
		fprintf(f, "#SBATCH %s\n", s->sbatch[i]);
	fprintf(f, "set -eu\n");
	fprintf(f, "chunk=%u\n", s->chunk);
	fprintf(f, "task=${SLURM_ARRAY_TASK_ID:?submit this script with sbatch}\n");
	fprintf(f, "first=$(( (task - 1) * chunk + 1 ))\n");
	fprintf(f, "last=$(( task * chunk ))\n");
	fprintf(f, "sed -n \"${first},${last}p\" ");
	put_quoted(f, jobs);
	fprintf(f, " |\n\tparallel --will-cite --jobs \"${SLURM_CPUS_PER_TASK:-1}\" --joblog ");
	put_quoted(f, dir);
	fprintf(f, "\"/joblog.${SLURM_ARRAY_JOB_ID:-0}.$task\"\n");
	ok = !ferror(f);
	ok = fclose(f) == 0 && ok;
	if (!ok) {
		fprintf(stderr, "dtt-sim: %s: write error\n", script);
		return EXIT_FAIL;
	}
	printf("sweep: %zu runs, %zu done before, %zu left in %zu array task%s of up to %u\n",
	       s->runs_count, s->runs_count - left, left, tasks, tasks == 1 ? "" : "s", s->chunk);
	if (tasks > 1000)
		printf("note: more than 1000 array tasks; many clusters limit arrays to 1000 "
		       "(MaxArraySize): raise --chunk\n");
	printf("submit with: sbatch --wait %s\n", script);
	printf("then merge with: dtt-sim merge %s --db %s/sweep.db\n", s->dir, s->dir);
	return EXIT_OK;
}

int dtt_sweep_main(int argc, char **argv)
{
	char jobs[PATH_LEN + 16];
	struct sweep s;
	size_t left = 0;
	ssize_t n;
	int rc = parse_args(argc, argv, &s);

	if (rc >= 0) {
		sweep_free(&s);
		return rc;
	}
	n = readlink("/proc/self/exe", s.exe, sizeof(s.exe) - 1);
	if (n <= 0) {
		fprintf(stderr, "dtt-sim: cannot find its own executable: %s\n", strerror(errno));
		sweep_free(&s);
		return EXIT_FAIL;
	}
	s.exe[n] = 0;
	if ((rc = plan(&s))) {
		sweep_free(&s);
		return rc;
	}
	for (size_t i = 0; i < s.runs_count; i++)
		left += !s.runs[i].done;
	if (write_manifest(&s)) {
		fprintf(stderr, "dtt-sim: %s/runs.tsv: cannot write: %s\n", s.dir,
			strerror(errno));
		sweep_free(&s);
		return EXIT_FAIL;
	}
	if (s.slurm) {
		rc = write_slurm(&s, left);
		sweep_free(&s);
		return rc;
	}
	printf("sweep: %zu runs (%zu combination%s x %llu seed%s), %zu done before, %zu to run "
	       "on %u core%s\n",
	       s.runs_count, s.combos, s.combos == 1 ? "" : "s",
	       (unsigned long long)(s.seed_hi - s.seed_lo + 1), s.seed_hi == s.seed_lo ? "" : "s",
	       s.runs_count - left, left, s.jobs, s.jobs == 1 ? "" : "s");
	fflush(stdout);
	rc = EXIT_OK;
	if (left) {
		snprintf(jobs, sizeof(jobs), "%s/jobs.txt", s.dir);
		if (write_jobs(&s, jobs) < 0) {
			fprintf(stderr, "dtt-sim: %s: cannot write: %s\n", jobs, strerror(errno));
			sweep_free(&s);
			return EXIT_FAIL;
		}
		rc = run_local(&s, jobs, left);
	}
	if (rc == EXIT_OK)
		printf("sweep: all %zu runs done in %s/runs; merge with: dtt-sim merge %s --db "
		       "%s/sweep.db\n",
		       s.runs_count, s.dir, s.dir, s.dir);
	sweep_free(&s);
	return rc;
}
