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
#include "pub.h"

enum master_state {
	MASTER_RUNNING,
	MASTER_STOPPING,
};

/*
 * The master never blocks for long: forking a pool, signalling every
 * worker and reaping are done a bounded batch per turn of its loop, which
 * then polls with timeout 0 while work is pending, so that signals,
 * deaths and the control socket are served throughout.
 */
/* Forks per turn at most (PREFORKD_TEST_SPAWN_BATCH may lower it)... */
#define FILL_BATCH_MAX		64
/* ... and a batch stops once it has taken this long, or when a control
 * client asks something or can take more of its answer (looked at after
 * every fork: a poll() of a microsecond against a fork's hundreds, or
 * tens of milliseconds on a busy machine). */
#define FILL_BATCH_MS		10
/* While the old generation waits for the new one to be ready (up to
 * RELOAD_READY_MS after it is started): a look this often
 * (reload_retire_old). */
#define RELOAD_LOOK_MS		10
/* How much higher than it was started with the master's priority is
 * (nice levels, where allowed: master_priority_raise). */
#define MASTER_NICE_BOOST	10
/* Workers signalled per turn (spawn_sweep), deaths reaped per turn. */
#define SWEEP_BATCH		512
#define REAP_BATCH		256
/* After a turn that reaped, the next no sooner than this: each turn ends
 * with a wait that finds no more dead, and the kernel answers it by
 * looking at every child, thousands during a reload or a stop; deaths
 * that come in a burst are reaped together (spawn_reap). */
#define REAP_PACE_MS		10
/* After a reload, old workers told to go (QUIT) RETIRE_BATCH at a time at
 * most, RETIRE_PACE_MS apart: thousands woken at once to exit would keep
 * the master waiting for a CPU (6,400 a second is faster than a pool
 * starts, which sets the pace: reload_retire_old). */
#define RETIRE_BATCH		64
#define RETIRE_PACE_MS		10

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
	int			 reload_filling; /* its pools not yet all forked */
	int			 ready;		/* the first start is done */
	int			 filling;	/* pools not yet all forked once */
	int64_t			 fill_next;	/* no batch before (test pause) */
	int64_t			 retire_next;	/* no QUIT batch before */
	int			 fill_batch;	/* forks per turn at most */
	int			 fill_pause_ms;	/* between batches (tests) */
	int64_t			 progress_at;	/* last progress report */
	int			 progress_last;	/* workers started by then */
	int			 nice_base;	/* the priority started with */
	int			 nice_raised;	/* the master's is higher */
	int			 reap_pending;	/* deaths not yet reaped */
	int64_t			 reap_next;	/* no reaping before (pace) */
	int			 sweep_signo;	/* signalling every worker */
	size_t			 sweep_next;	/*   from this entry on */
	uint64_t		 sweep_seq;	/*   forked up to this one */
	int			 foreground;
	char			*conf_path;	/* absolute, for reloads */
	pid_t			 successor;	/* new master of an upgrade */
	pid_t			 predecessor;	/* old master, after one */
	char			*start_dir;	/* where relative paths start */
	struct scoreboard	 sb;		/* what workers report */
	struct proctab		 pt;		/* what the master knows */
	struct pub		 pub;		/* what workers may read */
	int			 pred_alive;	/* the old master of an upgrade */
	int			 alive[2];	/* workers see EOF when we die */
	unsigned int		 generation;
	enum master_state	 state;
	int			 paused;	/* WINCH: no workers wanted */
	int64_t			 deadline;	/* of the stop, then KILL */
	int			 killed;
	int			 stop_graceful;
	int			 stop_listening; /* listeners left to close */
	int			 stop_agents;	/* agent workers left for last */
	int			 sweep_spare;	/* the sweep leaves agents be */
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
int		 master_started(int *);
struct service	*master_fold_target(struct service *, unsigned int);
void		 master_publish(void);
void		 master_publish_service(const struct service *);
void		 master_publish_owner(const struct proc *, int);
void		 master_priority_child(void);

/* spawn.c */
char		*spawn_exit_text(int, char *, size_t);
char		*spawn_client_text(const struct slot_report *, int64_t, char *,
		    size_t);
void		 spawn_descendants(struct proc *, const struct slot_report *,
		    int);
int		 spawn_worker(struct service *);
int		 spawn_reap(void);
void		 spawn_retire(struct proc *, int);
void		 spawn_signal_all(int);
int		 spawn_sweep(void);
void		 spawn_forward(int);

/* shed.c (the worker's side: preforkd.h) */
void		 shed_tick(int64_t);

/* supervise.c */
int		 supervise_fill(int64_t, int64_t *);
void		 supervise_tick(int64_t);
void		 supervise_resize(int, int);

/* stop.c */
void		 stop_listeners(int);
void		 stop_begin(int, int);
void		 stop_step(void);

/* sockets.c (sockets_open and sockets_free: preforkd.h) */
void		 sockets_log(void);

/* reload.c */
char		*reload_run(int *);
void		 reload_filled(int64_t);
void		 reload_progress(int, int);
void		 reload_interrupted(const char *);
int64_t		 reload_retire_old(int64_t);
void		 reload_free_old(void);

/* upgrade.c: the master's side */
void		 upgrade_begin(void);
void		 upgrade_failed(int);
int		 upgrade_hand_over(void);

#endif /* PREFORKD_MASTER_H */
