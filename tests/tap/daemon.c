/*
 * daemon.c - run the real preforkd under a test: a temporary directory per
 * daemon, start and readiness, the log and the pid file, the workers as
 * /proc shows them, and a cleanup that cannot be skipped.
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
#include <grp.h>
#include <sys/wait.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "basic.h"
#include "daemon.h"

#define PF_REGISTRY_MAX		64
#define PF_READY_MS		10000	/* pf_start's readiness bound */
#define PF_RUN_MS		15000	/* pf_run's bound on one command */
#define PF_RUN_EOF_GRACE_MS	1000	/* output still open after the exit */
#define PF_TEST_TIMEOUT_S	300	/* the SIGALRM safety net */
#define PF_STEP_MS		10

static struct pf_daemon	*pf_registry[PF_REGISTRY_MAX];
static int		 pf_nregistry;
static volatile pid_t	 pf_run_pid;	/* a pf_run child still running */
static volatile sig_atomic_t pf_cleaning;
static int		 pf_inited;
static pid_t		 pf_test_pid;
static char		 pf_exe[PATH_MAX];
static uid_t		 pf_run_uid = (uid_t)-1;	/* pf_run's user */
static gid_t		 pf_run_gid;

static void	pf_cleanup_run(int);

/* ------------------------------------------------------------- helpers */

long
pf_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* pf_sleep_ms - one step of a bounded poll (never a synchronisation). */
void
pf_sleep_ms(int ms)
{
	struct timespec ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* pf_subst - a copy of text with every "@DIR@" replaced by dir. */
char *
pf_subst(const char *text, const char *dir)
{
	size_t n = 0, dl = strlen(dir);
	const char *p;
	char *out, *q;

	for (p = text; (p = strstr(p, "@DIR@")) != NULL; p += 5)
		n++;
	out = malloc(strlen(text) + n * dl + 1);
	if (out == NULL)
		sysbail("malloc");
	for (q = out, p = text; *p != '\0';) {
		if (strncmp(p, "@DIR@", 5) == 0) {
			memcpy(q, dir, dl);
			q += dl;
			p += 5;
		} else
			*q++ = *p++;
	}
	*q = '\0';
	return out;
}

void
pf_write_file(const char *path, const char *text)
{
	FILE *f;

	f = fopen(path, "w");
	if (f == NULL)
		sysbail("cannot create %s", path);
	if (fputs(text, f) == EOF || fclose(f) == EOF)
		sysbail("cannot write %s", path);
}

/* pf_file - the whole content of path, NUL-terminated; "" when unreadable. */
char *
pf_file(const char *path)
{
	size_t len = 0, cap = 8192;
	char *buf;
	ssize_t n;
	int fd;

	buf = malloc(cap);
	if (buf == NULL)
		sysbail("malloc");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		for (;;) {
			if (cap - len < 4096) {
				cap *= 2;
				buf = realloc(buf, cap);
				if (buf == NULL)
					sysbail("realloc");
			}
			n = read(fd, buf + len, cap - len - 1);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			len += (size_t)n;
		}
		close(fd);
	}
	buf[len] = '\0';
	return buf;
}

/* pf_read_pid_file - the pid in path; 0 when it is missing, -1 if garbage. */
pid_t
pf_read_pid_file(const char *path)
{
	char *text, *end;
	long pid;

	if (access(path, F_OK) < 0)
		return 0;
	text = pf_file(path);
	errno = 0;
	pid = strtol(text, &end, 10);
	if (end == text || errno != 0 || pid <= 0 ||
	    (*end != '\0' && *end != '\n'))
		pid = text[0] == '\0' ? 0 : -1;
	free(text);
	return (pid_t)pid;
}

/* ------------------------------------------------------------ /proc */

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
static int
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

/* pf_proc_is_preforkd - 1 when /proc/PID/exe is the binary under test. */
static int
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

/* pf_wait_workers - poll until the master has n live children: the count. */
int
pf_wait_workers(struct pf_daemon *d, int n, int timeout_ms)
{
	long deadline = pf_now_ms() + timeout_ms;
	pid_t pids[256];
	int got;

	for (;;) {
		got = pf_workers(d, pids, 256);
		if (got == n || pf_now_ms() >= deadline)
			return got;
		pf_sleep_ms(PF_STEP_MS);
	}
}

/* ------------------------------------------------------------- cleanup */

