/* bep44.c - BEP 44 signable buffer, targets, sign/verify and byte-string values
 * (spec/DHT.md §4). Borrows every input; no state, no allocation. */
#include "bep44.h"
#include "provider.h"
#include "buf.h"
#include "err.h"

#include <limits.h>
#include <string.h>

int dtt_bep44_signable(uint8_t *out, size_t cap, const uint8_t *salt, size_t salt_len, int64_t seq,
		       const uint8_t *v, size_t v_len)
{
	struct dtt_wbuf w;

	if (cap > INT_MAX)
		cap = INT_MAX;
	if (salt_len > cap || v_len > cap)
		return DTT_ERR_TOOBIG;
	dtt_wbuf_init(&w, out, cap);
	/* Concatenated by hand: this is the inside of d4:salt..3:seq..1:v..e, keys in order. */
	if (salt_len > 0) {
		dtt_wbuf_put(&w, "4:salt", 6);
		dtt_wbuf_dec(&w, (int64_t)salt_len);
		dtt_wbuf_u8(&w, ':');
		dtt_wbuf_put(&w, salt, salt_len);
	}
	dtt_wbuf_put(&w, "3:seqi", 6);
	dtt_wbuf_dec(&w, seq);
	dtt_wbuf_put(&w, "e1:v", 4);
	if (w.err || v_len > w.cap - w.len)
		return DTT_ERR_TOOBIG;
	dtt_wbuf_put(&w, v, v_len);
	if (w.err)
		return DTT_ERR_TOOBIG;
	return (int)w.len;
}

void dtt_bep44_mutable_target(uint8_t target[static DTT_BEP44_TARGET_BYTES],
			      const uint8_t k[static DTT_BEP44_K_BYTES], const uint8_t *salt,
			      size_t salt_len)
{
	static const uint8_t none[1];

	dtt_sha1_2(target, k, DTT_BEP44_K_BYTES, salt_len > 0 ? salt : none, salt_len);
}

void dtt_bep44_immutable_target(uint8_t target[static DTT_BEP44_TARGET_BYTES], const uint8_t *v,
				size_t v_len)
{
	dtt_sha1(target, v, v_len);
}

bool dtt_bep44_immutable_matches(const uint8_t target[static DTT_BEP44_TARGET_BYTES],
				 const uint8_t *v, size_t v_len)
{
	uint8_t t[DTT_BEP44_TARGET_BYTES];

	dtt_sha1(t, v, v_len);
	return memcmp(t, target, sizeof(t)) == 0;
}

int dtt_bep44_sign(const struct dtt_crypto *c, uint8_t sig[static DTT_BEP44_SIG_BYTES],
		   const uint8_t sk[static DTT_ED25519_SK_BYTES], const uint8_t *salt,
		   size_t salt_len, int64_t seq, const uint8_t *v, size_t v_len)
{
	uint8_t buf[DTT_BEP44_SIGNABLE_MAX];
	int n;

	memset(sig, 0, DTT_BEP44_SIG_BYTES);
	if (v_len > DTT_BEP44_V_MAX || salt_len > DTT_BEP44_SALT_MAX)
		return DTT_ERR_TOOBIG;
	n = dtt_bep44_signable(buf, sizeof(buf), salt, salt_len, seq, v, v_len);
	if (n < 0)
		return n;
	dtt_crypto_sign(c, sig, buf, (size_t)n, sk);
	return 0;
}

int dtt_bep44_verify(const struct dtt_crypto *c, const uint8_t sig[static DTT_BEP44_SIG_BYTES],
		     const uint8_t k[static DTT_BEP44_K_BYTES], const uint8_t *salt,
		     size_t salt_len, int64_t seq, const uint8_t *v, size_t v_len)
{
	uint8_t buf[DTT_BEP44_SIGNABLE_MAX];
	int n;

	if (v_len > DTT_BEP44_V_MAX || salt_len > DTT_BEP44_SALT_MAX)
		return DTT_ERR_TOOBIG;
	n = dtt_bep44_signable(buf, sizeof(buf), salt, salt_len, seq, v, v_len);
	if (n < 0)
		return n;
	return dtt_crypto_verify(c, sig, buf, (size_t)n, k) == 0 ? 0 : DTT_ERR_AUTH;
}

static size_t decimal_digits(size_t n)
{
	size_t d = 1;

	while (n >= 10) {
		n /= 10;
		d++;
	}
	return d;
}

size_t dtt_bep44_string_size(size_t len)
{
	return decimal_digits(len) + 1 + len;
}

int dtt_bep44_string_encode(uint8_t *out, size_t cap, const uint8_t *raw, size_t len)
{
	struct dtt_wbuf w;

	if (len > INT_MAX / 2 || dtt_bep44_string_size(len) > cap)
		return DTT_ERR_TOOBIG;
	dtt_wbuf_init(&w, out, cap);
	dtt_wbuf_dec(&w, (int64_t)len);
	dtt_wbuf_u8(&w, ':');
	dtt_wbuf_put(&w, raw, len);
	return w.err ? DTT_ERR_TOOBIG : (int)w.len;
}

int dtt_bep44_string_decode(const uint8_t *v, size_t v_len, const uint8_t **raw, size_t *raw_len)
{
	size_t i = 0, len = 0;

	if (v_len == 0 || v[0] < '0' || v[0] > '9')
		return DTT_ERR_MALFORMED;
	if (v[0] == '0' && v_len > 1 && v[1] != ':')
		return DTT_ERR_MALFORMED; /* leading zero */
	while (i < v_len && v[i] >= '0' && v[i] <= '9') {
		if (len > (SIZE_MAX - 9) / 10)
			return DTT_ERR_MALFORMED;
		len = len * 10 + (size_t)(v[i] - '0');
		i++;
	}
	if (i >= v_len || v[i] != ':')
		return DTT_ERR_MALFORMED;
	i++;
	if (v_len - i != len)
		return DTT_ERR_MALFORMED; /* short, or bytes after the string */
	*raw = v + i;
	*raw_len = len;
	return 0;
}
