/*
 * fleet-t.c - three preforkd "hosts" (three daemons, each with its own
 * config, pid file, logs and loopback address: 127.0.0.11, .12, .13) behind
 * one real HAProxy, as README "Running a fleet" sets them up: balance
 * roundrobin, every server `weight 100 send-proxy-v2 check agent-check`.
 * Clients loop through HAProxy while each host is upgraded in turn with
 * `preforkd -s upgrade`, then reloaded with a changed config: not one
 * request fails, and HAProxy never even had to retry a connection.  A host
 * whose pool is saturated by slow clients says so through its agent, HAProxy
 * shows the lower weight, and new connections shift to the other hosts.
 * Then one host's master and workers are KILLed: only the requests in
 * flight on it fail, HAProxy takes it out within fall x inter of its checks
 * and back in once it is started again.
 *
 * Why zero failures is not luck: preforkd's reload and upgrade never close
 * a listening socket (the new generation, or the new master, serves from
 * the very same socket, and connections waiting in its backlog are taken by
 * the new workers), so a connect from HAProxy cannot be refused at any
 * moment of them.  The config has `retries 3` and `option redispatch 1`
 * because a host can die (the KILL below), and those would hide a refused
 * connection; so the test also reads HAProxy's own counters of failed and
 * retried connections (econ, wretr, wredis): 0 across the upgrades and
 * reloads.  The agent's `drain` during an upgrade is a courtesy to the
 * clients, not what the zero rests on.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap/basic.h"
#include "../tap/daemon.h"
#include "../tap/haproxy.h"
#include "../tap/net.h"

#define HOSTS		3
#define LOOPS		3	/* client loops through HAProxy, one
				 * connection in flight each */
#define WORKERS		4	/* echo workers per host, then 3 (reload) */
#define LOOP_MAX_REQ	200000	/* a loop's bounds, whatever happens */
#define LOOP_MAX_MS	240000
#define FAILS_KEPT	64
#define WAIT_MS		30000	/* any bounded wait */
#define INTER_MS	200	/* HAProxy's check inter and agent-inter */
#define FALL		2
/*
 * Slack over fall x inter for HAProxy to see the dead host: its first
 * failing check can start up to one inter after the kill (the check timer
 * is not reset by a kill), each check then needs a connect that is refused
 * at once on loopback, and our poll of the stats socket adds its own step;
 * the rest is the scheduler of a shared, loaded 2-core machine, where a
 * process may wait a second or more for a CPU.  fall x inter is 400 ms.
 */
#define DOWN_SLACK_MS	(INTER_MS + 3000)
#define CLIENT_ADDR	"127.0.0.2"	/* the looping clients' address */
#define SLOW_ADDR	"127.0.0.3"	/* the slow clients' balancer */

static const char *host_addr[HOSTS] = {
	"127.0.0.11", "127.0.0.12", "127.0.0.13"
};

struct host {
	struct pf_daemon	*d;
	const char		*addr;
	int			 port;		/* echo, behind PROXY v2 */
	int			 agent_port;
	char			 name[8];	/* "h1".. in HAProxy */
};

/* What the looping clients share with the test (a MAP_SHARED page). */
struct fail_rec {
	long	start_ms;	/* when the failed request began */
	int	err;		/* its errno */
	char	what[12];	/* "connect", "write", "read", "mismatch" */
};
struct loops {
	volatile int	stop;
	volatile long	ok[LOOPS];
	volatile long	fail[LOOPS];
	struct fail_rec	fails[LOOPS][FAILS_KEPT];
	pid_t		pid[LOOPS];
};

static struct host	 hosts[HOSTS];
static struct loops	*lp;
static int		 fe_port;

