/*
 * access-t.c - unit tests of the access-log line in src/access.c
 * (access_format): every field in its place, addresses a client chose
 * (unix paths with spaces, quotes, "=", newlines, control bytes) quoted
 * and escaped so that they can never forge a field or a line, how an exec
 * program ended, how the connection ended, and a line cut to its buffer.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preforkd.h"
#include "handler.h"
#include "conn.h"
#include "../tap/basic.h"

#define T0	"time=2026-11-18T11:06:40.123+00:00"

static struct preforkd_service svc = { "echo", NULL, 0, 0, NULL };
static const struct timespec end = { 1795000000, 123456789 };

/* conn - a fresh connection of proto with nothing set but the service. */
static void
conn(struct preforkd_conn *c, int proto)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->proto = proto;
	c->service = &svc;
	c->end = CONN_CLOSED;
	c->exec_status = -1;
}

static socklen_t
inet4(struct sockaddr_storage *ss, const char *host, int port)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, host, &sin->sin_addr);
	return sizeof(*sin);
}

static socklen_t
inet6(struct sockaddr_storage *ss, const char *host, int port)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons((uint16_t)port);
	inet_pton(AF_INET6, host, &sin6->sin6_addr);
	return sizeof(*sin6);
}

/* unixaddr - a unix address of the n bytes of path (abstract if path[0]
 * is NUL), as a peer may bind it. */
static socklen_t
unixaddr(struct sockaddr_storage *ss, const char *path, size_t n)
{
	struct sockaddr_un *un = (struct sockaddr_un *)ss;

	memset(ss, 0, sizeof(*ss));
	un->sun_family = AF_UNIX;
	memcpy(un->sun_path, path, n);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
}

/* fmt - c's access line at the fixed time, after ms, in worker pid. */
static const char *
fmt(const struct preforkd_conn *c, int64_t ms, pid_t pid)
{
	static char buf[2048];

	access_format(buf, sizeof(buf), c, &end, ms, pid);
	return buf;
}

/* line - c's access line with the fixed time, pid 4242 and 1.234 s. */
static const char *
line(const struct preforkd_conn *c)
{
	return fmt(c, 1234, 4242);
}

/* ends - 1 when s ends with tail (diagnosed if not). */
static int
ends(const char *s, const char *tail)
{
	size_t n = strlen(s), k = strlen(tail);

	if (n >= k && strcmp(s + n - k, tail) == 0)
		return 1;
	diag("wanted a line ending in \"%s\"\n#   got \"%s\"", tail, s);
	return 0;
}

/* died - the wait status of a child that ended as how says. */
static int
died(int code, int sig)
{
	pid_t pid;
	int st;

	if ((pid = fork()) == -1)
		sysbail("fork");
	if (pid == 0) {
		if (sig != 0) {
			signal(sig, SIG_DFL);
			raise(sig);
		}
		_exit(code);
	}
	if (waitpid(pid, &st, 0) != pid)
		sysbail("waitpid");
	return st;
}

/* printable - 1 when s is printable ASCII only: one line, no controls. */
static int
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s < 0x20 || *s > 0x7e)
			return 0;
	return 1;
}

