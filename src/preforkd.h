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

/* ------------------------------------------------------------- errlist.c */

/* A list of messages, each "FILE:LINE: SETTING: what is wrong". */
struct errlist {
	char			**msg;
	size_t			 n;
};

void		 errlist_add(struct errlist *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
void		 errlist_free(struct errlist *);

/* --------------------------------------------------------------- conf*.c */

/* exec = { argv = [...]; mode = "connection" | "worker"; env = [...]; } */
enum exec_mode {
	EXEC_CONNECTION,	/* a program per connection, UCSPI style */
	EXEC_WORKER,		/* each worker execs it, socket activation style */
};

struct conf_exec {
	char			**argv;		/* NULL-ended; argv[0] absolute */
	char			**env;		/* NULL-ended "NAME=value" */
	int			 mode;		/* enum exec_mode */
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
	struct conf_service	*services;
	size_t			 nservices;
	/* The modules this configuration loaded, per service (their code,
	 * the strings handed to them), until conf_free: conf_module.c's. */
	struct conf_loaded	*loaded;
};

struct conf	*conf_load(const char *, struct errlist *);
struct conf	*conf_parse_string(const char *, const char *, struct errlist *);
void		 conf_free(struct conf *);

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
};

int		 listen_open(struct listener *, int, mode_t, int, char *, size_t);
void		 listen_close(struct listener *);
int		 listen_adjust(struct listener *, int, mode_t, int, char *,
		    size_t);
int		 listen_set_blocking(struct listener *, int);
void		 listen_policy(struct listener *, size_t);
int		 listen_inherit_init(void);
pid_t		 listen_inherit_upgrade(void);
int		 listen_inherit_take(struct listener *, const char *, int, mode_t,
		    int);
void		 listen_inherit_done(void);
char		*listen_describe(const struct listener *, char *, size_t);

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
	volatile uint64_t	 served;
	volatile uint64_t	 io_timeouts;
	volatile uint64_t	 access_lost;	/* access-log lines not written */
	volatile uint64_t	 ignored;	/* datagrams the loop guard refused */
	/* The process group the worker's descendants run in (the exec
	 * handler's program), 0 when none: a hint the master checks in
	 * /proc before it signals (proc.c). */
	volatile pid_t		 group;
	/* now_ms() when the worker exec'd its program (exec mode "worker"),
	 * which cannot write here: ready once it has lived a second. */
	volatile int64_t	 exec_at;
	/* The current connection, while state is SLOT_BUSY. */
	int64_t			 busy_since;	/* now_ms() at accept */
	int			 proto;
	socklen_t		 locallen;
	socklen_t		 remotelen;
	struct sockaddr_storage	 local;
	struct sockaddr_storage	 remote;
} __attribute__((aligned(64)));	/* no two workers write one cache line */

/* A slot as the master read it, checked: the only form it acts on. */
struct slot_report {
	int			 state;		/* SLOT_STARTING .. SLOT_PAUSED */
	uint64_t		 served;
	uint64_t		 io_timeouts;
	uint64_t		 access_lost;
	uint64_t		 ignored;
	pid_t			 group;		/* a hint: proc_group_ok() */
	int64_t			 exec_at;
	int64_t			 busy_since;
	int			 proto;
	socklen_t		 locallen;
	socklen_t		 remotelen;
	struct sockaddr_storage	 local;
	struct sockaddr_storage	 remote;
	const char		*bad;		/* NULL, or what is wrong */
};

struct scoreboard {
	struct slot		*slots;		/* shared with every worker */
	size_t			 capacity;
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
int		 scoreboard_read(const struct slot *, int64_t,
		    struct slot_report *);
const char	*scoreboard_state_name(int);
void		 scoreboard_client(const struct slot_report *, char *, char *,
		    size_t);
uint64_t	 scoreboard_add(uint64_t, uint64_t);

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
	uint64_t		 seq;		/* forked as the master's n-th */
};

struct proctab {
	struct proc		*procs;
	size_t			 n;		/* in use so far: scans stop here */
	size_t			 capacity;
	size_t			*free;		/* entries below n free again */
	size_t			 nfree;
	uint32_t		*hash;		/* pid -> entry + 1; 0: empty */
	size_t			 hashsize;	/* a power of two */
	size_t			 live;		/* entries with a pid */
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
int		 policy_retire_old(int, int, int, int64_t, int64_t);
int		 policy_trim_round(int);
int		 policy_exec_ready(int, int64_t, int64_t);

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
void		 access_close(void);
const char	*access_file(void);
void		 access_write(const struct preforkd_conn *, int64_t);
size_t		 access_format(char *, size_t, const struct preforkd_conn *,
		    const struct timespec *, int64_t, pid_t);
uint64_t	 access_lost(void);

/* ------------------------------------------------------------- control.c */

#define CONTROL_CLIENTS_MAX	16

int		 control_open(const char *, char *, size_t);
void		 control_close(void);
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
int		 sig_fd(void);
void		 sig_drain(void);
int		 sig_take(enum sig_flag);
int		 sig_quit_requested(void);
int		 sig_worker_child(int);
void		 sig_reset_child(void);
void		 sig_default_all(void);
void		 sig_block(int);
const char	*sig_name(int);

/* ---------------------------------------------------------------- time.c */

/* "2026-11-21T17:44:00.123+01:00" and its NUL, with room to spare. */
#define TIME_TEXT_MAX	40

int64_t		 now_ms(void);
int		 time_every(int64_t *, int64_t);
size_t		 time_format(char *, size_t, const struct timespec *, int);

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
int		 daemon_drop_privileges(const struct conf *, char *, size_t);

/* -------------------------------------------------------------- master.c */

/* The master's runtime view of one service. */
struct service {
	const struct conf_service	*conf;
	struct listener			*listeners;
	size_t				 nlisteners;
	int				 nworkers;	/* live, not retiring */
	int				 want;		/* pool size to keep */
	int				 min_spare;	/* dynamic; TTIN/TTOU */
	int				 max_spare;
	struct throttle			 throttle;
	struct pool_state		 pool;
	uint64_t			 served_dead;	/* by workers gone */
	uint64_t			 io_timeouts_dead;
	uint64_t			 access_lost_dead;
	uint64_t			 ignored_dead;
	uint64_t			 respawns;
	uint64_t			 hung_kills;
	int				 nprocs;	/* entries on it, retiring too */
	/* An older generation's: the current one's of the same name. */
	struct service			*successor;
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

/* ---------------------------------------------------------------- ctl.c */

int		 ctl_valid(const char *);
int		 ctl_send(const struct conf *, const char *, int);

#endif /* PREFORKD_H */
