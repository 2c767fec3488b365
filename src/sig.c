/*
 * sig.c - signals as events: each handler only records which signal came
 * and writes one byte to a self-pipe, which the master (or a worker) polls.
 * All real work happens in the main loop, never in signal context.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preforkd.h"

/* The self-pipe; its write end is read by the handlers. */
static int			 sig_pipe_r = -1;
static volatile sig_atomic_t	 sig_pipe_w = -1;
static volatile sig_atomic_t	 sig_flags[SIGF_COUNT] PF_HOT_DATA;

static const struct {
	int		 signo;
	const char	*name;
	enum sig_flag	 flag;
} sig_table[] = {
	{ SIGTERM,	"TERM",		SIGF_TERM },
	{ SIGINT,	"INT",		SIGF_TERM },
	{ SIGQUIT,	"QUIT",		SIGF_QUIT },
	{ SIGHUP,	"HUP",		SIGF_HUP },
	{ SIGUSR1,	"USR1",		SIGF_USR1 },
	{ SIGUSR2,	"USR2",		SIGF_USR2 },
	{ SIGWINCH,	"WINCH",	SIGF_WINCH },
	{ SIGTTIN,	"TTIN",		SIGF_TTIN },
	{ SIGTTOU,	"TTOU",		SIGF_TTOU },
	{ SIGCHLD,	"CHLD",		SIGF_CHLD },
};
#define SIG_TABLE_LEN	(sizeof(sig_table) / sizeof(sig_table[0]))

/* Names of the signals a log line may mention, including fatal ones. */
static const struct {
	int		 signo;
	const char	*name;
} sig_names[] = {
	{ SIGHUP, "SIGHUP" }, { SIGINT, "SIGINT" }, { SIGQUIT, "SIGQUIT" },
	{ SIGILL, "SIGILL" }, { SIGTRAP, "SIGTRAP" }, { SIGABRT, "SIGABRT" },
	{ SIGBUS, "SIGBUS" }, { SIGFPE, "SIGFPE" }, { SIGKILL, "SIGKILL" },
	{ SIGUSR1, "SIGUSR1" }, { SIGSEGV, "SIGSEGV" }, { SIGUSR2, "SIGUSR2" },
	{ SIGPIPE, "SIGPIPE" }, { SIGALRM, "SIGALRM" }, { SIGTERM, "SIGTERM" },
	{ SIGCHLD, "SIGCHLD" }, { SIGCONT, "SIGCONT" }, { SIGSTOP, "SIGSTOP" },
	{ SIGTSTP, "SIGTSTP" }, { SIGTTIN, "SIGTTIN" }, { SIGTTOU, "SIGTTOU" },
	{ SIGURG, "SIGURG" }, { SIGXCPU, "SIGXCPU" }, { SIGXFSZ, "SIGXFSZ" },
	{ SIGVTALRM, "SIGVTALRM" }, { SIGPROF, "SIGPROF" },
	{ SIGWINCH, "SIGWINCH" }, { SIGSYS, "SIGSYS" },
};

/*
 * sig_handler - WARNING: this runs at unpredictable moments, in signal
 * context.  It only records the signal and wakes the poll loop; errno is
 * restored in case it interrupted the epilogue of a failed system call.
 */
static void
sig_handler(int signo)
{
	int saved = errno;
	size_t i;

	for (i = 0; i < SIG_TABLE_LEN; i++)
		if (sig_table[i].signo == signo)
			sig_flags[sig_table[i].flag] = signo;
	if (sig_pipe_w != -1)	/* a worker's, before it waits on one */
		(void)write(sig_pipe_w, "", 1);
	errno = saved;
}

/*
 * sig_catch_info - fn as the SA_SIGINFO handler of signo, without
 * SA_RESTART (a blocking call it interrupts must return), every signal
 * blocked while it runs.  For a handler that must know who sent the
 * signal (shed.c's); such a handler wakes the loop with sig_wake().
 */
int
sig_catch_info(int signo, void (*fn)(int, siginfo_t *, void *))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fn;
	sa.sa_flags = SA_SIGINFO;
	sigfillset(&sa.sa_mask);
	return sigaction(signo, &sa, NULL);
}