static int
pf_rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* pf_reap_bounded - wait for our child pid, at most timeout_ms. */
static int
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
	if (d->dir != NULL && strstr(d->dir, "/preforkd-test.") != NULL) {
		if (getenv("PF_KEEP") != NULL) {
			char msg[PATH_MAX + 32];
			int len;

			len = snprintf(msg, sizeof(msg), "# kept %s\n", d->dir);
			if (len > 0 && write(1, msg, (size_t)len) < 0)
				(void)0;
		} else
			nftw(d->dir, pf_rm_one, 16, FTW_DEPTH | FTW_PHYS);
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
static void
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

static void
pf_register(struct pf_daemon *d)
{
	if (pf_nregistry >= PF_REGISTRY_MAX)
		bail("too many daemons in one test");
	pf_registry[pf_nregistry++] = d;
}

/* ------------------------------------------------------------- setup */

/* pf_conf_has - whether the config text sets key (at any level). */
static int
pf_conf_has(const char *text, const char *key)
{
	size_t kl = strlen(key);
	const char *p, *q;

	for (p = text; (p = strstr(p, key)) != NULL; p += kl) {
		if (p > text && (isalnum((unsigned char)p[-1]) ||
		    p[-1] == '_' || p[-1] == '"' || p[-1] == '.'))
			continue;
		for (q = p + kl; *q == ' ' || *q == '\t'; q++)
			;
		if (*q == '=' || *q == ':')
			return 1;
	}
	return 0;
}

char *
pf_path(const struct pf_daemon *d, const char *name)
{
	return tap_strdup_printf("%s/%s", d->dir, name);
}

/* pf_new - a registered pf_daemon with a fresh temporary directory. */
static struct pf_daemon *
pf_new(void)
{
	struct pf_daemon *d;
	const char *tmp;
	char *dir;

	pf_init();
	tmp = getenv("TMPDIR");
	/* Unix socket paths must fit in 108 bytes. */
	if (tmp == NULL || tmp[0] != '/' || strlen(tmp) > 60)
		tmp = "/tmp";
	dir = tap_strdup_printf("%s/preforkd-test.XXXXXX", tmp);
	if (mkdtemp(dir) == NULL)
		sysbail("mkdtemp %s", dir);
	chmod(dir, 0755);
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		sysbail("calloc");
	d->dir = dir;
	d->conf = pf_path(d, "preforkd.conf");
	d->pid_file = pf_path(d, "preforkd.pid");
	d->error_log = pf_path(d, "error.log");
	d->stderr_log = pf_path(d, "stderr.log");
	pf_register(d);
	return d;
}

/* pf_prepare_raw - a directory whose preforkd.conf is config, as it is. */
struct pf_daemon *
pf_prepare_raw(const char *config)
{
	struct pf_daemon *d = pf_new();
	char *text;

	text = pf_subst(config, d->dir);
	pf_write_file(d->conf, text);
	free(text);
	return d;
}

/*
 * pf_prepare - a directory whose preforkd.conf is the given text plus
 * pid_file, error_log and log_level in the directory (unless the text sets
 * them), and user = "nobody" when we are root and the text has no user.
 */
struct pf_daemon *
pf_prepare(const char *services_and_globals)
{
	struct pf_daemon *d = pf_new();
	char *text, *full, *tmp;

	text = pf_subst(services_and_globals, d->dir);
	full = tap_strdup_printf("%s\n", text);
	free(text);
#define PF_ADD(key, fmt, val) do {					\
	if (!pf_conf_has(full, key)) {					\
		tmp = tap_strdup_printf("%s" key " = " fmt ";\n", full, val); \
		free(full);						\
		full = tmp;						\
	}								\
} while (0)
	PF_ADD("pid_file", "\"%s\"", d->pid_file);
	PF_ADD("error_log", "\"%s\"", d->error_log);
	PF_ADD("log_level", "\"%s\"", "debug");
	if (geteuid() == 0)
		PF_ADD("user", "\"%s\"", "nobody");
#undef PF_ADD
	pf_write_file(d->conf, full);
	free(full);
	return d;
}

/* pf_child_setup - in a forked child before exec: a clean slate. */
static void
pf_child_setup(void)
{
	sigset_t none;
	int sig, fd;

	setpgid(0, 0);
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	fd = open("/dev/null", O_RDONLY);
	if (fd >= 0 && fd != 0) {
		dup2(fd, 0);
		close(fd);
	}
}

