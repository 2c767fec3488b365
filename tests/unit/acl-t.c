/*
 * acl-t.c - unit tests of the access rules in src/acl.c: a rule's text
 * parsed (IPv4 and IPv6 networks, the edge prefixes /0 /32 /128 and the
 * ones inside a byte, an IPv4-mapped network, all, uid, user, group) and
 * every bad input refused with its exact message; a client matched
 * against a list: first match wins, default allow when none matches, an
 * IPv4-mapped IPv6 client as its IPv4 address, unix peers by uid and by
 * primary or supplementary group, and never across kinds.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "preforkd.h"
#include "conn.h"
#include "../tap/basic.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* A rule that parses, and what it must parse into. */
struct good {
	const char	*text;
	int		 action;
	int		 kind;
	int		 family;	/* ACL_NET */
	const char	*net;		/* ACL_NET: the network, as text */
	int		 prefix;
	unsigned long	 id;		/* ACL_UID, ACL_GROUP */
};

static const struct good goods[] = {
	{ "allow 10.0.0.0/8", ACL_ALLOW, ACL_NET, AF_INET, "10.0.0.0", 8, 0 },
	{ "deny 192.168.1.7", ACL_DENY, ACL_NET, AF_INET, "192.168.1.7", 32,
	    0 },
	{ "allow 192.168.1.7/32", ACL_ALLOW, ACL_NET, AF_INET, "192.168.1.7",
	    32, 0 },
	{ "allow 0.0.0.0/0", ACL_ALLOW, ACL_NET, AF_INET, "0.0.0.0", 0, 0 },
	{ "allow 10.0.0.128/25", ACL_ALLOW, ACL_NET, AF_INET, "10.0.0.128",
	    25, 0 },
	{ "allow 10.0.0.0/08", ACL_ALLOW, ACL_NET, AF_INET, "10.0.0.0", 8, 0 },
	{ "allow ::1", ACL_ALLOW, ACL_NET, AF_INET6, "::1", 128, 0 },
	{ "allow ::1/128", ACL_ALLOW, ACL_NET, AF_INET6, "::1", 128, 0 },
	{ "deny ::/0", ACL_DENY, ACL_NET, AF_INET6, "::", 0, 0 },
	{ "allow 2001:db8::/32", ACL_ALLOW, ACL_NET, AF_INET6, "2001:db8::",
	    32, 0 },
	{ "allow 2001:db8:0:8000::/49", ACL_ALLOW, ACL_NET, AF_INET6,
	    "2001:db8:0:8000::", 49, 0 },
	/* IPv4-mapped: the IPv4 network it means. */
	{ "allow ::ffff:10.0.0.0/104", ACL_ALLOW, ACL_NET, AF_INET,
	    "10.0.0.0", 8, 0 },
	{ "allow ::ffff:127.0.0.1", ACL_ALLOW, ACL_NET, AF_INET,
	    "127.0.0.1", 32, 0 },
	{ "allow ::ffff:0.0.0.0/96", ACL_ALLOW, ACL_NET, AF_INET, "0.0.0.0",
	    0, 0 },
	/* Under /96 it is an IPv6 network like any other. */
	{ "allow ::fffe:0:0/95", ACL_ALLOW, ACL_NET, AF_INET6, "::fffe:0:0",
	    95, 0 },
	{ "deny all", ACL_DENY, ACL_ALL, 0, NULL, 0, 0 },
	{ "  allow\tall  ", ACL_ALLOW, ACL_ALL, 0, NULL, 0, 0 },
	{ "allow uid 1000", ACL_ALLOW, ACL_UID, 0, NULL, 0, 1000 },
	{ "deny uid 0", ACL_DENY, ACL_UID, 0, NULL, 0, 0 },
	{ "allow uid 4294967294", ACL_ALLOW, ACL_UID, 0, NULL, 0,
	    4294967294UL },
	{ "allow user root", ACL_ALLOW, ACL_UID, 0, NULL, 0, 0 },
	{ "deny group root", ACL_DENY, ACL_GROUP, 0, NULL, 0, 0 },
};

