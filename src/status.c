/*
 * status.c - the status report that "preforkd -s status" prints: the
 * master, then per service its listening sockets, its counts, and each
 * worker with the 5-tuple of the connection it is serving; as text for
 * people or as JSON for monitoring tools.  Reads a status_view only: one
 * walk of its tables fills plain structs (the master, per service its
 * counts and its workers' rows), which the two forms print.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "preforkd.h"
#include "handler.h"
#include "conn.h"

/* Sources a full service's report names, most connections first. */
#define STATUS_TOP_SOURCES	5

/* What one service adds up to right now. */
struct status_counts {
	int		 workers, busy, idle, starting, exiting, paused;
	uint64_t	 count[CTR_COUNT];	/* enum slot_counter */
	uint64_t	 hist[SLOT_HIST_BUCKETS];	/* durations */
	uint64_t	 hist_sum_ms;
};

/* The client a busy worker serves, as both forms show it. */
struct status_client {
	char		 local[ADDR_TEXT_MAX];
	char		 remote[ADDR_TEXT_MAX];
	char		 via[ADDR_TEXT_MAX];	/* the PROXY balancer; "" */
};

/*
 * One worker of the current generation, as both forms show it.  A row is
 * small, and only a busy worker's has a client (its addresses as text,
 * each up to ADDR_TEXT_MAX): the rows of thousands of idle workers are a
 * few pages, not megabytes to zero for each -s status.
 */
struct status_row {
	pid_t		 pid;
	const char	*state;		/* a word: "idle" ... "invalid" */
	unsigned int	 generation;
	uint64_t	 served;
	struct timespec	 started;	/* as text in the JSON form only */
	const char	*proto;
	struct status_client *cl;	/* serving: its client, to free */
	int64_t		 busy_ms;	/* how long, so far */
};

/* A source and the connections it holds, for the top sources. */
struct status_source {
	struct admit_source	 src;
	int			 n;
};

/* One service: the master's view of it, and what its workers add up to. */
struct status_service {
	const struct service	*s;
	struct status_counts	 c;
	struct status_row	*rows;
	size_t			 nrows;
	/* When no worker is idle: who holds the busy ones, from the
	 * addresses in their slots (never from what workers publish for
	 * their own counting). */
	struct status_source	 top[STATUS_TOP_SOURCES];
	size_t			 ntop;
	struct srctab_stats	 tab;		/* size 0: no table */
	size_t			 rows_max;
	const char		*starting;	/* its pool being started */
};

/* The master itself. */
struct status_master {
	pid_t		 pid;
	int64_t		 up_s;
	char		 started[TIME_TEXT_MAX];
	const char	*conf_path;
	unsigned int	 generation;
	int		 older;		/* workers of older generations */
	int		 paused;
	int		 stopping;
	const char	*phase;		/* running, stopping, ...; NULL */
	const char	*starting;	/* "start", "reload", or NULL */
	int		 nstarted;	/* workers started so far, */
	int		 nof;		/*   of how many */
};

/* status_state - what a worker is doing, in a word. */
static const char *
status_state(const struct proc *p, const struct slot_report *r)
{
	if (r->bad != NULL)
		return "invalid";
	if (p->retiring && r->state != SLOT_BUSY)
		return "exiting";
	return scoreboard_state_name(r->state);
}

/* status_master_fill - the master's part of the report. */
static void
status_master_fill(const struct status_view *v, int64_t now,
    struct status_master *m)
{
	const struct proc *p;
	size_t i = 0;

	m->pid = v->pid;
	m->up_s = (now - v->start_ms) / 1000;
	time_format(m->started, sizeof(m->started), &v->started, 0);
	m->conf_path = v->conf_path;
	m->generation = v->generation;
	m->older = 0;
	while ((p = proc_next(v->pt, &i)) != NULL)
		if (p->generation != v->generation)
			m->older++;
	m->paused = v->paused;
	m->stopping = v->stopping;
	m->phase = v->phase;
	m->starting = v->starting;
	m->nstarted = v->nstarted;
	m->nof = v->nof;
}

/* status_mine - the index of p's service if p is a worker of this generation, else -1. */
static ssize_t
status_mine(const struct status_view *v, const struct proc *p)
{
	if (p->generation != v->generation || p->svc < v->svc ||
	    p->svc >= v->svc + v->nsvc)
		return -1;
	return p->svc - v->svc;
}

