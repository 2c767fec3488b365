/*
 * scale.c - times what a large pool costs its master (bench/run --scale):
 * the machine's own fork+exit+wait, a reload until the old generation is
 * gone, a stop, and the latency of the status command meanwhile.
 * Processes are counted from the kernel's list of the master's children
 * (children.h); a reload's old ones and a stop's are followed by pidfd
 * (their pids may come back).  Prints one RESULT line per mode.
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
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAXKIDS		65536

#include "children.h"
#define MAXSAMPLES	100000

/*
 * watch_exits - an epoll descriptor that reports each of the n processes
 * in pids as it exits (its index in data.u32), through a pidfd of each,
 * kept in fds; -1 (said) when that cannot be set up.  One that exited
 * already is reported too, or, when it is reaped already (listed, then
 * gone before its pidfd was opened), counted in *gone (fds[i] = -1).
 */
static int
watch_exits(const pid_t *pids, int n, int *fds, int *gone)
{
	struct epoll_event ev;
	struct rlimit rl;
	int ep, i;

	/* A descriptor each: as many as the hard limit allows. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		perror("scale: epoll_create1");
		return -1;
	}
	*gone = 0;
	for (i = 0; i < n; i++) {
		fds[i] = (int)syscall(SYS_pidfd_open, pids[i], 0);
		if (fds[i] == -1 && errno == ESRCH) {
			(*gone)++;
			continue;
		}
		if (fds[i] == -1) {
			fprintf(stderr, "scale: pidfd_open %d (%d of %d): %s\n",
			    (int)pids[i], i + 1, n, strerror(errno));
			return -1;
		}
		ev.events = EPOLLIN;
		ev.data.u32 = (uint32_t)i;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev) == -1) {
			perror("scale: epoll_ctl");
			return -1;
		}
	}
	return ep;
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
	static int pidfds[MAXKIDS];
	struct epoll_event evs[256];
	static double lat[MAXSAMPLES];
	const char *mode, *flag = NULL;
	double t0, t, t_new = -1, t_gone = -1, dur = 0, every = 0, t_forked;
	pid_t pid = 0, c;
	int ch, i, n, nold, nnew, left, want = 0, tmo = 60000, fails = 0;
	int live = 0, peak = 0, ep, k, gone, looked;
	struct watch w;

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
		/*
		 * The old workers by pidfd, not by pid: once thousands are
		 * gone, new workers may be given their pids again (pid_max).
		 */
		w.ppid = pid;
		w.base = tasks_total();
		w.n = nold = children(pid, old, MAXKIDS);
		w.next_ms = 0;
		if ((ep = watch_exits(old, nold, pidfds, &gone)) == -1)
			return 1;
		t0 = now_ms();
		kill(pid, SIGHUP);
		while ((t = now_ms()) - t0 < tmo) {
			/* Each exit reported once: its pidfd closed. */
			while ((k = epoll_wait(ep, evs, 256, 0)) > 0)
				for (i = 0; i < k; i++, gone++)
					close(pidfds[evs[i].data.u32]);
			/* A dead old one not reaped yet counts as new: briefly. */
			left = nold - gone;
			t = now_ms();
			n = watch_count(&w, t_new < 0 ? want + left -
			    WATCH_SLACK(want) : INT_MAX, kids, MAXKIDS, t,
			    &looked);
			if (n > peak)
				peak = n;
			nnew = n > left ? n - left : 0;
			/* When the count, confirmed, was first seen (t). */
			if (t_new < 0 && nnew >= want && looked)
				t_new = t - t0;
			if (t_gone < 0 && left == 0 && nnew > 0)
				t_gone = now_ms() - t0;
			if (t_new >= 0 && t_gone >= 0)
				break;
			poll(NULL, 0, 1);
		}
		printf("RESULT regen old=%d new_all_ms=%.1f old_gone_ms=%.1f "
		    "done_ms=%.1f peak=%d\n", nold, t_new, t_gone, t_new < 0 ||
		    t_gone < 0 ? -1 : (t_new > t_gone ? t_new : t_gone), peak);
		return t_new < 0 || t_gone < 0;
	}
	if (strcmp(mode, "stop") == 0) {
		if (pid <= 0)
			usage();
		/* The master and its children, by pidfd: noted now, since
		 * once the master is gone its list of them is too. */
		nold = children(pid, old, MAXKIDS - 1);
		old[nold++] = pid;
		if ((ep = watch_exits(old, nold, pidfds, &gone)) == -1)
			return 1;
		t0 = now_ms();
		kill(pid, SIGTERM);
		/* Each exit reported once: its pidfd closed (out of ep). */
		for (; gone < nold && (t = now_ms()) - t0 < tmo;)
			for (k = epoll_wait(ep, evs, 256, 100); k > 0; k--, gone++)
				close(pidfds[evs[k - 1].data.u32]);
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
