/*
 * diskfull-t.c - the access log on a full filesystem: a small tmpfs that
 * the test fills up.  Clients must still be served; every line that could
 * not be written must be counted (status text and JSON), the error log
 * must say so (at most once a second per worker, with the file and the
 * cause), and once space is back the log must resume by itself, saying
 * how many lines were lost.  A line cut in the middle by the full disk
 * must not swallow the next one, and a worker's count must outlive it.
 *
 * Needs root (mount); it works in a mount namespace of its own, so the
 * tmpfs goes away with the test whatever happens.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap/basic.h"
#include "../tap/daemon.h"
#include "../tap/json.h"
#include "../tap/net.h"

#define PAGE		4096	/* tmpfs allocates whole pages */
#define TORN_SLACK	60	/* room left for the line cut in two */

static char top[] = "/tmp/preforkd-diskfull-XXXXXX";
static char *mnt, *filler, *access_log;
static int mounted;

/* cleanup - the exit handler: the tmpfs and our directories. */
static void
cleanup(void)
{
	if (mounted && umount2(mnt, MNT_DETACH) == 0)
		mounted = 0;
	if (mnt != NULL)
		rmdir(mnt);
	rmdir(top);
}

/* fill - write filler until the filesystem is full (ENOSPC). */
static void
fill(void)
{
	static char block[PAGE];
	struct statvfs sv;
	int fd;

	memset(block, 'f', sizeof(block));
	if ((fd = open(filler, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	    0600)) < 0)
		sysbail("open %s", filler);
	while (write(fd, block, sizeof(block)) > 0)
		;
	if (errno != ENOSPC)
		sysbail("write %s", filler);
	close(fd);
	if (statvfs(mnt, &sv) < 0)
		sysbail("statvfs %s", mnt);
	if (sv.f_bavail != 0)
		bail("%s is not full: %lu blocks free", mnt,
		    (unsigned long)sv.f_bavail);
}

/*
 * pad - a line of our own in the access log (the daemon is idle), so that
 * its size ends residue bytes into a page: what room is left in its last
 * page once the filesystem is full.
 */
static void
pad(size_t residue)
{
	struct stat sb;
	size_t target, n;
	char *line;
	int fd;

	if ((fd = open(access_log, O_WRONLY | O_APPEND | O_CLOEXEC)) < 0 ||
	    fstat(fd, &sb) < 0)
		sysbail("open %s", access_log);
	target = (size_t)sb.st_size - (size_t)sb.st_size % PAGE + residue;
	if (target < (size_t)sb.st_size + 2)
		target += PAGE;
	n = target - (size_t)sb.st_size;
	if ((line = malloc(n)) == NULL)
		sysbail("malloc");
	memset(line, 'x', n);
	line[0] = '#';
	line[n - 1] = '\n';
	if (write(fd, line, n) != (ssize_t)n)
		sysbail("write %s", access_log);
	free(line);
	close(fd);
}

/* served - n echo round trips over TCP, each its own connection: 1 if all. */
static int
served(int port, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (!pf_echo_tcp("127.0.0.1", port, "hello\n")) {
			diag("connection %d of %d was not served", i + 1, n);
			return 0;
		}
	return 1;
}

/* access_lines - the lines that are whole lines of ours. */
static int
access_lines(void)
{
	char *text, *p, *end;
	int n = 0;

	text = pf_file(access_log);
	for (p = text; (end = strchr(p, '\n')) != NULL; p = end + 1)
		if (strncmp(p, "time=", 5) == 0 &&
		    end - p > 11 && strncmp(end - 11, " end=closed", 11) == 0)
			n++;
	free(text);
	return n;
}

/* wait_access_lines - poll until there are n whole lines: how many. */
static int
wait_access_lines(int n, int timeout_ms)
{
	long deadline = pf_now_ms() + timeout_ms;
	int got;

	for (;;) {
		got = access_lines();
		if (got >= n || pf_now_ms() >= deadline)
			return got;
		pf_sleep_ms(10);
	}
}

