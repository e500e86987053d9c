/* main.c - dtt-node: the deployment binary (records, DHT, topics) on the POSIX env. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dtt.h"
#include "hex.h"

static const char usage[] =
	"usage: dtt-node COMMAND [ARGS]\n"
	"\n"
	"Decentralized topic discovery over the mainline BitTorrent DHT.\n"
	"\n"
	"commands:\n"
	"  record seal|open|slot   seal, open and inspect DTT 0.3.x topic records\n"
	"  dht serve|get|put       run a mainline DHT node; get and put BEP 44 mutable items\n"
	"  join                    join a gossip topic: discover members, broadcast stdin\n"
	"  help                    this text\n"
	"  version                 print the version\n"
	"\n"
	"Run 'dtt-node COMMAND --help' for the options of a command.\n"
	"Environment: DTT_LOG=error|warn|info|debug|trace sets the log level (stderr).\n";

void cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("dtt-node: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

bool cli_hex_exact(uint8_t *out, size_t n, const char *opt, const char *arg)
{
	long got = dtt_hex_decode(out, n, arg, strlen(arg));

	if (got != (long)n) {
		cli_error("%s: expected %zu bytes of hex (%zu digits), got '%s'", opt, n, 2 * n,
			  arg);
		return false;
	}
	return true;
}

bool cli_u64(uint64_t *out, const char *opt, const char *arg)
{
	char *end;
	unsigned long long v;

	if (arg[0] < '0' || arg[0] > '9') {
		cli_error("%s: expected a non-negative integer, got '%s'", opt, arg);
		return false;
	}
	errno = 0;
	v = strtoull(arg, &end, 10);
	if (*end != '\0' || errno) {
		cli_error("%s: expected a non-negative integer, got '%s'", opt, arg);
		return false;
	}
	*out = v;
	return true;
}

char *cli_read_stdin(size_t max, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1);

	if (!buf)
		return NULL;
	for (;;) {
		size_t got;

		if (n == cap) {
			char *nb;

			if (cap >= max) {
				free(buf);
				return NULL;
			}
			cap *= 2;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				free(buf);
				return NULL;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n, stdin);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(stdin) || n > max) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

void cli_print_hex(FILE *f, const uint8_t *b, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		fputc(digits[b[i] >> 4], f);
		fputc(digits[b[i] & 15], f);
	}
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage, stderr);
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage, stdout);
		return CLI_EXIT_OK;
	}
	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
		printf("dtt-node %s\n", DTT_VERSION);
		return CLI_EXIT_OK;
	}
	if (dtt_init()) {
		cli_error("crypto initialisation failed");
		return CLI_EXIT_FAIL;
	}
	if (!strcmp(argv[1], "record"))
		return cli_record(argc - 1, argv + 1);
	if (!strcmp(argv[1], "dht"))
		return cli_dht(argc - 1, argv + 1);
	if (!strcmp(argv[1], "join"))
		return cli_join(argc - 1, argv + 1);
	cli_error("unknown command '%s' (try 'dtt-node --help')", argv[1]);
	return CLI_EXIT_USAGE;
}
