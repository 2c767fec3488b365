/*
 * testmod.c - a module for the tests, built against the current ABI
 * (2.1): settings of every kind (with its own checks), a line echo
 * prefixed with its word, and on demand, as a line:
 *   crash    the worker dies of SIGSEGV
 *   group    a child that sleeps in a process group of its own, reported
 *            with report_group (since 2.1); answered "group PGID"
 *   orphan   the same child, not reported; answered "orphan PGID"
 *   hang     never answer again (the service's timeout kills the worker)
 * and with the setting start_ms, a worker slow to get ready: its
 * worker_start sleeps that long (the agent's reload test).
 *
 * SPDX-License-Identifier: MIT
 */
#include <sys/types.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <preforkd/module.h>

#include "modline.h"

struct testmod {
	char	word[32];
	long long limit;
	int	loud;
	double	ratio;
	size_t	ntags;
	long long start_ms;
};

static int
testmod_configure(struct preforkd_settings *s)
{
	struct testmod *t;
	const char *word = NULL;
	const char *const *tags = NULL;
	long long limit = 3, start_ms = 0;
	double ratio = 0.5;
	size_t ntags = 0;
	int loud = 0, rc = 0;

	if (s->get_string(s, "word", &word) == 0) {
		s->error(s, "word", "must be set: the prefix of every answer");
		rc = -1;
	} else if (word != NULL && (strlen(word) == 0 ||
	    strlen(word) >= sizeof(t->word))) {
		s->error(s, "word", "must be 1 to %zu characters (got %zu)",
		    sizeof(t->word) - 1, strlen(word));
		rc = -1;
	}
	if (s->get_int(s, "limit", 1, 10, &limit) == -1)
		rc = -1;
	if (s->get_bool(s, "loud", &loud) == -1)
		rc = -1;
	if (s->get_int(s, "start_ms", 0, 60000, &start_ms) == -1)
		rc = -1;
	if (s->get_float(s, "ratio", &ratio) == -1)
		rc = -1;
	if (s->get_strings(s, "tags", &tags, &ntags) == -1)
		rc = -1;
	if (rc == -1 || word == NULL)
		return -1;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return -1;
	snprintf(t->word, sizeof(t->word), "%s", word);
	t->limit = limit;
	t->loud = loud;
	t->ratio = ratio;
	t->ntags = ntags;
	t->start_ms = start_ms;
	s->state = t;
	return 0;
}

static void
testmod_release(void *state)
{
	free(state);
}

/*
 * testmod_child - a child in a process group of its own that sleeps until
 * killed, as a module's helper program would; reported to the master
 * when report is set.  Its pid, or -1.
 */
static pid_t
testmod_child(struct preforkd_conn *c, int report)
{
	const struct preforkd_api *api = preforkd_conn_api(c);
	pid_t pid;

	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		/* Not the client's: the worker's end must close it alone. */
		close(api->fd(c));
		(void)setpgid(0, 0);
		for (;;)
			pause();
	}
	(void)setpgid(pid, pid);	/* as the child does: no race */
	if (report && api->report_group(c, pid) == -1) {
		api->log(PREFORKD_LOG_ERROR, "testmod: report_group %ld: %s",
		    (long)pid, strerror(errno));
		return -1;
	}
	return pid;
}

static void
testmod_stream(struct preforkd_conn *c)
{
	const struct testmod *t = preforkd_conn_api(c)->service(c)->state;
	char line[512], out[600];
	pid_t pid;
	int k;

	while (modline_read(c, line, sizeof(line)) == 0) {
		if (strcmp(line, "crash") == 0) {
			/* A real crash, the same with or without ASan. */
			signal(SIGSEGV, SIG_DFL);
			raise(SIGSEGV);
		}
		if (strcmp(line, "hang") == 0)
			for (;;)
				pause();
		if (strcmp(line, "group") == 0 || strcmp(line, "orphan") == 0) {
			pid = testmod_child(c, line[0] == 'g');
			k = snprintf(out, sizeof(out), "%s %ld\n", line,
			    (long)pid);
		} else
			k = snprintf(out, sizeof(out), "%s %s limit=%lld "
			    "loud=%d tags=%zu\n", t->word, line, t->limit,
			    t->loud, t->ntags);
		if (preforkd_write(c, out, (size_t)k) == -1)
			return;
	}
}

static void
testmod_datagram(struct preforkd_conn *c, const unsigned char *data,
    size_t len)
{
	const struct testmod *t = preforkd_conn_api(c)->service(c)->state;
	char out[600];
	int k;

	k = snprintf(out, sizeof(out), "%s %.*s", t->word,
	    (int)(len > 500 ? 500 : len), (const char *)data);
	(void)preforkd_reply(c, out, (size_t)k);
}

/* testmod_start - a worker slow to get ready, when start_ms says so. */
static int
testmod_start(const struct preforkd_service *svc)
{
	const struct testmod *t = svc->state;
	struct timespec ts;

	ts.tv_sec = (time_t)(t->start_ms / 1000);
	ts.tv_nsec = (long)(t->start_ms % 1000) * 1000000L;
	while (t->start_ms > 0 && nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
	return 0;
}

const struct preforkd_module preforkd_module = {
	PREFORKD_MODULE_INIT,
	.name = "testmod",
	.configure = testmod_configure,
	.release = testmod_release,
	.worker_start = testmod_start,
	.serve_stream = testmod_stream,
	.serve_datagram = testmod_datagram,
};
