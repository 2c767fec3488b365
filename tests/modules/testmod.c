/*
 * testmod.c - a module for the tests: settings of every kind (with its
 * own checks), a line echo prefixed with its word, and a crash on demand
 * ("crash" as a line makes the worker die of SIGSEGV).
 *
 * SPDX-License-Identifier: MIT
 */
#include <sys/types.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <preforkd/module.h>

struct testmod {
	char	word[32];
	long long limit;
	int	loud;
	double	ratio;
	size_t	ntags;
};

static int
testmod_configure(struct preforkd_settings *s)
{
	struct testmod *t;
	const char *word = NULL;
	const char *const *tags = NULL;
	long long limit = 3;
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
	s->state = t;
	return 0;
}

static void
testmod_release(void *state)
{
	free(state);
}

static void
testmod_stream(struct preforkd_conn *c)
{
	const struct testmod *t = c->service->state;
	char line[512], out[600];
	size_t len = 0;
	ssize_t n;
	int k;

	for (;;) {
		n = preforkd_read(c, line + len, 1);
		if (n <= 0)
			return;
		if (line[len] != '\n' && len < sizeof(line) - 2) {
			len++;
			continue;
		}
		line[len] = '\0';
		if (strcmp(line, "crash") == 0) {
			/* A real crash, the same with or without ASan. */
			signal(SIGSEGV, SIG_DFL);
			raise(SIGSEGV);
		}
		k = snprintf(out, sizeof(out), "%s %s limit=%lld loud=%d "
		    "tags=%zu\n", t->word, line, t->limit, t->loud, t->ntags);
		if (preforkd_write(c, out, (size_t)k) == -1)
			return;
		len = 0;
	}
}

static void
testmod_datagram(struct preforkd_conn *c, const unsigned char *data,
    size_t len)
{
	const struct testmod *t = c->service->state;
	char out[600];
	int k;

	k = snprintf(out, sizeof(out), "%s %.*s", t->word,
	    (int)(len > 500 ? 500 : len), (const char *)data);
	(void)preforkd_reply(c, out, (size_t)k);
}

const struct preforkd_module preforkd_module = {
	.abi = PREFORKD_MODULE_ABI,
	.name = "testmod",
	.configure = testmod_configure,
	.release = testmod_release,
	.serve_stream = testmod_stream,
	.serve_datagram = testmod_datagram,
};
