/*
 * haproxy.h - a real HAProxy in front of preforkd for the integration
 * tests of issue 12 (PROXY protocol, agent-check, the fleet): its config
 * in a fresh temporary directory, started in the foreground (-db) as our
 * child, ready once its stats socket answers, read through that socket
 * (`show stat`, any other command), stopped by pid.  The harness's exit
 * handler and safety net KILL it like the daemons, and show its log when
 * the test failed.
 *
 * The binary is $HAPROXY, or /usr/sbin/haproxy.  A missing binary is a
 * bail out (a failure), never a skip: CI installs the package.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef TAP_HAPROXY_H
#define TAP_HAPROXY_H

#include <sys/types.h>

struct pf_haproxy {
	pid_t	 pid;		/* haproxy -db, our child; 0 once stopped */
	int	 status;	/* its wait status, once stopped */
	char	*dir;		/* its temporary directory */
	char	*cfg;		/* DIR/haproxy.cfg */
	char	*sock;		/* DIR/stats.sock, "level admin" */
	char	*log;		/* DIR/haproxy.log: its stdout and stderr */
};

/* One server's line of `show stat`, the fields the tests look at. */
struct pf_haproxy_srv {
	char	status[32];	/* "UP", "DOWN", "UP 1/2", "DRAIN", "MAINT", ... */
	int	weight;		/* its effective weight (the agent moves it) */
	long	stot;		/* connections sent to it so far */
	long	scur;		/* connections open on it now */
	char	check_status[32];	/* "L4OK", "L4CON", ... */
	char	agent_status[32];	/* "L7OK", "L4CON", ... */
};

/*
 * pf_haproxy_start - write DIR/haproxy.cfg as a "global" section (the
 * stats socket; with -db its warnings and alerts, such as a server going
 * DOWN or into drain, go to stderr: the log) and a "defaults" section
 * (mode tcp, timeouts connect 5 s, client and server 60 s) followed by
 * sections (frontends, backends, listens; a later "defaults" of the
 * caller's replaces ours), "@DIR@" in them replaced by the directory; start
 * haproxy -db -f on it and wait up to timeout_ms for its stats socket to
 * answer (its listeners are bound by then).  Bails out when it cannot.
 */
struct pf_haproxy *pf_haproxy_start(const char *sections, int timeout_ms);

/* pf_haproxy_cmd - one command on the stats socket: its whole answer
 * (malloc'ed), NULL with errno on failure. */
char	*pf_haproxy_cmd(struct pf_haproxy *, const char *cmd);

/* pf_haproxy_field - one field (by its `show stat` column name: "status",
 * "weight", "stot", "agent_desc", ...) of backend/server: malloc'ed, NULL
 * when there is no such line or column. */
char	*pf_haproxy_field(struct pf_haproxy *, const char *backend,
	    const char *server, const char *field);

/* pf_haproxy_server - backend/server's line of `show stat`: 0, or -1. */
int	 pf_haproxy_server(struct pf_haproxy *, const char *backend,
	    const char *server, struct pf_haproxy_srv *);

/* pf_haproxy_wait_status - poll until backend/server's status is exactly
 * want ("UP", "DOWN", "DRAIN"...): the milliseconds it took, or -1 after
 * timeout_ms (the last status seen goes to diag). */
long	 pf_haproxy_wait_status(struct pf_haproxy *, const char *backend,
	    const char *server, const char *want, int timeout_ms);

/* pf_haproxy_wait_weight - poll until backend/server's effective weight
 * is within [lo, hi]: that weight, or -1 after timeout_ms. */
int	 pf_haproxy_wait_weight(struct pf_haproxy *, const char *backend,
	    const char *server, int lo, int hi, int timeout_ms);

/* pf_haproxy_stop - USR1 (soft stop, exit 0 once its connections end),
 * TERM after 5 s, KILL after 5 s more: its wait status. */
int	 pf_haproxy_stop(struct pf_haproxy *);

/* pf_haproxy_show - the last max lines of its log as diagnostics (0: all). */
void	 pf_haproxy_show(struct pf_haproxy *, int max);

#endif /* TAP_HAPROXY_H */
