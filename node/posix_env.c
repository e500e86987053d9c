/* posix_env.c - the POSIX env: the one place that reads clocks, draws entropy, prints logs and
 * owns a socket on behalf of the core. */
#include "posix_env.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "dtt.h"
#include "log.h"

static uint64_t posix_now_ms(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int64_t posix_wall_ms(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void to_sockaddr(const struct dtt_addr *a, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == DTT_AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(a->port);
		memcpy(&s6->sin6_addr, a->addr, 16);
		*len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(a->port);
		memcpy(&s4->sin_addr, a->addr, 4);
		*len = sizeof(*s4);
	}
}

static int posix_send(void *ctx, const struct dtt_addr *to, const uint8_t *buf, size_t len)
{
	struct dtt_posix_env *pe = ctx;
	struct sockaddr_storage ss;
	socklen_t sl;

	if (pe->fd < 0 || to->family != DTT_AF_INET) {
		pe->send_errors++;
		return DTT_ERR_IO;
	}
	to_sockaddr(to, &ss, &sl);
	if (sendto(pe->fd, buf, len, 0, (struct sockaddr *)&ss, sl) < 0) {
		pe->send_errors++;
		return DTT_ERR_IO;
	}
	return 0;
}

static void posix_random(void *ctx, uint8_t *buf, size_t len)
{
	struct dtt_posix_env *pe = ctx;

	if (pe->seeded)
		dtt_rng_fill(&pe->rng, buf, len);
	else
		randombytes_buf(buf, len);
}

static void posix_log(void *ctx, int level, const char *module, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "%s %s: %s\n", dtt_log_level_name(level), module, msg);
}

static const struct dtt_env_ops posix_ops = {
	.now_ms = posix_now_ms,
	.wall_ms = posix_wall_ms,
	.send = posix_send,
	.random = posix_random,
	.log = posix_log,
};

int dtt_posix_env_init(struct dtt_posix_env *pe, const uint8_t *seed)
{
	const char *lvl = getenv("DTT_LOG");
	int level = lvl ? dtt_log_level_parse(lvl) : DTT_LOG_WARN;

	memset(pe, 0, sizeof(*pe));
	if (dtt_init()) /* main calls it first; again for embedders of the POSIX env */
		return DTT_ERR_CRYPTO;
	pe->env.ops = &posix_ops;
	pe->env.ctx = pe;
	pe->env.log_level = level < 0 ? DTT_LOG_WARN : level;
	pe->fd = -1;
	if (seed) {
		pe->seeded = true;
		dtt_rng_seed_bytes(&pe->rng, seed, 32);
	}
	return 0;
}

int dtt_posix_env_bind(struct dtt_posix_env *pe, const struct dtt_addr *local)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, saved;

	to_sockaddr(local, &ss, &sl);
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return DTT_ERR_IO;
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return DTT_ERR_IO;
	}
	pe->fd = fd;
	return 0;
}

int dtt_posix_env_local(const struct dtt_posix_env *pe, struct dtt_addr *out)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	memset(out, 0, sizeof(*out));
	if (pe->fd < 0 || getsockname(pe->fd, (struct sockaddr *)&ss, &sl) < 0)
		return DTT_ERR_IO;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		dtt_addr_ipv4(out, (const uint8_t *)&s4->sin_addr, ntohs(s4->sin_port));
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		out->family = DTT_AF_INET6;
		memcpy(out->addr, &s6->sin6_addr, 16);
		out->port = ntohs(s6->sin6_port);
	}
	return 0;
}

void dtt_posix_env_deinit(struct dtt_posix_env *pe)
{
	if (pe->fd >= 0)
		close(pe->fd);
	pe->fd = -1;
	sodium_memzero(&pe->rng, sizeof(pe->rng));
}

int dtt_posix_resolve(struct dtt_addr *out, const char *hostport)
{
	struct addrinfo hints, *res = NULL;
	char host[256];
	const char *colon = strrchr(hostport, ':');
	size_t hlen;
	int rc;

	if (dtt_addr_parse(out, hostport) == 0)
		return 0;
	if (!colon || colon == hostport || colon[1] == '\0')
		return DTT_ERR_INVALID;
	hlen = (size_t)(colon - hostport);
	if (hlen >= sizeof(host))
		return DTT_ERR_INVALID;
	memcpy(host, hostport, hlen);
	host[hlen] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_DGRAM;
	rc = getaddrinfo(host, colon + 1, &hints, &res);
	if (rc != 0 || !res)
		return DTT_ERR_INVALID;
	{
		struct sockaddr_in *s4 = (struct sockaddr_in *)res->ai_addr;

		dtt_addr_ipv4(out, (const uint8_t *)&s4->sin_addr, ntohs(s4->sin_port));
	}
	freeaddrinfo(res);
	return 0;
}
