/*
 * import-t.c - unit tests for src/import.c, what both imports share: the
 * files of tests/data modelled on what Debian ships (openbsd-inetd's
 * /etc/inetd.conf, all comments, and xinetd's /etc/xinetd.conf and
 * /etc/xinetd.d, every service disabled) give a valid configuration that
 * says every service was disabled, and with their services enabled one
 * that runs them; unique names, overlapping addresses, the placeholder,
 * quoting and escaping in the output, reading files and directories.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "importtest.h"
#include "../tap/basic.h"

#define W(...)	{ __VA_ARGS__, NULL }

/* A file or directory of tests/data and what its import gives. */
static const struct data {
	const char	*option, *name;
	const char	*want[16];
	size_t		 live, off, skip;
	int		 valid;
} data[] = {
	{ "--import-inetd", "inetd.conf",
	    W("  #   name = \"echo\";", "  #   name = \"discard\";",
	    "  #   name = \"discard-udp\";", "  #   name = \"daytime\";",
	    "  #   name = \"time\";", "  #   name = \"chargen\";",
	    "#inetd.conf:17: #echo stream tcp nowait root internal",
	    "#disabled: commented out in the file",
	    "    name = \"placeholder\";\n    listen = \"127.0.0.1:0\";\n"
	    "    handler = \"discard\";", "!#:INTERNAL:"), 0, 6, 0, 1 },
	{ "--import-inetd", "inetd-enabled.conf",
	    W("    name = \"echo\";\n    listen = \"*:7\";",
	    "    name = \"echo-udp\";\n    listen = \"udp://*:7\";",
	    "    name = \"chargen-udp\";\n    listen = \"udp://*:19\";",
	    "!placeholder", "!  # {"), 10, 0, 0, 1 },
	{ "--import-inetd", "inetd-programs.conf",
	    W("    name = \"tftp\";", "mode = \"wait\";", "    name = \"rsync\";",
	    "      argv = [ \"/usr/sbin/in.fingerd\", \"-w\" ];",
	    "  #   name = \"telnet\";", "#not carried: an RPC service",
	    "listen = \"127.0.0.1:113\";",
	    "#inetd-programs.conf:42: echo stream tcp"), 15, 1, 3, 0 },
	{ "--import-xinetd", "xinetd.conf",
	    W("  #   name = \"echo-stream\";", "  #   name = \"echo-dgram\";",
	    "  #   name = \"time-dgram-udp\";",
	    "#xinetd.d/chargen:7: service chargen, id chargen-stream",
	    "#disabled (disable = yes)", "#not carried: internal service "
	    "\"servers\"", "    name = \"placeholder\";"), 0, 15, 2, 1 },
	{ "--import-xinetd", "xinetd.d",
	    W("  #   name = \"daytime-stream\";", "placeholder"), 0, 15, 2, 1 },
	{ "--import-xinetd", "xinetd-enabled.d",
	    W("    name = \"echo-stream\";\n    listen = \"*:7\";",
	    "    name = \"echo-dgram\";\n    listen = \"udp://*:7\";",
	    "#not carried: udp *:7 is already served by",
	    "!placeholder"), 10, 0, 7, 1 },
	{ "--import-xinetd", "xinetd-programs.d",
	    W("argv = [ \"/bin/echo\", \"hello\", \"from\", \"xinetd\" ];",
	    "env = [ \"LANG=C.UTF-8\" ];", "listen = \"[::]:873\";",
	    "access = [ \"deny 192.168.0.66\", \"allow 127.0.0.1\", "
	    "\"allow 192.168.0.0/16\", \"allow ::1\", \"deny all\" ];",
	    "max_per_source = 4;", "max_rate = \"25/s\";",
	    "max_workers = 30;", "listen = \"udp://0.0.0.0:69\";",
	    "!ignored"), 3, 1, 1, 0 },
};

