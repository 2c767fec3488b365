/*
 * srctab.h - the layout of a source table's shared memory (srctab.c), for
 * srctab.c itself and for the tests that reach into it (a unit test, and
 * a test module that takes the lock and dies holding it).  The rest of
 * preforkd sees only struct srctab and its functions, in preforkd.h.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef PREFORKD_SRCTAB_H
#define PREFORKD_SRCTAB_H

#include <pthread.h>
#include <stdint.h>

#include "preforkd.h"

/* Entries a source may occupy: the set its hash names. */
#define SRCTAB_WAYS		8
/* Rows of the debt sketch (see srctab.c). */
#define SRCTAB_ROWS		2
/* At the start of the mapping, so a test can find it in /proc/self/maps. */
#define SRCTAB_MAGIC		"preforkd srctab"

/* One source's buckets. */
struct srctab_entry {
	int32_t			 family;	/* 0: free */
	unsigned char		 b[16];		/* as struct admit_source */
	uint32_t		 fresh;		/* kinds not taken since it came
						   in (1 << kind) */
	int64_t			 last;		/* ns of its last use, for LRU */
	int64_t			 tat[SRCTAB_KINDS];	/* rate.c's bucket state */
};

/*
 * The head of the mapping; the entries follow it (nsets * SRCTAB_WAYS),
 * then the debt sketch (SRCTAB_ROWS rows of ncells cells, each cell one
 * int64_t per kind).
 */
struct srctab_shared {
	char			 magic[16];
	pthread_mutex_t		 lock;		/* robust, process-shared */
	int64_t			 writing;	/* entry changing, -1: none */
	volatile uint64_t	 used;
	volatile uint64_t	 evictions;
	volatile uint64_t	 recovered;
	volatile int64_t	 service_tat;	/* max_rate: lock-free */
} __attribute__((aligned(64)));

#endif /* PREFORKD_SRCTAB_H */
