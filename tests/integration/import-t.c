/*
 * import-t.c - "preforkd --import-inetd" and "--import-xinetd" as an
 * administrator runs them: the files modelled on what Debian ships give a
 * configuration that "preforkd -t" accepts (with every service said
 * disabled, or running once enabled); an inetd.conf with the internal
 * services, imported, started, and every built-in answering over TCP and
 * UDP on its well-known port of 127.0.0.1 (root needed: this test fails,
 * not skips, without it); an xinetd.conf with defaults and an xinetd.d of
 * internal services on ports of our own, the same; and the command-line
 * errors.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap/basic.h"
#include "../tap/builtins.h"
#include "../tap/daemon.h"
#include "../tap/net.h"

#define WAIT_MS		30000

static char out[65536], err[16384];

/* data - the path of a file of tests/data (malloc'ed). */
static char *
data(const char *name)
{
	const char *top = getenv("TOP_SRCDIR");

	return tap_strdup_printf("%s/tests/data/%s", top != NULL ? top : ".",
	    name);
}

/*
 * import - run preforkd OPTION PATH; its stdout in out, stderr in err.
 * Returns its exit code (-1 when it did not exit by itself).
 */
static int
import(const char *option, const char *path)
{
	const char *args[] = { option, path, NULL };
	int status;

	out[0] = err[0] = '\0';
	if (pf_run2(args, &status, out, sizeof(out), err, sizeof(err)) != 0)
		return -1;
	return pf_exit_code(status);
}

/* check - "preforkd -t" on text, in a directory of its own; 1 if OK. */
static int
check(const char *text)
{
	struct pf_daemon *d = pf_prepare_raw(text);
	const char *args[] = { "-t", "-c", d->conf, NULL };
	char tout[4096], terr[8192];
	int status;

	if (pf_run2(args, &status, tout, sizeof(tout), terr,
	    sizeof(terr)) != 0 || pf_exit_code(status) != 0 ||
	    strstr(tout, "configuration OK") == NULL) {
		diag("preforkd -t: %s%s", tout, terr);
		return 0;
	}
	return 1;
}

/*
 * The files modelled on Debian's, as they are and enabled: each import
 * passes -t, and says what it did in its summary and comments.
 */
static void
test_debian(void)
{
	static const struct {
		const char	*option, *name, *summary, *comment;
	} files[] = {
		{ "--import-inetd", "inetd.conf", "0 services carried over, "
		    "6 disabled", "disabled: commented out in the file" },
		{ "--import-inetd", "inetd-enabled.conf", "10 services "
		    "carried over, 0 disabled", "name = \"chargen-udp\";" },
		{ "--import-xinetd", "xinetd.conf", "0 services carried over, "
		    "15 disabled", "disabled (disable = yes)" },
		{ "--import-xinetd", "xinetd.d", "0 services carried over, "
		    "15 disabled", "disabled (disable = yes)" },
		{ "--import-xinetd", "xinetd-enabled.d", "10 services carried "
		    "over, 0 disabled", "name = \"time-dgram\";" },
	};
	size_t i;
	char *path;
	int rc;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		path = data(files[i].name);
		rc = import(files[i].option, path);
		ok(rc == 0 && strstr(err, files[i].summary) != NULL,
		    "%s %s: exit 0, \"%s\" (got %d: %s)", files[i].option,
		    files[i].name, files[i].summary, rc, err);
		like(out, files[i].comment, "%s: %s", files[i].name,
		    files[i].comment);
		ok(check(out), "%s: preforkd -t accepts the output",
		    files[i].name);
		free(path);
	}
}

