/*
 * metrics.c - the built-in "metrics" service: GET /metrics over HTTP/1.1
 * answers the daemon's counters in the Prometheus text format 0.0.4, or
 * in OpenMetrics 1.0.0 when the Accept header prefers it.  The worker
 * serving the scrape reads the published page and the live slots
 * (pub_read): the master serves no one.
 *
 * One request per connection (Connection: close): a scraper opens one
 * connection every scrape interval, so keep-alive would save nothing
 * worth the state it needs.  The request head is bounded
 * (METRICS_REQUEST_MAX: 431 past it) and must arrive whole within
 * io_timeout counted from the accept, not per read, so a client that
 * trickles bytes cannot hold the worker longer.  The parsing and the
 * formatting are pure functions (tests/unit/metrics-t.c).
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "handler.h"
#include "builtin.h"

static void	metrics_stream(struct preforkd_conn *);

const struct preforkd_module handler_metrics = {
	PREFORKD_MODULE_INIT,
	.name = "metrics",
	.worker_start = NULL,
	.serve_stream = metrics_stream,
	.serve_datagram = NULL,
	.worker_stop = NULL,
};

/* ------------------------------------------------------------ request */

/*
 * metrics_head_end - where the request head in buf[0..len) ends (just
 * past its empty line, CRLF or a bare LF), or 0 while it has not.
 */
