/*
 * metrics-t.c - the metrics handler of the real preforkd, read by the
 * real consumers: promtool accepts the Prometheus text format, the
 * OpenMetrics parser of python3-prometheus-client accepts the OpenMetrics
 * format, and a real Prometheus server (started here on loopback, its
 * own port and storage) scrapes it every second and gives back `up` and
 * a preforkd counter through its HTTP API.  Scrapes before and after a
 * known number of connections, a kill -9 of a worker that had counted
 * some, a reload (HUP) and a reload that adds services (the published
 * page grows): the counters moved by exactly what happened and no scrape
 * ever saw one go backwards.  The refusals: 404, 405, 400, 406, 431, 413,
 * a client that sends half a request (io_timeout), and the unix socket.
 * -s status --json carries the same numbers.
 *
 * A tool that is missing fails the test (apt: prometheus,
 * python3-prometheus-client).
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/socket.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap/basic.h"
#include "../tap/daemon.h"
#include "../tap/net.h"
#include "../tap/tools.h"

#define PROMTOOL	"/usr/bin/promtool"
#define PYTHON		"/usr/bin/python3"
#define PROMETHEUS	"/usr/bin/prometheus"

#define WAIT_MS		30000

/* What Prometheus 2.x asks for. */
#define PROM_ACCEPT	"application/openmetrics-text;version=1.0.0," \
	"application/openmetrics-text;version=0.0.1;q=0.75," \
	"text/plain;version=0.0.4;q=0.5,*/*;q=0.1"

static struct pf_daemon	*d;
static int		 mport, eport;
static uint64_t		 last_served;	/* echo's, as last scraped */
static int		 backwards;	/* scrapes that saw it go down */
static int		 scrapes;

/*
 * scrape - the body of a GET /metrics (text format unless om), checked
 * against the last scrape: echo's served never goes backwards.  NULL
 * when the answer was not 200.
 */
static char *
scrape(int om, uint64_t *served)
{
	char *r, *body;
	uint64_t v = 0;

	r = pf_http_get("127.0.0.1", mport, "/metrics", om ? PROM_ACCEPT :
	    NULL);
	if (pf_http_status(r) != 200) {
		diag("scrape: %.200s", r != NULL ? r : "(no connection)");
		free(r);
		return NULL;
	}
	body = strdup(pf_http_body(r));
	free(r);
	scrapes++;
	if (pf_metric(body, "preforkd_served_total{service=\"echo\"}", &v)) {
		if (v < last_served) {
			diag("served went backwards: %llu after %llu",
			    (unsigned long long)v,
			    (unsigned long long)last_served);
			backwards++;
		}
		last_served = v;
	}
	if (served != NULL)
		*served = v;
	return body;
}

/* counter - one sample's value in a fresh scrape (text format). */
static uint64_t
counter(const char *sample)
{
	char *body = scrape(0, NULL);
	uint64_t v = UINT64_MAX;

	if (body != NULL && !pf_metric(body, sample, &v))
		v = UINT64_MAX;
	free(body);
	return v;
}

/* wait_counter - poll until sample reads want (bounded): what it read. */
static uint64_t
wait_counter(const char *sample, uint64_t want)
{
	long deadline = pf_now_ms() + WAIT_MS;
	uint64_t v;

	for (;;) {
		v = counter(sample);
		if (v == want || pf_now_ms() >= deadline)
			return v;
		pf_sleep_ms(20);
	}
}

/* save - text into DIR/name, its path returned. */
static char *
save(const char *name, const char *text)
{
	char *path = pf_path(d, name);

	pf_write_file(path, text);
	return path;
}

/* json_served - echo's "served" in -s status --json; -1. */
static long long
json_count(const char *key)
{
	char *out = malloc(1 << 20), err[4096], *p, *needle;
	long long v = -1;

	if (out == NULL)
		sysbail("malloc");
	needle = tap_strdup_printf("\"%s\":", key);
	if (pf_status(d, 1, out, 1 << 20, err, sizeof(err)) == 0 &&
	    (p = strstr(out, "{\"name\":\"echo\"")) != NULL &&
	    (p = strstr(p, "\"counts\":")) != NULL &&
	    (p = strstr(p, needle)) != NULL)
		v = atoll(p + strlen(needle));
	free(needle);
	free(out);
	return v;
}

/* echo_n - n echo round trips of "hello\n" (6 bytes each way). */
static int
echo_n(int n)
{
	int i, good = 0;

	for (i = 0; i < n; i++)
		good += pf_echo_tcp("127.0.0.1", eport, "hello\n") == 1;
	return good;
}

