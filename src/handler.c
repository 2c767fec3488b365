/*
 * handler.c - the table of built-in handlers, the lookup by the name the
 * config file uses, and the checks the built-in UDP services share.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "conn.h"
#include "handlers/builtin.h"

const struct preforkd_module *const handlers[] = {
	&handler_echo,
	&handler_discard,
	&handler_chargen,
	&handler_daytime,
	&handler_time,
	&handler_exec,
	&handler_module,
	&handler_metrics,
	&handler_agent,
	NULL,
};

/*
 * The UDP ports on which this daemon answers datagrams (all its services,
 * ports the kernel chose for port 0 included), as a bitmap: the loop guard
 * refuses them as source ports.  Filled once by each worker at start-up.
 */
static unsigned char	handler_own_ports[65536 / 8];

/* What the guard turned away in this worker, and when it last said so. */
static uint64_t		handler_ignored PF_HOT_DATA;
static int64_t		handler_ignored_logged;

static int	handler_sockaddr_port(const struct sockaddr_storage *,
		    socklen_t);

/*
 * handler_batches - whether h answers datagrams a batch at a time (its
 * replies queued until the batch is served: batch.c).  The built-in
 * services do; a module or exec may reply later than it thinks, or by
 * other means than the reply accessor, so they get one datagram at a
 * time, as before.
 */
int
handler_batches(const struct preforkd_module *h)
{
	return (h == &handler_echo || h == &handler_discard ||
	    h == &handler_chargen || h == &handler_daytime ||
	    h == &handler_time);
}

/* The handler called name, or NULL. */
const struct preforkd_module *
handler_find(const char *name)
{
	size_t	i;

	if (name == NULL)
		return (NULL);
	for (i = 0; handlers[i] != NULL; i++)
		if (strcmp(handlers[i]->name, name) == 0)
			return (handlers[i]);
	return (NULL);
}

PF_HOT static int
handler_sockaddr_port(const struct sockaddr_storage *ss, socklen_t len)
{
	if (ss->ss_family == AF_INET &&
	    len >= (socklen_t)sizeof(struct sockaddr_in))
		return (ntohs(((const struct sockaddr_in *)ss)->sin_port));
	if (ss->ss_family == AF_INET6 &&
	    len >= (socklen_t)sizeof(struct sockaddr_in6))
		return (ntohs(((const struct sockaddr_in6 *)ss)->sin6_port));
	return (-1);
}

/* handler_dgram_own_port - a UDP port of this daemon: never answer it. */
PF_START void
handler_dgram_own_port(int port)
{
	if (port > 0 && port < 65536)
		handler_own_ports[port / 8] |= (unsigned char)(1u << (port % 8));
}

/*
 * Whether a datagram must go unanswered because the reply could start a
 * loop.  A (spoofed) source port below 1024 is a system service's, and
 * those that answer every datagram (echo, chargen, daytime, time, and
 * more) are the classic ping-pong partners; xinetd refuses them all.  A
 * port of one of our own UDP services is the same loop inside this
 * daemon: one datagram "from" our echo to our chargen would bounce
 * between them for ever.  Our own port on another host is refused too;
 * port 0 cannot be answered.  A connected peer (remotelen 0) is never a
 * loop.
 */
PF_HOT int
handler_dgram_loop(const struct preforkd_conn *c)
{
	int	port;

	if (c->remotelen == 0)
		return (0);
	port = handler_sockaddr_port(&c->remote, c->remotelen);
	if (port == -1)
		return (0);
	if (port < HANDLER_DGRAM_PORT_MIN)
		return (1);
	if (handler_own_ports[port / 8] & (1u << (port % 8)))
		return (1);
	if (port == handler_sockaddr_port(&c->local, c->locallen))
		return (1);
	return (0);
}

/*
 * handler_dgram_refuse - the built-ins' guard: 1 when the datagram must go
 * unanswered (handler_dgram_loop), counted, and logged at most once a
 * second with the count so far, since a flood of spoofed datagrams must
 * not become a flood of log lines.
 */
/* handler_dgram_ignored - how many datagrams this worker's guard refused. */
PF_HOT uint64_t
handler_dgram_ignored(void)
{
	return (handler_ignored);
}

PF_HOT int
handler_dgram_refuse(const struct preforkd_conn *c)
{
	char	local[ADDR_TEXT_MAX], remote[ADDR_TEXT_MAX];
	int	port;

	if (!handler_dgram_loop(c))
		return (0);
	handler_ignored++;
	if (!time_every(&handler_ignored_logged, 1000))
		return (1);
	port = handler_sockaddr_port(&c->remote, c->remotelen);
	addr_sockaddr_format((const struct sockaddr *)&c->remote, c->remotelen,
	    remote, sizeof(remote));
	addr_sockaddr_format((const struct sockaddr *)&c->local, c->locallen,
	    local, sizeof(local));
	log_warning("udp %s <- %s: datagram ignored: its source port is %s, "
	    "and a reply could start a loop; %llu ignored by this worker so "
	    "far", local, remote, port < HANDLER_DGRAM_PORT_MIN ?
	    "below 1024" : "that of a UDP service of this daemon",
	    (unsigned long long)handler_ignored);
	return (1);
}
