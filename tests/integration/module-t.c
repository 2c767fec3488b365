/*
 * module-t.c - handler = "module" in the real preforkd: the example
 * whoami module over TCP and UDP; -t refusing a module built for another
 * ABI, a shared object that is no module, a missing file, and bad or
 * unknown settings, each with file and line; and a module that crashes in
 * serve_stream costing only its worker.
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
	char *m, *w;

	m = tap_strdup_printf("{ path = \"%s/tests/modules/badabi.so\" }", top);
	w = tap_strdup_printf("3: services.[0].module.path: \"%s/tests/"
	    "modules/badabi.so\" was built for module ABI 7, this preforkd "
	    "speaks 1", top);
	check(m, w, "a module for another ABI");
	free(m);
	free(w);

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

static void
test_whoami(void)
{
	struct pf_daemon *d;
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	char buf[1024], *text, *want;
	int port, uport, fd, json;
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

	fd = pf_tcp_connect("127.0.0.1", port);
	ok(fd >= 0, "connect to whoami over tcp");
	getsockname(fd, (struct sockaddr *)&sin, &len);
	n = fd >= 0 ? pf_read_all(fd, buf, sizeof(buf) - 1, 3000) : -1;
	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
	like(buf, "hello\nproto tcp\n", "tcp: the greeting, then proto tcp");
	want = tap_strdup_printf("\nremote 127.0.0.1:%d\n", ntohs(sin.sin_port));
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

	fd = pf_tcp_connect("127.0.0.1", json);
	n = fd >= 0 ? pf_read_all(fd, buf, sizeof(buf) - 1, 3000) : -1;
	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
	like(buf, "{\"proto\":\"tcp\",\"local\":\"127.0.0.1:",
	    "the same module, another service, its own settings: json");
	ok(pf_log_wait(d, "whoami: worker ready for who", 2000),
	    "worker_start ran, logging through the api");
	ok(pf_stop(d) == 0, "stops");
}

static void
test_crash(void)
{
	struct pf_daemon *d;
	pid_t before[4];
	char buf[256], *text;
	int port, fd, n;
	ssize_t r;

	text = tap_strdup_printf(
	    "services = ( { name = \"t\"; workers = 1; handler = \"module\";\n"
	    "   listen = \"127.0.0.1:0\";\n"
	    "   module = { path = \"%s/tests/modules/testmod.so\";\n"
	    "   settings = { word = \"said\"; tags = [ \"x\", \"y\" ]; }; }; "
	    "} );\n", top);
	d = pf_start(text);
	free(text);
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
	test_crash();
	return 0;
}
