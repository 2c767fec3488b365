/*
 * daemon.c - the daemon under test: a temporary directory with its config,
 * pid file and logs; starting it (as our child with -f, with another
 * binary, with sockets passed as systemd passes them) and waiting until it
 * is ready; adopting a master we did not start; signalling and stopping it.
 * The cleanup that always follows is in cleanup.c.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic.h"
#include "daemon.h"
#include "harness.h"

#define PF_READY_MS		10000	/* pf_start's readiness bound */

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
	pid = pf_fork_child();
	if (pid == 0) {
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
