/*
 * conf_service.c - the services list: each service's settings, its name,
 * its pool (static or dynamic, never both), its handler, and what that
 * handler needs of the rest (conf_exec.c and conf_module.c read their
 * groups; conf_listen.c the listen addresses).
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_int.h"
#include "handler.h"

#define DEFAULT_WORKERS			4
#define DEFAULT_BACKLOG			511
#define DEFAULT_UNIX_MODE		0666
#define DEFAULT_MIN_SPARE		2
#define DEFAULT_MAX_SPARE		8	/* raised to min_spare */
#define DEFAULT_MAX_WORKERS		64
#define MAX_REQUESTS_MAX		1000000000
#define TIMEOUT_MAX			86400
#define DEFAULT_IO_TIMEOUT		60

const char *const conf_service_names[] = {
	"name", "listen", "handler", "workers", "min_spare", "max_spare",
	"max_workers", "backlog", "unix_mode", "max_requests", "timeout",
	"io_timeout", "exec", "module", "access", "user", "group", "agent",
	/* the admission limits: conf_limit.c */
	"max_per_source", "source_prefix6", "max_rate", "max_rate_per_source",
	"max_reply_bytes_per_source", "source_table_size",
	/* conf_admit.c's */
	"defer_accept", "io_timeout_busy", "min_rate",
	/* conf_proxy.c's */
	"proxy_protocol", "proxy_from", "proxy_timeout",
	NULL
};

/* The pool settings, in the order of CONF_POOL_*; all take 1..WORKERS_MAX. */
static const char *const conf_pool_names[] = {
	"workers", "min_spare", "max_spare", "max_workers", NULL
};

static void	 conf_service_one(struct conf_ctx *, const config_setting_t *,
		    size_t);
static void	 conf_service_name(struct conf_ctx *,
		    const config_setting_t *, size_t);
static void	 conf_service_pool(struct conf_ctx *, struct conf_service *,
		    const config_setting_t *const *, const int *);
static void	 conf_service_handler(struct conf_ctx *,
		    const config_setting_t *, struct conf_service *);
static void	 conf_service_agent(struct conf_ctx *,
		    const config_setting_t *, const config_setting_t *,
		    struct conf_service *);
static void	 conf_service_handler_check(struct conf_ctx *,
		    const config_setting_t *, const config_setting_t *,
		    const config_setting_t *, struct conf_service *);
static void	 conf_service_cred(struct conf_ctx *, struct conf_service *,
		    const config_setting_t *, const config_setting_t *);

/* conf_service_list - the services list: at least one group. */
void
conf_service_list(struct conf_ctx *ctx, const config_setting_t *list)
{
	struct conf *conf = ctx->conf;
	const config_setting_t *s;
	int n, len;

	if (config_setting_type(list) != CONFIG_TYPE_LIST &&
	    !(config_setting_type(list) == CONFIG_TYPE_ARRAY &&
	    config_setting_length(list) == 0)) {
		conf_err(ctx, list, "must be a list of groups: "
		    "( { name = ...; }, ... ) (got %s)", conf_get_type(list));
		return;
	}
	if ((len = config_setting_length(list)) == 0) {
		conf_err(ctx, list, "must have at least one service");
		return;
	}
	if ((conf->services = calloc((size_t)len,
	    sizeof(*conf->services))) == NULL) {
		conf_err_nomem(ctx);
		return;
	}
	conf->nservices = (size_t)len;
	if ((ctx->exec_argv = calloc((size_t)len,
	    sizeof(*ctx->exec_argv))) == NULL ||
	    (ctx->svc_group = calloc((size_t)len,
	    sizeof(*ctx->svc_group))) == NULL) {
		conf_err_nomem(ctx);
		return;
	}
	for (n = 0; n < len; n++) {
		s = config_setting_get_elem(list, (unsigned int)n);
		if (config_setting_type(s) != CONFIG_TYPE_GROUP)
			conf_err(ctx, s, "must be a group (got %s)",
			    conf_get_type(s));
		else
			conf_service_one(ctx, s, (size_t)n);
	}
	conf_agent_check(ctx, list);
}

