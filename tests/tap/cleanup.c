/*
 * cleanup.c - the harness's set-up once per test (the binary, the exit
 * handler, the SIGALRM/SIGTERM/SIGINT safety net, a test-wide alarm), the
 * registry of daemons, and the cleanup that cannot be skipped: every
 * daemon KILLed, sanitizer reports turned into failures, temporary
 * directories removed.
 *
 * Processes are only ever killed by pid: the master we started (or adopted
 * from its pid file after checking /proc/PID/exe), the children /proc says
 * it has, and leftovers of its process group or session that run the
 * preforkd binary.  Nothing is killed by name.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/stat.h>

#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic.h"
#include "daemon.h"
#include "harness.h"

#define PF_REGISTRY_MAX		64
#define PF_TEST_TIMEOUT_S	300	/* the SIGALRM safety net */
#define PF_SHOW_LINES		80	/* of each log, when a test failed */

pid_t			 pf_test_pid;
char			 pf_exe[PATH_MAX];
static struct pf_daemon	*pf_registry[PF_REGISTRY_MAX];
static int		 pf_nregistry;
static volatile sig_atomic_t pf_cleaning;
static int		 pf_inited;
static void		(*pf_hooks[8])(int);	/* other harness parts */
static int		 pf_nhooks;

static int
pf_rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* pf_rm_tree - remove dir and all it holds (a test's temporary directory). */
void
pf_rm_tree(const char *dir)
{
	nftw(dir, pf_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * pf_sanitizer_check - a failing test for each sanitizer report in the
 * daemon's stderr or error log (a --enable-sanitizers build writes them
 * there), so that a report never passes unseen.
 */
static void
pf_sanitizer_check(struct pf_daemon *d)
{
	const char *paths[2] = { d->stderr_log, d->error_log };
	char *text, *p, *end;
	int i;

	for (i = 0; i < 2; i++) {
		text = pf_file(paths[i]);
		p = strstr(text, "Sanitizer");
		if (p == NULL)
			p = strstr(text, "runtime error:");
		if (p != NULL) {
			while (p > text && p[-1] != '\n')
				p--;
			end = p + strlen(p);
			if (end - p > 4000)
				p[4000] = '\0';
			ok(0, "no sanitizer report from preforkd in %s",
			    paths[i]);
			diag("%s", p);
		}
		free(text);
	}
}

/*
 * pf_cleanup_one - KILL what is left of d, then remove its directory.  The
 * master is stopped first so that it cannot fork a replacement between the
 * listing of its workers and their death.
 */
static void
pf_cleanup_one(struct pf_daemon *d, int report)
{
	pid_t pids[256];
	int i, n, st;

	if (d->pid <= 0 && d->pid_file != NULL) {
		/* Prepared and launched by a command (no -f): adopt it. */
		pid_t pid = pf_read_pid_file(d->pid_file);

		if (pid > 0 && pf_proc_is_preforkd(pid))
			d->pid = pid;
	}
	if (d->pid > 0 && !d->reaped && pf_proc_alive(d->pid) &&
	    (d->child || pf_proc_is_preforkd(d->pid))) {
		kill(d->pid, SIGSTOP);
		n = pf_proc_scan(d->pid, 0, pids, 256);
		for (i = 0; i < n && i < 256; i++)
			kill(pids[i], SIGKILL);
		kill(d->pid, SIGKILL);
		kill(d->pid, SIGCONT);
	}
	if (d->pid > 0 && d->child && !d->reaped) {
		/* Unreaped, the pid cannot be reused: its group is ours. */
		killpg(d->pid, SIGKILL);
		if (pf_reap_bounded(d->pid, 2000, &st) == 0) {
			d->reaped = 1;
			d->status = st;
		}
	}
	if (d->pid > 0) {
		/* Orphaned workers: same group or session, same binary. */
		n = pf_proc_scan(0, d->pid, pids, 256);
		for (i = 0; i < n && i < 256; i++)
			if (pids[i] != d->pid && pf_proc_is_preforkd(pids[i]))
				kill(pids[i], SIGKILL);
	}
	if (report)
		pf_sanitizer_check(d);
	/* A test that failed shows what its daemons said, for the flake
	 * that does not come back when run again. */
	if (report && tap_failures() > 0 && d->dir != NULL)
		pf_show_tail(d, PF_SHOW_LINES);
	if (d->dir != NULL && strstr(d->dir, "/preforkd-test.") != NULL) {
		if (getenv("PF_KEEP") != NULL) {
			char msg[PATH_MAX + 32];
			int len;

			len = snprintf(msg, sizeof(msg), "# kept %s\n", d->dir);
			if (len > 0 && write(1, msg, (size_t)len) < 0)
				(void)0;
		} else
			pf_rm_tree(d->dir);
	}
}

/*
 * pf_cleanup_run - kill every daemon of this test and remove its directory;
 * report sanitizer findings too, except from a signal handler.
 */
static void
pf_cleanup_run(int report)
{
	pid_t run;
	int i;

	if (getpid() != pf_test_pid || pf_cleaning)
		return;
	pf_cleaning = 1;
	run = pf_run_pid;
	if (run > 0) {
		killpg(run, SIGKILL);
		kill(run, SIGKILL);
	}
	for (i = pf_nhooks - 1; i >= 0; i--)
		pf_hooks[i](report);
	for (i = pf_nregistry - 1; i >= 0; i--)
		pf_cleanup_one(pf_registry[i], report);
}

/* pf_cleanup_all - the exit handler. */
static void
pf_cleanup_all(void)
{
	pf_cleanup_run(1);
}

/* pf_safety - SIGALRM (test timeout), SIGTERM, SIGINT: clean up and die. */
static void
pf_safety(int sig)
{
	static const char timeout[] =
	    "Bail out! test timed out (SIGALRM), killing its daemons\n";
	static const char interrupted[] =
	    "Bail out! test interrupted, killing its daemons\n";

	if (pf_cleaning)
		_exit(255);
	if (sig == SIGALRM) {
		if (write(1, timeout, sizeof(timeout) - 1) < 0)
			(void)0;
	} else if (write(1, interrupted, sizeof(interrupted) - 1) < 0)
		(void)0;
	pf_cleanup_run(0);
	if (sig == SIGALRM)
		_exit(255);
	signal(sig, SIG_DFL);
	raise(sig);
	_exit(255);
}

/*
 * pf_init - once per test: find the binary, install the exit handler, the
 * safety net, and a test-wide alarm unless the test set its own.
 */
void
pf_init(void)
{
	struct sigaction sa;
	const char *bin;
	unsigned int left;

	if (pf_inited)
		return;
	pf_inited = 1;
	pf_test_pid = getpid();
	bin = getenv("PREFORKD");
	if (bin == NULL || bin[0] == '\0')
		skip_all("PREFORKD is not set (run under make check)");
	if (access(bin, X_OK) < 0)
		sysbail("PREFORKD=%s", bin);
	if (realpath(bin, pf_exe) == NULL)
		sysbail("realpath %s", bin);
	atexit(pf_cleanup_all);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = pf_safety;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	left = alarm(0);
	alarm(left > 0 ? left : PF_TEST_TIMEOUT_S);
}

void
pf_register(struct pf_daemon *d)
{
	if (pf_nregistry >= PF_REGISTRY_MAX)
		bail("too many daemons in one test");
	pf_registry[pf_nregistry++] = d;
}

/*
 * pf_at_cleanup - fn(report) runs in the same cleanup as the daemons (at
 * exit and from the safety net, report 0 there), before them: how another
 * program the harness starts (haproxy.c) is killed by pid whatever happens.
 */
void
pf_at_cleanup(void (*fn)(int))
{
	pf_init();
	if (pf_nhooks >= (int)(sizeof(pf_hooks) / sizeof(pf_hooks[0])))
		bail("too many cleanup hooks in one test");
	pf_hooks[pf_nhooks++] = fn;
}
