/*
 * ctl.c - "preforkd -s SIGNAL": find the running master through its pid
 * file and send it a signal; for stop and quit, wait until it is gone.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preforkd.h"

/* How long -s upgrade waits for the new master to be ready. */
#define CTL_UPGRADE_MS	30000

static const struct {
	const char	*name;
	int		 signo;
	int		 wait;		/* until the master is gone */
} ctl_table[] = {
	{ "stop",	SIGTERM,	1 },
	{ "quit",	SIGQUIT,	1 },
	{ "reload",	SIGHUP,		0 },
	{ "reopen",	SIGUSR1,	0 },
	{ "upgrade",	SIGUSR2,	0 },
	{ "status",	-1,		0 },	/* over the control socket */
};

/* ctl_valid - is name one of the -s commands? */
int
ctl_valid(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(ctl_table) / sizeof(ctl_table[0]); i++)
		if (strcmp(name, ctl_table[i].name) == 0)
			return 1;
	return 0;
}

/*
 * ctl_request - send one request line over the control socket and copy
 * the answer to stdout; with first, also keep its first bytes.  Bounded in
 * time: a stuck master cannot hang the command.
 */
static int
ctl_request(const struct conf *conf, const char *req, char *first,
    size_t firstlen)
{
	struct sockaddr_un sun;
	struct timeval tv = { 30, 0 };
	char buf[8192];
	size_t got = 0;
	ssize_t n;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s",
	    conf->control_socket);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		fprintf(stderr, "preforkd: cannot connect to the control "
		    "socket %s: %s%s\n", conf->control_socket, strerror(errno),
		    errno == ENOENT || errno == ECONNREFUSED ?
		    " (is preforkd running?)" : "");
		if (fd != -1)
			close(fd);
		return EXIT_RUNTIME;
	}
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
		fprintf(stderr, "preforkd: control socket %s: %s\n",
		    conf->control_socket, strerror(errno));
		close(fd);
		return EXIT_RUNTIME;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (first != NULL && got + 1 < firstlen) {
			size_t k = (size_t)n < firstlen - 1 - got ? (size_t)n :
			    firstlen - 1 - got;

			memcpy(first + got, buf, k);
			got += k;
			first[got] = '\0';
		}
		fwrite(buf, 1, (size_t)n, stdout);
	}
	close(fd);
	if (n == -1) {
		fprintf(stderr, "preforkd: control socket %s: %s\n",
		    conf->control_socket, strerror(errno));
		return EXIT_RUNTIME;
	}
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_RUNTIME;
}

/* ctl_wait_gone - poll until pid is gone or ms pass; 0 when gone. */
static int
ctl_wait_gone(pid_t pid, int64_t ms)
{
	int64_t deadline = now_ms() + ms;

	while (daemon_alive(pid)) {
		if (now_ms() >= deadline)
			return -1;
		poll(NULL, 0, 20);
	}
	return 0;
}

/*
 * ctl_upgrade - the whole binary upgrade: USR2 to the running master, wait
 * until the new master has written the pid file (it is ready), then QUIT
 * the old one and wait for it to finish its connections and go.
 */
