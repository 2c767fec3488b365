/*
 * admit.c - admission control: whether a worker serves the connection (or
 * the datagram) it has just taken.  A worker decides right after accept()
 * or recvfrom(), before the handler, a module or an exec'd program sees
 * the client; a refused client is closed (a datagram dropped) at once,
 * counted in the worker's slot and written to the access log with the
 * reason as its end (end=denied, end=limited, end=rate_limited).
 *
 * The checks run cheapest first, each only when configured: the access
 * rules (who may connect), the service's rate (max_rate), the source's
 * rate (max_rate_per_source), then the source's connections held
 * (max_per_source).  What a "source" is (an IPv4 address, an IPv6 prefix,
 * a unix peer's uid) is admit_source()'s to say, for all of them.
 *
 * A refusal is worth a log line, but a flood of them must not flood the
 * log: each worker says so at most once a second per source, and at most
 * ADMIT_LOG_PER_S lines a second in all, the next line counting what it
 * left out.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "preforkd.h"
#include "conn.h"

/* Refusal lines a worker writes in a second, over all sources. */
#define ADMIT_LOG_PER_S		20
/* The reason admit_check() gives for a refusal: the rule, as written. */
#define ADMIT_WHY_MAX		512

/* Sources whose last refusal line a worker remembers (a hash, no chains:
 * two sources in one bucket just share their once-a-second). */
#define ADMIT_LOG_BUCKETS	256

struct admit_logged {
	struct admit_source	 src;
	int64_t			 at;	/* now_ms() of its last line */
};

static struct admit_logged	 admit_logged[ADMIT_LOG_BUCKETS];
static int64_t			 admit_second;	/* the second being counted */
static int			 admit_lines;	/* lines in that second */
static uint64_t			 admit_untold;	/* refusals not logged */

/*
 * admit_source - who a client is, for per-source rules: an IPv4 address
 * (an IPv4-mapped IPv6 client is its IPv4 address), an IPv6 address cut
 * to its first prefix6 bits (a host gets a /64 from its provider, so by
 * default a /64 is one source), or a unix peer's uid (0 when unknown).
 */
void
admit_source(const struct sockaddr *sa, socklen_t len, int prefix6,
    uid_t uid, struct admit_source *src)
{
	static const unsigned char mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
	};
	const struct sockaddr_in6 *s6;
	int i, bits;

	memset(src, 0, sizeof(*src));
	if (len >= (socklen_t)sizeof(struct sockaddr_in) &&
	    sa->sa_family == AF_INET) {
		src->family = AF_INET;
		memcpy(src->b, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (len >= (socklen_t)sizeof(struct sockaddr_in6) &&
	    sa->sa_family == AF_INET6) {
		s6 = (const struct sockaddr_in6 *)sa;
		if (memcmp(s6->sin6_addr.s6_addr, mapped, 12) == 0) {
			src->family = AF_INET;
			memcpy(src->b, s6->sin6_addr.s6_addr + 12, 4);
			return;
		}
		src->family = AF_INET6;
		memcpy(src->b, s6->sin6_addr.s6_addr, 16);
		for (i = 0; i < 16; i++) {
			bits = prefix6 - 8 * i;
			if (bits >= 8)
				continue;
			src->b[i] &= bits <= 0 ? 0 :
			    (unsigned char)(0xff << (8 - bits));
		}
	} else {
		src->family = AF_UNIX;
		memcpy(src->b, &uid, sizeof(uid));
	}
}

/* admit_source_hash - FNV-1a over a source, for tables keyed by it. */
uint32_t
admit_source_hash(const struct admit_source *src)
{
	uint32_t h = 2166136261u;
	size_t i;

	h = (h ^ (uint32_t)src->family) * 16777619u;
	for (i = 0; i < sizeof(src->b); i++)
		h = (h ^ src->b[i]) * 16777619u;
	return h;
}

/*
 * admit_log_due - whether a refusal of src at now (now_ms()) gets a log
 * line; *untold is set to the refusals left out since the last line.
 */
int
admit_log_due(const struct admit_source *src, int64_t now, uint64_t *untold)
{
	struct admit_logged *e;

	e = &admit_logged[admit_source_hash(src) % ADMIT_LOG_BUCKETS];
	if (now / 1000 != admit_second) {
		admit_second = now / 1000;
		admit_lines = 0;
	}
	if ((e->at != 0 && memcmp(&e->src, src, sizeof(*src)) == 0 &&
	    now - e->at < 1000) || admit_lines >= ADMIT_LOG_PER_S) {
		admit_untold++;
		return 0;
	}
	e->src = *src;
	e->at = now;
	admit_lines++;
	*untold = admit_untold;
	admit_untold = 0;
	return 1;
}

/*
 * admit_peer_cred - fetch the unix peer's uid and gid (the effective ones
 * it had when it connected) into c, once: 0, or -1 with errno.
 */
int
admit_peer_cred(struct preforkd_conn *c)
{
#if defined(SO_PEERCRED)
	struct ucred cred;
	socklen_t len = sizeof(cred);
#endif

	if (c->peer_cred_ok)
		return 0;
#if defined(SO_PEERCRED)
	if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1)
		return -1;
	c->peer_uid = cred.uid;
	c->peer_gid = cred.gid;
#elif defined(HAVE_GETPEEREID)
	if (getpeereid(c->fd, &c->peer_uid, &c->peer_gid) == -1)
		return -1;
#else
	errno = ENOTSUP;
	return -1;
#endif
	c->peer_cred_ok = 1;
	return 0;
}

