/*
 * agent-t.c - the agent handler of the real preforkd, asked with a plain
 * client and by a real HAProxy: "ready NN%" follows the share of idle
 * workers of the service it reports on as clients hold them (and never
 * goes below min_weight), and HAProxy's stats socket shows the weight
 * it set from it; "drain" while a reload's new generation is not ready
 * (a module slow to start), while an upgrade hands over, and during a
 * graceful stop, in which the agent keeps answering until a slow client
 * of the other service is done (HAProxy shows the server in DRAIN), and
 * only then goes.
 *
 * A missing haproxy fails the test (apt: haproxy).
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
#include "../tap/tools.h"

#define HAPROXY		"/usr/sbin/haproxy"
#define WAIT_MS		30000
#define HOLD_MAX	8

static struct pf_daemon	*d;
static int		 aport, wport;
static int		 held[HOLD_MAX];
static int		 nheld;

/* ask - one answer of the agent: a heap string ("" when none). */
static char *
ask(void)
{
	char buf[256];
	ssize_t n;
	int fd;

	if ((fd = pf_tcp_connect("127.0.0.1", aport)) < 0)
		return strdup("");
	n = pf_read_all(fd, buf, sizeof(buf) - 1, 5000);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return strdup(buf);
}

/* wait_answer - poll the agent until it says want: 1, or 0 (diag). */
static int
wait_answer(const char *want)
{
	long deadline = pf_now_ms() + WAIT_MS;
	char *got;
	int r;

	for (;;) {
		got = ask();
		r = strcmp(got, want) == 0;
		if (r || pf_now_ms() >= deadline) {
			if (!r)
				diag("agent: want \"%s\", got \"%s\"", want,
				    got);
			free(got);
			return r;
		}
		free(got);
		pf_sleep_ms(20);
	}
}

/* hold - one more client holding a web worker (connected, silent). */
static void
hold(void)
{
	if (nheld < HOLD_MAX &&
	    (held[nheld] = pf_tcp_connect("127.0.0.1", wport)) >= 0)
		nheld++;
}

/* release_all - the holding clients go. */
static void
release_all(void)
{
	while (nheld > 0)
		close(held[--nheld]);
}

/* ha_field - the svname web1 row's field of "show stat" (CSV); -1. */
static int
ha_field(const char *sock, const char *field, char *out, size_t outlen)
{
	char *r, *line, *save = NULL, *hdr = NULL, *tok, *p;
	int col = -1, i;

	r = pf_http(NULL, 0, sock, "show stat\n", 5000);
	if (r == NULL)
		return -1;
	for (line = strtok_r(r, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "# ", 2) == 0) {
			hdr = line + 2;
			for (i = 0, p = hdr; p != NULL; i++) {
				if (strncmp(p, field, strlen(field)) == 0 &&
				    (p[strlen(field)] == ',' ||
				    p[strlen(field)] == '\0'))
					col = i;
				p = strchr(p, ',');
				if (p != NULL)
					p++;
			}
			continue;
		}
		if (col < 0 || strncmp(line, "be,web1,", 8) != 0)
			continue;
		for (i = 0, tok = line; tok != NULL && i < col; i++) {
			tok = strchr(tok, ',');
			if (tok != NULL)
				tok++;
		}
		if (tok == NULL)
			break;
		p = strchr(tok, ',');
		snprintf(out, outlen, "%.*s", p != NULL ? (int)(p - tok) :
		    (int)strlen(tok), tok);
		free(r);
		return 0;
	}
	free(r);
	return -1;
}

/*
 * ha_wait - poll HAProxy until web1's field is want, or (for the status,
 * "DRAIN (agent)") begins with it and a space: 1, or 0 (diag).
 */
static int
ha_wait(const char *sock, const char *field, const char *want)
{
	long deadline = pf_now_ms() + WAIT_MS;
	char got[64] = "";

	for (;;) {
		if (ha_field(sock, field, got, sizeof(got)) == 0 &&
		    strncmp(got, want, strlen(want)) == 0 &&
		    (got[strlen(want)] == '\0' || got[strlen(want)] == ' '))
			return 1;
		if (pf_now_ms() >= deadline) {
			diag("haproxy: web1 %s: want \"%s\", got \"%s\"",
			    field, want, got);
			return 0;
		}
		pf_sleep_ms(50);
	}
}

static void
test_ready(void)
{
	ok(wait_answer("ready 100%\n"), "all 4 web workers idle: ready 100%%");
	hold();
	ok(wait_answer("ready 75%\n"), "1 held: ready 75%%");
	hold();
	ok(wait_answer("ready 50%\n"), "2 held: ready 50%%");
	hold();
	hold();
	ok(wait_answer("ready 10%\n"), "4 held: ready 10%% (min_weight, "
	    "not 0)");
	release_all();
	ok(wait_answer("ready 100%\n"), "released: ready 100%% again");
}

static pid_t
ha_start(char **sockp)
{
	char *cfg, *sock, *log, *cfgpath;
	const char *argv[6];
	pid_t pid;

	ok(pf_tool_have(HAPROXY), "haproxy is installed");
	sock = pf_path(d, "haproxy.sock");
	cfg = tap_strdup_printf(
	    "global\n"
	    "  stats socket %s level admin\n"
	    "defaults\n"
	    "  mode tcp\n"
	    "  timeout connect 5s\n"
	    "  timeout client 30s\n"
	    "  timeout server 30s\n"
	    "listen be\n"
	    "  bind 127.0.0.1:%d\n"
	    "  balance roundrobin\n"
	    "  server web1 127.0.0.1:%d weight 100 agent-check agent-port %d "
	    "agent-inter 200ms\n", sock, pf_free_port(), wport, aport);
	cfgpath = pf_path(d, "haproxy.cfg");
	pf_write_file(cfgpath, cfg);
	log = pf_path(d, "haproxy.log");
	argv[0] = HAPROXY;
	argv[1] = "-db";
	argv[2] = "-f";
	argv[3] = cfgpath;
	argv[4] = NULL;
	pid = pf_tool_start(argv, log);
	ok(pid > 0, "haproxy started (pid %ld)", (long)pid);
	free(cfg);
	free(cfgpath);
	free(log);
	*sockp = sock;
	return pid;
}

