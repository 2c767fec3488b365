/*
 * metrics-t.c - unit tests of the pure parts of src/handlers/metrics.c
 * and src/handlers/agent.c: label escaping, the counter table every
 * metric is named from, the histogram lines, the whole exposition in
 * both formats, the Accept header (q-values, lists, parameters), the
 * request head (bounded, 400/404/405/406/413/505), and the agent's
 * answer (table).
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "preforkd.h"
#include "handlers/builtin.h"
#include "../tap/basic.h"

/* render - the exposition of s in format, as a heap string. */
static char *
render(const struct pub_snap *s, int format)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		sysbail("open_memstream");
	metrics_render(f, s, format);
	fclose(f);
	return buf;
}

/* metric_name_ok - [a-zA-Z_:][a-zA-Z0-9_:]* */
static int
metric_name_ok(const char *n)
{
	if (n == NULL || !(isalpha((unsigned char)*n) || *n == '_' || *n == ':'))
		return 0;
	for (n++; *n != '\0'; n++)
		if (!(isalnum((unsigned char)*n) || *n == '_' || *n == ':'))
			return 0;
	return 1;
}

static void
test_escape(void)
{
	char out[64];

	metrics_escape(out, sizeof(out), "web-1_a");
	is_string("web-1_a", out, "escape: a plain name as it is");
	metrics_escape(out, sizeof(out), "a\\b\"c\nd");
	is_string("a\\\\b\\\"c\\nd", out, "escape: backslash, quote, newline");
	is_int(4, (long long)metrics_escape(out, 3, "\"\""),
	    "escape: the length it needed is returned");
	is_string("\\\"", out, "escape: cut short, still terminated");
}

static void
test_table(void)
{
	const struct slot_counter_info *ci, *cj;
	int i, j, rows = 1, unique = 1, units = 1;
	size_t n, u;

	for (i = 0; i < CTR_COUNT; i++) {
		ci = scoreboard_counter_info(i);
		if (ci->name == NULL || ci->metric == NULL || ci->help == NULL ||
		    !metric_name_ok(ci->metric) ||
		    strncmp(ci->metric, "preforkd_", 9) != 0) {
			diag("counter %d has no row or a bad metric name", i);
			rows = 0;
			continue;
		}
		/* OpenMetrics: a family with a unit ends in _UNIT; none in
		 * _total (the sample adds it). */
		n = strlen(ci->metric);
		if (n > 6 && strcmp(ci->metric + n - 6, "_total") == 0)
			units = 0;
		if (ci->unit != NULL && ((u = strlen(ci->unit)) + 1 > n ||
		    strcmp(ci->metric + n - u, ci->unit) != 0 ||
		    ci->metric[n - u - 1] != '_'))
			units = 0;
		for (j = 0; j < i; j++) {
			cj = scoreboard_counter_info(j);
			if (cj->metric != NULL &&
			    strcmp(cj->metric, ci->metric) == 0)
				unique = 0;
			if (cj->name != NULL && strcmp(cj->name, ci->name) == 0)
				unique = 0;
		}
	}
	ok(rows, "table: every enum slot_counter has a row with a valid "
	    "metric name and help");
	ok(unique, "table: names and metric names are unique");
	ok(units, "table: a unit is the name's suffix, _total never is");
	is_string("?", scoreboard_counter_name(CTR_COUNT),
	    "table: out of range is \"?\"");
}

static void
test_hist(void)
{
	uint64_t h[SLOT_HIST_BUCKETS] = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	is_int(0, scoreboard_hist_bucket(0), "bucket: 0 ms in the first");
	is_int(0, scoreboard_hist_bucket(1), "bucket: 1 ms in le 0.001");
	is_int(1, scoreboard_hist_bucket(2), "bucket: 2 ms in le 0.005");
	is_int(9, scoreboard_hist_bucket(60000), "bucket: 60 s in le 60");
	is_int(SLOT_HIST_BUCKETS - 1, scoreboard_hist_bucket(60001),
	    "bucket: past 60 s in +Inf");
	h[0] = 2;
	h[3] = 1;
	h[SLOT_HIST_BUCKETS - 1] = 4;
	f = open_memstream(&buf, &len);
	metrics_hist(f, "x_seconds", "service=\"a\"", h, 1234567);
	fclose(f);
	is_string(
	    "x_seconds_bucket{service=\"a\",le=\"0.001\"} 2\n"
	    "x_seconds_bucket{service=\"a\",le=\"0.005\"} 2\n"
	    "x_seconds_bucket{service=\"a\",le=\"0.01\"} 2\n"
	    "x_seconds_bucket{service=\"a\",le=\"0.05\"} 3\n"
	    "x_seconds_bucket{service=\"a\",le=\"0.1\"} 3\n"
	    "x_seconds_bucket{service=\"a\",le=\"0.5\"} 3\n"
	    "x_seconds_bucket{service=\"a\",le=\"1\"} 3\n"
	    "x_seconds_bucket{service=\"a\",le=\"5\"} 3\n"
	    "x_seconds_bucket{service=\"a\",le=\"10\"} 3\n"
	    "x_seconds_bucket{service=\"a\",le=\"60\"} 3\n"
	    "x_seconds_bucket{service=\"a\",le=\"+Inf\"} 7\n"
	    "x_seconds_sum{service=\"a\"} 1234.567\n"
	    "x_seconds_count{service=\"a\"} 7\n", buf,
	    "histogram: cumulative buckets in seconds, sum, count");
	free(buf);
}