/* A rule that does not parse, and its message. */
struct bad {
	const char	*text;
	const char	*err;
};

static const struct bad bads[] = {
	{ "", "empty rule: write \"allow\" or \"deny\", then an address, a "
	    "network, \"all\", \"uid N\", \"user NAME\" or \"group NAME\"" },
	{ " \t ", "empty rule: write \"allow\" or \"deny\", then an address, "
	    "a network, \"all\", \"uid N\", \"user NAME\" or \"group NAME\"" },
	{ "permit 10.0.0.0/8", "\"permit 10.0.0.0/8\": a rule starts with "
	    "\"allow\" or \"deny\" (got \"permit\")" },
	{ "Allow all", "\"Allow all\": a rule starts with \"allow\" or "
	    "\"deny\" (got \"Allow\")" },
	{ "allow", "\"allow\": allow whom? Add an address, a network, "
	    "\"all\", \"uid N\", \"user NAME\" or \"group NAME\"" },
	{ "deny all now", "\"deny all now\": unexpected \"now\" after "
	    "\"all\"" },
	{ "allow 10.0.0.0/8 10.1.0.0/16", "\"allow 10.0.0.0/8 10.1.0.0/16\": "
	    "unexpected \"10.1.0.0/16\" after \"10.0.0.0/8\"" },
	/* Bits past the prefix. */
	{ "allow 10.0.0.1/8", "\"allow 10.0.0.1/8\": 10.0.0.1/8 has bits set "
	    "past its /8 prefix: write the network, 10.0.0.0/8" },
	{ "allow 10.0.0.129/25", "\"allow 10.0.0.129/25\": 10.0.0.129/25 has "
	    "bits set past its /25 prefix: write the network, 10.0.0.128/25" },
	{ "allow 1.2.3.4/0", "\"allow 1.2.3.4/0\": 1.2.3.4/0 has bits set "
	    "past its /0 prefix: write the network, 0.0.0.0/0" },
	{ "allow 2001:db8::1/32", "\"allow 2001:db8::1/32\": 2001:db8::1/32 "
	    "has bits set past its /32 prefix: write the network, "
	    "2001:db8::/32" },
	{ "allow ::1/127", "\"allow ::1/127\": ::1/127 has bits set past its "
	    "/127 prefix: write the network, ::/127" },
	/* Prefixes. */
	{ "allow 10.0.0.0/33", "\"allow 10.0.0.0/33\": prefix /33 is too long "
	    "for IPv4 (0 to 32)" },
	{ "allow ::/129", "\"allow ::/129\": prefix /129 is too long for IPv6 "
	    "(0 to 128)" },
	{ "allow 10.0.0.0/0032", "\"allow 10.0.0.0/0032\": prefix /0032 is "
	    "too long for IPv4 (0 to 32)" },
	{ "allow 10.0.0.0/", "\"allow 10.0.0.0/\": prefix \"/\" is not a "
	    "number from 0 to 32" },
	{ "allow 10.0.0.0/x", "\"allow 10.0.0.0/x\": prefix \"/x\" is not a "
	    "number from 0 to 32" },
	{ "allow 10.0.0.0/-1", "\"allow 10.0.0.0/-1\": prefix \"/-1\" is not "
	    "a number from 0 to 32" },
	{ "allow 10.0.0.0/+8", "\"allow 10.0.0.0/+8\": prefix \"/+8\" is not "
	    "a number from 0 to 32" },
	{ "allow ::/8/8", "\"allow ::/8/8\": prefix \"/8/8\" is not a number "
	    "from 0 to 128" },
	/* Addresses. */
	{ "allow 10.0.0.256", "\"allow 10.0.0.256\": \"10.0.0.256\" is not an "
	    "IPv4 or IPv6 address (names are not resolved)" },
	{ "allow 10/8", "\"allow 10/8\": \"10\" is not an IPv4 or IPv6 "
	    "address (names are not resolved)" },
	{ "allow localhost", "\"allow localhost\": \"localhost\" is not an "
	    "IPv4 or IPv6 address (names are not resolved)" },
	{ "allow [::1]", "\"allow [::1]\": \"[::1]\" is not an IPv4 or IPv6 "
	    "address (write IPv6 without brackets)" },
	{ "allow fe80::1%eth0", "\"allow fe80::1%eth0\": \"fe80::1%eth0\" is "
	    "not an IPv4 or IPv6 address (zone indexes are not supported)" },
	{ "allow /8", "\"allow /8\": \"\" is not an IPv4 or IPv6 address "
	    "(names are not resolved)" },
	/* Users and groups. */
	{ "allow uid", "\"allow uid\": \"uid\" needs a number after it" },
	{ "allow user", "\"allow user\": \"user\" needs a name after it" },
	{ "deny group", "\"deny group\": \"group\" needs a name after it" },
	{ "allow uid -1", "\"allow uid -1\": uid must be a number from 0 to "
	    "4294967294 (got \"-1\")" },
	{ "allow uid 4294967295", "\"allow uid 4294967295\": uid must be a "
	    "number from 0 to 4294967294 (got \"4294967295\")" },
	{ "allow uid 99999999999999999999", "\"allow uid "
	    "99999999999999999999\": uid must be a number from 0 to 4294967294 "
	    "(got \"99999999999999999999\")" },
	{ "allow uid 12x", "\"allow uid 12x\": uid must be a number from 0 to "
	    "4294967294 (got \"12x\")" },
	{ "allow uid root", "\"allow uid root\": uid must be a number from 0 "
	    "to 4294967294 (got \"root\")" },
	{ "allow uid 1 2", "\"allow uid 1 2\": unexpected \"2\" after \"uid "
	    "1\"" },
	{ "allow user no-such-user-acl-t", "\"allow user "
	    "no-such-user-acl-t\": no such user \"no-such-user-acl-t\"" },
	{ "allow group no-such-group-acl-t", "\"allow group "
	    "no-such-group-acl-t\": no such group \"no-such-group-acl-t\"" },
};

