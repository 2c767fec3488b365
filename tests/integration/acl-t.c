/*
 * acl-t.c - the access rules (access = [ ... ]) in the real preforkd, on
 * loopback, with clients bound to different 127.0.0.x source addresses
 * and ::1: allowed clients are served; denied ones are closed at once (a
 * read gets EOF, not one byte) without reaching the handler (an exec
 * program that would leave a marker file never runs for them); a denied
 * datagram gets no answer; each refusal is counted in the status, written
 * to the access log with end=denied and logged at info at most once a
 * second per source and worker, so a flood of 200 denied connections
 * gives a handful of lines; a service's own list replaces the global one;
 * unix-domain peers are allowed or denied by uid and by primary or
 * supplementary group (clients forked as nobody); -t warns about a list
 * without a final deny, and refuses what cannot apply.
 *
 * Needs root (the unix peers run as nobody, with groups we give them):
 * without it, the test fails.
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
#include <sys/un.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap/basic.h"
#include "../tap/daemon.h"
#include "../tap/net.h"

#define WAIT_MS		30000	/* every bounded wait */
#define FLOOD		200	/* denied connections from one source */
#define NOBODY		65534
#define ADM_GID		4	/* group "adm" (Debian's, and others') */

static char out[65536], err[16384];

/*
 * connect_from - a socket of type from src (port 0) to dst:port,
 * connected, with WAIT_MS receive and send timeouts; -1 on failure.
 */