static void
test_formats(void)
{
	char out[8192], *r, *body, *path;
	const char *promtool[] = { PROMTOOL, "check", "metrics", NULL };
	const char *python[] = { PYTHON, "-c",
	    "import sys\n"
	    "from prometheus_client.openmetrics.parser import "
	    "text_string_to_metric_families\n"
	    "n = 0\n"
	    "for f in text_string_to_metric_families(open(sys.argv[1])"
	    ".read()):\n"
	    "    n += 1\n"
	    "print('families', n)\n", NULL, NULL };
	int st;

	r = pf_http_get("127.0.0.1", mport, "/metrics", NULL);
	is_int(200, pf_http_status(r), "GET /metrics: 200");
	like(r, "\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8"
	    "\r\n", "no Accept: the text format 0.0.4");
	like(r, "\r\nConnection: close\r\n", "Connection: close");
	body = strdup(pf_http_body(r));
	path = save("metrics.txt", body);
	ok(pf_tool_have(PROMTOOL), "promtool is installed");
	st = pf_tool_run(promtool, path, out, sizeof(out), WAIT_MS);
	ok(pf_exited_zero(st), "promtool check metrics accepts the 0.0.4 "
	    "output (status 0x%x)", st);
	if (!pf_exited_zero(st))
		diag("promtool: %s", out);
	ok(strstr(body, "# EOF") == NULL, "text: no # EOF");
	free(r);
	free(body);
	free(path);

	r = pf_http_get("127.0.0.1", mport, "/metrics", PROM_ACCEPT);
	is_int(200, pf_http_status(r), "GET /metrics as Prometheus asks: 200");
	like(r, "\r\nContent-Type: application/openmetrics-text; "
	    "version=1.0.0; charset=utf-8\r\n", "... in OpenMetrics 1.0.0");
	body = strdup(pf_http_body(r));
	ok(strlen(body) > 6 && strcmp(body + strlen(body) - 6, "# EOF\n") ==
	    0, "openmetrics: # EOF last");
	like(body, "# UNIT preforkd_connection_duration_seconds seconds\n",
	    "openmetrics: # UNIT");
	path = save("metrics.om", body);
	python[3] = path;
	ok(pf_tool_have(PYTHON), "python3 is installed");
	st = pf_tool_run(python, NULL, out, sizeof(out), WAIT_MS);
	ok(pf_exited_zero(st) && strstr(out, "families ") != NULL,
	    "python3-prometheus-client's OpenMetrics parser accepts it "
	    "(status 0x%x)", st);
	if (!pf_exited_zero(st))
		diag("python3: %s", out);
	free(r);
	free(body);
	free(path);
}

static void
test_refusals(void)
{
	static const struct {
		const char *req;
		int status;
		const char *why;
	} cases[] = {
		{ "GET /other HTTP/1.1\r\nHost: a\r\n\r\n", 404,
		    "another path" },
		{ "POST /metrics HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n"
		    "\r\n", 405, "another method" },
		{ "HELLO\r\n\r\n", 400, "a malformed request line" },
		{ "GET /metrics HTTP/1.1\r\n\r\n", 400, "HTTP/1.1 without Host" },
		{ "GET /metrics HTTP/1.1\r\nHost: a\r\nAccept: text/html\r\n"
		    "\r\n", 406, "an Accept that takes neither format" },
		{ "GET /metrics HTTP/1.1\r\nHost: a\r\nContent-Length: 100000"
		    "\r\n\r\nxxxx", 413, "a body" },
	};
	char *r, *big, *sock;
	size_t i;
	int fd, n;
	long t0;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = pf_http("127.0.0.1", mport, NULL, cases[i].req, WAIT_MS);
		is_int(cases[i].status, pf_http_status(r), "%s: %d",
		    cases[i].why, cases[i].status);
		if (cases[i].status == 405)
			like(r, "\r\nAllow: GET\r\n", "405 says Allow: GET");
		free(r);
	}
	/* 9000 bytes of one header line: over the 8 KiB bound. */
	big = malloc(10000);
	if (big == NULL)
		sysbail("malloc");
	n = snprintf(big, 10000, "GET /metrics HTTP/1.1\r\nHost: a\r\n"
	    "X-Big: ");
	memset(big + n, 'a', 9000);
	strcpy(big + n + 9000, "\r\n\r\n");
	r = pf_http("127.0.0.1", mport, NULL, big, WAIT_MS);
	is_int(431, pf_http_status(r), "a head over 8 KiB: 431");
	free(r);
	free(big);

	/* Half a request, then silence: cut at io_timeout (2 s). */
	fd = pf_tcp_connect("127.0.0.1", mport);
	t0 = pf_now_ms();
	ok(fd >= 0 && pf_write_all(fd, "GET /metrics HTTP/1.1\r\nHo", 25) == 0
	    && pf_wait_eof(fd, WAIT_MS) == 0, "half a request, then silence: "
	    "closed");
	ok(pf_now_ms() - t0 >= 1500, "... after io_timeout, not before (%ld "
	    "ms)", pf_now_ms() - t0);
	if (fd >= 0)
		close(fd);
	/* A trickle: a byte every 500 ms is cut at io_timeout all the same. */
	fd = pf_tcp_connect("127.0.0.1", mport);
	t0 = pf_now_ms();
	for (i = 0; fd >= 0 && i < 40 && pf_write_all(fd, "G", 1) == 0; i++) {
		if (pf_wait_eof(fd, 500) == 0)
			break;
	}
	ok(fd >= 0 && pf_now_ms() - t0 < 6000, "a client trickling a byte "
	    "every 500 ms is cut at io_timeout counted from the accept (%ld "
	    "ms)", pf_now_ms() - t0);
	if (fd >= 0)
		close(fd);

	sock = pf_path(d, "metrics.sock");
	r = pf_http(NULL, 0, sock, "GET /metrics HTTP/1.0\r\n\r\n", WAIT_MS);
	is_int(200, pf_http_status(r), "over the unix socket: 200");
	like(r ? r : "", "preforkd_served_total{service=\"echo\"} ",
	    "... with the counters");
	free(r);
	free(sock);
}

