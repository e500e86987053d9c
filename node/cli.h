/* cli.h - shared helpers of the dtt-node subcommands. */
#ifndef DTT_NODE_CLI_H
#define DTT_NODE_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CLI_EXIT_OK 0
#define CLI_EXIT_FAIL 1  /* the operation ran and failed (a check, nothing found) */
#define CLI_EXIT_USAGE 2 /* bad arguments */

/* Parses exactly n bytes of hex; prints "dtt-node: OPT: ..." and returns false on error. */
bool cli_hex_exact(uint8_t *out, size_t n, const char *opt, const char *arg);
/* Parses a decimal u64; prints an error naming opt and returns false on error. */
bool cli_u64(uint64_t *out, const char *opt, const char *arg);
/* Reads all of stdin (at most max bytes) into a new buffer; NULL on error or overflow. */
char *cli_read_stdin(size_t max, size_t *len);
void cli_print_hex(FILE *f, const uint8_t *b, size_t n);
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int cli_record(int argc, char **argv);
int cli_dht(int argc, char **argv);
int cli_join(int argc, char **argv);

#endif
