/*
 * acl.c - the access rules of a service (access = [ "allow 10.0.0.0/8",
 * "allow ::1", "deny all" ]): parse a rule's text into a struct acl_rule,
 * and find the first rule of a list that matches a client.  Pure: no
 * libconfig and no sockets, so tests/unit/acl-t.c drives it as it is.
 * User and group names are looked up when a rule is parsed, at config
 * load, never per connection: a worker only compares numbers.
 *
 * A rule is "allow" or "deny", then what it applies to:
 *   all                    every client
 *   ADDRESS[/PREFIX]       an IPv4 or IPv6 address or network (CIDR)
 *   uid N | user NAME      a unix-domain peer's uid
 *   group NAME             a unix-domain peer's primary or supplementary
 *                          group
 * A network whose address has bits set past its prefix (10.0.0.1/8) is
 * refused rather than silently widened: it is a typo as often as not.
 * An IPv4-mapped IPv6 network (::ffff:10.0.0.0/104) is stored as the IPv4
 * network it means, since a mapped client is matched as its IPv4 address
 * (admit_source()).
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "preforkd.h"
#include "conn.h"

/* The words of a rule: "allow", "uid", "1000"; more is an error. */
#define ACL_WORDS	4
#define ACL_WORD_MAX	128

static int	 acl_net(const char *, struct acl_rule *, char *, size_t);
static int	 acl_prefix(const char *, int, int *, char *, size_t);
static int	 acl_id(const char *, const char *, struct acl_rule *, char *,
		    size_t);

/*
 * acl_words - split text at blanks into at most ACL_WORDS words of less
 * than ACL_WORD_MAX bytes; the count, or -1 when a word is too long (the
 * count then says which).
 */
static int
acl_words(const char *text, char w[ACL_WORDS][ACL_WORD_MAX])
{
	const char *p = text;
	size_t len;
	int n = 0;

	for (;;) {
		p += strspn(p, " \t");
		if (*p == '\0' || n == ACL_WORDS)
			return n;
		len = strcspn(p, " \t");
		if (len >= ACL_WORD_MAX)
			return -1;
		memcpy(w[n], p, len);
		w[n][len] = '\0';
		n++;
		p += len;
	}
}

/*
 * acl_parse - one rule's text into *r (its text field is left alone): 0,
 * or -1 with what is wrong in err (the caller says where).
 */
int
acl_parse(const char *text, struct acl_rule *r, char *err, size_t errlen)
{
	char w[ACL_WORDS][ACL_WORD_MAX], why[ACL_ERR_MAX];
	int n, rc;

	memset(r, 0, sizeof(*r));
	if ((n = acl_words(text, w)) == -1) {
		snprintf(err, errlen, "\"%.60s...\": a word is too long "
		    "(at most %d bytes)", text, ACL_WORD_MAX - 1);
		return -1;
	}
	if (n == 0) {
		snprintf(err, errlen, "empty rule: write \"allow\" or "
		    "\"deny\", then an address, a network, \"all\", "
		    "\"uid N\", \"user NAME\" or \"group NAME\"");
		return -1;
	}
	if (strcmp(w[0], "allow") == 0)
		r->action = ACL_ALLOW;
	else if (strcmp(w[0], "deny") == 0)
		r->action = ACL_DENY;
	else {
		snprintf(err, errlen, "\"%s\": a rule starts with \"allow\" "
		    "or \"deny\" (got \"%s\")", text, w[0]);
		return -1;
	}
	if (n == 1) {
		snprintf(err, errlen, "\"%s\": %s whom? Add an address, a "
		    "network, \"all\", \"uid N\", \"user NAME\" or "
		    "\"group NAME\"", text, w[0]);
		return -1;
	}

	if (strcmp(w[1], "uid") == 0 || strcmp(w[1], "user") == 0 ||
	    strcmp(w[1], "group") == 0) {
		if (n == 2) {
			snprintf(err, errlen, "\"%s\": \"%s\" needs a %s "
			    "after it", text, w[1], strcmp(w[1], "uid") == 0 ?
			    "number" : "name");
			return -1;
		}
		if (n > 3) {
			snprintf(err, errlen, "\"%s\": unexpected \"%s\" "
			    "after \"%s %s\"", text, w[3], w[1], w[2]);
			return -1;
		}
		rc = acl_id(w[1], w[2], r, why, sizeof(why));
	} else if (n > 2) {
		snprintf(err, errlen, "\"%s\": unexpected \"%s\" after \"%s\"",
		    text, w[2], w[1]);
		return -1;
	} else if (strcmp(w[1], "all") == 0) {
		r->kind = ACL_ALL;
		rc = 0;
	} else
		rc = acl_net(w[1], r, why, sizeof(why));
	if (rc == -1)
		snprintf(err, errlen, "\"%s\": %s", text, why);
	return rc;
}

