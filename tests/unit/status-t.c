/*
 * status-t.c - unit tests of the status report in src/status.c, rendered
 * from a status_view built by hand: services, a process table and a
 * scoreboard in plain memory, as the master would hold them.  Checks the
 * text and the JSON to the byte: the counts, a worker of an older
 * generation left out of the rows but counted as finishing, retiring
 * workers, a slot holding garbage shown as "invalid", a busy unix client
 * whose hostile path is escaped, a module's hostile handler name, closed
 * listeners left out; and that the JSON is valid.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "preforkd.h"
#include "../tap/basic.h"
#include "../tap/json.h"

#define NOW		1000000		/* the monotonic clock, ms */
#define UP_MS		((86400 + 3600 + 60 + 1) * 1000 + 500)
#define EVIL_PATH	"/tmp/evil\n  worker 1 idle\x1b[2J\""

static const struct preforkd_module echo_handler = { .name = "echo" };
static const struct preforkd_module evil_handler = {
	.name = "mod\x1b]0;pwned\x07\""
};

static struct conf_service csvc[3];
static struct service svc[3];
static struct service_tally tallies[3];
static struct listener echo_l[3], app_l[2];
static struct proc procs[10];
static struct slot slots[10];

/* listener - l bound to text (as the master bound it), fd fd. */
static void
listener(struct listener *l, const char *text, int fd)
{
	char err[ADDR_ERR_MAX];

	memset(l, 0, sizeof(*l));
	if (addr_parse(text, &l->addr, err, sizeof(err)) == -1)
		bail("addr_parse %s: %s", text, err);
	l->bound = l->addr;
	l->fd = fd;
	l->text = text;
}

/* worker - entry i: pid of service s in generation gen, its slot. */
static struct slot *
worker(size_t i, pid_t pid, struct service *s, unsigned int gen,
    int state, uint64_t served)
{
	procs[i].pid = pid;
	procs[i].reserved = 1;
	procs[i].svc = s;
	procs[i].generation = gen;
	procs[i].started.tv_sec = 1795000000 + (time_t)i;
	slots[i].state = state;
	slots[i].count[CTR_SERVED] = served;
	return &slots[i];
}

static void
inet4(struct sockaddr_storage *ss, socklen_t *len, const char *host,
    int port)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, host, &sin->sin_addr);
	*len = sizeof(*sin);
}

static void
unixaddr(struct sockaddr_storage *ss, socklen_t *len, const char *path)
{
	struct sockaddr_un *un = (struct sockaddr_un *)ss;

	memset(ss, 0, sizeof(*ss));
	un->sun_family = AF_UNIX;
	memcpy(un->sun_path, path, strlen(path));
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    strlen(path));
}

/*
 * view - three services: "echo" (static, two listeners open, one closed),
 * "app" (dynamic, a module with a hostile name, a unix listener), and
 * "quiet" (no listener open, no worker); workers of each kind.
 */
