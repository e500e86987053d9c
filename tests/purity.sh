#!/usr/bin/env bash
# purity.sh ARCHIVE... - fails if a core library references a symbol outside the seam.
# Reads the undefined symbols of the built objects (nm -u), so a call hidden behind a macro or
# an inline function is caught as well as a plain one. Each ban names what to use instead.
set -euo pipefail

declare -A banned=(
	[time]="env->ops->wall_ms"            [clock_gettime]="env->ops->now_ms"
	[gettimeofday]="env->ops->wall_ms"    [clock]="env->ops->now_ms"
	[localtime]="env->ops->wall_ms"       [gmtime]="env->ops->wall_ms"
	[rand]="env->ops->random"             [srand]="env->ops->random"
	[random]="env->ops->random"           [srandom]="env->ops->random"
	[rand_r]="env->ops->random"           [drand48]="env->ops->random"
	[getrandom]="env->ops->random"        [getentropy]="env->ops->random"
	[arc4random]="env->ops->random"       [arc4random_buf]="env->ops->random"
	[randombytes_buf]="env->ops->random"  [randombytes_random]="env->ops->random"
	[randombytes_uniform]="env->ops->random" [randombytes_stir]="env->ops->random"
	[crypto_sign_keypair]="dtt_ed25519_seed_keypair"
	[crypto_sign_ed25519_keypair]="dtt_ed25519_seed_keypair"
	[crypto_box_keypair]="a seed from env->ops->random"
	[crypto_kx_keypair]="a seed from env->ops->random"
	[crypto_box_seal]="dtt_hpke_* with env randomness"
	[crypto_aead_chacha20poly1305_ietf_keygen]="env->ops->random"
	[crypto_secretbox_keygen]="env->ops->random"
	[crypto_kdf_keygen]="env->ops->random"
	[crypto_auth_hmacsha256_keygen]="env->ops->random"
	[crypto_core_ed25519_random]="env->ops->random"
	[crypto_core_ed25519_scalar_random]="env->ops->random"
	[RAND_bytes]="env->ops->random"       [RAND_priv_bytes]="env->ops->random"
	[EVP_PKEY_keygen]="a seed from env->ops->random"
	[socket]="env->ops->send"             [sendto]="env->ops->send"
	[sendmsg]="env->ops->send"            [send]="env->ops->send"
	[recvfrom]="dtt_*_on_datagram"        [recvmsg]="dtt_*_on_datagram"
	[recv]="dtt_*_on_datagram"            [bind]="the backend"
	[connect]="the backend"               [poll]="dtt_*_next_deadline_ms"
	[select]="dtt_*_next_deadline_ms"     [epoll_wait]="dtt_*_next_deadline_ms"
	[printf]="dtt_log"                    [puts]="dtt_log"
	[putchar]="dtt_log"                   [fprintf]="dtt_log"
	[fputs]="dtt_log"                     [fwrite]="dtt_log"
	[vprintf]="dtt_log"                   [vfprintf]="dtt_log"
	[perror]="dtt_log"                    [write]="the backend"
	[fopen]="the backend"                 [open]="the backend"
	[sleep]="a timer"                     [usleep]="a timer"
	[nanosleep]="a timer"                 [pthread_create]="nothing: the core is single-threaded"
	[fork]="nothing"                      [getpid]="nothing"
	[abort]="DTT_ASSERT"                  [exit]="an error code"
)

if [ "$#" -eq 0 ]; then
	echo "usage: purity.sh ARCHIVE..." >&2
	exit 2
fi

bad=0
for lib in "$@"; do
	[ -f "$lib" ] || { echo "purity: $lib: no such file" >&2; exit 2; }
	# nm -u lists undefined symbols per member; strip versions (time@GLIBC_2.2.5) and compiler
	# fortification prefixes (__printf_chk) so that every spelling of a call is caught.
	while read -r sym; do
		[ -n "$sym" ] || continue
		base=${sym%%@*}
		base=${base#__}
		base=${base%_chk}
		base=${base#isoc99_}
		[ -n "$base" ] || continue
		if [ -n "${banned[$base]+x}" ]; then
			echo "purity: $(basename "$lib") calls $sym; use ${banned[$base]} instead" >&2
			bad=1
		fi
	done < <(nm -u "$lib" 2>/dev/null | awk '{print $NF}' | sort -u)
done

if [ "$bad" -ne 0 ]; then
	exit 1
fi
echo "purity: $# libraries clean"
