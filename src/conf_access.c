/*
 * conf_access.c - the "access" setting, of a service and as the global
 * default: each rule parsed (acl.c) with FILE:LINE and its index in the
 * list on error, then what a list means for the services it applies to.
 * A service's own list replaces the global one (an empty list: no rules
 * there); a rule that can match no client of its services is an error
 * (an address rule where there are only unix: listeners, a uid, user or
 * group rule where there are none); a list that a client can fall off
 * the end of (default allow) or with a rule no client can reach is worth
 * a warning.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <string.h>

#include "conf_int.h"

/* Which kinds of listener a set of services has. */
#define CONF_ACCESS_IP		0x1	/* tcp or udp */
#define CONF_ACCESS_UNIX	0x2

/* What exec mode "worker" is told: its program accepts by itself. */
#define CONF_ACCESS_SELF_ACCEPT	"exec.mode \"worker\" or \"wait\" hands " \
	"the listening sockets to its program, which accepts the " \
	"connections itself"

/* conf_access_len - rules in the setting: a string is a list of one. */
static int
conf_access_len(const config_setting_t *s)
{
	return config_setting_type(s) == CONFIG_TYPE_STRING ? 1 :
	    config_setting_length(s);
}

/* conf_access_elem - the setting of rule i. */
static const config_setting_t *
conf_access_elem(const config_setting_t *s, int i)
{
	return config_setting_type(s) == CONFIG_TYPE_STRING ? s :
	    config_setting_get_elem(s, (unsigned int)i);
}

/*
 * conf_access_parse - the rules of setting s (a list of strings, or one
 * string) into acl, every bad one told.
 */
void
conf_access_parse(struct conf_ctx *ctx, const config_setting_t *s,
    struct acl *acl)
{
	const config_setting_t *e;
	char err[ACL_ERR_MAX];
	const char *v;
	int i, len;

	if (config_setting_type(s) != CONFIG_TYPE_ARRAY &&
	    config_setting_type(s) != CONFIG_TYPE_LIST &&
	    config_setting_type(s) != CONFIG_TYPE_STRING) {
		conf_err(ctx, s, "must be a list of rules: [ \"allow "
		    "10.0.0.0/8\", \"deny all\" ] (got %s)", conf_get_type(s));
		return;
	}
	len = conf_access_len(s);
	for (i = 0; i < len; i++) {
		e = conf_access_elem(s, i);
		if ((v = conf_get_string(ctx, e)) == NULL)
			continue;
		if (acl_add(acl, v, err, sizeof(err)) == -1)
			conf_err(ctx, e, "%s", err);
	}
}

/*
 * conf_access_kinds - CONF_ACCESS_IP and CONF_ACCESS_UNIX as svc has
 * listeners of each kind (IP too with proxy_protocol: the header names
 * TCP clients).
 */
static int
conf_access_kinds(const struct conf_service *svc)
{
	size_t i;
	int kinds = 0;

	for (i = 0; i < svc->nlisten; i++)
		kinds |= svc->listen[i].proto == PROTO_UNIX ?
		    CONF_ACCESS_UNIX : CONF_ACCESS_IP;
	/* Behind a balancer, a unix listener's clients are TCP ones. */
	if (svc->proxy_protocol != 0)
		kinds |= CONF_ACCESS_IP;
	return kinds;
}

/*
 * conf_access_check - the rules of s (parsed into acl, all of them) for
 * services whose listeners are of kinds, described as who: a rule that
 * can match none of their clients is an error; a list without a last
 * rule for every client, or with a rule after one, a warning.
 */
