/* full_config.c - every knob of the topic tracker, set explicitly to the reference's values
 * (spec/PROTOCOL.md §8); change any of them to try another behaviour. */
#include "common.h"

int main(int argc, char **argv)
{
	struct dtt_tracker_config cfg = {
		/* bootstrap */
		.max_bootstrap_records = 5, /* per-minute cap; 0 turns publishing off */
		.no_peers_retry_ms = 1500,
		.per_peer_join_settle_ms = 100,
		.join_confirmation_wait_ms = 500,
		.discovery_poll_ms = 2000,
		.publish_record_on_startup = true,
		.check_older_records_first_on_startup = false,
		/* workers: enabled, first tick, then base + U[0, jitter) */
		.publisher = {.enabled = true, .initial_ms = 10000, .base_ms = 10000,
			      .jitter_ms = 50000},
		.bubble = {.enabled = true, .initial_ms = 30000, .base_ms = 60000,
			   .jitter_ms = 120000},
		.overlap = {.enabled = true, .initial_ms = 30000, .base_ms = 60000,
			    .jitter_ms = 120000},
		.bubble_min_neighbors = 4,
		.bubble_max_join_peers = 2,
		.overlap_max_join_peers = 2,
		/* DHT puts */
		.publish = {.max_records = 5, .retries = 3, .base_retry_ms = 5000,
			    .max_retry_jitter_ms = 10000, .put_timeout_ms = 10000},
	};
	struct dtt_record_publisher pub = {
		.secret = (const uint8_t *)"my-initial-secret",
		.secret_len = 17,
		.config = &cfg,
	};

	dtt_topic_id_from_name(&pub.topic, "my-iroh-gossip-topic");
	return example_run("full_config", argc, argv, &pub);
}