/* Errors of the command line and of the file, with their exit codes. */
static void
test_errors(void)
{
	const char *both[] = { "--import-inetd", "/etc/inetd.conf",
	    "--import-xinetd", "/etc/xinetd.d", NULL };
	const char *withc[] = { "-c", "x.conf", "--import-inetd", "x", NULL };
	const char *witht[] = { "-t", "--import-xinetd", "x", NULL };
	const char *noarg[] = { "--import-inetd", NULL };
	int status;

	ok(import("--import-inetd", "/nonexistent/inetd.conf") == 1 &&
	    strstr(err, "preforkd: --import-inetd: cannot read "
	    "/nonexistent/inetd.conf: No such file or directory") != NULL &&
	    out[0] == '\0', "a missing file: exit 1, and why (got: %s)", err);
	ok(import("--import-inetd", "/") == 1 &&
	    strstr(err, "cannot read /: Is a directory") != NULL,
	    "a directory for an inetd.conf: exit 1, and why (got: %s)", err);
	ok(import("--import-xinetd", "/nonexistent/xinetd.d") == 1 &&
	    strstr(err, "preforkd: --import-xinetd: cannot read "
	    "/nonexistent/xinetd.d: No such file or directory") != NULL,
	    "a missing xinetd.d: exit 1, and why (got: %s)", err);
	pf_run2(both, &status, out, sizeof(out), err, sizeof(err));
	ok(pf_exit_code(status) == 64 && strstr(err, "one at a time"),
	    "both imports at once: exit 64 (got %d: %s)",
	    pf_exit_code(status), err);
	pf_run2(withc, &status, out, sizeof(out), err, sizeof(err));
	ok(pf_exit_code(status) == 64 && strstr(err, "--import-inetd takes "
	    "no other option"), "with -c: exit 64 (got %d: %s)",
	    pf_exit_code(status), err);
	pf_run2(witht, &status, out, sizeof(out), err, sizeof(err));
	ok(pf_exit_code(status) == 64 && strstr(err, "--import-xinetd takes "
	    "no other option"), "with -t: exit 64 (got %d: %s)",
	    pf_exit_code(status), err);
	pf_run2(noarg, &status, out, sizeof(out), err, sizeof(err));
	ok(pf_exit_code(status) == 64, "without its file: exit 64 (got %d)",
	    pf_exit_code(status));
}

/* start - the imported text with the test's logs; started and ready. */
static struct pf_daemon *
start(const char *imported)
{
	char *text = tap_strdup_printf("access_log = \"@DIR@/access.log\";\n"
	    "%s", imported);
	struct pf_daemon *d = pf_prepare(text);

	free(text);
	pf_launch(d, NULL);
	if (pf_wait_ready(d, WAIT_MS) < 0) {
		pf_show(d);
		bail("the imported configuration did not start");
	}
	return d;
}

/*
 * An inetd.conf of the internal services on 127.0.0.1 (a host line, as
 * inetd reads it), on their well-known ports: imported, checked, started,
 * and each built-in answers.
 */
static void
test_inetd_run(void)
{
	struct pf_daemon *d;
	char *dir, *conf;
	int st;

	ok(geteuid() == 0, "running as root, to bind ports 7, 9, 13, 19 and "
	    "37 (this test needs it)");
	dir = tap_strdup_printf("/tmp/import-t.XXXXXX");
	if (mkdtemp(dir) == NULL)
		sysbail("mkdtemp");
	conf = tap_strdup_printf("%s/inetd.conf", dir);
	pf_write_file(conf,
	    "# The internal services, on the loopback address only.\n"
	    "127.0.0.1:\n"
	    "echo\tstream\ttcp\tnowait\troot\tinternal\n"
	    "echo\tdgram\tudp\twait\troot\tinternal\n"
	    "discard\tstream\ttcp\tnowait\troot\tinternal\n"
	    "discard\tdgram\tudp\twait\troot\tinternal\n"
	    "daytime\tstream\ttcp\tnowait\troot\tinternal\n"
	    "daytime\tdgram\tudp\twait\troot\tinternal\n"
	    "time\tstream\ttcp\tnowait\troot\tinternal\n"
	    "time\tdgram\tudp\twait\troot\tinternal\n"
	    "chargen\tstream\ttcp\tnowait\troot\tinternal\n"
	    "chargen\tdgram\tudp\twait\troot\tinternal\n"
	    "#<off># tftp\tdgram\tudp\twait\troot\t/usr/sbin/in.tftpd "
	    "/usr/sbin/in.tftpd -s /srv/tftp\n");
	ok(import("--import-inetd", conf) == 0 && strstr(err, "10 services "
	    "carried over, 1 disabled (written commented out), 0 not "
	    "carried") != NULL,
	    "inetd.conf: 10 services carried over, 1 disabled (got %s)",
	    err);
	like(out, "listen = \"udp://127.0.0.1:7\";", "inetd.conf: the host "
	    "line gives the address");
	ok(check(out), "inetd.conf: preforkd -t accepts the output");
	d = start(out);
	pf_builtins_check(d, "inetd", 7, 9, 13, 37, 19, "discard-udp");
	st = pf_stop(d);
	ok(pf_exited_zero(st), "inetd: the imported daemon stops cleanly");
	unlink(conf);
	rmdir(dir);
	free(conf);
	free(dir);
}

/*
 * An xinetd.conf whose defaults bind every service to 127.0.0.1, and an
 * xinetd.d of the internal services as UNLISTED ones on ports of our own
 * (one disabled): imported, checked, started, and each answers.
 */
