/*
 * scoreboard.c - the shared-memory slot table: one slot per worker, mapped
 * by the master before the first fork so every worker shares it.  A worker
 * writes only what it reports (state, counters, the current client); the
 * master resets a slot before it forks a worker into it and otherwise only
 * reads, through scoreboard_read(), which treats the slot as untrusted
 * input: any worker can write any slot.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/mman.h>

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "preforkd.h"

#ifndef MAP_ANONYMOUS
#define MAP_ANONYMOUS	MAP_ANON
#endif
#ifndef MAP_NORESERVE
#define MAP_NORESERVE	0
#endif

static const char *const state_names[] = {
	"free", "starting", "idle", "busy", "exiting", "paused",
};

/*
 * scoreboard_workers - the most workers conf's pools may have at once:
 * each static pool's size, each dynamic pool's max_workers.
 */
size_t
scoreboard_workers(const struct conf *conf)
{
	const struct conf_service *cs;
	size_t i, n = 0;

	for (i = 0; i < conf->nservices; i++) {
		cs = &conf->services[i];
		n += (size_t)(cs->dynamic ? cs->max_workers : cs->workers);
	}
	return n;
}

/*
 * scoreboard_slots - how many slots a master started with conf maps:
 * SCOREBOARD_SLOTS_PER_WORKER times its pools' most workers (a reload
 * runs two generations at once, and a quick second one three), and never
 * fewer than SCOREBOARD_SLOTS_MIN, so that a reload may grow small pools.
 * Slots never used cost address space only: their pages are not touched.
 */
size_t
scoreboard_slots(const struct conf *conf)
{
	size_t n = scoreboard_workers(conf) * SCOREBOARD_SLOTS_PER_WORKER;

	return n < SCOREBOARD_SLOTS_MIN ? SCOREBOARD_SLOTS_MIN : n;
}

/*
 * scoreboard_maplen - the length of the mapping of n slots: theirs,
 * rounded up to a page, and a page more for the count of slots in use.
 */
static size_t
scoreboard_maplen(size_t n)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	return (n * sizeof(struct slot) + page - 1) / page * page + page;
}

/*
 * scoreboard_create - map room for n slots shared with future children,
 * and after them, on a page of its own, the count of slots in use: one
 * mapping (each mapping costs every fork and every exit).  It starts
 * zeroed and only the pages of slots in use are ever touched: the
 * master's table (proc.c) knows how many are.
 */
int
scoreboard_create(struct scoreboard *sb, size_t n)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), len;
	void *p;

	if (n > (SIZE_MAX - 2 * page) / sizeof(struct slot)) {
		errno = ENOMEM;
		return -1;
	}
	len = scoreboard_maplen(n);
	/* No swap reserved up front: most slots are never touched. */
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED |
	    MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	sb->slots = p;
	sb->capacity = n;
	sb->inuse = (volatile uint64_t *)(void *)((char *)p + len - page);
	return 0;
}

void
scoreboard_destroy(struct scoreboard *sb)
{
	if (sb->slots != NULL)
		munmap(sb->slots, scoreboard_maplen(sb->capacity));
	sb->slots = NULL;
	sb->inuse = NULL;
	sb->capacity = 0;
}

/*
 * scoreboard_inuse - slots [0, n) may hold workers from now on: what a
 * worker scans when it counts its peers' clients (admit.c).  Set before
 * a worker is forked into slot n - 1, so no worker is ever out of range
 * (n is the master's table's length, which never shrinks).
 */
void
scoreboard_inuse(struct scoreboard *sb, size_t n)
{
	/* Written, never read: a worker may have put anything there. */
	if (sb->inuse != NULL)
		*sb->inuse = n;
}

/*
 * scoreboard_unsource - slot i's worker is gone: the client it published
 * for max_per_source (admit.c) is no longer held by anyone.
 */
void
scoreboard_unsource(struct scoreboard *sb, size_t i)
{
	sb->slots[i].src_family = 0;
}

/* scoreboard_reset - slot i made ready for a new worker: zeroed, starting. */
struct slot *
scoreboard_reset(struct scoreboard *sb, size_t i)
{
	memset(&sb->slots[i], 0, sizeof(sb->slots[i]));
	sb->slots[i].state = SLOT_STARTING;
	return &sb->slots[i];
}

