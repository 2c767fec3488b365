/*
 * module-t.c - handler = "module" in the real preforkd: the example
 * whoami module over TCP and UDP; -t refusing a module built for another
 * major ABI, for a newer minor, or with a descriptor too small, a shared
 * object that is no module, a missing file, and bad or unknown settings,
 * each with file and line; a module built against the frozen ABI 2.0
 * header serving in this 2.1 daemon; the process group a module reports
 * (report_group, since 2.1) killed with its hung worker; and a module
 * that crashes in serve_stream costing only its worker.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap/basic.h"
#include "../tap/daemon.h"
#include "../tap/net.h"

static char out[16384], err[16384];
static const char *top;

/* check - preforkd -t on a one-service config; 1 when want is in stderr. */
static void
check(const char *module, const char *want, const char *what)
{
	struct pf_daemon *d;
	char *text, *w;
	int st = -1;

	text = tap_strdup_printf("services = ( { name = \"m\";\n"
	    "  listen = \"127.0.0.1:0\"; handler = \"module\";\n"
	    "  module = %s; } );\n", module);
	d = pf_prepare(text);
	free(text);
	pf_run2((const char *[]){ "-t", "-c", d->conf, NULL }, &st, out,
	    sizeof(out), err, sizeof(err));
	is_int(78, WIFEXITED(st) ? WEXITSTATUS(st) : -1, "%s: -t exits 78",
	    what);
	w = tap_strdup_printf("%s:%s", d->conf, want);
	like(err, w, "%s: -t names file and line", what);
	free(w);
}

static void
test_check(void)
{
	/* Descriptors module.c refuses, and the start of what -t says. */
	static const struct {
		const char	*so, *says, *what;
	} abi[] = {
		{ "badabi.so", " was built for module ABI 3.0, this preforkd "
		    "speaks 2.2: another major version",
		    "a module for another major ABI" },
		{ "newminor.so", " was built for module ABI 2.99, this preforkd "
		    "speaks 2.2: the module may need what this preforkd lacks",
		    "a module for a newer minor" },
		{ "badsize.so", ": its module descriptor says it is 16 bytes, "
		    "less than the ", "a descriptor too small for its version" },
	};
	char *m, *w;
	size_t i;

	for (i = 0; i < sizeof(abi) / sizeof(abi[0]); i++) {
		m = tap_strdup_printf("{ path = \"%s/tests/modules/%s\" }",
		    top, abi[i].so);
		w = tap_strdup_printf("3: services.[0].module.path: \"%s/tests/"
		    "modules/%s\"%s", top, abi[i].so, abi[i].says);
		check(m, w, abi[i].what);
		free(m);
		free(w);
	}

	m = tap_strdup_printf("{ path = \"%s/tests/modules/nosym.so\" }", top);
	check(m, "3: services.[0].module.path: ", "no descriptor");
	like(err, "nosym.so\" is not a preforkd module: it defines no "
	    "\"preforkd_module\"", "no descriptor: says so");
	free(m);

	check("{ path = \"/nonexistent/x.so\" }", "3: services.[0].module."
	    "path: cannot load \"/nonexistent/x.so\": No such file or "
	    "directory", "a missing file");
	check("{ settings = { } }", "3: services.[0].module: missing required "
	    "setting \"path\"", "no path");

	m = tap_strdup_printf("{ path = \"%s/tests/modules/testmod.so\";\n"
	    "  settings = { word = \"w\";\n  limit = 11; loud = 1;\n"
	    "  tags = ( \"a\", 2 ); } }", top);
	check(m, "5: services.[0].module.settings.limit: must be between 1 "
	    "and 10 (got 11)", "a setting out of range");
	like(err, ":5: services.[0].module.settings.loud: must be true or "
	    "false (got an integer)", "a setting of the wrong type");
	like(err, ":6: services.[0].module.settings.tags.[1]: must be a "
	    "string (got an integer)", "a list element of the wrong type");
	free(m);

	m = tap_strdup_printf("{ path = \"%s/tests/modules/testmod.so\";\n"
	    "  settings = {\n  limit = 2; } }", top);
	check(m, "4: services.[0].module.settings.word: must be set: the "
	    "prefix of every answer", "a missing setting, by the module");
	free(m);

	m = tap_strdup_printf("{ path = \"%s/tests/modules/testmod.so\";\n"
	    "  settings = { word = \"w\";\n  wrod = 2; } }", top);
	check(m, "5: services.[0].module.settings.wrod: unknown setting for "
	    "module testmod (did you mean \"word\"?)", "an unknown setting");
	free(m);

	m = tap_strdup_printf("{ path = \"%s/examples/whoami.so\";\n"
	    "  settings = {\n  format = \"xml\"; } }", top);
	check(m, "5: services.[0].module.settings.format: must be \"text\" or "
	    "\"json\" (got \"xml\")", "whoami: a bad format");
	free(m);

	m = tap_strdup_printf("{ path = \"%s/examples/whoami.so\";\n"
	    "  pth = 1; }", top);
	check(m, "4: services.[0].module.pth: unknown setting (did you mean "
	    "\"path\"?)", "an unknown module setting");
	free(m);
}

