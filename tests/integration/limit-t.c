/*
 * limit-t.c - admission limits against the real preforkd, driven by
 * hostile clients on loopback from many source addresses:
 *
 *  - max_per_source: one source holds N connections, its N+1-th is
 *    closed at once without a byte, while another source is served
 *    within a second; the status of the full service names the top
 *    sources; a connection that ends makes room again.  IPv6 sources are
 *    /64s (source_prefix6 = 128 makes each address its own), and a unix
 *    client's source is its uid.
 *  - max_rate_per_source = "1/m burst 3": exactly 3 connections, then
 *    refused; another source is not.
 *  - the flushing attack: a source that empties its bucket, then pushes
 *    itself out of a small table (source_table_size = 16) from 200 other
 *    addresses, gets no fresh bucket back.
 *  - max_rate for the whole service, whoever connects.
 *  - the table's lock: a worker SIGKILLed while holding it (a test
 *    module does that) leaves the others admitting at once.
 *  - UDP reflection: 10,000 datagrams to chargen from 16 addresses draw
 *    at most the default budget of answers and bytes per source; the
 *    amplification before (limits off) and after is printed, as is each
 *    UDP built-in's answer-to-request byte ratio (preforkd.conf(5)
 *    quotes these numbers).
 *
 * Loopback has one IPv6 address, so the test runs in a network namespace
 * of its own (unshare(CLONE_NEWNET), root only) whose loopback also has
 * fd00:1::1 and fd00:1::2 (one /64) and fd00:2::1 (another): nothing it
 * sends leaves that namespace.  Without root, or namespaces, it fails.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap/basic.h"
#include "../tap/daemon.h"
#include "../tap/net.h"

/* Every wait is bounded by this, generously: the machine may be busy. */
#define WAIT_MS		30000

static char sout[262144], serr[4096];

/* ------------------------------------------------------------ network */

/* As <linux/ipv6.h> has it, which does not mix with <netinet/in.h>. */
struct in6_ifreq_ {
	struct in6_addr	addr;
	uint32_t	prefixlen;
	int		ifindex;
};

/*
 * netns - a network namespace of our own, its loopback up with the extra
 * IPv6 addresses; anything failing fails the test.
 */
static void
netns(void)
{
	static const char *const v6[] = { "fd00:1::1", "fd00:1::2",
	    "fd00:2::1" };
	struct in6_ifreq_ r6;
	struct ifreq ifr;
	size_t i;
	int fd, fd6;

	if (unshare(CLONE_NEWNET) == -1)
		sysbail("unshare(CLONE_NEWNET): this test needs root and "
		    "network namespaces");
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
	    (fd6 = socket(AF_INET6, SOCK_DGRAM, 0)) == -1)
		sysbail("socket");
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == -1)
		sysbail("SIOCGIFFLAGS lo");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) == -1)
		sysbail("SIOCSIFFLAGS lo up");
	for (i = 0; i < sizeof(v6) / sizeof(v6[0]); i++) {
		memset(&r6, 0, sizeof(r6));
		inet_pton(AF_INET6, v6[i], &r6.addr);
		r6.prefixlen = 64;
		r6.ifindex = (int)if_nametoindex("lo");
		if (ioctl(fd6, SIOCSIFADDR, &r6) == -1)
			sysbail("SIOCSIFADDR lo %s", v6[i]);
	}
	close(fd);
	close(fd6);
}

/* sa - host:port as a sockaddr. */
static socklen_t
sa(const char *host, int port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		return sizeof(*sin);
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
		bail("not an address: %s", host);
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons((uint16_t)port);
	return sizeof(*sin6);
}