static void
conf_access_check(struct conf_ctx *ctx, const config_setting_t *s,
    const struct acl *acl, int kinds, const char *who)
{
	const struct acl_rule *r;
	size_t i, all = acl->n;

	for (i = 0; i < acl->n; i++) {
		r = &acl->rule[i];
		if (r->kind == ACL_NET && !(kinds & CONF_ACCESS_IP))
			conf_err(ctx, conf_access_elem(s, (int)i), "\"%s\" is "
			    "an address rule, and %s tcp or udp listen "
			    "address (unix peers are matched by \"uid\", "
			    "\"user\" or \"group\")", r->text, who);
		else if ((r->kind == ACL_UID || r->kind == ACL_GROUP) &&
		    !(kinds & CONF_ACCESS_UNIX))
			conf_err(ctx, conf_access_elem(s, (int)i), "\"%s\" "
			    "matches a unix peer's credentials, and %s "
			    "unix: listen address", r->text, who);
		else if (i > all)
			conf_warn(ctx, conf_access_elem(s, (int)i), "\"%s\" "
			    "never matches: \"%s\" before it (access.[%zu]) matches "
			    "every client", r->text, acl->rule[all].text, all);
		if (r->kind == ACL_ALL && all == acl->n)
			all = i;
	}
	if (acl->n > 0 && all == acl->n)
		conf_warn(ctx, s, "the last rule is not \"deny all\": a client "
		    "that no rule matches is allowed (end the list with "
		    "\"deny all\", or \"allow all\" to say so)");
}

/*
 * conf_access_service - a service's own access setting (s, NULL when it
 * has none), once its listeners and handler are known: parsed and
 * checked against them.  An empty list is kept until
 * conf_access_inherit(), as what says "not the global list".
 */
void
conf_access_service(struct conf_ctx *ctx, const config_setting_t *s,
    struct conf_service *svc)
{
	char path[CONF_PATH_MAX], who[CONF_PATH_MAX + 16];
	int failed = ctx->failed;

	if (s == NULL)
		return;
	ctx->failed = 0;
	conf_access_parse(ctx, s, &svc->access_own);
	svc->access = &svc->access_own;
	if (!ctx->failed && svc->access_own.n > 0) {
		conf_err_path(config_setting_parent(s), path, sizeof(path));
		snprintf(who, sizeof(who), "%s has no", path);
		conf_access_check(ctx, s, &svc->access_own,
		    conf_access_kinds(svc), who);
	}
	if (svc->access_own.n > 0 && svc->exec != NULL &&
	    svc->exec->mode != EXEC_CONNECTION)
		conf_err(ctx, s, "cannot apply: " CONF_ACCESS_SELF_ACCEPT);
	ctx->failed |= failed;
}

/*
 * conf_access_inherit - once every setting is read: the global list
 * (setting s, NULL when absent; parsed into conf->access) goes to every
 * service without its own, and is checked against them all; an empty
 * own list becomes no rules at all (admit.c's NULL, free of cost).
 */
void
conf_access_inherit(struct conf_ctx *ctx, const config_setting_t *s)
{
	struct conf *conf = ctx->conf;
	struct conf_service *svc;
	char path[CONF_PATH_MAX];
	size_t i;
	int kinds = 0, users = 0;

	for (i = 0; i < conf->nservices; i++) {
		svc = &conf->services[i];
		if (svc->access != NULL) {
			if (svc->access->n == 0)
				svc->access = NULL;
			continue;
		}
		if (conf->access.n == 0)
			continue;
		svc->access = &conf->access;
		users++;
		kinds |= conf_access_kinds(svc);
		if (svc->exec == NULL || svc->exec->mode == EXEC_CONNECTION)
			continue;
		snprintf(path, sizeof(path), "services.[%zu]", i);
		conf_err_at(ctx, ctx->file, svc->line, path, "cannot apply the "
		    "global access list (line %d): " CONF_ACCESS_SELF_ACCEPT
		    "; set access = [] in this service to run it without "
		    "rules", (int)config_setting_source_line(s));
	}
	if (s == NULL || conf->access.n == 0 ||
	    conf->access.n != (size_t)conf_access_len(s))
		return;		/* none, empty, or its errors are told */
	if (users == 0) {
		conf_warn(ctx, s, "no service uses these rules: each sets "
		    "its own access list");
		return;
	}
	conf_access_check(ctx, s, &conf->access, kinds,
	    "no service that uses this list has a");
}
