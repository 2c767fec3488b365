/*
 * import_inetd.c - read an inetd.conf (openbsd-inetd's format, which
 * Debian ships, with netkit's and FreeBSD's extensions) into the import's
 * services.  One line is one service:
 *
 *   [HOST:]SERVICE SOCKET-TYPE PROTOCOL[,OPTS] WAIT[.MAX] USER[.GROUP]
 *       PROGRAM|internal [ARGV0 ARGS...]
 *
 * A line "HOST:" alone sets the host of the lines after it.  A service
 * line commented out ("#echo stream tcp ...", or update-inetd's "#<off>#")
 * is carried over commented out, so that the output says it was disabled.
 * Pure: the text comes in, the port lookup is the import's.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "preforkd.h"
#include "import.h"

#define INETD_FIELDS_MAX	64	/* words read from one line */
#define INETD_HOSTS_MAX		IMPORT_LISTEN_MAX

/* One line cut into words (which live as long as the import). */
struct inetd_line {
	const char	*word[INETD_FIELDS_MAX];
	size_t		 n;
};

/* inetd_split - line into blank-separated words. */
static int
inetd_split(struct import *imp, const char *line, size_t len,
    struct inetd_line *l)
{
	char *buf, *p, *save;

	l->n = 0;
	if ((buf = import_copy(imp, line, len)) == NULL)
		return -1;
	for (p = strtok_r(buf, " \t\r", &save); p != NULL &&
	    l->n < INETD_FIELDS_MAX; p = strtok_r(NULL, " \t\r", &save))
		l->word[l->n++] = p;
	return 0;
}

static int
inetd_is_one_of(const char *s, const char *const *set)
{
	for (; *set != NULL; set++)
		if (strcmp(s, *set) == 0)
			return 1;
	return 0;
}

/*
 * inetd_looks_like_service - whether a commented-out line's words are a
 * service line that someone disabled, rather than prose: a socket type
 * in the second field and wait or nowait in the fourth.
 */
static int
inetd_looks_like_service(const struct inetd_line *l)
{
	static const char *const types[] = {
		"stream", "dgram", "raw", "rdm", "seqpacket", NULL
	};

	return l->n >= 6 && inetd_is_one_of(l->word[1], types) &&
	    (strncmp(l->word[3], "wait", 4) == 0 ||
	    strncmp(l->word[3], "nowait", 6) == 0);
}

/*
 * inetd_positive - s as an integer from 1 to max, or -1.  0 counts as
 * "no limit" where inetd says so: the caller passes zero_ok.
 */
static int
inetd_number(const char *s, int max, int zero_ok)
{
	char *end;
	long n;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	n = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || n > max || (n == 0 && !zero_ok))
		return -1;
	return (int)n;
}

/*
 * inetd_host - a host specifier as a listen host: "*", an IPv4 or IPv6
 * address (brackets allowed), or "localhost" as 127.0.0.1.  Names are
 * not resolved (preforkd does not): NULL, and svc is skipped.
 */
static const char *
inetd_host(struct import *imp, struct import_svc *svc, const char *host,
    const char *family)
{
	struct in6_addr a6;
	struct in_addr a4;
	size_t n = strlen(host);

	if (strcmp(host, "*") == 0) {
		if (strcmp(family, "4") == 0)
			return "0.0.0.0";
		if (strcmp(family, "6") == 0)
			return "::";
		return "*";
	}
	if (n > 2 && host[0] == '[' && host[n - 1] == ']')
		host = import_strndup(imp, host + 1, n - 2);
	if (inet_pton(AF_INET, host, &a4) == 1 ||
	    inet_pton(AF_INET6, host, &a6) == 1)
		return host;
	if (strcmp(host, "localhost") == 0) {
		import_note(imp, svc, "host localhost: listens on 127.0.0.1 "
		    "(add \"[::1]:PORT\" for IPv6)");
		return "127.0.0.1";
	}
	import_skip(imp, svc, "not carried: host \"%s\" is not a numeric "
	    "address, and preforkd does not resolve names: write the address",
	    host);
	return NULL;
}

/*
 * inetd_wait - the WAIT field: "wait" or "nowait", with netkit's and
 * OpenBSD's ".MAX" (invocations a minute) or FreeBSD's "/MAX-CHILD
 * [/MAX-CONN-PER-IP-PER-MINUTE[/MAX-CHILD-PER-IP]]".  Returns wait (1),
 * nowait (0) or -1 with svc skipped; limits into lim[3]: per minute,
 * children, per minute per source, children per source (0: none).
 */