/*
 * status_older - the index of the current service an older generation's
 * worker p counts for (its service's successor, as the metrics count it),
 * or -1.
 */
static ssize_t
status_older(const struct status_view *v, const struct proc *p)
{
	const struct service *t;

	if (p->generation == v->generation || (t = p->svc->successor) ==
	    NULL || t < v->svc || t >= v->svc + v->nsvc)
		return -1;
	return t - v->svc;
}

/* status_count - the counters of slot r into c. */
static void
status_count(struct status_counts *c, const struct slot_report *r)
{
	int i;

	for (i = 0; i < CTR_COUNT; i++)
		c->count[i] = scoreboard_add(c->count[i], r->count[i]);
	for (i = 0; i < SLOT_HIST_BUCKETS; i++)
		c->hist[i] = scoreboard_add(c->hist[i], r->hist[i]);
	c->hist_sum_ms = scoreboard_add(c->hist_sum_ms, r->hist_sum_ms);
}

/*
 * status_add - worker p, its slot read into r, as a row and in the counts.
 * 0, or -1 when out of memory.
 */
static int
status_add(struct status_service *ss, const struct proc *p,
    const struct slot_report *r, int64_t now)
{
	struct status_counts *c = &ss->c;
	struct status_row *w = &ss->rows[ss->nrows++];

	c->workers++;
	status_count(c, r);
	/* A retiring worker counts as exiting even while it finishes its
	 * connection (its row still says busy). */
	if (p->retiring || r->state == SLOT_EXITING)
		c->exiting++;
	else if (r->state == SLOT_BUSY)
		c->busy++;
	else if (r->state == SLOT_IDLE)
		c->idle++;
	else if (r->state == SLOT_PAUSED)
		c->paused++;
	else
		c->starting++;

	w->pid = p->pid;
	w->state = status_state(p, r);
	w->generation = p->generation;
	w->served = r->count[CTR_SERVED];
	w->started = p->started;
	if (r->state == SLOT_BUSY) {
		if ((w->cl = malloc(sizeof(*w->cl))) == NULL)
			return -1;
		w->proto = addr_proto_name(r->proto);
		scoreboard_client(r, w->cl->local, w->cl->remote,
		    sizeof(w->cl->local));
		w->cl->via[0] = '\0';
		if (r->vialen > 0)
			addr_sockaddr_format((const struct sockaddr *)&r->via,
			    r->vialen, w->cl->via, sizeof(w->cl->via));
		w->busy_ms = now - r->busy_since;
	}
	return 0;
}

/* status_rows_free - the rows of the n services in ss, and their clients. */
static void
status_rows_free(struct status_service *ss, size_t n, struct status_row *rows)
{
	size_t i, j;

	for (i = 0; i < n && rows != NULL; i++)
		for (j = 0; j < ss[i].nrows; j++)
			free(ss[i].rows[j].cl);
	free(rows);
}

/* status_source_cmp - qsort: sources in any fixed order, alike together. */
static int
status_source_cmp(const void *a, const void *b)
{
	const struct admit_source *x = a, *y = b;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return memcmp(x->b, y->b, sizeof(x->b));
}

/* status_top_cmp - qsort: most connections first, then the source. */
static int
status_top_cmp(const void *a, const void *b)
{
	const struct status_source *x = a, *y = b;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return status_source_cmp(&x->src, &y->src);
}

/*
 * status_top - the STATUS_TOP_SOURCES sources holding most of the n
 * connections whose sources are in src (sorted in place), into ss->top.
 */
static void
status_top(struct status_service *ss, struct admit_source *src, size_t n)
{
	struct status_source run, *top = ss->top;
	size_t i, j;

	qsort(src, n, sizeof(*src), status_source_cmp);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n &&
		    status_source_cmp(&src[i], &src[j]) == 0; j++)
			;
		run.src = src[i];
		run.n = (int)(j - i);
		if (ss->ntop < STATUS_TOP_SOURCES)
			top[ss->ntop++] = run;
		else if (status_top_cmp(&run, &top[ss->ntop - 1]) < 0)
			top[ss->ntop - 1] = run;
		else
			continue;
		qsort(top, ss->ntop, sizeof(*top), status_top_cmp);
	}
}

/*
 * status_services_fill - every service and its workers of this
 * generation, in two walks over the process table whatever the number of
 * services (one counts each service's rows, one fills them), each slot
 * read once (and checked: a worker may have written anything there), so
 * that the counts and the rows cannot disagree.  ss has v->nsvc entries;
 * their rows share one array, *rows, to free after.  0, or -1 when out of
 * memory.
 */
