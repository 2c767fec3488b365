/*
 * srctab.c - a service's table of token buckets per source, in memory
 * that the master maps before it forks and every worker of the service
 * shares: max_rate_per_source and max_reply_bytes_per_source keep their
 * buckets here (rate.c says what a bucket admits), and max_rate its one
 * bucket for the whole service.  Fixed size, set by source_table_size: a
 * connection never allocates.
 *
 * The shape.  A source's hash, keyed with a random seed the master draws,
 * names a set of SRCTAB_WAYS entries; the source lives in one of them or
 * in none.  A source not in its set takes a free entry, or one whose
 * buckets are all full again (it remembers nothing a new bucket would
 * not), or else the least recently used of the set: that is an eviction,
 * counted.  Each entry stands alone -- no lists, no chains between
 * entries -- so a process that dies in the middle of an update can spoil
 * one entry at most, and the seed keeps a client from choosing addresses
 * that all fall into one set.
 *
 * Eviction is no way around the limit.  A client that sends from many
 * addresses to push its own entry out must not come back to a fresh,
 * full bucket.  So an entry evicted while its buckets still hold a debt
 * (a bucket state in the future: tokens taken and not yet refilled)
 * leaves that debt in a sketch: SRCTAB_ROWS rows of cells, each row
 * indexed by another hash of the source, each cell keeping the largest
 * debt of the sources evicted into it until the time passes (a count-min
 * sketch, with the maximum for the sum).  A source that enters the table
 * starts from the smallest debt among its cells -- its own, or more when
 * others share all its cells -- but always with one token left.  So a
 * client that flushes its own entry out gets one token back for it, never
 * a fresh bucket, and the flush cost it a table's worth of other sources
 * that each took a token themselves: flushing never pays.  And an
 * innocent client whose cells all hold others' debts (a table under a
 * flood) loses its burst for a while, never its rate: debts cannot pile
 * up from one source to the next.
 *
 * Processes die at any instruction.  The table's lock is a robust,
 * process-shared mutex: when its holder dies, the next worker to lock it
 * is told so (EOWNERDEAD), drops the one entry the dead one was changing
 * (its debt to the sketch first, so nothing is forgiven), and marks the
 * lock consistent.  A lock that cannot be had within SRCTAB_LOCK_MS (a
 * worker stopped while holding it) is an error the caller reports, and
 * admits: a stuck table must not stop the service.  The service-wide
 * bucket needs no lock: it is one word, moved by compare-and-swap.
 *
 * The master creates, hands over on a reload, and destroys tables, and
 * reads their counters for the status; it never takes the lock, so no
 * worker can make it wait.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>
#include <sys/mman.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "preforkd.h"
#include "conn.h"
#include "srctab.h"

#ifndef MAP_ANONYMOUS
#define MAP_ANONYMOUS	MAP_ANON
#endif

/* How long a worker waits for the lock before it gives up and admits. */
#define SRCTAB_LOCK_MS	250

/* The mapping's parts, from its head. */
#define SRCTAB_HEAD	sizeof(struct srctab_shared)

static struct srctab_entry *
srctab_entries(const struct srctab *t)
{
	return (struct srctab_entry *)(void *)((char *)t->shm + SRCTAB_HEAD);
}

/* srctab_cell - the debt cell of row r at index i: SRCTAB_KINDS words. */
static int64_t *
srctab_cell(const struct srctab *t, int r, uint32_t i)
{
	int64_t *debt = (int64_t *)(void *)(srctab_entries(t) +
	    (size_t)t->nsets * SRCTAB_WAYS);

	return debt + ((size_t)r * t->ncells + i) * SRCTAB_KINDS;
}

