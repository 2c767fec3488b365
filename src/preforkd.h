/*
 * preforkd.h - the one internal header: every structure shared between
 * files and every non-static function, grouped by the file that defines it.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef PREFORKD_H
#define PREFORKD_H

#include <sys/types.h>
#include <sys/socket.h>

#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "preforkd/module.h"

/* Exit status of the preforkd command (preforkd(8), EXIT STATUS). */
#define EXIT_OK		0
#define EXIT_RUNTIME	1	/* bind, fork, pid file, ... */
#define EXIT_USAGE	64	/* bad command line (EX_USAGE) */
#define EXIT_CONFIG	78	/* invalid configuration (EX_CONFIG) */

/* Limits that config validation enforces. */
#define WORKERS_MAX		65536
#define BACKLOG_MAX		65535
#define SHUTDOWN_TIMEOUT_MAX	86400
#define SERVICE_NAME_MAX	64
#define LISTEN_PER_SERVICE_MAX	64

/* How long a fast stop (TERM/INT) waits before KILLing what is left. */
#define FAST_STOP_GRACE_MS	3000

/* Backoff for workers that die before they are ready: 1 s doubling to 60 s. */
#define THROTTLE_FIRST_MS	1000
#define THROTTLE_MAX_MS		60000

struct preforkd_module;
struct worker_ctx;

/*
 * The per-connection path of a worker, its code and the little data it
 * reads and writes, each kept together: a worker woken for a connection
 * then touches a few pages rather than one per source file, and each page
 * costs a TLB miss (and its cache lines misses) when hundreds of workers
 * take turns on a core (bench/results/2026-11-26-perf.md).  PF_HOT puts a
 * function into .text.hot (GCC and Clang, with -freorder-functions, on by
 * default at -O2); PF_HOT_DATA a variable into one data section.
 *
 * PF_START puts a function that a new worker runs before its first
 * connection (from fork() in spawn_worker() to its first accept()) there
 * too: the kernel maps a process's code 64 KiB at a time, on the first
 * touch of each such stretch, and each is a page fault and sixteen pages
 * mapped in each of thousands of workers started (and as many to undo
 * when each exits), where the code of a start spread over the program
 * touched four of them.
 */
#if defined(__GNUC__) || defined(__clang__)
#define PF_HOT		__attribute__((hot))
#define PF_START	__attribute__((hot))
#define PF_HOT_DATA	__attribute__((section(".data.pf_hot")))
#define PF_ONE_PAGE	__attribute__((aligned(4096)))	/* of <= 4096 bytes */
#else
#define PF_HOT
#define PF_START
#define PF_HOT_DATA
#define PF_ONE_PAGE
#endif

/* ---------------------------------------------------------------- addr.c */

enum addr_proto {
	PROTO_TCP,
	PROTO_UDP,
	PROTO_UNIX,
};

/*
 * A parsed listen address.  For PROTO_UNIX, ss holds a sockaddr_un with the
 * path.  A wildcard ("*:PORT") is stored as [::] and bound dual-stack.
 */
struct addr {
	enum addr_proto		proto;
	int			wildcard;
	struct sockaddr_storage	ss;
	socklen_t		sslen;
};

/* Enough for "unix " and a 108-byte unix path with every byte as \xHH. */
#define ADDR_TEXT_MAX	512
#define ADDR_ERR_MAX	160

int		 addr_parse(const char *, struct addr *, char *, size_t);
const char	*addr_proto_name(enum addr_proto);
char		*addr_format(const struct addr *, char *, size_t);
char		*addr_sockaddr_format(const struct sockaddr *, socklen_t, char *,
		    size_t);
int		 addr_port(const struct sockaddr *);
int		 addr_conflict(const struct addr *, const struct addr *);
int		 addr_same(const struct addr *, const struct addr *);
int		 addr_sockaddr_same(const struct sockaddr *,
		    const struct sockaddr *, int);

/* -------------------------------------------------------------- escape.c */

/* What escape_text leaves alone besides printable ASCII. */
enum escape_mode {
	ESCAPE_VALUE,		/* nothing: \ and " are escaped too */
	ESCAPE_LINE,		/* \ and ", in a line of our own words */
};

size_t		 escape_text(char *, size_t, const void *, size_t,
		    enum escape_mode);
size_t		 escape_logfmt(char *, size_t, const char *);

/* ------------------------------------------------------------------ fd.c */

int		 fd_cloexec(int, int);
int		 fd_nonblock(int, int);
void		 fd_close_range(int, int);

/* ------------------------------------------------------------- errlist.c */

/* A list of messages, each "FILE:LINE: SETTING: what is wrong". */
struct errlist {
	char			**msg;
	size_t			 n;
};

