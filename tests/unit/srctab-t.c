/*
 * srctab-t.c - unit tests for src/srctab.c, the shared table of buckets
 * per source: a source keeps its bucket; a full set evicts its least
 * recently used entry, counted, preferring one whose buckets are full
 * again (not counted); an evicted source comes back with its debt, so
 * that flushing the table from many addresses gives no fresh bucket;
 * the service-wide bucket gives exactly burst to many processes racing
 * for it; and the lock survives its holder: a child SIGKILLed while
 * holding it (even in the middle of writing an entry) leaves a table the
 * others use at once, and a holder that is alive but stuck costs the
 * others at most the lock's wait, then an error.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "preforkd.h"
#include "conn.h"
#include "srctab.h"
#include "../tap/basic.h"

#define S	1000000000LL
#define T0	(5000 * S)

/* src - the IPv4 source 10.0.(n / 256).(n % 256). */
static struct admit_source
src(int n)
{
	struct admit_source a;

	memset(&a, 0, sizeof(a));
	a.family = AF_INET;
	a.b[0] = 10;
	a.b[2] = (unsigned char)(n / 256);
	a.b[3] = (unsigned char)(n % 256);
	return a;
}

/* take1 - n tokens of kind at rate r from a's bucket: 1, 0 or -1. */
static int
take1(const struct srctab *t, const struct admit_source *a, int kind,
    const struct rate *r, int64_t now, uint64_t n, int *rec)
{
	struct srctab_ask ask;
	int refused;

	memset(&ask, 0, sizeof(ask));
	ask.rate[kind] = r;
	ask.n[kind] = n;
	return srctab_take(t, a, &ask, now, &refused, rec);
}

/* take - one token of kind SRCTAB_CONN for source n at now: 1, 0 or -1. */
static int
take(const struct srctab *t, int n, const struct rate *r, int64_t now)
{
	struct admit_source a = src(n);
	int rec;

	return take1(t, &a, SRCTAB_CONN, r, now, 1, &rec);
}

static struct rate
rate(const char *text)
{
	struct rate r;
	char err[160];

	if (rate_parse(text, &r, err, sizeof(err)) == -1)
		bail("rate_parse %s: %s", text, err);
	return r;
}

/* takes - how many of tries tokens source n gets at now. */
static int
takes(const struct srctab *t, int n, const struct rate *r, int64_t now,
    int tries)
{
	int i, got = 0;

	for (i = 0; i < tries; i++)
		got += take(t, n, r, now) == 1;
	return got;
}

/* One set of eight: every source competes for the same entries. */
static void
test_lru(void)
{
	struct srctab t;
	struct srctab_stats st;
	struct rate r = rate("1/m burst 2");
	int i, n;

	if (srctab_create(&t, 8) == -1)
		sysbail("srctab_create");
	srctab_stats(&t, &st);
	ok(st.size == 8 && st.used == 0 && st.evictions == 0,
	    "a new table: 8 entries, none used");
	for (i = 0, n = 0; i < 8; i++)
		n += takes(&t, i, &r, T0 + i, 2);
	is_int(16, n, "8 sources, their 2 tokens each");
	ok(!take(&t, 0, &r, T0 + 100), "source 0 again: its own bucket, "
	    "empty (and now the most recently used)");
	srctab_stats(&t, &st);
	ok(st.used == 8 && st.evictions == 0, "8 in use, no eviction yet");

	ok(take(&t, 100, &r, T0 + 200), "a ninth source gets a bucket");
	srctab_stats(&t, &st);
	is_int(1, (long long)st.evictions, "  by evicting one, counted");
	ok(!take(&t, 0, &r, T0 + 300), "the most recently used (0) was kept");
	is_int(1, takes(&t, 1, &r, T0 + 400, 3), "the least recently used "
	    "(1) was evicted, and comes back with its debt: one token, not "
	    "a fresh bucket of 2");

	/* Four minutes on, every bucket is full again: no debt is lost
	 * when one is replaced, so that is no eviction. */
	ok(take(&t, 200, &r, T0 + 240 * S), "a new source four minutes on");
	srctab_stats(&t, &st);
	is_int(2, (long long)st.evictions, "  took an entry whose bucket was "
	    "full again: not counted (2 so far, 1 for source 1 coming back)");
	srctab_destroy(&t);
	ok(t.shm == NULL, "destroyed");
}

/*
 * The flushing attack: a source empties its bucket, then sends from many
 * other addresses to push itself out of a small table.
 */
