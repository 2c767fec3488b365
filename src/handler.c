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
#include <string.h>

#include "handler.h"
#include "handlers/builtin.h"

const struct preforkd_module *const handlers[] = {
	&handler_echo,
	&handler_discard,
	&handler_chargen,
	&handler_daytime,
	&handler_time,
	&handler_exec,
	&handler_module,
	NULL,
};

/* The ports of the classic UDP services that answer any datagram. */
static const int handler_reply_ports[] = { 7, 13, 19, 37 };

static int	handler_sockaddr_port(const struct sockaddr_storage *,
		    socklen_t);

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

static int
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

/*
 * Whether a datagram must go unanswered because the reply could start a
 * loop: a (spoofed) source port of a service that answers every datagram,
 * as in the classic echo-chargen ping-pong, including our own port on this
 * or another host; or port 0, which cannot be answered.  A connected peer
 * (remotelen 0) is never a loop.
 */
int
handler_dgram_loop(const struct preforkd_conn *c)
{
	size_t	i;
	int	port;

	if (c->remotelen == 0)
		return (0);
	port = handler_sockaddr_port(&c->remote, c->remotelen);
	if (port == -1)
		return (0);
	if (port == 0)
		return (1);
	for (i = 0; i < sizeof(handler_reply_ports) /
	    sizeof(handler_reply_ports[0]); i++)
		if (port == handler_reply_ports[i])
			return (1);
	if (port == handler_sockaddr_port(&c->local, c->locallen))
		return (1);
	return (0);
}
