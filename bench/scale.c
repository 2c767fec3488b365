/*
 * scale.c - times what a large pool costs its master (bench/run --scale):
 * the machine's own fork+exit+wait, a reload until the old generation is
 * gone, a stop, and the latency of the status command meanwhile.
 * Processes are counted from the kernel's list of the master's children
 * (children.h); a stop waits on a pidfd of the master, then for each
 * child it had.  Prints one RESULT line per mode.
 *
 *   scale fork -n N [-l]        fork N children that _exit(0) at once,
 *                               then reap them all: µs per child; -l:
 *                               children that stay alive (pause()) until
 *                               all N are forked: µs per child until then
 *                               (what N processes alive at once cost the
 *                               machine's fork), then killed and reaped
 *   scale regen -P MASTER -n N [-T MS]
 *                               HUP; ms until N children that were not
 *                               there before are alive, and until none
 *                               of the old ones is left; the most
 *                               children seen alive at once meanwhile
 *   scale stop -P MASTER [-T MS]
 *                               TERM; ms until the master and all its
 *                               children are gone
 *   scale status -d MS [-i MS] [-f FILE] -- COMMAND ARGS...
 *                               run COMMAND (preforkd -s status) again and
 *                               again for MS ms (or until FILE exists),
 *                               one every -i ms at most: count, failures,
 *                               p50/p99/max ms of each
 *
 * Not part of `make check`: built by bench/Makefile.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include <sys/types.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAXKIDS		65536

#include "children.h"
#define MAXSAMPLES	100000

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int
cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void
usage(void)
{
	fprintf(stderr, "usage: scale fork -n N [-l]\n"
	    "       scale regen -P PID -n N [-T MS]\n"
	    "       scale stop -P PID [-T MS]\n"
	    "       scale status -d MS [-i MS] [-f FILE] -- CMD ARGS...\n");
	exit(64);
}

/* One run of argv with its output thrown away: its wait status. */
static int
run(char **argv)
{
	pid_t pid;
	int st, fd;

	if ((pid = fork()) == 0) {
		fd = open("/dev/null", O_RDWR);
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid == -1 || waitpid(pid, &st, 0) == -1)
		return -1;
	return st;
}

