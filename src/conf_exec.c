/*
 * conf_exec.c - the exec handler's settings: exec = { argv = [...];
 * mode = "connection" | "worker" | "wait"; env = [...]; }, what modes
 * "worker" and "wait" rule out, and whether the workers' user may run
 * argv[0] at all.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf_int.h"
#include "handler.h"

static const char *const conf_exec_names[] = {
	"argv", "mode", "env", NULL
};

static void	 conf_exec_env(struct conf_ctx *, const config_setting_t *,
		    struct conf_exec *);
static int	 conf_exec_may(const struct stat *, uid_t, gid_t, int);

/*
 * conf_exec_parse - services.[i].exec = { argv = [...]; mode = ...;
 * env = [...]; } into svc->exec (idx is the service's).  argv[0] must be
 * an absolute path; that it exists and is executable is checked once the
 * workers' user is known (conf_exec_check).
 */
void
conf_exec_parse(struct conf_ctx *ctx, const config_setting_t *group,
    struct conf_service *svc, size_t idx)
{
	const config_setting_t *s, *argv = NULL;
	struct conf_exec *x;
	const char *key, *v;
	int n, bad = 0;

	if (config_setting_type(group) != CONFIG_TYPE_GROUP) {
		conf_err(ctx, group, "must be a group: exec = { argv = "
		    "[ \"/path\", ... ]; } (got %s)", conf_get_type(group));
		return;
	}
	if ((x = calloc(1, sizeof(*x))) == NULL) {
		conf_err_nomem(ctx);
		return;
	}
	x->mode = EXEC_CONNECTION;
	svc->exec = x;
	for (n = 0; n < config_setting_length(group); n++) {
		s = config_setting_get_elem(group, (unsigned int)n);
		key = config_setting_name(s);
		if (strcmp(key, "argv") == 0) {
			argv = s;
			if ((x->argv = conf_get_strings(ctx, s)) == NULL)
				bad = 1;
		} else if (strcmp(key, "mode") == 0) {
			if ((v = conf_get_string(ctx, s)) == NULL)
				bad = 1;
			else if (strcmp(v, "connection") == 0)
				x->mode = EXEC_CONNECTION;
			else if (strcmp(v, "worker") == 0)
				x->mode = EXEC_WORKER;
			else if (strcmp(v, "wait") == 0)
				x->mode = EXEC_WAIT;
			else {
				conf_err(ctx, s, "must be \"connection\", "
				    "\"worker\" or \"wait\" (got \"%s\")", v);
				bad = 1;
			}
		} else if (strcmp(key, "env") == 0)
			conf_exec_env(ctx, s, x);
		else
			conf_err_unknown(ctx, s, conf_exec_names, conf_none, "");
	}
	if (argv == NULL) {
		conf_err(ctx, group, "missing required setting \"argv\"");
		return;
	}
	if (bad)
		return;
	if (x->argv[0] == NULL) {
		conf_err(ctx, argv, "must name the program to run: [ "
		    "\"/path/to/program\", \"arguments\", ... ]");
		return;
	}
	s = config_setting_get_elem(argv, 0);
	if (x->argv[0][0] != '/') {
		conf_err(ctx, s, "must be an absolute path (got \"%s\")",
		    x->argv[0]);
		return;
	}
	ctx->exec_argv[idx] = s;
}

/* conf_exec_env - exec.env: "NAME=value" strings, none of ours. */
static void
conf_exec_env(struct conf_ctx *ctx, const config_setting_t *s,
    struct conf_exec *x)
{
	const config_setting_t *e;
	const char *v, *eq;
	size_t i, len;
	int n;

