/*
 * proc.c - processes as /proc shows them: state, parent, group and
 * session of a pid, whether it is alive, the children of a master (its
 * workers), whether a pid runs the binary under test, the processes
 * whose command line names a path (what a test's programs left behind),
 * and reaping a child of ours with a deadline.  Every wait is a bounded poll.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/wait.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic.h"
#include "daemon.h"
#include "harness.h"

/* pf_proc_stat - state, ppid, process group and session of pid from /proc. */
int
pf_proc_stat(pid_t pid, char *state, pid_t *ppid, pid_t *pgrp, pid_t *sid)
{
	char path[64], buf[1024], *p;
	int fd, a, b, c;
	ssize_t n;
	char st;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* The command name is in parentheses and may hold anything. */
	p = strrchr(buf, ')');
	if (p == NULL || sscanf(p + 1, " %c %d %d %d", &st, &a, &b, &c) != 4)
		return -1;
	if (state != NULL)
		*state = st;
	if (ppid != NULL)
		*ppid = a;
	if (pgrp != NULL)
		*pgrp = b;
	if (sid != NULL)
		*sid = c;
	return 0;
}

/* pf_proc_alive - 1 while pid exists and is not a zombie. */
int
pf_proc_alive(pid_t pid)
{
	char st;

	if (pid <= 0 || pf_proc_stat(pid, &st, NULL, NULL, NULL) < 0)
		return 0;
	return st != 'Z' && st != 'X';
}

/*
 * pf_wait_proc_state - poll until pid's /proc state letter is want (or,
 * with not set, is not): 1, or 0 after timeout_ms.
 */
int
pf_wait_proc_state(pid_t pid, char want, int not, int timeout_ms)
{
	long deadline = pf_now_ms() + timeout_ms;
	char st;

	for (;;) {
		if (pf_proc_stat(pid, &st, NULL, NULL, NULL) == 0 &&
		    (st == want) != not)
			return 1;
		if (pf_now_ms() >= deadline)
			return 0;
		pf_sleep_ms(PF_STEP_MS);
	}
}

/*
 * pf_proc_switches - how many times pid gave up the CPU of its own accord
 * (voluntary_ctxt_switches in /proc/PID/status): it grows each time the
 * process sleeps again after waking, so a wait that ended and began anew
 * shows here.  -1 when it cannot be read.
 */
long
pf_proc_switches(pid_t pid)
{
	char path[64], line[256];
	long n = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "re")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "voluntary_ctxt_switches: %ld", &n) == 1)
			break;
	fclose(f);
	return n;
}

/* pf_wait_gone - poll until none of pids is alive: how many still are. */
int
pf_wait_gone(const pid_t *pids, int n, int timeout_ms)
{
	long deadline = pf_now_ms() + timeout_ms;
	int i, alive;

	for (;;) {
		for (alive = 0, i = 0; i < n; i++)
			alive += pf_proc_alive(pids[i]);
		if (alive == 0 || pf_now_ms() >= deadline)
			return alive;
		pf_sleep_ms(PF_STEP_MS);
	}
}

/*
 * pf_proc_scan - the live processes matching (ppid == ppid_want, or pgrp or
 * session == group_want when group_want > 0) into out; how many matched.
 */
int
pf_proc_scan(pid_t ppid_want, pid_t group_want, pid_t *out, int max)
{
	struct dirent *de;
	pid_t pid, ppid, pgrp, sid;
	DIR *dir;
	int n = 0;
	char st;

	dir = opendir("/proc");
	if (dir == NULL)
		return 0;
	while ((de = readdir(dir)) != NULL) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = (pid_t)atol(de->d_name);
		if (pid == pf_test_pid ||
		    pf_proc_stat(pid, &st, &ppid, &pgrp, &sid) < 0)
			continue;
		if (st == 'Z' || st == 'X')
			continue;
		if ((ppid_want > 0 && ppid == ppid_want) ||
		    (group_want > 0 &&
		    (pgrp == group_want || sid == group_want))) {
			if (n < max)
				out[n] = pid;
			n++;
		}
	}
	closedir(dir);
	return n;
}