size_t
metrics_head_end(const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (buf[i + 1] == '\n')
			return i + 2;
		if (buf[i + 1] == '\r' && i + 2 < len && buf[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* metrics_tchar - a character of an HTTP token (RFC 9110, 5.6.2). */
static int
metrics_tchar(int ch)
{
	return isalnum((unsigned char)ch) || (ch != '\0' &&
	    strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

/* metrics_line - the line at *p (up to LF, a CR before it dropped). */
static int
metrics_line(const char **p, const char *end, const char **line,
    size_t *len)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));

	if (nl == NULL)
		return -1;
	*line = *p;
	*len = (size_t)(nl - *p);
	if (*len > 0 && (*line)[*len - 1] == '\r')
		(*len)--;
	*p = nl + 1;
	return 0;
}

/* metrics_trim - value[0..*len) without leading and trailing SP/HTAB. */
static const char *
metrics_trim(const char *v, size_t *len)
{
	while (*len > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		(*len)--;
	}
	while (*len > 0 && (v[*len - 1] == ' ' || v[*len - 1] == '\t'))
		(*len)--;
	return v;
}

/* metrics_path_is - whether the request target names /metrics. */
static int
metrics_path_is(const char *t, size_t n)
{
	const char *q;

	/* The absolute form (to a proxy): skip "http://authority". */
	if (n > 7 && strncasecmp(t, "http://", 7) == 0) {
		q = memchr(t + 7, '/', n - 7);
		if (q == NULL)
			return 0;
		n -= (size_t)(q - t);
		t = q;
	}
	if ((q = memchr(t, '?', n)) != NULL)
		n = (size_t)(q - t);
	return n == 8 && memcmp(t, "/metrics", 8) == 0;
}

/*
 * metrics_request - the answer to the request head buf[0..len) (as
 * metrics_head_end found it): 200 with *format set, or the HTTP status
 * of the refusal: 400 malformed (request line, a header line, a
 * HTTP/1.1 request without exactly one Host), 505 not HTTP/1.x, 413 a
 * body (we take none), 404 another path, 405 another method, 406 no
 * format the Accept header takes.
 */
int
metrics_request(const char *buf, size_t len, int *format)
{
	const char *p = buf, *end = buf + len, *line, *sp1, *sp2, *v, *target;
	char accept[METRICS_REQUEST_MAX + 1];
	size_t n, mlen, tlen, vlen, alen = 0, methlen;
	int hosts = 0, minor, body = 0, have_accept = 0;

	*format = METRICS_TEXT;
	if (metrics_line(&p, end, &line, &n) == -1)
		return 400;
	/* method SP request-target SP HTTP-version */
	sp1 = memchr(line, ' ', n);
	if (sp1 == NULL || sp1 == line)
		return 400;
	methlen = (size_t)(sp1 - line);
	for (v = line; v < sp1; v++)
		if (!metrics_tchar(*v))
			return 400;
	target = sp1 + 1;
	sp2 = memchr(target, ' ', n - methlen - 1);
	if (sp2 == NULL || sp2 == target)
		return 400;
	tlen = (size_t)(sp2 - target);
	for (v = target; v < sp2; v++)
		if ((unsigned char)*v <= ' ' || (unsigned char)*v >= 0x7f)
			return 400;
	vlen = n - methlen - tlen - 2;
	v = sp2 + 1;
	if (vlen != 8 || memcmp(v, "HTTP/", 5) != 0 ||
	    !isdigit((unsigned char)v[5]) || v[6] != '.' ||
	    !isdigit((unsigned char)v[7]))
		return 400;
	if (v[5] != '1')
		return 505;
	minor = v[7] - '0';

	/* field-name ":" OWS field-value OWS, up to the empty line. */
	for (;;) {
		if (metrics_line(&p, end, &line, &n) == -1)
			return 400;
		if (n == 0)
			break;
		if (line[0] == ' ' || line[0] == '\t')
			return 400;	/* obsolete line folding */
		if ((v = memchr(line, ':', n)) == NULL || v == line)
			return 400;
		for (sp1 = line; sp1 < v; sp1++)
			if (!metrics_tchar(*sp1))
				return 400;
		mlen = (size_t)(v - line);
		vlen = n - mlen - 1;
		v = metrics_trim(v + 1, &vlen);
		for (sp1 = v; sp1 < v + vlen; sp1++)
			if ((unsigned char)*sp1 < ' ' && *sp1 != '\t')
				return 400;
		if (mlen == 4 && strncasecmp(line, "host", 4) == 0)
			hosts++;
		else if (mlen == 6 && strncasecmp(line, "accept", 6) == 0) {
			/* Several Accept lines are one list. */
			if (alen + vlen + 1 >= sizeof(accept))
				return 400;
			if (alen > 0)
				accept[alen++] = ',';
			memcpy(accept + alen, v, vlen);
			alen += vlen;
			have_accept = 1;
		} else if (mlen == 14 &&
		    strncasecmp(line, "content-length", 14) == 0) {
			if (vlen == 0)
				return 400;
			for (sp1 = v; sp1 < v + vlen; sp1++)
				if (!isdigit((unsigned char)*sp1))
					return 400;
			for (sp1 = v; sp1 < v + vlen && *sp1 == '0'; sp1++)
				;
			if (sp1 < v + vlen)
				body = 1;
		} else if (mlen == 17 &&
		    strncasecmp(line, "transfer-encoding", 17) == 0)
			body = 1;
	}
	if (hosts > 1 || (minor >= 1 && hosts != 1))
		return 400;
	if (body)
		return 413;
	if (!metrics_path_is(target, tlen))
		return 404;
	if (methlen != 3 || memcmp(buf, "GET", 3) != 0)
		return 405;
	accept[alen] = '\0';
	if ((*format = metrics_accept(have_accept ? accept : NULL)) == -1) {
		*format = METRICS_TEXT;
		return 406;
	}
	return 200;
}

/* ------------------------------------------------------------- Accept */

/* A format as a media type the Accept header may name. */
struct metrics_type {
	const char	*type, *subtype, *version;
};

static const struct metrics_type metrics_types[] = {
	[METRICS_TEXT] = { "text", "plain", "0.0.4" },
	[METRICS_OPENMETRICS] = { "application", "openmetrics-text", "1.0.0" },
};

/* metrics_token - a token at *p (advanced past it): its length, 0 if none. */
static size_t
metrics_token(const char **p)
{
	const char *s = *p;

	while (metrics_tchar(**p))
		(*p)++;
	return (size_t)(*p - s);
}

/* metrics_ows - skip spaces and tabs. */
static void
metrics_ows(const char **p)
{
	while (**p == ' ' || **p == '\t')
		(*p)++;
}

/*
 * metrics_qvalue - "0", "0.5", "1.000"... as thousandths; -1 when it is
 * not a qvalue (RFC 9110, 12.4.2).
 */
static int
metrics_qvalue(const char *v, size_t n)
{
	int q, i, d = 100;

	if (n == 0 || (v[0] != '0' && v[0] != '1'))
		return -1;
	q = (v[0] - '0') * 1000;
	if (n == 1)
		return q;
	if (v[1] != '.' || n > 5)
		return -1;
	for (i = 2; i < (int)n; i++, d /= 10) {
		if (!isdigit((unsigned char)v[i]))
			return -1;
		q += (v[i] - '0') * d;
	}
	return q > 1000 ? -1 : q;
}

/*
 * metrics_range - one media range of an Accept header at *p (advanced
 * to the comma or end after it), weighed for type t: how specifically
 * it names t (3 with a matching version parameter, 2 the type, 1 the
 * type with any subtype, 0 any type; -1 no match or malformed) and its q
 * in thousandths.
 */
static int
metrics_range(const char **p, const struct metrics_type *t, int *q)
{
	const char *ty, *sub, *pn, *pv;
	size_t tyl, subl, pnl, pvl;
	char val[64];
	int spec, version_ok = -1, bad = 0;

	*q = 1000;
	metrics_ows(p);
	ty = *p;
	tyl = metrics_token(p);
	if (tyl == 0 || **p != '/')
		bad = 1;
	else
		(*p)++;
	sub = *p;
	subl = metrics_token(p);
	if (subl == 0)
		bad = 1;
	for (;;) {
		metrics_ows(p);
		if (**p != ';')
			break;
		(*p)++;
		metrics_ows(p);
		pn = *p;
		pnl = metrics_token(p);
		if (pnl == 0 || **p != '=') {
			bad = 1;
			break;
		}
		(*p)++;
		if (**p == '"') {
			/* quoted-string, with quoted-pairs */
			pvl = 0;
			for ((*p)++; **p != '\0' && **p != '"'; (*p)++) {
				if (**p == '\\' && (*p)[1] != '\0')
					(*p)++;
				if (pvl < sizeof(val) - 1)
					val[pvl++] = **p;
			}
			if (**p != '"') {
				bad = 1;
				break;
			}
			(*p)++;
		} else {
			pv = *p;
			pvl = metrics_token(p);
			if (pvl >= sizeof(val))
				pvl = sizeof(val) - 1;
			memcpy(val, pv, pvl);
		}
		val[pvl] = '\0';
		if (pnl == 1 && (*pn == 'q' || *pn == 'Q')) {
			if ((*q = metrics_qvalue(val, pvl)) == -1)
				bad = 1;
		} else if (pnl == 7 && strncasecmp(pn, "version", 7) == 0)
			version_ok = strcmp(val, t->version) == 0;
	}
	/* Skip to the next range, whatever is left of this one. */
	while (**p != '\0' && **p != ',')
		(*p)++;
	if (bad)
		return -1;
	if (tyl == 1 && *ty == '*')
		spec = subl == 1 && *sub == '*' ? 0 : -1;
	else if (tyl != strlen(t->type) || strncasecmp(ty, t->type, tyl) != 0)
		spec = -1;
	else if (subl == 1 && *sub == '*')
		spec = 1;
	else if (subl != strlen(t->subtype) ||
	    strncasecmp(sub, t->subtype, subl) != 0)
		spec = -1;
	else if (version_ok == 0)
		spec = -1;	/* another version of it: not ours */
	else
		spec = version_ok == 1 ? 3 : 2;
	return spec;
}

/* metrics_weigh - the q (thousandths) an Accept value gives type t. */
static int
metrics_weigh(const char *accept, const struct metrics_type *t)
{
	const char *p = accept;
	int spec, best = -1, q, bq = 0;

	while (*p != '\0') {
		if (*p == ',') {
			p++;
			continue;
		}
		spec = metrics_range(&p, t, &q);
		/* The most specific range that matches decides (RFC 9110,
		 * 12.5.1); among equals, the higher q. */
		if (spec > best || (spec == best && spec >= 0 && q > bq)) {
			best = spec;
			bq = q;
		}
	}
	return best < 0 ? 0 : bq;
}

/*
 * metrics_accept - the format an Accept header value asks for (NULL or
 * empty: none given, the text format): OpenMetrics when the client
 * weighs it above the text format, the text format otherwise; -1 when
 * it takes neither (both q=0).
 */
int
metrics_accept(const char *accept)
{
	int qt, qo;

	if (accept == NULL)
		return METRICS_TEXT;
	while (*accept == ' ' || *accept == '\t')
		accept++;
	if (*accept == '\0')
		return METRICS_TEXT;
	qt = metrics_weigh(accept, &metrics_types[METRICS_TEXT]);
	qo = metrics_weigh(accept, &metrics_types[METRICS_OPENMETRICS]);
	if (qt == 0 && qo == 0)
		return -1;
	return qo > qt ? METRICS_OPENMETRICS : METRICS_TEXT;
}

/* metrics_content_type - the Content-Type of a format. */
const char *
metrics_content_type(int format)
{
	return format == METRICS_OPENMETRICS ?
	    "application/openmetrics-text; version=1.0.0; charset=utf-8" :
	    "text/plain; version=0.0.4; charset=utf-8";
}

/* ------------------------------------------------------------- format */

/*
 * metrics_escape - s as a label value: \ " and newline escaped as both
 * formats want them (\\ \" \n), other bytes as they are (service names
 * are [A-Za-z0-9_-], but the escaping does not rely on it).  Returns the
 * length it needed; out is always terminated when len > 0.
 */
size_t
metrics_escape(char *out, size_t len, const char *s)
{
	size_t n = 0;
	char e;

	for (; *s != '\0'; s++) {
		e = *s == '\\' ? '\\' : *s == '"' ? '"' : *s == '\n' ? 'n' : 0;
		if (e != 0) {
			if (n + 1 < len)
				out[n] = '\\';
			n++;
		}
		if (n + 1 < len)
			out[n] = e != 0 ? e : *s;
		n++;
	}
	if (len > 0)
		out[n < len ? n : len - 1] = '\0';
	return n;
}

/* Metric family kinds. */
enum metrics_kind {
	MK_COUNTER,
	MK_GAUGE,
	MK_HISTOGRAM,
};

/*
 * metrics_family - the metadata of a family: HELP, TYPE and (OpenMetrics)
 * UNIT.  The text format names a counter by its sample, NAME_total; in
 * OpenMetrics the family is NAME and its sample NAME_total.
 */
static void
metrics_family(FILE *f, int format, const char *name, int kind,
    const char *unit, const char *help)
{
	static const char *const kinds[] = { "counter", "gauge", "histogram" };
	const char *total = kind == MK_COUNTER && format == METRICS_TEXT ?
	    "_total" : "";

	fprintf(f, "# HELP %s%s %s\n", name, total, help);
	fprintf(f, "# TYPE %s%s %s\n", name, total, kinds[kind]);
	if (unit != NULL && format == METRICS_OPENMETRICS)
		fprintf(f, "# UNIT %s %s\n", name, unit);
}

/* metrics_seconds - ms as seconds, shortest: "1.5", "0.001", "60". */
static void
metrics_seconds(FILE *f, uint64_t ms)
{
	char frac[8];
	int n;

	if (ms % 1000 == 0) {
		fprintf(f, "%llu", (unsigned long long)(ms / 1000));
		return;
	}
	n = snprintf(frac, sizeof(frac), "%03llu",
	    (unsigned long long)(ms % 1000));
	while (n > 1 && frac[n - 1] == '0')
		frac[--n] = '\0';
	fprintf(f, "%llu.%s", (unsigned long long)(ms / 1000), frac);
}

/*
 * metrics_hist - the sample lines of histogram name for one label set
 * (labels: `service="web"`, already escaped): a cumulative _bucket per
 * upper bound (in seconds, +Inf last), _sum in seconds, _count.
 */
void
metrics_hist(FILE *f, const char *name, const char *labels,
    const uint64_t *hist, uint64_t sum_ms)
{
	uint64_t cum = 0;
	int i;

	for (i = 0; i < SLOT_HIST_BUCKETS; i++) {
		cum = scoreboard_add(cum, hist[i]);
		fprintf(f, "%s_bucket{%s,le=\"", name, labels);
		if (scoreboard_hist_bound(i) < 0)
			fprintf(f, "+Inf");
		else
			metrics_seconds(f, (uint64_t)scoreboard_hist_bound(i));
		fprintf(f, "\"} %llu\n", (unsigned long long)cum);
	}
	fprintf(f, "%s_sum{%s} ", name, labels);
	metrics_seconds(f, sum_ms);
	fprintf(f, "\n%s_count{%s} %llu\n", name, labels,
	    (unsigned long long)cum);
}

/* metrics_labels - `service="NAME"` of snapshot service i, escaped. */
static const char *
metrics_labels(const struct pub_snap *s, size_t i, char *buf, size_t len)
{
	char esc[4 * SERVICE_NAME_MAX + 8];

	metrics_escape(esc, sizeof(esc), s->svc[i].name);
	snprintf(buf, len, "service=\"%s\"", esc);
	return buf;
}

/* What a counter family reads of a service (arg: a counter's index). */
typedef uint64_t (*metrics_get)(const struct pub_snap_service *, int);

static uint64_t
metrics_get_count(const struct pub_snap_service *v, int c)
{
	return v->count[c];
}

static uint64_t
metrics_get_respawns(const struct pub_snap_service *v, int c)
{
	(void)c;
	return v->respawns;
}

static uint64_t
metrics_get_hung_kills(const struct pub_snap_service *v, int c)
{
	(void)c;
	return v->hung_kills;
}

/* metrics_counter - a counter family with one sample per service. */
static void
metrics_counter(FILE *f, int format, const struct pub_snap *s,
    const char *name, const char *unit, const char *help, metrics_get get,
    int arg)
{
	char l[4 * SERVICE_NAME_MAX + 32];
	size_t i;

	metrics_family(f, format, name, MK_COUNTER, unit, help);
	for (i = 0; i < s->nsvc; i++)
		fprintf(f, "%s_total{%s} %llu\n", name,
		    metrics_labels(s, i, l, sizeof(l)),
		    (unsigned long long)get(&s->svc[i], arg));
}

/* The worker states the workers gauge shows, and what of a snapshot. */
static const int metrics_states[] = {
	SLOT_STARTING, SLOT_IDLE, SLOT_BUSY, SLOT_PAUSED,
};

/*
 * metrics_render - the whole exposition of snapshot s in a format: per
 * service the workers by state, every slot counter (from the counter
 * table), respawns, hung kills, the crash throttle, the duration
 * histogram; the generation, the master's phase, its start time.  In
 * OpenMetrics, # EOF ends it.
 */
void
metrics_render(FILE *f, const struct pub_snap *s, int format)
{
	const struct slot_counter_info *ci;
	const struct pub_snap_service *v;
	char l[4 * SERVICE_NAME_MAX + 32];
	size_t i, k;
	int c, p;

	metrics_family(f, format, "preforkd_workers", MK_GAUGE, NULL,
	    "Workers of the current generation by state (exiting: told to "
	    "finish, or of an older generation).");
	for (i = 0; i < s->nsvc; i++) {
		v = &s->svc[i];
		metrics_labels(s, i, l, sizeof(l));
		for (k = 0; k < sizeof(metrics_states) / sizeof(*metrics_states);
		    k++)
			fprintf(f, "preforkd_workers{%s,state=\"%s\"} %d\n", l,
			    scoreboard_state_name(metrics_states[k]),
			    v->state[metrics_states[k]]);
		fprintf(f, "preforkd_workers{%s,state=\"exiting\"} %d\n", l,
		    v->exiting + v->state[SLOT_EXITING]);
	}
	for (c = 0; c < CTR_COUNT; c++) {
		ci = scoreboard_counter_info(c);
		if (ci->metric != NULL)
			metrics_counter(f, format, s, ci->metric, ci->unit,
			    ci->help, metrics_get_count, c);
	}
	metrics_counter(f, format, s, "preforkd_respawns", NULL,
	    "Workers replaced after they died unasked.", metrics_get_respawns,
	    0);
	metrics_counter(f, format, s, "preforkd_hung_kills", NULL,
	    "Workers killed for being busy on one connection past timeout.",
	    metrics_get_hung_kills, 0);
	metrics_family(f, format, "preforkd_crash_throttle_seconds", MK_GAUGE,
	    "seconds", "The respawn backoff of workers that die at start "
	    "(0: not throttled).");
	for (i = 0; i < s->nsvc; i++) {
		fprintf(f, "preforkd_crash_throttle_seconds{%s} ",
		    metrics_labels(s, i, l, sizeof(l)));
		metrics_seconds(f, (uint64_t)(s->svc[i].throttle_ms > 0 ?
		    s->svc[i].throttle_ms : 0));
		fprintf(f, "\n");
	}
	metrics_family(f, format, "preforkd_connection_duration_seconds",
	    MK_HISTOGRAM, "seconds", "How long stream connections lasted.");
	for (i = 0; i < s->nsvc; i++)
		metrics_hist(f, "preforkd_connection_duration_seconds",
		    metrics_labels(s, i, l, sizeof(l)), s->svc[i].hist,
		    s->svc[i].hist_sum_ms);
	metrics_family(f, format, "preforkd_generation", MK_GAUGE, NULL,
	    "The configuration generation (1 at start, one more a reload).");
	fprintf(f, "preforkd_generation %u\n", s->generation);
	metrics_family(f, format, "preforkd_master_phase", MK_GAUGE, NULL,
	    "1 for what the master is doing: running, stopping, reloading "
	    "(new generation not yet ready), upgrading.");
	for (p = 0; p < PUB_PHASES; p++)
		fprintf(f, "preforkd_master_phase{phase=\"%s\"} %d\n",
		    pub_phase_name(p), p == s->phase);
	metrics_family(f, format, "preforkd_info", MK_GAUGE, NULL,
	    "The preforkd version, and the master's pid.");
	fprintf(f, "preforkd_info{version=\"%s\",pid=\"%ld\"} 1\n",
	    PACKAGE_VERSION, s->master_pid);
	metrics_family(f, format, "process_start_time_seconds", MK_GAUGE,
	    "seconds", "When the master process started, in seconds since "
	    "the epoch.");
	fprintf(f, "process_start_time_seconds ");
	metrics_seconds(f, (uint64_t)(s->master_start_ms > 0 ?
	    s->master_start_ms : 0));
	fprintf(f, "\n");
	if (format == METRICS_OPENMETRICS)
		fprintf(f, "# EOF\n");
}

/* -------------------------------------------------------------- serve */

/* metrics_reason - the reason phrase of a status we send. */
static const char *
metrics_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 413: return "Content Too Large";
	case 431: return "Request Header Fields Too Large";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default:  return "Error";
	}
}

