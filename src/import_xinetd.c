/*
 * import_xinetd.c - read xinetd's configuration (xinetd.conf, with its
 * defaults, include and includedir, or an xinetd.d directory) into the
 * import's services.  The format:
 *
 *   defaults { ATTRIBUTE = VALUES ... }
 *   service NAME
 *   {
 *           ATTRIBUTE =|+=|-= VALUE ...
 *   }
 *   include FILE
 *   includedir DIR      (its files in C order, but names with '.' or '~')
 *
 * First every file is parsed into entries, then the defaults (which
 * xinetd applies wherever they are) are merged into each service as it is
 * carried over.  The parsing and the carrying over are pure; only
 * import_xinetd_path reads files.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "preforkd.h"
#include "import.h"

#define XINETD_DEPTH_MAX	8	/* includes within includes */
#define XINETD_VALUES_MAX	256	/* values of one attribute */

/* One "NAME OP VALUE..." line of an entry. */
struct xattr {
	const char	 *name;
	const char	 *op;		/* "=", "+=", "-=" */
	const char	**val;
	size_t		  nval;
	const char	 *where;	/* "FILE:LINE" */
	const char	 *text;		/* the line, for comments */
	int		  used;
};

/* A "service NAME { ... }" or "defaults { ... }". */
struct xentry {
	const char	*name;		/* NULL for defaults */
	const char	*file;
	int		 line;
	int		 broken;	/* no closing brace */
	struct xattr	*attr;
	size_t		 nattr;
};

struct xconf {
	struct import	*imp;
	struct xentry	*entry;
	size_t		 nentry;
};

static int	xinetd_load(struct xconf *, const char *, int, int);

