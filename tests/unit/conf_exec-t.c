/*
 * conf_exec-t.c - unit tests for src/conf_exec.c: the exec group: argv, mode
 * and env, what mode "worker" rules out, and whether argv[0] can be run:
 * each bad one with its exact message.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

#include "preforkd.h"
#include "conftest.h"
#include "../tap/basic.h"

static const struct bad_conf bad[] = {
	/* exec: its group, only with handler "exec" */
	{ IN_SVC("exec = { argv = [ \"/bin/cat\" ]; };"),
	  "test.conf:2: services.[0].exec: only applies to handler = \"exec\" "
	  "(this service's handler is \"echo\")", 1 },
	{ XSVC("exec", ""),
	  "test.conf:1: services.[0]: missing required setting \"exec\" "
	  "(handler \"exec\" runs exec.argv)", 1 },
	{ XSVC("exec", "exec = { argv = [ \"/nonexistent/x\" ]; };"),
	  "test.conf:2: services.[0].exec.argv.[0]: \"/nonexistent/x\" does "
	  "not exist", 1 },
	{ XSVC("exec", "exec = { argv = [ \"/etc\" ]; };"),
	  "test.conf:2: services.[0].exec.argv.[0]: \"/etc\" is not a "
	  "regular file", 1 },
	{ XSVC("exec", "exec = { argv = [ \"cat\" ]; };"),
	  "test.conf:2: services.[0].exec.argv.[0]: must be an absolute path "
	  "(got \"cat\")", 1 },
	{ XSVC("exec", "exec = { argv = \"/bin/cat\"; };"),
	  "test.conf:2: services.[0].exec.argv: must be a list of strings: "
	  "[ \"...\", ... ] (got a string)", 1 },
	{ XSVC("exec", "exec = { argv = [ \"/bin/cat\" ]; env = [ \"1X=2\" ]; };"),
	  "test.conf:2: services.[0].exec.env.[0]: must look like NAME=value, "
	  "NAME made of letters, digits and \"_\" (got \"1X=2\")", 1 },
	{ XSVC("exec", "exec = { argv = [ \"/bin/cat\" ]; "
	  "env = [ \"LISTEN_FDS=3\" ]; };"),
	  "test.conf:2: services.[0].exec.env.[0]: LISTEN_FDS is set by "
	  "preforkd itself (got \"LISTEN_FDS=3\")", 1 },
	{ XSVC("exec", "exec = { argv = [ \"/bin/cat\" ]; mode = 1; };"),
	  "test.conf:2: services.[0].exec.mode: must be a string "
	  "(got an integer)", 1 },
	{ XSVC("exec", "exec = { argv = [ \"/bin/cat\" ]; mode = \"worker\"; }; "
	  "min_spare = 1;"),
	  "test.conf:2: services.[0].exec.mode: \"worker\" needs a static pool "
	  "(workers = N): the program accepts by itself, so preforkd cannot "
	  "count idle workers (min_spare is set, line 2)", 1 },
	{ XSVC("exec", "exec = { argv = [ \"/bin/cat\" ]; mode = \"worker\"; }; "
	  "timeout = 5;"),
	  "test.conf:2: services.[0].timeout: does not apply to exec.mode "
	  "\"worker\": the program serves its connections itself", 1 },
	{ XSVC("exec", "exec = 5;"),
	  "test.conf:2: services.[0].exec: must be a group: exec = { argv = "
	  "[ \"/path\", ... ]; } (got an integer)", 1 },

	/* argv, mode, env, and what mode "worker" rules out */
	{ XSVC("exec", "exec = { };"),
	  "test.conf:2: services.[0].exec: missing required setting \"argv\"",
	  1 },
	{ XSVC("exec", "exec = { argv = [ ]; };"),
	  "test.conf:2: services.[0].exec.argv: must name the program to run: "
	  "[ \"/path/to/program\", \"arguments\", ... ]", 1 },
	{ XSVC("exec", "exec = { argv = ( \"/bin/cat\", 1 ); };"),
	  "test.conf:2: services.[0].exec.argv.[1]: must be a string "
	  "(got an integer)", 1 },
	{ XSVC("exec", "exec = { argv = [ \"/bin/cat\" ]; mode = \"fork\"; };"),
	  "test.conf:2: services.[0].exec.mode: must be \"connection\", "
	  "\"worker\" or \"wait\" (got \"fork\")", 1 },
	{ XSVC("exec", "exec = { argv = [ \"/bin/cat\" ]; agrv = 1; };"),
	  "test.conf:2: services.[0].exec.agrv: unknown setting (did you mean "
	  "\"argv\"?)", 1 },
	{ XSVC("exec", "exec = { argv = [ \"/bin/cat\" ]; env = [ \"X\" ]; };"),
	  "test.conf:2: services.[0].exec.env.[0]: must look like NAME=value, "
	  "NAME made of letters, digits and \"_\" (got \"X\")", 1 },
	{ XSVC("exec", "exec = { argv = [ \"/bin/cat\" ]; env = \"A=1\"; };"),
	  "test.conf:2: services.[0].exec.env: must be a list of strings: "
	  "[ \"...\", ... ] (got a string)", 1 },
	{ XSVC("exec", "exec = { argv = [ \"/bin/cat\" ]; mode = \"worker\"; }; "
	  "max_requests = 5;"),
	  "test.conf:2: services.[0].max_requests: does not apply to exec.mode "
	  "\"worker\": the program serves its connections itself", 1 },

	/* what mode "wait" rules out: inetd's, one socket on fds 0 and 1 */
	{ "services = ( { name = \"x\"; handler = \"exec\";\n"
	  "  exec = { argv = [ \"/bin/cat\" ]; mode = \"wait\"; };\n"
	  "  listen = [ \"udp://127.0.0.1:7007\", \"127.0.0.1:7007\" ]; } );\n",
	  "test.conf:2: services.[0].exec.mode: \"wait\" takes exactly one "
	  "listen address (listen, line 3, has 2): the program gets the "
	  "listening socket as its standard input and output, where only one "
	  "fits; make one service per address", 1 },
	{ XSVC("exec", "exec = { argv = [ \"/bin/cat\" ]; mode = \"wait\"; }; "
	  "max_workers = 4;"),
	  "test.conf:2: services.[0].exec.mode: \"wait\" needs a static pool "
	  "(workers = N): the program accepts by itself, so preforkd cannot "
	  "count idle workers (max_workers is set, line 2)", 1 },
	{ XSVC("exec", "exec = { argv = [ \"/bin/cat\" ]; mode = \"wait\"; }; "
	  "timeout = 5;"),
	  "test.conf:2: services.[0].timeout: does not apply to exec.mode "
	  "\"wait\": the program serves its connections itself", 1 },
	{ XSVC("exec", "exec = { argv = [ \"/bin/cat\" ]; mode = \"wait\"; }; "
	  "max_requests = 5;"),
	  "test.conf:2: services.[0].max_requests: does not apply to exec.mode "
	  "\"wait\": the program serves its connections itself", 1 },
	{ XSVC("exec", "exec = { argv = [ \"/bin/cat\" ]; mode = \"wait\"; }; "
	  "io_timeout = 5;"),
	  "test.conf:2: services.[0].io_timeout: does not apply to exec.mode "
	  "\"wait\": the program gets the listening socket without timeouts "
	  "and keeps its clients itself", 1 },
	{ "services = ( { name = \"x\"; handler = \"exec\";\n"
	  "  exec = { argv = [ \"/bin/cat\" ]; };\n"
	  "  listen = \"udp://127.0.0.1:7007\"; } );\n",
	  "test.conf:3: services.[0].listen: handler \"exec\" in mode "
	  "\"connection\" does not answer datagrams, so it cannot listen on "
	  "udp (got \"udp://127.0.0.1:7007\")", 1 },
};