/* bound - a socket of type bound to src:port (port 0: any). */
static int
bound(const char *src, int port, int type)
{
	struct sockaddr_storage ss;
	struct timeval tv = { WAIT_MS / 1000, 0 };
	socklen_t len = sa(src, port, &ss);
	int fd;

	if ((fd = socket(ss.ss_family, type | SOCK_CLOEXEC, 0)) == -1)
		sysbail("socket");
	if (bind(fd, (struct sockaddr *)&ss, len) == -1)
		sysbail("bind %s", src);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

/* from - a TCP connection from src to dst:port. */
static int
from(const char *src, const char *dst, int port)
{
	struct sockaddr_storage ss;
	socklen_t len = sa(dst, port, &ss);
	int fd = bound(src, 0, SOCK_STREAM);

	if (connect(fd, (struct sockaddr *)&ss, len) == -1)
		sysbail("connect %s -> %s:%d", src, dst, port);
	return fd;
}

/* echo - msg sent on fd comes back whole, within WAIT_MS. */
static int
echo(int fd, const char *msg)
{
	size_t len = strlen(msg);
	char buf[256];

	if (pf_write_all(fd, msg, len) < 0)
		return 0;
	return pf_read_n(fd, buf, len, WAIT_MS) == (ssize_t)len &&
	    memcmp(buf, msg, len) == 0;
}

/*
 * refused - the server closed fd without a byte (we sent none), within
 * WAIT_MS: what a refused client sees.
 */
static int
refused(int fd)
{
	struct pollfd p = { fd, POLLIN, 0 };
	char c;
	ssize_t n;

	if (poll(&p, 1, WAIT_MS) != 1)
		return 0;
	n = recv(fd, &c, 1, 0);
	return n == 0 || (n == -1 && errno == ECONNRESET);
}

/* served - a new connection from src echoes msg: 1, and *ms it took. */
static int
served(const char *src, const char *dst, int port, long *ms)
{
	long t0 = pf_now_ms();
	int fd = from(src, dst, port), r;

	r = echo(fd, "hello\n");
	if (ms != NULL)
		*ms = pf_now_ms() - t0;
	close(fd);
	return r;
}

/* ------------------------------------------------------------- status */

/* count - number key of service name in the JSON status (left in sout). */
static long long
count(struct pf_daemon *d, const char *name, const char *key)
{
	return pf_status_count(d, name, key, sout, sizeof(sout));
}

/* text_status - the text status into sout: 0, or -1. */
static int
text_status(struct pf_daemon *d)
{
	return pf_status(d, 0, sout, sizeof(sout), serr, sizeof(serr));
}

/* access_has - the access log holds a line with both needles. */
static int
access_has(const char *path, const char *a, const char *b)
{
	char *text = pf_file(path), *p, *eol;
	int r = 0;

	for (p = text; p != NULL && !r && (p = strstr(p, a)) != NULL; p++) {
		while (p > text && p[-1] != '\n')
			p--;
		eol = strchr(p, '\n');
		if (eol != NULL)
			*eol = '\0';
		r = strstr(p, b) != NULL;
		if (eol == NULL)
			break;
		*eol = '\n';
		p = eol;
	}
	free(text);
	return r;
}

/* wait_access - poll until access_has(a, b), bounded: 1 or 0. */
static int
wait_access(const char *path, const char *a, const char *b)
{
	long deadline = pf_now_ms() + WAIT_MS;

	while (!access_has(path, a, b)) {
		if (pf_now_ms() > deadline)
			return 0;
		pf_sleep_ms(20);
	}
	return 1;
}

/* ------------------------------------------------------------- tests */

static struct pf_daemon *
start(const char *config)
{
	struct pf_daemon *d = pf_prepare(config);

	pf_launch(d, NULL);
	if (pf_wait_ready(d, WAIT_MS) < 0) {
		pf_show(d);
		bail("preforkd did not start");
	}
	return d;
}

/*
 * test_per_source - max_per_source = 2 over TCP: the third connection
 * of 127.0.0.5 is refused while 127.0.0.6 is served within a second.
 */
static void
test_per_source(struct pf_daemon *d, const char *access_log)
{
	int port = pf_port(d, "per", "tcp");
	int a1, a2, a3, a4, b, c, r;
	char *needle, *port_text, *line = NULL;
	long ms = -1;

	a1 = from("127.0.0.5", "127.0.0.1", port);
	a2 = from("127.0.0.5", "127.0.0.1", port);
	ok(echo(a1, "one\n") && echo(a2, "two\n"), "per: 127.0.0.5 holds "
	    "two connections (max_per_source = 2)");
	a3 = from("127.0.0.5", "127.0.0.1", port);
	ok(refused(a3), "per: its third is closed at once, without a byte");
	r = served("127.0.0.6", "127.0.0.1", port, &ms);
	ok(r && ms < 1000, "per: meanwhile 127.0.0.6 is served within a "
	    "second (%ld ms)", ms);
	needle = tap_strdup_printf("service per: tcp 127.0.0.1:%d <- "
	    "127.0.0.5:", port);
	ok(pf_log_wait(d, " refused: over max_per_source (2 at once)",
	    WAIT_MS) && (line = pf_log_line(d, " refused: over "
	    "max_per_source")) != NULL && strstr(line, needle) != NULL,
	    "per: the refusal is logged with its reason");
	free(line);
	free(needle);
	port_text = tap_strdup_printf("local=127.0.0.1:%d remote=127.0.0.5:",
	    port);
	ok(wait_access(access_log, port_text, " in=0 out=0 ") &&
	    wait_access(access_log, port_text, " end=limited"),
	    "per: access log: end=limited, in=0 out=0");
	is_int(1, count(d, "per", "limited"), "per: status: limited 1");

	/* Full: four workers, all busy. */
	b = from("127.0.0.6", "127.0.0.1", port);
	c = from("127.0.0.7", "127.0.0.1", port);
	ok(echo(b, "b\n") && echo(c, "c\n"), "per: 127.0.0.6 and 127.0.0.7 "
	    "take the other two workers");
	ok(text_status(d) == 0 && strstr(sout, "  top sources: 127.0.0.5 (2), "
	    "127.0.0.6 (1), 127.0.0.7 (1)\n") != NULL, "per: the full "
	    "service's status names its top sources");
	ok(count(d, "per", "connections") == 2 && strstr(sout,
	    "\"top_sources\":[{\"source\":\"127.0.0.5\",\"connections\":2},"
	    "{\"source\":\"127.0.0.6\",\"connections\":1},{\"source\":"
	    "\"127.0.0.7\",\"connections\":1}]") != NULL,
	    "per: so does its JSON");

	/* A connection that ends makes room. */
	close(a1);
	needle = tap_strdup_printf("%s", port_text);
	ok(wait_access(access_log, needle, " in=4 out=4 "), "per: the first "
	    "connection is over (its access line)");
	a4 = from("127.0.0.5", "127.0.0.1", port);
	ok(echo(a4, "again\n"), "per: then 127.0.0.5 may connect again");
	free(needle);
	free(port_text);
	close(a2);
	close(a3);
	close(a4);
	close(b);
	close(c);
}

/* test_six - IPv6 sources: a /64, or each address with prefix 128. */
static void
test_six(struct pf_daemon *d)
{
	int p64 = pf_port_host(d, "six", "tcp", "::1");
	int p128 = pf_port_host(d, "six128", "tcp", "::1");
	int x, y;

	x = from("fd00:1::1", "::1", p64);
	ok(echo(x, "x\n"), "six: fd00:1::1 holds one (max_per_source = 1)");
	y = from("fd00:1::2", "::1", p64);
	ok(refused(y), "six: fd00:1::2, of the same /64, is refused");
	ok(served("fd00:2::1", "::1", p64, NULL), "six: fd00:2::1, another "
	    "/64, is served");
	ok(pf_log_wait(d, "<- [fd00:1::2]:", WAIT_MS), "six: the "
	    "refusal is logged");
	close(x);
	close(y);

	x = from("fd00:1::1", "::1", p128);
	ok(echo(x, "x\n"), "six128: fd00:1::1 holds one");
	ok(served("fd00:1::2", "::1", p128, NULL), "six128: source_prefix6 = "
	    "128: fd00:1::2 is a source of its own, served");
	y = from("fd00:1::1", "::1", p128);
	ok(refused(y), "six128: fd00:1::1's second is refused");
	close(x);
	close(y);
}

/*
 * test_unix - a unix client's source is its uid: root's second
 * connection is refused, nobody's first served.
 */
static void
test_unix(struct pf_daemon *d)
{
	char *path = pf_path(d, "ux.sock");
	struct passwd *pw = getpwnam("nobody");
	int a, b, st;
	pid_t pid;

	if (pw == NULL)
		bail("no user nobody");
	a = pf_unix_connect(path);
	ok(a >= 0 && echo(a, "root\n"), "ux: root holds one connection");
	b = pf_unix_connect(path);
	ok(b >= 0 && refused(b), "ux: root's second is refused");
	if ((pid = fork()) == -1)
		sysbail("fork");
	if (pid == 0) {
		int fd;

		if (setgid(pw->pw_gid) == -1 || setuid(pw->pw_uid) == -1)
			_exit(2);
		fd = pf_unix_connect(path);
		_exit(fd >= 0 && echo(fd, "nobody\n") ? 0 : 1);
	}
	if (waitpid(pid, &st, 0) != pid)
		sysbail("waitpid");
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "ux: nobody's connection, "
	    "another uid, is served");
	close(a);
	close(b);
	free(path);
}

