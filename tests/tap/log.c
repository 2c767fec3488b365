/*
 * log.c - reading the daemon's error log: all of it, the first line with
 * a needle, a line's exact form, waiting for a line or a count of them,
 * the ports it says it bound, and the logs shown as diagnostics.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic.h"
#include "daemon.h"

char *
pf_log(struct pf_daemon *d)
{
	return pf_file(d->error_log);
}

/* pf_log_line - a copy of the first log line containing needle, or NULL. */
char *
pf_log_line(struct pf_daemon *d, const char *needle)
{
	char *log, *p, *start, *end, *line = NULL;

	log = pf_log(d);
	p = strstr(log, needle);
	if (p != NULL) {
		for (start = p; start > log && start[-1] != '\n'; start--)
			;
		end = strchr(p, '\n');
		if (end == NULL)
			end = p + strlen(p);
		line = strndup(start, (size_t)(end - start));
	}
	free(log);
	return line;
}

/*
 * pf_line_is - 1 when line is exactly "TIMESTAMP IDENT[PID]: LEVEL: MESSAGE"
 * with TIMESTAMP as YYYY-MM-DDTHH:MM:SS.mmm+HH:MM (level NULL: any level,
 * message NULL: any message); else 0, and a diagnostic says what differs.
 */
int
pf_line_is(const char *line, const char *ident, pid_t pid, const char *level,
    const char *message)
{
	static const char ts[] = "^[0-9]{4}-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:"
	    "[0-5][0-9]:[0-6][0-9]\\.[0-9]{3}[+-][0-2][0-9]:[0-5][0-9] ";
	char *head, *rest;
	regex_t re;
	int match;

	if (line == NULL) {
		diag("no such log line");
		return 0;
	}
	if (regcomp(&re, ts, REG_EXTENDED | REG_NOSUB) != 0)
		bail("regcomp");
	match = regexec(&re, line, 0, NULL, 0) == 0;
	regfree(&re);
	if (!match) {
		diag("log line has no timestamp of the form "
		    "YYYY-MM-DDTHH:MM:SS.mmm+HH:MM: \"%s\"", line);
		return 0;
	}
	rest = strchr(line, ' ') + 1;
	head = tap_strdup_printf("%s[%ld]: ", ident, (long)pid);
	match = strncmp(rest, head, strlen(head)) == 0;
	if (match) {
		rest += strlen(head);
		if (level != NULL) {
			match = strncmp(rest, level, strlen(level)) == 0 &&
			    strncmp(rest + strlen(level), ": ", 2) == 0;
			rest += match ? strlen(level) + 2 : 0;
		} else {
			rest += strspn(rest, "abcdefghijklmnopqrstuvwxyz");
			match = strncmp(rest, ": ", 2) == 0;
			rest += 2;
		}
	}
	if (match && message != NULL)
		match = strcmp(rest, message) == 0;
	if (!match)
		diag("log line \"%s\"\n#   is not \"TIMESTAMP %s%s: %s\"", line,
		    head, level != NULL ? level : "LEVEL",
		    message != NULL ? message : "...");
	free(head);
	return match;
}

/* pf_log_wait - poll the log until it holds needle: 1, or 0 on timeout. */
int
pf_log_wait(struct pf_daemon *d, const char *needle, int timeout_ms)
{
	long deadline = pf_now_ms() + timeout_ms;
	char *log;
	int found;

	for (;;) {
		log = pf_log(d);
		found = strstr(log, needle) != NULL;
		free(log);
		if (found || pf_now_ms() >= deadline)
			return found;
		pf_sleep_ms(20);
	}
}

/* pf_log_count - how many times needle occurs in the error log now. */
int
pf_log_count(struct pf_daemon *d, const char *needle)
{
	char *log = pf_log(d);
	int n;

	n = pf_count(log, needle);
	free(log);
	return n;
}

/*
 * pf_log_wait_count - poll the log until needle occurs at least n times:
 * the count at the end (>= n, or what there was when timeout_ms passed).
 */
int
pf_log_wait_count(struct pf_daemon *d, const char *needle, int n,
    int timeout_ms)
{
	long deadline = pf_now_ms() + timeout_ms;
	int got;

	for (;;) {
		got = pf_log_count(d, needle);
		if (got >= n || pf_now_ms() >= deadline)
			return got;
		pf_sleep_ms(20);
	}
}

/*
 * pf_port_host - the port of "service NAME: listening on PROTO HOST:PORT"
 * in the log (HOST in brackets for IPv6; any host when host is NULL); the
 * first such line, or -1 when there is none after 2 s.
 */
int
pf_port_host(struct pf_daemon *d, const char *service, const char *proto,
    const char *host)
{
	long deadline = pf_now_ms() + 2000;
	char *log, *prefix, *p, *colon, *end;
	int port = -1;
	long v;

	prefix = tap_strdup_printf("service %s: listening on %s ", service,
	    proto);
	for (;;) {
		log = pf_log(d);
		for (p = log; port < 0 && (p = strstr(p, prefix)) != NULL;) {
			p += strlen(prefix);
			end = strchr(p, ' ');
			if (end == NULL)
				break;
			for (colon = end; colon > p && *colon != ':'; colon--)
				;
			if (*colon != ':')
				continue;
			if (host != NULL) {
				int v6 = strchr(host, ':') != NULL;
				size_t hl = strlen(host);

				if ((size_t)(colon - p) != hl + (v6 ? 2 : 0) ||
				    strncmp(p + v6, host, hl) != 0)
					continue;
			}
			v = strtol(colon + 1, NULL, 10);
			if (v > 0 && v < 65536)
				port = (int)v;
		}
		free(log);
		if (port > 0 || pf_now_ms() >= deadline)
			break;
		pf_sleep_ms(20);
	}
	free(prefix);
	return port;
}

int
pf_port(struct pf_daemon *d, const char *service, const char *proto)
{
	return pf_port_host(d, service, proto, NULL);
}

/*
 * pf_show_tail - the daemon's stderr and error log as diagnostics: the
 * last max lines of each, or all of them when max is 0.
 */
void
pf_show_tail(struct pf_daemon *d, int max)
{
	const char *names[2] = { "stderr", "error log" };
	const char *paths[2] = { d->stderr_log, d->error_log };
	char *text, *line, *save = NULL, note[48] = "";
	int i, n, skip;

	for (i = 0; i < 2; i++) {
		text = pf_file(paths[i]);
		n = pf_count(text, "\n");
		skip = max > 0 && n > max ? n - max : 0;
		if (skip > 0)
			snprintf(note, sizeof(note), ", its last %d lines", max);
		diag("---- preforkd %s (%s)%s:", names[i], paths[i],
		    skip > 0 ? note : "");
		for (line = strtok_r(text, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save))
			if (skip-- <= 0)
				diag("  %s", line);
		free(text);
	}
}

/* pf_show - the daemon's stderr and error log as diagnostics. */
void
pf_show(struct pf_daemon *d)
{
	pf_show_tail(d, 0);
}
