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
#include <unistd.h>

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

/* The pause after a look that took took_ms: at least min_ms, and nine
 * times the look, so that looking takes a tenth of a CPU at most. */
static int
pause_ms(double took_ms, int min_ms)
{
	return took_ms * 9 > min_ms ? (int)(took_ms * 9) : min_ms;
}

#endif
