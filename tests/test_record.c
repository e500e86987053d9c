/* test_record.c - DTT 0.3.x records: every derivation vector of spec/PROTOCOL.md §10, the
 * Record and EncryptedRecord layouts, seal/open round trips and every way opening must fail. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "bep44.h"
#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "fake_env.h"
#include "hex.h"
#include "record.h"

#define MINUTE 29000000ull

static void assert_hex(const uint8_t *b, size_t n, const char *expect)
{
	char s[2 * 64 + 1];

	assert_true(n <= 64);
	assert_string_equal(dtt_hex_encode(s, b, n), expect);
}

static void test_derivations_match_protocol_vectors_for_my_topic(void **state)
{
	uint8_t topic[32], sh[32], enc_seed[32], pk[32], sk[64], x[32], xs[32], xb[32];
	struct dtt_slot s;

	(void)state;
	dtt_topic_hash(topic, "my-topic", 8);
	assert_hex(topic, 32, "5a17e9bfddc622439159507d46d3578d8ccbb4a440db989d0a6dd5059262e07b");
	dtt_secret_hash(sh, "my-initial-secret", 17);
	assert_hex(sh, 32, "423e14581941ebdd4c1552e7a6ffb2902e9d6d627b883574e22aa4210243b412");
	dtt_slot_derive(NULL, &s, topic, MINUTE);
	assert_hex(s.seed, 32, "91e650fcf252950c741f2d8db103bd1f603c73d2586223a8557d2559be32bfe2");
	assert_hex(s.pk, 32, "03b90c04ca3cd5d4300d2bfb096406a85356acf5f42874d43831b49aab872e83");
	assert_hex(s.salt, 32, "66f16eabf8ce9040bdf52a1fb93649e5c3804b674330256dccdfa9e24945a8b0");
	assert_hex(s.target, 20, "1e9706a3bd694886e80ec123a683f4422727c8e9");
	dtt_rotation_seed(NULL, enc_seed, topic, MINUTE, sh);
	assert_hex(enc_seed, 32,
		   "3b9b3b0d2f1f100bc948bb6f78556181851aec518e8846c5bae77990ef46099a");
	dtt_ed25519_seed_keypair(pk, sk, enc_seed);
	assert_hex(pk, 32, "9f55ed17b3627d4497b4fea00e668af4b830c18877b4de19528101e1dd02d21f");
	dtt_ed25519_seed_to_x25519(xs, enc_seed);
	assert_hex(xs, 32, "b7b51ee9d5b1a29b0102480b4884d279e410ce66e5bf92ddd79b082ebb57fcaa");
	assert_int_equal(dtt_ed25519_pk_to_x25519(x, pk), 0);
	assert_hex(x, 32, "1ed18ca5077b020817b91fc6a2f8e90b00d79d05ec9fccd0ad3bcb55c2ac1614");
	dtt_x25519_base(xb, xs);
	assert_memory_equal(x, xb, 32);
	dtt_slot_derive(NULL, &s, topic, MINUTE - 1);
	assert_hex(s.salt, 32, "9a86e6270bb78a1a9f12f39ef5b3903eddbe828e24ba9e3bd7b0c0c3f8701227");
	dtt_slot_derive(NULL, &s, topic, MINUTE - 2);
	assert_hex(s.salt, 32, "0192468d41159605e2b67cdd4313966e6dcd192e263fd9560ebf401ab0f451eb");
	dtt_hash32(x, "hello", 5);
	assert_hex(x, 32, "9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca7");
}

static void test_derivations_match_protocol_vectors_for_example_topic(void **state)
{
	uint8_t topic[32], sh[32], enc_seed[32], pk[32], sk[64];
	struct dtt_slot s;

	(void)state;
	dtt_topic_hash(topic, "my-iroh-gossip-topic", 20);
	assert_hex(topic, 32, "6379dd5445e065734b71c81a611908a07aab8ecf2c31489d9f73cffc64abe858");
	dtt_slot_derive(NULL, &s, topic, MINUTE);
	assert_hex(s.seed, 32, "6834626351b200e7d6188d4798c8d57e911d34e0df9a39285277e67f08fa78b8");
	assert_hex(s.pk, 32, "e01c136752b21576b75a7ab7d3e6f906c565ad69066349fc1305fbf66f6e7e49");
	assert_hex(s.salt, 32, "60a5705577216ed0cb9279976d1166b54ee6777bfafe112200c0615e79adf7b2");
	assert_hex(s.target, 20, "361f7cf4e6a84292d956b485961cac23cf48addb");
	dtt_secret_hash(sh, "my-initial-secret", 17);
	dtt_rotation_default(NULL, enc_seed, topic, MINUTE, sh);
	assert_hex(enc_seed, 32,
		   "efb6019cd980ba61cab4efa1be5811f47e9d93fb83b6546a41648d2b0002eef7");
	dtt_ed25519_seed_keypair(pk, sk, enc_seed);
	assert_hex(pk, 32, "789f8f042c101abf4362e8ee0681aee18ac2c92af82c713953c5b852c675b420");
}

struct fixture {
	struct fake_env fe;
	uint8_t topic[32], secret_hash[32], enc_seed[32];
	uint8_t node_pk[32], node_sk[64];
	struct dtt_gossip_content gc;
	struct dtt_record rec;
	uint8_t value[DTT_ENCRYPTED_RECORD_MAX];
	int value_len;
};

static int setup(void **state)
{
	static struct fixture f;
	uint8_t seed[32], content[DTT_GOSSIP_CONTENT_BYTES];

	memset(&f, 0, sizeof(f));
	fake_env_init(&f.fe, 99, 0, (int64_t)MINUTE * 60000);
	dtt_topic_hash(f.topic, "my-topic", 8);
	dtt_secret_hash(f.secret_hash, "my-initial-secret", 17);
	dtt_rotation_seed(NULL, f.enc_seed, f.topic, MINUTE, f.secret_hash);
	memset(seed, 7, sizeof(seed));
	dtt_ed25519_seed_keypair(f.node_pk, f.node_sk, seed);
	memset(f.gc.peers[0], 0xa1, 32);
	memset(f.gc.peers[1], 0xa2, 32);
	memset(f.gc.hashes[0], 0xb1, 32);
	dtt_gossip_content_encode(&f.gc, content);
	assert_int_equal(dtt_record_make(NULL, &f.rec, f.topic, MINUTE, content, sizeof(content),
					 f.node_sk), 0);
	f.value_len = dtt_record_seal(&f.fe.env, &f.rec, f.enc_seed, f.value, sizeof(f.value));
	*state = &f;
	return 0;
}

static void test_record_plaintext_layout_is_456_bytes(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[DTT_RECORD_MIN_BYTES + DTT_RECORD_CONTENT_MAX], le[8] = {0x40, 0x81, 0xba, 0x01};
	uint8_t msg[392];
	struct dtt_record back;
	int n = dtt_record_encode(&f->rec, buf, sizeof(buf));

	assert_int_equal(n, DTT_GOSSIP_RECORD_BYTES);
	assert_memory_equal(buf, f->topic, 32);
	assert_memory_equal(buf + 32, le, 8);
	assert_memory_equal(buf + 40, f->node_pk, 32);
	assert_memory_equal(buf + 72, f->gc.peers, 160);
	assert_memory_equal(buf + 232, f->gc.hashes, 160);
	/* the signature covers the first 392 bytes, made with the node key */
	memcpy(msg, buf, sizeof(msg));
	assert_int_equal(dtt_ed25519_verify(buf + 392, msg, sizeof(msg), f->node_pk), 0);
	assert_int_equal(dtt_record_decode(&back, buf, (size_t)n), 0);
	assert_int_equal(back.content_len, DTT_GOSSIP_CONTENT_BYTES);
	assert_int_equal(dtt_record_verify(NULL, &back, f->topic, MINUTE), 0);
	assert_int_equal(dtt_record_decode(&back, buf, DTT_RECORD_MIN_BYTES - 1), DTT_ERR_MALFORMED);
	assert_int_equal(dtt_record_encode(&f->rec, buf, 455), DTT_ERR_TOOBIG);
}

