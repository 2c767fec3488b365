/*
 * locker.c - a module for limit-t: code in a worker that dies holding its
 * service's source table lock, as a worker SIGKILLed in the middle of an
 * update would (the OOM killer, an administrator).  It knows the table's
 * layout (src/srctab.h) and finds it among the worker's shared mappings
 * by its magic.  The test's daemon must have one source table only.
 *
 * One command per line:
 *   lockdie   take the table's lock and die by SIGKILL, holding it
 *   anything else is answered "pong\n"
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "preforkd.h"
#include "srctab.h"
#include <preforkd/module.h>

#include "modline.h"

/* locker_table - the source table among our shared mappings, or NULL. */
static struct srctab_shared *
locker_table(void)
{
	struct srctab_shared *t = NULL;
	char line[512], perms[8];
	unsigned long a, b;
	FILE *f;

	if ((f = fopen("/proc/self/maps", "r")) == NULL)
		return NULL;
	while (t == NULL && fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%lx-%lx %7s", &a, &b, perms) != 3 ||
		    perms[0] != 'r' || perms[1] != 'w' || perms[3] != 's' ||
		    b - a < sizeof(*t))
			continue;
		if (memcmp((void *)a, SRCTAB_MAGIC, sizeof(SRCTAB_MAGIC)) == 0)
			t = (struct srctab_shared *)a;
	}
	fclose(f);
	return t;
}

static void
locker_stream(struct preforkd_conn *c)
{
	struct srctab_shared *t;
	char line[128];

	while (modline_read(c, line, sizeof(line)) == 0) {
		if (strcmp(line, "lockdie") == 0) {
			if ((t = locker_table()) == NULL) {
				preforkd_write(c, "no table\n", 9);
				return;
			}
			pthread_mutex_lock(&t->lock);
			raise(SIGKILL);
		}
		if (preforkd_write(c, "pong\n", 5) == -1)
			return;
	}
}

const struct preforkd_module preforkd_module = {
	PREFORKD_MODULE_INIT,
	.name = "locker",
	.serve_stream = locker_stream,
};