/*
 * test_rate - max_rate_per_source = "1/m burst 3": a burst of exactly
 * three connections, then refused; another source is not.
 */
static void
test_rate(struct pf_daemon *d, const char *access_log)
{
	int port = pf_port(d, "rate", "tcp");
	int i, n = 0, fd;
	char *needle;

	for (i = 0; i < 3; i++)
		n += served("127.0.0.8", "127.0.0.1", port, NULL);
	is_int(3, n, "rate: 1/m burst 3: three connections served");
	fd = from("127.0.0.8", "127.0.0.1", port);
	ok(refused(fd), "rate: the fourth within the minute is refused");
	close(fd);
	ok(served("127.0.0.9", "127.0.0.1", port, NULL), "rate: another "
	    "source is served");
	ok(pf_log_wait(d, "refused: over max_rate_per_source (1/m burst 3)",
	    WAIT_MS), "rate: logged with the rate");
	needle = tap_strdup_printf("local=127.0.0.1:%d remote=127.0.0.8:",
	    port);
	ok(wait_access(access_log, needle, " end=rate_limited"), "rate: "
	    "access log: end=rate_limited");
	free(needle);
	is_int(1, count(d, "rate", "rate_limited"), "rate: status: "
	    "rate_limited 1");
}

/*
 * test_flush - the attacker 127.0.0.10 uses its burst (2), then connects
 * from 200 other addresses to push itself out of a table of 16 entries:
 * it comes back to no fresh bucket (one token for the whole flush, then
 * refused again).
 */
