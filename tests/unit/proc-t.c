/*
 * proc-t.c - unit tests of the master's trust boundary: src/proc.c (the
 * private process table, the one checked kill, the descendant-group
 * check) and scoreboard_read() in src/scoreboard.c (a slot as untrusted
 * input).  And a look through the sources: no file that runs in the
 * master sends a signal but proc.c.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preforkd.h"
#include "../tap/basic.h"
#include "../tap/daemon.h"

/* ------------------------------------------------------ processes to use */

/* spawn_sleeper - a child that sleeps; with own_group, leading its group. */
static pid_t
spawn_sleeper(int own_group)
{
	pid_t pid = fork();

	if (pid == -1)
		sysbail("fork");
	if (pid == 0) {
		if (own_group)
			setpgid(0, 0);
		for (;;)
			pause();
	}
	if (own_group)
		setpgid(pid, pid);	/* as the child does: no race */
	return pid;
}

/* sleeper_group - spawn_sleeper() leading a group of its own. */
static pid_t
sleeper_group(void)
{
	return spawn_sleeper(1);
}

/* sleeper_session - a child that sleeps in a session of its own. */
static pid_t
sleeper_session(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		setsid();
		for (;;)
			pause();
	}
	return pid;
}

/*
 * spawn_parent - a child of ours that starts a process of its own with
 * make (so that process's parent is not us), reports its pid in
 * *grandchild, and sleeps.  With sleeper_group it stands in for a worker
 * whose program runs in its own group, as the exec handler's does; with
 * sleeper_session, for any process that is not ours to command.
 */
