/*
 * proxy-t.c - the PROXY protocol against the real preforkd, on loopback.
 *
 * Raw headers, no balancer: a v1 and a v2 header (TLVs, a right CRC32C,
 * the header sent in pieces) each accepted, and the payload after it
 * reaches the handler byte for byte (echo); half a header cut after
 * proxy_timeout and counted; a malformed header logged once a second at
 * most however many come; a bad CRC32C and a TLV whose length lies
 * refused; a peer outside proxy_from refused whatever it sends; LOCAL
 * served as the balancer's own connection and counted; -t refusing
 * what cannot work, with FILE:LINE.
 *
 * A real HAProxy (/usr/sbin/haproxy; the test fails without it) in front
 * of one preforkd service, one backend with send-proxy (v1), one with
 * send-proxy-v2 and a CRC32C, and health checks (LOCAL): clients bound
 * to their own 127.0.0.x addresses; the exec program's TCPREMOTEIP, the
 * status (client, then via the balancer), the access log (remote= the
 * client, proxy= the balancer) and max_per_source all see each client's
 * own address; a client that connects to preforkd directly with a forged
 * header is refused; the health checks are served and counted.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proxy.h"
#include "../tap/basic.h"
#include "../tap/daemon.h"
#include "../tap/net.h"

/* Every wait is bounded by this, generously: the machine may be busy. */
#define WAIT_MS		30000
#define HAPROXY		"/usr/sbin/haproxy"

static char sout[262144], serr[4096];
static pid_t haproxy_pid;

/* ------------------------------------------------------------ clients */

/* conn_from - a TCP connection from src (any port) to 127.0.0.1:port. */
static int
conn_from(const char *src, int port)
{
	struct sockaddr_in a;
	struct timeval tv = { WAIT_MS / 1000, 0 };
	int fd;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		sysbail("socket");
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	if (inet_pton(AF_INET, src, &a.sin_addr) != 1)
		bail("not an address: %s", src);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == -1)
		sysbail("bind %s", src);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	a.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == -1)
		sysbail("connect %s -> 127.0.0.1:%d", src, port);
	return fd;
}

/* closed - the server closed (or reset) fd without sending a byte,
   within WAIT_MS. */
static int
closed(int fd)
{
	char c;
	ssize_t n = pf_read_all(fd, &c, 1, WAIT_MS);

	return n == 0 || (n == -1 && errno == ECONNRESET);
}

/* line - one line read from fd (without its newline), "" on EOF/error. */
static char *
line(int fd)
{
	static char buf[512];
	size_t n = 0;
	char c;

	while (n + 1 < sizeof(buf) && pf_read_n(fd, &c, 1, WAIT_MS) == 1 &&
	    c != '\n')
		buf[n++] = c;
	buf[n] = '\0';
	return buf;
}

/* ---------------------------------------------------------- v2 headers */

static const unsigned char v2sig[12] = {
	0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A
};

/*
 * v2 - a v2 PROXY header for TCP4 src:sport -> dst:dport into out, with
 * the TLVs tlv[0..tlen) and, crc set, a CRC32C TLV (crc 2: a wrong one);
 * local: the LOCAL command without addresses.  Its length.
 */
static size_t
v2(unsigned char *out, const char *src, int sport, const char *dst,
    int dport, const void *tlv, size_t tlen, int crc, int local)
{
	size_t n = 16;
	uint32_t c;

	memcpy(out, v2sig, 12);
	out[12] = local ? 0x20 : 0x21;
	out[13] = local ? 0x00 : 0x11;
	if (!local) {
		inet_pton(AF_INET, src, out + 16);
		inet_pton(AF_INET, dst, out + 20);
		out[24] = (unsigned char)(sport >> 8);
		out[25] = (unsigned char)sport;
		out[26] = (unsigned char)(dport >> 8);
		out[27] = (unsigned char)dport;
		n = 28;
	}
	if (tlen > 0)
		memcpy(out + n, tlv, tlen);
	n += tlen;
	if (crc) {
		memcpy(out + n, "\x03\x00\x04\x00\x00\x00\x00", 7);
		n += 7;
	}
	out[14] = (unsigned char)((n - 16) >> 8);
	out[15] = (unsigned char)(n - 16);
	if (crc) {
		c = proxy_crc32c(0, out, n) ^ (crc == 2 ? 1u : 0u);
		out[n - 4] = (unsigned char)(c >> 24);
		out[n - 3] = (unsigned char)(c >> 16);
		out[n - 2] = (unsigned char)(c >> 8);
		out[n - 1] = (unsigned char)c;
	}
	return n;
}

