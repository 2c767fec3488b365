/*
 * systemd-t.c - preforkd under an emulated systemd: the notification
 * socket (READY=1 with MAINPID= once serving, RELOADING=1 with
 * MONOTONIC_USEC= then READY=1 around a reload, MAINPID= from the new
 * master of an upgrade, STOPPING=1 from the main process when it stops),
 * socket activation (LISTEN_FDS: a passed socket that matches the config
 * is used and never shut down, one that matches nothing is closed with a
 * warning), and the shipped unit file.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../tap/basic.h"
#include "../tap/daemon.h"
#include "../tap/net.h"

#define NOTE_MAX	128

/* What the emulated service manager received: each datagram, its sender. */
static struct note {
	pid_t	 pid;		/* the sender (SCM_CREDENTIALS), 0 if unknown */
	char	 text[512];
} notes[NOTE_MAX];
static int nnotes;

/* notify_socket - a datagram socket bound at path, with credentials on. */
static int
notify_socket(const char *path)
{
	struct sockaddr_un sun;
	int fd, on = 1;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		bail("socket path too long: %s", path);
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		sysbail("notify socket %s", path);
	chmod(path, 0666);
#ifdef SO_PASSCRED
	setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on));
#else
	(void)on;
#endif
	return fd;
}

/* notify_take - receive what came within timeout_ms: how many notes. */
static int
notify_take(int fd, int timeout_ms)
{
	union {
		char buf[CMSG_SPACE(64)];
		struct cmsghdr align;
	} ctl;
	struct pollfd pfd;
	struct msghdr msg;
	struct cmsghdr *cm;
	struct iovec iov;
	struct note *n;
	ssize_t len;
	int got = 0;

	for (;;) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, got == 0 ? timeout_ms : 0) <= 0)
			return got;
		if (nnotes == NOTE_MAX)
			bail("too many notifications");
		n = &notes[nnotes];
		memset(n, 0, sizeof(*n));
		memset(&msg, 0, sizeof(msg));
		iov.iov_base = n->text;
		iov.iov_len = sizeof(n->text) - 1;
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = ctl.buf;
		msg.msg_controllen = sizeof(ctl.buf);
		len = recvmsg(fd, &msg, MSG_DONTWAIT);
		if (len < 0)
			return got;
		n->text[len] = '\0';
#ifdef SCM_CREDENTIALS
		for (cm = CMSG_FIRSTHDR(&msg); cm != NULL;
		    cm = CMSG_NXTHDR(&msg, cm))
			if (cm->cmsg_level == SOL_SOCKET &&
			    cm->cmsg_type == SCM_CREDENTIALS) {
				struct ucred uc;

				memcpy(&uc, CMSG_DATA(cm), sizeof(uc));
				n->pid = uc.pid;
			}
#else
		(void)cm;
#endif
		nnotes++;
		got++;
	}
}

/* has_line - whether note text holds the line "line" exactly. */
static int
has_line(const char *text, const char *line)
{
	size_t len = strlen(line);
	const char *p;

	for (p = text; (p = strstr(p, line)) != NULL; p += len)
		if ((p == text || p[-1] == '\n') &&
		    (p[len] == '\0' || p[len] == '\n'))
			return 1;
	return 0;
}

/*
 * notify_wait - the index of the first note from index from on holding the
 * line "line", receiving for up to timeout_ms; -1 when none came.
 */
static int
notify_wait(int fd, int from, const char *line, int timeout_ms)
{
	long deadline = pf_now_ms() + timeout_ms;
	int i, left;

	for (i = from;;) {
		for (; i < nnotes; i++)
			if (has_line(notes[i].text, line))
				return i;
		left = (int)(deadline - pf_now_ms());
		if (left <= 0)
			return -1;
		notify_take(fd, left < 50 ? left : 50);
	}
}

/* notes_show - every note so far, as diagnostics. */
static void
notes_show(void)
{
	char *p, *text;
	int i;

	for (i = 0; i < nnotes; i++) {
		text = strdup(notes[i].text);
		for (p = text; (p = strchr(p, '\n')) != NULL;)
			*p = ' ';
		diag("  note %d from pid %ld: %s", i, (long)notes[i].pid, text);
		free(text);
	}
}

/*
 * notes_states - the state each note announces, in order, as words
 * ("READY RELOADING ..."): "?" for a note with none, several joined by
 * "+".  A heap string.
 */
