/* scenario.c - scenario file loader (SCENARIOS.md) on libyaml's document API: every value is
 * checked against the expected shape, with file:line:column, key path and expectation. */
#include "scenario.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "alloc.h"
#include "dtt.h"

#define PATH_MAX_LEN   256
#define FILE_MAX_BYTES (16u << 20)

const char *const dtt_scenario_metrics[] = {
#define X(e, name) name,
    DTT_SCENARIO_METRICS(X)
#undef X
    NULL,
};

const char *const dtt_scenario_topic_metrics[] = {
#define X(e, name, per_broadcast) name,
    DTT_SCENARIO_TOPIC_METRICS(X)
#undef X
    NULL,
};

bool dtt_scenario_broadcast_metric(const char *name)
{
	static const bool per_broadcast[] = {
#define X(e, name, per_broadcast) per_broadcast,
	    DTT_SCENARIO_TOPIC_METRICS(X)
#undef X
	};

	for (size_t i = 0; i < sizeof(per_broadcast) / sizeof(per_broadcast[0]); i++)
		if (per_broadcast[i] && !strcmp(dtt_scenario_topic_metrics[i], name))
			return true;
	return false;
}

struct ps {
	const char *file;
	yaml_document_t *doc;
	char *err;
	size_t err_len;
	bool failed;
	bool has_topics;			  /* the scenario has a topics list */
	int overridden[3 * DTT_SCENARIO_SET_MAX]; /* node indexes created by --set */
	const char *override_text[3 * DTT_SCENARIO_SET_MAX];
	size_t overridden_count;
};

static int node_index(struct ps *p, yaml_node_t *n)
{
	return (int)(n - p->doc->nodes.start) + 1;
}

static yaml_node_t *node_get(struct ps *p, int idx)
{
	return yaml_document_get_node(p->doc, idx);
}

static int fail(struct ps *p, yaml_node_t *n, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(struct ps *p, yaml_node_t *n, const char *path, const char *fmt, ...)
{
	char msg[DTT_SCENARIO_ERR_MAX];
	va_list ap;

	if (p->failed)
		return DTT_ERR_INVALID;
	p->failed = true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n) {
		int idx = node_index(p, n);

		for (size_t i = 0; i < p->overridden_count; i++) {
			if (p->overridden[i] == idx) {
				snprintf(p->err, p->err_len, "%s: --set %s: %s", p->file,
					 p->override_text[i], msg);
				return DTT_ERR_INVALID;
			}
		}
		snprintf(p->err, p->err_len, "%s:%zu:%zu: %s%s%s", p->file, n->start_mark.line + 1,
			 n->start_mark.column + 1, path, *path ? ": " : "", msg);
	} else {
		snprintf(p->err, p->err_len, "%s: %s%s%s", p->file, path, *path ? ": " : "", msg);
	}
	return DTT_ERR_INVALID;
}

/* out = path.key (or key at the root), cut at PATH_MAX_LEN - 1 bytes. */
static void join_path(char *out, const char *path, const char *key)
{
	size_t l = 0;

	for (const char *p = path; *p && l < PATH_MAX_LEN - 1; p++)
		out[l++] = *p;
	if (*path && l < PATH_MAX_LEN - 1)
		out[l++] = '.';
	for (const char *p = key; *p && l < PATH_MAX_LEN - 1; p++)
		out[l++] = *p;
	out[l] = 0;
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static bool is_null(const yaml_node_t *n)
{
	const char *s = scalar(n);

	return s && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       (!*s || !strcmp(s, "~") || !strcmp(s, "null"));
}

static const char *shown(const yaml_node_t *n)
{
	if (!n)
		return "nothing";
	if (n->type == YAML_MAPPING_NODE)
		return "a mapping";
	if (n->type == YAML_SEQUENCE_NODE)
		return "a list";
	return NULL;
}

/* "got 'x'" or "got a mapping" for messages. */
static void got(const yaml_node_t *n, char *out, size_t len)
{
	const char *s = shown(n), *v = scalar(n);

	if (s)
		snprintf(out, len, "got %s", s);
	else
		snprintf(out, len, "got '%.60s'", v ? v : "");
}

/* Matches the keys of map against allowed (NULL-terminated): vals[i] receives the value of
 * allowed[i] or NULL. Keys in later are rejected as "not supported yet"; any other key, a
 * duplicate or a non-scalar key is an error. */
static int fields(struct ps *p, yaml_node_t *map, const char *path, const char *const *allowed,
		  const char *const *later, yaml_node_t **vals)
{
	size_t n = 0;

	while (allowed[n])
		vals[n++] = NULL;
	if (!map || map->type != YAML_MAPPING_NODE) {
		char g[96];

		got(map, g, sizeof(g));
		return fail(p, map, path, "expected a mapping, %s", g);
	}
	for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top;
	     pr++) {
		yaml_node_t *k = node_get(p, pr->key), *v = node_get(p, pr->value);
		const char *ks = scalar(k);
		char sub[PATH_MAX_LEN], list[256] = "";
		size_t i;

		if (!ks)
			return fail(p, k, path, "expected a plain key, got %s", shown(k));
		join_path(sub, path, ks);
		for (i = 0; allowed[i]; i++)
			if (!strcmp(allowed[i], ks))
				break;
		if (allowed[i]) {
			if (vals[i])
				return fail(p, k, sub, "duplicate key");
			vals[i] = v;
			continue;
		}
		for (size_t j = 0; later && later[j]; j++)
			if (!strcmp(later[j], ks))
				return fail(p, k, sub, "not supported yet");
		for (i = 0; allowed[i]; i++) {
			size_t l = strlen(list);

			snprintf(list + l, sizeof(list) - l, "%s%s", i ? ", " : "", allowed[i]);
		}
		return fail(p, k, sub, "unknown key (expected one of: %s)", list);
	}
	return 0;
}

int dtt_scenario_duration_ms(const char *s, double *out_ms)
{
	static const struct {
		const char *unit;
		size_t len;
		double ms;
	} units[] = {{"ms", 2, 1}, {"h", 1, 3600000}, {"m", 1, 60000}, {"s", 1, 1000}};
	double total = 0;

	if (!s || !*s)
		return DTT_ERR_INVALID;
	if (!strcmp(s, "0")) { /* a bare number is ambiguous; only 0 needs no unit */
		*out_ms = 0;
		return 0;
	}
	/* One or more <number><unit> parts: "90s", "1.5h", "1m30s". */
	while (*s) {
		char *end;
		double v;
		size_t i;

		size_t span = strspn(s, "0123456789.");

		if (!span)
			return DTT_ERR_INVALID;
		errno = 0;
		v = strtod(s, &end);
		if (errno || end != s + span || !isfinite(v))
			return DTT_ERR_INVALID;
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (!strncmp(end, units[i].unit, units[i].len))
				break;
		if (i == sizeof(units) / sizeof(units[0]))
			return DTT_ERR_INVALID;
		total += v * units[i].ms;
		s = end + units[i].len;
	}
	*out_ms = total;
	return 0;
}

char *dtt_scenario_fmt_ms(uint64_t ms, char *out, size_t out_len)
{
	uint64_t h = ms / 3600000, m = ms / 60000 % 60, s = ms / 1000 % 60, r = ms % 1000;
	size_t l = 0;

	out[0] = 0;
	if (ms == 0) {
		snprintf(out, out_len, "0s");
		return out;
	}
	if (h)
		l += (size_t)snprintf(out + l, out_len - l, "%lluh", (unsigned long long)h);
	if (m && l < out_len)
		l += (size_t)snprintf(out + l, out_len - l, "%llum", (unsigned long long)m);
	if (s && l < out_len)
		l += (size_t)snprintf(out + l, out_len - l, "%llus", (unsigned long long)s);
	if (r && l < out_len)
		snprintf(out + l, out_len - l, "%llums", (unsigned long long)r);
	return out;
}