/* xinetd_trim - s without the blanks around it, in the import's arena. */
static const char *
xinetd_trim(struct import *imp, const char *s, size_t n)
{
	while (n > 0 && (*s == ' ' || *s == '\t' || *s == '\r')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
	    s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	return import_strndup(imp, s, n);
}

/* xinetd_attr_add - parse "NAME OP VALUES" into a new attribute of e. */
static int
xinetd_attr_add(struct xconf *x, struct xentry *e, const char *where,
    const char *line)
{
	struct import *imp = x->imp;
	struct xattr *a, *arr;
	const char *eq = strchr(line, '='), *op = "=";
	char *vals, *tok, *save;
	size_t nlen;

	if (eq == NULL || eq == line)
		return -1;
	nlen = (size_t)(eq - line);
	if (eq[-1] == '+' || eq[-1] == '-') {
		op = eq[-1] == '+' ? "+=" : "-=";
		nlen--;
	}
	if ((arr = realloc(e->attr, (e->nattr + 1) * sizeof(*arr))) == NULL) {
		imp->nomem = 1;
		return 0;
	}
	e->attr = arr;
	a = &arr[e->nattr++];
	memset(a, 0, sizeof(*a));
	a->name = xinetd_trim(imp, line, nlen);
	a->op = op;
	a->where = where;
	a->text = import_words(imp, line);
	if ((vals = strdup(eq + 1)) == NULL) {
		imp->nomem = 1;
		return 0;
	}
	for (tok = strtok_r(vals, " \t\r", &save); tok != NULL &&
	    a->nval < XINETD_VALUES_MAX; tok = strtok_r(NULL, " \t\r", &save))
		import_push(imp, &a->val, &a->nval, import_strdup(imp, tok));
	free(vals);
	if (*a->name == '\0' || strpbrk(a->name, " \t") != NULL)
		return -1;
	return 0;
}

static struct xentry *
xinetd_entry_new(struct xconf *x, const char *name, const char *file,
    int line)
{
	struct xentry *arr;

	if ((arr = realloc(x->entry, (x->nentry + 1) * sizeof(*arr))) ==
	    NULL) {
		x->imp->nomem = 1;
		return NULL;
	}
	x->entry = arr;
	memset(&arr[x->nentry], 0, sizeof(arr[0]));
	arr[x->nentry].name = name;
	arr[x->nentry].file = file;
	arr[x->nentry].line = line;
	return &arr[x->nentry++];
}

/*
 * xinetd_relative - path as an include names it: relative paths are taken
 * from the directory of the including file (xinetd takes them from its
 * own directory, usually /, which is seldom what a copy means).
 */
static const char *
xinetd_relative(struct import *imp, const char *file, const char *path)
{
	const char *slash = strrchr(file, '/');

	if (path[0] == '/' || slash == NULL)
		return path;
	return import_printf(imp, "%.*s/%s", (int)(slash - file), file, path);
}

/*
 * xinetd_parse - one file's text into entries.  Lines are whole: a '#'
 * starts a comment only as a line's first non-blank character (xinetd
 * passes a '#' inside server_args on), and braces stand on lines of
 * their own ("service x {" is taken too).
 */
static void
xinetd_parse(struct xconf *x, const char *file, const char *text, int depth)
{
	struct import *imp = x->imp;
	struct xentry *e = NULL;
	const char *line, *end, *where, *s, *word, *arg;
	size_t len, wlen;
	int lineno = 0, open = 0;

	file = import_strdup(imp, file);
	for (line = text; *line != '\0'; line = *end ? end + 1 : end) {
		lineno++;
		if ((end = strchr(line, '\n')) == NULL)
			end = line + strlen(line);
		s = xinetd_trim(imp, line, (size_t)(end - line));
		if (*s == '\0' || *s == '#')
			continue;
		where = import_printf(imp, "%s:%d", file, lineno);
		if (e != NULL && !open) {
			if (strcmp(s, "{") == 0) {
				open = 1;
				continue;
			}
			import_note(imp, NULL, "%s: \"%s\": expected \"{\" "
			    "after %s (line %d); read as if it were there",
			    where, import_words(imp, s), e->name != NULL ?
			    e->name : "defaults", e->line);
			open = 1;
		}
		if (e != NULL) {
			if (strcmp(s, "}") == 0) {
				e = NULL;
				open = 0;
			} else if (xinetd_attr_add(x, e, where, s) == -1)
				import_note(imp, NULL, "%s: \"%s\": not "
				    "understood (expected ATTRIBUTE = VALUE): "
				    "ignored", where, import_words(imp, s));
			continue;
		}
		len = strlen(s);
		wlen = strcspn(s, " \t");
		word = import_strndup(imp, s, wlen);
		arg = xinetd_trim(imp, s + wlen, len - wlen);
		if (len > 0 && s[len - 1] == '{' && strcmp(word, "{") != 0) {
			arg = xinetd_trim(imp, arg, strlen(arg) - 1);
			open = 1;
		}
		if (strcmp(word, "service") == 0 && *arg != '\0' &&
		    strpbrk(arg, " \t") == NULL) {
			e = xinetd_entry_new(x, arg, file, lineno);
		} else if (strcmp(word, "defaults") == 0 && *arg == '\0') {
			e = xinetd_entry_new(x, NULL, file, lineno);
		} else if ((strcmp(word, "include") == 0 ||
		    strcmp(word, "includedir") == 0) && *arg != '\0') {
			if (depth >= XINETD_DEPTH_MAX)
				import_note(imp, NULL, "%s: %s %s: not read: "
				    "includes nested more than %d deep", where,
				    word, arg, XINETD_DEPTH_MAX);
			else if (xinetd_load(x, xinetd_relative(imp, file, arg),
			    word[7] == 'd', depth + 1) == -1)
				import_note(imp, NULL, "%s: %s %s: cannot "
				    "read it: %s", where, word, arg,
				    strerror(errno));
			open = 0;
		} else {
			import_note(imp, NULL, "%s: \"%s\": not understood "
			    "(expected service NAME, defaults, include or "
			    "includedir): ignored", where,
			    import_words(imp, s));
			open = 0;
		}
		if (e == NULL)
			open = 0;
	}
	if (e != NULL) {
		e->broken = 1;
		import_note(imp, NULL, "%s:%d: %s: no closing \"}\" before the "
		    "end of the file", file, e->line, e->name != NULL ?
		    e->name : "defaults");
	}
}

static int
xinetd_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * xinetd_dir - every file of an include directory, in C order, but those
 * whose name holds a '.' or ends with '~' (editor and package leftovers),
 * as xinetd does.  Returns 0, or -1 with errno when it cannot be read.
 */
static int
xinetd_dir(struct xconf *x, const char *dir, int depth)
{
	struct import *imp = x->imp;
	struct dirent *de;
	struct stat st;
	const char *path;
	char **names = NULL, **tmp, *text;
	size_t n = 0, i, len;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (strchr(de->d_name, '.') != NULL ||
		    (len > 0 && de->d_name[len - 1] == '~'))
			continue;
		if ((tmp = realloc(names, (n + 1) * sizeof(*tmp))) == NULL ||
		    (tmp[n] = strdup(de->d_name)) == NULL) {
			if (tmp != NULL)
				names = tmp;
			imp->nomem = 1;
			break;
		}
		names = tmp;
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(*names), xinetd_cmp);
	for (i = 0; i < n; i++) {
		path = import_printf(imp, "%s/%s", dir, names[i]);
		if (stat(path, &st) == -1 || !S_ISREG(st.st_mode))
			continue;
		if ((text = import_read(path)) == NULL) {
			import_note(imp, NULL, "%s: cannot read it: %s", path,
			    strerror(errno));
			continue;
		}
		xinetd_parse(x, path, text, depth);
		free(text);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return 0;
}

/* xinetd_load - a file, or a directory (includedir), into entries. */
static int
xinetd_load(struct xconf *x, const char *path, int dir, int depth)
{
	char *text;

	if (dir)
		return xinetd_dir(x, path, depth);
	if ((text = import_read(path)) == NULL)
		return -1;
	xinetd_parse(x, path, text, depth);
	free(text);
	return 0;
}

/* ------------------------------------------------------ carrying over */

/* xinetd_get - the last "NAME = ..." of e (or NULL), marked as read. */
static struct xattr *
xinetd_get(struct xentry *e, const char *name)
{
	struct xattr *a = NULL;
	size_t i;

	for (i = 0; e != NULL && i < e->nattr; i++)
		if (strcmp(e->attr[i].name, name) == 0) {
			e->attr[i].used = 1;
			a = &e->attr[i];
		}
	return a;
}

/* xinetd_one - the single value of attribute a, or NULL (noted). */
static const char *
xinetd_one(struct import *imp, struct import_svc *svc, const struct xattr *a)
{
	if (a == NULL)
		return NULL;
	if (a->nval != 1) {
		import_note(imp, svc, "%s: \"%s\": %s takes one value; "
		    "ignored", a->where, a->text, a->name);
		return NULL;
	}
	return a->val[0];
}

/*
 * xinetd_list - a list attribute of service e with the defaults': what
 * the defaults give (cumulative there), replaced by the service's first
 * "=", added to by "+=" (and later "="), taken from by "-=".  *given
 * says whether any of them set it, even to nothing.
 */
static void
xinetd_list(struct import *imp, struct xentry *defaults, struct xentry *e,
    const char *name, const char ***out, size_t *nout, int *given)
{
	struct xentry *from[2] = { defaults, e };
	struct xattr *a;
	size_t i, j, k, m;
	int replaced = 0;

	*out = NULL;
	*nout = 0;
	*given = 0;
	for (k = 0; k < 2; k++) {
		for (i = 0; from[k] != NULL && i < from[k]->nattr; i++) {
			a = &from[k]->attr[i];
			if (strcmp(a->name, name) != 0)
				continue;
			a->used = 1;
			*given = 1;
			if (k == 1 && strcmp(a->op, "=") == 0 && !replaced) {
				*nout = 0;
				replaced = 1;
			}
			if (strcmp(a->op, "-=") == 0) {
				for (j = 0; j < a->nval; j++)
					for (m = 0; m < *nout; m++)
						if (strcmp((*out)[m],
						    a->val[j]) == 0)
							(*out)[m--] =
							    (*out)[--*nout];
				continue;
			}
			for (j = 0; j < a->nval; j++)
				import_push(imp, out, nout, a->val[j]);
		}
	}
}

/*
 * import_xinetd_addr - an only_from / no_access item as CIDR text for
 * access rules, appended to *out: a.b.c.d (rightmost zeros are
 * wildcards: 10.1.0.0 is 10.1.0.0/16, 0.0.0.0 is all), a.b.{c,d}
 * (factorized), ADDR/LEN, IPv6, and localhost (127.0.0.1 and ::1).
 * Returns 0, or -1 for what cannot be matched without resolving names
 * (host names, .domains, network names) or is not an address.
 */
int
import_xinetd_addr(struct import *imp, const char *item, const char ***out,
    size_t *nout)
{
	struct in6_addr a6;
	struct in_addr a4;
	const char *brace, *slash, *p;
	char host[INET6_ADDRSTRLEN + 1], pad[32], *end, *alts, *tok, *save;
	int dots, zeros, octet[4];
	long len;

	if (strcmp(item, "localhost") == 0) {
		import_push(imp, out, nout, "127.0.0.1");
		import_push(imp, out, nout, "::1");
		return 0;
	}
	if ((brace = strchr(item, '{')) != NULL) {
		/* a.b.{c,d}: each alternative ends the address there. */
		if (item[strlen(item) - 1] != '}' || brace == item ||
		    brace[-1] != '.')
			return -1;
		for (dots = 0, p = item; p < brace; p++)
			dots += *p == '.';
		if (dots > 3 || (alts = strdup(brace + 1)) == NULL)
			return -1;
		alts[strlen(alts) - 1] = '\0';
		snprintf(pad, sizeof(pad), "%s", dots == 1 ? ".0.0" :
		    dots == 2 ? ".0" : "");
		for (tok = strtok_r(alts, ",", &save); tok != NULL;
		    tok = strtok_r(NULL, ",", &save)) {
			snprintf(host, sizeof(host), "%.*s%s%s",
			    (int)(brace - item), item, tok, pad);
			if (*tok < '0' || *tok > '9' ||
			    inet_pton(AF_INET, host, &a4) != 1) {
				free(alts);
				return -1;
			}
			import_push(imp, out, nout, import_printf(imp,
			    "%s/%d", host, 8 * (dots + 1)));
		}
		free(alts);
		return 0;
	}
	if ((slash = strchr(item, '/')) != NULL) {
		if ((size_t)(slash - item) >= sizeof(host))
			return -1;
		snprintf(host, sizeof(host), "%.*s", (int)(slash - item),
		    item);
		errno = 0;
		len = strtol(slash + 1, &end, 10);
		if (slash[1] < '0' || slash[1] > '9' || *end != '\0' ||
		    errno != 0)
			return -1;
		if (inet_pton(AF_INET, host, &a4) == 1 && len <= 32)
			import_push(imp, out, nout, import_strdup(imp, item));
		else if (inet_pton(AF_INET6, host, &a6) == 1 && len <= 128)
			import_push(imp, out, nout, import_strdup(imp, item));
		else
			return -1;
		return 0;
	}
	if (inet_pton(AF_INET6, item, &a6) == 1) {
		import_push(imp, out, nout, import_strdup(imp, item));
		return 0;
	}
	if (inet_pton(AF_INET, item, &a4) != 1 ||
	    sscanf(item, "%d.%d.%d.%d", &octet[0], &octet[1], &octet[2],
	    &octet[3]) != 4)
		return -1;
	for (zeros = 0; zeros < 4 && octet[3 - zeros] == 0; zeros++)
		;
	if (zeros == 4)
		import_push(imp, out, nout, "all");
	else if (zeros == 0)
		import_push(imp, out, nout, import_strdup(imp, item));
	else
		import_push(imp, out, nout, import_printf(imp, "%s/%d", item,
		    32 - 8 * zeros));
	return 0;
}

/*
 * xinetd_access - only_from and no_access as an access list: the
 * no_access items first, as deny, then the only_from ones, as allow, then
 * "deny all" when only_from was given (an empty one lets nobody in).
 * xinetd lets the better match win; first-match with the denials first
 * gives the same answer but where only_from names a host inside a denied
 * network, which is said.  An only_from item that cannot be carried is
 * left out (fewer clients get in); a no_access item that cannot be is
 * another matter: the service is written commented out.
 */
static void
xinetd_access(struct import *imp, struct import_svc *svc,
    struct xentry *defaults, struct xentry *e)
{
	const char **only, **none, **cidr = NULL;
	size_t nonly, nnone, ncidr = 0, i, j;
	int gonly, gnone, bad_deny = 0;

	xinetd_list(imp, defaults, e, "only_from", &only, &nonly, &gonly);
	xinetd_list(imp, defaults, e, "no_access", &none, &nnone, &gnone);
	if (!gonly && !gnone)
		goto done;
	if (import_is_wait(svc)) {
		import_off(imp, svc, "only_from and no_access: not carried: "
		    "the program of a wait service receives its clients "
		    "itself, before preforkd could check them; so that it "
		    "is not open to more clients than before, it is written "
		    "commented out: restrict it otherwise (bind, a "
		    "firewall), then enable it");
		goto done;
	}
	for (i = 0; i < nnone; i++) {
		ncidr = 0;
		if (import_xinetd_addr(imp, none[i], &cidr, &ncidr) == -1) {
			import_note(imp, svc, "no_access %s: cannot be "
			    "carried: only addresses can (preforkd does not "
			    "resolve names)", none[i]);
			bad_deny = 1;
		}
		for (j = 0; j < ncidr; j++)
			import_push(imp, &svc->access, &svc->naccess,
			    import_printf(imp, "deny %s", cidr[j]));
		free(cidr);
		cidr = NULL;
	}
	for (i = 0; i < nonly; i++) {
		ncidr = 0;
		if (import_xinetd_addr(imp, only[i], &cidr, &ncidr) == -1)
			import_note(imp, svc, "only_from %s: not carried: "
			    "only addresses can be (preforkd does not resolve "
			    "names); those clients are refused now", only[i]);
		for (j = 0; j < ncidr; j++)
			import_push(imp, &svc->access, &svc->naccess,
			    import_printf(imp, "allow %s", cidr[j]));
		free(cidr);
		cidr = NULL;
	}
	if (gonly)
		import_push(imp, &svc->access, &svc->naccess, "deny all");
	if (gonly && gnone)
		import_note(imp, svc, "access: the no_access addresses come "
		    "first; xinetd let the more specific of the two lists "
		    "win, so an only_from address inside a no_access network "
		    "is refused here, where xinetd let it in");
	if (bad_deny)
		import_off(imp, svc, "written commented out: a no_access "
		    "item could not be carried, and the service would be open "
		    "to clients it refused: write their addresses, then "
		    "enable it");
done:
	free(only);
	free(none);
}

/*
 * xinetd_number - an attribute's value as 1..max, or 0 for UNLIMITED,
 * or -1 (noted).
 */
static int
xinetd_number(struct import *imp, struct import_svc *svc,
    const struct xattr *a, const char *v, int max)
{
	char *end;
	long n;

	if (v == NULL)
		return -1;
	if (strcmp(v, "UNLIMITED") == 0)
		return 0;
	errno = 0;
	n = strtol(v, &end, 10);
	if (*v < '0' || *v > '9' || *end != '\0' || errno != 0 || n < 1 ||
	    n > max) {
		import_note(imp, svc, "%s: \"%s\": not carried: %s must be "
		    "UNLIMITED or a number from 1 to %d", a->where, a->text,
		    a->name, max);
		return -1;
	}
	return (int)n;
}

/* Attributes that are understood but have no equivalent, and why. */
static const struct {
	const char	*name;
	const char	*why;
} xinetd_dropped[] = {
	{ "nice", "preforkd does not change a program's priority" },
	{ "access_times", "preforkd has no access by time of day" },
	{ "log_type", "preforkd logs to its error_log, and each connection "
	    "to its access_log" },
	{ "log_on_success", "preforkd logs each connection to its access_log "
	    "(see preforkd.conf(5))" },
	{ "log_on_failure", "preforkd logs refusals to its error_log" },
	{ "passenv", "a program's environment is only PATH, the UCSPI "
	    "variables and exec.env: put the variables it needs in exec.env" },
	{ "banner", "preforkd sends no banners" },
	{ "banner_success", "preforkd sends no banners" },
	{ "banner_fail", "preforkd sends no banners" },
	{ "max_load", "preforkd does not watch the load average" },
	{ "groups", "workers run with the group of their user (or of the "
	    "service) only, no supplementary groups" },
	{ "mdns", "preforkd registers nothing with mDNS" },
	{ "umask", "the program inherits preforkd's umask" },
	{ "rlimit_as", "preforkd sets no resource limits (set them where "
	    "preforkd is started, as with systemd's Limit*=)" },
	{ "rlimit_cpu", "preforkd sets no resource limits (set them where "
	    "preforkd is started, as with systemd's Limit*=)" },
	{ "rlimit_data", "preforkd sets no resource limits (set them where "
	    "preforkd is started, as with systemd's Limit*=)" },
	{ "rlimit_rss", "preforkd sets no resource limits (set them where "
	    "preforkd is started, as with systemd's Limit*=)" },
	{ "rlimit_stack", "preforkd sets no resource limits (set them where "
	    "preforkd is started, as with systemd's Limit*=)" },
	{ "rlimit_files", "preforkd sets no resource limits (set them where "
	    "preforkd is started, as with systemd's Limit*=)" },
	{ "deny_time", "preforkd has no SENSOR services" },
	{ "libwrap", "tcp wrappers are not carried: write the rules of "
	    "/etc/hosts.allow and /etc/hosts.deny as access" },
	{ "v6only", "listen on [::]:PORT for IPv6 only" },
};

/* Attributes that the carrying over reads, for the "unknown" check. */
static const char *const xinetd_known[] = {
	"id", "type", "flags", "disable", "socket_type", "protocol", "wait",
	"user", "group", "instances", "server", "server_args", "only_from",
	"no_access", "rpc_version", "rpc_number", "env", "port", "redirect",
	"bind", "interface", "per_source", "cps", "enabled", "disabled",
	NULL
};

/* xinetd_is_known - whether name is an attribute xinetd has. */
static int
xinetd_is_known(const char *name)
{
	size_t k;

	for (k = 0; xinetd_known[k] != NULL; k++)
		if (strcmp(name, xinetd_known[k]) == 0)
			return 1;
	for (k = 0; k < sizeof(xinetd_dropped) / sizeof(xinetd_dropped[0]);
	    k++)
		if (strcmp(name, xinetd_dropped[k].name) == 0)
			return 1;
	return 0;
}

/*
 * xinetd_rest - a comment for each attribute of e that was not read:
 * known ones say why they have no equivalent, others are unknown (of a
 * service not carried, only those).  The defaults' go to the header.
 */
static void
xinetd_rest(struct import *imp, struct import_svc *svc, struct xentry *e)
{
	struct xattr *a;
	size_t i, k;

	for (i = 0; i < e->nattr; i++) {
		a = &e->attr[i];
		if (a->used)
			continue;
		for (k = 0; k < sizeof(xinetd_dropped) /
		    sizeof(xinetd_dropped[0]); k++)
			if (strcmp(a->name, xinetd_dropped[k].name) == 0)
				break;
		if (svc != NULL && svc->state == IMPORT_SKIP &&
		    xinetd_is_known(a->name))
			continue;
		if (k < sizeof(xinetd_dropped) / sizeof(xinetd_dropped[0]))
			import_note(imp, svc, "%s: \"%s\": not carried: %s",
			    a->where, a->text, xinetd_dropped[k].why);
		else
			import_note(imp, svc, "%s: \"%s\": %s", a->where,
			    a->text, xinetd_is_known(a->name) ? "not carried: "
			    "not used here" : "unknown attribute: ignored");
	}
}

/* xinetd_in - whether word is among the values of a. */
static int
xinetd_in(const struct xattr *a, const char *word)
{
	size_t i;

	for (i = 0; a != NULL && i < a->nval; i++)
		if (strcmp(a->val[i], word) == 0)
			return 1;
	return 0;
}

/*
 * xinetd_flags - the flags of a service: those that change what is
 * carried over are returned through nameinargs and family; the others
 * are noted.
 */
static void
xinetd_flags(struct import *imp, struct import_svc *svc,
    const struct xattr *a, int *nameinargs, const char **family)
{
	static const struct {
		const char	*flag, *why;
	} flags[] = {
		{ "REUSE", NULL }, { "NAMEINARGS", NULL }, { "IPv4", NULL },
		{ "IPv6", NULL }, { "NOLIBWRAP", NULL },
		{ "NODELAY", "preforkd sets no TCP options per service" },
		{ "KEEPALIVE", "preforkd sets no TCP options per service" },
		{ "INTERCEPT", "preforkd does not intercept a program's "
		    "traffic" },
		{ "IDONLY", "preforkd does not ask for RFC 1413 identities" },
		{ "NORETRY", "preforkd replaces a program that fails with its "
		    "crash backoff (1 s doubling to 60 s)" },
		{ "LABELED", "preforkd does not change SELinux contexts" },
		{ "SENSOR", NULL },
	};
	size_t i, k;

	*nameinargs = xinetd_in(a, "NAMEINARGS");
	*family = xinetd_in(a, "IPv6") ? "6" : xinetd_in(a, "IPv4") ? "4" :
	    "";
	for (i = 0; a != NULL && i < a->nval; i++) {
		for (k = 0; k < sizeof(flags) / sizeof(flags[0]); k++)
			if (strcmp(a->val[i], flags[k].flag) == 0)
				break;
		if (k == sizeof(flags) / sizeof(flags[0]))
			import_note(imp, svc, "%s: flag %s: unknown: ignored",
			    a->where, a->val[i]);
		else if (flags[k].why != NULL)
			import_note(imp, svc, "%s: flag %s: not carried: %s",
			    a->where, a->val[i], flags[k].why);
	}
}

/*
 * xinetd_bind - the listen host from bind (or interface), the defaults',
 * and the IPv4/IPv6 flags; NULL (svc skipped) for a name.
 */
static const char *
xinetd_bind(struct import *imp, struct import_svc *svc, const char *bind,
    const char *family)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (bind == NULL)
		return strcmp(family, "4") == 0 ? "0.0.0.0" :
		    strcmp(family, "6") == 0 ? "::" : "*";
	if (inet_pton(AF_INET, bind, &a4) == 1 ||
	    inet_pton(AF_INET6, bind, &a6) == 1)
		return bind;
	if (strcmp(bind, "localhost") == 0) {
		import_note(imp, svc, "bind localhost: listens on 127.0.0.1 "
		    "(add \"[::1]:PORT\" for IPv6)");
		return "127.0.0.1";
	}
	import_skip(imp, svc, "not carried: bind \"%s\" is not a numeric "
	    "address, and preforkd does not resolve names: write the address",
	    bind);
	return NULL;
}

