/* metrics.c - dtt-node's counters as Prometheus text or JSON, and their HTTP endpoint
 * (metrics.h). */
#include "metrics.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <netinet/in.h>

#ifdef DTT_HAVE_MICROHTTPD
#include <microhttpd.h>
#endif

#include "hex.h"

/* --- one writer for both formats --- */

struct emit {
	FILE *f;
	enum dtt_metrics_format fmt;
	bool first_metric; /* JSON: no comma before the first member */
	bool first_sample; /* JSON: no comma before the first sample of a labelled metric */
	bool labelled;
	const char *name;
};

struct label {
	const char *k, *v;
};

static void begin(struct emit *e, const char *name, const char *type, const char *help,
		  bool labelled)
{
	e->name = name;
	e->labelled = labelled;
	e->first_sample = true;
	if (e->fmt == DTT_METRICS_PROMETHEUS) {
		fprintf(e->f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
		return;
	}
	fprintf(e->f, "%s\"%s\":%s", e->first_metric ? "" : ",", name, labelled ? "[" : "");
	e->first_metric = false;
}

static void end(struct emit *e)
{
	if (e->fmt == DTT_METRICS_JSON && e->labelled)
		fputc(']', e->f);
}

/* Label values are names from the core, hex or addresses: no quote or backslash to escape. */
static void sample(struct emit *e, const struct label *l, size_t n, uint64_t v)
{
	if (e->fmt == DTT_METRICS_PROMETHEUS) {
		fputs(e->name, e->f);
		for (size_t i = 0; i < n; i++)
			fprintf(e->f, "%s%s=\"%s\"", i ? "," : "{", l[i].k, l[i].v);
		fprintf(e->f, "%s %" PRIu64 "\n", n ? "}" : "", v);
		return;
	}
	if (!e->labelled) {
		fprintf(e->f, "%" PRIu64, v);
		return;
	}
	fprintf(e->f, "%s{", e->first_sample ? "" : ",");
	for (size_t i = 0; i < n; i++)
		fprintf(e->f, "\"%s\":\"%s\",", l[i].k, l[i].v);
	fprintf(e->f, "\"value\":%" PRIu64 "}", v);
	e->first_sample = false;
}

static void scalar(struct emit *e, const char *name, const char *type, const char *help,
		   uint64_t v)
{
	begin(e, name, type, help, false);
	sample(e, NULL, 0, v);
	end(e);
}

static void sample1(struct emit *e, const char *k, const char *v, uint64_t value)
{
	struct label l = {k, v};

	sample(e, &l, 1, value);
}

static void sample2(struct emit *e, const char *k1, const char *v1, const char *k2,
		    const char *v2, uint64_t value)
{
	struct label l[2] = {{k1, v1}, {k2, v2}};

	sample(e, l, 2, value);
}

static void traffic(struct emit *e, const struct dtt_stats *st)
{
	begin(e, "dtt_datagrams_total", "counter", "UDP datagrams by protocol and direction", true);
	sample2(e, "protocol", "dht", "direction", "in", st->dht.datagrams_in);
	sample2(e, "protocol", "dht", "direction", "out", st->dht.datagrams_out);
	sample2(e, "protocol", "gossip", "direction", "in", st->links.datagrams_in);
	sample2(e, "protocol", "gossip", "direction", "out", st->links.datagrams_out);
	sample2(e, "protocol", "any", "direction", "in", st->datagrams_in);
	end(e);
	begin(e, "dtt_bytes_total", "counter", "UDP payload bytes by protocol and direction", true);
	sample2(e, "protocol", "dht", "direction", "in", st->dht.bytes_in);
	sample2(e, "protocol", "dht", "direction", "out", st->dht.bytes_out);
	sample2(e, "protocol", "gossip", "direction", "in", st->links.bytes_in);
	sample2(e, "protocol", "gossip", "direction", "out", st->links.bytes_out);
	sample2(e, "protocol", "any", "direction", "in", st->bytes_in);
	end(e);
	begin(e, "dtt_dropped_total", "counter", "inbound datagrams and messages dropped, by layer and reason", true);
	for (int l = 0; l < DTT_DROP_LAYER__COUNT; l++)
		for (int i = dtt_drop_first(l); i < (int)dtt_drop_reasons(l); i++)
			sample2(e, "layer", dtt_drop_layer_name(l), "reason", dtt_drop_name(l, i),
				dtt_stats_dropped(st, l, i));
	end(e);
}

static void dht(struct emit *e, const struct dtt_stats *st)
{
	scalar(e, "dtt_dht_routing_table_nodes", "gauge", "contacts in the DHT routing table", st->dht_nodes);
	scalar(e, "dtt_dht_rpcs_outstanding", "gauge", "DHT queries awaiting an answer", st->dht_rpcs);
	scalar(e, "dtt_dht_operations", "gauge", "DHT lookups, gets and puts running", st->dht_ops);
	scalar(e, "dtt_dht_items_stored", "gauge", "BEP 44 items this node stores", st->dht_items);
	begin(e, "dtt_dht_queries_total", "counter", "KRPC queries by method and direction", true);
	for (int m = 0; m < DTT_KRPC_METHOD__COUNT; m++) {
		const char *name = dtt_dht_method_name(m);

		sample2(e, "method", name, "direction", "in", st->dht.queries_received[m]);
		sample2(e, "method", name, "direction", "out", st->dht.queries_sent[m]);
	}
	end(e);
	scalar(e, "dtt_dht_responses_received_total", "counter", "replies matched to our queries", st->dht.responses_received);
	scalar(e, "dtt_dht_timeouts_total", "counter", "our queries that got no answer in time", st->dht.timeouts);
	scalar(e, "dtt_dht_send_failed_total", "counter", "datagrams the socket refused", st->dht.send_failed);
	begin(e, "dtt_dht_errors_total", "counter", "KRPC error replies by code and direction", true);
	for (int c = 0; c < DTT_DHT_CODE__COUNT; c++) {
		sample2(e, "code", dtt_dht_code_name(c), "direction", "in", st->dht.errors_received[c]);
		sample2(e, "code", dtt_dht_code_name(c), "direction", "out", st->dht.errors_sent[c]);
	}
	end(e);
	scalar(e, "dtt_dht_puts_accepted_total", "counter", "BEP 44 puts stored", st->dht.puts_accepted);
	scalar(e, "dtt_dht_lookups_started_total", "counter", "DHT operations started", st->dht.lookups_started);
	scalar(e, "dtt_dht_values_delivered_total", "counter", "distinct verified BEP 44 values our gets received", st->dht.values_delivered);
	scalar(e, "dtt_dht_recoveries_total", "counter", "bootstraps again from the seeds and failed contacts: no usable contact", st->dht.recoveries);
}

static void address(struct emit *e, const struct dtt_stats *st)
{
	char s[DTT_ADDR_STR_MAX];

	scalar(e, "dtt_address_votes_total", "counter", "replies that told our address (BEP 42 ip)", st->dht.ip_votes);
	scalar(e, "dtt_address_voters", "gauge", "distinct responders whose vote is held", st->addr_votes);
	begin(e, "dtt_public_address_info", "gauge", "the address voted by the DHT (1) per family", true);
	for (int i = 0; i < 2; i++)
		if (st->has_public[i])
			sample2(e, "family", i ? "ipv6" : "ipv4", "addr",
				dtt_addr_str(&st->public_addr[i], s), 1);
	end(e);
	scalar(e, "dtt_published_address_known", "gauge", "1 when records carry an address of this node", st->has_own);
}

static void links(struct emit *e, const struct dtt_stats *st)
{
	begin(e, "dtt_handshakes_total", "counter", "gossip link handshakes (Noise IK)", true);
	sample1(e, "event", "started", st->links.handshakes_started);
	sample1(e, "event", "completed", st->links.handshakes_completed);
	sample1(e, "event", "crossed", st->links.handshakes_crossed);
	end(e);
	begin(e, "dtt_link_sessions_total", "counter", "gossip link sessions that came up or went down", true);
	sample1(e, "event", "up", st->links.sessions_up);
	sample1(e, "event", "down", st->links.sessions_down);
	end(e);
	begin(e, "dtt_gossip_messages_total", "counter", "gossip messages over the links by direction", true);
	sample1(e, "direction", "in", st->gossip.messages_in);
	sample1(e, "direction", "out", st->gossip.messages_out);
	end(e);
	scalar(e, "dtt_gossip_broadcasts_total", "counter", "our own broadcasts", st->gossip.plumtree.broadcasts);
	scalar(e, "dtt_gossip_delivered_total", "counter", "messages handed to the application", st->gossip.plumtree.delivered);
	scalar(e, "dtt_gossip_duplicates_total", "counter", "payloads received again", st->gossip.plumtree.duplicates);
}

static void topics(struct emit *e, const struct dtt_stats *st)
{
	char hex[DTT_STATS_TOPICS_MAX][2 * DTT_TOPIC_ID_BYTES + 1];
	static const struct {
		const char *name, *type, *help;
	} m[] = {
	    {"dtt_topic_neighbors", "gauge", "neighbours (HyParView active view) per topic"},
	    {"dtt_topic_passive", "gauge", "known peers (HyParView passive view) per topic"},
	    {"dtt_topic_joined", "gauge", "1 when the topic has a neighbour"},
	    {"dtt_records_published_total", "counter", "records put on the DHT per topic"},
	    {"dtt_records_skipped_total", "counter", "publishes skipped: the slot already held enough publishers"},
	    {"dtt_records_publish_failed_total", "counter", "publishes that no DHT node stored"},
	    {"dtt_tracker_gets_total", "counter", "slot reads per topic"},
	    {"dtt_tracker_merges_total", "counter", "peers joined by the bubble and overlap merges"},
	};

	for (size_t i = 0; i < st->topics_count; i++)
		dtt_hex_encode(hex[i], st->topics[i].id, DTT_TOPIC_ID_BYTES);
	for (size_t k = 0; k < sizeof(m) / sizeof(m[0]); k++) {
		begin(e, m[k].name, m[k].type, m[k].help, true);
		for (size_t i = 0; i < st->topics_count; i++) {
			const struct dtt_stats_topic *t = &st->topics[i];
			const struct dtt_tracker_stats *ts = &t->tracker;

			switch (k) {
			case 0: sample1(e, "topic", hex[i], t->neighbors); break;
			case 1: sample1(e, "topic", hex[i], t->passive); break;
			case 2: sample1(e, "topic", hex[i], t->joined); break;
			default:
				if (!t->has_tracker)
					break;
				if (k == 3)
					sample1(e, "topic", hex[i], ts->published);
				else if (k == 4)
					sample1(e, "topic", hex[i], ts->skipped_cap);
				else if (k == 5)
					sample1(e, "topic", hex[i], ts->publish_failed);
				else if (k == 6)
					sample1(e, "topic", hex[i], ts->gets);
				else {
					sample2(e, "topic", hex[i], "kind", "bubble", ts->bubble_joins);
					sample2(e, "topic", hex[i], "kind", "overlap", ts->overlap_joins);
				}
				break;
			}
		}
		end(e);
	}
}

static void memos(struct emit *e, const struct dtt_stats *st)
{
	begin(e, "dtt_memo_lookups_total", "counter", "memo lookups by memo and result (hit rate = hit / (hit + miss))", true);
	if (st->record_memo) {
		sample2(e, "memo", "record", "result", "hit", st->record_memo_hits);
		sample2(e, "memo", "record", "result", "miss", st->record_memo_misses);
	}
	if (st->verify_memo) {
		sample2(e, "memo", "verify", "result", "hit", st->verify_memo_hits);
		sample2(e, "memo", "verify", "result", "miss",
			st->verify_memo_checks - st->verify_memo_hits);
	}
	end(e);
}

void dtt_metrics_write(FILE *f, const struct dtt_stats *st, enum dtt_metrics_format fmt)
{
	struct emit e = {.f = f, .fmt = fmt, .first_metric = true};

	traffic(&e, st);
	dht(&e, st);
	address(&e, st);
	links(&e, st);
	topics(&e, st);
	memos(&e, st);
}

/* --- HTTP: GET /metrics --- */

#ifdef DTT_HAVE_MICROHTTPD

#define HTTP_CONNECTIONS_MAX 16	 /* a scraper or two, and someone with curl */
#define HTTP_PER_IP_MAX 4
#define HTTP_TIMEOUT_S 10	 /* idle connections are closed */

struct dtt_metrics_server {
	struct MHD_Daemon *d;
	struct dtt_node *node;
};

bool dtt_metrics_http_available(void)
{
	return true;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, char *body, size_t len,
			     const char *type)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	enum MHD_Result ret;

	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct dtt_metrics_server *s = cls;
	struct dtt_stats *st;
	char *body = NULL;
	size_t len = 0;
	FILE *f;

	(void)version;
	(void)upload_data;
	(void)con_cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, strdup("GET /metrics\n"), 13,
			     "text/plain");
	if (*upload_data_size)
		return MHD_NO; /* a GET with a body: close */
	if (strcmp(url, "/metrics") != 0 && strcmp(url, "/") != 0)
		return reply(c, MHD_HTTP_NOT_FOUND, strdup("GET /metrics\n"), 13, "text/plain");
	st = malloc(sizeof(*st));
	f = st ? open_memstream(&body, &len) : NULL;
	if (!f) {
		free(st);
		return MHD_NO;
	}
	dtt_node_stats(s->node, st);
	dtt_metrics_write(f, st, DTT_METRICS_PROMETHEUS);
	free(st);
	if (fclose(f) != 0) {
		free(body);
		return MHD_NO;
	}
	return reply(c, MHD_HTTP_OK, body, len, "text/plain; version=0.0.4; charset=utf-8");
}

