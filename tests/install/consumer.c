/* consumer.c - a program built outside the dtt tree against an installed libdtt, with nothing
 * but `pkg-config --cflags --libs dtt` (tests/install/install.sh). It prints the topic id of
 * argv[1] in hex (the script checks it against sha512sum), then runs two nodes on 127.0.0.1 in
 * this one process: the second bootstraps its DHT from the first. Exit 0 once it holds the
 * first in its routing table, 1 if that does not happen within 10 s, 2 on bad arguments. */
#include <stdio.h>
#include <string.h>

#include <dtt/dtt.h> /* and err.h through it */
#include <dtt/loop.h>

struct boot {
	bool done;
	int status;
	size_t nodes;
};

static void on_bootstrap(void *ctx, int status, size_t nodes)
{
	struct boot *b = ctx;

	b->done = true;
	b->status = status;
	b->nodes = nodes;
}

int main(int argc, char **argv)
{
	static struct dtt_loop a, b;
	struct dtt_topic_id id;
	struct dtt_node_config cfg;
	struct dtt_addr local;
	struct boot boot = {0};
	char s[80];
	uint64_t end;

	if (argc != 2 || !strcmp(argv[1], "--help")) {
		fprintf(stderr, "usage: consumer TOPIC-NAME\n");
		return argc == 2 ? 0 : 2;
	}
	dtt_topic_id_from_name(&id, argv[1]);
	for (size_t i = 0; i < sizeof(id.bytes); i++)
		printf("%02x", id.bytes[i]);
	printf("\n");

	if (dtt_init())
		return 1;
	dtt_node_config_init(&cfg);
	if (dtt_addr_parse(&local, "127.0.0.1:0") || dtt_loop_init(&a, &local, &cfg, NULL) ||
	    dtt_loop_init(&b, &local, &cfg, NULL))
		return 1;
	if (dtt_dht_bootstrap(dtt_node_dht(b.node), &a.local, 1, on_bootstrap, &boot))
		return 1;
	end = dtt_env_now_ms(&a.pe.env) + 10000;
	while (!boot.done && dtt_env_now_ms(&a.pe.env) < end) {
		dtt_loop_run(&a, NULL, NULL, NULL, dtt_env_now_ms(&a.pe.env) + 5);
		dtt_loop_run(&b, NULL, NULL, NULL, dtt_env_now_ms(&b.pe.env) + 5);
	}
	printf("bootstrap from %s: %s, %zu nodes\n", dtt_addr_str(&a.local, s),
	       boot.done ? (boot.status ? dtt_strerror(boot.status) : "ok") : "no answer",
	       boot.nodes);
	dtt_loop_deinit(&b);
	dtt_loop_deinit(&a);
	return boot.done && boot.status == 0 && boot.nodes >= 1 ? 0 : 1;
}
