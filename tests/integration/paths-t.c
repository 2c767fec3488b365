/*
 * paths-t.c - what the root master shares with the other users of the
 * host, attacked by the workers' user (nobody) as issue 9 describes: a
 * unix socket file, the logs and the pid file in directories that nobody
 * can write (replaced with symbolic links to a file of root's, a FIFO,
 * a file of nobody's), a module that someone else could have written, and
 * the UDP port of a service (a second socket bound to it).  Each attack
 * must do no harm: root's file keeps its owner, mode and content, the
 * daemon says why it refused, and the service goes on serving.
 *
 * The attacked directories are owned by nobody and not sticky, inside a
 * fresh 0755 directory of root's: a sticky /tmp would hide the bugs
 * (fs.protected_symlinks).  Everything here needs root: run as anyone
 * else, the test fails.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap/basic.h"
#include "../tap/daemon.h"
#include "../tap/net.h"

#define SECRET		"root's secret: not for nobody\n"
#define WAIT_MS		10000

/* A service to start, for tests about what lies around it. */
#define ECHO1								\
	"services = ( { name = \"echo\"; handler = \"echo\";\n"		\
	"  workers = 1; listen = \"127.0.0.1:0\"; } );\n"

static char out[16384], err[16384];
static uid_t nobody_uid;
static gid_t nobody_gid;

/* ------------------------------------------------------------ helpers */

/* nobody_dir - DIR/name, a directory owned by nobody, 0755, not sticky. */
static char *
nobody_dir(struct pf_daemon *d, const char *name)
{
	char *path = pf_path(d, name);

	if (mkdir(path, 0755) < 0 || chown(path, nobody_uid, nobody_gid) < 0 ||
	    chmod(path, 0755) < 0)
		sysbail("cannot make %s nobody's", path);
	return path;
}

/*
 * root_secret - DIR/root/name: a file of root's, mode 0600, in a directory
 * of root's (0755) that nobody cannot write.
 */
static char *
root_secret(struct pf_daemon *d, const char *name)
{
	char *dir = pf_path(d, "root"), *path;
	int fd;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		sysbail("mkdir %s", dir);
	path = tap_strdup_printf("%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0 || write(fd, SECRET, strlen(SECRET)) !=
	    (ssize_t)strlen(SECRET) || fchmod(fd, 0600) < 0 || close(fd) < 0)
		sysbail("cannot write %s", path);
	free(dir);
	return path;
}

/* secret_intact - root's file as root_secret made it: 1, or 0 (diagnosed). */
static int
secret_intact(const char *path)
{
	struct stat st;
	char *text;
	int same;

	if (lstat(path, &st) < 0) {
		diag("lstat %s: %s", path, strerror(errno));
		return 0;
	}
	text = pf_file(path);
	same = strcmp(text, SECRET) == 0;
	free(text);
	if (!S_ISREG(st.st_mode) || st.st_uid != 0 || st.st_gid != 0 ||
	    (st.st_mode & 07777) != 0600 || !same) {
		diag("%s is now uid %ld gid %ld mode %04o, content %s", path,
		    (long)st.st_uid, (long)st.st_gid,
		    (unsigned)(st.st_mode & 07777), same ? "same" : "changed");
		return 0;
	}
	return 1;
}

/*
 * as_nobody - run fn(arg) in a child that is nobody for good: what it
 * returned (0, or an errno), or -1 when it could not become nobody.
 */
static int
as_nobody(int (*fn)(const void *), const void *arg)
{
	pid_t pid;
	int st;

	fflush(stdout);
	if ((pid = fork()) < 0)
		sysbail("fork");
	if (pid == 0) {
		if (setgroups(0, NULL) < 0 || setgid(nobody_gid) < 0 ||
		    setuid(nobody_uid) < 0)
			_exit(255);
		_exit(fn(arg) & 0xff);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
	    WEXITSTATUS(st) == 255)
		return -1;
	return WEXITSTATUS(st);
}

/* What nobody puts at a path, replacing what is there. */
struct plant {
	const char	*path;
	const char	*target;	/* a symbolic link to it, or NULL: */
	int		 fifo;		/*   a FIFO, or */
	const char	*text;		/*   a regular file with text */
};

/* plant - as nobody: put p's thing at p->path in one rename(). */
static int
plant(const void *arg)
{
	const struct plant *p = arg;
	char tmp[4096];
	int fd, rc = 0;

	snprintf(tmp, sizeof(tmp), "%s.planted", p->path);
	unlink(tmp);
	if (p->target != NULL)
		rc = symlink(p->target, tmp);
	else if (p->fifo)
		rc = mkfifo(tmp, 0666);
	else {
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd < 0 || write(fd, p->text, strlen(p->text)) < 0 ||
		    close(fd) < 0)
			rc = -1;
	}
	if (rc < 0 || rename(tmp, p->path) < 0)
		return errno;
	return 0;
}

