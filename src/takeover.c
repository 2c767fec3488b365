/*
 * takeover.c - the master's side of a binary upgrade (USR2): hand the
 * sockets to a new master (upgrade.c starts it), take the pid file back
 * when it dies first, and never shut down a socket the other master
 * still serves.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preforkd.h"
#include "master.h"

/* How many sockets an upgrade hands over at most. */
#define UPGRADE_SOCKETS_MAX	1024

/*
 * upgrade_begin - USR2: start the new binary as a new master that takes
 * over our listening sockets (and the control socket).  We keep serving
 * until told otherwise (WINCH stops our workers, QUIT ends us).
 */
void
upgrade_begin(void)
{
	int fds[UPGRADE_SOCKETS_MAX], n = 0, k;
	char *names[UPGRADE_SOCKETS_MAX];
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
			if (l->fd == -1 || n == UPGRADE_SOCKETS_MAX - 1)
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
		master.successor = master.pt.successor = pid;
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