static void
test_flush(void)
{
	struct srctab t;
	struct srctab_stats st;
	struct rate r = rate("1/m burst 3");
	int i, n, fresh;

	if (srctab_create(&t, 16) == -1)
		sysbail("srctab_create");
	for (i = 0, n = 0; i < 10; i++)
		n += take(&t, 7, &r, T0);
	is_int(3, n, "the attacker's own address: burst (3), then refused");
	for (i = 1000, fresh = 0; i < 1500; i++)
		fresh += take(&t, i, &r, T0 + S);
	is_int(500, fresh, "500 other addresses, a token each");
	srctab_stats(&t, &st);
	ok(st.evictions >= 400, "the table (16) was flushed many times over "
	    "(%llu evictions)", (unsigned long long)st.evictions);
	for (i = 0, n = 0; i < 10; i++)
		n += take(&t, 7, &r, T0 + 2 * S);
	is_int(1, n, "the attacker's address again: no fresh bucket (3), "
	    "one token for the whole flush, then refused");
	for (i = 0, n = 0; i < 10; i++)
		n += take(&t, 7, &r, T0 + 63 * S);
	is_int(1, n, "  its own refill: a token a minute on");
	ok(take(&t, 5000, &r, T0 + 200 * S), "a source never seen starts "
	    "with a bucket");
	srctab_destroy(&t);
}

/* The service's one bucket, raced for by several processes. */
static void
test_service(void)
{
	struct srctab t;
	struct rate r = rate("1/m burst 50");
	int *admitted, i, k, st;
	pid_t pid[4];

	if (srctab_create(&t, 0) == -1)
		sysbail("srctab_create");
	admitted = mmap(NULL, sizeof(int) * 4, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (admitted == MAP_FAILED)
		sysbail("mmap");
	for (k = 0; k < 4; k++) {
		if ((pid[k] = fork()) == -1)
			sysbail("fork");
		if (pid[k] == 0) {
			for (i = 0; i < 10000; i++)
				admitted[k] += srctab_take_service(&t, &r, T0);
			_exit(0);
		}
	}
	for (k = 0; k < 4; k++)
		if (waitpid(pid[k], &st, 0) != pid[k])
			sysbail("waitpid");
	is_int(50, admitted[0] + admitted[1] + admitted[2] + admitted[3],
	    "4 processes, 40000 tries on one bucket of 50: exactly 50 given");
	ok(!srctab_take_service(&t, &r, T0 + S), "a second on: none yet");
	ok(srctab_take_service(&t, &r, T0 + 60 * S), "a minute on: one");
	munmap(admitted, sizeof(int) * 4);
	srctab_destroy(&t);
}

/*
 * die_holding - in a child: take the table's lock (and, when entry is
 * not -1, start writing that entry, garbling its address), then die by
 * SIGKILL.  Waits for the child.
 */
static void
die_holding(struct srctab *t, int64_t entry)
{
	struct srctab_entry *e;
	pid_t pid;
	int st;

	if ((pid = fork()) == -1)
		sysbail("fork");
	if (pid == 0) {
		pthread_mutex_lock(&t->shm->lock);
		if (entry >= 0) {
			t->shm->writing = entry;
			e = (struct srctab_entry *)(void *)(t->shm + 1) + entry;
			e->b[3] ^= 0x55;
		}
		raise(SIGKILL);
		_exit(1);
	}
	if (waitpid(pid, &st, 0) != pid)
		sysbail("waitpid");
	if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL)
		bail("the child did not die by SIGKILL");
}

