/*
 * conf.c - read the config file with libconfig, check every setting, and
 * hand the rest of preforkd a plain validated struct conf.  The only file
 * that includes <libconfig.h>.  Every problem is collected, not just the
 * first, each as "FILE:LINE: SETTING: what is wrong".
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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libconfig.h>

#include "preforkd.h"
#include "handler.h"

#ifndef RUNSTATEDIR
#define RUNSTATEDIR	"/run"
#endif
#ifndef PATH_MAX
#define PATH_MAX	4096
#endif

#define CONF_PATH_MAX	128	/* "services.[12].listen.[34]" and friends */
#define CONF_WORD_MAX	32	/* longer words get no "did you mean" */

#define DEFAULT_WORKERS			4
#define DEFAULT_BACKLOG			511
#define DEFAULT_SHUTDOWN_TIMEOUT	30
#define DEFAULT_UNIX_MODE		0666
#define UNIX_MODE_MAX			0777
#define DEFAULT_MIN_SPARE		2
#define DEFAULT_MAX_SPARE		8	/* raised to min_spare */
#define DEFAULT_MAX_WORKERS		64
#define MAX_REQUESTS_MAX		1000000000
#define TIMEOUT_MAX			86400
#define DEFAULT_IO_TIMEOUT		60

/* The longest path a sockaddr_un holds, its NUL aside (107 on Linux). */
#define CONF_SUN_PATH_MAX \
	(sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

/* One listen address already accepted, to find overlaps across services. */
struct conf_seen {
	struct addr	 addr;
	char		 path[CONF_PATH_MAX];
	int		 line;
};

/* The state of one load: where messages go, and what is built so far. */
struct conf_ctx {
	const char		*file;		/* as the user named it */
	struct errlist		*errs;
	int			 failed;
	struct conf		*conf;
	struct conf_seen	*seen;
	size_t			 nseen;
	/* exec.argv of each service, checked once the user is known. */
	const config_setting_t	**exec_argv;
};

static const char *const conf_global_names[] = {
	"user", "group", "pid_file", "error_log", "log_level",
	"shutdown_timeout", "access_log", "control_socket", "services", NULL
};

static const char *const conf_service_names[] = {
	"name", "listen", "handler", "workers", "min_spare", "max_spare",
	"max_workers", "backlog", "unix_mode", "max_requests", "timeout",
	"io_timeout", "exec", "module", NULL
};

static const char *const conf_exec_names[] = {
	"argv", "mode", "env", NULL
};

static const char *const conf_module_names[] = {
	"path", "settings", NULL
};

static const char *const conf_none[] = { NULL };

/*
 * The pool settings, in this order: workers makes a static pool, any of
 * the other three a dynamic one.  All take 1..WORKERS_MAX.
 */
enum {
	POOL_WORKERS,
	POOL_MIN_SPARE,
	POOL_MAX_SPARE,
	POOL_MAX_WORKERS,
	POOL_N
};

static const char *const conf_pool_names[] = {
	"workers", "min_spare", "max_spare", "max_workers", NULL
};

static size_t	 conf_distance(const char *, const char *);
static void	 conf_err_at(struct conf_ctx *, const char *, int, const char *,
		    const char *, ...) __attribute__((format(printf, 5, 6)));
static void	 conf_err(struct conf_ctx *, const config_setting_t *,
		    const char *, ...) __attribute__((format(printf, 3, 4)));
static void	 conf_path(const config_setting_t *, char *, size_t);
static const char *conf_file_of(struct conf_ctx *, const config_setting_t *);
static const char *conf_type_name(const config_setting_t *);
static int	 conf_index(const char *, const char *const *);
static int	 conf_in(const char *, const char *const *);
static void	 conf_unknown(struct conf_ctx *, const config_setting_t *,
		    const char *const *, const char *const *, const char *);
static const char *conf_string(struct conf_ctx *, const config_setting_t *);
static int	 conf_int(struct conf_ctx *, const config_setting_t *, int, int,
		    int *);
static char	*conf_absolute(struct conf_ctx *, const config_setting_t *,
		    const char *);
static char	*conf_path_setting(struct conf_ctx *,
		    const config_setting_t *);
static char	*conf_strdup(struct conf_ctx *, const char *);
static void	 conf_globals(struct conf_ctx *, const config_setting_t *);
static void	 conf_control_socket(struct conf_ctx *,
		    const config_setting_t *, const config_setting_t *);
static void	 conf_services(struct conf_ctx *, const config_setting_t *);
static void	 conf_service(struct conf_ctx *, const config_setting_t *,
		    size_t);
static void	 conf_service_name(struct conf_ctx *,
		    const config_setting_t *, size_t);
static int	 conf_has_unix(const config_setting_t *);
static void	 conf_listen(struct conf_ctx *, const config_setting_t *,
		    struct conf_service *);
static void	 conf_listen_one(struct conf_ctx *, const config_setting_t *,
		    struct conf_service *);
static void	 conf_handler(struct conf_ctx *, const config_setting_t *,
		    struct conf_service *);
static int	 conf_unix_mode(struct conf_ctx *, const config_setting_t *,
		    struct conf_service *);
static void	 conf_pool(struct conf_ctx *, struct conf_service *,
		    const config_setting_t *const *, const int *);
static void	 conf_users(struct conf_ctx *, const config_setting_t *,
		    const config_setting_t *);
static struct conf *conf_build(config_t *, const char *, struct errlist *);
static void	 conf_exec(struct conf_ctx *, const config_setting_t *,
		    struct conf_service *, size_t);
static char	**conf_strings(struct conf_ctx *, const config_setting_t *);
static void	 conf_exec_env(struct conf_ctx *, const config_setting_t *,
		    struct conf_exec *);
static void	 conf_exec_check(struct conf_ctx *);
static int	 conf_may(const struct stat *, uid_t, gid_t, int);
static void	 conf_module(struct conf_ctx *, const config_setting_t *,
		    struct conf_service *);
static void	 conf_handler_check(struct conf_ctx *,
		    const config_setting_t *, const config_setting_t *,
		    const config_setting_t *, const config_setting_t *const *,
		    struct conf_service *);
static void	 conf_free_service(struct conf_service *);

/* errlist_add - append one formatted message; on no memory, drop it. */
void
errlist_add(struct errlist *errs, const char *fmt, ...)
{
	va_list ap;
	char **msg, *s;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len < 0 || (s = malloc((size_t)len + 1)) == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(s, (size_t)len + 1, fmt, ap);
	va_end(ap);
	msg = realloc(errs->msg, (errs->n + 1) * sizeof(*errs->msg));
	if (msg == NULL) {
		free(s);
		return;
	}
	errs->msg = msg;
	errs->msg[errs->n++] = s;
}

void
errlist_free(struct errlist *errs)
{
	size_t i;

	for (i = 0; i < errs->n; i++)
		free(errs->msg[i]);
	free(errs->msg);
	errs->msg = NULL;
	errs->n = 0;
}

/* conf_distance - edit distance, counting a swap of neighbours as one. */
static size_t
conf_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, cost, v;
	size_t d[CONF_WORD_MAX + 1][CONF_WORD_MAX + 1];

	if (la > CONF_WORD_MAX || lb > CONF_WORD_MAX)
		return (size_t)-1;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			cost = a[i - 1] == b[j - 1] ? 0 : 1;
			v = d[i - 1][j - 1] + cost;
			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return d[la][lb];
}