static void
test_good(void)
{
	char err[ACL_ERR_MAX], net[INET6_ADDRSTRLEN];
	const struct good *g;
	struct acl_rule r;
	size_t i;

	for (i = 0; i < NELEM(goods); i++) {
		g = &goods[i];
		err[0] = '\0';
		if (!ok(acl_parse(g->text, &r, err, sizeof(err)) == 0,
		    "\"%s\" parses", g->text)) {
			diag("%s", err);
			continue;
		}
		ok(r.action == g->action && r.kind == g->kind,
		    "\"%s\": action %d kind %d", g->text, g->action, g->kind);
		if (g->kind == ACL_NET) {
			inet_ntop(r.family, r.net, net, sizeof(net));
			ok(r.family == g->family && r.prefix == g->prefix &&
			    strcmp(net, g->net) == 0, "\"%s\": %s/%d (got "
			    "%s/%d)", g->text, g->net, g->prefix, net,
			    r.prefix);
		} else
			ok(r.id == g->id, "\"%s\": id %lu (got %lu)", g->text,
			    g->id, r.id);
	}
}

static void
test_bad(void)
{
	char err[ACL_ERR_MAX], big[400], *want;
	struct acl_rule r;
	size_t i;

	for (i = 0; i < NELEM(bads); i++) {
		err[0] = '\0';
		ok(acl_parse(bads[i].text, &r, err, sizeof(err)) == -1,
		    "\"%s\" is refused", bads[i].text);
		is_string(bads[i].err, err, "\"%s\": its message",
		    bads[i].text);
	}

	/* A word too long to be anything. */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "allow ", 6);
	ok(acl_parse(big, &r, err, sizeof(err)) == -1,
	    "a 400-byte word is refused");
	want = tap_strdup_printf("\"%.60s...\": a word is too long (at most "
	    "127 bytes)", big);
	is_string(want, err, "its message");
	free(want);
}

/* list - a list of the rules texts (NULL-ended); bails on a bad one. */
static struct acl
list(const char *const *texts)
{
	struct acl acl;
	char err[ACL_ERR_MAX];

	memset(&acl, 0, sizeof(acl));
	for (; *texts != NULL; texts++)
		if (acl_add(&acl, *texts, err, sizeof(err)) == -1)
			bail("acl_add %s: %s", *texts, err);
	return acl;
}

