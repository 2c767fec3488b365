/*
 * acl-fuzz.c - libFuzzer target: access rules (acl.c: "allow
 * 10.0.0.0/8", "deny ::1", "allow uid 1000", "deny all") and the match
 * of a client against them.
 *
 * The input is rules, one a line, up to a NUL byte; the bytes after it,
 * when there are some, are the client: a family selector, 16 address
 * bytes, a uid and a gid (missing bytes are zero).  Without them, three
 * fixed clients (10.1.2.3, ::1, uid 1000) are matched.  Besides no crash,
 * leak or undefined behaviour: a refused rule says why; a network has no
 * bit set past its prefix and reads back as the same rule; the rule that
 * matches is the first that a plain reference comparison matches.  User
 * and group names are not looked up (conf_sandbox).
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include "preforkd.h"
#include "conn.h"
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	conf_sandbox = 1;
	return 0;
}

/* The bit i of an address, most significant first. */
static int
fuzz_bit(const unsigned char *b, int i)
{
	return (b[i / 8] >> (7 - i % 8)) & 1;
}

/* Whether rule r matches the client src (cred), the slow plain way. */
static int
fuzz_matches(const struct acl_rule *r, const struct admit_source *src,
    const struct acl_cred *cred)
{
	size_t i;
	int k;

	switch (r->kind) {
	case ACL_ALL:
		return 1;
	case ACL_NET:
		if (src->family != r->family)
			return 0;
		for (k = 0; k < r->prefix; k++)
			if (fuzz_bit(src->b, k) != fuzz_bit(r->net, k))
				return 0;
		return 1;
	case ACL_UID:
		return src->family == AF_UNIX && cred->ok &&
		    (unsigned long)cred->uid == r->id;
	case ACL_GROUP:
		if (src->family != AF_UNIX || !cred->ok)
			return 0;
		if ((unsigned long)cred->gid == r->id)
			return 1;
		for (i = 0; i < cred->ngroups; i++)
			if ((unsigned long)cred->groups[i] == r->id)
				return 1;
		return 0;
	}
	FUZZ_CHECK(!"a rule of a known kind");
	return 0;
}

/* A rule just parsed: well formed, and its network reads back the same. */
static void
fuzz_rule(const struct acl_rule *r)
{
	char host[INET6_ADDRSTRLEN], text[INET6_ADDRSTRLEN + 16];
	char err[ACL_ERR_MAX];
	struct acl_rule back;
	int max, k;

	FUZZ_CHECK(r->action == ACL_ALLOW || r->action == ACL_DENY);
	if (r->kind != ACL_NET)
		return;
	FUZZ_CHECK(r->family == AF_INET || r->family == AF_INET6);
	max = r->family == AF_INET ? 32 : 128;
	FUZZ_CHECK(r->prefix >= 0 && r->prefix <= max);
	for (k = r->prefix; k < 128; k++)
		FUZZ_CHECK(fuzz_bit(r->net, k) == 0);
	FUZZ_CHECK(inet_ntop(r->family, r->net, host, sizeof(host)) != NULL);
	snprintf(text, sizeof(text), "%s %s/%d", r->action == ACL_ALLOW ?
	    "allow" : "deny", host, r->prefix);
	if (acl_parse(text, &back, err, sizeof(err)) == -1) {
		fprintf(stderr, "\"%s\": %s\n", text, err);
		FUZZ_CHECK(!"a network rule reads back");
	}
	FUZZ_CHECK(back.action == r->action && back.kind == ACL_NET &&
	    back.family == r->family && back.prefix == r->prefix &&
	    memcmp(back.net, r->net, sizeof(r->net)) == 0);
}

/* One client against the list: the first rule that matches, or none. */
static void
fuzz_match(const struct acl *acl, const struct sockaddr *sa, socklen_t len,
    uid_t uid, const struct acl_cred *cred)
{
	struct admit_source src;
	size_t i;
	int m;

	admit_source(sa, len, 128, uid, &src);
	m = acl_match(acl, &src, cred);
	FUZZ_CHECK(m >= -1 && (m == -1 || (size_t)m < acl->n));
	for (i = 0; i < acl->n && (m == -1 || i < (size_t)m); i++)
		FUZZ_CHECK(!fuzz_matches(&acl->rule[i], &src, cred));
	if (m != -1)
		FUZZ_CHECK(fuzz_matches(&acl->rule[m], &src, cred));
}

/* The client of the bytes after the rules. */
static void
fuzz_client(const struct acl *acl, const uint8_t *data, size_t n)
{
	uint8_t b[1 + 16 + 4 + 4];
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	struct acl_cred cred;
	gid_t groups[2];
	uint32_t uid, gid;
	socklen_t len;

	memset(b, 0, sizeof(b));
	memcpy(b, data, n < sizeof(b) ? n : sizeof(b));
	memcpy(&uid, b + 17, 4);
	memcpy(&gid, b + 21, 4);
	memset(&ss, 0, sizeof(ss));
	memset(&cred, 0, sizeof(cred));
	switch (b[0] % 3) {
	case 0:
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, b + 1, 4);
		len = sizeof(*sin);
		break;
	case 1:
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, b + 1, 16);
		len = sizeof(*sin6);
		break;
	default:
		ss.ss_family = AF_UNIX;
		len = sizeof(sa_family_t);
		cred.ok = b[0] % 2;
		cred.uid = (uid_t)uid;
		cred.gid = (gid_t)gid;
		groups[0] = (gid_t)uid;
		groups[1] = (gid_t)b[1];
		cred.groups = groups;
		cred.ngroups = b[2] % 3;
		break;
	}
	fuzz_match(acl, (struct sockaddr *)&ss, len, (uid_t)uid, &cred);
}

/* The three fixed clients. */
static void
fuzz_fixed(const struct acl *acl)
{
	static const gid_t groups[] = { 4, 27 };
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct sockaddr un = { .sa_family = AF_UNIX };
	struct acl_cred cred = { 1, 1000, 1000, groups, 2 };

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(0x0a010203);
	fuzz_match(acl, (struct sockaddr *)&sin, sizeof(sin), 0, &cred);
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr = in6addr_loopback;
	fuzz_match(acl, (struct sockaddr *)&sin6, sizeof(sin6), 0, &cred);
	fuzz_match(acl, &un, sizeof(sa_family_t), 1000, &cred);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[4096], err[ACL_ERR_MAX], *line, *next;
	struct acl acl;
	size_t used;

	used = fuzz_text(data, size, text, sizeof(text));
	memset(&acl, 0, sizeof(acl));
	for (line = text; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		memset(err, 0, sizeof(err));
		if (acl_add(&acl, line, err, sizeof(err)) == -1) {
			FUZZ_CHECK(err[0] != '\0');
			continue;
		}
		fuzz_rule(&acl.rule[acl.n - 1]);
		FUZZ_CHECK(strcmp(acl.rule[acl.n - 1].text, line) == 0);
	}
	if (used < size)
		fuzz_client(&acl, data + used, size - used);
	else
		fuzz_fixed(&acl);
	acl_free(&acl);
	return 0;
}