static int get_duration(struct ps *p, yaml_node_t *n, const char *path, bool whole, double *ms)
{
	const char *s = scalar(n);
	char g[96];

	got(n, g, sizeof(g));
	if (!s || dtt_scenario_duration_ms(s, ms))
		return fail(p, n, path, "expected a duration with a unit (ms, s, m, h), %s", g);
	if (whole && *ms != floor(*ms))
		return fail(p, n, path, "expected a whole number of milliseconds, %s", g);
	if (*ms > 1e15)
		return fail(p, n, path, "duration too large, %s", g);
	return 0;
}

static int get_duration_u64(struct ps *p, yaml_node_t *n, const char *path, uint64_t *out)
{
	double ms;
	int err = get_duration(p, n, path, true, &ms);

	if (!err)
		*out = (uint64_t)ms;
	return err;
}

static int get_u64(struct ps *p, yaml_node_t *n, const char *path, uint64_t min, uint64_t max,
		   const char *what, uint64_t *out)
{
	const char *s = scalar(n);
	unsigned long long v;
	char *end, g[96];

	got(n, g, sizeof(g));
	if (!s || !*s || *s < '0' || *s > '9')
		return fail(p, n, path, "expected %s, %s", what, g);
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return fail(p, n, path, "expected %s, %s", what, g);
	*out = v;
	return 0;
}

static int get_u32(struct ps *p, yaml_node_t *n, const char *path, uint32_t min, uint32_t max,
		   const char *what, uint32_t *out)
{
	uint64_t v;
	int err = get_u64(p, n, path, min, max, what, &v);

	if (!err)
		*out = (uint32_t)v;
	return err;
}

static int get_double(struct ps *p, yaml_node_t *n, const char *path, double min, double max,
		      const char *what, double *out)
{
	const char *s = scalar(n);
	char *end, g[96];
	double v;

	got(n, g, sizeof(g));
	if (!s || !*s)
		return fail(p, n, path, "expected %s, %s", what, g);
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v < min || v > max)
		return fail(p, n, path, "expected %s, %s", what, g);
	*out = v;
	return 0;
}

static int get_fraction(struct ps *p, yaml_node_t *n, const char *path, double *out)
{
	return get_double(p, n, path, 0.0, 1.0, "a fraction between 0 and 1", out);
}

static int get_bool(struct ps *p, yaml_node_t *n, const char *path, bool *out)
{
	const char *s = scalar(n);
	char g[96];

	got(n, g, sizeof(g));
	if (s && (!strcmp(s, "true") || !strcmp(s, "yes"))) {
		*out = true;
		return 0;
	}
	if (s && (!strcmp(s, "false") || !strcmp(s, "no"))) {
		*out = false;
		return 0;
	}
	return fail(p, n, path, "expected true or false, %s", g);
}

static int get_word(struct ps *p, yaml_node_t *n, const char *path, const char *const *words,
		    int *out)
{
	const char *s = scalar(n);
	char list[160] = "", g[96];

	for (int i = 0; s && words[i]; i++) {
		if (!strcmp(words[i], s)) {
			*out = i;
			return 0;
		}
	}
	for (int i = 0; words[i]; i++) {
		size_t l = strlen(list);

		snprintf(list + l, sizeof(list) - l, "%s%s", i ? ", " : "", words[i]);
	}
	got(n, g, sizeof(g));
	return fail(p, n, path, "expected one of %s, %s", list, g);
}

/* --- sections --- */

static int parse_latency(struct ps *p, struct dtt_scenario *sc, yaml_node_t *n, const char *path)
{
	static const char *const keys[] = {"dist", "value", "min", "max", "median", "sigma", NULL};
	static const char *const dists[] = {"constant", "uniform", "lognormal", "coordinates", NULL};
	_Static_assert(sizeof(dists) / sizeof(dists[0]) == DTT_SIMNET_COORDINATES + 1 + 1,
		       "one name per dist, then NULL");
	/* 1: required, 2: optional (lognormal's floor), 0: not used */
	static const unsigned char used[4][6] = {
	    {1, 1, 0, 0, 0, 0},
	    {1, 0, 1, 1, 0, 0},
	    {1, 0, 2, 0, 1, 1},
	    {1, 0, 1, 1, 0, 0},
	};
	struct dtt_simnet_latency *l = &sc->network.latency;
	yaml_node_t *v[7];
	char sub[PATH_MAX_LEN];
	int dist, err;

	if (scalar(n)) { /* shorthand: latency: 50ms */
		l->dist = DTT_SIMNET_CONSTANT;
		return get_duration(p, n, path, false, &l->value_ms);
	}
	if ((err = fields(p, n, path, keys, NULL, v)))
		return err;
	join_path(sub, path, "dist");
	if (!v[0])
		return fail(p, n, sub, "missing (expected constant, uniform, lognormal or coordinates)");
	if ((err = get_word(p, v[0], sub, dists, &dist)))
		return err;
	for (int i = 1; i < 6; i++) {
		join_path(sub, path, keys[i]);
		if (v[i] && !used[dist][i])
			return fail(p, v[i], sub, "not used by dist %s", dists[dist]);
		if (!v[i] && used[dist][i] == 1)
			return fail(p, n, sub, "missing (required by dist %s)", dists[dist]);
	}
	l->dist = (enum dtt_simnet_dist)dist;
	join_path(sub, path, "value");
	if (v[1] && (err = get_duration(p, v[1], sub, false, &l->value_ms)))
		return err;
	join_path(sub, path, "min");
	if (v[2] && (err = get_duration(p, v[2], sub, false, &l->min_ms)))
		return err;
	join_path(sub, path, "max");
	if (v[3] && (err = get_duration(p, v[3], sub, false, &l->max_ms)))
		return err;
	if (v[3] && l->max_ms < l->min_ms)
		return fail(p, v[3], sub, "must not be below min");
	join_path(sub, path, "median");
	if (v[4] && (err = get_duration(p, v[4], sub, false, &l->median_ms)))
		return err;
	join_path(sub, path, "sigma");
	if (v[5] && (err = get_double(p, v[5], sub, 0, 10, "a number between 0 and 10", &l->sigma)))
		return err;
	if (v[2] && v[4] && l->min_ms >= l->median_ms) {
		join_path(sub, path, "min");
		return fail(p, v[2], sub, "must be below median");
	}
	return 0;
}

static int parse_network(struct ps *p, struct dtt_scenario *sc, yaml_node_t *n)
{
	static const char *const keys[] = {"latency", "jitter", "loss", "duplicate", NULL};
	yaml_node_t *v[5];
	int err;

	if ((err = fields(p, n, "network", keys, NULL, v)))
		return err;
	if (v[0] && (err = parse_latency(p, sc, v[0], "network.latency")))
		return err;
	if (v[1] && (err = get_duration(p, v[1], "network.jitter", false, &sc->network.jitter_ms)))
		return err;
	if (v[2] && (err = get_fraction(p, v[2], "network.loss", &sc->network.loss)))
		return err;
	if (v[3] && (err = get_fraction(p, v[3], "network.duplicate", &sc->network.duplicate)))
		return err;
	return 0;
}

/* Knobs only dtt-sim-ns3 has (sim/ns3/README.md); dtt-sim reads and ignores them. */
static int parse_ns3(struct ps *p, struct dtt_scenario *sc, yaml_node_t *n)
{
	static const char *const keys[] = {"access_mbps", "core_mbps", "queue", "routers", NULL};
	yaml_node_t *v[5];
	int err;

	if ((err = fields(p, n, "ns3", keys, NULL, v)))
		return err;
	if (v[0] &&
	    (err = get_double(p, v[0], "ns3.access_mbps", 0.001, 1e6,
			      "a link rate in Mbit/s (0.001 .. 1e6)", &sc->ns3.access_mbps)))
		return err;
	if (v[1] && (err = get_double(p, v[1], "ns3.core_mbps", 0.001, 1e6,
				      "a link rate in Mbit/s (0.001 .. 1e6)", &sc->ns3.core_mbps)))
		return err;
	if (v[2] && (err = get_u32(p, v[2], "ns3.queue", 1, 1u << 20,
				   "a queue length in packets (1 .. 1048576)", &sc->ns3.queue)))
		return err;
	if (v[3] && (err = get_u32(p, v[3], "ns3.routers", 0, 256,
				   "a number of core routers (0: automatic, at most 256)",
				   &sc->ns3.routers)))
		return err;
	return 0;
}

