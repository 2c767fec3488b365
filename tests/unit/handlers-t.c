/*
 * handlers-t.c - tests for src/handler.c, src/conn.c and the built-in
 * handlers: the pure helpers, then each handler served over a socketpair.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "handlers/builtin.h"
#include "../tap/basic.h"

/* RFC 864's first two lines, verbatim. */
#define LINE1	"!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ" \
		"[\\]^_`abcdefgh\r\n"
#define LINE2	"\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[" \
		"\\]^_`abcdefghi\r\n"

/* A handler running in a child on one end of a socketpair. */
struct served {
	pid_t	pid;
	int	peer;		/* the client's end */
	int	result;		/* the child writes bytes_in, bytes_out */
};

static void	test_conn(struct preforkd_conn *, int);
static ssize_t	read_full(int, void *, size_t);
static void	write_full(int, const void *, size_t);
static void	serve_start(struct served *, const struct preforkd_module *);
static int	serve_finish(struct served *, uint64_t *, uint64_t *);
static uint32_t	decode32(const unsigned char *);
static int	near_now868(uint32_t);
static int	daytime_now(const char *, size_t);
static void	test_table(void);
static void	test_chargen(void);
static void	test_time(void);
static void	test_daytime(void);
static void	test_loop(void);
static void	test_conn_io(void);
static void	test_api(void);
static void	test_conn_slices(void);
static void	test_streams(void);
static void	test_datagrams(void);
static void	test_udp(void);

static void
test_conn(struct preforkd_conn *c, int fd)
{
	memset(c, 0, sizeof(*c));
	c->api = &conn_api;
	c->fd = fd;
	c->proto = PROTO_UNIX;
}

/* Read until len bytes or end of file: how many were read. */
static ssize_t
read_full(int fd, void *buf, size_t len)
{
	unsigned char	*p = buf;
	size_t		 got = 0;
	ssize_t		 n;

	while (got < len) {
		n = read(fd, p + got, len - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			sysbail("read");
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return ((ssize_t)got);
}

static void
write_full(int fd, const void *buf, size_t len)
{
	const unsigned char	*p = buf;
	ssize_t			 n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			sysbail("write");
		p += n;
		len -= (size_t)n;
	}
}

/*
 * Fork a child that serves one stream connection with h.  SIGPIPE keeps
 * its default action there, so a conn_write that raised it would kill the
 * child and fail the test; alarm() turns a hang into a failure too.
 */
static void
serve_start(struct served *s, const struct preforkd_module *h)
{
	struct preforkd_conn	c;
	uint64_t	counts[2];
	int		sv[2], rp[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		sysbail("socketpair");
	if (pipe(rp) == -1)
		sysbail("pipe");
	if ((s->pid = fork()) == -1)
		sysbail("fork");
	if (s->pid == 0) {
		close(sv[0]);
		close(rp[0]);
		signal(SIGPIPE, SIG_DFL);
		alarm(20);
		test_conn(&c, sv[1]);
		h->serve_stream(&c);
		counts[0] = c.bytes_in;
		counts[1] = c.bytes_out;
		write_full(rp[1], counts, sizeof(counts));
		_exit(0);
	}
	close(sv[1]);
	close(rp[1]);
	s->peer = sv[0];
	s->result = rp[0];
}

/* Close the client's end, collect the counts: the child's wait status. */
static int
serve_finish(struct served *s, uint64_t *in, uint64_t *out)
{
	uint64_t	counts[2] = { UINT64_MAX, UINT64_MAX };
	int		status;

	close(s->peer);
	(void)read_full(s->result, counts, sizeof(counts));
	close(s->result);
	while (waitpid(s->pid, &status, 0) == -1)
		if (errno != EINTR)
			sysbail("waitpid");
	*in = counts[0];
	*out = counts[1];
	return (status);
}

static uint32_t
decode32(const unsigned char *p)
{
	return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3]);
}

/* Whether v is the RFC 868 time of the last few seconds. */
static int
near_now868(uint32_t v)
{
	uint32_t	now = time_rfc868(time(NULL));

	return (now - v <= 3);
}

/* Whether s is the daytime line of now or of a second or two ago. */
static int
daytime_now(const char *s, size_t len)
{
	char	want[DAYTIME_MAX];
	time_t	now = time(NULL), t;
	size_t	n;

	for (t = now; t >= now - 2; t--) {
		n = daytime_format(want, sizeof(want), t);
		if (n == len && memcmp(want, s, len) == 0)
			return (1);
	}
	return (0);
}

