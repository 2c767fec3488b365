/*
 * udploop-t.c - the UDP ping-pong attack on the real preforkd: the shipped
 * configuration serves echo and chargen over UDP, and ONE datagram spoofed
 * through a raw socket "from" the echo port to the chargen port used to
 * start an endless loop between them (tens of thousands of access-log
 * lines a second, until the daemon stopped).  Now the UDP built-ins ignore
 * every source port below 1024 and every UDP port of the daemon (those the
 * kernel chose for port 0 included), count what they ignore and say so at
 * most once a second per worker.  Needs root (a raw socket, a port below
 * 1024): without it the test fails, it never skips.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap/basic.h"
#include "../tap/daemon.h"
#include "../tap/net.h"

static char sout[65536], serr[4096];

/*
 * status_ignored - the "ignored" count of service name in the JSON
 * status (-1 when not found): the datagrams its loop guard refused, by
 * live and dead workers.
 */
static long long
status_ignored(struct pf_daemon *d, const char *name)
{
	char *key, *p;
	long long n = -1;

	if (pf_status(d, 1, sout, sizeof(sout), serr, sizeof(serr)) != 0)
		return -1;
	key = tap_strdup_printf("{\"name\":\"%s\"", name);
	if ((p = strstr(sout, key)) != NULL &&
	    (p = strstr(p, "\"ignored\":")) != NULL)
		n = strtoll(p + 10, NULL, 10);
	free(key);
	return n;
}

/* A datagram as it goes on the wire: IPv4 header, UDP header, payload. */
struct spoofed {
	struct iphdr	ip;
	struct udphdr	udp;
	char		data[16];
} __attribute__((packed));

/*
 * spoof - send one UDP datagram from 127.0.0.1:sport to 127.0.0.1:dport
 * through a raw socket (IP_HDRINCL): what an attacker on the path, or on
 * the host, can do.  0, or -1 with errno.
 */
static int
spoof(int raw, int sport, int dport, const char *payload)
{
	struct spoofed p;
	struct sockaddr_in to;
	size_t len = strlen(payload);

	if (len > sizeof(p.data))
		len = sizeof(p.data);
	memset(&p, 0, sizeof(p));
	p.ip.version = 4;
	p.ip.ihl = 5;
	p.ip.ttl = 64;
	p.ip.protocol = IPPROTO_UDP;
	p.ip.tot_len = htons((uint16_t)(sizeof(p.ip) + sizeof(p.udp) + len));
	p.ip.saddr = htonl(INADDR_LOOPBACK);
	p.ip.daddr = htonl(INADDR_LOOPBACK);
	p.udp.source = htons((uint16_t)sport);
	p.udp.dest = htons((uint16_t)dport);
	p.udp.len = htons((uint16_t)(sizeof(p.udp) + len));
	p.udp.check = 0;	/* none: allowed over IPv4 */
	memcpy(p.data, payload, len);
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (sendto(raw, &p, sizeof(p.ip) + sizeof(p.udp) + len, 0,
	    (struct sockaddr *)&to, sizeof(to)) < 0)
		return -1;
	return 0;
}

/* pair_lines - access-log lines of datagrams from port from to port to. */
static int
pair_lines(const char *access_log, int to, int from)
{
	char *text, *needle;
	int n;

	text = pf_file(access_log);
	needle = tap_strdup_printf("local=127.0.0.1:%d remote=127.0.0.1:%d ",
	    to, from);
	n = text == NULL ? 0 : pf_count(text, needle);
	free(needle);
	free(text);
	return n;
}

/* loop_lines - every access-log line of a datagram between a and b. */
static int
loop_lines(const char *access_log, int a, int b)
{
	return pair_lines(access_log, a, b) + pair_lines(access_log, b, a);
}

/* silent_line - the first access line with needle says out=0. */
static int
silent_line(const char *access_log, const char *needle)
{
	char *text = pf_file(access_log), *p, *out, *eol;
	int r;

	p = text == NULL ? NULL : strstr(text, needle);
	out = p == NULL ? NULL : strstr(p, " out=0 ");
	eol = p == NULL ? NULL : strchr(p, '\n');
	r = out != NULL && (eol == NULL || out < eol);
	free(text);
	return r;
}

/* wait_access - poll until the access log has n lines with needle: the count. */
static int
wait_access(const char *access_log, const char *needle, int n, int timeout_ms)
{
	return pf_file_wait_count(access_log, needle, n, timeout_ms);
}