/* ------------------------------------------------------------- status */

/* count - number key of service name in the JSON status, -1 if none. */
static long long
count(struct pf_daemon *d, const char *name, const char *key)
{
	return pf_status_count(d, name, key, sout, sizeof(sout));
}

/* wait_count - poll until count() reaches n, bounded: the last value. */
static long long
wait_count(struct pf_daemon *d, const char *name, const char *key,
    long long n)
{
	long deadline = pf_now_ms() + WAIT_MS;
	long long v;

	while ((v = count(d, name, key)) < n && pf_now_ms() < deadline)
		pf_sleep_ms(50);
	return v;
}

/* access_line - the first access-log line with both needles, or NULL. */
static char *
access_line(const char *path, const char *a, const char *b)
{
	static char found[1024];
	char *text = pf_file(path), *p, *eol;
	size_t len;

	for (p = text; p != NULL && (p = strstr(p, a)) != NULL; p++) {
		while (p > text && p[-1] != '\n')
			p--;
		eol = strchr(p, '\n');
		len = eol != NULL ? (size_t)(eol - p) : strlen(p);
		if (len >= sizeof(found))
			len = sizeof(found) - 1;
		memcpy(found, p, len);
		found[len] = '\0';
		if (strstr(found, a) != NULL && strstr(found, b) != NULL) {
			free(text);
			return found;
		}
		if (eol == NULL)
			break;
		p = eol;
	}
	free(text);
	return NULL;
}

/* wait_access - poll until access_line(a, b), bounded. */
static char *
wait_access(const char *path, const char *a, const char *b)
{
	long deadline = pf_now_ms() + WAIT_MS;
	char *l;

	while ((l = access_line(path, a, b)) == NULL && pf_now_ms() < deadline)
		pf_sleep_ms(20);
	return l;
}

/*
 * start_prog - preforkd started on config, with the executable script
 * text at @DIR@/name first when name is not NULL.
 */
static struct pf_daemon *
start_prog(const char *config, const char *name, const char *text)
{
	struct pf_daemon *d = pf_prepare(config);
	char *path;

	if (name != NULL) {
		path = pf_path(d, name);
		pf_write_file(path, text);
		chmod(path, 0755);
		free(path);
	}
	pf_launch(d, NULL);
	if (pf_wait_ready(d, WAIT_MS) < 0) {
		pf_show(d);
		bail("preforkd did not start");
	}
	return d;
}

/* --------------------------------------------------------- raw headers */

/* echo_through - header, then payload, sent on a new connection from
   127.0.0.1 (in pieces: a pause after each split bytes); the payload
   comes back whole. */
static int
echo_through(int port, const unsigned char *hdr, size_t hlen,
    const unsigned char *pay, size_t plen, size_t split)
{
	unsigned char back[512];
	size_t off;
	int fd = conn_from("127.0.0.1", port), r;

	for (off = 0; split > 0 && off + split < hlen; off += split) {
		if (pf_write_all(fd, hdr + off, split) < 0)
			return 0;
		pf_sleep_ms(60);
	}
	if (pf_write_all(fd, hdr + off, hlen - off) < 0 ||
	    pf_write_all(fd, pay, plen) < 0)
		return 0;
	r = pf_read_n(fd, back, plen, WAIT_MS) == (ssize_t)plen &&
	    memcmp(back, pay, plen) == 0;
	close(fd);
	return r;
}