static void
test_table(void)
{
	static const char *const names[] = {
		"echo", "discard", "chargen", "daytime", "time", "exec",
		"module", "metrics", "agent", NULL
	};
	size_t	i;

	for (i = 0; names[i] != NULL; i++)
		ok(handlers[i] != NULL &&
		    strcmp(handlers[i]->name, names[i]) == 0 &&
		    handler_find(names[i]) == handlers[i],
		    "handlers[%zu] is %s and handler_find finds it", i,
		    names[i]);
	ok(handlers[i] == NULL, "handlers[] ends with NULL");
	ok(handler_find("http") == NULL && handler_find("Echo") == NULL &&
	    handler_find("") == NULL && handler_find(NULL) == NULL,
	    "handler_find: unknown names are NULL");
	for (i = 0; handlers[i] != &handler_exec; i++)
		if (handlers[i]->serve_stream == NULL ||
		    handlers[i]->serve_datagram == NULL ||
		    handlers[i]->abi_major != PREFORKD_MODULE_ABI_MAJOR ||
		    handlers[i]->abi_minor != PREFORKD_MODULE_ABI_MINOR ||
		    handlers[i]->size != sizeof(struct preforkd_module))
			break;
	ok(handlers[i] == &handler_exec, "every built-in serves streams and "
	    "datagrams, through the module interface");
	ok(handler_exec.serve_stream != NULL &&
	    handler_exec.serve_datagram == NULL,
	    "exec serves stream connections only");
}

static void
test_chargen(void)
{
	unsigned char	 whole[3 * CHARGEN_CYCLE + 1000], *parts;
	static const size_t steps[] = { 1, 7, 71, 72, 73, 74, 75, 1000,
	    CHARGEN_CYCLE - 1 };
	size_t		 off, i, k, n, bad;
	char		 line[CHARGEN_LINE_LEN + 1];

	off = 0;
	chargen_fill(whole, sizeof(whole), &off);
	is_int(sizeof(whole) % CHARGEN_CYCLE, off,
	    "chargen_fill: offset moves by the length, modulo the cycle");

	memcpy(line, whole, CHARGEN_LINE_LEN);
	line[CHARGEN_LINE_LEN] = '\0';
	is_string(LINE1, line, "chargen line 1 is RFC 864's");
	is_int(74, strlen(LINE1), "a line is 72 characters and CRLF");
	memcpy(line, whole + CHARGEN_LINE_LEN, CHARGEN_LINE_LEN);
	is_string(LINE2, line, "chargen line 2 starts one character later");

	/* Every line: 72 printable characters rotated by one, then CRLF. */
	bad = 0;
	for (k = 0; k < CHARGEN_NCHARS; k++)
		for (i = 0; i < CHARGEN_LINE_LEN; i++) {
			unsigned char c = whole[k * CHARGEN_LINE_LEN + i];

			if (i == CHARGEN_LINE_CHARS)
				bad += c != '\r';
			else if (i == CHARGEN_LINE_CHARS + 1)
				bad += c != '\n';
			else
				bad += c != ' ' + (k + 1 + i) % 95;
		}
	is_int(0, bad, "all 95 lines of the cycle rotate by one character");
	ok(whole[94 * CHARGEN_LINE_LEN] == ' ' &&
	    whole[94 * CHARGEN_LINE_LEN + 71] == 'g',
	    "line 95 starts with the space");
	ok(memcmp(whole + CHARGEN_CYCLE, LINE1, CHARGEN_LINE_LEN) == 0 &&
	    memcmp(whole + CHARGEN_CYCLE, whole, CHARGEN_CYCLE) == 0,
	    "line 96 is line 1 again: the cycle wraps after 95 lines");

	/* The same bytes, whatever the batch boundaries. */
	if ((parts = malloc(sizeof(whole))) == NULL)
		sysbail("malloc");
	for (k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
		memset(parts, 0, sizeof(whole));
		off = 0;
		for (i = 0; i < sizeof(whole); i += n) {
			n = steps[k] + i % 3;
			if (n > sizeof(whole) - i)
				n = sizeof(whole) - i;
			chargen_fill(parts + i, n, &off);
		}
		ok(memcmp(parts, whole, sizeof(whole)) == 0,
		    "chargen_fill in batches of about %zu continues the "
		    "rotation", steps[k]);
	}
	free(parts);

	off = CHARGEN_CYCLE + CHARGEN_LINE_LEN;
	chargen_fill((unsigned char *)line, CHARGEN_LINE_LEN, &off);
	ok(memcmp(line, LINE2, CHARGEN_LINE_LEN) == 0 &&
	    off == 2 * CHARGEN_LINE_LEN,
	    "chargen_fill: an offset past the cycle is taken modulo it");

	{
		size_t	min = SIZE_MAX, max = 0, len;

		for (i = 0; i < 20000; i++) {
			len = chargen_dgram_len();
			if (len < min)
				min = len;
			if (len > max)
				max = len;
		}
		ok(min == 0 && max == CHARGEN_DGRAM_MAX,
		    "chargen_dgram_len spans 0 to 512 (got %zu to %zu)", min,
		    max);
	}
}

