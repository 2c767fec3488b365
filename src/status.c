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
};

/* One worker of the current generation, as both forms show it. */
struct status_row {
	pid_t		 pid;
	const char	*state;		/* a word: "idle" ... "invalid" */
	unsigned int	 generation;
	uint64_t	 served;
	char		 started[TIME_TEXT_MAX];
	int		 busy;		/* serving: the client fields are set */
	const char	*proto;
	char		 local[ADDR_TEXT_MAX];
	char		 remote[ADDR_TEXT_MAX];
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
}

/* status_mine - whether p is a worker of service si in this generation. */
static int
status_mine(const struct status_view *v, size_t si, const struct proc *p)
{
	return p->svc == &v->svc[si] && p->generation == v->generation;
}

/* status_add - worker p, its slot read into r, as a row and in the counts. */
static void
status_add(struct status_service *ss, const struct proc *p,
    const struct slot_report *r, int64_t now)
{
	struct status_counts *c = &ss->c;
	struct status_row *w = &ss->rows[ss->nrows++];
	int i;

	c->workers++;
	for (i = 0; i < CTR_COUNT; i++)
		c->count[i] = scoreboard_add(c->count[i], r->count[i]);
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
	time_format(w->started, sizeof(w->started), &p->started, 0);
	w->busy = r->state == SLOT_BUSY;
	if (w->busy) {
		w->proto = addr_proto_name(r->proto);
		scoreboard_client(r, w->local, w->remote, sizeof(w->local));
		w->busy_ms = now - r->busy_since;
	}
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
 * status_service_fill - service si and its workers of this generation,
 * each slot read once (and checked: a worker may have written anything
 * there), so that the counts and the rows cannot disagree.  0, or -1 when
 * out of memory; free ss->rows after.
 */
static int
status_service_fill(const struct status_view *v, size_t si, int64_t now,
    struct status_service *ss)
{
	const struct service *s = &v->svc[si];
	struct admit_source *src = NULL;
	struct slot_report r;
	const struct proc *p;
	size_t i, n = 0, nsrc = 0;

	memset(ss, 0, sizeof(*ss));
	ss->s = s;
	for (i = 0; (p = proc_next(v->pt, &i)) != NULL;)
		n += status_mine(v, si, p);
	if (n > 0 && ((ss->rows = calloc(n, sizeof(*ss->rows))) == NULL ||
	    (src = calloc(n, sizeof(*src))) == NULL)) {
		free(ss->rows);
		return -1;
	}
	memcpy(ss->c.count, s->dead, sizeof(ss->c.count));
	for (i = 0; (p = proc_next(v->pt, &i)) != NULL && ss->nrows < n;) {
		if (!status_mine(v, si, p))
			continue;
		scoreboard_read(&v->sb->slots[proc_index(v->pt, p)], now, &r);
		status_add(ss, p, &r, now);
		/* A unix client's address is a path of its choosing. */
		if (r.state == SLOT_BUSY && r.proto != PROTO_UNIX)
			admit_source((const struct sockaddr *)&r.remote,
			    r.remotelen, s->conf->source_prefix6, 0,
			    &src[nsrc++]);
	}
	if (ss->c.idle == 0 && ss->c.busy > 0)
		status_top(ss, src, nsrc);
	free(src);
	srctab_stats(&s->srctab, &ss->tab);
	return 0;
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
}

static void
status_text_service(FILE *f, const struct status_service *ss, size_t si)
{
	const struct service *s = ss->s;
	const struct status_counts *c = &ss->c;
	const struct status_row *w;
	char desc[ADDR_TEXT_MAX], handler[256];
	size_t j;

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
		if (w->busy)
			fprintf(f, ", %s %s <- %s for %.1f s", w->proto,
			    w->local, w->remote, (double)w->busy_ms / 1000.0);
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
	    "\"stopping\":%s},\"services\":[", m->generation, m->older,
	    m->paused ? "true" : "false", m->stopping ? "true" : "false");
}

static void
status_json_service(FILE *f, const struct status_service *ss, size_t si)
{
	const struct service *s = ss->s;
	const struct status_counts *c = &ss->c;
	const struct status_row *w;
	char desc[ADDR_TEXT_MAX];
	size_t j;
	int first;

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
		fprintf(f, "%s{\"pid\":%ld,\"state\":\"%s\",\"generation\":%u,"
		    "\"served\":%llu,\"started\":\"%s\"", j ? "," : "",
		    (long)w->pid, w->state, w->generation,
		    (unsigned long long)w->served, w->started);
		if (w->busy) {
			fprintf(f, ",\"client\":{\"proto\":\"%s\",\"local\":",
			    w->proto);
			status_json_string(f, w->local);
			fprintf(f, ",\"remote\":");
			status_json_string(f, w->remote);
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
	struct status_service ss;
	char *buf = NULL;
	size_t len = 0, i;
	int failed = 0;
	FILE *f;

	if ((f = open_memstream(&buf, &len)) == NULL)
		return NULL;
	status_master_fill(v, now, &m);
	form->master(f, &m);
	for (i = 0; i < v->nsvc && !failed; i++) {
		if (status_service_fill(v, i, now, &ss) == -1) {
			failed = 1;
			break;
		}
		form->service(f, &ss, i);
		free(ss.rows);
	}
	form->end(f);
	if (fclose(f) != 0 || failed) {
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