static void test_sealed_gossip_record_has_the_0_3_layout(void **state)
{
	struct fixture *f = *state;
	const uint8_t prefix[4] = {0x00, 0x02, 0x00, 0x00};
	const uint8_t enc_len[8] = {32, 0, 0, 0, 0, 0, 0, 0};

	assert_int_equal(f->value_len, DTT_GOSSIP_ENCRYPTED_BYTES);
	assert_memory_equal(f->value, prefix, 4);          /* LE32 512 */
	assert_memory_equal(f->value + 4, enc_len, 8);     /* record blob: LE64 32 */
	assert_memory_equal(f->value + 516, enc_len, 8);   /* key blob: LE64 32 */
}

static void test_seal_then_open_returns_the_record(void **state)
{
	struct fixture *f = *state;
	enum dtt_record_check check = DTT_RECORD_BAD_FRAMING;
	struct dtt_gossip_content gc;
	struct dtt_record r;

	assert_int_equal(dtt_record_open(NULL, &r, f->value, (size_t)f->value_len, f->enc_seed, f->topic,
					 MINUTE, &check), 0);
	assert_int_equal(check, DTT_RECORD_OK);
	assert_memory_equal(r.pub_key, f->node_pk, 32);
	assert_int_equal(r.unix_minute, MINUTE);
	assert_int_equal(dtt_gossip_content_decode(&gc, r.content, r.content_len), 0);
	assert_memory_equal(&gc, &f->gc, sizeof(gc));
	assert_memory_equal(r.signature, f->rec.signature, 64);
}

