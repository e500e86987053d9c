/* bep44.h - BEP 44 item rules: the signed buffer, targets, sign/verify, byte-string values.
 *
 * Pure functions over borrowed byte spans (spec/DHT.md §4): nothing here allocates, keeps
 * state or draws randomness. `v` is always the *verbatim bencoding* of the value as it
 * appeared on the wire (for a byte string: "<len>:<bytes>"), because decoding and
 * re-encoding is not guaranteed to give the same bytes. A salt of length 0 means "no salt":
 * it is neither signed nor hashed (never put an empty salt on the wire).
 */
#ifndef DTT_DHT_BEP44_H
#define DTT_DHT_BEP44_H

#include "crypto.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DTT_BEP44_V_MAX	       1000 /* bencoded v, as libtorrent checks it (mainline: raw bytes) */
#define DTT_BEP44_SALT_MAX     64
#define DTT_BEP44_TARGET_BYTES DTT_SHA1_BYTES
#define DTT_BEP44_K_BYTES      DTT_ED25519_PK_BYTES
#define DTT_BEP44_SIG_BYTES    DTT_ED25519_SIG_BYTES
/* "4:salt" "64" ":" salt | "3:seqi" "-9223372036854775808" "e" | "1:v" v */
#define DTT_BEP44_SIGNABLE_MAX (6 + 2 + 1 + DTT_BEP44_SALT_MAX + 6 + 20 + 1 + 3 + DTT_BEP44_V_MAX)
/* Largest raw byte string whose bencoding ("<len>:<bytes>") fits DTT_BEP44_V_MAX: 996. */
#define DTT_BEP44_RAW_V_MAX (DTT_BEP44_V_MAX - 4)

/* KRPC error codes of a put (BEP 5 §errors, BEP 44 §errors). */
#define DTT_BEP44_ERR_PROTOCOL	   203 /* bad token, negative seq, malformed arguments */
#define DTT_BEP44_ERR_V_TOO_BIG	   205
#define DTT_BEP44_ERR_BAD_SIG	   206
#define DTT_BEP44_ERR_SALT_TOO_BIG 207
#define DTT_BEP44_ERR_CAS	   301 /* cas differs from the stored seq */
#define DTT_BEP44_ERR_SEQ_LESS	   302 /* seq lower than the stored seq */

/* Writes the exact buffer a mutable item's signature covers into out (cap bytes):
 *   ["4:salt" <len(salt)> ":" salt]  "3:seqi" <seq> "e"  "1:v" v
 * (the salt part only when salt_len > 0). salt may be NULL when salt_len is 0.
 * Returns the number of bytes written, or DTT_ERR_TOOBIG if they do not fit in cap (with
 * cap >= DTT_BEP44_SIGNABLE_MAX every item within the BEP 44 limits fits). */
int dtt_bep44_signable(uint8_t *out, size_t cap, const uint8_t *salt, size_t salt_len, int64_t seq,
		       const uint8_t *v, size_t v_len);

/* target = SHA-1(k || salt), the salt only when salt_len > 0 (no length prefix). */
void dtt_bep44_mutable_target(uint8_t target[static DTT_BEP44_TARGET_BYTES],
			      const uint8_t k[static DTT_BEP44_K_BYTES], const uint8_t *salt,
			      size_t salt_len);

/* target = SHA-1(v), v being the verbatim bencoded value. */
void dtt_bep44_immutable_target(uint8_t target[static DTT_BEP44_TARGET_BYTES], const uint8_t *v,
				size_t v_len);

/* True if SHA-1(v) == target: what a reader checks on an immutable get reply. */
bool dtt_bep44_immutable_matches(const uint8_t target[static DTT_BEP44_TARGET_BYTES],
				 const uint8_t *v, size_t v_len);

/* Signs the signable of (salt, seq, v) with a libsodium secret key (seed || pk, from
 * dtt_ed25519_seed_keypair). Returns 0, or DTT_ERR_TOOBIG if v_len > DTT_BEP44_V_MAX or
 * salt_len > DTT_BEP44_SALT_MAX (sig is then zeroed). */
struct dtt_crypto; /* provider.h: the signature provider, NULL for the real Ed25519 */
int dtt_bep44_sign(const struct dtt_crypto *c, uint8_t sig[static DTT_BEP44_SIG_BYTES],
		   const uint8_t sk[static DTT_ED25519_SK_BYTES], const uint8_t *salt,
		   size_t salt_len, int64_t seq, const uint8_t *v, size_t v_len);

/* Verifies sig by k over the signable of (salt, seq, v) (strict Ed25519, dtt_ed25519_verify).
 * Returns 0, DTT_ERR_AUTH for a bad signature or key, or DTT_ERR_TOOBIG if v or salt
 * exceed the BEP 44 limits (such an item is never signed-checked, as a storing node
 * rejects it first). */
DTT_MUST_CHECK int dtt_bep44_verify(const struct dtt_crypto *c,
				    const uint8_t sig[static DTT_BEP44_SIG_BYTES],
				    const uint8_t k[static DTT_BEP44_K_BYTES], const uint8_t *salt,
				    size_t salt_len, int64_t seq, const uint8_t *v, size_t v_len);

/* Bytes needed to bencode a byte string of len bytes ("<len>:" + len). */
size_t dtt_bep44_string_size(size_t len);

/* Wraps raw bytes as a bencoded byte string "<len>:<bytes>" into out (cap bytes): the form in
 * which records travel as v. Returns bytes written or DTT_ERR_TOOBIG. */
int dtt_bep44_string_encode(uint8_t *out, size_t cap, const uint8_t *raw, size_t len);

/* Unwraps v when it is exactly one canonical bencoded byte string (decimal length without
 * leading zeros, then exactly that many bytes, nothing after). *raw points into v.
 * Returns 0 or DTT_ERR_MALFORMED (another bencoded type, a bad length, trailing bytes). */
int dtt_bep44_string_decode(const uint8_t *v, size_t v_len, const uint8_t **raw, size_t *raw_len);

#endif
