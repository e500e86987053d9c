/* chat.c - the smallest dtt application: join "my-iroh-gossip-topic" with the secret
 * "my-initial-secret" (the names of the Rust crate's examples), type lines to chat. */
#include "common.h"

int main(int argc, char **argv)
{
	struct dtt_record_publisher pub = {
		.secret = (const uint8_t *)"my-initial-secret",
		.secret_len = 17,
	};

	dtt_topic_id_from_name(&pub.topic, "my-iroh-gossip-topic");
	return example_run("chat", argc, argv, &pub);
}
