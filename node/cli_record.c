/* cli_record.c - `dtt-node record seal|open|slot`: DTT 0.3.x records from the command line. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli.h"
#include "err.h"
#include "hex.h"
#include "posix_env.h"
#include "record.h"

static const char usage[] =
	"usage: dtt-node record seal --topic NAME --secret S [--minute M] --key HEX32\n"
	"                            [--peer HEX32]... [--hash HEX32]... [--seed HEX32]\n"
	"       dtt-node record open --topic NAME --secret S [--minute M]   < hex\n"
	"       dtt-node record slot --topic NAME [--minute M]\n"
	"\n"
	"seal  prints the EncryptedRecord (the BEP 44 value) of a gossip record as one line of hex.\n"
	"      --key is the node's ed25519 seed; --peer (up to 5) are active peers and --hash (up\n"
	"      to 5) recent message hashes, 32 bytes each. --seed makes every random byte of the\n"
	"      call (one-time key, HPKE ephemeral keys) deterministic; without it, real randomness.\n"
	"open  reads an EncryptedRecord as hex from stdin (whitespace ignored), decrypts and\n"
	"      verifies it, and prints the record as JSON. Exit status 1 and one line on stderr\n"
	"      naming the failed check if it does not open.\n"
	"slot  prints the BEP 44 slot of the topic and minute: public key, salt and target.\n"
	"\n"
	"--minute is a unix minute (unix seconds / 60); it defaults to the current one.\n";

struct record_args {
	const char *topic, *secret;
	bool has_minute, has_key, has_seed;
	uint64_t minute;
	uint8_t key[32], seed[32];
	size_t peers_count, hashes_count;
	struct dtt_gossip_content content;
};

static int parse(int argc, char **argv, struct record_args *a)
{
	static const struct option opts[] = {
		{"topic", required_argument, NULL, 't'}, {"secret", required_argument, NULL, 's'},
		{"minute", required_argument, NULL, 'm'}, {"key", required_argument, NULL, 'k'},
		{"peer", required_argument, NULL, 'p'},   {"hash", required_argument, NULL, 'H'},
		{"seed", required_argument, NULL, 'S'},   {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	memset(a, 0, sizeof(*a));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 't': a->topic = optarg; break;
		case 's': a->secret = optarg; break;
		case 'm':
			if (!cli_u64(&a->minute, "--minute", optarg))
				return CLI_EXIT_USAGE;
			a->has_minute = true;
			break;
		case 'k':
			if (!cli_hex_exact(a->key, 32, "--key", optarg))
				return CLI_EXIT_USAGE;
			a->has_key = true;
			break;
		case 'S':
			if (!cli_hex_exact(a->seed, 32, "--seed", optarg))
				return CLI_EXIT_USAGE;
			a->has_seed = true;
			break;
		case 'p':
			if (a->peers_count == DTT_RECORD_PEERS_MAX) {
				cli_error("--peer: at most %d peers fit in a record", DTT_RECORD_PEERS_MAX);
				return CLI_EXIT_USAGE;
			}
			if (!cli_hex_exact(a->content.peers[a->peers_count++], 32, "--peer", optarg))
				return CLI_EXIT_USAGE;
			break;
		case 'H':
			if (a->hashes_count == DTT_RECORD_HASHES_MAX) {
				cli_error("--hash: at most %d hashes fit in a record",
					  DTT_RECORD_HASHES_MAX);
				return CLI_EXIT_USAGE;
			}
			if (!cli_hex_exact(a->content.hashes[a->hashes_count++], 32, "--hash", optarg))
				return CLI_EXIT_USAGE;
			break;
		case 'h': fputs(usage, stdout); return -1;
		default:
			cli_error("record: unknown or incomplete option '%s'", argv[optind - 1]);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		cli_error("record: unexpected argument '%s'", argv[optind]);
		return CLI_EXIT_USAGE;
	}
	if (!a->topic) {
		cli_error("record: --topic is required");
		return CLI_EXIT_USAGE;
	}
	return 0;
}

static void print_hex_field(const char *name, const uint8_t *b, size_t n, bool comma)
{
	printf("\"%s\":\"", name);
	cli_print_hex(stdout, b, n);
	printf("\"%s", comma ? "," : "");
}

static void print_hex_list(const char *name, const uint8_t (*items)[32], size_t n)
{
	bool first = true;

	printf("\"%s\":[", name);
	for (size_t i = 0; i < n; i++) {
		if (dtt_is_zero32(items[i]))
			continue;
		printf("%s\"", first ? "" : ",");
		cli_print_hex(stdout, items[i], 32);
		putchar('"');
		first = false;
	}
	printf("],");
}

static int cmd_seal(struct record_args *a, struct dtt_posix_env *pe, const uint8_t topic[32])
{
	uint8_t secret_hash[32], enc_seed[32], pk[32], sk[64];
	uint8_t content[DTT_GOSSIP_CONTENT_BYTES], out[DTT_ENCRYPTED_RECORD_MAX];
	struct dtt_record rec;
	int n;

	if (!a->secret || !a->has_key) {
		cli_error("record seal: --secret and --key are required");
		return CLI_EXIT_USAGE;
	}
	dtt_secret_hash(secret_hash, a->secret, strlen(a->secret));
	dtt_rotation_seed(NULL, enc_seed, topic, a->minute, secret_hash);
	dtt_ed25519_seed_keypair(pk, sk, a->key);
	dtt_gossip_content_encode(&a->content, content);
	n = dtt_record_make(NULL, &rec, topic, a->minute, content, sizeof(content), sk);
	if (!n)
		n = dtt_record_seal(&pe->env, &rec, enc_seed, out, sizeof(out));
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(enc_seed, sizeof(enc_seed));
	if (n < 0) {
		cli_error("record seal: %s", dtt_strerror(n));
		return CLI_EXIT_FAIL;
	}
	cli_print_hex(stdout, out, (size_t)n);
	putchar('\n');
	return CLI_EXIT_OK;
}

static int cmd_open(struct record_args *a, const uint8_t topic[32])
{
	uint8_t secret_hash[32], enc_seed[32], value[DTT_ENCRYPTED_RECORD_MAX];
	struct dtt_gossip_content gc;
	enum dtt_record_check check;
	struct dtt_record rec;
	size_t text_len;
	char *text;
	long n;
	int err;

	if (!a->secret) {
		cli_error("record open: --secret is required");
		return CLI_EXIT_USAGE;
	}
	text = cli_read_stdin(1 << 20, &text_len);
	if (!text) {
		cli_error("record open: cannot read stdin (or more than 1 MiB)");
		return CLI_EXIT_FAIL;
	}
	n = dtt_hex_decode(value, sizeof(value), text, text_len);
	free(text);
	if (n == DTT_ERR_TOOBIG) {
		cli_error("record open: input longer than an EncryptedRecord (%d bytes)",
			  DTT_ENCRYPTED_RECORD_MAX);
		return CLI_EXIT_FAIL;
	}
	if (n < 0) {
		cli_error("record open: input is not hex");
		return CLI_EXIT_FAIL;
	}
	dtt_secret_hash(secret_hash, a->secret, strlen(a->secret));
	dtt_rotation_seed(NULL, enc_seed, topic, a->minute, secret_hash);
	err = dtt_record_open(NULL, &rec, value, (size_t)n, enc_seed, topic, a->minute, &check);
	sodium_memzero(enc_seed, sizeof(enc_seed));
	if (err) {
		cli_error("record open: %s", dtt_record_check_name(check));
		return CLI_EXIT_FAIL;
	}
	putchar('{');
	print_hex_field("topic", rec.topic, 32, true);
	printf("\"unix_minute\":%llu,", (unsigned long long)rec.unix_minute);
	print_hex_field("pub_key", rec.pub_key, 32, true);
	if (dtt_gossip_content_decode(&gc, rec.content, rec.content_len) == 0) {
		print_hex_list("active_peers", (const uint8_t(*)[32])gc.peers, DTT_RECORD_PEERS_MAX);
		print_hex_list("last_message_hashes", (const uint8_t(*)[32])gc.hashes,
			       DTT_RECORD_HASHES_MAX);
	} else {
		printf("\"active_peers\":[],\"last_message_hashes\":[],");
	}
	print_hex_field("signature", rec.signature, 64, false);
	puts("}");
	return CLI_EXIT_OK;
}

static int cmd_slot(struct record_args *a, const uint8_t topic[32])
{
	struct dtt_slot s;

	dtt_slot_derive(NULL, &s, topic, a->minute);
	putchar('{');
	print_hex_field("topic", topic, 32, true);
	printf("\"unix_minute\":%llu,", (unsigned long long)a->minute);
	print_hex_field("pubkey", s.pk, 32, true);
	print_hex_field("salt", s.salt, 32, true);
	print_hex_field("target", s.target, 20, false);
	puts("}");
	return CLI_EXIT_OK;
}

int cli_record(int argc, char **argv)
{
	struct dtt_posix_env pe;
	struct record_args a;
	uint8_t topic[32];
	const char *sub;
	int rc;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	sub = argv[1];
	if (strcmp(sub, "seal") && strcmp(sub, "open") && strcmp(sub, "slot")) {
		cli_error("record: unknown subcommand '%s' (seal, open or slot)", sub);
		return CLI_EXIT_USAGE;
	}
	rc = parse(argc - 1, argv + 1, &a);
	if (rc)
		return rc < 0 ? CLI_EXIT_OK : rc;
	if (dtt_posix_env_init(&pe, a.has_seed ? a.seed : NULL)) {
		cli_error("cannot initialise libsodium");
		return CLI_EXIT_FAIL;
	}
	if (!a.has_minute)
		a.minute = dtt_env_unix_minute(&pe.env);
	dtt_topic_hash(topic, a.topic, strlen(a.topic));
	if (!strcmp(sub, "seal"))
		rc = cmd_seal(&a, &pe, topic);
	else if (!strcmp(sub, "open"))
		rc = cmd_open(&a, topic);
	else
		rc = cmd_slot(&a, topic);
	dtt_posix_env_deinit(&pe);
	sodium_memzero(&a, sizeof(a));
	return rc;
}
