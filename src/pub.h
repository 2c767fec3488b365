/*
 * pub.h - the master's published page: the totals that outlive workers
 * (counts folded from the dead, respawns, hung kills, the crash throttle),
 * the generation and the master's phase, in shared memory the master
 * writes and its workers can only read, consistent by a sequence counter.
 * The metrics and agent handlers read it, with the live slots, through
 * pub_read(); only the master's files (spawn.c, supervise.c, reload.c,
 * master.c) write it.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef PREFORKD_PUB_H
#define PREFORKD_PUB_H

#include <stddef.h>
#include <stdint.h>

#include "preforkd.h"

/* What the master is doing, for the agent's "drain" and the metrics. */
enum pub_phase {
	PUB_RUNNING,
	PUB_STOPPING,		/* a stop, graceful or fast */
	PUB_RELOADING,		/* a reload's new generation not yet ready */
	PUB_UPGRADING,		/* an upgrade hands over (either master) */
	PUB_PHASES,
};

/* Who holds slot i, in the page's owner table: 0 nobody, else the
 * service's index + 1, with these flags. */
#define PUB_OWNER_SVC		0x00ffffffu
#define PUB_OWNER_OLD		0x80000000u	/* an older generation's */
#define PUB_OWNER_RETIRING	0x40000000u	/* told to finish and exit */

struct pub_page;

/*
 * One mapping of a page as its holder knows it: the master's writable
 * view (never inherited by a fork: MADV_DONTFORK) and the read-only view
 * the workers inherit, with their sizes, in private memory, so nothing in
 * shared memory can make a reader look outside the mapping.
 */
struct pub_map {
	struct pub_page		*rw;		/* the master's; NULL in workers */
	const struct pub_page	*ro;
	size_t			 len;
	uint32_t		 cap;		/* services */
	uint32_t		 nslots;
	unsigned int		 from_gen;	/* current since this generation */
	/* An older page keeps its own services: the current page's index
	 * i is its entry remap[i] - 1 (0: not on it).  Master's memory. */
	uint32_t		*remap;
	uint32_t		 nremap;
};

/* The master's pages: the current one, and older ones that workers of
 * older generations still hold (a reload that grew the page). */
#define PUB_OLDER_MAX		8

struct pub {
	struct pub_map		 cur;
	struct pub_map		 older[PUB_OLDER_MAX];	/* oldest first */
	size_t			 nolder;
	int			 depth;		/* pub_begin()s open */
};

/* What the master publishes of one service. */
struct pub_service_in {
	const char		*name;
	const uint64_t		*count;		/* CTR_COUNT, of the dead */
	const uint64_t		*hist;		/* SLOT_HIST_BUCKETS */
	uint64_t		 hist_sum_ms;
	uint64_t		 respawns;
	uint64_t		 hung_kills;
	int			 throttle_ms;	/* crash backoff; 0: none */
	int			 want, dynamic, max_workers;
};

/* A consistent reading of page and slots: per service, the totals. */
struct pub_snap_service {
	char			 name[SERVICE_NAME_MAX + 1];
	uint64_t		 count[CTR_COUNT];	/* dead + live */
	uint64_t		 hist[SLOT_HIST_BUCKETS];
	uint64_t		 hist_sum_ms;
	uint64_t		 respawns;
	uint64_t		 hung_kills;
	int			 throttle_ms;
	int			 want, dynamic, max_workers;
	/* Current-generation workers by slot state; retiring and older
	 * generations' workers apart. */
	int			 state[SLOT_STATES];
	int			 exiting;
};

struct pub_snap {
	unsigned int		 generation;
	int			 phase;		/* enum pub_phase */
	int64_t			 master_start_ms;	/* wall clock */
	long			 master_pid;
	size_t			 nsvc;
	struct pub_snap_service	*svc;		/* malloc'd: pub_snap_free */
};

/* Reader retries before it gives up (a master writing without pause). */
#define PUB_READ_TRIES		10000

/* master side */
int		 pub_create(struct pub *, size_t, size_t);
void		 pub_destroy(struct pub *);
int		 pub_grow(struct pub *, size_t, unsigned int);
void		 pub_drop_older(struct pub *, unsigned int);
void		 pub_begin(struct pub *);
void		 pub_end(struct pub *);
void		 pub_set_service(struct pub *, size_t, const struct pub_service_in *);
void		 pub_set_nsvc(struct pub *, size_t);
void		 pub_set_owner(struct pub *, size_t, uint32_t);
void		 pub_set_master(struct pub *, unsigned int, int, int64_t, long);
void		 pub_child(struct pub *);
/* reader side (workers, and tests) */
void		 pub_reader(const struct pub_map *, const struct scoreboard *);
int		 pub_read(struct pub_snap *);
int		 pub_read_map(const struct pub_map *, const struct scoreboard *,
		    struct pub_snap *);
void		 pub_snap_free(struct pub_snap *);
const char	*pub_phase_name(int);

#endif /* PREFORKD_PUB_H */