static void
test_render(void)
{
	struct pub_snap_service svc[2];
	struct pub_snap s;
	char *t, *o;

	memset(&s, 0, sizeof(s));
	memset(svc, 0, sizeof(svc));
	s.generation = 3;
	s.phase = PUB_RELOADING;
	s.master_start_ms = 1795710618728;
	s.master_pid = 42;
	s.nsvc = 2;
	s.svc = svc;
	snprintf(svc[0].name, sizeof(svc[0].name), "web");
	svc[0].count[CTR_SERVED] = 17;
	svc[0].count[CTR_BYTES_IN] = 1000;
	svc[0].state[SLOT_IDLE] = 3;
	svc[0].state[SLOT_BUSY] = 1;
	svc[0].exiting = 2;
	svc[0].respawns = 5;
	svc[0].throttle_ms = 4000;
	snprintf(svc[1].name, sizeof(svc[1].name), "we\"ird\\");

	t = render(&s, METRICS_TEXT);
	o = render(&s, METRICS_OPENMETRICS);
	like(t, "# TYPE preforkd_served_total counter\n"
	    "preforkd_served_total{service=\"web\"} 17\n"
	    "preforkd_served_total{service=\"we\\\"ird\\\\\"} 0\n",
	    "text: a counter family is named by its _total sample");
	like(o, "# HELP preforkd_served Connections and datagrams served.\n"
	    "# TYPE preforkd_served counter\n"
	    "preforkd_served_total{service=\"web\"} 17\n",
	    "openmetrics: the family without _total, samples with it");
	like(o, "# TYPE preforkd_received_bytes counter\n"
	    "# UNIT preforkd_received_bytes bytes\n"
	    "preforkd_received_bytes_total{service=\"web\"} 1000\n",
	    "openmetrics: # UNIT where there is a unit");
	ok(strstr(t, "# UNIT") == NULL, "text: no # UNIT (not in 0.0.4)");
	like(t, "preforkd_workers{service=\"web\",state=\"idle\"} 3\n"
	    "preforkd_workers{service=\"web\",state=\"busy\"} 1\n"
	    "preforkd_workers{service=\"web\",state=\"paused\"} 0\n"
	    "preforkd_workers{service=\"web\",state=\"exiting\"} 2\n",
	    "workers by state");
	like(t, "preforkd_respawns_total{service=\"web\"} 5\n",
	    "respawns");
	like(t, "preforkd_crash_throttle_seconds{service=\"web\"} 4\n",
	    "crash throttle in seconds");
	like(t, "preforkd_generation 3\n", "generation");
	like(t, "preforkd_master_phase{phase=\"running\"} 0\n"
	    "preforkd_master_phase{phase=\"stopping\"} 0\n"
	    "preforkd_master_phase{phase=\"reloading\"} 1\n", "phase");
	like(t, "process_start_time_seconds 1795710618.728\n",
	    "the master's start time");
	like(t, "preforkd_connection_duration_seconds_count{service="
	    "\"web\"} 0\n", "the histogram, per service");
	ok(strlen(o) > 6 && strcmp(o + strlen(o) - 6, "# EOF\n") == 0,
	    "openmetrics: # EOF last");
	ok(strstr(t, "# EOF") == NULL, "text: no # EOF");
	free(t);
	free(o);
}