/* test_good - what a valid exec group gives the handler. */
static void
test_good(void)
{
	struct errlist errs = { NULL, 0 };
	struct conf_service *s;
	struct conf *conf;

	conf = parse_root(XSVC("exec", "exec = { argv = [ \"/bin/cat\", "
	    "\"-u\" ];\n  env = [ \"A=1\", \"B_2=x=y\" ]; };"), &errs);
	if (!ok(conf != NULL, "exec loads"))
		show_errors(&errs);
	s = conf != NULL ? &conf->services[0] : NULL;
	ok(s != NULL && s->exec != NULL, "the exec settings are kept");
	if (s == NULL || s->exec == NULL)
		bail("cannot go on without them");
	is_string("/bin/cat", s->exec->argv[0], "argv[0]");
	is_string("-u", s->exec->argv[1], "argv[1]");
	ok(s->exec->argv[2] == NULL, "argv NULL-ended");
	is_string("B_2=x=y", s->exec->env[1], "env, a value with =");
	is_int(EXEC_CONNECTION, s->exec->mode, "mode \"connection\" by "
	    "default");
	ok(s->view.state == s->exec, "the handler sees the exec settings");
	conf_free(conf);
	errlist_free(&errs);

	/* Mode "worker" passes any socket on, udp too. */
	conf = parse_root("services = ( { name = \"x\"; handler = \"exec\";\n"
	    "  exec = { argv = [ \"/bin/cat\" ]; mode = \"worker\"; };\n"
	    "  listen = [ \"127.0.0.1:0\", \"udp://127.0.0.1:0\" ]; } );\n",
	    &errs);
	if (!ok(conf != NULL, "mode \"worker\" on tcp and udp loads"))
		show_errors(&errs);
	is_int(EXEC_WORKER, conf != NULL ? conf->services[0].exec->mode : -1,
	    "mode \"worker\"");
	conf_free(conf);
	errlist_free(&errs);

	/* Mode "wait" on one udp socket, which it keeps without timeouts. */
	conf = parse_root("services = ( { name = \"x\"; handler = \"exec\";\n"
	    "  exec = { argv = [ \"/bin/cat\" ]; mode = \"wait\"; };\n"
	    "  io_timeout = 0; listen = \"udp://127.0.0.1:0\"; } );\n",
	    &errs);
	if (!ok(conf != NULL, "mode \"wait\" on udp loads"))
		show_errors(&errs);
	s = conf != NULL ? &conf->services[0] : NULL;
	is_int(EXEC_WAIT, s != NULL ? s->exec->mode : -1, "mode \"wait\"");
	ok(s != NULL && s->io_timeout == 0 && s->view.io_timeout == 0,
	    "mode \"wait\": no io_timeout on the programs' socket");
	conf_free(conf);
	errlist_free(&errs);
	conf = parse_root(XSVC("exec", "exec = { argv = [ \"/bin/cat\" ]; "
	    "mode = \"wait\"; };"), &errs);
	s = conf != NULL ? &conf->services[0] : NULL;
	ok(s != NULL && s->io_timeout == 0, "mode \"wait\" on tcp loads, "
	    "without the default io_timeout");
	conf_free(conf);
	errlist_free(&errs);
}