static void
test_robust(void)
{
	struct srctab t;
	struct srctab_stats st;
	struct rate r = rate("1/m burst 2");
	struct srctab_entry *e;
	struct admit_source a;
	int64_t i, start, waited;
	int rec, rc, k;
	pid_t pid;

	if (srctab_create(&t, 8) == -1)
		sysbail("srctab_create");
	/* A fixed key: with a random one, the new source at the end may
	 * share a cell of the debt sketch with the evicted one (and start
	 * in its debt, as designed) once in a while. */
	t.seed = UINT64_C(0x5eed);
	ok(take(&t, 1, &r, T0) && take(&t, 1, &r, T0) && !take(&t, 1, &r, T0),
	    "source 1: its burst of 2, then refused");
	die_holding(&t, -1);
	a = src(2);
	rc = take1(&t, &a, SRCTAB_CONN, &r, T0, 1, &rec);
	ok(rc == 1 && rec == 1, "a worker died holding the lock: the next "
	    "one takes it over at once (and knows it) and admits");
	ok(!take(&t, 1, &r, T0), "  source 1 still refused: nothing lost");
	srctab_stats(&t, &st);
	is_int(1, (long long)st.recovered, "  counted");

	/* Dead in the middle of writing source 1's entry. */
	e = (struct srctab_entry *)(void *)(t.shm + 1);
	for (i = 0; i < SRCTAB_WAYS; i++)
		if (e[i].family == AF_INET && e[i].b[3] == 1)
			break;
	ok(i < SRCTAB_WAYS, "source 1 has an entry");
	die_holding(&t, i);
	a = src(3);
	rc = take1(&t, &a, SRCTAB_CONN, &r, T0, 1, &rec);
	ok(rc == 1 && rec == 1, "dead while writing an entry: taken over");
	ok(e[i].family == 0 || e[i].b[3] == 3, "  the entry it was writing "
	    "is gone");
	is_int(1, takes(&t, 1 ^ 0x55, &r, T0, 3), "  its debt kept: the "
	    "address it held when its writer died (10.0.0.84) gets one "
	    "token, not a fresh bucket of 2");
	for (k = 0, rc = 0; k < 3; k++)
		rc += take(&t, 4, &r, T0);
	is_int(2, rc, "  the table works as before (a new source: 2 of 3)");

	/* Alive but stuck with the lock: the others wait a while, then say
	 * so (the worker admits then). */
	if ((pid = fork()) == -1)
		sysbail("fork");
	if (pid == 0) {
		pthread_mutex_lock(&t.shm->lock);
		pause();
		_exit(0);
	}
	for (k = 0; k < 500 && pthread_mutex_trylock(&t.shm->lock) == 0; k++) {
		pthread_mutex_unlock(&t.shm->lock);
		usleep(10000);
	}
	start = now_ms();
	a = src(5);
	rc = take1(&t, &a, SRCTAB_CONN, &r, T0, 1, &rec);
	waited = now_ms() - start;
	ok(rc == -1 && errno == ETIMEDOUT, "a holder stuck alive: -1 "
	    "ETIMEDOUT, not a wait for ever");
	ok(waited >= 200 && waited < 5000, "  after the lock's wait (%lld ms)",
	    (long long)waited);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	rc = take1(&t, &a, SRCTAB_CONN, &r, T0, 1, &rec);
	ok(rc == 1 && rec == 1, "  killed: taken over");
	srctab_destroy(&t);
}

/* The reply bytes are a bucket of their own. */
static void
test_kinds(void)
{
	struct srctab t;
	struct rate conn = rate("10/s burst 10"), bytes = rate("1000/s");
	struct admit_source a = src(9);
	struct srctab_ask ask;
	int rec, refused, i, n;

	if (srctab_create(&t, 16) == -1)
		sysbail("srctab_create");
	ok(take1(&t, &a, SRCTAB_BYTES, &bytes, T0, 900, &rec) == 1,
	    "900 reply bytes of 1000");
	ok(take1(&t, &a, SRCTAB_BYTES, &bytes, T0, 200, &rec) == 0,
	    "  200 more refused");
	ok(take1(&t, &a, SRCTAB_CONN, &conn, T0, 1, &rec) == 1,
	    "  the same source's datagram bucket is untouched");
	ok(take1(&t, &a, SRCTAB_BYTES, &bytes, T0 + S / 5, 200,
	    &rec) == 1, "  a fifth of a second on, 200 bytes fit");

	/* Both at once: all or nothing. */
	memset(&ask, 0, sizeof(ask));
	ask.rate[SRCTAB_CONN] = &conn;
	ask.n[SRCTAB_CONN] = 1;
	ask.rate[SRCTAB_BYTES] = &bytes;
	ask.n[SRCTAB_BYTES] = 900;
	ok(srctab_take(&t, &a, &ask, T0 + S / 5, &refused, &rec) == 0 &&
	    refused == SRCTAB_BYTES, "an answer and 900 bytes: refused, for "
	    "the bytes");
	for (i = 0, n = 0; i < 20; i++)
		n += take1(&t, &a, SRCTAB_CONN, &conn, T0 + S / 5, 1, &rec);
	is_int(10, n, "  and the answer it asked for was not taken (the "
	    "bucket is full again: 10)");
	srctab_destroy(&t);
}

int
main(void)
{
	plan(38);
	test_lru();
	test_flush();
	test_service();
	test_robust();
	test_kinds();
	return 0;
}
