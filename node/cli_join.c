/* cli_join.c - `dtt-node join`: a member of a gossip topic on a real UDP socket. With --secret
 * it discovers the other members through the DHT (the topic tracker); with --peer it joins the
 * named peers directly. stdin lines are broadcast; received messages go to stdout. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"
#include "dtt.h"
#include "hex.h"
#include "loop.h"

#define BOOTSTRAP_MAX 64
#define PEERS_MAX 32
#define LINE_MAX_BYTES 4096

static const char usage[] =
	"usage: dtt-node join --topic T [--secret S] [--peer ID@HOST:PORT]... [--port P]\n"
	"                     [--bind ADDR] [--announce HOST:PORT] [--bootstrap HOST:PORT,...]\n"
	"                     [--key FILE] [--json] [--metrics HOST:PORT]\n"
	"\n"
	"Joins the gossip topic T. Each line read from stdin is broadcast to the topic; each\n"
	"message received is printed on stdout, one per line (a JSON object with --json:\n"
	"{\"from\",\"round\",\"message\"}). Events (ready, joined, neighbour up/down with reason,\n"
	"publishes and merges) go to stderr as JSON lines. SIGINT/SIGTERM or the end of stdin\n"
	"leave the topic cleanly.\n"
	"\n"
	"--secret S    discover the other members through the mainline DHT: publish and read\n"
	"              records sealed with S (distributed-topic-tracker 0.3 records)\n"
	"--peer        join this peer directly (ID is its 32-byte key in hex); repeatable. With\n"
	"              --secret, once the DHT bootstrap is done and the topic exists. Without\n"
	"              --secret and --peer the node waits to be joined\n"
	"--key FILE    the node's ed25519 seed (hex); created (mode 0600) if missing, reused after.\n"
	"              Without it, a new identity each run\n"
	"--port        UDP port for the DHT and gossip (default 0: any free port)\n"
	"--bind        local address (default 0.0.0.0)\n"
	"--announce    the address others reach this node at, published in its records; defaults\n"
	"              to --bind:port when --bind is a specific address. Without either, the\n"
	"              node publishes the address that 3 DHT nodes agree they see it at (BEP 42\n"
	"              `ip` in their replies; event \"address\"), and warns if it has none\n"
	"--bootstrap   DHT nodes (default: the public routers " DTT_PUBLIC_BOOTSTRAP ")\n"
	"--metrics     serve the node's counters in the Prometheus text format on\n"
	"              http://HOST:PORT/metrics. SIGUSR1 prints them as one JSON line on stderr\n";

struct join_state {
	struct dtt_loop loop;
	struct dtt_record_publisher pub;
	int start_err; /* of dtt_subscribe_and_join, once the DHT is bootstrapped */
	struct dtt_topic *topic;
	struct dtt_topic_id topic_id;
	const struct dtt_peer *peers; /* --peer, joined once the topic exists */
	size_t peers_count;
	bool json, eof;
	char line[LINE_MAX_BYTES + 1];
	size_t line_len;
	bool line_overflow;
	uint64_t first_publish_ms; /* when the first record without an address went out, or 0 */
	bool warned_no_addr;
};

/* How long a member may publish records that carry no address before it says so. */
#define NO_ADDR_WARN_MS 5000

static volatile sig_atomic_t stop_flag;

static void event_line(const char *name, const uint8_t *peer, const char *extra)
{
	fprintf(stderr, "{\"event\":\"%s\"", name);
	if (peer) {
		fputs(",\"peer\":\"", stderr);
		cli_print_hex(stderr, peer, 32);
		fputc('"', stderr);
	}
	if (extra)
		fprintf(stderr, ",%s", extra);
	fputs("}\n", stderr);
	fflush(stderr);
}

