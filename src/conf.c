/*
 * conf.c - read the config file with libconfig, check every setting, and
 * hand the rest of preforkd a plain validated struct conf: the entry
 * points, and the global settings.  Every problem is collected, not just
 * the first, each as "FILE:LINE: SETTING: what is wrong" (conf_err.c).
 * The services are conf_service.c's, their listen addresses
 * conf_listen.c's, the exec handler's settings conf_exec.c's and a
 * module's conf_module.c's; conf_get.c reads a value of any of them.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf_int.h"

#ifndef RUNSTATEDIR
#define RUNSTATEDIR	"/run"
#endif

#define DEFAULT_SHUTDOWN_TIMEOUT	30

/* The longest path a sockaddr_un holds, its NUL aside (107 on Linux). */
#define CONF_SUN_PATH_MAX \
	(sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

const char *const conf_global_names[] = {
	"user", "group", "pid_file", "error_log", "log_level",
	"shutdown_timeout", "access_log", "control_socket", "services",
	"access", NULL
};

static void	 conf_globals(struct conf_ctx *, const config_setting_t *);
static void	 conf_control_socket(struct conf_ctx *,
		    const config_setting_t *, const config_setting_t *);
static void	 conf_users(struct conf_ctx *, const config_setting_t *,
		    const config_setting_t *);
static struct conf *conf_build(config_t *, const char *, struct errlist *);

int	conf_sandbox;

/*
 * conf_sandbox_id - the uid or gid a user or group name stands for in the
 * sandbox (conf_sandbox): "root" is 0, any other name 65534 (nobody), so
 * both the root and the unprivileged paths of the checks are reachable
 * without the name service (slow, and with state of its own).
 */
unsigned long
conf_sandbox_id(const char *name)
{
	return strcmp(name, "root") == 0 ? 0 : 65534;
}

#if LIBCONFIG_VER_MAJOR > 1 || \
    (LIBCONFIG_VER_MAJOR == 1 && LIBCONFIG_VER_MINOR >= 7)
/* conf_no_include - the sandbox's @include: always an error. */
static const char **
conf_no_include(config_t *cf, const char *dir, const char *path,
    const char **error)
{
	(void)cf;
	(void)dir;
	(void)path;
	*error = "@include is off in this sandbox";
	return NULL;
}
#endif

/*
 * conf_sandbox_includes - in the sandbox, make every @include of cf fail.
 * Before libconfig 1.7 there is no include hook, but the include
 * directory is put in front of every path, absolute ones too: a regular
 * file as the directory makes every open fail with ENOTDIR.
 */
static void
conf_sandbox_includes(config_t *cf)
{
	if (!conf_sandbox)
		return;
#if LIBCONFIG_VER_MAJOR > 1 || \
    (LIBCONFIG_VER_MAJOR == 1 && LIBCONFIG_VER_MINOR >= 7)
	config_set_include_func(cf, conf_no_include);
#else
	config_set_include_dir(cf, "/dev/null");
#endif
}

/* conf_globals - the top-level settings, in file order. */
static void
conf_globals(struct conf_ctx *ctx, const config_setting_t *root)
{
	struct conf *conf = ctx->conf;
	const config_setting_t *s, *user = NULL, *group = NULL;
	const config_setting_t *services = NULL, *pid_file = NULL;
	const config_setting_t *control = NULL, *access = NULL;
	const char *name, *v;
	int n, level, control_off = 0;

	for (n = 0; n < config_setting_length(root); n++) {
		s = config_setting_get_elem(root, (unsigned int)n);
		name = config_setting_name(s);
		if (strcmp(name, "user") == 0) {
			user = s;
			if ((v = conf_get_string(ctx, s)) != NULL)
				conf->user = conf_get_strdup(ctx, v);
		} else if (strcmp(name, "group") == 0) {
			group = s;
			if ((v = conf_get_string(ctx, s)) != NULL)
				conf->group = conf_get_strdup(ctx, v);
		} else if (strcmp(name, "pid_file") == 0) {
			pid_file = s;
			free(conf->pid_file);
			conf->pid_file = conf_get_path(ctx, s);
		} else if (strcmp(name, "error_log") == 0) {
			if ((v = conf_get_string(ctx, s)) == NULL)
				continue;
			if (strcmp(v, "syslog") == 0 ||
			    strcmp(v, "stderr") == 0)
				conf->error_log = conf_get_strdup(ctx, v);
			else
				conf->error_log = conf_get_path(ctx, s);
		} else if (strcmp(name, "log_level") == 0) {
			if ((v = conf_get_string(ctx, s)) == NULL)
				continue;
			if ((level = log_level_parse(v)) == -1)
				conf_err(ctx, s, "must be one of error, "
				    "warning, notice, info, debug (got \"%s\")",
				    v);
			else
				conf->log_level = level;
		} else if (strcmp(name, "shutdown_timeout") == 0) {
			conf_get_int(ctx, s, 0, SHUTDOWN_TIMEOUT_MAX,
			    &conf->shutdown_timeout);
		} else if (strcmp(name, "access_log") == 0) {
			if ((v = conf_get_string(ctx, s)) != NULL &&
			    strcmp(v, "off") != 0)
				conf->access_log = conf_get_path(ctx, s);
		} else if (strcmp(name, "control_socket") == 0) {
			control = s;
			if ((v = conf_get_string(ctx, s)) == NULL)
				continue;
			if (strcmp(v, "off") == 0)
				control_off = 1;
			else
				conf->control_socket =
				    conf_get_path(ctx, s);
		} else if (strcmp(name, "services") == 0) {
			services = s;
			conf_service_list(ctx, s);
		} else if (strcmp(name, "access") == 0) {
			access = s;
			conf_access_parse(ctx, s, &conf->access);
		} else
			conf_err_unknown(ctx, s, conf_global_names,
			    conf_service_names,
			    "it is a service setting: put it inside a group "
			    "in services");
	}
	if (services == NULL)
		conf_err_at(ctx, ctx->file, 0, "",
		    "missing required setting \"services\"");
	conf_users(ctx, user, group);
	conf_exec_check(ctx);
	conf_access_inherit(ctx, access);
	if (!control_off)
		conf_control_socket(ctx, control, pid_file);
}

/*
 * conf_control_socket - default control_socket from pid_file when the
 * setting is absent (s NULL; pid_file is that setting, if present), then
 * check that the path fits a sockaddr_un and is nobody else's: not the
 * pid file, not a unix listener.  Runs after the services, whose unix
 * paths conf_listen.c knows by then.
 */
static void
conf_control_socket(struct conf_ctx *ctx, const config_setting_t *s,
    const config_setting_t *pid_file)
{
	struct conf *conf = ctx->conf;
	const char *file = ctx->file, *path = "control_socket", *note = "";
	const char *user;
	char *p;
	size_t len;
	int line = 0;

	if (s != NULL && conf->control_socket == NULL)
		return;		/* an error already said why */
	if (s == NULL) {
		if (conf->pid_file == NULL)
			return;
		len = strlen(conf->pid_file);
		if (len >= 4 && strcmp(conf->pid_file + len - 4, ".pid") == 0)
			len -= 4;
		if ((p = malloc(len + 5)) == NULL) {
			conf_err_nomem(ctx);
			return;
		}
		memcpy(p, conf->pid_file, len);
		memcpy(p + len, ".ctl", 5);
		conf->control_socket = p;
		/* Errors about a default point at where it came from. */
		if (pid_file != NULL) {
			file = conf_err_file(ctx, pid_file);
			line = (int)config_setting_source_line(pid_file);
		}
		note = "; it defaults to pid_file with \".ctl\": set "
		    "control_socket to another path or to \"off\"";
	} else {
		file = conf_err_file(ctx, s);
		line = (int)config_setting_source_line(s);
	}

	if ((len = strlen(conf->control_socket)) > CONF_SUN_PATH_MAX) {
		conf_err_at(ctx, file, line, path, "path is too long for a "
		    "unix socket (%zu bytes, at most %zu)%s", len,
		    CONF_SUN_PATH_MAX, note);
		return;
	}
	if (conf->pid_file != NULL &&
	    strcmp(conf->control_socket, conf->pid_file) == 0) {
		conf_err_at(ctx, file, line, path, "\"%s\" is also used by "
		    "pid_file%s", conf->control_socket, note);
		return;
	}
	if ((user = conf_listen_unix_user(ctx, conf->control_socket)) != NULL)
		conf_err_at(ctx, file, line, path, "\"%s\" is also used by "
		    "%s%s", conf->control_socket, user, note);
}

/*
 * conf_not_found - whether getpwnam() or getgrnam() returning NULL with
 * errno err means "no such name" (0, or one of the values systems use
 * for it), not a lookup that failed (a name service down, no memory).
 */
static int
conf_not_found(int err)
{
	return err == 0 || err == ENOENT || err == ESRCH || err == EBADF ||
	    err == EPERM;
}

/*
 * conf_lookup_user - the user called name, for setting s: its uid and
 * primary group, or -1 after an error that says whether there is no
 * such user or the lookup itself failed.
 */
int
conf_lookup_user(struct conf_ctx *ctx, const config_setting_t *s,
    const char *name, uid_t *uid, gid_t *gid)
{
	struct passwd *pw;
	int err;

	if (conf_sandbox) {
		*uid = (uid_t)conf_sandbox_id(name);
		*gid = (gid_t)conf_sandbox_id(name);
		return 0;
	}
	errno = 0;
	if ((pw = getpwnam(name)) == NULL) {
		err = errno;
		if (conf_not_found(err))
			conf_err(ctx, s, "no such user \"%s\"", name);
		else
			conf_err(ctx, s, "cannot look up user \"%s\": %s",
			    name, strerror(err));
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

/* conf_lookup_group - the group called name, for setting s, as above. */
int
conf_lookup_group(struct conf_ctx *ctx, const config_setting_t *s,
    const char *name, gid_t *gid)
{
	struct group *gr;
	int err;

	if (conf_sandbox) {
		*gid = (gid_t)conf_sandbox_id(name);
		return 0;
	}
	errno = 0;
	if ((gr = getgrnam(name)) == NULL) {
		err = errno;
		if (conf_not_found(err))
			conf_err(ctx, s, "no such group \"%s\"", name);
		else
			conf_err(ctx, s, "cannot look up group \"%s\": %s",
			    name, strerror(err));
		return -1;
	}
	*gid = gr->gr_gid;
	return 0;
}

/*
 * conf_users - resolve user and group (the settings, when present; their
 * values are in conf once they passed the type check).  A root start needs
 * a user for every service: the global one, or the service's own
 * (conf_service_users checks the services' settings against it).
 */
static void
conf_users(struct conf_ctx *ctx, const config_setting_t *user,
    const config_setting_t *group)
{
	struct conf *conf = ctx->conf;
	size_t i;
	int every = conf->nservices > 0;

	for (i = 0; i < conf->nservices; i++)
		if (conf->services[i].user == NULL)
			every = 0;
	if (user == NULL && conf->group != NULL)
		conf_err(ctx, group, "needs user");
	if (user == NULL && geteuid() == 0 && !every)
		conf_err_at(ctx, ctx->file, 0, "user", "must be set when "
		    "preforkd starts as root (user = \"root\" keeps the "
		    "workers as root)");
	conf_service_users(ctx);
	if (conf->user == NULL ||
	    conf_lookup_user(ctx, user, conf->user, &conf->uid,
	    &conf->gid) == -1)
		return;
	if (conf->group != NULL)
		(void)conf_lookup_group(ctx, group, conf->group, &conf->gid);
}

/* conf_build - validate a parsed libconfig tree into a new struct conf. */
static struct conf *
conf_build(config_t *cf, const char *file, struct errlist *errs)
{
	struct conf_ctx ctx;
	struct conf *conf;
	size_t i;

	memset(&ctx, 0, sizeof(ctx));
	ctx.file = file;
	ctx.errs = errs;
	if ((conf = calloc(1, sizeof(*conf))) == NULL ||
	    (conf->file = strdup(file)) == NULL ||
	    (conf->pid_file = strdup(RUNSTATEDIR "/preforkd.pid")) == NULL) {
		conf_free(conf);
		errlist_add(errs, "%s: out of memory", file);
		return NULL;
	}
	conf->log_level = LL_INFO;
	conf->shutdown_timeout = DEFAULT_SHUTDOWN_TIMEOUT;
	ctx.conf = conf;

	conf_globals(&ctx, config_root_setting(cf));

	free(ctx.seen);
	free(ctx.exec_argv);
	free(ctx.svc_group);
	if (ctx.failed) {
		/* The warnings too, after the errors: all there is to fix. */
		for (i = 0; i < conf->warnings.n; i++)
			errlist_add(errs, "warning: %s", conf->warnings.msg[i]);
		conf_free(conf);
		return NULL;
	}
	return conf;
}

/*
 * conf_parse_string - parse and validate config text; name stands for the
 * file in messages.  NULL with every problem added to errs.
 */
struct conf *
conf_parse_string(const char *text, const char *name, struct errlist *errs)
{
	config_t cf;
	struct conf *conf = NULL;

	if (conf_include_scan(text, strlen(text), name, 0, errs) == -1)
		return NULL;
	config_init(&cf);
	conf_sandbox_includes(&cf);
	if (config_read_string(&cf, text) == CONFIG_TRUE)
		conf = conf_build(&cf, name, errs);
	else
		errlist_add(errs, "%s:%d: %s", config_error_file(&cf) != NULL ?
		    config_error_file(&cf) : name, config_error_line(&cf),
		    config_error_text(&cf));
	config_destroy(&cf);
	return conf;
}

/* conf_load - read, parse and validate file.  NULL with errors in errs. */
struct conf *
conf_load(const char *file, struct errlist *errs)
{
	config_t cf;
	struct conf *conf = NULL;
	struct stat st;
	char *text;
	size_t len;
	FILE *fp, *mem = NULL;
	int rc;

	if ((fp = fopen(file, "r")) == NULL) {
		errlist_add(errs, "%s: cannot read: %s", file, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode)) {
		errlist_add(errs, "%s: cannot read: %s", file,
		    strerror(EISDIR));
		fclose(fp);
		return NULL;
	}
	/* Read whole, once (-c /dev/stdin is read once): what its @include
	 * lines name is checked before libconfig opens it. */
	text = conf_include_read(fp, &len);
	rc = text == NULL ? errno : 0;
	fclose(fp);
	if (text == NULL) {
		errlist_add(errs, "%s: cannot read: %s", file, strerror(rc));
		return NULL;
	}
	if (conf_include_scan(text, len, file, 0, errs) == -1) {
		free(text);
		return NULL;
	}
	config_init(&cf);
	conf_sandbox_includes(&cf);
	/* From memory as from the file, NUL bytes and all. */
	if (len == 0)
		rc = config_read_string(&cf, "");
	else if ((mem = fmemopen(text, len, "r")) != NULL)
		rc = config_read(&cf, mem);
	else {
		errlist_add(errs, "%s: cannot read: fmemopen: %s", file,
		    strerror(errno));
		config_destroy(&cf);
		free(text);
		return NULL;
	}
	if (rc == CONFIG_TRUE)
		conf = conf_build(&cf, file, errs);
	else if (config_error_type(&cf) == CONFIG_ERR_FILE_IO &&
	    config_error_file(&cf) == NULL)
		errlist_add(errs, "%s: cannot read: %s", file,
		    config_error_text(&cf));
	else
		errlist_add(errs, "%s:%d: %s", config_error_file(&cf) != NULL ?
		    config_error_file(&cf) : file, config_error_line(&cf),
		    config_error_text(&cf));
	config_destroy(&cf);
	if (mem != NULL)
		fclose(mem);
	free(text);
	return conf;
}

/* conf_free - free a conf and everything it owns; NULL is fine. */
void
conf_free(struct conf *conf)
{
	struct conf_service *svc;
	size_t i, j;

	if (conf == NULL)
		return;
	/* First: a module's release may still read its service's name. */
	conf_module_free(conf);
	for (i = 0; i < conf->nservices; i++) {
		svc = &conf->services[i];
		conf_exec_free(svc->exec);
		conf_agent_free(svc->agent);
		free(svc->module_path);
		free(svc->user);
		free(svc->group);
		free(svc->name);
		for (j = 0; j < svc->nlisten; j++)
			free(svc->listen_text[j]);
		free(svc->listen_text);
		free(svc->listen);
		acl_free(&svc->access_own);
		acl_free(&svc->proxy_from);
	}
	acl_free(&conf->access);
	errlist_free(&conf->warnings);
	free(conf->services);
	free(conf->file);
	free(conf->user);
	free(conf->group);
	free(conf->pid_file);
	free(conf->error_log);
	free(conf->access_log);
	free(conf->control_socket);
	free(conf);
}