struct dtt_metrics_server *dtt_metrics_server_start(const struct dtt_addr *addr,
						    struct dtt_node *node)
{
	struct sockaddr_storage ss;
	struct dtt_metrics_server *s;
	char text[DTT_ADDR_STR_MAX];
	unsigned flags = MHD_USE_ERROR_LOG;

	memset(&ss, 0, sizeof(ss));
	if (addr->family == DTT_AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, addr->addr, 4);
		s4->sin_port = htons(addr->port);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, addr->addr, 16);
		s6->sin6_port = htons(addr->port);
		flags |= MHD_USE_IPv6;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->node = node;
	/* no MHD thread: the poll loop drives it (dtt_metrics_server_pollfds / _run) */
	s->d = MHD_start_daemon(flags, addr->port, NULL, NULL, on_request, s,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_CONNECTIONS_MAX,
				MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)HTTP_PER_IP_MAX,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_TIMEOUT_S,
				MHD_OPTION_END);
	if (!s->d) {
		fprintf(stderr, "dtt: --metrics: cannot listen on TCP %s\n", dtt_addr_str(addr, text));
		free(s);
		return NULL;
	}
	return s;
}

void dtt_metrics_server_stop(struct dtt_metrics_server *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->d);
	free(s);
}

size_t dtt_metrics_server_pollfds(struct dtt_metrics_server *s, struct pollfd *out, size_t max,
				  int *timeout_ms)
{
	fd_set rs, ws, es;
	MHD_socket top = 0;
	MHD_UNSIGNED_LONG_LONG to;
	size_t n = 0;

	FD_ZERO(&rs);
	FD_ZERO(&ws);
	FD_ZERO(&es);
	if (MHD_get_fdset2(s->d, &rs, &ws, &es, &top, FD_SETSIZE) != MHD_YES)
		return 0;
	for (int fd = 0; fd <= top && n < max; fd++) {
		short ev = (short)((FD_ISSET(fd, &rs) ? POLLIN : 0) | (FD_ISSET(fd, &ws) ? POLLOUT : 0));

		if (ev)
			out[n++] = (struct pollfd){.fd = fd, .events = ev};
	}
	if (MHD_get_timeout(s->d, &to) == MHD_YES && to < (MHD_UNSIGNED_LONG_LONG)*timeout_ms)
		*timeout_ms = (int)to;
	return n;
}

void dtt_metrics_server_run(struct dtt_metrics_server *s)
{
	MHD_run(s->d);
}

#else /* built without libmicrohttpd */

bool dtt_metrics_http_available(void)
{
	return false;
}

struct dtt_metrics_server *dtt_metrics_server_start(const struct dtt_addr *addr,
						    struct dtt_node *node)
{
	(void)addr;
	(void)node;
	fputs("dtt: --metrics: this dtt-node was built without libmicrohttpd "
	      "(install libmicrohttpd-dev, see scripts/setup.sh, and rebuild)\n", stderr);
	return NULL;
}

void dtt_metrics_server_stop(struct dtt_metrics_server *s)
{
	(void)s;
}

size_t dtt_metrics_server_pollfds(struct dtt_metrics_server *s, struct pollfd *out, size_t max,
				  int *timeout_ms)
{
	(void)s;
	(void)out;
	(void)max;
	(void)timeout_ms;
	return 0;
}

void dtt_metrics_server_run(struct dtt_metrics_server *s)
{
	(void)s;
}

#endif
