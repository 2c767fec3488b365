/*
 * util.c - the small helpers the rest of the harness stands on: the
 * monotonic clock and the step of a bounded poll, whole files read and
 * written, "@DIR@" substitution, counting a needle in a text, and the pid
 * file's content.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "basic.h"
#include "daemon.h"

long
pf_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* pf_sleep_ms - one step of a bounded poll (never a synchronisation). */
void
pf_sleep_ms(int ms)
{
	struct timespec ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* pf_subst - a copy of text with every "@DIR@" replaced by dir. */
char *
pf_subst(const char *text, const char *dir)
{
	size_t n = 0, dl = strlen(dir);
	const char *p;
	char *out, *q;

	for (p = text; (p = strstr(p, "@DIR@")) != NULL; p += 5)
		n++;
	out = malloc(strlen(text) + n * dl + 1);
	if (out == NULL)
		sysbail("malloc");
	for (q = out, p = text; *p != '\0';) {
		if (strncmp(p, "@DIR@", 5) == 0) {
			memcpy(q, dir, dl);
			q += dl;
			p += 5;
		} else
			*q++ = *p++;
	}
	*q = '\0';
	return out;
}

void
pf_write_file(const char *path, const char *text)
{
	FILE *f;

	f = fopen(path, "w");
	if (f == NULL)
		sysbail("cannot create %s", path);
	if (fputs(text, f) == EOF || fclose(f) == EOF)
		sysbail("cannot write %s", path);
}

/* pf_file - the whole content of path, NUL-terminated; "" when unreadable. */
char *
pf_file(const char *path)
{
	size_t len = 0, cap = 8192;
	char *buf;
	ssize_t n;
	int fd;

	buf = malloc(cap);
	if (buf == NULL)
		sysbail("malloc");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		for (;;) {
			if (cap - len < 4096) {
				cap *= 2;
				buf = realloc(buf, cap);
				if (buf == NULL)
					sysbail("realloc");
			}
			n = read(fd, buf + len, cap - len - 1);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			len += (size_t)n;
		}
		close(fd);
	}
	buf[len] = '\0';
	return buf;
}

/* pf_read_pid_file - the pid in path; 0 when it is missing, -1 if garbage. */
pid_t
pf_read_pid_file(const char *path)
{
	char *text, *end;
	long pid;

	if (access(path, F_OK) < 0)
		return 0;
	text = pf_file(path);
	errno = 0;
	pid = strtol(text, &end, 10);
	if (end == text || errno != 0 || pid <= 0 ||
	    (*end != '\0' && *end != '\n'))
		pid = text[0] == '\0' ? 0 : -1;
	free(text);
	return (pid_t)pid;
}

/* pf_count - how many times needle occurs in text (non-overlapping). */
int
pf_count(const char *text, const char *needle)
{
	size_t nl = strlen(needle);
	const char *p;
	int n = 0;

	if (nl == 0)
		return 0;
	for (p = text; (p = strstr(p, needle)) != NULL; p += nl)
		n++;
	return n;
}

/*
 * pf_file_wait_count - poll the file at path (an access log, say) until
 * needle occurs n times in it, for up to timeout_ms: the count then.
 */
int
pf_file_wait_count(const char *path, const char *needle, int n,
    int timeout_ms)
{
	long deadline = pf_now_ms() + timeout_ms;
	char *text;
	int got;

	for (;;) {
		text = pf_file(path);
		got = text == NULL ? 0 : pf_count(text, needle);
		free(text);
		if (got >= n || pf_now_ms() >= deadline)
			return got;
		pf_sleep_ms(20);
	}
}
