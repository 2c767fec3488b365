/*
 * import_inetd-t.c - unit tests for src/import_inetd.c: a table of
 * inetd.conf lines, one for each field and each combination that changes
 * what preforkd gets (socket types, protocols and families, host
 * specifiers, wait and its limits, user and group, internal services,
 * programs with and without tcpd, RPC, commented-out and bad lines), and
 * what each gives: settings in the output, comments, and how many
 * services run, are disabled or are not carried.  Outputs made only of
 * what preforkd has today are loaded with conf_load() too.
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

/* Lines, and what each gives (see struct importrow). */
static const struct importrow rows[] = {
	/* The internal services, over TCP and UDP. */
	{ "echo stream tcp nowait root internal",
	    W("name = \"echo\";", "listen = \"*:7\";", "handler = \"echo\";",
	    "min_spare = 1;", "max_workers = 64;", "!user = \"root\"",
	    "!placeholder"), 1, 0, 0, 1 },
	{ "echo dgram udp wait root internal",
	    W("listen = \"udp://*:7\";", "handler = \"echo\";",
	    "workers = 1;", "!min_spare"), 1, 0, 0, 1 },
	{ "discard stream tcp nowait root internal",
	    W("listen = \"*:9\";", "handler = \"discard\";"), 1, 0, 0, 1 },
	{ "discard dgram udp wait root internal",
	    W("listen = \"udp://*:9\";", "handler = \"discard\";"), 1, 0, 0,
	    1 },
	{ "chargen stream tcp nowait root internal",
	    W("listen = \"*:19\";", "handler = \"chargen\";"), 1, 0, 0, 1 },
	{ "chargen dgram udp wait root internal",
	    W("listen = \"udp://*:19\";", "handler = \"chargen\";"), 1, 0, 0,
	    1 },
	{ "daytime\tstream\ttcp\tnowait\troot\tinternal",
	    W("listen = \"*:13\";", "handler = \"daytime\";"), 1, 0, 0, 1 },
	{ "daytime dgram udp wait root internal",
	    W("listen = \"udp://*:13\";", "handler = \"daytime\";"), 1, 0, 0,
	    1 },
	{ "time stream tcp nowait root internal",
	    W("listen = \"*:37\";", "handler = \"time\";"), 1, 0, 0, 1 },
	{ "time dgram udp wait root internal",
	    W("listen = \"udp://*:37\";", "handler = \"time\";",
	    "#Internal services ran inside the super-server"), 1, 0, 0, 1 },
	{ "echo stream tcp wait nobody internal",
	    W("handler = \"echo\";", "min_spare = 1;"), 1, 0, 0, 1 },
	{ "echo stream tcp nowait root internal internal",
	    W("handler = \"echo\";", "!arguments after"), 1, 0, 0, 1 },
	{ "echo stream tcp nowait root internal foo",
	    W("#arguments after \"internal\": ignored"), 1, 0, 0, 1 },
	{ "ftp stream tcp nowait root internal",
	    W("#not carried: internal service \"ftp\": preforkd's built-ins "
	    "are echo, discard, chargen, daytime and time", "placeholder"),
	    0, 0, 1, 1 },

	/* Protocols and families, host specifiers. */
	{ "echo stream tcp4 nowait root internal",
	    W("listen = \"0.0.0.0:7\";"), 1, 0, 0, 1 },
	{ "echo stream tcp6 nowait root internal",
	    W("listen = \"[::]:7\";"), 1, 0, 0, 1 },
	{ "echo stream tcp46 nowait root internal",
	    W("listen = \"*:7\";"), 1, 0, 0, 1 },
	{ "echo dgram udp4 wait root internal",
	    W("listen = \"udp://0.0.0.0:7\";"), 1, 0, 0, 1 },
	{ "echo dgram udp6 wait root internal",
	    W("listen = \"udp://[::]:7\";"), 1, 0, 0, 1 },
	{ "127.0.0.1:echo stream tcp nowait root internal",
	    W("listen = \"127.0.0.1:7\";"), 1, 0, 0, 1 },
	{ "::1:echo stream tcp6 nowait root internal",
	    W("listen = \"[::1]:7\";"), 1, 0, 0, 1 },
	{ "[::1]:echo stream tcp nowait root internal",
	    W("listen = \"[::1]:7\";"), 1, 0, 0, 1 },
	{ "127.0.0.1,::1:echo stream tcp nowait root internal",
	    W("listen = [ \"127.0.0.1:7\", \"[::1]:7\" ];"), 1, 0, 0, 1 },
	{ "*:echo stream tcp4 nowait root internal",
	    W("listen = \"0.0.0.0:7\";"), 1, 0, 0, 1 },
	{ "127.0.0.2:\necho stream tcp nowait root internal\n"
	    "*:\ndiscard stream tcp nowait root internal\n",
	    W("listen = \"127.0.0.2:7\";", "listen = \"*:9\";"), 2, 0, 0, 1 },
	{ "localhost:echo stream tcp nowait root internal",
	    W("listen = \"127.0.0.1:7\";", "#host localhost: listens on "
	    "127.0.0.1"), 1, 0, 0, 1 },
	{ "host.example:echo stream tcp nowait root internal",
	    W("#not carried: host \"host.example\" is not a numeric address, "
	    "and preforkd does not resolve names"), 0, 0, 1, 1 },
	{ "echo stream udp nowait root internal",
	    W("#not carried: bad line: socket type stream with protocol "
	    "udp"), 0, 0, 1, 1 },
	{ "echo dgram tcp wait root internal",
	    W("#socket type dgram with protocol tcp"), 0, 0, 1, 1 },
	{ "echo stream sctp nowait root internal",
	    W("#not carried: protocol \"sctp\": preforkd serves tcp, udp "
	    "and unix"), 0, 0, 1, 1 },
	{ "echo raw tcp nowait root internal",
	    W("#not carried: socket type \"raw\""), 0, 0, 1, 1 },
	{ "7007 stream tcp,rcvbuf=64k,sndbuf=1m nowait nobody /bin/cat cat",
	    W("listen = \"*:7007\";", "#socket buffer sizes "
	    "(rcvbuf=64k,sndbuf=1m): not carried"), 1, 0, 0, 1 },
	{ "/run/x.sock stream unix nowait nobody /bin/cat cat",
	    W("listen = \"unix:/run/x.sock\";", "name = \"x-sock\";"), 1, 0,
	    0, 1 },
	{ "x.sock stream unix nowait nobody /bin/cat cat",
	    W("#unix socket path \"x.sock\" is not absolute"), 0, 0, 1, 1 },
	{ "/run/x.sock dgram unix wait nobody /bin/cat cat",
	    W("#not carried: unix datagram sockets"), 0, 0, 1, 1 },

	/* Service names and ports. */
	{ "7007 stream tcp nowait nobody /bin/cat cat",
	    W("name = \"7007\";", "listen = \"*:7007\";",
	    "argv = [ \"/bin/cat\" ];", "mode = \"connection\";",
	    "!    user ="), 1, 0, 0, 1 },
	{ "nosuch stream tcp nowait nobody /bin/cat cat",
	    W("#not carried: unknown service name \"nosuch\" for tcp (not in "
	    "/etc/services): write its port number instead"), 0, 0, 1, 1 },
	{ "70000 stream tcp nowait nobody /bin/cat cat",
	    W("#not carried: port \"70000\" is not a number from 1 to "
	    "65535"), 0, 0, 1, 1 },
	{ "echo stream tcp nowait root internal\n"
	    "7 stream tcp nowait nobody /bin/cat cat\n",
	    W("#not carried: tcp *:7 is already served by inetd.conf:1 "
	    "(echo stream tcp nowait root internal)"), 1, 0, 1, 1 },
	{ "echo stream tcp nowait root internal\n"
	    "echo dgram udp wait root internal\n",
	    W("name = \"echo\";", "name = \"echo-udp\";"), 2, 0, 0, 1 },
	{ "echo stream tcp4 nowait root internal\n"
	    "echo stream tcp6 nowait root internal\n"
	    "127.0.0.1:echo stream tcp nowait root internal\n",
	    W("name = \"echo\";", "name = \"echo-tcp\";",
	    "#tcp 127.0.0.1:7 is already served by inetd.conf:1"), 2, 0, 1,
	    1 },

	/* wait, its limits; programs and their argv. */
	{ "tftp dgram udp wait root /usr/sbin/in.tftpd /usr/sbin/in.tftpd "
	    "-s /srv/tftp",
	    W("listen = \"udp://*:69\";", "handler = \"exec\";",
	    "argv = [ \"/usr/sbin/in.tftpd\", \"-s\", \"/srv/tftp\" ];",
	    "mode = \"wait\";", "user = \"root\";", "workers = 1;",
	    "#runs as root, as before", "!argv[0] was"), 1, 0, 0, 0 },
	{ "tftp dgram udp wait.50 root /usr/sbin/in.tftpd in.tftpd",
	    W("mode = \"wait\";", "!max_rate", "#the limits of \"wait.50\" "
	    "are not carried: the program of a wait service receives its "
	    "clients itself"), 1, 0, 0, 0 },
	{ "rsync stream tcp nowait root /usr/bin/rsync rsyncd --daemon",
	    W("argv = [ \"/usr/bin/rsync\", \"--daemon\" ];",
	    "mode = \"connection\";", "user = \"root\";",
	    "#argv[0] was \"rsyncd\": preforkd runs the program with its "
	    "path, /usr/bin/rsync, as argv[0]"), 1, 0, 0, 0 },
	{ "ident stream tcp wait identd /usr/sbin/identd identd -i",
	    W("mode = \"wait\";", "workers = 1;", "user = \"identd\";",
	    "argv = [ \"/usr/sbin/identd\", \"-i\" ];"), 1, 0, 0, 0 },
	{ "7007 dgram udp nowait nobody /bin/cat cat",
	    W("#not carried: a datagram service that is not \"wait\" starts "
	    "a program per datagram"), 0, 0, 1, 1 },
	{ "7007 stream tcp nowait.100 nobody /bin/cat cat",
	    W("max_rate = \"100/m\";", "#at most 100 a minute"), 1, 0, 0,
	    0 },
	{ "7007 stream tcp nowait/10/20/3 nobody /bin/cat cat",
	    W("max_workers = 10;", "max_rate_per_source = \"20/m\";",
	    "max_per_source = 3;", "!max_rate ="), 1, 0, 0, 0 },
	{ "7007 stream tcp nowait/10 nobody /bin/cat cat",
	    W("max_workers = 10;", "!max_per_source"), 1, 0, 0, 1 },
	{ "7007 dgram udp wait/0/0/2 nobody /bin/cat cat",
	    W("#the limits of \"wait/0/0/2\" are not carried"), 1, 0, 0, 0 },
	{ "echo dgram udp wait.20 root internal",
	    W("max_rate = \"20/m\";", "workers = 1;"), 1, 0, 0, 0 },
	{ "echo dgram udp nowait/0/0/4 root internal",
	    W("#at most 4 children per source: not carried: datagrams have no "
	    "connections", "!max_per_source"), 1, 0, 0, 1 },
	{ "7007 stream tcp maybe nobody /bin/cat cat",
	    W("#not carried: bad line: the fourth field must be wait or nowait "
	    "(got \"maybe\")"), 0, 0, 1, 1 },
	{ "7007 stream tcp nowait.x nobody /bin/cat cat",
	    W("#\"nowait.x\" is not wait or nowait with a limit"), 0, 0, 1,
	    1 },
	{ "7007 stream tcp nowait/1/2/3/4 nobody /bin/cat cat",
	    W("#\"nowait/1/2/3/4\" is not wait or nowait"), 0, 0, 1, 1 },
	{ "7007 stream tcp nowait nobody cat cat",
	    W("#not carried: the program \"cat\" is not an absolute path"), 0,
	    0, 1, 1 },
	{ "7007 stream tcp nowait nobody /bin/echo echo a\"b\\c",
	    W("argv = [ \"/bin/echo\", \"a\\\"b\\\\c\" ];"), 1, 0, 0, 1 },

	/* tcpd. */
	{ "finger stream tcp nowait nobody /usr/sbin/tcpd in.fingerd -w",
	    W("argv = [ \"/usr/sbin/in.fingerd\", \"-w\" ];",
	    "#unwrapped from tcpd (/usr/sbin/tcpd): preforkd runs "
	    "/usr/sbin/in.fingerd itself; the rules of /etc/hosts.allow and "
	    "/etc/hosts.deny that tcpd applied are not carried",
	    "!/usr/sbin/tcpd\""), 1, 0, 0, 0 },
	{ "telnet stream tcp nowait telnetd.utmp /usr/sbin/tcpd "
	    "/usr/sbin/in.telnetd",
	    W("argv = [ \"/usr/sbin/in.telnetd\" ];", "user = \"telnetd\";",
	    "group = \"utmp\";"), 1, 0, 0, 0 },
	{ "telnet stream tcp nowait root /usr/sbin/tcpd",
	    W("#not carried: the program is tcpd (/usr/sbin/tcpd), and no "
	    "argument names the program it wraps"), 0, 0, 1, 1 },

	/* user and group. */
	{ "talk dgram udp wait nobody:tty /usr/sbin/in.talkd in.talkd",
	    W("user = \"nobody\";", "group = \"tty\";", "mode = \"wait\";"),
	    1, 0, 0, 0 },
	{ "7007 stream tcp nowait nobody/staff /bin/cat cat",
	    W("#login class \"staff\": not carried", "!    user ="), 1, 0, 0, 1 },
	{ "echo stream tcp nowait root.wheel internal",
	    W("!    user =", "!    group ="), 1, 0, 0, 1 },

	/* RPC and TCPMUX. */
	{ "rstatd/1-5 dgram rpc/udp wait root /usr/sbin/rpc.rstatd "
	    "rpc.rstatd",
	    W("#not carried: an RPC service (rpc/udp): preforkd does not "
	    "register services with the portmapper"), 0, 0, 1, 1 },
	{ "rusers/2 stream tcp nowait root /usr/sbin/rpc.rusersd rusersd",
	    W("#\"rusers/2\" is an RPC service name"), 0, 0, 1, 1 },
	{ "tcpmux/+foo stream tcp nowait root /bin/cat cat",
	    W("#not carried: a TCPMUX service"), 0, 0, 1, 1 },

	/* Comments, disabled services, bad lines. */
	{ "#echo stream tcp nowait root internal",
	    W("  # {", "  #   name = \"echo\";", "  #   handler = \"echo\";",
	    "#disabled: commented out in the file", "placeholder"), 0, 1, 0,
	    1 },
	{ "## \t echo stream tcp nowait root internal",
	    W("  #   name = \"echo\";"), 0, 1, 0, 1 },
	{ "#<off># tftp dgram udp wait root /usr/sbin/in.tftpd "
	    "/usr/sbin/in.tftpd -s /srv/tftp",
	    W("  #     mode = \"wait\";", "#disabled by update-inetd "
	    "(\"#<off>#\")"), 0, 1, 0, 1 },
	{ "#rstatd/1-5 dgram rpc/udp wait root /usr/sbin/rpc.rstatd x",
	    W("#not carried: an RPC service", "#it was disabled anyway"), 0,
	    0, 1, 1 },
	{ "# <service_name> <sock_type> <proto> <flags> <user> "
	    "<server_path> <args>\n#:INTERNAL: Internal services\n"
	    "# an echo stream of words\n#\n\n   \n",
	    W("placeholder", "!inetd.conf:"), 0, 0, 0, 1 },
	{ "echo stream tcp",
	    W("#inetd.conf:1: echo stream tcp", "#not carried: bad line: "
	    "expected SERVICE SOCKET-TYPE PROTOCOL WAIT USER PROGRAM "
	    "[ARGUMENTS] (got 3 fields)"), 0, 0, 1, 1 },
	{ "\n\nbogus\n",
	    W("#inetd.conf:3: bogus", "(got 1 field)"), 0, 0, 1, 1 },
	{ "echo\x1b[2J stream tcp nowait root internal",
	    W("#echo\\x1b[2J", "!\x1b"), 0, 0, 1, 1 },
	{ "echo stream tcp nowait root internal\r\n"
	    "discard stream tcp nowait root internal\r\n",
	    W("listen = \"*:9\";", "!\r"), 2, 0, 0, 1 },
};

int
main(void)
{
	plan((int)(3 * NELEM(rows)));
	importtest_table("--import-inetd", rows, NELEM(rows));
	return 0;
}
