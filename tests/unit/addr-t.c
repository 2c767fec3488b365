/*
 * addr-t.c - unit tests for src/addr.c: the listen address grammar, its
 * error messages, formatting, and which address pairs conflict.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "preforkd.h"
#include "../tap/basic.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static const struct {
	const char	*text;
	const char	*formatted;
	int		 family;
	int		 port;
	int		 wildcard;
} good[] = {
	{ "127.0.0.1:7007", "tcp 127.0.0.1:7007", AF_INET, 7007, 0 },
	{ "0.0.0.0:80", "tcp 0.0.0.0:80", AF_INET, 80, 0 },
	{ "[::1]:7007", "tcp [::1]:7007", AF_INET6, 7007, 0 },
	{ "[::]:65535", "tcp [::]:65535", AF_INET6, 65535, 0 },
	{ "[fe80::1:2]:8080", "tcp [fe80::1:2]:8080", AF_INET6, 8080, 0 },
	{ "*:8080", "tcp *:8080", AF_INET6, 8080, 1 },
	{ "tcp://10.1.2.3:1", "tcp 10.1.2.3:1", AF_INET, 1, 0 },
	{ "udp://127.0.0.1:7007", "udp 127.0.0.1:7007", AF_INET, 7007, 0 },
	{ "udp://[::1]:7007", "udp [::1]:7007", AF_INET6, 7007, 0 },
	{ "udp://*:53", "udp *:53", AF_INET6, 53, 1 },
	{ "127.0.0.1:0", "tcp 127.0.0.1:0", AF_INET, 0, 0 },
	{ "*:0", "tcp *:0", AF_INET6, 0, 1 },
	{ "127.0.0.1:00080", "tcp 127.0.0.1:80", AF_INET, 80, 0 },
	{ "unix:/run/app.sock", "unix /run/app.sock", AF_UNIX, -1, 0 },
	{ "unix:relative.sock", "unix relative.sock", AF_UNIX, -1, 0 },
};

static const struct {
	const char	*text;
	const char	*err;
} bad[] = {
	{ "", "empty address" },
	{ "127.0.0.1", "missing port" },
	{ "127.0.0.1:", "missing port" },
	{ "*", "missing port" },
	{ "[::1]", "missing port" },
	{ ":", "missing host and port" },
	{ ":80", "missing host before \":80\": use *:80 for every address" },
	{ "127.0.0.1:99999", "port must be between 0 and 65535 (got 99999)" },
	{ "127.0.0.1:65536", "port must be between 0 and 65535 (got 65536)" },
	{ "127.0.0.1:123456789012345678901234567890",
	  "port must be between 0 and 65535 (got "
	  "123456789012345678901234567890)" },
	{ "127.0.0.1:-1", "port must be between 0 and 65535 (got -1)" },
	{ "127.0.0.1:http", "port must be a number (got \"http\")" },
	{ "127.0.0.1:80x", "port must be a number (got \"80x\")" },
	{ "example.com:80",
	  "host \"example.com\" is not a numeric address: use an IPv4 "
	  "address, [IPv6] in brackets, or * (names are not resolved)" },
	{ "localhost:80",
	  "host \"localhost\" is not a numeric address: use an IPv4 "
	  "address, [IPv6] in brackets, or * (names are not resolved)" },
	{ "256.1.1.1:80", "invalid IPv4 address \"256.1.1.1\"" },
	{ "127.1:80", "invalid IPv4 address \"127.1\"" },
	{ "::1:80", "IPv6 addresses need brackets: [::1]:80" },
	{ "fe80::1:8080", "IPv6 addresses need brackets: [fe80::1]:8080" },
	{ "2001:db8::", "IPv6 addresses need brackets and a port: "
	  "[2001:db8::]:PORT" },
	{ "a:b:c", "IPv6 addresses need brackets: [ADDRESS]:PORT" },
	{ "[::1:80", "missing \"]\" after the IPv6 address" },
	{ "[::1]80", "expected \":PORT\" after \"]\" (got \"80\")" },
	{ "[]:80", "empty IPv6 address in brackets" },
	{ "[1.2.3.4]:80", "invalid IPv6 address \"1.2.3.4\"" },
	{ "[::1]:", "missing port" },
	{ "[::1]:70000", "port must be between 0 and 65535 (got 70000)" },
	{ "sctp://127.0.0.1:80",
	  "unknown scheme \"sctp://\": use tcp://, udp:// or unix:" },
	{ "http://127.0.0.1:80",
	  "unknown scheme \"http://\": use tcp://, udp:// or unix:" },
	{ "udp://", "missing port" },
	{ "unix:", "missing path after \"unix:\": like unix:/run/app.sock" },
};

static const struct {
	const char	*a;
	const char	*b;
	int		 conflict;
	const char	*why;
} pairs[] = {
	{ "127.0.0.1:80", "127.0.0.1:80", 1, "duplicate" },
	{ "127.0.0.1:80", "tcp://127.0.0.1:80", 1, "tcp:// is the default" },
	{ "127.0.0.1:80", "127.0.0.1:81", 0, "other port" },
	{ "127.0.0.1:80", "127.0.0.2:80", 0, "other address" },
	{ "127.0.0.1:80", "udp://127.0.0.1:80", 0, "tcp and udp" },
	{ "udp://127.0.0.1:80", "udp://127.0.0.1:80", 1, "udp duplicate" },
	{ "*:80", "127.0.0.1:80", 1, "wildcard vs v4" },
	{ "[::1]:80", "*:80", 1, "v6 vs wildcard" },
	{ "*:80", "[::]:80", 1, "wildcard vs [::]" },
	{ "*:80", "*:80", 1, "wildcard twice" },
	{ "*:80", "udp://*:80", 0, "wildcard tcp vs udp" },
	{ "*:80", "*:81", 0, "wildcards on other ports" },
	{ "0.0.0.0:80", "127.0.0.1:80", 1, "0.0.0.0 vs 127.0.0.1" },
	{ "127.0.0.1:80", "0.0.0.0:80", 1, "127.0.0.1 vs 0.0.0.0" },
	{ "[::]:80", "[::1]:80", 1, "[::] vs [::1]" },
	{ "[::]:80", "0.0.0.0:80", 0, "[::] is v6-only" },
	{ "[::1]:80", "127.0.0.1:80", 0, "v6 vs v4" },
	{ "127.0.0.1:0", "127.0.0.1:0", 0, "port 0 twice" },
	{ "*:0", "127.0.0.1:0", 0, "port 0 with wildcard" },
	{ "unix:/tmp/a.sock", "unix:/tmp/a.sock", 1, "unix same path" },
	{ "unix:/tmp/a.sock", "unix:/tmp/b.sock", 0, "unix other path" },
	{ "unix:/tmp/a.sock", "127.0.0.1:80", 0, "unix vs tcp" },
};

/* test_good - each good address parses to the right family and format. */
static void
test_good(void)
{
	struct addr addr;
	char err[ADDR_ERR_MAX], buf[ADDR_TEXT_MAX];
	size_t i;
	int rc;

	for (i = 0; i < NELEM(good); i++) {
		err[0] = '\0';
		rc = addr_parse(good[i].text, &addr, err, sizeof(err));
		if (!is_int(0, rc, "parse %s", good[i].text)) {
			diag("error: %s", err);
			memset(&addr, 0, sizeof(addr));
		}
		is_string(good[i].formatted, addr_format(&addr, buf,
		    sizeof(buf)), "format %s", good[i].text);
		is_int(good[i].family, addr.ss.ss_family, "family of %s",
		    good[i].text);
		is_int(good[i].port, addr_port((struct sockaddr *)&addr.ss),
		    "port of %s", good[i].text);
		is_int(good[i].wildcard, addr.wildcard, "wildcard of %s",
		    good[i].text);
	}
}