/* plant_link - as nobody, replace path with a symbolic link to target. */
static int
plant_link(const char *path, const char *target)
{
	struct plant p = { path, target, 0, NULL };

	return as_nobody(plant, &p);
}

/*
 * conf_of - rewrite d's config: body (@DIR@ replaced) plus its pid file,
 * error log, debug level and user nobody, as pf_prepare adds them.
 */
static void
conf_of(struct pf_daemon *d, const char *body)
{
	char *text, *full;

	text = pf_subst(body, d->dir);
	full = tap_strdup_printf("%s\npid_file = \"%s\";\nerror_log = \"%s\";\n"
	    "log_level = \"debug\";\nuser = \"nobody\";\n", text, d->pid_file,
	    d->error_log);
	pf_write_file(d->conf, full);
	free(text);
	free(full);
}

/* start - launch d (prepared) with -f and wait until it is ready. */
static void
start(struct pf_daemon *d)
{
	pf_launch(d, NULL);
	if (pf_wait_ready(d, WAIT_MS) < 0) {
		pf_show(d);
		bail("preforkd did not start");
	}
}

/* reload - HUP, and wait for the line that ends the reload's work. */
static int
reload(struct pf_daemon *d, unsigned int generation)
{
	char *needle;
	int found;

	needle = tap_strdup_printf("reload: generation %u started", generation);
	pf_kill(d, SIGHUP);
	found = pf_log_wait(d, needle, WAIT_MS);
	if (!found)
		pf_show(d);
	free(needle);
	return found;
}

/* unix_echo - one line echoed over the unix socket at path. */
static int
unix_echo(const char *path, const char *msg)
{
	int fd, r;

	if ((fd = pf_unix_connect(path)) < 0) {
		diag("connect %s: %s", path, strerror(errno));
		return 0;
	}
	r = pf_echo_fd(fd, msg);
	close(fd);
	return r;
}

/* file_is - path is a regular file of uid with mode: 1, or 0 (diagnosed). */
static int
file_is(const char *path, uid_t uid, mode_t mode)
{
	struct stat st;

	if (lstat(path, &st) < 0) {
		diag("lstat %s: %s", path, strerror(errno));
		return 0;
	}
	if (!S_ISREG(st.st_mode) || st.st_uid != uid ||
	    (st.st_mode & 07777) != mode) {
		diag("%s: %s of uid %ld, mode %04o", path, S_ISREG(st.st_mode) ?
		    "a file" : "not a file", (long)st.st_uid,
		    (unsigned)(st.st_mode & 07777));
		return 0;
	}
	return 1;
}

/* ------------------------------------------- item 4: the unix socket */

/* socket_mode - the mode of the socket file at path, or -1. */
static int
socket_mode(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0 || !S_ISSOCK(st.st_mode))
		return -1;
	return (int)(st.st_mode & 07777);
}

#define UNIX_CONF(mode)							\
	"services = ( { name = \"echo\"; handler = \"echo\"; workers = 1;\n" \
	"  listen = \"unix:@DIR@/sock/echo.sock\"; unix_mode = \"" mode	\
	"\"; } );\n"

/*
 * test_unix_mode - the mode is right from the bind; a reload changes it
 * on the socket we bound; after nobody replaced the socket file with a
 * symbolic link to root's file, a reload that changes unix_mode refuses
 * (and says why) instead of chmod()ing root's file.
 */