/* sig_wake - one byte to the self-pipe; safe in a signal handler. */
void
sig_wake(void)
{
	if (sig_pipe_w != -1)
		(void)write(sig_pipe_w, "", 1);
}

PF_START static int
sig_catch(int signo, int restart)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sig_handler;
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigfillset(&sa.sa_mask);
	return sigaction(signo, &sa, NULL);
}

PF_START static void
sig_set(int signo, void (*disposition)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = disposition;
	sigemptyset(&sa.sa_mask);
	sigaction(signo, &sa, NULL);
}

/*
 * sig_pipe_make - a pipe in fd, non-blocking and close-on-exec: with
 * pipe2() in one system call.  0, or -1 with errno.
 */
static int
sig_pipe_make(int fd[2])
{
	int i;

#ifdef HAVE_PIPE2
	if (pipe2(fd, O_CLOEXEC | O_NONBLOCK) == 0)
		return 0;
	if (errno != ENOSYS)
		return -1;
#endif
	if (pipe(fd) == -1)
		return -1;
	for (i = 0; i < 2; i++)
		if (fd_cloexec(fd[i], 1) == -1 || fd_nonblock(fd[i], 1) == -1) {
			close(fd[0]);
			close(fd[1]);
			return -1;
		}
	return 0;
}

/* sig_pipe_open - the self-pipe.  0, or -1 with errno. */
static int
sig_pipe_open(void)
{
	int fd[2];

	if (sig_pipe_make(fd) == -1)
		return -1;
	sig_pipe_r = fd[0];
	sig_pipe_w = fd[1];
	return 0;
}

/*
 * sig_init - set up the handlers for a role, and the master's self-pipe
 * (a worker's is made by sig_fd(), when it first waits on more than
 * accept(): most never do).  The master catches every signal of its
 * table.  A worker catches only QUIT (finish the connection, then exit)
 * and USR1 (reopen the logs when idle), and SIG_SHED when its service
 * sheds (shed.c installs that one); TERM keeps its default action (exit
 * now), and CHLD too, except while a handler waits for a program of its
 * own (sig_worker_child); the signals meant for the master are ignored,
 * so that a ^C on the terminal, which reaches the whole process group,
 * is the master's to act on.
 */
PF_START int
sig_init(int role)
{
	size_t i;

	if (role == SIG_ROLE_MASTER && sig_pipe_open() == -1)
		return -1;
	sig_set(SIGPIPE, SIG_IGN);
	if (role == SIG_ROLE_MASTER) {
		for (i = 0; i < SIG_TABLE_LEN; i++)
			if (sig_catch(sig_table[i].signo,
			    sig_table[i].signo == SIGCHLD) == -1)
				return -1;
		return 0;
	}
	sig_set(SIGTERM, SIG_DFL);
	for (i = 0; i < SIG_TABLE_LEN; i++)
		if (sig_table[i].signo != SIGTERM &&
		    sig_table[i].signo != SIGQUIT &&
		    sig_table[i].signo != SIGUSR1 &&
		    sig_table[i].signo != SIGCHLD)
			sig_set(sig_table[i].signo, SIG_IGN);
	sig_set(SIGCHLD, SIG_DFL);
	/*
	 * No SA_RESTART: a worker blocked in accept() must come out of it
	 * (EINTR) to see the flag.  Everything a worker does retries on
	 * EINTR (conn.c, the exec handler's waits).
	 */
	if (sig_catch(SIGQUIT, 0) == -1 || sig_catch(SIGUSR1, 0) == -1)
		return -1;
	sig_block(0);
	return 0;
}

/*
 * sig_worker_child - a worker that waits for a program of its own (the
 * exec handler's) turns this on (1) for the wait: CHLD then wakes the
 * self-pipe, and TERM, which otherwise ends a worker at once, only sets
 * SIGF_TERM and wakes it, so that the worker can stop the program's
 * process group before it goes.  Off (0): both back to their defaults; a
 * TERM that came meanwhile is still in SIGF_TERM, for the caller to act on.
 */
