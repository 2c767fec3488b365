/*
 * users-t.c - a service's own user and group.  Started as root, with the
 * global user nobody: one service runs as daemon, one as the global user,
 * one as root because its configuration says user = "root" (and the log
 * says so at start); /proc shows each worker's uid and gid.  -t names the
 * file and line of an unknown user.  The logs stay writable for every
 * worker, whoever it runs as: after a rotation (rename, then -s reopen)
 * the workers of both unprivileged services write to the new files,
 * though only one user can own them.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>

#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap/basic.h"
#include "../tap/daemon.h"
#include "../tap/net.h"

static char out[16384], err[16384];

/* worker_of - the pid in "service NAME: worker PID started", or 0. */
static pid_t
worker_of(struct pf_daemon *d, const char *name)
{
	char *needle, *line, *p;
	pid_t pid = 0;

	needle = tap_strdup_printf("service %s: worker ", name);
	if (pf_log_wait(d, needle, 5000) &&
	    (line = pf_log_line(d, needle)) != NULL) {
		p = strstr(line, needle);
		pid = (pid_t)atol(p + strlen(needle));
		free(line);
	}
	free(needle);
	return pid;
}

/* ids - "Uid:" and "Gid:" of /proc/PID/status, the real ids. */
static int
ids(pid_t pid, long *uid, long *gid)
{
	char path[64], *text, *u, *g;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((text = pf_file(path)) == NULL)
		return -1;
	u = strstr(text, "\nUid:");
	g = strstr(text, "\nGid:");
	if (u == NULL || g == NULL) {
		free(text);
		return -1;
	}
	*uid = strtol(u + 5, NULL, 10);
	*gid = strtol(g + 5, NULL, 10);
	free(text);
	return 0;
}

/* test_check - -t: an unknown user, with the file and the line. */
static void
test_check(void)
{
	struct pf_daemon *d;
	char *want;
	int st = -1;

	d = pf_prepare("services = ( { name = \"a\"; listen = \"127.0.0.1:0\";\n"
	    "  handler = \"echo\";\n"
	    "  user = \"no-such-user-x\"; } );\n");
	pf_run2((const char *[]){ "-t", "-c", d->conf, NULL }, &st, out,
	    sizeof(out), err, sizeof(err));
	is_int(78, pf_exit_code(st), "an unknown user: -t exits 78");
	want = tap_strdup_printf("%s:3: services.[0].user: no such user "
	    "\"no-such-user-x\"", d->conf);
	like(err, want, "... naming the file, the line and the setting");
	free(want);

	d = pf_prepare("services = ( { name = \"a\"; listen = \"127.0.0.1:0\";\n"
	    "  handler = \"echo\"; group = \"no-such-group-x\"; } );\n");
	pf_run2((const char *[]){ "-t", "-c", d->conf, NULL }, &st, out,
	    sizeof(out), err, sizeof(err));
	want = tap_strdup_printf("%s:2: services.[0].group: no such group "
	    "\"no-such-group-x\"", d->conf);
	like(err, want, "an unknown group: the same");
	free(want);
}

/* served_by - a line of the file at path from worker pid ("pid=PID "). */
static int
served_by(const char *path, pid_t pid)
{
	char *text, *needle;
	int found;

	if ((text = pf_file(path)) == NULL)
		return 0;
	needle = tap_strdup_printf(" pid=%ld ", (long)pid);
	found = strstr(text, needle) != NULL;
	free(needle);
	free(text);
	return found;
}

/* wait_served - served_by, waited for up to timeout_ms. */
static int
wait_served(const char *path, pid_t pid, int timeout_ms)
{
	long deadline = pf_now_ms() + timeout_ms;

	while (!served_by(path, pid) && pf_now_ms() < deadline)
		pf_sleep_ms(20);
	return served_by(path, pid);
}

/*
 * rotated - echo to port until the new access log at path has a line
 * of worker pid (it reopens on the master's signal, when idle): 1, or 0
 * after timeout_ms.
 */
static int
rotated(int port, pid_t pid, const char *path, int timeout_ms)
{
	long deadline = pf_now_ms() + timeout_ms;

	do {
		(void)pf_echo_tcp("127.0.0.1", port, "after");
		if (wait_served(path, pid, 200))
			return 1;
	} while (pf_now_ms() < deadline);
	return 0;
}

