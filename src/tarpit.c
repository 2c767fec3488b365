/*
 * tarpit.c - a client that held a worker while silent gets no worker
 * again while the pool is still full: its next connections are held.
 *
 * The slow-client attack (slowloris) on a preforked pool: open as many
 * connections as there are workers, send a byte, say nothing more.  The
 * master cuts such clients once the pool is full and others wait
 * (io_timeout_busy: shed.c), but an attacker simply connects again, from
 * the next of its addresses, and each new connection holds a worker for
 * io_timeout_busy more.  Closing those connections at once would not
 * help either: the attacker would reconnect at once, a flood.  So a
 * source (admit_source()) whose connection was cut is remembered here for
 * TARPIT_SUSPECT_MS, and while connections wait in the listen queue (the
 * pool is not keeping up), a worker that accepts a new connection from
 * it does not serve it: it keeps the socket open without reading it (the
 * attacker sees a connection that is merely slow, and makes no new one)
 * and goes back to accept().  A worker holds at most TARPIT_HOLD_MAX such
 * sockets, each for the service's io_timeout (60 s without one); the
 * oldest goes first.  A client that is served promptly is never cut, so
 * never held; a held client of a pool that is no longer full is served.
 *
 * A service on guard.  Whether connections wait is asked of the kernel
 * (listen_waiting(), a system call), so it is not asked on every
 * accept: the master, which sees the pool full with connections waiting
 * (shed.c), puts the service on guard for TARPIT_GUARD_MS, and so does a
 * worker that finds connections waiting when it cuts or holds one.  On
 * guard, a new connection is served in slices of io_timeout_busy
 * (worker.c, shed_slice()): a client silent that long while others wait
 * is cut by its own worker at once, not at the master's next tick, which
 * is what lets a pool held by an attacker that reconnects at once learn
 * all its addresses quickly.  Guard words are keyed like the suspects, one writer at a
 * time in practice; a torn write can only start or end a guard early.
 *
 * The table of suspects is one shared mapping, made by the master before
 * its first worker, written and read by the workers only (the master
 * never reads it: nothing a worker writes here reaches the master).  It
 * has no lock: a source's entry is at a place its keyed hash chooses, and
 * an entry is written with its deadline cleared first and set last; a
 * torn read can only miss a suspect or, with the bytes of two sources
 * mixed, match neither, and a worker killed mid-write leaves an entry no
 * source matches.  Two sources in one place: the later one wins.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>
#include <sys/mman.h>

#include <string.h>
#include <unistd.h>

#include "preforkd.h"
#include "conn.h"

/* Sources remembered at once, over all services: 48 bytes each. */
#define TARPIT_ENTRIES		16384
/* How long a source that was cut stays suspect. */
#define TARPIT_SUSPECT_MS	60000
/* Services on guard at once, over all generations (16 bytes each). */
#define TARPIT_GUARDS		1024
/* How long a service stays on guard after the last sign of pressure. */
#define TARPIT_GUARD_MS		60000
/* Sockets one worker holds at once; how long without io_timeout. */
#define TARPIT_HOLD_MAX		64
#define TARPIT_HOLD_MS		60000

struct tarpit_entry {
	volatile int64_t	 until;		/* now_ms(); 0: empty */
	uint64_t		 service;	/* admit_service_key() */
	int			 family;
	unsigned char		 b[16];
};

/* A service on guard until `until`, with its admit_service_key(). */
struct tarpit_guard {
	volatile int64_t	 until;
	volatile uint64_t	 service;
};

static struct tarpit_entry	*tarpit_tab;
static struct tarpit_guard	*tarpit_guards;
static uint64_t			 tarpit_seed;

/* The sockets this worker holds, oldest first (a ring). */
static struct {
	int			 fd;
	int64_t			 until;
} tarpit_held[TARPIT_HOLD_MAX];
static size_t			 tarpit_first, tarpit_n;

/*
 * tarpit_create - the table of suspects, in the master before it forks
 * its first worker (the workers inherit it): 0, or -1 with errno.
 */
