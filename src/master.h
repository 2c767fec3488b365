/*
 * master.h - what the files of the master process share, and nothing else
 * includes: its private state (the processes it knows, the generations,
 * the stop) and the functions each of them offers the others.  None of it
 * is in shared memory: workers see only the scoreboard.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef PREFORKD_MASTER_H
#define PREFORKD_MASTER_H

#include <sys/types.h>

#include <stdint.h>
#include <time.h>

#include "preforkd.h"

enum master_state {
	MASTER_RUNNING,
	MASTER_STOPPING,
};

/* An older configuration whose workers are still finishing (reload.c). */
struct generation {
	unsigned int		 id;
	struct conf		*conf;
	struct service		*svc;
	size_t			 nsvc;
	struct generation	*older;
};

/* The master's state: one per process, in master.c. */
struct master {
	struct conf		*conf;		/* the current generation's */
	struct service		*svc;
	size_t			 nsvc;
	struct generation	*old;		/* retiring, newest first */
	int			 reloading;	/* old workers not all retired */
	int64_t			 reload_deadline;
	int			 foreground;
	char			*conf_path;	/* absolute, for reloads */
	pid_t			 successor;	/* new master of an upgrade */
	pid_t			 predecessor;	/* old master, after one */
	char			*start_dir;	/* where relative paths start */
	struct scoreboard	 sb;		/* what workers report */
	struct proctab		 pt;		/* what the master knows */
	int			 alive[2];	/* workers see EOF when we die */
	unsigned int		 generation;
	enum master_state	 state;
	int			 paused;	/* WINCH: no workers wanted */
	int64_t			 deadline;	/* of the stop, then KILL */
	int			 killed;
	int64_t			 next_tick;	/* once-a-second maintenance */
	pid_t			 pid;
	struct timespec		 started;
	int64_t			 start_ms;
};

extern struct master	master;

/* master.c */
int		 master_report(const struct proc *, int64_t, struct slot_report *);
int		 master_live(void);
struct service	*master_services(const struct conf *, struct listener **);
void		 master_services_free(struct service *, size_t);

/* spawn.c */
char		*spawn_exit_text(int, char *, size_t);
char		*spawn_client_text(const struct slot_report *, int64_t, char *,
		    size_t);
void		 spawn_descendants(struct proc *, const struct slot_report *,
		    int);
int		 spawn_worker(struct service *);
void		 spawn_reap(void);
void		 spawn_retire(struct proc *, int);
void		 spawn_signal_all(int);
void		 spawn_forward(int);

/* shed.c (the worker's side: preforkd.h) */
void		 shed_tick(int64_t);

/* supervise.c */
int64_t		 supervise_fill(int64_t);
void		 supervise_tick(int64_t);
void		 supervise_resize(int, int);

/* stop.c */
void		 stop_listeners(int);
void		 stop_begin(int, int);

/* sockets.c (sockets_open and sockets_free: preforkd.h) */
void		 sockets_log(void);

/* reload.c */
char		*reload_run(void);
void		 reload_retire_old(int64_t);
void		 reload_free_old(void);

/* upgrade.c: the master's side */
void		 upgrade_begin(void);
void		 upgrade_failed(int);
int		 upgrade_hand_over(void);

#endif /* PREFORKD_MASTER_H */
