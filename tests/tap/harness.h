/*
 * harness.h - what the files of the daemon harness (util.c, proc.c,
 * cleanup.c, run.c, status.c, log.c, daemon.c, haproxy.c) share among
 * themselves.  Tests include daemon.h (and haproxy.h), never this.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef TAP_HARNESS_H
#define TAP_HARNESS_H

#include <sys/types.h>
#include <signal.h>

#define PF_STEP_MS		10	/* one step of a bounded poll */

/* cleanup.c */
extern pid_t		 pf_test_pid;	/* the test itself, never killed */
extern char		 pf_exe[];	/* realpath of $PREFORKD */
void	 pf_init(void);
void	 pf_register(struct pf_daemon *);
void	 pf_at_cleanup(void (*)(int));
void	 pf_rm_tree(const char *);

/* run.c */
extern volatile pid_t	 pf_run_pid;	/* a pf_run child still running */
pid_t	 pf_fork_child(void);
void	 pf_close_range(int, int);
char	**pf_argv(const char *const *, const char *);

/* proc.c */
int	 pf_proc_scan(pid_t, pid_t, pid_t *, int);
int	 pf_proc_is_preforkd(pid_t);
int	 pf_reap_bounded(pid_t, int, int *);

#endif /* TAP_HARNESS_H */