/* test_counts - connections, a kill -9, a reload: exactly what happened. */
static void
test_counts(void)
{
	char *out, err[4096], *p, *body, *conf, *newconf, *needle;
	uint64_t s0, b0, h0, r0, v;
	pid_t victim = 0;
	long long served = 0;
	long deadline;

	s0 = counter("preforkd_served_total{service=\"echo\"}");
	b0 = counter("preforkd_received_bytes_total{service=\"echo\"}");
	h0 = counter("preforkd_connection_duration_seconds_count{service="
	    "\"echo\"}");
	r0 = counter("preforkd_respawns_total{service=\"echo\"}");
	ok(s0 != UINT64_MAX && b0 != UINT64_MAX && h0 != UINT64_MAX,
	    "before: served %llu, bytes in %llu", (unsigned long long)s0,
	    (unsigned long long)b0);
	is_int(7, echo_n(7), "7 echo connections");
	is_int((long long)(s0 + 7), (long long)wait_counter(
	    "preforkd_served_total{service=\"echo\"}", s0 + 7),
	    "served moved by 7");
	is_int((long long)(b0 + 42), (long long)counter(
	    "preforkd_received_bytes_total{service=\"echo\"}"),
	    "bytes in moved by 42");
	is_int((long long)(b0 + 42), (long long)counter(
	    "preforkd_sent_bytes_total{service=\"echo\"}"),
	    "bytes out moved by 42");
	is_int((long long)(h0 + 7), (long long)counter(
	    "preforkd_connection_duration_seconds_count{service=\"echo\"}"),
	    "the duration histogram counted 7");
	is_int((long long)(s0 + 7), json_count("served"),
	    "-s status --json: the same served");
	is_int((long long)(b0 + 42), json_count("bytes_in"),
	    "-s status --json: the same bytes_in");

	/* kill -9 the echo worker that served most. */
	out = malloc(1 << 20);
	if (out != NULL && pf_status(d, 1, out, 1 << 20, err, sizeof(err)) ==
	    0 && (p = strstr(out, "{\"name\":\"echo\"")) != NULL &&
	    (p = strstr(p, "\"workers\":[")) != NULL) {
		while ((p = strstr(p, "{\"pid\":")) != NULL) {
			pid_t pid = (pid_t)atol(p + 7);
			char *sv = strstr(p, "\"served\":");

			if (sv != NULL && atoll(sv + 9) > served) {
				served = atoll(sv + 9);
				victim = pid;
			}
			if (strstr(p, "]}") != NULL &&
			    strstr(p, "]}") < strstr(p + 1, "{\"pid\":"))
				break;
			p++;
		}
	}
	free(out);
	ok(victim > 0 && served > 0, "an echo worker that served %lld "
	    "(pid %ld)", served, (long)victim);
	if (victim > 0)
		kill(victim, SIGKILL);
	needle = tap_strdup_printf("worker %ld killed by signal", (long)victim);
	ok(pf_log_wait(d, needle, WAIT_MS), "log: %s", needle);
	free(needle);
	is_int((long long)(r0 + 1), (long long)wait_counter(
	    "preforkd_respawns_total{service=\"echo\"}", r0 + 1),
	    "respawns moved by 1");
	is_int((long long)(s0 + 7), (long long)counter(
	    "preforkd_served_total{service=\"echo\"}"),
	    "served after the kill: the same (its %lld live on)", served);

	/* HUP: the same configuration, a new generation. */
	pf_kill(d, SIGHUP);
	deadline = pf_now_ms() + WAIT_MS;
	while (pf_log_count(d, "reload: generation 2 is serving") == 0 &&
	    pf_now_ms() < deadline) {
		body = scrape(0, &v);
		free(body);
	}
	ok(pf_log_wait(d, "reload: generation 2 is serving", WAIT_MS),
	    "HUP: generation 2 is serving");
	is_int(2, (long long)wait_counter("preforkd_generation", 2),
	    "preforkd_generation 2");
	is_int(3, echo_n(3), "3 echo connections more");
	is_int((long long)(s0 + 10), (long long)wait_counter(
	    "preforkd_served_total{service=\"echo\"}", s0 + 10),
	    "served after the reload: moved by exactly 3");

	/* A reload that adds services: the published page grows. */
	conf = pf_file(d->conf);
	p = strstr(conf, "services = (");
	ok(p != NULL, "the configuration has its services list");
	newconf = tap_strdup_printf("%.*sservices = (\n"
	    "  { name = \"new1\"; handler = \"discard\"; workers = 1; "
	    "listen = \"127.0.0.1:0\"; },\n"
	    "  { name = \"new2\"; handler = \"discard\"; workers = 1; "
	    "listen = \"127.0.0.1:0\"; },\n"
	    "  { name = \"new3\"; handler = \"discard\"; workers = 1; "
	    "listen = \"127.0.0.1:0\"; },\n%s", (int)(p - conf), conf,
	    p + strlen("services = ("));
	pf_write_file(d->conf, newconf);
	pf_kill(d, SIGHUP);
	deadline = pf_now_ms() + WAIT_MS;
	while (pf_log_count(d, "reload: generation 3 is serving") == 0 &&
	    pf_now_ms() < deadline) {
		body = scrape(1, &v);
		free(body);
	}
	ok(pf_log_wait(d, "reload: generation 3 is serving", WAIT_MS),
	    "HUP with 3 services more: generation 3 is serving");
	/* An old worker told to go may still answer a scrape or two, from
	 * the page it holds, without the new services: poll. */
	deadline = pf_now_ms() + WAIT_MS;
	for (body = scrape(0, &v); pf_now_ms() < deadline && (body == NULL ||
	    strstr(body, "{service=\"new3\"}") == NULL); body = scrape(0, &v)) {
		free(body);
		pf_sleep_ms(20);
	}
	ok(body != NULL && strstr(body, "preforkd_served_total{service="
	    "\"new3\"} 0\n") != NULL, "the new services are there");
	is_int((long long)(s0 + 10), (long long)v, "echo's served is the "
	    "same");
	free(body);
	is_int(2, echo_n(2), "2 echo connections more");
	is_int((long long)(s0 + 12), (long long)wait_counter(
	    "preforkd_served_total{service=\"echo\"}", s0 + 12),
	    "served moved by exactly 2");
	free(conf);
	free(newconf);
	is_int(0, backwards, "no scrape of %d saw served go backwards",
	    scrapes);
}

