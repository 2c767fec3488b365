/*
 * addr.c - listen addresses: parse the config's text form into a sockaddr,
 * format addresses for logs, and tell which pairs cannot be bound together.
 * Pure functions: no sockets are opened and no names are resolved here.
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

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "preforkd.h"

static int	addr_error(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static int	addr_parse_unix(const char *, struct addr *, char *, size_t);
static int	addr_parse_port(const char *, in_port_t *, char *, size_t);
static int	addr_parse_inet(const char *, struct addr *, char *, size_t);
static int	addr_bare_ipv6(const char *, char *, size_t);

/* addr_error - write a message into err and return -1, for one-line fails. */
static int
addr_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/*
 * addr_parse - parse "[tcp://|udp://]HOST:PORT" or "unix:PATH" into addr.
 * Returns 0, or -1 with a message (no file or line) in err.
 */
int
addr_parse(const char *text, struct addr *addr, char *err, size_t errlen)
{
	const char *rest, *p;

	memset(addr, 0, sizeof(*addr));
	if (*text == '\0')
		return addr_error(err, errlen, "empty address");

	if (strncmp(text, "unix:", 5) == 0)
		return addr_parse_unix(text + 5, addr, err, errlen);

	addr->proto = PROTO_TCP;
	rest = text;
	if (strncmp(text, "tcp://", 6) == 0)
		rest = text + 6;
	else if (strncmp(text, "udp://", 6) == 0) {
		addr->proto = PROTO_UDP;
		rest = text + 6;
	} else if ((p = strstr(text, "://")) != NULL &&
	    strspn(text, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.") == (size_t)(p - text))
		return addr_error(err, errlen, "unknown scheme \"%.*s://\": "
		    "use tcp://, udp:// or unix:", (int)(p - text), text);

	return addr_parse_inet(rest, addr, err, errlen);
}

/* addr_parse_unix - fill addr from the path after "unix:". */
static int
addr_parse_unix(const char *path, struct addr *addr, char *err, size_t errlen)
{
	struct sockaddr_un *un = (struct sockaddr_un *)&addr->ss;
	size_t len = strlen(path);

	if (len == 0)
		return addr_error(err, errlen,
		    "missing path after \"unix:\": like unix:/run/app.sock");
	if (len >= sizeof(un->sun_path))
		return addr_error(err, errlen,
		    "unix socket path is too long (%zu bytes, at most %zu)",
		    len, sizeof(un->sun_path) - 1);
	addr->proto = PROTO_UNIX;
	un->sun_family = AF_UNIX;
	memcpy(un->sun_path, path, len + 1);
	addr->sslen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    len + 1);
	return 0;
}

/* addr_parse_port - a decimal port 0..65535, with a message otherwise. */
static int
addr_parse_port(const char *s, in_port_t *port, char *err, size_t errlen)
{
	const char *digits = s;
	unsigned long v = 0;

	if (*s == '\0')
		return addr_error(err, errlen, "missing port");
	if (*digits == '-')
		digits++;
	if (*digits == '\0' || strspn(digits, "0123456789") != strlen(digits))
		return addr_error(err, errlen,
		    "port must be a number (got \"%s\")", s);
	if (digits != s || strlen(digits) > 5)
		return addr_error(err, errlen,
		    "port must be between 0 and 65535 (got %s)", s);
	for (; *digits != '\0'; digits++)
		v = v * 10 + (unsigned long)(*digits - '0');
	if (v > 65535)
		return addr_error(err, errlen,
		    "port must be between 0 and 65535 (got %s)", s);
	*port = htons((in_port_t)v);
	return 0;
}

/*
 * addr_bare_ipv6 - the message for an IPv6 address written without
 * brackets, showing the form the user most likely meant.
 */
static int
addr_bare_ipv6(const char *s, char *err, size_t errlen)
{
	struct in6_addr a6;
	char host[INET6_ADDRSTRLEN + 8];
	const char *colon = strrchr(s, ':');
	size_t hlen = (size_t)(colon - s);

	if (hlen < sizeof(host)) {
		memcpy(host, s, hlen);
		host[hlen] = '\0';
		if (colon[1] != '\0' &&
		    strspn(colon + 1, "0123456789") == strlen(colon + 1) &&
		    inet_pton(AF_INET6, host, &a6) == 1)
			return addr_error(err, errlen,
			    "IPv6 addresses need brackets: [%s]:%s",
			    host, colon + 1);
	}
	if (inet_pton(AF_INET6, s, &a6) == 1)
		return addr_error(err, errlen,
		    "IPv6 addresses need brackets and a port: [%s]:PORT", s);
	return addr_error(err, errlen,
	    "IPv6 addresses need brackets: [ADDRESS]:PORT");
}

/* addr_parse_inet - parse "HOST:PORT" for tcp or udp (already in addr). */
static int
addr_parse_inet(const char *s, struct addr *addr, char *err, size_t errlen)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&addr->ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&addr->ss;
	char host[INET6_ADDRSTRLEN + 8];
	const char *colon, *end, *port;
	in_port_t nport;
	size_t hlen;

	if (*s == '[') {
		if ((end = strchr(s, ']')) == NULL)
			return addr_error(err, errlen,
			    "missing \"]\" after the IPv6 address");
		hlen = (size_t)(end - s - 1);
		if (hlen == 0)
			return addr_error(err, errlen,
			    "empty IPv6 address in brackets");
		if (hlen >= sizeof(host))
			return addr_error(err, errlen,
			    "invalid IPv6 address \"%.*s\"", (int)hlen, s + 1);
		memcpy(host, s + 1, hlen);
		host[hlen] = '\0';
		if (end[1] == '\0')
			return addr_error(err, errlen, "missing port");
		if (end[1] != ':')
			return addr_error(err, errlen,
			    "expected \":PORT\" after \"]\" (got \"%s\")",
			    end + 1);
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			return addr_error(err, errlen,
			    "invalid IPv6 address \"%s\"", host);
		if (addr_parse_port(end + 2, &nport, err, errlen) == -1)
			return -1;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = nport;
		addr->sslen = sizeof(*sin6);
		return 0;
	}

	if ((colon = strrchr(s, ':')) == NULL)
		return addr_error(err, errlen, "missing port");
	if (strchr(s, ':') != colon)
		return addr_bare_ipv6(s, err, errlen);
	port = colon + 1;
	hlen = (size_t)(colon - s);
	if (hlen == 0 && *port == '\0')
		return addr_error(err, errlen, "missing host and port");
	if (hlen == 0)
		return addr_error(err, errlen,
		    "missing host before \":%s\": use *:%s for every address",
		    port, port);

	if (hlen == 1 && *s == '*') {
		if (addr_parse_port(port, &nport, err, errlen) == -1)
			return -1;
		addr->wildcard = 1;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = in6addr_any;
		sin6->sin6_port = nport;
		addr->sslen = sizeof(*sin6);
		return 0;
	}

	if (hlen < sizeof(host)) {
		memcpy(host, s, hlen);
		host[hlen] = '\0';
		if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
			if (addr_parse_port(port, &nport, err, errlen) == -1)
				return -1;
			sin->sin_family = AF_INET;
			sin->sin_port = nport;
			addr->sslen = sizeof(*sin);
			return 0;
		}
	}
	if (strspn(s, "0123456789.") == hlen)
		return addr_error(err, errlen, "invalid IPv4 address \"%.*s\"",
		    (int)hlen, s);
	return addr_error(err, errlen, "host \"%.*s\" is not a numeric "
	    "address: use an IPv4 address, [IPv6] in brackets, or * "
	    "(names are not resolved)", (int)hlen, s);
}