/* test_details - the sockaddr fields that listen.c relies on. */
static void
test_details(void)
{
	struct addr addr;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&addr.ss;
	struct sockaddr_un *un = (struct sockaddr_un *)&addr.ss;
	char err[ADDR_ERR_MAX], path[200], text[220], buf[ADDR_TEXT_MAX];

	addr_parse("udp://*:53", &addr, err, sizeof(err));
	is_int(PROTO_UDP, addr.proto, "udp://*:53 is udp");
	ok(IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr), "* is in6addr_any");
	is_int(sizeof(struct sockaddr_in6), addr.sslen, "* sslen");

	addr_parse("127.0.0.1:80", &addr, err, sizeof(err));
	is_int(PROTO_TCP, addr.proto, "plain address is tcp");
	is_int(sizeof(struct sockaddr_in), addr.sslen, "v4 sslen");

	addr_parse("unix:/run/x.sock", &addr, err, sizeof(err));
	is_int(PROTO_UNIX, addr.proto, "unix: is unix");
	is_string("/run/x.sock", un->sun_path, "unix sun_path");
	is_int(offsetof(struct sockaddr_un, sun_path) + 12, addr.sslen,
	    "unix sslen");

	/* A path of 107 bytes fits sun_path with its NUL; 108 does not. */
	memset(path, 'a', sizeof(path));
	path[0] = '/';
	path[107] = '\0';
	snprintf(text, sizeof(text), "unix:%s", path);
	is_int(0, addr_parse(text, &addr, err, sizeof(err)),
	    "unix path of 107 bytes");
	path[107] = 'a';
	path[108] = '\0';
	snprintf(text, sizeof(text), "unix:%s", path);
	is_int(-1, addr_parse(text, &addr, err, sizeof(err)),
	    "unix path of 108 bytes");
	is_string("unix socket path is too long (108 bytes, at most 107)",
	    err, "message for a long unix path");

	/* A small buffer truncates, never overflows. */
	addr_parse("[::1]:7007", &addr, err, sizeof(err));
	is_string("tcp [::", addr_format(&addr, buf, 8), "format truncates");
	is_string("udp", addr_proto_name(PROTO_UDP), "proto name udp");
	is_string("unix", addr_proto_name(PROTO_UNIX), "proto name unix");
}

