/*
 * pub.c - the master's published page (pub.h): created before the first
 * fork, written by the master alone, read by workers (the metrics and
 * agent handlers) through a mapping they hold read-only.
 *
 * Why read-only.  Every worker can write every scoreboard slot, so the
 * totals that must outlive a worker (what the dead counted, respawns,
 * hung kills) cannot live there: one bad worker could rewrite them.  The
 * page is a memfd (or an unlinked POSIX shm object) mapped twice by the
 * master: once writable, with MADV_DONTFORK so no worker inherits that
 * view, and once read-only from a descriptor opened O_RDONLY, which the
 * workers inherit.  A store through it faults, and mprotect() cannot make
 * it writable (the file behind it was not opened for writing).  The
 * descriptors are closed at once: nothing else can reach the page.
 *
 * Why a sequence counter.  A scrape adds the totals of the dead (here)
 * and the counts of the live (their slots); when a worker dies the master
 * moves its counts from one to the other, folding them into the totals
 * and clearing the slot's owner in the same write.  The writer makes the
 * sequence odd, writes, makes it even again; a reader copies what it
 * needs between two readings of the sequence and starts again if they
 * differ or were odd, so it never sees a count in both places or in
 * neither: totals never go backwards.  Readers retry a bounded number of
 * times (PUB_READ_TRIES) and then give up (the metrics answer 503).
 *
 * Growing.  The page is sized from the configuration: its services and
 * the scoreboard's slots.  A reload that adds services beyond the page
 * gets a new page (pub_grow), which becomes current; workers forked from
 * then on inherit both read-only mappings and unmap the older one at
 * once (pub_child), keeping only the current.  Workers of older
 * generations keep the page they were forked with, and the master keeps
 * writing it until those workers are gone (pub_drop_older): every setter
 * writes every page it still holds, an older page keeping the services it
 * had (by name: a service's totals go to its entry of the same name, a
 * slot's owner to that entry), so a scrape that an old worker answers
 * during a reload shows the same services, and the same counts, as one
 * the new workers answer, less the services the reload added.  A page the master lets go of while
 * some worker still maps it simply stops changing for that worker; its
 * memory lives on until the last mapping goes.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pub.h"

#define PUB_MAGIC	0x70666470u	/* "pfdp" */

/* One service's totals on the page. */
struct pub_entry {
	char			 name[SERVICE_NAME_MAX + 1];
	uint64_t		 count[CTR_COUNT];
	uint64_t		 hist[SLOT_HIST_BUCKETS];
	uint64_t		 hist_sum_ms;
	uint64_t		 respawns;
	uint64_t		 hung_kills;
	int32_t			 throttle_ms;
	int32_t			 want, dynamic, max_workers;
};

/* The page: this head, cap entries, then nslots owners (uint32_t). */
struct pub_page {
	uint32_t		 magic;
	uint32_t		 cap;
	uint32_t		 nslots;
	uint32_t		 nsvc;		/* entries in use */
	uint64_t		 seq;		/* odd while written */
	uint32_t		 generation;
	int32_t			 phase;
	int64_t			 master_start_ms;
	int64_t			 master_pid;
	struct pub_entry	 svc[];
};

/* The reader's page and scoreboard (a worker's, set by pub_child). */
static const struct pub_map	*reader_map;
static const struct scoreboard	*reader_sb;

/* pub_owners - where the owner table of a page of cap services starts. */
static uint32_t *
pub_owners(const struct pub_page *pg, uint32_t cap)
{
	return (uint32_t *)(void *)((char *)(uintptr_t)pg +
	    sizeof(struct pub_page) + (size_t)cap * sizeof(struct pub_entry));
}

/* pub_size - the bytes of a page for cap services and nslots slots. */
static size_t
pub_size(uint32_t cap, uint32_t nslots)
{
	long pgsz = sysconf(_SC_PAGESIZE);
	size_t n = sizeof(struct pub_page) +
	    (size_t)cap * sizeof(struct pub_entry) +
	    (size_t)nslots * sizeof(uint32_t);

	if (pgsz <= 0)
		pgsz = 4096;
	return (n + (size_t)pgsz - 1) / (size_t)pgsz * (size_t)pgsz;
}

/*
 * pub_fds - a fresh object of len bytes, as a read-write and a read-only
 * descriptor on it (close-on-exec), and nothing else naming it.  0, or
 * -1 with errno.
 */