static int parse_dht(struct ps *p, struct dtt_scenario *sc, yaml_node_t *n, bool has_topics)
{
	static const char *const keys[] = {"nodes", "bootstrap", "join", "members_are", NULL};
	static const char *const join_keys[] = {"over", NULL};
	static const char *const kinds[] = {"client", "server", NULL};
	yaml_node_t *v[5], *j[2];
	int err, w;

	if ((err = fields(p, n, "dht", keys, NULL, v)))
		return err;
	if (!v[0])
		return fail(p, n, "dht.nodes", "missing (expected a positive integer)");
	/* With topics the DHT may be empty (gossip-only members need none). */
	if ((err = get_u32(p, v[0], "dht.nodes", has_topics ? 0 : 1, DTT_SCENARIO_NODES_MAX,
			   has_topics ? "a non-negative integer (at most 10000000)"
				      : "a positive integer (at most 10000000)",
			   &sc->dht.nodes)))
		return err;
	if (v[1] && (err = get_u32(p, v[1], "dht.bootstrap", 1, DTT_SCENARIO_NODES_MAX,
				   "a positive integer", &sc->dht.bootstrap)))
		return err;
	if (sc->dht.bootstrap > sc->dht.nodes) {
		if (v[1])
			return fail(p, v[1], "dht.bootstrap",
				    "more bootstrap nodes than dht.nodes");
		sc->dht.bootstrap = sc->dht.nodes;
	}
	if (v[2]) {
		if ((err = fields(p, v[2], "dht.join", join_keys, NULL, j)))
			return err;
		if (j[0] &&
		    (err = get_duration_u64(p, j[0], "dht.join.over", &sc->dht.join_over_ms)))
			return err;
	}
	if (v[3]) {
		if (!has_topics)
			return fail(p, v[3], "dht.members_are", "the scenario has no topics");
		if ((err = get_word(p, v[3], "dht.members_are", kinds, &w)))
			return err;
		sc->dht.members_are_servers = w == 1;
	}
	return 0;
}

static int parse_workload(struct ps *p, struct dtt_scenario *sc, yaml_node_t *n)
{
	static const char *const keys[] = {"keys", "value_size", "start", "puts", "gets", NULL};
	static const char *const op_keys[] = {"every", "from", "keys", NULL};
	static const char *const froms[] = {"random", NULL};
	static const char *const put_keys[] = {"random", "next", NULL};
	_Static_assert(sizeof(put_keys) / sizeof(put_keys[0]) == DTT_PUT_KEYS_NEXT + 1 + 1,
		       "one name per put_keys mode, then NULL");
	static const char *const get_keys[] = {"stored", "recent", "any", NULL};
	_Static_assert(sizeof(get_keys) / sizeof(get_keys[0]) == DTT_GET_KEYS_ANY + 1 + 1,
		       "one name per get_keys mode, then NULL");
	yaml_node_t *v[6], *o[4];
	int err, w;

	if ((err = fields(p, n, "workload", keys, NULL, v)))
		return err;
	if (v[0] && (err = get_u32(p, v[0], "workload.keys", 1, DTT_SCENARIO_KEYS_MAX,
				   "a positive integer (at most 4096)", &sc->workload.keys)))
		return err;
	if (v[1] && (err = get_u32(p, v[1], "workload.value_size", 0, 900,
				   "a size in bytes from 0 to 900", &sc->workload.value_size)))
		return err;
	sc->workload.start_ms = sc->dht.join_over_ms;
	if (v[2] && (err = get_duration_u64(p, v[2], "workload.start", &sc->workload.start_ms)))
		return err;
	for (int i = 0; i < 2; i++) {
		const char *name = i ? "workload.gets" : "workload.puts";
		char sub[PATH_MAX_LEN];
		uint64_t every;

		if (!v[3 + i])
			continue;
		if ((err = fields(p, v[3 + i], name, op_keys, NULL, o)))
			return err;
		join_path(sub, name, "every");
		if (!o[0])
			return fail(p, v[3 + i], sub, "missing (expected a duration)");
		if ((err = get_duration_u64(p, o[0], sub, &every)))
			return err;
		if (!every)
			return fail(p, o[0], sub, "must be above 0");
		join_path(sub, name, "from");
		if (o[1] && (err = get_word(p, o[1], sub, froms, &w)))
			return err;
		join_path(sub, name, "keys");
		if (o[2] && (err = get_word(p, o[2], sub, i ? get_keys : put_keys, &w)))
			return err;
		if (o[2] && i)
			sc->workload.get_keys = (enum dtt_scenario_get_keys)w;
		else if (o[2])
			sc->workload.put_keys = (enum dtt_scenario_put_keys)w;
		if (i)
			sc->workload.get_every_ms = every;
		else
			sc->workload.put_every_ms = every;
	}
	return 0;
}

static int parse_join(struct ps *p, struct dtt_scenario_topic *t, yaml_node_t *n, const char *path)
{
	static const char *const keys[] = {"at", "over", "bursts", "every", NULL};
	yaml_node_t *v[5];
	char sub[PATH_MAX_LEN];
	int err;

	if ((err = fields(p, n, path, keys, NULL, v)))
		return err;
	join_path(sub, path, "at");
	if (v[0] && (err = get_duration_u64(p, v[0], sub, &t->join_at_ms)))
		return err;
	join_path(sub, path, "over");
	if (v[1] && (err = get_duration_u64(p, v[1], sub, &t->join_over_ms)))
		return err;
	join_path(sub, path, "bursts");
	if (v[2] &&
	    (err = get_u32(p, v[2], sub, 1, 1000, "a number of bursts from 1 to 1000", &t->bursts)))
		return err;
	join_path(sub, path, "every");
	if (v[3] && (err = get_duration_u64(p, v[3], sub, &t->burst_every_ms)))
		return err;
	if (t->bursts > 1 && !t->burst_every_ms)
		return fail(p, v[3] ? v[3] : n, sub,
			    v[3] ? "must be above 0" : "missing (bursts need `every`)");
	if (t->bursts == 1 && v[3])
		return fail(p, v[3], sub, "only with bursts above 1");
	return 0;
}

static int parse_traffic(struct ps *p, struct dtt_scenario_topic *t, yaml_node_t *n,
			 const char *path)
{
	static const char *const keys[] = {"every", "size", "senders", "start", "count", NULL};
	static const char *const senders[] = {"single", "random", "all", NULL};
	_Static_assert(sizeof(senders) / sizeof(senders[0]) == DTT_SENDERS__COUNT + 1,
		       "one name per senders mode, then NULL");
	yaml_node_t *v[6];
	char sub[PATH_MAX_LEN];
	int err, w;

	if ((err = fields(p, n, path, keys, NULL, v)))
		return err;
	join_path(sub, path, "every");
	if (!v[0])
		return fail(p, n, sub, "missing (expected a duration)");
	if ((err = get_duration_u64(p, v[0], sub, &t->traffic.every_ms)))
		return err;
	if (!t->traffic.every_ms)
		return fail(p, v[0], sub, "must be above 0");
	join_path(sub, path, "size");
	if (v[1] && (err = get_u32(p, v[1], sub, DTT_SCENARIO_PAYLOAD_MIN, DTT_SCENARIO_PAYLOAD_MAX,
				   "a size in bytes from 16 to 4096", &t->traffic.size)))
		return err;
	join_path(sub, path, "senders");
	if (v[2]) {
		if ((err = get_word(p, v[2], sub, senders, &w)))
			return err;
		t->traffic.senders = (enum dtt_scenario_senders)w;
	}
	join_path(sub, path, "start");
	/* default: when the last member has started */
	t->traffic.start_ms =
	    t->join_at_ms + (uint64_t)(t->bursts - 1) * t->burst_every_ms + t->join_over_ms;
	if (v[3] && (err = get_duration_u64(p, v[3], sub, &t->traffic.start_ms)))
		return err;
	join_path(sub, path, "count");
	if (v[4] && (err = get_u32(p, v[4], sub, 1, UINT32_MAX, "a positive number of rounds",
				   &t->traffic.count)))
		return err;
	return 0;
}