/*
 * ask - connect to port over TCP, send what and end our side, and read
 * the answer to its end into buf (NUL-terminated): its length, or -1.
 * *from is the client's port.
 */
static ssize_t
ask(int port, const char *what, char *buf, size_t len, int *from)
{
	ssize_t n = -1;
	int fd;

	buf[0] = '\0';
	*from = -1;
	if ((fd = pf_tcp_connect("127.0.0.1", port)) < 0)
		return -1;
	*from = pf_local_port(fd);
	if (pf_write_all(fd, what, strlen(what)) == 0 &&
	    shutdown(fd, SHUT_WR) == 0)
		n = pf_read_all(fd, buf, len - 1, 3000);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	return n;
}

/*
 * start_module - preforkd with the global settings globals and one
 * service, name, of one worker serving module so (under the build tree)
 * with settings, and more settings of the service in extra.
 */
static struct pf_daemon *
start_module(const char *globals, const char *name, const char *so,
    const char *settings, const char *extra)
{
	struct pf_daemon *d;
	char *text;

	text = tap_strdup_printf("%s\n"
	    "services = ( { name = \"%s\"; workers = 1; handler = \"module\";\n"
	    "   listen = \"127.0.0.1:0\"; %s\n"
	    "   module = { path = \"%s/tests/modules/%s\";\n"
	    "   settings = { %s }; }; } );\n", globals, name, extra, top, so,
	    settings);
	d = pf_start(text);
	free(text);
	return d;
}

static void
test_whoami(void)
{
	struct pf_daemon *d;
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	char buf[1024], *text, *want;
	int port, uport, fd, json, from;
	ssize_t n;

	text = tap_strdup_printf(
	    "services = (\n"
	    " { name = \"who\"; workers = 2; handler = \"module\";\n"
	    "   listen = [ \"127.0.0.1:0\", \"udp://127.0.0.1:0\" ];\n"
	    "   module = { path = \"%s/examples/whoami.so\";\n"
	    "              settings = { greeting = \"hello\"; }; }; },\n"
	    " { name = \"whojson\"; workers = 1; handler = \"module\";\n"
	    "   listen = \"127.0.0.1:0\";\n"
	    "   module = { path = \"%s/examples/whoami.so\";\n"
	    "              settings = { format = \"json\"; }; }; }\n"
	    ");\n", top, top);
	d = pf_start(text);
	free(text);
	port = pf_port(d, "who", "tcp");
	uport = pf_port(d, "who", "udp");
	json = pf_port(d, "whojson", "tcp");

	ok(ask(port, "", buf, sizeof(buf), &from) > 0,
	    "connect to whoami over tcp");
	like(buf, "hello\nproto tcp\n", "tcp: the greeting, then proto tcp");
	want = tap_strdup_printf("\nremote 127.0.0.1:%d\n", from);
	like(buf, want, "tcp: the client's own address and port");
	free(want);
	want = tap_strdup_printf("\nlocal 127.0.0.1:%d\n", port);
	like(buf, want, "tcp: the address the client reached");
	free(want);

	fd = pf_udp_socket("127.0.0.1", uport);
	len = sizeof(sin);
	getsockname(fd, (struct sockaddr *)&sin, &len);
	if (fd >= 0)
		close(fd);
	n = pf_udp_request("127.0.0.1", uport, "?", 1, buf, sizeof(buf) - 1,
	    3000);
	buf[n > 0 ? n : 0] = '\0';
	like(buf, "proto udp\n", "udp: a datagram gets the answer");
	like(buf, "\nremote 127.0.0.1:", "udp: with the client's address");

	(void)ask(json, "", buf, sizeof(buf), &from);
	like(buf, "{\"proto\":\"tcp\",\"local\":\"127.0.0.1:",
	    "the same module, another service, its own settings: json");
	ok(pf_log_wait(d, "whoami: worker ready for who", 2000),
	    "worker_start ran, logging through the api");
	ok(pf_stop(d) == 0, "stops");
}