static int
pub_fds(size_t len, int *rw, int *ro)
{
#ifdef HAVE_MEMFD_CREATE
	char path[64];

	if ((*rw = memfd_create("preforkd-pub", MFD_CLOEXEC)) == -1)
		return -1;
	/* A second open of the same file, for reading only. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", *rw);
	*ro = open(path, O_RDONLY | O_CLOEXEC);
#else
	char name[64];
	int tries;

	for (tries = 0; tries < 100; tries++) {
		snprintf(name, sizeof(name), "/preforkd-pub-%ld-%ld",
		    (long)getpid(), random());
		*rw = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
		if (*rw != -1 || errno != EEXIST)
			break;
	}
	if (*rw == -1)
		return -1;
	*ro = shm_open(name, O_RDONLY, 0);
	(void)shm_unlink(name);
	if (*ro != -1 && (fd_cloexec(*rw, 1) == -1 || fd_cloexec(*ro, 1) == -1)) {
		close(*ro);
		*ro = -1;
	}
#endif
	if (*ro == -1 || ftruncate(*rw, (off_t)len) == -1) {
		int e = errno;

		if (*ro != -1)
			close(*ro);
		close(*rw);
		errno = e;
		return -1;
	}
	return 0;
}

/* pub_map_create - a new page for cap services and nslots slots. */
static int
pub_map_create(struct pub_map *m, uint32_t cap, uint32_t nslots)
{
	size_t len = pub_size(cap, nslots);
	void *rw = MAP_FAILED, *ro = MAP_FAILED;
	int fdrw, fdro, e;

	memset(m, 0, sizeof(*m));
	if (pub_fds(len, &fdrw, &fdro) == -1)
		return -1;
	rw = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fdrw, 0);
	if (rw != MAP_FAILED)
		ro = mmap(NULL, len, PROT_READ, MAP_SHARED, fdro, 0);
	e = errno;
	close(fdrw);
	close(fdro);
	if (ro == MAP_FAILED) {
		if (rw != MAP_FAILED)
			munmap(rw, len);
		errno = e;
		return -1;
	}
#ifdef MADV_DONTFORK
	/* No child ever holds the writable view. */
	if (madvise(rw, len, MADV_DONTFORK) == -1) {
		e = errno;
		munmap(rw, len);
		munmap(ro, len);
		errno = e;
		return -1;
	}
#endif
	m->rw = rw;
	m->ro = ro;
	m->len = len;
	m->cap = cap;
	m->nslots = nslots;
	m->rw->magic = PUB_MAGIC;
	m->rw->cap = cap;
	m->rw->nslots = nslots;
	return 0;
}

static void
pub_map_destroy(struct pub_map *m)
{
	free(m->remap);
	if (m->rw != NULL)
		munmap(m->rw, m->len);
	if (m->ro != NULL)
		munmap((void *)(uintptr_t)m->ro, m->len);
	memset(m, 0, sizeof(*m));
}

/*
 * pub_create - the first page, for nsvc services and nslots scoreboard
 * slots, before any fork.  0, or -1 with errno.
 */
int
pub_create(struct pub *p, size_t nsvc, size_t nslots)
{
	memset(p, 0, sizeof(*p));
	if (nsvc == 0)
		nsvc = 1;
	if (nsvc > PUB_OWNER_SVC - 1 || nslots > UINT32_MAX / 2) {
		errno = ENOMEM;
		return -1;
	}
	if (pub_map_create(&p->cur, (uint32_t)nsvc, (uint32_t)nslots) == -1)
		return -1;
	p->cur.from_gen = 1;
	return 0;
}

/* pub_destroy - the master lets go of every page. */
void
pub_destroy(struct pub *p)
{
	size_t i;

	for (i = 0; i < p->nolder; i++)
		pub_map_destroy(&p->older[i]);
	pub_map_destroy(&p->cur);
	p->nolder = 0;
}

/*
 * pub_grow - room for nsvc services, for generation gen: a new current
 * page, a copy of the old, when the current one is too small; the old one
 * is kept up to date while older workers hold it.  0 (also when no growth
 * was needed), or -1 with errno: the current page stays.
 */