static void
test_xinetd_run(void)
{
	static const char *const names[] = {
		"echo", "discard", "daytime", "time", "chargen"
	};
	struct pf_daemon *d;
	char *dir, *sub, *path, *conf;
	int port[5], i, st;

	dir = tap_strdup_printf("/tmp/import-t.XXXXXX");
	if (mkdtemp(dir) == NULL)
		sysbail("mkdtemp");
	sub = tap_strdup_printf("%s/xinetd.d", dir);
	if (mkdir(sub, 0755) == -1)
		sysbail("mkdir %s", sub);
	conf = tap_strdup_printf("%s/xinetd.conf", dir);
	pf_write_file(conf, "defaults\n{\n\tbind = 127.0.0.1\n"
	    "\tinstances = 4\n\tlog_type = SYSLOG daemon info\n}\n\n"
	    "includedir xinetd.d\n");
	for (i = 0; i < 5; i++) {
		if ((port[i] = pf_free_port()) < 0)
			bail("no free port");
		path = tap_strdup_printf("%s/%s", sub, names[i]);
		pf_write_file(path, tap_strdup_printf(
		    "service %s\n{\n\ttype = INTERNAL UNLISTED\n"
		    "\tid = %s-stream\n\tsocket_type = stream\n"
		    "\tprotocol = tcp\n\tuser = root\n\twait = no\n"
		    "\tport = %d\n}\n\n"
		    "service %s\n{\n\ttype = INTERNAL UNLISTED\n"
		    "\tid = %s-dgram\n\tsocket_type = dgram\n"
		    "\tprotocol = udp\n\tuser = root\n\twait = yes\n"
		    "\tport = %d\n}\n", names[i], names[i], port[i],
		    names[i], names[i], port[i]));
		free(path);
	}
	path = tap_strdup_printf("%s/servers", sub);
	pf_write_file(path, "service servers\n{\n\ttype = INTERNAL UNLISTED\n"
	    "\tport = 9099\n\tsocket_type = stream\n\tprotocol = tcp\n"
	    "\twait = no\n\tdisable = yes\n\tonly_from = 127.0.0.1\n}\n");
	free(path);

	ok(import("--import-xinetd", conf) == 0 && strstr(err, "10 services "
	    "carried over, 0 disabled (written commented out), 1 not "
	    "carried") != NULL,
	    "xinetd.conf: 10 services carried over, 1 not carried (got %s)",
	    err);
	like(out, "max_workers = 4;", "xinetd.conf: the defaults' instances "
	    "size the pools");
	ok(check(out), "xinetd.conf: preforkd -t accepts the output");
	d = start(out);
	pf_builtins_check(d, "xinetd", port[0], port[1], port[2], port[3], port[4],
	    "discard-dgram");
	st = pf_stop(d);
	ok(pf_exited_zero(st), "xinetd: the imported daemon stops cleanly");
	path = tap_strdup_printf("rm -rf %s", dir);
	if (system(path) != 0)
		diag("cannot remove %s", dir);
	free(path);
	free(conf);
	free(sub);
	free(dir);
}

/*
 * What the imports write with the settings of issues 11 and 13 (access,
 * max_per_source, max_rate, max_rate_per_source, exec.mode "wait", a
 * service's own user and group, root written on the service) passes -t:
 * the inetd lines and xinetd services that give each, with programs that
 * every system has, and tftpd-hpa's real line (its package is installed
 * for the wait-mode tests too).
 */
