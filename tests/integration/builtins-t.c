/*
 * builtins-t.c - the built-in services of the real preforkd over real
 * sockets: echo (RFC 862), discard (863), chargen (864), daytime (867) and
 * time (868), each on TCP and UDP on 127.0.0.1 (echo also on [::1] when
 * IPv6 works on lo), all on ports the kernel chooses.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../tap/basic.h"
#include "../tap/daemon.h"
#include "../tap/net.h"

#define RFC868_OFFSET	2208988800UL	/* 1900-01-01 to 1970-01-01, seconds */

static const char *const services[] = {
	"echo", "discard", "chargen", "daytime", "time",
};
#define NSERVICES	(sizeof(services) / sizeof(services[0]))

/*
 * check_listening - the log says service listens on proto host:port, with
 * the port-0 note, from the master.
 */
static void
check_listening(struct pf_daemon *d, const char *service, const char *proto,
    const char *host, int port)
{
	static const char note[] =
	    "; port 0 in the config, chosen by the kernel)";
	char *needle, *line, *msg;

	if (port <= 0) {
		ok(0, "%s listens on %s %s (no port in the log)", service,
		    proto, host);
		return;
	}
	needle = tap_strdup_printf("service %s: listening on %s %s:%d (fd ",
	    service, proto, host, port);
	line = pf_log_line(d, needle);
	msg = line == NULL ? NULL : strstr(line, needle);
	ok(msg != NULL && pf_line_is(line, "preforkd", d->pid, NULL, msg) &&
	    strlen(msg) > strlen(needle) + strlen(note) &&
	    strcmp(msg + strlen(msg) - strlen(note), note) == 0,
	    "log: %s...; port 0 in the config, chosen by the kernel)", needle);
	if (line != NULL && msg == NULL)
		diag("line: %s", line);
	free(needle);
	free(line);
}

/* test_echo_tcp - several writes, a half-close, and all of it back. */
static void
test_echo_tcp(const char *host, int port)
{
	static char big[20000], back[sizeof(big) + 64];
	const char *parts[] = { "hello\n", big, "bye\r\n" };
	size_t i, want = 0;
	ssize_t n;
	int fd, wrote = 1;

	for (i = 0; i < sizeof(big) - 1; i++)
		big[i] = (char)('a' + i % 26);
	big[sizeof(big) - 1] = '\0';
	fd = pf_tcp_connect(host, port);
	if (!ok(fd >= 0, "echo tcp %s: connect to port %d", host, port)) {
		diag("connect: %s", strerror(errno));
		return;
	}
	for (i = 0; i < 3; i++) {
		wrote &= pf_write_all(fd, parts[i], strlen(parts[i])) == 0;
		want += strlen(parts[i]);
	}
	ok(wrote && shutdown(fd, SHUT_WR) == 0,
	    "echo tcp %s: three writes and a half-close", host);
	n = pf_read_all(fd, back, sizeof(back), 5000);
	is_int((long long)want, n, "echo tcp %s: every byte back, then EOF",
	    host);
	ok(n == (ssize_t)want && memcmp(back, "hello\n", 6) == 0 &&
	    memcmp(back + 6, big, strlen(big)) == 0 &&
	    memcmp(back + 6 + strlen(big), "bye\r\n", 5) == 0,
	    "echo tcp %s: the same bytes in the same order", host);
	close(fd);
}

/* test_echo_udp - one datagram, the same datagram back. */
static void
test_echo_udp(const char *host, int port)
{
	static const char msg[] = "ping over udp\r\n";
	char reply[600];
	ssize_t n;

	n = pf_udp_request(host, port, msg, sizeof(msg) - 1, reply,
	    sizeof(reply), 3000);
	if (n < 0)
		diag("udp request: %s", strerror(errno));
	ok(n == (ssize_t)sizeof(msg) - 1 && memcmp(reply, msg, (size_t)n) == 0,
	    "echo udp %s: the datagram comes back as it was sent", host);
}

static void
test_discard(int tport, int uport)
{
	char buf[256], big[8192];
	ssize_t n;
	int fd;

	memset(big, 'x', sizeof(big));
	fd = pf_tcp_connect("127.0.0.1", tport);
	if (!ok(fd >= 0, "discard tcp: connect")) {
		diag("connect: %s", strerror(errno));
	} else {
		ok(pf_write_all(fd, big, sizeof(big)) == 0 &&
		    pf_write_all(fd, "more\n", 5) == 0 &&
		    shutdown(fd, SHUT_WR) == 0,
		    "discard tcp: accepts data and a half-close");
		n = pf_read_all(fd, buf, sizeof(buf), 5000);
		if (n < 0)
			diag("read: %s", strerror(errno));
		is_int(0, n, "discard tcp: EOF with nothing sent back");
		close(fd);
	}
	n = pf_udp_request("127.0.0.1", uport, "anything", 8, buf,
	    sizeof(buf), 300);
	ok(n < 0 && errno == ETIMEDOUT,
	    "discard udp: no reply within 300 ms (got %zd, %s)", n,
	    n < 0 ? strerror(errno) : "a reply");
}