int
pub_grow(struct pub *p, size_t nsvc, unsigned int gen)
{
	struct pub_map m;
	uint32_t cap;
	size_t k;

	if (nsvc <= p->cur.cap)
		return 0;
	if (nsvc > PUB_OWNER_SVC - 1) {
		errno = ENOMEM;
		return -1;
	}
	/* Twice what is asked: a few more reloads that add fit. */
	cap = (uint32_t)(nsvc * 2 > PUB_OWNER_SVC - 1 ? nsvc : nsvc * 2);
	if (pub_map_create(&m, cap, p->cur.nslots) == -1)
		return -1;
	m.from_gen = gen;
	m.rw->nsvc = p->cur.rw->nsvc;
	m.rw->generation = p->cur.rw->generation;
	m.rw->phase = p->cur.rw->phase;
	m.rw->master_start_ms = p->cur.rw->master_start_ms;
	m.rw->master_pid = p->cur.rw->master_pid;
	memcpy(m.rw->svc, p->cur.rw->svc, p->cur.cap * sizeof(struct pub_entry));
	memcpy(pub_owners(m.rw, m.cap), pub_owners(p->cur.rw, p->cur.cap),
	    (size_t)m.nslots * sizeof(uint32_t));
	/* Full: the oldest is let go of (its workers see it stop). */
	if (p->nolder == PUB_OLDER_MAX) {
		pub_map_destroy(&p->older[0]);
		memmove(&p->older[0], &p->older[1],
		    (PUB_OLDER_MAX - 1) * sizeof(p->older[0]));
		p->nolder--;
	}
	p->older[p->nolder++] = p->cur;
	p->cur = m;
	/* Every older page learns the new layout's indexes anew. */
	for (k = 0; k < p->nolder; k++) {
		free(p->older[k].remap);
		p->older[k].nremap = 0;
		if ((p->older[k].remap = calloc(m.cap, sizeof(uint32_t))) !=
		    NULL)
			p->older[k].nremap = m.cap;
	}
	return 0;
}

/*
 * pub_drop_older - no worker of a generation before oldest is alive any
 * more: the older pages only they held go.  A page older[k] is held by
 * workers forked before the next page became current.
 */
void
pub_drop_older(struct pub *p, unsigned int oldest)
{
	unsigned int next;

	while (p->nolder > 0) {
		next = p->nolder > 1 ? p->older[1].from_gen : p->cur.from_gen;
		if (oldest < next)
			break;
		pub_map_destroy(&p->older[0]);
		memmove(&p->older[0], &p->older[1],
		    (p->nolder - 1) * sizeof(p->older[0]));
		p->nolder--;
	}
}

/* pub_each - the pages the master writes: current first. */
static struct pub_map *
pub_each(struct pub *p, size_t i)
{
	if (i == 0)
		return p->cur.rw != NULL ? &p->cur : NULL;
	return i <= p->nolder ? &p->older[i - 1] : NULL;
}

/* pub_odd - every page's sequence goes odd: a write begins. */
static void
pub_odd(struct pub *p)
{
	struct pub_map *m;
	size_t i;

	for (i = 0; (m = pub_each(p, i)) != NULL; i++) {
		__atomic_store_n(&m->rw->seq, m->rw->seq + 1, __ATOMIC_RELAXED);
		/* The odd sequence is seen before any store that follows. */
		__atomic_thread_fence(__ATOMIC_RELEASE);
	}
}

/* pub_even - every page's sequence goes even: the write is over. */
static void
pub_even(struct pub *p)
{
	struct pub_map *m;
	size_t i;

	for (i = 0; (m = pub_each(p, i)) != NULL; i++)
		__atomic_store_n(&m->rw->seq, m->rw->seq + 1, __ATOMIC_RELEASE);
}

/*
 * pub_begin - the master starts writing (the sequence goes odd on every
 * page); pub_end ends it.  They nest: only the outer pair counts.
 */
void
pub_begin(struct pub *p)
{
	if (p->depth++ == 0)
		pub_odd(p);
}

void
pub_end(struct pub *p)
{
	if (p->depth > 0 && --p->depth == 0)
		pub_even(p);
}

/*
 * pub_entry_of - where service i of the current layout, called name, is
 * on page m: the same index on the current page; on an older one, its
 * entry of that name (remembered for the owners), or NULL.
 */
static struct pub_entry *
pub_entry_of(struct pub *p, struct pub_map *m, size_t i, const char *name)
{
	uint32_t k;

	if (m == &p->cur)
		return i < m->cap ? &m->rw->svc[i] : NULL;
	for (k = 0; k < m->rw->nsvc; k++)
		if (strcmp(m->rw->svc[k].name, name) == 0)
			break;
	if (i < m->nremap)
		m->remap[i] = k < m->rw->nsvc ? k + 1 : 0;
	return k < m->rw->nsvc ? &m->rw->svc[k] : NULL;
}