static void
test_flush(struct pf_daemon *d)
{
	int port = pf_port(d, "flush", "tcp");
	int i, n = 0, fd;
	char src[32];
	long long ev;

	for (i = 0; i < 2; i++)
		n += served("127.0.0.10", "127.0.0.1", port, NULL);
	fd = from("127.0.0.10", "127.0.0.1", port);
	ok(n == 2 && refused(fd), "flush: 127.0.0.10 takes its burst of 2, "
	    "then is refused");
	close(fd);
	for (i = 1, n = 0; i <= 200; i++) {
		snprintf(src, sizeof(src), "127.0.1.%d", i);
		n += served(src, "127.0.0.1", port, NULL);
	}
	is_int(200, n, "flush: 200 other addresses, each served once");
	ev = count(d, "flush", "evictions");
	ok(ev >= 100, "flush: the table (16 entries) was flushed over and "
	    "over (%lld evictions in the status)", ev);
	for (i = 0, n = 0; i < 3; i++)
		n += served("127.0.0.10", "127.0.0.1", port, NULL) ? 1 : 0;
	ok(n <= 1, "flush: 127.0.0.10 again: no fresh bucket (%d of 3 "
	    "served; a fresh bucket would serve 2)", n);
	ok(text_status(d) == 0 && strstr(sout, "  source table: 16 entries, ")
	    != NULL, "flush: the text status shows the table");
}

/* test_service_rate - max_rate = "1/m burst 3" for the whole service. */
static void
test_service_rate(struct pf_daemon *d)
{
	int port = pf_port(d, "svcrate", "tcp");
	int n, fd;

	n = served("127.0.0.11", "127.0.0.1", port, NULL) +
	    served("127.0.0.12", "127.0.0.1", port, NULL) +
	    served("127.0.0.13", "127.0.0.1", port, NULL);
	is_int(3, n, "svcrate: three sources, one connection each: served");
	fd = from("127.0.0.14", "127.0.0.1", port);
	ok(refused(fd), "svcrate: a fourth source is refused: the service's "
	    "rate, not the source's");
	close(fd);
	ok(pf_log_wait(d, "refused: over max_rate (1/m burst 3) of the "
	    "service", WAIT_MS), "svcrate: logged");
}

/*
 * test_reload - a reload forgives nothing: the connections the old
 * generation's workers still hold count against max_per_source for the
 * new ones, and a client's bucket goes over to the new generation.
 */
static void
test_reload(struct pf_daemon *d)
{
	int per = pf_port(d, "per", "tcp"), rate = pf_port(d, "rate", "tcp");
	int a1, a2, a3, fd;

	a1 = from("127.0.0.30", "127.0.0.1", per);
	a2 = from("127.0.0.30", "127.0.0.1", per);
	ok(echo(a1, "1\n") && echo(a2, "2\n"), "reload: 127.0.0.30 holds "
	    "two connections of per");
	ok(pf_kill(d, SIGHUP) == 0 && pf_log_wait(d, "reload: generation 2 "
	    "is serving", WAIT_MS), "reload: generation 2 serves, the old "
	    "workers finish their connections");
	ok(echo(a1, "still\n"), "reload: the old connections go on");
	a3 = from("127.0.0.30", "127.0.0.1", per);
	ok(refused(a3), "reload: a third, served by the new generation, is "
	    "refused: the old generation's connections count");
	fd = from("127.0.0.8", "127.0.0.1", rate);
	ok(refused(fd), "reload: 127.0.0.8, out of tokens before, still is: "
	    "the table went over to the new generation");
	close(fd);
	close(a1);
	close(a2);
	close(a3);
}

/*
 * test_lock - a worker dies holding the source table's lock: the other
 * worker takes the lock over and admits at once.
 */
