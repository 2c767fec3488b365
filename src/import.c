/*
 * import.c - what "preforkd --import-inetd" and "--import-xinetd" share:
 * the services read from the old configuration (by import_inetd.c and
 * import_xinetd.c), the parts that both formats describe alike (listen
 * addresses, the program and its argv, the built-ins, the pool), and the
 * output: a preforkd.conf on stdout in which every service names the line
 * it comes from and every thing that could not be carried over says why.
 *
 * The output is meant to pass "preforkd -t" as it is: names are made
 * unique, a service whose address another one already holds is left out
 * (as the second of two inetd lines on one port never ran), and when
 * nothing runs a placeholder that listens nowhere public keeps the file
 * valid (preforkd needs one service).
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <netdb.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preforkd.h"
#include "import.h"

/* Where tcpd looks for a program named without a path (Debian's). */
#define IMPORT_TCPD_DIR		"/usr/sbin"
/* The largest file we read: a super-server's config is a few kB. */
#define IMPORT_FILE_MAX		(16 * 1024 * 1024)
/* Comments are wrapped at this column. */
#define IMPORT_WIDTH		76

/* import_new - an empty import of path, looking ports up with port. */
struct import *
import_new(const char *option, const char *path, import_port_fn port)
{
	struct import *imp;

	if ((imp = calloc(1, sizeof(*imp))) == NULL)
		return NULL;
	imp->option = option;
	imp->path = path;
	imp->port = port;
	return imp;
}

void
import_free(struct import *imp)
{
	size_t i;

	if (imp == NULL)
		return;
	for (i = 0; i < imp->nsvc; i++) {
		free(imp->svc[i]->notes);
		free(imp->svc[i]->argv);
		free(imp->svc[i]->env);
		free(imp->svc[i]->access);
	}
	for (i = 0; i < imp->narena; i++)
		free(imp->arena[i]);
	free(imp->arena);
	free(imp->svc);
	free(imp->notes);
	free(imp);
}

/* import_keep - p into the arena (freed with the import); NULL on failure. */
static void *
import_keep(struct import *imp, void *p)
{
	void **a;

	if (p == NULL) {
		imp->nomem = 1;
		return NULL;
	}
	if ((a = realloc(imp->arena, (imp->narena + 1) * sizeof(*a))) ==
	    NULL) {
		free(p);
		imp->nomem = 1;
		return NULL;
	}
	imp->arena = a;
	a[imp->narena++] = p;
	return p;
}

