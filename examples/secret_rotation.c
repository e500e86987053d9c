/* secret_rotation.c - a custom secret rotation: the key the records are sealed to changes with
 * the minute through the application's own function. Every member must use the same one. This
 * one hashes the default inputs followed by a constant string, like the Rust crate's example. */
#include <string.h>

#include "buf.h"
#include "common.h"
#include "crypto.h"

static void my_rotation(void *ctx, uint8_t seed[32], const uint8_t topic[32], uint64_t minute,
			const uint8_t secret_hash[32])
{
	static const char extra[] = "my-app-rotation-v1";
	struct dtt_sha512 h;
	uint8_t be[8], full[64];

	(void)ctx;
	dtt_store_be64(be, minute);
	dtt_sha512_init(&h);
	dtt_sha512_update(&h, topic, 32);
	dtt_sha512_update(&h, be, sizeof(be));
	dtt_sha512_update(&h, secret_hash, 32);
	dtt_sha512_update(&h, extra, sizeof(extra) - 1);
	dtt_sha512_final(&h, full);
	memcpy(seed, full, 32);
}

int main(int argc, char **argv)
{
	struct dtt_record_publisher pub = {
		.secret = (const uint8_t *)"my-initial-secret",
		.secret_len = 17,
		.rotation = {.fn = my_rotation},
	};

	dtt_topic_id_from_name(&pub.topic, "my-iroh-gossip-topic");
	return example_run("secret_rotation", argc, argv, &pub);
}
