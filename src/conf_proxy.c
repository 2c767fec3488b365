/*
 * conf_proxy.c - a service's PROXY protocol settings: proxy_protocol
 * (which header versions its balancers send, or "off"), proxy_from (the
 * balancers allowed to send one: a client that could send it could
 * claim any address) and proxy_timeout (how long a balancer has to send
 * it).  The header exists only on stream connections, and preforkd must
 * accept them itself to read it: a udp-only service and a program that
 * accepts by itself (exec.mode "worker"/"wait", conf_admit.c's table)
 * are refused.
 *
 * proxy_from takes what an access rule takes after "allow" (acl.c): an
 * address or a network for tcp listeners, "uid N", "user NAME" or
 * "group NAME" for the balancer's process on a unix listener.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <string.h>

#include "conf_int.h"
#include "proxy.h"

/* A balancer sends the header with its first packet: a few seconds is
 * plenty, and bounds what a stalled one holds (a worker). */
#define PROXY_TIMEOUT_DEFAULT	5
#define PROXY_TIMEOUT_MAX	3600

static const struct {
	const char	*name;
	int		 versions;
} conf_proxy_modes[] = {
	{ "off", 0 },
	{ "v1", PROXY_V1 },
	{ "v2", PROXY_V2 },
	{ "any", PROXY_V1 | PROXY_V2 },
};

/* conf_proxy_init - a service's defaults, before its settings are read. */
void
conf_proxy_init(struct conf_service *svc)
{
	svc->proxy_protocol = 0;
	svc->proxy_timeout = PROXY_TIMEOUT_DEFAULT;
}

/* conf_proxy_mode - proxy_protocol's value (at s) into svc. */
static void
conf_proxy_mode(struct conf_ctx *ctx, const config_setting_t *s,
    struct conf_service *svc)
{
	const char *v;
	size_t i;

	if ((v = conf_get_string(ctx, s)) == NULL)
		return;
	for (i = 0; i < sizeof(conf_proxy_modes) / sizeof(conf_proxy_modes[0]);
	    i++) {
		if (strcmp(v, conf_proxy_modes[i].name) == 0) {
			svc->proxy_protocol = conf_proxy_modes[i].versions;
			return;
		}
	}
	conf_err(ctx, s, "must be \"v1\", \"v2\", \"any\" or \"off\" (got "
	    "\"%s\")", v);
}

/*
 * conf_proxy_from - the balancers of proxy_from (at s) into svc: each an
 * address or network, or a unix peer's uid, user or group, parsed as the
 * "allow" rule it amounts to (acl.c), every bad one told with its index.
 */
static void
conf_proxy_from(struct conf_ctx *ctx, const config_setting_t *s,
    struct conf_service *svc)
{
	const config_setting_t *e;
	char rule[ACL_ERR_MAX], err[ACL_ERR_MAX];
	const char *v;
	int i, len;

	if (config_setting_type(s) != CONFIG_TYPE_ARRAY &&
	    config_setting_type(s) != CONFIG_TYPE_LIST) {
		conf_err(ctx, s, "must be a list of the balancers' addresses "
		    "or networks: [ \"10.0.0.0/8\", \"::1\" ] (got %s)",
		    conf_get_type(s));
		return;
	}
	len = config_setting_length(s);
	for (i = 0; i < len; i++) {
		e = config_setting_get_elem(s, (unsigned int)i);
		if ((v = conf_get_string(ctx, e)) == NULL)
			continue;
		v += strspn(v, " \t");
		if (strncmp(v, "allow", 5) == 0 || strncmp(v, "deny", 4) == 0 ||
		    strcmp(v, "all") == 0) {
			conf_err(ctx, e, "\"%s\": write a balancer's address "
			    "or network alone (\"10.0.0.0/8\"), not a rule; "
			    "\"all\" is not taken: every client could then "
			    "forge its address (write 0.0.0.0/0 and ::/0 if "
			    "that is really meant)", v);
			continue;
		}
		snprintf(rule, sizeof(rule), "allow %s", v);
		if (acl_add(&svc->proxy_from, rule, err, sizeof(err)) == -1)
			conf_err(ctx, e, "%s", err);
	}
	if (len == 0)
		conf_err(ctx, s, "is empty: name the balancers allowed to send "
		    "the PROXY header");
}