/* chargen_char - RFC 864: line k, column j, in the ring of 95 printables. */
static char
chargen_char(int k, int j)
{
	return (char)(' ' + (1 + k + j) % 95);
}

static void
test_chargen(int tport, int uport)
{
	enum { LINES = 100, LINE = 74 };
	static char buf[LINES * LINE];
	char reply[1024];
	int fd, k, j, bad = -1, printable = 1;
	ssize_t n;

	fd = pf_tcp_connect("127.0.0.1", tport);
	if (!ok(fd >= 0, "chargen tcp: connect")) {
		diag("connect: %s", strerror(errno));
	} else {
		n = pf_read_n(fd, buf, sizeof(buf), 5000);
		is_int(sizeof(buf), n, "chargen tcp: %d lines of 72 + CRLF",
		    LINES);
		ok(n >= 11 && memcmp(buf, "!\"#$%&'()*+", 11) == 0,
		    "chargen tcp: the first line begins with !\"#$%%&'()*+");
		for (k = 0; k < LINES && bad < 0 && n == (ssize_t)sizeof(buf);
		    k++) {
			for (j = 0; j < 72; j++)
				if (buf[k * LINE + j] != chargen_char(k, j))
					bad = k;
			if (buf[k * LINE + 72] != '\r' ||
			    buf[k * LINE + 73] != '\n')
				bad = k;
		}
		ok(n == (ssize_t)sizeof(buf) && bad < 0,
		    "chargen tcp: each line shifted by one in the ring of 95 "
		    "printable characters (RFC 864)");
		if (bad >= 0)
			diag("line %d: \"%.74s\"", bad + 1, buf + bad * LINE);
		close(fd);
	}
	n = pf_udp_request("127.0.0.1", uport, "x", 1, reply, sizeof(reply),
	    3000);
	if (n < 0)
		diag("udp request: %s", strerror(errno));
	ok(n >= 0 && n <= 512, "chargen udp: a reply of 0 to 512 bytes "
	    "(got %zd)", n);
	for (j = 0; j < n; j++)
		if ((reply[j] < ' ' || reply[j] > '~') && reply[j] != '\r' &&
		    reply[j] != '\n')
			printable = 0;
	ok(n >= 0 && printable, "chargen udp: printable characters and CRLF");
}

/* has_year - whether text names the current year (local or UTC). */
static int
has_year(const char *text)
{
	time_t now = time(NULL);
	struct tm tm;
	char year[16];

	localtime_r(&now, &tm);
	snprintf(year, sizeof(year), "%d", tm.tm_year + 1900);
	if (strstr(text, year) != NULL)
		return 1;
	gmtime_r(&now, &tm);
	snprintf(year, sizeof(year), "%d", tm.tm_year + 1900);
	return strstr(text, year) != NULL;
}

static void
test_daytime(int tport, int uport)
{
	char buf[512];
	ssize_t n;
	int fd;

	fd = pf_tcp_connect("127.0.0.1", tport);
	if (!ok(fd >= 0, "daytime tcp: connect")) {
		diag("connect: %s", strerror(errno));
	} else {
		n = pf_read_all(fd, buf, sizeof(buf) - 1, 5000);
		buf[n > 0 ? n : 0] = '\0';
		ok(n >= 2 && buf[n - 2] == '\r' && buf[n - 1] == '\n',
		    "daytime tcp: one line ending in CRLF, then EOF: \"%.*s\"",
		    n > 2 ? (int)n - 2 : 0, buf);
		ok(has_year(buf), "daytime tcp: names the current year");
		close(fd);
	}
	n = pf_udp_request("127.0.0.1", uport, "x", 1, buf, sizeof(buf) - 1,
	    3000);
	if (n < 0)
		diag("udp request: %s", strerror(errno));
	buf[n > 0 ? n : 0] = '\0';
	ok(n >= 2 && buf[n - 2] == '\r' && buf[n - 1] == '\n',
	    "daytime udp: a datagram ending in CRLF");
	ok(has_year(buf), "daytime udp: names the current year");
}

/* time_close - whether an RFC 868 value is within 2 s of our clock. */
static int
time_close(const unsigned char *b)
{
	uint32_t got, want;
	int32_t diff;

	got = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3];
	want = (uint32_t)((uint64_t)time(NULL) + RFC868_OFFSET);
	diff = (int32_t)(got - want);
	if (diff < -2 || diff > 2)
		diag("time: got %lu, want %lu", (unsigned long)got,
		    (unsigned long)want);
	return diff >= -2 && diff <= 2;
}

