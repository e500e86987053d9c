/* addr_vote.h - our own public address as the DHT sees it (BEP 42 `ip` in replies), voted.
 *
 * Every reply to one of our queries may carry `ip`: the address and port the responder saw
 * our datagram come from. One responder can lie or sit behind a NAT of its own, so the
 * address is only taken once DTT_ADDR_VOTE_QUORUM distinct responders agree on it and it
 * has strictly more votes than any other address among the last DTT_ADDR_VOTE_VOTERS
 * distinct responders (docs/address.md says why 3). IPv4 and IPv6 vote apart.
 *
 * A responder is one IP address: two nodes on one host are one voter. Loopback responders
 * (127/8, ::1) are the exception, counted by address and port: they are processes of this
 * host, and a test or a single-host deployment runs every node on one loopback address.
 * A responder that votes again replaces its own vote; a new responder replaces the oldest
 * when the window is full, so a changed address wins once enough fresh replies say so.
 *
 * Fixed size (no allocation), no timers, no env: the caller feeds replies.
 */
#ifndef DTT_DHT_ADDR_VOTE_H
#define DTT_DHT_ADDR_VOTE_H

#include "env.h"

#include <stdbool.h>
#include <stdint.h>

#define DTT_ADDR_VOTE_QUORUM 3
#define DTT_ADDR_VOTE_VOTERS 16

struct dtt_addr_vote_entry {
	struct dtt_addr voter; /* port 0 unless the voter is loopback */
	struct dtt_addr seen;  /* what it said our address is */
	uint64_t seq;	       /* when it voted last, in votes cast (oldest is replaced) */
};

struct dtt_addr_vote_family {
	struct dtt_addr_vote_entry e[DTT_ADDR_VOTE_VOTERS];
	uint8_t count;
	bool has;
	struct dtt_addr addr; /* the winner, when has */
	uint16_t votes;	      /* its votes when it was last counted */
};

struct dtt_addr_vote {
	struct dtt_addr_vote_family v4, v6;
	uint64_t seq;	  /* votes cast */
	uint64_t changes; /* times a winner appeared or changed, both families */
	uint64_t ignored; /* `ip` values refused: unspecified address, port 0, unknown family */
};

void dtt_addr_vote_init(struct dtt_addr_vote *v);
/* Responder `voter` said our address is `seen`. Returns true when this changed the winner
 * of seen's family (it appeared or moved). */
bool dtt_addr_vote_cast(struct dtt_addr_vote *v, const struct dtt_addr *voter,
			const struct dtt_addr *seen);
/* The winner of a family (DTT_AF_INET or DTT_AF_INET6): true and *out, or false. */
bool dtt_addr_vote_get(const struct dtt_addr_vote *v, uint8_t family, struct dtt_addr *out);

#endif
