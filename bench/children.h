/*
 * children.h - the children of a process, for bench/supervise.c and
 * bench/scale.c.  Read from the kernel's own list, /proc/PID/task/PID/
 * children (the children of PID's main thread, which is all of a
 * single-threaded master's): one file, whatever runs on the machine.
 * Not by opening /proc/N/stat of every process: with thousands of
 * workers that walk, repeated every millisecond while a pool starts or
 * reloads, took about a core of a 2-core machine from the server being
 * timed, and made its start and reload look two to four times slower.
 * A zombie stays listed until its parent reaps it (a preforking master
 * reaps at once).
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef BENCH_CHILDREN_H
#define BENCH_CHILDREN_H

#include <sys/types.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The monotonic clock, in ms. */
static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* The children of ppid: their count (at most max), pids in kids; -1 if
 * the list cannot be read (no such process, or no CONFIG_PROC_CHILDREN). */
static int
children(pid_t ppid, pid_t *kids, int max)
{
	static char buf[1 << 20];	/* 65536 pids of 7 digits and a space */
	char path[64];
	size_t len = 0;
	ssize_t r;
	long v = -1;
	int fd, n = 0;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)ppid,
	    (int)ppid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	while (len < sizeof(buf) &&
	    ((r = read(fd, buf + len, sizeof(buf) - len)) > 0 ||
	    (r == -1 && errno == EINTR)))
		if (r > 0)
			len += (size_t)r;
	close(fd);
	for (size_t i = 0; i < len; i++) {
		if (buf[i] >= '0' && buf[i] <= '9') {
			v = (v < 0 ? 0 : v * 10) + (buf[i] - '0');
			continue;
		}
		if (v > 0 && n < max)
			kids[n++] = (pid_t)v;
		v = -1;
	}
	if (v > 0 && n < max)
		kids[n++] = (pid_t)v;
	return n;
}

/*
 * The number of tasks on the machine (/proc/loadavg's total): one read
 * of one counter, however many workers there are, where a look at a
 * list of thousands of children takes 10 to 30 ms while they start or
 * exit (and, with the pause that keeps such looks to a tenth of a CPU,
 * would blur a start or a reload by up to ten times that).  The loops
 * that wait for a count watch this instead, and confirm with one look
 * at the children when it says the count is reached: other tasks come
 * and go too.  -1 if it cannot be read.
 */
static long
tasks_total(void)
{
	char buf[128], *slash;
	ssize_t r;
	int fd;

	if ((fd = open("/proc/loadavg", O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return -1;
	buf[r] = '\0';
	if ((slash = strchr(buf, '/')) == NULL)
		return -1;
	return strtol(slash + 1, NULL, 10);
}

/*
 * How far below a count of want the task count may be when want is there:
 * other tasks come and go (kernel threads started under the load and
 * ended after it, by the dozen), and the estimate only ever rises.
 */
#define WATCH_SLACK(want)	((want) / 16 + 16)

/* A count of a process's children, kept by the machine's task count. */
struct watch {
	pid_t		 ppid;
	long		 base;		/* tasks_total() when ppid had */
	int		 n;		/*   n children (by the first look) */
	double		 next_ms;	/* no paced look before (now_ms()) */
};

/*
 * watch_count - ppid's children now (w->ppid), for a loop that asks
 * every millisecond or so: the count at the start plus the tasks that
 * came since, and a look at the list only when that says near or more
 * (*looked: 1; again after three times as long as the last took, a
 * quarter of a CPU, until the count is there), or now and then anyway
 * (twenty times as long: a twentieth of a CPU), in case other tasks went
 * meanwhile.  A look made while thousands of children come and go can
 * miss some (the kernel's walk of the list starts again when the child
 * it had reached is gone), so a look only ever raises the estimate.  A
 * caller acts on a count that a look gave.  -1 if the list cannot be
 * read.
 */
static int
watch_count(struct watch *w, int near, pid_t *kids, int max, double now,
    int *looked)
{
	long t = tasks_total();
	int est = t < 0 || w->base < 0 ? -1 : w->n + (int)(t - w->base);
	int n;

	*looked = 0;
	if (est != -1 && est < near && now < w->next_ms)
		return est;
	n = children(w->ppid, kids, max);
	if (est == -1 || n > est) {
		w->base = t;
		w->n = n;
	}
	w->next_ms = now_ms() + (est >= near ? 3 : 19) * (now_ms() - now);
	*looked = 1;
	return n;
}

#endif
