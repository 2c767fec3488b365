/*
 * daemon.c - becoming a daemon: detaching with a readiness pipe back to the
 * launcher, the locked pid file (written last, as the readiness signal),
 * and dropping a worker's privileges before its first accept().
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preforkd.h"

/* The line the daemon sends the launcher once it is ready. */
#define READY_LINE	"\001ready\n"

static int	 ready_fd = -1;		/* write end, in the daemon */
static int	 pidfile_fd = -1;
static char	*pidfile_path;

/*
 * daemon_launcher - in the launching process: copy what the daemon says
 * to stderr until it is ready (exit 0) or gone without being ready (exit 1).
 */
static void __attribute__((noreturn))
daemon_launcher(int fd, pid_t child)
{
	char buf[4096];
	size_t len = 0, rl = sizeof(READY_LINE) - 1;
	ssize_t n;
	char *nl;

	for (;;) {
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		/* Pass whole lines on, holding back a partial one. */
		while ((nl = memchr(buf, '\n', len)) != NULL) {
			size_t line = (size_t)(nl - buf) + 1;

			if (line == rl && memcmp(buf, READY_LINE, rl) == 0) {
				/* Done: workers may still hold the pipe open. */
				fflush(stderr);
				_exit(EXIT_OK);
			}
			fwrite(buf, 1, line, stderr);
			memmove(buf, buf + line, len - line);
			len -= line;
		}
		if (len == sizeof(buf) - 1) {
			fwrite(buf, 1, len, stderr);
			len = 0;
		}
	}
	fwrite(buf, 1, len, stderr);
	/* Reap it if it died; a daemon still starting is left alone. */
	waitpid(child, NULL, WNOHANG);
	fprintf(stderr, "preforkd: the daemon did not start\n");
	fflush(stderr);
	_exit(EXIT_RUNTIME);
}

/*
 * daemon_start - detach: the caller continues as the daemon (new session,
 * cwd /, umask 022, stdio on /dev/null) while the launching process waits
 * and exits only when daemon_ready() is called or the daemon dies.
 */
int
daemon_start(void)
{
	int fds[2], null;
	pid_t pid;

	if (pipe(fds) == -1)
		return -1;
	fflush(NULL);
	if ((pid = fork()) == -1) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid > 0) {
		close(fds[1]);
		daemon_launcher(fds[0], pid);
	}
	close(fds[0]);
	/* Not for the workers' programs: the launcher waits for its EOF. */
	if (fd_cloexec(fds[1], 1) == -1)
		return -1;
	ready_fd = fds[1];
	log_set_role(NULL);	/* our pid changed */
	log_set_startup_fd(ready_fd);

	if (setsid() == -1)
		return -1;
	if (chdir("/") == -1)
		return -1;
	umask(022);
	if ((null = open("/dev/null", O_RDWR)) == -1)
		return -1;
	dup2(null, STDIN_FILENO);
	dup2(null, STDOUT_FILENO);
	dup2(null, STDERR_FILENO);
	if (null > STDERR_FILENO)
		close(null);
	return 0;
}

/* daemon_ready - tell the launcher (if any) that we serve; stop copying. */
void
daemon_ready(void)
{
	ssize_t n;

	log_set_startup_fd(-1);
	if (ready_fd == -1)
		return;
	n = write(ready_fd, READY_LINE, sizeof(READY_LINE) - 1);
	(void)n;
	close(ready_fd);
	ready_fd = -1;
}

/* daemon_pidfile_parse - the pid in an open pid file, or 0. */
static pid_t
daemon_pidfile_parse(int fd)
{
	char buf[32];
	ssize_t n;
	long pid;
	char *end;

	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	pid = strtol(buf, &end, 10);
	if (end == buf || pid <= 0 || pid > INT_MAX)
		return 0;
	return (pid_t)pid;
}

/*
 * daemon_pidfile_lock - create and lock the pid file for the life of this
 * master.  The lock, not the pid in the file, tells whether a master is
 * alive: a stale file of a dead run is simply taken over, and a recycled
 * pid can never be mistaken for preforkd.  The file is opened as file.c
 * opens what root writes (no symbolic link, a regular file only), and one
 * that someone else owns is refused: whoever can write the pid file
 * chooses the process that "preforkd -s stop" signals.
 */
