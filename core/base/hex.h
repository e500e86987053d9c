/* hex.h - lowercase hex encoding of byte strings. */
#ifndef DTT_BASE_HEX_H
#define DTT_BASE_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Writes 2*len hex digits and a NUL into out (2*len+1 bytes). Returns out. */
char *dtt_hex_encode(char *out, const uint8_t *in, size_t len);
/* Decodes hex digits (either case), skipping ASCII whitespace. Returns the byte count, or
 * DTT_ERR_MALFORMED (odd count, bad digit) or DTT_ERR_TOOBIG (more than cap bytes). */
long dtt_hex_decode(uint8_t *out, size_t cap, const char *in, size_t in_len);

#endif