static void
test_new_settings(void)
{
	char *dir, *conf, *sub, *path;
	size_t i;
	static const char *const inetd_want[] = {
		"user = \"root\";", "mode = \"wait\";",
		"listen = \"udp://127.0.0.1:17102\";",
		"max_rate = \"60/m\";", "max_workers = 4;",
		"max_rate_per_source = \"30/m\";", "max_per_source = 2;",
		"group = \"nogroup\";", "max_rate = \"100/m\";",
		"argv = [ \"/usr/sbin/in.tftpd\", \"-s\", \"/srv/tftp\" ];",
	};
	static const char *const xinetd_want[] = {
		"access = [ \"deny 10.1.2.3\", \"allow 127.0.0.1\", "
		    "\"allow 10.0.0.0/8\", \"deny all\" ];",
		"max_per_source = 4;", "max_rate = \"25/s\";",
		"max_workers = 30;", "mode = \"wait\";",
		"access = [ \"allow 127.0.0.1\", \"deny all\" ];",
		"max_rate = \"50/s\";",
	};

	ok(access("/usr/sbin/in.tftpd", X_OK) == 0, "/usr/sbin/in.tftpd is "
	    "installed (tftpd-hpa)");
	dir = tap_strdup_printf("/tmp/import-t.XXXXXX");
	if (mkdtemp(dir) == NULL)
		sysbail("mkdtemp");
	conf = tap_strdup_printf("%s/inetd.conf", dir);
	pf_write_file(conf, "127.0.0.1:\n"
	    "17101\tstream\ttcp\tnowait\troot\t/bin/cat\tcat\n"
	    "17102\tdgram\tudp\twait\tnobody\t/bin/cat\tcat\n"
	    "17103\tstream\ttcp\twait\tnobody\t/bin/cat\tcat\n"
	    "17104\tstream\ttcp\tnowait.60\tnobody\t/bin/cat\tcat\n"
	    "17105\tstream\ttcp\tnowait/4/30/2\tnobody\t/bin/cat\tcat\n"
	    "17106\tstream\ttcp\tnowait\tnobody.nogroup\t/bin/cat\tcat\n"
	    "17107\tdgram\tudp\twait\troot\t/usr/sbin/in.tftpd\t"
	    "/usr/sbin/in.tftpd -s /srv/tftp\n"
	    "echo\tstream\ttcp\tnowait.100\troot\tinternal\n"
	    "echo\tdgram\tudp\twait.100\troot\tinternal\n");
	ok(import("--import-inetd", conf) == 0 && strstr(err, "9 services "
	    "carried over") != NULL, "inetd.conf with the new settings: 9 "
	    "services carried over (got %s)", err);
	for (i = 0; i < sizeof(inetd_want) / sizeof(inetd_want[0]); i++)
		like(out, inetd_want[i], "inetd.conf: %s", inetd_want[i]);
	ok(check(out), "inetd.conf with the new settings: preforkd -t "
	    "accepts the output");

	sub = tap_strdup_printf("%s/xinetd.d", dir);
	if (mkdir(sub, 0755) == -1)
		sysbail("mkdir %s", sub);
	path = tap_strdup_printf("%s/app", sub);
	pf_write_file(path, "service app\n{\n\ttype = UNLISTED\n"
	    "\tport = 17201\n\tbind = 127.0.0.1\n\tsocket_type = stream\n"
	    "\twait = no\n\tuser = root\n\tserver = /bin/cat\n"
	    "\tonly_from = 127.0.0.1 10.0.0.0\n\tno_access = 10.1.2.3\n"
	    "\tper_source = 4\n\tcps = 25 30\n\tinstances = 30\n}\n");
	free(path);
	path = tap_strdup_printf("%s/tftp", sub);
	pf_write_file(path, "service tftp\n{\n\ttype = UNLISTED\n"
	    "\tport = 17202\n\tbind = 127.0.0.1\n\tsocket_type = dgram\n"
	    "\tprotocol = udp\n\twait = yes\n\tuser = root\n"
	    "\tserver = /usr/sbin/in.tftpd\n\tserver_args = -s /srv/tftp\n"
	    "}\n");
	free(path);
	path = tap_strdup_printf("%s/echo", sub);
	pf_write_file(path, "service echo\n{\n\ttype = INTERNAL UNLISTED\n"
	    "\tid = echo-stream\n\tport = 17203\n\tbind = 127.0.0.1\n"
	    "\tsocket_type = stream\n\twait = no\n"
	    "\tonly_from = 127.0.0.1\n}\n"
	    "service echo\n{\n\ttype = INTERNAL UNLISTED\n"
	    "\tid = echo-dgram\n\tport = 17203\n\tbind = 127.0.0.1\n"
	    "\tsocket_type = dgram\n\twait = yes\n"
	    "\tonly_from = 127.0.0.1\n\tcps = 50 10\n}\n");
	free(path);
	ok(import("--import-xinetd", sub) == 0 && strstr(err, "4 services "
	    "carried over") != NULL, "xinetd.d with the new settings: 4 "
	    "services carried over (got %s)", err);
	for (i = 0; i < sizeof(xinetd_want) / sizeof(xinetd_want[0]); i++)
		like(out, xinetd_want[i], "xinetd.d: %s", xinetd_want[i]);
	ok(check(out), "xinetd.d with the new settings: preforkd -t accepts "
	    "the output");
	path = tap_strdup_printf("rm -rf %s", dir);
	if (system(path) != 0)
		diag("cannot remove %s", dir);
	free(path);
	free(sub);
	free(conf);
	free(dir);
}

int
main(void)
{
	plan(5 * 3 + 7 + (1 + 3 + 11 + 1) + (3 + 11 + 1) + (1 + 2 + 10 + 2 +
	    7));
	test_debian();
	test_errors();
	test_inetd_run();
	test_xinetd_run();
	test_new_settings();
	return 0;
}