/* conf_service_one - one services.[i] group, into conf->services[idx]. */
static void
conf_service_one(struct conf_ctx *ctx, const config_setting_t *group,
    size_t idx)
{
	struct conf_service *svc = &ctx->conf->services[idx];
	const config_setting_t *s, *name = NULL, *listen = NULL;
	const config_setting_t *handler = NULL, *mode = NULL;
	const config_setting_t *exec = NULL, *module = NULL, *agent = NULL;
	const config_setting_t *max_requests = NULL, *timeout = NULL;
	const config_setting_t *access = NULL;
	const config_setting_t *user = NULL, *group_s = NULL;
	const config_setting_t *io_timeout = NULL;
	const config_setting_t *pool[CONF_POOL_N] = { NULL };
	struct conf_limit_seen limits;
	int *pool_value[CONF_POOL_N], pool_bad[CONF_POOL_N] = { 0 };
	const char *key, *v;
	char path[CONF_PATH_MAX];
	int n, k;

	svc->line = (int)config_setting_source_line(group);
	svc->workers = DEFAULT_WORKERS;
	svc->min_spare = DEFAULT_MIN_SPARE;
	svc->max_spare = DEFAULT_MAX_SPARE;
	svc->max_workers = DEFAULT_MAX_WORKERS;
	svc->backlog = DEFAULT_BACKLOG;
	svc->unix_mode = DEFAULT_UNIX_MODE;
	svc->max_requests = 0;
	svc->timeout = 0;
	svc->io_timeout = DEFAULT_IO_TIMEOUT;
	pool_value[CONF_POOL_WORKERS] = &svc->workers;
	pool_value[CONF_POOL_MIN_SPARE] = &svc->min_spare;
	pool_value[CONF_POOL_MAX_SPARE] = &svc->max_spare;
	pool_value[CONF_POOL_MAX_WORKERS] = &svc->max_workers;
	conf_limit_init(svc, &limits);
	conf_proxy_init(svc);

	for (n = 0; n < config_setting_length(group); n++) {
		s = config_setting_get_elem(group, (unsigned int)n);
		key = config_setting_name(s);
		if (strcmp(key, "name") == 0) {
			name = s;
			conf_service_name(ctx, s, idx);
		} else if (strcmp(key, "listen") == 0) {
			listen = s;
			conf_listen_parse(ctx, s, svc);
		} else if (strcmp(key, "handler") == 0) {
			handler = s;
			conf_service_handler(ctx, s, svc);
		} else if ((k = conf_get_index(key, conf_pool_names)) >= 0) {
			pool[k] = s;
			pool_bad[k] = conf_get_int(ctx, s, 1, WORKERS_MAX,
			    pool_value[k]) == -1;
		} else if (strcmp(key, "backlog") == 0)
			conf_get_int(ctx, s, 1, BACKLOG_MAX, &svc->backlog);
		else if (strcmp(key, "max_requests") == 0) {
			max_requests = s;
			conf_get_int(ctx, s, 0, MAX_REQUESTS_MAX,
			    &svc->max_requests);
		} else if (strcmp(key, "timeout") == 0) {
			timeout = s;
			conf_get_int(ctx, s, 0, TIMEOUT_MAX, &svc->timeout);
		} else if (strcmp(key, "exec") == 0)
			exec = s;
		else if (strcmp(key, "module") == 0)
			module = s;
		else if (strcmp(key, "agent") == 0)
			agent = s;
		else if (strcmp(key, "access") == 0)
			access = s;	/* once the listeners are known */
		else if (strcmp(key, "io_timeout") == 0) {
			io_timeout = s;
			conf_get_int(ctx, s, 0, TIMEOUT_MAX, &svc->io_timeout);
		}
		else if (strcmp(key, "unix_mode") == 0) {
			if (conf_listen_unix_mode(ctx, s, svc) == 0)
				mode = s;
		} else if (strcmp(key, "user") == 0) {
			user = s;
			if ((v = conf_get_string(ctx, s)) != NULL)
				svc->user = conf_get_strdup(ctx, v);
		} else if (strcmp(key, "group") == 0) {
			group_s = s;
			if ((v = conf_get_string(ctx, s)) != NULL)
				svc->group = conf_get_strdup(ctx, v);
		} else if (conf_limit_setting(ctx, s, svc, &limits))
			continue;
		else if (conf_admit_setting(ctx, s, svc))
			;
		else if (conf_proxy_setting(ctx, s, svc))
			;
		else
			conf_err_unknown(ctx, s, conf_service_names,
			    conf_global_names,
			    "it is a global setting: put it outside services");
	}
	conf_service_pool(ctx, svc, pool, pool_bad);
	conf_service_cred(ctx, svc, user, group_s);
	ctx->svc_group[idx] = group_s;
	svc->view.name = svc->name;
	svc->view.timeout = svc->timeout;
	svc->view.io_timeout = svc->io_timeout;
	svc->view.api = &conn_api;
	/*
	 * A balancer always speaks first, whatever the service: unless the
	 * service sets defer_accept itself, its tcp listeners defer for
	 * proxy_timeout, so the kernel wakes a worker once the header has
	 * come, not for the handshake, and the worker finds it there at once
	 * (proxy_read.c).
	 */
	if (svc->proxy_protocol != 0 &&
	    config_setting_get_member(group, "defer_accept") == NULL)
		svc->defer_accept = svc->proxy_timeout;
	if (handler != NULL)
		conf_service_handler_check(ctx, group, exec, module, svc);
	if (handler != NULL && svc->handler != NULL)
		conf_service_agent(ctx, group, agent, svc);
	if (svc->exec != NULL && svc->exec->mode != EXEC_CONNECTION)
		conf_exec_mode_check(ctx, exec, pool, max_requests, timeout,
		    io_timeout, listen, svc);
	conf_access_service(ctx, access, svc);
	conf_limit_check(ctx, svc, &limits);
	conf_admit_check(ctx, group, svc);
	conf_proxy_check(ctx, group, svc);

	if (name == NULL)
		conf_err(ctx, group, "missing required setting \"name\"");
	if (listen == NULL)
		conf_err(ctx, group, "missing required setting \"listen\"");
	if (handler == NULL)
		conf_err(ctx, group, "missing required setting \"handler\"");
	if (mode != NULL && listen != NULL && !conf_listen_has_unix(listen)) {
		conf_err_path(group, path, sizeof(path));
		conf_err(ctx, mode, "only applies to unix: listen addresses, "
		    "and %s has none", path);
	}
}