/* status_lost - the count in "access log lines lost: N" (0 if absent). */
static long
status_lost(struct pf_daemon *d)
{
	static const char label[] = "\n  access log lines lost: ";
	static char out[65536], err[4096];
	const char *p;

	if (pf_status(d, 0, out, sizeof(out), err, sizeof(err)) != 0) {
		diag("-s status: %s", err);
		return -1;
	}
	p = strstr(out, label);
	return p == NULL ? 0 : atol(p + sizeof(label) - 1);
}

/* wait_status_lost - poll the status until it counts n: the last count. */
static long
wait_status_lost(struct pf_daemon *d, long n, int timeout_ms)
{
	long deadline = pf_now_ms() + timeout_ms, got;

	for (;;) {
		got = status_lost(d);
		if (got == n || pf_now_ms() >= deadline)
			return got;
		pf_sleep_ms(20);
	}
}

/* json_lost - the JSON status is valid and has "access_lost":n. */
static int
json_lost(struct pf_daemon *d, long n)
{
	static char out[65536], err[4096];
	const char *where;
	char *needle;
	int good;

	if (pf_status(d, 1, out, sizeof(out), err, sizeof(err)) != 0 ||
	    !pf_json_valid(out, &where)) {
		diag("status --json: %s", out);
		return 0;
	}
	needle = tap_strdup_printf("\"access_lost\":%ld,", n);
	good = strstr(out, needle) != NULL;
	if (!good)
		diag("no %s in %s", needle, out);
	free(needle);
	return good;
}

/* last_lines - the last two lines of the access log, or 0. */
static int
last_lines(char **before, char **last)
{
	char *text, *end, *start;

	text = pf_file(access_log);
	end = text + strlen(text);
	if (end == text || end[-1] != '\n') {
		free(text);
		return 0;
	}
	*--end = '\0';
	if ((start = strrchr(text, '\n')) == NULL) {
		free(text);
		return 0;
	}
	*last = strdup(start + 1);
	*start = '\0';
	start = strrchr(text, '\n');
	*before = strdup(start == NULL ? text : start + 1);
	free(text);
	return 1;
}