/* A dtt_tracker_strategies name into out (DTT_SCENARIO_STRATEGY_MAX bytes). */
static int get_strategy(struct ps *p, yaml_node_t *n, const char *path, char *out)
{
	const char *str = scalar(n);
	int w;

	for (w = 0; str && dtt_tracker_strategies[w]; w++)
		if (!strcmp(dtt_tracker_strategies[w], str))
			break;
	if (!str || !dtt_tracker_strategies[w]) {
		char list[160] = "", g[96];

		for (int k = 0; dtt_tracker_strategies[k]; k++) {
			size_t l = strlen(list);

			snprintf(list + l, sizeof(list) - l, "%s%s", k ? ", " : "",
				 dtt_tracker_strategies[k]);
		}
		got(n, g, sizeof(g));
		return fail(p, n, path, "unknown strategy (expected one of: %s), %s", list, g);
	}
	snprintf(out, DTT_SCENARIO_STRATEGY_MAX, "%s", str);
	return 0;
}

static int parse_mix(struct ps *p, struct dtt_scenario_topic *t, yaml_node_t *n, const char *path)
{
	static const char *const keys[] = {"strategy", "members", NULL};
	yaml_node_t *v[3];
	char sub[PATH_MAX_LEN];
	int err;

	if ((err = fields(p, n, path, keys, NULL, v)))
		return err;
	join_path(sub, path, "strategy");
	if (!v[0])
		return fail(p, n, sub, "missing (expected a strategy name)");
	if ((err = get_strategy(p, v[0], sub, t->mix_strategy)))
		return err;
	join_path(sub, path, "members");
	if (!v[1])
		return fail(p, n, sub, "missing (expected a fraction between 0 and 1)");
	return get_fraction(p, v[1], sub, &t->mix_fraction);
}

static int parse_topic(struct ps *p, struct dtt_scenario *sc, yaml_node_t *n, size_t i)
{
	static const char *const keys[] = {"name",	"secret", "strategy", "members", "join",
					   "bootstrap", "peers",  "traffic",  "mix",	 NULL};
	static const char *const boots[] = {"dht", "peers", NULL};
	_Static_assert(sizeof(boots) / sizeof(boots[0]) == DTT_BOOTSTRAP_PEERS + 1 + 1,
		       "one name per bootstrap, then NULL");
	struct dtt_scenario_topic *t = &sc->topics[i];
	char path[PATH_MAX_LEN], sub[PATH_MAX_LEN];
	yaml_node_t *v[10];
	const char *str;
	int err, w;

	snprintf(path, sizeof(path), "topics[%zu]", i);
	if ((err = fields(p, n, path, keys, NULL, v)))
		return err;
	memset(t, 0, sizeof(*t));
	t->line = (unsigned)n->start_mark.line + 1;
	t->bursts = 1;
	t->peers = 3;
	t->traffic.size = 100;
	t->traffic.senders = DTT_SENDERS_RANDOM;
	snprintf(t->strategy, sizeof(t->strategy), "reference");
	join_path(sub, path, "name");
	str = scalar(v[0]);
	if (!v[0])
		return fail(p, n, sub, "missing (expected a short name, e.g. demo)");
	if (!str || !*str || strlen(str) >= DTT_SCENARIO_NAME_MAX || strpbrk(str, "/\\ \t@"))
		return fail(p, v[0], sub,
			    "expected a short name without spaces, slashes or @ (at most 63 "
			    "characters)");
	for (size_t k = 0; k < i; k++)
		if (!strcmp(sc->topics[k].name, str))
			return fail(p, v[0], sub, "a second topic named '%s'", str);
	snprintf(t->name, sizeof(t->name), "%s", str);
	join_path(sub, path, "secret");
	str = v[1] ? scalar(v[1]) : t->name; /* default: the topic's name */
	if (!str || strlen(str) > DTT_SCENARIO_SECRET_MAX)
		return fail(p, v[1], sub, "expected text of at most %d bytes",
			    DTT_SCENARIO_SECRET_MAX);
	t->secret_len = strlen(str);
	memcpy(t->secret, str, t->secret_len);
	join_path(sub, path, "strategy");
	if (v[2] && (err = get_strategy(p, v[2], sub, t->strategy)))
		return err;
	join_path(sub, path, "members");
	if (!v[3])
		return fail(p, n, sub, "missing (expected a positive integer)");
	if ((err = get_u32(p, v[3], sub, 1, DTT_SCENARIO_NODES_MAX,
			   "a positive integer (at most 10000000)", &t->members)))
		return err;
	join_path(sub, path, "join");
	if (v[4] && (err = parse_join(p, t, v[4], sub)))
		return err;
	join_path(sub, path, "bootstrap");
	if (v[5]) {
		if ((err = get_word(p, v[5], sub, boots, &w)))
			return err;
		t->bootstrap = (enum dtt_scenario_bootstrap)w;
	}
	join_path(sub, path, "peers");
	if (v[6]) {
		if (t->bootstrap != DTT_BOOTSTRAP_PEERS)
			return fail(p, v[6], sub, "only with bootstrap: peers");
		if ((err = get_u32(p, v[6], sub, 1, DTT_SCENARIO_PEERS_MAX,
				   "a number of contacts from 1 to 16", &t->peers)))
			return err;
	}
	join_path(sub, path, "traffic");
	if (v[7] && (err = parse_traffic(p, t, v[7], sub)))
		return err;
	join_path(sub, path, "mix");
	if (v[8]) {
		if (t->bootstrap != DTT_BOOTSTRAP_DHT)
			return fail(p, v[8], sub, "only with bootstrap: dht (the tracker's strategy)");
		if ((err = parse_mix(p, t, v[8], sub)))
			return err;
	}
	return 0;
}

static int parse_topics(struct ps *p, struct dtt_scenario *sc, yaml_node_t *n)
{
	uint64_t total = 0;
	size_t count;
	int err;

	if (n->type != YAML_SEQUENCE_NODE)
		return fail(p, n, "topics", "expected a list of topics");
	count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (!count)
		return fail(p, n, "topics", "expected at least one topic");
	if (count > DTT_SCENARIO_TOPICS_MAX)
		return fail(p, n, "topics", "at most %d topics", DTT_SCENARIO_TOPICS_MAX);
	sc->topics = dtt_alloc(count * sizeof(*sc->topics));
	if (!sc->topics)
		return fail(p, n, "topics", "out of memory");
	for (size_t i = 0; i < count; i++) {
		if ((err = parse_topic(p, sc, node_get(p, n->data.sequence.items.start[i]), i)))
			return err;
		sc->topics_count++;
		total += sc->topics[i].members;
	}
	if (total + sc->dht.nodes > DTT_SCENARIO_NODES_MAX)
		return fail(p, n, "topics",
			    "more than 10000000 nodes (DHT nodes and members together)");
	sc->members = (uint32_t)total;
	return 0;
}

