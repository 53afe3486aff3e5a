/*
 * bench/sandbox - what entering the parser's sandbox (keys/sandbox) adds
 * to one parsing child: N forks of a child that exits at once, then N of
 * a child that first enters SANDBOX_PARSER (no_new_privs, not dumpable,
 * Landlock, the seccomp filter compiled beforehand by sandbox_prepare).
 * Prints microseconds per child, fork and wait included.  Build and run
 * (bench/README.md):
 *   make && cc -O2 -I. -o build/bench_sandbox bench/sandbox.c \
 *       build/libfsrelay.a $(pkg-config --libs libseccomp libsodium)
 *   unshare -n sh -c 'ip link set lo up && build/bench_sandbox 2000'
 */
#include "keys/sandbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1000, mode, i;

	if (n < 1)
		n = 1000;
	sandbox_prepare();
	for (mode = 0; mode < 2; mode++) {
		double t0 = now();

		for (i = 0; i < n; i++) {
			pid_t p = fork();
			int st;

			if (p < 0)
				return 1;
			if (p == 0) {
				char e[200];

				if (mode == 1 && sandbox_enter(SANDBOX_PARSER, e, sizeof(e)) < 0)
					_exit(1);
				_exit(0);
			}
			if (waitpid(p, &st, 0) != p || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
				fprintf(stderr, "bench/sandbox : fils en échec\n");
				return 1;
			}
		}
		printf("%s : %.1f µs par fils (%d fils)\n", mode ? "bac à sable" : "sans",
		    (now() - t0) / n * 1e6, n);
	}
	printf("Landlock : ABI %d\n", sandbox_landlock_abi());
	return 0;
}
