/*
 * stop.c - stopping: fast (TERM, INT: the workers get TERM, KILL after
 * a short grace) or graceful (QUIT: the listeners are shut down so new
 * clients are refused at once, the workers finish their connection).
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

/* stop_listeners - close our listeners; shut them down if graceful. */
void
stop_listeners(int graceful)
{
	size_t i, j;

	for (i = 0; i < master.nsvc; i++) {
		for (j = 0; j < master.svc[i].nlisteners; j++) {
			struct listener *l = &master.svc[i].listeners[j];

			/*
			 * Our close alone would not stop the workers' copies
			 * from accepting; shutdown() stops the socket itself,
			 * so new connections are refused at once while the
			 * connections already accepted go on.
			 */
			if (graceful && l->fd != -1 && !l->shared &&
			    l->addr.proto != PROTO_UDP)
				shutdown(l->fd, SHUT_RDWR);
			listen_close(l);
		}
	}
}

/* stop_begin - begin a fast (TERM) or graceful (QUIT) stop. */
void
stop_begin(int signo, int graceful)
{
	if (master.state == MASTER_STOPPING && graceful)
		return;		/* already stopping, at least as fast */
	if (graceful)
		log_notice("received %s: graceful stop (up to %d s)",
		    sig_name(signo), master.conf->shutdown_timeout);
	else
		log_notice("received %s: fast stop", sig_name(signo));
	master.state = MASTER_STOPPING;
	/* After an upgrade the service goes on: systemd must not hear MASTER_STOPPING. */
	if (!upgrade_hand_over())
		notify_send("STOPPING=1\nSTATUS=%s stop", graceful ?
		    "graceful" : "fast");
	reload_interrupted("preforkd is stopping");
	/*
	 * Workers first: an idle worker exits before it could see the
	 * shut-down listener.  Thousands are told a batch per turn
	 * (spawn_sweep); the listeners go once all are (stop_step).
	 */
	spawn_signal_all(graceful ? SIGQUIT : SIGTERM);
	master.stop_graceful = graceful;
	master.stop_listening = 1;
	stop_step();
	master.deadline = now_ms() + (graceful ? master.conf->shutdown_timeout * 1000LL :
	    FAST_STOP_GRACE_MS);
	master.killed = 0;
}

/* stop_step - each turn of a stop: once every worker has its signal, the listeners go. */
void
stop_step(void)
{
	if (!master.stop_listening || master.sweep_signo != 0)
		return;
	stop_listeners(master.stop_graceful);
	master.stop_listening = 0;
}