static void
test_time(void)
{
	unsigned char	b[4];

	is_int(2208988800LL, time_rfc868(0),
	    "time_rfc868: 1970-01-01 is 2208988800");
	is_int(3155673600LL, time_rfc868(946684800),
	    "time_rfc868: 2000-01-01");
	is_int(0, time_rfc868((time_t)-2208988800LL),
	    "time_rfc868: 1900-01-01 is 0");
	if (sizeof(time_t) < 8) {
		skip("32-bit time_t: no 2036");
		skip("32-bit time_t: no 2036");
	} else {
		is_int(0, time_rfc868((time_t)2085978496LL),
		    "time_rfc868: wraps to 0 on 2036-02-07 06:28:16");
		is_int(100, time_rfc868((time_t)2085978596LL),
		    "time_rfc868: 100 s after the 2036 wrap");
	}
	time_encode(b, 0xd2bd4ac0);
	ok(b[0] == 0xd2 && b[1] == 0xbd && b[2] == 0x4a && b[3] == 0xc0,
	    "time_encode is big-endian");
}

static void
test_daytime(void)
{
	char	buf[DAYTIME_MAX];
	size_t	n;

	n = daytime_format(buf, sizeof(buf), 0);
	is_string("Thu Jan  1 00:00:00 1970\r\n", buf,
	    "daytime of 0 in UTC, day padded with a space");
	is_int(26, n, "daytime_format returns the length");
	daytime_format(buf, sizeof(buf), (time_t)1795283040LL);
	is_string("Sat Nov 21 17:44:00 2026\r\n", buf, "daytime in 2026");
	n = daytime_format(buf, sizeof(buf), time(NULL));
	ok(n == 26 && buf[3] == ' ' && buf[7] == ' ' && buf[10] == ' ' &&
	    buf[13] == ':' && buf[16] == ':' && buf[19] == ' ' &&
	    strcmp(buf + 24, "\r\n") == 0,
	    "daytime now has the shape \"Www Mmm dd hh:mm:ss yyyy\\r\\n\"");
	is_int(0, daytime_format(buf, 10, 0),
	    "daytime_format: 0 when the buffer is too small");

	/* Local time, not UTC: a POSIX zone two hours east, no tzdata. */
	if (setenv("TZ", "XYZ-2", 1) == -1)
		sysbail("setenv");
	tzset();
	daytime_format(buf, sizeof(buf), 0);
	is_string("Thu Jan  1 02:00:00 1970\r\n", buf,
	    "daytime is in local time (TZ=XYZ-2)");
	if (setenv("TZ", "UTC0", 1) == -1)
		sysbail("setenv");
	tzset();
}