static int parse_partition(struct ps *p, struct dtt_scenario_event *ev, yaml_node_t *n,
			   const char *path)
{
	static const char *const keys[] = {"groups", NULL};
	yaml_node_t *v[2], *g;
	char sub[PATH_MAX_LEN];
	double sum = 0;
	int err;

	if ((err = fields(p, n, path, keys, NULL, v)))
		return err;
	join_path(sub, path, "groups");
	g = v[0];
	if (!g || g->type != YAML_SEQUENCE_NODE)
		return fail(p, g ? g : n, sub, "expected a list of fractions, e.g. [0.5, 0.5]");
	ev->groups = 0;
	for (yaml_node_item_t *it = g->data.sequence.items.start; it < g->data.sequence.items.top;
	     it++) {
		char item[PATH_MAX_LEN + 16];

		snprintf(item, sizeof(item), "%s[%zu]", sub, ev->groups);
		if (ev->groups == DTT_SIMNET_GROUPS_MAX)
			return fail(p, g, sub, "at most %d groups", DTT_SIMNET_GROUPS_MAX);
		if ((err = get_fraction(p, node_get(p, *it), item, &ev->fractions[ev->groups])))
			return err;
		sum += ev->fractions[ev->groups++];
	}
	if (ev->groups < 2)
		return fail(p, g, sub, "expected at least 2 groups");
	if (fabs(sum - 1.0) > 1e-6)
		return fail(p, g, sub, "fractions must add up to 1.0 (they add up to %g)", sum);
	return 0;
}

static int parse_who(struct ps *p, yaml_node_t *n, const char *path, enum dtt_scenario_who *out)
{
	static const char *const whos[] = {"dht", "members", "all", NULL};
	_Static_assert(sizeof(whos) / sizeof(whos[0]) == DTT_WHO_ALL + 1 + 1,
		       "one name per who, then NULL");
	int w, err;

	if ((err = get_word(p, n, path, whos, &w)))
		return err;
	if (w != DTT_WHO_DHT && !p->has_topics)
		return fail(p, n, path, "the scenario has no topics (no members)");
	*out = (enum dtt_scenario_who)w;
	return 0;
}

static int parse_churn(struct ps *p, struct dtt_scenario_event *ev, yaml_node_t *n,
		       const char *path)
{
	static const char *const keys[] = {"crash", "leave", "rejoin", "bootstrap", "of", NULL};
	yaml_node_t *v[6];
	char sub[PATH_MAX_LEN];
	int err, count = 0, which = -1;

	if ((err = fields(p, n, path, keys, NULL, v)))
		return err;
	for (int i = 0; i < 3; i++) {
		if (v[i]) {
			count++;
			which = i;
		}
	}
	if (count != 1)
		return fail(p, n, path, "expected exactly one of crash, leave, rejoin");
	join_path(sub, path, keys[which]);
	ev->kind = which == 0 ? DTT_SCEV_CRASH : which == 1 ? DTT_SCEV_LEAVE : DTT_SCEV_REJOIN;
	if (which == 2 && scalar(v[2]) && !strcmp(scalar(v[2]), "all"))
		ev->fraction = 1.0;
	else if ((err = get_double(p, v[which], sub, 0, 1,
				   which == 2 ? "a fraction between 0 and 1, or all"
					      : "a fraction between 0 and 1",
				   &ev->fraction)))
		return err;
	join_path(sub, path, "bootstrap");
	if (v[3] && (err = get_bool(p, v[3], sub, &ev->include_bootstrap)))
		return err;
	/* default: the members when there are topics, else the DHT nodes */
	ev->who = p->has_topics ? DTT_WHO_MEMBERS : DTT_WHO_DHT;
	join_path(sub, path, "of");
	if (v[4] && (err = parse_who(p, v[4], sub, &ev->who)))
		return err;
	return 0;
}

static int parse_cut(struct ps *p, struct dtt_scenario_event *ev, yaml_node_t *n, const char *path)
{
	static const char *const keys[] = {"fraction", "count", "of", "alone", "bootstrap", NULL};
	yaml_node_t *v[6];
	char sub[PATH_MAX_LEN];
	uint32_t count;
	int err;

	if ((err = fields(p, n, path, keys, NULL, v)))
		return err;
	ev->kind = DTT_SCEV_CUT;
	ev->count = -1;
	if (!!v[0] == !!v[1])
		return fail(p, n, path, "expected exactly one of fraction, count");
	join_path(sub, path, v[0] ? "fraction" : "count");
	if (v[0] && (err = get_fraction(p, v[0], sub, &ev->fraction)))
		return err;
	if (v[1]) {
		if ((err = get_u32(p, v[1], sub, 1, DTT_SCENARIO_CUT_MAX,
				   "a number of nodes from 1 to 32767", &count)))
			return err;
		ev->count = count;
	}
	ev->who = DTT_WHO_ALL;
	join_path(sub, path, "of");
	if (v[2] && (err = parse_who(p, v[2], sub, &ev->who)))
		return err;
	join_path(sub, path, "alone");
	if (v[3] && (err = get_bool(p, v[3], sub, &ev->alone)))
		return err;
	join_path(sub, path, "bootstrap");
	if (v[4] && (err = get_bool(p, v[4], sub, &ev->include_bootstrap)))
		return err;
	return 0;
}

static int parse_skew(struct ps *p, struct dtt_scenario_event *ev, yaml_node_t *n, const char *path)
{
	static const char *const keys[] = {"nodes", "members", "max", "offset", NULL};
	yaml_node_t *v[5];
	char sub[PATH_MAX_LEN];
	int err;

	if ((err = fields(p, n, path, keys, NULL, v)))
		return err;
	if (v[2] && v[3])
		return fail(p, n, path, "expected one of max (a uniform draw) or offset, not both");
	if (v[3]) {
		join_path(sub, path, "offset");
		if ((err = get_duration(p, v[3], sub, true, &ev->value_ms)))
			return err;
		ev->skew_fixed = true;
	} else {
		join_path(sub, path, "max");
		if (!v[2])
			return fail(p, n, sub, "missing (expected a duration; or offset)");
		if ((err = get_duration(p, v[2], sub, true, &ev->value_ms)))
			return err;
	}
	if (v[0] && v[1])
		return fail(p, n, path, "expected one of nodes (all nodes) or members, not both");
	ev->fraction = 1.0;
	ev->who = DTT_WHO_ALL;
	join_path(sub, path, "nodes");
	if (v[0] && (err = get_fraction(p, v[0], sub, &ev->fraction)))
		return err;
	join_path(sub, path, "members");
	if (v[1]) {
		if (!p->has_topics)
			return fail(p, v[1], sub, "the scenario has no topics (no members)");
		if ((err = get_fraction(p, v[1], sub, &ev->fraction)))
			return err;
		ev->who = DTT_WHO_MEMBERS;
	}
	return 0;
}

static int parse_attackers(struct ps *p, struct dtt_scenario *sc, yaml_node_t *n)
{
	static const char *const keys[] = {"slot_squat", NULL};
	static const char *const sq[] = {"nodes", "every", "topic", "start", NULL};
	yaml_node_t *v[2], *w[5];
	const char *str;
	int err;

	if ((err = fields(p, n, "attackers", keys, NULL, v)))
		return err;
	if (!v[0])
		return 0;
	if ((err = fields(p, v[0], "attackers.slot_squat", sq, NULL, w)))
		return err;
	if (!sc->topics_count || !sc->dht.nodes)
		return fail(p, v[0], "attackers.slot_squat",
			    "needs a topic and DHT nodes to squat on");
	if (!w[0])
		return fail(p, v[0], "attackers.slot_squat.nodes", "missing (expected 1 to 1000)");
	if ((err = get_u32(p, w[0], "attackers.slot_squat.nodes", 1, 1000, "1 to 1000",
			   &sc->squat.nodes)))
		return err;
	sc->squat.every_ms = 1000;
	if (w[1] && (err = get_duration_u64(p, w[1], "attackers.slot_squat.every",
					    &sc->squat.every_ms)))
		return err;
	if (sc->squat.every_ms < 10)
		return fail(p, w[1], "attackers.slot_squat.every", "at least 10ms");
	str = w[2] ? scalar(w[2]) : sc->topics[0].name;
	for (sc->squat.topic = 0; str && sc->squat.topic < sc->topics_count; sc->squat.topic++)
		if (!strcmp(sc->topics[sc->squat.topic].name, str))
			break;
	if (!str || sc->squat.topic == sc->topics_count)
		return fail(p, w[2], "attackers.slot_squat.topic", "expected the name of a topic");
	if (w[3] && (err = get_duration_u64(p, w[3], "attackers.slot_squat.start",
					    &sc->squat.start_ms)))
		return err;
	if ((uint64_t)sc->squat.nodes + sc->members + sc->dht.nodes > DTT_SCENARIO_NODES_MAX)
		return fail(p, w[0], "attackers.slot_squat.nodes", "too many nodes in all");
	return 0;
}