/*
 * xinetd_program - the program of a service that is not internal:
 * server, and server_args, which hold argv[0] only with NAMEINARGS.
 */
static void
xinetd_program(struct import *imp, struct import_svc *svc, struct xentry *e,
    int nameinargs)
{
	struct xattr *server = xinetd_get(e, "server");
	struct xattr *args = xinetd_get(e, "server_args");

	if (server == NULL || server->nval != 1) {
		import_skip(imp, svc, "not carried: %s", server == NULL ?
		    "no server program (server = PATH)" :
		    "server must be one path");
		return;
	}
	import_program(imp, svc, server->val[0],
	    args != NULL ? args->val : NULL, args != NULL ? args->nval : 0,
	    nameinargs);
}

/*
 * xinetd_port - the service's port: port = N, else its name looked up
 * (an UNLISTED service needs port).  -1 with svc skipped.
 */
static int
xinetd_port(struct import *imp, struct import_svc *svc, struct xentry *e,
    const char *proto, int unlisted)
{
	struct xattr *a = xinetd_get(e, "port");
	const char *v = xinetd_one(imp, svc, a);
	int port, listed;

	if (v == NULL) {
		if (unlisted) {
			import_skip(imp, svc, "not carried: an UNLISTED "
			    "service needs port = N");
			return -1;
		}
		return import_port(imp, svc, e->name, proto, "give it port = N "
		    "and type = UNLISTED");
	}
	if ((port = import_port(imp, svc, v, proto, "port must be a "
	    "number")) == -1)
		return -1;
	if (!unlisted && (listed = imp->port(e->name, proto)) > 0 &&
	    listed != port)
		import_note(imp, svc, "%s: port %d: /etc/services gives %d for "
		    "%s, and xinetd wanted them equal; port %d is kept",
		    a->where, port, listed, e->name, port);
	return port;
}

