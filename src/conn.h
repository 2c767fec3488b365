/*
 * conn.h - a connection as preforkd itself sees it: the whole struct
 * preforkd_conn, which handlers and modules only hold a pointer to (the
 * public header leaves it incomplete).  For the files that fill it in and
 * read its private fields: worker.c, conn.c, access.c, handler.c, and the
 * unit tests.  Handlers include handler.h, where the struct stays opaque.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef PREFORKD_CONN_H
#define PREFORKD_CONN_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stdint.h>

#include "preforkd.h"
#include "handler.h"

/*
 * One accepted stream connection, or one received datagram.  The worker
 * fills it in (worker.c); handlers reach it through conn_api, whose
 * address must stay its first member: that is the ABI's promise
 * (preforkd_conn_api() in preforkd/module.h).
 */
struct preforkd_conn {
	const struct preforkd_api	*api;		/* first: see above */
	int				 fd;
	int				 proto;		/* enum addr_proto */
	struct sockaddr_storage		 local;
	socklen_t			 locallen;
	struct sockaddr_storage		 remote;
	socklen_t			 remotelen;	/* 0: not known */
	/* Through a balancer that sent a PROXY header (worker.c): remote
	 * is then the client the header names (or the balancer for its own
	 * LOCAL connections), via the balancer, reached the address the
	 * client connected to on the balancer (the header's destination). */
	struct sockaddr_storage		 via;
	socklen_t			 vialen;	/* 0: direct */
	struct sockaddr_storage		 reached;
	socklen_t			 reachedlen;	/* 0: not given */
	const struct preforkd_service	*service;
	int64_t				 started;	/* now_ms() at accept */
	/* preforkd's own, for the logs and the waits. */
	int				 io_timeout_ms;	/* 0: none */
	uint64_t			 bytes_in;
	uint64_t			 bytes_out;
	int				 end;		/* enum conn_end */
	int				 exec_status;	/* exec: wait status; -1 */
	/* A unix peer's credentials (SO_PEERCRED), fetched only when a
	 * rule or a limit needs them: admit_peer_cred(). */
	uid_t				 peer_uid;
	gid_t				 peer_gid;
	int				 peer_cred_ok;	/* 0: not fetched */
	/* Where bytes_in + bytes_out go on each read and write: the slot,
	 * for the master's shedding (shed.c); NULL: nowhere. */
	volatile uint64_t		*moved;
	int				 batched;	/* replies wait for
							   batch_flush() */
	/* Served in slices of io_timeout_busy (a service on guard:
	 * shed_slice()), 0: in one io_timeout; silence so far. */
	int				 slice_ms;
	int				 silent_ms;
};

/* bytes_in and bytes_out when the system cannot tell (exec, unix). */
#define CONN_BYTES_UNKNOWN	UINT64_MAX

/* How a connection ended, for the access log (PREFORKD_END_*'s twin). */
enum conn_end {
	CONN_CLOSED,
	CONN_TIMEOUT,
	CONN_RESET,
	CONN_ERROR,
	/* Refused or cut by admission control (admit.c), preforkd's own. */
	CONN_DENIED,		/* the access rules */
	CONN_LIMITED,		/* max_per_source */
	CONN_RATE_LIMITED,	/* max_rate_per_source, max_rate */
	CONN_SHED,		/* io_timeout_busy, min_rate: a full pool */
	CONN_PROXY_ERROR,	/* PROXY header bad, late, or not allowed */
};

/* The largest datagram a handler is given, and the largest it may send. */
#define DGRAM_MAX	65507
/*
 * How a reply to a datagram is sent: never a SIGPIPE, and never a wait for
 * room (a lone UDP listener is blocking, listen.c): a full socket buffer
 * drops the reply, as UDP would, and never holds a worker.
 */
#ifdef MSG_NOSIGNAL
#define DGRAM_SEND_FLAGS	(MSG_NOSIGNAL | MSG_DONTWAIT)
#else
#define DGRAM_SEND_FLAGS	MSG_DONTWAIT
#endif

/* conn.c (conn_api, the accessor table itself, is in handler.h) */
const char	*conn_end_name(int);
/* A remote end, and the balancer it came through, as text. */
#define CONN_REMOTE_TEXT_MAX	(ADDR_TEXT_MAX + 5 + ADDR_TEXT_MAX)
void		 conn_addrs(const struct preforkd_conn *, int, char *, char *);

/* ------------------------------------------------------------- admit.c */

/* Who a client is for the per-source rules: see admit_source(). */
struct admit_source {
	int			 family;	/* AF_INET, AF_INET6, AF_UNIX */
	unsigned char		 b[16];		/* address, prefix, or uid */
};

void		 admit_source(const struct sockaddr *, socklen_t, int, uid_t,
		    struct admit_source *);
uint32_t	 admit_source_hash(const struct admit_source *);
char		*admit_source_format(const struct admit_source *, int, char *,
		    size_t);
int		 admit_log_due(const struct admit_source *, int64_t,
		    uint64_t *);
int		 admit_check(const struct conf_service *,
		    struct preforkd_conn *, const char **);
int		 admit_counter(int);
int		 admit_match(const struct acl *, struct preforkd_conn *,
		    char *, size_t);

/* ------------------------------------------------------------ tarpit.c */

void		 tarpit_mark(uint64_t, const struct admit_source *, int64_t);
int		 tarpit_suspect(uint64_t, const struct admit_source *, int64_t);
void		 tarpit_expire(int64_t);
void		 tarpit_hold(int, int64_t, int64_t);
size_t		 tarpit_holding(void);
int		 shed_slice(struct preforkd_conn *);
int		 admit_peer_cred(struct preforkd_conn *);
/* admit.c: the limits (max_rate, max_rate_per_source, max_per_source,
 * max_reply_bytes_per_source) */
void		 admit_limits_init(const struct conf_service *, uint64_t,
		    const struct srctab *, const struct scoreboard *,
		    struct slot *);
uint64_t	 admit_service_key(const char *);
size_t		 admit_count(const struct slot *, size_t, uint64_t,
		    const struct admit_source *);
int		 admit_hold(struct slot *, size_t, struct slot *, uint64_t,
		    const struct admit_source *, int);
void		 admit_done(void);
int		 admit_reply(struct preforkd_conn *, size_t);
const char	*admit_reply_why(void);

#endif /* PREFORKD_CONN_H */
