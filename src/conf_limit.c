/*
 * conf_limit.c - a service's admission limits: how many connections one
 * source may hold (max_per_source, source_prefix6), how fast sources and
 * the whole service may come (max_rate_per_source, max_rate), how many
 * bytes of datagram replies a source may draw (max_reply_bytes_per_source),
 * and the size of the table that remembers sources (source_table_size).
 * Also the defaults that make the UDP built-ins (echo, chargen, daytime,
 * time) safe to expose: without them, each is a reflector that anyone can
 * aim at a third party by spoofing its address.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <string.h>

#include "conf_int.h"
#include "handler.h"

#define DEFAULT_SOURCE_PREFIX6		64
#define SOURCE_PREFIX6_MIN		48
#define DEFAULT_SOURCE_TABLE_SIZE	16384
#define MAX_PER_SOURCE_MAX		65535

/*
 * The UDP built-ins' defaults, per source (preforkd.conf(5) says why):
 * answers, and bytes of answers.
 */
#define UDP_BUILTIN_ANSWERS		"10/s burst 20"
#define UDP_BUILTIN_BYTES		"8192/s burst 16384"

/* In the order of enum conf_limit. */
const char *const conf_limit_names[] = {
	"max_per_source", "source_prefix6", "max_rate", "max_rate_per_source",
	"max_reply_bytes_per_source", "source_table_size", NULL
};

/* conf_limit_init - a service's limits before its settings: all off. */
void
conf_limit_init(struct conf_service *svc, struct conf_limit_seen *seen)
{
	memset(seen, 0, sizeof(*seen));
	svc->max_per_source = 0;
	svc->source_prefix6 = DEFAULT_SOURCE_PREFIX6;
	svc->source_table_size = DEFAULT_SOURCE_TABLE_SIZE;
	memset(&svc->max_rate, 0, sizeof(svc->max_rate));
	memset(&svc->max_rate_per_source, 0, sizeof(svc->max_rate_per_source));
	memset(&svc->max_reply_bytes_per_source, 0,
	    sizeof(svc->max_reply_bytes_per_source));
	svc->rate_per_source_udp = 0;
}

/* conf_limit_rate - a rate setting ("20/s burst 40", "off") into r. */
static void
conf_limit_rate(struct conf_ctx *ctx, const config_setting_t *s,
    struct rate *r)
{
	char err[160];
	const char *v;

	if ((v = conf_get_string(ctx, s)) == NULL)
		return;
	if (rate_parse(v, r, err, sizeof(err)) == -1)
		conf_err(ctx, s, "%s (got \"%s\")", err, v);
}

/*
 * conf_limit_setting - setting s of a service, if it is one of the
 * limits: 1 (read, or its error recorded), else 0.
 */
int
conf_limit_setting(struct conf_ctx *ctx, const config_setting_t *s,
    struct conf_service *svc, struct conf_limit_seen *seen)
{
	int k;

	if ((k = conf_get_index(config_setting_name(s), conf_limit_names)) < 0)
		return 0;
	seen->s[k] = s;
	switch (k) {
	case CONF_LIMIT_PER_SOURCE:
		conf_get_int(ctx, s, 0, MAX_PER_SOURCE_MAX,
		    &svc->max_per_source);
		break;
	case CONF_LIMIT_PREFIX6:
		conf_get_int(ctx, s, SOURCE_PREFIX6_MIN, 128,
		    &svc->source_prefix6);
		break;
	case CONF_LIMIT_RATE:
		conf_limit_rate(ctx, s, &svc->max_rate);
		break;
	case CONF_LIMIT_RATE_PER_SOURCE:
		conf_limit_rate(ctx, s, &svc->max_rate_per_source);
		break;
	case CONF_LIMIT_BYTES_PER_SOURCE:
		conf_limit_rate(ctx, s, &svc->max_reply_bytes_per_source);
		break;
	case CONF_LIMIT_TABLE_SIZE:
		conf_get_int(ctx, s, SRCTAB_ENTRIES_MIN, SRCTAB_ENTRIES_MAX,
		    &svc->source_table_size);
		break;
	}
	return 1;
}

/* conf_limit_udp_builtin - a built-in that answers every datagram. */
static int
conf_limit_udp_builtin(const struct conf_service *svc)
{
	return svc->handler == &handler_echo ||
	    svc->handler == &handler_chargen ||
	    svc->handler == &handler_daytime ||
	    svc->handler == &handler_time;
}

/*
 * conf_limit_check - once the whole service is read: the UDP built-ins'
 * defaults, and limits that cannot apply to what the service listens on.
 */
void
conf_limit_check(struct conf_ctx *ctx, struct conf_service *svc,
    const struct conf_limit_seen *seen)
{
	const config_setting_t *const *s = seen->s;
	char err[160];
	size_t i;
	int udp = 0, stream = 0;

	for (i = 0; i < svc->nlisten; i++) {
		if (svc->listen[i].proto == PROTO_UDP)
			udp = 1;
		else
			stream = 1;
	}
	if (udp && conf_limit_udp_builtin(svc)) {
		if (s[CONF_LIMIT_RATE_PER_SOURCE] == NULL) {
			rate_parse(UDP_BUILTIN_ANSWERS,
			    &svc->max_rate_per_source, err, sizeof(err));
			svc->rate_per_source_udp = 1;
		}
		if (s[CONF_LIMIT_BYTES_PER_SOURCE] == NULL)
			rate_parse(UDP_BUILTIN_BYTES,
			    &svc->max_reply_bytes_per_source, err, sizeof(err));
	}
	if (svc->nlisten == 0)
		return;		/* no listen address read: said already */
	if (s[CONF_LIMIT_PER_SOURCE] != NULL && svc->max_per_source > 0 &&
	    !stream)
		conf_err(ctx, s[CONF_LIMIT_PER_SOURCE], "only applies to "
		    "connections (tcp, unix), and this service listens on "
		    "udp only");
	if (s[CONF_LIMIT_BYTES_PER_SOURCE] != NULL &&
	    svc->max_reply_bytes_per_source.count > 0 && !udp)
		conf_err(ctx, s[CONF_LIMIT_BYTES_PER_SOURCE], "only applies "
		    "to replies to datagrams, and this service has no udp "
		    "listen address");
	if (s[CONF_LIMIT_TABLE_SIZE] != NULL &&
	    svc->max_rate_per_source.count == 0 &&
	    svc->max_reply_bytes_per_source.count == 0)
		conf_err(ctx, s[CONF_LIMIT_TABLE_SIZE], "only applies with "
		    "max_rate_per_source or max_reply_bytes_per_source, and "
		    "this service has neither");
}
