/*
 * abi20.c - a module built against the frozen ABI 2.0 header
 * (tests/modules/abi20/preforkd/module.h, by its include path in
 * Makefile.am), as an outside module built for an older preforkd: it
 * must load and serve in a daemon of a newer minor.  It uses the 2.0
 * accessors only, and says what it sees of the daemon's table:
 *
 *   a line    answered "GREETING LINE minor=M api=N known=K from=ADDR\n":
 *             M and N the daemon's minor and table size, K the size of
 *             the table this module knows (2.0's)
 *   "bad"     the connection ends as an error (set_end)
 *
 * SPDX-License-Identifier: MIT
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <preforkd/module.h>

#include "modline.h"

#if PREFORKD_MODULE_ABI_MAJOR != 2 || PREFORKD_MODULE_ABI_MINOR != 0
#error "abi20.c must be built against the frozen ABI 2.0 header"
#endif

static int
abi20_configure(struct preforkd_settings *s)
{
	const char *greeting = "abi20";
	char *g;

	if (s->get_string(s, "greeting", &greeting) == -1)
		return -1;
	if ((g = malloc(strlen(greeting) + 1)) == NULL) {
		s->error(s, NULL, "out of memory");
		return -1;
	}
	memcpy(g, greeting, strlen(greeting) + 1);
	s->state = g;
	return 0;
}

static void
abi20_release(void *state)
{
	free(state);
}

static int
abi20_worker_start(const struct preforkd_service *svc)
{
	svc->api->log(PREFORKD_LOG_INFO, "abi20: worker ready for %s (the "
	    "daemon's table is %zu bytes, minor %u)", svc->name,
	    svc->api->size, svc->api->abi_minor);
	return 0;
}

static void
abi20_stream(struct preforkd_conn *c)
{
	const struct preforkd_api *api = preforkd_conn_api(c);
	const char *greeting = api->service(c)->state;
	char line[256], out[512 + PREFORKD_ADDR_TEXT_MAX];
	char from[PREFORKD_ADDR_TEXT_MAX];
	const struct sockaddr *sa;
	socklen_t salen;
	int k;

	if (api->proto(c) != PREFORKD_PROTO_TCP || api->started(c) <= 0) {
		api->set_end(c, PREFORKD_END_ERROR);
		return;
	}
	sa = api->remote(c, &salen);
	api->format_addr(sa, salen, from, sizeof(from));
	while (modline_read(c, line, sizeof(line)) == 0) {
		if (strcmp(line, "bad") == 0) {
			api->set_end(c, PREFORKD_END_ERROR);
			return;
		}
		k = snprintf(out, sizeof(out), "%s %s minor=%u api=%zu "
		    "known=%zu from=%s\n", greeting, line, api->abi_minor,
		    api->size, sizeof(struct preforkd_api), from);
		if (preforkd_write(c, out, (size_t)k) == -1)
			return;
	}
}

const struct preforkd_module preforkd_module = {
	PREFORKD_MODULE_INIT,
	.name = "abi20",
	.configure = abi20_configure,
	.release = abi20_release,
	.worker_start = abi20_worker_start,
	.serve_stream = abi20_stream,
};
