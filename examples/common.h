/* common.h - what the examples share: parse "--bootstrap HOST:PORT,... --bind ADDR --port P",
 * run a node on a real UDP socket, join the topic with automatic discovery, broadcast stdin
 * lines and print what arrives, until SIGINT/SIGTERM or the end of stdin. */
#ifndef DTT_EXAMPLES_COMMON_H
#define DTT_EXAMPLES_COMMON_H

#include "dtt.h"

/* Runs the example with the given record publisher (topic, secret, rotation, config).
 * Returns the process exit status. */
int example_run(const char *name, int argc, char **argv, struct dtt_record_publisher *pub);

#endif