static void
view(struct status_view *v, struct proctab *pt, struct scoreboard *sb)
{
	static struct proc_tally tally;
	struct slot *sl;

	csvc[0].name = "echo";
	csvc[0].handler = &echo_handler;
	csvc[1].name = "app";
	csvc[1].handler = &evil_handler;
	csvc[1].dynamic = 1;
	csvc[1].max_workers = 8;
	csvc[2].name = "quiet";
	csvc[2].handler = &echo_handler;

	listener(&echo_l[0], "127.0.0.1:7007", 5);
	listener(&echo_l[1], "udp://[::1]:7007", 6);
	listener(&echo_l[2], "127.0.0.1:7008", -1);
	listener(&app_l[0], "unix:/run/app.sock", 7);
	listener(&app_l[1], "127.0.0.1:8080", -1);

	svc[0].tally = &tallies[0];
	svc[1].tally = &tallies[1];
	svc[2].tally = &tallies[2];
	svc[0].conf = &csvc[0];
	svc[0].listeners = echo_l;
	svc[0].nlisteners = 3;
	svc[0].want = 3;
	svc[0].dead[CTR_SERVED] = 1000;
	svc[0].dead[CTR_IO_TIMEOUTS] = 7;
	svc[0].respawns = 4;
	svc[0].hung_kills = 2;
	svc[1].conf = &csvc[1];
	svc[1].listeners = app_l;
	svc[1].nlisteners = 2;
	svc[1].min_spare = 1;
	svc[1].max_spare = 4;
	svc[1].dead[CTR_ACCESS_LOST] = 3;
	svc[1].dead[CTR_LIMITED] = 5;	/* saturates: UINT64_MAX in all */
	svc[1].dead[CTR_RATE_LIMITED] = 11;
	svc[1].dead[CTR_SHED] = 12;
	svc[2].conf = &csvc[2];
	svc[2].want = 1;

	/* echo: idle, busy over TCP, garbage, and one of generation 2. */
	worker(0, 201, &svc[0], 3, SLOT_IDLE, 10);
	sl = worker(1, 202, &svc[0], 3, SLOT_BUSY, 5);
	sl->busy_since = NOW - 2500;
	sl->proto = PROTO_TCP;
	inet4(&sl->local, &sl->locallen, "127.0.0.1", 7007);
	inet4(&sl->remote, &sl->remotelen, "127.0.0.1", 40000);
	sl = worker(2, 203, &svc[0], 3, 77, 0);
	sl->count[CTR_IO_TIMEOUTS] = 1;
	worker(3, 300, &svc[0], 2, SLOT_IDLE, 99);
	/* An entry reserved for a worker not forked yet, a free one. */
	procs[4].reserved = 1;
	procs[4].svc = &svc[0];
	procs[4].generation = 3;
	/* app: busy on a unix socket while retiring, retiring idle,
	 * exiting, paused. */
	sl = worker(6, 204, &svc[1], 3, SLOT_BUSY, 1);
	procs[6].retiring = 1;
	sl->busy_since = NOW - 61234;
	sl->proto = PROTO_UNIX;
	unixaddr(&sl->local, &sl->locallen, "/run/app.sock");
	unixaddr(&sl->remote, &sl->remotelen, EVIL_PATH);
	sl->count[CTR_ACCESS_LOST] = 2;
	sl->count[CTR_IGNORED] = 6;
	sl->count[CTR_DENIED] = 9;
	sl->count[CTR_LIMITED] = UINT64_MAX;
	worker(7, 205, &svc[1], 3, SLOT_IDLE, 2);
	procs[7].retiring = 1;
	worker(8, 206, &svc[1], 3, SLOT_EXITING, 3);
	worker(9, 207, &svc[1], 3, SLOT_PAUSED, 4);

	tally.n = 10;
	pt->tally = &tally;
	pt->procs = procs;
	pt->capacity = 10;
	pt->self = 100;
	pt->successor = 0;
	sb->slots = slots;
	sb->capacity = 10;

	memset(v, 0, sizeof(*v));
	v->conf_path = "/etc/preforkd.conf";
	v->svc = svc;
	v->nsvc = 3;
	v->sb = sb;
	v->pt = pt;
	v->pid = 100;
	v->generation = 3;
	v->started.tv_sec = 1795000000;
	v->start_ms = NOW - UP_MS;
}

static const char want_text[] =
    "preforkd " PACKAGE_VERSION ": master pid 100, up 1d 01h01m01s "
    "(since 2026-11-18T11:06:40+00:00)\n"
    "config /etc/preforkd.conf, generation 3, 1 workers of older "
    "generations finishing\n"
    "\n"
    "service echo: handler echo, static pool of 3 workers\n"
    "  listening on tcp 127.0.0.1:7007 (fd 5)\n"
    "  listening on udp [::1]:7007 (fd 6)\n"
    "  workers 3, busy 1, idle 1, starting 1, exiting 0, paused 0; "
    "served 1015, respawns 4, timeouts 10 (hung 2, io 8)\n"
    "  refused: denied 0, limited 0, rate-limited 0; shed 0\n"
    "  worker 201     idle     served 10\n"
    "  worker 202     busy     served 5, tcp 127.0.0.1:7007 <- "
    "127.0.0.1:40000 for 2.5 s\n"
    "  worker 203     invalid  served 0\n"
    "\n"
    "service app: handler mod\\x1b]0;pwned\\x07\\\", dynamic pool: "
    "min_spare 1, max_spare 4, max_workers 8\n"
    "  listening on unix /run/app.sock (fd 7)\n"
    "  workers 4, busy 0, idle 0, starting 0, exiting 3, paused 1; "
    "served 10, respawns 0, timeouts 0 (hung 0, io 0)\n"
    "  refused: denied 9, limited 18446744073709551615, rate-limited 11; "
    "shed 12\n"
    "  access log lines lost: 5\n"
    "  datagrams ignored (a reply could start a loop): 6\n"
    "  worker 204     busy     served 1, unix /run/app.sock <- "
    "/tmp/evil\\n  worker 1 idle\\x1b[2J\\\" for 61.2 s\n"
    "  worker 205     exiting  served 2\n"
    "  worker 206     exiting  served 3\n"
    "  worker 207     paused   served 4\n"
    "\n"
    "service quiet: handler echo, static pool of 1 workers\n"
    "  workers 0, busy 0, idle 0, starting 0, exiting 0, paused 0; "
    "served 0, respawns 0, timeouts 0 (hung 0, io 0)\n"
    "  refused: denied 0, limited 0, rate-limited 0; shed 0\n";