/*
 * admit_peer_groups - the unix peer's supplementary groups (as they were
 * when it connected) into cred, where the system tells them (Linux 4.13
 * and later: SO_PEERGROUPS); elsewhere none, and only the primary group
 * counts.  0, or -1 with errno.  The buffer is the worker's, grown as
 * needed and kept.
 */
static int
admit_peer_groups(int fd, struct acl_cred *cred)
{
#ifdef SO_PEERGROUPS
	static gid_t *groups;
	static size_t max;
	socklen_t len;
	gid_t *g;

	for (;;) {
		len = (socklen_t)(max * sizeof(*groups));
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) ==
		    0)
			break;
		if (errno == ENOPROTOOPT)
			return 0;	/* an older kernel: none known */
		if (errno != ERANGE || len <= max * sizeof(*groups))
			return -1;
		/* The kernel said how much room it needs. */
		if ((g = realloc(groups, len)) == NULL)
			return -1;
		groups = g;
		max = len / sizeof(*groups);
	}
	cred->groups = groups;
	cred->ngroups = len / sizeof(*groups);
#else
	(void)fd;
	(void)cred;
#endif
	return 0;
}

/*
 * admit_access - whether s's access rules let c in: CONN_CLOSED, or
 * CONN_DENIED with the rule that denied it in *why.  A unix peer whose
 * credentials a rule needs but that cannot be read is denied: a rule
 * that could not be applied must not let anyone through.
 */
static int
admit_access(const struct conf_service *s, struct preforkd_conn *c,
    const char **why)
{
	static char text[ADMIT_WHY_MAX];
	const struct acl *acl = s->access;
	struct admit_source src;
	struct acl_cred cred;
	char peer[64];
	int i;

	memset(&cred, 0, sizeof(cred));
	peer[0] = '\0';
	if (c->proto == PROTO_UNIX && (acl->needs & ACL_NEEDS_CRED)) {
		if (admit_peer_cred(c) == -1 || ((acl->needs &
		    ACL_NEEDS_GROUPS) && admit_peer_groups(c->fd, &cred) ==
		    -1)) {
			snprintf(text, sizeof(text), "denied: cannot read the "
			    "peer's credentials: getsockopt %s: %s",
			    c->peer_cred_ok ? "SO_PEERGROUPS" : "SO_PEERCRED",
			    strerror(errno));
			*why = text;
			return CONN_DENIED;
		}
		cred.ok = 1;
		cred.uid = c->peer_uid;
		cred.gid = c->peer_gid;
		snprintf(peer, sizeof(peer), " (peer uid %lu gid %lu)",
		    (unsigned long)c->peer_uid, (unsigned long)c->peer_gid);
	}
	admit_source((const struct sockaddr *)&c->remote, c->remotelen, 128,
	    c->peer_cred_ok ? c->peer_uid : 0, &src);
	if (c->proto == PROTO_UNIX)
		src.family = AF_UNIX;	/* whatever address it bound */
	if ((i = acl_match(acl, &src, &cred)) == -1 ||
	    acl->rule[i].action == ACL_ALLOW)
		return CONN_CLOSED;
	snprintf(text, sizeof(text), "denied by %saccess rule %d \"%s\"%s",
	    acl == &s->access_own ? "" : "the global ", i + 1,
	    acl->rule[i].text, peer);
	*why = text;
	return CONN_DENIED;
}

/*
 * admit_check - whether the worker serves c, which it has just accepted
 * or received on a listener of service s: CONN_CLOSED (the connection
 * goes on to the handler), or the end a refusal is logged with, with the
 * reason for the log in *why.  With no rule and no limit set, it costs a
 * few loads and no system call.
 */
PF_HOT int
admit_check(const struct conf_service *s, struct preforkd_conn *c,
    const char **why)
{
	int end;

	*why = NULL;
	if (s->access != NULL &&
	    (end = admit_access(s, c, why)) != CONN_CLOSED)
		return end;
	return CONN_CLOSED;
}

/* admit_counter - the slot counter (enum slot_counter) of a refusal's end. */
int
admit_counter(int end)
{
	switch (end) {
	case CONN_DENIED:
		return CTR_DENIED;
	case CONN_LIMITED:
		return CTR_LIMITED;
	case CONN_RATE_LIMITED:
		return CTR_RATE_LIMITED;
	default:
		return CTR_SHED;
	}
}
