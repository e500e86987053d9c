/* fuzz_record.c - libFuzzer target for the record decoders (core/tracker/record.h,
 * spec/PROTOCOL.md §4-§5): what a DHT value, or a topic member holding the secret, can put in
 * front of a reader.
 *
 * 1. The input as an EncryptedRecord opened for a fixed topic, minute and key: it must be
 *    refused with a negative error and a named check (forging one is out of reach), never crash.
 * 2. The input as a plaintext Record: an accepted one encodes back to the same bytes.
 * 3. The input as Record content: the GossipRecordContent (peers and hashes) encodes back to
 *    its first 320 bytes, and the address trailer after them decodes to entries of a known
 *    family with a port; encoding those and decoding again gives the same entries.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "crypto.h"
#include "err.h"
#include "record.h"

static void check_open(const uint8_t *data, size_t size)
{
	static const uint8_t topic[DTT_TOPIC_BYTES] = {1}, enc_seed[32] = {2};
	enum dtt_record_check check = DTT_RECORD_OK;
	struct dtt_record r;
	int err = dtt_record_open(NULL, &r, data, size, enc_seed, topic, 29000000, &check);

	CHECK(err < 0 && check != DTT_RECORD_OK);
	CHECK(dtt_record_check_name(check) != NULL);
}

static void check_record(const uint8_t *data, size_t size)
{
	static uint8_t out[136 + DTT_RECORD_CONTENT_MAX];
	struct dtt_record r;
	int n;

	if (dtt_record_decode(&r, data, size) != 0)
		return;
	CHECK(r.content_len <= DTT_RECORD_CONTENT_MAX);
	n = dtt_record_encode(&r, out, sizeof(out));
	CHECK(n >= 0 && (size_t)n == size && memcmp(out, data, size) == 0);
}

static bool addrs_equal(const struct dtt_record_addrs *a, const struct dtt_record_addrs *b)
{
	for (int i = 0; i < DTT_RECORD_ADDRS_MAX; i++) {
		if (a->has[i] != b->has[i])
			return false;
		if (a->has[i] && (a->addr[i].family != b->addr[i].family ||
				  a->addr[i].port != b->addr[i].port ||
				  memcmp(a->addr[i].addr, b->addr[i].addr,
					 a->addr[i].family == DTT_AF_INET ? 4 : 16) != 0))
			return false;
	}
	return true;
}

static void check_content(const uint8_t *data, size_t size)
{
	static uint8_t content[DTT_GOSSIP_CONTENT_BYTES + DTT_RECORD_ADDRS_BYTES_MAX];
	struct dtt_gossip_content c;
	struct dtt_record_addrs a, again;
	int n;

	if (dtt_gossip_content_decode(&c, data, size) != 0) {
		CHECK(size < DTT_GOSSIP_CONTENT_BYTES);
		return;
	}
	dtt_gossip_content_encode(&c, content);
	CHECK(memcmp(content, data, DTT_GOSSIP_CONTENT_BYTES) == 0);

	dtt_record_addrs_decode(&a, data, size);
	for (int i = 0; i < DTT_RECORD_ADDRS_MAX; i++)
		CHECK(!a.has[i] || ((a.addr[i].family == DTT_AF_INET ||
				     a.addr[i].family == DTT_AF_INET6) &&
				    a.addr[i].port != 0));
	n = dtt_record_addrs_encode(&a, content + DTT_GOSSIP_CONTENT_BYTES,
				    sizeof(content) - DTT_GOSSIP_CONTENT_BYTES);
	CHECK(n >= 0);
	dtt_record_addrs_decode(&again, content, DTT_GOSSIP_CONTENT_BYTES + (size_t)n);
	CHECK(addrs_equal(&a, &again));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;

	if (!ready) {
		CHECK(dtt_crypto_init() == 0);
		ready = true;
	}
	check_open(data, size);
	check_record(data, size);
	check_content(data, size);
	return 0;
}