/* pf_listen_inode - whether /proc/net/FILE lists inode as a listening socket. */
static int
pf_listen_inode(const char *file, unsigned long inode)
{
	char line[512], st[8];
	unsigned long ino;
	int found = 0;
	FILE *f;

	if ((f = fopen(file, "re")) == NULL)
		return 0;
	/* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
	while (!found && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, " %*s %*s %*s %7s %*s %*s %*s %*s %*s %lu",
		    st, &ino) == 2 && strcmp(st, "0A") == 0 && ino == inode)
			found = 1;
	fclose(f);
	return found;
}

/*
 * pf_proc_listeners - how many listening TCP sockets (IPv4 and IPv6) pid
 * holds open, from /proc/PID/fd and /proc/net/tcp{,6}; -1 when its
 * descriptors cannot be read.
 */
int
pf_proc_listeners(pid_t pid)
{
	char path[320], link[64];
	struct dirent *de;
	unsigned long inode;
	ssize_t n;
	DIR *dir;
	int count = 0;

	snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
	if ((dir = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(dir)) != NULL) {
		snprintf(path, sizeof(path), "/proc/%ld/fd/%s", (long)pid,
		    de->d_name);
		if ((n = readlink(path, link, sizeof(link) - 1)) <= 0)
			continue;
		link[n] = '\0';
		if (sscanf(link, "socket:[%lu]", &inode) == 1 &&
		    (pf_listen_inode("/proc/net/tcp", inode) ||
		    pf_listen_inode("/proc/net/tcp6", inode)))
			count++;
	}
	closedir(dir);
	return count;
}

/* pf_proc_is_preforkd - 1 when /proc/PID/exe is the binary under test. */
int
pf_proc_is_preforkd(pid_t pid)
{
	char path[64], exe[PATH_MAX];
	size_t len = strlen(pf_exe);
	ssize_t n;

	if (len == 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%ld/exe", (long)pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	if (n < 0)
		return 0;
	exe[n] = '\0';
	/* A binary rebuilt while it runs reads "PATH (deleted)". */
	return strncmp(exe, pf_exe, len) == 0 &&
	    (exe[len] == '\0' || exe[len] == ' ');
}

int
pf_workers(struct pf_daemon *d, pid_t *out, int max)
{
	if (d->pid <= 0 || d->reaped)
		return 0;
	return pf_proc_scan(d->pid, 0, out, max);
}

/*
 * pf_wait_count - poll until the master has n live children (or at least
 * n when at_least is set): the count at the end.
 */
static int
pf_wait_count(struct pf_daemon *d, int n, int at_least, int timeout_ms)
{
	long deadline = pf_now_ms() + timeout_ms;
	pid_t pids[256];
	int got;

	for (;;) {
		got = pf_workers(d, pids, 256);
		if (got == n || (at_least && got > n) ||
		    pf_now_ms() >= deadline)
			return got;
		pf_sleep_ms(PF_STEP_MS);
	}
}

/* pf_wait_workers - poll until the master has n live children: the count. */
int
pf_wait_workers(struct pf_daemon *d, int n, int timeout_ms)
{
	return pf_wait_count(d, n, 0, timeout_ms);
}

/* pf_wait_workers_min - poll until the master has at least n children. */
int
pf_wait_workers_min(struct pf_daemon *d, int n, int timeout_ms)
{
	return pf_wait_count(d, n, 1, timeout_ms);
}

/* pf_pid_in - whether pid is one of pids[0..n-1]. */
int
pf_pid_in(const pid_t *pids, int n, pid_t pid)
{
	int i;

	for (i = 0; i < n; i++)
		if (pids[i] == pid)
			return 1;
	return 0;
}

/* pf_reap_bounded - wait for our child pid, at most timeout_ms. */
int
pf_reap_bounded(pid_t pid, int timeout_ms, int *status)
{
	long deadline = pf_now_ms() + timeout_ms;
	pid_t r;

	for (;;) {
		r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -1;
		if (pf_now_ms() >= deadline)
			return -1;
		pf_sleep_ms(PF_STEP_MS);
	}
}

/*
 * pf_procs_matching - the pids of processes whose command line (its
 * arguments joined by spaces) contains needle: how a test finds the
 * programs it had started, and their forks, by the temporary directory
 * their arguments name.
 */
int
pf_procs_matching(const char *needle, pid_t *pids, int max)
{
	DIR *dir;
	struct dirent *e;
	char path[300], buf[4096];
	ssize_t n, i;
	int fd, count = 0;

	if ((dir = opendir("/proc")) == NULL)
		return 0;
	while ((e = readdir(dir)) != NULL && count < max) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		for (i = 0; i < n; i++)
			if (buf[i] == '\0')
				buf[i] = ' ';
		buf[n] = '\0';
		if (strstr(buf, needle) != NULL)
			pids[count++] = (pid_t)atol(e->d_name);
	}
	closedir(dir);
	return count;
}

/* pf_procs_collect - add those of needle not yet in seen (*n of max). */
void
pf_procs_collect(const char *needle, pid_t *seen, int *n, int max)
{
	pid_t now[64];
	int k, i;

	k = pf_procs_matching(needle, now, 64);
	for (i = 0; i < k && *n < max; i++)
		if (!pf_pid_in(seen, *n, now[i]))
			seen[(*n)++] = now[i];
}

/*
 * pf_procs_kill_matching - the processes of needle still there, each
 * killed by its pid (and said): how many there were.
 */
int
pf_procs_kill_matching(const char *needle)
{
	pid_t left[64];
	int n, i;

	n = pf_procs_matching(needle, left, 64);
	for (i = 0; i < n; i++) {
		diag("left over: pid %ld; killing it", (long)left[i]);
		(void)kill(left[i], SIGKILL);
	}
	return n;
}