static void
test_accept(void)
{
	static const struct {
		const char *accept;
		int want;
	} cases[] = {
		{ NULL, METRICS_TEXT },
		{ "", METRICS_TEXT },
		{ "*/*", METRICS_TEXT },
		{ "text/plain", METRICS_TEXT },
		{ "application/openmetrics-text", METRICS_OPENMETRICS },
		{ "application/openmetrics-text; version=1.0.0",
		    METRICS_OPENMETRICS },
		{ "application/openmetrics-text;version=\"1.0.0\"",
		    METRICS_OPENMETRICS },
		/* what Prometheus 2.x sends */
		{ "application/openmetrics-text;version=1.0.0,"
		    "application/openmetrics-text;version=0.0.1;q=0.75,"
		    "text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
		    METRICS_OPENMETRICS },
		/* another version of OpenMetrics is not ours: 406 */
		{ "application/openmetrics-text;version=0.0.1", -1 },
		{ "text/plain;q=0.9, application/openmetrics-text;q=0.8",
		    METRICS_TEXT },
		{ "text/plain;q=0.3, application/openmetrics-text;q=0.8",
		    METRICS_OPENMETRICS },
		{ "application/*", METRICS_OPENMETRICS },
		{ "application/*;q=0.5, text/*;q=0.4", METRICS_OPENMETRICS },
		{ "text/*;q=0.5, application/openmetrics-text;q=0",
		    METRICS_TEXT },
		/* the more specific range decides */
		{ "*/*;q=1, text/plain;q=0", METRICS_OPENMETRICS },
		{ "application/openmetrics-text;q=0, */*", METRICS_TEXT },
		{ "Application/OpenMetrics-Text", METRICS_OPENMETRICS },
		{ "text/html", -1 },
		{ "text/plain;q=0, application/openmetrics-text;q=0", -1 },
		/* a malformed q: that range is dropped */
		{ "application/openmetrics-text;q=2, text/plain",
		    METRICS_TEXT },
		{ "application/openmetrics-text;q=abc", -1 },
		{ " , ,application/openmetrics-text ,", METRICS_OPENMETRICS },
		{ "application/openmetrics-text;charset=utf-8;q=0.9,"
		    "text/plain;q=0.8", METRICS_OPENMETRICS },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_int(cases[i].want, metrics_accept(cases[i].accept),
		    "Accept: %s", cases[i].accept == NULL ? "(none)" :
		    cases[i].accept);
}

static void
test_request(void)
{
	static const struct {
		const char *head;
		int status, format;
	} cases[] = {
		{ "GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n", 200, 0 },
		{ "GET /metrics HTTP/1.0\r\n\r\n", 200, 0 },
		{ "GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\n\r\n", 200, 0 },
		{ "GET http://a/metrics HTTP/1.1\r\nHost: a\r\n\r\n", 200, 0 },
		{ "GET /metrics HTTP/1.1\nHost: a\n\n", 200, 0 },
		{ "GET /metrics HTTP/1.1\r\nhost:a\r\nAccept: application/"
		    "openmetrics-text\r\n\r\n", 200, 1 },
		{ "GET /metrics HTTP/1.1\r\nHost: a\r\nAccept: text/plain;"
		    "q=0.1\r\nAccept: application/openmetrics-text\r\n\r\n",
		    200, 1 },
		{ "GET /metrics HTTP/1.1\r\nHost: a\r\nContent-Length: 0"
		    "\r\n\r\n", 200, 0 },
		{ "GET / HTTP/1.1\r\nHost: a\r\n\r\n", 404, 0 },
		{ "GET /metricsx HTTP/1.1\r\nHost: a\r\n\r\n", 404, 0 },
		{ "GET /metrics/ HTTP/1.1\r\nHost: a\r\n\r\n", 404, 0 },
		{ "POST /metrics HTTP/1.1\r\nHost: a\r\n\r\n", 405, 0 },
		{ "HEAD /metrics HTTP/1.1\r\nHost: a\r\n\r\n", 405, 0 },
		{ "get /metrics HTTP/1.1\r\nHost: a\r\n\r\n", 405, 0 },
		{ "POST /other HTTP/1.1\r\nHost: a\r\n\r\n", 404, 0 },
		{ "GET /metrics HTTP/1.1\r\n\r\n", 400, 0 },
		{ "GET /metrics HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400,
		    0 },
		{ "GET /metrics HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400,
		    0 },
		{ "GET /metrics HTTP/1.1\r\nHost a\r\n\r\n", 400, 0 },
		{ "GET /metrics HTTP/1.1\r\nBad Name: a\r\nHost: a\r\n\r\n",
		    400, 0 },
		{ "GET  /metrics HTTP/1.1\r\nHost: a\r\n\r\n", 400, 0 },
		{ "GET /metrics\r\n\r\n", 400, 0 },
		{ "GET /metrics HTTP/1.1 x\r\nHost: a\r\n\r\n", 400, 0 },
		{ "GET /metrics HTTP/11\r\nHost: a\r\n\r\n", 400, 0 },
		{ "\r\n\r\n", 400, 0 },
		{ "GET /me\x01trics HTTP/1.1\r\nHost: a\r\n\r\n", 400, 0 },
		{ "GET /metrics HTTP/1.1\r\nHost: a\x01\r\n\r\n", 400, 0 },
		{ "GET /metrics HTTP/2.0\r\nHost: a\r\n\r\n", 505, 0 },
		{ "GET /metrics HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
		    "\r\n", 413, 0 },
		{ "GET /metrics HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n"
		    "\r\n", 400, 0 },
		{ "GET /metrics HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
		    "chunked\r\n\r\n", 413, 0 },
		{ "GET /metrics HTTP/1.1\r\nHost: a\r\nAccept: text/html\r\n"
		    "\r\n", 406, 0 },
	};
	char big[METRICS_REQUEST_MAX + 64];
	size_t i, end, n;
	int status, format;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = strlen(cases[i].head);
		end = metrics_head_end(cases[i].head, n);
		status = metrics_request(cases[i].head, end > 0 ? end : n,
		    &format);
		ok(status == cases[i].status && (status != 200 ||
		    format == cases[i].format), "request %zu: %d (got %d, "
		    "format %d)", i, cases[i].status, status, format);
	}
	is_int(0, (long long)metrics_head_end("GET / HTTP/1.1\r\nHost: a\r\n",
	    26), "head: not over without its empty line");
	is_int(5, (long long)metrics_head_end("a\r\n\r\nbody", 9),
	    "head: ends after CRLF CRLF, the body apart");
	memset(big, 'a', sizeof(big));
	is_int(0, (long long)metrics_head_end(big, sizeof(big)),
	    "head: a long line is no head (the handler answers 431 past "
	    "METRICS_REQUEST_MAX)");
}