/*
 * xinetd_limits - per_source, cps and the env of a service, carried over
 * where preforkd can see the clients (not for a wait service).
 */
static void
xinetd_limits(struct import *imp, struct import_svc *svc,
    struct xentry *defaults, struct xentry *e, int dgram)
{
	struct xattr *per = xinetd_get(e, "per_source");
	struct xattr *cps = xinetd_get(e, "cps");
	const char **env;
	size_t nenv, i;
	int n, given;

	if (per == NULL)
		per = xinetd_get(defaults, "per_source");
	if (cps == NULL)
		cps = xinetd_get(defaults, "cps");
	if ((per != NULL || cps != NULL) && import_is_wait(svc)) {
		import_note(imp, svc, "per_source and cps: not carried: the "
		    "program of a wait service receives its clients itself, "
		    "before preforkd could count them");
		per = cps = NULL;
	}
	if (per != NULL && (n = xinetd_number(imp, svc, per,
	    xinetd_one(imp, svc, per), 1000000)) > 0) {
		if (dgram)
			import_note(imp, svc, "%s: per_source %d: not carried: "
			    "datagrams have no connections to count",
			    per->where, n);
		else
			svc->max_per_source = n;
	}
	if (cps != NULL && cps->nval >= 1 && cps->nval <= 2 &&
	    (n = xinetd_number(imp, svc, cps, cps->val[0], 1000000)) > 0) {
		svc->max_rate = import_printf(imp, "%d/s", n);
		import_note(imp, svc, "%s: cps: xinetd stopped the service for "
		    "%s seconds beyond %d a second; preforkd refuses the "
		    "connections over the rate instead", cps->where,
		    cps->nval == 2 ? cps->val[1] : "10", n);
	} else if (cps != NULL)
		import_note(imp, svc, "%s: \"%s\": not carried: cps takes a "
		    "rate and a number of seconds", cps->where, cps->text);