/* The counters and histogram of a service with none of them. */
#define NONE_YET ",\"accept_errors\":0,\"bytes_in\":0,\"bytes_out\":0,\"throttle_ms\":0," \
    "\"duration_ms\":{\"buckets\":{\"1\":0,\"5\":0,\"10\":0,\"50\":0,\"100\":0," \
    "\"500\":0,\"1000\":0,\"5000\":0,\"10000\":0,\"60000\":0,\"+Inf\":0}," \
    "\"sum\":0}}"

static const char want_json[] =
    "{\"version\":\"" PACKAGE_VERSION "\",\"master\":{\"pid\":100,"
    "\"uptime_s\":90061,\"started\":\"2026-11-18T11:06:40+00:00\","
    "\"config\":\"/etc/preforkd.conf\",\"generation\":3,"
    "\"older_workers\":1,\"paused\":false,\"stopping\":false},"
    "\"services\":["
    "{\"name\":\"echo\",\"handler\":\"echo\","
    "\"pool\":{\"type\":\"static\",\"workers\":3},"
    "\"listeners\":[{\"proto\":\"tcp\",\"address\":\"127.0.0.1:7007\","
    "\"fd\":5},{\"proto\":\"udp\",\"address\":\"[::1]:7007\",\"fd\":6}],"
    "\"counts\":{\"workers\":3,\"busy\":1,\"idle\":1,\"starting\":1,"
    "\"exiting\":0,\"paused\":0,\"respawns\":4,"
    "\"timeouts\":10,\"hung_kills\":2,\"served\":1015,\"io_timeouts\":8,"
    "\"access_lost\":0,\"ignored\":0,\"denied\":0,\"limited\":0,"
    "\"rate_limited\":0,\"shed\":0,\"proxy_errors\":0,\"proxy_local\":0" NONE_YET ","
    "\"workers\":["
    "{\"pid\":201,\"state\":\"idle\",\"generation\":3,\"served\":10,"
    "\"started\":\"2026-11-18T11:06:40+00:00\"},"
    "{\"pid\":202,\"state\":\"busy\",\"generation\":3,\"served\":5,"
    "\"started\":\"2026-11-18T11:06:41+00:00\",\"client\":{\"proto\":"
    "\"tcp\",\"local\":\"127.0.0.1:7007\",\"remote\":\"127.0.0.1:40000\","
    "\"busy_s\":2.500}},"
    "{\"pid\":203,\"state\":\"invalid\",\"generation\":3,\"served\":0,"
    "\"started\":\"2026-11-18T11:06:42+00:00\"}]},"
    "{\"name\":\"app\",\"handler\":\"mod\\u001b]0;pwned\\u0007\\\"\","
    "\"pool\":{\"type\":\"dynamic\",\"min_spare\":1,\"max_spare\":4,"
    "\"max_workers\":8},"
    "\"listeners\":[{\"proto\":\"unix\",\"address\":\"/run/app.sock\","
    "\"fd\":7}],"
    "\"counts\":{\"workers\":4,\"busy\":0,\"idle\":0,\"starting\":0,"
    "\"exiting\":3,\"paused\":1,\"respawns\":0,"
    "\"timeouts\":0,\"hung_kills\":0,\"served\":10,\"io_timeouts\":0,"
    "\"access_lost\":5,\"ignored\":6,\"denied\":9,"
    "\"limited\":18446744073709551615,\"rate_limited\":11,\"shed\":12,\"proxy_errors\":0,\"proxy_local\":0" NONE_YET ","
    "\"workers\":["
    "{\"pid\":204,\"state\":\"busy\",\"generation\":3,\"served\":1,"
    "\"started\":\"2026-11-18T11:06:46+00:00\",\"client\":{\"proto\":"
    "\"unix\",\"local\":\"/run/app.sock\",\"remote\":"
    "\"/tmp/evil\\\\n  worker 1 idle\\\\x1b[2J\\\\\\\"\","
    "\"busy_s\":61.234}},"
    "{\"pid\":205,\"state\":\"exiting\",\"generation\":3,\"served\":2,"
    "\"started\":\"2026-11-18T11:06:47+00:00\"},"
    "{\"pid\":206,\"state\":\"exiting\",\"generation\":3,\"served\":3,"
    "\"started\":\"2026-11-18T11:06:48+00:00\"},"
    "{\"pid\":207,\"state\":\"paused\",\"generation\":3,\"served\":4,"
    "\"started\":\"2026-11-18T11:06:49+00:00\"}]},"
    "{\"name\":\"quiet\",\"handler\":\"echo\","
    "\"pool\":{\"type\":\"static\",\"workers\":1},\"listeners\":[],"
    "\"counts\":{\"workers\":0,\"busy\":0,\"idle\":0,\"starting\":0,"
    "\"exiting\":0,\"paused\":0,\"respawns\":0,"
    "\"timeouts\":0,\"hung_kills\":0,\"served\":0,\"io_timeouts\":0,"
    "\"access_lost\":0,\"ignored\":0,\"denied\":0,\"limited\":0,"
    "\"rate_limited\":0,\"shed\":0,\"proxy_errors\":0,\"proxy_local\":0" NONE_YET ",\"workers\":[]}]}\n";