static void
test_agent(void)
{
	static const struct {
		int phase, min;
		struct agent_pool p[2];
		size_t n;
		const char *want;
	} cases[] = {
		{ PUB_RUNNING, 10, { { 4, 4, 0, 0 } }, 1, "ready 100%\n" },
		{ PUB_RUNNING, 10, { { 2, 4, 0, 0 } }, 1, "ready 50%\n" },
		{ PUB_RUNNING, 10, { { 0, 4, 0, 0 } }, 1, "ready 10%\n" },
		{ PUB_RUNNING, 0, { { 0, 4, 0, 0 } }, 1, "ready 0%\n" },
		{ PUB_RUNNING, 10, { { 1, 3, 0, 0 } }, 1, "ready 33%\n" },
		/* across services: 3 idle of 8 */
		{ PUB_RUNNING, 10, { { 1, 4, 0, 0 }, { 2, 4, 0, 0 } }, 2,
		    "ready 37%\n" },
		/* a dynamic pool's room to grow counts as idle: 1 idle of
		 * 2 running, 8 more may come: 9 of 10 */
		{ PUB_RUNNING, 10, { { 1, 2, 1, 10 } }, 1, "ready 90%\n" },
		{ PUB_RUNNING, 10, { { 0, 10, 1, 10 } }, 1, "ready 10%\n" },
		/* nothing to weigh: the floor */
		{ PUB_RUNNING, 25, { { 0, 0, 0, 0 } }, 1, "ready 25%\n" },
		{ PUB_RUNNING, 25, { { 0, 0, 0, 0 } }, 0, "ready 25%\n" },
		{ PUB_STOPPING, 10, { { 4, 4, 0, 0 } }, 1, "drain\n" },
		{ PUB_RELOADING, 10, { { 4, 4, 0, 0 } }, 1, "drain\n" },
		{ PUB_UPGRADING, 10, { { 4, 4, 0, 0 } }, 1, "drain\n" },
		/* a lying slot cannot push it past 100% */
		{ PUB_RUNNING, 10, { { 9, 4, 0, 0 } }, 1, "ready 100%\n" },
	};
	char out[AGENT_ANSWER_MAX];
	size_t i, n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = agent_answer(out, sizeof(out), cases[i].phase, cases[i].p,
		    cases[i].n, cases[i].min);
		ok(n == strlen(cases[i].want) && strcmp(out, cases[i].want) ==
		    0, "agent %zu: %.*s (got %s)", i,
		    (int)strlen(cases[i].want) - 1, cases[i].want, out);
	}
}

int
main(void)
{
	plan_lazy();
	test_escape();
	test_table();
	test_hist();
	test_render();
	test_accept();
	test_request();
	test_agent();
	return 0;
}
