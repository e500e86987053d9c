/* attack.c - attackers.slot_squat (spec/PROTOCOL.md §11.5): DHT clients that know a topic's
 * name, and so the per-minute slot key, but not its secret. Every `every` each of them puts
 * validly signed junk (604 random bytes, the size of a gossip record, seq = cas = INT64_MAX)
 * into the current and the previous minute's slot by its own clock. Storing nodes that let
 * the last writer win then hold junk instead of records; readers decrypt nothing.
 *
 * Slot keys are derived and the values signed through the run's crypto provider and memo
 * (env.crypto), like every member's, so the attack runs the same under `crypto: real` and
 * `crypto: modelled`. The keys are no secret (anyone who knows the name derives them), so
 * nothing is wiped.
 *
 * The attackers are the last n_att nodes (read-only DHT clients); they join at the start of
 * the run like DHT nodes and are never chosen by churn, clock skew or the workload.
 */
#include <stdint.h>
#include <string.h>

#include "bep44.h"
#include "dht.h"
#include "engine_priv.h"
#include "err.h"
#include "record.h"
#include "results.h"

static void squat_done(void *ctx, const struct dtt_dht_put_result *res)
{
	struct dtt_sim *s = ctx;

	if (s->closing || res->status == DTT_ERR_CANCELED)
		return;
	if (res->stored)
		s->att_stored++;
}

void sim_attack_init(struct dtt_sim *s)
{
	const struct dtt_scenario *sc = s->sc;

	if (!s->n_att)
		return;
	for (uint32_t i = s->n - s->n_att; i < s->n; i++)
		sim_push(s, 0, TAG(EV_JOIN, i), 0);
	if (sim_ms_to_us(sc->squat.start_ms) <= s->end_us)
		sim_push(s, sim_ms_to_us(sc->squat.start_ms), TAG(EV_ATTACK, 0), 0);
}

void sim_attack_tick(struct dtt_sim *s)
{
	const struct dtt_scenario *sc = s->sc;
	uint8_t topic[DTT_TOPIC_BYTES], junk[DTT_GOSSIP_ENCRYPTED_BYTES], v[DTT_BEP44_V_MAX];
	const char *name = sc->topics[sc->squat.topic].name;
	uint64_t every = sim_ms_to_us(sc->squat.every_ms);
	const int64_t cas = DTT_SLOT_SEQ;
	struct dtt_slot slot;
	int v_len;

	if (s->now_us + every <= s->end_us)
		sim_push(s, s->now_us + every, TAG(EV_ATTACK, 0), 0);
	dtt_topic_hash(topic, name, strlen(name));
	for (uint32_t i = s->n - s->n_att; i < s->n; i++) {
		struct simnode *sn = &s->nodes[i];
		uint64_t m;

		if (sn->state != NS_UP)
			continue;
		m = dtt_env_unix_minute(&sn->env);
		s->cur_node = i;
		for (uint64_t d = 0; d < 2; d++) {
			int64_t id;

			dtt_env_random(&sn->env, junk, sizeof(junk));
			v_len = dtt_bep44_string_encode(v, sizeof(v), junk, sizeof(junk));
			if (v_len < 0)
				continue;
			dtt_slot_derive(sn->env.crypto, &slot, topic, m - d);
			id = dtt_dht_put_mutable(dtt_node_dht(sn->node), slot.sk, slot.salt,
						 sizeof(slot.salt), DTT_SLOT_SEQ, &cas, v,
						 (size_t)v_len, squat_done, s);
			s->att_puts++;
			if (id < 0)
				s->att_refused++;
		}
		sim_rearm(s, sn);
	}
	s->cur_node = -1;
}

void sim_attack_finish(struct dtt_sim *s)
{
	if (!s->n_att || !s->res)
		return;
	dtt_results_summary(s->res, "squat_puts", (double)s->att_puts);
	dtt_results_summary(s->res, "squat_puts_stored", (double)s->att_stored);
	dtt_results_summary(s->res, "squat_puts_refused", (double)s->att_refused);
}