/*
 * conf_closest - the candidate nearest to word, if it is within two edits
 * and nearer than retyping the candidate whole; else NULL.
 */
const char *
conf_closest(const char *word, const char *const *candidates)
{
	const char *best = NULL;
	size_t bestd = 3, d;

	for (; *candidates != NULL; candidates++) {
		d = conf_distance(word, *candidates);
		if (d < bestd && d < strlen(*candidates)) {
			best = *candidates;
			bestd = d;
		}
	}
	return best;
}

/* conf_file_of - the file a setting came from (an @include, or the main). */
static const char *
conf_file_of(struct conf_ctx *ctx, const config_setting_t *s)
{
	if (s != NULL && config_setting_source_file(s) != NULL)
		return config_setting_source_file(s);
	return ctx->file;
}

/* conf_path - the setting's libconfig path: "services.[0].listen.[1]". */
static void
conf_path(const config_setting_t *s, char *buf, size_t len)
{
	size_t used;

	buf[0] = '\0';
	if (s == NULL || config_setting_parent(s) == NULL)
		return;
	conf_path(config_setting_parent(s), buf, len);
	used = strlen(buf);
	if (config_setting_name(s) != NULL)
		snprintf(buf + used, len - used, "%s%s", used ? "." : "",
		    config_setting_name(s));
	else
		snprintf(buf + used, len - used, "%s[%d]", used ? "." : "",
		    config_setting_index(s));
}

/* conf_err_at - record "FILE:LINE: PATH: message"; LINE 0 and PATH "" drop. */
static void
conf_err_at(struct conf_ctx *ctx, const char *file, int line, const char *path,
    const char *fmt, ...)
{
	char where[PATH_MAX + CONF_PATH_MAX + 32], msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(where, sizeof(where), "%s:%d:", file, line);
	else
		snprintf(where, sizeof(where), "%s:", file);
	if (*path != '\0')
		errlist_add(ctx->errs, "%s %s: %s", where, path, msg);
	else
		errlist_add(ctx->errs, "%s %s", where, msg);
	ctx->failed = 1;
}

/* conf_err - record a message about setting s, naming its file and line. */
static void
conf_err(struct conf_ctx *ctx, const config_setting_t *s, const char *fmt, ...)
{
	char path[CONF_PATH_MAX], msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	conf_path(s, path, sizeof(path));
	conf_err_at(ctx, conf_file_of(ctx, s),
	    (int)config_setting_source_line(s), path, "%s", msg);
}

/* conf_type_name - "a string", "an integer"...: for "(got ...)". */
static const char *
conf_type_name(const config_setting_t *s)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_GROUP:
		return "a group";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a float";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	case CONFIG_TYPE_ARRAY:
		return "an array";
	case CONFIG_TYPE_LIST:
		return "a list";
	default:
		return "nothing";
	}
}

/* conf_index - the position of word in a NULL-ended list, or -1. */
static int
conf_index(const char *word, const char *const *list)
{
	int i;

	for (i = 0; list[i] != NULL; i++)
		if (strcmp(word, list[i]) == 0)
			return i;
	return -1;
}

static int
conf_in(const char *word, const char *const *list)
{
	return conf_index(word, list) >= 0;
}

/*
 * conf_unknown - report a setting that is not in known; say so when it
 * belongs at the other level (elsewhere), else suggest a close name.
 */
static void
conf_unknown(struct conf_ctx *ctx, const config_setting_t *s,
    const char *const *known, const char *const *elsewhere, const char *where)
{
	const char *name = config_setting_name(s), *close;

	if (name == NULL)
		name = "";
	if (conf_in(name, elsewhere))
		conf_err(ctx, s, "unknown setting here (%s)", where);
	else if ((close = conf_closest(name, known)) != NULL)
		conf_err(ctx, s, "unknown setting (did you mean \"%s\"?)",
		    close);
	else
		conf_err(ctx, s, "unknown setting");
}

/* conf_string - the value of a string setting, or NULL after an error. */
static const char *
conf_string(struct conf_ctx *ctx, const config_setting_t *s)
{
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		conf_err(ctx, s, "must be a string (got %s)",
		    conf_type_name(s));
		return NULL;
	}
	return config_setting_get_string(s);
}

/* conf_int - an integer setting within [min, max]; 0, or -1 after an error. */
static int
conf_int(struct conf_ctx *ctx, const config_setting_t *s, int min, int max,
    int *value)
{
	long long v;

	if (config_setting_type(s) != CONFIG_TYPE_INT &&
	    config_setting_type(s) != CONFIG_TYPE_INT64) {
		conf_err(ctx, s, "must be an integer (got %s)",
		    conf_type_name(s));
		return -1;
	}
	v = config_setting_get_int64(s);
	if (v < min || v > max) {
		conf_err(ctx, s, "must be between %d and %d (got %lld)",
		    min, max, v);
		return -1;
	}
	*value = (int)v;
	return 0;
}

static char *
conf_strdup(struct conf_ctx *ctx, const char *s)
{
	char *p;

	if ((p = strdup(s)) == NULL)
		conf_err_at(ctx, ctx->file, 0, "", "out of memory");
	return p;
}

/*
 * conf_absolute - a copy of path made absolute against the current
 * directory ("./" prefixes dropped), or NULL after an error about s.
 */
static char *
conf_absolute(struct conf_ctx *ctx, const config_setting_t *s,
    const char *path)
{
	char cwd[PATH_MAX], *abs;
	size_t len;

	if (*path == '/')
		return conf_strdup(ctx, path);
	while (path[0] == '.' && path[1] == '/')
		for (path += 2; *path == '/'; path++)
			continue;
	if (getcwd(cwd, sizeof(cwd)) == NULL) {
		conf_err(ctx, s, "cannot make \"%s\" absolute: getcwd: %s",
		    path, strerror(errno));
		return NULL;
	}
	len = strlen(cwd) + strlen(path) + 2;
	if ((abs = malloc(len)) == NULL) {
		conf_err_at(ctx, ctx->file, 0, "", "out of memory");
		return NULL;
	}
	snprintf(abs, len, "%s%s%s", cwd,
	    cwd[strlen(cwd) - 1] == '/' ? "" : "/", path);
	return abs;
}

