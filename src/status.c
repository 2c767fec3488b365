/*
 * status.c - the status report that "preforkd -s status" prints: the
 * master, then per service its listening sockets, its counts, and each
 * worker with the 5-tuple of the connection it is serving; as text for
 * people or as JSON for monitoring tools.  Reads a status_view only.
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

/* What one service adds up to right now. */
struct status_counts {
	int		 workers, busy, idle, starting, exiting, paused;
	uint64_t	 served, io_timeouts, access_lost, ignored;
};

/*
 * status_worker - the next worker of service si in the current
 * generation from entry *i on, with its slot read (and checked: a worker
 * may have written anything there); NULL when there is none.
 */
static const struct proc *
status_worker(const struct status_view *v, size_t si, size_t *i,
    int64_t now, struct slot_report *r)
{
	const struct proc *p;

	while ((p = proc_next(v->pt, i)) != NULL) {
		if (p->svc != &v->svc[si] || p->generation != v->generation)
			continue;
		scoreboard_read(&v->sb->slots[proc_index(v->pt, p)], now, r);
		return p;
	}
	return NULL;
}

static void
status_count(const struct status_view *v, size_t si, int64_t now,
    struct status_counts *c)
{
	struct slot_report r;
	const struct proc *p;
	size_t i = 0;

	memset(c, 0, sizeof(*c));
	c->served = v->svc[si].served_dead;
	c->io_timeouts = v->svc[si].io_timeouts_dead;
	c->access_lost = v->svc[si].access_lost_dead;
	c->ignored = v->svc[si].ignored_dead;
	while ((p = status_worker(v, si, &i, now, &r)) != NULL) {
		c->workers++;
		c->served = scoreboard_add(c->served, r.served);
		c->io_timeouts = scoreboard_add(c->io_timeouts, r.io_timeouts);
		c->access_lost = scoreboard_add(c->access_lost, r.access_lost);
		c->ignored = scoreboard_add(c->ignored, r.ignored);
		if (p->retiring || r.state == SLOT_EXITING)
			c->exiting++;
		else if (r.state == SLOT_BUSY)
			c->busy++;
		else if (r.state == SLOT_IDLE)
			c->idle++;
		else if (r.state == SLOT_PAUSED)
			c->paused++;
		else
			c->starting++;
	}
}

/* status_older - workers of older generations, still finishing. */
static int
status_older(const struct status_view *v)
{
	const struct proc *p;
	size_t i = 0;
	int n = 0;

	while ((p = proc_next(v->pt, &i)) != NULL)
		if (p->generation != v->generation)
			n++;
	return n;
}

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

/* status_time - "2026-11-21T17:44:00+00:00" for a wall-clock time. */
static char *
status_time(const struct timespec *ts, char *buf, size_t len)
{
	time_format(buf, len, ts, 0);
	return buf;
}

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
status_pool_text(FILE *f, const struct service *s)
{
	if (s->conf->dynamic)
		fprintf(f, "dynamic pool: min_spare %d, max_spare %d, "
		    "max_workers %d", s->min_spare, s->max_spare,
		    s->conf->max_workers);
	else
		fprintf(f, "static pool of %d workers", s->want);
}

static void
status_text(FILE *f, const struct status_view *v)
{
	char when[40], local[ADDR_TEXT_MAX], remote[ADDR_TEXT_MAX];
	char desc[ADDR_TEXT_MAX], handler[256];
	struct status_counts c;
	const struct service *s;
	struct slot_report r;
	const struct proc *p;
	int64_t now = now_ms(), up;
	size_t i, j;

	up = (now - v->start_ms) / 1000;
	fprintf(f, "preforkd %s: master pid %ld, up %lldd %02lldh%02lldm%02llds "
	    "(since %s)%s%s\n", PACKAGE_VERSION, (long)v->pid,
	    (long long)(up / 86400), (long long)(up / 3600 % 24),
	    (long long)(up / 60 % 60), (long long)(up % 60),
	    status_time(&v->started, when, sizeof(when)),
	    v->paused ? ", workers stopped by WINCH" : "",
	    v->stopping ? ", stopping" : "");
	fprintf(f, "config %s, generation %u, %d workers of older "
	    "generations finishing\n", v->conf_path, v->generation,
	    status_older(v));
	for (i = 0; i < v->nsvc; i++) {
		s = &v->svc[i];
		status_count(v, i, now, &c);
		/* A module names its handler: escaped like a client's bytes. */
		escape_text(handler, sizeof(handler), s->conf->handler->name,
		    strlen(s->conf->handler->name), ESCAPE_VALUE);
		fprintf(f, "\nservice %s: handler %s, ", s->conf->name,
		    handler);
		status_pool_text(f, s);
		fprintf(f, "\n");
		for (j = 0; j < s->nlisteners; j++) {
			if (s->listeners[j].fd == -1)
				continue;
			fprintf(f, "  listening on %s (fd %d)\n",
			    listen_describe(&s->listeners[j], desc,
			    sizeof(desc)), s->listeners[j].fd);
		}
		fprintf(f, "  workers %d, busy %d, idle %d, starting %d, "
		    "exiting %d, paused %d; served %llu, respawns %llu, "
		    "timeouts %llu (hung %llu, io %llu)\n", c.workers, c.busy,
		    c.idle, c.starting, c.exiting, c.paused,
		    (unsigned long long)c.served,
		    (unsigned long long)s->respawns,
		    (unsigned long long)(s->hung_kills + c.io_timeouts),
		    (unsigned long long)s->hung_kills,
		    (unsigned long long)c.io_timeouts);
		if (c.access_lost > 0)
			fprintf(f, "  access log lines lost: %llu\n",
			    (unsigned long long)c.access_lost);
		if (c.ignored > 0)
			fprintf(f, "  datagrams ignored (a reply could start a "
			    "loop): %llu\n", (unsigned long long)c.ignored);
		j = 0;
		while ((p = status_worker(v, i, &j, now, &r)) != NULL) {
			fprintf(f, "  worker %-7ld %-8s served %llu",
			    (long)p->pid, status_state(p, &r),
			    (unsigned long long)r.served);
			if (r.state == SLOT_BUSY) {
				scoreboard_client(&r, local, remote,
				    sizeof(local));
				fprintf(f, ", %s %s <- %s for %.1f s",
				    addr_proto_name(r.proto), local,
				    remote, (double)(now - r.busy_since) /
				    1000.0);
			}
			fprintf(f, "\n");
		}
	}
}

