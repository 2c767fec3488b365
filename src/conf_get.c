/*
 * conf_get.c - a setting's value, checked: of the right type, in range,
 * a path made absolute, a list of strings copied out.  Each returns the
 * value, or NULL or -1 after recording what was wrong (conf_err.c), so
 * a caller goes on to the next setting.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf_int.h"

/* conf_get_type - "a string", "an integer"...: for "(got ...)". */
const char *
conf_get_type(const config_setting_t *s)
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

/* conf_get_index - the position of word in a NULL-ended list, or -1. */
int
conf_get_index(const char *word, const char *const *list)
{
	int i;

	for (i = 0; list[i] != NULL; i++)
		if (strcmp(word, list[i]) == 0)
			return i;
	return -1;
}

/* conf_get_string - the value of a string setting, or NULL after an error. */
const char *
conf_get_string(struct conf_ctx *ctx, const config_setting_t *s)
{
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		conf_err(ctx, s, "must be a string (got %s)",
		    conf_get_type(s));
		return NULL;
	}
	return config_setting_get_string(s);
}

/*
 * conf_get_int - an integer setting within [min, max] into *value; 0, or
 * -1 after an error.
 */
int
conf_get_int(struct conf_ctx *ctx, const config_setting_t *s, int min, int max,
    int *value)
{
	long long v;

	if (config_setting_type(s) != CONFIG_TYPE_INT &&
	    config_setting_type(s) != CONFIG_TYPE_INT64) {
		conf_err(ctx, s, "must be an integer (got %s)",
		    conf_get_type(s));
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

/*
 * conf_get_ms - a duration in seconds, an integer or a decimal ("0.25"),
 * within [min_ms, max_ms] milliseconds (0 always allowed: off), into
 * *value in milliseconds, rounded to the nearest; 0, or -1 after an error.
 */
int
conf_get_ms(struct conf_ctx *ctx, const config_setting_t *s, int min_ms,
    int max_ms, int *value)
{
	double v;

	if (config_setting_type(s) == CONFIG_TYPE_INT ||
	    config_setting_type(s) == CONFIG_TYPE_INT64)
		v = (double)config_setting_get_int64(s);
	else if (config_setting_type(s) == CONFIG_TYPE_FLOAT)
		v = config_setting_get_float(s);
	else {
		conf_err(ctx, s, "must be a number of seconds (got %s)",
		    conf_get_type(s));
		return -1;
	}
	if (v != 0 && !(v * 1000 >= min_ms - 0.5 && v * 1000 <= max_ms + 0.5)) {
		conf_err(ctx, s, "must be 0 (off) or between %d.%03d and %d "
		    "seconds (got %g)", min_ms / 1000, min_ms % 1000,
		    max_ms / 1000, v);
		return -1;
	}
	*value = (int)(v * 1000 + 0.5);
	return 0;
}

/* conf_get_strdup - a copy of s, or NULL after an "out of memory". */
char *
conf_get_strdup(struct conf_ctx *ctx, const char *s)
{
	char *p;

	if ((p = strdup(s)) == NULL)
		conf_err_nomem(ctx);
	return p;
}

/*
 * conf_get_absolute - a copy of path made absolute against the current
 * directory ("./" prefixes dropped), or NULL after an error about s.
 */
char *
conf_get_absolute(struct conf_ctx *ctx, const config_setting_t *s,
    const char *path)
{
	char cwd[PATH_MAX], *abs;
	size_t len;

	if (*path == '/')
		return conf_get_strdup(ctx, path);
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
		conf_err_nomem(ctx);
		return NULL;
	}
	snprintf(abs, len, "%s%s%s", cwd,
	    cwd[strlen(cwd) - 1] == '/' ? "" : "/", path);
	return abs;
}

/* conf_get_path - a non-empty path string made absolute, or NULL. */
char *
conf_get_path(struct conf_ctx *ctx, const config_setting_t *s)
{
	const char *v;

	if ((v = conf_get_string(ctx, s)) == NULL)
		return NULL;
	if (*v == '\0') {
		conf_err(ctx, s, "must not be empty");
		return NULL;
	}
	return conf_get_absolute(ctx, s, v);
}

/*
 * conf_get_strings - an array or list of strings as a NULL-ended vector,
 * or NULL after an error.  Every element must be a string.
 */
char **
conf_get_strings(struct conf_ctx *ctx, const config_setting_t *s)
{
	const config_setting_t *e;
	char **v;
	int n, len, bad = 0;

	if (config_setting_type(s) != CONFIG_TYPE_ARRAY &&
	    config_setting_type(s) != CONFIG_TYPE_LIST) {
		conf_err(ctx, s, "must be a list of strings: [ \"...\", ... ] "
		    "(got %s)", conf_get_type(s));
		return NULL;
	}
	len = config_setting_length(s);
	for (n = 0; n < len; n++) {
		e = config_setting_get_elem(s, (unsigned int)n);
		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			conf_err(ctx, e, "must be a string (got %s)",
			    conf_get_type(e));
			bad = 1;
		}
	}
	if (bad)
		return NULL;
	if ((v = calloc((size_t)len + 1, sizeof(*v))) == NULL) {
		conf_err_nomem(ctx);
		return NULL;
	}
	for (n = 0; n < len; n++) {
		e = config_setting_get_elem(s, (unsigned int)n);
		if ((v[n] = strdup(config_setting_get_string(e))) == NULL) {
			/* Not a shorter list: the caller would take it. */
			conf_get_strings_free(v);
			conf_err_nomem(ctx);
			return NULL;
		}
	}
	return v;
}

/* conf_get_strings_free - free a conf_get_strings vector; NULL is fine. */
void
conf_get_strings_free(char **v)
{
	size_t i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}