int
tarpit_create(void)
{
	void *p;

	p = mmap(NULL, TARPIT_ENTRIES * sizeof(*tarpit_tab) + TARPIT_GUARDS *
	    sizeof(*tarpit_guards), PROT_READ | PROT_WRITE, MAP_SHARED |
	    MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	tarpit_tab = p;
	tarpit_guards = (struct tarpit_guard *)(tarpit_tab + TARPIT_ENTRIES);
	tarpit_seed = srctab_seed();
	return 0;
}

/* tarpit_entry - where service's source src lives in the table. */
static struct tarpit_entry *
tarpit_entry(uint64_t service, const struct admit_source *src)
{
	return &tarpit_tab[srctab_source_hash(tarpit_seed ^ service, src) %
	    TARPIT_ENTRIES];
}

/* tarpit_mark - a connection of src to service was cut at now: suspect. */
void
tarpit_mark(uint64_t service, const struct admit_source *src, int64_t now)
{
	struct tarpit_entry *e;

	if (tarpit_tab == NULL)
		return;
	e = tarpit_entry(service, src);
	__atomic_store_n(&e->until, 0, __ATOMIC_RELEASE);
	e->service = service;
	e->family = src->family;
	memcpy(e->b, src->b, sizeof(e->b));
	__atomic_store_n(&e->until, now + TARPIT_SUSPECT_MS, __ATOMIC_RELEASE);
}

/* tarpit_suspect - whether src had a connection to service cut lately. */
int
tarpit_suspect(uint64_t service, const struct admit_source *src, int64_t now)
{
	const struct tarpit_entry *e;
	int64_t until;

	if (tarpit_tab == NULL)
		return 0;
	e = tarpit_entry(service, src);
	until = __atomic_load_n(&e->until, __ATOMIC_ACQUIRE);
	return until > now && e->service == service &&
	    e->family == src->family &&
	    memcmp(e->b, src->b, sizeof(e->b)) == 0 &&
	    __atomic_load_n(&e->until, __ATOMIC_ACQUIRE) == until;
}

/*
 * tarpit_guard - service shows pressure at now (the master saw its pool
 * full with connections waiting, or a worker saw them waiting): on guard
 * for TARPIT_GUARD_MS more.
 */
void
tarpit_guard(uint64_t service, int64_t now)
{
	struct tarpit_guard *g;

	if (tarpit_guards == NULL)
		return;
	/* Written, never read first: the master calls this too, and reads
	 * nothing that a worker can write. */
	g = &tarpit_guards[service % TARPIT_GUARDS];
	__atomic_store_n(&g->until, 0, __ATOMIC_RELEASE);
	g->service = service;
	__atomic_store_n(&g->until, now + TARPIT_GUARD_MS, __ATOMIC_RELEASE);
}

/* tarpit_guarded - whether service is on guard at now: one shared load. */
int
tarpit_guarded(uint64_t service, int64_t now)
{
	const struct tarpit_guard *g;

	if (tarpit_guards == NULL)
		return 0;
	g = &tarpit_guards[service % TARPIT_GUARDS];
	return __atomic_load_n(&g->until, __ATOMIC_ACQUIRE) > now &&
	    g->service == service;
}

/* tarpit_drop - close the oldest held socket. */
static void
tarpit_drop(void)
{
	close(tarpit_held[tarpit_first].fd);
	tarpit_first = (tarpit_first + 1) % TARPIT_HOLD_MAX;
	tarpit_n--;
}

/* tarpit_expire - close the held sockets whose time is up at now. */
void
tarpit_expire(int64_t now)
{
	while (tarpit_n > 0 && tarpit_held[tarpit_first].until <= now)
		tarpit_drop();
}

/*
 * tarpit_hold - keep fd open unread until now + hold_ms (TARPIT_HOLD_MS
 * when 0), the oldest held socket closed first when there are too many.
 */
void
tarpit_hold(int fd, int64_t now, int64_t hold_ms)
{
	size_t i;

	tarpit_expire(now);
	if (tarpit_n == TARPIT_HOLD_MAX)
		tarpit_drop();
	i = (tarpit_first + tarpit_n) % TARPIT_HOLD_MAX;
	tarpit_held[i].fd = fd;
	tarpit_held[i].until = now + (hold_ms > 0 ? hold_ms : TARPIT_HOLD_MS);
	tarpit_n++;
}

/* tarpit_holding - how many sockets this worker holds. */
size_t
tarpit_holding(void)
{
	return tarpit_n;
}
