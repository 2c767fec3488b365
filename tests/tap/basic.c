/*
 * basic.c - the TAP producer: numbered "ok"/"not ok" lines, a plan, and an
 * exit status that counts the failures, for automake's tap-driver.sh.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic.h"

static int	tap_planned = -1;	/* -1: none yet, 0: lazy */
static int	tap_run;
static int	tap_failed;
static pid_t	tap_pid;

/* tap_finish - print a lazy plan and warn about a miscount, at exit. */
static void
tap_finish(void)
{
	if (getpid() != tap_pid)
		return;
	if (tap_planned == 0)
		printf("1..%d\n", tap_run);
	else if (tap_planned > 0 && tap_run != tap_planned)
		printf("# planned %d tests but ran %d\n", tap_planned, tap_run);
	fflush(stdout);
}

static void
tap_start(int n)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	tap_pid = getpid();
	tap_planned = n;
	if (n > 0)
		printf("1..%d\n", n);
	atexit(tap_finish);
}

/* tap_failures - how many tests failed so far. */
int
tap_failures(void)
{
	return tap_failed;
}

void
plan(int n)
{
	tap_start(n);
}

void
plan_lazy(void)
{
	tap_start(0);
}

void
skip_all(const char *fmt, ...)
{
	va_list ap;

	printf("1..0 # skip ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	_exit(0);
}

static int
tap_result(int success, const char *fmt, va_list ap)
{
	tap_run++;
	if (!success)
		tap_failed++;
	printf("%sok %d - ", success ? "" : "not ", tap_run);
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
	return success;
}

int
ok(int success, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_result(success, fmt, ap);
	va_end(ap);
	return success;
}

int
is_int(long long want, long long got, const char *fmt, ...)
{
	va_list ap;
	int success = (want == got);

	va_start(ap, fmt);
	tap_result(success, fmt, ap);
	va_end(ap);
	if (!success)
		diag("wanted: %lld\n#      got: %lld", want, got);
	return success;
}

int
is_string(const char *want, const char *got, const char *fmt, ...)
{
	va_list ap;
	int success;

	success = (want == NULL && got == NULL) ||
	    (want != NULL && got != NULL && strcmp(want, got) == 0);
	va_start(ap, fmt);
	tap_result(success, fmt, ap);
	va_end(ap);
	if (!success)
		diag("wanted: \"%s\"\n#      got: \"%s\"",
		    want ? want : "(null)", got ? got : "(null)");
	return success;
}

/* like - ok when needle occurs in haystack. */
int
like(const char *haystack, const char *needle, const char *fmt, ...)
{
	va_list ap;
	int success = haystack != NULL && strstr(haystack, needle) != NULL;

	va_start(ap, fmt);
	tap_result(success, fmt, ap);
	va_end(ap);
	if (!success)
		diag("wanted text containing: \"%s\"\n#   got: \"%s\"", needle,
		    haystack ? haystack : "(null)");
	return success;
}

void
skip(const char *fmt, ...)
{
	va_list ap;

	tap_run++;
	printf("ok %d # skip ", tap_run);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

void
diag(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

void
bail(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	printf("Bail out! ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(255);
}

void
sysbail(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	fflush(stdout);
	printf("Bail out! ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(": %s\n", strerror(saved));
	fflush(stdout);
	exit(255);
}

/* tap_strdup_printf - a formatted, heap-allocated string; bails on ENOMEM. */
char *
tap_strdup_printf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		sysbail("vasprintf");
	va_end(ap);
	return s;
}
