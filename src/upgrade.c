/*
 * upgrade.c - binary upgrade, nginx style: on USR2 the master forks and
 * execs its own binary (the path it was started from, resolved at start)
 * with the listening sockets passed as socket activation passes them
 * (fds from 3, LISTEN_FDS, LISTEN_PID, LISTEN_FDNAMES) plus
 * PREFORKD_UPGRADE, and renames its pid file to pid_file.oldbin.  The new
 * master takes the sockets over and writes pid_file; if it dies first,
 * the old one puts its pid file back and goes on serving.  Both sides are
 * here: starting the new binary with the sockets (upgrade_start), and the
 * master's part (upgrade_begin, upgrade_failed, upgrade_hand_over): which
 * sockets go, and never shutting down one the other master still serves.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preforkd.h"
#include "master.h"

/* How many sockets an upgrade hands over at most. */
#define UPGRADE_FDS_MAX		1024

static char	self[PATH_MAX];		/* our binary, absolute */

/*
 * upgrade_init - remember which binary we are, as an absolute path, while
 * argv[0] and the current directory still mean what they meant at start.
 */
void
upgrade_init(const char *argv0)
{
	ssize_t n;

#ifdef __linux__
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		/* A binary replaced on disk shows " (deleted)": use the name. */
		if (n > 10 && strcmp(self + n - 10, " (deleted)") == 0)
			self[n - 10] = '\0';
		return;
	}
#else
	(void)n;
#endif
	if (strchr(argv0, '/') == NULL || realpath(argv0, self) == NULL)
		snprintf(self, sizeof(self), "%s", argv0);
}

/* upgrade_binary - the path USR2 will exec. */
const char *
upgrade_binary(void)
{
	return self;
}

/*
 * upgrade_exec - in the freshly forked child: put fds[0..n-1] at 3.., set
 * the environment, and exec the binary.  Never returns.
 */
static void __attribute__((noreturn))
upgrade_exec(const int *fds, const char *const *names, int n,
    const char *conf_path, const char *start_dir, int foreground, pid_t old)
{
	char buf[32], *fdnames;
	size_t len = 1;
	int i, high[UPGRADE_FDS_MAX], base;
	char *argv[6];
	int ac = 0;

	/* Move every fd out of the way first, then into place. */
	base = LISTEN_FDS_START_FD + n + 16;
	for (i = 0; i < n; i++)
		if ((high[i] = fcntl(fds[i], F_DUPFD, base)) == -1)
			_exit(127);
	for (i = 0; i < n; i++) {
		if (dup2(high[i], LISTEN_FDS_START_FD + i) == -1)
			_exit(127);
		close(high[i]);
		if (fd_cloexec(LISTEN_FDS_START_FD + i, 0) == -1)
			_exit(127);
	}
	for (i = 0; i < n; i++)
		len += strlen(names[i]) + 1;
	if ((fdnames = calloc(1, len)) == NULL)
		_exit(127);
	for (i = 0; i < n; i++) {
		if (i > 0)
			strcat(fdnames, ":");
		strcat(fdnames, names[i]);
	}
	snprintf(buf, sizeof(buf), "%d", n);
	setenv("LISTEN_FDS", buf, 1);
	snprintf(buf, sizeof(buf), "%ld", (long)getpid());
	setenv("LISTEN_PID", buf, 1);
	setenv("LISTEN_FDNAMES", fdnames, 1);
	snprintf(buf, sizeof(buf), "%ld", (long)old);
	setenv("PREFORKD_UPGRADE", buf, 1);
	if (notify_socket() != NULL)
		setenv("NOTIFY_SOCKET", notify_socket(), 1);

	/* Relative paths in the config mean what they meant at start. */
	if (chdir(start_dir) == -1)
		log_warning("upgrade: chdir %s: %s", start_dir, strerror(errno));
	argv[ac++] = self;
	if (foreground)
		argv[ac++] = "-f";
	argv[ac++] = "-c";
	argv[ac++] = (char *)conf_path;
	argv[ac] = NULL;
	sig_block(0);
	execv(self, argv);
	log_error("upgrade: cannot execute %s: %s", self, strerror(errno));
	_exit(127);
}

/*
 * upgrade_start - fork and exec the new master with these listening
 * sockets.  Returns its pid, or -1 (logged, nothing changed).
 */
