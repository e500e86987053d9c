/* env.c - helpers over the env seam and plain address handling. */
#include "env.h"
#include "err.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t dtt_env_uniform(const struct dtt_env *env, uint64_t bound)
{
	uint64_t limit, v;

	if (bound == 0)
		return 0;
	limit = UINT64_MAX - UINT64_MAX % bound;
	do
		dtt_env_random(env, &v, sizeof(v));
	while (v >= limit);
	return v % bound;
}

uint64_t dtt_env_unix_minute(const struct dtt_env *env)
{
	int64_t ms = dtt_env_wall_ms(env);

	return ms <= 0 ? 0 : (uint64_t)(ms / 60000);
}

bool dtt_addr_eq(const struct dtt_addr *a, const struct dtt_addr *b)
{
	size_t n = a->family == DTT_AF_INET ? 4 : 16;

	return a->family == b->family && a->port == b->port && memcmp(a->addr, b->addr, n) == 0;
}

void dtt_addr_ipv4(struct dtt_addr *out, const uint8_t ip[4], uint16_t port)
{
	memset(out, 0, sizeof(*out));
	out->family = DTT_AF_INET;
	memcpy(out->addr, ip, 4);
	out->port = port;
}

char *dtt_addr_str(const struct dtt_addr *a, char out[DTT_ADDR_STR_MAX])
{
	char ip[INET6_ADDRSTRLEN];

	if (a->family == DTT_AF_INET) {
		snprintf(out, DTT_ADDR_STR_MAX, "%u.%u.%u.%u:%u", a->addr[0], a->addr[1], a->addr[2],
			 a->addr[3], a->port);
	} else if (a->family == DTT_AF_INET6 && inet_ntop(AF_INET6, a->addr, ip, sizeof(ip))) {
		snprintf(out, DTT_ADDR_STR_MAX, "[%s]:%u", ip, a->port);
	} else {
		snprintf(out, DTT_ADDR_STR_MAX, "?");
	}
	return out;
}

int dtt_addr_parse(struct dtt_addr *out, const char *s)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *h = s;
	size_t hlen;
	char *end;
	long port;

	memset(out, 0, sizeof(*out));
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return DTT_ERR_INVALID;
		h = s + 1;
		hlen = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return DTT_ERR_INVALID;
		hlen = (size_t)(colon - s);
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return DTT_ERR_INVALID;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	if (colon[1] == '\0')
		return DTT_ERR_INVALID;
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port < 0 || port > 65535)
		return DTT_ERR_INVALID;
	out->port = (uint16_t)port;
	if (inet_pton(AF_INET, host, out->addr) == 1) {
		out->family = DTT_AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, host, out->addr) == 1) {
		out->family = DTT_AF_INET6;
		return 0;
	}
	return DTT_ERR_INVALID;
}