/*
 * test_abi20 - a module built against the frozen 2.0 header loads in
 * this 2.1 daemon and serves with the 2.0 accessors, on a table larger
 * than the one it knows.
 */
static void
test_abi20(void)
{
	struct pf_daemon *d;
	char buf[1024], *text, *want, *path;
	int port, fd, from;

	d = start_module("access_log = \"@DIR@/access.log\";", "old",
	    "abi20.so", "greeting = \"twenty\";", "");
	port = pf_port(d, "old", "tcp");
	ok(pf_log_wait(d, "abi20: worker ready for old", 5000),
	    "abi20: the 2.0 module's worker_start ran in the 2.2 daemon");
	ok(ask(port, "hi\n", buf, sizeof(buf), &from) > 0, "abi20: say hi");
	like(buf, "twenty hi minor=2 api=",
	    "abi20: it answers with its settings, on a daemon of minor 2");
	want = tap_strdup_printf(" from=127.0.0.1:%d\n", from);
	like(buf, want, "abi20: it sees the client through the 2.0 accessors");
	free(want);
	{
		unsigned long api = 0, known = 0;
		const char *p = strstr(buf, " api=");
		int got;

		got = p != NULL && sscanf(p, " api=%lu known=%lu", &api,
		    &known) == 2;
		ok(got && known > 0 && api > known, "abi20: the daemon's "
		    "table (%lu bytes) is larger than the 2.0 one it knows "
		    "(%lu)", api, known);
	}
	fd = pf_tcp_connect("127.0.0.1", port);
	ok(fd >= 0 && pf_write_all(fd, "bad\n", 4) == 0 &&
	    pf_wait_eof(fd, 3000) == 0, "abi20: a bad line ends the connection");
	if (fd >= 0)
		close(fd);
	/* One worker: once it answers again, both lines are written. */
	ok(ask(port, "again\n", buf, sizeof(buf), &from) > 0 &&
	    strncmp(buf, "twenty again ", 13) == 0,
	    "abi20: the worker serves on");
	path = tap_strdup_printf("%s/access.log", d->dir);
	text = pf_file(path);
	/* The only service: both lines are its, one per connection. */
	like(text, " end=closed\n",
	    "abi20: the access log has the first connection, closed");
	like(text, " end=error\n",
	    "abi20: and the second, as the module's set_end said: error");
	free(text);
	free(path);
	ok(pf_stop(d) == 0, "abi20: stops");
}

/*
 * test_group - the process group a module reports (report_group, since
 * 2.1) goes with its hung worker; one it does not report is left alone,
 * which shows that the report is what brought the kill.  The reported
 * one first: the other, an orphan the master inherits, would count as
 * one of its children in pf_wait_workers.
 */