int
sig_worker_child(int on)
{
	if (!on) {
		sig_set(SIGTERM, SIG_DFL);
		sig_set(SIGCHLD, SIG_DFL);
		return 0;
	}
	sig_flags[SIGF_TERM] = 0;
	sig_flags[SIGF_CHLD] = 0;
	if (sig_catch(SIGTERM, 1) == -1 || sig_catch(SIGCHLD, 1) == -1) {
		sig_worker_child(0);
		return -1;
	}
	return 0;
}

/*
 * sig_block - block every signal (1) or none (0).  The master blocks them
 * around fork() so that a child never runs with the master's handlers or
 * with default actions before it has set up its own.
 */
PF_START void
sig_block(int block)
{
	sigset_t set;

	if (block)
		sigfillset(&set);
	else
		sigemptyset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);
}

/*
 * sig_fd - the read end of the self-pipe, readable when a signal came;
 * made here on the first call in a worker.  A signal that came before it
 * was made left only its flag, so the pipe is woken for any flag set.
 * -1 (errno set) when it cannot be made: a wait on it then ends only when
 * a signal interrupts it.
 */
int
sig_fd(void)
{
	size_t i;

	if (sig_pipe_r != -1)
		return sig_pipe_r;
	if (sig_pipe_open() == -1)
		return -1;
	for (i = 0; i < SIGF_COUNT; i++)
		if (sig_flags[i] != 0) {
			sig_wake();
			break;
		}
	return sig_pipe_r;
}

/* sig_drain - empty the self-pipe after poll said it is readable. */
void
sig_drain(void)
{
	char buf[64];

	if (sig_pipe_r == -1)
		return;
	while (read(sig_pipe_r, buf, sizeof(buf)) > 0)
		;
}

/* sig_take - the signal number behind flag, clearing it, or 0. */
PF_HOT int
sig_take(enum sig_flag flag)
{
	int signo = sig_flags[flag];

	if (signo != 0)
		sig_flags[flag] = 0;
	return signo;
}

/* sig_quit_requested - has a worker been asked to finish and exit? */
PF_HOT int
sig_quit_requested(void)
{
	return sig_flags[SIGF_QUIT] != 0;
}

/*
 * sig_default_all - every signal we touch back to its default action.
 * Writes no memory, so a vfork() child may call it before it execs.
 */
void
sig_default_all(void)
{
	size_t i;

	for (i = 0; i < SIG_TABLE_LEN; i++)
		sig_set(sig_table[i].signo, SIG_DFL);
	sig_set(SIGPIPE, SIG_DFL);
	sig_set(SIG_SHED, SIG_DFL);
}

/* sig_forget - in a freshly forked child: no pending flags, no self-pipe. */
PF_START static void
sig_forget(void)
{
	size_t i;

	for (i = 0; i < SIGF_COUNT; i++)
		sig_flags[i] = 0;
	close(sig_pipe_r);
	close(sig_pipe_w);
	sig_pipe_r = sig_pipe_w = -1;
}

/*
 * sig_reset_child - in a freshly forked child: default dispositions, no
 * pending flags, the parent's self-pipe closed.  Signals stay blocked until
 * the child has its own handlers (sig_init) or execs (sig_block(0)).
 */
void
sig_reset_child(void)
{
	sig_default_all();
	sig_forget();
}

/*
 * sig_reset_worker - sig_reset_child for a worker, which sets every
 * disposition of sig_table, and SIGPIPE's, itself (sig_init with
 * SIG_ROLE_WORKER, before its signals are unblocked): only SIG_SHED goes
 * back to its default here.  A dozen system calls fewer for each worker
 * started, of thousands.
 */
PF_START void
sig_reset_worker(void)
{
	sig_set(SIG_SHED, SIG_DFL);
	sig_forget();
}

/* sig_name - "SIGKILL" for 9; "signal 42" style names are the caller's. */
const char *
sig_name(int signo)
{
	size_t i;

	for (i = 0; i < sizeof(sig_names) / sizeof(sig_names[0]); i++)
		if (sig_names[i].signo == signo)
			return sig_names[i].name;
	return "unknown signal";
}
