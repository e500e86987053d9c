/* fanout.c - independent tasks in forked children, their output in task order (`check -j`).
 *
 * Each task's stdout goes to an anonymous temporary file; when a child ends and every task
 * before it has been copied out, its file is copied to our stdout and closed. At most
 * FANOUT_WINDOW finished-but-not-yet-printed tasks are kept (a slow early task holds later ones
 * back), which bounds the open files. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "alloc.h"
#include "sweep.h"

#define FANOUT_WINDOW 256 /* tasks started ahead of the first one not yet printed */

struct slot {
	pid_t pid; /* 0: not running */
	FILE *out; /* the task's captured stdout; NULL: none (not started or printed) */
	bool done;
};

static void copy_out(FILE *f)
{
	char buf[8192];
	size_t n;

	rewind(f);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, stdout);
	fflush(stdout);
}

static int start(size_t i, struct slot *s, int (*task)(size_t, void *), void *ctx)
{
	FILE *out = tmpfile();
	pid_t pid;

	if (!out)
		return -1;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		fclose(out);
		return -1;
	}
	if (pid == 0) {
		int rc;

		if (dup2(fileno(out), STDOUT_FILENO) < 0)
			_exit(125);
		rc = task(i, ctx);
		fflush(stdout);
		exit(rc < 0 || rc > 125 ? 125 : rc);
	}
	s->pid = pid;
	s->out = out;
	s->done = false;
	return 0;
}

size_t dtt_fanout(size_t n, unsigned jobs, int (*task)(size_t i, void *ctx), void *ctx,
		  int *codes, volatile sig_atomic_t *stop)
{
	struct slot *slots = dtt_alloc((n ? n : 1) * sizeof(*slots));
	size_t next = 0, printed = 0, started = 0;
	unsigned running = 0;

	for (size_t i = 0; i < n; i++)
		codes[i] = -1;
	if (!slots)
		return 0;
	if (!jobs)
		jobs = 1;
	while (printed < n) {
		int status;
		pid_t pid;

		while (next < n && running < jobs && next < printed + FANOUT_WINDOW &&
		       !(stop && *stop)) {
			if (start(next, &slots[next], task, ctx))
				break;
			running++;
			started++;
			next++;
		}
		/* Print every finished task at the head of the order. */
		while (printed < n && (slots[printed].done || printed >= next)) {
			if (printed >= next) {
				if (running)
					break;
				/* Not started (stop or fork failure) and nothing left to wait for:
				 * the rest stays unstarted. */
				printed = n;
				break;
			}
			copy_out(slots[printed].out);
			fclose(slots[printed].out);
			slots[printed].out = NULL;
			printed++;
		}
		if (!running)
			continue;
		pid = waitpid(-1, &status, 0);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (size_t i = printed; i < next; i++) {
			if (slots[i].pid != pid || slots[i].done)
				continue;
			slots[i].done = true;
			slots[i].pid = 0;
			codes[i] = WIFEXITED(status)	 ? WEXITSTATUS(status)
				   : WIFSIGNALED(status) ? 128 + WTERMSIG(status)
							 : 125;
			running--;
			break;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (slots[i].out)
			fclose(slots[i].out);
	dtt_free(slots);
	return started;
}