static void
test_users(void)
{
	struct pf_daemon *d;
	struct passwd *pw;
	pid_t a, b, c;
	long uid, gid, daemon_uid, daemon_gid, nobody_uid, nobody_gid;
	char *access, *old, *olderr, *text, *needle;
	int pa, pb, st = -1;

	if ((pw = getpwnam("daemon")) == NULL)
		bail("no user daemon on this system");
	daemon_uid = (long)pw->pw_uid;
	daemon_gid = (long)pw->pw_gid;
	if ((pw = getpwnam("nobody")) == NULL)
		bail("no user nobody on this system");
	nobody_uid = (long)pw->pw_uid;
	nobody_gid = (long)pw->pw_gid;

	d = pf_start("user = \"nobody\";\n"
	    "access_log = \"@DIR@/access.log\";\n"
	    "services = (\n"
	    "  { name = \"a\"; listen = \"127.0.0.1:0\"; handler = \"echo\";\n"
	    "    workers = 1; user = \"daemon\"; },\n"
	    "  { name = \"b\"; listen = \"127.0.0.1:0\"; handler = \"echo\";\n"
	    "    workers = 1; },\n"
	    "  { name = \"c\"; listen = \"127.0.0.1:0\"; handler = \"echo\";\n"
	    "    workers = 1; user = \"root\"; } );\n");
	ok(pf_log_wait(d, "service c: workers run as root (user = \"root\" on "
	    "this service)", 5000), "log at start: service c runs as root, as "
	    "written");
	ok(pf_log_count(d, "service a: workers run as root") == 0 &&
	    pf_log_count(d, "service b: workers run as root") == 0,
	    "... and no other service");
	a = worker_of(d, "a");
	b = worker_of(d, "b");
	c = worker_of(d, "c");
	/* Idle: it has dropped its privileges, and waits for a client. */
	ok(pf_wait_worker_state(d, a, "idle", 10000) &&
	    pf_wait_worker_state(d, b, "idle", 10000) &&
	    pf_wait_worker_state(d, c, "idle", 10000), "the three workers "
	    "are up");
	ok(a > 0 && ids(a, &uid, &gid) == 0 && uid == daemon_uid &&
	    gid == daemon_gid, "service a's worker runs as daemon (%ld:%ld)",
	    daemon_uid, daemon_gid);
	ok(b > 0 && ids(b, &uid, &gid) == 0 && uid == nobody_uid &&
	    gid == nobody_gid, "service b's worker runs as the global user, "
	    "nobody (%ld:%ld)", nobody_uid, nobody_gid);
	ok(c > 0 && ids(c, &uid, &gid) == 0 && uid == 0 && gid == 0,
	    "service c's worker runs as root");

	/* Both unprivileged workers write the access log... */
	pa = pf_port(d, "a", "tcp");
	pb = pf_port(d, "b", "tcp");
	access = pf_path(d, "access.log");
	ok(pf_echo_tcp("127.0.0.1", pa, "to a") &&
	    pf_echo_tcp("127.0.0.1", pb, "to b"), "both services answer");
	ok(wait_served(access, a, 5000) && wait_served(access, b, 5000),
	    "both workers write the access log");

	/* ...and, after a rotation, the new one the master made. */
	old = pf_path(d, "access.log.1");
	olderr = pf_path(d, "error.log.1");
	if (rename(access, old) == -1 || rename(d->error_log, olderr) == -1)
		bail("cannot rename the logs");
	pf_run2((const char *[]){ "-c", d->conf, "-s", "reopen", NULL }, &st,
	    out, sizeof(out), err, sizeof(err));
	is_int(0, pf_exit_code(st), "preforkd -s reopen");
	/* (The master says so before it reopens: in the old file.) */
	text = NULL;
	for (st = 0; st < 250 && (text == NULL || strstr(text, "received "
	    "SIGUSR1: reopening the log files") == NULL); st++) {
		free(text);
		pf_sleep_ms(20);
		text = pf_file(olderr);
	}
	ok(text != NULL && strstr(text, "received SIGUSR1: reopening the log "
	    "files") != NULL, "the master reopens the logs");
	free(text);
	ok(rotated(pa, a, access, 10000), "service a's worker (daemon) "
	    "writes to the new access log");
	ok(rotated(pb, b, access, 10000), "service b's worker (nobody) "
	    "writes to the new access log");
	needle = tap_strdup_printf("preforkd/a[%ld]: ", (long)a);
	ok(pf_log_wait(d, needle, 5000), "... and to the new error log");
	free(needle);
	text = pf_file(olderr);
	ok(pf_log_count(d, "cannot reopen") == 0 && (text == NULL ||
	    strstr(text, "cannot reopen") == NULL), "no worker failed to "
	    "reopen a log");
	free(text);
	ok(pf_stop(d) == 0, "preforkd stops");
	free(access);
	free(old);
	free(olderr);
}

int
main(void)
{
	plan_lazy();
	test_check();
	if (!ok(geteuid() == 0, "runs as root (workers change users)"))
		return 0;
	test_users();
	return 0;
}
