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
#include <arpa/inet.h>

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

/*
 * admit_source_format - a source as people read it: "127.0.0.5",
 * "2001:db8:1:2::/64" (the prefix length when it is not 128), "uid 1000".
 */
char *
admit_source_format(const struct admit_source *src, int prefix6, char *buf,
    size_t len)
{
	char host[INET6_ADDRSTRLEN];
	uid_t uid;

	if (src->family == AF_INET || src->family == AF_INET6) {
		if (inet_ntop(src->family, src->b, host, sizeof(host)) == NULL)
			snprintf(host, sizeof(host), "?");
		if (src->family == AF_INET6 && prefix6 < 128)
			snprintf(buf, len, "%s/%d", host, prefix6);
		else
			snprintf(buf, len, "%s", host);
	} else {
		memcpy(&uid, src->b, sizeof(uid));
		snprintf(buf, len, "uid %lu", (unsigned long)uid);
	}
	return buf;
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
 * admit_match - the first rule of acl that matches c's peer (acl_match),
 * -1 when none does, -2 when a rule needs the unix peer's credentials
 * and they cannot be read (errno set; c->peer_cred_ok says which call
 * failed).  peer gets " (peer uid N gid M)" for a unix peer whose
 * credentials were read, else "".  c->remote is whoever c is at the
 * time: the PROXY balancer for proxy_from (worker.c), the client after.
 */
int
admit_match(const struct acl *acl, struct preforkd_conn *c, char *peer,
    size_t peerlen)
{
	struct admit_source src;
	struct acl_cred cred;

	memset(&cred, 0, sizeof(cred));
	peer[0] = '\0';
	/* A unix peer is matched by its credentials, unless it is a
	 * balancer that named a client (c->via): that one is the client. */
	if (c->proto == PROTO_UNIX && c->vialen == 0 &&
	    (acl->needs & ACL_NEEDS_CRED)) {
		if (admit_peer_cred(c) == -1 || ((acl->needs &
		    ACL_NEEDS_GROUPS) && admit_peer_groups(c->fd, &cred) ==
		    -1))
			return -2;
		cred.ok = 1;
		cred.uid = c->peer_uid;
		cred.gid = c->peer_gid;
		snprintf(peer, peerlen, " (peer uid %lu gid %lu)",
		    (unsigned long)c->peer_uid, (unsigned long)c->peer_gid);
	}
	admit_source((const struct sockaddr *)&c->remote, c->remotelen, 128,
	    c->peer_cred_ok ? c->peer_uid : 0, &src);
	if (c->proto == PROTO_UNIX && c->vialen == 0)
		src.family = AF_UNIX;	/* whatever address it bound */
	return acl_match(acl, &src, &cred);
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
	char peer[64];
	int i;

	i = admit_match(acl, c, peer, sizeof(peer));
	if (i == -2) {
		snprintf(text, sizeof(text), "denied: cannot read the "
		    "peer's credentials: getsockopt %s: %s",
		    c->peer_cred_ok ? "SO_PEERGROUPS" : "SO_PEERCRED",
		    strerror(errno));
		*why = text;
		return CONN_DENIED;
	}
	if (i == -1 || acl->rule[i].action == ACL_ALLOW)
		return CONN_CLOSED;
	snprintf(text, sizeof(text), "denied by %saccess rule %d \"%s\"%s",
	    acl == &s->access_own ? "" : "the global ", i + 1,
	    acl->rule[i].text, peer);
	*why = text;
	return CONN_DENIED;
}

/* ------------------------------------------------------------ limits */

/*
 * The limits: max_rate (one bucket for the service), max_rate_per_source
 * and max_reply_bytes_per_source (a bucket per source, both in the
 * service's source table: srctab.c), and max_per_source (connections a
 * source holds at once, counted in the scoreboard).
 *
 * How max_per_source is never exceeded, though two workers may accept
 * connections of one source at the same moment: publish, then count.  A
 * worker first writes the source into its own slot (src_service, src_w,
 * then src_family), then a full memory barrier, and only then counts the
 * slots of its service that hold that source, its own included.  Over
 * the limit, it takes its entry back and refuses.  Of any two workers
 * racing, the barriers order one's publication before the other's count
 * (the store-buffering case: both cannot miss each other), so of N + 1
 * connections held at once, the last to publish would have seen all
 * N + 1 and refused.  Two racing workers may both refuse when only one
 * of them had to (under-admission, at the limit, for a moment); they
 * can never both admit past it.  An entry lives until its connection
 * ends (admit_done); the master clears the entry of a worker that died
 * (scoreboard_unsource).  These fields are for the workers' counting
 * only: the master never reads them.
 */

/* The limits a refusal names (admit_why). */
enum admit_why {
	WHY_RATE, WHY_RATE_SRC, WHY_PER_SOURCE, WHY_BYTES, WHY_COUNT
};

/*
 * What the limits need, set once when the worker starts, with the data of
 * the connection path (PF_HOT_DATA); the words of its refusals apart, in
 * lim_why, made when first needed.
 */
static struct {
	const struct conf_service	*svc;
	const struct srctab		*tab;
	struct slot			*slots;		/* the whole scoreboard */
	const volatile uint64_t		*inuse;
	size_t				 capacity;
	struct slot			*mine;
	uint64_t			 service;	/* admit_service_key() */
	/* The datagram whose replies the UDP limits count (answers, in the
	 * UDP built-ins' default, and bytes), and why the last was refused. */
	const struct preforkd_conn	*armed;
	struct admit_source		 armed_src;
	const char			*reply_why;
	int64_t				 table_logged;
	unsigned char			 why_made[WHY_COUNT];
} lim PF_HOT_DATA;
static char			 lim_why[WHY_COUNT][RATE_TEXT_MAX + 64];

/*
 * admit_why - the words for a refusal by limit k, made the first time
 * that limit refuses: not when the worker starts, since most never
 * refuse, and printf's pages are a dozen copy-on-write and code faults
 * for each of thousands of workers started.
 */
static const char *
admit_why(enum admit_why k)
{
	const struct conf_service *s = lim.svc;
	char *w = lim_why[k], r[RATE_TEXT_MAX];
	size_t len = sizeof(lim_why[k]);

	if (lim.why_made[k])
		return w;
	lim.why_made[k] = 1;
	switch (k) {
	case WHY_RATE:
		snprintf(w, len, "over max_rate (%s) of the service",
		    rate_format(&s->max_rate, r, sizeof(r)));
		break;
	case WHY_RATE_SRC:
		snprintf(w, len, "over max_rate_per_source (%s)",
		    rate_format(&s->max_rate_per_source, r, sizeof(r)));
		break;
	case WHY_PER_SOURCE:
		snprintf(w, len, "over max_per_source (%d at once)",
		    s->max_per_source);
		break;
	default:
		snprintf(w, len, "reply over max_reply_bytes_per_source (%s)",
		    rate_format(&s->max_reply_bytes_per_source, r, sizeof(r)));
		break;
	}
	return w;
}

/*
 * admit_service_key - a service's name as a number for the slots, the
 * same in every generation (a reload keeps counting the connections the
 * old workers still hold): FNV-1a, 64 bits.
 */
PF_START uint64_t
admit_service_key(const char *name)
{
	uint64_t h = UINT64_C(14695981039346656037);

	for (; *name != '\0'; name++)
		h = (h ^ (unsigned char)*name) * UINT64_C(1099511628211);
	return h != 0 ? h : 1;
}

/*
 * admit_limits_init - in a new worker of service s (key: its
 * admit_service_key()): its table of buckets (may have no shared part),
 * the scoreboard to count its peers in, and its own slot.
 */
PF_START void
admit_limits_init(const struct conf_service *s, uint64_t key,
    const struct srctab *tab, const struct scoreboard *sb, struct slot *mine)
{
	memset(&lim, 0, sizeof(lim));
	lim.svc = s;
	lim.tab = tab;
	lim.slots = sb->slots;
	lim.inuse = sb->inuse;
	lim.capacity = sb->capacity;
	lim.mine = mine;
	lim.service = key;
}

/* admit_words - a source's 16 bytes as the slot keeps them. */
static void
admit_words(const struct admit_source *src, uint32_t w[4])
{
	memcpy(w, src->b, 16);
}

/*
 * admit_count - how many of slots [0, n) hold a connection of service
 * from src, as their workers published it (admit_hold).
 */
size_t
admit_count(const struct slot *slots, size_t n, uint64_t service,
    const struct admit_source *src)
{
	const struct slot *sl;
	uint32_t w[4];
	size_t i, held = 0;

	admit_words(src, w);
	for (i = 0; i < n; i++) {
		sl = &slots[i];
		if (__atomic_load_n(&sl->src_family, __ATOMIC_ACQUIRE) !=
		    src->family || sl->src_service != service)
			continue;
		if (sl->src_w[0] == w[0] && sl->src_w[1] == w[1] &&
		    sl->src_w[2] == w[2] && sl->src_w[3] == w[3])
			held++;
	}
	return held;
}

/*
 * admit_hold - publish src as the source mine (one of slots [0, n)) now
 * serves for service, then count: 1 when at most max slots hold it, its
 * own included (it stays published until admit_done), else 0 and mine
 * unpublished.  See "publish, then count" above.
 */
int
admit_hold(struct slot *slots, size_t n, struct slot *mine, uint64_t service,
    const struct admit_source *src, int max)
{
	uint32_t w[4];
	int i;

	admit_words(src, w);
	mine->src_service = service;
	for (i = 0; i < 4; i++)
		mine->src_w[i] = w[i];
	__atomic_store_n(&mine->src_family, src->family, __ATOMIC_RELEASE);
	/* Our entry is seen before we look at anyone else's. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (admit_count(slots, n, service, src) <= (size_t)max)
		return 1;
	__atomic_store_n(&mine->src_family, 0, __ATOMIC_RELEASE);
	return 0;
}

/* admit_done - the connection is over: no longer held, no replies counted. */
void
admit_done(void)
{
	if (lim.mine != NULL && lim.mine->src_family != 0)
		__atomic_store_n(&lim.mine->src_family, 0, __ATOMIC_RELEASE);
	lim.armed = NULL;
}

/*
 * admit_table_note - say what happened to the source table's lock:
 * taken from a worker that died holding it (recovered), or not had at
 * all (r -1: the client is admitted, a stuck table must not stop the
 * service), at most once a second.
 */
static void
admit_table_note(int r, int recovered)
{
	if (recovered)
		log_warning("service %s: took over the source table's lock "
		    "from a worker that died holding it; the entry it was "
		    "changing is dropped, its debt kept", lim.svc->name);
	if (r == -1 && time_every(&lim.table_logged, 1000))
		log_error("service %s: cannot lock the source table: %s; "
		    "admitting without the per-source rate", lim.svc->name,
		    strerror(errno));
}

/*
 * admit_limits - the limits on c, as admit_check() does them (after the
 * access rules): CONN_CLOSED, or the refusal's end with *why.
 */
static int
admit_limits(const struct conf_service *s, struct preforkd_conn *c,
    const char **why)
{
	struct srctab_ask ask;
	struct admit_source src;
	int64_t now = c->started * 1000000;
	int dgram = c->proto == PROTO_UDP, per_rate, per_conn, replies;
	int r, recovered, refused;
	size_t n;

	lim.armed = NULL;
	if (s->max_rate.count > 0 &&
	    !srctab_take_service(lim.tab, &s->max_rate, now)) {
		*why = admit_why(WHY_RATE);
		return CONN_RATE_LIMITED;
	}
	/* The UDP built-ins' default counts answers, when they are sent
	 * (admit_reply): a datagram left unanswered takes nothing. */
	per_rate = s->max_rate_per_source.count > 0 && !s->rate_per_source_udp;
	replies = dgram && (s->max_reply_bytes_per_source.count > 0 ||
	    (s->max_rate_per_source.count > 0 && s->rate_per_source_udp));
	per_conn = !dgram && s->max_per_source > 0;
	if (!per_rate && !replies && !per_conn)
		return CONN_CLOSED;

	if (c->proto == PROTO_UNIX && c->vialen == 0)
		(void)admit_peer_cred(c);
	admit_source((const struct sockaddr *)&c->remote, c->remotelen,
	    s->source_prefix6, c->peer_cred_ok ? c->peer_uid : 0, &src);
	if (per_rate) {
		memset(&ask, 0, sizeof(ask));
		ask.rate[SRCTAB_CONN] = &s->max_rate_per_source;
		ask.n[SRCTAB_CONN] = 1;
		r = srctab_take(lim.tab, &src, &ask, now, &refused,
		    &recovered);
		if (r == -1 || recovered)
			admit_table_note(r, recovered);
		if (r == 0) {
			*why = admit_why(WHY_RATE_SRC);
			return CONN_RATE_LIMITED;
		}
	}
	if (replies) {
		lim.armed = c;
		lim.armed_src = src;
	}
	if (per_conn) {
		n = (size_t)*lim.inuse;
		if (n > lim.capacity)
			n = lim.capacity;	/* a worker may write anything */
		if (!admit_hold(lim.slots, n, lim.mine, lim.service, &src,
		    s->max_per_source)) {
			*why = admit_why(WHY_PER_SOURCE);
			return CONN_LIMITED;
		}
	}
	return CONN_CLOSED;
}

/*
 * admit_reply - c's handler sends a reply of len bytes: 0 to send it, or
 * -1 when it is over max_reply_bytes_per_source for c's source, or over
 * the UDP built-ins' default max_rate_per_source, which counts answers
 * (c's end is then rate_limited, and the worker counts and logs it as
 * refused).  Other replies always go.
 */
int
admit_reply(struct preforkd_conn *c, size_t len)
{
	const struct conf_service *s = lim.svc;
	struct srctab_ask ask;
	int r, recovered, refused;

	if (c != lim.armed)
		return 0;
	memset(&ask, 0, sizeof(ask));
	if (s->rate_per_source_udp && s->max_rate_per_source.count > 0) {
		ask.rate[SRCTAB_CONN] = &s->max_rate_per_source;
		ask.n[SRCTAB_CONN] = 1;
	}
	if (s->max_reply_bytes_per_source.count > 0) {
		ask.rate[SRCTAB_BYTES] = &s->max_reply_bytes_per_source;
		ask.n[SRCTAB_BYTES] = len;
	}
	r = srctab_take(lim.tab, &lim.armed_src, &ask, c->started * 1000000,
	    &refused, &recovered);
	if (r == -1 || recovered)
		admit_table_note(r, recovered);
	if (r != 0)
		return 0;
	lim.reply_why = admit_why(refused == SRCTAB_CONN ? WHY_RATE_SRC :
	    WHY_BYTES);
	c->end = CONN_RATE_LIMITED;
	return -1;
}

/* admit_reply_why - why admit_reply() refused, for the log. */
const char *
admit_reply_why(void)
{
	return lim.reply_why != NULL ? lim.reply_why : admit_why(WHY_BYTES);
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
	if ((end = admit_limits(s, c, why)) != CONN_CLOSED)
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
	case CONN_PROXY_ERROR:
		return CTR_PROXY_ERRORS;
	default:
		return CTR_SHED;
	}
}
