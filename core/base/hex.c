/* hex.c - hex codec. */
#include "hex.h"
#include "err.h"

char *dtt_hex_encode(char *out, const uint8_t *in, size_t len)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
	return out;
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long dtt_hex_decode(uint8_t *out, size_t cap, const char *in, size_t in_len)
{
	size_t n = 0;
	int hi = -1;

	for (size_t i = 0; i < in_len; i++) {
		char c = in[i];
		int v;

		if (c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f')
			continue;
		v = nibble(c);
		if (v < 0)
			return DTT_ERR_MALFORMED;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n == cap)
			return DTT_ERR_TOOBIG;
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	if (hi >= 0)
		return DTT_ERR_MALFORMED;
	return (long)n;
}