/* ip - an IP client as admit_source() sees it, all bits kept. */
static struct admit_source
ip(const char *host)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	struct admit_source src;
	socklen_t len;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		len = sizeof(*sin6);
	} else
		bail("bad test address %s", host);
	admit_source((struct sockaddr *)&ss, len, 128, 0, &src);
	return src;
}

/* unixpeer - a unix-domain client as admit_source() sees it. */
static struct admit_source
unixpeer(uid_t uid)
{
	struct sockaddr_un sun;
	struct admit_source src;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	admit_source((struct sockaddr *)&sun, sizeof(sa_family_t), 128, uid,
	    &src);
	return src;
}

/* A client, and the rule it must match (-1: none). */
struct hit {
	const char	*host;
	int		 rule;
};

static void
test_hits(const char *what, const char *const *texts, const struct hit *hits,
    size_t n)
{
	static const struct acl_cred none;
	struct admit_source src;
	struct acl acl = list(texts);
	size_t i;
	int got;

	for (i = 0; i < n; i++) {
		src = ip(hits[i].host);
		got = acl_match(&acl, &src, &none);
		is_int(hits[i].rule, got, "%s: %s matches rule %d", what,
		    hits[i].host, hits[i].rule);
	}
	acl_free(&acl);
}

static void
test_match_ip(void)
{
	static const char *const order[] = {
		"deny 10.1.0.0/16", "allow 10.0.0.0/8", "allow ::1",
		"deny all", NULL
	};
	static const struct hit order_hits[] = {
		{ "10.1.2.3", 0 }, { "10.1.255.255", 0 }, { "10.2.3.4", 1 },
		{ "10.0.0.0", 1 }, { "11.0.0.1", 3 }, { "9.255.255.255", 3 },
		{ "::1", 2 }, { "::2", 3 }, { "2001:db8::1", 3 },
		/* A mapped client is its IPv4 address. */
		{ "::ffff:10.1.0.1", 0 }, { "::ffff:10.9.0.1", 1 },
		{ "::ffff:11.0.0.1", 3 },
	};
	static const char *const open_end[] = {
		"deny 192.0.2.0/24", "deny 2001:db8::/32", NULL
	};
	static const struct hit open_hits[] = {
		{ "192.0.2.1", 0 }, { "192.0.3.1", -1 }, { "2001:db8:1::1", 1 },
		{ "2001:db9::1", -1 }, { "127.0.0.1", -1 }, { "::1", -1 },
	};
	static const char *const edges[] = {
		"allow 10.0.0.128/25", "allow 10.0.1.0/31",
		"allow 192.168.0.1/32", "allow 2001:db8::1/128",
		"allow 2001:db8:0:8000::/49", "deny 0.0.0.0/0", NULL
	};
	static const struct hit edge_hits[] = {
		{ "10.0.0.128", 0 }, { "10.0.0.255", 0 }, { "10.0.0.127", 5 },
		{ "10.0.1.0", 1 }, { "10.0.1.1", 1 }, { "10.0.1.2", 5 },
		{ "192.168.0.1", 2 }, { "192.168.0.0", 5 },
		{ "192.168.0.2", 5 }, { "2001:db8::1", 3 },
		{ "2001:db8::", -1 }, { "2001:db8::2", -1 },
		{ "2001:db8:0:8000::1", 4 }, { "2001:db8:0:ffff:1::", 4 },
		{ "2001:db8:0:7fff::1", -1 },
		/* /0 of IPv4 takes every IPv4 client, and no IPv6 one. */
		{ "255.255.255.255", 5 }, { "0.0.0.0", 5 },
		{ "::ffff:1.2.3.4", 5 }, { "::", -1 },
	};
	static const char *const v6all[] = {
		"allow ::/0", "deny ::ffff:0.0.0.0/96", NULL
	};
	static const struct hit v6all_hits[] = {
		{ "::1", 0 }, { "ffff::1", 0 },
		/* Not IPv6 for the rules: the mapped network is IPv4. */
		{ "::ffff:127.0.0.1", 1 }, { "127.0.0.1", 1 },
	};
	static const char *const empty[] = { NULL };
	static const struct hit empty_hits[] = {
		{ "127.0.0.1", -1 }, { "::1", -1 },
	};

	test_hits("first match", order, order_hits, NELEM(order_hits));
	test_hits("default allow", open_end, open_hits, NELEM(open_hits));
	test_hits("edges", edges, edge_hits, NELEM(edge_hits));
	test_hits("::/0", v6all, v6all_hits, NELEM(v6all_hits));
	test_hits("empty list", empty, empty_hits, NELEM(empty_hits));
}