/*
 * conf_service_pool - settle the pool from the pool settings present
 * (pool[k] not NULL; pool_bad[k] when its value was refused): static
 * with workers, dynamic with any of the others, never both.  A dynamic
 * pool starts with min_spare workers; a static one has min_spare =
 * max_spare = max_workers = workers, so the pool code may treat both
 * alike.
 */
static void
conf_service_pool(struct conf_ctx *ctx, struct conf_service *svc,
    const config_setting_t *const *pool, const int *pool_bad)
{
	const config_setting_t *dyn = NULL, *first, *later;
	int k;

	for (k = CONF_POOL_MIN_SPARE; k < CONF_POOL_N; k++)
		if (pool[k] != NULL && (dyn == NULL ||
		    config_setting_index(pool[k]) < config_setting_index(dyn)))
			dyn = pool[k];
	if (dyn == NULL) {
		svc->min_spare = svc->max_spare = svc->max_workers =
		    svc->workers;
		return;
	}
	if (pool[CONF_POOL_WORKERS] != NULL) {
		first = pool[CONF_POOL_WORKERS];
		later = dyn;
		if (config_setting_index(dyn) < config_setting_index(first)) {
			first = dyn;
			later = pool[CONF_POOL_WORKERS];
		}
		conf_err(ctx, later, "cannot be combined with %s (line %d): "
		    "a pool is either static (workers) or dynamic "
		    "(min_spare, max_spare, max_workers)",
		    config_setting_name(first),
		    (int)config_setting_source_line(first));
		return;
	}

	svc->dynamic = 1;
	if (pool[CONF_POOL_MAX_SPARE] == NULL && svc->max_spare < svc->min_spare)
		svc->max_spare = svc->min_spare;
	if (pool_bad[CONF_POOL_MIN_SPARE])
		return;
	if (pool[CONF_POOL_MAX_SPARE] != NULL && !pool_bad[CONF_POOL_MAX_SPARE] &&
	    svc->max_spare < svc->min_spare)
		conf_err(ctx, pool[CONF_POOL_MAX_SPARE], "must be at least "
		    "min_spare (got %d, min_spare is %d)", svc->max_spare,
		    svc->min_spare);
	if (pool[CONF_POOL_MAX_WORKERS] != NULL && !pool_bad[CONF_POOL_MAX_WORKERS] &&
	    svc->max_workers < svc->min_spare)
		conf_err(ctx, pool[CONF_POOL_MAX_WORKERS], "must be at least "
		    "min_spare (got %d, min_spare is %d)", svc->max_workers,
		    svc->min_spare);
	if (pool[CONF_POOL_MAX_WORKERS] == NULL &&
	    svc->max_workers < svc->min_spare)
		conf_err(ctx, pool[CONF_POOL_MIN_SPARE], "must be at most "
		    "max_workers (got %d, max_workers is %d by default)",
		    svc->min_spare, svc->max_workers);
	svc->workers = svc->min_spare;
}

