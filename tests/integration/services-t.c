/*
 * services-t.c - many services: the real preforkd with 200 services of 2
 * workers each (400 workers, as one service of 400 would have) starts,
 * lists every service in -s status (text and JSON), reloads with -s
 * reload, serves on the ports of the first and the last service, and
 * stops.  The master does no work per service and per worker at once
 * (services x slots) on any of these paths; here they just work, within
 * bounds generous enough for a loaded machine (nothing is timed, the
 * durations are only reported).
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap/basic.h"
#include "../tap/daemon.h"
#include "../tap/net.h"

#define SERVICES	200
#define PER		2
#define WAIT_MS		60000

static char out[1 << 19], err[8192];

/* services_conf - the configuration: services s1 .. s200, 2 workers each. */
static char *
services_conf(void)
{
	size_t len = 0, cap = 128 * SERVICES + 64;
	char *text;
	int i;

	if ((text = malloc(cap)) == NULL)
		sysbail("malloc");
	len += (size_t)snprintf(text + len, cap - len, "services = (\n");
	for (i = 1; i <= SERVICES; i++) {
		len += (size_t)snprintf(text + len, cap - len, "%s{ name = "
		    "\"s%d\"; handler = \"echo\"; workers = %d; listen = "
		    "\"127.0.0.1:0\"; }\n", i > 1 ? "," : "", i, PER);
		if (len + 4 > cap)
			bail("services_conf: no room in %zu bytes", cap);
	}
	snprintf(text + len, cap - len, ");\n");
	return text;
}

/*
 * all_listed - how many of the services the text status lists with their
 * 2 workers (its line "workers 2, ...", after the service's own).
 */
static int
all_listed(const char *status)
{
	char *needle;
	const char *p, *q;
	int i, n = 0;

	for (i = 1; i <= SERVICES; i++) {
		needle = tap_strdup_printf("\nservice s%d: handler echo, "
		    "static pool of %d workers\n", i, PER);
		if ((p = strstr(status, needle)) != NULL &&
		    (q = strstr(p + 1, "\n  workers ")) != NULL &&
		    strncmp(q, "\n  workers 2, ", 13) == 0)
			n++;
		free(needle);
	}
	return n;
}

/* wait_listed - poll -s status until it lists every service with 2 workers. */
static int
wait_listed(struct pf_daemon *d, unsigned int gen)
{
	long deadline = pf_now_ms() + WAIT_MS;
	char *g = tap_strdup_printf("generation %u, 0 workers of older", gen);
	int n = 0;

	while (pf_now_ms() < deadline) {
		if (pf_status(d, 0, out, sizeof(out), err, sizeof(err)) == 0 &&
		    strstr(out, g) != NULL && (n = all_listed(out)) == SERVICES)
			break;
		pf_sleep_ms(50);
	}
	free(g);
	return n;
}

int
main(void)
{
	struct pf_daemon *d;
	char *conf;
	const char *reload[] = { "-s", "reload", "-c", NULL, NULL };
	long t0;
	int st, first, lastp;

	plan(13);
	alarm(300);
	conf = services_conf();
	d = pf_prepare(conf);
	free(conf);

	t0 = pf_now_ms();
	pf_launch(d, NULL);
	ok(pf_wait_ready(d, WAIT_MS) == 0, "%d services of %d workers start",
	    SERVICES, PER);
	diag("start: %ld ms", pf_now_ms() - t0);
	ok(pf_wait_workers(d, SERVICES * PER, WAIT_MS) == SERVICES * PER,
	    "%d workers", SERVICES * PER);
	is_int(SERVICES, wait_listed(d, 1), "-s status lists every service "
	    "with its %d workers", PER);
	ok(pf_status(d, 1, out, sizeof(out), err, sizeof(err)) == 0 &&
	    strstr(out, "{\"name\":\"s1\",") != NULL &&
	    strstr(out, "{\"name\":\"s200\",") != NULL &&
	    pf_count(out, "\"pool\":{\"type\":\"static\",\"workers\":2}") ==
	    SERVICES, "-s status --json: every service, s1 to s200");
	first = pf_port(d, "s1", "tcp");
	lastp = pf_port(d, "s200", "tcp");
	ok(pf_echo_tcp("127.0.0.1", first, "one\n") &&
	    pf_echo_tcp("127.0.0.1", lastp, "two hundred\n"),
	    "s1 and s200 serve");

	t0 = pf_now_ms();
	reload[3] = d->conf;
	ok(pf_run2(reload, &st, out, sizeof(out), err, sizeof(err)) == 0 &&
	    pf_exited_zero(st), "-s reload exits 0");
	like(out, "reloaded: generation 2 started (400 workers)",
	    "-s reload: reloaded: generation 2 started (400 workers)");
	ok(pf_log_wait(d, "reload: generation 2 is serving", WAIT_MS),
	    "log: reload: generation 2 is serving");
	diag("reload, until serving: %ld ms", pf_now_ms() - t0);
	ok(pf_wait_workers(d, SERVICES * PER, WAIT_MS) == SERVICES * PER,
	    "the old generation is gone: %d workers", SERVICES * PER);
	is_int(SERVICES, wait_listed(d, 2), "-s status lists every service "
	    "of generation 2 with its %d workers", PER);
	ok(pf_echo_tcp("127.0.0.1", first, "one\n") &&
	    pf_echo_tcp("127.0.0.1", lastp, "two hundred\n"),
	    "s1 and s200 still serve, on the same ports");

	t0 = pf_now_ms();
	st = pf_stop(d);
	ok(pf_exited_zero(st), "TERM: the master exits 0");
	diag("stop: %ld ms", pf_now_ms() - t0);
	ok(pf_log_count(d, "notice: exiting") == 1, "log: exiting");
	if (tap_failures())
		pf_show_tail(d, 40);
	return 0;
}