/* prom_query - Prometheus's value of query now, as text; NULL. */
static char *
prom_query(int port, const char *query)
{
	char *path, *r, *p, *v = NULL, *q, *e;

	q = strdup(query);
	/* Encode what a query line cannot hold as is. */
	path = tap_strdup_printf("/api/v1/query?query=");
	for (e = q; *e != '\0'; e++) {
		char *t;

		if ((*e >= 'a' && *e <= 'z') || (*e >= 'A' && *e <= 'Z') ||
		    (*e >= '0' && *e <= '9') || *e == '_')
			t = tap_strdup_printf("%s%c", path, *e);
		else
			t = tap_strdup_printf("%s%%%02X", path,
			    (unsigned char)*e);
		free(path);
		path = t;
	}
	free(q);
	r = pf_http_get("127.0.0.1", port, path, NULL);
	free(path);
	/* {"status":"success","data":{"resultType":"vector","result":
	 *  [{"metric":{...},"value":[1700000000.123,"42"]}]}} */
	if (r != NULL && strstr(r, "\"status\":\"success\"") != NULL &&
	    (p = strstr(r, "\"value\":[")) != NULL &&
	    (p = strchr(p, ',')) != NULL && p[1] == '"') {
		v = strdup(p + 2);
		if ((p = strchr(v, '"')) != NULL)
			*p = '\0';
	}
	free(r);
	return v;
}