/*
 * conf_service_cred - the service's own user and group (the settings, when
 * present; their values are in svc once they passed the type check).
 * Root is never a default: a service runs as root only with user =
 * "root" written on it, not with another name for uid 0.
 */
static void
conf_service_cred(struct conf_ctx *ctx, struct conf_service *svc,
    const config_setting_t *user, const config_setting_t *group)
{
	if (svc->user != NULL) {
		if (conf_lookup_user(ctx, user, svc->user, &svc->uid,
		    &svc->gid) == -1)
			return;
		if (svc->uid == 0 && strcmp(svc->user, "root") != 0) {
			conf_err(ctx, user, "user \"%s\" is root (uid 0): "
			    "write user = \"root\" to run this service as "
			    "root", svc->user);
			return;
		}
	}
	if (svc->group != NULL)
		(void)conf_lookup_group(ctx, group, svc->group, &svc->gid);
}

/*
 * conf_service_users - once the global user is known: a service's group
 * needs a user, its own or the global one.
 */
void
conf_service_users(struct conf_ctx *ctx)
{
	const struct conf *conf = ctx->conf;
	size_t i;

	if (ctx->svc_group == NULL)
		return;
	for (i = 0; i < conf->nservices; i++)
		if (ctx->svc_group[i] != NULL &&
		    conf->services[i].user == NULL && conf->user == NULL)
			conf_err(ctx, ctx->svc_group[i], "needs user (on this "
			    "service or globally)");
}

/*
 * conf_service_user - who the workers of svc run as when preforkd is
 * started as root: the service's own user (and group, else that user's
 * primary group), or the global user with the service's group if it has
 * one.  The user's name with *uid and *gid, or NULL when no user is set.
 */
const char *
conf_service_user(const struct conf *conf, const struct conf_service *svc,
    uid_t *uid, gid_t *gid)
{
	if (svc->user != NULL) {
		*uid = svc->uid;
		*gid = svc->gid;
		return svc->user;
	}
	if (conf->user == NULL)
		return NULL;
	*uid = conf->uid;
	*gid = svc->group != NULL ? svc->gid : conf->gid;
	return conf->user;
}