/* pub_set_service - service i's totals (inside pub_begin/pub_end). */
void
pub_set_service(struct pub *p, size_t i, const struct pub_service_in *in)
{
	struct pub_entry *e;
	struct pub_map *m;
	size_t k;

	for (k = 0; (m = pub_each(p, k)) != NULL; k++) {
		if ((e = pub_entry_of(p, m, i, in->name)) == NULL)
			continue;
		snprintf(e->name, sizeof(e->name), "%s", in->name);
		memcpy(e->count, in->count, sizeof(e->count));
		memcpy(e->hist, in->hist, sizeof(e->hist));
		e->hist_sum_ms = in->hist_sum_ms;
		e->respawns = in->respawns;
		e->hung_kills = in->hung_kills;
		e->throttle_ms = in->throttle_ms;
		e->want = in->want;
		e->dynamic = in->dynamic;
		e->max_workers = in->max_workers;
	}
}

/*
 * pub_set_nsvc - the current layout has n services (entries past it go).
 * An older page keeps the services it had.
 */
void
pub_set_nsvc(struct pub *p, size_t n)
{
	p->cur.rw->nsvc = (uint32_t)(n < p->cur.cap ? n : p->cur.cap);
}

/* pub_set_owner_in - pub_set_owner() inside a write. */
static void
pub_set_owner_in(struct pub *p, size_t i, uint32_t owner)
{
	struct pub_map *m;
	uint32_t svc = owner & PUB_OWNER_SVC;
	size_t k;

	for (k = 0; (m = pub_each(p, k)) != NULL; k++) {
		if (i >= m->nslots)
			continue;
		if (m == &p->cur || svc == 0)
			pub_owners(m->rw, m->cap)[i] = svc > m->cap ? 0 : owner;
		else
			/* An older page: its entry of that service, if any. */
			pub_owners(m->rw, m->cap)[i] = svc > m->nremap ||
			    m->remap[svc - 1] == 0 ? 0 : (owner &
			    ~PUB_OWNER_SVC) | m->remap[svc - 1];
	}
}

/*
 * pub_set_owner - slot i is held by owner (PUB_OWNER_*; 0: nobody).
 * Outside pub_begin()/pub_end(), a write of its own, which leaves p as it
 * was: for each worker forked, p (on the master's page of data, which the
 * fork has just shared with the worker) is then only read.
 */
void
pub_set_owner(struct pub *p, size_t i, uint32_t owner)
{
	if (p->depth > 0) {
		pub_set_owner_in(p, i, owner);
		return;
	}
	pub_odd(p);
	pub_set_owner_in(p, i, owner);
	pub_even(p);
}

/* pub_set_master - the generation, phase, start time and pid. */
void
pub_set_master(struct pub *p, unsigned int generation, int phase,
    int64_t start_ms, long pid)
{
	struct pub_map *m;
	size_t k;

	for (k = 0; (m = pub_each(p, k)) != NULL; k++) {
		m->rw->generation = generation;
		m->rw->phase = phase;
		m->rw->master_start_ms = start_ms;
		m->rw->master_pid = pid;
	}
}

/*
 * pub_child - in a worker just forked: keep the current page's read-only
 * view (the one it reads from now on, pub_reader()), unmap the older ones,
 * which only older generations' workers read.  The writable views were
 * never inherited (MADV_DONTFORK): p->cur.rw points at nothing mapped
 * here, so a write through it would fault as one through NULL would.  It
 * is left as it is, as p is unless there are older pages: a worker that
 * writes nothing on the master's page of data does not copy it.
 */
PF_START void
pub_child(struct pub *p)
{
	size_t i;

	if (p->nolder == 0)
		return;
	for (i = 0; i < p->nolder; i++) {
		if (p->older[i].ro != NULL)
			munmap((void *)(uintptr_t)p->older[i].ro,
			    p->older[i].len);
		free(p->older[i].remap);
		memset(&p->older[i], 0, sizeof(p->older[i]));
	}
	p->nolder = 0;
}

/* pub_reader - what pub_read() reads: a page and the scoreboard. */
void
pub_reader(const struct pub_map *m, const struct scoreboard *sb)
{
	reader_map = m;
	reader_sb = sb;
}

/* pub_read - pub_read_map() of the reader's page. */
int
pub_read(struct pub_snap *snap)
{
	if (reader_map == NULL || reader_map->ro == NULL) {
		errno = ENOENT;
		return -1;
	}
	return pub_read_map(reader_map, reader_sb, snap);
}