/*
 * conf_proxy_setting - setting s of a service, if it is one of this
 * file's (its value into svc): 1, or 0 when it is not ours.
 */
int
conf_proxy_setting(struct conf_ctx *ctx, const config_setting_t *s,
    struct conf_service *svc)
{
	const char *key = config_setting_name(s);

	if (strcmp(key, "proxy_protocol") == 0)
		conf_proxy_mode(ctx, s, svc);
	else if (strcmp(key, "proxy_from") == 0)
		conf_proxy_from(ctx, s, svc);
	else if (strcmp(key, "proxy_timeout") == 0)
		conf_get_int(ctx, s, 1, PROXY_TIMEOUT_MAX, &svc->proxy_timeout);
	else
		return 0;
	return 1;
}

/*
 * conf_proxy_kinds - proxy_from's entries (at from) against svc's
 * listeners: an address where there is no tcp listener, or a uid, user
 * or group where there is no unix one, can match no balancer.
 */
static void
conf_proxy_kinds(struct conf_ctx *ctx, const config_setting_t *from,
    const struct conf_service *svc)
{
	const struct acl_rule *r;
	int tcp = 0, unx = 0;
	size_t i;

	for (i = 0; i < svc->nlisten; i++) {
		tcp |= svc->listen[i].proto == PROTO_TCP;
		unx |= svc->listen[i].proto == PROTO_UNIX;
	}
	for (i = 0; i < svc->proxy_from.n; i++) {
		r = &svc->proxy_from.rule[i];
		if (r->kind == ACL_NET && !tcp)
			conf_err(ctx, config_setting_get_elem(from,
			    (unsigned int)i), "\"%s\" is an address, and the "
			    "service has no tcp listen address (a balancer on "
			    "a unix: listener is named by \"uid N\", \"user "
			    "NAME\" or \"group NAME\")", r->text + 6);
		else if (r->kind != ACL_NET && !unx)
			conf_err(ctx, config_setting_get_elem(from,
			    (unsigned int)i), "\"%s\" names a unix peer, and "
			    "the service has no unix: listen address",
			    r->text + 6);
	}
}

/*
 * conf_proxy_check - this file's settings of service svc (the group),
 * once its listeners and handler are known: proxy_from is required with
 * proxy_protocol, stream listeners only, and nothing here means anything
 * without proxy_protocol.  (defer_accept's default with proxy_protocol,
 * proxy_timeout, is set with the service's other derived values:
 * conf_service.c.)
 */
void
conf_proxy_check(struct conf_ctx *ctx, const config_setting_t *group,
    const struct conf_service *svc)
{
	const config_setting_t *mode, *from, *timeout;
	size_t i;

	mode = config_setting_get_member(group, "proxy_protocol");
	from = config_setting_get_member(group, "proxy_from");
	timeout = config_setting_get_member(group, "proxy_timeout");
	if (svc->exec != NULL && svc->exec->mode != EXEC_CONNECTION)
		return;		/* conf_admit.c refuses them all there */
	if (mode == NULL || svc->proxy_protocol == 0) {
		if (from != NULL)
			conf_warn(ctx, from, "has no effect without "
			    "proxy_protocol");
		if (timeout != NULL)
			conf_warn(ctx, timeout, "has no effect without "
			    "proxy_protocol");
		return;
	}
	if (from == NULL)
		conf_err(ctx, mode, "needs proxy_from, the balancers allowed "
		    "to send the header: a client that could send it could "
		    "claim any address");
	else
		conf_proxy_kinds(ctx, from, svc);
	if (svc->nlisten == 0)
		return;
	for (i = 0; i < svc->nlisten; i++)
		if (svc->listen[i].proto != PROTO_UDP)
			return;
	conf_err(ctx, mode, "does not apply to a service that listens on udp "
	    "only: the PROXY header comes at the start of a stream "
	    "connection (a udp listener of a service with tcp or unix ones "
	    "takes its datagrams as they come)");
}