/*
 * test_user - started by root, the workers' user must be able to run
 * argv[0]: execute it, and search every directory above it.  Needs root.
 */
static void
test_user(void)
{
	struct errlist errs = { NULL, 0 };
	struct conf *conf;
	char dir[] = "/tmp/conf_exec-t.XXXXXX", *prog, *text, *want;
	int fd;

	if (!ok(as_root, "runs as root (to check the workers' user)")) {
		ok(0, "not root: the workers' user cannot be checked");
		ok(0, "not root: the workers' user cannot be checked");
		return;
	}
	if (mkdtemp(dir) == NULL || chmod(dir, 0755) == -1)
		sysbail("mkdtemp %s", dir);
	prog = tap_strdup_printf("%s/prog", dir);
	if ((fd = open(prog, O_WRONLY | O_CREAT | O_EXCL, 0744)) == -1 ||
	    close(fd) == -1 || chmod(prog, 0744) == -1)
		sysbail("create %s", prog);
	text = tap_strdup_printf("user = \"nobody\";\n"
	    XSVC("exec", "exec = { argv = [ \"%s\" ]; };"), prog);

	/* 0744: root may run it, nobody may not. */
	conf = parse(text, &errs);
	want = tap_strdup_printf("test.conf:3: services.[0].exec.argv.[0]: "
	    "\"%s\" is not executable by user \"nobody\", who runs the "
	    "workers", prog);
	is_string(want, errs.n == 1 ? errs.msg[0] : NULL,
	    "a program only its owner may run");
	free(want);
	conf_free(conf);
	errlist_free(&errs);

	/* 0755 in a directory nobody may not search. */
	if (chmod(prog, 0755) == -1 || chmod(dir, 0700) == -1)
		sysbail("chmod %s", dir);
	conf = parse(text, &errs);
	want = tap_strdup_printf("test.conf:3: services.[0].exec.argv.[0]: "
	    "\"%s\" is not executable by user \"nobody\", who runs the "
	    "workers: no search permission on %s", prog, dir);
	is_string(want, errs.n == 1 ? errs.msg[0] : NULL,
	    "a program in a directory only root may search");
	free(want);
	conf_free(conf);
	errlist_free(&errs);

	unlink(prog);
	rmdir(dir);
	free(prog);
	free(text);
}

int
main(void)
{
	conftest_init();
	plan((int)NELEM(bad) * BAD_TESTS + 14 + 3);
	test_bad(bad, NELEM(bad), "exec");
	test_good();
	test_user();
	return 0;
}