/*
 * acl_net - "ADDRESS" or "ADDRESS/PREFIX" into r: an address alone is a
 * network of one (/32, /128).  Names are not resolved.
 */
static int
acl_net(const char *word, struct acl_rule *r, char *err, size_t errlen)
{
	static const unsigned char mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
	};
	char addr[ACL_WORD_MAX], shown[INET6_ADDRSTRLEN];
	const char *slash;
	unsigned char full[16];
	int i, bits, max;

	slash = strchr(word, '/');
	snprintf(addr, sizeof(addr), "%.*s", slash != NULL ?
	    (int)(slash - word) : (int)strlen(word), word);
	if (inet_pton(AF_INET, addr, r->net) == 1) {
		r->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, addr, r->net) == 1) {
		r->family = AF_INET6;
		max = 128;
	} else {
		snprintf(err, errlen, "\"%s\" is not an IPv4 or IPv6 address%s",
		    addr, addr[0] == '[' ? " (write IPv6 without brackets)" :
		    strchr(addr, '%') != NULL ? " (zone indexes are not "
		    "supported)" : " (names are not resolved)");
		return -1;
	}
	r->kind = ACL_NET;
	r->prefix = max;
	if (slash != NULL &&
	    acl_prefix(slash + 1, max, &r->prefix, err, errlen) == -1)
		return -1;

	/* Bits past the prefix: refused, with the network meant. */
	memcpy(full, r->net, sizeof(full));
	for (i = 0; i < max / 8; i++) {
		bits = r->prefix - 8 * i;
		if (bits >= 8)
			continue;
		r->net[i] &= bits <= 0 ? 0 : (unsigned char)(0xff << (8 - bits));
	}
	if (memcmp(full, r->net, (size_t)max / 8) != 0) {
		inet_ntop(r->family, r->net, shown, sizeof(shown));
		snprintf(err, errlen, "%s has bits set past its /%d prefix: "
		    "write the network, %s/%d", word, r->prefix, shown,
		    r->prefix);
		return -1;
	}

	/* ::ffff:a.b.c.d/96+n is the IPv4 network a.b.c.d/n. */
	if (r->family == AF_INET6 && r->prefix >= 96 &&
	    memcmp(r->net, mapped, sizeof(mapped)) == 0) {
		memmove(r->net, r->net + 12, 4);
		memset(r->net + 4, 0, 12);
		r->family = AF_INET;
		r->prefix -= 96;
	}
	return 0;
}

/* acl_prefix - the decimal text after "/", from 0 to max, into *prefix. */
static int
acl_prefix(const char *text, int max, int *prefix, char *err, size_t errlen)
{
	size_t len = strlen(text);

	if (len == 0 || strspn(text, "0123456789") != len) {
		snprintf(err, errlen, "prefix \"/%s\" is not a number from 0 "
		    "to %d", text, max);
		return -1;
	}
	if (len > 3 || atoi(text) > max) {
		snprintf(err, errlen, "prefix /%s is too long for %s (0 to %d)",
		    text, max == 32 ? "IPv4" : "IPv6", max);
		return -1;
	}
	*prefix = atoi(text);
	return 0;
}

/*
 * acl_id - "uid N", "user NAME" or "group NAME" into r; a name is looked
 * up now, and must exist.
 */