/* conf_path_setting - a non-empty path string made absolute, or NULL. */
static char *
conf_path_setting(struct conf_ctx *ctx, const config_setting_t *s)
{
	const char *v;

	if ((v = conf_string(ctx, s)) == NULL)
		return NULL;
	if (*v == '\0') {
		conf_err(ctx, s, "must not be empty");
		return NULL;
	}
	return conf_absolute(ctx, s, v);
}

/* conf_globals - the top-level settings, in file order. */
static void
conf_globals(struct conf_ctx *ctx, const config_setting_t *root)
{
	struct conf *conf = ctx->conf;
	const config_setting_t *s, *user = NULL, *group = NULL;
	const config_setting_t *services = NULL, *pid_file = NULL;
	const config_setting_t *control = NULL;
	const char *name, *v;
	int n, level, control_off = 0;

	for (n = 0; n < config_setting_length(root); n++) {
		s = config_setting_get_elem(root, (unsigned int)n);
		name = config_setting_name(s);
		if (strcmp(name, "user") == 0) {
			user = s;
			if ((v = conf_string(ctx, s)) != NULL)
				conf->user = conf_strdup(ctx, v);
		} else if (strcmp(name, "group") == 0) {
			group = s;
			if ((v = conf_string(ctx, s)) != NULL)
				conf->group = conf_strdup(ctx, v);
		} else if (strcmp(name, "pid_file") == 0) {
			pid_file = s;
			free(conf->pid_file);
			conf->pid_file = conf_path_setting(ctx, s);
		} else if (strcmp(name, "error_log") == 0) {
			if ((v = conf_string(ctx, s)) == NULL)
				continue;
			if (strcmp(v, "syslog") == 0 ||
			    strcmp(v, "stderr") == 0)
				conf->error_log = conf_strdup(ctx, v);
			else
				conf->error_log = conf_path_setting(ctx, s);
		} else if (strcmp(name, "log_level") == 0) {
			if ((v = conf_string(ctx, s)) == NULL)
				continue;
			if ((level = log_level_parse(v)) == -1)
				conf_err(ctx, s, "must be one of error, "
				    "warning, notice, info, debug (got \"%s\")",
				    v);
			else
				conf->log_level = level;
		} else if (strcmp(name, "shutdown_timeout") == 0) {
			conf_int(ctx, s, 0, SHUTDOWN_TIMEOUT_MAX,
			    &conf->shutdown_timeout);
		} else if (strcmp(name, "access_log") == 0) {
			if ((v = conf_string(ctx, s)) != NULL &&
			    strcmp(v, "off") != 0)
				conf->access_log = conf_path_setting(ctx, s);
		} else if (strcmp(name, "control_socket") == 0) {
			control = s;
			if ((v = conf_string(ctx, s)) == NULL)
				continue;
			if (strcmp(v, "off") == 0)
				control_off = 1;
			else
				conf->control_socket =
				    conf_path_setting(ctx, s);
		} else if (strcmp(name, "services") == 0) {
			services = s;
			conf_services(ctx, s);
		} else
			conf_unknown(ctx, s, conf_global_names,
			    conf_service_names,
			    "it is a service setting: put it inside a group "
			    "in services");
	}
	if (services == NULL)
		conf_err_at(ctx, ctx->file, 0, "",
		    "missing required setting \"services\"");
	conf_users(ctx, user, group);
	conf_exec_check(ctx);
	if (!control_off)
		conf_control_socket(ctx, control, pid_file);
}

/*
 * conf_control_socket - default control_socket from pid_file when the
 * setting is absent (s NULL; pid_file is that setting, if present), then
 * check that the path fits a sockaddr_un
 * and is nobody else's: not the pid file, not a unix listener.  Runs
 * after the services, whose unix paths are in ctx->seen by then.
 */
static void
conf_control_socket(struct conf_ctx *ctx, const config_setting_t *s,
    const config_setting_t *pid_file)
{
	struct conf *conf = ctx->conf;
	const struct sockaddr_un *un;
	const char *file = ctx->file, *path = "control_socket", *note = "";
	char *p;
	size_t i, len;
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
			conf_err_at(ctx, ctx->file, 0, "", "out of memory");
			return;
		}
		memcpy(p, conf->pid_file, len);
		memcpy(p + len, ".ctl", 5);
		conf->control_socket = p;
		/* Errors about a default point at where it came from. */
		if (pid_file != NULL) {
			file = conf_file_of(ctx, pid_file);
			line = (int)config_setting_source_line(pid_file);
		}
		note = "; it defaults to pid_file with \".ctl\": set "
		    "control_socket to another path or to \"off\"";
	} else {
		file = conf_file_of(ctx, s);
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
	for (i = 0; i < ctx->nseen; i++) {
		if (ctx->seen[i].addr.proto != PROTO_UNIX)
			continue;
		un = (const struct sockaddr_un *)&ctx->seen[i].addr.ss;
		if (strcmp(un->sun_path, conf->control_socket) == 0) {
			conf_err_at(ctx, file, line, path, "\"%s\" is also "
			    "used by %s%s", conf->control_socket,
			    ctx->seen[i].path, note);
			return;
		}
	}
}

/*
 * conf_users - resolve user and group (the settings, when present; their
 * values are in conf once they passed the type check).  A root start needs
 * a user.
 */
static void
conf_users(struct conf_ctx *ctx, const config_setting_t *user,
    const config_setting_t *group)
{
	struct conf *conf = ctx->conf;
	struct passwd *pw;
	struct group *gr;

	if (user == NULL && conf->group != NULL)
		conf_err(ctx, group, "needs user");
	if (user == NULL && geteuid() == 0)
		conf_err_at(ctx, ctx->file, 0, "user", "must be set when "
		    "preforkd starts as root (user = \"root\" keeps the "
		    "workers as root)");
	if (conf->user == NULL)
		return;
	if ((pw = getpwnam(conf->user)) == NULL) {
		conf_err(ctx, user, "no such user \"%s\"", conf->user);
		return;
	}
	conf->uid = pw->pw_uid;
	conf->gid = pw->pw_gid;
	if (conf->group == NULL)
		return;
	if ((gr = getgrnam(conf->group)) == NULL) {
		conf_err(ctx, group, "no such group \"%s\"", conf->group);
		return;
	}
	conf->gid = gr->gr_gid;
}