static int parse_event(struct ps *p, struct dtt_scenario *sc, yaml_node_t *n, size_t i)
{
	static const char *const keys[] = {"at",	"partition", "heal",	   "churn", "loss",
					   "duplicate", "jitter",    "clock_skew", "cut", NULL};
	struct dtt_scenario_event *ev = &sc->events[i];
	char path[PATH_MAX_LEN], sub[PATH_MAX_LEN];
	yaml_node_t *v[10];
	int err, which = -1, count = 0;

	snprintf(path, sizeof(path), "events[%zu]", i);
	if ((err = fields(p, n, path, keys, NULL, v)))
		return err;
	memset(ev, 0, sizeof(*ev));
	ev->line = (unsigned)n->start_mark.line + 1;
	join_path(sub, path, "at");
	if (!v[0])
		return fail(p, n, sub, "missing (expected a duration)");
	if ((err = get_duration_u64(p, v[0], sub, &ev->at_ms)))
		return err;
	if (ev->at_ms > sc->duration_ms) {
		char d[32];

		return fail(p, v[0], sub, "after the end of the run (duration %s)",
			    dtt_scenario_fmt_ms(sc->duration_ms, d, sizeof(d)));
	}
	for (int k = 1; k < 9; k++) {
		if (v[k]) {
			count++;
			which = k;
		}
	}
	if (count != 1)
		return fail(p, n, path,
			    "expected `at` and exactly one of partition, heal, churn, "
			    "loss, duplicate, jitter, clock_skew, cut");
	join_path(sub, path, keys[which]);
	switch (which) {
	case 1: ev->kind = DTT_SCEV_PARTITION; return parse_partition(p, ev, v[1], sub);
	case 2:
		ev->kind = DTT_SCEV_HEAL;
		if (!is_null(v[2]) &&
		    !(v[2]->type == YAML_MAPPING_NODE &&
		      v[2]->data.mapping.pairs.top == v[2]->data.mapping.pairs.start))
			return fail(p, v[2], sub, "expected {} (a heal takes no parameters)");
		return 0;
	case 3: return parse_churn(p, ev, v[3], sub);
	case 4: ev->kind = DTT_SCEV_LOSS; return get_fraction(p, v[4], sub, &ev->value);
	case 5: ev->kind = DTT_SCEV_DUPLICATE; return get_fraction(p, v[5], sub, &ev->value);
	case 6: ev->kind = DTT_SCEV_JITTER; return get_duration(p, v[6], sub, false, &ev->value_ms);
	case 7: ev->kind = DTT_SCEV_CLOCK_SKEW; return parse_skew(p, ev, v[7], sub);
	default: return parse_cut(p, ev, v[8], sub);
	}
}

static int parse_events(struct ps *p, struct dtt_scenario *sc, yaml_node_t *n)
{
	size_t count;
	int err;

	if (is_null(n))
		return 0;
	if (n->type != YAML_SEQUENCE_NODE)
		return fail(p, n, "events", "expected a list of events");
	count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (count > DTT_SCENARIO_EVENTS_MAX)
		return fail(p, n, "events", "at most %d events", DTT_SCENARIO_EVENTS_MAX);
	sc->events = dtt_alloc((count ? count : 1) * sizeof(*sc->events));
	if (!sc->events)
		return fail(p, n, "events", "out of memory");
	for (size_t i = 0; i < count; i++) {
		if ((err = parse_event(p, sc, node_get(p, n->data.sequence.items.start[i]), i)))
			return err;
		sc->events_count++;
	}
	/* Stable insertion sort by time: events at the same time keep their file order. */
	for (size_t i = 1; i < sc->events_count; i++) {
		struct dtt_scenario_event e = sc->events[i];
		size_t j = i;

		while (j > 0 && sc->events[j - 1].at_ms > e.at_ms) {
			sc->events[j] = sc->events[j - 1];
			j--;
		}
		sc->events[j] = e;
	}
	return 0;
}

static bool in_list(const char *const *list, const char *name, size_t len)
{
	for (size_t k = 0; list[k]; k++)
		if (strlen(list[k]) == len && !strncmp(list[k], name, len))
			return true;
	return false;
}

/* A run-wide metric, a topic metric with one topic, or "metric@topic". */
static int check_metric(struct ps *p, const struct dtt_scenario *sc, yaml_node_t *n,
			const char *path, const char *m)
{
	const char *at = m ? strchr(m, '@') : NULL;
	size_t base = at ? (size_t)(at - m) : m ? strlen(m) : 0;

	if (m && strlen(m) >= DTT_SCENARIO_METRIC_MAX)
		return fail(p, n, path, "metric name too long");
	if (m && !at && in_list(dtt_scenario_metrics, m, base))
		return 0;
	if (m && in_list(dtt_scenario_topic_metrics, m, base)) {
		if (!sc->topics_count)
			return fail(p, n, path, "a topic metric, but the scenario has no topics");
		if (!at) {
			if (sc->topics_count == 1)
				return 0;
			return fail(p, n, path, "several topics: name one, e.g. %.*s@%s", (int)base,
				    m, sc->topics[0].name);
		}
		for (size_t t = 0; t < sc->topics_count; t++)
			if (!strcmp(sc->topics[t].name, at + 1))
				return 0;
		return fail(p, n, path, "no topic named '%s'", at + 1);
	}
	{
		char list[1536] = "";
		size_t l = 0;

		for (int pass = 0; pass < 2; pass++) {
			const char *const *names =
			    pass ? dtt_scenario_topic_metrics : dtt_scenario_metrics;

			if (pass && !sc->topics_count)
				break;
			for (size_t k = 0; names[k] && l < sizeof(list); k++)
				l += (size_t)snprintf(list + l, sizeof(list) - l, "%s%s",
						      l ? ", " : "", names[k]);
		}
		return fail(p, n, path, "unknown metric (expected one of: %s)", list);
	}
}

