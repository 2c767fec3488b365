/*
 * haproxy.c - a real HAProxy for the integration tests (see haproxy.h):
 * its directory and config, its start in the foreground as our child, the
 * stats socket as the one way to see what it decided (a server's status,
 * its weight as the agent set it), and its stop by pid.  Every wait is a
 * bounded poll of that socket.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic.h"
#include "daemon.h"
#include "harness.h"
#include "haproxy.h"
#include "net.h"

#define PF_HAPROXY_BIN		"/usr/sbin/haproxy"
#define PF_HAPROXY_MAX		8	/* at once in one test */
#define PF_HAPROXY_CMD_MS	5000	/* one stats socket command */
#define PF_HAPROXY_SHOW		60	/* lines of its log on a failure */

static struct pf_haproxy *pf_haproxies[PF_HAPROXY_MAX];
static int		  pf_nhaproxies;

/*
 * pf_haproxy_cleanup - the harness's cleanup hook: KILL every haproxy
 * still running (by the pid we forked), show its log when the test failed,
 * remove its directory.  Safe from the safety net's signal handler too
 * (report 0: nothing shown).
 */
static void
pf_haproxy_cleanup(int report)
{
	struct pf_haproxy *h;
	int i, st;

	for (i = 0; i < pf_nhaproxies; i++) {
		h = pf_haproxies[i];
		if (h->pid > 0) {
			kill(h->pid, SIGKILL);
			if (pf_reap_bounded(h->pid, 2000, &st) == 0)
				h->status = st;
			h->pid = 0;
		}
		if (report && tap_failures() > 0)
			pf_haproxy_show(h, PF_HAPROXY_SHOW);
		if (getenv("PF_KEEP") == NULL)
			pf_rm_tree(h->dir);
		else if (report)
			diag("kept %s", h->dir);
	}
}

/* pf_haproxy_new - a registered pf_haproxy with its directory and config. */
static struct pf_haproxy *
pf_haproxy_new(const char *sections)
{
	struct pf_haproxy *h;
	const char *tmp;
	char *text, *full;

	if (pf_nhaproxies == 0)
		pf_at_cleanup(pf_haproxy_cleanup);
	if (pf_nhaproxies >= PF_HAPROXY_MAX)
		bail("too many haproxy instances in one test");
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		sysbail("calloc");
	tmp = getenv("TMPDIR");
	if (tmp == NULL || tmp[0] != '/' || strlen(tmp) > 60)
		tmp = "/tmp";
	h->dir = tap_strdup_printf("%s/haproxy-test.XXXXXX", tmp);
	if (mkdtemp(h->dir) == NULL)
		sysbail("mkdtemp %s", h->dir);
	chmod(h->dir, 0755);
	h->cfg = tap_strdup_printf("%s/haproxy.cfg", h->dir);
	h->sock = tap_strdup_printf("%s/stats.sock", h->dir);
	h->log = tap_strdup_printf("%s/haproxy.log", h->dir);
	pf_haproxies[pf_nhaproxies++] = h;

	text = pf_subst(sections, h->dir);
	full = tap_strdup_printf(
	    "global\n"
	    "    stats socket %s level admin\n"
	    "    maxconn 4096\n"
	    "\n"
	    "defaults\n"
	    "    mode tcp\n"
	    "    timeout connect 5s\n"
	    "    timeout client 60s\n"
	    "    timeout server 60s\n"
	    "\n"
	    "%s\n", h->sock, text);
	pf_write_file(h->cfg, full);
	free(text);
	free(full);
	return h;
}

/* pf_haproxy_exited - whether our child h has exited (reaped if so). */
static int
pf_haproxy_exited(struct pf_haproxy *h)
{
	int st;

	if (h->pid <= 0)
		return 1;
	if (waitpid(h->pid, &st, WNOHANG) == h->pid) {
		h->status = st;
		h->pid = 0;
		return 1;
	}
	return 0;
}