/* addr_proto_name - "tcp", "udp" or "unix", as the logs spell them. */
const char *
addr_proto_name(enum addr_proto proto)
{
	switch (proto) {
	case PROTO_TCP:
		return "tcp";
	case PROTO_UDP:
		return "udp";
	case PROTO_UNIX:
		return "unix";
	}
	return "unknown";
}

/*
 * addr_format - "tcp 127.0.0.1:7007", "udp [::1]:7007", "tcp *:7007",
 * "unix /path": the protocol and address, for log lines.  Returns buf.
 */
char *
addr_format(const struct addr *addr, char *buf, size_t len)
{
	char sa[ADDR_TEXT_MAX];

	if (addr->wildcard)
		snprintf(sa, sizeof(sa), "*:%d",
		    addr_port((const struct sockaddr *)&addr->ss));
	else
		addr_sockaddr_format((const struct sockaddr *)&addr->ss,
		    addr->sslen, sa, sizeof(sa));
	snprintf(buf, len, "%s %s", addr_proto_name(addr->proto), sa);
	return buf;
}

/*
 * addr_sockaddr_format - "127.0.0.1:7007", "[::1]:7007", "/path", "@name"
 * for Linux's abstract namespace, "(unnamed)" for an unbound unix peer,
 * "(unknown)" for anything else.  A unix path is whatever bytes the peer
 * bound its socket to, so it is escaped (escape_text, ESCAPE_VALUE): the
 * text is always printable ASCII, safe for every log and report.
 * Returns buf.
 */