static int
ctl_upgrade(const struct conf *conf, pid_t old)
{
	char err[512], *oldbin;
	struct stat st, before;
	const char *what;
	int64_t deadline;
	int started = 0;
	pid_t pid;

	if (stat(conf->pid_file, &before) == -1)
		memset(&before, 0, sizeof(before));
	if (kill(old, SIGUSR2) == -1) {
		fprintf(stderr, "preforkd: cannot send SIGUSR2 to pid %ld: %s\n",
		    (long)old, strerror(errno));
		return EXIT_RUNTIME;
	}
	if (asprintf(&oldbin, "%s.oldbin", conf->pid_file) == -1)
		return EXIT_RUNTIME;
	deadline = now_ms() + CTL_UPGRADE_MS;
	for (;;) {
		poll(NULL, 0, 50);
		if (access(oldbin, F_OK) == 0)
			started = 1;
		pid = daemon_pidfile_read(conf->pid_file, err, sizeof(err));
		if (pid > 0 && pid != old)
			break;
		what = NULL;
		/*
		 * A new binary that fails at once may come and go between two
		 * looks: its rename of the pid file back still shows, in the
		 * file's change time.
		 */
		if (stat(conf->pid_file, &st) == 0 &&
		    (st.st_ctim.tv_sec != before.st_ctim.tv_sec ||
		    st.st_ctim.tv_nsec != before.st_ctim.tv_nsec))
			started = 1;
		if (!daemon_alive(old))
			what = "the old master is gone, and no new master is "
			    "ready";
		else if (started && pid == old)
			what = "the new binary did not start (see the error "
			    "log); the old master goes on serving";
		else if (!started && now_ms() >= deadline - CTL_UPGRADE_MS +
		    5000)
			what = "the master did not start an upgrade (see the "
			    "error log)";
		else if (now_ms() >= deadline)
			what = "no new master is ready in time; the old master "
			    "goes on serving";
		if (what != NULL) {
			fprintf(stderr, "preforkd: upgrade of pid %ld failed: "
			    "%s\n", (long)old, what);
			free(oldbin);
			return EXIT_RUNTIME;
		}
	}
	free(oldbin);
	printf("preforkd: new master pid %ld is serving; stopping the old "
	    "master pid %ld gracefully\n", (long)pid, (long)old);
	fflush(stdout);
	if (kill(old, SIGQUIT) == -1 && errno != ESRCH) {
		fprintf(stderr, "preforkd: cannot send SIGQUIT to pid %ld: %s\n",
		    (long)old, strerror(errno));
		return EXIT_RUNTIME;
	}
	if (ctl_wait_gone(old, conf->shutdown_timeout * 1000LL + 5000) == -1) {
		fprintf(stderr, "preforkd: the old master pid %ld is still "
		    "running\n", (long)old);
		return EXIT_RUNTIME;
	}
	printf("preforkd: upgraded (pid %ld)\n", (long)pid);
	return EXIT_OK;
}

/*
 * ctl_send - carry out "-s name" against the master of conf; returns the
 * exit status and prints the outcome in one line.
 */
int
ctl_send(const struct conf *conf, const char *name, int json)
{
	char err[512], first[16];
	size_t i;
	pid_t pid;
	int rc;

	for (i = 0; i < sizeof(ctl_table) / sizeof(ctl_table[0]); i++)
		if (strcmp(name, ctl_table[i].name) == 0)
			break;
	if (i == sizeof(ctl_table) / sizeof(ctl_table[0])) {
		fprintf(stderr, "preforkd: -s: unknown command \"%s\"\n", name);
		return EXIT_USAGE;
	}
	if (ctl_table[i].signo == -1 || (ctl_table[i].signo == SIGHUP &&
	    conf->control_socket != NULL)) {
		if (conf->control_socket == NULL) {
			fprintf(stderr, "preforkd: -s %s needs the control "
			    "socket, and control_socket is \"off\" in %s\n",
			    name, conf->file);
			return EXIT_RUNTIME;
		}
		if (ctl_table[i].signo == -1)
			return ctl_request(conf, json ? "status json\n" :
			    "status\n", NULL, 0);
		/* reload: the master answers with the outcome. */
		if ((rc = ctl_request(conf, "reload\n", first,
		    sizeof(first))) != EXIT_OK)
			return rc;
		return strncmp(first, "reloaded", 8) == 0 ? EXIT_OK :
		    EXIT_RUNTIME;
	}
	if ((pid = daemon_pidfile_read(conf->pid_file, err, sizeof(err))) ==
	    -1) {
		fprintf(stderr, "preforkd: %s\n", err);
		return EXIT_RUNTIME;
	}
	if (ctl_table[i].signo == SIGUSR2)
		return ctl_upgrade(conf, pid);
	if (kill(pid, ctl_table[i].signo) == -1) {
		fprintf(stderr, "preforkd: cannot send %s to pid %ld: %s%s\n",
		    sig_name(ctl_table[i].signo), (long)pid, strerror(errno),
		    errno == EPERM ? " (run this as root or as the user "
		    "that started preforkd)" : "");
		return EXIT_RUNTIME;
	}
	if (!ctl_table[i].wait) {
		printf("preforkd: sent %s to pid %ld\n",
		    sig_name(ctl_table[i].signo), (long)pid);
		return EXIT_OK;
	}
	if (ctl_wait_gone(pid, 5000 + (ctl_table[i].signo == SIGQUIT ?
	    conf->shutdown_timeout * 1000LL : FAST_STOP_GRACE_MS)) == -1) {
		fprintf(stderr, "preforkd: pid %ld is still running after %s\n",
		    (long)pid, sig_name(ctl_table[i].signo));
		return EXIT_RUNTIME;
	}
	printf("preforkd: stopped (pid %ld)\n", (long)pid);
	return EXIT_OK;
}