static pid_t
spawn_parent(pid_t (*make)(void), pid_t *grandchild)
{
	int p[2];
	pid_t pid, g;

	if (pipe(p) == -1)
		sysbail("pipe");
	if ((pid = fork()) == -1)
		sysbail("fork");
	if (pid == 0) {
		close(p[0]);
		g = make();
		if (write(p[1], &g, sizeof(g)) != (ssize_t)sizeof(g))
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	if (read(p[0], grandchild, sizeof(*grandchild)) !=
	    (ssize_t)sizeof(*grandchild))
		bail("no pid from the child");
	close(p[0]);
	return pid;
}

static void
reap(pid_t pid)
{
	if (pid > 1) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}

/* -------------------------------------------------------- the proc table */

static void
test_kill(void)
{
	struct proctab t;
	struct proc *p, *q, outside;
	pid_t child;
	int status;

	if (proc_init(&t, 8) == -1)
		sysbail("proc_init");
	p = proc_alloc(&t);
	q = proc_alloc(&t);
	ok(p != NULL && q != NULL && p != q && proc_index(&t, p) == 0 &&
	    proc_index(&t, q) == 1, "two entries, slots 0 and 1");

	/* Never a pid <= 1, never ourselves, never what is not in the table. */
	errno = 0;
	p->pid = 0;
	ok(proc_kill(&t, p, 0) == -1 && errno == EPERM,
	    "pid 0 (a whole process group) is refused");
	p->pid = 1;
	ok(proc_kill(&t, p, 0) == -1 && errno == EPERM, "pid 1 is refused");
	p->pid = -1;
	ok(proc_kill(&t, p, 0) == -1 && errno == EPERM,
	    "pid -1 (every process) is refused");
	p->pid = -12345;
	ok(proc_kill(&t, p, 0) == -1 && errno == EPERM,
	    "a negative pid (a process group) is refused");
	p->pid = getpid();
	ok(proc_kill(&t, p, 0) == -1 && errno == EPERM,
	    "the master itself is refused");
	memset(&outside, 0, sizeof(outside));
	outside.pid = spawn_sleeper(0);
	ok(proc_kill(&t, &outside, SIGTERM) == -1 && errno == EPERM,
	    "an entry that is not in the table is refused");
	ok(proc_kill(&t, NULL, SIGTERM) == -1 && errno == EPERM,
	    "no entry is refused");
	ok(proc_kill(&t, &t.procs[5], SIGTERM) == -1 && errno == EPERM,
	    "an entry beyond the ones in use is refused");
	ok(waitpid(outside.pid, &status, WNOHANG) == 0,
	    "and that process got no signal");

	/* A live worker of ours: signalled. */
	child = spawn_sleeper(0);
	p->pid = 0;
	proc_set_pid(&t, p, child);
	ok(proc_find(&t, child) == p, "proc_find finds the worker by pid");
	ok(proc_find(&t, 0) == NULL && proc_find(&t, -1) == NULL,
	    "proc_find never matches pid 0 or -1");
	ok(proc_kill(&t, p, SIGTERM) == 0, "a live worker is signalled");
	ok(waitpid(child, &status, 0) == child && WIFSIGNALED(status) &&
	    WTERMSIG(status) == SIGTERM, "and it got the signal");
	is_int(1, proc_live(&t) + (q->pid == 0 ? 0 : 1), "one live entry");
	proc_release(&t, p);
	ok(p->pid == 0 && !p->reserved, "released: free again");
	ok(proc_find(&t, child) == NULL && proc_live(&t) == 0,
	    "and no longer found by its pid");
	ok(proc_alloc(&t) == p, "a released entry is reused first");
	reap(outside.pid);
	proc_free(&t);
}

/*
 * test_hash - thousands of entries found by pid (runs of pids, and pids
 * that collide in the hash), released in a scrambled order and reused:
 * every live one is still found, every released one is not, and the
 * live count and the entries in use stay exact.
 */
static void
test_hash(void)
{
	enum { N = 5000 };
	static struct proc *e[N];
	static pid_t pids[N];
	struct proctab t;
	size_t i, k, found = 0, gone = 0, fresh = 0;

	if (proc_init(&t, N) == -1)
		sysbail("proc_init");
	for (i = 0; i < N; i++) {
		/* A run, then pids that all share their low bits. */
		pids[i] = i < N / 2 ? (pid_t)(1000 + i) :
		    (pid_t)(100000 + (i - N / 2) * 4096);
		if ((e[i] = proc_alloc(&t)) == NULL)
			bail("proc_alloc %zu", i);
		proc_set_pid(&t, e[i], pids[i]);
	}
	ok(proc_alloc(&t) == NULL && errno == ENOSPC,
	    "a full table says ENOSPC");
	is_int(N, proc_live(&t), "%d live", N);
	/* Release every third, in a scrambled order. */
	for (k = 0; k < N; k++) {
		i = (k * 7919) % N;
		if (i % 3 == 0) {
			proc_release(&t, e[i]);
			e[i] = NULL;
		}
	}
	for (i = 0; i < N; i++) {
		if (e[i] != NULL)
			found += proc_find(&t, pids[i]) == e[i];
		else
			gone += proc_find(&t, pids[i]) == NULL;
	}
	is_int(N - (N + 2) / 3, (long long)found,
	    "every live entry is found by its pid");
	is_int((N + 2) / 3, (long long)gone, "no released one is");
	is_int(N - (N + 2) / 3, proc_live(&t), "the live count follows");
	/* The freed entries are reused before the table grows. */
	for (i = 0; i < N; i++) {
		if (e[i] != NULL)
			continue;
		if ((e[i] = proc_alloc(&t)) == NULL)
			break;
		pids[i] = (pid_t)(500000 + i);
		proc_set_pid(&t, e[i], pids[i]);
		fresh++;
	}
	is_int((N + 2) / 3, (long long)fresh, "released entries are reused");
	is_int(N, (long long)proc_used(&t),
	    "the table did not grow past its %d", N);
	for (i = 0, found = 0; i < N; i++)
		found += proc_find(&t, pids[i]) == e[i];
	is_int(N, (long long)found, "all %d found again", N);
	proc_free(&t);
}

static void
test_stat_parse(void)
{
	pid_t ppid = 0, pgrp = 0;

	ok(proc_stat_parse("123 (sh) S 45 67 67 0 -1", &ppid, &pgrp) == 0 &&
	    ppid == 45 && pgrp == 67, "stat: parent 45, group 67");
	ok(proc_stat_parse("123 (a) b) 9 (x) S 4 5 6", &ppid, &pgrp) == 0 &&
	    ppid == 4 && pgrp == 5,
	    "stat: a name with ') ' and digits is skipped whole");
	ok(proc_stat_parse("123 sh S 45 67", &ppid, &pgrp) == -1,
	    "stat: no parentheses: refused");
	ok(proc_stat_parse("123 (sh) S -3 67", &ppid, &pgrp) == -1,
	    "stat: a negative parent: refused");
	ok(proc_stat_parse("123 (sh)", &ppid, &pgrp) == -1,
	    "stat: cut short: refused");
}

static void
test_groups(void)
{
	struct proctab t;
	struct proc *w;
	pid_t worker, grandchild, stray, foreign, middle, ours;
	int status;

	if (proc_init(&t, 8) == -1)
		sysbail("proc_init");
	w = proc_alloc(&t);
	worker = spawn_parent(sleeper_group, &grandchild);
	proc_set_pid(&t, w, worker);
	middle = spawn_parent(sleeper_session, &foreign);
	stray = spawn_sleeper(0);	/* ours, but in our own group */
	ours = spawn_sleeper(1);	/* ours, leading a group */

	ok(proc_group_ok(&t, w, grandchild),
	    "the group led by the worker's own child is the worker's");
	ok(!proc_group_ok(&t, w, foreign),
	    "a group led by a process that is not ours is refused");
	ok(proc_kill_group(&t, w, foreign, SIGTERM) == -1 && errno == EPERM,
	    "and proc_kill_group refuses to signal it");
	ok(!proc_group_ok(&t, w, getpgrp()),
	    "the group we run in (led by someone else) is refused");
	ok(!proc_group_ok(&t, w, worker),
	    "a worker of ours (no descendant of a worker) is refused");
	ok(!proc_group_ok(&t, w, stray),
	    "a pid that leads no group is refused");
	ok(!proc_group_ok(&t, w, 1) && !proc_group_ok(&t, w, 0) &&
	    !proc_group_ok(&t, w, -1) && !proc_group_ok(&t, w, getpid()),
	    "groups 1, 0, -1 and our own pid are refused");
	t.successor = ours;
	ok(!proc_group_ok(&t, w, ours),
	    "the new master of an upgrade is refused");
	t.successor = 0;
	ok(proc_group_ok(&t, w, ours),
	    "an orphan that came back to us and leads its group is taken");
	ok(proc_kill_group(&t, w, grandchild, SIGKILL) == 0,
	    "the worker's descendants' group is signalled");
	reap(ours);
	ok(!proc_group_ok(&t, w, ours) && proc_kill_group(&t, w, ours,
	    SIGKILL) == -1, "a group whose leader is gone (its id free for "
	    "reuse) is refused");
	ok(kill(foreign, 0) == 0 && waitpid(middle, &status, WNOHANG) == 0,
	    "the foreign process is alive and untouched");

	reap(worker);
	reap(stray);
	kill(foreign, SIGKILL);
	reap(middle);
	proc_free(&t);
}

/* ------------------------------------------------ a slot as untrusted input */

static void
test_read(void)
{
	struct slot slot;
	struct slot_report r;
	struct sockaddr_in *sin;
	const int64_t now = 1000000;
	static const struct {
		const char *what;
		int field, value;
	} bad[] = {
		{ "state free (no live worker writes it)", 0, SLOT_FREE },
		{ "state -1", 0, -1 },
		{ "state past the last one", 0, SLOT_STATES },
		{ "state huge", 0, 0x7fffffff },
		{ "protocol -1", 1, -1 },
		{ "protocol 99", 1, 99 },
		{ "local address longer than its buffer", 2, 100000 },
		{ "remote address longer than its buffer", 3, -1 },
		{ "process group -5", 4, -5 },
		{ "process group 1 (init)", 4, 1 },
		{ "exec time in the future", 5, 1 },
		{ "connection start in the future", 6, 1 },
		{ "connection start negative", 6, -1 },
	};
	size_t i;
	int rc;

	memset(&slot, 0, sizeof(slot));
	slot.state = SLOT_BUSY;
	slot.count[CTR_SERVED] = 7;
	slot.busy_since = now - 5;
	slot.proto = PROTO_TCP;
	sin = (struct sockaddr_in *)&slot.remote;
	sin->sin_family = AF_INET;
	sin->sin_port = htons(5000);
	sin->sin_addr.s_addr = htonl(0x7f000001);
	slot.remotelen = sizeof(*sin);
	ok(scoreboard_read(&slot, now, &r) == 0 && r.bad == NULL &&
	    r.state == SLOT_BUSY && r.count[CTR_SERVED] == 7 && r.remotelen ==
	    sizeof(*sin) && memcmp(&r.remote, sin, sizeof(*sin)) == 0,
	    "an honest slot reads as it is");

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct slot s = slot;

		switch (bad[i].field) {
		case 0: s.state = bad[i].value; break;
		case 1: s.proto = bad[i].value; break;
		case 2: s.locallen = (socklen_t)bad[i].value; break;
		case 3: s.remotelen = (socklen_t)bad[i].value; break;
		case 4: s.group = bad[i].value; break;
		case 5: s.exec_at = now + 3600 * 1000; break;
		case 6: s.busy_since = bad[i].value > 0 ? now + 3600 * 1000 :
			    -1; break;
		}
		r.bad = NULL;
		rc = scoreboard_read(&s, now, &r);
		ok(rc == -1 && r.bad != NULL &&
		    r.state == SLOT_STARTING && r.locallen == 0 &&
		    r.remotelen == 0 && r.group == 0,
		    "inconsistent: %s (%s), made harmless", bad[i].what,
		    r.bad ? r.bad : "not noticed");
	}
	ok(scoreboard_add(UINT64_MAX - 1, 5) == UINT64_MAX &&
	    scoreboard_add(2, 3) == 5 && scoreboard_add(UINT64_MAX,
	    UINT64_MAX) == UINT64_MAX, "counters add up and saturate");
	ok(strcmp(scoreboard_state_name(-1), "?") == 0 &&
	    strcmp(scoreboard_state_name(SLOT_STATES), "?") == 0 &&
	    strcmp(scoreboard_state_name(SLOT_PAUSED), "paused") == 0,
	    "state names are bounds-checked");
}