int
main(void)
{
	static const char forge[] = "/tmp/x\ntime=2026 service=FAKE\x1b[2J";
	static const char hostile[] = "/tmp/a b\"c=d\\e\x01\xff";
	struct preforkd_conn c;
	char path[108], small[40], want[1024];
	size_t n, i;

	plan(30);
	setenv("TZ", "UTC0", 1);
	tzset();

	/* Every field, in its order. */
	conn(&c, PROTO_TCP);
	c.locallen = inet4(&c.local, "127.0.0.1", 7007);
	c.remotelen = inet4(&c.remote, "127.0.0.1", 40000);
	c.bytes_in = 5;
	c.bytes_out = 7;
	is_string(T0 " service=echo proto=tcp local=127.0.0.1:7007 "
	    "remote=127.0.0.1:40000 pid=4242 in=5 out=7 duration=1.234 "
	    "end=closed", line(&c), "tcp: every field in its place");
	is_string(T0 " service=echo proto=tcp local=127.0.0.1:7007 "
	    "remote=127.0.0.1:40000 pid=1 in=5 out=7 duration=61.005 "
	    "end=closed", fmt(&c, 61005, 1),
	    "  duration in seconds and milliseconds, another pid");
	small[0] = 'x';
	is_int(0, (long long)access_format(small, 0, &c, &end, 1234, 4242),
	    "no room: length 0");
	ok(small[0] == 'x', "  nothing written");
	n = access_format(small, sizeof(small), &c, &end, 1234, 4242);
	is_int(sizeof(small) - 1, (long long)n, "a short buffer: cut to it");
	ok(strncmp(small, line(&c), n) == 0 && small[n] == '\0',
	    "  the start of the line, NUL-terminated");

	/* Through a balancer: remote= the client, proxy= the balancer; a
	 * unix balancer's path escaped as any address. */
	c.vialen = c.remotelen;
	memcpy(&c.via, &c.remote, sizeof(c.via));
	c.remotelen = inet4(&c.remote, "192.0.2.7", 51234);
	is_string(T0 " service=echo proto=tcp local=127.0.0.1:7007 "
	    "remote=192.0.2.7:51234 proxy=127.0.0.1:40000 pid=4242 in=5 "
	    "out=7 duration=1.234 end=closed", line(&c), "through a balancer: "
	    "remote= the client, then proxy=");
	c.vialen = unixaddr(&c.via, forge, sizeof(forge) - 1);
	c.end = CONN_PROXY_ERROR;
	like(line(&c), " proxy=\"/tmp/x\\ntime=2026 service=FAKE\\x1b[2J\" "
	    "pid=", "  a unix balancer's path quoted and escaped");
	like(line(&c), " end=proxy_error", "  end=proxy_error");
	c.end = CONN_CLOSED;
	c.vialen = 0;

	/* UDP over IPv6, a datagram that took no time. */
	conn(&c, PROTO_UDP);
	c.locallen = inet6(&c.local, "::1", 7007);
	c.remotelen = inet6(&c.remote, "2001:db8::1", 53);
	c.bytes_in = UINT64_MAX - 1;
	is_string(T0 " service=echo proto=udp local=[::1]:7007 "
	    "remote=[2001:db8::1]:53 pid=1 in=18446744073709551614 out=0 "
	    "duration=0.000 end=closed", fmt(&c, 0, 1),
	    "udp over IPv6, no time, the largest count");
	/* Counts the system cannot tell (an exec connection, unix). */
	c.bytes_in = c.bytes_out = CONN_BYTES_UNKNOWN;
	like(fmt(&c, 0, 1), " pid=1 in=- out=- duration=", "counts not "
	    "known: in=- out=-");
	c.bytes_in = c.bytes_out = 0;

	/* Unix peers: whatever bytes they bound to, as one quoted value. */
	conn(&c, PROTO_UNIX);
	c.locallen = unixaddr(&c.local, "/run/app.sock", 14);
	c.remotelen = unixaddr(&c.remote, forge, sizeof(forge) - 1);
	is_string(T0 " service=echo proto=unix local=/run/app.sock "
	    "remote=\"/tmp/x\\ntime=2026 service=FAKE\\x1b[2J\" pid=4242 "
	    "in=0 out=0 duration=1.234 end=closed", line(&c),
	    "a path that forges a line and a field: quoted, escaped");
	ok(printable(line(&c)), "  one line of printable text");
	c.remotelen = unixaddr(&c.remote, hostile, sizeof(hostile) - 1);
	like(line(&c), " remote=\"/tmp/a b\\\"c=d\\\\e\\x01\\xff\" "
	    "pid=4242 ", "space, quote, =, backslash, control, high byte");
	ok(printable(line(&c)), "  one line of printable text");
	c.remotelen = unixaddr(&c.remote, "\0hidden name", 12);
	like(line(&c), " remote=\"@hidden name\" pid=",
	    "an abstract address: @, and quoted for its space");
	memset(path, '\n', sizeof(path));
	c.remotelen = unixaddr(&c.remote, path, sizeof(path));
	strcpy(want, " remote=\"");
	for (i = 0; i < sizeof(path); i++)
		strcat(want, "\\n");
	strcat(want, "\" pid=4242 ");
	like(line(&c), want, "108 newlines: all escaped, none cut");
	ok(printable(line(&c)), "  one line of printable text");
	c.remotelen = sizeof(sa_family_t);
	like(line(&c), " remote=(unnamed) pid=", "an unbound peer");
	c.remotelen = 0;
	like(line(&c), " remote=(unknown) pid=", "no address at all");
	inet4(&c.local, "127.0.0.1", 7007);
	c.locallen = sizeof(struct sockaddr_in) - 1;
	like(line(&c), " local=(unknown) remote=",
	    "an IPv4 address one byte short");

	/* How the connection ended. */
	conn(&c, PROTO_TCP);
	c.end = CONN_TIMEOUT;
	ok(ends(line(&c), " end=timeout"), "end: timeout");
	c.end = CONN_RESET;
	ok(ends(line(&c), " end=reset"), "end: reset");
	c.end = CONN_ERROR;
	ok(ends(line(&c), " end=error"), "end: error");
	c.end = 42;
	ok(ends(line(&c), " end=error"), "end: out of range is an error");

	/* How the exec handler's program ended, after end=. */
	c.end = CONN_CLOSED;
	c.exec_status = died(0, 0);
	ok(ends(line(&c), " end=closed status=0"), "exec: exit 0");
	c.exec_status = died(3, 0);
	ok(ends(line(&c), " end=closed status=3"), "exec: exit 3");
	c.exec_status = died(0, SIGKILL);
	ok(ends(line(&c), " end=closed signal=KILL"), "exec: killed, by name");
	c.exec_status = died(0, SIGRTMIN + 2);
	snprintf(want, sizeof(want), " end=closed signal=%d", SIGRTMIN + 2);
	ok(ends(line(&c), want), "exec: a signal without a name, by number");
	c.exec_status = -1;
	ok(ends(line(&c), " end=closed"), "not exec: no status");
	return 0;
}
