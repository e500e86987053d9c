/* check.c - expectation evaluation over metric series (SCENARIOS.md `expect`). */
#include "check.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static bool compare(enum dtt_expect_op op, double v, double want)
{
	switch (op) {
	case DTT_EXPECT_EQ: return fabs(v - want) <= 1e-9 * (fabs(want) > 1 ? fabs(want) : 1);
	case DTT_EXPECT_LE: return v <= want;
	case DTT_EXPECT_GE: return v >= want;
	case DTT_EXPECT_LT: return v < want;
	case DTT_EXPECT_GT: return v > want;
	}
	return false;
}

/* For any/all: is a "better" than b towards satisfying the comparison? */
static bool better(enum dtt_expect_op op, double a, double b, double want)
{
	switch (op) {
	case DTT_EXPECT_LE:
	case DTT_EXPECT_LT: return a < b;
	case DTT_EXPECT_GE:
	case DTT_EXPECT_GT: return a > b;
	case DTT_EXPECT_EQ:
	default: return fabs(a - want) < fabs(b - want);
	}
}

void dtt_check_eval(const struct dtt_scenario_expect *e, const struct dtt_sim_series *s,
		    uint64_t end_ms, struct dtt_check_result *out)
{
	enum dtt_expect_agg agg = e->agg;
	size_t lo = 0, hi = 0; /* the window: samples [lo, hi) */
	double acc = 0, wsum = 0, best = NAN;
	char d[32];

	memset(out, 0, sizeof(*out));
	out->measured = NAN;
	if (e->when == DTT_EXPECT_AT) {
		uint64_t at = e->at_ms == UINT64_MAX ? end_ms : e->at_ms;

		while (hi < s->count && s->t_ms[hi] <= at)
			hi++;
		if (!hi) {
			snprintf(out->why, sizeof(out->why), "no sample at or before %s",
				 dtt_scenario_fmt_ms(at, d, sizeof(d)));
			return;
		}
		lo = hi - 1;
		if (agg == DTT_AGG_DEFAULT)
			agg = DTT_AGG_LAST;
	} else {
		uint64_t to = e->when == DTT_EXPECT_WITHIN ? e->to_ms : UINT64_MAX;

		while (lo < s->count && s->t_ms[lo] <= e->from_ms)
			lo++;
		hi = lo;
		while (hi < s->count && s->t_ms[hi] <= to)
			hi++;
		if (agg == DTT_AGG_DEFAULT)
			agg = e->when == DTT_EXPECT_AFTER ? DTT_AGG_MEAN : DTT_AGG_ANY;
	}
	out->samples = hi - lo;
	if (!out->samples) {
		snprintf(out->why, sizeof(out->why), "no samples in the window");
		return;
	}
	switch (agg) {
	case DTT_AGG_MEAN: {
		double plain = 0;

		for (size_t i = lo; i < hi; i++) {
			acc += s->value[i] * s->weight[i];
			wsum += s->weight[i];
			plain += s->value[i];
		}
		out->measured = wsum > 0 ? acc / wsum : plain / (double)out->samples;
		out->pass = compare(e->op, out->measured, e->value);
		return;
	}
	case DTT_AGG_MIN:
	case DTT_AGG_MAX:
		best = s->value[lo];
		for (size_t i = lo + 1; i < hi; i++)
			if (agg == DTT_AGG_MIN ? s->value[i] < best : s->value[i] > best)
				best = s->value[i];
		out->measured = best;
		out->pass = compare(e->op, best, e->value);
		return;
	case DTT_AGG_ANY:
		/* the sample closest to satisfying (or satisfying best) */
		best = s->value[lo];
		for (size_t i = lo + 1; i < hi; i++)
			if (better(e->op, s->value[i], best, e->value))
				best = s->value[i];
		out->measured = best;
		out->pass = compare(e->op, best, e->value);
		return;
	case DTT_AGG_ALL:
		/* the sample farthest from satisfying */
		best = s->value[lo];
		for (size_t i = lo + 1; i < hi; i++)
			if (better(e->op, best, s->value[i], e->value))
				best = s->value[i];
		out->measured = best;
		out->pass = true;
		for (size_t i = lo; i < hi; i++)
			if (!compare(e->op, s->value[i], e->value))
				out->pass = false;
		return;
	case DTT_AGG_LAST:
	case DTT_AGG_DEFAULT:
	default:
		out->measured = s->value[hi - 1];
		out->pass = compare(e->op, out->measured, e->value);
		return;
	}
}

char *dtt_check_describe(const struct dtt_scenario_expect *e, char *out, size_t len)
{
	static const char *const ops[] = {"eq", "le", "ge", "lt", "gt"};
	static const char *const aggs[] = {"",	     " (mean)", " (min)", " (max)",
					   " (any)", " (all)",	" (last)"};
	_Static_assert(sizeof(ops) / sizeof(ops[0]) == DTT_EXPECT_OP__COUNT, "one name per op");
	_Static_assert(sizeof(aggs) / sizeof(aggs[0]) == DTT_AGG__COUNT, "one name per agg");
	char a[32], b[32];

	switch (e->when) {
	case DTT_EXPECT_AT:
		snprintf(out, len, "%s at %s %s %g%s", e->metric,
			 e->at_ms == UINT64_MAX ? "end"
						: dtt_scenario_fmt_ms(e->at_ms, a, sizeof(a)),
			 ops[e->op], e->value, aggs[e->agg]);
		break;
	case DTT_EXPECT_AFTER:
		snprintf(out, len, "%s after %s %s %g%s", e->metric,
			 dtt_scenario_fmt_ms(e->from_ms, a, sizeof(a)), ops[e->op], e->value,
			 aggs[e->agg]);
		break;
	case DTT_EXPECT_WITHIN:
		snprintf(out, len, "%s within %s..%s %s %g%s", e->metric,
			 dtt_scenario_fmt_ms(e->from_ms, a, sizeof(a)),
			 dtt_scenario_fmt_ms(e->to_ms, b, sizeof(b)), ops[e->op], e->value,
			 aggs[e->agg]);
		break;
	}
	return out;
}