static void
test_lock(void)
{
	const char *top = getenv("TOP_BUILDDIR");
	struct pf_daemon *d;
	char *conf, buf[64];
	int port, fd, i, served2;
	ssize_t n;

	if (top == NULL)
		top = ".";
	conf = tap_strdup_printf("services = ( { name = \"lock\"; "
	    "handler = \"module\"; workers = 2;\n"
	    "  module = { path = \"%s/tests/modules/locker.so\"; };\n"
	    "  max_rate_per_source = \"1/m burst 2\";\n"
	    "  listen = \"127.0.0.1:0\"; } );\n", top);
	d = start(conf);
	free(conf);
	port = pf_port(d, "lock", "tcp");
	fd = from("127.0.0.20", "127.0.0.1", port);
	pf_write_all(fd, "lockdie\n", 8);
	ok(pf_read_n(fd, buf, 1, WAIT_MS) <= 0, "lock: the module's worker "
	    "took the table's lock and died holding it");
	close(fd);
	ok(pf_log_wait(d, "killed by signal 9 (SIGKILL)", WAIT_MS),
	    "lock: the master saw it die by SIGKILL");
	for (i = 0, served2 = 0; i < 2; i++) {
		fd = from("127.0.0.21", "127.0.0.1", port);
		pf_write_all(fd, "ping\n", 5);
		n = pf_read_n(fd, buf, 5, WAIT_MS);
		served2 += n == 5 && memcmp(buf, "pong\n", 5) == 0;
		close(fd);
	}
	ok(served2 == 2, "lock: the next client is admitted and served, "
	    "twice (its burst)");
	fd = from("127.0.0.21", "127.0.0.1", port);
	ok(refused(fd), "lock: and its third connection refused: the table "
	    "works on, its limit too");
	close(fd);
	ok(pf_log_wait(d, "service lock: took over the source table's lock "
	    "from a worker that died holding it", WAIT_MS),
	    "lock: the worker that took it over says so");
	is_int(1, count(d, "lock", "recovered"), "lock: status: recovered 1");
	ok(pf_stop(d) == 0, "lock: stops cleanly");
}

/* ---------------------------------------------------------------- UDP */

#define SOURCES		16
#define DATAGRAMS	10000
#define IP_UDP		28	/* IPv4 and UDP headers */

/* udp_drops - datagrams the kernel dropped at 127.0.0.1:port (full buffer). */
static long long
udp_drops(int port)
{
	char line[512], local[32], *text, *p, *save = NULL;
	long long drops = 0;
	int i;

	snprintf(local, sizeof(local), "0100007F:%04X", port);
	text = pf_file("/proc/net/udp");
	for (p = strtok_r(text, "\n", &save); p != NULL;
	    p = strtok_r(NULL, "\n", &save)) {
		if (strstr(p, local) == NULL)
			continue;
		snprintf(line, sizeof(line), "%s", p);
		/* The last field is the drops (spaces follow it). */
		for (i = (int)strlen(line); i > 0 && line[i - 1] == ' '; i--)
			line[i - 1] = '\0';
		for (; i > 0 && line[i - 1] != ' '; i--)
			;
		drops += strtoll(line + i, NULL, 10);
	}
	free(text);
	return drops;
}

/* One attacking source. */
struct udp_src {
	int		 fd;
	char		 addr[32];
	long long	 got, bytes;		/* what reached it */
	long long	 answers, out, lines;	/* the access log's count */
};

/* udp_drain - every answer already waiting on the sources' sockets. */
static void
udp_drain(struct udp_src *s)
{
	char buf[2048];
	ssize_t n;
	int i;

	for (i = 0; i < SOURCES; i++)
		while ((n = recv(s[i].fd, buf, sizeof(buf), MSG_DONTWAIT)) >= 0) {
			s[i].got++;
			s[i].bytes += n;
		}
}

/*
 * udp_account - per source, from the access log: datagrams received,
 * answered (end=closed) and the answers' bytes, for service name.
 */
static void
udp_account(const char *access_log, const char *name, struct udp_src *s)
{
	char *text = pf_file(access_log), *p, *save = NULL, *r, *o;
	char *svc = tap_strdup_printf("service=%s ", name), *rem;
	int i;

	for (i = 0; i < SOURCES; i++)
		s[i].answers = s[i].out = s[i].lines = 0;
	for (p = strtok_r(text, "\n", &save); p != NULL;
	    p = strtok_r(NULL, "\n", &save)) {
		if (strstr(p, svc) == NULL || (r = strstr(p, "remote=")) ==
		    NULL)
			continue;
		for (i = 0; i < SOURCES; i++) {
			rem = tap_strdup_printf("remote=%s:", s[i].addr);
			if (strncmp(r, rem, strlen(rem)) == 0) {
				s[i].lines++;
				if (strstr(p, " end=closed") != NULL &&
				    (o = strstr(p, " out=")) != NULL) {
					s[i].answers++;
					s[i].out += strtoll(o + 5, NULL, 10);
				}
			}
			free(rem);
		}
	}
	free(svc);
	free(text);
}