/* conf_services - the services list: at least one group. */
static void
conf_services(struct conf_ctx *ctx, const config_setting_t *list)
{
	struct conf *conf = ctx->conf;
	const config_setting_t *s;
	int n, len;

	if (config_setting_type(list) != CONFIG_TYPE_LIST &&
	    !(config_setting_type(list) == CONFIG_TYPE_ARRAY &&
	    config_setting_length(list) == 0)) {
		conf_err(ctx, list, "must be a list of groups: "
		    "( { name = ...; }, ... ) (got %s)", conf_type_name(list));
		return;
	}
	if ((len = config_setting_length(list)) == 0) {
		conf_err(ctx, list, "must have at least one service");
		return;
	}
	if ((conf->services = calloc((size_t)len,
	    sizeof(*conf->services))) == NULL) {
		conf_err_at(ctx, ctx->file, 0, "", "out of memory");
		return;
	}
	conf->nservices = (size_t)len;
	if ((ctx->exec_argv = calloc((size_t)len,
	    sizeof(*ctx->exec_argv))) == NULL) {
		conf_err_at(ctx, ctx->file, 0, "", "out of memory");
		return;
	}
	for (n = 0; n < len; n++) {
		s = config_setting_get_elem(list, (unsigned int)n);
		if (config_setting_type(s) != CONFIG_TYPE_GROUP)
			conf_err(ctx, s, "must be a group (got %s)",
			    conf_type_name(s));
		else
			conf_service(ctx, s, (size_t)n);
	}
}

/* conf_service - one services.[i] group, into conf->services[idx]. */
static void
conf_service(struct conf_ctx *ctx, const config_setting_t *group, size_t idx)
{
	struct conf_service *svc = &ctx->conf->services[idx];
	const config_setting_t *s, *name = NULL, *listen = NULL;
	const config_setting_t *handler = NULL, *mode = NULL;
	const config_setting_t *exec = NULL, *module = NULL;
	const config_setting_t *max_requests = NULL, *timeout = NULL;
	const config_setting_t *pool[POOL_N] = { NULL };
	int *pool_value[POOL_N], pool_bad[POOL_N] = { 0 };
	const char *key;
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
	pool_value[POOL_WORKERS] = &svc->workers;
	pool_value[POOL_MIN_SPARE] = &svc->min_spare;
	pool_value[POOL_MAX_SPARE] = &svc->max_spare;
	pool_value[POOL_MAX_WORKERS] = &svc->max_workers;

	for (n = 0; n < config_setting_length(group); n++) {
		s = config_setting_get_elem(group, (unsigned int)n);
		key = config_setting_name(s);
		if (strcmp(key, "name") == 0) {
			name = s;
			conf_service_name(ctx, s, idx);
		} else if (strcmp(key, "listen") == 0) {
			listen = s;
			conf_listen(ctx, s, svc);
		} else if (strcmp(key, "handler") == 0) {
			handler = s;
			conf_handler(ctx, s, svc);
		} else if ((k = conf_index(key, conf_pool_names)) >= 0) {
			pool[k] = s;
			pool_bad[k] = conf_int(ctx, s, 1, WORKERS_MAX,
			    pool_value[k]) == -1;
		} else if (strcmp(key, "backlog") == 0)
			conf_int(ctx, s, 1, BACKLOG_MAX, &svc->backlog);
		else if (strcmp(key, "max_requests") == 0) {
			max_requests = s;
			conf_int(ctx, s, 0, MAX_REQUESTS_MAX,
			    &svc->max_requests);
		} else if (strcmp(key, "timeout") == 0) {
			timeout = s;
			conf_int(ctx, s, 0, TIMEOUT_MAX, &svc->timeout);
		} else if (strcmp(key, "exec") == 0)
			exec = s;
		else if (strcmp(key, "module") == 0)
			module = s;
		else if (strcmp(key, "io_timeout") == 0)
			conf_int(ctx, s, 0, TIMEOUT_MAX, &svc->io_timeout);
		else if (strcmp(key, "unix_mode") == 0) {
			if (conf_unix_mode(ctx, s, svc) == 0)
				mode = s;
		} else
			conf_unknown(ctx, s, conf_service_names,
			    conf_global_names,
			    "it is a global setting: put it outside services");
	}
	conf_pool(ctx, svc, pool, pool_bad);
	svc->view.name = svc->name;
	svc->view.timeout = svc->timeout;
	svc->view.io_timeout = svc->io_timeout;
	svc->view.api = &conn_api;
	if (handler != NULL)
		conf_handler_check(ctx, group, exec, module, pool, svc);
	if (svc->exec != NULL && svc->exec->mode == EXEC_WORKER &&
	    svc->max_requests > 0)
		conf_err(ctx, max_requests, "does not apply to exec.mode "
		    "\"worker\": the program serves its connections itself");
	if (svc->exec != NULL && svc->exec->mode == EXEC_WORKER &&
	    svc->timeout > 0)
		conf_err(ctx, timeout, "does not apply to exec.mode "
		    "\"worker\": the program serves its connections itself");

	if (name == NULL)
		conf_err(ctx, group, "missing required setting \"name\"");
	if (listen == NULL)
		conf_err(ctx, group, "missing required setting \"listen\"");
	if (handler == NULL)
		conf_err(ctx, group, "missing required setting \"handler\"");
	if (mode != NULL && listen != NULL && !conf_has_unix(listen)) {
		conf_path(group, path, sizeof(path));
		conf_err(ctx, mode, "only applies to unix: listen addresses, "
		    "and %s has none", path);
	}
}

/*
 * conf_pool - settle the pool from the pool settings present (pool[k] not
 * NULL; pool_bad[k] when its value was refused): static with workers,
 * dynamic with any of the others, never both.  A dynamic pool starts with
 * min_spare workers; a static one has min_spare = max_spare = max_workers
 * = workers, so the pool code may treat both alike.
 */
