/*
 * load.c - the load generator of load.h, on POSIX threads.  Counters are
 * kept per phase under one mutex; an outcome counts in the phase in which
 * its connection (or, on a long connection, its exchange) began.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "basic.h"
#include "load.h"
#include "net.h"

#define PF_LOAD_THREADS	64

struct pf_load_client {
	struct pf_load	*load;
	int		 id;
	int		 is_long;
	_Atomic int	 phase;		/* of the operation under way */
};

struct pf_load {
	char			 host[64];
	int			 port;
	int			 interval_ms;
	_Atomic int		 stop;
	_Atomic int		 phase;
	pthread_mutex_t		 lock;
	struct pf_load_counts	 counts[PF_LOAD_PHASES];
	pthread_t		 threads[PF_LOAD_THREADS];
	struct pf_load_client	 clients[PF_LOAD_THREADS];
	int			 nthreads;
};

/* load_record - count one outcome in phase (when its connection began). */
static void
load_record(struct pf_load *ld, struct pf_load_client *c, int phase,
    int outcome, const char *what, int err)
{
	struct pf_load_counts *k;

	pthread_mutex_lock(&ld->lock);
	k = &ld->counts[phase];
	if (c->is_long)
		k->l[outcome]++;
	else
		k->s[outcome]++;
	if (outcome != PF_LOAD_OK && k->first[0] == '\0')
		snprintf(k->first, sizeof(k->first), "%s client %d: %s: %s",
		    c->is_long ? "long" : "short", c->id, what,
		    err != 0 ? strerror(err) : "wrong or missing bytes");
	pthread_mutex_unlock(&ld->lock);
}

/* load_classify - the outcome of a failure with errno err. */
static int
load_classify(int err)
{
	if (err == ECONNREFUSED)
		return PF_LOAD_REFUSED;
	if (err == ECONNRESET || err == EPIPE || err == ECONNABORTED ||
	    err == ENOTCONN)
		return PF_LOAD_RESET;
	return PF_LOAD_FAILED;
}

