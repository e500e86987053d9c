/* without_mergers.c - discovery and publishing only: the bubble and message-overlap merges
 * are off, so groups that form apart stay apart (what the mergers are for). */
#include "common.h"

int main(int argc, char **argv)
{
	struct dtt_tracker_config cfg;
	struct dtt_record_publisher pub = {
		.secret = (const uint8_t *)"my-initial-secret",
		.secret_len = 17,
		.config = &cfg,
	};

	dtt_tracker_config_init(&cfg);
	cfg.bubble.enabled = false;
	cfg.overlap.enabled = false;
	dtt_topic_id_from_name(&pub.topic, "my-iroh-gossip-topic");
	return example_run("without_mergers", argc, argv, &pub);
}