static int
acl_id(const char *what, const char *value, struct acl_rule *r, char *err,
    size_t errlen)
{
	struct passwd *pw;
	struct group *gr;
	unsigned long long v;
	char *end;
	int e;

	if (strcmp(what, "uid") == 0) {
		errno = 0;
		v = strtoull(value, &end, 10);
		if (value[0] < '0' || value[0] > '9' || *end != '\0' ||
		    errno != 0 || v >= (unsigned long long)(uid_t)-1) {
			snprintf(err, errlen, "uid must be a number from 0 to "
			    "%lu (got \"%s\")", (unsigned long)(uid_t)-1 - 1,
			    value);
			return -1;
		}
		r->kind = ACL_UID;
		r->id = (unsigned long)v;
		return 0;
	}
	if (conf_sandbox) {		/* tests/fuzz: no name service */
		r->kind = strcmp(what, "user") == 0 ? ACL_UID : ACL_GROUP;
		r->id = conf_sandbox_id(value);
		return 0;
	}
	errno = 0;
	if (strcmp(what, "user") == 0) {
		if ((pw = getpwnam(value)) != NULL) {
			r->kind = ACL_UID;
			r->id = (unsigned long)pw->pw_uid;
			return 0;
		}
	} else if ((gr = getgrnam(value)) != NULL) {
		r->kind = ACL_GROUP;
		r->id = (unsigned long)gr->gr_gid;
		return 0;
	}
	e = errno;
	/* getpwnam's "not found" is 0 or one of a few errnos by system. */
	if (e == 0 || e == ENOENT || e == ESRCH || e == EBADF || e == EPERM)
		snprintf(err, errlen, "no such %s \"%s\"", what, value);
	else
		snprintf(err, errlen, "cannot look up %s \"%s\": %s", what,
		    value, strerror(e));
	return -1;
}

/*
 * acl_add - parse text and append it to the list: 0, or -1 with what is
 * wrong in err (out of memory included).
 */
int
acl_add(struct acl *acl, const char *text, char *err, size_t errlen)
{
	struct acl_rule r, *rules;

	if (acl_parse(text, &r, err, errlen) == -1)
		return -1;
	if ((r.text = strdup(text)) == NULL ||
	    (rules = realloc(acl->rule, (acl->n + 1) * sizeof(*rules))) ==
	    NULL) {
		free(r.text);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	acl->rule = rules;
	acl->rule[acl->n++] = r;
	if (r.kind == ACL_UID || r.kind == ACL_GROUP)
		acl->needs |= ACL_NEEDS_CRED;
	if (r.kind == ACL_GROUP)
		acl->needs |= ACL_NEEDS_GROUPS;
	if (r.kind == ACL_NET)
		acl->needs |= ACL_NEEDS_ADDR;
	return 0;
}

/* acl_free - free the rules of a list, and empty it. */
void
acl_free(struct acl *acl)
{
	size_t i;

	for (i = 0; i < acl->n; i++)
		free(acl->rule[i].text);
	free(acl->rule);
	memset(acl, 0, sizeof(*acl));
}

/* acl_net_match - whether the first prefix bits of a and b agree. */
static int
acl_net_match(const unsigned char *a, const unsigned char *b, int prefix)
{
	int full = prefix / 8, rest = prefix % 8;

	if (memcmp(a, b, (size_t)full) != 0)
		return 0;
	return rest == 0 ||
	    ((a[full] ^ b[full]) & (unsigned char)(0xff << (8 - rest))) == 0;
}

/* acl_in_group - whether cred has gid as its primary or a supplementary. */
static int
acl_in_group(const struct acl_cred *cred, unsigned long gid)
{
	size_t i;

	if ((unsigned long)cred->gid == gid)
		return 1;
	for (i = 0; i < cred->ngroups; i++)
		if ((unsigned long)cred->groups[i] == gid)
			return 1;
	return 0;
}

/*
 * acl_match - the index of the first rule of acl that matches a client,
 * or -1 when none does (and the client is allowed).  src is the client
 * as admit_source() says with every address bit kept (an IPv4-mapped
 * client is AF_INET); cred the unix peer's credentials (cred->ok 0 when
 * not known: uid and group rules then match no one).
 */
int
acl_match(const struct acl *acl, const struct admit_source *src,
    const struct acl_cred *cred)
{
	const struct acl_rule *r;
	size_t i;

	for (i = 0; i < acl->n; i++) {
		r = &acl->rule[i];
		switch (r->kind) {
		case ACL_ALL:
			return (int)i;
		case ACL_NET:
			if (src->family == r->family &&
			    acl_net_match(src->b, r->net, r->prefix))
				return (int)i;
			break;
		case ACL_UID:
			if (src->family == AF_UNIX && cred->ok &&
			    (unsigned long)cred->uid == r->id)
				return (int)i;
			break;
		case ACL_GROUP:
			if (src->family == AF_UNIX && cred->ok &&
			    acl_in_group(cred, r->id))
				return (int)i;
			break;
		}
	}
	return -1;
}