int
daemon_pidfile_lock(const char *path, char *err, size_t errlen)
{
	struct stat st;
	int created, e;
	pid_t other;

	pidfile_fd = file_open(path, O_RDWR, 0644, &created);
	if (pidfile_fd == -1) {
		snprintf(err, errlen, "cannot open pid file %s: %s", path,
		    file_error_at(path, errno));
		return -1;
	}
	if (fstat(pidfile_fd, &st) == -1) {
		snprintf(err, errlen, "cannot stat pid file %s: %s", path,
		    strerror(errno));
		goto fail;
	}
	if (st.st_uid != geteuid()) {
		snprintf(err, errlen, "cannot use pid file %s: it belongs to "
		    "uid %ld, not to us (uid %ld); remove it if no preforkd "
		    "runs with it", path, (long)st.st_uid, (long)geteuid());
		goto fail;
	}
	if (flock(pidfile_fd, LOCK_EX | LOCK_NB) == -1) {
		/* Read before the pid file is: its read() may change errno. */
		e = errno;
		other = daemon_pidfile_parse(pidfile_fd);
		errno = e;
		if (errno == EWOULDBLOCK && other > 0)
			snprintf(err, errlen, "preforkd is already running "
			    "(pid %ld holds the pid file %s)", (long)other,
			    path);
		else if (errno == EWOULDBLOCK)
			snprintf(err, errlen, "preforkd is already starting "
			    "(another process holds the pid file %s)", path);
		else
			snprintf(err, errlen, "cannot lock pid file %s: %s",
			    path, strerror(errno));
		goto fail;
	}
	/* Ours now: writable by us alone, whatever it was left with. */
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 && fchmod(pidfile_fd,
	    st.st_mode & 0755) == -1) {
		snprintf(err, errlen, "cannot chmod pid file %s: %s", path,
		    strerror(errno));
		goto fail;
	}
	if ((pidfile_path = strdup(path)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	return 0;

fail:
	close(pidfile_fd);
	pidfile_fd = -1;
	return -1;
}

/* daemon_pidfile_write - put our pid in the locked pid file. */
int
daemon_pidfile_write(void)
{
	char buf[32];
	ssize_t w;
	int n;

	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(pidfile_fd, 0) == -1)
		return -1;
	if ((w = pwrite(pidfile_fd, buf, (size_t)n, 0)) == -1)
		return -1;
	if (w != n) {
		errno = ENOSPC;		/* a short write: the disk is full */
		return -1;
	}
	return 0;
}

/*
 * daemon_pidfile_remove - at exit: remove the pid file, if the name is
 * still our file (not one put in its place), and drop the lock.
 */
void
daemon_pidfile_remove(void)
{
	if (pidfile_fd == -1)
		return;
	if (pidfile_path != NULL && file_same(pidfile_path, pidfile_fd))
		unlink(pidfile_path);
	close(pidfile_fd);
	pidfile_fd = -1;
	free(pidfile_path);
	pidfile_path = NULL;
}

/*
 * daemon_pidfile_rename_oldbin - USR2: our pid file becomes pid_file.oldbin
 * (the lock goes with it), making room for the new master's.  rename()
 * follows no symbolic link: one planted at pid_file.oldbin is replaced.
 */
int
daemon_pidfile_rename_oldbin(void)
{
	char *old;

	if (pidfile_path == NULL)
		return 0;
	if (asprintf(&old, "%s.oldbin", pidfile_path) == -1)
		return -1;
	if (rename(pidfile_path, old) == -1) {
		free(old);
		return -1;
	}
	free(pidfile_path);
	pidfile_path = old;
	return 0;
}

/*
 * daemon_pidfile_restore - the upgrade failed: pid_file.oldbin becomes
 * pid_file again, unless a live master already holds that name.
 */
void
daemon_pidfile_restore(void)
{
	size_t n;
	char *orig;
	int fd;

	if (pidfile_path == NULL || (n = strlen(pidfile_path)) < 7 ||
	    strcmp(pidfile_path + n - 7, ".oldbin") != 0)
		return;
	if ((orig = strndup(pidfile_path, n - 7)) == NULL)
		return;
	/* Not through a link, not blocking on a FIFO planted there. */
	if ((fd = file_open(orig, O_RDONLY, 0, NULL)) != -1) {
		if (flock(fd, LOCK_SH | LOCK_NB) == -1) {
			close(fd);	/* a live master has it: keep .oldbin */
			free(orig);
			return;
		}
		close(fd);
	}
	if (rename(pidfile_path, orig) == -1) {
		free(orig);
		return;
	}
	free(pidfile_path);
	pidfile_path = orig;
}

/* daemon_child_close - in a forked worker: close the master's private fds. */
PF_START void
daemon_child_close(void)
{
	if (pidfile_fd != -1)
		close(pidfile_fd);
	if (ready_fd != -1)
		close(ready_fd);
}

