/*
 * stop.c - stopping: fast (TERM, INT: the workers get TERM, KILL after
 * a short grace) or graceful (QUIT: the listeners are shut down so new
 * clients are refused at once, the workers finish their connection).
 *
 * A graceful stop leaves the services whose handler is "agent" for last:
 * their workers keep answering HAProxy's agent-check ("drain", from the
 * published phase) and their listeners stay open until every worker of
 * the other services is gone, since HAProxy ignores an agent it cannot
 * reach, and a closed agent would never tell it to drain.  Then they get
 * QUIT too.  A fast stop does not wait for anyone.
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
#include "handler.h"

/* stop_is_agent - whether s is an agent's service, told last. */
static int
stop_is_agent(const struct service *s)
{
	return s->conf->handler == &handler_agent;
}

/*
 * stop_close - close our listeners (shut them down if graceful), but
 * the agents' while they are left for last.
 */
static void
stop_close(int graceful)
{
	size_t i, j;

	for (i = 0; i < master.nsvc; i++) {
		if (master.stop_agents && stop_is_agent(&master.svc[i]))
			continue;
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

/* stop_listeners - close all our listeners; shut them down if graceful. */
void
stop_listeners(int graceful)
{
	int agents = master.stop_agents;

	master.stop_agents = 0;
	stop_close(graceful);
	master.stop_agents = agents;
}

/*
 * stop_others_live - how many live workers are not an agent's (1 is
 * enough to know: the scan stops there).
 */
static int
stop_others_live(void)
{
	struct proc *p;
	size_t i;

	for (i = 0; (p = proc_next(&master.pt, &i)) != NULL;)
		if (!stop_is_agent(p->svc))
			return 1;
	return 0;
}

/* stop_has_agents - whether any live worker is an agent's. */
static int
stop_has_agents(void)
{
	struct proc *p;
	size_t i;

	for (i = 0; (p = proc_next(&master.pt, &i)) != NULL;)
		if (stop_is_agent(p->svc))
			return 1;
	return 0;
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
	master.stop_agents = graceful && stop_has_agents();
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
	if (master.sweep_signo != 0)
		return;
	if (master.stop_listening) {
		stop_close(master.stop_graceful);
		master.stop_listening = 0;
	}
	/* The others are done: now the agents' workers and listeners. */
	if (master.stop_agents && !stop_others_live()) {
		log_notice("graceful stop: the other services' workers are "
		    "gone; stopping the agent's");
		master.stop_agents = 0;
		spawn_signal_all(SIGQUIT);
		master.stop_listening = 1;
	}
}
