/*
 * status.c - the daemon's status as "preforkd -s status" prints it: run
 * against a test's daemon, and one worker's state read from it, or waited
 * for with a deadline.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic.h"
#include "daemon.h"

#define PF_STATUS_MAX		65536	/* room for a whole text status */

/*
 * pf_status - run "preforkd -s status [--json] -c CONF" against d: its
 * exit code (-1 when it did not exit), stdout in out, stderr in err.
 */
int
pf_status(struct pf_daemon *d, int json, char *out, size_t outlen,
    char *err, size_t errlen)
{
	const char *plain[] = { "-s", "status", "-c", d->conf, NULL };
	const char *js[] = { "-s", "status", "--json", "-c", d->conf, NULL };
	int st = -1;

	if (pf_run2(json ? js : plain, &st, out, outlen, err, errlen) < 0)
		return -1;
	return pf_exit_code(st);
}

/*
 * pf_status_count - number key of service name in the JSON status, read
 * into out (outlen bytes, left there for the caller): -1 when not found;
 * only within that service's object.
 */
long long
pf_status_count(struct pf_daemon *d, const char *name, const char *key,
    char *out, size_t outlen)
{
	char err[4096], *svc, *k, *p, *next;
	long long n = -1;

	if (pf_status(d, 1, out, outlen, err, sizeof(err)) != 0)
		return -1;
	svc = tap_strdup_printf("{\"name\":\"%s\"", name);
	k = tap_strdup_printf("\"%s\":", key);
	if ((p = strstr(out, svc)) != NULL) {
		next = strstr(p + 1, "{\"name\":");
		p = strstr(p, k);
		if (p != NULL && (next == NULL || p < next))
			n = strtoll(p + strlen(k), NULL, 10);
	}
	free(svc);
	free(k);
	return n;
}

/*
 * pf_worker_state - the state the text status gives worker pid ("idle",
 * "busy", "paused", "invalid" ...) into state; 0, or -1 when the status
 * cannot be had or has no line for it.
 */
int
pf_worker_state(struct pf_daemon *d, pid_t pid, char *state, size_t len)
{
	char *out, err[4096], *needle, *p, word[32];
	int r = -1;

	state[0] = '\0';
	if ((out = malloc(PF_STATUS_MAX)) == NULL)
		sysbail("malloc");
	needle = tap_strdup_printf("worker %-7ld ", (long)pid);
	if (pf_status(d, 0, out, PF_STATUS_MAX, err, sizeof(err)) == 0 &&
	    (p = strstr(out, needle)) != NULL &&
	    sscanf(p + strlen(needle), "%31s", word) == 1) {
		snprintf(state, len, "%s", word);
		r = 0;
	}
	free(needle);
	free(out);
	return r;
}

/*
 * pf_wait_worker_state - poll the status until worker pid is in state
 * want: 1, or 0 (diagnosed) after timeout_ms.
 */
int
pf_wait_worker_state(struct pf_daemon *d, pid_t pid, const char *want,
    int timeout_ms)
{
	long deadline = pf_now_ms() + timeout_ms;
	char state[32];

	for (;;) {
		if (pf_worker_state(d, pid, state, sizeof(state)) == 0 &&
		    strcmp(state, want) == 0)
			return 1;
		if (pf_now_ms() >= deadline) {
			diag("worker %ld is \"%s\", not \"%s\"", (long)pid,
			    state, want);
			return 0;
		}
		pf_sleep_ms(50);
	}
}
