/*
 * inherit-t.c - descriptors that whatever started preforkd left open (a
 * shell's redirection, a leaky supervisor) used to reach every worker and
 * every program of an exec service in mode "worker".  Here the real
 * preforkd starts with the write end of a pipe at fd 9, not close-on-exec,
 * next to an echo service and an exec service (mode worker) whose program
 * lists its own descriptors.  The program does not have it, no process of
 * the daemon has it, and the test's end of the pipe sees end-of-file: no
 * one holds the write end any more.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap/basic.h"
#include "../tap/daemon.h"
#include "../tap/net.h"

#define EXTRA_FD	9

/*
 * launch_leaky - start d's preforkd in the foreground, as pf_launch does,
 * but with leak (the write end of a pipe) at EXTRA_FD, not close-on-exec.
 */
static pid_t
launch_leaky(struct pf_daemon *d, int leak)
{
	const char *bin = getenv("PREFORKD");
	pid_t pid;
	int fd;

	if (bin == NULL)
		bail("PREFORKD is not set");
	fflush(stdout);
	if ((pid = fork()) < 0)
		sysbail("fork");
	if (pid == 0) {
		setpgid(0, 0);
		fd = open(d->stderr_log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(127);
		if ((fd = open("/dev/null", O_RDONLY)) < 0 || dup2(fd, 0) < 0)
			_exit(127);
		/* dup2 leaves the copy without close-on-exec. */
		if (dup2(leak, EXTRA_FD) < 0)
			_exit(127);
		execl(bin, bin, "-f", "-c", d->conf, (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid);
	d->pid = pid;
	d->child = 1;
	d->reaped = 0;
	return pid;
}

/* holds - does process pid hold a descriptor to target ("pipe:[ino]")? */
static int
holds(pid_t pid, const char *target)
{
	char path[64 + sizeof(((struct dirent *)0)->d_name)], link[128];
	struct dirent *de;
	DIR *dir;
	ssize_t n;
	int found = 0;

	snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
	if ((dir = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/fd/%s", (long)pid,
		    de->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (strcmp(link, target) == 0)
			found = 1;
	}
	closedir(dir);
	return found;
}

/* listing - poll for the file the program writes: its text, or NULL. */
static char *
listing(const char *dir, int timeout_ms)
{
	long deadline = pf_now_ms() + timeout_ms;
	struct dirent *de;
	char *path, *text = NULL;
	DIR *d;

	while (text == NULL && pf_now_ms() < deadline) {
		if ((d = opendir(dir)) == NULL)
			sysbail("opendir %s", dir);
		while (text == NULL && (de = readdir(d)) != NULL) {
			if (strncmp(de->d_name, "fds.", 4) != 0 ||
			    strstr(de->d_name, ".tmp") != NULL)
				continue;
			path = tap_strdup_printf("%s/%s", dir, de->d_name);
			text = pf_file(path);
			free(path);
		}
		closedir(d);
		if (text == NULL)
			pf_sleep_ms(20);
	}
	return text;
}

int
main(void)
{
	struct pf_daemon *d;
	struct pollfd pfd;
	struct stat sb;
	struct passwd *pw;
	char *outdir, *script, *text, *target, *needle, buf[16];
	pid_t pids[16];
	int p[2], port, n, i, bad, st;

	plan(9);
	alarm(60);

	if (pipe2(p, O_CLOEXEC) < 0 || fstat(p[1], &sb) < 0)
		sysbail("pipe");
	target = tap_strdup_printf("pipe:[%lu]", (unsigned long)sb.st_ino);

	d = pf_prepare("services = (\n"
	    "  { name = \"echo\"; handler = \"echo\"; workers = 2;\n"
	    "    listen = \"127.0.0.1:0\"; },\n"
	    "  { name = \"prog\"; handler = \"exec\"; workers = 1;\n"
	    "    listen = \"127.0.0.1:0\";\n"
	    "    exec = { argv = [ \"/bin/sh\", \"@DIR@/list.sh\" ];\n"
	    "      mode = \"worker\"; }; }\n);\n");
	outdir = pf_path(d, "out");
	script = pf_path(d, "list.sh");
	if (mkdir(outdir, 0755) < 0)
		sysbail("mkdir %s", outdir);
	/* The program runs as the workers' user: let it write there. */
	if (geteuid() == 0 && ((pw = getpwnam("nobody")) == NULL ||
	    chown(outdir, pw->pw_uid, pw->pw_gid) < 0))
		sysbail("chown %s to nobody", outdir);
	text = tap_strdup_printf("#!/bin/sh\n"
	    "ls -l /proc/$$/fd > %s/fds.$$.tmp && mv %s/fds.$$.tmp %s/fds.$$\n"
	    "exec sleep 600\n", outdir, outdir, outdir);
	pf_write_file(script, text);
	free(text);
	if (chmod(script, 0755) < 0)
		sysbail("chmod %s", script);

	launch_leaky(d, p[1]);
	close(p[1]);
	if (pf_wait_ready(d, 10000) < 0) {
		pf_show(d);
		bail("preforkd did not start");
	}
	port = pf_port(d, "echo", "tcp");
	ok(port > 0 && pf_echo_tcp("127.0.0.1", port, "hello\n"),
	    "preforkd started with a pipe at fd %d, and serves", EXTRA_FD);

	text = listing(outdir, 10000);
	ok(text != NULL, "the program of the exec service (mode worker) "
	    "listed its descriptors");
	if (text != NULL)
		diag("its descriptors:\n%s", text);
	needle = tap_strdup_printf(" %d -> ", EXTRA_FD);
	ok(text != NULL && strstr(text, target) == NULL &&
	    strstr(text, needle) == NULL,
	    "the program has no fd %d, and not the pipe (%s)", EXTRA_FD,
	    target);
	ok(text != NULL && strstr(text, " 3 -> socket:[") != NULL,
	    "it has its listening socket at fd 3");
	free(needle);
	free(text);

	ok(holds(d->pid, target) == 0, "the master does not hold the pipe");
	n = pf_wait_workers(d, 3, 5000);
	pf_workers(d, pids, 16);
	for (i = 0, bad = 0; i < n; i++)
		if (holds(pids[i], target) != 0)
			bad++;
	ok(n == 3 && bad == 0, "none of its %d workers holds it (%d do)", n,
	    bad);

	/* The proof from the other end: every copy of the write end is gone. */
	pfd.fd = p[0];
	pfd.events = POLLIN;
	ok(poll(&pfd, 1, 5000) == 1 && read(p[0], buf, sizeof(buf)) == 0,
	    "the test's end of the pipe reads end-of-file");
	close(p[0]);

	ok(pf_echo_tcp("127.0.0.1", port, "again\n"), "echo still serves");
	st = pf_stop(d);
	ok(pf_exited_zero(st), "TERM: the master exits 0");
	free(target);
	free(outdir);
	free(script);
	return 0;
}
