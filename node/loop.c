/* loop.c - poll loop: the only place where the node meets a real socket and a real clock. */
#include "loop.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "err.h"
#include "metrics.h"

static volatile sig_atomic_t *signal_flag;
static volatile sig_atomic_t stats_flag; /* SIGUSR1 */

#define METRICS_FDS_MAX 32 /* HTTP connections (16) and the listening socket, with room */

static void loop_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void loop_error(const char *fmt, ...)
{
	va_list ap;

	fputs("dtt: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		stats_flag = 1;
	else if (signal_flag)
		*signal_flag = 1;
}

void dtt_loop_catch_signals(volatile sig_atomic_t *flag)
{
	struct sigaction sa;

	signal_flag = flag;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

void dtt_loop_print_stats(struct dtt_loop *l)
{
	static struct dtt_stats st; /* a few KB: not on the stack of every caller */

	dtt_node_stats(l->node, &st);
	fputs("{\"event\":\"stats\",", stderr);
	dtt_metrics_write(stderr, &st, DTT_METRICS_JSON);
	fputs("}\n", stderr);
	fflush(stderr);
}

int dtt_loop_serve_metrics(struct dtt_loop *l, const char *hostport)
{
	struct dtt_addr a;

	if (dtt_posix_resolve(&a, hostport)) {
		loop_error("--metrics: expected HOST:PORT, got '%s'", hostport);
		return DTT_ERR_INVALID;
	}
	l->metrics = dtt_metrics_server_start(&a, l->node);
	return l->metrics ? 0 : DTT_ERR_STATE;
}

int dtt_loop_init(struct dtt_loop *l, const struct dtt_addr *bind_addr,
		  const struct dtt_node_config *cfg, const uint8_t *seed)
{
	char s[DTT_ADDR_STR_MAX];
	int err;

	memset(l, 0, sizeof(*l));
	l->input_fd = -1;
	err = dtt_posix_env_init(&l->pe, seed);
	if (err) {
		loop_error("cannot initialise libsodium");
		return err;
	}
	err = dtt_posix_env_bind(&l->pe, bind_addr);
	if (err) {
		loop_error("cannot bind UDP %s: %s", dtt_addr_str(bind_addr, s), strerror(errno));
		return err;
	}
	dtt_posix_env_local(&l->pe, &l->local);
	l->node = dtt_node_new(&l->pe.env, cfg);
	if (!l->node) {
		loop_error("out of memory");
		dtt_posix_env_deinit(&l->pe);
		return DTT_ERR_NOMEM;
	}
	return 0;
}

void dtt_loop_deinit(struct dtt_loop *l)
{
	dtt_metrics_server_stop(l->metrics);
	l->metrics = NULL;
	dtt_node_free(l->node);
	l->node = NULL;
	dtt_posix_env_deinit(&l->pe);
}

/* Reads every queued datagram without blocking. */
static void drain(struct dtt_loop *l)
{
	uint8_t buf[65536];

	for (int i = 0; i < 1024; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		struct dtt_addr from;
		ssize_t n = recvfrom(l->pe.fd, buf, sizeof(buf), 0, (struct sockaddr *)&ss, &sl);

		if (n < 0)
			return; /* EAGAIN, or an ICMP error surfaced on the socket: nothing to read */
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

			dtt_addr_ipv4(&from, (const uint8_t *)&s4->sin_addr, ntohs(s4->sin_port));
		} else if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

			memset(&from, 0, sizeof(from));
			from.family = DTT_AF_INET6;
			memcpy(from.addr, &s6->sin6_addr, 16);
			from.port = ntohs(s6->sin6_port);
		} else {
			continue;
		}
		dtt_node_on_datagram(l->node, &from, buf, (size_t)n);
	}
}

int dtt_loop_run(struct dtt_loop *l, volatile sig_atomic_t *stop, bool (*done)(void *ctx),
		 void *ctx, uint64_t deadline_ms)
{
	const struct dtt_env *env = &l->pe.env;

	while (!(stop && *stop)) {
		uint64_t now = dtt_env_now_ms(env), next = dtt_node_next_deadline_ms(l->node);
		struct pollfd pfd[2 + METRICS_FDS_MAX] = {{.fd = l->pe.fd, .events = POLLIN},
							  {.fd = l->input_fd, .events = POLLIN}};
		size_t nfds = 2, mfds = 0;
		int timeout;

		if (stats_flag) {
			stats_flag = 0;
			dtt_loop_print_stats(l);
		}
		if (done && done(ctx))
			return 0;
		if (now >= deadline_ms)
			return DTT_ERR_TIMEOUT;
		if (next > deadline_ms)
			next = deadline_ms;
		if (next <= now)
			timeout = 0;
		else if (next - now > 1000)
			timeout = 1000; /* wake up now and then to notice signals on any libc */
		else
			timeout = (int)(next - now);
		if (l->input_fd < 0)
			pfd[1].fd = -1; /* poll ignores it */
		if (l->metrics)
			mfds = dtt_metrics_server_pollfds(l->metrics, pfd + nfds, METRICS_FDS_MAX,
							  &timeout);
		if (poll(pfd, nfds + mfds, timeout) > 0) {
			if (pfd[0].revents & (POLLIN | POLLERR))
				drain(l);
			if (l->input_fd >= 0 && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)))
				l->on_input(l->input_ctx);
		}
		if (l->metrics)
			dtt_metrics_server_run(l->metrics); /* also its timeouts when nothing was ready */
		if (dtt_env_now_ms(env) >= dtt_node_next_deadline_ms(l->node))
			dtt_node_on_deadline(l->node);
	}
	return 0;
}

void dtt_loop_watch_input(struct dtt_loop *l, int fd, void (*on_input)(void *ctx), void *ctx)
{
	l->input_fd = fd;
	l->on_input = on_input;
	l->input_ctx = ctx;
}

int dtt_loop_parse_nodes(const char *list, struct dtt_addr *out, int max)
{
	char *copy = strdup(list), *save = NULL, *tok;
	int n = 0;

	if (!copy)
		return -1;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!*tok)
			continue;
		if (n == max) {
			loop_error("--bootstrap: at most %d nodes", max);
			free(copy);
			return -1;
		}
		if (dtt_posix_resolve(&out[n], tok)) {
			loop_error("--bootstrap: cannot resolve '%s' (expected HOST:PORT)", tok);
			free(copy);
			return -1;
		}
		n++;
	}
	free(copy);
	return n;
}