static char *
notes_states(void)
{
	static const char *const states[] = { "READY", "RELOADING",
	    "STOPPING" };
	char *out, *line, *tmp;
	size_t k;
	int i, n;

	out = tap_strdup_printf("%s", "");
	for (i = 0; i < nnotes; i++) {
		for (k = 0, n = 0; k < sizeof(states) / sizeof(states[0]);
		    k++) {
			line = tap_strdup_printf("%s=1", states[k]);
			if (has_line(notes[i].text, line)) {
				tmp = tap_strdup_printf("%s%s%s", out,
				    n > 0 ? "+" : i > 0 ? " " : "", states[k]);
				free(out);
				out = tmp;
				n++;
			}
			free(line);
		}
		if (n == 0) {
			tmp = tap_strdup_printf("%s%s?", out, i > 0 ? " " : "");
			free(out);
			out = tmp;
		}
	}
	return out;
}

static unsigned long long
mono_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000ULL;
}

/* notes_from - how many notes from from on came from pid and hold line. */
static int
notes_from(int from, pid_t pid, const char *line)
{
	int i, n = 0;

	for (i = from; i < nnotes; i++)
		if (notes[i].pid == pid && has_line(notes[i].text, line))
			n++;
	return n;
}

#define CONF_ECHO							\
	"services = ( { name = \"echo\"; handler = \"echo\"; workers = 2;\n" \
	"  listen = \"127.0.0.1:0\"; } );\n"

static void
test_notify(void)
{
	struct pf_daemon *d, *nd = NULL;
	char *path, *line, *p, *conf, *states;
	unsigned long long t0, t1, mono = 0;
	pid_t newpid;
	int fd, i, r, port, st = -1, mark, creds;

	diag("the notification socket");
	d = pf_prepare(CONF_ECHO);
	path = pf_path(d, "notify.sock");
	fd = notify_socket(path);
	setenv("NOTIFY_SOCKET", path, 1);
	pf_launch(d, NULL);
	unsetenv("NOTIFY_SOCKET");
	if (pf_wait_ready(d, 10000) < 0) {
		pf_show(d);
		bail("preforkd did not start");
	}
	port = pf_port(d, "echo", "tcp");

	i = notify_wait(fd, 0, "READY=1", 5000);
	ok(i >= 0, "READY=1 once serving");
	creds = i >= 0 && notes[i].pid != 0;
	line = tap_strdup_printf("MAINPID=%ld", (long)d->pid);
	ok(i >= 0 && has_line(notes[i].text, line), "with %s", line);
	free(line);
	if (creds)
		is_int(d->pid, notes[i].pid, "sent by the master");
	ok(pf_echo_tcp("127.0.0.1", port, "ready\n"), "and it serves");
	ok(i == 0 || notes_from(0, d->pid, "READY=1") == 1,
	    "nothing said READY=1 before");
	is_int(2, pf_wait_workers(d, 2, 5000), "2 workers");

	/* A reload: RELOADING=1 with the time, then READY=1 once serving. */
	mark = nnotes;
	t0 = mono_usec();
	pf_kill(d, SIGHUP);
	i = notify_wait(fd, mark, "RELOADING=1", 5000);
	t1 = mono_usec();
	ok(i >= 0, "HUP: RELOADING=1");
	if (i >= 0 && (p = strstr(notes[i].text, "MONOTONIC_USEC=")) != NULL)
		mono = strtoull(p + strlen("MONOTONIC_USEC="), NULL, 10);
	ok(mono >= t0 && mono <= t1, "with MONOTONIC_USEC= of the reload "
	    "(%llu, within %llu..%llu)", mono, t0, t1);
	r = i >= 0 ? notify_wait(fd, i + 1, "READY=1", 8000) : -1;
	ok(r > i, "then READY=1");
	ok(r > i && pf_log_wait(d, "reload: generation 2 is serving", 10),
	    "once the new generation serves");

	/* An invalid file: RELOADING=1, then READY=1 (the old one serves). */
	conf = pf_file(d->conf);
	pf_write_file(d->conf, "services = ( { name = \"echo\"; } );\n");
	mark = nnotes;
	pf_kill(d, SIGHUP);
	i = notify_wait(fd, mark, "RELOADING=1", 5000);
	r = i >= 0 ? notify_wait(fd, i + 1, "READY=1", 5000) : -1;
	ok(i >= 0 && r > i, "HUP with an invalid file: RELOADING=1, READY=1");
	ok(pf_log_wait(d, "reload failed: ", 10), "(the reload failed)");
	pf_write_file(d->conf, conf);
	free(conf);

	/* An upgrade: the new master says MAINPID= and READY=1. */
	mark = nnotes;
	pf_kill(d, SIGUSR2);
	newpid = pf_wait_pid_change(d->pid_file, d->pid, 10000);
	if (newpid > 0)
		nd = pf_adopt_new(d, newpid);
	line = tap_strdup_printf("MAINPID=%ld", (long)newpid);
	i = notify_wait(fd, mark, line, 5000);
	ok(newpid > 0 && i >= 0, "USR2: the new master says %s", line);
	free(line);
	ok(i >= 0 && has_line(notes[i].text, "READY=1"), "with READY=1");
	if (creds)
		ok(i >= 0 && notes[i].pid == newpid, "sent by the new master");
	ok(nd != NULL && pf_wait_workers(nd, 2, 5000) == 2,
	    "the new master has its workers");

	/*
	 * The old master retires: it is not the main process any more, and
	 * a STOPPING=1 from it would tell systemd (NotifyAccess=all) that the
	 * whole service is stopping.
	 */
	mark = nnotes;
	pf_kill(d, SIGWINCH);
	pf_kill(d, SIGQUIT);
	ok(pf_wait_exit(d, 10000, &st) == 0 && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 0, "WINCH and QUIT: the old master exits 0");
	notify_take(fd, 200);
	if (creds)
		is_int(0, notes_from(mark, d->pid, "STOPPING=1"),
		    "the retiring old master does not say STOPPING=1");
	else
		skip("no sender credentials on this system");
	ok(pf_echo_tcp("127.0.0.1", port, "new master\n"),
	    "the new master serves");

	/* The main process stops: STOPPING=1. */
	mark = nnotes;
	if (nd != NULL)
		pf_kill(nd, SIGQUIT);
	i = notify_wait(fd, mark, "STOPPING=1", 5000);
	ok(i >= 0, "QUIT to the new master: STOPPING=1");
	if (creds)
		ok(i >= 0 && notes[i].pid == newpid, "from the new master");
	ok(nd != NULL && pf_wait_exit(nd, 10000, NULL) == 0,
	    "the new master exits");
	/* Each note says one state, in the order of the steps above (every
	 * master has exited: what they sent is all queued). */
	notify_take(fd, 0);
	states = notes_states();
	if (!is_string("READY RELOADING READY RELOADING READY READY STOPPING",
	    states, "the %d notifications in all, in order", nnotes) ||
	    getenv("PF_NOTES"))
		notes_show();
	free(states);
	close(fd);
	unlink(path);
	free(path);
}

