/* crypto_modelled.h - `crypto: modelled`: cheap deterministic stand-ins for the asymmetric
 * primitives (provider.h), for simulations too large to pay for real X25519 and Ed25519.
 *
 * Same sizes and the same accept/reject behaviour among honest nodes:
 *   - an X25519 public key is a hash of the clamped secret, and DH(a, B) is a hash of the
 *     unordered pair (X25519(a, 9), B): two key pairs agree on a value only with each other;
 *     an all-zero peer key is refused as the real function refuses small-order keys;
 *   - an Ed25519 key pair from a seed has as public key the modelled X25519 public key of the
 *     seed's X25519 form (SHA-512(seed)[0..32], real), so the Ed25519 -> X25519 conversion is
 *     the identity and a record sealed to an id opens with that id's seed;
 *   - a signature is SHA-512 over the public key and the message: it verifies only under the
 *     key that made it and only for that message;
 *   - every key but the all-zero one is valid.
 * AEAD, hashing and HKDF stay real, so a tampered frame or record still fails. None of it is
 * secure: anyone can compute any DH value or forge any signature, which is why only the
 * simulator links it (dtt-node does not, and the crypto_modelled_not_in_dtt_node test checks
 * that).
 */
#ifndef DTT_SIM_CRYPTO_MODELLED_H
#define DTT_SIM_CRYPTO_MODELLED_H

#include "provider.h"

extern const struct dtt_crypto_ops dtt_crypto_modelled_ops;

#endif