/* import_copy - a writable copy of n bytes of s, or NULL (out of memory). */
char *
import_copy(struct import *imp, const char *s, size_t n)
{
	char *p;

	if ((p = import_keep(imp, malloc(n + 1))) == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

const char *
import_strndup(struct import *imp, const char *s, size_t n)
{
	const char *p = import_copy(imp, s, n);

	return p != NULL ? p : "";
}

const char *
import_strdup(struct import *imp, const char *s)
{
	return import_strndup(imp, s, strlen(s));
}

static const char *
import_vprintf(struct import *imp, const char *fmt, va_list ap)
{
	va_list aq;
	char *p;
	int n;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0 || (p = import_keep(imp, malloc((size_t)n + 1))) == NULL) {
		imp->nomem = 1;
		return "";
	}
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

const char *
import_printf(struct import *imp, const char *fmt, ...)
{
	va_list ap;
	const char *s;

	va_start(ap, fmt);
	s = import_vprintf(imp, fmt, ap);
	va_end(ap);
	return s;
}

/* import_push - append s to the array *arr of *n strings. */
void
import_push(struct import *imp, const char ***arr, size_t *n, const char *s)
{
	const char **a;

	if ((a = realloc(*arr, (*n + 1) * sizeof(*a))) == NULL) {
		imp->nomem = 1;
		return;
	}
	a[(*n)++] = s;
	*arr = a;
}

/*
 * import_words - a line of the old file as a comment shows it: runs of
 * blanks become one space, and bytes that are not printable ASCII are
 * escaped, so that the comment stays one line and harmless on a terminal.
 */
const char *
import_words(struct import *imp, const char *line)
{
	char *buf, *p, *out;
	size_t n = strlen(line), len;
	int blank = 0;

	if ((buf = malloc(n + 1)) == NULL) {
		imp->nomem = 1;
		return "";
	}
	for (p = buf; *line != '\0'; line++) {
		if (*line == ' ' || *line == '\t' || *line == '\r' ||
		    *line == '\n') {
			blank = p != buf;
			continue;
		}
		if (blank)
			*p++ = ' ';
		blank = 0;
		*p++ = *line;
	}
	*p = '\0';
	len = 4 * (size_t)(p - buf) + 1;
	if ((out = import_keep(imp, malloc(len))) == NULL) {
		free(buf);
		return "";
	}
	escape_text(out, len, buf, (size_t)(p - buf), ESCAPE_LINE);
	free(buf);
	return out;
}

/* import_svc_new - a service read at file:line, from the text what. */
struct import_svc *
import_svc_new(struct import *imp, const char *file, int line,
    const char *what)
{
	static struct import_svc lost;
	struct import_svc *svc, **a;

	if ((svc = import_keep(imp, calloc(1, sizeof(*svc)))) == NULL ||
	    (a = realloc(imp->svc, (imp->nsvc + 1) * sizeof(*a))) == NULL) {
		imp->nomem = 1;
		memset(&lost, 0, sizeof(lost));
		lost.state = IMPORT_SKIP;
		return &lost;
	}
	imp->svc = a;
	a[imp->nsvc++] = svc;
	svc->state = IMPORT_LIVE;
	svc->where = import_printf(imp, "%s:%d", file, line);
	svc->what = import_words(imp, what);
	return svc;
}

/*
 * import_vnote - a note, with the bytes of the old file that are not
 * printable escaped (a note quotes its values), so that a comment is one
 * line that no terminal acts on.
 */
static void
import_vnote(struct import *imp, struct import_svc *svc, const char *fmt,
    va_list ap)
{
	const char *s = import_vprintf(imp, fmt, ap);
	size_t n = strlen(s);
	char *e;

	if ((e = import_keep(imp, malloc(4 * n + 1))) != NULL) {
		escape_text(e, 4 * n + 1, s, n, ESCAPE_LINE);
		s = e;
	}

	if (svc != NULL)
		import_push(imp, &svc->notes, &svc->nnotes, s);
	else
		import_header(imp, s);
}

/* import_note - a comment on svc (NULL: on the whole file, once). */
void
import_note(struct import *imp, struct import_svc *svc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	import_vnote(imp, svc, fmt, ap);
	va_end(ap);
}

/* import_header - a comment for the top of the output, given once. */
void
import_header(struct import *imp, const char *s)
{
	size_t i;

	for (i = 0; i < imp->nnotes; i++)
		if (strcmp(imp->notes[i], s) == 0)
			return;
	import_push(imp, &imp->notes, &imp->nnotes, s);
}

/* import_skip - svc is not carried over; the comment says why. */
void
import_skip(struct import *imp, struct import_svc *svc, const char *fmt, ...)
{
	va_list ap;

	svc->state = IMPORT_SKIP;
	va_start(ap, fmt);
	import_vnote(imp, svc, fmt, ap);
	va_end(ap);
}

/* import_off - svc is carried over commented out; the comment says why. */
void
import_off(struct import *imp, struct import_svc *svc, const char *fmt, ...)
{
	va_list ap;

	if (svc->state == IMPORT_LIVE)
		svc->state = IMPORT_OFF;
	va_start(ap, fmt);
	import_vnote(imp, svc, fmt, ap);
	va_end(ap);
}

/* import_builtin - preforkd's handler for an internal service, or NULL. */
const char *
import_builtin(const char *name)
{
	static const char *const builtins[] = {
		"echo", "discard", "chargen", "daytime", "time", NULL
	};
	size_t i;

	for (i = 0; builtins[i] != NULL; i++)
		if (strcmp(name, builtins[i]) == 0)
			return builtins[i];
	return NULL;
}

/*
 * import_port - the port of service (a number, or a name looked up for
 * proto), or -1 with svc skipped: how says what the user can write.
 */
int
import_port(struct import *imp, struct import_svc *svc, const char *service,
    const char *proto, const char *how)
{
	char *end;
	long n;
	int port;

	if (*service >= '0' && *service <= '9') {
		errno = 0;
		n = strtol(service, &end, 10);
		if (errno != 0 || *end != '\0' || n < 1 || n > 65535) {
			import_skip(imp, svc, "not carried: port \"%s\" is not "
			    "a number from 1 to 65535", service);
			return -1;
		}
		return (int)n;
	}
	if ((port = imp->port(service, proto)) < 1 || port > 65535) {
		import_skip(imp, svc, "not carried: unknown service name "
		    "\"%s\" for %s (not in /etc/services): %s", service, proto,
		    how);
		return -1;
	}
	return port;
}

/*
 * import_listen - add a listen address: host NULL or "*" for every
 * address, an IPv4 or IPv6 address, or for proto "unix" the path.
 */
void
import_listen(struct import *imp, struct import_svc *svc, const char *host,
    int port, const char *proto)
{
	const char *scheme = strcmp(proto, "udp") == 0 ? "udp://" : "";
	const char *s;

	if (svc->nlisten == IMPORT_LISTEN_MAX) {
		import_skip(imp, svc, "not carried: more than %d addresses",
		    IMPORT_LISTEN_MAX);
		return;
	}
	svc->proto = proto;
	if (strcmp(proto, "unix") == 0)
		s = import_printf(imp, "unix:%s", host);
	else if (host == NULL || strcmp(host, "*") == 0)
		s = import_printf(imp, "%s*:%d", scheme, port);
	else if (strchr(host, ':') != NULL)
		s = import_printf(imp, "%s[%s]:%d", scheme, host, port);
	else
		s = import_printf(imp, "%s%s:%d", scheme, host, port);
	svc->listen[svc->nlisten++] = s;
}

static const char *
import_basename(const char *path)
{
	const char *p = strrchr(path, '/');

	return p != NULL ? p + 1 : path;
}

/*
 * import_program - the exec handler's argv from the server program and
 * its arguments: inetd's (and xinetd's with NAMEINARGS) start with argv[0],
 * xinetd's server_args do not.  A program run through tcpd is unwrapped:
 * tcpd's argv[0] names the real program (in /usr/sbin when no path is
 * given), and tcpd's own access rules are not carried.
 */
void
import_program(struct import *imp, struct import_svc *svc, const char *server,
    const char *const *args, size_t nargs, int args_have_argv0)
{
	const char *prog = server, *argv0 = NULL;
	size_t i = 0;

	if (args_have_argv0 && nargs > 0)
		argv0 = args[i++];
	if (strcmp(import_basename(server), "tcpd") == 0) {
		if (argv0 == NULL) {
			import_skip(imp, svc, "not carried: the program is tcpd "
			    "(%s), and no argument names the program it wraps",
			    server);
			return;
		}
		prog = argv0[0] == '/' ? argv0 :
		    import_printf(imp, IMPORT_TCPD_DIR "/%s", argv0);
		import_note(imp, svc, "unwrapped from tcpd (%s): preforkd runs "
		    "%s itself; the rules of /etc/hosts.allow and "
		    "/etc/hosts.deny that tcpd applied are not carried: write "
		    "them as access", server, prog);
		argv0 = NULL;
	}
	if (prog[0] != '/') {
		import_skip(imp, svc, "not carried: the program \"%s\" is not "
		    "an absolute path", prog);
		return;
	}
	if (argv0 != NULL && strcmp(argv0, prog) != 0 &&
	    strcmp(argv0, import_basename(prog)) != 0)
		import_note(imp, svc, "argv[0] was \"%s\": preforkd runs the "
		    "program with its path, %s, as argv[0]", argv0, prog);
	svc->handler = "exec";
	import_push(imp, &svc->argv, &svc->nargv, prog);
	for (; i < nargs; i++)
		import_push(imp, &svc->argv, &svc->nargv, args[i]);
}

/*
 * import_serve - how the service is run, from its socket type and wait
 * flag: a built-in (the flag means nothing to it), a program per
 * connection (stream nowait), or a program that receives the listening
 * socket itself (wait, stream or dgram).  A program per datagram (dgram
 * nowait) has no preforkd equivalent.  The pool: one program at a time
 * for wait, as inetd ran it; one worker for a UDP built-in, which answers
 * a datagram at once; otherwise a dynamic pool of at most instances
 * (default 64).
 */
void
import_serve(struct import *imp, struct import_svc *svc, int dgram, int wait,
    int instances)
{
	if (svc->state == IMPORT_SKIP)
		return;
	if (strcmp(svc->handler, "exec") != 0) {
		if (dgram) {
			svc->workers = 1;
			return;
		}
		svc->max_workers = instances > 0 ? instances :
		    IMPORT_DEFAULT_MAX_WORKERS;
		return;
	}
	if (wait) {
		svc->mode = "wait";
		svc->workers = 1;
		if (instances > 1)
			import_note(imp, svc, "at most %d instances: not "
			    "carried: a wait service runs one program at a "
			    "time", instances);
		return;
	}
	if (dgram) {
		import_skip(imp, svc, "not carried: a datagram service that "
		    "is not \"wait\" starts a program per datagram, which "
		    "preforkd does not do; most such programs work as wait");
		return;
	}
	svc->mode = "connection";
	svc->max_workers = instances > 0 ? instances :
	    IMPORT_DEFAULT_MAX_WORKERS;
}

int
import_is_wait(const struct import_svc *svc)
{
	return svc->mode != NULL && strcmp(svc->mode, "wait") == 0;
}

/*
 * import_user - the service's user and group.  A built-in ran inside the
 * super-server and needs no privilege: it runs as the workers' user.  A
 * program keeps its user, root included (written on the service, which is
 * what preforkd asks for root).  Returns -1 with svc skipped if a program
 * names no user.
 */
int
import_user(struct import *imp, struct import_svc *svc, const char *user,
    const char *group, int internal)
{
	if (internal) {
		import_header(imp, "Internal services ran inside the "
		    "super-server, as root; preforkd's built-ins need no "
		    "privilege and run as the workers' user, \"" IMPORT_USER
		    "\".");
		return 0;
	}
	if (user == NULL || *user == '\0') {
		import_skip(imp, svc, "not carried: no user to run the "
		    "program as");
		return -1;
	}
	if (strcmp(user, IMPORT_USER) != 0 || (group != NULL && *group))
		svc->user = user;
	if (group != NULL && *group != '\0')
		svc->group = group;
	if (strcmp(user, "root") == 0)
		import_note(imp, svc, "runs as root, as before (preforkd "
		    "allows it because user = \"root\" is written on the "
		    "service): give it its own user if it does not need root");
	return 0;
}

/* ------------------------------------------------------------- output */

/*
 * import_names - a unique preforkd name for each service carried over:
 * its name (or xinetd id) with what preforkd refuses turned into "-",
 * then "-PROTO", then "-2", "-3" ... when taken.
 */
static void
import_names(struct import *imp)
{
	struct import_svc *svc, *other;
	char base[SERVICE_NAME_MAX + 1], want[SERVICE_NAME_MAX + 32];
	size_t i, j, k;
	int n, taken;

	for (i = 0; i < imp->nsvc; i++) {
		svc = imp->svc[i];
		if (svc->state == IMPORT_SKIP)
			continue;
		snprintf(base, sizeof(base) - 12, "%s",
		    svc->name != NULL && *svc->name ? svc->name : "service");
		for (k = 0; base[k] != '\0'; k++)
			if (strchr("abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-",
			    base[k]) == NULL)
				base[k] = '-';
		for (n = 0; ; n++) {
			if (n == 0)
				snprintf(want, sizeof(want), "%s", base);
			else if (n == 1)
				snprintf(want, sizeof(want), "%s-%s", base,
				    svc->proto != NULL ? svc->proto : "2");
			else
				snprintf(want, sizeof(want), "%s-%s-%d", base,
				    svc->proto != NULL ? svc->proto : "2", n);
			for (taken = 0, j = 0; j < i && !taken; j++) {
				other = imp->svc[j];
				taken = other->state != IMPORT_SKIP &&
				    strcmp(other->name, want) == 0;
			}
			if (!taken && strlen(want) <= SERVICE_NAME_MAX)
				break;
		}
		svc->name = import_strdup(imp, want);
	}
}

/*
 * import_overlaps - a running service whose address is already held by
 * a running service before it is left out, as preforkd -t would refuse
 * the pair (and the second could not have run under inetd either).
 */
static void
import_overlaps(struct import *imp)
{
	struct import_svc *svc, *other;
	struct addr a, b;
	char err[ADDR_ERR_MAX], text[ADDR_TEXT_MAX];
	size_t i, j, k, m;

	for (i = 0; i < imp->nsvc; i++) {
		svc = imp->svc[i];
		if (svc->state != IMPORT_LIVE)
			continue;
		for (k = 0; k < svc->nlisten && svc->state == IMPORT_LIVE;
		    k++) {
			if (addr_parse(svc->listen[k], &a, err,
			    sizeof(err)) == -1) {
				import_skip(imp, svc, "not carried: listen "
				    "address \"%s\": %s", svc->listen[k], err);
				break;
			}
			for (j = 0; j < i && svc->state == IMPORT_LIVE; j++) {
				other = imp->svc[j];
				if (other->state != IMPORT_LIVE)
					continue;
				for (m = 0; m < other->nlisten; m++) {
					if (addr_parse(other->listen[m], &b,
					    err, sizeof(err)) == -1 ||
					    !addr_conflict(&a, &b))
						continue;
					import_skip(imp, svc, "not carried: "
					    "%s is already served by %s (%s)",
					    addr_format(&a, text, sizeof(text)),
					    other->where, other->what);
					break;
				}
			}
		}
	}
}

/*
 * import_comment - text as comment lines after prefix, wrapped at
 * IMPORT_WIDTH, continued lines indented by two more spaces.
 */
static void
import_comment(FILE *fp, const char *prefix, const char *text, int indent)
{
	size_t col, len, plen = strlen(prefix);
	const char *word, *end;
	int first = 1;

	fprintf(fp, "%s", prefix);
	col = plen;
	for (word = text; *word != '\0'; word = end) {
		while (*word == ' ')
			word++;
		if (*word == '\0')
			break;
		end = strchr(word, ' ');
		if (end == NULL)
			end = word + strlen(word);
		len = (size_t)(end - word);
		if (!first && col + 1 + len > IMPORT_WIDTH) {
			fprintf(fp, "\n%s%s", prefix, indent ? "  " : "");
			col = plen + (indent ? 2 : 0);
		} else if (!first) {
			fputc(' ', fp);
			col++;
		}
		fwrite(word, 1, len, fp);
		col += len;
		first = 0;
	}
	fputc('\n', fp);
}

/* import_quote - s as a libconfig string, escaped as the logs are. */
static void
import_quote(FILE *fp, const char *s)
{
	size_t n = strlen(s), len = 4 * n + 1;
	char *buf;

	if ((buf = malloc(len)) == NULL) {
		fputs("\"\"", fp);
		return;
	}
	escape_text(buf, len, s, n, ESCAPE_VALUE);
	fprintf(fp, "\"%s\"", buf);
	free(buf);
}

/* import_array - "[ "a", "b" ]", or "a" alone when one and single. */
static void
import_array(FILE *fp, const char *const *v, size_t n, int single)
{
	size_t i;

	if (n == 1 && single) {
		import_quote(fp, v[0]);
		return;
	}
	fputs("[ ", fp);
	for (i = 0; i < n; i++) {
		if (i > 0)
			fputs(", ", fp);
		import_quote(fp, v[i]);
	}
	fputs(" ]", fp);
}

/* import_block - one service's group; p starts each line ("  " or "  # "). */
static void
import_block(FILE *fp, const struct import_svc *svc, const char *p, int last)
{
	fprintf(fp, "%s{\n%s  name = ", p, p);
	import_quote(fp, svc->name);
	fprintf(fp, ";\n%s  listen = ", p);
	import_array(fp, svc->listen, svc->nlisten, 1);
	fprintf(fp, ";\n%s  handler = \"%s\";\n", p, svc->handler);
	if (strcmp(svc->handler, "exec") == 0) {
		fprintf(fp, "%s  exec = {\n%s    argv = ", p, p);
		import_array(fp, svc->argv, svc->nargv, 0);
		fprintf(fp, ";\n%s    mode = \"%s\";\n", p, svc->mode);
		if (svc->nenv > 0) {
			fprintf(fp, "%s    env = ", p);
			import_array(fp, svc->env, svc->nenv, 0);
			fputs(";\n", fp);
		}
		fprintf(fp, "%s  };\n", p);
	}
	if (svc->user != NULL) {
		fprintf(fp, "%s  user = ", p);
		import_quote(fp, svc->user);
		fputs(";\n", fp);
	}
	if (svc->group != NULL) {
		fprintf(fp, "%s  group = ", p);
		import_quote(fp, svc->group);
		fputs(";\n", fp);
	}
	if (svc->workers > 0)
		fprintf(fp, "%s  workers = %d;\n", p, svc->workers);
	else
		fprintf(fp, "%s  min_spare = 1;\n%s  max_workers = %d;\n", p,
		    p, svc->max_workers);
	if (svc->naccess > 0) {
		fprintf(fp, "%s  access = ", p);
		import_array(fp, svc->access, svc->naccess, 0);
		fputs(";\n", fp);
	}
	if (svc->max_per_source > 0)
		fprintf(fp, "%s  max_per_source = %d;\n", p,
		    svc->max_per_source);
	if (svc->max_rate != NULL)
		fprintf(fp, "%s  max_rate = \"%s\";\n", p, svc->max_rate);
	if (svc->max_rate_per_source != NULL)
		fprintf(fp, "%s  max_rate_per_source = \"%s\";\n", p,
		    svc->max_rate_per_source);
	fprintf(fp, "%s}%s\n", p, last ? "" : ",");
}

/* import_svc_write - the comments of one service, then its group. */
static void
import_svc_write(FILE *fp, const struct import_svc *svc, int last)
{
	size_t i, len = strlen(svc->where) + strlen(svc->what) + 3;
	char *head;

	fputc('\n', fp);
	if ((head = malloc(len)) != NULL) {
		snprintf(head, len, "%s: %s", svc->where, svc->what);
		import_comment(fp, "  # ", head, 1);
		free(head);
	}
	for (i = 0; i < svc->nnotes; i++)
		import_comment(fp, "  #   ", svc->notes[i], 1);
	if (svc->state == IMPORT_LIVE)
		import_block(fp, svc, "  ", last);
	else if (svc->state == IMPORT_OFF)
		import_block(fp, svc, "  # ", 0);
}

/*
 * import_write - the whole preforkd.conf on fp.  Returns 0, or -1 when it
 * could not be written (errno set) or memory ran out (ENOMEM).
 */
int
import_write(struct import *imp, FILE *fp)
{
	struct import_svc *svc, placeholder;
	size_t i, last = 0, live = 0;

	import_overlaps(imp);
	import_names(imp);
	for (i = 0; i < imp->nsvc; i++)
		if (imp->svc[i]->state == IMPORT_LIVE) {
			live++;
			last = i;
		}

	fprintf(fp, "# preforkd.conf made by \"preforkd %s %s\".\n",
	    imp->option, imp->path);
	import_comment(fp, "# ", "Each service below names the line it "
	    "comes from; what could not be carried over says so, and why. "
	    "A disabled service is written out commented: to enable it, "
	    "remove the # signs of its group (and mind the commas between "
	    "groups). Check the file with \"preforkd -t -c FILE\" before "
	    "using it.", 0);
	for (i = 0; i < imp->nnotes; i++) {
		fputs("#\n", fp);
		import_comment(fp, "# ", imp->notes[i], 1);
	}
	fputs("\n# The user of the workers, for every service that names "
	    "none of its own.\nuser = \"" IMPORT_USER "\";\n\nservices = (\n",
	    fp);
	for (i = 0; i < imp->nsvc; i++) {
		svc = imp->svc[i];
		import_svc_write(fp, svc, live > 0 && i == last);
	}
	if (live == 0) {
		memset(&placeholder, 0, sizeof(placeholder));
		placeholder.name = "placeholder";
		for (i = 0; i < imp->nsvc; i++)
			if (imp->svc[i]->state == IMPORT_OFF &&
			    strcmp(imp->svc[i]->name, placeholder.name) == 0)
				placeholder.name = "placeholder-0";
		placeholder.listen[0] = "127.0.0.1:0";
		placeholder.nlisten = 1;
		placeholder.handler = "discard";
		placeholder.workers = 1;
		fputc('\n', fp);
		import_comment(fp, "  # ", import_printf(imp, "No service of "
		    "%s is carried over running: each one is disabled or not "
		    "carried (see above), or there is none. preforkd needs at "
		    "least one service: this one listens on the loopback "
		    "address only, on a port the kernel chooses, and discards "
		    "what it receives. Replace it with the services you "
		    "enable.", imp->path), 1);
		import_block(fp, &placeholder, "  ", 1);
	}
	fputs(");\n", fp);
	if (imp->nomem) {
		errno = ENOMEM;
		return -1;
	}
	if (fflush(fp) == EOF || ferror(fp)) {
		if (errno == 0)
			errno = EIO;
		return -1;
	}
	return 0;
}

/* import_port_system - getservbyname(3): the port of name/proto, or -1. */
int
import_port_system(const char *name, const char *proto)
{
	struct servent *se;
	int port = -1;

	if ((se = getservbyname(name, proto)) != NULL)
		port = ntohs((in_port_t)se->s_port);
	endservent();
	return port;
}

/*
 * import_read - the whole of a regular file as a string (malloc'ed), or
 * NULL with errno.  A NUL byte ends the text early; the parsers see a
 * shorter file, which is all a text configuration can mean by it.
 */
char *
import_read(const char *path)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1)
		return NULL;
	if (fstat(fd, &st) == -1)
		goto fail;
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		goto fail;
	}
	if (st.st_size > IMPORT_FILE_MAX) {
		errno = EFBIG;
		goto fail;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL)
		goto fail;
	while (len < (size_t)st.st_size) {
		n = read(fd, buf + len, (size_t)st.st_size - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			goto fail;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	close(fd);
	return buf;
fail:
	saved = errno;
	free(buf);
	close(fd);
	errno = saved;
	return NULL;
}

/*
 * import_main - "preforkd --import-inetd PATH" or "--import-xinetd PATH":
 * the configuration on stdout, a summary on stderr.  Returns the exit
 * status: 0 once written, 1 when PATH cannot be read or the output cannot
 * be written.
 */
int
import_main(const char *option, const char *path)
{
	struct import *imp;
	size_t i, n[3] = { 0, 0, 0 };
	char *text;
	int rc = EXIT_OK;

	if ((imp = import_new(option, path, import_port_system)) == NULL) {
		fprintf(stderr, "preforkd: %s: out of memory\n", option);
		return EXIT_RUNTIME;
	}
	if (strcmp(option, "--import-inetd") == 0) {
		if ((text = import_read(path)) == NULL) {
			fprintf(stderr, "preforkd: %s: cannot read %s: %s\n",
			    option, path, strerror(errno));
			import_free(imp);
			return EXIT_RUNTIME;
		}
		import_inetd(imp, path, text);
		free(text);
	} else if (import_xinetd_path(imp, path) == -1) {
		fprintf(stderr, "preforkd: %s: cannot read %s: %s\n", option,
		    path, strerror(errno));
		import_free(imp);
		return EXIT_RUNTIME;
	}
	if (import_write(imp, stdout) == -1) {
		fprintf(stderr, "preforkd: %s: cannot write the configuration: "
		    "%s\n", option, strerror(errno));
		rc = EXIT_RUNTIME;
	} else {
		for (i = 0; i < imp->nsvc; i++)
			n[imp->svc[i]->state]++;
		fprintf(stderr, "preforkd: %s: %zu service%s carried over, "
		    "%zu disabled (written commented out), %zu not carried; "
		    "the comments say why\n", path, n[IMPORT_LIVE],
		    n[IMPORT_LIVE] == 1 ? "" : "s", n[IMPORT_OFF],
		    n[IMPORT_SKIP]);
	}
	import_free(imp);
	return rc;
}