int
main(int argc, char **argv)
{
	static pid_t kids[MAXKIDS], old[MAXKIDS];
	struct pollfd pfd;
	static double lat[MAXSAMPLES];
	const char *mode, *flag = NULL;
	double t0, t, t_new = -1, t_gone = -1, dur = 0, every = 0, t_forked;
	pid_t pid = 0, c;
	int ch, i, n, nold, nnew, left, want = 0, tmo = 60000, fails = 0;
	int live = 0, peak = 0;

	if (argc < 2)
		usage();
	mode = argv[1];
	optind = 2;
	while ((ch = getopt(argc, argv, "d:f:i:ln:P:T:")) != -1) {
		switch (ch) {
		case 'd': dur = atof(optarg); break;
		case 'f': flag = optarg; break;
		case 'i': every = atof(optarg); break;
		case 'l': live = 1; break;
		case 'n': want = atoi(optarg); break;
		case 'P': pid = (pid_t)atoi(optarg); break;
		case 'T': tmo = atoi(optarg); break;
		default: usage();
		}
	}

	if (strcmp(mode, "fork") == 0) {
		if (want <= 0)
			usage();
		if (want > MAXKIDS)
			usage();
		t0 = now_ms();
		for (i = 0; i < want; i++) {
			if ((c = fork()) == 0) {
				if (live)
					pause();
				_exit(0);
			}
			if (c == -1) {
				perror("scale: fork");
				break;
			}
			kids[i] = c;
		}
		n = i;
		t_forked = now_ms() - t0;
		for (i = 0; live && i < n; i++)
			kill(kids[i], SIGKILL);
		while (wait(NULL) > 0)
			;
		t = now_ms() - t0;
		if (live)
			printf("RESULT forklive n=%d forked_ms=%.1f "
			    "us_per_child=%.1f\n", n, t_forked,
			    n > 0 ? t_forked * 1000 / n : -1);
		else
			printf("RESULT fork n=%d total_ms=%.1f "
			    "us_per_child=%.1f\n", n, t, n > 0 ? t * 1000 / n :
			    -1);
		return n < want;
	}
	if (strcmp(mode, "regen") == 0) {
		if (pid <= 0 || want <= 0)
			usage();
		nold = children(pid, old, MAXKIDS);
		qsort(old, (size_t)nold, sizeof(pid_t), cmp_pid);
		t0 = now_ms();
		kill(pid, SIGHUP);
		while ((t = now_ms()) - t0 < tmo) {
			n = children(pid, kids, MAXKIDS);
			if (n > peak)
				peak = n;
			for (i = nnew = left = 0; i < n; i++) {
				if (bsearch(&kids[i], old, (size_t)nold,
				    sizeof(pid_t), cmp_pid) != NULL)
					left++;
				else
					nnew++;
			}
			if (t_new < 0 && nnew >= want)
				t_new = now_ms() - t0;
			if (t_gone < 0 && left == 0 && nnew > 0)
				t_gone = now_ms() - t0;
			if (t_new >= 0 && t_gone >= 0)
				break;
			/* A look costs more with more children: 10% at most. */
			poll(NULL, 0, pause_ms(now_ms() - t, 5));
		}
		printf("RESULT regen old=%d new_all_ms=%.1f old_gone_ms=%.1f "
		    "done_ms=%.1f peak=%d\n", nold, t_new, t_gone, t_new < 0 ||
		    t_gone < 0 ? -1 : (t_new > t_gone ? t_new : t_gone), peak);
		return t_new < 0 || t_gone < 0;
	}
	if (strcmp(mode, "stop") == 0) {
		if (pid <= 0)
			usage();
		/* Once the master is gone its list is too: note them now. */
		nold = children(pid, old, MAXKIDS);
		pfd.fd = (int)syscall(SYS_pidfd_open, pid, 0);
		pfd.events = POLLIN;
		t0 = now_ms();
		kill(pid, SIGTERM);
		/* The master first (its pidfd wakes us when it exits)... */
		while ((t = now_ms()) - t0 < tmo && (pfd.fd >= 0 ?
		    poll(&pfd, 1, 100) == 0 || pfd.revents == 0 :
		    kill(pid, 0) == 0))
			if (pfd.fd < 0)
				poll(NULL, 0, 2);
		/* ... then each child it had, reaped by whoever inherits it. */
		for (i = 0; i < nold && (t = now_ms()) - t0 < tmo;)
			if (kill(old[i], 0) == -1 && errno == ESRCH)
				i++;
			else
				poll(NULL, 0, 1);
		t = now_ms() - t0;
		printf("RESULT stop ms=%.1f\n", t < tmo ? t : -1);
		return t >= tmo;
	}
	if (strcmp(mode, "status") == 0) {
		if (optind >= argc || dur <= 0)
			usage();
		signal(SIGCHLD, SIG_DFL);
		t0 = now_ms();
		for (n = 0; n < MAXSAMPLES && now_ms() - t0 < dur &&
		    (flag == NULL || access(flag, F_OK) == -1); n++) {
			t = now_ms();
			i = run(argv + optind);
			lat[n] = now_ms() - t;
			if (i == -1 || !WIFEXITED(i) || WEXITSTATUS(i) != 0)
				fails++;
			if (every > lat[n])
				poll(NULL, 0, (int)(every - lat[n]));
		}
		qsort(lat, (size_t)n, sizeof(double), cmp_double);
		printf("RESULT status samples=%d failed=%d p50_ms=%.1f "
		    "p99_ms=%.1f max_ms=%.1f\n", n, fails,
		    n ? lat[n / 2] : -1, n ? lat[n - 1 - n / 100] : -1,
		    n ? lat[n - 1] : -1);
		return 0;
	}
	usage();
	return 64;
}