/* metrics_send - the response: status, headers, body (NULL: the reason). */
static void
metrics_send(struct preforkd_conn *c, int status, const char *type,
    const char *body, size_t blen)
{
	char head[512], text[64];
	int n;

	if (body == NULL) {
		n = snprintf(text, sizeof(text), "%d %s\n", status,
		    metrics_reason(status));
		body = text;
		blen = (size_t)n;
		type = "text/plain; charset=utf-8";
	}
	n = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\n"
	    "Content-Type: %s\r\nContent-Length: %zu\r\n%s%s"
	    "Connection: close\r\n\r\n", status, metrics_reason(status),
	    type, blen, status == 405 ? "Allow: GET\r\n" : "",
	    status == 503 ? "Retry-After: 1\r\n" : "");
	if (conn_write(c, head, (size_t)n) == 0)
		(void)conn_write(c, body, blen);
}

/* How long, and how much, a refused client may still send us. */
#define METRICS_LINGER_MS	1000
#define METRICS_LINGER_MAX	65536

/*
 * metrics_linger - after a refusal, before the close: a client may still
 * be sending what we did not read (a head too long, a body), and a close
 * with unread bytes resets the connection, which may throw away the
 * answer before the client reads it.  So: no more from us (shutdown),
 * then read and drop what comes, for a bounded time and amount, as
 * Apache's lingering close does.
 */
