/*
 * hostile.c - a module for hostile-t: code running in a worker that
 * attacks the master through every shared mapping it can find (the
 * scoreboard), as a compromised module or handler would.  It knows the
 * slot layout (it includes preforkd.h): the worst case.
 *
 * One command per line, each answered with "done N\n" (N: the mappings
 * written) before the connection goes on:
 *   forge PID  every slot made to look like a worker hung on a connection
 *              since the epoch whose program runs in process group PID,
 *              with counters near 2^64: consistent-looking, so that the
 *              master's hung-worker, retire, reap and stop paths act on it
 *   fill32 N   every 32-bit word of every shared mapping set to N
 *   fill64 N   every 64-bit word set to N (pointers, huge counters)
 *   hang       never answer: the worker stays busy until it is killed
 *   exit       the worker exits at once (the reap path)
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preforkd.h"
#include <preforkd/module.h>

#include "modline.h"

/* A writable shared mapping of ours, from /proc/self/maps. */
struct mapping {
	unsigned char	*start;
	size_t		 len;
};

/* hostile_maps - the worker's shared writable mappings, at most max. */
static int
hostile_maps(struct mapping *m, int max)
{
	char line[512], perms[8];
	unsigned long a, b;
	FILE *f;
	int n = 0;

	if ((f = fopen("/proc/self/maps", "r")) == NULL)
		return 0;
	while (n < max && fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%lx-%lx %7s", &a, &b, perms) != 3)
			continue;
		if (perms[0] != 'r' || perms[1] != 'w' || perms[3] != 's')
			continue;
		m[n].start = (unsigned char *)a;
		m[n].len = b - a;
		n++;
	}
	fclose(f);
	return n;
}

/* hostile_forge - every slot of mapping m made a hung worker of group pid. */
static void
hostile_forge(const struct mapping *m, pid_t pid)
{
	struct slot *s;
	size_t i, n = m->len / sizeof(struct slot);
	int c;

	for (i = 0; i < n; i++) {
		s = (struct slot *)(void *)(m->start + i * sizeof(*s));
		memset((void *)s, 0, sizeof(*s));
		for (c = 0; c < CTR_COUNT; c++)
			s->count[c] = UINT64_MAX - 1 - (uint64_t)c;
		s->group = pid;
		s->exec_at = 0;
		s->busy_since = 0;
		s->proto = PROTO_TCP;
		s->state = SLOT_BUSY;
	}
}

static void
hostile_fill(const struct mapping *m, uint64_t v, int width)
{
	unsigned char *p;

	for (p = m->start; p + width <= m->start + m->len; p += width) {
		if (width == 4)
			*(volatile uint32_t *)(void *)p = (uint32_t)v;
		else
			*(volatile uint64_t *)(void *)p = v;
	}
}

static void
hostile_stream(struct preforkd_conn *c)
{
	struct mapping maps[16];
	char line[128], out[64];
	long long v;
	int i, n, k;

	while (modline_read(c, line, sizeof(line)) == 0) {
		if (strcmp(line, "hang") == 0)
			for (;;)
				pause();
		if (strcmp(line, "exit") == 0)
			_exit(0);
		n = hostile_maps(maps, 16);
		for (i = 0; i < n; i++) {
			if (sscanf(line, "forge %lld", &v) == 1)
				hostile_forge(&maps[i], (pid_t)v);
			else if (sscanf(line, "fill32 %lli", &v) == 1)
				hostile_fill(&maps[i], (uint64_t)v, 4);
			else if (sscanf(line, "fill64 %lli", &v) == 1)
				hostile_fill(&maps[i], (uint64_t)v, 8);
		}
		k = snprintf(out, sizeof(out), "done %d\n", n);
		if (preforkd_write(c, out, (size_t)k) == -1)
			return;
	}
}

const struct preforkd_module preforkd_module = {
	PREFORKD_MODULE_INIT,
	.name = "hostile",
	.serve_stream = hostile_stream,
};