static void
test_raw(void)
{
	/* a payload that looks like a header, with NUL, CR, LF, 0xff */
	static const unsigned char pay[] = "PROXY TCP4 6.6.6.6 6.6.6.6 1 1\r\n"
	    "\r\n\r\n\0\r\nQUIT\n\xff payload end";
	static const unsigned char tlvs[] = {
		0x01, 0, 2, 'h', '2', 0x04, 0, 3, 0, 0, 0, 0xE0, 0, 0
	};
	struct pf_daemon *d;
	unsigned char h[256];
	const char *v1 = "PROXY TCP4 192.0.2.7 198.51.100.1 4000 80\r\n";
	char *alog, *l, *before;
	size_t n;
	long t0, took, lines, errs0, errs;
	int port, fd, i;

	d = start_prog("access_log = \"@DIR@/access.log\";\n"
	    "services = ( { name = \"raw\"; listen = [ \"127.0.0.1:0\" ];\n"
	    "  handler = \"echo\"; workers = 1; proxy_protocol = \"any\";\n"
	    "  proxy_from = [ \"127.0.0.1\" ]; proxy_timeout = 2; } );\n",
	    NULL, NULL);
	alog = pf_path(d, "access.log");
	port = pf_port(d, "raw", "tcp");
	if (port <= 0)
		bail("no port for service raw");

	ok(echo_through(port, (const unsigned char *)v1, strlen(v1), pay,
	    sizeof(pay), 0), "v1 header: the payload after it is echoed "
	    "byte for byte");
	l = wait_access(alog, "remote=192.0.2.7:4000", "proxy=127.0.0.1:");
	ok(l != NULL && strstr(l, "end=closed") != NULL &&
	    strstr(l, "in=" ) != NULL, "v1: the access log has remote= the "
	    "client and proxy= the balancer: %s", l ? l : "(none)");

	n = v2(h, "203.0.113.9", 5001, "198.51.100.1", 443, tlvs,
	    sizeof(tlvs), 1, 0);
	ok(echo_through(port, h, n, pay, sizeof(pay), 0), "v2 header with "
	    "TLVs and a right CRC32C: the payload is echoed byte for byte");
	ok(wait_access(alog, "remote=203.0.113.9:5001", "proxy=127.0.0.1:") !=
	    NULL, "v2: remote= the client in the access log");
	n = v2(h, "203.0.113.10", 5002, "198.51.100.1", 443, tlvs,
	    sizeof(tlvs), 1, 0);
	ok(echo_through(port, h, n, pay, sizeof(pay), 5), "v2 header sent "
	    "in 5-byte pieces: the payload is still echoed byte for byte");
	ok(echo_through(port, (const unsigned char *)v1, strlen(v1), pay,
	    sizeof(pay), 7), "v1 header sent in 7-byte pieces: likewise");

	/* LOCAL: the balancer's own connection (a health check) */
	n = v2(h, NULL, 0, NULL, 0, NULL, 0, 0, 1);
	ok(echo_through(port, h, n, pay, sizeof(pay), 0), "v2 LOCAL: "
	    "served");
	is_int(1, wait_count(d, "raw", "proxy_local", 1), "v2 LOCAL: counted "
	    "(proxy_local)");
	errs0 = count(d, "raw", "proxy_errors");
	is_int(0, errs0, "no PROXY error so far");

	/*
	 * A balancer that connects and sends nothing holds no worker: the
	 * listener defers the accept for proxy_timeout (defer_accept left
	 * unset), so the one worker serves the next connection while the
	 * silent one waits in the kernel.  Without it, the worker would
	 * have cut the silent one (a PROXY error) before serving the next.
	 */
	ok(pf_log_wait(d, "defer_accept 2 s", WAIT_MS) == 1, "the listener "
	    "defers the accept for proxy_timeout (log: defer_accept 2 s)");
	fd = conn_from("127.0.0.1", port);
	n = v2(h, "203.0.113.20", 5020, "198.51.100.1", 443, NULL, 0, 0, 0);
	ok(echo_through(port, h, n, pay, sizeof(pay), 0) &&
	    count(d, "raw", "proxy_errors") == errs0, "a silent balancer "
	    "connection holds no worker: the next one is served first, and "
	    "no PROXY error meanwhile");
	{
		struct linger lg = { 1, 0 };

		/* A reset, so the deferred connection never reaches a worker. */
		(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	close(fd);

	/* half a header: cut after proxy_timeout (2 s), counted */
	fd = conn_from("127.0.0.1", port);
	t0 = pf_now_ms();
	pf_write_all(fd, "PROXY TCP4 192.0.2.", 19);
	ok(closed(fd), "half a header: the connection is closed");
	took = pf_now_ms() - t0;
	ok(took >= 1900, "  after proxy_timeout, not before (%ld ms)", took);
	close(fd);
	ok(pf_log_wait(d, "no complete PROXY header within proxy_timeout "
	    "(19 bytes came)", WAIT_MS) == 1, "  logged with what came");
	is_int(1, wait_count(d, "raw", "proxy_errors", 1), "  counted "
	    "(proxy_errors)");

	/* bad CRC32C, and a TLV whose length runs past the header */
	fd = conn_from("127.0.0.1", port);
	n = v2(h, "203.0.113.11", 5003, "198.51.100.1", 443, NULL, 0, 2, 0);
	pf_write_all(fd, h, n);
	pf_write_all(fd, "hello\n", 6);
	ok(closed(fd), "bad CRC32C: refused, nothing echoed");
	close(fd);
	ok(pf_log_wait(d, "malformed PROXY header: v2: CRC32C mismatch",
	    WAIT_MS) == 1, "  logged: CRC32C mismatch");
	pf_sleep_ms(1100);	/* the next refusal is logged, not folded */
	fd = conn_from("127.0.0.1", port);
	n = v2(h, "203.0.113.12", 5004, "198.51.100.1", 443,
	    "\x01\x00\x09h2", 5, 0, 0);
	pf_write_all(fd, h, n);
	pf_write_all(fd, "hello\n", 6);
	ok(closed(fd), "a TLV whose length lies: refused");
	close(fd);
	ok(pf_log_wait(d, "v2: TLV length runs past the header", WAIT_MS) ==
	    1, "  logged: the TLV length");
	ok(wait_access(alog, "remote=127.0.0.1:", "end=proxy_error") != NULL,
	    "  the access log says end=proxy_error with the balancer");
	ok(access_line(alog, "203.0.113.11", "") == NULL &&
	    access_line(alog, "203.0.113.12", "") == NULL,
	    "  and never the address a refused header claimed");

	/* a flood of malformed headers: logged once a second at most */
	pf_sleep_ms(1100);
	before = pf_log(d);
	lines = pf_count(before, "malformed PROXY header");
	free(before);
	t0 = pf_now_ms();
	for (i = 0; i < 30; i++) {
		fd = conn_from("127.0.0.1", port);
		pf_write_all(fd, "PROXY TCP9 x\r\n", 14);
		closed(fd);
		close(fd);
	}
	took = pf_now_ms() - t0;
	errs = wait_count(d, "raw", "proxy_errors", 3 + 30);
	is_int(3 + 30, errs, "30 malformed headers: all 30 refused and "
	    "counted");
	/* one more after a second: its line tells how many were folded */
	pf_sleep_ms(1100);
	fd = conn_from("127.0.0.1", port);
	pf_write_all(fd, "PROXY TCP9 y\r\n", 14);
	closed(fd);
	close(fd);
	ok(pf_log_wait(d, "more refusals by this worker not logged",
	    WAIT_MS) == 1, "  the next line says how many were not logged");
	before = pf_log(d);
	lines = pf_count(before, "malformed PROXY header") - lines;
	free(before);
	ok(lines >= 2 && lines <= took / 1000 + 2, "  logged %ld times for "
	    "31 in %ld ms: once a second at most", lines, took);
	ok(pf_log_wait(d, "refused: malformed PROXY header: v1: unknown "
	    "protocol", WAIT_MS) == 1, "  with what was wrong");

	/* a peer outside proxy_from, with a header that would pass */
	fd = conn_from("127.0.0.2", port);
	pf_write_all(fd, v1, strlen(v1));
	pf_write_all(fd, "hello\n", 6);
	ok(closed(fd), "a peer outside proxy_from: refused, nothing echoed");
	close(fd);
	l = wait_access(alog, "remote=127.0.0.2:", "end=proxy_error");
	ok(l != NULL && strstr(l, "proxy=") == NULL, "  the access log names "
	    "it, not the address it claimed: %s", l ? l : "(none)");
	ok(pf_log_wait(d, "<- 127.0.0.2:", WAIT_MS) == 1 &&
	    pf_log_wait(d, "not a balancer of proxy_from", WAIT_MS) == 1,
	    "  logged with its address and why");
	ok(pf_stop(d) == 0, "raw: stopped");
	free(alog);
}

/* The exec program of the unix test: what it was told of its client. */
static const char env_sh[] =
    "#!/bin/sh\n"
    "echo \"$PROTO ip=$TCPREMOTEIP port=$TCPREMOTEPORT "
    "local=$TCPLOCALIP:$TCPLOCALPORT via=$PROXYREMOTEIP\"\n";

/* unix_header - a connection to path sending hdr: the program's line. */
static char *
unix_header(const char *path, const char *hdr)
{
	int fd = pf_unix_connect(path);
	char *l;

	if (fd < 0)
		sysbail("connect %s", path);
	pf_write_all(fd, hdr, strlen(hdr));
	l = line(fd);
	close(fd);
	return l;
}

/*
 * test_unix - a balancer on a unix listener (proxy_from by uid): the
 * client its header names is a TCP client to the program, and the access
 * rules apply to that client's address.
 */
static void
test_unix(void)
{
	struct pf_daemon *d;
	char *sock, *cfg;

	cfg = tap_strdup_printf("services = ( { name = \"sock\";\n"
	    "  listen = [ \"unix:@DIR@/p.sock\" ]; unix_mode = \"0666\";\n"
	    "  handler = \"exec\"; exec = { argv = [ \"@DIR@/env\" ]; };\n"
	    "  proxy_protocol = \"v1\"; proxy_from = [ \"uid %lu\" ];\n"
	    "  access = [ \"deny 192.0.2.66\", \"allow all\" ]; } );\n",
	    (unsigned long)geteuid());
	d = start_prog(cfg, "env", env_sh);
	free(cfg);
	sock = pf_path(d, "p.sock");
	is_string("TCP ip=192.0.2.7 port=4000 local=198.51.100.1:80 via=",
	    unix_header(sock, "PROXY TCP4 192.0.2.7 198.51.100.1 4000 80\r\n"),
	    "unix listener: the program sees the header's client as TCP");
	is_string("", unix_header(sock, "PROXY TCP4 192.0.2.66 198.51.100.1 "
	    "4000 80\r\n"), "  the access rules apply to that client: "
	    "192.0.2.66 denied");
	ok(pf_log_wait(d, "denied by access rule 1", WAIT_MS) == 1,
	    "  logged as denied by the rule");
	is_int(1, wait_count(d, "sock", "denied", 1), "  counted as denied");
	ok(pf_stop(d) == 0, "sock: stopped");
	free(sock);
}

/* check - preforkd -t on config text refuses it with want in stderr. */
static void
check(const char *text, const char *want, const char *what)
{
	struct pf_daemon *d = pf_prepare(text);
	char *w = pf_subst(want, d->dir);
	int st = -1;

	pf_run2((const char *[]){ "-t", "-c", d->conf, NULL }, &st, sout,
	    sizeof(sout), serr, sizeof(serr));
	is_int(78, WIFEXITED(st) ? WEXITSTATUS(st) : -1, "-t: %s: exit 78",
	    what);
	like(serr, w, "  says where and why");
	free(w);
}

static void
test_check(void)
{
	check("services = ( { name = \"a\"; listen = [ \"127.0.0.1:0\" ];\n"
	    "  handler = \"echo\"; proxy_protocol = \"v2\"; } );\n",
	    "@DIR@/preforkd.conf:2: services.[0].proxy_protocol: needs "
	    "proxy_from", "proxy_protocol without proxy_from");
	check("services = ( { name = \"a\"; listen = [ \"127.0.0.1:0\" ];\n"
	    "  handler = \"echo\"; proxy_protocol = \"v3\"; } );\n",
	    "@DIR@/preforkd.conf:2: services.[0].proxy_protocol: must be "
	    "\"v1\", \"v2\", \"any\" or \"off\" (got \"v3\")", "a bad version");
	check("services = ( { name = \"a\"; listen = [ \"udp://127.0.0.1:0\" "
	    "];\n  handler = \"echo\"; proxy_protocol = \"v1\";\n"
	    "  proxy_from = [ \"127.0.0.1\" ]; } );\n",
	    "@DIR@/preforkd.conf:2: services.[0].proxy_protocol: does not "
	    "apply to a service that listens on udp only", "udp only");
	check("services = ( { name = \"a\"; listen = [ \"127.0.0.1:0\" ];\n"
	    "  handler = \"exec\"; exec = { argv = [ \"/bin/cat\" ]; "
	    "mode = \"worker\"; };\n"
	    "  proxy_protocol = \"v1\"; proxy_from = [ \"127.0.0.1\" ]; } );\n",
	    "@DIR@/preforkd.conf:3: services.[0].proxy_protocol: does not "
	    "apply to exec.mode \"worker\"", "exec mode worker");
	check("services = ( { name = \"a\"; listen = [ \"127.0.0.1:0\" ];\n"
	    "  handler = \"echo\"; proxy_protocol = \"any\";\n"
	    "  proxy_from = [ \"10.0.0.1/8\" ]; } );\n",
	    "@DIR@/preforkd.conf:3: services.[0].proxy_from.[0]: ",
	    "a network with host bits");
	check("services = ( { name = \"a\"; listen = [ \"127.0.0.1:0\" ];\n"
	    "  handler = \"echo\"; proxy_protocol = \"any\";\n"
	    "  proxy_from = [ \"all\" ]; } );\n",
	    "@DIR@/preforkd.conf:3: services.[0].proxy_from.[0]: \"all\": "
	    "write a balancer's address", "proxy_from all");
	check("services = ( { name = \"a\"; listen = [ \"unix:@DIR@/s\" ];\n"
	    "  handler = \"echo\"; proxy_protocol = \"any\";\n"
	    "  proxy_from = [ \"127.0.0.1\" ]; } );\n",
	    "@DIR@/preforkd.conf:3: services.[0].proxy_from.[0]: "
	    "\"127.0.0.1\" is an address, and the service has no tcp listen "
	    "address", "an address for a unix listener");
	check("services = ( { name = \"a\"; listen = [ \"127.0.0.1:0\" ];\n"
	    "  handler = \"echo\"; proxy_protocol = \"any\";\n"
	    "  proxy_from = [ \"uid 0\" ]; } );\n",
	    "@DIR@/preforkd.conf:3: services.[0].proxy_from.[0]: \"uid 0\" "
	    "names a unix peer, and the service has no unix: listen address",
	    "a uid for a tcp listener");
	check("services = ( { name = \"a\"; listen = [ \"127.0.0.1:0\" ];\n"
	    "  handler = \"echo\"; proxy_protocol = \"any\";\n"
	    "  proxy_from = [ \"127.0.0.1\" ];\n  proxy_timeout = 0; } );\n",
	    "@DIR@/preforkd.conf:4: services.[0].proxy_timeout: ",
	    "proxy_timeout 0");
}

/* ------------------------------------------------------------ HAProxy */

static void
haproxy_stop(void)
{
	int st;

	if (haproxy_pid > 0) {
		kill(haproxy_pid, SIGTERM);
		waitpid(haproxy_pid, &st, 0);
		haproxy_pid = 0;
	}
}

/* The exec program: the client's address as it sees it, then an echo. */
static const char prog_sh[] =
    "#!/bin/sh\n"
    "echo \"ip=$TCPREMOTEIP port=$TCPREMOTEPORT via=$PROXYREMOTEIP "
    "local=$TCPLOCALIP:$TCPLOCALPORT\"\n"
    "exec cat\n";

/*
 * client - a connection from src through HAProxy's frontend port: the
 * program's first line, checked to name src and its own port.
 */
static int
client(const char *src, int port, const char *what)
{
	struct sockaddr_in me;
	socklen_t len = sizeof(me);
	char *want, *got;
	int fd = conn_from(src, port);

	getsockname(fd, (struct sockaddr *)&me, &len);
	want = tap_strdup_printf("ip=%s port=%u via=127.0.0.1 local=127.0.0.1:"
	    "%d", src, ntohs(me.sin_port), port);
	got = line(fd);
	is_string(want, got, "%s: the program's TCPREMOTEIP/PORT are the "
	    "client's, PROXYREMOTEIP the balancer's, TCPLOCALIP/PORT what "
	    "the client reached", what);
	free(want);
	return fd;
}

static void
test_haproxy(void)
{
	struct pf_daemon *d;
	char *cfg, *path, *alog, *want, *l;
	int port, h1, h2, a, b, c, e, fd, st;
	pid_t pid;

	ok(access(HAPROXY, X_OK) == 0, "haproxy is installed (%s)", HAPROXY);
	if (access(HAPROXY, X_OK) != 0)
		return;
	port = pf_free_port();
	h1 = pf_free_port();
	h2 = pf_free_port();
	if (port <= 0 || h1 <= 0 || h2 <= 0 || h1 == h2 || port == h1 ||
	    port == h2)
		bail("no free ports");
	cfg = tap_strdup_printf("access_log = \"@DIR@/access.log\";\n"
	    "services = ( { name = \"web\"; listen = [ \"127.0.0.1:%d\" ];\n"
	    "  handler = \"exec\"; exec = { argv = [ \"@DIR@/prog\" ]; };\n"
	    "  workers = 6; max_per_source = 1;\n"
	    "  proxy_protocol = \"any\"; proxy_from = [ \"127.0.0.1\" ]; } );\n",
	    port);
	d = start_prog(cfg, "prog", prog_sh);
	free(cfg);
	alog = pf_path(d, "access.log");

	cfg = tap_strdup_printf(
	    "global\n"
	    "  maxconn 100\n"
	    "defaults\n"
	    "  mode tcp\n"
	    "  timeout connect 5s\n"
	    "  timeout client 60s\n"
	    "  timeout server 60s\n"
	    "frontend f1\n"
	    "  bind 127.0.0.1:%d\n"
	    "  default_backend b1\n"
	    "backend b1\n"
	    "  server s1 127.0.0.1:%d send-proxy\n"
	    "frontend f2\n"
	    "  bind 127.0.0.1:%d\n"
	    "  default_backend b2\n"
	    "backend b2\n"
	    "  server s2 127.0.0.1:%d send-proxy-v2 proxy-v2-options crc32c "
	    "check check-send-proxy inter 300ms\n",
	    h1, port, h2, port);
	path = pf_path(d, "haproxy.cfg");
	pf_write_file(path, cfg);
	free(cfg);
	pid = fork();
	if (pid == -1)
		sysbail("fork");
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		dup2(null, 0);
		execl(HAPROXY, "haproxy", "-db", "-f", path, (char *)NULL);
		_exit(127);
	}
	haproxy_pid = pid;
	atexit(haproxy_stop);
	free(path);

	/* the health checks: LOCAL, served and counted */
	ok(wait_count(d, "web", "proxy_local", 2) >= 2, "HAProxy's health "
	    "checks (LOCAL) are served and counted");
	/* wait for haproxy's frontends (its checks came: it is up) */
	fd = -1;
	for (st = 0; st < 300 && fd < 0; st++) {
		if ((fd = pf_tcp_connect("127.0.0.1", h2)) < 0)
			pf_sleep_ms(100);
	}
	if (fd >= 0)
		close(fd);
	pf_sleep_ms(200);

	a = client("127.0.0.21", h1, "send-proxy (v1) from 127.0.0.21");
	b = client("127.0.0.23", h2, "send-proxy-v2 with CRC32C from "
	    "127.0.0.23");
	/* -s status while both hold their connections */
	ok(pf_status(d, 0, sout, sizeof(sout), serr, sizeof(serr)) == 0,
	    "status");
	ok(strstr(sout, "<- 127.0.0.21:") != NULL &&
	    strstr(sout, "<- 127.0.0.23:") != NULL, "  the status names each "
	    "client");
	like(sout, " via 127.0.0.1:", "  then via the balancer");
	ok(pf_status(d, 1, sout, sizeof(sout), serr, sizeof(serr)) == 0 &&
	    strstr(sout, "\"remote\":\"127.0.0.21:") != NULL &&
	    strstr(sout, "\"via\":\"127.0.0.1:") != NULL, "  the JSON status "
	    "too, with \"via\"");

	/* max_per_source = 1 counts the clients, not the balancer */
	c = client("127.0.0.22", h1, "a second client (127.0.0.22) while "
	    "127.0.0.21 holds one");
	e = conn_from("127.0.0.21", h2);
	ok(strcmp(line(e), "") == 0, "127.0.0.21's second connection "
	    "(through the other frontend) gets nothing: max_per_source");
	close(e);
	ok(wait_access(alog, "remote=127.0.0.21:", "end=limited") != NULL,
	    "  the access log says end=limited for 127.0.0.21");
	close(a);
	close(b);
	close(c);
	l = wait_access(alog, "remote=127.0.0.23:", "end=closed");
	ok(l != NULL && strstr(l, " proxy=127.0.0.1:") != NULL, "the access "
	    "log: remote= the client, proxy= the balancer: %s",
	    l ? l : "(none)");
	ok(wait_access(alog, "remote=127.0.0.21:", "end=closed") != NULL &&
	    wait_access(alog, "remote=127.0.0.22:", "end=closed") != NULL,
	    "  for every client");

	/* a client straight to preforkd, forging a header */
	fd = conn_from("127.0.0.30", port);
	pf_write_all(fd, "PROXY TCP4 10.9.9.9 127.0.0.1 1234 80\r\n", 39);
	ok(closed(fd), "a forged header straight from 127.0.0.30: refused");
	close(fd);
	ok(wait_access(alog, "remote=127.0.0.30:", "end=proxy_error") != NULL,
	    "  logged as 127.0.0.30");
	ok(access_line(alog, "10.9.9.9", "") == NULL, "  never as the address "
	    "it claimed");
	want = tap_strdup_printf("%lld", wait_count(d, "web", "proxy_errors",
	    1));
	is_string("1", want, "  counted (proxy_errors)");
	free(want);
	ok(count(d, "web", "proxy_local") >= 2, "the health checks go on");

	haproxy_stop();
	ok(pf_stop(d) == 0, "web: stopped");
	free(alog);
}

int
main(void)
{
	plan_lazy();
	if (geteuid() != 0)
		diag("not root: workers run as this user");
	test_check();
	test_raw();
	test_unix();
	test_haproxy();
	return 0;
}