static void
test_group(void)
{
	struct pf_daemon *d;
	pid_t w[4], child[2] = { -1, -1 };
	char buf[256], *text, *p;
	const char *cmd[2] = { "group", "orphan" };
	int port, fd, i, n;
	ssize_t r;

	d = start_module("", "g", "testmod.so", "word = \"g\";", "timeout = 1;");
	port = pf_port(d, "g", "tcp");
	for (i = 0; i < 2; i++) {
		is_int(1, pf_wait_workers(d, 1, 5000), "%s: one worker",
		    cmd[i]);
		n = pf_workers(d, w, 4);
		fd = pf_tcp_connect("127.0.0.1", port);
		text = tap_strdup_printf("%s\n", cmd[i]);
		ok(fd >= 0 && pf_write_all(fd, text, strlen(text)) == 0,
		    "%s: ask for a child in its own process group", cmd[i]);
		free(text);
		r = fd >= 0 ? pf_read_n(fd, buf, strlen(cmd[i]) + 2, 3000) : -1;
		buf[r > 0 ? r : 0] = '\0';
		/* The rest of the line: the pid's digits, up to the newline. */
		while (r > 0 && buf[r - 1] != '\n' && r < (ssize_t)sizeof(buf) -
		    1 && pf_read_n(fd, buf + r, 1, 3000) == 1)
			buf[++r] = '\0';
		p = strchr(buf, ' ');
		child[i] = p != NULL ? (pid_t)atol(p + 1) : -1;
		ok(child[i] > 1 && pf_proc_alive(child[i]),
		    "%s: the module's child %ld runs", cmd[i], (long)child[i]);
		ok(fd >= 0 && pf_write_all(fd, "hang\n", 5) == 0,
		    "%s: the worker hangs", cmd[i]);
		/* Logged once reaped: after any kill of its group. */
		ok(pf_log_wait_count(d, "killed as hung; replacing it", i + 1,
		    8000) >= i + 1, "%s: the worker is killed as hung",
		    cmd[i]);
		ok(n == 1 && pf_wait_gone(w, 1, 5000) == 0,
		    "%s: the worker is gone", cmd[i]);
		if (fd >= 0)
			close(fd);
	}
	ok(pf_wait_gone(&child[0], 1, 5000) == 0, "the group the module "
	    "reported went with its hung worker");
	/* Its worker has been reaped (logged above): all is done to it. */
	ok(pf_proc_alive(child[1]), "a group the module did not report is "
	    "left alone");
	for (i = 0; i < 2; i++)
		if (child[i] > 1 && pf_proc_alive(child[i]))
			kill(child[i], SIGKILL);
	ok(pf_stop(d) == 0, "group: stops");
}

static void
test_crash(void)
{
	struct pf_daemon *d;
	pid_t before[4];
	char buf[256];
	int port, fd, n;
	ssize_t r;

	d = start_module("", "t", "testmod.so",
	    "word = \"said\"; tags = [ \"x\", \"y\" ];", "");
	port = pf_port(d, "t", "tcp");
	is_int(1, pf_wait_workers(d, 1, 5000), "one worker");
	n = pf_workers(d, before, 4);
	fd = pf_tcp_connect("127.0.0.1", port);
	ok(fd >= 0 && pf_write_all(fd, "hi\n", 3) == 0, "say hi");
	r = fd >= 0 ? pf_read_n(fd, buf, 30, 3000) : -1;
	buf[r > 0 ? r : 0] = '\0';
	is_string("said hi limit=3 loud=0 tags=2\n", buf,
	    "the module answers with its settings (limit's default)");
	ok(pf_write_all(fd, "crash\n", 6) == 0, "ask it to crash");
	r = pf_read_all(fd, buf, sizeof(buf), 3000);
	ok(r <= 0, "the connection ends");
	close(fd);
	ok(n == 1 && pf_wait_gone(before, 1, 3000) == 0,
	    "the worker died");
	ok(pf_log_wait(d, "killed by signal 11 (SIGSEGV)", 3000),
	    "log: killed by signal 11 (SIGSEGV)");
	ok(pf_log_wait(d, "; replacing it", 2000), "log: replacing it");
	is_int(1, pf_wait_workers(d, 1, 5000), "a new worker");
	ok(pf_proc_alive(d->pid), "the master is unaffected");
	fd = pf_tcp_connect("127.0.0.1", port);
	ok(fd >= 0 && pf_write_all(fd, "again\n", 6) == 0, "say again");
	r = fd >= 0 ? pf_read_n(fd, buf, 11, 3000) : -1;
	buf[r > 0 ? r : 0] = '\0';
	is_string("said again ", buf, "the new worker answers");
	if (fd >= 0)
		close(fd);
	ok(pf_stop(d) == 0, "stops");
}

int
main(void)
{
	char *so;

	top = getenv("TOP_BUILDDIR");
	if (top == NULL)
		top = ".";
	so = tap_strdup_printf("%s/tests/modules/testmod.so", top);
	if (access(so, R_OK) != 0)
		skip_all("no %s", so);
	free(so);
	plan_lazy();
	test_check();
	test_whoami();
	test_abi20();
	test_group();
	test_crash();
	return 0;
}