/* json_ok - a test that text is valid JSON, saying where it is not. */
static void
json_ok(const char *text, const char *name)
{
	const char *where = NULL;
	int valid = text != NULL && pf_json_valid(text, &where);

	ok(valid, "%s", name);
	if (!valid && where != NULL)
		diag("invalid at: %.40s", where);
}

/*
 * test_top - echo made full (no idle worker): its top sources, most
 * connections first, an IPv6 client as its /64; its source table; and
 * no such line for a service with no busy worker.
 */
static void
test_top(struct status_view *v)
{
	struct sockaddr_in6 *sin6;
	struct slot *sl;
	char *text, *json;

	csvc[0].source_prefix6 = 64;
	if (srctab_create(&svc[0].srctab, 16) == -1)
		sysbail("srctab_create");
	v->nsvc = 3;
	v->paused = v->stopping = 0;
	inet4(&slots[0].remote, &slots[0].remotelen, "127.0.0.5", 40001);
	slots[0].state = SLOT_BUSY;
	slots[0].busy_since = NOW - 10;
	slots[2] = slots[0];
	inet4(&slots[2].remote, &slots[2].remotelen, "127.0.0.5", 40002);
	sl = worker(5, 208, &svc[0], 3, SLOT_BUSY, 0);
	sl->busy_since = NOW - 10;
	sl->proto = PROTO_TCP;
	inet4(&sl->local, &sl->locallen, "127.0.0.1", 7007);
	sin6 = (struct sockaddr_in6 *)&sl->remote;
	memset(sin6, 0, sizeof(*sin6));
	sin6->sin6_family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8:1:2::7", &sin6->sin6_addr);
	sl->remotelen = sizeof(*sin6);

	text = status_render_at(v, 0, NOW);
	like(text, "\n  source table: 16 entries, 0 in use, 0 evicted\n"
	    "  top sources: 127.0.0.5 (2), 127.0.0.1 (1), "
	    "2001:db8:1:2::/64 (1)\n  worker 201 ", "text: a full service's "
	    "top sources, most first, IPv6 by /64; its source table");
	ok(text != NULL && strstr(strstr(text, "top sources") + 1,
	    "top sources") == NULL, "text: only the full service has them");
	json = status_render_at(v, 1, NOW);
	like(json, "\"sum\":0}},\"source_table\":{\"size\":16,\"used\":0,"
	    "\"evictions\":0,\"recovered\":0},\"top_sources\":["
	    "{\"source\":\"127.0.0.5\",\"connections\":2},"
	    "{\"source\":\"127.0.0.1\",\"connections\":1},"
	    "{\"source\":\"2001:db8:1:2::/64\",\"connections\":1}],"
	    "\"workers\":[", "JSON: the same");
	json_ok(json, "JSON: valid");
	free(text);
	free(json);
	srctab_destroy(&svc[0].srctab);
}

