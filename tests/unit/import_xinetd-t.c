/*
 * import_xinetd-t.c - unit tests for src/import_xinetd.c: a table of
 * xinetd services, one for each attribute (and each value of type and
 * flags) that changes what preforkd gets, with defaults, operators and
 * the file's syntax; what each gives in the output and in comments; and
 * the conversion of only_from / no_access items to access rules.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>

#include "importtest.h"
#include "../tap/basic.h"

#define W(...)	{ __VA_ARGS__, NULL }

/* A service group around attributes (one a line). */
#define SVC(name, attrs) "service " name "\n{\n" attrs "}\n"
/* Debian's internal echo over TCP, with more attributes. */
#define ECHO(more) SVC("echo", "\ttype = INTERNAL\n\tid = echo-stream\n" \
	"\tsocket_type = stream\n\tprotocol = tcp\n\tuser = root\n" \
	"\twait = no\n" more)
/* An internal echo over UDP. */
#define ECHOU(more) SVC("echo", "\ttype = INTERNAL\n\tid = echo-dgram\n" \
	"\tsocket_type = dgram\n\tprotocol = udp\n\tuser = root\n" \
	"\twait = yes\n" more)
/* A program per connection. */
#define RSYNC(more) SVC("rsync", "\tsocket_type = stream\n\twait = no\n" \
	"\tuser = root\n\tserver = /usr/bin/rsync\n" \
	"\tserver_args = --daemon\n" more)
/* tftp, the program receiving the socket. */
#define TFTP(more) SVC("tftp", "\tsocket_type = dgram\n" \
	"\tprotocol = udp\n\twait = yes\n\tuser = root\n" \
	"\tserver = /usr/sbin/in.tftpd\n\tserver_args = -s /srv/tftp\n" more)