struct pf_haproxy *
pf_haproxy_start(const char *sections, int timeout_ms)
{
	struct pf_haproxy *h;
	const char *bin;
	long deadline;
	char *info;
	pid_t pid;
	int fd;

	bin = getenv("HAPROXY");
	if (bin == NULL || bin[0] == '\0')
		bin = PF_HAPROXY_BIN;
	if (access(bin, X_OK) < 0)
		sysbail("haproxy %s (Debian package haproxy; .ci/run "
		    "installs it)", bin);
	h = pf_haproxy_new(sections);
	pid = pf_fork_child();
	if (pid == 0) {
#ifdef __linux__
		/* Not one haproxy left behind by a test that died. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != pf_test_pid)
			_exit(127);
#endif
		fd = open(h->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			if (fd > 2)
				close(fd);
		}
		pf_close_range(3, 1024);
		execl(bin, bin, "-db", "-f", h->cfg, (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid);
	h->pid = pid;
	deadline = pf_now_ms() + timeout_ms;
	for (;;) {
		info = pf_haproxy_cmd(h, "show info");
		if (info != NULL && strstr(info, "Pid:") != NULL) {
			free(info);
			return h;
		}
		free(info);
		if (pf_haproxy_exited(h)) {
			pf_haproxy_show(h, 0);
			bail("haproxy exited (status 0x%x) before it was ready; "
			    "config %s", h->status, h->cfg);
		}
		if (pf_now_ms() >= deadline) {
			pf_haproxy_show(h, 0);
			bail("haproxy (pid %ld) did not answer on %s in %d ms",
			    (long)h->pid, h->sock, timeout_ms);
		}
		pf_sleep_ms(PF_STEP_MS);
	}
}

char *
pf_haproxy_cmd(struct pf_haproxy *h, const char *cmd)
{
	size_t len = 0, cap = 65536;
	char *out;
	ssize_t n;
	int fd, saved;

	fd = pf_unix_connect(h->sock);
	if (fd < 0)
		return NULL;
	if (pf_write_all(fd, cmd, strlen(cmd)) < 0 ||
	    pf_write_all(fd, "\n", 1) < 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return NULL;
	}
	out = malloc(cap);
	if (out == NULL)
		sysbail("malloc");
	/* Not interactive: it answers and closes, EOF ends the answer. */
	for (;;) {
		if (len + 1 >= cap) {
			cap *= 2;
			out = realloc(out, cap);
			if (out == NULL)
				sysbail("realloc");
		}
		n = pf_read_all(fd, out + len, cap - len - 1,
		    PF_HAPROXY_CMD_MS);
		if (n < 0) {
			saved = errno;
			close(fd);
			free(out);
			errno = saved;
			return NULL;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	out[len] = '\0';
	return out;
}

/* pf_haproxy_csv_col - the n-th comma-separated field of line (up to its
 * end of line), copied into out. */
static void
pf_haproxy_csv_col(const char *line, int n, char *out, size_t outlen)
{
	const char *p = line, *e;
	size_t l;

	while (n-- > 0) {
		p = strpbrk(p, ",\n");
		if (p == NULL || *p == '\n') {
			out[0] = '\0';
			return;
		}
		p++;
	}
	e = strpbrk(p, ",\n");
	l = e != NULL ? (size_t)(e - p) : strlen(p);
	if (l >= outlen)
		l = outlen - 1;
	memcpy(out, p, l);
	out[l] = '\0';
}

/* pf_haproxy_col_index - the index of the column named field in the header
 * line of `show stat` ("# pxname,svname,..."), -1 when absent. */
static int
pf_haproxy_col_index(const char *stat, const char *field)
{
	char name[64];
	int i;

	if (strncmp(stat, "# ", 2) != 0)
		return -1;
	for (i = 0; i < 512; i++) {
		pf_haproxy_csv_col(stat + 2, i, name, sizeof(name));
		if (name[0] == '\0')
			return -1;
		if (strcmp(name, field) == 0)
			return i;
	}
	return -1;
}

/* pf_haproxy_line - the line of stat for backend/server, NULL if none. */
static const char *
pf_haproxy_line(const char *stat, const char *backend, const char *server)
{
	size_t bl = strlen(backend), sl = strlen(server);
	const char *p;

	for (p = stat; p != NULL && *p != '\0'; p = strchr(p, '\n'),
	    p = p != NULL ? p + 1 : NULL)
		if (strncmp(p, backend, bl) == 0 && p[bl] == ',' &&
		    strncmp(p + bl + 1, server, sl) == 0 && p[bl + 1 + sl] == ',')
			return p;
	return NULL;
}

/* pf_haproxy_get - field of backend/server in stat, into out: 0 or -1. */
static int
pf_haproxy_get(const char *stat, const char *backend, const char *server,
    const char *field, char *out, size_t outlen)
{
	const char *line;
	int col;

	col = pf_haproxy_col_index(stat, field);
	line = pf_haproxy_line(stat, backend, server);
	if (col < 0 || line == NULL)
		return -1;
	pf_haproxy_csv_col(line, col, out, outlen);
	return 0;
}

char *
pf_haproxy_field(struct pf_haproxy *h, const char *backend,
    const char *server, const char *field)
{
	char *stat, buf[1024];
	int r;

	stat = pf_haproxy_cmd(h, "show stat");
	if (stat == NULL)
		return NULL;
	r = pf_haproxy_get(stat, backend, server, field, buf, sizeof(buf));
	free(stat);
	return r == 0 ? strdup(buf) : NULL;
}

int
pf_haproxy_server(struct pf_haproxy *h, const char *backend,
    const char *server, struct pf_haproxy_srv *s)
{
	char *stat, num[32];
	int r = 0;

	memset(s, 0, sizeof(*s));
	stat = pf_haproxy_cmd(h, "show stat");
	if (stat == NULL)
		return -1;
	r |= pf_haproxy_get(stat, backend, server, "status", s->status,
	    sizeof(s->status));
	r |= pf_haproxy_get(stat, backend, server, "weight", num, sizeof(num));
	s->weight = atoi(num);
	r |= pf_haproxy_get(stat, backend, server, "stot", num, sizeof(num));
	s->stot = atol(num);
	r |= pf_haproxy_get(stat, backend, server, "scur", num, sizeof(num));
	s->scur = atol(num);
	r |= pf_haproxy_get(stat, backend, server, "check_status",
	    s->check_status, sizeof(s->check_status));
	r |= pf_haproxy_get(stat, backend, server, "agent_status",
	    s->agent_status, sizeof(s->agent_status));
	free(stat);
	return r == 0 ? 0 : -1;
}

long
pf_haproxy_wait_status(struct pf_haproxy *h, const char *backend,
    const char *server, const char *want, int timeout_ms)
{
	struct pf_haproxy_srv s;
	long start = pf_now_ms();

	for (;;) {
		if (pf_haproxy_server(h, backend, server, &s) == 0 &&
		    strcmp(s.status, want) == 0)
			return pf_now_ms() - start;
		if (pf_now_ms() - start >= timeout_ms) {
			diag("%s/%s: status \"%s\" (check %s, agent %s), not "
			    "\"%s\", after %d ms", backend, server, s.status,
			    s.check_status, s.agent_status, want, timeout_ms);
			return -1;
		}
		pf_sleep_ms(PF_STEP_MS);
	}
}

int
pf_haproxy_wait_weight(struct pf_haproxy *h, const char *backend,
    const char *server, int lo, int hi, int timeout_ms)
{
	struct pf_haproxy_srv s;
	long deadline = pf_now_ms() + timeout_ms;

	for (;;) {
		if (pf_haproxy_server(h, backend, server, &s) == 0 &&
		    s.weight >= lo && s.weight <= hi)
			return s.weight;
		if (pf_now_ms() >= deadline) {
			diag("%s/%s: weight %d (status %s, agent %s), not in "
			    "[%d, %d], after %d ms", backend, server, s.weight,
			    s.status, s.agent_status, lo, hi, timeout_ms);
			return -1;
		}
		pf_sleep_ms(PF_STEP_MS);
	}
}

/*
 * pf_haproxy_stop - USR1 (its soft stop: exit 0 once its connections are
 * done), TERM after 5 s, KILL after 5 s more: its wait status.
 */
int
pf_haproxy_stop(struct pf_haproxy *h)
{
	static const int sigs[3] = { SIGUSR1, SIGTERM, SIGKILL };
	int i, st = -1;

	if (h->pid <= 0)
		return h->status;
	for (i = 0; i < 3; i++) {
		if (i > 0)
			diag("haproxy (pid %ld) still running 5 s after "
			    "signal %d: sending %d", (long)h->pid, sigs[i - 1],
			    sigs[i]);
		kill(h->pid, sigs[i]);
		if (pf_reap_bounded(h->pid, 5000, &st) == 0)
			break;
		st = -1;
	}
	h->pid = 0;
	h->status = st;
	return st;
}

void
pf_haproxy_show(struct pf_haproxy *h, int max)
{
	char *text, *line, *save = NULL;
	int n, skip;

	text = pf_file(h->log);
	n = pf_count(text, "\n");
	skip = max > 0 && n > max ? n - max : 0;
	diag("---- haproxy log (%s)%s:", h->log,
	    skip > 0 ? ", its last lines" : "");
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		if (skip-- <= 0)
			diag("  %s", line);
	free(text);
}
