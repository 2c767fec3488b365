/*
 * main.c - the preforkd command: parse the command line, then either check
 * the config (-t), signal a running master (-s), or start one in the fixed
 * order: close inherited descriptors, validate, lock the pid file, bind,
 * daemonize, fork the workers, write the pid file.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preforkd.h"
#include "import.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR	"/etc"
#endif

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: preforkd [-c FILE] [-f] [-t] [-s SIGNAL [--json]] [-V] "
	    "[-h]\n"
	    "       preforkd --import-inetd FILE | --import-xinetd FILE|DIR\n"
	    "  -c FILE    config file (default: %s/preforkd.conf)\n"
	    "  -f         stay in the foreground, log to stderr unless the "
	    "config says otherwise\n"
	    "  -t         check the config and exit\n"
	    "  -s SIGNAL  send to the running master: stop | quit | reload | "
	    "reopen | upgrade | status\n"
	    "  --json     with -s status: the status as JSON\n"
	    "  --import-inetd FILE, --import-xinetd FILE|DIR\n"
	    "             print the preforkd.conf equivalent to an inetd.conf, "
	    "or to\n"
	    "             an xinetd.conf or xinetd.d, and exit\n"
	    "  -V         print the version and exit\n"
	    "  -h         print this help and exit\n", SYSCONFDIR);
}

/*
 * main_listen - bind every listener of every service (or take it from
 * LISTEN_FDS or the old master of an upgrade).  Every failure is logged,
 * not just the first, and on failure nothing stays bound.
 */
static struct listener **
main_listen(const struct conf *conf)
{
	struct errlist errs = { NULL, 0 };
	struct listener **ls;
	size_t i;

	ls = sockets_open(conf, &errs);
	for (i = 0; i < errs.n; i++)
		log_error("%s", errs.msg[i]);
	errlist_free(&errs);
	return ls;
}