static int
status_services_fill(const struct status_view *v, int64_t now,
    struct status_service *ss, struct status_row **rows)
{
	const struct service *s;
	struct admit_source *src = NULL;
	struct slot_report r;
	const struct proc *p;
	size_t i, n = 0, off, *nsrc = NULL;
	ssize_t k;

	*rows = NULL;
	for (i = 0; i < v->nsvc; i++) {
		s = &v->svc[i];
		memset(&ss[i], 0, sizeof(ss[i]));
		ss[i].s = s;
		memcpy(ss[i].c.count, s->dead, sizeof(ss[i].c.count));
		memcpy(ss[i].c.hist, s->dead_hist, sizeof(ss[i].c.hist));
		ss[i].c.hist_sum_ms = s->dead_hist_sum_ms;
	}
	/* First walk: how many rows each service has (nrows, for now). */
	for (i = 0; (p = proc_next(v->pt, &i)) != NULL;)
		if ((k = status_mine(v, p)) >= 0) {
			ss[k].nrows++;
			n++;
		}
	if ((nsrc = calloc(v->nsvc > 0 ? v->nsvc : 1, sizeof(*nsrc))) ==
	    NULL || (n > 0 && ((*rows = calloc(n, sizeof(**rows))) == NULL ||
	    (src = calloc(n, sizeof(*src))) == NULL))) {
		free(nsrc);
		free(*rows);
		*rows = NULL;
		return -1;
	}
	for (i = 0, n = 0; i < v->nsvc; i++) {
		ss[i].rows = *rows + n;
		n += ss[i].nrows;
		ss[i].rows_max = ss[i].nrows;
		ss[i].nrows = 0;
	}
	for (i = 0; (p = proc_next(v->pt, &i)) != NULL;) {
		/* An older generation's worker still finishing: its counts
		 * are its service's (they fold into it when it dies). */
		if ((k = status_older(v, p)) >= 0) {
			scoreboard_read(&v->sb->slots[proc_index(v->pt, p)],
			    now, &r);
			status_count(&ss[k].c, &r);
			continue;
		}
		if ((k = status_mine(v, p)) < 0 ||
		    ss[k].nrows == ss[k].rows_max)
			continue;
		scoreboard_read(&v->sb->slots[proc_index(v->pt, p)], now, &r);
		if (status_add(&ss[k], p, &r, now) == -1) {
			status_rows_free(ss, v->nsvc, *rows);
			*rows = NULL;
			free(src);
			free(nsrc);
			return -1;
		}
		/* Who holds the busy ones, for the top sources: from the
		 * checked addresses; a unix client's is a path it chose. */
		if (r.state == SLOT_BUSY && r.proto != PROTO_UNIX) {
			off = (size_t)(ss[k].rows - *rows);
			admit_source((const struct sockaddr *)&r.remote,
			    r.remotelen, ss[k].s->conf->source_prefix6, 0,
			    &src[off + nsrc[k]++]);
		}
	}
	for (i = 0; i < v->nsvc; i++) {
		off = (size_t)(ss[i].rows - *rows);
		if (ss[i].c.idle == 0 && ss[i].c.busy > 0)
			status_top(&ss[i], src + off, nsrc[i]);
		srctab_stats(&ss[i].s->srctab, &ss[i].tab);
	}
	free(src);
	free(nsrc);
	return 0;
}

/* status_progress - how far service s's pool is started: *of wanted. */
static int
status_progress(const struct service *s, int *of)
{
	*of = s->want;
	return s->tally->workers < s->want ? s->tally->workers : s->want;
}

/* ------------------------------------------------------------ text */

static void
status_text_master(FILE *f, const struct status_master *m)
{
	int64_t up = m->up_s;

	fprintf(f, "preforkd %s: master pid %ld, up %lldd %02lldh%02lldm%02llds "
	    "(since %s)%s%s\n", PACKAGE_VERSION, (long)m->pid,
	    (long long)(up / 86400), (long long)(up / 3600 % 24),
	    (long long)(up / 60 % 60), (long long)(up % 60), m->started,
	    m->paused ? ", workers stopped by WINCH" : "",
	    m->stopping ? ", stopping" : "");
	fprintf(f, "config %s, generation %u, %d workers of older "
	    "generations finishing\n", m->conf_path, m->generation, m->older);
	if (m->starting != NULL)
		fprintf(f, "%s in progress: generation %u, %d of %d workers "
		    "started\n", m->starting, m->generation, m->nstarted,
		    m->nof);
}