static const struct importrow rows[] = {
	/* Internal services, type, id, port, bind, flags. */
	{ ECHO(""), W("name = \"echo-stream\";", "listen = \"*:7\";",
	    "handler = \"echo\";", "min_spare = 1;", "max_workers = 64;",
	    "!    user =", "#xinetd.conf:1: service echo, id echo-stream",
	    "#tcp wrappers: xinetd checked every service"), 1, 0, 0, 1 },
	{ ECHOU(""), W("name = \"echo-dgram\";", "listen = \"udp://*:7\";",
	    "workers = 1;"), 1, 0, 0, 1 },
	{ SVC("daytime", "\ttype = INTERNAL\n\tsocket_type = stream\n"
	    "\twait = no\n"), W("name = \"daytime\";",
	    "listen = \"*:13\";", "handler = \"daytime\";"), 1, 0, 0, 1 },
	{ SVC("chargen", "\ttype = INTERNAL UNLISTED\n\tid = chargen-dgram\n"
	    "\tsocket_type = dgram\n\tprotocol = udp\n\tuser = root\n"
	    "\twait = yes\n\tdisable = no\n\tport = 17019\n"
	    "\tbind = 127.0.0.1\n"),
	    W("listen = \"udp://127.0.0.1:17019\";", "handler = \"chargen\";"),
	    1, 0, 0, 1 },
	{ SVC("time", "\ttype = INTERNAL UNLISTED\n\tsocket_type = stream\n"
	    "\twait = no\n"), W("#not carried: an UNLISTED service needs "
	    "port = N"), 0, 0, 1, 1 },
	{ ECHO("\tport = 17\n"), W("listen = \"*:17\";", "#port 17: "
	    "/etc/services gives 7 for echo"), 1, 0, 0, 1 },
	{ ECHO("\tport = seven\n"), W("#not carried: unknown service name "
	    "\"seven\""), 0, 0, 1, 1 },
	{ SVC("nosuch", "\tsocket_type = stream\n\twait = no\n"
	    "\tuser = nobody\n\tserver = /bin/cat\n"),
	    W("#not carried: unknown service name \"nosuch\" for tcp (not in "
	    "/etc/services): give it port = N and type = UNLISTED"), 0, 0, 1,
	    1 },
	{ ECHO("\tflags = IPv4\n"), W("listen = \"0.0.0.0:7\";"), 1, 0, 0,
	    1 },
	{ ECHO("\tflags = IPv6 REUSE\n"), W("listen = \"[::]:7\";",
	    "!flag REUSE"), 1, 0, 0, 1 },
	{ ECHO("\tbind = ::1\n"), W("listen = \"[::1]:7\";"), 1, 0, 0, 1 },
	{ ECHO("\tinterface = 127.0.0.1\n"), W("listen = \"127.0.0.1:7\";"),
	    1, 0, 0, 1 },
	{ ECHO("\tbind = localhost\n"), W("listen = \"127.0.0.1:7\";",
	    "#bind localhost: listens on 127.0.0.1"), 1, 0, 0, 1 },
	{ ECHO("\tbind = host.example\n"), W("#not carried: bind "
	    "\"host.example\" is not a numeric address"), 0, 0, 1, 1 },
	{ ECHO("\tflags = NODELAY KEEPALIVE INTERCEPT IDONLY NORETRY "
	    "LABELED BOGUS\n"), W("#flag NODELAY: not carried",
	    "#flag KEEPALIVE: not carried", "#flag INTERCEPT: not carried",
	    "#flag IDONLY: not carried", "#flag NORETRY: not carried",
	    "#flag LABELED: not carried", "#flag BOGUS: unknown"), 1, 0, 0,
	    1 },
	{ SVC("servers", "\ttype = INTERNAL UNLISTED\n\tport = 9099\n"
	    "\tsocket_type = stream\n\tprotocol = tcp\n\twait = no\n"
	    "\tdisable = yes\n\tonly_from = 127.0.0.1\n"),
	    W("#not carried: internal service \"servers\"",
	    "#it was disabled anyway (disable = yes)", "!only_from"), 0, 0,
	    1, 1 },
	{ ECHO("\tflags = SENSOR\n"), W("#not carried: a SENSOR"), 0, 0, 1,
	    1 },
	{ SVC("rstatd", "\ttype = RPC\n\tsocket_type = dgram\n"
	    "\tprotocol = udp\n\tserver = /usr/sbin/rpc.rstatd\n"
	    "\twait = yes\n\tuser = root\n\trpc_version = 2-4\n"),
	    W("#not carried: an RPC service"), 0, 0, 1, 1 },
	{ SVC("x", "\trpc_number = 100001\n\tsocket_type = dgram\n"),
	    W("#not carried: an RPC service"), 0, 0, 1, 1 },
	{ SVC("myorg_server", "\ttype = TCPMUX\n\tsocket_type = stream\n"
	    "\tprotocol = tcp\n\twait = no\n\tuser = root\n"
	    "\tserver = /usr/bin/my_server_exec\n"),
	    W("#not carried: a TCPMUX service"), 0, 0, 1, 1 },
	{ SVC("www", "\tsocket_type = stream\n\twait = no\n"
	    "\tredirect = 10.0.0.1 80\n\tport = 8080\n"),
	    W("#not carried: redirect"), 0, 0, 1, 1 },

	/* socket_type, protocol, wait. */
	{ SVC("echo", "\ttype = INTERNAL\n\tsocket_type = raw\n"
	    "\twait = no\n"), W("#not carried: socket_type raw"), 0, 0, 1,
	    1 },
	{ SVC("echo", "\ttype = INTERNAL\n\tsocket_type = stream\n"
	    "\tprotocol = udp\n\twait = no\n"), W("#not carried: protocol "
	    "udp with socket_type stream"), 0, 0, 1, 1 },
	{ SVC("echo", "\ttype = INTERNAL\n\twait = no\n"),
	    W("#not carried: no socket_type"), 0, 0, 1, 1 },
	{ SVC("echo", "\ttype = INTERNAL\n\tsocket_type = stream\n"),
	    W("#not carried: wait must be yes or no"), 0, 0, 1, 1 },

	/* Programs: server, server_args, NAMEINARGS, tcpd, user, group. */
	{ RSYNC(""), W("name = \"rsync\";", "listen = \"*:873\";",
	    "handler = \"exec\";",
	    "argv = [ \"/usr/bin/rsync\", \"--daemon\" ];",
	    "mode = \"connection\";", "user = \"root\";",
	    "#runs as root, as before"), 1, 0, 0, 0 },
	{ SVC("rsync", "\tsocket_type = stream\n\twait = no\n"
	    "\tserver = /usr/bin/rsync\n"), W("#not carried: no user to "
	    "run the program as"), 0, 0, 1, 1 },
	{ SVC("rsync", "\tsocket_type = stream\n\twait = no\n"
	    "\tuser = nobody\n"), W("#not carried: no server program"), 0, 0,
	    1, 1 },
	{ SVC("telnet", "\tsocket_type = stream\n\twait = no\n"
	    "\tuser = root\n\tflags = NAMEINARGS\n"
	    "\tserver = /usr/sbin/tcpd\n"
	    "\tserver_args = /usr/sbin/in.telnetd -h\n"),
	    W("argv = [ \"/usr/sbin/in.telnetd\", \"-h\" ];",
	    "#unwrapped from tcpd (/usr/sbin/tcpd)"), 1, 0, 0, 0 },
	{ SVC("7007", "\ttype = UNLISTED\n\tport = 7007\n"
	    "\tsocket_type = stream\n\twait = no\n\tuser = nobody\n"
	    "\tflags = NAMEINARGS\n\tserver = /bin/cat\n"
	    "\tserver_args = cat -u\n"),
	    W("argv = [ \"/bin/cat\", \"-u\" ];", "!argv[0] was"), 1, 0, 0,
	    1 },
	{ SVC("7007", "\ttype = UNLISTED\n\tport = 7007\n"
	    "\tsocket_type = stream\n\twait = no\n\tuser = nobody\n"
	    "\tserver = /bin/cat\n\tserver_args = cat -u\n"),
	    W("argv = [ \"/bin/cat\", \"cat\", \"-u\" ];"), 1, 0, 0, 1 },
	{ SVC("talk", "\tsocket_type = dgram\n\twait = yes\n"
	    "\tuser = nobody\n\tgroup = tty\n\tserver = /usr/sbin/in.talkd\n"),
	    W("mode = \"wait\";", "user = \"nobody\";", "group = \"tty\";"),
	    1, 0, 0, 0 },
	{ TFTP(""), W("listen = \"udp://*:69\";",
	    "argv = [ \"/usr/sbin/in.tftpd\", \"-s\", \"/srv/tftp\" ];",
	    "mode = \"wait\";", "workers = 1;", "user = \"root\";"), 1, 0, 0,
	    0 },
	{ SVC("ident", "\tsocket_type = stream\n\twait = yes\n"
	    "\tuser = identd\n\tserver = /usr/sbin/identd\n"),
	    W("mode = \"wait\";", "workers = 1;"), 1, 0, 0, 0 },
	{ SVC("7007", "\ttype = UNLISTED\n\tport = 7007\n"
	    "\tsocket_type = dgram\n\twait = no\n\tuser = nobody\n"
	    "\tserver = /bin/cat\n"), W("#not carried: a datagram service "
	    "that is not \"wait\""), 0, 0, 1, 1 },

	/* instances, per_source, cps, env. */
	{ RSYNC("\tinstances = 10\n"), W("max_workers = 10;"), 1, 0, 0, 0 },
	{ RSYNC("\tinstances = UNLIMITED\n"), W("max_workers = 64;"), 1, 0,
	    0, 0 },
	{ RSYNC("\tinstances = 0\n"), W("#instances must be UNLIMITED or a "
	    "number from 1 to 65536", "max_workers = 64;"), 1, 0, 0, 0 },
	{ TFTP("\tinstances = 4\n"), W("workers = 1;", "#at most 4 "
	    "instances: not carried: a wait service runs one program at a "
	    "time"), 1, 0, 0, 0 },
	{ RSYNC("\tper_source = 5\n"), W("max_per_source = 5;"), 1, 0, 0,
	    0 },
	{ ECHOU("\tper_source = 5\n"), W("#per_source 5: not carried: "
	    "datagrams have no connections to count", "!max_per_source"),
	    1, 0, 0, 1 },
	{ RSYNC("\tcps = 50 10\n"), W("max_rate = \"50/s\";", "#cps: xinetd "
	    "stopped the service for 10 seconds beyond 50 a second"), 1, 0,
	    0, 0 },
	{ RSYNC("\tcps = fast\n"), W("!max_rate", "#cps must be UNLIMITED "
	    "or a number"), 1, 0, 0, 0 },
	{ TFTP("\tper_source = 2\n\tcps = 10 5\n"), W("!max_rate",
	    "!max_per_source", "#per_source and cps: not carried: the "
	    "program of a wait service receives its clients itself"), 1, 0,
	    0, 0 },
	{ RSYNC("\tenv = LANG=C RSYNC_X=1\n\tenv += A=b\n"),
	    W("env = [ \"LANG=C\", \"RSYNC_X=1\", \"A=b\" ];"), 1, 0, 0, 0 },
	{ RSYNC("\tenv = nonsense\n"), W("#env nonsense: not carried: not "
	    "NAME=value", "!env = ["), 1, 0, 0, 0 },
	{ ECHO("\tenv = A=b\n"), W("#env: not carried: a built-in runs no "
	    "program"), 1, 0, 0, 1 },

	/* only_from and no_access. */
	{ ECHO("\tonly_from = 127.0.0.1 10.0.0.0\n"),
	    W("access = [ \"allow 127.0.0.1\", \"allow 10.0.0.0/8\", "
	    "\"deny all\" ];"), 1, 0, 0, 0 },
	{ ECHO("\tonly_from = 10.0.0.0/8\n\tno_access = 10.1.2.3\n"),
	    W("access = [ \"deny 10.1.2.3\", \"allow 10.0.0.0/8\", "
	    "\"deny all\" ];", "#access: the no_access addresses come "
	    "first"), 1, 0, 0, 0 },
	{ ECHO("\tno_access = 192.168.1.0\n"),
	    W("access = [ \"deny 192.168.1.0/24\" ];"), 1, 0, 0, 0 },
	{ ECHO("\tonly_from =\n"), W("access = [ \"deny all\" ];"), 1, 0, 0,
	    0 },
	{ ECHO("\tonly_from = 0.0.0.0\n"),
	    W("access = [ \"allow all\", \"deny all\" ];"), 1, 0, 0, 0 },
	{ ECHO("\tonly_from = .example.com 127.0.0.1\n"),
	    W("access = [ \"allow 127.0.0.1\", \"deny all\" ];",
	    "#only_from .example.com: not carried"), 1, 0, 0, 0 },
	{ ECHO("\tno_access = badhost\n"), W("!access =",
	    "#no_access badhost: cannot be carried",
	    "#written commented out: a no_access item could not be "
	    "carried"), 0, 1, 0, 1 },
	{ ECHO("\tonly_from = 10.1.{2,3} ::1 2001:db8::/32 localhost\n"),
	    W("access = [ \"allow 10.1.2.0/24\", \"allow 10.1.3.0/24\", "
	    "\"allow ::1\", \"allow 2001:db8::/32\", \"allow 127.0.0.1\", "
	    "\"allow ::1\", \"deny all\" ];"), 1, 0, 0, 0 },
	{ ECHOU("\tonly_from = 127.0.0.1\n"), W("access = [ \"allow "
	    "127.0.0.1\", \"deny all\" ];"), 1, 0, 0, 0 },
	{ TFTP("\tonly_from = 10.0.0.0/8\n"), W("  #     mode = \"wait\";",
	    "!access =", "#only_from and no_access: not carried: the program "
	    "of a wait service receives its clients itself"), 0, 1, 0, 1 },

	/* defaults, operators, enabled and disabled. */
	{ "defaults\n{\n\tonly_from = 127.0.0.1\n\tonly_from = ::1\n"
	    "\tinstances = 5\n\tlog_type = SYSLOG daemon info\n}\n"
	    RSYNC(""), W("access = [ \"allow 127.0.0.1\", \"allow ::1\", "
	    "\"deny all\" ];", "max_workers = 5;",
	    "#xinetd.conf:6: \"log_type = SYSLOG daemon info\": not carried: "
	    "preforkd logs to its error_log"), 1, 0, 0, 0 },
	{ "defaults\n{\n\tonly_from = 127.0.0.1 10.0.0.1\n}\n"
	    RSYNC("\tonly_from += 10.0.0.2\n\tonly_from -= 10.0.0.1\n"),
	    W("access = [ \"allow 127.0.0.1\", \"allow 10.0.0.2\", "
	    "\"deny all\" ];"), 1, 0, 0, 0 },
	{ "defaults\n{\n\tonly_from = 127.0.0.1\n}\n"
	    RSYNC("\tonly_from = 10.0.0.2\n"),
	    W("access = [ \"allow 10.0.0.2\", \"deny all\" ];"), 1, 0, 0, 0 },
	{ "defaults\n{\n\tper_source = 3\n\tcps = 20\n\tbind = 127.0.0.1\n"
	    "}\n" RSYNC(""), W("max_per_source = 3;", "max_rate = \"20/s\";",
	    "listen = \"127.0.0.1:873\";"), 1, 0, 0, 0 },
	{ "defaults\n{\n\tdisabled = echo-stream\n}\n" ECHO("") ECHOU(""),
	    W("#disabled (listed in the defaults' disabled)",
	    "  #   name = \"echo-stream\";", "name = \"echo-dgram\";"), 1, 1,
	    0, 1 },
	{ "defaults\n{\n\tenabled = echo-dgram\n}\n" ECHO("") ECHOU(""),
	    W("#disabled (not listed in the defaults' enabled)"), 1, 1, 0,
	    1 },
	{ ECHO("\tdisable = yes\n"), W("#disabled (disable = yes)",
	    "  #   handler = \"echo\";", "placeholder"), 0, 1, 0, 1 },
	{ ECHO("\tdisable = maybe\n"), W("#disable = maybe: not yes or no; "
	    "taken as no"), 1, 0, 0, 1 },

	/* What has no equivalent; unknown attributes. */
	{ RSYNC("\tlog_on_success += HOST DURATION\n\tnice = 10\n"
	    "\tpassenv = PATH\n\taccess_times = 2:00-9:00\n"
	    "\trlimit_as = 8M\n\tbanner = /etc/issue\n\tumask = 022\n"
	    "\tgroups = yes\n\tlibwrap = rsync\n\tfrobnicate = 1\n"),
	    W("#\"log_on_success += HOST DURATION\": not carried",
	    "#\"nice = 10\": not carried: preforkd does not change a "
	    "program's priority", "#\"passenv = PATH\": not carried",
	    "#\"access_times = 2:00-9:00\": not carried",
	    "#\"rlimit_as = 8M\": not carried", "#\"banner = /etc/issue\": "
	    "not carried", "#\"umask = 022\": not carried",
	    "#\"groups = yes\": not carried",
	    "#\"frobnicate = 1\": unknown attribute: ignored"), 1, 0, 0, 0 },

	/* The file's syntax. */
	{ "service echo {\n\ttype = INTERNAL\n\tsocket_type = stream\n"
	    "\twait = no\n}\n", W("name = \"echo\";"), 1, 0, 0, 1 },
	{ "service echo\n\ttype = INTERNAL\n\tsocket_type = stream\n"
	    "\twait = no\n}\n", W("name = \"echo\";", "#xinetd.conf:2: "
	    "\"type = INTERNAL\": expected \"{\" after echo (line 1)"), 1, 0,
	    0, 1 },
	{ "service echo\n{\n\ttype = INTERNAL\n\tsocket_type = stream\n",
	    W("#xinetd.conf:1: echo: no closing \"}\"",
	    "#not carried: no closing"), 0, 0, 1, 1 },
	{ "bogus line\n" ECHO(""), W("#xinetd.conf:1: \"bogus line\": not "
	    "understood"), 1, 0, 0, 1 },
	{ ECHO("\tjust words\n"), W("#\"just words\": not understood "
	    "(expected ATTRIBUTE = VALUE)"), 1, 0, 0, 1 },
	{ "# only comments\n\n  # and blanks\n", W("placeholder"), 0, 0, 0,
	    1 },
	{ ECHO("\tid = two words\n"), W("#id takes one value",
	    "name = \"echo\";"), 1, 0, 0, 1 },
	{ ECHO("") ECHO(""), W("#tcp *:7 is already served by "
	    "xinetd.conf:1 (service echo, id echo-stream)"), 1, 0, 1, 1 },
	{ ECHO("\tbind = 127.0.0.1\n") ECHO("\tbind = 127.0.0.2\n"),
	    W("name = \"echo-stream\";", "name = \"echo-stream-tcp\";"), 2,
	    0, 0, 1 },
};

