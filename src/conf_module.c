/*
 * conf_module.c - handler = "module": load the module named by
 * module.path (module.c checks and dlopen()s it), hand its configure
 * callback the settings group through the accessors of struct
 * preforkd_settings, report every setting it never asked for, and give
 * it all back when the configuration is freed.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_int.h"
#include "handler.h"

static const char *const conf_module_names[] = {
	"path", "settings", NULL
};

/* What a service keeps of its module's settings: the strings handed out. */
struct conf_keep {
	void				**p;
	size_t				 n;
};

/*
 * What a configuration holds of a service's module until conf_free, in
 * conf->loaded[i] for conf->services[i]: the loaded code and the strings
 * handed to its configure.  Kept out of struct conf_service, which stays
 * plain settings (what the handler sees of it is its view).
 */
struct conf_loaded {
	void				*dl;		/* dlopen() handle */
	struct conf_keep		*keep;
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

/*
 * conf_keep - keep p (a string handed to the module) as long as the
 * configuration; p, or NULL (p freed, nomem noted) when it cannot be.
 */
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
	if (i == ms->nasked) {
		/* Unrecorded, the name would be "unknown" later: say why. */
		if ((a = realloc(ms->asked, (ms->nasked + 2) *
		    sizeof(*a))) == NULL)
			ms->nomem = 1;
		else {
			ms->asked = a;
			if ((a[ms->nasked] = conf_keep(ms, strdup(name))) !=
			    NULL)
				ms->nasked++;
			a[ms->nasked] = NULL;
		}
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
	conf_err_path(at, path, sizeof(path));
	if (ms->group == NULL)
		strncat(path, ".settings", sizeof(path) - strlen(path) - 1);
	if (name != NULL) {
		strncat(path, ".", sizeof(path) - strlen(path) - 1);
		strncat(path, name, sizeof(path) - strlen(path) - 1);
	}
	conf_err_at(ms->ctx, conf_err_file(ms->ctx, at),
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
		    conf_get_type(s));
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
		    conf_get_type(s));
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
		    conf_get_type(s));
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
		    conf_get_type(s));
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
	if ((v = conf_get_strings(ms->ctx, s)) == NULL) {
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
 * conf_module_held - where the configuration holds svc's module, the
 * table made on the first module; NULL after "out of memory".
 */
static struct conf_loaded *
conf_module_held(struct conf_ctx *ctx, const struct conf_service *svc)
{
	struct conf *conf = ctx->conf;

	if (conf->loaded == NULL && (conf->loaded = calloc(conf->nservices,
	    sizeof(*conf->loaded))) == NULL) {
		conf_err_nomem(ctx);
		return NULL;
	}
	return &conf->loaded[svc - conf->services];
}

/*
 * conf_module - module = { path = "..."; settings = { ... }; }: load the
 * module (module.c), then let it check its settings, then report every
 * setting it never asked for.
 */
void
conf_module(struct conf_ctx *ctx, const config_setting_t *group,
    struct conf_service *svc)
{
	const config_setting_t *s, *path = NULL, *settings = NULL;
	const struct preforkd_module *mod;
	struct conf_loaded *held;
	struct conf_msettings ms;
	const char *key, *close;
	char err[PATH_MAX + 256];
	int n, rc;

	if (config_setting_type(group) != CONFIG_TYPE_GROUP) {
		conf_err(ctx, group, "must be a group: module = { path = "
		    "\"/path/x.so\"; settings = { ... }; } (got %s)",
		    conf_get_type(group));
		return;
	}
	for (n = 0; n < config_setting_length(group); n++) {
		s = config_setting_get_elem(group, (unsigned int)n);
		key = config_setting_name(s);
		if (strcmp(key, "path") == 0) {
			path = s;
			svc->module_path = conf_get_path(ctx, s);
		} else if (strcmp(key, "settings") == 0) {
			if (config_setting_type(s) != CONFIG_TYPE_GROUP)
				conf_err(ctx, s, "must be a group: settings = "
				    "{ name = value; ... } (got %s)",
				    conf_get_type(s));
			else
				settings = s;
		} else
			conf_err_unknown(ctx, s, conf_module_names, conf_none, "");
	}
	if (path == NULL) {
		conf_err(ctx, group, "missing required setting \"path\"");
		return;
	}
	if (svc->module_path == NULL)
		return;
	if (conf_sandbox) {		/* tests/fuzz: load no code */
		conf_err(ctx, path, "modules are not loaded in this sandbox");
		return;
	}
	if ((held = conf_module_held(ctx, svc)) == NULL)
		return;
	if (module_open(svc->module_path, &held->dl, &mod, err,
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
		conf_err_nomem(ctx);
		return;
	}
	held->keep = ms.keep;

	if (mod->configure != NULL) {
		rc = mod->configure(&ms.pub);
		svc->view.state = ms.pub.state;
		if (ms.nomem)
			conf_err_nomem(ctx);
		if (rc != 0 && ms.errors == 0)
			conf_err(ctx, settings != NULL ? settings : path,
			    "module %s refused its settings without saying "
			    "why", mod->name);
		if (rc != 0 || ms.errors > 0 || ms.nomem) {
			free(ms.asked);
			return;
		}
	}
	/* What the module did not ask for, it does not know. */
	for (n = 0; settings != NULL && n < config_setting_length(settings);
	    n++) {
		s = config_setting_get_elem(settings, (unsigned int)n);
		key = config_setting_name(s);
		if (conf_get_index(key, ms.asked != NULL ? ms.asked :
		    conf_none) >= 0)
			continue;
		if (ms.asked == NULL)
			conf_err(ctx, s, "unknown setting: module %s takes "
			    "no settings", mod->name);
		else if ((close = conf_err_closest(key, ms.asked)) != NULL)
			conf_err(ctx, s, "unknown setting for module %s (did "
			    "you mean \"%s\"?)", mod->name, close);
		else
			conf_err(ctx, s, "unknown setting for module %s",
			    mod->name);
	}
	free(ms.asked);
}

/*
 * conf_module_free - give back every module conf loaded: its release
 * callback on what configure made, the code, the strings it was handed
 * (they live until release has run).
 */
void
conf_module_free(struct conf *conf)
{
	struct conf_service *svc;
	struct conf_loaded *held;
	size_t i, j;

	if (conf->loaded == NULL)
		return;
	for (i = 0; i < conf->nservices; i++) {
		svc = &conf->services[i];
		held = &conf->loaded[i];
		if (held->dl != NULL) {
			if (svc->handler != NULL &&
			    svc->handler->release != NULL &&
			    svc->view.state != NULL)
				svc->handler->release(svc->view.state);
			module_close(held->dl);
		}
		if (held->keep != NULL) {
			for (j = 0; j < held->keep->n; j++)
				free(held->keep->p[j]);
			free(held->keep->p);
			free(held->keep);
		}
	}
	free(conf->loaded);
	conf->loaded = NULL;
}