/* Runs a table row of data; 3 tests. */
static void
test_data(const struct data *d)
{
	struct importtest t;
	char *path, *msgs;
	int valid;

	path = importtest_data(d->name);
	importtest_path(&t, d->option, path);
	importtest_rows(d->want, &t, d->name);
	ok(t.n[IMPORT_LIVE] == d->live && t.n[IMPORT_OFF] == d->off &&
	    t.n[IMPORT_SKIP] == d->skip, "%s: %zu live, %zu off, %zu skipped "
	    "(got %zu, %zu, %zu)", d->name, d->live, d->off, d->skip,
	    t.n[IMPORT_LIVE], t.n[IMPORT_OFF], t.n[IMPORT_SKIP]);
	msgs = importtest_load(t.out, &valid);
	if (d->valid)
		ok(valid, "%s: the output loads", d->name);
	else
		ok(strstr(msgs, "syntax error") == NULL, "%s: the output has "
		    "no syntax error", d->name);
	if ((d->valid && !valid) || strstr(msgs, "syntax") != NULL)
		diag("%s\n%s", msgs, t.out);
	free(msgs);
	importtest_done(&t);
	free(path);
}

/* Names: taken ones get the protocol then a number; odd bytes become -. */
static void
test_names(void)
{
	struct importtest t;
	static const char *const want[] = W(
	    "    name = \"echo\";", "    name = \"echo-tcp\";",
	    "    name = \"echo-tcp-2\";", "    name = \"echo-udp\";",
	    "    name = \"a-b-c\";",
	    "    name = \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\";",
	    "    name = \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "-tcp\";");

	importtest_xinetd(&t,
	    "service echo\n{\n\ttype = INTERNAL\n\tsocket_type = stream\n"
	    "\twait = no\n\tbind = 127.0.0.1\n}\n"
	    "service echo\n{\n\ttype = INTERNAL\n\tsocket_type = stream\n"
	    "\twait = no\n\tbind = 127.0.0.2\n}\n"
	    "service echo\n{\n\ttype = INTERNAL\n\tsocket_type = stream\n"
	    "\twait = no\n\tbind = 127.0.0.3\n}\n"
	    "service echo\n{\n\ttype = INTERNAL\n\tsocket_type = dgram\n"
	    "\twait = yes\n}\n"
	    "service x\n{\n\tid = a.b/c\n\ttype = UNLISTED\n\tport = 7001\n"
	    "\tsocket_type = stream\n\twait = no\n\tuser = nobody\n"
	    "\tserver = /bin/cat\n}\n"
	    "service x\n{\n\tid = " "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n\ttype = UNLISTED\n"
	    "\tport = 7002\n\tsocket_type = stream\n\twait = no\n"
	    "\tuser = nobody\n\tserver = /bin/cat\n}\n"
	    "service x\n{\n\tid = " "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n\ttype = UNLISTED\n"
	    "\tport = 7003\n\tsocket_type = stream\n\twait = no\n"
	    "\tuser = nobody\n\tserver = /bin/cat\n}\n");
	importtest_rows(want, &t, "names are unique and valid");
	importtest_done(&t);

	/* The placeholder takes another name when a disabled one has it. */
	importtest_inetd(&t, "#placeholder stream tcp nowait root internal\n");
	ok(t.n[IMPORT_OFF] == 0 && strstr(t.out, "placeholder") != NULL,
	    "an unknown internal service named placeholder is not carried");
	importtest_done(&t);
	importtest_xinetd(&t, "service echo\n{\n\tid = placeholder\n"
	    "\ttype = INTERNAL\n\tsocket_type = stream\n\twait = no\n"
	    "\tdisable = yes\n}\n");
	like(t.out, "    name = \"placeholder-0\";", "the placeholder is "
	    "renamed when a disabled service has its name");
	importtest_done(&t);
}

/* Values in the output are libconfig strings; comments are one line. */
static void
test_escaping(void)
{
	struct importtest t;
	char *msgs;
	int valid;

	importtest_inetd(&t, "7007 stream tcp nowait nobody /bin/echo echo "
	    "q\"b\\s \x01\xff\x7f");
	like(t.out, "argv = [ \"/bin/echo\", \"q\\\"b\\\\s\", "
	    "\"\\x01\\xff\\x7f\" ];", "argv: quote, backslash and bytes that "
	    "are not printable are escaped");
	like(t.notes, "inetd.conf:1: 7007 stream tcp nowait nobody /bin/echo "
	    "echo q\"b\\s \\x01\\xff\\x7f", "the source line in the comment: "
	    "blanks as one space, bytes escaped");
	ok(strchr(t.out, '\x01') == NULL && strchr(t.out, '\x7f') == NULL &&
	    strchr(t.out, '\xff') == NULL, "no such byte reaches the output");
	msgs = importtest_load(t.out, &valid);
	ok(valid, "and it loads");
	if (!valid)
		diag("%s", msgs);
	free(msgs);
	importtest_done(&t);

	importtest_xinetd(&t, "service echo\n{\n\ttype = INTERNAL\n"
	    "\tsocket_type = stream\n\twait = no\n"
	    "\tflags = \x1b[31mRED\n}\n");
	like(t.notes, "flag \\x1b[31mRED: unknown", "a value in a note is "
	    "escaped too");
	ok(strchr(t.out, '\x1b') == NULL, "no escape byte in the output");
	importtest_done(&t);
}