static int
inetd_wait(struct import *imp, struct import_svc *svc, const char *field,
    int lim[4])
{
	const char *rest;
	char *copy, *p, *q;
	int wait, i, n;

	memset(lim, 0, 4 * sizeof(*lim));
	if (strncmp(field, "wait", 4) == 0) {
		wait = 1;
		rest = field + 4;
	} else if (strncmp(field, "nowait", 6) == 0) {
		wait = 0;
		rest = field + 6;
	} else {
		import_skip(imp, svc, "not carried: bad line: the fourth "
		    "field must be wait or nowait (got \"%s\")", field);
		return -1;
	}
	if (*rest == '\0')
		return wait;
	if (*rest == '.') {
		if ((lim[0] = inetd_number(rest + 1, 1000000, 0)) == -1)
			goto bad;
		return wait;
	}
	if (*rest != '/' || (copy = strdup(rest + 1)) == NULL)
		goto bad;
	for (i = 1, p = copy; p != NULL && i < 4; i++, p = q) {
		if ((q = strchr(p, '/')) != NULL)
			*q++ = '\0';
		if ((n = inetd_number(p, 1000000, 1)) == -1) {
			free(copy);
			goto bad;
		}
		lim[i] = n;
	}
	free(copy);
	if (p != NULL)
		goto bad;
	return wait;
bad:
	import_skip(imp, svc, "not carried: bad line: \"%s\" is not wait or "
	    "nowait with a limit (wait.MAX, or nowait/CHILDREN/PER-IP-RATE/"
	    "PER-IP)", field);
	return -1;
}

/*
 * inetd_limits - what the WAIT field's limits become: the per-minute
 * rate of the service, a cap on the pool, per-source limits.  A wait
 * service's program takes its clients itself, so preforkd never sees
 * them to count: those are not carried (wait says so; for a built-in,
 * which takes each client itself, the flag means nothing).
 */
static int
inetd_limits(struct import *imp, struct import_svc *svc, const int lim[4],
    const char *field, int wait, int dgram)
{
	if (wait && (lim[0] || lim[2] || lim[3])) {
		import_note(imp, svc, "the limits of \"%s\" are not carried: "
		    "the program of a wait service receives its clients "
		    "itself, before preforkd could count them", field);
		return lim[1];
	}
	if (lim[0])
		svc->max_rate = import_printf(imp, "%d/m", lim[0]);
	if (lim[2])
		svc->max_rate_per_source = import_printf(imp, "%d/m", lim[2]);
	if (lim[3] && dgram)
		import_note(imp, svc, "at most %d children per source: not "
		    "carried: datagrams have no connections to count", lim[3]);
	else if (lim[3])
		svc->max_per_source = lim[3];
	if (lim[0])
		import_note(imp, svc, "at most %d a minute: inetd stopped the "
		    "service for 10 minutes beyond it; preforkd refuses the "
		    "connections over the rate", lim[0]);
	return lim[1];
}

/*
 * inetd_protocol - the PROTOCOL field: proto ("tcp", "udp" or "unix")
 * and family ("", "4", "6") into out, 0; or -1 with svc skipped.
 * ",sndbuf=" and ",rcvbuf=" are noted, not carried.
 */