static void
test_unix_mode(void)
{
	struct pf_daemon *d;
	char *sock, *secret, *needle;
	struct stat sb;
	int st;

	diag("unix_mode: the socket file replaced by a symbolic link");
	d = pf_prepare(UNIX_CONF("0660"));
	free(nobody_dir(d, "sock"));
	sock = pf_path(d, "sock/echo.sock");
	secret = root_secret(d, "secret");
	umask(0);	/* the bind's mode must not depend on ours */
	start(d);
	umask(022);
	is_int(0660, socket_mode(sock), "unix: bound with unix_mode 0660 at "
	    "once, whatever our umask (0)");
	ok(unix_echo(sock, "before\n"), "unix: echo over the socket");

	conf_of(d, UNIX_CONF("0600"));
	ok(reload(d, 2), "reload: unix_mode 0660 -> 0600 (log: reload: "
	    "generation 2 started)");
	is_int(0600, socket_mode(sock), "reload: the socket we bound is now "
	    "0600");
	ok(unix_echo(sock, "kept\n"), "reload: same socket, still echoes");

	is_int(0, plant_link(sock, secret), "nobody replaces the socket file "
	    "with a symbolic link to root's 0600 file");
	conf_of(d, UNIX_CONF("0666"));
	ok(reload(d, 3), "reload: unix_mode 0600 -> 0666 (log: reload: "
	    "generation 3 started)");
	ok(secret_intact(secret), "root's file is still root:root 0600, "
	    "unchanged");
	needle = tap_strdup_printf("warning: service echo: unix %s: unix_mode "
	    "0666 not applied: %s is no longer the socket preforkd bound: a "
	    "symbolic link is in its place (not followed; restart preforkd to "
	    "bind it again)", sock, sock);
	ok(pf_log_wait(d, needle, 10), "log: %s", needle);
	free(needle);

	st = pf_stop(d);
	ok(st != -1 && pf_exited_zero(st), "TERM: exits 0");
	ok(secret_intact(secret), "after the stop, root's file is intact");
	ok(lstat(sock, &sb) == 0 && S_ISLNK(sb.st_mode), "the stop left "
	    "nobody's link alone (not our socket)");
	free(sock);
	free(secret);
}

/* ----------------------------------------------------- item 5: logs */

#define LOG_CONF							\
	"services = ( { name = \"echo\"; handler = \"echo\"; workers = 2;\n" \
	"  listen = \"127.0.0.1:0\"; } );\n"				\
	"error_log = \"@DIR@/logs/error.log\";\n"			\
	"access_log = \"@DIR@/logs/access.log\";\n"

/* echo_ok - one TCP echo round trip on port. */
static int
echo_ok(int port, const char *msg)
{
	return pf_echo_tcp("127.0.0.1", port, msg);
}

/* count_lines - lines in the file at path. */
static int
count_lines(const char *path)
{
	char *text = pf_file(path);
	int n = pf_count(text, "\n");

	free(text);
	return n;
}

/* wait_lines - poll until path has n lines: 1, or 0 after WAIT_MS. */
static int
wait_lines(const char *path, int n)
{
	long deadline = pf_now_ms() + WAIT_MS;

	while (count_lines(path) < n) {
		if (pf_now_ms() >= deadline)
			return 0;
		pf_sleep_ms(10);
	}
	return 1;
}

/* wait_owned - poll until path is a regular file of uid: 1, or 0. */
static int
wait_owned(const char *path, uid_t uid)
{
	long deadline = pf_now_ms() + WAIT_MS;
	struct stat st;

	for (;;) {
		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		    st.st_uid == uid)
			return 1;
		if (pf_now_ms() >= deadline)
			return 0;
		pf_sleep_ms(10);
	}
}

/*
 * new_log_gets_lines - after a rotation: connections until one is logged
 * in the new access log at path (each worker moves to it once it has
 * handled USR1, which the master sends after creating it).  1, or 0 when
 * none was in WAIT_MS.
 */
static int
new_log_gets_lines(int port, const char *path)
{
	long deadline = pf_now_ms() + WAIT_MS;

	while (count_lines(path) == 0) {
		if (pf_now_ms() >= deadline || !echo_ok(port, "next\n"))
			return 0;
		pf_sleep_ms(20);
	}
	return 1;
}

/*
 * test_log_reopen - nobody replaces access.log and error.log with
 * symbolic links to root's files; USR1 (the master, then each worker,
 * reopens them): refused and logged, root's files untouched, the old logs
 * go on, the service serves.  A FIFO in their place does not block the
 * master.  Once the names are free again, USR1 creates new logs that the
 * workers may reopen (logrotate).
 */
