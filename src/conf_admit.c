/*
 * conf_admit.c - a service's settings against a full pool: defer_accept
 * (wake no worker for a client that has sent nothing yet), io_timeout_busy
 * and min_rate (cut the silent and the slow while clients wait); and the
 * one table of the admission settings that need preforkd to accept the
 * connections itself, which a program that accepts by itself rules out.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <stdio.h>
#include <string.h>

#include "conf_int.h"
#include "handler.h"

/* defer_accept: Linux keeps at most 255 SYN-ACK retransmissions' worth. */
#define DEFER_ACCEPT_MAX	3600
#define IO_TIMEOUT_BUSY_MAX	86400
#define MIN_RATE_MAX		1000000000

/*
 * The admission settings that only make sense when preforkd accepts the
 * connection (the worker, right after accept()) or sees its bytes (the
 * shedding): a program that accepts by itself never shows preforkd a
 * connection before it has it.  Each with why, for the message.
 * defer_accept is not here: it is set on the listening socket, so the
 * kernel holds a silent client back from any program's accept().
 *
 * "access" is not here either: conf_access.c refuses it for these modes,
 * the global list too (a service there must say access = []).
 */
static const struct {
	const char	*name;
	const char	*why;
} conf_admit_accepted[] = {
	{ "io_timeout_busy", "preforkd never sees how long its clients are "
	    "silent, and cannot cut them" },
	{ "min_rate", "preforkd never sees how fast its clients send, and "
	    "cannot cut them" },
	{ "max_per_source", "preforkd never sees who holds its connections, "
	    "and cannot refuse one" },
	{ "source_prefix6", "preforkd never sees its clients' addresses" },
	{ "max_rate_per_source", "preforkd never sees its clients come, and "
	    "cannot refuse one" },
	{ "max_rate", "preforkd never sees its clients come, and cannot "
	    "refuse one" },
	{ "max_reply_bytes_per_source", "preforkd never sees its replies" },
	{ "source_table_size", "preforkd keeps no table of its clients" },
	{ "proxy_protocol", "preforkd never sees a connection before the "
	    "program has it, and cannot read its PROXY header" },
	{ "proxy_from", "preforkd never reads a PROXY header there" },
	{ "proxy_timeout", "preforkd never reads a PROXY header there" },
};

/*
 * conf_admit_setting - setting s of a service, if it is one of this
 * file's (its value into svc): 1, or 0 when it is not ours.
 */
int
conf_admit_setting(struct conf_ctx *ctx, const config_setting_t *s,
    struct conf_service *svc)
{
	const char *key = config_setting_name(s);

	if (strcmp(key, "defer_accept") == 0)
		conf_get_int(ctx, s, 0, DEFER_ACCEPT_MAX, &svc->defer_accept);
	else if (strcmp(key, "io_timeout_busy") == 0)
		conf_get_int(ctx, s, 0, IO_TIMEOUT_BUSY_MAX,
		    &svc->io_timeout_busy);
	else if (strcmp(key, "min_rate") == 0)
		conf_get_int(ctx, s, 0, MIN_RATE_MAX, &svc->min_rate);
	else
		return 0;
	return 1;
}

/*
 * conf_admit_defer - defer_accept (set, at s) only where a client speaks
 * first over TCP: not with a built-in that speaks first (its clients send
 * nothing, so each would wait out the whole deferral), and not on a udp
 * or unix listener, which has no handshake to hold back.
 */
