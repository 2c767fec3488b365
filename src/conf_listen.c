/*
 * conf_listen.c - a service's listen addresses: one string or a list of
 * them, each parsed (addr.c), unix paths made absolute, none overlapping
 * an address accepted before, in this service or another; and unix_mode,
 * the permissions of its unix sockets.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_int.h"

#define UNIX_MODE_MAX	0777

static void	 conf_listen_one(struct conf_ctx *, const config_setting_t *,
		    struct conf_service *);

/* conf_listen_has_unix - whether a listen setting names a unix: address. */
int
conf_listen_has_unix(const config_setting_t *listen)
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

/* conf_listen_parse - a listen string, or an array or list of them. */
void
conf_listen_parse(struct conf_ctx *ctx, const config_setting_t *s,
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
		    "(got %s)", conf_get_type(s));
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
		conf_err_nomem(ctx);
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

	if ((text = conf_get_string(ctx, s)) == NULL)
		return;
	if (addr_parse(text, &addr, err, sizeof(err)) == -1) {
		conf_err(ctx, s, "invalid address \"%s\": %s", text, err);
		return;
	}
	if (addr.proto == PROTO_UNIX && strncmp(text, "unix:/", 6) != 0) {
		if ((abs = conf_get_absolute(ctx, s, text + 5)) == NULL)
			return;
		len = strlen(abs) + 6;
		if ((tmp = malloc(len)) == NULL) {
			free(abs);
			conf_err_nomem(ctx);
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
		conf_err_nomem(ctx);
		return;
	}
	ctx->seen = seen;
	seen[ctx->nseen].addr = addr;
	conf_err_path(s, seen[ctx->nseen].path, sizeof(seen[ctx->nseen].path));
	seen[ctx->nseen].line = (int)config_setting_source_line(s);
	ctx->nseen++;
	svc->listen[svc->nlisten++] = addr;
}

/*
 * conf_listen_unix_mode - unix_mode, the octal permissions of the unix
 * sockets, as a string; 0, or -1 after an error.
 */
int
conf_listen_unix_mode(struct conf_ctx *ctx, const config_setting_t *s,
    struct conf_service *svc)
{
	const char *v, *p;
	unsigned long mode = 0;

	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		conf_err(ctx, s, "must be a string of octal digits like "
		    "\"0660\" (got %s)", conf_get_type(s));
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

/*
 * conf_listen_unix_user - the setting ("services.[0].listen.[1]") of the
 * unix listener accepted so far at path, or NULL: for the paths that
 * must not be a listener's (control_socket).
 */
const char *
conf_listen_unix_user(const struct conf_ctx *ctx, const char *path)
{
	const struct sockaddr_un *un;
	size_t i;

	for (i = 0; i < ctx->nseen; i++) {
		if (ctx->seen[i].addr.proto != PROTO_UNIX)
			continue;
		un = (const struct sockaddr_un *)&ctx->seen[i].addr.ss;
		if (strcmp(un->sun_path, path) == 0)
			return ctx->seen[i].path;
	}
	return NULL;
}