static void
test_log_reopen(void)
{
	struct pf_daemon *d;
	char *logs, *elog, *alog, *ekeep, *akeep, *es, *as, *needle;
	struct plant fifo;
	int port, n, st;

	diag("logs: reopened after nobody replaced them by symbolic links");
	d = pf_prepare(LOG_CONF);
	logs = nobody_dir(d, "logs");
	elog = pf_path(d, "logs/error.log");
	alog = pf_path(d, "logs/access.log");
	ekeep = pf_path(d, "error.keep");
	akeep = pf_path(d, "access.keep");
	es = root_secret(d, "error-secret");
	as = root_secret(d, "access-secret");
	free(d->error_log);
	d->error_log = strdup(elog);
	start(d);
	port = pf_port(d, "echo", "tcp");
	is_int(2, pf_wait_workers(d, 2, WAIT_MS), "2 workers");
	ok(file_is(elog, nobody_uid, 0644) && file_is(alog, nobody_uid, 0644),
	    "the master created both logs and gave them to nobody");
	ok(echo_ok(port, "one\n") && wait_lines(alog, 1),
	    "a connection, an access log line");

	/* The logs' inodes stay reachable by us through these links. */
	if (link(elog, ekeep) < 0 || link(alog, akeep) < 0)
		sysbail("link");
	free(d->error_log);
	d->error_log = strdup(ekeep);
	ok(plant_link(alog, as) == 0 && plant_link(elog, es) == 0,
	    "nobody replaces access.log and error.log with symbolic links to "
	    "root's 0600 files");
	pf_kill(d, SIGUSR1);
	needle = tap_strdup_printf("preforkd[%ld]: error: cannot reopen the "
	    "error log %s: a symbolic link is in its place (not followed)",
	    (long)d->pid, elog);
	ok(pf_log_wait(d, needle, WAIT_MS), "log: %s", needle);
	free(needle);
	needle = tap_strdup_printf("preforkd[%ld]: error: cannot reopen the "
	    "access log %s: a symbolic link is in its place (not followed)",
	    (long)d->pid, alog);
	ok(pf_log_wait(d, needle, WAIT_MS), "log: %s", needle);
	free(needle);
	/*
	 * The workers do not open the names: they take the master's
	 * descriptors (logpass.c), still the old files.  Once both have,
	 * only the master has tried the link.
	 */
	is_int(2, pf_log_wait_count(d, "took the log files the master "
	    "reopened", 2, WAIT_MS), "both workers take the master's "
	    "descriptors");
	needle = tap_strdup_printf("error: cannot reopen the access log %s: "
	    "a symbolic link", alog);
	is_int(1, pf_log_count(d, needle), "only the master tried the access "
	    "log's name, and refused the link");
	free(needle);
	ok(secret_intact(es), "root's file behind error.log: still root:root "
	    "0600, unchanged");
	ok(secret_intact(as), "root's file behind access.log: still root:root "
	    "0600, unchanged");
	n = count_lines(akeep);
	ok(echo_ok(port, "two\n"), "the service still serves");
	ok(wait_lines(akeep, n + 1), "its line goes to the old access log");
	ok(secret_intact(as) && secret_intact(es), "and not to root's files");

	/* A FIFO that no one reads must not stop the master. */
	fifo.path = alog;
	fifo.target = NULL;
	fifo.fifo = 1;
	fifo.text = NULL;
	is_int(0, as_nobody(plant, &fifo), "nobody puts a FIFO in place of "
	    "access.log");
	pf_kill(d, SIGUSR1);
	needle = tap_strdup_printf("preforkd[%ld]: error: cannot reopen the "
	    "access log %s: not a regular file", (long)d->pid, alog);
	ok(pf_log_wait(d, needle, WAIT_MS), "log: %s", needle);
	free(needle);
	ok(echo_ok(port, "three\n"), "the master did not block: it serves");

	/* The names free again: a rotation works as before. */
	if (unlink(alog) < 0 || unlink(elog) < 0)
		sysbail("unlink");
	pf_kill(d, SIGUSR1);
	ok(wait_owned(alog, nobody_uid) && wait_owned(elog, nobody_uid),
	    "names free: USR1 creates new logs, given to nobody");
	free(d->error_log);
	d->error_log = strdup(elog);
	ok(new_log_gets_lines(port, alog), "the workers (nobody) reopen the "
	    "new access log: connections are logged there");
	st = pf_stop(d);
	ok(st != -1 && pf_exited_zero(st), "TERM: exits 0");
	free(logs);
	free(elog);
	free(alog);
	free(ekeep);
	free(akeep);
	free(es);
	free(as);
}

/* test_log_start - a log that is a symbolic link at start: refused. */
static void
test_log_start(void)
{
	struct pf_daemon *d;
	char *log, *secret, *want;
	int st;

	diag("logs: a symbolic link in place at start");
	d = pf_prepare(ECHO1
	    "error_log = \"@DIR@/logs/error.log\";\n");
	free(nobody_dir(d, "logs"));
	log = pf_path(d, "logs/error.log");
	secret = root_secret(d, "secret");
	is_int(0, plant_link(log, secret), "nobody puts a symbolic link to "
	    "root's file where the error log goes");
	pf_run2((const char *[]){ "-f", "-c", d->conf, NULL }, &st, out,
	    sizeof(out), err, sizeof(err));
	is_int(1, pf_exit_code(st), "preforkd refuses to start: exit 1");
	want = tap_strdup_printf("cannot open the error log %s: a symbolic "
	    "link is in its place (not followed)", log);
	like(err, want, "stderr: %s", want);
	free(want);
	ok(secret_intact(secret), "root's file is intact");
	free(log);
	free(secret);
}

