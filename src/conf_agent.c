/*
 * conf_agent.c - the agent handler's settings: agent = { services = [
 * "web", ... ]; min_weight = 10; }; inside the service whose handler is
 * "agent" (handlers/agent.c answers HAProxy's agent-check from them).
 * The services it names must be other services of the same file: that is
 * checked once they are all read (conf_agent_check).
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "conf_int.h"
#include "handler.h"

#define DEFAULT_MIN_WEIGHT	10

static const char *const conf_agent_names[] = {
	"services", "min_weight", NULL
};

/*
 * conf_agent_parse - the agent group s of service svc, into svc->agent
 * (left NULL after an error, said with FILE:LINE).
 */
void
conf_agent_parse(struct conf_ctx *ctx, const config_setting_t *s,
    struct conf_service *svc)
{
	const config_setting_t *e, *list = NULL;
	struct conf_agent *a;
	int n;

	if (config_setting_type(s) != CONFIG_TYPE_GROUP) {
		conf_err(ctx, s, "must be a group: { services = [ ... ]; "
		    "min_weight = N; } (got %s)", conf_get_type(s));
		return;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		conf_err_nomem(ctx);
		return;
	}
	a->min_weight = DEFAULT_MIN_WEIGHT;
	for (n = 0; n < config_setting_length(s); n++) {
		e = config_setting_get_elem(s, (unsigned int)n);
		if (strcmp(config_setting_name(e), "services") == 0) {
			list = e;
			a->services = conf_get_strings(ctx, e);
		} else if (strcmp(config_setting_name(e), "min_weight") == 0)
			conf_get_int(ctx, e, 0, 100, &a->min_weight);
		else
			conf_err_unknown(ctx, e, conf_agent_names, conf_none,
			    "");
	}
	if (list == NULL)
		conf_err(ctx, s, "missing required setting \"services\" (the "
		    "services whose idle workers the agent reports)");
	else if (a->services != NULL && a->services[0] == NULL)
		conf_err(ctx, list, "must name at least one service");
	for (a->nservices = 0; a->services != NULL &&
	    a->services[a->nservices] != NULL; a->nservices++)
		;
	svc->agent = a;
}

/*
 * conf_agent_check - once every service is read: each name an agent
 * lists must be another service of the file, and listed once.
 */
void
conf_agent_check(struct conf_ctx *ctx, const config_setting_t *list)
{
	const struct conf *conf = ctx->conf;
	const config_setting_t *g, *names, *e;
	config_setting_t *ag;
	const struct conf_agent *a;
	const char *name;
	size_t i, j, k;

	for (i = 0; i < conf->nservices; i++) {
		if ((a = conf->services[i].agent) == NULL ||
		    a->services == NULL ||
		    (g = config_setting_get_elem(list, (unsigned int)i)) ==
		    NULL ||
		    (ag = config_setting_get_member(g, "agent")) == NULL ||
		    (names = config_setting_get_member(ag, "services")) ==
		    NULL)
			continue;
		for (k = 0; k < a->nservices; k++) {
			name = a->services[k];
			e = config_setting_get_elem(names, (unsigned int)k);
			for (j = 0; j < conf->nservices; j++)
				if (conf->services[j].name != NULL &&
				    strcmp(conf->services[j].name, name) == 0)
					break;
			if (j == conf->nservices)
				conf_err(ctx, e, "no service is named \"%s\"",
				    name);
			else if (j == i)
				conf_err(ctx, e, "\"%s\" is this agent's own "
				    "service: name the services it reports on",
				    name);
			for (j = 0; j < k; j++)
				if (strcmp(a->services[j], name) == 0) {
					conf_err(ctx, e, "\"%s\" is listed "
					    "twice", name);
					break;
				}
		}
	}
}

/* conf_agent_free - what conf_agent_parse made; NULL is fine. */
void
conf_agent_free(struct conf_agent *a)
{
	if (a == NULL)
		return;
	conf_get_strings_free(a->services);
	free(a);
}