/*
 * flood - DATAGRAMS empty datagrams to service name from SOURCES
 * addresses, round robin, paced a little; returns once preforkd has
 * taken (answered, refused, or the kernel dropped) each of them and
 * logged each it took, with the seconds it took in *secs.  The IP-level
 * amplification: answer bytes over request bytes received.
 */
static double
flood(struct pf_daemon *d, const char *access_log, const char *name,
    int port, struct udp_src *s, double *secs)
{
	struct sockaddr_storage to;
	socklen_t tolen = sa("127.0.0.1", port, &to);
	long long taken = 0, lines = 0, answers = 0, out = 0, drops;
	long t0 = pf_now_ms(), deadline;
	int i;

	for (i = 0; i < SOURCES; i++)
		s[i].got = s[i].bytes = 0;
	for (i = 0; i < DATAGRAMS; i++) {
		if (sendto(s[i % SOURCES].fd, "", 0, 0,
		    (struct sockaddr *)&to, tolen) == -1)
			sysbail("sendto");
		if (i % SOURCES == SOURCES - 1) {
			udp_drain(s);
			usleep(200);
		}
	}
	deadline = pf_now_ms() + WAIT_MS;
	do {
		pf_sleep_ms(50);
		udp_drain(s);
		drops = udp_drops(port);
		taken = count(d, name, "served") + count(d, name,
		    "rate_limited") + drops;
	} while (taken < DATAGRAMS && pf_now_ms() < deadline);
	*secs = (pf_now_ms() - t0) / 1000.0;
	ok(taken == DATAGRAMS, "%s: all %d datagrams taken (%lld dropped by "
	    "the kernel, the socket buffer full)", name, DATAGRAMS, drops);
	deadline = pf_now_ms() + WAIT_MS;
	do {
		udp_account(access_log, name, s);
		for (i = 0, lines = 0; i < SOURCES; i++)
			lines += s[i].lines;
		if (lines >= DATAGRAMS - drops)
			break;
		pf_sleep_ms(50);
	} while (pf_now_ms() < deadline);
	udp_drain(s);
	for (i = 0; i < SOURCES; i++) {
		answers += s[i].answers;
		out += s[i].out;
	}
	ok(lines == DATAGRAMS - drops, "%s: an access line for each of the "
	    "%lld received", name, lines);
	diag("%s: %lld datagrams received (%lld IP bytes), %lld answered "
	    "(%lld IP bytes) in %.1f s", name, lines, lines * IP_UDP, answers,
	    out + answers * IP_UDP, *secs);
	return lines > 0 ? (double)(out + answers * IP_UDP) /
	    (double)(lines * IP_UDP) : 0;
}

/* ratio - a UDP built-in's answer to an n-byte request, over tries. */
static void
ratio(struct pf_daemon *d, const char *name, size_t n, int tries)
{
	int port = pf_port(d, name, "udp");
	char req[64], buf[1024];
	long long sum = 0, most = 0, got = 0;
	ssize_t r;
	int i;

	memset(req, 'x', sizeof(req));
	for (i = 0; i < tries; i++) {
		r = pf_udp_request("127.0.0.1", port, req, n, buf,
		    sizeof(buf), WAIT_MS);
		if (r < 0)
			continue;
		got++;
		sum += r;
		if (r > most)
			most = r;
	}
	ok(got == tries, "%s: %d answers to %d requests of %zu bytes", name,
	    (int)got, tries, n);
	if (got > 0)
		diag("ratio %s: request %zu bytes (%zu at the IP level), answer "
		    "%.1f bytes on average, %lld at most: %.2fx on average, "
		    "%.2fx at most", name, n, n + IP_UDP, (double)sum / got,
		    most, ((double)sum / got + IP_UDP) / (double)(n + IP_UDP),
		    (double)(most + IP_UDP) / (double)(n + IP_UDP));
}