/* ------------------------------------------------- item 8: pid file */

/* refused_pid_file - start with the pid file at path: 1 when refused. */
static int
refused_pid_file(struct pf_daemon *d, const char *want)
{
	long t0 = pf_now_ms();
	int st;

	pf_run2((const char *[]){ "-f", "-c", d->conf, NULL }, &st, out,
	    sizeof(out), err, sizeof(err));
	if (pf_exit_code(st) != 1 || strstr(err, want) == NULL) {
		diag("exit %d, stderr: %s", pf_exit_code(st), err);
		return 0;
	}
	if (pf_now_ms() - t0 > 5000) {
		diag("it took %ld ms", pf_now_ms() - t0);
		return 0;
	}
	return 1;
}

/*
 * test_pid_file - in a directory nobody can write: a symbolic link to
 * root's file, a FIFO, a file of nobody's where the pid file goes.  Each
 * one is refused at start with the path and the reason, and exit 1.
 */
static void
test_pid_file(void)
{
	struct pf_daemon *d;
	struct plant p;
	char *pid, *secret, *want;

	diag("pid file: what nobody put in its place");
	d = pf_prepare(ECHO1
	    "pid_file = \"@DIR@/run/preforkd.pid\";\n"
	    "error_log = \"stderr\";\n");
	free(nobody_dir(d, "run"));
	pid = pf_path(d, "run/preforkd.pid");
	free(d->pid_file);
	d->pid_file = strdup(pid);
	secret = root_secret(d, "secret");

	is_int(0, plant_link(pid, secret), "nobody puts a symbolic link to "
	    "root's file where the pid file goes");
	want = tap_strdup_printf("error: cannot open pid file %s: a symbolic "
	    "link is in its place (not followed)", pid);
	ok(refused_pid_file(d, want), "a link: exit 1, %s", want);
	free(want);
	ok(secret_intact(secret), "root's file is intact (not truncated, no "
	    "pid written)");

	memset(&p, 0, sizeof(p));
	p.path = pid;
	p.fifo = 1;
	is_int(0, as_nobody(plant, &p), "nobody puts a FIFO there");
	want = tap_strdup_printf("error: cannot open pid file %s: not a "
	    "regular file", pid);
	ok(refused_pid_file(d, want), "a FIFO: exit 1 at once, %s", want);
	free(want);

	p.fifo = 0;
	p.text = "1\n";
	is_int(0, as_nobody(plant, &p), "nobody puts a file of its own there");
	want = tap_strdup_printf("error: cannot use pid file %s: it belongs to "
	    "uid %ld, not to us (uid 0)", pid, (long)nobody_uid);
	ok(refused_pid_file(d, want), "nobody's file: exit 1, %s", want);
	free(want);
	free(pid);
	free(secret);
}

/* A process of nobody's that holds a lock on its own pid file. */
struct holder {
	const char	*path;
	pid_t		 victim;
	int		 ready;		/* write end: one byte once locked */
};

static int
hold_lock(const void *arg)
{
	const struct holder *h = arg;
	char buf[32];
	int fd, n;

	fd = open(h->path, O_RDWR | O_CREAT | O_EXCL, 0644);
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)h->victim);
	if (fd < 0 || write(fd, buf, (size_t)n) != n ||
	    flock(fd, LOCK_EX) < 0 || write(h->ready, "x", 1) != 1)
		return errno;
	for (;;)
		pause();
}

/*
 * test_pid_file_ctl - "preforkd -s stop" as root believes only a pid
 * file that root (or the caller) owns: nobody's file, locked by nobody
 * and naming a process of root's, gets no signal sent to that process.
 */