/* main_check - -t: "FILE: configuration OK", or every error. */
static int
main_load(const char *file, struct conf **conf)
{
	struct errlist errs = { NULL, 0 };
	size_t i;

	*conf = conf_load(file, &errs);
	for (i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msg[i]);
	errlist_free(&errs);
	return *conf == NULL ? EXIT_CONFIG : EXIT_OK;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "json",	no_argument,	NULL,	'j' },
		{ "import-inetd", required_argument, NULL, 'I' },
		{ "import-xinetd", required_argument, NULL, 'X' },
		{ NULL,		0,		NULL,	0 },
	};
	const char *file = SYSCONFDIR "/preforkd.conf", *signame = NULL;
	const char *import = NULL, *import_path = NULL;
	struct listener **listeners;
	struct conf *conf;
	char err[512], cwd[PATH_MAX], conf_path[PATH_MAX + 64];
	int ch, foreground = 0, test = 0, json = 0, rc, inherited = 0;
	int inherit_errno = 0, other = 0;
	pid_t upgrading;
	size_t i;

	while ((ch = getopt_long(argc, argv, "c:fhs:tV", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'c':
			file = optarg;
			other = 1;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 's':
			signame = optarg;
			if (!ctl_valid(signame)) {
				fprintf(stderr, "preforkd: -s: unknown signal "
				    "\"%s\" (use stop, quit, reload, reopen, "
				    "upgrade or status)\n", signame);
				return EXIT_USAGE;
			}
			break;
		case 't':
			test = 1;
			break;
		case 'j':
			json = 1;
			break;
		case 'I':
		case 'X':
			if (import != NULL) {
				fprintf(stderr, "preforkd: --import-inetd and "
				    "--import-xinetd: one at a time\n");
				return EXIT_USAGE;
			}
			import = ch == 'I' ? "--import-inetd" :
			    "--import-xinetd";
			import_path = optarg;
			break;
		case 'V':
			printf("preforkd %s\n", PACKAGE_VERSION);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "preforkd: unexpected argument \"%s\"\n",
		    argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (import != NULL) {
		if (other || foreground || test || signame != NULL || json) {
			fprintf(stderr, "preforkd: %s takes no other option "
			    "(it prints a configuration on standard output)\n",
			    import);
			return EXIT_USAGE;
		}
		return import_main(import, import_path);
	}
	if (json && (signame == NULL || strcmp(signame, "status") != 0)) {
		fprintf(stderr, "preforkd: --json goes with -s status\n");
		return EXIT_USAGE;
	}
	if (test && signame != NULL) {
		fprintf(stderr, "preforkd: -t and -s cannot be combined\n");
		return EXIT_USAGE;
	}

	/*
	 * Starting a master: take LISTEN_FDS (at 3..), then close every other
	 * descriptor whoever started us left open, before anything of ours is
	 * open (the config file, a module's): a leaked file or pipe would
	 * otherwise reach every worker and every program they run.
	 */
	if (!test && signame == NULL) {
		if ((inherited = listen_inherit_init()) == -1)
			inherit_errno = errno;
		fd_close_range(3 + (inherited > 0 ? inherited : 0), -1);
	}
	if ((rc = main_load(file, &conf)) != EXIT_OK)
		return rc;
	if (test) {
		for (i = 0; i < conf->warnings.n; i++)
			fprintf(stderr, "warning: %s\n", conf->warnings.msg[i]);
		printf("%s: configuration OK\n", file);
		conf_free(conf);
		return EXIT_OK;
	}
	if (signame != NULL) {
		rc = ctl_send(conf, signame, json);
		conf_free(conf);
		return rc;
	}

	log_init(conf->log_level);
	log_set_startup_fd(2);
	upgrade_init(argv[0]);
	notify_init();
	if (inherited == -1) {
		log_error("cannot take the sockets in LISTEN_FDS: %s",
		    strerror(inherit_errno));
		return EXIT_RUNTIME;
	}
	upgrading = listen_inherit_upgrade();
	/*
	 * Reloads read the file again after chdir("/"), and resolve its
	 * relative paths: remember where we started.
	 */
	if (getcwd(cwd, sizeof(cwd)) == NULL || (file[0] == '/' ?
	    snprintf(conf_path, sizeof(conf_path), "%s", file) :
	    snprintf(conf_path, sizeof(conf_path), "%s/%s", cwd, file)) >=
	    (int)sizeof(conf_path)) {
		log_error("cannot make the config path %s absolute", file);
		return EXIT_RUNTIME;
	}
	if (conf->user != NULL && geteuid() != 0)
		log_notice("user \"%s\" is ignored: preforkd was not started "
		    "as root", conf->user);
	if (daemon_pidfile_lock(conf->pid_file, err, sizeof(err)) == -1) {
		log_error("%s", err);
		return EXIT_RUNTIME;
	}
	if (log_open(conf->error_log, foreground) == -1) {
		log_error("cannot open the error log %s: %s", conf->error_log,
		    file_error_at(conf->error_log, errno));
		daemon_pidfile_remove();
		return EXIT_RUNTIME;
	}
	for (i = 0; i < conf->warnings.n; i++)
		log_warning("%s", conf->warnings.msg[i]);
	if (conf->user != NULL && geteuid() == 0)
		log_chown(conf->uid, conf->gid);
	if (access_open(conf->access_log, conf->user != NULL ? conf->uid :
	    (uid_t)-1, conf->gid) == -1) {
		log_error("cannot open the access log %s: %s",
		    conf->access_log, file_error_at(conf->access_log, errno));
		daemon_pidfile_remove();
		return EXIT_RUNTIME;
	}
	/* Workers take the logs reopened after a rotation from here. */
	if (logpass_init() == -1 || logpass_publish() == -1)
		log_warning("cannot set up the passing of log files to the "
		    "workers (%s): after a rotation they reopen the files by "
		    "name", strerror(errno));
	daemon_log_users(conf);
	if ((listeners = main_listen(conf)) == NULL) {
		daemon_pidfile_remove();
		return EXIT_RUNTIME;
	}
	if (conf->control_socket != NULL &&
	    control_open(conf->control_socket, err, sizeof(err)) == -1) {
		log_error("%s", err);
		sockets_free(conf, listeners);
		daemon_pidfile_remove();
		return EXIT_RUNTIME;
	}
	listen_inherit_done();
	/*
	 * A new master of an upgrade is already detached, as its parent
	 * was; it only leaves the start directory it was run in.
	 */
	if (!foreground && upgrading && chdir("/") == -1)
		log_warning("chdir /: %s", strerror(errno));
	if (!foreground && !upgrading && daemon_start() == -1) {
		log_error("cannot become a daemon: %s", strerror(errno));
		daemon_pidfile_remove();
		return EXIT_RUNTIME;
	}
	rc = master_run(conf, listeners, foreground, conf_path, cwd,
	    upgrading);
	daemon_pidfile_remove();
	return rc;
}