static void
test_time(int tport, int uport)
{
	unsigned char buf[16];
	ssize_t n;
	int fd;

	fd = pf_tcp_connect("127.0.0.1", tport);
	if (!ok(fd >= 0, "time tcp: connect")) {
		diag("connect: %s", strerror(errno));
	} else {
		n = pf_read_all(fd, buf, sizeof(buf), 5000);
		is_int(4, n, "time tcp: 4 bytes, then EOF");
		ok(n == 4 && time_close(buf),
		    "time tcp: seconds since 1900, within 2 s of time()");
		close(fd);
	}
	n = pf_udp_request("127.0.0.1", uport, "", 0, buf, sizeof(buf), 3000);
	if (n < 0)
		diag("udp request: %s", strerror(errno));
	is_int(4, n, "time udp: a 4-byte reply to an empty datagram");
	ok(n == 4 && time_close(buf),
	    "time udp: seconds since 1900, within 2 s of time()");
}

int
main(void)
{
	struct pf_daemon *d;
	int tport[NSERVICES], uport[NSERVICES], t6 = -1, u6 = -1;
	int v6 = pf_ipv6_works();
	char *conf, *log, *msg;
	size_t i;
	int st;

	plan_lazy();
	conf = tap_strdup_printf(
	    "services = (\n"
	    "  { name = \"echo\"; handler = \"echo\"; workers = 2;\n"
	    "    listen = [ \"127.0.0.1:0\", \"udp://127.0.0.1:0\"%s ]; },\n"
	    "  { name = \"discard\"; handler = \"discard\"; workers = 2;\n"
	    "    listen = [ \"tcp://127.0.0.1:0\",\n"
	    "               \"udp://127.0.0.1:0\" ]; },\n"
	    "  { name = \"chargen\"; handler = \"chargen\"; workers = 2;\n"
	    "    listen = [ \"127.0.0.1:0\", \"udp://127.0.0.1:0\" ]; },\n"
	    "  { name = \"daytime\"; handler = \"daytime\"; workers = 2;\n"
	    "    listen = [ \"127.0.0.1:0\", \"udp://127.0.0.1:0\" ]; },\n"
	    "  { name = \"time\"; handler = \"time\"; workers = 2;\n"
	    "    listen = [ \"127.0.0.1:0\", \"udp://127.0.0.1:0\" ]; }\n"
	    ");\n",
	    v6 ? ", \"[::1]:0\", \"udp://[::1]:0\"" : "");
	d = pf_start(conf);
	free(conf);

	for (i = 0; i < NSERVICES; i++) {
		tport[i] = pf_port_host(d, services[i], "tcp", "127.0.0.1");
		uport[i] = pf_port_host(d, services[i], "udp", "127.0.0.1");
		check_listening(d, services[i], "tcp", "127.0.0.1", tport[i]);
		check_listening(d, services[i], "udp", "127.0.0.1", uport[i]);
	}
	if (v6) {
		t6 = pf_port_host(d, "echo", "tcp", "::1");
		u6 = pf_port_host(d, "echo", "udp", "::1");
		check_listening(d, "echo", "tcp", "[::1]", t6);
		check_listening(d, "echo", "udp", "[::1]", u6);
	}
	msg = tap_strdup_printf("ready: 5 services, 10 workers, pid %ld",
	    (long)d->pid);
	log = pf_log_line(d, "ready: ");
	ok(pf_line_is(log, "preforkd", d->pid, "notice", msg),
	    "log: %s (notice, from the master)", msg);
	free(log);
	free(msg);
	is_int(10, pf_wait_workers(d, 10, 5000), "10 workers are running");

	test_echo_tcp("127.0.0.1", tport[0]);
	test_echo_udp("127.0.0.1", uport[0]);
	if (v6) {
		test_echo_tcp("::1", t6);
		test_echo_udp("::1", u6);
	} else
		skip("IPv6 does not work on lo: no [::1] echo");
	test_discard(tport[1], uport[1]);
	test_chargen(tport[2], uport[2]);
	test_daytime(tport[3], uport[3]);
	test_time(tport[4], uport[4]);

	/* Clients that hang up early cost nothing: every worker is alive. */
	is_int(10, pf_wait_workers(d, 10, 2000),
	    "still 10 workers after all that (chargen's client hung up)");
	log = pf_log(d);
	ok(strstr(log, "SIGPIPE") == NULL && strstr(log, "replacing it") ==
	    NULL, "log: no worker died");
	free(log);
	ok(pf_proc_alive(d->pid), "the master is still running");
	st = pf_stop(d);
	if (!ok(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "TERM: the master exits 0 (status 0x%x)", st))
		pf_show(d);
	return 0;
}