pid_t
upgrade_start(const int *fds, const char *const *names, int n,
    const char *conf_path, const char *start_dir, int foreground)
{
	pid_t pid, old = getpid();

	if (n > UPGRADE_FDS_MAX) {
		log_error("upgrade: too many sockets (%d)", n);
		return -1;
	}
	if (access(self, X_OK) == -1) {
		log_error("upgrade: cannot execute %s: %s", self,
		    strerror(errno));
		return -1;
	}
	if (daemon_pidfile_rename_oldbin() == -1) {
		log_error("upgrade: cannot rename the pid file: %s",
		    strerror(errno));
		return -1;
	}
	sig_block(1);
	pid = fork();
	if (pid == 0) {
		sig_reset_child();
		master_priority_child();
		upgrade_exec(fds, names, n, conf_path, start_dir, foreground,
		    old);
	}
	sig_block(0);
	if (pid == -1) {
		log_error("upgrade: fork: %s", strerror(errno));
		daemon_pidfile_restore();
		return -1;
	}
	log_notice("upgrade: started %s as pid %ld with %d sockets; the pid "
	    "file of this master (pid %ld) is now .oldbin", self, (long)pid,
	    n, (long)old);
	return pid;
}

/*
 * upgrade_begin - USR2: start the new binary as a new master that takes
 * over our listening sockets (and the control socket).  We keep serving
 * until told otherwise (WINCH stops our workers, QUIT ends us).
 */
void
upgrade_begin(void)
{
	int fds[UPGRADE_FDS_MAX], n = 0, k;
	char *names[UPGRADE_FDS_MAX];
	struct listener *l;
	size_t i, j;
	pid_t pid;

	if (master.successor > 0) {
		log_warning("received SIGUSR2: an upgrade is already under way "
		    "(new master pid %ld)", (long)master.successor);
		return;
	}
	for (i = 0; i < master.nsvc; i++) {
		for (j = 0; j < master.svc[i].nlisteners; j++) {
			l = &master.svc[i].listeners[j];
			if (l->fd == -1 || n == UPGRADE_FDS_MAX - 1)
				continue;
			/* Sockets of systemd's stay systemd's after us. */
			if (asprintf(&names[n], "%s%s", master.svc[i].conf->name,
			    l->shared ? "@shared" : "") == -1)
				goto done;
			fds[n++] = l->fd;
		}
	}
	if (control_fd() != -1) {
		if ((names[n] = strdup(CONTROL_FDNAME)) == NULL)
			goto done;
		fds[n++] = control_fd();
	}
	log_notice("received SIGUSR2: upgrading to %s", upgrade_binary());
	pid = upgrade_start(fds, (const char *const *)names, n, master.conf_path,
	    master.start_dir, master.foreground);
	if (pid != -1) {
		char line[256];

		master.successor = master.pt.successor = pid;
		snprintf(line, sizeof(line), "reload: the control socket "
		    "passes to the new master of an upgrade (pid %ld); this "
		    "master (pid %ld) goes on with the reload: see its error "
		    "log\n", (long)pid, (long)master.pid);
		control_waiters_say(line, 1);
		/* The new master answers -s status and -s reload now. */
		control_release();
	}
done:
	for (k = 0; k < n; k++)
		free(names[k]);
}

/*
 * upgrade_failed - the new master died before us: take our pid file
 * back and keep serving (and tell systemd who the main process is).
 */
void
upgrade_failed(int status)
{
	char how[96], err[512];

	log_error("upgrade: the new master %ld %s; this master (pid %ld) "
	    "goes on serving", (long)master.successor,
	    spawn_exit_text(status, how, sizeof(how)), (long)master.pid);
	master.successor = master.pt.successor = 0;
	daemon_pidfile_restore();
	if (master.conf->control_socket != NULL && control_fd() == -1 &&
	    control_open(master.conf->control_socket, err, sizeof(err)) == -1)
		log_error("upgrade: %s", err);
	notify_send("MAINPID=%ld\nREADY=1\nSTATUS=upgrade failed; running "
	    "generation %u", (long)master.pid, master.generation);
}

/*
 * upgrade_hand_over - while stopping with the other master of an upgrade
 * alive (the new one, or the old one we would hand back to), the sockets
 * belong to it too: never shut them down or remove their files.  1 if so.
 */
int
upgrade_hand_over(void)
{
	size_t i, j;

	if (!daemon_alive(master.successor) && !daemon_alive(master.predecessor))
		return 0;
	for (i = 0; i < master.nsvc; i++)
		for (j = 0; j < master.svc[i].nlisteners; j++)
			master.svc[i].listeners[j].shared = 1;
	control_disown();
	return 1;
}