static void
metrics_linger(struct preforkd_conn *c)
{
	int64_t until = now_ms() + METRICS_LINGER_MS, left;
	struct pollfd pfd;
	char buf[4096];
	size_t total = 0;
	ssize_t n;

	if (shutdown(conn_api.fd(c), SHUT_WR) == -1)
		return;
	pfd.fd = conn_api.fd(c);
	pfd.events = POLLIN;
	while (total < METRICS_LINGER_MAX &&
	    (left = until - now_ms()) > 0) {
		if (poll(&pfd, 1, (int)left) <= 0)
			return;
		if ((n = recv(pfd.fd, buf, sizeof(buf), MSG_DONTWAIT)) <= 0)
			return;
		total += (size_t)n;
	}
}

/*
 * metrics_read_head - the request head into buf (METRICS_REQUEST_MAX + 1
 * bytes): its length; 0 when the client went away or stayed silent (the
 * end is set); -1 when it was longer than the bound.  The whole head
 * must come within io_timeout of the accept.
 */
static ssize_t
metrics_read_head(struct preforkd_conn *c, char *buf)
{
	const struct preforkd_service *svc = conn_api.service(c);
	int64_t deadline = conn_api.started(c) + svc->io_timeout * 1000LL;
	struct pollfd pfd;
	size_t len = 0, end;
	ssize_t n;
	int64_t left;

	for (;;) {
		if ((end = metrics_head_end(buf, len)) > 0)
			return (ssize_t)end;
		if (len == METRICS_REQUEST_MAX)
			return -1;
		if (svc->io_timeout > 0) {
			if ((left = deadline - now_ms()) <= 0)
				goto timeout;
			pfd.fd = conn_api.fd(c);
			pfd.events = POLLIN;
			n = poll(&pfd, 1, (int)left);
			if (n == 0)
				goto timeout;
			if (n == -1 && errno != EINTR)
				return 0;
		}
		if ((n = conn_read(c, buf + len, METRICS_REQUEST_MAX - len)) <= 0)
			return 0;
		len += (size_t)n;
	}
timeout:
	conn_api.set_end(c, PREFORKD_END_TIMEOUT);
	return 0;
}