char *
addr_sockaddr_format(const struct sockaddr *sa, socklen_t salen, char *buf,
    size_t len)
{
	const struct sockaddr_in *sin;
	const struct sockaddr_in6 *sin6;
	const struct sockaddr_un *un;
	char host[INET6_ADDRSTRLEN];
	size_t off = offsetof(struct sockaddr_un, sun_path), plen;

	if (len == 0)
		return buf;
	if (sa == NULL || salen < sizeof(sa_family_t)) {
		snprintf(buf, len, "(unknown)");
		return buf;
	}
	switch (sa->sa_family) {
	case AF_INET:
		if (salen < sizeof(*sin))
			break;
		sin = (const struct sockaddr_in *)sa;
		if (inet_ntop(AF_INET, &sin->sin_addr, host,
		    sizeof(host)) == NULL)
			break;
		snprintf(buf, len, "%s:%u", host, ntohs(sin->sin_port));
		return buf;
	case AF_INET6:
		if (salen < sizeof(*sin6))
			break;
		sin6 = (const struct sockaddr_in6 *)sa;
		if (inet_ntop(AF_INET6, &sin6->sin6_addr, host,
		    sizeof(host)) == NULL)
			break;
		snprintf(buf, len, "[%s]:%u", host, ntohs(sin6->sin6_port));
		return buf;
	case AF_UNIX:
		un = (const struct sockaddr_un *)sa;
		if (salen <= off) {
			snprintf(buf, len, "(unnamed)");
			return buf;
		}
		plen = salen - off;
		if (plen > sizeof(un->sun_path))
			plen = sizeof(un->sun_path);
		/* The client chose these bytes: escaped, never as they are. */
		if (un->sun_path[0] != '\0') {
			escape_text(buf, len, un->sun_path,
			    strnlen(un->sun_path, plen), ESCAPE_VALUE);
			return buf;
		}
		/* Linux's abstract namespace: "@name", NUL bytes and all. */
		buf[0] = '@';
		if (len > 1)
			escape_text(buf + 1, len - 1, un->sun_path + 1, plen - 1,
			    ESCAPE_VALUE);
		else
			buf[0] = '\0';
		return buf;
	default:
		break;
	}
	snprintf(buf, len, "(unknown)");
	return buf;
}

/* addr_port - the port of an inet address, or -1 for anything else. */
int
addr_port(const struct sockaddr *sa)
{
	switch (sa->sa_family) {
	case AF_INET:
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	case AF_INET6:
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	default:
		return -1;
	}
}

/*
 * addr_conflict - 1 when a and b cannot both be bound at once (or are the
 * same socket twice), else 0.  "*" is bound dual-stack, so it covers every
 * address of its protocol and port; an explicit [::] is bound IPV6_V6ONLY
 * and so covers only IPv6.  Port 0 is a fresh port each time: no conflict.
 */
int
addr_conflict(const struct addr *a, const struct addr *b)
{
	const struct sockaddr *sa = (const struct sockaddr *)&a->ss;
	const struct sockaddr *sb = (const struct sockaddr *)&b->ss;
	const struct sockaddr_in *a4, *b4;
	const struct sockaddr_in6 *a6, *b6;

	if (a->proto != b->proto)
		return 0;
	if (a->proto == PROTO_UNIX)
		return strcmp(((const struct sockaddr_un *)sa)->sun_path,
		    ((const struct sockaddr_un *)sb)->sun_path) == 0;
	if (addr_port(sa) <= 0 || addr_port(sa) != addr_port(sb))
		return 0;
	if (a->wildcard || b->wildcard)
		return 1;
	if (sa->sa_family != sb->sa_family)
		return 0;
	if (sa->sa_family == AF_INET) {
		a4 = (const struct sockaddr_in *)sa;
		b4 = (const struct sockaddr_in *)sb;
		return a4->sin_addr.s_addr == b4->sin_addr.s_addr ||
		    a4->sin_addr.s_addr == htonl(INADDR_ANY) ||
		    b4->sin_addr.s_addr == htonl(INADDR_ANY);
	}
	a6 = (const struct sockaddr_in6 *)sa;
	b6 = (const struct sockaddr_in6 *)sb;
	return IN6_ARE_ADDR_EQUAL(&a6->sin6_addr, &b6->sin6_addr) ||
	    IN6_IS_ADDR_UNSPECIFIED(&a6->sin6_addr) ||
	    IN6_IS_ADDR_UNSPECIFIED(&b6->sin6_addr);
}

/*
 * addr_sockaddr_same - the same family, address and port (or unix path).
 * With ignore_port, only the family and address count (for port 0).
 */
int
addr_sockaddr_same(const struct sockaddr *sa, const struct sockaddr *sb,
    int ignore_port)
{
	const struct sockaddr_in *a4, *b4;
	const struct sockaddr_in6 *a6, *b6;

	if (sa->sa_family != sb->sa_family)
		return 0;
	switch (sa->sa_family) {
	case AF_UNIX:
		return strcmp(((const struct sockaddr_un *)sa)->sun_path,
		    ((const struct sockaddr_un *)sb)->sun_path) == 0;
	case AF_INET:
		a4 = (const struct sockaddr_in *)sa;
		b4 = (const struct sockaddr_in *)sb;
		return a4->sin_addr.s_addr == b4->sin_addr.s_addr &&
		    (ignore_port || a4->sin_port == b4->sin_port);
	case AF_INET6:
		a6 = (const struct sockaddr_in6 *)sa;
		b6 = (const struct sockaddr_in6 *)sb;
		return IN6_ARE_ADDR_EQUAL(&a6->sin6_addr, &b6->sin6_addr) &&
		    (ignore_port || a6->sin6_port == b6->sin6_port);
	default:
		return 0;
	}
}

/* addr_same - a and b are the same configured address: same proto and form. */
int
addr_same(const struct addr *a, const struct addr *b)
{
	return a->proto == b->proto && a->wildcard == b->wildcard &&
	    addr_sockaddr_same((const struct sockaddr *)&a->ss,
	    (const struct sockaddr *)&b->ss, 0);
}