/* test_bad - each bad address fails with exactly its message. */
static void
test_bad(void)
{
	struct addr addr;
	char err[ADDR_ERR_MAX];
	size_t i;

	for (i = 0; i < NELEM(bad); i++) {
		strcpy(err, "(no message)");
		is_int(-1, addr_parse(bad[i].text, &addr, err, sizeof(err)),
		    "reject \"%s\"", bad[i].text);
		is_string(bad[i].err, err, "message for \"%s\"", bad[i].text);
	}
}

/* test_conflict - the pairs, both ways round. */
static void
test_conflict(void)
{
	struct addr a, b;
	char err[ADDR_ERR_MAX];
	size_t i;

	for (i = 0; i < NELEM(pairs); i++) {
		if (addr_parse(pairs[i].a, &a, err, sizeof(err)) == -1 ||
		    addr_parse(pairs[i].b, &b, err, sizeof(err)) == -1)
			bail("cannot parse %s or %s: %s", pairs[i].a,
			    pairs[i].b, err);
		is_int(pairs[i].conflict, addr_conflict(&a, &b),
		    "%s: %s vs %s", pairs[i].why, pairs[i].a, pairs[i].b);
		is_int(pairs[i].conflict, addr_conflict(&b, &a),
		    "%s: %s vs %s", pairs[i].why, pairs[i].b, pairs[i].a);
	}
}

