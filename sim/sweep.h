/* sweep.h - the research workflow of dtt-sim: `sweep` (every combination of grid values and
 * seeds as independent runs, through GNU parallel or a Slurm job array), `merge` (a sweep's
 * result files into one database) and the forked seeds of `check -j`. */
#ifndef DTT_SIM_SWEEP_H
#define DTT_SIM_SWEEP_H

#include <signal.h>
#include <stddef.h>

/* `dtt-sim sweep ...` and `dtt-sim merge ...`, argv[0] being the command name. Exit codes as
 * dtt-sim's: 0 ok, 1 a run (or a file) failed, 2 bad usage or input. */
int dtt_sweep_main(int argc, char **argv);
int dtt_merge_main(int argc, char **argv);

/* Runs task(0..n-1, ctx) in up to `jobs` forked children at once; each child's stdout is kept
 * apart and copied to ours in task order, as soon as every earlier task's is. A task's return
 * value (0..125) is its child's exit status; codes[i] receives it, or 128 + the signal that
 * killed the child, or -1 for a task never started (stop set, or fork failed). `stop` (may be
 * NULL) is polled: once set, no further task is started. Returns the number of tasks run. */
size_t dtt_fanout(size_t n, unsigned jobs, int (*task)(size_t i, void *ctx), void *ctx,
		  int *codes, volatile sig_atomic_t *stop);

#endif