/* scoreboard_add - a + b, stopping at the largest value instead of wrapping. */
uint64_t
scoreboard_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/*
 * scoreboard_read - copy slot into r (each field read once) and check it
 * as what it is, input from a process that may lie.  A value that no
 * honest worker writes (a state or protocol out of range, an address
 * longer than its buffer, a negative process group, a time in the future)
 * makes it inconsistent: -1, with r->bad saying what, and r's fields made
 * harmless for display.  0 when it is consistent.  now is now_ms().
 * The source a worker publishes for its peers (src_*: max_per_source,
 * admit.c) is not read at all: the master has no use for it.
 */
int
scoreboard_read(const struct slot *slot, int64_t now, struct slot_report *r)
{
	/* Stores of an honest worker may be up to this far ahead of our clock
	 * read (it read now_ms() after we did). */
	const int64_t slack = 1000;
	int i;

	r->state = slot->state;
	for (i = 0; i < CTR_COUNT; i++)
		r->count[i] = slot->count[i];
	for (i = 0; i < SLOT_HIST_BUCKETS; i++)
		r->hist[i] = slot->hist[i];
	r->hist_sum_ms = slot->hist_sum_ms;
	r->group = slot->group;
	r->exec_at = slot->exec_at;
	r->busy_since = slot->busy_since;
	r->moved = slot->moved;
	r->proto = slot->proto;
	r->locallen = slot->locallen;
	r->remotelen = slot->remotelen;
	r->vialen = slot->vialen;
	r->bad = NULL;
	if (r->state <= SLOT_FREE || r->state >= SLOT_STATES)
		r->bad = "state out of range";
	else if (r->proto < PROTO_TCP || r->proto > PROTO_UNIX)
		r->bad = "protocol out of range";
	else if (r->locallen > sizeof(r->local) ||
	    r->remotelen > sizeof(r->remote) || r->vialen > sizeof(r->via))
		r->bad = "address length out of range";
	else if (r->group < 0 || r->group == 1)
		r->bad = "process group out of range";
	else if (r->exec_at < 0 || r->exec_at > now + slack)
		r->bad = "exec time out of range";
	else if (r->state == SLOT_BUSY &&
	    (r->busy_since < 0 || r->busy_since > now + slack))
		r->bad = "connection start out of range";
	if (r->bad != NULL) {
		r->state = SLOT_STARTING;
		r->proto = PROTO_TCP;
		r->locallen = r->remotelen = r->vialen = 0;
		r->group = 0;
		r->exec_at = 0;
		r->busy_since = now;
		return -1;
	}
	memcpy(&r->local, (const void *)&slot->local, r->locallen);
	memcpy(&r->remote, (const void *)&slot->remote, r->remotelen);
	memcpy(&r->via, (const void *)&slot->via, r->vialen);
	return 0;
}

/*
 * scoreboard_peer - the other end of a busy worker's socket as the kernel
 * knows it: the balancer when the connection came through one (its
 * remote is then the client the PROXY header names), else the client.
 */
const struct sockaddr *
scoreboard_peer(const struct slot_report *slot)
{
	return (const struct sockaddr *)(slot->vialen > 0 ? &slot->via :
	    &slot->remote);
}

/*
 * scoreboard_client - the two addresses of the connection a busy worker
 * is serving, as text ("127.0.0.1:7007"), each in a buffer of len bytes.
 * The addresses come from a worker: the formatter checks their lengths.
 */
void
scoreboard_client(const struct slot_report *slot, char *local, char *remote,
    size_t len)
{
	addr_sockaddr_format((const struct sockaddr *)&slot->local,
	    slot->locallen, local, len);
	addr_sockaddr_format((const struct sockaddr *)&slot->remote,
	    slot->remotelen, remote, len);
}

const char *
scoreboard_state_name(int state)
{
	if (state < 0 || state >= SLOT_STATES)
		return "?";
	return state_names[state];
}