static void
status_text_service(FILE *f, const struct status_service *ss, size_t si)
{
	const struct service *s = ss->s;
	const struct status_counts *c = &ss->c;
	const struct status_row *w;
	char desc[ADDR_TEXT_MAX], handler[256];
	size_t j;
	int started, of;

	(void)si;
	/* A module names its handler: escaped like a client's bytes. */
	escape_text(handler, sizeof(handler), s->conf->handler->name,
	    strlen(s->conf->handler->name), ESCAPE_VALUE);
	fprintf(f, "\nservice %s: handler %s, ", s->conf->name, handler);
	if (s->conf->dynamic)
		fprintf(f, "dynamic pool: min_spare %d, max_spare %d, "
		    "max_workers %d", s->min_spare, s->max_spare,
		    s->conf->max_workers);
	else
		fprintf(f, "static pool of %d workers", s->want);
	fprintf(f, "\n");
	for (j = 0; j < s->nlisteners; j++) {
		if (s->listeners[j].fd == -1)
			continue;
		fprintf(f, "  listening on %s (fd %d)\n",
		    listen_describe(&s->listeners[j], desc, sizeof(desc)),
		    s->listeners[j].fd);
	}
	if (ss->starting != NULL) {
		started = status_progress(s, &of);
		fprintf(f, "  %s in progress: %d of %d started\n",
		    ss->starting, started, of);
	}
	fprintf(f, "  workers %d, busy %d, idle %d, starting %d, "
	    "exiting %d, paused %d; served %llu, respawns %llu, "
	    "timeouts %llu (hung %llu, io %llu)\n", c->workers, c->busy,
	    c->idle, c->starting, c->exiting, c->paused,
	    (unsigned long long)c->count[CTR_SERVED],
	    (unsigned long long)s->respawns,
	    (unsigned long long)(s->hung_kills + c->count[CTR_IO_TIMEOUTS]),
	    (unsigned long long)s->hung_kills,
	    (unsigned long long)c->count[CTR_IO_TIMEOUTS]);
	fprintf(f, "  refused: denied %llu, limited %llu, rate-limited %llu; "
	    "shed %llu\n", (unsigned long long)c->count[CTR_DENIED],
	    (unsigned long long)c->count[CTR_LIMITED],
	    (unsigned long long)c->count[CTR_RATE_LIMITED],
	    (unsigned long long)c->count[CTR_SHED]);
	if (s->conf->proxy_protocol != 0 || c->count[CTR_PROXY_ERRORS] > 0 ||
	    c->count[CTR_PROXY_LOCAL] > 0)
		fprintf(f, "  proxy: errors %llu, local %llu\n",
		    (unsigned long long)c->count[CTR_PROXY_ERRORS],
		    (unsigned long long)c->count[CTR_PROXY_LOCAL]);
	if (ss->tab.size > 0) {
		fprintf(f, "  source table: %u entries, %llu in use, %llu "
		    "evicted", ss->tab.size, (unsigned long long)ss->tab.used,
		    (unsigned long long)ss->tab.evictions);
		if (ss->tab.recovered > 0)
			fprintf(f, ", lock taken over from a dead worker %llu "
			    "times", (unsigned long long)ss->tab.recovered);
		fprintf(f, "\n");
	}
	for (j = 0; j < ss->ntop; j++)
		fprintf(f, "%s%s (%d)%s", j == 0 ? "  top sources: " : ", ",
		    admit_source_format(&ss->top[j].src,
		    s->conf->source_prefix6, desc, sizeof(desc)),
		    ss->top[j].n, j + 1 == ss->ntop ? "\n" : "");
	if (c->count[CTR_ACCESS_LOST] > 0)
		fprintf(f, "  access log lines lost: %llu\n",
		    (unsigned long long)c->count[CTR_ACCESS_LOST]);
	if (c->count[CTR_IGNORED] > 0)
		fprintf(f, "  datagrams ignored (a reply could start a "
		    "loop): %llu\n", (unsigned long long)c->count[CTR_IGNORED]);
	for (j = 0; j < ss->nrows; j++) {
		w = &ss->rows[j];
		fprintf(f, "  worker %-7ld %-8s served %llu", (long)w->pid,
		    w->state, (unsigned long long)w->served);
		if (w->cl != NULL)
			fprintf(f, ", %s %s <- %s%s%s for %.1f s", w->proto,
			    w->cl->local, w->cl->remote,
			    w->cl->via[0] ? " via " : "", w->cl->via,
			    (double)w->busy_ms / 1000.0);
		fprintf(f, "\n");
	}
}