/* ------------------------------------------------- no other kill() in master */

/* strip - the C text without comments, string and character literals. */
static void
strip(char *s)
{
	char *r = s, *w = s, q;

	while (*r != '\0') {
		if (r[0] == '/' && r[1] == '*') {
			if ((r = strstr(r + 2, "*/")) == NULL)
				break;
			r += 2;
			*w++ = ' ';
		} else if (r[0] == '/' && r[1] == '/') {
			while (*r != '\0' && *r != '\n')
				r++;
		} else if (*r == '"' || *r == '\'') {
			q = *r++;
			while (*r != '\0' && *r != q) {
				if (*r == '\\' && r[1] != '\0')
					r++;
				r++;
			}
			if (*r != '\0')
				r++;
			*w++ = '0';
		} else
			*w++ = *r++;
	}
	*w = '\0';
}

/* signal_calls - calls that send a signal in file path, but kill(X, 0). */
static int
signal_calls(const char *path, char *where, size_t wlen)
{
	static const char *const names[] = {
		"kill", "killpg", "sigqueue", "tgkill", "tkill",
		"pidfd_send_signal", "raise",
	};
	char *text, *p, *open, *close_;
	size_t i, n, depth;
	int found = 0;

	if ((text = pf_file(path)) == NULL)
		sysbail("read %s", path);
	strip(text);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		n = strlen(names[i]);
		for (p = text; (p = strstr(p, names[i])) != NULL; p += n) {
			if ((p > text && (isalnum((unsigned char)p[-1]) ||
			    p[-1] == '_')) || isalnum((unsigned char)p[n]) ||
			    p[n] == '_')
				continue;
			open = p + n;
			while (*open == ' ' || *open == '\t')
				open++;
			if (*open != '(')
				continue;
			/* kill(pid, 0) only asks whether pid exists. */
			for (close_ = open + 1, depth = 1; *close_ != '\0' &&
			    depth > 0; close_++)
				depth += *close_ == '(' ? 1 :
				    *close_ == ')' ? -1 : 0;
			if (strcmp(names[i], "kill") == 0 && close_ - open > 4 &&
			    strncmp(close_ - 4, ", 0)", 4) == 0)
				continue;
			snprintf(where, wlen, "%s: %.*s", path,
			    (int)(close_ - p), p);
			found++;
		}
	}
	free(text);
	return found;
}