static void
test_udp(void)
{
	static const char config[] =
	    "access_log = \"@DIR@/access.log\";\n"
	    "log_level = \"info\";\n"
	    "services = (\n"
	    "  { name = \"cg\"; handler = \"chargen\"; workers = 2;\n"
	    "    listen = \"udp://127.0.0.1:0\"; },\n"
	    "  { name = \"cgoff\"; handler = \"chargen\"; workers = 2;\n"
	    "    listen = \"udp://127.0.0.1:0\";\n"
	    "    max_rate_per_source = \"off\";\n"
	    "    max_reply_bytes_per_source = \"off\"; },\n"
	    "  { name = \"cgb\"; handler = \"chargen\"; workers = 2;\n"
	    "    listen = \"udp://127.0.0.1:0\";\n"
	    "    max_rate_per_source = \"off\";\n"
	    "    max_reply_bytes_per_source = \"1000/s burst 2000\"; },\n"
	    "  { name = \"cgrate\"; handler = \"chargen\"; workers = 1;\n"
	    "    listen = \"udp://127.0.0.1:0\"; max_rate = \"1/m burst 5\";\n"
	    "    max_rate_per_source = \"off\";\n"
	    "    max_reply_bytes_per_source = \"off\"; },\n"
	    "  { name = \"echo\"; handler = \"echo\"; workers = 1;\n"
	    "    listen = \"udp://127.0.0.1:0\";\n"
	    "    max_rate_per_source = \"off\";\n"
	    "    max_reply_bytes_per_source = \"off\"; },\n"
	    "  { name = \"daytime\"; handler = \"daytime\"; workers = 1;\n"
	    "    listen = \"udp://127.0.0.1:0\";\n"
	    "    max_rate_per_source = \"off\";\n"
	    "    max_reply_bytes_per_source = \"off\"; },\n"
	    "  { name = \"time\"; handler = \"time\"; workers = 1;\n"
	    "    listen = \"udp://127.0.0.1:0\";\n"
	    "    max_rate_per_source = \"off\";\n"
	    "    max_reply_bytes_per_source = \"off\"; },\n"
	    "  { name = \"chargen\"; handler = \"chargen\"; workers = 1;\n"
	    "    listen = \"udp://127.0.0.1:0\";\n"
	    "    max_rate_per_source = \"off\";\n"
	    "    max_reply_bytes_per_source = \"off\"; }\n"
	    ");\n";
	struct udp_src s[SOURCES];
	struct pf_daemon *d = start(config);
	char *access_log = pf_path(d, "access.log");
	int cg = pf_port(d, "cg", "udp"), cgoff = pf_port(d, "cgoff", "udp");
	int cgb = pf_port(d, "cgb", "udp");
	int i, within = 1, some = 1, size = 1 << 22;
	long long max_answers = 0, max_bytes = 0, ans_budget, byte_budget;
	double before, after, secs;
	struct sockaddr_storage to;
	socklen_t tolen;
	long deadline;
	long long n;

	tolen = sa("127.0.0.1", pf_port(d, "cgrate", "udp"), &to);

	/* Each built-in's ratio, limits off. */
	ratio(d, "echo", 0, 50);
	ratio(d, "echo", 64, 50);
	ratio(d, "daytime", 0, 50);
	ratio(d, "time", 0, 50);
	ratio(d, "chargen", 0, 500);

	for (i = 0; i < SOURCES; i++) {
		snprintf(s[i].addr, sizeof(s[i].addr), "127.0.2.%d", i + 1);
		/* Below the daemon's (ephemeral) ports, which its loop guard
		 * would not answer, and above 1023, which it would not
		 * either. */
		s[i].fd = bound(s[i].addr, 20001 + i, SOCK_DGRAM);
		setsockopt(s[i].fd, SOL_SOCKET, SO_RCVBUFFORCE, &size,
		    sizeof(size));
	}

	before = flood(d, access_log, "cgoff", cgoff, s, &secs);
	diag("amplification before (limits off): %.2fx at the IP level",
	    before);
	ok(before > 5, "cgoff: chargen without limits amplifies (%.2fx)",
	    before);

	after = flood(d, access_log, "cg", cg, s, &secs);
	/* The defaults: 10/s burst 20 answers, 8192/s burst 16384 bytes. */
	ans_budget = 20 + (long long)(10 * secs) + 1;
	byte_budget = 16384 + (long long)(8192 * secs) + 1;
	for (i = 0; i < SOURCES; i++) {
		if (s[i].answers > max_answers)
			max_answers = s[i].answers;
		if (s[i].out > max_bytes)
			max_bytes = s[i].out;
		within &= s[i].answers <= ans_budget &&
		    s[i].out <= byte_budget && s[i].got <= ans_budget &&
		    s[i].bytes <= byte_budget;
		some &= s[i].got > 0;
	}
	diag("amplification after (the defaults): %.2fx at the IP level; at "
	    "most %lld answers and %lld bytes a source in %.1f s (budget: "
	    "%lld answers, %lld bytes)", after, max_answers, max_bytes, secs,
	    ans_budget, byte_budget);
	ok(within, "cg: every source got at most the budget of answers and "
	    "bytes (10/s burst 20, 8192/s burst 16384), by the access log "
	    "and by what reached it");
	ok(some, "cg: and every source was answered some");
	/* Over a longer flood it tends to 0; this one lasts a second or
	 * two (more on a busy machine), burst included. */
	ok(after < before / 2, "cg: the amplification is cut (%.2fx, from "
	    "%.2fx)", after, before);
	ok(count(d, "cg", "rate_limited") > 0, "cg: the rest counted as "
	    "rate_limited");

	/* The byte budget alone, lower, where it binds before the answers'. */
	after = flood(d, access_log, "cgb", cgb, s, &secs);
	byte_budget = 2000 + (long long)(1000 * secs) + 1;
	for (i = 0, within = 1, max_bytes = 0; i < SOURCES; i++) {
		if (s[i].out > max_bytes)
			max_bytes = s[i].out;
		within &= s[i].out <= byte_budget && s[i].bytes <= byte_budget;
	}
	diag("max_reply_bytes_per_source = \"1000/s burst 2000\": %.2fx; at "
	    "most %lld bytes a source in %.1f s (budget %lld)", after,
	    max_bytes, secs, byte_budget);
	ok(within, "cgb: every source got at most its budget of reply "
	    "bytes (1000/s burst 2000)");
	ok(pf_log_wait(d, "refused: reply over max_reply_bytes_per_source "
	    "(1000/s burst 2000)", WAIT_MS), "cgb: the replies over it are "
	    "logged as refused");
	/* max_rate over UDP: one bucket for every source. */
	udp_drain(s);
	for (i = 0; i < SOURCES; i++)
		s[i].got = 0;
	for (i = 0; i < SOURCES; i++)
		if (sendto(s[i].fd, "", 0, 0, (struct sockaddr *)&to, tolen) ==
		    -1)
			sysbail("sendto");
	deadline = pf_now_ms() + WAIT_MS;
	while (count(d, "cgrate", "served") + count(d, "cgrate",
	    "rate_limited") < SOURCES && pf_now_ms() < deadline)
		pf_sleep_ms(50);
	udp_drain(s);
	for (i = 0, n = 0; i < SOURCES; i++)
		n += s[i].got;
	ok(n == 5 && count(d, "cgrate", "rate_limited") == SOURCES - 5,
	    "cgrate: max_rate = \"1/m burst 5\" over udp: 16 sources, a "
	    "datagram each, 5 answered (got %lld), the rest rate_limited", n);

	for (i = 0; i < SOURCES; i++)
		close(s[i].fd);
	free(access_log);
	ok(pf_stop(d) == 0, "udp: stops cleanly");
}