static void
status_text_end(FILE *f)
{
	(void)f;
}

/* ------------------------------------------------------------ JSON */

/* status_json_string - s as a JSON string literal. */
static void
status_json_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	for (; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static void
status_json_master(FILE *f, const struct status_master *m)
{
	fprintf(f, "{\"version\":\"%s\",\"master\":{\"pid\":%ld,"
	    "\"uptime_s\":%lld,\"started\":\"%s\",\"config\":",
	    PACKAGE_VERSION, (long)m->pid, (long long)m->up_s, m->started);
	status_json_string(f, m->conf_path);
	fprintf(f, ",\"generation\":%u,\"older_workers\":%d,\"paused\":%s,"
	    "\"stopping\":%s", m->generation, m->older,
	    m->paused ? "true" : "false", m->stopping ? "true" : "false");
	if (m->phase != NULL)
		fprintf(f, ",\"phase\":\"%s\"", m->phase);
	if (m->starting != NULL)
		fprintf(f, ",\"progress\":{\"what\":\"%s\",\"started\":%d,"
		    "\"of\":%d}", m->starting, m->nstarted, m->nof);
	fprintf(f, "},\"services\":[");
}

/*
 * status_json_hist - the connection durations as the metrics give them:
 * cumulative counts per upper bound in ms ("+Inf" last), and their sum.
 */
static void
status_json_hist(FILE *f, const struct status_counts *c)
{
	uint64_t cum = 0;
	int i;

	fprintf(f, ",\"duration_ms\":{\"buckets\":{");
	for (i = 0; i < SLOT_HIST_BUCKETS; i++) {
		cum = scoreboard_add(cum, c->hist[i]);
		if (scoreboard_hist_bound(i) < 0)
			fprintf(f, "%s\"+Inf\":%llu", i ? "," : "",
			    (unsigned long long)cum);
		else
			fprintf(f, "%s\"%lld\":%llu", i ? "," : "",
			    (long long)scoreboard_hist_bound(i),
			    (unsigned long long)cum);
	}
	fprintf(f, "},\"sum\":%llu}", (unsigned long long)c->hist_sum_ms);
}

static void
status_json_service(FILE *f, const struct status_service *ss, size_t si)
{
	const struct service *s = ss->s;
	const struct status_counts *c = &ss->c;
	const struct status_row *w;
	char desc[ADDR_TEXT_MAX], since[TIME_TEXT_MAX];
	size_t j;
	int first, started, of;

	fprintf(f, "%s{\"name\":", si ? "," : "");
	status_json_string(f, s->conf->name);
	fprintf(f, ",\"handler\":");
	status_json_string(f, s->conf->handler->name);
	fprintf(f, ",");
	if (s->conf->dynamic)
		fprintf(f, "\"pool\":{\"type\":\"dynamic\",\"min_spare\""
		    ":%d,\"max_spare\":%d,\"max_workers\":%d},",
		    s->min_spare, s->max_spare, s->conf->max_workers);
	else
		fprintf(f, "\"pool\":{\"type\":\"static\",\"workers\":"
		    "%d},", s->want);
	if (ss->starting != NULL) {
		started = status_progress(s, &of);
		fprintf(f, "\"progress\":{\"started\":%d,\"of\":%d},",
		    started, of);
	}
	fprintf(f, "\"listeners\":[");
	for (j = 0, first = 1; j < s->nlisteners; j++) {
		if (s->listeners[j].fd == -1)
			continue;
		listen_describe(&s->listeners[j], desc, sizeof(desc));
		fprintf(f, "%s{\"proto\":\"%s\",\"address\":",
		    first ? "" : ",",
		    addr_proto_name(s->listeners[j].addr.proto));
		/* listen_describe gives "tcp ADDR": the address part. */
		status_json_string(f, strchr(desc, ' ') + 1);
		fprintf(f, ",\"fd\":%d}", s->listeners[j].fd);
		first = 0;
	}
	fprintf(f, "],\"counts\":{\"workers\":%d,\"busy\":%d,\"idle\":"
	    "%d,\"starting\":%d,\"exiting\":%d,\"paused\":%d,"
	    "\"respawns\":%llu,\"timeouts\":%llu,\"hung_kills\":%llu",
	    c->workers, c->busy, c->idle, c->starting, c->exiting, c->paused,
	    (unsigned long long)s->respawns,
	    (unsigned long long)(s->hung_kills + c->count[CTR_IO_TIMEOUTS]),
	    (unsigned long long)s->hung_kills);
	for (j = 0; j < CTR_COUNT; j++)
		fprintf(f, ",\"%s\":%llu", scoreboard_counter_name((int)j),
		    (unsigned long long)c->count[j]);
	fprintf(f, ",\"throttle_ms\":%d", s->throttle.delay_ms);
	status_json_hist(f, c);
	fprintf(f, "}");
	if (ss->tab.size > 0)
		fprintf(f, ",\"source_table\":{\"size\":%u,\"used\":%llu,"
		    "\"evictions\":%llu,\"recovered\":%llu}", ss->tab.size,
		    (unsigned long long)ss->tab.used,
		    (unsigned long long)ss->tab.evictions,
		    (unsigned long long)ss->tab.recovered);
	if (ss->ntop > 0) {
		fprintf(f, ",\"top_sources\":[");
		for (j = 0; j < ss->ntop; j++) {
			fprintf(f, "%s{\"source\":", j ? "," : "");
			status_json_string(f, admit_source_format(
			    &ss->top[j].src, s->conf->source_prefix6, desc,
			    sizeof(desc)));
			fprintf(f, ",\"connections\":%d}", ss->top[j].n);
		}
		fprintf(f, "]");
	}
	fprintf(f, ",\"workers\":[");
	for (j = 0; j < ss->nrows; j++) {
		w = &ss->rows[j];
		time_format(since, sizeof(since), &w->started, 0);
		fprintf(f, "%s{\"pid\":%ld,\"state\":\"%s\",\"generation\":%u,"
		    "\"served\":%llu,\"started\":\"%s\"", j ? "," : "",
		    (long)w->pid, w->state, w->generation,
		    (unsigned long long)w->served, since);
		if (w->cl != NULL) {
			fprintf(f, ",\"client\":{\"proto\":\"%s\",\"local\":",
			    w->proto);
			status_json_string(f, w->cl->local);
			fprintf(f, ",\"remote\":");
			status_json_string(f, w->cl->remote);
			if (w->cl->via[0] != '\0') {
				fprintf(f, ",\"via\":");
				status_json_string(f, w->cl->via);
			}
			fprintf(f, ",\"busy_s\":%.3f}",
			    (double)w->busy_ms / 1000.0);
		}
		fprintf(f, "}");
	}
	fprintf(f, "]}");
}

static void
status_json_end(FILE *f)
{
	fprintf(f, "]}\n");
}

/* ---------------------------------------------------------- render */

/* How a form prints the parts: the master, each service, the end. */
struct status_form {
	void	(*master)(FILE *, const struct status_master *);
	void	(*service)(FILE *, const struct status_service *, size_t);
	void	(*end)(FILE *);
};

static const struct status_form status_forms[] = {
	{ status_text_master, status_text_service, status_text_end },
	{ status_json_master, status_json_service, status_json_end },
};

/*
 * status_render_at - the report as it stands at now (now_ms()), as text
 * or (json set) JSON: a heap string, or NULL when out of memory.  Both
 * forms print what one walk of the tables gathered, one service at a
 * time; only the wall clock (for start times) is read besides v.
 */
char *
status_render_at(const struct status_view *v, int json, int64_t now)
{
	const struct status_form *form = &status_forms[json ? 1 : 0];
	struct status_master m;
	struct status_service *ss;
	struct status_row *rows;
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f;

	if ((ss = calloc(v->nsvc + 1, sizeof(*ss))) == NULL)
		return NULL;
	if (status_services_fill(v, now, ss, &rows) == -1 ||
	    (f = open_memstream(&buf, &len)) == NULL) {
		status_rows_free(ss, v->nsvc, rows);
		free(ss);
		return NULL;
	}
	status_master_fill(v, now, &m);
	form->master(f, &m);
	for (i = 0; i < v->nsvc; i++) {
		ss[i].starting = v->starting;
		form->service(f, &ss[i], i);
	}
	form->end(f);
	status_rows_free(ss, v->nsvc, rows);
	free(ss);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* status_render - the report as it stands now. */
char *
status_render(const struct status_view *v, int json)
{
	return status_render_at(v, json, now_ms());
}