static void
test_haproxy(const char *sock)
{
	ok(ha_wait(sock, "weight", "100"), "haproxy: web1 at weight 100");
	hold();
	hold();
	ok(wait_answer("ready 50%\n"), "2 of 4 held: ready 50%%");
	ok(ha_wait(sock, "weight", "50"), "haproxy: web1's weight follows "
	    "the agent: 50");
	release_all();
	ok(ha_wait(sock, "weight", "100"), "released: back to 100");
}

/* test_reload - drain while the new generation's slow module starts. */
static void
test_reload(void)
{
	pf_kill(d, SIGHUP);
	ok(wait_answer("drain\n"), "HUP: drain while the new generation "
	    "(a module 3 s slow to start) is not ready");
	ok(pf_log_wait(d, "reload: generation 2 is serving", WAIT_MS),
	    "log: generation 2 is serving");
	ok(wait_answer("ready 100%\n"), "ready again once it is");
}

/* test_upgrade - drain while an upgrade hands over; d is the new one. */
static void
test_upgrade(void)
{
	struct pf_daemon *nd;
	pid_t old = d->pid, newpid;
	int st;

	pf_kill(d, SIGUSR2);
	ok(wait_answer("drain\n"), "USR2: drain while the upgrade hands over");
	newpid = pf_wait_pid_change(d->pid_file, old, WAIT_MS);
	ok(newpid > 0 && newpid != old, "the new master (pid %ld) is ready",
	    (long)newpid);
	if (newpid <= 0)
		bail("no new master");
	nd = pf_adopt_new(d, newpid);
	ok(wait_answer("drain\n"), "drain while both masters are there");
	pf_kill(d, SIGQUIT);
	ok(pf_wait_exit(d, WAIT_MS, &st) == 0 && pf_exited_zero(st),
	    "QUIT: the old master exits");
	ok(wait_answer("ready 100%\n"), "the new master alone: ready 100%%");
	d = nd;
}

/*
 * test_stop - a graceful stop: the agent answers drain to the end.  The
 * "still drain" and "still served" checks come after HAProxy has seen
 * DRAIN, a later event than the QUIT, with the slow client still there.
 */
static void
test_stop(const char *sock)
{
	int fd, before;

	/* The old master of the upgrade said it in the same log. */
	before = pf_log_count(d, "stopping the agent's");
	fd = pf_tcp_connect("127.0.0.1", wport);
	ok(fd >= 0 && pf_echo_fd(fd, "slow\n"), "a slow client holds a web "
	    "worker");
	pf_kill(d, SIGQUIT);
	ok(pf_log_wait(d, "received SIGQUIT: graceful stop", WAIT_MS),
	    "QUIT: graceful stop");
	ok(wait_answer("drain\n"), "the agent answers drain");
	if (sock != NULL)
		ok(ha_wait(sock, "status", "DRAIN"), "haproxy shows web1 in "
		    "DRAIN");
	ok(wait_answer("drain\n"), "still drain while the slow client is "
	    "served");
	ok(pf_echo_fd(fd, "still\n"), "the slow client is still served");
	is_int(before, pf_log_count(d, "stopping the agent's"), "the agent's "
	    "workers are not told yet");
	close(fd);
	ok(pf_log_wait_count(d, "graceful stop: the other services' workers "
	    "are gone; stopping the agent's", before + 1, WAIT_MS),
	    "the slow client gone: the agent's workers go last");
	/* Adopted after the upgrade: not our child, no status to read. */
	ok(pf_wait_exit(d, WAIT_MS, NULL) == 0, "the master exits");
}

int
main(void)
{
	char *so, *sock = NULL, *conf;
	const char *top = getenv("TOP_BUILDDIR");
	pid_t ha;

	plan_lazy();
	so = tap_strdup_printf("%s/tests/modules/testmod.so",
	    top != NULL ? top : ".");
	ok(access(so, R_OK) == 0, "the test module is built (%s)", so);
	conf = tap_strdup_printf(
	    "shutdown_timeout = 300;\n"
	    "services = (\n"
	    "  { name = \"web\"; handler = \"echo\"; workers = 4;\n"
	    "    listen = \"127.0.0.1:0\"; },\n"
	    "  { name = \"slow\"; handler = \"module\"; workers = 1;\n"
	    "    listen = \"127.0.0.1:0\";\n"
	    "    module = { path = \"%s\"; settings = { word = \"s\"; "
	    "start_ms = 3000; }; }; },\n"
	    "  { name = \"agent\"; handler = \"agent\"; workers = 2;\n"
	    "    listen = \"127.0.0.1:0\";\n"
	    "    agent = { services = [ \"web\" ]; min_weight = 10; }; }\n"
	    ");\n", so);
	d = pf_start(conf);
	aport = pf_port(d, "agent", "tcp");
	wport = pf_port(d, "web", "tcp");
	ok(aport > 0 && wport > 0, "agent on port %d, web on %d", aport,
	    wport);
	test_ready();
	ha = ha_start(&sock);
	test_haproxy(sock);
	test_reload();
	test_upgrade();
	test_stop(sock);
	pf_tool_stop(ha);
	free(sock);
	free(so);
	free(conf);
	return 0;
}