static void print_json_string(const uint8_t *s, size_t len)
{
	putchar('"');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void on_joined(void *ctx)
{
	(void)ctx;
	event_line("joined", NULL, NULL);
}

static void on_up(void *ctx, const uint8_t *peer)
{
	(void)ctx;
	event_line("neighbor_up", peer, NULL);
}

static void on_down(void *ctx, const uint8_t *peer, int reason)
{
	char extra[64];

	(void)ctx;
	snprintf(extra, sizeof(extra), "\"reason\":\"%s\"", dtt_neighbor_down_name(reason));
	event_line("neighbor_down", peer, extra);
}

static void on_message(void *ctx, const uint8_t *content, size_t len, const uint8_t *from,
		       unsigned round)
{
	struct join_state *js = ctx;

	if (js->json) {
		printf("{\"from\":\"");
		cli_print_hex(stdout, from, 32);
		printf("\",\"round\":%u,\"message\":", round);
		print_json_string(content, len);
		puts("}");
	} else {
		fwrite(content, 1, len, stdout);
		putchar('\n');
	}
	fflush(stdout);
}

static void on_tracker(void *ctx, enum dtt_tracker_event ev, long arg)
{
	struct join_state *js = ctx;
	struct dtt_addr own;
	char extra[48];

	if (ev == DTT_TRACKER_EV_DHT_GET || ev == DTT_TRACKER_EV_DHT_PUT)
		return;
	if (ev == DTT_TRACKER_EV_PUBLISHED && !js->first_publish_ms &&
	    !dtt_node_own_addr(js->loop.node, &own))
		js->first_publish_ms = dtt_env_now_ms(&js->loop.pe.env);
	snprintf(extra, sizeof(extra), "\"arg\":%ld", arg);
	event_line(dtt_tracker_event_name(ev), NULL, extra);
}

static const struct dtt_topic_callbacks topic_cb = {
	.joined = on_joined,
	.neighbor_up = on_up,
	.neighbor_down = on_down,
	.message = on_message,
	.tracker = on_tracker,
};

/* The public address voted from the DHT's replies (BEP 42 `ip`). */
static void on_address(void *ctx, const struct dtt_addr *addr, bool published)
{
	char extra[DTT_ADDR_STR_MAX + 80], s[DTT_ADDR_STR_MAX];

	(void)ctx;
	snprintf(extra, sizeof(extra), "\"addr\":\"%s\",\"family\":\"%s\",\"published\":%s",
		 dtt_addr_str(addr, s), addr->family == DTT_AF_INET ? "ipv4" : "ipv6",
		 published ? "true" : "false");
	event_line("address", NULL, extra);
}

/* Records that carry no address let nobody join this member: say so, once. */
static void check_no_addr(struct join_state *js)
{
	struct dtt_addr own;

	if (js->warned_no_addr || !js->first_publish_ms ||
	    dtt_env_now_ms(&js->loop.pe.env) - js->first_publish_ms < NO_ADDR_WARN_MS)
		return;
	if (dtt_node_own_addr(js->loop.node, &own)) {
		js->first_publish_ms = 0;
		return;
	}
	js->warned_no_addr = true;
	event_line("warning", NULL,
		   "\"what\":\"no_address\",\"message\":\"publishing records without an address "
		   "for 5 s: the DHT replies have not agreed on this member's public address yet, "
		   "and other members cannot reach it; give --announce HOST:PORT\"");
}

/* The tracker starts once the DHT knows some nodes: its first read then reaches the slot
 * (a read on an empty routing table would find nothing and publish over the others). */
static void start_topic(struct join_state *js)
{
	js->start_err = dtt_subscribe_and_join(js->loop.node, &js->pub, &topic_cb, js, &js->topic);
	if (!js->start_err && js->peers_count)
		js->start_err = dtt_topic_join_peers(js->topic, js->peers, js->peers_count);
	if (js->start_err) {
		cli_error("join: %s", dtt_strerror(js->start_err));
		stop_flag = 1;
	}
}

static void on_bootstrapped(void *ctx, int status, size_t nodes)
{
	struct join_state *js = ctx;
	char extra[80];

	snprintf(extra, sizeof(extra), "\"status\":\"%s\",\"nodes\":%zu",
		 status ? dtt_strerror(status) : "ok", nodes);
	event_line("dht_bootstrapped", NULL, extra);
	start_topic(js);
}

static void broadcast_line(struct join_state *js)
{
	int err;

	if (js->line_len == 0)
		return;
	/* before the DHT bootstrap ends a tracker topic does not exist yet */
	err = js->topic ? dtt_topic_broadcast(js->topic, (const uint8_t *)js->line, js->line_len)
			: DTT_ERR_STATE;
	if (err)
		cli_error("join: broadcast: %s", dtt_strerror(err));
}

static void on_stdin(void *ctx)
{
	struct join_state *js = ctx;
	char buf[1024];
	ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

	if (n <= 0) {
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		js->eof = true;
		dtt_loop_watch_input(&js->loop, -1, NULL, NULL);
		return;
	}
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			if (js->line_overflow)
				cli_error("join: line longer than %d bytes not sent", LINE_MAX_BYTES);
			else
				broadcast_line(js);
			js->line_len = 0;
			js->line_overflow = false;
		} else if (js->line_len < LINE_MAX_BYTES) {
			js->line[js->line_len++] = buf[i];
		} else {
			js->line_overflow = true;
		}
	}
}