/*
 * proof - a datagram from an ordinary (ephemeral) port to port gets its
 * answer, and its access line is written: everything the service received
 * before it has been handled.  1 when it has.
 */
static int
proof(const char *access_log, int port, int *seen)
{
	char buf[1024], *needle;
	ssize_t n;
	int ok_reply;

	n = pf_udp_request("127.0.0.1", port, "proof\n", 6, buf, sizeof(buf),
	    5000);
	ok_reply = n >= 0;
	needle = tap_strdup_printf("proto=udp local=127.0.0.1:%d ", port);
	*seen = wait_access(access_log, needle, *seen + 1, 5000);
	free(needle);
	return ok_reply;
}

/* bound_udp - a UDP socket bound to 127.0.0.1:port (root for < 1024). */
static int
bound_udp(int port)
{
	struct sockaddr_in sin;
	int fd;

	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)port);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int
main(void)
{
	struct pf_daemon *d;
	struct sockaddr_in to;
	char *access_log, *needle, buf[64];
	int raw, echo, chargen, n, st, fd, seen_echo = 0, seen_chargen = 0;
	int i, lines, warnings, low;
	long long ignored;
	char *text;
	long t0, deadline;
	struct pollfd pfd;

	plan(25);
	alarm(120);

	/* The shipped configuration, on ports the kernel chooses. */
	d = pf_prepare("access_log = \"@DIR@/access.log\";\n"
	    "services = (\n"
	    "  { name = \"echo\"; handler = \"echo\"; workers = 2;\n"
	    "    listen = [ \"127.0.0.1:0\", \"udp://127.0.0.1:0\" ]; },\n"
	    "  { name = \"chargen\"; handler = \"chargen\"; workers = 2;\n"
	    "    listen = [ \"127.0.0.1:0\", \"udp://127.0.0.1:0\" ]; }\n"
	    ");\n");
	access_log = pf_path(d, "access.log");
	pf_launch(d, NULL);
	if (pf_wait_ready(d, 10000) < 0) {
		pf_show(d);
		bail("preforkd did not start");
	}
	echo = pf_port(d, "echo", "udp");
	chargen = pf_port(d, "chargen", "udp");
	ok(echo > 0 && chargen > 0 && echo != chargen,
	    "udp echo on %d and chargen on %d, chosen by the kernel", echo,
	    chargen);

	/* Root is needed for the attack; without it, fail (never skip). */
	raw = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (!ok(raw >= 0, "a raw socket (IPPROTO_RAW, IP_HDRINCL): %s",
	    raw >= 0 ? "open" : strerror(errno)))
		bail("this test must run as root");

	/* ONE spoofed datagram, from the echo port to the chargen port. */
	ok(spoof(raw, echo, chargen, "ping\n") == 0,
	    "spoofed one datagram 127.0.0.1:%d -> 127.0.0.1:%d", echo, chargen);
	needle = tap_strdup_printf("udp 127.0.0.1:%d <- 127.0.0.1:%d: datagram "
	    "ignored: its source port is that of a UDP service of this daemon",
	    chargen, echo);
	ok(pf_log_wait(d, needle, 5000), "chargen logs: %s", needle);
	free(needle);
	ok(pf_log_count(d, "ignored by this worker so far") >= 1,
	    "the warning counts what this worker ignored");

	/* Later events prove the spoofed one (and any reply) was handled. */
	ok(proof(access_log, chargen, &seen_chargen),
	    "a normal datagram to chargen still gets its answer");
	ok(proof(access_log, echo, &seen_echo),
	    "a normal datagram to echo still gets its answer");
	lines = loop_lines(access_log, echo, chargen);
	ok(lines == 1 && pair_lines(access_log, chargen, echo) == 1,
	    "access log: one line for the spoofed datagram, no reply bounced "
	    "(got %d lines between the two ports)", lines);
	needle = tap_strdup_printf("local=127.0.0.1:%d remote=127.0.0.1:%d "
	    "pid=", chargen, echo);
	ok(silent_line(access_log, needle),
	    "its line says nothing went out (out=0)");
	free(needle);

	/* Again after a while, with new proof events: still no loop. */
	pf_sleep_ms(500);
	ok(proof(access_log, chargen, &seen_chargen) &&
	    proof(access_log, echo, &seen_echo),
	    "more normal datagrams are answered");
	is_int(1, loop_lines(access_log, echo, chargen),
	    "access log: still one line between the two ports");

	/* The other direction: "from" chargen to echo. */
	ok(spoof(raw, chargen, echo, "pong\n") == 0,
	    "spoofed one datagram 127.0.0.1:%d -> 127.0.0.1:%d", chargen, echo);
	needle = tap_strdup_printf("local=127.0.0.1:%d remote=127.0.0.1:%d ",
	    echo, chargen);
	ok(wait_access(access_log, needle, 1, 5000) == 1 &&
	    proof(access_log, echo, &seen_echo) &&
	    proof(access_log, chargen, &seen_chargen) &&
	    loop_lines(access_log, echo, chargen) == 2,
	    "echo ignores it too: two lines in all between the two ports");
	free(needle);

	/* A flood of spoofed datagrams: counted, warned about once a second. */
	t0 = pf_now_ms();
	for (i = 0; i < 100; i++)
		if (spoof(raw, echo, chargen, "flood\n") < 0)
			sysbail("sendto raw");
	ok(proof(access_log, chargen, &seen_chargen) &&
	    proof(access_log, echo, &seen_echo),
	    "after a flood of 100 spoofed datagrams, normal ones are answered");
	n = pair_lines(access_log, chargen, echo);
	ok(n >= 50 && n <= 101, "the flood reached chargen (%d datagrams "
	    "logged; UDP may drop some)", n - 1);
	is_int(1, pair_lines(access_log, echo, chargen),
	    "echo never heard from chargen but the one spoofed datagram: "
	    "chargen answered none");
	warnings = pf_log_count(d, "datagram ignored:");
	/* 2 workers each: one line at first, then one a second at most. */
	ok(warnings <= 2 + 2 * (2 + (int)((pf_now_ms() - t0) / 1000)),
	    "%d ignored datagrams gave %d warnings (rate limited)", n + 1,
	    warnings);

	/* A datagram from a port below 1024 (bound as root) gets no answer;
	 * the first free one from 1023 down: another test may hold one. */
	for (low = 1023, fd = -1; low >= 600 && fd < 0; low--)
		if ((fd = bound_udp(low)) < 0 && errno != EADDRINUSE)
			break;
	low++;
	if (!ok(fd >= 0, "bound 127.0.0.1:%d: %s", low, fd >= 0 ? "yes" :
	    strerror(errno)))
		bail("cannot bind a UDP port below 1024");
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	to.sin_port = htons((uint16_t)echo);
	/* Past the once-a-second limit of the warnings before it. */
	pf_sleep_ms(1100);
	if (sendto(fd, "low\n", 4, 0, (struct sockaddr *)&to, sizeof(to)) != 4)
		sysbail("sendto");
	needle = tap_strdup_printf("local=127.0.0.1:%d remote=127.0.0.1:%d ",
	    echo, low);
	text = tap_strdup_printf("<- 127.0.0.1:%d: datagram ignored: its "
	    "source port is below 1024", low);
	ok(wait_access(access_log, needle, 1, 5000) == 1 &&
	    pf_log_wait(d, text, 5000),
	    "echo logs the datagram from port %d as ignored", low);
	free(text);
	ok(silent_line(access_log, needle),
	    "its access line says nothing went out (out=0)");
	free(needle);
	/* Handled (its access line is out): a reply would be here by now. */
	pfd.fd = fd;
	pfd.events = POLLIN;
	ok(poll(&pfd, 1, 200) == 0 && recv(fd, buf, sizeof(buf),
	    MSG_DONTWAIT) < 0, "no answer came back to port %d", low);
	close(fd);
	close(raw);

	/*
	 * Counted where the administrator looks: the status, as many as the
	 * access log has (the other worker may still be on the last ones:
	 * both are read until they agree).
	 */
	deadline = pf_now_ms() + 5000;
	while ((ignored = status_ignored(d, "chargen")) !=
	    (n = pair_lines(access_log, chargen, echo)) &&
	    pf_now_ms() < deadline)
		pf_sleep_ms(20);
	is_int(n, ignored, "status: chargen ignored the %d datagrams from "
	    "echo's port", n);
	is_int(2, status_ignored(d, "echo"), "status: echo ignored 2 (from "
	    "chargen's port, from port %d)", low);
	pf_status(d, 0, sout, sizeof(sout), serr, sizeof(serr));
	like(sout, "datagrams ignored (a reply could start a loop): ",
	    "status text: the count has its line");

	st = pf_stop(d);
	ok(pf_exited_zero(st), "TERM: the master exits 0");
	free(access_log);
	return 0;
}