	xinetd_list(imp, NULL, e, "env", &env, &nenv, &given);
	if (given && strcmp(svc->handler, "exec") != 0)
		import_note(imp, svc, "env: not carried: a built-in runs no "
		    "program");
	for (i = 0; given && strcmp(svc->handler, "exec") == 0 && i < nenv;
	    i++) {
		if (strchr(env[i], '=') == NULL || env[i][0] == '=')
			import_note(imp, svc, "env %s: not carried: not "
			    "NAME=value", env[i]);
		else
			import_push(imp, &svc->env, &svc->nenv, env[i]);
	}
	free(env);
}

/*
 * xinetd_disabled - why the defaults' enabled and disabled lists or the
 * service's own disable keep the service from running, or NULL.
 */
static const char *
xinetd_disabled(struct import *imp, struct import_svc *svc,
    struct xentry *defaults, struct xentry *e, const char *id)
{
	struct xattr *dis = xinetd_get(e, "disable");
	const char **en, **off, *v, *why = NULL;
	size_t nen, noff, i;
	int gen, goff, listed = 0;

	xinetd_list(imp, NULL, defaults, "enabled", &en, &nen, &gen);
	xinetd_list(imp, NULL, defaults, "disabled", &off, &noff, &goff);
	for (i = 0; i < noff; i++)
		if (strcmp(off[i], id) == 0)
			why = "listed in the defaults' disabled";
	for (i = 0; i < nen; i++)
		listed |= strcmp(en[i], id) == 0;
	if (gen && !listed)
		why = "not listed in the defaults' enabled";
	free(en);
	free(off);
	if ((v = xinetd_one(imp, svc, dis)) != NULL &&
	    strcmp(v, "yes") == 0)
		why = "disable = yes";
	else if (v != NULL && strcmp(v, "no") != 0)
		import_note(imp, svc, "%s: disable = %s: not yes or no; taken "
		    "as no", dis->where, v);
	return why;
}

