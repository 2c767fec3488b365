/*
 * builtins.c - what an imported inetd.conf or xinetd configuration must
 * do with its internal services once preforkd runs it: each built-in
 * (echo, discard, daytime, time, chargen) answers over TCP and UDP on
 * the ports the test gave them.  Eleven TAP tests.  The daemon must log
 * its access log to @DIR@/access.log (the UDP discard is seen there).
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/socket.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic.h"
#include "builtins.h"
#include "daemon.h"
#include "net.h"

#define WAIT_MS		30000

/* wait_access - wait for a line of the access log holding needle. */
static int
wait_access(struct pf_daemon *d, const char *needle)
{
	char *path = pf_path(d, "access.log"), *text;
	long end = pf_now_ms() + WAIT_MS;
	int found = 0;

	while (!found && pf_now_ms() < end) {
		text = pf_file(path);
		found = text != NULL && strstr(text, needle) != NULL;
		free(text);
		if (!found)
			pf_sleep_ms(20);
	}
	free(path);
	return found;
}

/*
 * pf_builtins_check - every built-in of an imported configuration
 * answers: over TCP and UDP, echo on its port, discard (its datagram logged, with
 * nothing sent back), daytime, time and chargen.  udp_discard names the
 * UDP discard service, whose datagram is seen in the access log.
 */
void
pf_builtins_check(struct pf_daemon *d, const char *what, int echo, int discard,
    int daytime, int timep, int chargen, const char *udp_discard)
{
	unsigned char buf[600];
	char *needle;
	ssize_t n;
	int fd;

	ok(pf_echo_tcp("127.0.0.1", echo, "imported\n"), "%s: echo over "
	    "tcp, port %d", what, echo);
	n = pf_udp_request("127.0.0.1", echo, "dgram", 5, buf, sizeof(buf),
	    WAIT_MS);
	ok(n == 5 && memcmp(buf, "dgram", 5) == 0, "%s: echo over udp "
	    "(got %zd)", what, n);

	fd = pf_tcp_connect("127.0.0.1", discard);
	ok(fd >= 0 && pf_write_all(fd, "gone\n", 5) == 0 &&
	    shutdown(fd, SHUT_WR) == 0 && pf_read_all(fd, buf, sizeof(buf),
	    WAIT_MS) == 0, "%s: discard over tcp takes and sends nothing",
	    what);
	if (fd >= 0)
		close(fd);
	fd = pf_udp_socket("127.0.0.1", discard);
	ok(fd >= 0 && send(fd, "gone", 4, 0) == 4, "%s: a datagram to "
	    "discard", what);
	needle = tap_strdup_printf("service=%s proto=udp", udp_discard);
	ok(wait_access(d, needle), "%s: discard over udp got it (%s)", what,
	    needle);
	free(needle);
	if (fd >= 0)
		close(fd);

	fd = pf_tcp_connect("127.0.0.1", daytime);
	n = fd >= 0 ? pf_read_all(fd, buf, sizeof(buf) - 1, WAIT_MS) : -1;
	ok(n > 2 && buf[n - 2] == '\r' && buf[n - 1] == '\n',
	    "%s: daytime over tcp, one line (got %zd bytes)", what, n);
	if (fd >= 0)
		close(fd);
	n = pf_udp_request("127.0.0.1", daytime, "", 0, buf, sizeof(buf),
	    WAIT_MS);
	ok(n > 2 && buf[n - 1] == '\n', "%s: daytime over udp (got %zd)",
	    what, n);

	fd = pf_tcp_connect("127.0.0.1", timep);
	n = fd >= 0 ? pf_read_all(fd, buf, sizeof(buf), WAIT_MS) : -1;
	ok(n == 4, "%s: time over tcp, 4 bytes (got %zd)", what, n);
	if (fd >= 0)
		close(fd);
	n = pf_udp_request("127.0.0.1", timep, "", 0, buf, sizeof(buf),
	    WAIT_MS);
	ok(n == 4, "%s: time over udp, 4 bytes (got %zd)", what, n);

	fd = pf_tcp_connect("127.0.0.1", chargen);
	n = fd >= 0 ? pf_read_n(fd, buf, 74, WAIT_MS) : -1;
	ok(n == 74 && buf[72] == '\r' && buf[73] == '\n', "%s: chargen over "
	    "tcp, a line of 72 characters (got %zd)", what, n);
	if (fd >= 0)
		close(fd);
	n = pf_udp_request("127.0.0.1", chargen, "", 0, buf, sizeof(buf),
	    WAIT_MS);
	ok(n >= 0 && n <= 512, "%s: chargen over udp answers (got %zd)",
	    what, n);
}