/*
 * pub_once - one attempt at a consistent reading: 0, or -1 when the
 * master wrote meanwhile.  Slot contents are a worker's word: they are
 * only added up, and a state is counted only when in range.
 */
static int
pub_once(const struct pub_map *m, const struct scoreboard *sb,
    struct pub_snap *snap)
{
	const struct pub_page *pg = m->ro;
	const uint32_t *owners = pub_owners(pg, m->cap);
	const volatile struct slot *sl;
	struct pub_snap_service *s;
	uint64_t seq;
	size_t i, n, nslots;
	uint32_t o;
	int j, st;

	seq = __atomic_load_n(&pg->seq, __ATOMIC_ACQUIRE);
	if (seq & 1)
		return -1;
	snap->generation = pg->generation;
	snap->phase = pg->phase;
	snap->master_start_ms = pg->master_start_ms;
	snap->master_pid = (long)pg->master_pid;
	n = pg->nsvc;
	snap->nsvc = n < m->cap ? n : m->cap;
	for (i = 0; i < snap->nsvc; i++) {
		const struct pub_entry *e = &pg->svc[i];

		s = &snap->svc[i];
		memset(s, 0, sizeof(*s));
		memcpy(s->name, e->name, sizeof(s->name));
		s->name[sizeof(s->name) - 1] = '\0';
		memcpy(s->count, e->count, sizeof(s->count));
		memcpy(s->hist, e->hist, sizeof(s->hist));
		s->hist_sum_ms = e->hist_sum_ms;
		s->respawns = e->respawns;
		s->hung_kills = e->hung_kills;
		s->throttle_ms = e->throttle_ms;
		s->want = e->want;
		s->dynamic = e->dynamic;
		s->max_workers = e->max_workers;
	}
	nslots = m->nslots;
	if (sb != NULL) {
		if (nslots > sb->capacity)
			nslots = sb->capacity;
		if (sb->inuse != NULL && *sb->inuse < nslots)
			nslots = (size_t)*sb->inuse;
	} else
		nslots = 0;
	for (i = 0; i < nslots; i++) {
		if ((o = owners[i]) == 0)
			continue;
		if ((o & PUB_OWNER_SVC) > snap->nsvc)
			continue;
		s = &snap->svc[(o & PUB_OWNER_SVC) - 1];
		sl = &sb->slots[i];
		for (j = 0; j < CTR_COUNT; j++)
			s->count[j] = scoreboard_add(s->count[j], sl->count[j]);
		for (j = 0; j < SLOT_HIST_BUCKETS; j++)
			s->hist[j] = scoreboard_add(s->hist[j], sl->hist[j]);
		s->hist_sum_ms = scoreboard_add(s->hist_sum_ms, sl->hist_sum_ms);
		st = sl->state;
		if (o & (PUB_OWNER_OLD | PUB_OWNER_RETIRING))
			s->exiting++;
		else if (st > SLOT_FREE && st < SLOT_STATES)
			s->state[st]++;
		else
			s->state[SLOT_STARTING]++;
	}
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return __atomic_load_n(&pg->seq, __ATOMIC_RELAXED) == seq ? 0 : -1;
}

/*
 * pub_read_map - a consistent reading of page m and the live slots of sb
 * into snap (its svc array allocated: pub_snap_free).  0, or -1 with
 * errno: EAGAIN when the master kept writing through PUB_READ_TRIES
 * attempts, ENOMEM.
 */
int
pub_read_map(const struct pub_map *m, const struct scoreboard *sb,
    struct pub_snap *snap)
{
	int tries;

	memset(snap, 0, sizeof(*snap));
	if ((snap->svc = calloc(m->cap, sizeof(*snap->svc))) == NULL)
		return -1;
	for (tries = 0; tries < PUB_READ_TRIES; tries++) {
		if (pub_once(m, sb, snap) == 0)
			return 0;
		if (tries >= 3)
			sched_yield();
	}
	pub_snap_free(snap);
	errno = EAGAIN;
	return -1;
}

void
pub_snap_free(struct pub_snap *snap)
{
	free(snap->svc);
	snap->svc = NULL;
	snap->nsvc = 0;
}

/* pub_phase_name - a phase in a word, as the metrics label it. */
const char *
pub_phase_name(int phase)
{
	static const char *const names[PUB_PHASES] = {
		"running", "stopping", "reloading", "upgrading",
	};

	if (phase < 0 || phase >= PUB_PHASES)
		return "unknown";
	return names[phase];
}