static int
inetd_protocol(struct import *imp, struct import_svc *svc, const char *field,
    int dgram, const char **proto, const char **family)
{
	static const struct {
		const char	*name, *proto, *family;
	} protos[] = {
		{ "tcp", "tcp", "" }, { "tcp46", "tcp", "" },
		{ "tcp4", "tcp", "4" }, { "tcp6", "tcp", "6" },
		{ "udp", "udp", "" }, { "udp46", "udp", "" },
		{ "udp4", "udp", "4" }, { "udp6", "udp", "6" },
		{ "unix", "unix", "" },
	};
	const char *comma = strchr(field, ',');
	size_t i, n = comma != NULL ? (size_t)(comma - field) : strlen(field);

	if (strncmp(field, "rpc/", 4) == 0) {
		import_skip(imp, svc, "not carried: an RPC service (%s): "
		    "preforkd does not register services with the portmapper",
		    field);
		return -1;
	}
	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (strlen(protos[i].name) == n &&
		    strncmp(field, protos[i].name, n) == 0)
			break;
	if (i == sizeof(protos) / sizeof(protos[0])) {
		import_skip(imp, svc, "not carried: protocol \"%.*s\": "
		    "preforkd serves tcp, udp and unix", (int)n, field);
		return -1;
	}
	*proto = protos[i].proto;
	*family = protos[i].family;
	if (strcmp(*proto, "unix") == 0 && dgram) {
		import_skip(imp, svc, "not carried: unix datagram sockets: "
		    "preforkd serves unix stream sockets");
		return -1;
	}
	if ((strcmp(*proto, "udp") == 0) != dgram &&
	    strcmp(*proto, "unix") != 0) {
		import_skip(imp, svc, "not carried: bad line: socket type %s "
		    "with protocol %.*s", dgram ? "dgram" : "stream", (int)n,
		    field);
		return -1;
	}
	if (comma != NULL)
		import_note(imp, svc, "socket buffer sizes (%s): not carried: "
		    "preforkd keeps the system's defaults", comma + 1);
	return 0;
}

/*
 * inetd_service - one service line's words into svc; host is the
 * default host ("*" unless a "HOST:" line said otherwise).
 */
static void
inetd_service(struct import *imp, struct import_svc *svc,
    const struct inetd_line *l, const char *host)
{
	const char *hosts[INETD_HOSTS_MAX], *service, *proto, *family;
	const char *user, *group = NULL, *colon, *h, *p;
	char *list, *tok, *save;
	size_t nhosts = 0, i;
	int lim[4], dgram, wait, port = 0, internal, instances;

	if (l->n < 6) {
		import_skip(imp, svc, "not carried: bad line: expected SERVICE "
		    "SOCKET-TYPE PROTOCOL WAIT USER PROGRAM [ARGUMENTS] (got "
		    "%zu field%s)", l->n, l->n == 1 ? "" : "s");
		return;
	}
	service = l->word[0];
	if (strcmp(l->word[1], "stream") == 0)
		dgram = 0;
	else if (strcmp(l->word[1], "dgram") == 0)
		dgram = 1;
	else {
		import_skip(imp, svc, "not carried: socket type \"%s\": "
		    "preforkd serves stream and dgram sockets", l->word[1]);
		return;
	}
	if (inetd_protocol(imp, svc, l->word[2], dgram, &proto, &family) ==
	    -1)
		return;

	/* SERVICE: [HOST[,HOST...]:]NAME, or a path for unix sockets. */
	if (strcmp(proto, "unix") != 0 &&
	    (colon = strrchr(service, ':')) != NULL) {
		host = import_strndup(imp, service, (size_t)(colon - service));
		service = colon + 1;
	}
	svc->name = service;
	if ((p = strchr(service, '/')) != NULL && strcmp(proto, "unix") != 0) {
		svc->name = import_strndup(imp, service, (size_t)(p - service));
		import_skip(imp, svc, strncmp(service, "tcpmux/", 7) == 0 ?
		    "not carried: a TCPMUX service: preforkd has no tcpmux" :
		    "not carried: \"%s\" is an RPC service name: preforkd "
		    "does not register services with the portmapper", service);
		return;
	}
	if (strcmp(proto, "unix") == 0) {
		svc->name = strrchr(service, '/') != NULL ?
		    strrchr(service, '/') + 1 : service;
		if (service[0] != '/') {
			import_skip(imp, svc, "not carried: unix socket path "
			    "\"%s\" is not absolute", service);
			return;
		}
	}

	if ((wait = inetd_wait(imp, svc, l->word[3], lim)) == -1)
		return;

	/* USER[.GROUP] or USER[:GROUP], FreeBSD's "/CLASS" after it. */
	user = l->word[4];
	if ((p = strchr(user, '/')) != NULL) {
		import_note(imp, svc, "login class \"%s\": not carried: "
		    "preforkd does not use login classes", p + 1);
		user = import_strndup(imp, user, (size_t)(p - user));
	}
	if ((p = strchr(user, ':')) != NULL || (p = strchr(user, '.')) !=
	    NULL) {
		group = p + 1;
		user = import_strndup(imp, user, (size_t)(p - user));
	}

	internal = strcmp(l->word[5], "internal") == 0;
	if (internal) {
		if ((svc->handler = import_builtin(service)) == NULL) {
			import_skip(imp, svc, "not carried: internal service "
			    "\"%s\": preforkd's built-ins are echo, discard, "
			    "chargen, daytime and time", service);
			return;
		}
		if (l->n > 6 && strcmp(l->word[6], "internal") != 0)
			import_note(imp, svc, "arguments after \"internal\": "
			    "ignored, as inetd did");
	} else
		import_program(imp, svc, l->word[5], l->word + 6, l->n - 6, 1);
	if (svc->state == IMPORT_SKIP)
		return;
	import_user(imp, svc, user, group, internal);
	if (svc->state == IMPORT_SKIP)
		return;

	/* The addresses: each host of the list, on the service's port. */
	if (strcmp(proto, "unix") == 0) {
		import_listen(imp, svc, service, 0, "unix");
	} else {
		if ((port = import_port(imp, svc, service, proto,
		    "write its port number instead")) == -1)
			return;
		if ((list = strdup(host)) == NULL) {
			imp->nomem = 1;
			return;
		}
		for (tok = strtok_r(list, ",", &save); tok != NULL &&
		    nhosts < INETD_HOSTS_MAX; tok = strtok_r(NULL, ",", &save))
			hosts[nhosts++] = import_strdup(imp, tok);
		free(list);
		if (nhosts == 0)
			hosts[nhosts++] = "*";
		for (i = 0; i < nhosts; i++) {
			if ((h = inetd_host(imp, svc, hosts[i], family)) ==
			    NULL)
				return;
			import_listen(imp, svc, h, port, proto);
		}
	}
	instances = inetd_limits(imp, svc, lim, l->word[3], wait && !internal,
	    dgram);
	import_serve(imp, svc, dgram, wait, instances);
}