/* load_pause - one step of the long clients' pace. */
static void
load_pause(int ms)
{
	struct timespec ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/*
 * load_exchange - send msg on fd and read it back: PF_LOAD_OK, or the
 * outcome of the failure with *what and *err describing it.
 */
static int
load_exchange(int fd, const char *msg, int half_close, const char **what,
    int *err)
{
	size_t len = strlen(msg);
	char buf[256];
	ssize_t n;

	*err = 0;
	if (pf_write_all(fd, msg, len) < 0) {
		*what = "write";
		*err = errno;
		return load_classify(errno);
	}
	if (half_close && shutdown(fd, SHUT_WR) < 0) {
		*what = "shutdown";
		*err = errno;
		return load_classify(errno);
	}
	/* The echo, then (short clients) EOF: one more byte asked for. */
	n = pf_read_n(fd, buf, half_close ? len + 1 : len, PF_LOAD_IO_MS);
	if (n < 0) {
		*what = "read";
		*err = errno;
		return load_classify(errno);
	}
	if ((size_t)n < len) {
		*what = n == 0 ? "EOF before the echo" : "EOF in the echo";
		return PF_LOAD_RESET;
	}
	if ((size_t)n > len || memcmp(buf, msg, len) != 0) {
		*what = "echo";
		return PF_LOAD_FAILED;
	}
	return PF_LOAD_OK;
}

static void *
load_short(void *arg)
{
	struct pf_load_client *c = arg;
	struct pf_load *ld = c->load;
	const char *what;
	char msg[64];
	long k = 0;
	int fd, r, err, phase;

	while (!ld->stop) {
		c->phase = phase = ld->phase;
		snprintf(msg, sizeof(msg), "short %d %ld\n", c->id, k++);
		fd = pf_tcp_connect(ld->host, ld->port);
		if (fd < 0) {
			err = errno;
			load_record(ld, c, phase, load_classify(err), "connect",
			    err);
			/* A refused port answers at once: do not spin. */
			load_pause(5);
			continue;
		}
		r = load_exchange(fd, msg, 1, &what, &err);
		close(fd);
		load_record(ld, c, phase, r, what, err);
	}
	return NULL;
}

static void *
load_long(void *arg)
{
	struct pf_load_client *c = arg;
	struct pf_load *ld = c->load;
	const char *what;
	char msg[64];
	long k = 0;
	int fd = -1, r, err, phase;

	while (!ld->stop) {
		c->phase = phase = ld->phase;
		if (fd < 0 && (fd = pf_tcp_connect(ld->host, ld->port)) < 0) {
			err = errno;
			load_record(ld, c, phase, load_classify(err), "connect",
			    err);
			load_pause(ld->interval_ms);
			continue;
		}
		snprintf(msg, sizeof(msg), "long %d %ld\n", c->id, k++);
		r = load_exchange(fd, msg, 0, &what, &err);
		load_record(ld, c, phase, r, what, err);
		if (r != PF_LOAD_OK) {
			close(fd);
			fd = -1;
		}
		load_pause(ld->interval_ms);
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

/*
 * pf_load_start - nshort short clients and nlong long ones (a line every
 * interval_ms) against host:port, counting in phase 0 until told.
 */
struct pf_load *
pf_load_start(const char *host, int port, int nshort, int nlong,
    int interval_ms)
{
	struct pf_load *ld;
	struct pf_load_client *c;
	int i;

	if (nshort + nlong > PF_LOAD_THREADS || nshort < 0 || nlong < 0)
		bail("pf_load_start: %d clients", nshort + nlong);
	ld = calloc(1, sizeof(*ld));
	if (ld == NULL)
		sysbail("calloc");
	snprintf(ld->host, sizeof(ld->host), "%s", host);
	ld->port = port;
	ld->interval_ms = interval_ms > 0 ? interval_ms : 50;
	pthread_mutex_init(&ld->lock, NULL);
	for (i = 0; i < nshort + nlong; i++) {
		c = &ld->clients[i];
		c->load = ld;
		c->id = i;
		c->is_long = i >= nshort;
		if (pthread_create(&ld->threads[i], NULL,
		    c->is_long ? load_long : load_short, c) != 0)
			bail("pthread_create");
		ld->nthreads++;
	}
	return ld;
}

/* pf_load_phase - what begins from now on counts in phase. */
void
pf_load_phase(struct pf_load *ld, int phase)
{
	if (phase < 0 || phase >= PF_LOAD_PHASES)
		bail("pf_load_phase: %d", phase);
	pthread_mutex_lock(&ld->lock);
	ld->phase = phase;
	pthread_mutex_unlock(&ld->lock);
}

/*
 * pf_load_settle - poll until every client's operation under way began in
 * the current phase, so that what the test does next cannot hit one that
 * counts in the previous phase: 1, or 0 after timeout_ms.
 */
int
pf_load_settle(struct pf_load *ld, int timeout_ms)
{
	struct timespec ts;
	long long deadline, now;
	int i, behind;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	deadline = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 +
	    timeout_ms;
	for (;;) {
		for (behind = 0, i = 0; i < ld->nthreads; i++)
			behind += ld->clients[i].phase != ld->phase;
		if (behind == 0)
			return 1;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		now = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
		if (now >= deadline)
			return 0;
		load_pause(2);
	}
}

/* pf_load_get - a copy of phase's counters as they are now. */
void
pf_load_get(struct pf_load *ld, int phase, struct pf_load_counts *out)
{
	pthread_mutex_lock(&ld->lock);
	*out = ld->counts[phase];
	pthread_mutex_unlock(&ld->lock);
}

long
pf_load_short_failures(const struct pf_load_counts *k)
{
	return k->s[PF_LOAD_REFUSED] + k->s[PF_LOAD_RESET] +
	    k->s[PF_LOAD_FAILED];
}

long
pf_load_long_failures(const struct pf_load_counts *k)
{
	return k->l[PF_LOAD_REFUSED] + k->l[PF_LOAD_RESET] +
	    k->l[PF_LOAD_FAILED];
}

/*
 * pf_load_stop - stop the clients and wait for them (each within its I/O
 * bound).  The counters stay readable until pf_load_free.
 */
void
pf_load_stop(struct pf_load *ld)
{
	int i;

	ld->stop = 1;
	for (i = 0; i < ld->nthreads; i++)
		pthread_join(ld->threads[i], NULL);
	ld->nthreads = 0;
}

/* pf_load_free - stop (if need be) and free. */
void
pf_load_free(struct pf_load *ld)
{
	pf_load_stop(ld);
	pthread_mutex_destroy(&ld->lock);
	free(ld);
}