/* test_sockaddr - addr_sockaddr_format and addr_port on raw sockaddrs. */
static void
test_sockaddr(void)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct sockaddr_un un;
	struct sockaddr_storage ss;
	char buf[ADDR_TEXT_MAX];
	socklen_t len;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(7007);
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	is_string("127.0.0.1:7007", addr_sockaddr_format(
	    (struct sockaddr *)&sin, sizeof(sin), buf, sizeof(buf)), "v4");
	is_int(7007, addr_port((struct sockaddr *)&sin), "v4 port");

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(443);
	inet_pton(AF_INET6, "::1", &sin6.sin6_addr);
	is_string("[::1]:443", addr_sockaddr_format(
	    (struct sockaddr *)&sin6, sizeof(sin6), buf, sizeof(buf)), "v6");
	is_int(443, addr_port((struct sockaddr *)&sin6), "v6 port");
	inet_pton(AF_INET6, "2001:db8::a:1", &sin6.sin6_addr);
	is_string("[2001:db8::a:1]:443", addr_sockaddr_format(
	    (struct sockaddr *)&sin6, sizeof(sin6), buf, sizeof(buf)),
	    "v6 global");

	memset(&un, 0, sizeof(un));
	un.sun_family = AF_UNIX;
	strcpy(un.sun_path, "/run/app.sock");
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 14);
	is_string("/run/app.sock", addr_sockaddr_format(
	    (struct sockaddr *)&un, len, buf, sizeof(buf)), "unix path");
	is_string("/run/app.sock", addr_sockaddr_format(
	    (struct sockaddr *)&un, sizeof(un), buf, sizeof(buf)),
	    "unix path, full length");
	is_int(-1, addr_port((struct sockaddr *)&un), "unix has no port");
	is_string("(unnamed)", addr_sockaddr_format((struct sockaddr *)&un,
	    sizeof(sa_family_t), buf, sizeof(buf)), "unnamed unix peer");

	/* A peer chooses its path: what it holds is escaped, never raw. */
	strcpy(un.sun_path, "/tmp/d/c\ntime=2026 service=FAKE \x1b[2J\"\\");
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    strlen(un.sun_path) + 1);
	is_string("/tmp/d/c\\ntime=2026 service=FAKE \\x1b[2J\\\"\\\\",
	    addr_sockaddr_format((struct sockaddr *)&un, len, buf,
	    sizeof(buf)), "hostile unix path escaped");
	memset(un.sun_path, 0xff, sizeof(un.sun_path));
	addr_sockaddr_format((struct sockaddr *)&un, sizeof(un), buf,
	    sizeof(buf));
	is_int(4 * sizeof(un.sun_path), strlen(buf),
	    "a full path of bytes to escape fits ADDR_TEXT_MAX whole");

	/* Linux's abstract namespace: "@" and the name, NUL bytes too. */
	memset(&un, 0, sizeof(un));
	un.sun_family = AF_UNIX;
	memcpy(un.sun_path, "\0app\0x\n", 7);
	is_string("@app\\x00x\\n", addr_sockaddr_format((struct sockaddr *)
	    &un, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 7), buf,
	    sizeof(buf)), "abstract name, escaped");
	is_string("@", addr_sockaddr_format((struct sockaddr *)&un,
	    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1), buf,
	    sizeof(buf)), "empty abstract name");
	memcpy(un.sun_path, "\0" "0001f", 6);
	is_string("@0001f", addr_sockaddr_format((struct sockaddr *)&un,
	    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 6), buf,
	    sizeof(buf)), "autobound abstract name");
	is_string("@00", addr_sockaddr_format((struct sockaddr *)&un,
	    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 6), buf, 4),
	    "a short buffer cuts it");

	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_UNSPEC;
	is_string("(unknown)", addr_sockaddr_format((struct sockaddr *)&ss,
	    sizeof(ss), buf, sizeof(buf)), "AF_UNSPEC");
	is_string("(unknown)", addr_sockaddr_format((struct sockaddr *)&sin,
	    0, buf, sizeof(buf)), "zero length");
	is_string("(unknown)", addr_sockaddr_format((struct sockaddr *)&sin,
	    4, buf, sizeof(buf)), "short v4 length");
	is_string("(unknown)", addr_sockaddr_format(NULL, 0, buf,
	    sizeof(buf)), "NULL");
	is_int(-1, addr_port((struct sockaddr *)&ss), "AF_UNSPEC has no port");
}

int
main(void)
{
	plan((int)(NELEM(good) * 5 + 14 + NELEM(bad) * 2 +
	    NELEM(pairs) * 2 + 20));
	test_good();
	test_details();
	test_bad();
	test_conflict();
	test_sockaddr();
	return 0;
}