/* socket_inode - the inode of socket fd (what /proc/PID/fd links show). */
static unsigned long
socket_inode(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return 0;
	return (unsigned long)st.st_ino;
}

/* proc_has_socket - whether pid has an fd on the socket with inode ino. */
static int
proc_has_socket(pid_t pid, unsigned long ino, int *which)
{
	char dir[64], path[320], link[128], want[64];
	struct dirent *de;
	DIR *dp;
	ssize_t n;
	int found = 0;

	snprintf(dir, sizeof(dir), "/proc/%ld/fd", (long)pid);
	snprintf(want, sizeof(want), "socket:[%lu]", ino);
	if ((dp = opendir(dir)) == NULL)
		return -1;
	while (!found && (de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n < 0)
			continue;
		link[n] = '\0';
		if (strcmp(link, want) == 0) {
			found = 1;
			if (which != NULL)
				*which = atoi(de->d_name);
		}
	}
	closedir(dp);
	return found;
}

static void
test_activation(void)
{
	struct pf_daemon *d;
	char *conf, *needle;
	struct pollfd pfd;
	int l, stray, port = 0, sport = 0, fds[2], which = -1, st = -1, c, a, r;

	diag("socket activation");
	l = pf_tcp_listen("127.0.0.1", &port);
	stray = pf_tcp_listen("127.0.0.1", &sport);
	if (l < 0 || stray < 0)
		sysbail("listen");
	conf = tap_strdup_printf("services = ( { name = \"echo\"; handler = "
	    "\"echo\";\n  workers = 2; listen = \"127.0.0.1:%d\"; } );\n",
	    port);
	d = pf_prepare(conf);
	free(conf);
	fds[0] = l;
	fds[1] = stray;
	pf_launch_with(d, NULL, NULL, fds, 2, "echo:stray");
	if (pf_wait_ready(d, 10000) < 0) {
		pf_show(d);
		bail("preforkd did not start with LISTEN_FDS");
	}
	needle = tap_strdup_printf("service echo: listening on tcp "
	    "127.0.0.1:%d (fd 3", port);
	ok(pf_log_wait(d, needle, 2000), "log: %s...", needle);
	free(needle);
	r = proc_has_socket(d->pid, socket_inode(l), &which);
	ok(r == 1 && which == 3,
	    "the master's fd 3 is our socket (fd %d)", which);
	ok(pf_log_wait(d, "warning: socket fd 4 (stray) passed in LISTEN_FDS "
	    "matches no listen address of the config; closing it", 10),
	    "log: socket fd 4 (stray) ... matches no listen address ...");
	is_int(0, proc_has_socket(d->pid, socket_inode(stray), NULL),
	    "the master closed the stray socket");
	is_int(2, pf_wait_workers(d, 2, 5000), "2 workers");
	ok(pf_echo_tcp("127.0.0.1", port, "activated\n"),
	    "echo answers on the passed socket");

	pf_kill(d, SIGQUIT);
	ok(pf_wait_exit(d, 10000, &st) == 0 && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 0, "QUIT: preforkd exits 0");
	c = pf_tcp_connect("127.0.0.1", port);
	ok(c >= 0, "the passed socket still takes connections (it is "
	    "systemd's: not shut down)");
	pfd.fd = l;
	pfd.events = POLLIN;
	pfd.revents = 0;
	a = poll(&pfd, 1, 2000) == 1 ? accept(l, NULL, NULL) : -1;
	ok(a >= 0, "and our copy accepts the connection");
	if (a >= 0)
		close(a);
	if (c >= 0)
		close(c);

	close(stray);
	close(l);
}