static void
conf_pool(struct conf_ctx *ctx, struct conf_service *svc,
    const config_setting_t *const *pool, const int *pool_bad)
{
	const config_setting_t *dyn = NULL, *first, *later;
	int k;

	for (k = POOL_MIN_SPARE; k < POOL_N; k++)
		if (pool[k] != NULL && (dyn == NULL ||
		    config_setting_index(pool[k]) < config_setting_index(dyn)))
			dyn = pool[k];
	if (dyn == NULL) {
		svc->min_spare = svc->max_spare = svc->max_workers =
		    svc->workers;
		return;
	}
	if (pool[POOL_WORKERS] != NULL) {
		first = pool[POOL_WORKERS];
		later = dyn;
		if (config_setting_index(dyn) < config_setting_index(first)) {
			first = dyn;
			later = pool[POOL_WORKERS];
		}
		conf_err(ctx, later, "cannot be combined with %s (line %d): "
		    "a pool is either static (workers) or dynamic "
		    "(min_spare, max_spare, max_workers)",
		    config_setting_name(first),
		    (int)config_setting_source_line(first));
		return;
	}

	svc->dynamic = 1;
	if (pool[POOL_MAX_SPARE] == NULL && svc->max_spare < svc->min_spare)
		svc->max_spare = svc->min_spare;
	if (pool_bad[POOL_MIN_SPARE])
		return;
	if (pool[POOL_MAX_SPARE] != NULL && !pool_bad[POOL_MAX_SPARE] &&
	    svc->max_spare < svc->min_spare)
		conf_err(ctx, pool[POOL_MAX_SPARE], "must be at least "
		    "min_spare (got %d, min_spare is %d)", svc->max_spare,
		    svc->min_spare);
	if (pool[POOL_MAX_WORKERS] != NULL && !pool_bad[POOL_MAX_WORKERS] &&
	    svc->max_workers < svc->min_spare)
		conf_err(ctx, pool[POOL_MAX_WORKERS], "must be at least "
		    "min_spare (got %d, min_spare is %d)", svc->max_workers,
		    svc->min_spare);
	if (pool[POOL_MAX_WORKERS] == NULL &&
	    svc->max_workers < svc->min_spare)
		conf_err(ctx, pool[POOL_MIN_SPARE], "must be at most "
		    "max_workers (got %d, max_workers is %d by default)",
		    svc->min_spare, svc->max_workers);
	svc->workers = svc->min_spare;
}

/* conf_service_name - a service name: its characters, length, uniqueness. */
static void
conf_service_name(struct conf_ctx *ctx, const config_setting_t *s,
    size_t idx)
{
	struct conf_service *services = ctx->conf->services;
	const char *v;
	size_t i;

	if ((v = conf_string(ctx, s)) == NULL)
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
	services[idx].name = conf_strdup(ctx, v);
}

/* conf_has_unix - whether a listen setting names any unix: address. */
static int
conf_has_unix(const config_setting_t *listen)
{
	const config_setting_t *e;
	const char *v;
	int n;

	if (config_setting_type(listen) == CONFIG_TYPE_STRING)
		return strncmp(config_setting_get_string(listen), "unix:",
		    5) == 0;
	for (n = 0; n < config_setting_length(listen); n++) {
		e = config_setting_get_elem(listen, (unsigned int)n);
		if (config_setting_type(e) == CONFIG_TYPE_STRING &&
		    (v = config_setting_get_string(e)) != NULL &&
		    strncmp(v, "unix:", 5) == 0)
			return 1;
	}
	return 0;
}

/* conf_listen - a listen string, or an array or list of them. */
static void
conf_listen(struct conf_ctx *ctx, const config_setting_t *s,
    struct conf_service *svc)
{
	int n, len;

	if (config_setting_type(s) == CONFIG_TYPE_STRING)
		len = 1;
	else if (config_setting_type(s) == CONFIG_TYPE_ARRAY ||
	    config_setting_type(s) == CONFIG_TYPE_LIST)
		len = config_setting_length(s);
	else {
		conf_err(ctx, s, "must be a string or a list of strings "
		    "(got %s)", conf_type_name(s));
		return;
	}
	if (len == 0) {
		conf_err(ctx, s, "must have at least one address");
		return;
	}
	if (len > LISTEN_PER_SERVICE_MAX) {
		conf_err(ctx, s, "must have at most %d addresses (got %d)",
		    LISTEN_PER_SERVICE_MAX, len);
		return;
	}
	if ((svc->listen = calloc((size_t)len, sizeof(*svc->listen))) == NULL ||
	    (svc->listen_text = calloc((size_t)len,
	    sizeof(*svc->listen_text))) == NULL) {
		conf_err_at(ctx, ctx->file, 0, "", "out of memory");
		return;
	}
	if (config_setting_type(s) == CONFIG_TYPE_STRING)
		conf_listen_one(ctx, s, svc);
	else
		for (n = 0; n < len; n++)
			conf_listen_one(ctx, config_setting_get_elem(s,
			    (unsigned int)n), svc);
}

/*
 * conf_listen_one - parse one address (unix paths made absolute), check it
 * against every address accepted so far, and append it to svc.
 */
static void
conf_listen_one(struct conf_ctx *ctx, const config_setting_t *s,
    struct conf_service *svc)
{
	struct addr addr;
	struct conf_seen *seen;
	char err[ADDR_ERR_MAX], a[ADDR_TEXT_MAX], b[ADDR_TEXT_MAX], *abs, *tmp;
	const char *text;
	size_t i, len;

	if ((text = conf_string(ctx, s)) == NULL)
		return;
	if (addr_parse(text, &addr, err, sizeof(err)) == -1) {
		conf_err(ctx, s, "invalid address \"%s\": %s", text, err);
		return;
	}
	if (addr.proto == PROTO_UNIX && strncmp(text, "unix:/", 6) != 0) {
		if ((abs = conf_absolute(ctx, s, text + 5)) == NULL)
			return;
		len = strlen(abs) + 6;
		if ((tmp = malloc(len)) == NULL) {
			free(abs);
			conf_err_at(ctx, ctx->file, 0, "", "out of memory");
			return;
		}
		snprintf(tmp, len, "unix:%s", abs);
		free(abs);
		if (addr_parse(tmp, &addr, err, sizeof(err)) == -1) {
			conf_err(ctx, s, "invalid address \"%s\": %s "
			    "once made absolute", text, err);
			free(tmp);
			return;
		}
		free(tmp);
	}

	for (i = 0; i < ctx->nseen; i++) {
		if (!addr_conflict(&addr, &ctx->seen[i].addr))
			continue;
		addr_format(&addr, a, sizeof(a));
		addr_format(&ctx->seen[i].addr, b, sizeof(b));
		if (strcmp(a, b) == 0)
			conf_err(ctx, s, "address %s is already used by %s "
			    "(line %d)", a, ctx->seen[i].path,
			    ctx->seen[i].line);
		else
			conf_err(ctx, s, "address %s overlaps %s of %s "
			    "(line %d)", a, b, ctx->seen[i].path,
			    ctx->seen[i].line);
		return;
	}

	if ((seen = realloc(ctx->seen, (ctx->nseen + 1) *
	    sizeof(*ctx->seen))) == NULL ||
	    (svc->listen_text[svc->nlisten] = strdup(text)) == NULL) {
		if (seen != NULL)
			ctx->seen = seen;
		conf_err_at(ctx, ctx->file, 0, "", "out of memory");
		return;
	}
	ctx->seen = seen;
	seen[ctx->nseen].addr = addr;
	conf_path(s, seen[ctx->nseen].path, sizeof(seen[ctx->nseen].path));
	seen[ctx->nseen].line = (int)config_setting_source_line(s);
	ctx->nseen++;
	svc->listen[svc->nlisten++] = addr;
}

