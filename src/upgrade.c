/*
 * upgrade.c - binary upgrade, nginx style: on USR2 the master forks and
 * execs its own binary (the path it was started from, resolved at start)
 * with the listening sockets passed as socket activation passes them
 * (fds from 3, LISTEN_FDS, LISTEN_PID, LISTEN_FDNAMES) plus
 * PREFORKD_UPGRADE, and renames its pid file to pid_file.oldbin.  The new
 * master takes the sockets over and writes pid_file; if it dies first,
 * the old one puts its pid file back and goes on serving.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preforkd.h"

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