static void
test_loop(void)
{
	struct preforkd_conn		 c;
	struct sockaddr_in	*r = (struct sockaddr_in *)&c.remote;
	struct sockaddr_in	*l = (struct sockaddr_in *)&c.local;
	struct sockaddr_in6	*r6 = (struct sockaddr_in6 *)&c.remote;

	test_conn(&c, -1);
	ok(!handler_dgram_loop(&c), "loop: a connected peer is answered");
	r->sin_family = l->sin_family = AF_INET;
	r->sin_addr.s_addr = l->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c.remotelen = c.locallen = sizeof(*r);
	l->sin_port = htons(7007);
	r->sin_port = htons(40000);
	ok(!handler_dgram_loop(&c), "loop: an ephemeral port is answered");
	r->sin_port = htons(19);
	ok(handler_dgram_loop(&c), "loop: chargen's port is not answered");
	r->sin_port = htons(7007);
	ok(handler_dgram_loop(&c), "loop: our own port is not answered");
	r->sin_port = 0;
	ok(handler_dgram_loop(&c), "loop: port 0 is not answered");
	memset(&c.remote, 0, sizeof(c.remote));
	r6->sin6_family = AF_INET6;
	r6->sin6_port = htons(7);
	c.remotelen = sizeof(*r6);
	ok(handler_dgram_loop(&c), "loop: IPv6 echo port is not answered");

	/* xinetd's rule: every source port below 1024. */
	memset(&c.remote, 0, sizeof(c.remote));
	r->sin_family = AF_INET;
	r->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c.remotelen = sizeof(*r);
	r->sin_port = htons(1023);
	ok(handler_dgram_loop(&c), "loop: source port 1023 is not answered");
	r->sin_port = htons(123);
	ok(handler_dgram_loop(&c), "loop: source port 123 (ntp) is not "
	    "answered");
	r->sin_port = htons(1024);
	ok(!handler_dgram_loop(&c), "loop: source port 1024 is answered");

	/* The ports of this daemon's other UDP services (17007: echo). */
	r->sin_port = htons(17007);
	ok(!handler_dgram_loop(&c), "loop: 17007 is answered while no "
	    "service of ours is on it");
	handler_dgram_own_port(17007);
	handler_dgram_own_port(41000);	/* say, chosen by the kernel */
	handler_dgram_own_port(0);	/* ignored, not a crash */
	handler_dgram_own_port(65536);
	handler_dgram_own_port(-1);
	ok(handler_dgram_loop(&c), "loop: from our own UDP echo's port "
	    "(17007) to chargen (7007) is not answered");
	ok(handler_dgram_refuse(&c), "loop: handler_dgram_refuse agrees");
	r->sin_port = htons(41000);
	ok(handler_dgram_loop(&c), "loop: a kernel-chosen port of ours is "
	    "not answered");
	r->sin_port = htons(17008);
	ok(!handler_dgram_loop(&c), "loop: the port next to it is answered");
	ok(!handler_dgram_refuse(&c), "loop: handler_dgram_refuse agrees");
	r->sin_port = htons(65535);
	ok(!handler_dgram_loop(&c), "loop: port 65535 is answered");
	memset(&c.remote, 0, sizeof(c.remote));
	r6->sin6_family = AF_INET6;
	r6->sin6_addr = in6addr_loopback;
	r6->sin6_port = htons(17007);
	c.remotelen = sizeof(*r6);
	ok(handler_dgram_loop(&c), "loop: our port over IPv6 is not answered");
}

static void
test_conn_io(void)
{
	struct preforkd_conn	c;
	char		buf[64];
	int		sv[2], p[2], flags;
	pid_t		pid;
	int		status;

	/* conn_write on a pipe falls back to write(). */
	if (pipe(p) == -1)
		sysbail("pipe");
	test_conn(&c, p[1]);
	is_int(0, conn_write(&c, "abc", 3), "conn_write on a pipe");
	ok(read_full(p[0], buf, 3) == 3 && memcmp(buf, "abc", 3) == 0 &&
	    c.bytes_out == 3, "conn_write on a pipe: written and counted");
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	errno = 0;
	ok(conn_write(&c, "abc", 3) == -1 && errno == EPIPE,
	    "conn_write on a pipe without a reader: -1, EPIPE");
	signal(SIGPIPE, SIG_DFL);
	close(p[1]);

	/* On a socket, a closed peer is EPIPE, not SIGPIPE (default here). */
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		sysbail("socketpair");
	close(sv[0]);
	test_conn(&c, sv[1]);
	errno = 0;
	ok(conn_write(&c, "abc", 3) == -1 && errno == EPIPE,
	    "conn_write to a closed client: -1, EPIPE, no SIGPIPE");
	close(sv[1]);

	/* conn_read: counts, EOF; a non-blocking socket waits for data. */
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		sysbail("socketpair");
	if ((flags = fcntl(sv[1], F_GETFL)) == -1 ||
	    fcntl(sv[1], F_SETFL, flags | O_NONBLOCK) == -1)
		sysbail("fcntl");
	if ((pid = fork()) == -1)
		sysbail("fork");
	if (pid == 0) {
		usleep(100000);
		write_full(sv[0], "hello", 5);
		_exit(0);
	}
	test_conn(&c, sv[1]);
	ok(conn_read(&c, buf, sizeof(buf)) == 5 && memcmp(buf, "hello", 5) ==
	    0, "conn_read on a non-blocking socket waits for the data");
	waitpid(pid, &status, 0);
	close(sv[0]);
	ok(conn_read(&c, buf, sizeof(buf)) == 0 && c.bytes_in == 5,
	    "conn_read: 0 at end of file, bytes_in counted");
	close(sv[1]);
}