/* conf_handler - the handler by name, listing them all when unknown. */
static void
conf_handler(struct conf_ctx *ctx, const config_setting_t *s,
    struct conf_service *svc)
{
	const char *names[32], *v, *close;
	char list[512];
	size_t n, used;

	if ((v = conf_string(ctx, s)) == NULL)
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
	if ((close = conf_closest(v, names)) != NULL)
		conf_err(ctx, s, "unknown handler \"%s\" (did you mean "
		    "\"%s\"?); handlers are: %s", v, close, list);
	else
		conf_err(ctx, s, "unknown handler \"%s\"; handlers are: %s",
		    v, list);
}

/* conf_unix_mode - octal permissions for unix sockets, as a string. */
static int
conf_unix_mode(struct conf_ctx *ctx, const config_setting_t *s,
    struct conf_service *svc)
{
	const char *v, *p;
	unsigned long mode = 0;

	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		conf_err(ctx, s, "must be a string of octal digits like "
		    "\"0660\" (got %s)", conf_type_name(s));
		return -1;
	}
	v = config_setting_get_string(s);
	if (*v == '\0' || strspn(v, "01234567") != strlen(v)) {
		conf_err(ctx, s, "must be octal digits like \"0660\" "
		    "(got \"%s\")", v);
		return -1;
	}
	for (p = v; *p != '\0' && mode <= UNIX_MODE_MAX; p++)
		mode = mode * 8 + (unsigned long)(*p - '0');
	if (mode > UNIX_MODE_MAX) {
		conf_err(ctx, s, "must be between 0 and 0777 (got \"%s\")", v);
		return -1;
	}
	svc->unix_mode = (mode_t)mode;
	return 0;
}

/* ------------------------------------------------------ exec and module */

/*
 * conf_handler_check - what the handler needs: its exec or module group
 * (and no other's), and listeners it can serve: a handler without
 * serve_datagram cannot take udp, one without serve_stream neither tcp
 * nor unix.  exec mode "worker" passes any socket on, but needs a static
 * pool.
 */
static void
conf_handler_check(struct conf_ctx *ctx, const config_setting_t *group,
    const config_setting_t *exec, const config_setting_t *module,
    const config_setting_t *const *pool, struct conf_service *svc)
{
	const config_setting_t *e, *dyn;
	struct addr addr;
	char err[ADDR_ERR_MAX];
	const char *text;
	int n, k, len;

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
		conf_exec(ctx, exec, svc, (size_t)(svc - ctx->conf->services));
		if (svc->exec == NULL)
			return;
		svc->view.state = svc->exec;
		if (svc->exec->mode == EXEC_WORKER) {
			svc->worker_run = exec_worker_run;
			dyn = NULL;
			for (k = POOL_MIN_SPARE; k < POOL_N; k++)
				if (pool[k] != NULL && dyn == NULL)
					dyn = pool[k];
			if (dyn != NULL)
				conf_err(ctx, config_setting_get_member(exec,
				    "mode"), "\"worker\" needs a static pool "
				    "(workers = N): the program accepts by "
				    "itself, so preforkd cannot count idle "
				    "workers (%s is set, line %d)",
				    config_setting_name(dyn),
				    (int)config_setting_source_line(dyn));
			return;
		}
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

/*
 * conf_strings - an array or list of strings as a NULL-ended vector, or
 * NULL after an error.  Every element must be a string.
 */
static char **
conf_strings(struct conf_ctx *ctx, const config_setting_t *s)
{
	const config_setting_t *e;
	char **v;
	int n, len, bad = 0;

	if (config_setting_type(s) != CONFIG_TYPE_ARRAY &&
	    config_setting_type(s) != CONFIG_TYPE_LIST) {
		conf_err(ctx, s, "must be a list of strings: [ \"...\", ... ] "
		    "(got %s)", conf_type_name(s));
		return NULL;
	}
	len = config_setting_length(s);
	for (n = 0; n < len; n++) {
		e = config_setting_get_elem(s, (unsigned int)n);
		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			conf_err(ctx, e, "must be a string (got %s)",
			    conf_type_name(e));
			bad = 1;
		}
	}
	if (bad)
		return NULL;
	if ((v = calloc((size_t)len + 1, sizeof(*v))) == NULL) {
		conf_err_at(ctx, ctx->file, 0, "", "out of memory");
		return NULL;
	}
	for (n = 0; n < len; n++) {
		e = config_setting_get_elem(s, (unsigned int)n);
		if ((v[n] = strdup(config_setting_get_string(e))) == NULL) {
			conf_err_at(ctx, ctx->file, 0, "", "out of memory");
			break;
		}
	}
	return v;
}

