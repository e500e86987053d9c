/* cli.h - argument parsing shared by dtt-sim's commands (main.c, sweep.c). */
#ifndef DTT_SIM_CLI_H
#define DTT_SIM_CLI_H

#include <stdbool.h>
#include <stdint.h>

#define DTT_SIM_EXIT_USAGE 2

/* The same command line builds dtt-sim (the built-in backend) and dtt-sim-ns3 (sim/ns3/). */
#ifndef DTT_SIM_PROG
#define DTT_SIM_PROG "dtt-sim"
#endif

/* Prints DTT_SIM_PROG ": " + fmt (with arg) + the usage text on stderr; returns
 * DTT_SIM_EXIT_USAGE. */
int dtt_sim_usage_error(const char *usage, const char *fmt, const char *arg);
/* A decimal unsigned 64-bit number, digits only. */
bool dtt_sim_parse_u64(const char *s, uint64_t *out);
/* "N" or "A..B" with A <= B. */
bool dtt_sim_parse_seeds(const char *s, uint64_t *lo, uint64_t *hi);

#endif