static void
test_match_unix(void)
{
	static const char *const texts[] = {
		"allow 127.0.0.1", "deny uid 1001", "allow uid 1000",
		"allow group root", "allow user root", "deny all", NULL
	};
	static const gid_t supp[] = { 4, 24, 0 };
	static const struct {
		int		 ok;
		uid_t		 uid;
		gid_t		 gid;
		size_t		 ngroups;	/* of supp */
		int		 rule;
		const char	*what;
	} peers[] = {
		{ 1, 1000, 1000, 0, 2, "uid 1000: allow uid 1000" },
		{ 1, 1001, 1000, 0, 1, "uid 1001: deny uid 1001, first" },
		{ 1, 1002, 1000, 0, 5, "uid 1002, gid 1000: deny all" },
		{ 1, 1002, 0, 0, 3, "primary gid 0: allow group root" },
		{ 1, 1002, 1000, 2, 5, "supplementary 4, 24: deny all" },
		{ 1, 1002, 1000, 3, 3, "supplementary 0: allow group root" },
		{ 1, 0, 1000, 0, 4, "uid 0: allow user root" },
		/* Unknown credentials match no uid or group rule. */
		{ 0, 0, 0, 3, 5, "credentials unknown: deny all" },
	};
	struct acl acl = list(texts);
	size_t i;
	struct acl_cred cred;
	struct admit_source src;

	ok((acl.needs & (ACL_NEEDS_ADDR | ACL_NEEDS_CRED | ACL_NEEDS_GROUPS)) ==
	    (ACL_NEEDS_ADDR | ACL_NEEDS_CRED | ACL_NEEDS_GROUPS),
	    "needs: addresses, credentials and groups");

	for (i = 0; i < NELEM(peers); i++) {
		memset(&cred, 0, sizeof(cred));
		cred.ok = peers[i].ok;
		cred.uid = peers[i].uid;
		cred.gid = peers[i].gid;
		cred.groups = supp;
		cred.ngroups = peers[i].ngroups;
		src = unixpeer(peers[i].uid);
		is_int(peers[i].rule, acl_match(&acl, &src, &cred),
		    "%s: rule %d", peers[i].what, peers[i].rule);
	}

	/* Never across kinds. */
	memset(&cred, 0, sizeof(cred));
	cred.ok = 1;
	src = ip("127.0.0.1");
	is_int(0, acl_match(&acl, &src, &cred), "127.0.0.1: its address "
	    "rule");
	src = ip("127.0.0.2");
	cred.uid = 1000;
	is_int(5, acl_match(&acl, &src, &cred), "an IP client matches no uid "
	    "rule, whatever the credentials say");
	acl_free(&acl);

	{
		static const char *const addr_only[] = {
			"allow 0.0.0.0/0", "allow ::/0", NULL
		};
		static const struct acl_cred known = { 1, 0, 0, NULL, 0 };

		acl = list(addr_only);
		src = unixpeer(0);
		is_int(-1, acl_match(&acl, &src, &known), "a unix peer "
		    "matches no address rule");
		ok(acl.needs == ACL_NEEDS_ADDR, "needs: addresses only");
		acl_free(&acl);
	}
}

int
main(void)
{
	plan_lazy();
	test_good();
	test_bad();
	test_match_ip();
	test_match_unix();
	return 0;
}