	if ((x->env = conf_get_strings(ctx, s)) == NULL)
		return;
	for (n = 0; x->env[n] != NULL; n++) {
		e = config_setting_get_elem(s, (unsigned int)n);
		v = x->env[n];
		eq = strchr(v, '=');
		len = eq != NULL ? (size_t)(eq - v) : 0;
		if (eq == NULL || len == 0 || strspn(v,
		    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789_") != len || (v[0] >= '0' && v[0] <= '9')) {
			conf_err(ctx, e, "must look like NAME=value, NAME "
			    "made of letters, digits and \"_\" (got \"%s\")",
			    v);
			continue;
		}
		for (i = 0; exec_reserved_env[i] != NULL; i++)
			if (strlen(exec_reserved_env[i]) == len &&
			    strncmp(v, exec_reserved_env[i], len) == 0)
				conf_err(ctx, e, "%s is set by preforkd itself "
				    "(got \"%s\")", exec_reserved_env[i], v);
	}
}

/* conf_exec_may - whether uid:gid has permission bit (1 x, 2 w, 4 r). */
static int
conf_exec_may(const struct stat *st, uid_t uid, gid_t gid, int bit)
{
	if (uid == 0)
		return bit != 1 || (st->st_mode & 0111) != 0 ||
		    S_ISDIR(st->st_mode);
	if (st->st_uid == uid)
		return (st->st_mode & (mode_t)(bit << 6)) != 0;
	if (st->st_gid == gid)
		return (st->st_mode & (mode_t)(bit << 3)) != 0;
	return (st->st_mode & (mode_t)bit) != 0;
}

/*
 * conf_exec_check - each exec.argv[0] exists now, is a regular file, and
 * the workers' user may execute it (and reach it: search permission on
 * every directory above).  Started by root, that user is the service's
 * (conf_service_user); otherwise it is us.
 */
void
conf_exec_check(struct conf_ctx *ctx)
{
	struct conf *conf = ctx->conf;
	const config_setting_t *s;
	struct stat st;
	const char *path, *user;
	char dir[PATH_MAX], *slash, who[96];
	uid_t uid;
	gid_t gid;
	size_t i;
	int other;

	if (ctx->exec_argv == NULL)
		return;
	for (i = 0; i < conf->nservices; i++) {
		if ((s = ctx->exec_argv[i]) == NULL)
			continue;
		/* Started by root, the service's user runs the program. */
		user = geteuid() == 0 ? conf_service_user(conf,
		    &conf->services[i], &uid, &gid) : NULL;
		other = user != NULL && uid != 0;
		if (other)
			snprintf(who, sizeof(who), " by user \"%s\", who runs "
			    "the workers", user);
		else
			who[0] = '\0';
		path = config_setting_get_string(s);
		if (stat(path, &st) == -1) {
			if (errno == ENOENT || errno == ENOTDIR)
				conf_err(ctx, s, "\"%s\" does not exist", path);
			else
				conf_err(ctx, s, "\"%s\": %s", path,
				    strerror(errno));
			continue;
		}
		if (!S_ISREG(st.st_mode)) {
			conf_err(ctx, s, "\"%s\" is not a regular file", path);
			continue;
		}
		if (!other) {
			if (access(path, X_OK) == -1)
				conf_err(ctx, s, "\"%s\" is not executable "
				    "(%s)", path, strerror(errno));
			continue;
		}
		if (!conf_exec_may(&st, uid, gid, 1)) {
			conf_err(ctx, s, "\"%s\" is not executable%s", path,
			    who);
			continue;
		}
		snprintf(dir, sizeof(dir), "%s", path);
		while ((slash = strrchr(dir, '/')) != NULL) {
			if (slash == dir)
				slash[1] = '\0';
			else
				*slash = '\0';
			if (stat(dir, &st) == 0 && !conf_exec_may(&st, uid, gid,
			    1)) {
				conf_err(ctx, s, "\"%s\" is not executable%s: "
				    "no search permission on %s", path, who,
				    dir);
				break;
			}
			if (slash == dir)
				break;
		}
	}
}

/*
 * conf_exec_mode_check - what exec modes "worker" and "wait" rule out: the
 * program accepts (or reads its datagrams) by itself, so preforkd can
 * neither count idle workers (a dynamic pool) nor count or time its
 * connections (max_requests, timeout); in mode "wait" it gets the one
 * listening socket on fds 0 and 1, set up for it alone (no io_timeout),
 * so there must be exactly one.  exec is the exec group, pool the pool
 * settings present; max_requests, timeout, io_timeout and listen those
 * settings if present.
 */
void
conf_exec_mode_check(struct conf_ctx *ctx, const config_setting_t *exec,
    const config_setting_t *const *pool,
    const config_setting_t *max_requests, const config_setting_t *timeout,
    const config_setting_t *io_timeout, const config_setting_t *listen,
    struct conf_service *svc)
{
	const config_setting_t *dyn = NULL, *mode;
	const char *name = svc->exec->mode == EXEC_WAIT ? "wait" : "worker";
	int k;

	mode = config_setting_get_member(exec, "mode");
	for (k = CONF_POOL_MIN_SPARE; k < CONF_POOL_N; k++)
		if (pool[k] != NULL && dyn == NULL)
			dyn = pool[k];
	if (dyn != NULL)
		conf_err(ctx, mode, "\"%s\" needs a static pool (workers = "
		    "N): the program accepts by itself, so preforkd cannot "
		    "count idle workers (%s is set, line %d)", name,
		    config_setting_name(dyn),
		    (int)config_setting_source_line(dyn));
	if (svc->max_requests > 0)
		conf_err(ctx, max_requests, "does not apply to exec.mode "
		    "\"%s\": the program serves its connections itself", name);
	if (svc->timeout > 0)
		conf_err(ctx, timeout, "does not apply to exec.mode "
		    "\"%s\": the program serves its connections itself", name);
	if (svc->exec->mode != EXEC_WAIT)
		return;
	if (io_timeout != NULL && svc->io_timeout > 0)
		conf_err(ctx, io_timeout, "does not apply to exec.mode "
		    "\"wait\": the program gets the listening socket without "
		    "timeouts and keeps its clients itself");
	/* Its socket is the programs' alone: no timeouts on it. */
	svc->io_timeout = 0;
	svc->view.io_timeout = 0;
	if (listen != NULL && svc->nlisten > 1)
		conf_err(ctx, mode, "\"wait\" takes exactly one listen "
		    "address (listen, line %d, has %zu): the program gets the "
		    "listening socket as its standard input and output, where "
		    "only one fits; make one service per address",
		    (int)config_setting_source_line(listen), svc->nlisten);
}

/* conf_exec_free - free what conf_exec_parse made; NULL is fine. */
void
conf_exec_free(struct conf_exec *x)
{
	if (x == NULL)
		return;
	conf_get_strings_free(x->argv);
	conf_get_strings_free(x->env);
	free(x);
}