static int
connect_from(const char *src, const char *dst, int port, int type)
{
	struct sockaddr_storage from, to;
	struct sockaddr_in *f4 = (struct sockaddr_in *)&from;
	struct sockaddr_in *t4 = (struct sockaddr_in *)&to;
	struct sockaddr_in6 *f6 = (struct sockaddr_in6 *)&from;
	struct sockaddr_in6 *t6 = (struct sockaddr_in6 *)&to;
	struct timeval tv = { WAIT_MS / 1000, 0 };
	socklen_t len;
	int fd, family = strchr(dst, ':') != NULL ? AF_INET6 : AF_INET;

	memset(&from, 0, sizeof(from));
	memset(&to, 0, sizeof(to));
	if (family == AF_INET) {
		f4->sin_family = t4->sin_family = AF_INET;
		inet_pton(AF_INET, src, &f4->sin_addr);
		inet_pton(AF_INET, dst, &t4->sin_addr);
		t4->sin_port = htons((uint16_t)port);
		len = sizeof(*t4);
	} else {
		f6->sin6_family = t6->sin6_family = AF_INET6;
		inet_pton(AF_INET6, src, &f6->sin6_addr);
		inet_pton(AF_INET6, dst, &t6->sin6_addr);
		t6->sin6_port = htons((uint16_t)port);
		len = sizeof(*t6);
	}
	if ((fd = socket(family, type | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	/* Bind before connect: the source address is the test's choice. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
	    bind(fd, (struct sockaddr *)&from, len) < 0 ||
	    connect(fd, (struct sockaddr *)&to, len) < 0) {
		diag("connect from %s to %s port %d: %s", src, dst, port,
		    strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* served - a round trip with the echo service at dst:port, from src. */
static int
served(const char *src, const char *dst, int port)
{
	char *msg;
	int fd, r;

	if ((fd = connect_from(src, dst, port, SOCK_STREAM)) < 0)
		return 0;
	msg = tap_strdup_printf("hello from %s\n", src);
	r = pf_echo_fd(fd, msg);
	close(fd);
	free(msg);
	return r;
}

/*
 * closed_fd - whether fd's peer ends the connection before sending one
 * byte, within WAIT_MS (a denied client sends nothing: its FIN is clean).
 */
static int
closed_fd(int fd)
{
	char c;
	ssize_t n;

	do
		n = recv(fd, &c, 1, 0);
	while (n < 0 && errno == EINTR);
	if (n != 0)
		diag("wanted EOF without a byte, got %zd (%s)", n,
		    n < 0 ? strerror(errno) : "a byte");
	return n == 0;
}

/*
 * denied - connect from src to dst:port and wait for the server to close
 * it without a byte; the local port in *cport, for the logs.
 */
static int
denied(const char *src, const char *dst, int port, int *cport)
{
	int fd, r;

	if ((fd = connect_from(src, dst, port, SOCK_STREAM)) < 0)
		return 0;
	if (cport != NULL)
		*cport = pf_local_port(fd);
	r = closed_fd(fd);
	close(fd);
	return r;
}

/* wait_text - wait for path to contain needle n times; the count seen. */
static int
wait_text(const char *path, const char *needle, int n)
{
	long deadline = pf_now_ms() + WAIT_MS;
	char *text;
	int count;

	for (;;) {
		text = pf_file(path);
		count = text != NULL ? pf_count(text, needle) : 0;
		free(text);
		if (count >= n || pf_now_ms() > deadline)
			return count;
		pf_sleep_ms(20);
	}
}

/* status_counter - service's counter name in -s status --json, or -1. */
static long
status_counter(struct pf_daemon *d, const char *service, const char *name)
{
	char *needle, *p;
	long v = -1;

	if (pf_status(d, 1, out, sizeof(out), err, sizeof(err)) != 0)
		return -1;
	needle = tap_strdup_printf("{\"name\":\"%s\"", service);
	p = strstr(out, needle);
	free(needle);
	needle = tap_strdup_printf("\"%s\":", name);
	if (p != NULL && (p = strstr(p, needle)) != NULL)
		v = strtol(p + strlen(needle), NULL, 10);
	free(needle);
	return v;
}

/* wait_counter - wait for the counter to reach want; the last value. */
static long
wait_counter(struct pf_daemon *d, const char *service, const char *name,
    long want)
{
	long deadline = pf_now_ms() + WAIT_MS, v;

	for (;;) {
		v = status_counter(d, service, name);
		if (v >= want || pf_now_ms() > deadline)
			return v;
		pf_sleep_ms(50);
	}
}

/* the daemon of most tests, and its ports */
static const char config[] =
    "access_log = \"@DIR@/access.log\";\n"
    "access = [ \"allow 127.0.0.2\", \"allow 127.0.0.4\", \"allow ::1\",\n"
    "  \"deny all\" ];\n"
    "services = (\n"
    "  { name = \"echo\"; handler = \"echo\"; workers = 1;\n"
    "    listen = [ \"127.0.0.1:0\", \"udp://127.0.0.1:0\", \"[::1]:0\" ]; "
    "},\n"
    "  { name = \"own\"; handler = \"echo\"; workers = 1;\n"
    "    listen = [ \"127.0.0.1:0\", \"[::1]:0\" ];\n"
    "    access = [ \"allow 127.0.0.3\", \"deny all\" ]; },\n"
    "  { name = \"open\"; handler = \"echo\"; workers = 1;\n"
    "    listen = \"127.0.0.1:0\"; access = []; },\n"
    "  { name = \"fallthrough\"; handler = \"echo\"; workers = 1;\n"
    "    listen = \"127.0.0.1:0\"; access = [ \"deny 127.0.0.6\" ]; },\n"
    "  { name = \"prog\"; handler = \"exec\"; workers = 2;\n"
    "    listen = \"127.0.0.1:0\"; access = [ \"allow 127.0.0.2\", "
    "\"deny all\" ];\n"
    "    exec = { argv = [ \"/bin/sh\", \"-c\",\n"
    "      \"touch @DIR@/marks/$TCPREMOTEIP-$TCPREMOTEPORT; echo ran\" ]; "
    "}; },\n"
    "  { name = \"flood\"; handler = \"echo\"; workers = 2;\n"
    "    listen = \"127.0.0.1:0\"; access = [ \"allow 127.0.0.2\", "
    "\"deny all\" ]; },\n"
    "  { name = \"root\"; handler = \"echo\"; workers = 1;\n"
    "    listen = \"unix:@DIR@/root.sock\";\n"
    "    access = [ \"allow uid 0\", \"deny all\" ]; },\n"
    "  { name = \"adm\"; handler = \"echo\"; workers = 1;\n"
    "    listen = \"unix:@DIR@/adm.sock\";\n"
    "    access = [ \"allow group adm\", \"deny all\" ]; }\n"
    ");\n";

static struct pf_daemon *d;
static char *access_log;

/* port - service's port on proto at host, bailing when it is not there. */
static int
port(const char *service, const char *proto, const char *host)
{
	int p = pf_port_host(d, service, proto, host);

	if (p <= 0) {
		pf_show(d);
		bail("no %s port for service %s on %s", proto, service, host);
	}
	return p;
}

/*
 * access_line - the access log's line with needle in it, waiting for it
 * up to WAIT_MS: a copy, or NULL.
 */
static char *
access_line(const char *needle)
{
	char *text, *line = NULL, *start, *nl;

	if (wait_text(access_log, needle, 1) < 1)
		return NULL;
	text = pf_file(access_log);
	if ((start = strstr(text, needle)) != NULL) {
		while (start > text && start[-1] != '\n')
			start--;
		if ((nl = strchr(start, '\n')) != NULL)
			*nl = '\0';
		line = tap_strdup_printf("%s", start);
	}
	free(text);
	return line;
}

/* lines_with - the access log's lines that hold both a and b. */
static int
lines_with(const char *a, const char *b)
{
	char *text = pf_file(access_log), *line, *save = NULL;
	int n = 0;

	for (line = text != NULL ? strtok_r(text, "\n", &save) : NULL;
	    line != NULL; line = strtok_r(NULL, "\n", &save))
		if (strstr(line, a) != NULL && strstr(line, b) != NULL)
			n++;
	free(text);
	return n;
}

/* denied_logged - whether src:cport's line to service says end=denied. */
static int
denied_logged(const char *service, const char *src, int cport)
{
	char *needle, *line;
	int r;

	needle = tap_strdup_printf("service=%s proto=tcp local=127.0.0.1:%d "
	    "remote=%s:%d ", service, port(service, "tcp", "127.0.0.1"), src,
	    cport);
	line = access_line(needle);
	r = line != NULL && strstr(line, " in=0 out=0 ") != NULL &&
	    strstr(line, " end=denied") != NULL;
	if (!r)
		diag("access log line: %s", line != NULL ? line : "(none)");
	free(line);
	free(needle);
	return r;
}

/*
 * allow_deny - on service's tcp 127.0.0.1 listener, ok_src is served and
 * bad_src closed without a byte, with its access-log line (end=denied)
 * and its error-log line naming rule.
 */
static void
allow_deny(const char *service, const char *ok_src, const char *bad_src,
    const char *rule)
{
	int p = port(service, "tcp", "127.0.0.1"), cport = -1;
	char *needle;

	ok(served(ok_src, "127.0.0.1", p), "%s: %s is served", service,
	    ok_src);
	ok(denied(bad_src, "127.0.0.1", p, &cport), "%s: %s is closed "
	    "without a byte", service, bad_src);
	ok(denied_logged(service, bad_src, cport), "%s: %s's access log line "
	    "has in=0 out=0 end=denied", service, bad_src);
	needle = tap_strdup_printf("service %s: tcp 127.0.0.1:%d <- %s:%d "
	    "refused: denied by %s", service, p, bad_src, cport, rule);
	ok(pf_log_wait(d, needle, WAIT_MS), "error log: %s", needle);
	free(needle);
}

/* test_tcp - allowed and denied by address, global list and own lists. */
static void
test_tcp(void)
{
	int echo = port("echo", "tcp", "127.0.0.1");
	int open = port("open", "tcp", "127.0.0.1");
	int fall = port("fallthrough", "tcp", "127.0.0.1");
	int echo6 = port("echo", "tcp", "::1");
	int own6 = port("own", "tcp", "::1");
	int cport = -1;
	char *needle;

	allow_deny("echo", "127.0.0.2", "127.0.0.3",
	    "the global access rule 4 \"deny all\"");
	ok(served("127.0.0.4", "127.0.0.1", echo),
	    "echo: 127.0.0.4 is served too");
	/* A service's own list replaces the global one. */
	allow_deny("own", "127.0.0.3", "127.0.0.2",
	    "access rule 2 \"deny all\"");
	ok(served("127.0.0.3", "127.0.0.1", open) &&
	    served("127.0.0.5", "127.0.0.1", open),
	    "access = []: no rules, the global list does not apply either");

	/* No rule matches: allowed. */
	ok(served("127.0.0.7", "127.0.0.1", fall),
	    "no final deny: 127.0.0.7, which no rule matches, is served");
	ok(denied("127.0.0.6", "127.0.0.1", fall, NULL),
	    "no final deny: 127.0.0.6 is denied by its rule");

	/* IPv6. */
	ok(served("::1", "::1", echo6), "echo: ::1 is served (allow ::1)");
	ok(denied("::1", "::1", own6, &cport),
	    "own list: ::1 is closed (deny all)");
	needle = tap_strdup_printf("service own: tcp [::1]:%d <- [::1]:%d "
	    "refused: denied by access rule 2 \"deny all\"", own6, cport);
	ok(pf_log_wait(d, needle, WAIT_MS), "error log: %s", needle);
	free(needle);
}

/* test_exec - a denied client never reaches the exec'd program. */
static void
test_exec(void)
{
	int prog = port("prog", "tcp", "127.0.0.1");
	char buf[64], *marks, *mark;
	int fd, cport = -1, i, n, allowed_port;
	struct dirent *de;
	DIR *dir;

	marks = pf_path(d, "marks");
	for (i = 0; i < 3; i++) {
		ok(denied("127.0.0.3", "127.0.0.1", prog, &cport),
		    "exec: 127.0.0.3 is closed without a byte (%d)", i + 1);
		ok(denied_logged("prog", "127.0.0.3", cport),
		    "exec: its access log line says end=denied (%d)", i + 1);
	}
	/* The program does run for an allowed client, and leaves its mark. */
	fd = connect_from("127.0.0.2", "127.0.0.1", prog, SOCK_STREAM);
	allowed_port = fd >= 0 ? pf_local_port(fd) : -1;
	n = fd >= 0 ? (int)pf_read_all(fd, buf, sizeof(buf) - 1, WAIT_MS) : -1;
	if (fd >= 0)
		close(fd);
	ok(n == 4 && memcmp(buf, "ran\n", 4) == 0,
	    "exec: 127.0.0.2 is served by the program");
	mark = tap_strdup_printf("%s/127.0.0.2-%d", marks, allowed_port);
	ok(access(mark, F_OK) == 0, "exec: the program left its mark for "
	    "127.0.0.2");
	free(mark);
	/* Every denied line is written before the allowed one was served. */
	n = 0;
	if ((dir = opendir(marks)) != NULL) {
		while ((de = readdir(dir)) != NULL)
			if (strncmp(de->d_name, "127.0.0.3-", 10) == 0)
				n++;
		closedir(dir);
	}
	is_int(0, n, "exec: no mark of 127.0.0.3: the program never ran for "
	    "a denied client");
	free(marks);
}

/* test_udp - a denied datagram gets no answer, and is counted. */
static void
test_udp(void)
{
	int echo = port("echo", "udp", "127.0.0.1");
	char buf[64], *needle, *line;
	long before;
	ssize_t n;
	int bad, good;

	before = status_counter(d, "echo", "denied");
	ok(before >= 0, "status --json: echo's denied count is there (%ld)",
	    before);
	bad = connect_from("127.0.0.3", "127.0.0.1", echo, SOCK_DGRAM);
	good = connect_from("127.0.0.2", "127.0.0.1", echo, SOCK_DGRAM);
	if (bad < 0 || good < 0)
		bail("udp sockets");
	ok(send(bad, "denied?\n", 8, 0) == 8, "udp: 127.0.0.3 sends");
	/* One worker, one socket: the second datagram is read after it. */
	ok(send(good, "allowed\n", 8, 0) == 8, "udp: 127.0.0.2 sends");
	n = recv(good, buf, sizeof(buf), 0);
	ok(n == 8 && memcmp(buf, "allowed\n", 8) == 0,
	    "udp: 127.0.0.2, sent later, is answered");
	n = recv(bad, buf, sizeof(buf), MSG_DONTWAIT);
	ok(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK),
	    "udp: 127.0.0.3, sent first, got no answer");
	is_int(before + 1, wait_counter(d, "echo", "denied", before + 1),
	    "status --json: echo's denied count went up by one");
	needle = tap_strdup_printf("service=echo proto=udp local=127.0.0.1:%d "
	    "remote=127.0.0.3:%d ", echo, pf_local_port(bad));
	line = access_line(needle);
	ok(line != NULL && strstr(line, " in=0 out=0 ") != NULL &&
	    strstr(line, " end=denied") != NULL,
	    "access log: the denied datagram has in=0 out=0 end=denied");
	free(line);
	free(needle);
	close(bad);
	close(good);
}

/*
 * test_flood - 200 denied connections from one source: each closed at
 * once and counted, and a bounded number of log lines for all of them.
 */
static void
test_flood(void)
{
	int flood = port("flood", "tcp", "127.0.0.1"), i, closed = 0, lines;
	long start, elapsed, count, bound;
	char *needle;

	start = pf_now_ms();
	for (i = 0; i < FLOOD; i++) {
		if (!denied("127.0.0.5", "127.0.0.1", flood, NULL))
			break;	/* each would wait WAIT_MS */
		closed++;
	}
	is_int(FLOOD, closed, "flood: all %d connections from 127.0.0.5 were "
	    "closed without a byte", FLOOD);
	count = wait_counter(d, "flood", "denied", FLOOD);
	elapsed = pf_now_ms() - start;
	is_int(FLOOD, count, "flood: status --json counts %d denied", FLOOD);
	ok(served("127.0.0.2", "127.0.0.1", flood),
	    "flood: 127.0.0.2 is still served");
	needle = tap_strdup_printf("service flood: tcp 127.0.0.1:%d <- "
	    "127.0.0.5:", flood);
	lines = pf_log_count(d, needle);
	/* Each of the 2 workers: at most a line a second for the source. */
	bound = 2 * (elapsed / 1000 + 2);
	ok(lines >= 1 && lines <= bound, "flood: %d error log lines for %d "
	    "refusals in %ld ms (at least 1, at most %ld)", lines, FLOOD,
	    elapsed, bound);
	free(needle);
	needle = tap_strdup_printf("service=flood proto=tcp "
	    "local=127.0.0.1:%d remote=127.0.0.5:", flood);
	is_int(FLOOD, wait_text(access_log, needle, FLOOD),
	    "flood: one access log line each");
	free(needle);
}

/*
 * unix_client - in a child running as uid with primary group gid and the
 * supplementary groups (n of them), connect to path: exit 0 when served
 * (it writes, then reads its echo), 1 when closed without a byte (it
 * writes nothing), 2 otherwise.  want_served picks which it tries.
 */
static int
unix_client(const char *path, uid_t uid, gid_t gid, const gid_t *groups,
    size_t n, int want_served)
{
	struct sockaddr_un sun;
	struct timeval tv = { WAIT_MS / 1000, 0 };
	long deadline;
	pid_t pid, w;
	int fd, st;

	fflush(stdout);
	if ((pid = fork()) < 0)
		sysbail("fork");
	if (pid == 0) {
		if (setgroups(n, groups) < 0 || setgid(gid) < 0 ||
		    setuid(uid) < 0)
			_exit(3);
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
		if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0 ||
		    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) <
		    0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
			_exit(4);
		if (want_served)
			_exit(pf_echo_fd(fd, "unix peer\n") ? 0 : 2);
		_exit(closed_fd(fd) ? 1 : 2);
	}
	deadline = pf_now_ms() + WAIT_MS + 5000;
	while ((w = waitpid(pid, &st, WNOHANG)) == 0 &&
	    pf_now_ms() < deadline)
		pf_sleep_ms(10);
	if (w != pid) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		return -1;
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* test_unix - unix peers by uid, by primary and supplementary group. */
static void
test_unix(void)
{
	static const gid_t adm[] = { ADM_GID }, other[] = { 100 };
	char *root = pf_path(d, "root.sock"), *admsock = pf_path(d, "adm.sock");
	struct group *gr = getgrnam("adm");
	char *needle;
	long before;

	if (gr == NULL || gr->gr_gid != ADM_GID)
		bail("this test wants group adm as gid %d", ADM_GID);
	before = status_counter(d, "root", "denied");
	is_int(0, unix_client(root, 0, 0, NULL, 0, 1),
	    "allow uid 0: a root peer is served");
	is_int(1, unix_client(root, NOBODY, NOBODY, NULL, 0, 0),
	    "allow uid 0, deny all: a peer running as nobody is closed "
	    "without a byte");
	is_int(before + 1, wait_counter(d, "root", "denied", before + 1),
	    "status: the unix refusal is counted");
	needle = tap_strdup_printf("service root: unix %s <- (unnamed) "
	    "refused: denied by access rule 2 \"deny all\" (peer uid 65534 "
	    "gid 65534)", root);
	ok(pf_log_wait(d, needle, WAIT_MS), "error log: %s", needle);
	free(needle);
	ok(wait_text(access_log, "service=root proto=unix", 2) == 2 &&
	    lines_with("service=root proto=unix", " end=closed") == 1 &&
	    lines_with("service=root proto=unix", " in=0 out=0 "
	    "duration=") == 1 && lines_with("service=root proto=unix",
	    " end=denied") == 1, "access log: root's peer served, nobody "
	    "end=denied");

	is_int(1, unix_client(admsock, NOBODY, NOBODY, other, 1, 0),
	    "allow group adm: nobody, not in adm, is denied");
	is_int(0, unix_client(admsock, NOBODY, NOBODY, adm, 1, 1),
	    "allow group adm: nobody with adm as a supplementary group is "
	    "served (SO_PEERGROUPS)");
	is_int(0, unix_client(admsock, NOBODY, ADM_GID, NULL, 0, 1),
	    "allow group adm: nobody with adm as primary group is served");
	ok(wait_text(access_log, "service=adm proto=unix", 3) == 3 &&
	    lines_with("service=adm proto=unix", " end=denied") == 1 &&
	    lines_with("service=adm proto=unix", " end=closed") == 2,
	    "access log: adm's one denied peer, two served");
	free(root);
	free(admsock);
}

/* check - preforkd -t on text: its exit code, stdout and stderr. */
static int
check(const char *text, const char *what)
{
	struct pf_daemon *t;
	const char *args[] = { "-t", "-c", NULL, NULL };
	int st = -1;

	t = pf_prepare(text);
	args[2] = t->conf;
	out[0] = err[0] = '\0';
	if (pf_run2(args, &st, out, sizeof(out), err, sizeof(err)) < 0)
		bail("%s: cannot run preforkd -t", what);
	return pf_exit_code(st);
}

/* test_check - what -t says about access lists. */
static void
test_check(void)
{
	is_int(0, check("services = ( { name = \"e\"; handler = \"echo\";\n"
	    "  listen = \"127.0.0.1:0\"; access = [ \"deny 127.0.0.6\" ]; "
	    "} );\n", "no final deny"), "-t: a list without a final deny "
	    "is valid");
	like(err, "warning: ", "-t: ... with a warning");
	like(err, ":2: services.[0].access: the last rule is not \"deny all\": "
	    "a client that no rule matches is allowed", "-t: %s", err);
	like(out, ": configuration OK", "-t: and the configuration is OK");

	is_int(78, check("services = ( { name = \"e\"; handler = \"echo\";\n"
	    "  listen = \"127.0.0.1:0\";\n"
	    "  access = [ \"allow 10.0.0.1/8\", \"deny all\" ]; } );\n",
	    "host bits"), "-t: host bits set past the prefix: exit 78");
	like(err, ":3: services.[0].access.[0]: \"allow 10.0.0.1/8\": "
	    "10.0.0.1/8 has bits set past its /8 prefix: write the network, "
	    "10.0.0.0/8", "-t: %s", err);

	is_int(78, check("services = ( { name = \"e\"; handler = \"echo\";\n"
	    "  listen = \"127.0.0.1:0\";\n"
	    "  access = [ \"allow uid 0\", \"deny all\" ]; } );\n",
	    "uid on tcp"), "-t: a uid rule on a tcp-only service: exit 78");
	like(err, ":3: services.[0].access.[0]: \"allow uid 0\" matches a unix "
	    "peer's credentials, and services.[0] has no unix: listen address",
	    "-t: %s", err);

	is_int(78, check("services = ( { name = \"e\"; handler = \"echo\";\n"
	    "  listen = \"unix:@DIR@/e.sock\";\n"
	    "  access = [ \"allow user no-such-user-acl-t\", \"deny all\" ]; "
	    "} );\n", "unknown user"), "-t: an unknown user: exit 78");
	like(err, ":3: services.[0].access.[0]: \"allow user "
	    "no-such-user-acl-t\": no such user \"no-such-user-acl-t\"",
	    "-t: %s", err);
}

int
main(void)
{
	char *marks, *warning;

	plan_lazy();
	if (geteuid() != 0)
		bail("needs root: unix peers must run as nobody, with groups "
		    "the test gives them");
	if (!pf_ipv6_works())
		bail("needs ::1 on the loopback interface");

	d = pf_prepare(config);
	marks = pf_path(d, "marks");
	access_log = pf_path(d, "access.log");
	if (mkdir(marks, 0755) < 0 || chown(marks, NOBODY, NOBODY) < 0)
		sysbail("mkdir %s", marks);
	free(marks);
	pf_launch(d, NULL);
	if (pf_wait_ready(d, WAIT_MS) < 0) {
		pf_show(d);
		bail("preforkd did not start");
	}
	warning = tap_strdup_printf("warning: %s:13: services.[3].access: "
	    "the last rule is not \"deny all\"", d->conf);
	ok(pf_log_wait(d, warning, WAIT_MS), "start: the error log has "
	    "the warning about fallthrough's list");
	free(warning);

	test_tcp();
	test_exec();
	test_udp();
	test_flood();
	test_unix();
	if (tap_failures() > 0)
		pf_show_tail(d, 60);
	ok(pf_exited_zero(pf_stop(d)), "TERM: the master exits 0");
	test_check();
	free(access_log);
	return 0;
}
