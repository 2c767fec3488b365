/*
 * agent.c - the built-in "agent" service: HAProxy's agent-check.  On
 * each connection it writes one line and closes: "ready NN%", NN the
 * share of idle workers across the services it reports on (never below
 * min_weight), so that HAProxy sends less to a pool close to full before
 * its clients queue; or "drain" while the master stops, while a reload's
 * new generation is not yet ready, or while an upgrade hands over.  It
 * is always "ready" otherwise, never "up": HAProxy lifts a DRAIN only on
 * "ready".  The worker reads the published page and the live slots
 * (pub_read), as the metrics do; the master serves no one.
 *
 * A dynamic pool's room to grow counts as idle: the master forks into it
 * within a second or two of need (Apache's ramp), so a dynamic pool at
 * min_spare is not "nearly full" while it may still grow to max_workers;
 * its share is (idle + max_workers - workers) / max_workers.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handler.h"
#include "builtin.h"

static void	agent_stream(struct preforkd_conn *);

const struct preforkd_module handler_agent = {
	PREFORKD_MODULE_INIT,
	.name = "agent",
	.worker_start = NULL,
	.serve_stream = agent_stream,
	.serve_datagram = NULL,
	.worker_stop = NULL,
};

/*
 * agent_answer - the line for phase (enum pub_phase) and the n pools
 * reported on, into out (len bytes): "drain\n" unless running, else
 * "ready NN%\n" with NN = max(min_weight, 100 * idle / total) (total 0:
 * min_weight).  Returns its length.
 */
size_t
agent_answer(char *out, size_t len, int phase, const struct agent_pool *pools,
    size_t n, int min_weight)
{
	uint64_t idle = 0, total = 0, room;
	size_t i;
	int w, k;

	if (phase != PUB_RUNNING)
		k = snprintf(out, len, "drain\n");
	else {
		for (i = 0; i < n; i++) {
			idle += (uint64_t)(pools[i].idle > 0 ? pools[i].idle : 0);
			total += (uint64_t)(pools[i].workers > 0 ?
			    pools[i].workers : 0);
			if (pools[i].dynamic &&
			    pools[i].max_workers > pools[i].workers) {
				room = (uint64_t)(pools[i].max_workers -
				    (pools[i].workers > 0 ? pools[i].workers : 0));
				idle += room;
				total += room;
			}
		}
		w = total == 0 ? 0 : (int)(idle * 100 / total);
		if (w > 100)
			w = 100;
		if (w < min_weight)
			w = min_weight;
		k = snprintf(out, len, "ready %d%%\n", w);
	}
	return k < 0 ? 0 : (size_t)k >= len ? len - 1 : (size_t)k;
}

static void
agent_stream(struct preforkd_conn *c)
{
	const struct conf_agent *a = conn_api.service(c)->state;
	const struct pub_snap_service *v;
	struct agent_pool *pp;
	struct pub_snap snap;
	char line[AGENT_ANSWER_MAX];
	size_t i, j, n = 0;

	if ((pp = calloc(a->nservices, sizeof(*pp))) == NULL ||
	    pub_read(&snap) == -1) {
		log_warning("agent: cannot read the published totals: %s; "
		    "answering drain", strerror(errno));
		free(pp);
		(void)conn_write(c, "drain\n", 6);
		return;
	}
	for (i = 0; i < a->nservices; i++) {
		for (j = 0; j < snap.nsvc; j++)
			if (strcmp(snap.svc[j].name, a->services[i]) == 0)
				break;
		if (j == snap.nsvc)
			continue;	/* not on the page: see pub_grow */
		v = &snap.svc[j];
		pp[n].idle = v->state[SLOT_IDLE];
		pp[n].workers = v->state[SLOT_STARTING] + v->state[SLOT_IDLE] +
		    v->state[SLOT_BUSY] + v->state[SLOT_PAUSED];
		pp[n].dynamic = v->dynamic;
		pp[n].max_workers = v->max_workers;
		n++;
	}
	agent_answer(line, sizeof(line), snap.phase, pp, n, a->min_weight);
	free(pp);
	pub_snap_free(&snap);
	(void)conn_write(c, line, strlen(line));
}
