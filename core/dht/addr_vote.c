/* addr_vote.c - voting on our public address from BEP 42 `ip` fields (addr_vote.h). */
#include "addr_vote.h"

#include <string.h>

void dtt_addr_vote_init(struct dtt_addr_vote *v)
{
	memset(v, 0, sizeof(*v));
}

static bool is_loopback(const struct dtt_addr *a)
{
	static const uint8_t v6_lo[16] = {[15] = 1};

	if (a->family == DTT_AF_INET)
		return a->addr[0] == 127;
	return memcmp(a->addr, v6_lo, 16) == 0;
}

static bool is_unspecified(const struct dtt_addr *a)
{
	static const uint8_t zero[16];

	return memcmp(a->addr, zero, a->family == DTT_AF_INET ? 4 : 16) == 0;
}

/* One voter per host, except on loopback where every port is its own node. */
static void voter_key(struct dtt_addr *key, const struct dtt_addr *from)
{
	*key = *from;
	if (key->family == DTT_AF_INET)
		memset(key->addr + 4, 0, 12);
	if (!is_loopback(from))
		key->port = 0;
}

static unsigned votes_for(const struct dtt_addr_vote_family *f, const struct dtt_addr *a)
{
	unsigned n = 0;

	for (unsigned i = 0; i < f->count; i++)
		n += dtt_addr_eq(&f->e[i].seen, a);
	return n;
}

/* The address with the most votes if it has a quorum and no other ties it. */
static bool count(const struct dtt_addr_vote_family *f, struct dtt_addr *out, unsigned *votes)
{
	unsigned best = 0, second = 0;
	int at = -1;

	for (unsigned i = 0; i < f->count; i++) {
		bool seen_before = false;
		unsigned n;

		for (unsigned j = 0; j < i && !seen_before; j++)
			seen_before = dtt_addr_eq(&f->e[j].seen, &f->e[i].seen);
		if (seen_before)
			continue;
		n = votes_for(f, &f->e[i].seen);
		if (n > best) {
			second = best;
			best = n;
			at = (int)i;
		} else if (n > second) {
			second = n;
		}
	}
	if (at < 0 || best < DTT_ADDR_VOTE_QUORUM || best == second)
		return false;
	*out = f->e[at].seen;
	*votes = best;
	return true;
}

bool dtt_addr_vote_cast(struct dtt_addr_vote *v, const struct dtt_addr *voter,
			const struct dtt_addr *seen)
{
	struct dtt_addr_vote_family *f;
	struct dtt_addr key, win;
	unsigned slot, votes;

	if ((seen->family != DTT_AF_INET && seen->family != DTT_AF_INET6) || seen->port == 0 ||
	    is_unspecified(seen) || voter->family != seen->family) {
		v->ignored++;
		return false;
	}
	f = seen->family == DTT_AF_INET ? &v->v4 : &v->v6;
	voter_key(&key, voter);
	for (slot = 0; slot < f->count; slot++)
		if (dtt_addr_eq(&f->e[slot].voter, &key))
			break;
	if (slot == f->count) {
		if (f->count < DTT_ADDR_VOTE_VOTERS) {
			f->count++;
		} else {
			slot = 0;
			for (unsigned i = 1; i < f->count; i++)
				if (f->e[i].seq < f->e[slot].seq)
					slot = i;
		}
	}
	f->e[slot].voter = key;
	f->e[slot].seen = *seen;
	f->e[slot].seq = ++v->seq;
	if (!count(f, &win, &votes)) {
		/* no clear winner right now: keep the address we had (a tie is no reason to
		 * drop an address that worked) */
		return false;
	}
	f->votes = (uint16_t)votes;
	if (f->has && dtt_addr_eq(&f->addr, &win))
		return false;
	f->has = true;
	f->addr = win;
	v->changes++;
	return true;
}

bool dtt_addr_vote_get(const struct dtt_addr_vote *v, uint8_t family, struct dtt_addr *out)
{
	const struct dtt_addr_vote_family *f = family == DTT_AF_INET ? &v->v4 : &v->v6;

	if ((family != DTT_AF_INET && family != DTT_AF_INET6) || !f->has)
		return false;
	*out = f->addr;
	return true;
}
