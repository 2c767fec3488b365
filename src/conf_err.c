/*
 * conf_err.c - how the config tells a problem: "FILE:LINE: SETTING:
 * message" added to the load's error list (every problem, not just the
 * first), and for a name it does not know, a "did you mean" when one it
 * knows is close.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "conf_int.h"

#define CONF_WORD_MAX	32	/* longer words get no "did you mean" */

const char *const conf_none[] = { NULL };

/* conf_err_distance - edit distance, counting a swap of neighbours as one. */
static size_t
conf_err_distance(const char *a, const char *b)
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
 * conf_err_closest - the candidate nearest to word, if it is within two
 * edits and nearer than retyping the candidate whole; else NULL.
 */
const char *
conf_err_closest(const char *word, const char *const *candidates)
{
	const char *best = NULL;
	size_t bestd = 3, d;

	for (; *candidates != NULL; candidates++) {
		d = conf_err_distance(word, *candidates);
		if (d < bestd && d < strlen(*candidates)) {
			best = *candidates;
			bestd = d;
		}
	}
	return best;
}

/* conf_err_file - the file a setting came from (an @include, or the main). */
const char *
conf_err_file(struct conf_ctx *ctx, const config_setting_t *s)
{
	if (s != NULL && config_setting_source_file(s) != NULL)
		return config_setting_source_file(s);
	return ctx->file;
}

/* conf_err_path - the setting's path: "services.[0].listen.[1]". */
void
conf_err_path(const config_setting_t *s, char *buf, size_t len)
{
	size_t used;

	buf[0] = '\0';
	if (s == NULL || config_setting_parent(s) == NULL)
		return;
	conf_err_path(config_setting_parent(s), buf, len);
	used = strlen(buf);
	if (config_setting_name(s) != NULL)
		snprintf(buf + used, len - used, "%s%s", used ? "." : "",
		    config_setting_name(s));
	else
		snprintf(buf + used, len - used, "%s[%d]", used ? "." : "",
		    config_setting_index(s));
}

/*
 * conf_err_vadd - add "FILE:LINE: PATH: message" to list; LINE 0 and
 * PATH "" drop.
 */
static void
conf_err_vadd(struct errlist *list, const char *file, int line,
    const char *path, const char *fmt, va_list ap)
{
	char where[PATH_MAX + CONF_PATH_MAX + 32], msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (line > 0)
		snprintf(where, sizeof(where), "%s:%d:", file, line);
	else
		snprintf(where, sizeof(where), "%s:", file);
	if (*path != '\0')
		errlist_add(list, "%s %s: %s", where, path, msg);
	else
		errlist_add(list, "%s %s", where, msg);
}

/* conf_err_at - record "FILE:LINE: PATH: message"; LINE 0 and PATH "" drop. */
void
conf_err_at(struct conf_ctx *ctx, const char *file, int line, const char *path,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_err_vadd(ctx->errs, file, line, path, fmt, ap);
	va_end(ap);
	ctx->failed = 1;
}

/* conf_err_about - add a message about setting s to list. */
static void
conf_err_about(struct conf_ctx *ctx, struct errlist *list,
    const config_setting_t *s, const char *fmt, va_list ap)
{
	char path[CONF_PATH_MAX];

	conf_err_path(s, path, sizeof(path));
	conf_err_vadd(list, conf_err_file(ctx, s),
	    (int)config_setting_source_line(s), path, fmt, ap);
}

/* conf_err - record a message about setting s, naming its file and line. */
void
conf_err(struct conf_ctx *ctx, const config_setting_t *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_err_about(ctx, ctx->errs, s, fmt, ap);
	va_end(ap);
	ctx->failed = 1;
}

/*
 * conf_warn - a warning about setting s, naming its file and line:
 * something that is probably not what was meant but still has a meaning,
 * which the load keeps in conf->warnings (shown by -t, logged at start
 * and reload) and does not fail for.
 */
void
conf_warn(struct conf_ctx *ctx, const config_setting_t *s, const char *fmt,
    ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_err_about(ctx, &ctx->conf->warnings, s, fmt, ap);
	va_end(ap);
}

/* conf_err_nomem - record that the load ran out of memory. */
void
conf_err_nomem(struct conf_ctx *ctx)
{
	conf_err_at(ctx, ctx->file, 0, "", "out of memory");
}

/*
 * conf_err_unknown - report a setting that is not in known; say so when it
 * belongs at the other level (elsewhere), else suggest a close name.
 */
void
conf_err_unknown(struct conf_ctx *ctx, const config_setting_t *s,
    const char *const *known, const char *const *elsewhere, const char *where)
{
	const char *name = config_setting_name(s), *close;

	if (name == NULL)
		name = "";
	if (conf_get_index(name, elsewhere) >= 0)
		conf_err(ctx, s, "unknown setting here (%s)", where);
	else if ((close = conf_err_closest(name, known)) != NULL)
		conf_err(ctx, s, "unknown setting (did you mean \"%s\"?)",
		    close);
	else
		conf_err(ctx, s, "unknown setting");
}
