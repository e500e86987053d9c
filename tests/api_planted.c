/* api_planted.c - not built: the file api_only.sh must reject (a gossip header and a call of
 * the gossip layer), so that the check is seen to fail. */
#include "gossip.h"

int planted(struct dtt_gossip *g, const uint8_t *topic)
{
	return dtt_gossip_join(g, topic, NULL, 0);
}