/*
 * daemon_pidfile_read - the pid of the live master behind path, or -1 with
 * the reason in err.  Live means the pid file is locked.  Only a regular
 * file that root or the caller owns, writable by its owner alone, is
 * believed: its pid is about to be signalled.
 */
pid_t
daemon_pidfile_read(const char *path, char *err, size_t errlen)
{
	struct stat st;
	pid_t pid;
	int fd;

	if ((fd = file_open(path, O_RDONLY, 0, NULL)) == -1) {
		if (errno == ENOENT)
			snprintf(err, errlen, "not running (no pid file %s)",
			    path);
		else
			snprintf(err, errlen, "cannot open pid file %s: %s",
			    path, file_error(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		snprintf(err, errlen, "cannot stat pid file %s: %s", path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	if ((st.st_uid != 0 && st.st_uid != geteuid()) ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		snprintf(err, errlen, "not trusting pid file %s: it belongs "
		    "to uid %ld with mode %04o (it must be root's or yours, "
		    "and writable by its owner only)", path, (long)st.st_uid,
		    (unsigned)(st.st_mode & 07777));
		close(fd);
		return -1;
	}
	pid = daemon_pidfile_parse(fd);
	if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
		if (pid > 0)
			snprintf(err, errlen, "not running (stale pid file "
			    "%s: pid %ld is not a running preforkd)", path,
			    (long)pid);
		else
			snprintf(err, errlen, "not running (stale pid file "
			    "%s)", path);
		close(fd);
		return -1;
	}
	close(fd);
	if (pid <= 0) {
		snprintf(err, errlen, "not ready (pid file %s is empty: the "
		    "master is still starting)", path);
		return -1;
	}
	return pid;
}

/*
 * daemon_alive - is process pid alive?  A zombie (dead, not yet reaped by
 * a parent that does not reap) is not.
 */
int
daemon_alive(pid_t pid)
{
#ifdef __linux__
	char path[64], buf[256], *p;
	ssize_t n;
	int fd;
#endif

	if (pid <= 0 || (kill(pid, 0) == -1 && errno != EPERM))
		return 0;
#ifdef __linux__
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 1;
	buf[n] = '\0';
	/* "pid (comm) S ...": the state follows the last ')'. */
	if ((p = strrchr(buf, ')')) != NULL && p[1] == ' ' && p[2] == 'Z')
		return 0;
#endif
	return 1;
}

/*
 * daemon_drop_privileges - in a worker of service svc started as root:
 * become its user and group (conf_service_user) for good, and prove it
 * cannot come back.  No user, or root (uid 0), keeps the worker as root.
 */
PF_START int
daemon_drop_privileges(const struct conf *conf,
    const struct conf_service *svc, char *err, size_t errlen)
{
	const char *user;
	uid_t uid;
	gid_t gid;

	if (geteuid() != 0 ||
	    (user = conf_service_user(conf, svc, &uid, &gid)) == NULL ||
	    uid == 0)
		return 0;
	if (setgroups(1, &gid) == -1) {
		snprintf(err, errlen, "setgroups(%ld): %s", (long)gid,
		    strerror(errno));
		return -1;
	}
	if (setgid(gid) == -1) {
		snprintf(err, errlen, "setgid(%ld): %s", (long)gid,
		    strerror(errno));
		return -1;
	}
	if (setuid(uid) == -1) {
		snprintf(err, errlen, "setuid(%ld) for user %s: %s",
		    (long)uid, user, strerror(errno));
		return -1;
	}
	if (getuid() != uid || geteuid() != uid || getgid() != gid ||
	    getegid() != gid || setuid(0) != -1) {
		snprintf(err, errlen, "privileges were not dropped to user "
		    "%s (uid %ld, gid %ld)", user, (long)uid, (long)gid);
		return -1;
	}
	return 0;
}

/*
 * daemon_log_users - at start and after a reload: say which services run
 * as root because their configuration says user = "root", and which
 * service users are ignored because preforkd was not started as root.
 */
void
daemon_log_users(const struct conf *conf)
{
	const struct conf_service *svc;
	size_t i;

	for (i = 0; i < conf->nservices; i++) {
		svc = &conf->services[i];
		if (svc->user == NULL)
			continue;
		if (geteuid() != 0)
			log_notice("service %s: user \"%s\" is ignored: "
			    "preforkd was not started as root", svc->name,
			    svc->user);
		else if (svc->uid == 0)
			log_notice("service %s: workers run as root (user = "
			    "\"root\" on this service)", svc->name);
	}
}