static void
test_pid_file_ctl(void)
{
	struct pf_daemon *d;
	struct holder h;
	pid_t victim, holder;
	int pfd[2], st;
	char c, *want;

	diag("pid file: -s stop with a pid file of nobody's");
	d = pf_prepare(ECHO1
	    "pid_file = \"@DIR@/run/preforkd.pid\";\n");
	free(nobody_dir(d, "run"));
	free(d->pid_file);
	d->pid_file = pf_path(d, "run/preforkd.pid");
	if ((victim = fork()) < 0)
		sysbail("fork");
	if (victim == 0) {
		setsid();
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		for (;;)
			pause();
	}
	if (pipe(pfd) < 0)
		sysbail("pipe");
	h.path = d->pid_file;
	h.victim = victim;
	h.ready = pfd[1];
	fflush(stdout);
	if ((holder = fork()) < 0)
		sysbail("fork");
	if (holder == 0) {
		close(pfd[0]);
		if (setgroups(0, NULL) < 0 || setgid(nobody_gid) < 0 ||
		    setuid(nobody_uid) < 0)
			_exit(255);
		_exit(hold_lock(&h));
	}
	close(pfd[1]);
	ok(read(pfd[0], &c, 1) == 1, "nobody writes root's process %ld in a "
	    "pid file of its own and locks it", (long)victim);
	close(pfd[0]);
	pf_run2((const char *[]){ "-c", d->conf, "-s", "stop", NULL }, &st,
	    out, sizeof(out), err, sizeof(err));
	is_int(1, pf_exit_code(st), "-s stop: exit 1");
	want = tap_strdup_printf("preforkd: not trusting pid file %s: it "
	    "belongs to uid %ld with mode 0644", d->pid_file, (long)nobody_uid);
	like(err, want, "-s stop: %s", want);
	free(want);
	ok(pf_proc_alive(victim), "root's process got no signal: it lives");
	kill(holder, SIGKILL);
	kill(victim, SIGKILL);
	waitpid(victim, NULL, 0);
	waitpid(holder, NULL, 0);
}

/*
 * test_pid_oldbin - USR2 renames the pid file to pid_file.oldbin, where
 * nobody put a symbolic link to root's file: the link is replaced, not
 * followed.
 */
static void
test_pid_oldbin(void)
{
	struct pf_daemon *d, *nd;
	char *pid, *oldbin, *secret;
	pid_t old, newpid;
	int st;

	diag("pid file: a symbolic link at pid_file.oldbin during USR2");
	d = pf_prepare(ECHO1
	    "pid_file = \"@DIR@/run/preforkd.pid\";\n");
	free(nobody_dir(d, "run"));
	pid = pf_path(d, "run/preforkd.pid");
	free(d->pid_file);
	d->pid_file = strdup(pid);
	oldbin = tap_strdup_printf("%s.oldbin", pid);
	secret = root_secret(d, "secret");
	start(d);
	old = d->pid;
	ok(file_is(pid, 0, 0644), "the pid file in nobody's directory is "
	    "root's, 0644");
	is_int(0, plant_link(oldbin, secret), "nobody puts a symbolic link to "
	    "root's file at pid_file.oldbin");
	pf_kill(d, SIGUSR2);
	newpid = pf_wait_pid_change(pid, old, WAIT_MS);
	ok(newpid > 0, "USR2: a new master %ld", (long)newpid);
	if (newpid <= 0) {
		pf_show(d);
		bail("no new master");
	}
	nd = pf_adopt_new(d, newpid);
	ok(file_is(oldbin, 0, 0644) && pf_read_pid_file(oldbin) == old,
	    "pid_file.oldbin is our pid file, renamed over the link");
	ok(secret_intact(secret), "root's file is intact");
	pf_kill(d, SIGQUIT);
	ok(pf_wait_exit(d, WAIT_MS, &st) == 0 && pf_exited_zero(st),
	    "QUIT: the old master exits 0");
	pf_kill(nd, SIGTERM);
	ok(pf_wait_exit(nd, WAIT_MS, NULL) == 0, "TERM: the new master exits");
	ok(secret_intact(secret), "root's file is still intact");
	free(pid);
	free(oldbin);
	free(secret);
}

/* --------------------------------------------------- item 11: modules */

/* copy_module - testmod.so to path, owned by uid, with mode. */
static void
copy_module(const char *path, uid_t uid, mode_t mode)
{
	const char *top = getenv("TOP_BUILDDIR");
	char *src, buf[65536];
	ssize_t n;
	int in, fd;

	src = tap_strdup_printf("%s/tests/modules/testmod.so",
	    top != NULL ? top : ".");
	in = open(src, O_RDONLY);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (in < 0 || fd < 0)
		sysbail("copy %s to %s", src, path);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(fd, buf, (size_t)n) != n)
			sysbail("write %s", path);
	if (n < 0 || fchown(fd, uid, uid == 0 ? 0 : nobody_gid) < 0 ||
	    fchmod(fd, mode) < 0 || close(fd) < 0)
		sysbail("copy to %s", path);
	close(in);
	free(src);
}