/*
 * test_via - a client that came through a balancer (PROXY): the row
 * names the client, then "via" the balancer, in both forms; a service
 * with proxy_protocol has its line of PROXY counts; a via length past
 * its buffer makes the slot invalid, as any other.
 */
static void
test_via(struct status_view *v)
{
	struct slot *sl = &slots[5];
	char *text, *json;

	v->nsvc = 3;
	inet4(&sl->via, &sl->vialen, "127.0.0.1", 9000);
	sl->count[CTR_PROXY_ERRORS] = 3;
	sl->count[CTR_PROXY_LOCAL] = 2;
	csvc[0].proxy_protocol = 3;
	text = status_render_at(v, 0, NOW);
	like(text, "served 0, tcp 127.0.0.1:7007 <- [2001:db8:1:2::7]:0 via "
	    "127.0.0.1:9000 for ", "text: the client, then via the "
	    "balancer");
	like(text, "shed 0\n  proxy: errors 3, local 2\n", "text: the PROXY "
	    "counts");
	json = status_render_at(v, 1, NOW);
	like(json, "\"remote\":\"[2001:db8:1:2::7]:0\",\"via\":"
	    "\"127.0.0.1:9000\",\"busy_s\"", "JSON: \"via\" after "
	    "\"remote\"");
	like(json, "\"proxy_errors\":3,\"proxy_local\":2,", "JSON: the "
	    "PROXY counts");
	json_ok(json, "JSON: valid");
	free(text);
	free(json);
	sl->vialen = sizeof(sl->via) + 1;
	text = status_render_at(v, 0, NOW);
	like(text, "worker 208     invalid", "a via length past its buffer: "
	    "the slot is invalid");
	ok(text != NULL && strstr(text, " via ") == NULL, "  and no via shown");
	free(text);
	sl->vialen = 0;
	csvc[0].proxy_protocol = 0;
}

int
main(void)
{
	struct status_view v;
	struct proctab pt;
	struct scoreboard sb;
	char *text, *json;

	plan(9 + 4 + 7);
	setenv("TZ", "UTC0", 1);
	tzset();
	view(&v, &pt, &sb);

	text = status_render_at(&v, 0, NOW);
	is_string(want_text, text, "text: the whole report");
	json = status_render_at(&v, 1, NOW);
	is_string(want_json, json, "JSON: the whole report");
	json_ok(json, "JSON: valid");
	free(text);
	free(json);

	/* The master's flags, and no service at all. */
	v.paused = 1;
	v.stopping = 1;
	v.nsvc = 0;
	text = status_render_at(&v, 0, NOW);
	like(text, "(since 2026-11-18T11:06:40+00:00), workers stopped by "
	    "WINCH, stopping\n", "text: paused and stopping");
	like(text, "generations finishing\n", "text: ends after the master");
	ok(text != NULL && strstr(text, "service") == NULL,
	    "text: no service");
	json = status_render_at(&v, 1, NOW);
	like(json, "\"paused\":true,\"stopping\":true},\"services\":[]}\n",
	    "JSON: paused, stopping, no service");
	json_ok(json, "JSON: valid");
	free(text);
	free(json);

	/* status_render reads the clock itself: a second ago is "up 0d". */
	v.start_ms = now_ms() - 1000;
	text = status_render(&v, 0);
	like(text, "up 0d 00h00m01s", "status_render: now is the clock's");
	free(text);

	test_top(&v);
	test_via(&v);
	return 0;
}