int
main(void)
{
	static const char config[] =
	    "access_log = \"@DIR@/access.log\";\n"
	    "services = (\n"
	    "  { name = \"per\"; handler = \"echo\"; workers = 4;\n"
	    "    max_per_source = 2; listen = \"127.0.0.1:0\"; },\n"
	    "  { name = \"six\"; handler = \"echo\"; workers = 3;\n"
	    "    max_per_source = 1; listen = \"[::1]:0\"; },\n"
	    "  { name = \"six128\"; handler = \"echo\"; workers = 3;\n"
	    "    max_per_source = 1; source_prefix6 = 128;\n"
	    "    listen = \"[::1]:0\"; },\n"
	    "  { name = \"ux\"; handler = \"echo\"; workers = 3;\n"
	    "    max_per_source = 1; listen = \"unix:@DIR@/ux.sock\"; },\n"
	    "  { name = \"rate\"; handler = \"echo\"; workers = 2;\n"
	    "    max_rate_per_source = \"1/m burst 3\";\n"
	    "    listen = \"127.0.0.1:0\"; },\n"
	    "  { name = \"flush\"; handler = \"echo\"; workers = 2;\n"
	    "    max_rate_per_source = \"1/m burst 2\";\n"
	    "    source_table_size = 16; listen = \"127.0.0.1:0\"; },\n"
	    "  { name = \"svcrate\"; handler = \"echo\"; workers = 2;\n"
	    "    max_rate = \"1/m burst 3\"; listen = \"127.0.0.1:0\"; }\n"
	    ");\n";
	struct pf_daemon *d;
	char *access_log;

	if (geteuid() != 0)
		bail("limit-t needs root: a network namespace of its own, "
		    "and a client of another uid");
	netns();
	plan_lazy();

	d = start(config);
	access_log = pf_path(d, "access.log");
	test_per_source(d, access_log);
	test_six(d);
	test_unix(d);
	test_rate(d, access_log);
	test_flush(d);
	test_service_rate(d);
	test_reload(d);
	ok(pf_stop(d) == 0, "stops cleanly");
	free(access_log);

	test_lock();
	test_udp();
	return 0;
}