/* srctab_mix - splitmix64's finalizer: every input bit moves every output bit. */
static uint64_t
srctab_mix(uint64_t z)
{
	z += UINT64_C(0x9e3779b97f4a7c15);
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/*
 * srctab_source_hash - src's hash under key (a random seed: a client
 * cannot choose addresses that collide); the source table's and
 * tarpit.c's.
 */
uint64_t
srctab_source_hash(uint64_t key, const struct admit_source *src)
{
	uint64_t w[2], h;

	memcpy(w, src->b, sizeof(w));
	h = srctab_mix(key ^ (uint64_t)(uint32_t)src->family);
	h = srctab_mix(h ^ w[0]);
	return srctab_mix(h ^ w[1]);
}

/* srctab_hash - src's hash under the table's seed. */
static uint64_t
srctab_hash(const struct srctab *t, const struct admit_source *src)
{
	return srctab_source_hash(t->seed, src);
}

/* srctab_seed - a random key for a hash (the clock when none is had). */
uint64_t
srctab_seed(void)
{
	struct timespec ts;
	uint64_t s = 0;
	int fd;

	if ((fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)) != -1) {
		if (read(fd, &s, sizeof(s)) != (ssize_t)sizeof(s))
			s = 0;
		close(fd);
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	return s ^ srctab_mix((uint64_t)ts.tv_nsec ^
	    ((uint64_t)ts.tv_sec << 30) ^ (uint64_t)getpid());
}

/*
 * srctab_create - map a table of at least entries entries (rounded up to
 * whole sets; 0 for none: the service-wide bucket only), shared with the
 * children forked from now on.  0, or -1 with errno.
 */
int
srctab_create(struct srctab *t, uint32_t entries)
{
	pthread_mutexattr_t ma;
	struct srctab_shared *sh;
	void *p;
	int rc;

	memset(t, 0, sizeof(*t));
	t->nsets = (entries + SRCTAB_WAYS - 1) / SRCTAB_WAYS;
	t->ncells = t->nsets * SRCTAB_WAYS;
	t->len = SRCTAB_HEAD + (size_t)t->nsets * SRCTAB_WAYS *
	    sizeof(struct srctab_entry) + (size_t)SRCTAB_ROWS * t->ncells *
	    SRCTAB_KINDS * sizeof(int64_t);
	t->seed = srctab_seed();
	p = mmap(NULL, t->len, PROT_READ | PROT_WRITE, MAP_SHARED |
	    MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	sh = p;
	memcpy(sh->magic, SRCTAB_MAGIC, sizeof(SRCTAB_MAGIC));
	sh->writing = -1;
	if ((rc = pthread_mutexattr_init(&ma)) != 0)
		goto fail;
	if ((rc = pthread_mutexattr_setpshared(&ma,
	    PTHREAD_PROCESS_SHARED)) != 0 ||
	    (rc = pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST)) != 0 ||
	    (rc = pthread_mutex_init(&sh->lock, &ma)) != 0) {
		pthread_mutexattr_destroy(&ma);
		goto fail;
	}
	pthread_mutexattr_destroy(&ma);
	t->shm = sh;
	return 0;
fail:
	munmap(p, t->len);
	memset(t, 0, sizeof(*t));
	errno = rc;
	return -1;
}

/*
 * srctab_destroy - unmap the table from this process (workers forked
 * before keep their own mapping until they exit).
 */
void
srctab_destroy(struct srctab *t)
{
	if (t->shm != NULL)
		munmap(t->shm, t->len);
	memset(t, 0, sizeof(*t));
}

/* srctab_debt_put - entry e leaves the table: its debts into the sketch. */
static void
srctab_debt_put(const struct srctab *t, const struct srctab_entry *e,
    int64_t now)
{
	struct admit_source src;
	uint64_t h;
	uint32_t cell[SRCTAB_ROWS];
	int64_t *c;
	int r, k;

	src.family = e->family;
	memcpy(src.b, e->b, sizeof(src.b));
	h = srctab_hash(t, &src);
	cell[0] = (uint32_t)(h >> 32) % t->ncells;
	cell[1] = (uint32_t)srctab_mix(h ^ t->seed) % t->ncells;
	for (r = 0; r < SRCTAB_ROWS; r++) {
		c = srctab_cell(t, r, cell[r]);
		for (k = 0; k < SRCTAB_KINDS; k++)
			if (e->tat[k] > now && e->tat[k] > c[k])
				c[k] = e->tat[k];
	}
}

/* srctab_debt_get - the debts a source entering the table starts with. */
static void
srctab_debt_get(const struct srctab *t, uint64_t h, int64_t *tat)
{
	uint32_t cell[SRCTAB_ROWS];
	int64_t *c;
	int r, k;

	cell[0] = (uint32_t)(h >> 32) % t->ncells;
	cell[1] = (uint32_t)srctab_mix(h ^ t->seed) % t->ncells;
	for (k = 0; k < SRCTAB_KINDS; k++)
		tat[k] = INT64_MAX;
	for (r = 0; r < SRCTAB_ROWS; r++) {
		c = srctab_cell(t, r, cell[r]);
		for (k = 0; k < SRCTAB_KINDS; k++)
			if (c[k] < tat[k])
				tat[k] = c[k];
	}
}

/*
 * srctab_repair - under the lock, taken from a holder that died: the
 * entry it was changing goes (its debt kept), whatever state it is in.
 */
static void
srctab_repair(const struct srctab *t, int64_t now)
{
	struct srctab_shared *sh = t->shm;
	struct srctab_entry *e;
	int64_t w = sh->writing;

	if (w >= 0 && w < (int64_t)t->nsets * SRCTAB_WAYS) {
		e = &srctab_entries(t)[w];
		if (e->family != 0) {
			srctab_debt_put(t, e, now);
			e->family = 0;
			if (sh->used > 0)
				sh->used--;
		}
	}
	sh->writing = -1;
}

/*
 * srctab_lock - take the table's lock, waiting SRCTAB_LOCK_MS at most.
 * 0, 1 when it was taken from a holder that died (the table repaired),
 * -1 with errno (ETIMEDOUT, or a lock no one can use any more).
 */
static int
srctab_lock(const struct srctab *t, int64_t now)
{
	struct timespec ts;
	int rc;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += (SRCTAB_LOCK_MS % 1000) * 1000000L;
	ts.tv_sec += SRCTAB_LOCK_MS / 1000 + ts.tv_nsec / 1000000000L;
	ts.tv_nsec %= 1000000000L;
	rc = pthread_mutex_timedlock(&t->shm->lock, &ts);
	if (rc == 0)
		return 0;
	if (rc == EOWNERDEAD) {
		srctab_repair(t, now);
		t->shm->recovered++;
		pthread_mutex_consistent(&t->shm->lock);
		return 1;
	}
	errno = rc;
	return -1;
}

/*
 * srctab_victim - the entry of set (SRCTAB_WAYS entries) a new source
 * takes: a free one, else one that holds no debt, else the least
 * recently used (*evict set: its debt goes to the sketch).
 */
static struct srctab_entry *
srctab_victim(struct srctab_entry *set, int64_t now, int *evict)
{
	struct srctab_entry *lru = NULL, *idle = NULL;
	int w, k, debt;

	*evict = 0;
	for (w = 0; w < SRCTAB_WAYS; w++) {
		if (set[w].family == 0)
			return &set[w];
		for (debt = 0, k = 0; k < SRCTAB_KINDS; k++)
			debt |= set[w].tat[k] > now;
		if (!debt && (idle == NULL || set[w].last < idle->last))
			idle = &set[w];
		if (lru == NULL || set[w].last < lru->last)
			lru = &set[w];
	}
	if (idle != NULL)
		return idle;
	*evict = 1;
	return lru;
}

/*
 * srctab_take - take from src's buckets what ask says, all or nothing, at
 * now (monotonic nanoseconds); src enters the table if it is not there.
 * 1 taken, 0 refused (*refused: the first kind that did not fit), -1
 * (errno) when the lock could not be had.  *recovered is set when the
 * lock came from a holder that died.
 */
int
srctab_take(const struct srctab *t, const struct admit_source *src,
    const struct srctab_ask *ask, int64_t now, int *refused, int *recovered)
{
	struct srctab_shared *sh = t->shm;
	struct srctab_entry *set, *e = NULL;
	int64_t tat[SRCTAB_KINDS];
	uint64_t h;
	int w, k, evict, ok = 1, got;

	*recovered = 0;
	*refused = -1;
	if (sh == NULL || t->nsets == 0)
		return 1;
	h = srctab_hash(t, src);
	set = srctab_entries(t) + (size_t)((uint32_t)h % t->nsets) *
	    SRCTAB_WAYS;
	if ((got = srctab_lock(t, now)) == -1)
		return -1;
	*recovered = got;
	for (w = 0; w < SRCTAB_WAYS && e == NULL; w++)
		if (set[w].family == src->family &&
		    memcmp(set[w].b, src->b, sizeof(src->b)) == 0)
			e = &set[w];
	if (e == NULL) {
		e = srctab_victim(set, now, &evict);
		sh->writing = e - srctab_entries(t);
		if (e->family == 0)
			sh->used++;
		else if (evict) {
			srctab_debt_put(t, e, now);
			sh->evictions++;
		}
		e->family = 0;		/* not a source while it changes */
		memcpy(e->b, src->b, sizeof(e->b));
		srctab_debt_get(t, h, e->tat);
		e->fresh = (1u << SRCTAB_KINDS) - 1;
		e->family = src->family;
		sh->writing = -1;
	}
	for (k = 0; k < SRCTAB_KINDS && ok; k++) {
		tat[k] = e->tat[k];
		if (ask->rate[k] == NULL)
			continue;
		if (e->fresh & (1u << k))
			/* Its first take since it came in from the sketch. */
			tat[k] = rate_one_left(ask->rate[k], tat[k], now);
		if (!(ok = rate_take(ask->rate[k], &tat[k], now, ask->n[k])))
			*refused = k;
	}
	/* One aligned word each: a death between them spoils nothing. */
	for (k = 0; k < SRCTAB_KINDS && ok; k++)
		if (ask->rate[k] != NULL) {
			e->tat[k] = tat[k];
			e->fresh &= ~(1u << k);
		}
	e->last = now;
	pthread_mutex_unlock(&sh->lock);
	return ok;
}

/*
 * srctab_take_service - one token at the rate r from the service's own
 * bucket, now in monotonic nanoseconds: 1 taken, 0 refused.  Lock-free:
 * the bucket is one word, replaced only if no other worker moved it
 * since it was read.
 */
int
srctab_take_service(const struct srctab *t, const struct rate *r, int64_t now)
{
	int64_t old, next;

	if (t->shm == NULL)
		return 1;
	old = __atomic_load_n(&t->shm->service_tat, __ATOMIC_ACQUIRE);
	do {
		next = old;
		if (!rate_take(r, &next, now, 1))
			return 0;
	} while (!__atomic_compare_exchange_n(&t->shm->service_tat, &old,
	    next, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
	return 1;
}

/*
 * srctab_stats - the table's counters as they are, read without the lock
 * (the master never waits on a worker): numbers for a display, which a
 * worker may have written anything into.
 */
void
srctab_stats(const struct srctab *t, struct srctab_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (t->shm == NULL)
		return;
	st->size = t->nsets * SRCTAB_WAYS;
	st->used = t->shm->used;
	st->evictions = t->shm->evictions;
	st->recovered = t->shm->recovered;
}