/*
 * test_activation_term - a passed socket survives a fast stop too, and a
 * port-0 address in the config does not take a passed socket of another
 * service.
 */
static void
test_activation_term(void)
{
	struct pf_daemon *d;
	char *conf;
	int l, port = 0, c, st = -1;

	diag("socket activation and TERM");
	l = pf_tcp_listen("127.0.0.1", &port);
	if (l < 0)
		sysbail("listen");
	conf = tap_strdup_printf("services = ( { name = \"echo\"; handler = "
	    "\"echo\";\n  workers = 1; listen = \"127.0.0.1:%d\"; } );\n",
	    port);
	d = pf_prepare(conf);
	free(conf);
	pf_launch_with(d, NULL, NULL, &l, 1, NULL);
	if (pf_wait_ready(d, 10000) < 0) {
		pf_show(d);
		bail("preforkd did not start with LISTEN_FDS");
	}
	ok(pf_echo_tcp("127.0.0.1", port, "unnamed\n"),
	    "an unnamed passed socket serves");
	pf_kill(d, SIGTERM);
	ok(pf_wait_exit(d, 10000, &st) == 0 && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 0, "TERM: preforkd exits 0");
	c = pf_tcp_connect("127.0.0.1", port);
	ok(c >= 0, "the passed socket still takes connections");
	if (c >= 0)
		close(c);
	close(l);
}

/* unit_value - the value of "Key=" in the unit text, or NULL. */
static char *
unit_value(const char *text, const char *key)
{
	char *needle, *p, *end, *v = NULL;

	needle = tap_strdup_printf("\n%s=", key);
	if ((p = strstr(text, needle)) != NULL) {
		p += strlen(needle);
		end = strchr(p, '\n');
		v = strndup(p, end != NULL ? (size_t)(end - p) : strlen(p));
	}
	free(needle);
	return v;
}

static void
test_unit(void)
{
	const char *top = getenv("TOP_SRCDIR");
	char *path, *text, *v;

	diag("etc/preforkd.service.in");
	path = tap_strdup_printf("%s/etc/preforkd.service.in",
	    top != NULL ? top : "..");
	text = pf_file(path);
	if (text[0] == '\0') {
		skip("cannot read %s", path);
		free(text);
		free(path);
		return;
	}
	v = unit_value(text, "Type");
	is_string("notify", v, "Type=notify");
	free(v);
	v = unit_value(text, "NotifyAccess");
	is_string("all", v, "NotifyAccess=all (the new master of an upgrade "
	    "is not the process systemd started)");
	free(v);
	v = unit_value(text, "ExecStart");
	ok(v != NULL && strstr(v, "preforkd -f ") != NULL,
	    "ExecStart runs preforkd -f (Type=notify: no daemonizing)");
	free(v);
	v = unit_value(text, "ExecReload");
	ok(v != NULL && (strstr(v, "-s reload") != NULL ||
	    strstr(v, "kill -HUP $MAINPID") != NULL), "ExecReload reloads "
	    "(%s)", v != NULL ? v : "none");
	free(v);
	v = unit_value(text, "KillSignal");
	is_string("SIGQUIT", v, "KillSignal=SIGQUIT (graceful stop)");
	free(v);
	v = unit_value(text, "TimeoutStopSec");
	ok(v != NULL && atoi(v) > 30, "TimeoutStopSec=%s is longer than the "
	    "default shutdown_timeout of 30 s", v != NULL ? v : "none");
	free(v);
	v = unit_value(text, "TasksMax");
	is_string("infinity", v, "TasksMax=infinity (a reload of thousands "
	    "of workers runs two generations at once)");
	free(v);
	free(text);
	free(path);
}

int
main(void)
{
	plan_lazy();
	test_unit();
	test_notify();
	test_activation();
	test_activation_term();
	return 0;
}