/*
 * Reading: a missing file, a directory for a file, includes that fail or
 * loop, and an include directory's files (not those with '.' or '~').
 */
static void
test_reading(void)
{
	struct importtest t;
	struct import *imp;
	char dir[] = "/tmp/import-t.XXXXXX", *p;
	FILE *fp;

	errno = 0;
	ok(import_read("/nonexistent/inetd.conf") == NULL && errno == ENOENT,
	    "import_read: a missing file is ENOENT");
	errno = 0;
	ok(import_read("/") == NULL && errno == EISDIR,
	    "import_read: a directory is EISDIR");
	if ((imp = import_new("--import-xinetd", "x", importtest_port)) ==
	    NULL)
		sysbail("import_new");
	errno = 0;
	ok(import_xinetd_path(imp, "/nonexistent/xinetd.d") == -1 &&
	    errno == ENOENT, "import_xinetd_path: a missing path is ENOENT");
	import_free(imp);

	if (mkdtemp(dir) == NULL)
		sysbail("mkdtemp");
#define FILEAT(name, text) do {						\
	p = tap_strdup_printf("%s/%s", dir, name);			\
	if ((fp = fopen(p, "w")) == NULL)				\
		sysbail("fopen %s", p);					\
	fputs(text, fp);						\
	fclose(fp);							\
	free(p);							\
} while (0)
	if (mkdir(tap_strdup_printf("%s/d", dir), 0755) == -1)
		sysbail("mkdir");
	FILEAT("d/b", "service echo\n{\n\ttype = INTERNAL\n"
	    "\tsocket_type = stream\n\twait = no\n}\n");
	FILEAT("d/a", "service daytime\n{\n\ttype = INTERNAL\n"
	    "\tsocket_type = stream\n\twait = no\n}\n");
	FILEAT("d/c.rpmnew", "service time\n{\n\ttype = INTERNAL\n"
	    "\tsocket_type = stream\n\twait = no\n}\n");
	FILEAT("d/c~", "service time\n{\n\ttype = INTERNAL\n"
	    "\tsocket_type = stream\n\twait = no\n}\n");
	FILEAT("xinetd.conf", "defaults\n{\n\tinstances = 3\n}\n"
	    "includedir d\ninclude missing.conf\ninclude xinetd.conf\n");
	p = tap_strdup_printf("%s/xinetd.conf", dir);
	importtest_path(&t, "--import-xinetd", p);
	ok(t.n[IMPORT_LIVE] == 2, "includedir: 2 files read of 4 (got %zu "
	    "services)", t.n[IMPORT_LIVE]);
	ok(strstr(t.out, "daytime") < strstr(t.out, "\"echo\""),
	    "includedir: in C order");
	like(t.out, "max_workers = 3;", "the defaults of the including "
	    "file apply");
	like(t.notes, "include missing.conf: cannot read it: No such file",
	    "a missing include is said, with its file and line");
	like(t.notes, "include xinetd.conf: not read: includes nested more "
	    "than 8 deep", "an include loop ends");
	ok(strstr(t.out, "name = \"time\"") == NULL, "files with '.' or '~' are "
	    "skipped");
	importtest_done(&t);
	free(p);
	p = tap_strdup_printf("rm -rf %s", dir);
	if (system(p) != 0)
		diag("cannot remove %s", dir);
	free(p);
}

int
main(void)
{
	size_t i;

	plan((int)(3 * NELEM(data)) + 1 + 2 + 6 + 9);
	for (i = 0; i < NELEM(data); i++)
		test_data(&data[i]);
	test_names();
	test_escaping();
	test_reading();
	return 0;
}
