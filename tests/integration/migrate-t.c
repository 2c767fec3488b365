/*
 * migrate-t.c - moving off inetd and xinetd, end to end, as a new user
 * does it: an inetd.conf with the internal services (echo, discard,
 * daytime, time, chargen over tcp and udp), a tftp "dgram wait" line and
 * an rsync "stream nowait" line, written as a Debian administrator
 * writes them; "preforkd --import-inetd FILE > preforkd.conf" with the
 * real binary; "preforkd -t" on the output; preforkd started on it; and
 * every built-in answers, the real tftp client (tftp-hpa) fetches a file
 * from the real in.tftpd (tftpd-hpa) exactly, and the real rsync client
 * lists the module and copies a small tree from "rsync --daemon"
 * exactly.  The same again from an xinetd.d directory.
 *
 * Everything is on 127.0.0.1: the inetd.conf's host line says so, and
 * the xinetd services say "bind"; tftp and rsync are on free ports of
 * their own (numeric service names in inetd.conf, UNLISTED services with
 * "port" in xinetd.d), so the system's tftpd on port 69, if its package
 * started one, is never involved.  The inetd built-ins are on their
 * well-known ports, as their names say (root needed; another test, of
 * another checkout on the same machine, may hold them for a moment: the
 * start is tried again while the log says the address is in use).
 *
 * in.tftpd lingers up to 900 s after a transfer and forks per transfer;
 * rsync serves each connection in a process of its own.  Every program
 * of ours names the temporary directory in its arguments: each is found
 * by it, must be gone once preforkd is stopped, and is killed by its pid
 * (and the test fails) if it is not.  Without rsync, in.tftpd or tftp
 * the test fails: it does not skip.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap/basic.h"
#include "../tap/builtins.h"
#include "../tap/daemon.h"
#include "../tap/net.h"

#define TFTPD		"/usr/sbin/in.tftpd"
#define TFTP		"/usr/bin/tftp"
#define RSYNC		"/usr/bin/rsync"
#define WAIT_MS		30000
#define TFTP_SIZE	(100 * 1024 + 33)	/* 200 blocks and a bit */

/* The tree the rsync module serves: path under the module, size. */
static const struct {
	const char	*path;
	int		 size;
} tree[] = {
	{ "README", 61 },
	{ "empty", 0 },
	{ "data/blob.bin", 70001 },
	{ "data/deeper/notes.txt", 1234 },
};
#define TREE_FILES	((int)(sizeof(tree) / sizeof(tree[0])))

/* The tests of one run: import, -t, start, built-ins, tftp, rsync, stop. */
#define RUN_TESTS	(5 + PF_BUILTINS_TESTS + 1 + 4 + 4)

static char out[65536], err[16384];
static char *tmpdir;		/* the test's directory, removed at exit */

/*
 * cleanup - at exit, even after a bail: the programs of ours still
 * running (found by tmpdir in their arguments) killed by their pid, and
 * tmpdir removed.
 */
static void
cleanup(void)
{
	char *cmd;

	if (tmpdir == NULL)
		return;
	(void)pf_procs_kill_matching(tmpdir);
	cmd = tap_strdup_printf("rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
	free(cmd);
}

/* fill - size bytes of a pattern of seed: not text, not repetitive. */
static char *
fill(int size, int seed)
{
	char *p = malloc(size > 0 ? (size_t)size : 1);
	int i;

	if (p == NULL)
		sysbail("malloc");
	for (i = 0; i < size; i++)
		p[i] = (char)((i * 7919 + seed) ^ (i >> 7));
	return p;
}

/* write_bytes - path with size bytes of seed's pattern, mode 0644. */
static void
write_bytes(const char *path, int size, int seed)
{
	char *p = fill(size, seed);
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1 ||
	    (size > 0 && write(fd, p, (size_t)size) != size) ||
	    close(fd) == -1)
		sysbail("cannot write %s", path);
	free(p);
}

/* same_bytes - 1 if path holds exactly size bytes of seed's pattern. */
static int
same_bytes(const char *path, int size, int seed)
{
	char *want = fill(size, seed), *got = malloc((size_t)size + 1);
	ssize_t n;
	int fd, same = 0;

	if (got == NULL)
		sysbail("malloc");
	if ((fd = open(path, O_RDONLY)) != -1) {
		n = read(fd, got, (size_t)size + 1);
		same = n == size && memcmp(got, want, (size_t)size) == 0;
		if (!same)
			diag("%s: %zd bytes, want %d%s", path, n, size,
			    n == size ? " (different bytes)" : "");
		close(fd);
	} else
		diag("cannot open %s: %s", path, strerror(errno));
	free(want);
	free(got);
	return same;
}