void		 errlist_add(struct errlist *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
void		 errlist_free(struct errlist *);

/* ----------------------------------------------------------------- acl.c */

/* An access rule: "allow 10.0.0.0/8", "deny all", "allow uid 1000"... */
enum acl_action {
	ACL_ALLOW,
	ACL_DENY,
};

enum acl_kind {
	ACL_ALL,		/* every client */
	ACL_NET,		/* an IPv4 or IPv6 network (an address: /32, /128) */
	ACL_UID,		/* a unix peer's uid ("uid N", "user NAME") */
	ACL_GROUP,		/* a unix peer's primary or supplementary group */
};

struct acl_rule {
	int			 action;	/* enum acl_action */
	int			 kind;		/* enum acl_kind */
	int			 family;	/* ACL_NET: AF_INET, AF_INET6 */
	int			 prefix;	/* ACL_NET: bits that count */
	unsigned char		 net[16];	/* ACL_NET: host bits zero */
	unsigned long		 id;		/* ACL_UID, ACL_GROUP */
	char			*text;		/* as written, for the log */
};

/* What a list's rules need of a client, for admit.c to fetch no more. */
#define ACL_NEEDS_ADDR		0x1	/* an address rule */
#define ACL_NEEDS_CRED		0x2	/* a uid, user or group rule */
#define ACL_NEEDS_GROUPS	0x4	/* a group rule: supplementary groups */

/* An ordered list of rules: the first that matches decides. */
struct acl {
	struct acl_rule		*rule;
	size_t			 n;
	int			 needs;		/* ACL_NEEDS_* */
};

/* A unix peer's credentials, as acl_match() sees them. */
struct acl_cred {
	int			 ok;		/* 0: not known */
	uid_t			 uid;
	gid_t			 gid;		/* primary (effective) group */
	const gid_t		*groups;	/* supplementary, if known */
	size_t			 ngroups;
};

#define ACL_ERR_MAX	512

struct admit_source;

int		 acl_parse(const char *, struct acl_rule *, char *, size_t);
int		 acl_add(struct acl *, const char *, char *, size_t);
void		 acl_free(struct acl *);
int		 acl_match(const struct acl *, const struct admit_source *,
		    const struct acl_cred *);
/* ---------------------------------------------------------------- rate.c */

/*
 * A rate as the config writes it, "20/s burst 40": count tokens a period
 * (one second or one minute), at most burst at once.  count 0: no limit.
 */
struct rate {
	uint32_t		 count;		/* tokens a period; 0: off */
	uint32_t		 period_s;	/* 1 ("/s") or 60 ("/m") */
	uint32_t		 burst;		/* the bucket's size */
	int64_t			 interval_ns;	/* a token's worth of time */
};

/* What a rate may say: counts and bursts, and the longest full bucket. */
#define RATE_COUNT_MAX		1000000000
#define RATE_WINDOW_MAX_S	(86400LL * 366)
#define RATE_TEXT_MAX		64

int		 rate_parse(const char *, struct rate *, char *, size_t);
char		*rate_format(const struct rate *, char *, size_t);
int		 rate_take(const struct rate *, int64_t *, int64_t, uint64_t);
int64_t		 rate_one_left(const struct rate *, int64_t, int64_t);

/* --------------------------------------------------------------- conf*.c */

/* exec = { argv = [...]; mode = "connection" | "worker" | "wait";
 * env = [...]; } */
enum exec_mode {
	EXEC_CONNECTION,	/* a program per connection, UCSPI style */
	EXEC_WORKER,		/* each worker execs it, socket activation style */
	EXEC_WAIT,		/* the listener on fds 0 and 1, inetd's wait */
};

struct conf_exec {
	char			**argv;		/* NULL-ended; argv[0] absolute */
	char			**env;		/* NULL-ended "NAME=value" */
	int			 mode;		/* enum exec_mode */
};

/* agent = { services = [...]; min_weight = N; } (handler "agent"). */
struct conf_agent {
	char			**services;	/* NULL-ended names */
	size_t			 nservices;
	int			 min_weight;	/* 0..100 */
};

/* One configured service: a set of listeners served by one pool. */
struct conf_service {
	char			*name;
	int			 line;		/* where it is defined */
	struct addr		*listen;
	char			**listen_text;	/* as written, for messages */
	size_t			 nlisten;
	/* The handler: a built-in's descriptor, or a module's in the code
	 * conf->loaded holds. */
	const struct preforkd_module *handler;
	/* What the handler sees of the service (name, state, timeouts). */
	struct preforkd_service	 view;
	struct conf_exec	*exec;		/* handler "exec", else NULL */
	struct conf_agent	*agent;		/* handler "agent", else NULL */
	char			*module_path;	/* handler "module": absolute */
	int			 workers;	/* static pool size */
	int			 dynamic;	/* min/max_spare, max_workers */
	int			 min_spare;
	int			 max_spare;
	int			 max_workers;
	int			 backlog;
	mode_t			 unix_mode;
	int			 max_requests;	/* 0: never recycle */
	int			 timeout;	/* s busy on one connection; 0 off */
	int			 io_timeout;	/* s a client may be silent; 0 off */
	/* access (conf_access.c): the rules admit.c applies, this
	 * service's own list or the global one; NULL when none. */
	const struct acl	*access;
	struct acl		 access_own;	/* its own "access", if set */
	/* Who its workers run as, when set on the service (else the global
	 * user and group): conf_service_user() says who it is in the end. */
	char			*user;		/* NULL: the global user */
	char			*group;		/* NULL: user's primary group */
	uid_t			 uid;		/* resolved: user's */
	gid_t			 gid;		/* group's, or user's primary */
	/* Admission limits (conf_limit.c reads them, admit.c applies them). */
	int			 max_per_source;	/* 0: off */
	int			 source_prefix6;	/* an IPv6 source's bits */
	struct rate		 max_rate;		/* the whole service's */
	struct rate		 max_rate_per_source;
	int			 rate_per_source_udp;	/* the UDP built-ins'
				default: only datagrams' answers, as sent */
	struct rate		 max_reply_bytes_per_source;
	int			 source_table_size;	/* entries */
	/* Under pressure (conf_admit.c, shed.c): 0 is off for each. */
	int			 defer_accept;	/* s: TCP_DEFER_ACCEPT */
	int			 io_timeout_busy_ms; /* silent, with the pool full */
	int			 min_rate;	/* bytes/s after io_timeout_busy */
	/* The PROXY protocol (conf_proxy.c; the worker reads the header):
	 * proxy_protocol 0 is off, else a mask of PROXY_V1 | PROXY_V2
	 * (proxy.h); proxy_from the balancers allowed to send it, as
	 * "allow" rules that acl_match() applies to the balancer alone. */
	int			 proxy_protocol;
	struct acl		 proxy_from;
	int			 proxy_timeout;	/* s to receive the header */
};

struct conf_loaded;

/*
 * A whole validated configuration.  Only the conf*.c files read the
 * config file's syntax; the rest sees this.
 */
struct conf {
	char			*file;
	char			*user;		/* NULL: not set */
	char			*group;		/* NULL: the user's primary group */
	uid_t			 uid;		/* resolved when user is set */
	gid_t			 gid;
	char			*pid_file;	/* absolute path */
	char			*error_log;	/* NULL, "syslog", "stderr", or a path */
	int			 log_level;
	int			 shutdown_timeout;
	char			*access_log;	/* NULL: off; else a path */
	char			*control_socket; /* NULL: off; else a path */
	struct acl		 access;	/* the global default (conf_access.c) */
	/* What -t and the logs show but that does not stop the load. */
	struct errlist		 warnings;
	struct conf_service	*services;
	size_t			 nservices;
	/* The modules this configuration loaded, per service (their code,
	 * the strings handed to them), until conf_free: conf_module.c's. */
	struct conf_loaded	*loaded;
};

struct conf	*conf_load(const char *, struct errlist *);
struct conf	*conf_parse_string(const char *, const char *, struct errlist *);
void		 conf_free(struct conf *);
/*
 * Set by the fuzz targets (tests/fuzz/) alone, never by the daemon: a load
 * then reads nothing but its file.  An @include fails, a module is not
 * loaded, and no user or group name is looked up: conf_sandbox_id() says
 * what a name stands for.
 */
extern int	 conf_sandbox;
unsigned long	 conf_sandbox_id(const char *);
const char	*conf_service_user(const struct conf *,
		    const struct conf_service *, uid_t *, gid_t *);

/* ---------------------------------------------------------------- file.c */

/* file_open's errno for "not a regular file" (strerror would mislead). */
#ifdef EFTYPE
#define FILE_ENOTREG	EFTYPE
#else
#define FILE_ENOTREG	EINVAL
#endif

int		 file_open(const char *, int, mode_t, int *);
int		 file_append(const char *, uid_t, gid_t, int *);
const char	*file_error(int);
const char	*file_error_at(const char *, int);
int		 file_same(const char *, int);

/* ----------------------------------------------------------------- log.c */

enum log_level {
	LL_ERROR,
	LL_WARNING,
	LL_NOTICE,
	LL_INFO,
	LL_DEBUG,
};

int		 log_level_parse(const char *);
void		 log_init(int);
int		 log_open(const char *, int);
int		 log_reopen(void);
int		 log_adopt(int);
int		 log_chown(uid_t, gid_t);
void		 log_set_level(int);
int		 log_would(int);
void		 log_set_startup_fd(int);
void		 log_set_role(const char *);
int		 log_fd(void);
const char	*log_file(void);
void		 log_msg(int, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
void		 log_vmsg(int, const char *, va_list);
void		 log_error(const char *, ...) __attribute__((format(printf, 1, 2)));
void		 log_warning(const char *, ...) __attribute__((format(printf, 1, 2)));
void		 log_notice(const char *, ...) __attribute__((format(printf, 1, 2)));
void		 log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void		 log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void		 fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

/* -------------------------------------------------------------- listen.c */

/* An open listening socket of a service. */
struct listener {
	struct addr		 addr;		/* as configured */
	struct addr		 bound;		/* as bound (port 0 resolved) */
	int			 fd;
	const char		*text;		/* the configured string */
	int			 shared;	/* systemd holds it too: never
						   shut down or unlink it */
	int			 inherited;	/* passed in LISTEN_FDS */
	dev_t			 unix_dev;	/* the socket file we made, */
	ino_t			 unix_ino;	/*   removed only if still ours */
	mode_t			 unix_mode;	/* its mode; -1: not known */
	int			 defer_accept;	/* s, as the kernel keeps it */
};

int		 listen_open(struct listener *, int, mode_t, int, char *, size_t);
void		 listen_close(struct listener *);
int		 listen_adjust(struct listener *, int, mode_t, int, char *,
		    size_t);
int		 listen_defer(struct listener *, int);
int		 listen_set_blocking(struct listener *, int);
void		 listen_policy(struct listener *, size_t, int);
int		 listen_inherit_init(void);
pid_t		 listen_inherit_upgrade(void);
int		 listen_inherit_take(struct listener *, const char *, int, mode_t,
		    int);
void		 listen_inherit_done(void);
char		*listen_describe(const struct listener *, char *, size_t);
int		 listen_waiting(const struct listener *);

/* -------------------------------------------------------------- tarpit.c */

int		 tarpit_create(void);
void		 tarpit_guard(uint64_t, int64_t);
int		 tarpit_guarded(uint64_t, int64_t);

/* ------------------------------------------------------------- sockets.c */

struct listener	**sockets_open(const struct conf *, struct errlist *);
void		 sockets_free(const struct conf *, struct listener **);

/* ---------------------------------------------------------- scoreboard.c */

enum slot_state {
	SLOT_FREE,
	SLOT_STARTING,
	SLOT_IDLE,
	SLOT_BUSY,
	SLOT_EXITING,
	SLOT_PAUSED,		/* not waiting on its listeners: backing off */
	SLOT_STATES,		/* how many there are */
};

/*
 * What a worker counts in its slot, and the master adds up per service
 * (folding a dead worker's counts into its service's): the status, its
 * JSON and the logs name them by scoreboard_counter_name().
 */
enum slot_counter {
	CTR_SERVED,		/* connections and datagrams served */
	CTR_IO_TIMEOUTS,	/* clients cut for silence (io_timeout) */
	CTR_ACCESS_LOST,	/* access-log lines not written */
	CTR_IGNORED,		/* datagrams the loop guard refused */
	CTR_DENIED,		/* refused by the access rules */
	CTR_LIMITED,		/* over max_per_source */
	CTR_RATE_LIMITED,	/* over max_rate_per_source or max_rate */
	CTR_SHED,		/* cut to free a full pool (io_timeout_busy) */
	CTR_PROXY_ERRORS,	/* PROXY header missing, malformed, late, or
				   sent by a peer not in proxy_from */
	CTR_PROXY_LOCAL,	/* PROXY LOCAL or UNKNOWN: the balancer's own
				   connection (a health check) */
	CTR_ACCEPT_ERRORS,	/* accept()/recvfrom() failures, not EAGAIN */
	CTR_BYTES_IN,		/* bytes read from clients (one add a connection) */
	CTR_BYTES_OUT,		/* bytes written to clients */
	CTR_COUNT,		/* how many there are */
};

/*
 * What the JSON status, the logs and the metrics (handlers/metrics.c)
 * call a counter: one row per enum slot_counter (scoreboard.c), so that a
 * counter added to the enum shows up everywhere once its row is written
 * (tests/unit/metrics-t.c checks every row is).
 */
struct slot_counter_info {
	const char		*name;		/* JSON key: "rate_limited" */
	const char		*metric;	/* "preforkd_rate_limited" */
	const char		*unit;		/* OpenMetrics UNIT, or NULL */
	const char		*help;
};

/*
 * The connection-duration histogram each slot keeps (stream connections:
 * a datagram has no duration to speak of): upper bounds in ms of the
 * buckets, the last one +Inf; counts are per bucket, not cumulative.
 */
#define SLOT_HIST_BUCKETS	11
#define SLOT_HIST_BOUNDS_MS	{ 1, 5, 10, 50, 100, 500, 1000, 5000, \
				  10000, 60000, -1 }

/*
 * One worker's slot in shared memory: what the worker reports, and nothing
 * else.  The worker alone writes it, with plain stores (no lock: a reader
 * may see a connection's fields half-updated, which a status display can
 * live with).  Every worker can write every slot, so for the master all
 * of it is untrusted input: it reads a slot only through scoreboard_read(),
 * and keeps what it acts on (pid, service, generation, timers) in its own
 * memory (proc.c).  Never put a pointer or a pid to signal in here.
 */
struct slot {
	volatile int		 state;		/* enum slot_state */
	/*
	 * The source of the connection being served, published for the
	 * other workers of the service to count (max_per_source: admit.c),
	 * src_family 0 when none.  Workers alone read these, never the
	 * master: it is a worker's word to its peers, which a lying worker
	 * could only use to refuse clients, as it could by itself.
	 */
	volatile int		 src_family;	/* AF_INET, AF_INET6, AF_UNIX */
	volatile uint64_t	 src_service;	/* admit_service_key() */
	volatile uint32_t	 src_w[4];	/* struct admit_source's b */
	volatile uint64_t	 count[CTR_COUNT];	/* enum slot_counter */
	/* Durations of the stream connections served, in SLOT_HIST_BUCKETS
	 * (one increment per connection end), and their sum in ms. */
	volatile uint64_t	 hist[SLOT_HIST_BUCKETS];
	volatile uint64_t	 hist_sum_ms;
	/* The process group the worker's descendants run in (the exec
	 * handler's program), 0 when none: a hint the master checks in
	 * /proc before it signals (proc.c). */
	volatile pid_t		 group;
	/* now_ms() when the worker exec'd its program (exec mode "worker"),
	 * which cannot write here: ready once it has lived a second. */
	volatile int64_t	 exec_at;
	/* The current connection, while state is SLOT_BUSY. */
	int64_t			 busy_since;	/* now_ms() at accept */
	/* Its bytes in and out so far, stored on each read and write
	 * (conn.c): the master samples it each tick to see who is silent
	 * (shed.c).  A worker that lies here can only spare or doom its
	 * own client. */
	volatile uint64_t	 moved;
	int			 proto;
	socklen_t		 locallen;
	socklen_t		 remotelen;
	socklen_t		 vialen;	/* 0: not through a balancer */
	struct sockaddr_storage	 local;
	struct sockaddr_storage	 remote;	/* the client */
	struct sockaddr_storage	 via;		/* the balancer (PROXY) */
} __attribute__((aligned(64)));	/* no two workers write one cache line */

/* A slot as the master read it, checked: the only form it acts on. */
struct slot_report {
	int			 state;		/* SLOT_STARTING .. SLOT_PAUSED */
	uint64_t		 count[CTR_COUNT];
	uint64_t		 hist[SLOT_HIST_BUCKETS];
	uint64_t		 hist_sum_ms;
	pid_t			 group;		/* a hint: proc_group_ok() */
	int64_t			 exec_at;
	int64_t			 busy_since;
	uint64_t		 moved;
	int			 proto;
	socklen_t		 locallen;
	socklen_t		 remotelen;
	socklen_t		 vialen;
	struct sockaddr_storage	 local;
	struct sockaddr_storage	 remote;
	struct sockaddr_storage	 via;
	const char		*bad;		/* NULL, or what is wrong */
};

struct scoreboard {
	struct slot		*slots;		/* shared with every worker */
	size_t			 capacity;
	/* How many slots may be in use (the master's table's length), for
	 * the workers' scans; the master only writes it. */
	volatile uint64_t	*inuse;		/* on the mapping's last page */
};

/* Slots per worker the configuration may have (scoreboard_slots), and
 * never fewer than this many in all. */
#define SCOREBOARD_SLOTS_PER_WORKER	4
#define SCOREBOARD_SLOTS_MIN		16384

size_t		 scoreboard_workers(const struct conf *);
size_t		 scoreboard_slots(const struct conf *);
int		 scoreboard_create(struct scoreboard *, size_t);
void		 scoreboard_destroy(struct scoreboard *);
struct slot	*scoreboard_reset(struct scoreboard *, size_t);
void		 scoreboard_inuse(struct scoreboard *, size_t);
void		 scoreboard_unsource(struct scoreboard *, size_t);
int		 scoreboard_read(const struct slot *, int64_t,
		    struct slot_report *);
const char	*scoreboard_state_name(int);
const char	*scoreboard_counter_name(int);
const struct slot_counter_info *scoreboard_counter_info(int);
int		 scoreboard_hist_bucket(int64_t);
int64_t		 scoreboard_hist_bound(int);
void		 scoreboard_count_end(struct slot *, int64_t, uint64_t,
		    uint64_t);
void		 scoreboard_client(const struct slot_report *, char *, char *,
		    size_t);
const struct sockaddr *scoreboard_peer(const struct slot_report *);
uint64_t	 scoreboard_add(uint64_t, uint64_t);

/* -------------------------------------------------------------- srctab.c */

struct admit_source;		/* conn.h */

/* The buckets a source has in a table: see srctab.c. */
enum srctab_kind {
	SRCTAB_CONN,		/* connections or datagrams */
	SRCTAB_BYTES,		/* bytes of datagram replies */
	SRCTAB_KINDS,
};

struct srctab_shared;		/* srctab.h: the part in shared memory */

/*
 * A service's table of per-source token buckets (and its one service-wide
 * bucket), as its owner holds it: the mapping and its shape, in private
 * memory (a worker's copy comes with the fork), so that nothing a worker
 * writes into the shared part can make another process address outside it.
 */
struct srctab {
	struct srctab_shared	*shm;		/* NULL: no table */
	size_t			 len;		/* of the mapping */
	uint32_t		 nsets;		/* of SRCTAB_WAYS entries */
	uint32_t		 ncells;	/* a row of the debt sketch */
	uint64_t		 seed;		/* the hash's key */
};

/* What the status shows of a table (read without its lock). */
struct srctab_stats {
	uint32_t		 size;		/* entries */
	uint64_t		 used;
	uint64_t		 evictions;	/* entries dropped in debt */
	uint64_t		 recovered;	/* locks taken from the dead */
};

/* What to take from a source's buckets at once: n[k] tokens of bucket k
 * at rate[k], for each k whose rate is not NULL. */
struct srctab_ask {
	const struct rate	*rate[SRCTAB_KINDS];
	uint64_t		 n[SRCTAB_KINDS];
};

#define SRCTAB_ENTRIES_MIN	16
#define SRCTAB_ENTRIES_MAX	1048576

int		 srctab_create(struct srctab *, uint32_t);
void		 srctab_destroy(struct srctab *);
int		 srctab_take(const struct srctab *, const struct admit_source *,
		    const struct srctab_ask *, int64_t, int *, int *);
int		 srctab_take_service(const struct srctab *, const struct rate *,
		    int64_t);
void		 srctab_stats(const struct srctab *, struct srctab_stats *);
uint64_t	 srctab_seed(void);
uint64_t	 srctab_source_hash(uint64_t, const struct admit_source *);
/* ------------------------------------------------------------- sockdiag.c */

int		 sockdiag_tcp_moved(const struct sockaddr *, const struct sockaddr *,
		    uint64_t *);

/* ---------------------------------------------------------------- shed.c */

/*
 * What the master has seen of a worker's current connection, for the
 * shedding (shed.c): in its private memory, with the worker's other facts.
 */
struct shed_track {
	int64_t			 conn;		/* its busy_since; 0: none */
	uint64_t		 moved;		/* bytes moved, as last seen */
	int64_t			 moved_at;	/* when that last changed */
	int64_t			 asked_at;	/* when told to cut it; 0 */
};

/* The signal the master sends a worker to cut its client (shed.c). */
#define SIG_SHED	SIGURG

struct preforkd_conn;

int		 shed_worker_init(int, uint64_t);
void		 shed_arm(int, int64_t, const struct listener *);
void		 shed_forget_fd(void);
int		 shed_cut(void);
int		 shed_disarm(void);

/* ---------------------------------------------------------------- proc.c */

/*
 * What the master alone knows of one worker, in its private memory.
 * Entry i goes with scoreboard slot i.
 */
struct proc {
	pid_t			 pid;		/* 0: not forked (yet) */
	int			 reserved;	/* entry in use */
	struct service		*svc;
	unsigned int		 generation;
	struct timespec		 started;	/* wall clock, for status */
	int			 ready;		/* was seen idle or busy */
	int			 retiring;	/* asked to exit */
	int64_t			 quit_at;	/* when QUIT was sent */
	int64_t			 kill_at;	/* KILL at (hung, retire deadline) */
	int			 hung;		/* TERMed as hung */
	int			 condemned;	/* its slot was inconsistent */
	pid_t			 group;		/* its descendants', as checked */
	struct shed_track	 shed;		/* its client, for shed.c */
	uint64_t		 seq;		/* the n-th handed out */
};

/*
 * What changes with each worker forked (proc.c): in the table's own
 * memory, which no child inherits, so that counting a fork does not
 * write the page of the master's data that the fork has just shared.
 */
struct proc_tally {
	size_t			 n;		/* ever used: scans stop here */
	size_t			 nfree;
	size_t			 live;		/* entries with a pid */
	uint64_t		 seq;		/* entries handed out so far */
};

struct proctab {
	struct proc_tally	*tally;
	struct proc		*procs;
	size_t			 capacity;
	size_t			*free;		/* entries below n free again */
	uint32_t		*hash;		/* pid -> entry + 1; 0: empty */
	size_t			 hashsize;	/* a power of two */
	void			*map;		/* all of the above, */
	size_t			 maplen;	/*   in one mapping */
	pid_t			 self;
	pid_t			 successor;	/* a child we forked, not a worker */
};

int		 proc_init(struct proctab *, size_t);
void		 proc_free(struct proctab *);
struct proc	*proc_alloc(struct proctab *);
void		 proc_set_pid(struct proctab *, struct proc *, pid_t);
void		 proc_release(struct proctab *, struct proc *);
size_t		 proc_index(const struct proctab *, const struct proc *);
struct proc	*proc_find(struct proctab *, pid_t);
struct proc	*proc_next(const struct proctab *, size_t *);
size_t		 proc_used(const struct proctab *);
void		*proc_private_map(size_t);
void		 proc_private_unmap(void *, size_t);
uint64_t	 proc_seq(const struct proctab *);
int		 proc_live(const struct proctab *);
int		 proc_kill(const struct proctab *, const struct proc *, int);
int		 proc_stat_parse(const char *, pid_t *, pid_t *);
int		 proc_group_ok(const struct proctab *, const struct proc *, pid_t);
int		 proc_kill_group(const struct proctab *, const struct proc *,
		    pid_t, int);

/* ---------------------------------------------------------------- pool.c */

/* What the once-a-second maintenance of a dynamic pool remembers. */
struct pool_state {
	int			 spawn_rate;	/* 1, 2, 4 ... 32 */
	int			 at_max;	/* max_workers reached, logged */
};

/* What it decides. */
struct pool_decision {
	int			 spawn;		/* workers to fork now */
	int			 retire;	/* idle workers to stop gracefully */
	int			 reached_max;	/* log it: first time at the cap */
};

#define POOL_SPAWN_RATE_MAX	32

void		 pool_decide(int, int, int, int, int, struct pool_state *,
		    struct pool_decision *);
int		 pool_request_limit(int, uint32_t);

/* -------------------------------------------------------------- policy.c */

/* How the master takes a worker's death (spawn.c logs and acts). */
enum policy_death {
	DEATH_EXPECTED,		/* asked to go, old generation, stopping */
	DEATH_RECYCLED,		/* max_requests served: replaced at once */
	DEATH_HUNG,		/* killed as hung: replaced */
	DEATH_CRASH,		/* died once ready: replaced, a respawn */
	DEATH_EARLY,		/* died before it was ready: throttled */
	DEATH_CONDEMNED,	/* killed for an inconsistent slot, once ready */
	DEATH_CONDEMNED_EARLY,	/* ... before it was ready: throttled */
};

/* What the master knows of a death. */
struct policy_death_facts {
	int			 expected;	/* retiring, old generation, stop */
	int			 condemned;	/* its slot was inconsistent */
	int			 hung;		/* killed as hung */
	int			 ready;		/* seen idle or busy once */
	int			 exited_zero;	/* exit status 0 */
	int			 max_requests;	/* its service's; 0: never */
	uint64_t		 served;	/* as its slot said */
};

/* A program exec'd by a worker is ready once it has lived this long. */
#define EXEC_READY_MS		1000
/* After a reload, how long the old generation waits for all new workers. */
#define RELOAD_READY_MS		5000

enum policy_death policy_death(const struct policy_death_facts *);
int		 policy_death_throttles(enum policy_death);
int		 policy_retire_old(int, int, int, int, int64_t, int64_t);
int		 policy_trim_round(int);
int		 policy_exec_ready(int, int64_t, int64_t);

/* A busy worker's connection, as policy_shed() weighs it. */
struct policy_shed_conn {
	int64_t			 silent_ms;	/* since a byte last moved */
	int64_t			 age_ms;	/* since it was accepted */
	uint64_t		 moved;		/* bytes both ways so far */
	size_t			 id;		/* the caller's */
	int			 why;		/* out: enum policy_shed_why */
};

enum policy_shed_why {
	SHED_KEEP,		/* not to be cut */
	SHED_SILENT,		/* silent longer than io_timeout_busy */
	SHED_SLOW,		/* slower than min_rate after it */
};

size_t		 policy_shed(struct policy_shed_conn *, size_t, int, int, int);

/* ------------------------------------------------------------ throttle.c */

/* Per-service respawn backoff for workers that die before they are ready. */
struct throttle {
	int			 delay_ms;	/* 0: not throttled */
	int64_t			 until_ms;	/* no spawn before this time */
};

void		 throttle_failed(struct throttle *, int64_t);
void		 throttle_ready(struct throttle *);
int		 throttle_allows(const struct throttle *, int64_t);

/* -------------------------------------------------------------- access.c */

struct preforkd_conn;

int		 access_open(const char *, uid_t, gid_t);
int		 access_reopen(void);
int		 access_get_fd(void);
int		 access_adopt(int);
void		 access_close(void);
const char	*access_file(void);
void		 access_write(const struct preforkd_conn *, int64_t);
size_t		 access_format(char *, size_t, const struct preforkd_conn *,
		    const struct timespec *, int64_t, pid_t);
uint64_t	 access_lost(void);

/* ------------------------------------------------------------- control.c */

#define CONTROL_CLIENTS_MAX	16
/* A request line is shorter than this, its end included. */
#define CONTROL_REQUEST_MAX	64

/* What a control client asks (control_request). */
enum control_ask {
	CONTROL_MORE,		/* no whole line yet */
	CONTROL_TOO_LONG,	/* no line end in CONTROL_REQUEST_MAX bytes */
	CONTROL_UNKNOWN,	/* a line, but no request we know */
	CONTROL_STATUS,		/* "status" */
	CONTROL_STATUS_JSON,	/* "status json" */
	CONTROL_PROGRESS,	/* "progress" */
	CONTROL_RELOAD,		/* "reload" */
};

int		 control_request(const char *, size_t, char *, size_t);

int		 control_open(const char *, char *, size_t);
void		 control_close(void);
int		 control_asked(void);
int		 control_pollfds(struct pollfd *, int);
void		 control_handle(struct pollfd *, int);
void		 control_child_close(void);
void		 control_waiters_say(const char *, int);
int		 control_fd(void);
void		 control_disown(void);
void		 control_release(void);

/* The name of the control socket among the fds an upgrade passes. */
#define CONTROL_FDNAME		"preforkd-control"

/* -------------------------------------------------------------- notify.c */

void		 notify_init(void);
const char	*notify_socket(void);
int		 notify_send(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
unsigned long long notify_monotonic_usec(void);

/* ------------------------------------------------------------- upgrade.c */

#define LISTEN_FDS_START_FD	3

void		 upgrade_init(const char *);
const char	*upgrade_binary(void);
pid_t		 upgrade_start(const int *, const char *const *, int,
		    const char *, const char *, int);

/* ----------------------------------------------------------------- sig.c */

#define SIG_ROLE_MASTER	0
#define SIG_ROLE_WORKER	1

enum sig_flag {
	SIGF_TERM,
	SIGF_QUIT,
	SIGF_HUP,
	SIGF_USR1,
	SIGF_USR2,
	SIGF_WINCH,
	SIGF_TTIN,
	SIGF_TTOU,
	SIGF_CHLD,
	SIGF_COUNT,
};

int		 sig_init(int);
int		 sig_catch_info(int, void (*)(int, siginfo_t *, void *));
void		 sig_wake(void);
int		 sig_fd(void);
void		 sig_drain(void);
int		 sig_take(enum sig_flag);
int		 sig_quit_requested(void);
int		 sig_worker_child(int);
void		 sig_reset_child(void);
void		 sig_reset_worker(void);
void		 sig_default_all(void);
void		 sig_block(int);
const char	*sig_name(int);

/* ------------------------------------------------------------- logpass.c */

int		 logpass_init(void);
int		 logpass_publish(void);
void		 logpass_worker(void);
int		 logpass_take(void);

/* ------------------------------------------------------------ tcpbytes.c */

/* What is known of a connection's byte counts. */
enum tcpbytes_state {
	TCPBYTES_UNKNOWN,	/* cannot tell: the access log says "-" */
	TCPBYTES_WATCHING,	/* the connection is not over yet */
	TCPBYTES_DONE,		/* in and out are the counts */
};

/* The byte counts of a TCP connection handed to a program. */
struct tcpbytes {
	int			 state;		/* enum tcpbytes_state */
	int			 family;
	uint64_t		 cookie;	/* the socket's SO_COOKIE */
	struct sockaddr_storage	 local;
	struct sockaddr_storage	 remote;
	int			 rdhup;		/* the client's FIN was seen */
	uint64_t		 in;		/* what the client sent */
	uint64_t		 out;		/* what it acknowledged */
};

int		 tcpbytes_watch(struct tcpbytes *, int);
int		 tcpbytes_fd(void);
int		 tcpbytes_events(struct tcpbytes *);
int		 tcpbytes_now(struct tcpbytes *);
void		 tcpbytes_unwatch(struct tcpbytes *);

/* ---------------------------------------------------------------- time.c */

/* "2026-11-21T17:44:00.123+01:00" and its NUL, with room to spare. */
#define TIME_TEXT_MAX	40

int64_t		 now_ms(void);
int		 time_every(int64_t *, int64_t);
size_t		 time_format(char *, size_t, const struct timespec *, int);
char		*time_seconds(char *, size_t, int64_t);

/* -------------------------------------------------------------- daemon.c */

int		 daemon_start(void);
void		 daemon_ready(void);
int		 daemon_pidfile_lock(const char *, char *, size_t);
int		 daemon_pidfile_write(void);
void		 daemon_pidfile_remove(void);
int		 daemon_pidfile_rename_oldbin(void);
void		 daemon_pidfile_restore(void);
void		 daemon_child_close(void);
int		 daemon_alive(pid_t);
pid_t		 daemon_pidfile_read(const char *, char *, size_t);
int		 daemon_drop_privileges(const struct conf *,
		    const struct conf_service *, char *, size_t);
void		 daemon_log_users(const struct conf *);

/* -------------------------------------------------------------- master.c */

/* The master's runtime view of one service. */
/*
 * A service's counts of its workers, which change with each one forked:
 * in memory of the master's own (proc_private_map()), for the reason of
 * struct proc_tally.
 */
struct service_tally {
	int				 workers;	/* live, not retiring */
	int				 procs;		/* with retiring ones */
};

struct service {
	const struct conf_service	*conf;
	struct listener			*listeners;
	size_t				 nlisteners;
	struct service_tally		*tally;		/* workers, procs */
	int				 want;		/* pool size to keep */
	int				 min_spare;	/* dynamic; TTIN/TTOU */
	int				 max_spare;
	struct throttle			 throttle;
	struct pool_state		 pool;
	uint64_t			 dead[CTR_COUNT];	/* by workers gone */
	uint64_t			 dead_hist[SLOT_HIST_BUCKETS];
	uint64_t			 dead_hist_sum_ms;
	uint64_t			 respawns;
	uint64_t			 hung_kills;
	struct srctab			 srctab;	/* admission's buckets */
	/* An older generation's: the current one's of the same name, and
	 * its own workers when it was replaced (the retirement's base). */
	struct service			*successor;
	int				 reload_total;
	int				 nready;	/* counted by a scan, for it */
	int				 nidle;
};

/* What status.c shows: a read-only look at the master. */
struct status_view {
	const struct conf		*conf;
	const char			*conf_path;	/* absolute */
	const struct service		*svc;
	size_t				 nsvc;
	const struct scoreboard		*sb;
	const struct proctab		*pt;
	pid_t				 pid;
	unsigned int			 generation;
	struct timespec			 started;	/* wall clock */
	int64_t				 start_ms;	/* monotonic */
	int				 paused;	/* WINCH */
	int				 stopping;
	const char			*phase;		/* pub_phase_name(); NULL */
	/* A start or a reload forking its pools: "X of N started". */
	const char			*starting;	/* "start", "reload"; NULL */
	int				 nstarted;	/* X, over the services */
	int				 nof;		/* N */
};

int		 master_run(struct conf *, struct listener **, int,
		    const char *, const char *, pid_t);
char		*master_status(int);
char		*master_progress(void);
char		*master_reload_request(int *);

/* -------------------------------------------------------------- status.c */

char		*status_render(const struct status_view *, int);
char		*status_render_at(const struct status_view *, int, int64_t);

/* --------------------------------------------------------------- batch.c */

/* Datagrams a worker takes with one recvmmsg() at most. */
#define BATCH_MAX	16

int		 batch_init(void);
int		 batch_recv(int, int);
const unsigned char *batch_data(int, size_t *, const struct sockaddr **,
		    socklen_t *);
int		 batch_reply(int, const struct sockaddr *, socklen_t,
		    const void *, size_t);
void		 batch_flush(void);
size_t		 batch_pending(void);

/* -------------------------------------------------------------- worker.c */

/* What a worker needs to know about itself; set up by the master. */
struct worker_ctx {
	const struct conf		*conf;
	const struct conf_service	*service;
	struct listener			*listeners;	/* this service's */
	size_t				 nlisteners;
	struct slot			*slot;
	int				 master_fd;	/* EOF when the master dies */
	pid_t				 master_pid;
	/* Every service of this generation, for the UDP ports the loop
	 * guard refuses (handler.c); their other fds are closed. */
	const struct service		*services;
	size_t				 nservices;
	/* For admission control (admit.c): the peers' slots to count, and
	 * the service's table of buckets. */
	const struct scoreboard		*sb;
	const struct srctab		*srctab;
};

/* What a worker does after accept() or recvfrom() failed with an errno. */
enum worker_next {
	WORKER_NEXT_WAIT,	/* nothing there: wait for the listener */
	WORKER_NEXT_AGAIN,	/* passing: back to the same wait at once */
	WORKER_NEXT_PAUSE,	/* out of fds or memory: back off, then again */
	WORKER_NEXT_DEAD,	/* shut down for a stop: let go of it */
	WORKER_NEXT_EXIT,	/* unexpected: exit, to be replaced */
};

/* How long a worker out of descriptors (EMFILE...) stops accepting, and
 * how long one that cannot go on waits before it exits to be replaced. */
#define WORKER_PAUSE_MS		500
#define WORKER_EXIT_PAUSE_MS	1000

void		 worker_main(struct worker_ctx *) __attribute__((noreturn));
enum worker_next worker_next_after(int, int);
int		 worker_report_group(pid_t);
void		 worker_report_exec(void);
void		 worker_reopen(void);

/* ---------------------------------------------------------------- ctl.c */

int		 ctl_valid(const char *);
int		 ctl_send(const struct conf *, const char *, int);

#endif /* PREFORKD_H */