static void
metrics_stream(struct preforkd_conn *c)
{
	char buf[METRICS_REQUEST_MAX + 1];
	struct pub_snap snap;
	char *body = NULL;
	size_t blen = 0;
	ssize_t n;
	int status, format;
	FILE *f;

	if ((n = metrics_read_head(c, buf)) == 0)
		return;
	status = n == -1 ? 431 : metrics_request(buf, (size_t)n, &format);
	if (status != 200) {
		metrics_send(c, status, NULL, NULL, 0);
		if (status == 400 || status == 413 || status == 431 ||
		    status == 505)
			conn_api.set_end(c, PREFORKD_END_ERROR);
		metrics_linger(c);
		return;
	}
	if (pub_read(&snap) == -1) {
		log_warning("metrics: cannot read the published totals: %s",
		    strerror(errno));
		metrics_send(c, 503, NULL, NULL, 0);
		return;
	}
	if ((f = open_memstream(&body, &blen)) == NULL) {
		pub_snap_free(&snap);
		metrics_send(c, 503, NULL, NULL, 0);
		return;
	}
	metrics_render(f, &snap, format);
	pub_snap_free(&snap);
	if (fclose(f) != 0) {
		free(body);
		metrics_send(c, 503, NULL, NULL, 0);
		return;
	}
	metrics_send(c, 200, metrics_content_type(format), body, blen);
	free(body);
}