static void
conf_admit_defer(struct conf_ctx *ctx, const config_setting_t *s,
    const struct conf_service *svc)
{
	size_t i;

#if !defined(TCP_DEFER_ACCEPT) && !defined(SO_ACCEPTFILTER)
	conf_err(ctx, s, "this system has neither TCP_DEFER_ACCEPT nor "
	    "accept filters, so connections cannot be deferred here");
	return;
#endif
	if (svc->handler == &handler_daytime || svc->handler == &handler_time ||
	    svc->handler == &handler_chargen) {
		conf_err(ctx, s, "does not apply to handler \"%s\", which "
		    "speaks first: its clients send nothing, so each would "
		    "wait out the whole deferral (defer_accept is for "
		    "services whose clients speak first)", svc->handler->name);
		return;
	}
	for (i = 0; i < svc->nlisten; i++) {
		if (svc->listen[i].proto == PROTO_TCP)
			continue;
		conf_err(ctx, s, "only applies to tcp listeners, and listen "
		    "address \"%s\" is %s (%s); give it a service of its own",
		    svc->listen_text[i], addr_proto_name(svc->listen[i].proto),
		    svc->listen[i].proto == PROTO_UDP ? "a datagram has no "
		    "connection to hold back" : "a unix connection has no "
		    "handshake to hold back");
		return;
	}
}

/*
 * conf_admit_busy - io_timeout_busy and min_rate (set at busy, rate) as
 * they fit together: min_rate counts from io_timeout_busy on, and
 * io_timeout_busy is worth something only below io_timeout; both need a
 * stream listener, since a datagram holds no worker.
 */
static void
conf_admit_busy(struct conf_ctx *ctx, const config_setting_t *busy,
    const config_setting_t *rate, const struct conf_service *svc)
{
	const config_setting_t *s = busy != NULL ? busy : rate;
	size_t i;

	if (rate != NULL && svc->min_rate > 0 && svc->io_timeout_busy == 0)
		conf_err(ctx, rate, "needs io_timeout_busy: min_rate applies "
		    "once a client has had its first io_timeout_busy seconds");
	if (busy != NULL && svc->io_timeout_busy > 0 && svc->io_timeout > 0 &&
	    svc->io_timeout_busy >= svc->io_timeout)
		conf_err(ctx, busy, "must be less than io_timeout (got %d, "
		    "io_timeout is %d): a client silent for io_timeout is "
		    "cut anyway", svc->io_timeout_busy, svc->io_timeout);
	if (s == NULL || svc->nlisten == 0 ||
	    (svc->io_timeout_busy == 0 && svc->min_rate == 0))
		return;
	for (i = 0; i < svc->nlisten; i++)
		if (svc->listen[i].proto != PROTO_UDP)
			return;
	conf_err(ctx, s, "does not apply to a service that listens on udp "
	    "only: a datagram holds no worker");
}

/*
 * conf_admit_accepts - for a service whose program accepts by itself
 * (mode, as the user writes it), every setting of conf_admit_accepted[]
 * present in group is an error, saying why.
 */
static void
conf_admit_accepts(struct conf_ctx *ctx, const config_setting_t *group,
    const char *mode)
{
	const config_setting_t *s;
	size_t i;

	for (i = 0; i < sizeof(conf_admit_accepted) /
	    sizeof(conf_admit_accepted[0]); i++) {
		s = config_setting_get_member(group,
		    conf_admit_accepted[i].name);
		if (s == NULL)
			continue;
		conf_err(ctx, s, "does not apply to %s: the program accepts "
		    "its connections itself, so %s", mode,
		    conf_admit_accepted[i].why);
	}
}

/*
 * conf_admit_check - this file's settings of service svc (the group),
 * once its listeners and handler are known: each where it can apply.
 */
void
conf_admit_check(struct conf_ctx *ctx, const config_setting_t *group,
    const struct conf_service *svc)
{
	const config_setting_t *defer, *busy, *rate;

	defer = config_setting_get_member(group, "defer_accept");
	busy = config_setting_get_member(group, "io_timeout_busy");
	rate = config_setting_get_member(group, "min_rate");
	if (defer != NULL && svc->defer_accept > 0 && svc->handler != NULL)
		conf_admit_defer(ctx, defer, svc);
	if (svc->exec != NULL && svc->exec->mode != EXEC_CONNECTION) {
		conf_admit_accepts(ctx, group, svc->exec->mode == EXEC_WORKER ?
		    "exec.mode \"worker\"" : "exec.mode \"wait\"");
		return;
	}
	conf_admit_busy(ctx, busy, rate, svc);
}