/* make_link - dir/name, made a symbolic link to target. */
static char *
make_link(const char *dir, const char *name, const char *target)
{
	char *path = tap_strdup_printf("%s/%s", dir, name);

	if (symlink(target, path) < 0)
		sysbail("symlink %s", path);
	return path;
}

/*
 * check_module - preforkd -t with the module at path: want NULL for
 * "configuration OK" (exit 0), else exit 78 and FILE:3: ... want.
 */
static void
check_module(struct pf_daemon *d, const char *path, const char *want,
    const char *what)
{
	char *text, *w;
	int st;

	text = tap_strdup_printf("services = ( { name = \"m\";\n"
	    "  listen = \"127.0.0.1:0\"; handler = \"module\";\n"
	    "  module = { path = \"%s\"; settings = { word = \"w\"; }; }; "
	    "} );\n", path);
	conf_of(d, text);
	free(text);
	pf_run2((const char *[]){ "-t", "-c", d->conf, NULL }, &st, out,
	    sizeof(out), err, sizeof(err));
	if (want == NULL) {
		is_int(0, pf_exit_code(st), "%s: -t exits 0", what);
		w = tap_strdup_printf("%s: configuration OK", d->conf);
		like(out, w, "%s: %s", what, w);
	} else {
		is_int(78, pf_exit_code(st), "%s: -t exits 78", what);
		w = tap_strdup_printf("%s:3: services.[0].module.path: cannot "
		    "load \"%s\": %s", d->conf, path, want);
		like(err, w, "%s: %s", what, w);
	}
	free(w);
}

#define MODULE_WHY "; a module runs in the master as root, so the file " \
	"and every directory above it must be writable by root only"

/*
 * test_module - a module is loaded (as root, in the master) only from a
 * file and directories that only root can write; a sticky root-owned
 * directory (as /tmp) counts as root's.
 */
static void
test_module(void)
{
	const struct {
		const char	*name;
		uid_t		 uid;
		mode_t		 mode;
		const char	*what;
	} bad[] = {
		{ "ww.so", 0, 0666, "a world-writable file (0666)" },
		{ "gw.so", 0, 0775, "a group-writable file (0775)" },
		{ "nobodys.so", nobody_uid, 0755, "a file of nobody's (0755)" },
	};
	struct pf_daemon *d;
	char *mods, *nob, *path, *want, *sticky;
	size_t i;

	diag("modules: who could have written the file");
	d = pf_prepare(ECHO1);
	mods = pf_path(d, "mods");
	if (mkdir(mods, 0755) < 0 || chmod(mods, 0755) < 0)
		sysbail("mkdir %s", mods);
	nob = nobody_dir(d, "nobody");

	path = tap_strdup_printf("%s/ok.so", mods);
	copy_module(path, 0, 0755);
	check_module(d, path, NULL, "root's 0755 file in root's 0755 "
	    "directory");
	free(path);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		path = tap_strdup_printf("%s/%s", mods, bad[i].name);
		copy_module(path, bad[i].uid, bad[i].mode);
		want = bad[i].uid != 0 ? tap_strdup_printf("the file %s belongs "
		    "to uid %ld, not to root" MODULE_WHY, path, (long)bad[i].uid) :
		    tap_strdup_printf("the file %s is writable by %s (mode %04o)"
		    MODULE_WHY, path, bad[i].mode & S_IWOTH ? "everyone" :
		    "its group", (unsigned)bad[i].mode);
		check_module(d, path, want, bad[i].what);
		free(want);
		free(path);
	}

	path = tap_strdup_printf("%s/m.so", nob);
	copy_module(path, 0, 0755);
	want = tap_strdup_printf("the directory %s belongs to uid %ld, not to "
	    "root" MODULE_WHY, nob, (long)nobody_uid);
	check_module(d, path, want, "root's file in nobody's directory");
	free(path);

	/* A link from a safe place into nobody's directory: followed. */
	path = make_link(mods, "link.so", "../nobody/m.so");
	check_module(d, path, want, "a link into nobody's directory");
	free(want);
	free(path);
	path = make_link(mods, "good-link.so", "ok.so");
	check_module(d, path, NULL, "a link to root's file beside it");
	free(path);

	/* Sticky and root's, as /tmp: others add files, replace none. */
	sticky = pf_path(d, "sticky");
	if (mkdir(sticky, 0755) < 0 || chmod(sticky, 01777) < 0)
		sysbail("mkdir %s", sticky);
	path = tap_strdup_printf("%s/ok.so", sticky);
	copy_module(path, 0, 0755);
	check_module(d, path, NULL, "root's file in a sticky 1777 directory "
	    "of root's");
	free(path);
	if (chmod(sticky, 0777) < 0)
		sysbail("chmod %s", sticky);
	path = tap_strdup_printf("%s/ok.so", sticky);
	want = tap_strdup_printf("the directory %s is writable by everyone "
	    "(mode 0777)" MODULE_WHY, sticky);
	check_module(d, path, want, "the same without the sticky bit (0777)");
	free(want);
	free(path);
	free(sticky);
	free(mods);
	free(nob);
}