/* xinetd_service - carry one service entry over. */
static void
xinetd_service(struct import *imp, struct xentry *defaults, struct xentry *e)
{
	struct import_svc *svc;
	struct xattr *type, *flags, *bind, *inst;
	const char *id, *stype, *proto, *wait, *family, *host, *user, *group;
	const char *why;
	int nameinargs, dgram, internal, port, instances = -1;

	id = xinetd_one(imp, NULL, xinetd_get(e, "id"));
	svc = import_svc_new(imp, e->file, e->line, id != NULL &&
	    strcmp(id, e->name) != 0 ? import_printf(imp, "service %s, id %s",
	    e->name, id) : import_printf(imp, "service %s", e->name));
	svc->name = id != NULL ? id : e->name;
	if (e->broken) {
		import_skip(imp, svc, "not carried: no closing \"}\"");
		return;
	}
	type = xinetd_get(e, "type");
	flags = xinetd_get(e, "flags");
	xinetd_flags(imp, svc, flags, &nameinargs, &family);
	internal = xinetd_in(type, "INTERNAL") && !xinetd_in(flags, "SENSOR");
	if (xinetd_in(type, "RPC") || xinetd_get(e, "rpc_version") != NULL ||
	    xinetd_get(e, "rpc_number") != NULL)
		import_skip(imp, svc, "not carried: an RPC service: preforkd "
		    "does not register services with the portmapper");
	else if (xinetd_in(type, "TCPMUX") || xinetd_in(type, "TCPMUXPLUS"))
		import_skip(imp, svc, "not carried: a TCPMUX service: preforkd "
		    "has no tcpmux");
	else if (xinetd_in(flags, "SENSOR"))
		import_skip(imp, svc, "not carried: a SENSOR: preforkd has "
		    "none (refuse those clients with access instead)");
	else if (xinetd_get(e, "redirect") != NULL &&
	    xinetd_get(e, "server") == NULL)
		import_skip(imp, svc, "not carried: redirect: preforkd does "
		    "not forward connections (an exec service running a "
		    "relay such as socat can)");
	if (svc->state == IMPORT_SKIP)
		goto rest;

	stype = xinetd_one(imp, svc, xinetd_get(e, "socket_type"));
	proto = xinetd_one(imp, svc, xinetd_get(e, "protocol"));
	wait = xinetd_one(imp, svc, xinetd_get(e, "wait"));
	if (stype == NULL || (strcmp(stype, "stream") != 0 &&
	    strcmp(stype, "dgram") != 0)) {
		import_skip(imp, svc, stype == NULL ? "not carried: no "
		    "socket_type" : "not carried: socket_type %s: preforkd "
		    "serves stream and dgram sockets", stype);
		goto rest;
	}
	dgram = strcmp(stype, "dgram") == 0;
	if (proto == NULL)
		proto = dgram ? "udp" : "tcp";
	if (strcmp(proto, dgram ? "udp" : "tcp") != 0) {
		import_skip(imp, svc, "not carried: protocol %s with "
		    "socket_type %s: preforkd serves tcp streams and udp "
		    "datagrams", proto, stype);
		goto rest;
	}
	if (wait == NULL || (strcmp(wait, "yes") != 0 &&
	    strcmp(wait, "no") != 0)) {
		import_skip(imp, svc, "not carried: wait must be yes or no");
		goto rest;
	}

	user = xinetd_one(imp, svc, xinetd_get(e, "user"));
	group = xinetd_one(imp, svc, xinetd_get(e, "group"));
	if (internal) {
		if ((svc->handler = import_builtin(e->name)) == NULL) {
			import_skip(imp, svc, "not carried: internal service "
			    "\"%s\": preforkd's built-ins are echo, discard, "
			    "chargen, daytime and time", e->name);
			goto rest;
		}
		xinetd_get(e, "server");
		xinetd_get(e, "server_args");
	} else
		xinetd_program(imp, svc, e, nameinargs);
	if (svc->state == IMPORT_SKIP ||
	    import_user(imp, svc, user, group, internal) == -1)
		goto rest;

	if ((port = xinetd_port(imp, svc, e, proto,
	    xinetd_in(type, "UNLISTED"))) == -1)
		goto rest;
	if ((bind = xinetd_get(e, "bind")) == NULL &&
	    (bind = xinetd_get(e, "interface")) == NULL &&
	    (bind = xinetd_get(defaults, "bind")) == NULL)
		bind = xinetd_get(defaults, "interface");
	if ((host = xinetd_bind(imp, svc, xinetd_one(imp, svc, bind),
	    family)) == NULL)
		goto rest;
	import_listen(imp, svc, host, port, proto);

	if ((inst = xinetd_get(e, "instances")) == NULL)
		inst = xinetd_get(defaults, "instances");
	if (inst != NULL)
		instances = xinetd_number(imp, svc, inst,
		    xinetd_one(imp, svc, inst), WORKERS_MAX);
	import_serve(imp, svc, dgram, strcmp(wait, "yes") == 0, instances);
	if (svc->state == IMPORT_SKIP)
		goto rest;
	xinetd_limits(imp, svc, defaults, e, dgram);
	xinetd_access(imp, svc, defaults, e);
rest:
	if ((why = xinetd_disabled(imp, svc, defaults, e, svc->name)) == NULL)
		;
	else if (svc->state == IMPORT_SKIP)
		import_note(imp, svc, "it was disabled anyway (%s)", why);
	else
		import_off(imp, svc, "disabled (%s)", why);
	xinetd_rest(imp, svc, e);
}

