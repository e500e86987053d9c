/* check.h - evaluates a scenario's expectations (SCENARIOS.md `expect`) over sampled metric
 * series: `dtt-sim check` turns them into PASS/FAIL per seed.
 *
 * Windows: `at: T` looks at the last sample at or before T (`end`: the run's end); `after: T`
 * at the samples with t > T; `within: {from, to}` at the samples with from < t <= to. A sample
 * at time t covers the interval (t - sample_every, t]. Aggregation (agg): mean (weighted by
 * the operations behind each sample, e.g. gets for get_success; the default for after), min,
 * max, last, any (some sample satisfies the comparison; the default for within), all.
 */
#ifndef DTT_SIM_CHECK_H
#define DTT_SIM_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "engine.h"
#include "scenario.h"

struct dtt_check_result {
	bool pass;
	double measured; /* the aggregate compared (NaN when there were no samples) */
	size_t samples;	 /* samples in the window */
	char why[128];	 /* "no samples in the window", ... ("" when none) */
};

void dtt_check_eval(const struct dtt_scenario_expect *e, const struct dtt_sim_series *s,
		    uint64_t end_ms, struct dtt_check_result *out);
/* "get_success after 5m ge 0.99" into out. Returns out. */
char *dtt_check_describe(const struct dtt_scenario_expect *e, char *out, size_t len);

#endif