/* nb_pair - a socket pair, sv[1] (the server's end) non-blocking. */
static void
nb_pair(int sv[2])
{
	int flags;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1 ||
	    (flags = fcntl(sv[1], F_GETFL)) == -1 ||
	    fcntl(sv[1], F_SETFL, flags | O_NONBLOCK) == -1)
		sysbail("socketpair");
}

/*
 * talked - a client that writes a byte n times, every_us apart, to a
 * connection served in slices of slice_ms (io_timeout io_ms) on l: how
 * many bytes the connection read before it ended.
 */
static int
talked(const struct listener *l, const struct preforkd_service *svc, int n,
    int every_us, int slice_ms, int io_ms)
{
	struct preforkd_conn c;
	char buf[8];
	int sv[2], i, st;
	pid_t pid;

	nb_pair(sv);
	if ((pid = fork()) == -1)
		sysbail("fork");
	if (pid == 0) {
		for (i = 0; i < n; i++) {
			usleep((useconds_t)every_us);
			write_full(sv[0], "k", 1);
		}
		_exit(0);
	}
	test_conn(&c, sv[1]);
	c.service = svc;
	c.io_timeout_ms = io_ms;
	c.slice_ms = slice_ms;
	shed_arm(sv[1], now_ms(), l);
	for (i = 0; i < n; i++)
		if (conn_read(&c, buf, 1) != 1)
			break;
	if (i < n)
		diag("talked: ended after %d bytes: %s", i,
		    conn_end_name(c.end));
	(void)shed_disarm();
	close(sv[1]);
	waitpid(pid, &st, 0);
	close(sv[0]);
	return i;
}

/*
 * test_conn_slices - a connection served in slices of io_timeout_busy (a
 * service on guard: shed.c): silent for a slice while a connection waits
 * on its listener, it is cut (end "shed", and shed_cut() says so); with
 * nobody waiting, it waits on, slice after slice, until io_timeout; and
 * each byte that comes starts its silence over.
 */