/* ---------------------------------------------- item 9: the UDP port */

struct bind_try {
	const char	*host;
	int		 port;
};

/* udp_bind - as the attacker: SO_REUSEADDR, bind: 0 or the errno. */
static int
udp_bind(const void *arg)
{
	const struct bind_try *b = arg;
	struct sockaddr_in sin;
	int fd, on = 1;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)b->port);
	inet_pton(AF_INET, b->host, &sin.sin_addr);
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0)
		return errno;
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		return errno;
	close(fd);
	return 0;
}

/* hijack_fails - nobody's bind on host:port fails with EADDRINUSE. */
static int
hijack_fails(const char *host, int port)
{
	struct bind_try b = { host, port };
	int rc = as_nobody(udp_bind, &b);

	if (rc != EADDRINUSE)
		diag("nobody's bind %s:%d: %s", host, port,
		    rc == 0 ? "succeeded" : strerror(rc));
	return rc == EADDRINUSE;
}

/* udp_echo - one datagram echoed by the service on port. */
static int
udp_echo(int port)
{
	char buf[64];
	ssize_t n;

	n = pf_udp_request("127.0.0.1", port, "ping", 4, buf, sizeof(buf),
	    3000);
	return n == 4 && memcmp(buf, "ping", 4) == 0;
}

/*
 * test_udp_hijack - as nobody, a UDP socket with SO_REUSEADDR cannot bind
 * the address and port of a UDP service (on its address, nor on
 * 0.0.0.0), before and after a reload, which keeps the socket.
 */
static void
test_udp_hijack(void)
{
	struct pf_daemon *d;
	struct bind_try b = { "127.0.0.1", 0 };
	char *needle;
	int port, st;

	diag("UDP: a second socket on the service's port");
	d = pf_prepare("services = ( { name = \"echo\"; handler = \"echo\";\n"
	    "  workers = 1; listen = [ \"udp://127.0.0.1:0\", "
	    "\"127.0.0.1:0\" ]; } );\n");
	start(d);
	port = pf_port(d, "echo", "udp");
	ok(port > 0 && udp_echo(port), "udp echo on port %d", port);
	is_int(0, as_nobody(udp_bind, &b), "(nobody may bind a UDP socket "
	    "with SO_REUSEADDR on a free port)");
	ok(hijack_fails("127.0.0.1", port), "nobody cannot bind 127.0.0.1:%d "
	    "too (EADDRINUSE)", port);
	ok(hijack_fails("0.0.0.0", port), "nor 0.0.0.0:%d", port);
	ok(udp_echo(port), "the service answers");

	conf_of(d, "services = ( { name = \"echo\"; handler = \"echo\";\n"
	    "  workers = 2; listen = [ \"udp://127.0.0.1:0\", "
	    "\"127.0.0.1:0\" ]; } );\n");
	ok(reload(d, 2), "reload (log: reload: generation 2 started)");
	needle = tap_strdup_printf("service echo: listening on udp "
	    "127.0.0.1:%d (fd ", port);
	is_int(2, pf_log_count(d, needle), "the reload kept the UDP socket "
	    "(port %d)", port);
	free(needle);
	ok(hijack_fails("127.0.0.1", port), "after the reload, nobody still "
	    "cannot bind it");
	ok(udp_echo(port), "the service answers");
	st = pf_stop(d);
	ok(st != -1 && pf_exited_zero(st), "TERM: exits 0");
}

int
main(void)
{
	struct passwd *pw;

	plan_lazy();
	umask(022);
	if (geteuid() != 0) {
		ok(0, "paths-t plays the workers' user against a root master: "
		    "it must run as root (it runs as uid %ld)",
		    (long)geteuid());
		return 1;
	}
	if ((pw = getpwnam("nobody")) == NULL) {
		ok(0, "paths-t needs the user nobody");
		return 1;
	}
	nobody_uid = pw->pw_uid;
	nobody_gid = pw->pw_gid;
	test_unix_mode();
	test_log_reopen();
	test_log_start();
	test_pid_file();
	test_pid_file_ctl();
	test_pid_oldbin();
	test_module();
	test_udp_hijack();
	return 0;
}