/* prom_wait - poll until query gives want (bounded): 1 if it did. */
static int
prom_wait(int port, const char *query, const char *want, char **got)
{
	long deadline = pf_now_ms() + 60000;
	char *v;

	for (;;) {
		v = prom_query(port, query);
		if ((v != NULL && strcmp(v, want) == 0) ||
		    pf_now_ms() >= deadline) {
			*got = v;
			return v != NULL && strcmp(v, want) == 0;
		}
		free(v);
		pf_sleep_ms(200);
	}
}

static void
test_prometheus(void)
{
	char *yml, *cfg, *tsdb, *log, *listen, *got = NULL, *want;
	const char *argv[8];
	uint64_t served;
	pid_t prom;
	int pport, r;

	ok(pf_tool_have(PROMETHEUS), "prometheus is installed");
	pport = pf_free_port();
	yml = tap_strdup_printf(
	    "global:\n"
	    "  scrape_interval: 1s\n"
	    "  scrape_timeout: 1s\n"
	    "scrape_configs:\n"
	    "  - job_name: preforkd\n"
	    "    static_configs:\n"
	    "      - targets: [ \"127.0.0.1:%d\" ]\n", mport);
	cfg = save("prometheus.yml", yml);
	tsdb = pf_path(d, "tsdb");
	log = pf_path(d, "prometheus.log");
	listen = tap_strdup_printf("--web.listen-address=127.0.0.1:%d", pport);
	argv[0] = PROMETHEUS;
	argv[1] = tap_strdup_printf("--config.file=%s", cfg);
	argv[2] = tap_strdup_printf("--storage.tsdb.path=%s", tsdb);
	argv[3] = listen;
	argv[4] = "--log.level=warn";
	argv[5] = NULL;
	prom = pf_tool_start(argv, log);
	ok(prom > 0, "prometheus started (pid %ld, port %d)", (long)prom,
	    pport);
	r = prom_wait(pport, "up{job=\"preforkd\"}", "1", &got);
	ok(r, "prometheus: up is 1 (got %s)", got != NULL ? got : "nothing");
	free(got);
	served = counter("preforkd_served_total{service=\"echo\"}");
	want = tap_strdup_printf("%llu", (unsigned long long)served);
	r = prom_wait(pport, "preforkd_served_total{service=\"echo\"}", want,
	    &got);
	ok(r, "prometheus: preforkd_served_total{service=\"echo\"} is %s "
	    "(got %s)", want, got != NULL ? got : "nothing");
	free(got);
	r = prom_wait(pport, "count(preforkd_connection_duration_seconds_bucket"
	    "{service=\"echo\"})", "11", &got);
	ok(r, "prometheus: the histogram's 11 buckets (got %s)",
	    got != NULL ? got : "nothing");
	free(got);
	if (tap_failures() > 0) {
		char *text = pf_file(log);

		diag("prometheus log: %.2000s", text != NULL ? text : "");
		free(text);
	}
	pf_tool_stop(prom);
	free(want);
	free(yml);
	free(cfg);
	free(tsdb);
	free(log);
	free(listen);
	free((char *)(uintptr_t)argv[1]);
	free((char *)(uintptr_t)argv[2]);
}

int
main(void)
{
	plan_lazy();
	d = pf_start(
	    "services = (\n"
	    "  { name = \"echo\"; handler = \"echo\"; workers = 2;\n"
	    "    listen = \"127.0.0.1:0\"; },\n"
	    "  { name = \"metrics\"; handler = \"metrics\"; workers = 2;\n"
	    "    io_timeout = 2;\n"
	    "    listen = [ \"127.0.0.1:0\", \"unix:@DIR@/metrics.sock\" ]; }\n"
	    ");\n");
	mport = pf_port(d, "metrics", "tcp");
	eport = pf_port(d, "echo", "tcp");
	ok(mport > 0 && eport > 0, "metrics on port %d, echo on %d", mport,
	    eport);
	test_formats();
	test_refusals();
	test_counts();
	test_prometheus();
	ok(pf_stop(d) == 0, "the daemon stops");
	return 0;
}