int
main(void)
{
	struct pf_daemon *d;
	pid_t pids[4], old;
	char *needle, *before, *last;
	long t0, elapsed;
	int port, base, reports;

	plan_lazy();
	if (geteuid() != 0)
		bail("this test must run as root: it mounts a tmpfs");
	if (mkdtemp(top) == NULL)
		sysbail("mkdtemp");
	atexit(cleanup);
	if (chmod(top, 0755) < 0)
		sysbail("chmod %s", top);
	mnt = tap_strdup_printf("%s/fs", top);
	filler = tap_strdup_printf("%s/filler", mnt);
	access_log = tap_strdup_printf("%s/access.log", mnt);
	if (mkdir(mnt, 0755) < 0)
		sysbail("mkdir %s", mnt);
	/* Our own mount namespace: the tmpfs dies with us, come what may. */
	if (unshare(CLONE_NEWNS) < 0)
		sysbail("unshare CLONE_NEWNS");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		sysbail("mount --make-rprivate /");
	if (mount("tmpfs", mnt, "tmpfs", MS_NOSUID | MS_NODEV,
	    "size=64k,mode=0755") < 0)
		sysbail("mount tmpfs on %s", mnt);
	mounted = 1;

	d = pf_prepare(tap_strdup_printf(
	    "user = \"nobody\";\n"
	    "access_log = \"%s\";\n"
	    "services = ( { name = \"echo\"; handler = \"echo\"; workers = 1;\n"
	    "  listen = \"127.0.0.1:0\"; } );\n", access_log));
	pf_launch(d, NULL);
	if (pf_wait_ready(d, 10000) < 0) {
		pf_show(d);
		bail("preforkd did not start");
	}
	port = pf_port(d, "echo", "tcp");
	is_int(1, pf_wait_workers(d, 1, 5000), "one worker");

	/* While there is room: lines, and no count in the status. */
	ok(served(port, 1), "a client is served");
	is_int(1, wait_access_lines(1, 5000), "its access log line is there");
	is_int(0, status_lost(d), "status: no \"access log lines lost\" "
	    "line while none is lost");
	ok(json_lost(d, 0), "status --json: valid, \"access_lost\":0");

	/* 1. Full, with the log's last page full too: every line is lost. */
	pad(0);
	fill();
	t0 = pf_now_ms();
	ok(served(port, 8), "the filesystem is full: 8 clients are served "
	    "all the same");
	needle = tap_strdup_printf("access log %s: cannot write: No space "
	    "left on device; 1 line lost so far", access_log);
	ok(pf_log_wait(d, needle, 5000), "error log: %s", needle);
	free(needle);
	is_int(8, wait_status_lost(d, 8, 5000), "status: access log lines "
	    "lost: 8");
	elapsed = pf_now_ms() - t0;
	is_int(1, access_lines(), "the access log has no line more: all 8 "
	    "that did not appear are counted");
	ok(json_lost(d, 8), "status --json: valid, \"access_lost\":8");
	reports = pf_log_count(d, ": cannot write: ");
	ok(reports >= 1 && reports <= 1 + elapsed / 1000, "the error log "
	    "says so at most once a second (%d times in %ld ms)", reports,
	    elapsed);

	/* 2. Space again: the next line is written, and the log says so. */
	if (unlink(filler) < 0)
		sysbail("unlink %s", filler);
	ok(served(port, 3), "space is back: 3 clients served");
	needle = tap_strdup_printf("access log %s: writing again after losing "
	    "8 lines (8 lost in all)", access_log);
	ok(pf_log_wait(d, needle, 5000), "error log: %s", needle);
	free(needle);
	is_int(4, wait_access_lines(4, 5000), "their 3 lines are in the "
	    "access log");
	is_int(8, status_lost(d), "status: still 8 lost");

	/* 3. Full with a little room: a line cut in two, then none. */
	pad(PAGE - TORN_SLACK);
	fill();
	ok(served(port, 2), "full again, with %d bytes left in the log's last "
	    "page: 2 clients served", TORN_SLACK);
	is_int(10, wait_status_lost(d, 10, 5000), "status: 10 lost (the cut "
	    "line counts as lost)");
	if (unlink(filler) < 0)
		sysbail("unlink %s", filler);
	ok(served(port, 1), "space is back: a client served");
	is_int(5, wait_access_lines(5, 5000), "its line is in the access log");
	before = last = NULL;
	if (!last_lines(&before, &last))
		before = last = NULL;
	ok(before != NULL && strncmp(before, "time=", 5) == 0 &&
	    strlen(before) == TORN_SLACK && strncmp(last, "time=", 5) == 0,
	    "the cut line ends where the disk was full, and the next line "
	    "starts on a line of its own: \"%.80s\" then \"%.80s\"",
	    before != NULL ? before : "", last != NULL ? last : "");
	free(before);
	free(last);
	base = access_lines();
	is_int(15 - 10, base, "15 connections: 5 whole lines and 10 counted "
	    "as lost");

	/* 4. The count outlives the worker that lost the lines. */
	if (pf_workers(d, pids, 4) != 1)
		bail("not one worker");
	old = pids[0];
	ok(kill(old, SIGTERM) == 0, "TERM the worker %ld", (long)old);
	ok(pf_wait_gone(&old, 1, 5000) == 0, "it is gone");
	ok(pf_wait_workers(d, 1, 5000) == 1 && pf_workers(d, pids, 4) == 1 &&
	    pids[0] != old, "a new worker replaces it");
	is_int(10, wait_status_lost(d, 10, 5000), "status: still 10 lost, "
	    "folded into the service when the worker was reaped");
	ok(json_lost(d, 10), "status --json: valid, \"access_lost\":10");

	ok(pf_exited_zero(pf_stop(d)), "TERM: the master exits 0");
	ok(umount2(mnt, 0) == 0, "the tmpfs is unmounted");
	mounted = 0;
	return 0;
}