/* pf_close_from - close every fd from 3 up: nothing leaks to the daemon. */
static void
pf_close_from(void)
{
	long max = sysconf(_SC_OPEN_MAX);
	int fd;

	if (max < 0 || max > 65536)
		max = 65536;
	for (fd = 3; fd < max; fd++)
		close(fd);
}

/* pf_argv - [PREFORKD, args..., NULL], each arg with @DIR@ substituted. */
static char **
pf_argv(const char *const *args, const char *dir)
{
	static char *argv[PF_MAX_ARGS + 2];
	int i;

	argv[0] = pf_exe;
	for (i = 0; args != NULL && args[i] != NULL; i++) {
		if (i >= PF_MAX_ARGS)
			bail("too many arguments for preforkd");
		argv[i + 1] = dir != NULL ? pf_subst(args[i], dir) :
		    (char *)args[i];
	}
	argv[i + 1] = NULL;
	return argv;
}

/*
 * pf_launch - start preforkd with args (default: -f -c CONF) as our child,
 * in its own process group, stdout and stderr to DIR/stderr.log.
 */
pid_t
pf_launch(struct pf_daemon *d, const char *const *args)
{
	return pf_launch_with(d, NULL, args, NULL, 0, NULL);
}

/*
 * pf_wait_ready - poll until the pid file holds the master's pid: 0, or -1
 * when it exited first or timeout_ms passed.
 */
int
pf_wait_ready(struct pf_daemon *d, int timeout_ms)
{
	long deadline = pf_now_ms() + timeout_ms;
	int st;

	for (;;) {
		if (pf_read_pid_file(d->pid_file) == d->pid)
			return 0;
		if (d->child && !d->reaped &&
		    waitpid(d->pid, &st, WNOHANG) == d->pid) {
			d->reaped = 1;
			d->status = st;
			return -1;
		}
		if (d->reaped || pf_now_ms() >= deadline)
			return -1;
		pf_sleep_ms(PF_STEP_MS);
	}
}

struct pf_daemon *
pf_start(const char *services_and_globals)
{
	struct pf_daemon *d;

	d = pf_prepare(services_and_globals);
	pf_launch(d, NULL);
	if (pf_wait_ready(d, PF_READY_MS) < 0) {
		pf_show(d);
		if (d->reaped)
			bail("preforkd exited (status 0x%x) before it was "
			    "ready", d->status);
		bail("preforkd (pid %ld) did not write its pid file in %d ms",
		    (long)d->pid, PF_READY_MS);
	}
	return d;
}

/* pf_start_raw - start with the config as it is and args; no waiting. */
struct pf_daemon *
pf_start_raw(const char *config, const char *const *args)
{
	struct pf_daemon *d;

	d = pf_prepare_raw(config);
	pf_launch(d, args);
	return d;
}

/* pf_adopt - a daemon that is not our child (it detached): kill it at exit. */
void
pf_adopt(struct pf_daemon *d, pid_t pid)
{
	d->pid = pid;
	d->child = 0;
	d->reaped = 0;
}

/* ------------------------------------------------------------- pf_run */

/*
 * pf_run_as - run the next commands of pf_run as uid:gid (we must be root),
 * or again as ourselves with uid (uid_t)-1.
 */
void
pf_run_as(uid_t uid, gid_t gid)
{
	pf_run_uid = uid;
	pf_run_gid = gid;
}

/* pf_buf_read - append what fd has to buf (truncating); 0 at EOF. */
static int
pf_buf_read(int fd, char *buf, size_t size, size_t *len)
{
	char tmp[4096];
	ssize_t n;
	size_t room;

	n = read(fd, tmp, sizeof(tmp));
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 1 : 0;
	if (n == 0)
		return 0;
	if (buf != NULL && size > 0) {
		room = size - 1 - *len;
		if ((size_t)n < room)
			room = (size_t)n;
		memcpy(buf + *len, tmp, room);
		*len += room;
		buf[*len] = '\0';
	}
	return 1;
}

/*
 * pf_run2 - run preforkd with args to completion (at most 15 s, then it is
 * killed), its stdout in out and its stderr in err (or merged into out when
 * err is NULL).  0 when it exited and its output reached EOF; 1 when it
 * exited but something (a daemon it left) still held the output open a
 * second later; -1 when it had to be killed.
 */