/* addr_port - a port free on addr now (bound, read back, closed). */
static int
addr_port(const char *addr)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd, one = 1, port;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	inet_pton(AF_INET, addr, &sin.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		sysbail("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) < 0)
		sysbail("bind %s:0", addr);
	port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

/*
 * connect_from - a TCP connection from src (port 0) to dst:port, with
 * PF_NET_TIMEOUT_MS on its reads and writes: the fd, or -1 with errno.
 */
static int
connect_from(const char *src, const char *dst, int port)
{
	struct sockaddr_in sa;
	struct timeval tv;
	int fd, saved;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	tv.tv_sec = PF_NET_TIMEOUT_MS / 1000;
	tv.tv_usec = 0;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	inet_pton(AF_INET, src, &sa.sin_addr);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail;
	sa.sin_port = htons((unsigned short)port);
	inet_pton(AF_INET, dst, &sa.sin_addr);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail;
	return fd;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

/* host_conf - host i's config with w echo workers (all of it: it is
 * written again for a reload). */
static char *
host_conf(int i, int w)
{
	struct host *h = &hosts[i];

	return tap_strdup_printf(
	    "user = \"nobody\";\n"
	    "pid_file = \"@DIR@/preforkd.pid\";\n"
	    "error_log = \"@DIR@/error.log\";\n"
	    "log_level = \"info\";\n"
	    "control_socket = \"@DIR@/ctl.sock\";\n"
	    "access_log = \"@DIR@/access.log\";\n"
	    "services = (\n"
	    "  { name = \"echo\"; handler = \"echo\"; workers = %d;\n"
	    "    listen = [ \"%s:%d\" ]; io_timeout = 120;\n"
	    "    proxy_protocol = \"v2\"; proxy_from = [ \"127.0.0.0/8\" ]; },\n"
	    "  { name = \"agent\"; handler = \"agent\"; workers = 2;\n"
	    "    listen = [ \"%s:%d\" ];\n"
	    "    agent = { services = [ \"echo\" ]; min_weight = 10; }; }\n"
	    ");\n", w, h->addr, h->port, h->addr, h->agent_port);
}

/* host_run - start host i with its config (no -f: it daemonizes), adopt
 * the master from its pid file: 1 when it runs. */
static int
host_run(int i)
{
	struct host *h = &hosts[i];
	char out[4096], err[4096];
	pid_t pid;
	int st = -1;

	pf_run2((const char *[]){ "-c", h->d->conf, NULL }, &st, out,
	    sizeof(out), err, sizeof(err));
	pid = pf_read_pid_file(h->d->pid_file);
	if (pid > 0)
		pf_adopt(h->d, pid);
	if (pf_exit_code(st) != 0 || pid <= 0) {
		diag("starting host %s: exit %d: %s", h->addr,
		    pf_exit_code(st), err);
		return 0;
	}
	return pf_wait_workers(h->d, WORKERS + 2, WAIT_MS) >= WORKERS + 2;
}

/* host_ctl - "preforkd -s what -c CONF" for host i: exit code, stdout. */
static int
host_ctl(int i, const char *what, char *out, size_t outlen)
{
	char err[4096];
	int st = -1;

	pf_run2((const char *[]){ "-s", what, "-c", hosts[i].d->conf, NULL },
	    &st, out, outlen, err, sizeof(err));
	if (pf_exit_code(st) != 0)
		diag("host %s: -s %s: exit %d: %s", hosts[i].addr, what,
		    pf_exit_code(st), err);
	return pf_exit_code(st);
}

/* proxy_v2 - a PROXY v2 header for TCP4 src:sport -> dst:dport in buf
 * (28 bytes): its length. */
static size_t
proxy_v2(unsigned char *buf, const char *src, int sport, const char *dst,
    int dport)
{
	static const unsigned char sig[12] = {
		0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49,
		0x54, 0x0a
	};
	struct in_addr a;

	memcpy(buf, sig, 12);
	buf[12] = 0x21;			/* v2, PROXY */
	buf[13] = 0x11;			/* AF_INET, STREAM */
	buf[14] = 0;
	buf[15] = 12;
	inet_pton(AF_INET, src, &a);
	memcpy(buf + 16, &a, 4);
	inet_pton(AF_INET, dst, &a);
	memcpy(buf + 20, &a, 4);
	buf[24] = (unsigned char)(sport >> 8);
	buf[25] = (unsigned char)sport;
	buf[26] = (unsigned char)(dport >> 8);
	buf[27] = (unsigned char)dport;
	return 28;
}

/*
 * request - one connection through HAProxy from CLIENT_ADDR, one echo
 * round trip: 0, or -1 with *what and errno saying which step failed.
 */
static int
request(long n, const char **what)
{
	char msg[64], buf[64];
	size_t len;
	ssize_t got;
	int fd, saved;

	len = (size_t)snprintf(msg, sizeof(msg), "request %ld\n", n);
	*what = "connect";
	fd = connect_from(CLIENT_ADDR, "127.0.0.1", fe_port);
	if (fd < 0)
		return -1;
	*what = "write";
	if (pf_write_all(fd, msg, len) < 0)
		goto fail;
	*what = "read";
	got = pf_read_n(fd, buf, len, 20000);
	if (got < 0)
		goto fail;
	if (got != (ssize_t)len || memcmp(buf, msg, len) != 0) {
		*what = got == 0 ? "eof" : "mismatch";
		errno = got == 0 ? ECONNRESET : EPROTO;
		goto fail;
	}
	close(fd);
	return 0;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

/* loop_main - client loop k: requests until told to stop or its bounds. */
static void
loop_main(int k)
{
	long start = pf_now_ms(), t, n;
	struct fail_rec *f;
	const char *what;

	for (n = 0; !lp->stop && n < LOOP_MAX_REQ &&
	    pf_now_ms() - start < LOOP_MAX_MS; n++) {
		t = pf_now_ms();
		if (request(n, &what) == 0) {
			lp->ok[k]++;
			continue;
		}
		if (lp->fail[k] < FAILS_KEPT) {
			f = &lp->fails[k][lp->fail[k]];
			f->start_ms = t;
			f->err = errno;
			snprintf(f->what, sizeof(f->what), "%s", what);
		}
		lp->fail[k]++;
	}
	_exit(0);
}

/* loops_start - LOOPS client loops, counters at zero. */
static void
loops_start(void)
{
	int k;

	memset(lp, 0, sizeof(*lp));
	for (k = 0; k < LOOPS; k++) {
		fflush(stdout);
		lp->pid[k] = fork();
		if (lp->pid[k] < 0)
			sysbail("fork");
		if (lp->pid[k] == 0)
			loop_main(k);
	}
}

static long
loops_ok(void)
{
	long n = 0;
	int k;

	for (k = 0; k < LOOPS; k++)
		n += lp->ok[k];
	return n;
}

static long
loops_fail(void)
{
	long n = 0;
	int k;

	for (k = 0; k < LOOPS; k++)
		n += lp->fail[k];
	return n;
}

/* loops_progress - wait until n more requests than now succeeded: 1, or 0
 * after WAIT_MS. */
static int
loops_progress(long n)
{
	long want = loops_ok() + n, deadline = pf_now_ms() + WAIT_MS;

	while (loops_ok() < want) {
		if (pf_now_ms() >= deadline) {
			diag("the client loops did %ld requests, not %ld, in "
			    "%d ms", loops_ok(), want, WAIT_MS);
			return 0;
		}
		pf_sleep_ms(10);
	}
	return 1;
}

/* loops_stop - stop the loops and reap them (KILL after WAIT_MS). */
static void
loops_stop(void)
{
	long deadline = pf_now_ms() + WAIT_MS;
	int k, st;

	lp->stop = 1;
	for (k = 0; k < LOOPS; k++) {
		while (waitpid(lp->pid[k], &st, WNOHANG) == 0) {
			if (pf_now_ms() >= deadline) {
				diag("client loop %ld did not stop: killed",
				    (long)lp->pid[k]);
				kill(lp->pid[k], SIGKILL);
				waitpid(lp->pid[k], &st, 0);
				break;
			}
			pf_sleep_ms(10);
		}
	}
}

/* loops_show_fails - each failure kept, as diagnostics. */
static void
loops_show_fails(void)
{
	struct fail_rec *f;
	int k, j;

	for (k = 0; k < LOOPS; k++)
		for (j = 0; j < lp->fail[k] && j < FAILS_KEPT; j++) {
			f = &lp->fails[k][j];
			diag("loop %d: request begun at %ld ms failed at %s: %s",
			    k, f->start_ms, f->what, strerror(f->err));
		}
}

/* haproxy_sum - the sum of a `show stat` counter over the three servers. */
static long
haproxy_sum(struct pf_haproxy *hp, const char *field)
{
	long n = 0;
	char *v;
	int i;

	for (i = 0; i < HOSTS; i++) {
		v = pf_haproxy_field(hp, "fleet", hosts[i].name, field);
		if (v != NULL)
			n += atol(v);
		free(v);
	}
	return n;
}

/* haproxy_log_count - lines of HAProxy's log with needle. */
static int
haproxy_log_count(struct pf_haproxy *hp, const char *needle)
{
	char *text = pf_file(hp->log);
	int n = pf_count(text, needle);

	free(text);
	return n;
}

/* access_count - lines of host i's access log with needle. */
static int
access_count(int i, const char *needle)
{
	char *path = pf_path(hosts[i].d, "access.log"), *text;
	int n;

	text = pf_file(path);
	n = pf_count(text, needle);
	free(text);
	free(path);
	return n;
}

/* access_wait - wait until host i's access log has more than before lines
 * from the looping clients: 1, or 0 after WAIT_MS. */
static int
access_wait(int i, int before)
{
	char *path = pf_path(hosts[i].d, "access.log");
	int n;

	n = pf_file_wait_count(path, "remote=" CLIENT_ADDR ":", before + 1,
	    WAIT_MS);
	free(path);
	return n > before;
}

/* fleet_cfg - the haproxy.cfg sections of README "Running a fleet", with
 * the test's ports. */
static char *
fleet_cfg(void)
{
	char *servers = tap_strdup_printf("%s", ""), *tmp;
	int i;

	for (i = 0; i < HOSTS; i++) {
		tmp = tap_strdup_printf("%s    server %s %s:%d weight 100 "
		    "send-proxy-v2 check check-send-proxy inter %d fall %d "
		    "rise 2 agent-check agent-port %d agent-inter %d\n",
		    servers, hosts[i].name, hosts[i].addr, hosts[i].port,
		    INTER_MS, FALL, hosts[i].agent_port, INTER_MS);
		free(servers);
		servers = tmp;
	}
	tmp = tap_strdup_printf(
	    "frontend fleet_in\n"
	    "    bind 127.0.0.1:%d\n"
	    "    default_backend fleet\n"
	    "\n"
	    "backend fleet\n"
	    "    balance roundrobin\n"
	    "    retries 3\n"
	    "    option redispatch 1\n"
	    "%s", fe_port, servers);
	free(servers);
	return tmp;
}

/*
 * host_back - wait until host i is back in HAProxy's rotation after an
 * upgrade or a reload: its agent answers "ready" again (it says "drain"
 * from the start of the upgrade until the new master has seen the old one
 * go, up to a second later, and during a reload until the new generation
 * is ready; it never goes back to "drain" after that), then HAProxy's
 * status for it is "UP" (no longer "DRAIN (agent)": HAProxy reads the
 * agent every agent-inter).  Moving on to the next host any sooner can
 * leave two, then three hosts drained at once: no server left at all.
 */
static int
host_back(struct pf_haproxy *hp, int i)
{
	long deadline = pf_now_ms() + WAIT_MS;
	char line[64];
	ssize_t n;
	int fd;

	for (;;) {
		fd = connect_from(hosts[i].addr, hosts[i].addr,
		    hosts[i].agent_port);
		n = fd >= 0 ? pf_read_all(fd, line, sizeof(line) - 1, 5000) : -1;
		if (fd >= 0)
			close(fd);
		line[n > 0 ? n : 0] = '\0';
		if (strncmp(line, "ready ", 6) == 0)
			break;
		if (pf_now_ms() >= deadline) {
			diag("host %s: its agent still says \"%s\"",
			    hosts[i].addr, line);
			return 0;
		}
		pf_sleep_ms(20);
	}
	return pf_haproxy_wait_status(hp, "fleet", hosts[i].name, "UP",
	    WAIT_MS) >= 0;
}

/* test_rolling - each host upgraded, then each reloaded, under load. */
static void
test_rolling(struct pf_haproxy *hp)
{
	char out[4096], *conf, *text, *needle, *done;
	pid_t old, newpid;
	int i, rc, before;

	diag("rolling upgrade and reload of the three hosts under load");
	loops_start();
	ok(loops_progress(50), "requests flow through HAProxy");
	for (i = 0; i < HOSTS; i++) {
		old = hosts[i].d->pid;
		before = access_count(i, "remote=" CLIENT_ADDR ":");
		rc = host_ctl(i, "upgrade", out, sizeof(out));
		newpid = pf_read_pid_file(hosts[i].d->pid_file);
		if (newpid > 0 && newpid != old)
			pf_adopt(hosts[i].d, newpid);
		needle = tap_strdup_printf("upgraded (pid %ld)", (long)newpid);
		ok(rc == 0 && newpid != old && strstr(out, needle) != NULL,
		    "host %s: -s upgrade: new master %ld", hosts[i].addr,
		    (long)newpid);
		free(needle);
		ok(pf_wait_gone(&old, 1, WAIT_MS) == 0,
		    "host %s: the old master %ld is gone", hosts[i].addr,
		    (long)old);
		ok(loops_progress(30), "requests go on after host %s's upgrade",
		    hosts[i].addr);
		ok(host_back(hp, i), "host %s: its agent says ready, HAProxy "
		    "has it UP (not DRAIN) again", hosts[i].addr);
		ok(access_wait(i, before),
		    "host %s serves the clients after its upgrade",
		    hosts[i].addr);
	}
	for (i = 0; i < HOSTS; i++) {
		conf = host_conf(i, WORKERS - 1);
		text = pf_subst(conf, hosts[i].d->dir);
		pf_write_file(hosts[i].d->conf, text);
		free(text);
		free(conf);
		before = access_count(i, "remote=" CLIENT_ADDR ":");
		rc = host_ctl(i, "reload", out, sizeof(out));
		/* Progress lines ("reload: generation 2: 4 of 5 workers
		 * started") may come first on a slow machine. */
		done = strstr(out, "reloaded: generation");
		if (done != NULL)
			done[strcspn(done, "\n")] = '\0';
		ok(rc == 0 && done != NULL, "host %s: -s reload with %d echo "
		    "workers: %s", hosts[i].addr, WORKERS - 1,
		    done != NULL ? done : out);
		ok(loops_progress(30), "requests go on after host %s's reload",
		    hosts[i].addr);
		ok(host_back(hp, i), "host %s: its agent says ready, HAProxy "
		    "has it UP (not DRAIN) again", hosts[i].addr);
		ok(access_wait(i, before),
		    "host %s serves the clients after its reload",
		    hosts[i].addr);
	}
	loops_stop();
	diag("%ld requests through HAProxy during the upgrades and reloads; "
	    "HAProxy drained a host %d times on its agent's word", loops_ok(),
	    haproxy_log_count(hp, "enters drain state"));
	if (!is_int(0, loops_fail(), "not one request failed"))
		loops_show_fails();
	is_int(0, haproxy_sum(hp, "econ"), "HAProxy saw no failed connection "
	    "to a host (econ)");
	is_int(0, haproxy_sum(hp, "wretr") + haproxy_sum(hp, "wredis"),
	    "HAProxy never retried nor redispatched one (wretr, wredis)");
	/* The reloaded config back, for what follows. */
	for (i = 0; i < HOSTS; i++) {
		conf = host_conf(i, WORKERS);
		text = pf_subst(conf, hosts[i].d->dir);
		pf_write_file(hosts[i].d->conf, text);
		free(text);
		free(conf);
		rc = host_ctl(i, "reload", out, sizeof(out));
		ok(rc == 0 && host_back(hp, i), "host %s: -s reload back to %d "
		    "echo workers, back in rotation", hosts[i].addr, WORKERS);
	}
}

/* client_counts - each host's access log lines from the looping clients. */
static void
client_counts(int *n)
{
	int i;

	for (i = 0; i < HOSTS; i++)
		n[i] = access_count(i, "remote=" CLIENT_ADDR ":");
}

/* counts_wait - wait until the hosts' access logs hold total more lines
 * from the clients than base: the new lines per host in got.  1, or 0. */
static int
counts_wait(const int *base, int total, int *got)
{
	long deadline = pf_now_ms() + WAIT_MS;
	int now[HOSTS], i, sum;

	for (;;) {
		client_counts(now);
		for (sum = 0, i = 0; i < HOSTS; i++)
			sum += got[i] = now[i] - base[i];
		if (sum >= total)
			return sum == total;
		if (pf_now_ms() >= deadline) {
			diag("%d access log lines, not %d", sum, total);
			return 0;
		}
		pf_sleep_ms(20);
	}
}

/*
 * burst - n connections through HAProxy, one after the other, each one
 * echo round trip.  A connection whose answer has not come within
 * PARK_MS is parked, still open: it waits in a saturated host's backlog
 * (or on a slow machine, anywhere); the caller frees that host, then
 * burst_finish collects them.  Connections done at once are closed at
 * once, so the other hosts' workers stay idle and their agents say 100%.
 */
#define PARK_MS		500
#define BURST		105
static int parked[BURST], nparked;

static int
burst(int n)
{
	char msg[32], buf[32];
	int i, fd, done = 0;
	size_t len;

	nparked = 0;
	for (i = 0; i < n && i < BURST; i++) {
		len = (size_t)snprintf(msg, sizeof(msg), "burst %d\n", i);
		fd = connect_from(CLIENT_ADDR, "127.0.0.1", fe_port);
		if (fd < 0 || pf_write_all(fd, msg, len) < 0) {
			diag("burst %d: %s", i, strerror(errno));
			if (fd >= 0)
				close(fd);
			continue;
		}
		if (pf_read_n(fd, buf, len, PARK_MS) == (ssize_t)len) {
			done++;
			close(fd);
		} else
			parked[nparked++] = fd;
	}
	return done;
}

/* burst_finish - wait for every parked connection's answer, closing each
 * as it comes (a freed worker then takes the next): how many answered. */
static int
burst_finish(void)
{
	long deadline = pf_now_ms() + WAIT_MS;
	char buf[64];
	int i, done = 0, left = nparked;

	while (left > 0 && pf_now_ms() < deadline) {
		for (i = 0; i < nparked; i++) {
			if (parked[i] < 0)
				continue;
			if (recv(parked[i], buf, sizeof(buf), MSG_DONTWAIT) > 0)
				done++;
			else if (errno == EAGAIN || errno == EWOULDBLOCK)
				continue;
			close(parked[i]);
			parked[i] = -1;
			left--;
		}
		pf_sleep_ms(10);
	}
	for (i = 0; i < nparked; i++)
		if (parked[i] >= 0)
			close(parked[i]);
	return done;
}

/*
 * test_saturate - host 1's echo pool held by slow clients (straight at it,
 * each sending its own PROXY v2 header, as a balancer would): its agent
 * says so, HAProxy shows the lower weight, and roundrobin sends new
 * connections to the other hosts.
 *
 * The bound: HAProxy's roundrobin is not random, it is a smooth weighted
 * round robin, so over BURST connections each server gets its weight's
 * share within a connection or two.  Before, all weights are 100 (idle
 * pools): host 1 gets about 1/3 (35 of 105); the test asks >= 25%.  After,
 * its weight is at most 25 against 100 + 100: at most 25/225 = 11% (12 of
 * 105); the test asks <= 15%.  Even if HAProxy ignored the weights and
 * picked at random, 16 or fewer of 105 at p = 1/3 is more than 4 standard
 * deviations (sd 4.8) below the mean of 35: p < 0.0001.  A shift that big
 * is the agent's doing, not luck.
 */
static void
test_saturate(struct pf_haproxy *hp)
{
	unsigned char hdr[32];
	char buf[16];
	int slow[WORKERS], base[HOSTS], got[HOSTS] = { 0 }, i, n, r, w, done;
	double before, after;

	diag("host %s saturated by slow clients", hosts[0].addr);
	for (i = 0; i < HOSTS; i++)
		ok(pf_wait_workers(hosts[i].d, WORKERS + 2, WAIT_MS) ==
		    WORKERS + 2 && pf_haproxy_wait_status(hp, "fleet",
		    hosts[i].name, "UP", WAIT_MS) >= 0 &&
		    pf_haproxy_wait_weight(hp, "fleet", hosts[i].name, 100, 100,
		    WAIT_MS) == 100, "host %s: %d echo workers, all idle: UP, "
		    "weight 100", hosts[i].addr, WORKERS);
	client_counts(base);
	done = burst(BURST);
	done += burst_finish();
	is_int(BURST, done, "%d connections through HAProxy", BURST);
	r = counts_wait(base, BURST, got);
	ok(r, "each in an access log: %d %d %d", got[0], got[1], got[2]);
	before = (double)got[0] / BURST;
	ok(before >= 0.25, "host %s's share with equal weights: %.0f%% "
	    "(>= 25%%)", hosts[0].addr, before * 100);

	for (i = 0; i < WORKERS; i++) {
		slow[i] = connect_from(SLOW_ADDR, hosts[0].addr, hosts[0].port);
		n = (int)proxy_v2(hdr, "198.51.100.7", 40000 + i, hosts[0].addr,
		    hosts[0].port);
		ok(slow[i] >= 0 && pf_write_all(slow[i], hdr, (size_t)n) == 0 &&
		    pf_echo_fd(slow[i], "hold\n"), "slow client %d holds a "
		    "worker (its echo came back)", i + 1);
	}
	w = pf_haproxy_wait_weight(hp, "fleet", hosts[0].name, 10, 25,
	    WAIT_MS);
	ok(w >= 10, "no idle worker left: the agent lowers host %s's weight "
	    "to %d (min_weight 10)", hosts[0].addr, w);
	for (i = 1; i < HOSTS; i++)
		ok(pf_haproxy_wait_weight(hp, "fleet", hosts[i].name, 100, 100,
		    WAIT_MS) == 100, "host %s keeps weight 100", hosts[i].addr);

	client_counts(base);
	done = burst(BURST);
	diag("%d answered at once, %d waiting for host %s", done, nparked,
	    hosts[0].addr);
	for (i = 0; i < WORKERS; i++) {
		if (slow[i] >= 0 && shutdown(slow[i], SHUT_WR) == 0)
			pf_read_all(slow[i], buf, sizeof(buf), 5000);
		if (slow[i] >= 0)
			close(slow[i]);
	}
	done += burst_finish();
	is_int(BURST, done, "%d connections through HAProxy, all answered "
	    "once the slow clients left", BURST);
	r = counts_wait(base, BURST, got);
	ok(r, "each in an access log: %d %d %d", got[0], got[1], got[2]);
	after = (double)got[0] / BURST;
	ok(after <= 0.15 && before - after >= 0.15, "host %s's share drops "
	    "from %.0f%% to %.0f%% (<= 15%%)", hosts[0].addr, before * 100,
	    after * 100);
	ok(pf_haproxy_wait_weight(hp, "fleet", hosts[0].name, 100, 100,
	    WAIT_MS) == 100, "idle again: host %s's weight back to 100",
	    hosts[0].addr);
}

/*
 * status_pids - the pids "-s status --json" names for host i (its
 * master's and every worker's "pid"), into pids: how many, -1 on error.
 */
static int
status_pids(int i, pid_t *pids, int max)
{
	static char out[65536];
	char err[1024], *p;
	int n = 0;

	if (pf_status(hosts[i].d, 1, out, sizeof(out), err, sizeof(err)) != 0)
		return -1;
	for (p = out; (p = strstr(p, "\"pid\":")) != NULL && n < max; p += 6)
		pids[n++] = (pid_t)strtol(p + 6, NULL, 10);
	return n;
}

/* test_kill - one host KILLed and started again, under load. */
static void
test_kill(struct pf_haproxy *hp)
{
	struct host *h = &hosts[HOSTS - 1];
	pid_t pids[128], listed[64], master;
	long kill_ms, gone_ms, down_ms, late = 0;
	int i, j, k, n, nl, missing = 0, before;

	diag("host %s killed (master and workers) under load", h->addr);
	loops_start();
	ok(loops_progress(50), "requests flow through HAProxy");
	master = pf_read_pid_file(h->d->pid_file);
	ok(master == h->d->pid, "host %s's master from its pid file: %ld",
	    h->addr, (long)master);
	/*
	 * Its processes by pid: the pid file's master, the pids its status
	 * lists (its scoreboard's workers), and the master's children as
	 * /proc has them, which must be the same.  The master is stopped
	 * first, so that it cannot fork while we list and kill.
	 */
	nl = status_pids(HOSTS - 1, listed, 64);
	kill(master, SIGSTOP);
	n = pf_workers(h->d, pids, 64);
	for (i = 0; i < nl; i++)
		if (listed[i] != master && !pf_pid_in(pids, n, listed[i])) {
			missing++;
			pids[n++] = listed[i];
		}
	ok(nl > 0 && missing == 0, "-s status lists %d pids, every worker "
	    "one of the master's %d children", nl, n);
	kill_ms = pf_now_ms();
	kill(master, SIGKILL);
	for (i = 0; i < n; i++)
		kill(pids[i], SIGKILL);
	kill(master, SIGCONT);
	pids[n++] = master;
	ok(pf_wait_gone(pids, n, WAIT_MS) == 0, "its master and %d workers "
	    "are gone", n - 1);
	gone_ms = pf_now_ms();
	down_ms = pf_haproxy_wait_status(hp, "fleet", h->name, "DOWN",
	    WAIT_MS);
	ok(down_ms >= 0 && down_ms <= FALL * INTER_MS + DOWN_SLACK_MS,
	    "HAProxy marks it DOWN in %ld ms of the kill (fall x inter = %d "
	    "ms, + %d ms slack)", down_ms >= 0 ? pf_now_ms() - kill_ms : -1,
	    FALL * INTER_MS, DOWN_SLACK_MS);
	ok(loops_progress(50), "requests go on with two hosts");
	before = access_count(HOSTS - 1, "remote=" CLIENT_ADDR ":");
	ok(host_run(HOSTS - 1), "host %s started again", h->addr);
	ok(pf_haproxy_wait_status(hp, "fleet", h->name, "UP", WAIT_MS) >= 0,
	    "HAProxy marks it UP again");
	ok(access_wait(HOSTS - 1, before),
	    "it serves the clients again");
	ok(loops_progress(50), "requests go on with three hosts");
	loops_stop();
	/*
	 * In flight: begun before the host's last process was gone.  Until
	 * then its listening socket was open and the kernel still completed
	 * connections into its backlog (HAProxy saw them established), which
	 * the death of that last process then reset: those fail too, and
	 * nothing can save them.  After it, a connect to the host is refused
	 * and HAProxy redispatches it; DOWN then stops sending any.
	 */
	diag("%ld requests, %ld failed; killed at %ld ms, gone at %ld ms",
	    loops_ok(), loops_fail(), kill_ms, gone_ms);
	ok(loops_fail() < FAILS_KEPT, "fewer than %d requests failed: %ld",
	    FAILS_KEPT, loops_fail());
	for (k = 0; k < LOOPS; k++)
		for (j = 0; j < lp->fail[k] && j < FAILS_KEPT; j++)
			if (lp->fails[k][j].start_ms > gone_ms)
				late++;
	if (!is_int(0, late, "every failed request had begun before the "
	    "host's processes were gone (was in flight on it): a new one "
	    "never failed"))
		loops_show_fails();
}

int
main(void)
{
	struct pf_haproxy *hp;
	char *conf, *cfg;
	int i;

	plan_lazy();
	alarm(600);
	lp = mmap(NULL, sizeof(*lp), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (lp == MAP_FAILED)
		sysbail("mmap");
	fe_port = pf_free_port();
	for (i = 0; i < HOSTS; i++) {
		hosts[i].addr = host_addr[i];
		hosts[i].port = addr_port(hosts[i].addr);
		hosts[i].agent_port = addr_port(hosts[i].addr);
		snprintf(hosts[i].name, sizeof(hosts[i].name), "h%d", i + 1);
		conf = host_conf(i, WORKERS);
		hosts[i].d = pf_prepare(conf);
		free(conf);
		if (!ok(host_run(i), "host %s runs (echo on %d, agent on %d)",
		    hosts[i].addr, hosts[i].port, hosts[i].agent_port))
			bail("host %s did not start", hosts[i].addr);
	}
	cfg = fleet_cfg();
	hp = pf_haproxy_start(cfg, WAIT_MS);
	free(cfg);
	for (i = 0; i < HOSTS; i++)
		ok(pf_haproxy_wait_status(hp, "fleet", hosts[i].name, "UP",
		    WAIT_MS) >= 0, "HAProxy sees host %s UP", hosts[i].addr);

	test_rolling(hp);
	test_saturate(hp);
	test_kill(hp);

	is_int(0, pf_haproxy_stop(hp), "haproxy stops (exit 0)");
	for (i = 0; i < HOSTS; i++)
		pf_stop(hosts[i].d);
	return 0;
}