/* Reads the seed from path, or creates it (0600) with fresh randomness. */
static int load_key(const char *path, uint8_t seed[32])
{
	char text[130];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		n = read(fd, text, sizeof(text) - 1);
		close(fd);
		if (n < 0 || dtt_hex_decode(seed, 32, text, (size_t)n) != 32) {
			cli_error("--key: %s does not hold a 32-byte hex seed", path);
			return -1;
		}
		return 0;
	}
	if (errno != ENOENT) {
		cli_error("--key: cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	randombytes_buf(seed, 32);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		cli_error("--key: cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	dtt_hex_encode(text, seed, 32);
	text[64] = '\n';
	n = write(fd, text, 65);
	sodium_memzero(text, sizeof(text));
	if (close(fd) < 0 || n != 65) {
		cli_error("--key: cannot write %s", path);
		return -1;
	}
	return 0;
}

static bool parse_peer(struct dtt_peer *p, const char *arg)
{
	const char *at = strchr(arg, '@');
	char id[65];

	memset(p, 0, sizeof(*p));
	if (!at || at - arg != 64) {
		cli_error("--peer: expected ID@HOST:PORT with a 64-digit hex ID, got '%s'", arg);
		return false;
	}
	memcpy(id, arg, 64);
	id[64] = '\0';
	if (dtt_hex_decode(p->id, 32, id, 64) != 32 || dtt_posix_resolve(&p->addr, at + 1)) {
		cli_error("--peer: expected ID@HOST:PORT, got '%s'", arg);
		return false;
	}
	p->has_addr = true;
	return true;
}

int cli_join(int argc, char **argv)
{
	static const struct option opts[] = {
		{"topic", required_argument, NULL, 't'},     {"secret", required_argument, NULL, 's'},
		{"peer", required_argument, NULL, 'P'},      {"port", required_argument, NULL, 'p'},
		{"bind", required_argument, NULL, 'B'},      {"announce", required_argument, NULL, 'a'},
		{"bootstrap", required_argument, NULL, 'b'}, {"key", required_argument, NULL, 'k'},
		{"json", no_argument, NULL, 'j'},            {"help", no_argument, NULL, 'h'},
		{"metrics", required_argument, NULL, 'M'},   {NULL, 0, NULL, 0},
	};
	static struct join_state js;
	static struct dtt_peer peers[PEERS_MAX];
	const char *topic_name = NULL, *secret = NULL, *bind = "0.0.0.0", *announce = NULL;
	const char *bootstrap = DTT_PUBLIC_BOOTSTRAP, *key_path = NULL, *metrics = NULL;
	struct dtt_addr boot[BOOTSTRAP_MAX], bind_addr;
	struct dtt_node_config cfg;
	size_t peers_count = 0;
	uint64_t port = 0;
	char s[DTT_ADDR_STR_MAX + 64];
	int c, boot_n, rc = CLI_EXIT_OK, err;

	memset(&js, 0, sizeof(js));
	dtt_node_config_init(&cfg);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 't': topic_name = optarg; break;
		case 's': secret = optarg; break;
		case 'P':
			if (peers_count == PEERS_MAX) {
				cli_error("--peer: at most %d peers", PEERS_MAX);
				return CLI_EXIT_USAGE;
			}
			if (!parse_peer(&peers[peers_count++], optarg))
				return CLI_EXIT_USAGE;
			break;
		case 'p':
			if (!cli_u64(&port, "--port", optarg) || port > 65535) {
				cli_error("--port: expected 0..65535");
				return CLI_EXIT_USAGE;
			}
			break;
		case 'B': bind = optarg; break;
		case 'a': announce = optarg; break;
		case 'b': bootstrap = optarg; break;
		case 'k': key_path = optarg; break;
		case 'j': js.json = true; break;
		case 'M': metrics = optarg; break;
		case 'h': fputs(usage, stdout); return CLI_EXIT_OK;
		default:
			cli_error("join: unknown or incomplete option '%s'", argv[optind - 1]);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		cli_error("join: unexpected argument '%s'", argv[optind]);
		return CLI_EXIT_USAGE;
	}
	if (!topic_name) {
		cli_error("join: --topic is required");
		return CLI_EXIT_USAGE;
	}
	if (key_path) {
		if (load_key(key_path, cfg.identity_seed))
			return CLI_EXIT_FAIL;
		cfg.has_identity = true;
	}
	snprintf(s, sizeof(s), "%s:%llu", bind, (unsigned long long)port);
	if (dtt_addr_parse(&bind_addr, s)) {
		cli_error("--bind: expected a numeric IP address, got '%s'", bind);
		return CLI_EXIT_USAGE;
	}
	boot_n = secret ? dtt_loop_parse_nodes(bootstrap, boot, BOOTSTRAP_MAX) : 0;
	if (boot_n < 0)
		return CLI_EXIT_USAGE;
	if (announce) {
		if (dtt_posix_resolve(&cfg.announce, announce)) {
			cli_error("--announce: expected HOST:PORT, got '%s'", announce);
			return CLI_EXIT_USAGE;
		}
		cfg.has_announce = true;
	}
	cfg.dht.read_only = true; /* a member is a DHT client, as most reference nodes are */
	err = dtt_loop_init(&js.loop, &bind_addr, &cfg, NULL);
	sodium_memzero(cfg.identity_seed, sizeof(cfg.identity_seed));
	if (err)
		return CLI_EXIT_FAIL;
	if (!cfg.has_announce) {
		static const uint8_t any[16];
		struct dtt_addr a = js.loop.local;

		if (memcmp(a.addr, any, a.family == DTT_AF_INET ? 4 : 16) != 0)
			dtt_node_set_announce(js.loop.node, &a);
	}
	if (metrics && (err = dtt_loop_serve_metrics(&js.loop, metrics))) {
		dtt_loop_deinit(&js.loop);
		return err == DTT_ERR_INVALID ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
	}
	dtt_node_set_addr_observer(js.loop.node, on_address, &js);
	dtt_loop_catch_signals(&stop_flag);
	dtt_topic_id_from_name(&js.topic_id, topic_name);
	js.peers = peers;
	js.peers_count = peers_count;
	{
		char extra[160], id[65];

		dtt_hex_encode(id, dtt_node_id(js.loop.node), 32);
		snprintf(extra, sizeof(extra), "\"id\":\"%s\",\"addr\":\"%s\"", id,
			 dtt_addr_str(&js.loop.local, s));
		event_line("ready", NULL, extra);
	}
	if (secret) {
		js.pub.secret = (const uint8_t *)secret;
		js.pub.secret_len = strlen(secret);
		js.pub.topic = js.topic_id;
		err = boot_n > 0 ? dtt_dht_bootstrap(dtt_node_dht(js.loop.node), boot,
						     (size_t)boot_n, on_bootstrapped, &js)
				 : DTT_ERR_INVALID;
		if (err) {
			cli_error("join: DHT bootstrap: %s", dtt_strerror(err));
			start_topic(&js); /* it retries through its own polling */
			err = js.start_err;
		}
	} else {
		/* no discovery: a member that accepts joins and asks its --peer to admit it */
		err = dtt_subscribe(js.loop.node, &js.topic_id, &topic_cb, &js, &js.topic);
		if (!err && peers_count)
			err = dtt_topic_join_peers(js.topic, peers, peers_count);
	}
	if (err) {
		cli_error("join: %s", dtt_strerror(err));
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	dtt_loop_watch_input(&js.loop, STDIN_FILENO, on_stdin, &js);
	while (!stop_flag && !js.eof) {
		dtt_loop_run(&js.loop, &stop_flag, NULL, NULL,
			     dtt_env_now_ms(&js.loop.pe.env) + 1000);
		check_no_addr(&js);
	}
	if (js.eof && !stop_flag) {
		/* let the last broadcasts go out before leaving */
		dtt_loop_run(&js.loop, &stop_flag, NULL, NULL, dtt_env_now_ms(&js.loop.pe.env) + 500);
	}
	if (js.topic)
		dtt_topic_leave(js.topic);
	/* the goodbyes are datagrams: give them a moment on the wire */
	dtt_loop_run(&js.loop, NULL, NULL, NULL, dtt_env_now_ms(&js.loop.pe.env) + 200);
	event_line("left", NULL, NULL);
out:
	dtt_loop_deinit(&js.loop);
	return rc;
}