int
pf_run2(const char *const *args, int *status, char *out, size_t outlen,
    char *err, size_t errlen)
{
	int po[2], pe[2] = { -1, -1 }, st = 0, exited = 0, r;
	size_t olen = 0, elen = 0;
	long deadline, exit_at = 0;
	struct pollfd pfd[2];
	char **argv;
	pid_t pid;

	pf_init();
	if (out != NULL && outlen > 0)
		out[0] = '\0';
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	argv = pf_argv(args, NULL);
	if (pipe2(po, O_CLOEXEC) < 0 ||
	    (err != NULL && pipe2(pe, O_CLOEXEC) < 0))
		sysbail("pipe");
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		sysbail("fork");
	if (pid == 0) {
		pf_child_setup();
		dup2(po[1], 1);
		dup2(err != NULL ? pe[1] : po[1], 2);
		pf_close_from();
		if (pf_run_uid != (uid_t)-1 && (setgroups(0, NULL) < 0 ||
		    setgid(pf_run_gid) < 0 || setuid(pf_run_uid) < 0)) {
			perror("pf_run_as");
			_exit(127);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	setpgid(pid, pid);
	pf_run_pid = pid;
	close(po[1]);
	if (err != NULL)
		close(pe[1]);
	pfd[0].fd = po[0];
	pfd[1].fd = pe[0];
	deadline = pf_now_ms() + PF_RUN_MS;
	for (;;) {
		pfd[0].events = pfd[1].events = POLLIN;
		pfd[0].revents = pfd[1].revents = 0;
		if (pfd[0].fd < 0 && pfd[1].fd < 0) {
			if (exited)
				break;
			pf_sleep_ms(PF_STEP_MS);
		} else
			poll(pfd, 2, PF_STEP_MS);
		if (pfd[0].fd >= 0 && (pfd[0].revents & (POLLIN | POLLHUP)) &&
		    !pf_buf_read(pfd[0].fd, out, outlen, &olen)) {
			close(pfd[0].fd);
			pfd[0].fd = -1;
		}
		if (pfd[1].fd >= 0 && (pfd[1].revents & (POLLIN | POLLHUP)) &&
		    !pf_buf_read(pfd[1].fd, err, errlen, &elen)) {
			close(pfd[1].fd);
			pfd[1].fd = -1;
		}
		if (!exited && waitpid(pid, &st, WNOHANG) == pid) {
			exited = 1;
			exit_at = pf_now_ms();
			pf_run_pid = 0;
		}
		if (exited && pfd[0].fd < 0 && pfd[1].fd < 0)
			break;
		if (exited && pf_now_ms() - exit_at > PF_RUN_EOF_GRACE_MS)
			break;
		if (!exited && pf_now_ms() > deadline) {
			killpg(pid, SIGKILL);
			kill(pid, SIGKILL);
			pf_reap_bounded(pid, 2000, &st);
			pf_run_pid = 0;
			diag("preforkd did not finish in %d ms: killed",
			    PF_RUN_MS);
			break;
		}
	}
	r = !exited ? -1 : (pfd[0].fd >= 0 || pfd[1].fd >= 0) ? 1 : 0;
	if (pfd[0].fd >= 0)
		close(pfd[0].fd);
	if (pfd[1].fd >= 0)
		close(pfd[1].fd);
	if (status != NULL)
		*status = exited ? st : -1;
	return r;
}

int
pf_run(const char *const *args, int *status, char *out, size_t outlen)
{
	return pf_run2(args, status, out, outlen, NULL, 0);
}

/* ------------------------------------------------------------- the log */

char *
pf_log(struct pf_daemon *d)
{
	return pf_file(d->error_log);
}

/* pf_log_line - a copy of the first log line containing needle, or NULL. */
char *
pf_log_line(struct pf_daemon *d, const char *needle)
{
	char *log, *p, *start, *end, *line = NULL;

	log = pf_log(d);
	p = strstr(log, needle);
	if (p != NULL) {
		for (start = p; start > log && start[-1] != '\n'; start--)
			;
		end = strchr(p, '\n');
		if (end == NULL)
			end = p + strlen(p);
		line = strndup(start, (size_t)(end - start));
	}
	free(log);
	return line;
}

/*
 * pf_line_is - 1 when line is exactly "TIMESTAMP IDENT[PID]: LEVEL: MESSAGE"
 * with TIMESTAMP as YYYY-MM-DDTHH:MM:SS.mmm+HH:MM (level NULL: any level,
 * message NULL: any message); else 0, and a diagnostic says what differs.
 */
int
pf_line_is(const char *line, const char *ident, pid_t pid, const char *level,
    const char *message)
{
	static const char ts[] = "^[0-9]{4}-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:"
	    "[0-5][0-9]:[0-6][0-9]\\.[0-9]{3}[+-][0-2][0-9]:[0-5][0-9] ";
	char *head, *rest;
	regex_t re;
	int match;

	if (line == NULL) {
		diag("no such log line");
		return 0;
	}
	if (regcomp(&re, ts, REG_EXTENDED | REG_NOSUB) != 0)
		bail("regcomp");
	match = regexec(&re, line, 0, NULL, 0) == 0;
	regfree(&re);
	if (!match) {
		diag("log line has no timestamp of the form "
		    "YYYY-MM-DDTHH:MM:SS.mmm+HH:MM: \"%s\"", line);
		return 0;
	}
	rest = strchr(line, ' ') + 1;
	head = tap_strdup_printf("%s[%ld]: ", ident, (long)pid);
	match = strncmp(rest, head, strlen(head)) == 0;
	if (match) {
		rest += strlen(head);
		if (level != NULL) {
			match = strncmp(rest, level, strlen(level)) == 0 &&
			    strncmp(rest + strlen(level), ": ", 2) == 0;
			rest += match ? strlen(level) + 2 : 0;
		} else {
			rest += strspn(rest, "abcdefghijklmnopqrstuvwxyz");
			match = strncmp(rest, ": ", 2) == 0;
			rest += 2;
		}
	}
	if (match && message != NULL)
		match = strcmp(rest, message) == 0;
	if (!match)
		diag("log line \"%s\"\n#   is not \"TIMESTAMP %s%s: %s\"", line,
		    head, level != NULL ? level : "LEVEL",
		    message != NULL ? message : "...");
	free(head);
	return match;
}

/* pf_log_wait - poll the log until it holds needle: 1, or 0 on timeout. */
int
pf_log_wait(struct pf_daemon *d, const char *needle, int timeout_ms)
{
	long deadline = pf_now_ms() + timeout_ms;
	char *log;
	int found;

	for (;;) {
		log = pf_log(d);
		found = strstr(log, needle) != NULL;
		free(log);
		if (found || pf_now_ms() >= deadline)
			return found;
		pf_sleep_ms(20);
	}
}

/*
 * pf_port_host - the port of "service NAME: listening on PROTO HOST:PORT"
 * in the log (HOST in brackets for IPv6; any host when host is NULL); the
 * first such line, or -1 when there is none after 2 s.
 */
int
pf_port_host(struct pf_daemon *d, const char *service, const char *proto,
    const char *host)
{
	long deadline = pf_now_ms() + 2000;
	char *log, *prefix, *p, *colon, *end;
	int port = -1;
	long v;

	prefix = tap_strdup_printf("service %s: listening on %s ", service,
	    proto);
	for (;;) {
		log = pf_log(d);
		for (p = log; port < 0 && (p = strstr(p, prefix)) != NULL;) {
			p += strlen(prefix);
			end = strchr(p, ' ');
			if (end == NULL)
				break;
			for (colon = end; colon > p && *colon != ':'; colon--)
				;
			if (*colon != ':')
				continue;
			if (host != NULL) {
				int v6 = strchr(host, ':') != NULL;
				size_t hl = strlen(host);

				if ((size_t)(colon - p) != hl + (v6 ? 2 : 0) ||
				    strncmp(p + v6, host, hl) != 0)
					continue;
			}
			v = strtol(colon + 1, NULL, 10);
			if (v > 0 && v < 65536)
				port = (int)v;
		}
		free(log);
		if (port > 0 || pf_now_ms() >= deadline)
			break;
		pf_sleep_ms(20);
	}
	free(prefix);
	return port;
}

int
pf_port(struct pf_daemon *d, const char *service, const char *proto)
{
	return pf_port_host(d, service, proto, NULL);
}

/* pf_show - the daemon's stderr and error log as diagnostics. */
void
pf_show(struct pf_daemon *d)
{
	const char *names[2] = { "stderr", "error log" };
	const char *paths[2] = { d->stderr_log, d->error_log };
	char *text, *line, *save = NULL;
	int i;

	for (i = 0; i < 2; i++) {
		text = pf_file(paths[i]);
		diag("---- preforkd %s (%s):", names[i], paths[i]);
		for (line = strtok_r(text, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save))
			diag("  %s", line);
		free(text);
	}
}

/* ----------------------------------------------------- signals, ending */

int
pf_kill(struct pf_daemon *d, int sig)
{
	if (d->pid <= 0 || d->reaped) {
		errno = ESRCH;
		return -1;
	}
	return kill(d->pid, sig);
}

/*
 * pf_wait_exit - poll until the master has exited: 0 (status set when it is
 * our child, -1 otherwise), or -1 after timeout_ms.
 */
int
pf_wait_exit(struct pf_daemon *d, int timeout_ms, int *status)
{
	long deadline = pf_now_ms() + timeout_ms;
	int st;

	if (status != NULL)
		*status = -1;
	for (;;) {
		if (d->child) {
			if (!d->reaped && waitpid(d->pid, &st, WNOHANG) ==
			    d->pid) {
				d->reaped = 1;
				d->status = st;
			}
			if (d->reaped) {
				if (status != NULL)
					*status = d->status;
				return 0;
			}
		} else if (!pf_proc_alive(d->pid))
			return 0;
		if (pf_now_ms() >= deadline)
			return -1;
		pf_sleep_ms(PF_STEP_MS);
	}
}

/* pf_stop - TERM the master, KILL it after 10 s: its wait status. */
int
pf_stop(struct pf_daemon *d)
{
	int st = -1;

	if (d->pid <= 0)
		return -1;
	if (d->child && d->reaped)
		return d->status;
	if (pf_kill(d, SIGTERM) == 0 && pf_wait_exit(d, 10000, &st) == 0)
		return st;
	diag("preforkd (pid %ld) ignored SIGTERM for 10 s: killing it",
	    (long)d->pid);
	pf_kill(d, SIGKILL);
	pf_wait_exit(d, 5000, &st);
	return st;
}

/* ------------------------------------------- counting, status, waiting */

/* pf_count - how many times needle occurs in text (non-overlapping). */
int
pf_count(const char *text, const char *needle)
{
	size_t nl = strlen(needle);
	const char *p;
	int n = 0;

	if (nl == 0)
		return 0;
	for (p = text; (p = strstr(p, needle)) != NULL; p += nl)
		n++;
	return n;
}

/* pf_log_count - how many times needle occurs in the error log now. */
int
pf_log_count(struct pf_daemon *d, const char *needle)
{
	char *log = pf_log(d);
	int n;

	n = pf_count(log, needle);
	free(log);
	return n;
}

/*
 * pf_log_wait_count - poll the log until needle occurs at least n times:
 * the count at the end (>= n, or what there was when timeout_ms passed).
 */
int
pf_log_wait_count(struct pf_daemon *d, const char *needle, int n,
    int timeout_ms)
{
	long deadline = pf_now_ms() + timeout_ms;
	int got;

	for (;;) {
		got = pf_log_count(d, needle);
		if (got >= n || pf_now_ms() >= deadline)
			return got;
		pf_sleep_ms(20);
	}
}

/* pf_wait_workers_min - poll until the master has at least n children. */
int
pf_wait_workers_min(struct pf_daemon *d, int n, int timeout_ms)
{
	long deadline = pf_now_ms() + timeout_ms;
	pid_t pids[256];
	int got;

	for (;;) {
		got = pf_workers(d, pids, 256);
		if (got >= n || pf_now_ms() >= deadline)
			return got;
		pf_sleep_ms(PF_STEP_MS);
	}
}

/* pf_exit_code - the exit code of a wait status; -1 if it did not exit. */
int
pf_exit_code(int status)
{
	if (status != -1 && WIFEXITED(status))
		return WEXITSTATUS(status);
	if (status == -1)
		diag("did not finish");
	else if (WIFSIGNALED(status))
		diag("killed by signal %d", WTERMSIG(status));
	return -1;
}

/* pf_exited_zero - whether a wait status is a plain exit 0 (diagnosed if not). */
int
pf_exited_zero(int status)
{
	int code = pf_exit_code(status);

	if (code > 0)
		diag("exit status %d", code);
	return code == 0;
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

/*
 * pf_status - run "preforkd -s status [--json] -c CONF" against d: its
 * exit code (-1 when it did not exit), stdout in out, stderr in err.
 */
int
pf_status(struct pf_daemon *d, int json, char *out, size_t outlen,
    char *err, size_t errlen)
{
	const char *plain[] = { "-s", "status", "-c", d->conf, NULL };
	const char *js[] = { "-s", "status", "--json", "-c", d->conf, NULL };
	int st = -1;

	if (pf_run2(json ? js : plain, &st, out, outlen, err, errlen) < 0)
		return -1;
	return pf_exit_code(st);
}

/* ------------------------------- reload, upgrade and systemd helpers */

/* pf_close_range - close every fd in [from, to). */
static void
pf_close_range(int from, int to)
{
	int fd;

	for (fd = from; fd < to; fd++)
		close(fd);
}

/*
 * pf_launch_with - pf_launch with another binary (bin; NULL is $PREFORKD)
 * and, when nfds > 0, the sockets fds passed as systemd passes them: at
 * fds 3.., LISTEN_FDS=nfds, LISTEN_PID set in the child to its own pid,
 * LISTEN_FDNAMES=fdnames when not NULL.  The rest of the environment is
 * ours (set NOTIFY_SOCKET around the call to pass it).
 */
pid_t
pf_launch_with(struct pf_daemon *d, const char *bin, const char *const *args,
    const int *fds, int nfds, const char *fdnames)
{
	const char *deflt[] = { "-f", "-c", d->conf, NULL };
	char **argv, num[32];
	long max = sysconf(_SC_OPEN_MAX);
	int high[64], base, fd, i;
	pid_t pid;

	if (nfds < 0 || nfds > 64)
		bail("pf_launch_with: %d fds", nfds);
	if (max < 0 || max > 65536)
		max = 65536;
	base = (int)max - 64;
	if (base < 3 + nfds)
		bail("pf_launch_with: open file limit %ld too low", max);
	argv = pf_argv(args != NULL ? args : deflt, d->dir);
	if (bin != NULL)
		argv[0] = (char *)bin;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		sysbail("fork");
	if (pid == 0) {
		pf_child_setup();
		fd = open(d->stderr_log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			if (fd > 2)
				close(fd);
		}
		/* Out of the way first, then into place from 3. */
		for (i = 0; i < nfds; i++)
			if ((high[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, base)) < 0)
				_exit(127);
		pf_close_range(3, base);
		for (i = 0; i < nfds; i++)
			if (dup2(high[i], 3 + i) < 0)
				_exit(127);
		pf_close_range(base, (int)max);
		unsetenv("LISTEN_FDS");
		unsetenv("LISTEN_PID");
		unsetenv("LISTEN_FDNAMES");
		if (nfds > 0) {
			snprintf(num, sizeof(num), "%d", nfds);
			setenv("LISTEN_FDS", num, 1);
			snprintf(num, sizeof(num), "%ld", (long)getpid());
			setenv("LISTEN_PID", num, 1);
			if (fdnames != NULL)
				setenv("LISTEN_FDNAMES", fdnames, 1);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	setpgid(pid, pid);
	d->pid = pid;
	d->child = 1;
	d->reaped = 0;
	return pid;
}

/*
 * pf_adopt_new - a second pf_daemon on like's directory, config and logs
 * for a master we did not start (the new master of a binary upgrade): it
 * is killed by pid at exit like any other.
 */
struct pf_daemon *
pf_adopt_new(const struct pf_daemon *like, pid_t pid)
{
	struct pf_daemon *d;

	d = calloc(1, sizeof(*d));
	if (d == NULL)
		sysbail("calloc");
	d->dir = strdup(like->dir);
	d->conf = strdup(like->conf);
	d->pid_file = strdup(like->pid_file);
	d->error_log = strdup(like->error_log);
	d->stderr_log = strdup(like->stderr_log);
	if (d->dir == NULL || d->conf == NULL || d->pid_file == NULL ||
	    d->error_log == NULL || d->stderr_log == NULL)
		sysbail("strdup");
	pf_register(d);
	pf_adopt(d, pid);
	return d;
}

/*
 * pf_wait_pid_change - poll until path holds a pid other than old: that
 * pid, or 0 after timeout_ms.
 */
pid_t
pf_wait_pid_change(const char *path, pid_t old, int timeout_ms)
{
	long deadline = pf_now_ms() + timeout_ms;
	pid_t pid;

	for (;;) {
		pid = pf_read_pid_file(path);
		if (pid > 0 && pid != old)
			return pid;
		if (pf_now_ms() >= deadline)
			return 0;
		pf_sleep_ms(PF_STEP_MS);
	}
}