static void
conf_strv_free(char **v)
{
	size_t i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/*
 * conf_exec - services.[i].exec = { argv = [...]; mode = ...; env = [...]; }
 * into svc->exec.  argv[0] must be an absolute path; that it exists and
 * is executable is checked once the workers' user is known.
 */
static void
conf_exec(struct conf_ctx *ctx, const config_setting_t *group,
    struct conf_service *svc, size_t idx)
{
	const config_setting_t *s, *argv = NULL;
	struct conf_exec *x;
	const char *key, *v;
	int n, bad = 0;

	if (config_setting_type(group) != CONFIG_TYPE_GROUP) {
		conf_err(ctx, group, "must be a group: exec = { argv = "
		    "[ \"/path\", ... ]; } (got %s)", conf_type_name(group));
		return;
	}
	if ((x = calloc(1, sizeof(*x))) == NULL) {
		conf_err_at(ctx, ctx->file, 0, "", "out of memory");
		return;
	}
	x->mode = EXEC_CONNECTION;
	svc->exec = x;
	for (n = 0; n < config_setting_length(group); n++) {
		s = config_setting_get_elem(group, (unsigned int)n);
		key = config_setting_name(s);
		if (strcmp(key, "argv") == 0) {
			argv = s;
			if ((x->argv = conf_strings(ctx, s)) == NULL)
				bad = 1;
		} else if (strcmp(key, "mode") == 0) {
			if ((v = conf_string(ctx, s)) == NULL)
				bad = 1;
			else if (strcmp(v, "connection") == 0)
				x->mode = EXEC_CONNECTION;
			else if (strcmp(v, "worker") == 0)
				x->mode = EXEC_WORKER;
			else {
				conf_err(ctx, s, "must be \"connection\" or "
				    "\"worker\" (got \"%s\")", v);
				bad = 1;
			}
		} else if (strcmp(key, "env") == 0)
			conf_exec_env(ctx, s, x);
		else
			conf_unknown(ctx, s, conf_exec_names, conf_none, "");
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

	if ((x->env = conf_strings(ctx, s)) == NULL)
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

/* conf_may - whether uid:gid has permission bit (1 x, 2 w, 4 r) on st. */
static int
conf_may(const struct stat *st, uid_t uid, gid_t gid, int bit)
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
 * every directory above).  Started by root, that user is conf->user;
 * otherwise it is us.
 */
static void
conf_exec_check(struct conf_ctx *ctx)
{
	struct conf *conf = ctx->conf;
	const config_setting_t *s;
	struct stat st;
	const char *path;
	char dir[PATH_MAX], *slash, who[96];
	uid_t uid = geteuid();
	gid_t gid = getegid();
	size_t i;
	int other;

	if (ctx->exec_argv == NULL)
		return;
	other = uid == 0 && conf->user != NULL && conf->uid != 0;
	if (other) {
		uid = conf->uid;
		gid = conf->gid;
		snprintf(who, sizeof(who), " by user \"%s\", who runs the "
		    "workers", conf->user);
	} else
		who[0] = '\0';
	for (i = 0; i < conf->nservices; i++) {
		if ((s = ctx->exec_argv[i]) == NULL)
			continue;
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
		if (!conf_may(&st, uid, gid, 1)) {
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
			if (stat(dir, &st) == 0 && !conf_may(&st, uid, gid,
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

/* What a service keeps of its module's settings (svc->module_priv). */
struct conf_keep {
	void				**p;
	size_t				 n;
};

/*
 * A module's settings, as its configure callback sees them: the group,
 * the names it asked for (the rest are unknown settings), and the
 * strings handed out, which live as long as the configuration.
 */
struct conf_msettings {
	struct preforkd_settings	 pub;		/* first: the cast */
	struct conf_ctx			*ctx;
	const config_setting_t		*group;		/* NULL: none given */
	const config_setting_t		*module;	/* for errors then */
	const char			**asked;	/* NULL-ended */
	size_t				 nasked;
	int				 errors;
	int				 nomem;
	struct conf_keep		*keep;
};

static void *
conf_keep(struct conf_msettings *ms, void *p)
{
	void **np;

	if (p == NULL) {
		ms->nomem = 1;
		return NULL;
	}
	if ((np = realloc(ms->keep->p, (ms->keep->n + 1) *
	    sizeof(*np))) == NULL) {
		free(p);
		ms->nomem = 1;
		return NULL;
	}
	ms->keep->p = np;
	np[ms->keep->n++] = p;
	return p;
}

/* conf_ms_get - the named member, noting that the module knows the name. */
static const config_setting_t *
conf_ms_get(struct preforkd_settings *pub, const char *name)
{
	struct conf_msettings *ms = (struct conf_msettings *)pub;
	const char **a;
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < ms->nasked; i++)
		if (strcmp(ms->asked[i], name) == 0)
			break;
	if (i == ms->nasked && (a = realloc(ms->asked, (ms->nasked + 2) *
	    sizeof(*a))) != NULL) {
		ms->asked = a;
		if ((a[ms->nasked] = conf_keep(ms, strdup(name))) != NULL)
			ms->nasked++;
		a[ms->nasked] = NULL;
	}
	if (ms->group == NULL)
		return NULL;
	return config_setting_get_member(ms->group, name);
}

static void
conf_ms_error(struct preforkd_settings *pub, const char *name,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * conf_ms_error - a module's complaint about setting name, with the file
 * and line of the setting (of the group when the setting is absent).
 */
static void
conf_ms_error(struct preforkd_settings *pub, const char *name,
    const char *fmt, ...)
{
	struct conf_msettings *ms = (struct conf_msettings *)pub;
	const config_setting_t *s = NULL, *at;
	char msg[1024], path[CONF_PATH_MAX + 64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ms->errors++;
	if (name != NULL && ms->group != NULL)
		s = config_setting_get_member(ms->group, name);
	if (s != NULL) {
		conf_err(ms->ctx, s, "%s", msg);
		return;
	}
	at = ms->group != NULL ? ms->group : ms->module;
	conf_path(at, path, sizeof(path));
	if (ms->group == NULL)
		strncat(path, ".settings", sizeof(path) - strlen(path) - 1);
	if (name != NULL) {
		strncat(path, ".", sizeof(path) - strlen(path) - 1);
		strncat(path, name, sizeof(path) - strlen(path) - 1);
	}
	conf_err_at(ms->ctx, conf_file_of(ms->ctx, at),
	    (int)config_setting_source_line(at), path, "%s", msg);
}

static int
conf_ms_string(struct preforkd_settings *pub, const char *name,
    const char **value)
{
	struct conf_msettings *ms = (struct conf_msettings *)pub;
	const config_setting_t *s;
	char *copy;

	if ((s = conf_ms_get(pub, name)) == NULL)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		ms->errors++;
		conf_err(ms->ctx, s, "must be a string (got %s)",
		    conf_type_name(s));
		return -1;
	}
	if ((copy = conf_keep(ms, strdup(config_setting_get_string(s)))) ==
	    NULL)
		return -1;
	*value = copy;
	return 1;
}

static int
conf_ms_int(struct preforkd_settings *pub, const char *name, long long min,
    long long max, long long *value)
{
	struct conf_msettings *ms = (struct conf_msettings *)pub;
	const config_setting_t *s;
	long long v;

	if ((s = conf_ms_get(pub, name)) == NULL)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_INT &&
	    config_setting_type(s) != CONFIG_TYPE_INT64) {
		ms->errors++;
		conf_err(ms->ctx, s, "must be an integer (got %s)",
		    conf_type_name(s));
		return -1;
	}
	v = config_setting_get_int64(s);
	if (v < min || v > max) {
		ms->errors++;
		conf_err(ms->ctx, s, "must be between %lld and %lld (got %lld)",
		    min, max, v);
		return -1;
	}
	*value = v;
	return 1;
}

static int
conf_ms_bool(struct preforkd_settings *pub, const char *name, int *value)
{
	struct conf_msettings *ms = (struct conf_msettings *)pub;
	const config_setting_t *s;

	if ((s = conf_ms_get(pub, name)) == NULL)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
		ms->errors++;
		conf_err(ms->ctx, s, "must be true or false (got %s)",
		    conf_type_name(s));
		return -1;
	}
	*value = config_setting_get_bool(s) ? 1 : 0;
	return 1;
}

static int
conf_ms_float(struct preforkd_settings *pub, const char *name, double *value)
{
	struct conf_msettings *ms = (struct conf_msettings *)pub;
	const config_setting_t *s;

	if ((s = conf_ms_get(pub, name)) == NULL)
		return 0;
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_FLOAT:
		*value = config_setting_get_float(s);
		return 1;
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		*value = (double)config_setting_get_int64(s);
		return 1;
	default:
		ms->errors++;
		conf_err(ms->ctx, s, "must be a number (got %s)",
		    conf_type_name(s));
		return -1;
	}
}

static int
conf_ms_strings(struct preforkd_settings *pub, const char *name,
    const char *const **values, size_t *count)
{
	struct conf_msettings *ms = (struct conf_msettings *)pub;
	const config_setting_t *s;
	char **v;
	size_t i;

	if ((s = conf_ms_get(pub, name)) == NULL)
		return 0;
	if ((v = conf_strings(ms->ctx, s)) == NULL) {
		ms->errors++;
		return -1;
	}
	for (i = 0; v[i] != NULL; i++)
		if (conf_keep(ms, v[i]) == NULL) {
			for (i++; v[i] != NULL; i++)
				free(v[i]);
			free(v);
			return -1;
		}
	if (conf_keep(ms, v) == NULL)
		return -1;
	*values = (const char *const *)v;
	*count = i;
	return 1;
}

/*
 * conf_module - module = { path = "..."; settings = { ... }; }: load the
 * module (module.c), then let it check its settings, then report every
 * setting it never asked for.
 */
static void
conf_module(struct conf_ctx *ctx, const config_setting_t *group,
    struct conf_service *svc)
{
	const config_setting_t *s, *path = NULL, *settings = NULL;
	const struct preforkd_module *mod;
	struct conf_msettings ms;
	const char *key, *close;
	char err[PATH_MAX + 256];
	int n, rc;

	if (config_setting_type(group) != CONFIG_TYPE_GROUP) {
		conf_err(ctx, group, "must be a group: module = { path = "
		    "\"/path/x.so\"; settings = { ... }; } (got %s)",
		    conf_type_name(group));
		return;
	}
	for (n = 0; n < config_setting_length(group); n++) {
		s = config_setting_get_elem(group, (unsigned int)n);
		key = config_setting_name(s);
		if (strcmp(key, "path") == 0) {
			path = s;
			svc->module_path = conf_path_setting(ctx, s);
		} else if (strcmp(key, "settings") == 0) {
			if (config_setting_type(s) != CONFIG_TYPE_GROUP)
				conf_err(ctx, s, "must be a group: settings = "
				    "{ name = value; ... } (got %s)",
				    conf_type_name(s));
			else
				settings = s;
		} else
			conf_unknown(ctx, s, conf_module_names, conf_none, "");
	}
	if (path == NULL) {
		conf_err(ctx, group, "missing required setting \"path\"");
		return;
	}
	if (svc->module_path == NULL)
		return;
	if (module_open(svc->module_path, &svc->module_dl, &mod, err,
	    sizeof(err)) == -1) {
		conf_err(ctx, path, "%s", err);
		return;
	}
	svc->handler = mod;

	memset(&ms, 0, sizeof(ms));
	ms.pub.size = sizeof(ms.pub);
	ms.pub.service = svc->name != NULL ? svc->name : "";
	ms.pub.path = svc->module_path;
	ms.pub.get_string = conf_ms_string;
	ms.pub.get_int = conf_ms_int;
	ms.pub.get_bool = conf_ms_bool;
	ms.pub.get_float = conf_ms_float;
	ms.pub.get_strings = conf_ms_strings;
	ms.pub.error = conf_ms_error;
	ms.ctx = ctx;
	ms.group = settings;
	ms.module = group;
	if ((ms.keep = calloc(1, sizeof(*ms.keep))) == NULL) {
		conf_err_at(ctx, ctx->file, 0, "", "out of memory");
		return;
	}
	svc->module_priv = ms.keep;

	if (mod->configure != NULL) {
		rc = mod->configure(&ms.pub);
		svc->view.state = ms.pub.state;
		if (ms.nomem)
			conf_err_at(ctx, ctx->file, 0, "", "out of memory");
		if (rc != 0 && ms.errors == 0)
			conf_err(ctx, settings != NULL ? settings : path,
			    "module %s refused its settings without saying "
			    "why", mod->name);
		if (rc != 0 || ms.errors > 0) {
			free(ms.asked);
			return;
		}
	}
	/* What the module did not ask for, it does not know. */
	for (n = 0; settings != NULL && n < config_setting_length(settings);
	    n++) {
		s = config_setting_get_elem(settings, (unsigned int)n);
		key = config_setting_name(s);
		if (conf_index(key, ms.asked != NULL ? ms.asked :
		    conf_none) >= 0)
			continue;
		if (ms.asked == NULL)
			conf_err(ctx, s, "unknown setting: module %s takes "
			    "no settings", mod->name);
		else if ((close = conf_closest(key, ms.asked)) != NULL)
			conf_err(ctx, s, "unknown setting for module %s (did "
			    "you mean \"%s\"?)", mod->name, close);
		else
			conf_err(ctx, s, "unknown setting for module %s",
			    mod->name);
	}
	free(ms.asked);
}

/* conf_free_service - what the exec and module handlers hold. */
static void
conf_free_service(struct conf_service *svc)
{
	struct conf_keep *keep = svc->module_priv;
	size_t i;

	if (svc->exec != NULL) {
		conf_strv_free(svc->exec->argv);
		conf_strv_free(svc->exec->env);
		free(svc->exec);
		svc->exec = NULL;
	}
	if (svc->module_dl != NULL) {
		if (svc->handler != NULL && svc->handler->release != NULL &&
		    svc->view.state != NULL)
			svc->handler->release(svc->view.state);
		module_close(svc->module_dl);
		svc->module_dl = NULL;
	}
	if (keep != NULL) {
		for (i = 0; i < keep->n; i++)
			free(keep->p[i]);
		free(keep->p);
		free(keep);
	}
	svc->module_priv = NULL;
	free(svc->module_path);
	svc->module_path = NULL;
}

/* conf_build - validate a parsed libconfig tree into a new struct conf. */
static struct conf *
conf_build(config_t *cf, const char *file, struct errlist *errs)
{
	struct conf_ctx ctx;
	struct conf *conf;

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
	if (ctx.failed) {
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

	config_init(&cf);
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
	FILE *fp;

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
	config_init(&cf);
	if (config_read(&cf, fp) == CONFIG_TRUE)
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
	fclose(fp);
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
	for (i = 0; i < conf->nservices; i++) {
		svc = &conf->services[i];
		conf_free_service(svc);
		free(svc->name);
		for (j = 0; j < svc->nlisten; j++)
			free(svc->listen_text[j]);
		free(svc->listen_text);
		free(svc->listen);
	}
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
