/*
 * inject-t.c - a unix-domain client chooses the path its own socket is
 * bound to, and so the text that every log and report shows as its
 * address.  Here an unprivileged user (nobody) binds its client socket to
 * a path holding a newline, "time=2026 service=FAKE" (a forged access-log
 * line) and ESC [2J (clear the screen of whoever runs -s status), and a
 * second client uses Linux's abstract namespace the same way.  The access
 * log must get exactly one line per connection, with the path escaped and
 * quoted; "-s status" must show the busy worker's client escaped, with no
 * ESC byte and no line break in it; the JSON status must stay valid; the
 * error log must be escaped as well.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <pwd.h>
#include <regex.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap/basic.h"
#include "../tap/daemon.h"
#include "../tap/json.h"
#include "../tap/net.h"

/* What the attacker puts after its directory: a second "line" and ESC. */
#define HOSTILE_NAME	"x\ntime=2026 service=FAKE\x1b[2J"
#define HOSTILE_ESCAPED	"x\\ntime=2026 service=FAKE\\x1b[2J"

static char attack_dir[] = "/tmp/preforkd-inject-XXXXXX";
static char *client_dir, *client_path;

/* cleanup - the attacker's socket file and directories (exit handler). */
static void
cleanup(void)
{
	if (client_path != NULL)
		unlink(client_path);
	if (client_dir != NULL)
		rmdir(client_dir);
	rmdir(attack_dir);
}

/*
 * hostile_client - a unix socket bound (as uid:gid, an ordinary user) to
 * the address sa, then connected (as ourselves) to the service at path.
 */