/* One row per enum slot_counter, in its order (preforkd.h). */
static const struct slot_counter_info counter_info[CTR_COUNT] = {
	[CTR_SERVED] = { "served", "preforkd_served", NULL,
	    "Connections and datagrams served." },
	[CTR_IO_TIMEOUTS] = { "io_timeouts", "preforkd_io_timeouts", NULL,
	    "Clients disconnected for silence (io_timeout)." },
	[CTR_ACCESS_LOST] = { "access_lost", "preforkd_access_log_lost", NULL,
	    "Access-log lines that could not be written." },
	[CTR_IGNORED] = { "ignored", "preforkd_datagrams_ignored", NULL,
	    "Datagrams left unanswered by the loop guard." },
	[CTR_DENIED] = { "denied", "preforkd_denied", NULL,
	    "Clients refused by the access rules." },
	[CTR_LIMITED] = { "limited", "preforkd_limited", NULL,
	    "Clients refused over max_per_source." },
	[CTR_RATE_LIMITED] = { "rate_limited", "preforkd_rate_limited", NULL,
	    "Clients refused over max_rate or max_rate_per_source." },
	[CTR_SHED] = { "shed", "preforkd_shed", NULL,
	    "Clients cut to free a full pool (io_timeout_busy, min_rate)." },
	[CTR_PROXY_ERRORS] = { "proxy_errors", "preforkd_proxy_errors", NULL,
	    "Connections refused for their PROXY header (missing, malformed, "
	    "late, or from outside proxy_from)." },
	[CTR_PROXY_LOCAL] = { "proxy_local", "preforkd_proxy_local", NULL,
	    "PROXY LOCAL or UNKNOWN connections: the balancer's own "
	    "(health checks)." },
	[CTR_ACCEPT_ERRORS] = { "accept_errors", "preforkd_accept_errors",
	    NULL, "Failed accept() or recvfrom() calls (not EAGAIN)." },
	[CTR_BYTES_IN] = { "bytes_in", "preforkd_received_bytes", "bytes",
	    "Bytes received from clients, counted at connection end." },
	[CTR_BYTES_OUT] = { "bytes_out", "preforkd_sent_bytes", "bytes",
	    "Bytes sent to clients, counted at connection end." },
};

/*
 * scoreboard_counter_info - counter i's names and help (NULL fields for a
 * counter whose row is missing: metrics-t checks there is none).
 */
const struct slot_counter_info *
scoreboard_counter_info(int i)
{
	static const struct slot_counter_info none;

	if (i < 0 || i >= CTR_COUNT)
		return &none;
	return &counter_info[i];
}

/*
 * scoreboard_counter_name - counter i (enum slot_counter) as the JSON
 * status and the logs name it.
 */
const char *
scoreboard_counter_name(int i)
{
	const char *name = scoreboard_counter_info(i)->name;

	return name == NULL ? "?" : name;
}

static const int64_t hist_bounds[SLOT_HIST_BUCKETS] = SLOT_HIST_BOUNDS_MS;

/* scoreboard_hist_bound - bucket i's upper bound in ms; -1 for +Inf. */
int64_t
scoreboard_hist_bound(int i)
{
	if (i < 0 || i >= SLOT_HIST_BUCKETS)
		return -1;
	return hist_bounds[i];
}

/* scoreboard_hist_bucket - the bucket of a connection that lasted ms. */
int
scoreboard_hist_bucket(int64_t ms)
{
	int i;

	for (i = 0; i < SLOT_HIST_BUCKETS - 1; i++)
		if (ms <= hist_bounds[i])
			return i;
	return SLOT_HIST_BUCKETS - 1;
}

/*
 * scoreboard_count_end - a connection of ms (-1: a datagram, kept out of
 * the histogram) is over, with in and out bytes (CONN_BYTES_UNKNOWN,
 * i.e. UINT64_MAX: not counted): one add per counter, by
 * the worker that owns the slot alone, so no lock is needed.
 */
void
scoreboard_count_end(struct slot *slot, int64_t ms, uint64_t in,
    uint64_t out)
{
	if (ms >= 0) {
		slot->hist[scoreboard_hist_bucket(ms)]++;
		slot->hist_sum_ms += (uint64_t)ms;
	}
	if (in != UINT64_MAX)
		slot->count[CTR_BYTES_IN] += in;
	if (out != UINT64_MAX)
		slot->count[CTR_BYTES_OUT] += out;
}