static void
test_no_other_kill(void)
{
	/* Files whose code never runs in the master. */
	static const char *const elsewhere[] = {
		"proc.c",	/* the checked function itself */
		"ctl.c",	/* the command line: preforkd -s */
		"worker.c", "conn.c",	/* workers */
	};
	const char *top = getenv("TOP_SRCDIR");
	char dirpath[2048], path[4096], where[512];
	const char *sub[] = { "src", "src/handlers" };
	struct dirent *e;
	size_t i, k, len;
	int skip, bad = 0, files = 0;
	DIR *dir;

	if (top == NULL)
		top = ".";
	for (k = 0; k < 2; k++) {
		snprintf(dirpath, sizeof(dirpath), "%s/%s", top, sub[k]);
		if ((dir = opendir(dirpath)) == NULL)
			sysbail("opendir %s", dirpath);
		while ((e = readdir(dir)) != NULL) {
			len = strlen(e->d_name);
			if (len < 3 || strcmp(e->d_name + len - 2, ".c") != 0)
				continue;
			/* handlers/ run in workers (exec.c's program groups). */
			skip = k == 1;
			for (i = 0; i < sizeof(elsewhere) /
			    sizeof(elsewhere[0]); i++)
				if (k == 0 && strcmp(e->d_name, elsewhere[i]) == 0)
					skip = 1;
			if (skip)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dirpath,
			    e->d_name);
			files++;
			if (signal_calls(path, where, sizeof(where)) > 0) {
				diag("a signal sent outside proc.c: %s", where);
				bad++;
			}
		}
		closedir(dir);
	}
	ok(files >= 15, "looked at the master's %d source files", files);
	is_int(0, bad, "no file of the master sends a signal but proc.c");
	snprintf(path, sizeof(path), "%s/src/proc.c", top);
	is_int(1, signal_calls(path, where, sizeof(where)),
	    "proc.c calls kill() once: in proc_send(), behind the checks");
}

int
main(void)
{
	plan_lazy();
	test_kill();
	test_hash();
	test_stat_parse();
	test_groups();
	test_read();
	test_no_other_kill();
	return 0;
}
