/*
 * sdserver.c - a socket-activation-aware server for the exec mode "worker"
 * tests, written as systemd's sd_listen_fds(3) expects such programs:
 * it checks LISTEN_PID against its own pid, takes LISTEN_FDS sockets from
 * fd 3, and accepts on them itself.  Every client first gets one line,
 *	sdserver pid PID fds N names NAMES
 * then its lines echoed back; a datagram gets that line as the reply.
 * QUIT: finish the current client, then exit 0.  TERM: exit at once.
 * With a bad environment it says why on stderr and exits 3.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SD_LISTEN_FDS_START	3
#define SD_MAX_FDS		16

static volatile sig_atomic_t	quit;

static void
on_quit(int signo)
{
	(void)signo;
	quit = 1;
}

static void
serve(int fd, const char *hello)
{
	char buf[4096];
	ssize_t n;
	int flags;

	/* Accepted sockets may inherit O_NONBLOCK from the listener. */
	flags = fcntl(fd, F_GETFL);
	if (flags != -1)
		fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
	if (write(fd, hello, strlen(hello)) < 0)
		return;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (write(fd, buf, (size_t)n) != n)
			return;
}

int
main(void)
{
	struct pollfd pfd[SD_MAX_FDS];
	struct sigaction sa;
	struct sockaddr_storage ss;
	socklen_t sslen;
	const char *pid_s, *fds_s, *names;
	char hello[512], buf[2048];
	int nfds, i, fd, type;
	socklen_t tlen;
	ssize_t n;

	pid_s = getenv("LISTEN_PID");
	fds_s = getenv("LISTEN_FDS");
	names = getenv("LISTEN_FDNAMES");
	if (pid_s == NULL || fds_s == NULL) {
		fprintf(stderr, "sdserver: LISTEN_PID or LISTEN_FDS not set\n");
		return 3;
	}
	if (atol(pid_s) != (long)getpid()) {
		fprintf(stderr, "sdserver: LISTEN_PID %s is not my pid %ld\n",
		    pid_s, (long)getpid());
		return 3;
	}
	nfds = atoi(fds_s);
	if (nfds < 1 || nfds > SD_MAX_FDS) {
		fprintf(stderr, "sdserver: LISTEN_FDS=%s\n", fds_s);
		return 3;
	}
	for (i = 0; i < nfds; i++) {
		fd = SD_LISTEN_FDS_START + i;
		if (fcntl(fd, F_GETFD) == -1 || (fcntl(fd, F_GETFD) &
		    FD_CLOEXEC) != 0) {
			fprintf(stderr, "sdserver: fd %d not passed right\n",
			    fd);
			return 3;
		}
		pfd[i].fd = fd;
		pfd[i].events = POLLIN;
	}
	/* Nothing but the passed sockets above stderr. */
	if (fcntl(SD_LISTEN_FDS_START + nfds, F_GETFD) != -1) {
		fprintf(stderr, "sdserver: fd %d leaked to me\n",
		    SD_LISTEN_FDS_START + nfds);
		return 3;
	}
	snprintf(hello, sizeof(hello), "sdserver pid %ld fds %d names %s "
	    "path %s\n", (long)getpid(), nfds, names != NULL ? names : "-",
	    getenv("PATH") != NULL ? getenv("PATH") : "-");

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_quit;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGQUIT, &sa, NULL);	/* no SA_RESTART: poll returns */
	signal(SIGPIPE, SIG_IGN);
	fprintf(stderr, "sdserver %ld: serving %d sockets\n", (long)getpid(),
	    nfds);

	while (!quit) {
		if (poll(pfd, (nfds_t)nfds, -1) == -1) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		for (i = 0; i < nfds && !quit; i++) {
			if (pfd[i].revents == 0)
				continue;
			tlen = sizeof(type);
			if (getsockopt(pfd[i].fd, SOL_SOCKET, SO_TYPE, &type,
			    &tlen) == -1)
				return 1;
			if (type == SOCK_DGRAM) {
				sslen = sizeof(ss);
				n = recvfrom(pfd[i].fd, buf, sizeof(buf), 0,
				    (struct sockaddr *)&ss, &sslen);
				if (n >= 0)
					sendto(pfd[i].fd, hello, strlen(hello),
					    0, (struct sockaddr *)&ss, sslen);
				continue;
			}
			fd = accept(pfd[i].fd, NULL, NULL);
			if (fd == -1) {
				if (errno == EAGAIN || errno == EWOULDBLOCK ||
				    errno == EINTR || errno == ECONNABORTED)
					continue;
				/* Shut down by the master: we are done. */
				fprintf(stderr, "sdserver %ld: accept: %s; "
				    "exiting\n", (long)getpid(),
				    strerror(errno));
				return 0;
			}
			serve(fd, hello);
			close(fd);
		}
	}
	fprintf(stderr, "sdserver %ld: QUIT: exiting\n", (long)getpid());
	return 0;
}