static void
test_conn_slices(void)
{
	static const struct preforkd_service svc = { .name = "svc" };
	struct preforkd_conn	 c;
	struct listener		 l;
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	char			 buf[8];
	int			 sv[2], waiting;
	int64_t			 t0;

	memset(&l, 0, sizeof(l));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l.addr.proto = PROTO_TCP;
	if ((l.fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    bind(l.fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(l.fd, 8) == -1 ||
	    getsockname(l.fd, (struct sockaddr *)&sin, &len) == -1)
		sysbail("listener");
	if (shed_worker_init(100, 1) == -1)
		sysbail("shed_worker_init");

	/* Nobody waits: slices until io_timeout (300 ms), then "timeout". */
	nb_pair(sv);
	test_conn(&c, sv[1]);
	c.service = &svc;
	c.io_timeout_ms = 300;
	c.slice_ms = 100;
	shed_arm(sv[1], now_ms(), &l);
	t0 = now_ms();
	ok(conn_read(&c, buf, sizeof(buf)) == -1 && c.end == CONN_TIMEOUT &&
	    !shed_cut(), "slices: nobody waiting, io_timeout ends it");
	ok(now_ms() - t0 >= 300 && c.silent_ms >= 300,
	    "slices: after io_timeout of silence, not after a slice");
	ok(!shed_disarm(), "slices: not cut");
	close(sv[0]);
	close(sv[1]);

	/* Nobody waits, a byte every 300 ms, slices of 200 ms: each gap
	 * costs a slice, and each byte starts the silence over, so six gaps
	 * (1.2 s of slices) never add up to io_timeout (1 s). */
	ok(talked(&l, &svc, 6, 300000, 200, 1000) == 6,
	    "slices: each byte starts the silence over (no io_timeout)");

	/* One waits, a byte every 50 ms, slices of 500 ms: never cut. */
	if ((waiting = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    connect(waiting, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		sysbail("a waiting connection");
	ok(listen_waiting(&l) == 1, "slices: one connection waits");
	ok(talked(&l, &svc, 10, 50000, 500, 10000) == 10,
	    "slices: a client that keeps talking is never cut");

	/* Silent a slice while one waits: cut by the worker itself. */
	nb_pair(sv);
	test_conn(&c, sv[1]);
	c.service = &svc;
	c.io_timeout_ms = 10000;
	c.slice_ms = 100;
	shed_arm(sv[1], now_ms(), &l);
	t0 = now_ms();
	ok(conn_read(&c, buf, sizeof(buf)) == -1 && c.end == CONN_SHED &&
	    errno == ECONNABORTED && shed_cut(), "slices: silent a slice "
	    "while a connection waits: cut, end shed");
	ok(now_ms() - t0 >= 100 && now_ms() - t0 < 10000,
	    "slices: cut after a slice of silence, before io_timeout");
	ok(read(sv[0], buf, 1) == 0, "slices: the client sees the end");
	ok(shed_disarm(), "slices: the worker knows it cut it (tarpit)");
	close(sv[0]);
	close(sv[1]);
	close(waiting);
	close(l.fd);
}

/*
 * test_api - the accessor table of module ABI 2 (conn.c), as a module
 * reaches it: through the pointer a connection begins with.
 */
static void
test_api(void)
{
	static const struct preforkd_service svc = { .name = "svc" };
	struct preforkd_conn	 c;
	struct sockaddr_in	*sin;
	const struct preforkd_api *api;
	const struct sockaddr	*sa;
	socklen_t		 len = 99;
	char			 buf[8];
	int			 sv[2], st;
	pid_t			 pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		sysbail("socketpair");
	test_conn(&c, sv[1]);
	c.proto = PROTO_TCP;
	c.service = &svc;
	c.started = 12345;
	sin = (struct sockaddr_in *)&c.remote;
	sin->sin_family = AF_INET;
	sin->sin_port = htons(4242);
	c.remotelen = sizeof(*sin);
	c.locallen = 0;
	api = preforkd_conn_api(&c);
	ok(api == &conn_api, "preforkd_conn_api: the table a connection "
	    "begins with");
	ok(api->size == sizeof(struct preforkd_api) &&
	    api->abi_minor == PREFORKD_MODULE_ABI_MINOR &&
	    PREFORKD_API_HAS(api, report_group),
	    "the table says its size and minor, and has report_group (2.1)");
	sa = api->remote(&c, &len);
	ok(api->fd(&c) == sv[1] && api->proto(&c) == PREFORKD_PROTO_TCP &&
	    api->service(&c) == &svc && api->started(&c) == 12345 &&
	    sa->sa_family == AF_INET && len == sizeof(*sin) &&
	    ((const struct sockaddr_in *)(const void *)sa)->sin_port ==
	    htons(4242), "fd, proto, service, started and remote as filled in");
	len = 99;
	(void)api->local(&c, &len);
	is_int(0, len, "local: its length as filled in");
	api->set_end(&c, PREFORKD_END_RESET);
	is_int(CONN_RESET, c.end, "set_end: the end recorded");
	api->set_end(&c, 42);
	is_int(CONN_ERROR, c.end, "set_end: an unknown end is an error");
	write_full(sv[0], "hi", 2);
	ok(preforkd_read(&c, buf, sizeof(buf)) == 2 && c.bytes_in == 2 &&
	    preforkd_write(&c, "ho", 2) == 0 && c.bytes_out == 2,
	    "preforkd_read and preforkd_write go through the table, counted");
	close(sv[0]);
	close(sv[1]);

	errno = 0;
	ok(api->report_group(&c, 1) == -1 && errno == EINVAL,
	    "report_group: 1 (init) refused, EINVAL");
	errno = 0;
	ok(api->report_group(&c, -5) == -1 && errno == EINVAL,
	    "report_group: a negative id refused, EINVAL");
	if ((pid = fork()) == -1)
		sysbail("fork");
	if (pid == 0) {
		pause();
		_exit(0);
	}
	errno = 0;
	ok(getpgid(pid) != pid && api->report_group(&c, pid) == -1 &&
	    errno == EINVAL, "report_group: a process that leads no group "
	    "refused, EINVAL");
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	errno = 0;
	ok(api->report_group(&c, pid) == -1 && errno == ESRCH,
	    "report_group: no such process, ESRCH");
	if ((pid = fork()) == -1)
		sysbail("fork");
	if (pid == 0) {
		setpgid(0, 0);
		pause();
		_exit(0);
	}
	setpgid(pid, pid);
	errno = 0;
	ok(api->report_group(&c, pid) == -1 && errno == ENOTSUP,
	    "report_group: a real group, but not in a worker: ENOTSUP");
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
}

static void
test_streams(void)
{
	struct served	 s;
	unsigned char	*want, *got, out[4096], in[4096];
	uint64_t	 bin, bout;
	size_t		 i, k, len, off;
	ssize_t		 n;
	int		 status, same;

	/* echo: 64 rounds of 4 KiB, then end of file both ways. */
	serve_start(&s, &handler_echo);
	same = 1;
	for (k = 0; k < 64; k++) {
		for (i = 0; i < sizeof(out); i++)
			out[i] = (unsigned char)(i * 7 + k);
		write_full(s.peer, out, sizeof(out));
		if (read_full(s.peer, in, sizeof(in)) != sizeof(in) ||
		    memcmp(in, out, sizeof(out)) != 0)
			same = 0;
	}
	ok(same, "echo stream: 256 KiB come back unchanged");
	shutdown(s.peer, SHUT_WR);
	is_int(0, read_full(s.peer, in, sizeof(in)),
	    "echo stream: ends when the client ends");
	status = serve_finish(&s, &bin, &bout);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
	    bin == 65536 * 4 && bout == 65536 * 4,
	    "echo stream: returns, counted %llu in, %llu out",
	    (unsigned long long)bin, (unsigned long long)bout);

	/* discard: 100000 bytes in, none out. */
	serve_start(&s, &handler_discard);
	memset(out, 'x', sizeof(out));
	for (i = 0; i < 100000; i += len) {
		len = 100000 - i < sizeof(out) ? 100000 - i : sizeof(out);
		write_full(s.peer, out, len);
	}
	shutdown(s.peer, SHUT_WR);
	is_int(0, read_full(s.peer, in, sizeof(in)),
	    "discard stream: nothing comes back");
	status = serve_finish(&s, &bin, &bout);
	ok(WIFEXITED(status) && bin == 100000 && bout == 0,
	    "discard stream: counted %llu in, %llu out",
	    (unsigned long long)bin, (unsigned long long)bout);

	/* chargen: several batches on the wire, then the client leaves. */
	len = 3 * 16384 + 1234;
	if ((want = malloc(len)) == NULL || (got = malloc(len)) == NULL)
		sysbail("malloc");
	off = 0;
	chargen_fill(want, len, &off);
	serve_start(&s, &handler_chargen);
	write_full(s.peer, "ignored\r\n", 9);
	n = read_full(s.peer, got, len);
	ok(n == (ssize_t)len && memcmp(got, want, len) == 0,
	    "chargen stream: %zu bytes, the rotation continuous across "
	    "batches", len);
	status = serve_finish(&s, &bin, &bout);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0 && bout >= len,
	    "chargen stream: returns when the client closes (no SIGPIPE)");
	free(want);
	free(got);

	/* time: 4 bytes, then end of file. */
	serve_start(&s, &handler_time);
	n = read_full(s.peer, in, sizeof(in));
	is_int(4, n, "time stream: 4 bytes, then end of file");
	ok(n == 4 && near_now868(decode32(in)),
	    "time stream: big-endian seconds since 1900, now");
	status = serve_finish(&s, &bin, &bout);
	ok(WIFEXITED(status) && bout == 4, "time stream: 4 bytes counted");

	/* daytime: one line, then end of file. */
	serve_start(&s, &handler_daytime);
	n = read_full(s.peer, in, sizeof(in));
	ok(n == 26 && daytime_now((char *)in, (size_t)n),
	    "daytime stream: the current time, then end of file");
	status = serve_finish(&s, &bin, &bout);
	ok(WIFEXITED(status) && bout == 26, "daytime stream: 26 bytes counted");
}

static void
test_datagrams(void)
{
	struct preforkd_conn	c;
	unsigned char	buf[1024], want[CHARGEN_DGRAM_MAX];
	size_t		off, lens[CHARGEN_DGRAM_MAX + 1], k, distinct;
	ssize_t		n;
	int		sv[2], good;

	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == -1)
		sysbail("socketpair");
	test_conn(&c, sv[1]);

	handler_echo.serve_datagram(&c, (const unsigned char *)"ping", 4);
	n = recv(sv[0], buf, sizeof(buf), MSG_DONTWAIT);
	ok(n == 4 && memcmp(buf, "ping", 4) == 0 && c.bytes_out == 4,
	    "echo datagram: sent back");
	handler_echo.serve_datagram(&c, (const unsigned char *)"", 0);
	is_int(0, recv(sv[0], buf, sizeof(buf), MSG_DONTWAIT),
	    "echo datagram: an empty one comes back empty");

	c.bytes_out = 0;
	handler_discard.serve_datagram(&c, (const unsigned char *)"x", 1);
	ok(recv(sv[0], buf, sizeof(buf), MSG_DONTWAIT) == -1 &&
	    errno == EAGAIN && c.bytes_out == 0, "discard datagram: no reply");

	handler_time.serve_datagram(&c, (const unsigned char *)"", 0);
	n = recv(sv[0], buf, sizeof(buf), MSG_DONTWAIT);
	ok(n == 4 && near_now868(decode32(buf)),
	    "time datagram: 4 bytes for an empty request, now");

	handler_daytime.serve_datagram(&c, (const unsigned char *)"?", 1);
	n = recv(sv[0], buf, sizeof(buf), MSG_DONTWAIT);
	ok(n == 26 && daytime_now((char *)buf, (size_t)n),
	    "daytime datagram: the current time");

	off = 0;
	chargen_fill(want, sizeof(want), &off);
	memset(lens, 0, sizeof(lens));
	good = 1;
	for (k = 0; k < 200; k++) {
		handler_chargen.serve_datagram(&c,
		    (const unsigned char *)"", 0);
		n = recv(sv[0], buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 || n > CHARGEN_DGRAM_MAX ||
		    memcmp(buf, want, (size_t)n) != 0) {
			good = 0;
			break;
		}
		lens[n]++;
	}
	ok(good, "chargen datagram: up to 512 bytes of chargen lines");
	for (distinct = 0, k = 0; k <= CHARGEN_DGRAM_MAX; k++)
		distinct += lens[k] != 0;
	ok(distinct > 50, "chargen datagram: random lengths (%zu distinct in "
	    "200)", distinct);
	close(sv[0]);
	close(sv[1]);
}

/* Real UDP sockets: conn_sendto answers the sender, not a loop source. */
static void
test_udp(void)
{
	struct preforkd_conn		c;
	struct sockaddr_in	sin;
	socklen_t		len;
	unsigned char		buf[64];
	int			server, client;
	ssize_t			n;

	if ((server = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
	    (client = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		sysbail("socket");
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(server, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    bind(client, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		sysbail("bind");

	test_conn(&c, server);
	c.proto = PROTO_UDP;
	c.locallen = sizeof(c.local);
	if (getsockname(server, (struct sockaddr *)&c.local, &c.locallen) == -1)
		sysbail("getsockname");
	c.remotelen = sizeof(c.remote);
	if (getsockname(client, (struct sockaddr *)&c.remote,
	    &c.remotelen) == -1)
		sysbail("getsockname");
	handler_echo.serve_datagram(&c, (const unsigned char *)"udp", 3);
	len = sizeof(sin);
	n = recvfrom(client, buf, sizeof(buf), 0, (struct sockaddr *)&sin,
	    &len);
	ok(n == 3 && memcmp(buf, "udp", 3) == 0 &&
	    sin.sin_port == ((struct sockaddr_in *)&c.local)->sin_port,
	    "conn_sendto: the reply goes to the sender, from the service");

	((struct sockaddr_in *)&c.remote)->sin_port = htons(19);
	c.bytes_out = 0;
	handler_echo.serve_datagram(&c, (const unsigned char *)"udp", 3);
	handler_chargen.serve_datagram(&c, (const unsigned char *)"", 0);
	handler_time.serve_datagram(&c, (const unsigned char *)"", 0);
	handler_daytime.serve_datagram(&c, (const unsigned char *)"", 0);
	is_int(0, c.bytes_out,
	    "datagrams from chargen's port get no reply (loop attack)");
	close(server);
	close(client);
}

int
main(void)
{
	plan(109);
	alarm(120);
	/* daytime is local time: make it UTC so the strings are known. */
	if (setenv("TZ", "UTC0", 1) == -1)
		sysbail("setenv");
	tzset();

	test_table();
	test_chargen();
	test_time();
	test_daytime();
	test_loop();
	test_conn_io();
	test_conn_slices();
	test_api();
	test_streams();
	test_datagrams();
	test_udp();
	return (0);
}
