/*
 * conf_int.h - what the config files (src/conf*.c) share and nothing else
 * sees: the state of one load, the helpers that read a setting and report
 * a problem with it as "FILE:LINE: SETTING: message", and each file's
 * entry points.  The one header that includes <libconfig.h>: the rest of
 * preforkd sees only the plain struct conf of preforkd.h.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef PREFORKD_CONF_INT_H
#define PREFORKD_CONF_INT_H

#include <stddef.h>
#include <stdio.h>

#include <libconfig.h>

#include "preforkd.h"

#ifndef PATH_MAX
#define PATH_MAX	4096
#endif

#define CONF_PATH_MAX	128	/* "services.[12].listen.[34]" and friends */

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
	struct conf_seen	*seen;		/* conf_listen.c's */
	size_t			 nseen;
	/* exec.argv of each service, checked once the user is known. */
	const config_setting_t	**exec_argv;
	/* The group setting of each service, checked once the global user
	 * is known (conf_service_users). */
	const config_setting_t	**svc_group;
};

/*
 * The pool settings of a service, in this order: workers makes a static
 * pool, any of the other three a dynamic one (conf_service.c; exec modes
 * "worker" and "wait" want a static one, conf_exec.c).
 */
enum {
	CONF_POOL_WORKERS,
	CONF_POOL_MIN_SPARE,
	CONF_POOL_MAX_SPARE,
	CONF_POOL_MAX_WORKERS,
	CONF_POOL_N
};

/* conf.c: the entry points and the global settings */
extern const char *const conf_global_names[];
int		 conf_lookup_user(struct conf_ctx *, const config_setting_t *,
		    const char *, uid_t *, gid_t *);
int		 conf_lookup_group(struct conf_ctx *, const config_setting_t *,
		    const char *, gid_t *);

/* conf_include.c: the paths of the @include lines, checked first */
char		*conf_include_read(FILE *, size_t *);
int		 conf_include_scan(const char *, size_t, const char *, int,
		    struct errlist *);

/* conf_err.c: how a problem with a setting is told */
extern const char *const conf_none[];	/* no names at all */
void		 conf_err_at(struct conf_ctx *, const char *, int, const char *,
		    const char *, ...) __attribute__((format(printf, 5, 6)));
void		 conf_err(struct conf_ctx *, const config_setting_t *,
		    const char *, ...) __attribute__((format(printf, 3, 4)));
void		 conf_warn(struct conf_ctx *, const config_setting_t *,
		    const char *, ...) __attribute__((format(printf, 3, 4)));
void		 conf_err_nomem(struct conf_ctx *);
void		 conf_err_unknown(struct conf_ctx *, const config_setting_t *,
		    const char *const *, const char *const *, const char *);
void		 conf_err_path(const config_setting_t *, char *, size_t);
const char	*conf_err_file(struct conf_ctx *, const config_setting_t *);
const char	*conf_err_closest(const char *, const char *const *);

/* conf_get.c: a setting's value, checked, or NULL/-1 after an error */
const char	*conf_get_type(const config_setting_t *);
int		 conf_get_index(const char *, const char *const *);
const char	*conf_get_string(struct conf_ctx *, const config_setting_t *);
int		 conf_get_int(struct conf_ctx *, const config_setting_t *, int,
		    int, int *);
int		 conf_get_ms(struct conf_ctx *, const config_setting_t *, int,
		    int, int *);
char		*conf_get_strdup(struct conf_ctx *, const char *);
char		*conf_get_absolute(struct conf_ctx *, const config_setting_t *,
		    const char *);
char		*conf_get_path(struct conf_ctx *, const config_setting_t *);
char		**conf_get_strings(struct conf_ctx *, const config_setting_t *);
void		 conf_get_strings_free(char **);

/* conf_service.c: the services list, each service and its pool */
extern const char *const conf_service_names[];
void		 conf_service_list(struct conf_ctx *, const config_setting_t *);
void		 conf_service_users(struct conf_ctx *);

/* conf_limit.c: a service's admission limits, in conf_limit_names' order */
enum conf_limit {
	CONF_LIMIT_PER_SOURCE,
	CONF_LIMIT_PREFIX6,
	CONF_LIMIT_RATE,
	CONF_LIMIT_RATE_PER_SOURCE,
	CONF_LIMIT_BYTES_PER_SOURCE,
	CONF_LIMIT_TABLE_SIZE,
	CONF_LIMIT_N
};

/* Which of them a service wrote, for the checks once it is read. */
struct conf_limit_seen {
	const config_setting_t	*s[CONF_LIMIT_N];
};

extern const char *const conf_limit_names[];
void		 conf_limit_init(struct conf_service *,
		    struct conf_limit_seen *);
int		 conf_limit_setting(struct conf_ctx *, const config_setting_t *,
		    struct conf_service *, struct conf_limit_seen *);
void		 conf_limit_check(struct conf_ctx *, struct conf_service *,
		    const struct conf_limit_seen *);

/* conf_listen.c: a service's listen addresses */
void		 conf_listen_parse(struct conf_ctx *, const config_setting_t *,
		    struct conf_service *);
int		 conf_listen_has_unix(const config_setting_t *);
int		 conf_listen_unix_mode(struct conf_ctx *,
		    const config_setting_t *, struct conf_service *);
const char	*conf_listen_unix_user(const struct conf_ctx *, const char *);

/* conf_exec.c: the exec handler's settings */
void		 conf_exec_parse(struct conf_ctx *, const config_setting_t *,
		    struct conf_service *, size_t);
void		 conf_exec_mode_check(struct conf_ctx *,
		    const config_setting_t *, const config_setting_t *const *,
		    const config_setting_t *, const config_setting_t *,
		    const config_setting_t *, const config_setting_t *,
		    struct conf_service *);
void		 conf_exec_check(struct conf_ctx *);
void		 conf_exec_free(struct conf_exec *);

/* conf_access.c: the access rules, of a service and the global default */
void		 conf_access_parse(struct conf_ctx *, const config_setting_t *,
		    struct acl *);
void		 conf_access_service(struct conf_ctx *,
		    const config_setting_t *, struct conf_service *);
void		 conf_access_inherit(struct conf_ctx *,
		    const config_setting_t *);
/* conf_admit.c: defer_accept, io_timeout_busy, min_rate */
int		 conf_admit_setting(struct conf_ctx *, const config_setting_t *,
		    struct conf_service *);
void		 conf_admit_check(struct conf_ctx *, const config_setting_t *,
		    const struct conf_service *);

/* conf_proxy.c: proxy_protocol, proxy_from, proxy_timeout */
void		 conf_proxy_init(struct conf_service *);
int		 conf_proxy_setting(struct conf_ctx *, const config_setting_t *,
		    struct conf_service *);
void		 conf_proxy_check(struct conf_ctx *, const config_setting_t *,
		    const struct conf_service *);

/* conf_agent.c: the agent handler's settings */
void		 conf_agent_parse(struct conf_ctx *, const config_setting_t *,
		    struct conf_service *);
void		 conf_agent_check(struct conf_ctx *, const config_setting_t *);
void		 conf_agent_free(struct conf_agent *);

/* conf_module.c: a module's settings, and loading it */
void		 conf_module(struct conf_ctx *, const config_setting_t *,
		    struct conf_service *);
void		 conf_module_free(struct conf *);

#endif /* PREFORKD_CONF_INT_H */