static int
hostile_client(const struct sockaddr_un *sa, socklen_t salen, uid_t uid,
    gid_t gid, const char *path)
{
	struct sockaddr_un to;
	int fd;

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		sysbail("socket");
	if (setegid(gid) < 0 || seteuid(uid) < 0)
		sysbail("seteuid %ld", (long)uid);
	if (bind(fd, (const struct sockaddr *)sa, salen) < 0) {
		diag("bind the client as uid %ld: %s", (long)uid,
		    strerror(errno));
		close(fd);
		fd = -1;
	}
	if (seteuid(0) < 0 || setegid(0) < 0)
		sysbail("seteuid 0");
	if (fd < 0)
		return -1;
	memset(&to, 0, sizeof(to));
	to.sun_family = AF_UNIX;
	snprintf(to.sun_path, sizeof(to.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0) {
		diag("connect %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* line_with - a copy of the line of text holding needle, or NULL. */
static char *
line_with(const char *text, const char *needle)
{
	const char *p, *start, *end;

	if ((p = strstr(text, needle)) == NULL)
		return NULL;
	for (start = p; start > text && start[-1] != '\n'; start--)
		;
	if ((end = strchr(p, '\n')) == NULL)
		end = p + strlen(p);
	return strndup(start, (size_t)(end - start));
}

/* no_raw - text has none of the bytes that an escape would have turned. */
static int
no_raw(const char *text, const char *what)
{
	const unsigned char *p;

	for (p = (const unsigned char *)text; *p != '\0'; p++)
		if ((*p < 0x20 && *p != '\n') || *p >= 0x7f) {
			diag("%s: raw byte 0x%02x at offset %ld", what, *p,
			    (long)(p - (const unsigned char *)text));
			return 0;
		}
	return 1;
}

/*
 * access_lines_ok - every line of the access log is one whole logfmt line
 * of the echo service over unix, and none begins with a forged field.
 */
static int
access_lines_ok(const char *text)
{
	static const char re_text[] = "^time=[0-9]{4}-[01][0-9]-[0-3][0-9]T"
	    "[0-2][0-9]:[0-5][0-9]:[0-6][0-9]\\.[0-9]{3}[+-][0-2][0-9]:"
	    "[0-5][0-9] service=echo proto=unix local=[^ ]+ "
	    "remote=(\"([^\"\\\\]|\\\\.)*\"|[^ \"]+) pid=[0-9]+ in=6 out=6 "
	    "duration=[0-9]+\\.[0-9]{3} end=closed$";
	const char *p, *end;
	regex_t re;
	char *line;
	int good = 1;

	if (regcomp(&re, re_text, REG_EXTENDED) != 0)
		bail("regcomp");
	for (p = text; *p != '\0'; p = end + 1) {
		if ((end = strchr(p, '\n')) == NULL) {
			diag("access log: an unfinished line: %s", p);
			good = 0;
			break;
		}
		line = strndup(p, (size_t)(end - p));
		if (regexec(&re, line, 0, NULL, 0) != 0) {
			diag("access log: not a whole line of ours: %s", line);
			good = 0;
		}
		free(line);
	}
	regfree(&re);
	return good;
}

/* wait_count - poll until path holds n newlines: how many it holds. */
static int
wait_count(const char *path, int n, int timeout_ms)
{
	long deadline = pf_now_ms() + timeout_ms;
	char *text;
	int got;

	for (;;) {
		text = pf_file(path);
		got = pf_count(text, "\n");
		free(text);
		if (got >= n || pf_now_ms() >= deadline)
			return got;
		pf_sleep_ms(10);
	}
}

/* wait_text - poll until path holds needle in a finished line: 1, or 0. */
static int
wait_text(const char *path, const char *needle, int timeout_ms)
{
	long deadline = pf_now_ms() + timeout_ms;
	char *text, *p;
	int found;

	for (;;) {
		text = pf_file(path);
		p = strstr(text, needle);
		found = p != NULL && strchr(p, '\n') != NULL;
		free(text);
		if (found || pf_now_ms() >= deadline)
			return found;
		pf_sleep_ms(10);
	}
}

int
main(void)
{
	static char out[65536], err[4096];
	struct sockaddr_un sa;
	struct passwd *pw;
	struct pf_daemon *d;
	char *echo, *access_log, *needle, *line, *text, *abstract;
	const char *where;
	socklen_t salen;
	int fd;

	plan_lazy();
	if (geteuid() != 0)
		bail("this test must run as root: it binds a client as nobody "
		    "and runs the workers as nobody");
	if ((pw = getpwnam("nobody")) == NULL)
		bail("no user nobody");

	/* The attacker's own directory: nobody's, in a 0755 one of ours. */
	if (mkdtemp(attack_dir) == NULL)
		sysbail("mkdtemp");
	atexit(cleanup);
	if (chmod(attack_dir, 0755) < 0)
		sysbail("chmod %s", attack_dir);
	client_dir = tap_strdup_printf("%s/c", attack_dir);
	if (mkdir(client_dir, 0755) < 0 ||
	    chown(client_dir, pw->pw_uid, pw->pw_gid) < 0)
		sysbail("mkdir %s", client_dir);
	client_path = tap_strdup_printf("%s/%s", client_dir, HOSTILE_NAME);

	d = pf_prepare(
	    "user = \"nobody\";\n"
	    "log_level = \"debug\";\n"
	    "access_log = \"@DIR@/access.log\";\n"
	    "services = ( { name = \"echo\"; handler = \"echo\"; workers = 1;\n"
	    "  listen = \"unix:@DIR@/echo.sock\"; } );\n");
	pf_launch(d, NULL);
	if (pf_wait_ready(d, 10000) < 0) {
		pf_show(d);
		bail("preforkd did not start");
	}
	is_int(1, pf_wait_workers(d, 1, 5000), "one worker");
	echo = pf_path(d, "echo.sock");
	access_log = pf_path(d, "access.log");

	/* 1. A client bound to the hostile path, served and held open. */
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(client_path) >= sizeof(sa.sun_path))
		bail("client path too long: %s", client_path);
	memcpy(sa.sun_path, client_path, strlen(client_path) + 1);
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    strlen(client_path) + 1);
	fd = hostile_client(&sa, salen, pw->pw_uid, pw->pw_gid, echo);
	ok(fd >= 0, "nobody binds a client to a path with a newline, "
	    "\"time=2026 service=FAKE\" and ESC [2J, and connects");
	ok(fd >= 0 && pf_echo_fd(fd, "hello\n"), "it is served (echo)");

	/* While it is connected, its worker is busy with it. */
	is_int(0, pf_status(d, 0, out, sizeof(out), err, sizeof(err)),
	    "-s status exits 0");
	ok(memchr(out, 0x1b, strlen(out)) == NULL, "status: no ESC byte");
	ok(no_raw(out, "status"), "status: no control or non-ASCII byte "
	    "but line ends");
	needle = tap_strdup_printf(" <- %s/" HOSTILE_ESCAPED " for ",
	    client_dir);
	line = line_with(out, needle);
	ok(line != NULL && strncmp(line, "  worker ", 9) == 0 &&
	    strstr(line, " busy ") != NULL, "status: the busy worker's line "
	    "holds the whole client address, escaped: %s",
	    line != NULL ? line : "(none)");
	if (line == NULL)
		diag("status:\n%s", out);
	is_int(1, pf_count(out, "service=FAKE"), "status: \"service=FAKE\" "
	    "only there, inside the address");
	ok(strstr(out, "\ntime=2026 ") == NULL, "status: no line begins with "
	    "the forged text");
	free(line);
	free(needle);

	is_int(0, pf_status(d, 1, out, sizeof(out), err, sizeof(err)),
	    "-s status --json exits 0");
	ok(pf_json_valid(out, &where), "status --json: valid JSON");
	if (!pf_json_valid(out, &where))
		diag("invalid JSON at offset %ld: %.40s", (long)(where - out),
		    where);
	ok(no_raw(out, "status --json"), "status --json: no control or "
	    "non-ASCII byte");
	/* The same escaped text, its backslashes escaped again for JSON. */
	needle = tap_strdup_printf("\"remote\":\"%s/x\\\\ntime=2026 "
	    "service=FAKE\\\\x1b[2J\"", client_dir);
	like(out, needle, "status --json: the client is %s", needle);
	free(needle);
	like(out, "\"state\":\"busy\"", "status --json: the worker is busy");

	close(fd);
	is_int(1, wait_count(access_log, 1, 5000), "access log: one line for "
	    "the connection");

	/* 2. The same from Linux's abstract namespace. */
	abstract = tap_strdup_printf("preforkd-inject-%ld\n\x1b]0;pwned\x07",
	    (long)getpid());
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path + 1, abstract, strlen(abstract));
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
	    strlen(abstract));
	fd = hostile_client(&sa, salen, pw->pw_uid, pw->pw_gid, echo);
	ok(fd >= 0 && pf_echo_fd(fd, "again\n"), "an abstract client named "
	    "with a newline and an OSC sequence is served");
	if (fd >= 0)
		close(fd);

	/* Its line is the later event: the first connection is all done. */
	needle = tap_strdup_printf("@preforkd-inject-%ld", (long)getpid());
	ok(wait_text(access_log, needle, 5000), "access log: a line for the "
	    "abstract client");
	free(needle);
	text = pf_file(access_log);
	is_int(2, pf_count(text, "\n"), "access log: exactly two lines for "
	    "two connections");
	ok(text != NULL && access_lines_ok(text), "access log: each line is "
	    "one whole line of ours (service=echo proto=unix ... end=closed)");
	ok(text != NULL && no_raw(text, "access log"), "access log: no "
	    "control or non-ASCII byte but line ends");
	ok(text != NULL && strncmp(text, "time=2026 ", 10) != 0 &&
	    strstr(text, "\ntime=2026 ") == NULL &&
	    strstr(text, "\nservice=FAKE") == NULL,
	    "access log: no line begins with the forged fields");
	needle = tap_strdup_printf(" remote=\"%s/" HOSTILE_ESCAPED "\" pid=",
	    client_dir);
	ok(text != NULL && strstr(text, needle) != NULL, "access log: the "
	    "path, escaped and quoted: %s", needle);
	free(needle);
	needle = tap_strdup_printf(" remote=\"@preforkd-inject-%ld\\n"
	    "\\x1b]0;pwned\\x07\" pid=", (long)getpid());
	ok(text != NULL && strstr(text, needle) != NULL, "access log: the "
	    "abstract name, escaped and quoted: %s", needle);
	if (text != NULL)
		diag("access log:\n%s", text);
	free(needle);
	free(text);

	/* The error log (debug: a line per connection) is escaped too. */
	needle = tap_strdup_printf("served unix %s <- %s/" HOSTILE_ESCAPED
	    ", 6 bytes in", echo, client_dir);
	ok(pf_log_wait(d, needle, 5000), "error log: %s", needle);
	free(needle);
	text = pf_log(d);
	ok(text != NULL && no_raw(text, "error log"), "error log: no control "
	    "or non-ASCII byte but line ends");
	ok(text != NULL && strstr(text, "\ntime=2026 ") == NULL,
	    "error log: no line begins with the forged text");
	free(text);

	ok(pf_exited_zero(pf_stop(d)), "TERM: the master exits 0");
	free(echo);
	free(access_log);
	free(abstract);
	return 0;
}