/* conf_service_name - a service name: its characters, length, uniqueness. */
static void
conf_service_name(struct conf_ctx *ctx, const config_setting_t *s,
    size_t idx)
{
	struct conf_service *services = ctx->conf->services;
	const char *v;
	size_t i;

	if ((v = conf_get_string(ctx, s)) == NULL)
		return;
	if (*v == '\0') {
		conf_err(ctx, s, "must not be empty");
		return;
	}
	if (strlen(v) > SERVICE_NAME_MAX) {
		conf_err(ctx, s, "must be at most %d characters (got %zu)",
		    SERVICE_NAME_MAX, strlen(v));
		return;
	}
	if (strspn(v, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != strlen(v)) {
		conf_err(ctx, s, "may contain only letters, digits, \"_\" "
		    "and \"-\" (got \"%s\")", v);
		return;
	}
	for (i = 0; i < idx; i++) {
		if (services[i].name != NULL &&
		    strcmp(services[i].name, v) == 0) {
			conf_err(ctx, s, "name \"%s\" is already used by "
			    "services.[%zu] (line %d)", v, i, services[i].line);
			return;
		}
	}
	services[idx].name = conf_get_strdup(ctx, v);
}

/* conf_service_handler - the handler by name, listing all when unknown. */
static void
conf_service_handler(struct conf_ctx *ctx, const config_setting_t *s,
    struct conf_service *svc)
{
	const char *names[32], *v, *close;
	char list[512];
	size_t n, used;

	if ((v = conf_get_string(ctx, s)) == NULL)
		return;
	if ((svc->handler = handler_find(v)) != NULL)
		return;

	list[0] = '\0';
	used = 0;
	for (n = 0; handlers[n] != NULL && n < 31; n++) {
		names[n] = handlers[n]->name;
		snprintf(list + used, sizeof(list) - used, "%s%s",
		    n > 0 ? ", " : "", names[n]);
		used = strlen(list);
	}
	names[n] = NULL;
	if ((close = conf_err_closest(v, names)) != NULL)
		conf_err(ctx, s, "unknown handler \"%s\" (did you mean "
		    "\"%s\"?); handlers are: %s", v, close, list);
	else
		conf_err(ctx, s, "unknown handler \"%s\"; handlers are: %s",
		    v, list);
}

/*
 * conf_service_agent - the agent group belongs to handler "agent", which
 * needs it: it is what the agent reports on.
 */
static void
conf_service_agent(struct conf_ctx *ctx, const config_setting_t *group,
    const config_setting_t *agent, struct conf_service *svc)
{
	if (svc->handler != &handler_agent) {
		if (agent != NULL)
			conf_err(ctx, agent, "only applies to handler = "
			    "\"agent\" (this service's handler is \"%s\")",
			    svc->handler->name);
		return;
	}
	if (agent == NULL) {
		conf_err(ctx, group, "missing required setting \"agent\" "
		    "(handler \"agent\" reports on agent.services)");
		return;
	}
	conf_agent_parse(ctx, agent, svc);
	svc->view.state = svc->agent;
}

/*
 * conf_service_handler_check - what the handler needs: its exec or module
 * group (and no other's), and listeners it can serve: a handler without
 * serve_datagram cannot take udp, one without serve_stream neither tcp
 * nor unix.  exec modes "worker" and "wait" pass any socket on (what
 * they need instead is conf_exec_mode_check's).
 */
static void
conf_service_handler_check(struct conf_ctx *ctx,
    const config_setting_t *group, const config_setting_t *exec,
    const config_setting_t *module, struct conf_service *svc)
{
	const config_setting_t *e;
	struct addr addr;
	char err[ADDR_ERR_MAX];
	const char *text;
	int n, len;

	if (svc->handler == NULL)
		return;		/* unknown: already said */
	if (exec != NULL && svc->handler != &handler_exec)
		conf_err(ctx, exec, "only applies to handler = \"exec\" (this "
		    "service's handler is \"%s\")", svc->handler->name);
	if (module != NULL && svc->handler != &handler_module)
		conf_err(ctx, module, "only applies to handler = \"module\" "
		    "(this service's handler is \"%s\")", svc->handler->name);
	if (svc->handler == &handler_exec) {
		if (exec == NULL) {
			conf_err(ctx, group, "missing required setting "
			    "\"exec\" (handler \"exec\" runs exec.argv)");
			return;
		}
		conf_exec_parse(ctx, exec, svc,
		    (size_t)(svc - ctx->conf->services));
		if (svc->exec == NULL)
			return;
		svc->view.state = svc->exec;
		if (svc->exec->mode != EXEC_CONNECTION)
			return;
	} else if (svc->handler == &handler_module) {
		if (module == NULL) {
			conf_err(ctx, group, "missing required setting "
			    "\"module\" (handler \"module\" loads module.path)");
			return;
		}
		conf_module(ctx, module, svc);
		if (svc->handler == &handler_module)
			return;		/* not loaded: already said */
	}

	/* Every listener must be one the handler serves. */
	e = config_setting_get_member(group, "listen");
	if (e == NULL)
		return;
	len = config_setting_type(e) == CONFIG_TYPE_STRING ? 1 :
	    config_setting_length(e);
	for (n = 0; n < len; n++) {
		const config_setting_t *one = config_setting_type(e) ==
		    CONFIG_TYPE_STRING ? e : config_setting_get_elem(e,
		    (unsigned int)n);

		if (one == NULL || config_setting_type(one) !=
		    CONFIG_TYPE_STRING)
			continue;
		text = config_setting_get_string(one);
		if (addr_parse(text, &addr, err, sizeof(err)) == -1)
			continue;
		if (addr.proto == PROTO_UDP &&
		    svc->handler->serve_datagram == NULL)
			conf_err(ctx, one, "handler \"%s\"%s does not answer "
			    "datagrams, so it cannot listen on udp (got "
			    "\"%s\")", svc->handler == &handler_exec ? "exec" :
			    svc->handler->name, svc->handler == &handler_exec ?
			    " in mode \"connection\"" : "", text);
		else if (addr.proto != PROTO_UDP &&
		    svc->handler->serve_stream == NULL)
			conf_err(ctx, one, "handler \"%s\" serves datagrams "
			    "only, so it cannot listen on %s (got \"%s\")",
			    svc->handler->name, addr_proto_name(addr.proto),
			    text);
	}
}