static int parse_expect_one(struct ps *p, struct dtt_scenario *sc, yaml_node_t *n, size_t i)
{
	static const char *const keys[] = {"metric", "at", "after", "within", "agg", "eq",
					   "le",     "ge", "lt",    "gt",     NULL};
	static const char *const aggs[] = {"default", "mean", "min",  "max",
					   "any",     "all",  "last", NULL};
	static const char *const win_keys[] = {"from", "to", NULL};
	struct dtt_scenario_expect *e = &sc->expects[i];
	char path[PATH_MAX_LEN], sub[PATH_MAX_LEN];
	yaml_node_t *v[11], *w[3];
	int err, count = 0, which = 0, agg;
	const char *m;

	snprintf(path, sizeof(path), "expect[%zu]", i);
	if ((err = fields(p, n, path, keys, NULL, v)))
		return err;
	memset(e, 0, sizeof(*e));
	e->line = (unsigned)n->start_mark.line + 1;
	join_path(sub, path, "metric");
	m = scalar(v[0]);
	if (!v[0])
		return fail(p, n, sub, "missing (expected a metric name)");
	if ((err = check_metric(p, sc, v[0], sub, m)))
		return err;
	snprintf(e->metric, sizeof(e->metric), "%s", m);
	for (int j = 1; j <= 3; j++) {
		if (v[j]) {
			count++;
			which = j;
		}
	}
	if (count != 1)
		return fail(p, n, path, "expected exactly one of at, after, within");
	join_path(sub, path, keys[which]);
	if (which == 1) {
		e->when = DTT_EXPECT_AT;
		if (scalar(v[1]) && !strcmp(scalar(v[1]), "end"))
			e->at_ms = UINT64_MAX;
		else if ((err = get_duration_u64(p, v[1], sub, &e->at_ms)))
			return err;
	} else if (which == 2) {
		e->when = DTT_EXPECT_AFTER;
		if ((err = get_duration_u64(p, v[2], sub, &e->from_ms)))
			return err;
	} else {
		char s2[PATH_MAX_LEN];

		e->when = DTT_EXPECT_WITHIN;
		if ((err = fields(p, v[3], sub, win_keys, NULL, w)))
			return err;
		join_path(s2, sub, "from");
		if (!w[0])
			return fail(p, v[3], s2, "missing (expected a duration)");
		if ((err = get_duration_u64(p, w[0], s2, &e->from_ms)))
			return err;
		join_path(s2, sub, "to");
		if (!w[1])
			return fail(p, v[3], s2, "missing (expected a duration)");
		if ((err = get_duration_u64(p, w[1], s2, &e->to_ms)))
			return err;
		if (e->to_ms <= e->from_ms)
			return fail(p, w[1], s2, "must be after from");
	}
	join_path(sub, path, "agg");
	if (v[4]) {
		if ((err = get_word(p, v[4], sub, aggs, &agg)))
			return err;
		e->agg = (enum dtt_expect_agg)agg;
	}
	count = 0;
	for (int j = 5; j <= 9; j++) {
		if (v[j]) {
			count++;
			which = j;
		}
	}
	if (count != 1)
		return fail(p, n, path, "expected exactly one comparison: eq, le, ge, lt or gt");
	e->op = (enum dtt_expect_op)(which - 5);
	join_path(sub, path, keys[which]);
	return get_double(p, v[which], sub, -1e300, 1e300, "a number", &e->value);
}

static int parse_expect(struct ps *p, struct dtt_scenario *sc, yaml_node_t *n)
{
	size_t count;
	int err;

	if (is_null(n))
		return 0;
	if (n->type != YAML_SEQUENCE_NODE)
		return fail(p, n, "expect", "expected a list of expectations");
	count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (count > DTT_SCENARIO_EXPECT_MAX)
		return fail(p, n, "expect", "at most %d expectations", DTT_SCENARIO_EXPECT_MAX);
	sc->expects = dtt_alloc((count ? count : 1) * sizeof(*sc->expects));
	if (!sc->expects)
		return fail(p, n, "expect", "out of memory");
	for (size_t i = 0; i < count; i++) {
		if ((err =
			 parse_expect_one(p, sc, node_get(p, n->data.sequence.items.start[i]), i)))
			return err;
		sc->expects_count++;
	}
	return 0;
}

static char *dup_str(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = dtt_alloc(n);

	if (d)
		memcpy(d, s, n);
	return d;
}

static int parse_root(struct ps *p, struct dtt_scenario *sc, yaml_node_t *root)
{
	static const char *const keys[] = {
	    "name", "description", "seed",   "duration", "sample_every", "start_unix", "network",
	    "dht",  "workload",	   "events", "expect",	 "topics",	 "crypto",   "ns3",
	    "attackers", NULL};
	yaml_node_t *v[16];
	const char *s;
	uint64_t u;
	int err;

	if ((err = fields(p, root, "", keys, NULL, v)))
		return err;
	p->has_topics = v[11] != NULL;
	s = scalar(v[0]);
	if (!v[0])
		return fail(p, root, "name", "missing (expected a short name, e.g. dht-smoke)");
	if (!s || !*s || strlen(s) >= DTT_SCENARIO_NAME_MAX || strpbrk(s, "/\\ \t"))
		return fail(p, v[0], "name",
			    "expected a short name without spaces or slashes "
			    "(at most 63 characters)");
	snprintf(sc->name, sizeof(sc->name), "%s", s);
	if (v[1]) {
		if (!scalar(v[1]))
			return fail(p, v[1], "description", "expected text");
		sc->description = dup_str(scalar(v[1]));
		if (!sc->description)
			return fail(p, v[1], "description", "out of memory");
	}
	if (v[2] &&
	    (err = get_u64(p, v[2], "seed", 0, UINT64_MAX, "a non-negative integer", &sc->seed)))
		return err;
	if (!v[3])
		return fail(p, root, "duration", "missing (expected a duration, e.g. 30m)");
	if ((err = get_duration_u64(p, v[3], "duration", &sc->duration_ms)))
		return err;
	if (!sc->duration_ms)
		return fail(p, v[3], "duration", "must be above 0");
	if (v[4] && (err = get_duration_u64(p, v[4], "sample_every", &sc->sample_every_ms)))
		return err;
	if (!sc->sample_every_ms)
		return fail(p, v[4], "sample_every", "must be above 0");
	if (v[5]) {
		if ((err = get_u64(p, v[5], "start_unix", 0, 1ull << 40,
				   "unix seconds (a non-negative integer)", &u)))
			return err;
		sc->start_unix = (int64_t)u;
	}
	if (v[12]) {
		s = scalar(v[12]);
		if (s && strcmp(s, "real") == 0)
			sc->crypto_modelled = false;
		else if (s && strcmp(s, "modelled") == 0)
			sc->crypto_modelled = true;
		else
			return fail(p, v[12], "crypto", "expected real or modelled");
	}
	if (v[6] && (err = parse_network(p, sc, v[6])))
		return err;
	if (!v[7])
		return fail(p, root, "dht", "missing (expected a mapping with at least nodes)");
	if ((err = parse_dht(p, sc, v[7], p->has_topics)))
		return err;
	if (v[13] && (err = parse_ns3(p, sc, v[13])))
		return err;
	if (v[11] && (err = parse_topics(p, sc, v[11])))
		return err;
	for (size_t i = 0; i < sc->topics_count; i++) {
		if (sc->topics[i].bootstrap == DTT_BOOTSTRAP_DHT && !sc->dht.nodes) {
			char path[PATH_MAX_LEN];

			snprintf(path, sizeof(path), "topics[%zu].bootstrap", i);
			return fail(p, v[7], path,
				    "dht: the tracker needs DHT nodes (dht.nodes is 0); use "
				    "bootstrap: peers for gossip only");
		}
	}
	if (v[14] && (err = parse_attackers(p, sc, v[14])))
		return err;
	if (v[8] && !sc->dht.nodes)
		return fail(p, v[8], "workload", "needs DHT nodes (dht.nodes is 0)");
	if (v[8] && (err = parse_workload(p, sc, v[8])))
		return err;
	if (v[9] && (err = parse_events(p, sc, v[9])))
		return err;
	if (v[10] && (err = parse_expect(p, sc, v[10])))
		return err;
	return 0;
}

/* --- --set overrides: "a.b[2].c=value" replaces (or adds) one scalar in the document --- */

/* Remembers that node idx came from --set `set`, so errors about it name the override. */
static void note_override(struct ps *p, int idx, const char *set)
{
	if (p->overridden_count < sizeof(p->overridden) / sizeof(p->overridden[0])) {
		p->overridden[p->overridden_count] = idx;
		p->override_text[p->overridden_count++] = set;
	}
}