/* only_from and no_access items, and the rules they give ("" none). */
static const struct {
	const char	*item;
	const char	*want;		/* NULL: not convertible */
} addrs[] = {
	{ "127.0.0.1", "127.0.0.1" },
	{ "128.138.12.0", "128.138.12.0/24" },
	{ "128.138.0.0", "128.138.0.0/16" },
	{ "10.0.0.0", "10.0.0.0/8" },
	{ "10.0.1.0", "10.0.1.0/24" },
	{ "0.0.0.0", "all" },
	{ "10.0.0.0/8", "10.0.0.0/8" },
	{ "10.1.2.3/32", "10.1.2.3/32" },
	{ "0.0.0.0/0", "0.0.0.0/0" },
	{ "10.0.0.0/33", NULL },
	{ "10.0.0.0/x", NULL },
	{ "::1", "::1" },
	{ "2001:db8::/32", "2001:db8::/32" },
	{ "::/0", "::/0" },
	{ "2001:db8::/129", NULL },
	{ "128.138.{10,203}", "128.138.10.0/24,128.138.203.0/24" },
	{ "128.{1,2}", "128.1.0.0/16,128.2.0.0/16" },
	{ "1.2.3.{4,5}", "1.2.3.4/32,1.2.3.5/32" },
	{ "1.2.3.{4,x}", NULL },
	{ "{1,2}", NULL },
	{ "1.2.{3,4", NULL },
	{ "localhost", "127.0.0.1,::1" },
	{ "host.example.com", NULL },
	{ ".example.com", NULL },
	{ "loopback", NULL },
	{ "256.1.1.1", NULL },
	{ "1.2.3", NULL },
};

int
main(void)
{
	struct import *imp;
	const char **out;
	char got[256];
	size_t i, k, n;
	int rc;

	plan((int)(3 * NELEM(rows) + NELEM(addrs)));
	importtest_table("--import-xinetd", rows, NELEM(rows));

	for (i = 0; i < NELEM(addrs); i++) {
		if ((imp = import_new("--import-xinetd", "x",
		    importtest_port)) == NULL)
			sysbail("import_new");
		out = NULL;
		n = 0;
		rc = import_xinetd_addr(imp, addrs[i].item, &out, &n);
		got[0] = '\0';
		for (k = 0; k < n; k++)
			snprintf(got + strlen(got), sizeof(got) - strlen(got),
			    "%s%s", k > 0 ? "," : "", out[k]);
		if (addrs[i].want == NULL)
			ok(rc == -1, "%s: not convertible (got %d, %s)",
			    addrs[i].item, rc, got);
		else
			ok(rc == 0 && strcmp(got, addrs[i].want) == 0,
			    "%s: %s (got %d, %s)", addrs[i].item,
			    addrs[i].want, rc, got);
		free(out);
		import_free(imp);
	}
	return 0;
}