static void
status_json(FILE *f, const struct status_view *v)
{
	char when[40], local[ADDR_TEXT_MAX], remote[ADDR_TEXT_MAX];
	char desc[ADDR_TEXT_MAX];
	struct status_counts c;
	const struct service *s;
	struct slot_report r;
	const struct proc *p;
	int64_t now = now_ms();
	size_t i, j;
	int first;

	fprintf(f, "{\"version\":\"%s\",\"master\":{\"pid\":%ld,"
	    "\"uptime_s\":%lld,\"started\":\"%s\",\"config\":",
	    PACKAGE_VERSION, (long)v->pid,
	    (long long)((now - v->start_ms) / 1000),
	    status_time(&v->started, when, sizeof(when)));
	status_json_string(f, v->conf_path);
	fprintf(f, ",\"generation\":%u,\"older_workers\":%d,\"paused\":%s,"
	    "\"stopping\":%s},\"services\":[", v->generation, status_older(v),
	    v->paused ? "true" : "false", v->stopping ? "true" : "false");
	for (i = 0; i < v->nsvc; i++) {
		s = &v->svc[i];
		status_count(v, i, now, &c);
		fprintf(f, "%s{\"name\":", i ? "," : "");
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
		    "\"served\":%llu,\"respawns\":%llu,\"timeouts\":%llu,"
		    "\"hung_kills\":%llu,\"io_timeouts\":%llu,\"access_lost\":"
		    "%llu,\"ignored\":%llu},\"workers\":[",
		    c.workers, c.busy, c.idle, c.starting, c.exiting, c.paused,
		    (unsigned long long)c.served,
		    (unsigned long long)s->respawns,
		    (unsigned long long)(s->hung_kills + c.io_timeouts),
		    (unsigned long long)s->hung_kills,
		    (unsigned long long)c.io_timeouts,
		    (unsigned long long)c.access_lost,
		    (unsigned long long)c.ignored);
		j = 0;
		first = 1;
		while ((p = status_worker(v, i, &j, now, &r)) != NULL) {
			fprintf(f, "%s{\"pid\":%ld,\"state\":\"%s\","
			    "\"generation\":%u,\"served\":%llu,\"started\":"
			    "\"%s\"", first ? "" : ",", (long)p->pid,
			    status_state(p, &r), p->generation,
			    (unsigned long long)r.served,
			    status_time(&p->started, when, sizeof(when)));
			first = 0;
			if (r.state == SLOT_BUSY) {
				scoreboard_client(&r, local, remote,
				    sizeof(local));
				fprintf(f, ",\"client\":{\"proto\":\"%s\","
				    "\"local\":", addr_proto_name(r.proto));
				status_json_string(f, local);
				fprintf(f, ",\"remote\":");
				status_json_string(f, remote);
				fprintf(f, ",\"busy_s\":%.3f}",
				    (double)(now - r.busy_since) / 1000.0);
			}
			fprintf(f, "}");
		}
		fprintf(f, "]}");
	}
	fprintf(f, "]}\n");
}

/* status_render - the report as a heap string, or NULL when out of memory. */
char *
status_render(const struct status_view *v, int json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if ((f = open_memstream(&buf, &len)) == NULL)
		return NULL;
	if (json)
		status_json(f, v);
	else
		status_text(f, v);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