static int apply_set(struct ps *p, const char *set)
{
	char path[PATH_MAX_LEN], *eq, *seg, *save = NULL;
	const char *value;
	int cur = 1, created;

	eq = strchr(set, '=');
	if (!eq || eq == set || (size_t)(eq - set) >= sizeof(path)) {
		snprintf(p->err, p->err_len, "--set %s: expected key.path=value", set);
		p->failed = true;
		return DTT_ERR_INVALID;
	}
	memcpy(path, set, (size_t)(eq - set));
	path[eq - set] = 0;
	value = eq + 1;
	for (seg = strtok_r(path, ".", &save); seg; seg = strtok_r(NULL, ".", &save)) {
		char *br = strchr(seg, '[');
		bool last, last_seg = !save[0];
		yaml_node_t *n = node_get(p, cur);
		int next = 0;

		if (br)
			*br = 0;
		last = !br && last_seg;
		if (!n || n->type != YAML_MAPPING_NODE)
			goto bad;
		for (yaml_node_pair_t *pr = n->data.mapping.pairs.start;
		     pr < n->data.mapping.pairs.top; pr++) {
			const char *k = scalar(node_get(p, pr->key));

			if (k && !strcmp(k, seg)) {
				next = pr->value;
				if (last) {
					created = yaml_document_add_scalar(p->doc, NULL,
									   (yaml_char_t *)value, -1,
									   YAML_PLAIN_SCALAR_STYLE);
					if (!created)
						goto nomem;
					/* re-fetch: adding a node may move the node array */
					n = node_get(p, cur);
					n->data.mapping.pairs
					    .start[pr - n->data.mapping.pairs.start]
					    .value = created;
					next = created;
					note_override(p, created, set);
				}
				break;
			}
		}
		if (!next) {
			/* a missing key: the value itself, or an empty mapping on the way to it */
			int key;

			if (br)
				goto bad;
			key = yaml_document_add_scalar(p->doc, NULL, (yaml_char_t *)seg, -1,
						       YAML_PLAIN_SCALAR_STYLE);
			if (last)
				created =
				    yaml_document_add_scalar(p->doc, NULL, (yaml_char_t *)value, -1,
							     YAML_PLAIN_SCALAR_STYLE);
			else
				created = yaml_document_add_mapping(p->doc, NULL,
								    YAML_FLOW_MAPPING_STYLE);
			if (!key || !created ||
			    !yaml_document_append_mapping_pair(p->doc, cur, key, created))
				goto nomem;
			note_override(p, key, set);
			note_override(p, created, set);
			next = created;
		}
		cur = next;
		while (br) { /* [index] suffixes */
			char *end;
			long ix = strtol(br + 1, &end, 10);
			yaml_node_t *sq = node_get(p, cur);

			if (*end != ']' || ix < 0 || !sq || sq->type != YAML_SEQUENCE_NODE ||
			    ix >= sq->data.sequence.items.top - sq->data.sequence.items.start)
				goto bad;
			cur = sq->data.sequence.items.start[ix];
			br = end[1] == '[' ? end + 1 : NULL;
			if (!br && end[1])
				goto bad;
			if (!br && last_seg)
				goto bad; /* a whole list item cannot be replaced by a scalar */
		}
	}
	return 0;
bad:
	snprintf(p->err, p->err_len, "%s: --set %s: no such key path in the scenario", p->file,
		 set);
	p->failed = true;
	return DTT_ERR_INVALID;
nomem:
	snprintf(p->err, p->err_len, "--set %s: out of memory", set);
	p->failed = true;
	return DTT_ERR_NOMEM;
}

static void defaults(struct dtt_scenario *sc)
{
	memset(sc, 0, sizeof(*sc));
	sc->seed = 1;
	sc->sample_every_ms = 10000;
	sc->start_unix = 1750000000;
	sc->network.latency.dist = DTT_SIMNET_CONSTANT;
	sc->network.latency.value_ms = 50;
	sc->ns3.access_mbps = 100;
	sc->ns3.core_mbps = 10000;
	sc->ns3.queue = 100;
	sc->dht.bootstrap = 8;
	sc->workload.keys = 16;
	sc->workload.value_size = 64;
}

/* The overrides as stored with a run: "key=value key=value" in the order given. */
static char *join_sets(const char *const *sets, size_t sets_count)
{
	size_t n = 1, l = 0;
	char *out;

	for (size_t i = 0; i < sets_count; i++)
		n += strlen(sets[i]) + 1;
	out = dtt_alloc(n);
	if (!out)
		return NULL;
	out[0] = 0;
	for (size_t i = 0; i < sets_count; i++)
		l += (size_t)snprintf(out + l, n - l, "%s%s", i ? " " : "", sets[i]);
	return out;
}

int dtt_scenario_parse(struct dtt_scenario *sc, const char *path, const char *text,
		       const char *const *sets, size_t sets_count, char *err, size_t err_len)
{
	struct ps p = {.file = path, .err = err, .err_len = err_len};
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	int rc = 0;

	defaults(sc);
	if (err_len)
		err[0] = 0;
	if (sets_count > DTT_SCENARIO_SET_MAX) {
		snprintf(err, err_len, "at most %d --set overrides", DTT_SCENARIO_SET_MAX);
		return DTT_ERR_INVALID;
	}
	if (!yaml_parser_initialize(&parser)) {
		snprintf(err, err_len, "%s: out of memory", path);
		return DTT_ERR_NOMEM;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, strlen(text));
	if (!yaml_parser_load(&parser, &doc)) {
		const yaml_mark_t *m = parser.context ? &parser.context_mark : &parser.problem_mark;

		snprintf(err, err_len, "%s:%zu:%zu: YAML syntax: %s%s%s", path,
			 parser.problem_mark.line + 1, parser.problem_mark.column + 1,
			 parser.problem ? parser.problem : "error", parser.context ? " " : "",
			 parser.context ? parser.context : "");
		(void)m;
		yaml_parser_delete(&parser);
		return DTT_ERR_INVALID;
	}
	p.doc = &doc;
	root = yaml_document_get_root_node(&doc);
	if (!root) {
		snprintf(err, err_len, "%s: empty file (expected a scenario mapping)", path);
		rc = DTT_ERR_INVALID;
		goto out;
	}
	for (size_t i = 0; i < sets_count && !rc; i++)
		rc = apply_set(&p, sets[i]);
	if (!rc)
		rc = parse_root(&p, sc, yaml_document_get_root_node(&doc));
	if (!rc) {
		sc->path = dup_str(path);
		sc->text = dup_str(text);
		sc->overrides = join_sets(sets, sets_count);
		if (!sc->path || !sc->text || !sc->overrides) {
			snprintf(err, err_len, "%s: out of memory", path);
			rc = DTT_ERR_NOMEM;
		}
	}
out:
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (rc)
		dtt_scenario_deinit(sc);
	return rc;
}

int dtt_scenario_load(struct dtt_scenario *sc, const char *path, const char *const *sets,
		      size_t sets_count, char *err, size_t err_len)
{
	FILE *f = fopen(path, "rb");
	char *text;
	size_t n;
	int rc;

	defaults(sc);
	if (!f) {
		snprintf(err, err_len, "%s: cannot open: %s", path, strerror(errno));
		return DTT_ERR_IO;
	}
	text = dtt_alloc(FILE_MAX_BYTES + 1);
	if (!text) {
		fclose(f);
		snprintf(err, err_len, "%s: out of memory", path);
		return DTT_ERR_NOMEM;
	}
	n = fread(text, 1, FILE_MAX_BYTES + 1, f);
	if (ferror(f) || n > FILE_MAX_BYTES) {
		snprintf(err, err_len, "%s: %s", path,
			 ferror(f) ? "read error" : "larger than 16 MiB");
		fclose(f);
		dtt_free(text);
		return DTT_ERR_IO;
	}
	fclose(f);
	text[n] = 0;
	if (memchr(text, 0, n)) {
		snprintf(err, err_len, "%s: not a text file (NUL byte)", path);
		dtt_free(text);
		return DTT_ERR_INVALID;
	}
	rc = dtt_scenario_parse(sc, path, text, sets, sets_count, err, err_len);
	dtt_free(text);
	return rc;
}

void dtt_scenario_deinit(struct dtt_scenario *sc)
{
	dtt_free(sc->description);
	dtt_free(sc->path);
	dtt_free(sc->text);
	dtt_free(sc->overrides);
	dtt_free(sc->events);
	dtt_free(sc->expects);
	dtt_free(sc->topics);
	sc->topics = NULL;
	sc->topics_count = 0;
	sc->description = sc->path = sc->text = sc->overrides = NULL;
	sc->events = NULL;
	sc->expects = NULL;
	sc->events_count = sc->expects_count = 0;
}