static void test_same_seed_reproduces_the_ciphertext(void **state)
{
	struct fixture *f = *state;
	uint8_t a[DTT_ENCRYPTED_RECORD_MAX], b[DTT_ENCRYPTED_RECORD_MAX];
	struct fake_env e1, e2;

	fake_env_init(&e1, 5, 0, 0);
	fake_env_init(&e2, 5, 0, 0);
	assert_int_equal(dtt_record_seal(&e1.env, &f->rec, f->enc_seed, a, sizeof(a)), 604);
	assert_int_equal(dtt_record_seal(&e2.env, &f->rec, f->enc_seed, b, sizeof(b)), 604);
	assert_memory_equal(a, b, 604);
	assert_int_equal(dtt_record_seal(&e1.env, &f->rec, f->enc_seed, b, sizeof(b)), 604);
	assert_memory_not_equal(a, b, 604);
}

static void test_every_single_bit_flip_is_rejected(void **state)
{
	struct fixture *f = *state;
	uint8_t v[DTT_ENCRYPTED_RECORD_MAX];
	struct dtt_record r;

	for (int bit = 0; bit < f->value_len * 8; bit++) {
		memcpy(v, f->value, (size_t)f->value_len);
		v[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_int_not_equal(dtt_record_open(NULL, &r, v, (size_t)f->value_len, f->enc_seed,
						     f->topic, MINUTE, NULL), 0);
	}
}

static void test_wrong_secret_topic_or_minute_names_the_check(void **state)
{
	struct fixture *f = *state;
	uint8_t other_seed[32], other_topic[32], sh[32];
	enum dtt_record_check check;
	struct dtt_record r;

	dtt_secret_hash(sh, "wrong", 5);
	dtt_rotation_seed(NULL, other_seed, f->topic, MINUTE, sh);
	assert_int_equal(dtt_record_open(NULL, &r, f->value, 604, other_seed, f->topic, MINUTE, &check),
			 DTT_ERR_AUTH);
	assert_int_equal(check, DTT_RECORD_BAD_KEY_BLOB);

	dtt_rotation_seed(NULL, other_seed, f->topic, MINUTE + 1, f->secret_hash);
	assert_int_equal(dtt_record_open(NULL, &r, f->value, 604, other_seed, f->topic, MINUTE + 1,
					 &check), DTT_ERR_AUTH);
	assert_int_equal(check, DTT_RECORD_BAD_KEY_BLOB);

	/* right key, wrong expectations: the record layer names topic and minute */
	assert_int_equal(dtt_record_open(NULL, &r, f->value, 604, f->enc_seed, f->topic, MINUTE + 1,
					 &check), DTT_ERR_MISMATCH);
	assert_int_equal(check, DTT_RECORD_WRONG_MINUTE);
	dtt_topic_hash(other_topic, "other", 5);
	assert_int_equal(dtt_record_open(NULL, &r, f->value, 604, f->enc_seed, other_topic, MINUTE,
					 &check), DTT_ERR_MISMATCH);
	assert_int_equal(check, DTT_RECORD_WRONG_TOPIC);
}

static void test_framing_rules_reject_bad_lengths(void **state)
{
	struct fixture *f = *state;
	uint8_t v[DTT_ENCRYPTED_RECORD_MAX + 8];
	enum dtt_record_check check;
	struct dtt_record r;

	memcpy(v, f->value, 604);
	assert_int_equal(dtt_record_open(NULL, &r, v, 603, f->enc_seed, f->topic, MINUTE, &check),
			 DTT_ERR_MALFORMED);
	assert_int_equal(check, DTT_RECORD_BAD_FRAMING);
	v[604] = 0;
	assert_int_equal(dtt_record_open(NULL, &r, v, 605, f->enc_seed, f->topic, MINUTE, &check),
			 DTT_ERR_MALFORMED);
	assert_int_equal(dtt_record_open(NULL, &r, v, 3, f->enc_seed, f->topic, MINUTE, &check),
			 DTT_ERR_MALFORMED);
	assert_int_equal(dtt_record_open(NULL, &r, v, 0, f->enc_seed, f->topic, MINUTE, &check),
			 DTT_ERR_MALFORMED);
	/* L beyond 2048 */
	v[0] = 0x01; v[1] = 0x08; v[2] = 0; v[3] = 0;
	assert_int_equal(dtt_record_open(NULL, &r, v, 604, f->enc_seed, f->topic, MINUTE, &check),
			 DTT_ERR_MALFORMED);
	assert_int_equal(check, DTT_RECORD_BAD_FRAMING);
	/* a declared enc length other than 32 inside the key blob */
	memcpy(v, f->value, 604);
	v[516] = 33;
	assert_int_not_equal(dtt_record_open(NULL, &r, v, 604, f->enc_seed, f->topic, MINUTE, &check), 0);
	assert_int_equal(check, DTT_RECORD_BAD_KEY_BLOB);
}

static void test_forged_signature_is_rejected_after_decryption(void **state)
{
	struct fixture *f = *state;
	uint8_t v[DTT_ENCRYPTED_RECORD_MAX];
	enum dtt_record_check check;
	struct dtt_record r = f->rec;

	r.signature[10] ^= 1; /* a member with the secret re-seals a bad signature */
	assert_int_equal(dtt_record_seal(&f->fe.env, &r, f->enc_seed, v, sizeof(v)), 604);
	assert_int_equal(dtt_record_open(NULL, &r, v, 604, f->enc_seed, f->topic, MINUTE, &check),
			 DTT_ERR_AUTH);
	assert_int_equal(check, DTT_RECORD_BAD_SIGNATURE);
}

static void test_random_content_round_trips(void **state)
{
	struct fixture *f = *state;
	uint8_t content[DTT_RECORD_CONTENT_MAX], v[DTT_ENCRYPTED_RECORD_MAX];
	struct dtt_record r, back;

	for (int i = 0; i < 50; i++) {
		size_t len = (size_t)dtt_rng_uniform(&f->fe.rng, DTT_RECORD_CONTENT_MAX + 1);
		int n;

		dtt_rng_fill(&f->fe.rng, content, len);
		assert_int_equal(dtt_record_make(NULL, &r, f->topic, MINUTE, content, len, f->node_sk), 0);
		n = dtt_record_seal(&f->fe.env, &r, f->enc_seed, v, sizeof(v));
		assert_int_equal(n, (int)(284 + len));
		assert_int_equal(dtt_record_open(NULL, &back, v, (size_t)n, f->enc_seed, f->topic, MINUTE,
						 NULL), 0);
		assert_int_equal(back.content_len, len);
		assert_memory_equal(back.content, content, len);
	}
	assert_int_equal(dtt_record_make(NULL, &r, f->topic, MINUTE, content, DTT_RECORD_CONTENT_MAX + 1,
					 f->node_sk), DTT_ERR_TOOBIG);
	assert_int_equal(dtt_record_seal(&f->fe.env, &f->rec, f->enc_seed, v, 603), DTT_ERR_TOOBIG);
}

static void test_short_content_decodes_as_no_peers(void **state)
{
	struct dtt_gossip_content gc;
	uint8_t buf[400] = {0};

	(void)state;
	assert_int_equal(dtt_gossip_content_decode(&gc, buf, 319), DTT_ERR_MALFORMED);
	buf[0] = 1;
	buf[399] = 9; /* trailing bytes are ignored */
	assert_int_equal(dtt_gossip_content_decode(&gc, buf, 400), 0);
	assert_false(dtt_is_zero32(gc.peers[0]));
	assert_true(dtt_is_zero32(gc.hashes[4]));
}

static void custom_rotation(void *ctx, uint8_t seed[32], const uint8_t topic[32],
			    uint64_t minute, const uint8_t sh[32])
{
	uint8_t buf[32 + 8 + 32 + 6];

	memcpy(buf, topic, 32);
	dtt_store_be64(buf + 32, minute);
	memcpy(buf + 40, sh, 32);
	memcpy(buf + 72, ctx, 6);
	dtt_hash32(seed, buf, sizeof(buf));
}

static void test_rotation_callback_replaces_the_default(void **state)
{
	struct fixture *f = *state;
	struct dtt_rotation rot = {.fn = custom_rotation, .ctx = "custom"};
	uint8_t seed[32], v[DTT_ENCRYPTED_RECORD_MAX];
	struct dtt_record r;

	dtt_rotation_seed(&rot, seed, f->topic, MINUTE, f->secret_hash);
	assert_memory_not_equal(seed, f->enc_seed, 32);
	assert_int_equal(dtt_record_seal(&f->fe.env, &f->rec, seed, v, sizeof(v)), 604);
	assert_int_equal(dtt_record_open(NULL, &r, v, 604, seed, f->topic, MINUTE, NULL), 0);
	assert_int_equal(dtt_record_open(NULL, &r, v, 604, f->enc_seed, f->topic, MINUTE, NULL),
			 DTT_ERR_AUTH);
}

static void test_slot_value_is_signed_like_mainline(void **state)
{
	struct fixture *f = *state;
	uint8_t v[DTT_BEP44_V_MAX], sig[64], signable[DTT_BEP44_SIGNABLE_MAX];
	const char prefix[] = "4:salt32:";
	const char seq[] = "3:seqi9223372036854775807e1:v604:";
	struct dtt_slot s;
	int n, m;

	dtt_slot_derive(NULL, &s, f->topic, MINUTE);
	n = dtt_slot_sign_value(NULL, &s, f->value, (size_t)f->value_len, v, sizeof(v), sig);
	assert_int_equal(n, 4 + 604);
	assert_memory_equal(v, "604:", 4);
	assert_memory_equal(v + 4, f->value, 604);
	/* the signed buffer of PROTOCOL.md §6.1: 678 bytes for a 604-byte value */
	m = dtt_bep44_signable(signable, sizeof(signable), s.salt, 32, DTT_SLOT_SEQ, v, (size_t)n);
	assert_int_equal(m, 678);
	assert_memory_equal(signable, prefix, 9);
	assert_memory_equal(signable + 9, s.salt, 32);
	assert_memory_equal(signable + 41, seq, sizeof(seq) - 1);
	assert_int_equal(dtt_ed25519_verify(sig, signable, (size_t)m, s.pk), 0);
	assert_int_equal(dtt_bep44_verify(NULL, sig, s.pk, s.salt, 32, DTT_SLOT_SEQ, v, (size_t)n), 0);
	/* a value over the BEP 44 limit is refused */
	assert_int_equal(dtt_slot_sign_value(NULL, &s, f->value, 997, v, sizeof(v), sig), DTT_ERR_TOOBIG);
}

static void test_address_trailer_round_trips_and_keeps_content_compatible(void **state)
{
	struct fixture *f = *state;
	uint8_t content[DTT_GOSSIP_CONTENT_BYTES + DTT_RECORD_ADDRS_BYTES_MAX], v[2048];
	struct dtt_record_addrs a, b;
	struct dtt_gossip_content gc;
	struct dtt_record r, back;
	int n, total;

	memset(&a, 0, sizeof(a));
	a.has[0] = true;
	assert_int_equal(dtt_addr_parse(&a.addr[0], "10.1.2.3:6881"), 0);
	a.has[3] = true;
	assert_int_equal(dtt_addr_parse(&a.addr[3], "[2001:db8::7]:4000"), 0);
	dtt_gossip_content_encode(&f->gc, content);
	n = dtt_record_addrs_encode(&a, content + DTT_GOSSIP_CONTENT_BYTES,
				    sizeof(content) - DTT_GOSSIP_CONTENT_BYTES);
	assert_int_equal(n, 4 + 1 + (2 + 4 + 2) + (2 + 16 + 2));
	total = DTT_GOSSIP_CONTENT_BYTES + n;
	/* a postcard reader still sees the same 5 peers and 5 hashes */
	assert_int_equal(dtt_gossip_content_decode(&gc, content, (size_t)total), 0);
	assert_memory_equal(&gc, &f->gc, sizeof(gc));
	dtt_record_addrs_decode(&b, content, (size_t)total);
	assert_true(b.has[0] && b.has[3] && !b.has[1]);
	assert_true(dtt_addr_eq(&b.addr[0], &a.addr[0]));
	assert_true(dtt_addr_eq(&b.addr[3], &a.addr[3]));
	/* it travels through seal/open and stays within the BEP 44 value limit */
	assert_int_equal(dtt_record_make(NULL, &r, f->topic, MINUTE, content, (size_t)total, f->node_sk), 0);
	n = dtt_record_seal(&f->fe.env, &r, f->enc_seed, v, sizeof(v));
	assert_true(n > 0 && n + 4 <= 1000);
	assert_int_equal(dtt_record_open(NULL, &back, v, (size_t)n, f->enc_seed, f->topic, MINUTE, NULL), 0);
	dtt_record_addrs_decode(&b, back.content, back.content_len);
	assert_true(b.has[0] && dtt_addr_eq(&b.addr[0], &a.addr[0]));
	/* no trailer, a foreign trailer, a truncated one: no addresses, no crash */
	dtt_record_addrs_decode(&b, content, DTT_GOSSIP_CONTENT_BYTES);
	assert_false(b.has[0]);
	content[DTT_GOSSIP_CONTENT_BYTES] = 'x';
	dtt_record_addrs_decode(&b, content, (size_t)total);
	assert_false(b.has[0]);
	content[DTT_GOSSIP_CONTENT_BYTES] = 'd';
	dtt_record_addrs_decode(&b, content, (size_t)total - 3);
	assert_true(b.has[0]);  /* the complete first entry is kept */
	assert_false(b.has[3]); /* the cut one is not */
	memset(&a, 0, sizeof(a));
	assert_int_equal(dtt_record_addrs_encode(&a, content, sizeof(content)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_derivations_match_protocol_vectors_for_my_topic),
		cmocka_unit_test(test_derivations_match_protocol_vectors_for_example_topic),
		cmocka_unit_test_setup(test_record_plaintext_layout_is_456_bytes, setup),
		cmocka_unit_test_setup(test_sealed_gossip_record_has_the_0_3_layout, setup),
		cmocka_unit_test_setup(test_seal_then_open_returns_the_record, setup),
		cmocka_unit_test_setup(test_same_seed_reproduces_the_ciphertext, setup),
		cmocka_unit_test_setup(test_every_single_bit_flip_is_rejected, setup),
		cmocka_unit_test_setup(test_wrong_secret_topic_or_minute_names_the_check, setup),
		cmocka_unit_test_setup(test_framing_rules_reject_bad_lengths, setup),
		cmocka_unit_test_setup(test_forged_signature_is_rejected_after_decryption, setup),
		cmocka_unit_test_setup(test_random_content_round_trips, setup),
		cmocka_unit_test(test_short_content_decodes_as_no_peers),
		cmocka_unit_test_setup(test_rotation_callback_replaces_the_default, setup),
		cmocka_unit_test_setup(test_slot_value_is_signed_like_mainline, setup),
		cmocka_unit_test_setup(test_address_trailer_round_trips_and_keeps_content_compatible,
				       setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