/*
 * xinetd_defaults - the defaults entries merged into one (cumulative, as
 * xinetd reads them); their attributes that are not carried are noted
 * in the header.  Returns NULL when there are none.
 */
static struct xentry *
xinetd_defaults(struct xconf *x, struct xentry *merged)
{
	size_t i, k;
	struct xattr *arr;
	int any = 0;

	memset(merged, 0, sizeof(*merged));
	for (i = 0; i < x->nentry; i++) {
		if (x->entry[i].name != NULL)
			continue;
		any = 1;
		merged->file = x->entry[i].file;
		merged->line = x->entry[i].line;
		for (k = 0; k < x->entry[i].nattr; k++) {
			if ((arr = realloc(merged->attr, (merged->nattr + 1) *
			    sizeof(*arr))) == NULL) {
				x->imp->nomem = 1;
				break;
			}
			merged->attr = arr;
			arr[merged->nattr] = x->entry[i].attr[k];
			/* In defaults, "=" adds too. */
			if (strcmp(arr[merged->nattr].op, "=") == 0)
				arr[merged->nattr].op = "+=";
			merged->nattr++;
		}
	}
	return any ? merged : NULL;
}

/* xinetd_carry - every service entry carried over, then the defaults'. */
static void
xinetd_carry(struct xconf *x)
{
	struct xentry merged, *defaults;
	struct import *imp = x->imp;
	struct xattr *a;
	size_t i, k;

	import_header(imp, "tcp wrappers: xinetd checked every service "
	    "against /etc/hosts.allow and /etc/hosts.deny (libwrap) unless "
	    "its flags said NOLIBWRAP; those rules are not carried: write "
	    "them as each service's access list.");
	defaults = xinetd_defaults(x, &merged);
	for (i = 0; i < x->nentry; i++)
		if (x->entry[i].name != NULL)
			xinetd_service(imp, defaults, &x->entry[i]);
	for (k = 0; defaults != NULL && k < defaults->nattr; k++) {
		a = &defaults->attr[k];
		if (strcmp(a->name, "enabled") == 0 ||
		    strcmp(a->name, "disabled") == 0 ||
		    strcmp(a->name, "only_from") == 0 ||
		    strcmp(a->name, "no_access") == 0 ||
		    strcmp(a->name, "instances") == 0 ||
		    strcmp(a->name, "per_source") == 0 ||
		    strcmp(a->name, "cps") == 0 ||
		    strcmp(a->name, "bind") == 0 ||
		    strcmp(a->name, "interface") == 0)
			a->used = 1;
	}
	if (defaults != NULL)
		xinetd_rest(imp, NULL, defaults);
	free(merged.attr);
}

static void
xinetd_free(struct xconf *x)
{
	size_t i, k;

	for (i = 0; i < x->nentry; i++) {
		for (k = 0; k < x->entry[i].nattr; k++)
			free(x->entry[i].attr[k].val);
		free(x->entry[i].attr);
	}
	free(x->entry);
}

/* import_xinetd_text - one file's text, with its defaults, carried over. */
void
import_xinetd_text(struct import *imp, const char *file, const char *text)
{
	struct xconf x = { imp, NULL, 0 };

	xinetd_parse(&x, file, text, 0);
	xinetd_carry(&x);
	xinetd_free(&x);
}

/*
 * import_xinetd_path - xinetd.conf (and what it includes), or an
 * xinetd.d directory, carried over.  Returns 0, or -1 with errno when
 * path itself cannot be read.
 */
int
import_xinetd_path(struct import *imp, const char *path)
{
	struct xconf x = { imp, NULL, 0 };
	struct stat st;

	if (stat(path, &st) == -1)
		return -1;
	if (xinetd_load(&x, path, S_ISDIR(st.st_mode), 0) == -1) {
		xinetd_free(&x);
		return -1;
	}
	xinetd_carry(&x);
	xinetd_free(&x);
	return 0;
}