/* mkdir_0755 - a directory anyone may read and search. */
static void
mkdir_0755(const char *path)
{
	if (mkdir(path, 0755) == -1 || chmod(path, 0755) == -1)
		sysbail("mkdir %s", path);
}

/*
 * command - run argv (a real client) with its stdout and stderr in
 * outfile, at most WAIT_MS: its exit code, -1 when it did not finish
 * (then killed by its pid) or died of a signal.
 */
static int
command(const char *const *argv, const char *outfile)
{
	long deadline = pf_now_ms() + WAIT_MS;
	pid_t pid;
	int st, fd;

	fflush(NULL);
	if ((pid = fork()) == -1)
		sysbail("fork");
	if (pid == 0) {
		if ((fd = open("/dev/null", O_RDONLY)) != -1 && fd != 0) {
			dup2(fd, 0);
			close(fd);
		}
		if ((fd = open(outfile, O_WRONLY | O_CREAT | O_TRUNC,
		    0644)) != -1) {
			dup2(fd, 1);
			dup2(fd, 2);
			if (fd > 2)
				close(fd);
		}
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	for (;;) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		if (pf_now_ms() > deadline)
			break;
		pf_sleep_ms(20);
	}
	diag("%s did not finish in %d ms: killing it", argv[0], WAIT_MS);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

/*
 * The files a Debian administrator has around the super-server: the
 * tftp root (what "in.tftpd -s" chroots to), the rsync module's tree and
 * rsyncd.conf (the daemon runs as root, chroots to the module and serves
 * it as nobody).  All readable by nobody.
 */
static void
setup_files(const char *dir)
{
	char *path;
	int i;

	path = tap_strdup_printf("%s/tftp", dir);
	mkdir_0755(path);
	free(path);
	path = tap_strdup_printf("%s/tftp/boot.img", dir);
	write_bytes(path, TFTP_SIZE, 1);
	free(path);

	path = tap_strdup_printf("%s/mod", dir);
	mkdir_0755(path);
	free(path);
	path = tap_strdup_printf("%s/mod/data", dir);
	mkdir_0755(path);
	free(path);
	path = tap_strdup_printf("%s/mod/data/deeper", dir);
	mkdir_0755(path);
	free(path);
	for (i = 0; i < TREE_FILES; i++) {
		path = tap_strdup_printf("%s/mod/%s", dir, tree[i].path);
		write_bytes(path, tree[i].size, i + 2);
		free(path);
	}

	path = tap_strdup_printf("%s/rsyncd.conf", dir);
	pf_write_file(path, tap_strdup_printf(
	    "# rsyncd.conf for the inetd line\n"
	    "uid = nobody\n"
	    "gid = nogroup\n"
	    "use chroot = yes\n"
	    "log file = %s/rsyncd.log\n"
	    "\n"
	    "[mod]\n"
	    "\tpath = %s/mod\n"
	    "\tcomment = the migrated module\n"
	    "\tread only = yes\n", dir, dir));
	free(path);
}

/*
 * import - run the real "preforkd OPTION PATH", its stdout written to
 * dir/preforkd.conf as the shell's ">" would; its exit code, stdout in
 * out and stderr in err.
 */
static int
import(const char *option, const char *path, const char *dir)
{
	const char *args[] = { option, path, NULL };
	char *conf;
	int status;

	out[0] = err[0] = '\0';
	if (pf_run2(args, &status, out, sizeof(out), err, sizeof(err)) != 0)
		return -1;
	conf = tap_strdup_printf("%s/preforkd.conf", dir);
	pf_write_file(conf, out);
	free(conf);
	return pf_exit_code(status);
}

/* check - "preforkd -t -c dir/preforkd.conf": 1 if it says OK. */
static int
check(const char *dir)
{
	char *conf = tap_strdup_printf("%s/preforkd.conf", dir);
	const char *args[] = { "-t", "-c", conf, NULL };
	char tout[4096], terr[8192];
	int status, good;

	good = pf_run2(args, &status, tout, sizeof(tout), terr,
	    sizeof(terr)) == 0 && pf_exit_code(status) == 0 &&
	    strstr(tout, "configuration OK") != NULL;
	if (!good)
		diag("preforkd -t: %s%s", tout, terr);
	free(conf);
	return good;
}

/*
 * start - preforkd on the imported text (with the test's pid file and
 * logs, and an access log for the built-ins' check): started and ready,
 * or NULL.  While the log says an address is in use (the well-known
 * ports, held for a moment by another test), tried again, within 60 s.
 */
static struct pf_daemon *
start(const char *imported)
{
	char *text = tap_strdup_printf("access_log = \"@DIR@/access.log\";\n"
	    "%s", imported);
	long deadline = pf_now_ms() + 2 * WAIT_MS;
	struct pf_daemon *d;
	char *log;
	int busy;

	for (;;) {
		d = pf_prepare(text);
		pf_launch(d, NULL);
		if (pf_wait_ready(d, WAIT_MS) == 0)
			break;
		log = pf_log(d);
		busy = strstr(log, "Address already in use") != NULL;
		free(log);
		if (!busy || pf_now_ms() > deadline) {
			pf_show(d);
			(void)pf_stop(d);
			d = NULL;
			break;
		}
		diag("an address is in use: trying again");
		(void)pf_stop(d);
		pf_sleep_ms(500);
	}
	free(text);
	return d;
}

/* test_tftp - the real tftp client fetches the file, exactly. */
static void
test_tftp(const char *what, const char *dir, int port)
{
	char portnum[16], *got, *log;
	int rc;

	snprintf(portnum, sizeof(portnum), "%d", port);
	got = tap_strdup_printf("%s/got-%s.img", dir, what);
	log = tap_strdup_printf("%s/tftp-%s.out", dir, what);
	rc = command((const char *[]){ TFTP, "-m", "binary", "127.0.0.1",
	    portnum, "-c", "get", "boot.img", got, NULL }, log);
	if (!ok(rc == 0 && same_bytes(got, TFTP_SIZE, 1), "%s: tftp gets "
	    "boot.img from in.tftpd, %d bytes, exactly", what, TFTP_SIZE))
		diag("tftp (exit %d) said: %s", rc, pf_file(log));
	free(got);
	free(log);
}

/*
 * test_rsync - the real rsync client lists the daemon's modules and the
 * module's files, and copies the tree, exactly.
 */
static void
test_rsync(const char *what, const char *dir, int port)
{
	char *url, *log, *text, *copy, *path;
	int rc, i, good;

	url = tap_strdup_printf("rsync://127.0.0.1:%d/", port);
	log = tap_strdup_printf("%s/rsync-%s.out", dir, what);
	rc = command((const char *[]){ RSYNC, "--contimeout=30",
	    "--timeout=30", url, NULL }, log);
	text = pf_file(log);
	if (!ok(rc == 0 && strstr(text, "mod") != NULL && strstr(text,
	    "the migrated module") != NULL, "%s: rsync lists the daemon's "
	    "module", what))
		diag("rsync (exit %d) said: %s", rc, text);
	free(text);
	free(url);

	url = tap_strdup_printf("rsync://127.0.0.1:%d/mod/", port);
	rc = command((const char *[]){ RSYNC, "--contimeout=30",
	    "--timeout=30", "-r", url, NULL }, log);
	text = pf_file(log);
	good = rc == 0;
	for (i = 0; i < TREE_FILES; i++)
		good = good && strstr(text, tree[i].path) != NULL;
	if (!ok(good, "%s: rsync lists the module's files", what))
		diag("rsync (exit %d) said: %s", rc, text);
	free(text);

	copy = tap_strdup_printf("%s/copy-%s/", dir, what);
	rc = command((const char *[]){ RSYNC, "--contimeout=30",
	    "--timeout=30", "-a", url, copy, NULL }, log);
	good = rc == 0;
	for (i = 0; i < TREE_FILES; i++) {
		path = tap_strdup_printf("%s%s", copy, tree[i].path);
		good = same_bytes(path, tree[i].size, i + 2) && good;
		free(path);
	}
	if (!ok(good, "%s: rsync -a copies the module's %d files, exactly",
	    what, TREE_FILES))
		diag("rsync (exit %d) said: %s", rc, pf_file(log));
	path = tap_strdup_printf("%s/mod", dir);
	rc = command((const char *[]){ "/usr/bin/diff", "-r", path, copy,
	    NULL }, log);
	text = pf_file(log);
	if (!ok(rc == 0, "%s: diff -r finds the copy the same tree", what))
		diag("diff -r (exit %d) said: %s", rc, text);
	free(text);
	free(path);
	free(copy);
	free(url);
	free(log);
}

/*
 * run - import the file with option, check the output, start preforkd
 * on it, and use every service with its real client; then stop it and
 * make sure no program of ours is left.
 */
static void
run(const char *what, const char *option, const char *file,
    const char *dir, const int *port, const char *udp_discard,
    int tftp_port, int rsync_port, const char *summary)
{
	struct pf_daemon *d;
	pid_t seen[64];
	int rc, nseen = 0;

	rc = import(option, file, dir);
	if (!ok(rc == 0 && strstr(err, summary) != NULL, "%s: preforkd %s: "
	    "exit 0, \"%s\"", what, option, summary))
		diag("exit %d: %s", rc, err);
	like(out, "mode = \"wait\";", "%s: the tftp line runs in exec mode "
	    "\"wait\"", what);
	like(out, "argv = [ \"/usr/bin/rsync\", \"--daemon\", \"--config=",
	    "%s: rsync runs as \"rsync --daemon --config=...\"", what);
	ok(check(dir), "%s: preforkd -t accepts preforkd.conf", what);
	if ((d = start(out)) == NULL)
		bail("%s: preforkd did not start on the imported configuration",
		    what);
	ok(pf_log_wait_count(d, "workers run as root (user = \"root\" on "
	    "this service)", 2, WAIT_MS) >= 2,
	    "%s: tftp and rsync run as root, as written, and said so", what);

	pf_builtins_check(d, what, port[0], port[1], port[2], port[3], port[4],
	    udp_discard);
	test_tftp(what, dir, tftp_port);
	pf_procs_collect(dir, seen, &nseen, 64);
	test_rsync(what, dir, rsync_port);
	pf_procs_collect(dir, seen, &nseen, 64);

	ok(nseen >= 1, "%s: the programs of ours seen running (%d; in.tftpd "
	    "lingers)", what, nseen);
	rc = pf_stop(d);
	ok(pf_exited_zero(rc), "%s: preforkd stops cleanly", what);
	ok(pf_wait_gone(seen, nseen, 10000) == 0, "%s: every program of ours "
	    "is gone", what);
	is_int(0, pf_procs_kill_matching(dir), "%s: no process of ours is "
	    "left over", what);
}

/* The inetd.conf of a Debian administrator, on 127.0.0.1. */
static void
test_inetd(const char *dir)
{
	static const int port[5] = { 7, 9, 13, 37, 19 };
	int tftp_port, rsync_port;
	char *conf;

	if ((tftp_port = pf_free_port()) < 0 ||
	    (rsync_port = pf_free_port()) < 0)
		bail("no free port");
	conf = tap_strdup_printf("%s/inetd.conf", dir);
	pf_write_file(conf, tap_strdup_printf(
	    "# /etc/inetd.conf:  see inetd(8) for further informations.\n"
	    "#\n"
	    "# <service_name> <sock_type> <proto> <flags> <user> "
	    "<server_path> <args>\n"
	    "#\n"
	    "# Only on the loopback address.\n"
	    "127.0.0.1:\n"
	    "#:INTERNAL: Internal services\n"
	    "echo\t\tstream\ttcp\tnowait\troot\tinternal\n"
	    "echo\t\tdgram\tudp\twait\troot\tinternal\n"
	    "discard\t\tstream\ttcp\tnowait\troot\tinternal\n"
	    "discard\t\tdgram\tudp\twait\troot\tinternal\n"
	    "daytime\t\tstream\ttcp\tnowait\troot\tinternal\n"
	    "daytime\t\tdgram\tudp\twait\troot\tinternal\n"
	    "time\t\tstream\ttcp\tnowait\troot\tinternal\n"
	    "time\t\tdgram\tudp\twait\troot\tinternal\n"
	    "chargen\t\tstream\ttcp\tnowait\troot\tinternal\n"
	    "chargen\t\tdgram\tudp\twait\troot\tinternal\n"
	    "\n"
	    "#:BOOT: TFTP service is provided primarily for booting.\n"
	    "%d\t\tdgram\tudp\twait\troot\t/usr/sbin/in.tftpd "
	    "/usr/sbin/in.tftpd -s %s/tftp\n"
	    "\n"
	    "#:OTHER: Other services\n"
	    "%d\t\tstream\ttcp\tnowait\troot\t/usr/bin/rsync rsyncd "
	    "--daemon --config=%s/rsyncd.conf\n", tftp_port, dir, rsync_port,
	    dir));
	run("inetd", "--import-inetd", conf, dir, port, "discard-udp",
	    tftp_port, rsync_port, "12 services carried over, 0 disabled");
	free(conf);
}

/*
 * The xinetd.d of a Debian administrator: the internal services as
 * UNLISTED ones, tftp and rsync as the packages' examples have them
 * (enabled), each bound to 127.0.0.1 on a port of its own.
 */
static void
test_xinetd(const char *dir)
{
	static const char *const names[5] = {
		"echo", "discard", "daytime", "time", "chargen"
	};
	int port[5], tftp_port, rsync_port, i;
	char *sub, *path;

	sub = tap_strdup_printf("%s/xinetd.d", dir);
	mkdir_0755(sub);
	for (i = 0; i < 5; i++) {
		if ((port[i] = pf_free_port()) < 0)
			bail("no free port");
		path = tap_strdup_printf("%s/%s", sub, names[i]);
		pf_write_file(path, tap_strdup_printf(
		    "# default: off\n"
		    "# description: An xinetd internal service.\n"
		    "service %s\n{\n\tdisable\t\t= no\n"
		    "\ttype\t\t= INTERNAL UNLISTED\n"
		    "\tid\t\t= %s-stream\n\tsocket_type\t= stream\n"
		    "\tprotocol\t= tcp\n\tuser\t\t= root\n\twait\t\t= no\n"
		    "\tbind\t\t= 127.0.0.1\n\tport\t\t= %d\n}\n\n"
		    "service %s\n{\n\tdisable\t\t= no\n"
		    "\ttype\t\t= INTERNAL UNLISTED\n"
		    "\tid\t\t= %s-dgram\n\tsocket_type\t= dgram\n"
		    "\tprotocol\t= udp\n\tuser\t\t= root\n\twait\t\t= yes\n"
		    "\tbind\t\t= 127.0.0.1\n\tport\t\t= %d\n}\n", names[i],
		    names[i], port[i], names[i], names[i], port[i]));
		free(path);
	}
	if ((tftp_port = pf_free_port()) < 0 ||
	    (rsync_port = pf_free_port()) < 0)
		bail("no free port");
	path = tap_strdup_printf("%s/tftp", sub);
	pf_write_file(path, tap_strdup_printf(
	    "service tftp\n{\n\tdisable\t\t= no\n\ttype\t\t= UNLISTED\n"
	    "\tsocket_type\t= dgram\n\tprotocol\t= udp\n\twait\t\t= yes\n"
	    "\tuser\t\t= root\n\tserver\t\t= /usr/sbin/in.tftpd\n"
	    "\tserver_args\t= -s %s/tftp\n\tbind\t\t= 127.0.0.1\n"
	    "\tport\t\t= %d\n}\n", dir, tftp_port));
	free(path);
	path = tap_strdup_printf("%s/rsync", sub);
	pf_write_file(path, tap_strdup_printf(
	    "# default: off\n"
	    "# description: The rsync server is a good addition to an ftp "
	    "server, as it\n#\tallows crc checksumming etc.\n"
	    "service rsync\n{\n\tdisable\t\t= no\n\ttype\t\t= UNLISTED\n"
	    "\tflags\t\t= IPv4\n\tsocket_type\t= stream\n\twait\t\t= no\n"
	    "\tuser\t\t= root\n\tserver\t\t= /usr/bin/rsync\n"
	    "\tserver_args\t= --daemon --config=%s/rsyncd.conf\n"
	    "\tlog_on_failure\t+= USERID\n\tbind\t\t= 127.0.0.1\n"
	    "\tport\t\t= %d\n}\n", dir, rsync_port));
	free(path);
	run("xinetd", "--import-xinetd", sub, dir, port, "discard-dgram",
	    tftp_port, rsync_port, "12 services carried over, 0 disabled");
	free(sub);
}

int
main(void)
{
	char *dir;

	plan(3 + 2 * RUN_TESTS);
	ok(geteuid() == 0, "running as root: the well-known ports of the "
	    "built-ins, in.tftpd's chroot, rsync's (this test needs it)");
	if (!ok(access(TFTPD, X_OK) == 0 && access(TFTP, X_OK) == 0,
	    "in.tftpd and tftp are installed (apt-get install tftpd-hpa "
	    "tftp-hpa)") ||
	    !ok(access(RSYNC, X_OK) == 0, "rsync is installed (apt-get "
	    "install rsync)"))
		bail("cannot test the migration without them");
	dir = tap_strdup_printf("/tmp/migrate-t.XXXXXX");
	if (mkdtemp(dir) == NULL)
		sysbail("mkdtemp");
	tmpdir = dir;
	atexit(cleanup);
	if (chmod(dir, 0755) == -1)
		sysbail("chmod %s", dir);
	setup_files(dir);
	test_inetd(dir);
	test_xinetd(dir);
	return 0;
}
