/*
 * daemon.h - start the real preforkd for an integration test, in the manner
 * of remctl's process_start: a fresh temporary directory with the config,
 * pid file and logs; readiness from the pid file; and an exit handler (and
 * a SIGALRM/SIGTERM/SIGINT safety net) that KILLs the master and its workers
 * and removes the directory even when the test fails or is interrupted.
 * The one header of the daemon harness, grouped by the file that defines
 * each function: daemon.c, run.c, status.c, log.c, proc.c, util.c (and
 * cleanup.c, which runs by itself).
 *
 * The binary is $PREFORKD.  In config text, argv and paths, "@DIR@" stands
 * for the temporary directory.  Every wait is a bounded poll.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef TAP_DAEMON_H
#define TAP_DAEMON_H

#include <sys/types.h>
#include <stddef.h>

#define PF_MAX_ARGS	16

struct pf_daemon {
	pid_t	 pid;		/* the master; 0 until started or adopted */
	int	 child;		/* 1: our child (started with -f), we reap it */
	int	 reaped;	/* our child and already waited for */
	int	 status;	/* its wait status, once reaped */
	char	*dir;		/* the temporary directory */
	char	*conf;		/* DIR/preforkd.conf */
	char	*pid_file;	/* DIR/preforkd.pid */
	char	*error_log;	/* DIR/error.log */
	char	*stderr_log;	/* DIR/stderr.log: its stdout and stderr */
};

/* daemon.c: setting up a directory and its config, nothing started. */
struct pf_daemon *pf_prepare(const char *services_and_globals);
struct pf_daemon *pf_prepare_raw(const char *config);
char		 *pf_path(const struct pf_daemon *, const char *name);

/* daemon.c: starting, with -f, as our child. */
struct pf_daemon *pf_start(const char *services_and_globals);
struct pf_daemon *pf_start_raw(const char *config, const char *const *args);
pid_t		  pf_launch(struct pf_daemon *, const char *const *args);
pid_t		  pf_launch_with(struct pf_daemon *, const char *bin,
		    const char *const *args, const int *fds, int nfds,
		    const char *fdnames);
int		  pf_wait_ready(struct pf_daemon *, int timeout_ms);
void		  pf_adopt(struct pf_daemon *, pid_t);
struct pf_daemon *pf_adopt_new(const struct pf_daemon *like, pid_t pid);
pid_t		  pf_wait_pid_change(const char *path, pid_t old,
		    int timeout_ms);

/* daemon.c: signals and ending. */
int	 pf_kill(struct pf_daemon *, int sig);
int	 pf_wait_exit(struct pf_daemon *, int timeout_ms, int *status);
int	 pf_stop(struct pf_daemon *);

/* run.c: running preforkd to completion (-t, -s, a launcher without -f),
 * or in the background. */
void	pf_run_as(uid_t uid, gid_t gid);
int	pf_run(const char *const *args, int *status, char *out, size_t outlen);
int	pf_run2(const char *const *args, int *status, char *out, size_t outlen,
	    char *err, size_t errlen);
pid_t	pf_run_bg(const char *const *args, const char *path);
int	pf_run_bg_wait(pid_t pid, int timeout_ms);
int	pf_exit_code(int status);
int	pf_exited_zero(int status);

/* status.c: "preforkd -s status" against the daemon. */
int	pf_status(struct pf_daemon *, int json, char *out, size_t outlen,
	    char *err, size_t errlen);
long long pf_status_count(struct pf_daemon *, const char *service,
	    const char *key, char *out, size_t outlen);
int	pf_worker_state(struct pf_daemon *, pid_t, char *state, size_t len);
int	pf_wait_worker_state(struct pf_daemon *, pid_t, const char *want,
	    int timeout_ms);

/* log.c: the error log. */
char	*pf_log(struct pf_daemon *);
int	 pf_log_wait(struct pf_daemon *, const char *needle, int timeout_ms);
char	*pf_log_line(struct pf_daemon *, const char *needle);
int	 pf_line_is(const char *line, const char *ident, pid_t pid,
	    const char *level, const char *message);
int	 pf_log_count(struct pf_daemon *, const char *needle);
int	 pf_log_wait_count(struct pf_daemon *, const char *needle, int n,
	    int timeout_ms);
int	 pf_port(struct pf_daemon *, const char *service, const char *proto);
int	 pf_port_host(struct pf_daemon *, const char *service,
	    const char *proto, const char *host);
void	 pf_show(struct pf_daemon *);
void	 pf_show_tail(struct pf_daemon *, int max);

/* proc.c: processes (through /proc), and the daemon's workers. */
int	 pf_proc_alive(pid_t);
int	 pf_proc_stat(pid_t, char *state, pid_t *ppid, pid_t *pgrp,
	    pid_t *sid);
int	 pf_wait_proc_state(pid_t, char want, int not, int timeout_ms);
int	 pf_wait_gone(const pid_t *pids, int n, int timeout_ms);
int	 pf_proc_listeners(pid_t);
long	 pf_proc_switches(pid_t);
int	 pf_workers(struct pf_daemon *, pid_t *out, int max);
int	 pf_wait_workers(struct pf_daemon *, int n, int timeout_ms);
int	 pf_wait_workers_min(struct pf_daemon *, int n, int timeout_ms);
int	 pf_pid_in(const pid_t *, int, pid_t);
int	 pf_procs_matching(const char *needle, pid_t *pids, int max);
void	 pf_procs_collect(const char *needle, pid_t *seen, int *n, int max);
int	 pf_procs_kill_matching(const char *needle);

/* util.c: the clock, files and text. */
long	 pf_now_ms(void);
void	 pf_sleep_ms(int ms);
char	*pf_subst(const char *text, const char *dir);
void	 pf_write_file(const char *path, const char *text);
char	*pf_file(const char *path);
pid_t	 pf_read_pid_file(const char *path);
int	 pf_count(const char *text, const char *needle);
int	 pf_file_wait_count(const char *path, const char *needle, int n,
	    int timeout_ms);

#endif /* TAP_DAEMON_H */