/*
 * inetd_commented - for a line that starts with '#': the text of the
 * service it disables and why (update-inetd's "#<off># " or a plain
 * "#"), or NULL when it is a comment, not a service.
 */
static const char *
inetd_commented(const char *line, const char **why)
{
	if (strncmp(line, "#<off>#", 7) == 0) {
		*why = "disabled by update-inetd (\"#<off>#\")";
		line += 7;
	} else {
		if (line[1] == ':')	/* "#:LABEL:" of update-inetd */
			return NULL;
		*why = "disabled: commented out in the file";
	}
	while (*line == '#' || *line == ' ' || *line == '\t')
		line++;
	return line;
}

/* import_inetd - every line of the inetd.conf text, read from file. */
void
import_inetd(struct import *imp, const char *file, const char *text)
{
	struct import_svc *svc;
	struct inetd_line l;
	const char *line, *end, *host = "*", *why = NULL, *body;
	size_t len;
	int lineno = 0;

	import_header(imp, "tcp wrappers: the rules of /etc/hosts.allow and "
	    "/etc/hosts.deny, which inetd applies when started with -l (and "
	    "tcpd to the programs it wraps), are not carried: write them as "
	    "each service's access list.");
	for (line = text; *line != '\0'; line = *end ? end + 1 : end) {
		lineno++;
		end = strchr(line, '\n');
		if (end == NULL)
			end = line + strlen(line);
		len = (size_t)(end - line);
		body = line;
		while (body < end && (*body == ' ' || *body == '\t' ||
		    *body == '\r'))
			body++;
		if (body == end)
			continue;
		why = NULL;
		if (*body == '#' &&
		    (body = inetd_commented(body, &why)) == NULL)
			continue;
		if (inetd_split(imp, body, (size_t)(end - body), &l) == -1)
			return;
		if (why != NULL && !inetd_looks_like_service(&l))
			continue;
		/* "HOST:" alone: the host of the lines after it. */
		if (why == NULL && l.n == 1 &&
		    l.word[0][strlen(l.word[0]) - 1] == ':') {
			host = import_strndup(imp, l.word[0],
			    strlen(l.word[0]) - 1);
			if (*host == '\0')
				host = "*";
			continue;
		}
		svc = import_svc_new(imp, file, lineno,
		    import_strndup(imp, line, len));
		inetd_service(imp, svc, &l, host);
		if (why != NULL && svc->state != IMPORT_SKIP)
			import_off(imp, svc, "%s", why);
		else if (why != NULL)
			import_note(imp, svc, "%s", "it was disabled anyway "
			    "(commented out)");
	}
}
