/*
 * log.c - the error log: one line per message to stderr, syslog or a file,
 * each line written with a single write() so the master and its workers can
 * share one file.  While the daemon starts, errors are also copied to the
 * terminal (or to the launcher through the readiness pipe), so a failed
 * start is never silent.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "preforkd.h"

#define LOG_LINE_MAX	4096

enum log_dest {
	DEST_STDERR,
	DEST_SYSLOG,
	DEST_FILE,
};

static struct {
	enum log_dest	 dest;
	int		 fd;		/* DEST_STDERR: 2; DEST_FILE: the file */
	char		*path;
	int		 level;
	int		 startup_fd;	/* errors copied here until ready */
	char		 role[SERVICE_NAME_MAX + 16];
	pid_t		 pid;
	uid_t		 uid;		/* owner of the file, when root */
	gid_t		 gid;
	int		 created;	/* the file was created by us */
} lg PF_HOT_DATA = { DEST_STDERR, 2, NULL, LL_INFO, -1, "preforkd", 0, (uid_t)-1,
    (gid_t)-1, 0 };

static const char *const level_names[] = {
	"error", "warning", "notice", "info", "debug",
};

static const int level_syslog[] = {
	LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG,
};

/* log_level_parse - "info" -> LL_INFO; -1 for an unknown name. */
int
log_level_parse(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcmp(name, level_names[i]) == 0)
			return (int)i;
	return -1;
}

/* log_init - log to stderr at this level until log_open says otherwise. */
void
log_init(int level)
{
	lg.level = level;
	lg.pid = getpid();
}

void
log_set_level(int level)
{
	lg.level = level;
}

/* log_would - is a message at level written?  To skip costly formatting. */
PF_HOT int
log_would(int level)
{
	return level <= lg.level;
}

/*
 * log_set_startup_fd - until the daemon is ready, copy errors and warnings
 * to fd as well: stderr in the foreground, the readiness pipe to the
 * launcher when daemonizing.  -1 stops the copying.
 */
void
log_set_startup_fd(int fd)
{
	lg.startup_fd = fd;
}

/*
 * log_set_role - name this process in log lines: "preforkd", or
 * "preforkd/echo" in a worker of service echo.  Put together without
 * printf, whose pages a worker would otherwise fault in as it starts.
 */
PF_START void
log_set_role(const char *service)
{
	size_t n = sizeof(PACKAGE) - 1;

	memcpy(lg.role, PACKAGE, n);
	if (service != NULL) {
		lg.role[n++] = '/';
		while (*service != '\0' && n < sizeof(lg.role) - 1)
			lg.role[n++] = *service++;
	}
	lg.role[n] = '\0';
	lg.pid = getpid();
	if (lg.dest == DEST_SYSLOG) {
		closelog();
		openlog(lg.role, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	}
}

/* log_file - the path of the error log file, or "-" when it is none. */
const char *
log_file(void)
{
	return lg.dest == DEST_FILE && lg.path != NULL ? lg.path : "-";
}

/* log_fd - the file descriptor of the log file, or -1 (for exec'd children). */
int
log_fd(void)
{
	return lg.dest == DEST_SYSLOG ? -1 : lg.fd;
}

/*
 * log_open_file - open (or create) the error log: never through a
 * symbolic link, only a regular file, and given to the workers' user only
 * when the master has just created it (file.c says why).
 */
static int
log_open_file(const char *path, int *created)
{
	return file_append(path, lg.uid, lg.gid, created);
}

/*
 * log_chown - when root, remember the workers' user, and give it the log
 * file if this master created it (log_open_file explains why only then).
 */
int
log_chown(uid_t uid, gid_t gid)
{
	lg.uid = uid;
	lg.gid = gid;
	if (lg.dest != DEST_FILE || geteuid() != 0 || !lg.created)
		return 0;
	return fchown(lg.fd, uid, gid);
}

/*
 * log_open - switch to the configured error_log: NULL means stderr in the
 * foreground and syslog as a daemon.  Returns 0, or -1 with errno when the
 * file cannot be opened (the old destination stays).
 */
int
log_open(const char *spec, int foreground)
{
	int fd, created;

	if (spec == NULL)
		spec = foreground ? "stderr" : "syslog";
	if (strcmp(spec, "stderr") == 0) {
		lg.dest = DEST_STDERR;
		lg.fd = 2;
	} else if (strcmp(spec, "syslog") == 0) {
		lg.dest = DEST_SYSLOG;
		openlog(lg.role, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	} else {
		if ((fd = log_open_file(spec, &created)) == -1)
			return -1;
		if (lg.dest == DEST_FILE && lg.fd >= 0)
			close(lg.fd);
		free(lg.path);
		if ((lg.path = strdup(spec)) == NULL) {
			close(fd);
			return -1;
		}
		lg.dest = DEST_FILE;
		lg.fd = fd;
		lg.created = created;
	}
	return 0;
}

/*
 * log_reopen - open the log file again under its name (after logrotate
 * renamed it).  The new file takes the old one's descriptor number, so a
 * line written at any moment lands in one file or the other, never nowhere.
 */
int
log_reopen(void)
{
	int fd, created;

	if (lg.dest != DEST_FILE)
		return 0;
	if ((fd = log_open_file(lg.path, &created)) == -1)
		return -1;
	if (dup2(fd, lg.fd) == -1) {
		close(fd);
		return -1;
	}
	close(fd);
	lg.created = created;
	return fd_cloexec(lg.fd, 1);
}

/*
 * log_adopt - write the log file to fd from now on (a copy of the
 * master's, logpass.c), onto the same descriptor number as log_reopen.
 */
int
log_adopt(int fd)
{
	if (lg.dest != DEST_FILE)
		return 0;
	if (dup2(fd, lg.fd) == -1)
		return -1;
	return fd_cloexec(lg.fd, 1);
}

/* log_timestamp - "2026-11-21T17:44:00.123+01:00", now, local time. */
static size_t
log_timestamp(char *buf, size_t len)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return time_format(buf, len, &ts, 1);
}

static void
log_write(int fd, const char *buf, size_t len)
{
	ssize_t w;

	while (len > 0) {
		w = write(fd, buf, len);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		buf += w;
		len -= (size_t)w;
	}
}

/*
 * log_wanted - whether a message at level goes anywhere.  log_vmsg() asks
 * it first, before it reads errno or uses its frame (three line buffers,
 * 12 KiB, which the compiler then sets up only past the test): a master
 * that has just forked, and logs each worker it starts at info, would
 * otherwise take a copy-on-write fault three pages down the stack, and
 * another on errno's page, for a message that is dropped.
 */
static inline int
log_wanted(int level)
{
	return log_would(level) || (level <= LL_WARNING && lg.startup_fd >= 0);
}

/* log_vmsg - format and write one message at level; keeps errno. */
void
log_vmsg(int level, const char *fmt, va_list ap)
{
	char raw[LOG_LINE_MAX], msg[LOG_LINE_MAX], line[LOG_LINE_MAX + 128];
	int saved;
	size_t n;

	if (!log_wanted(level))
		return;		/* errno untouched */
	saved = errno;
	vsnprintf(raw, sizeof(raw), fmt, ap);
	/* Bytes from a client, a program or a file name never forge a line. */
	escape_text(msg, sizeof(msg), raw, strlen(raw), ESCAPE_LINE);

	if (level <= lg.level) {
		if (lg.dest == DEST_SYSLOG)
			syslog(level_syslog[level], "%s", msg);
		else {
			n = log_timestamp(line, sizeof(line));
			n += (size_t)snprintf(line + n, sizeof(line) - n,
			    " %s[%ld]: %s: %s\n", lg.role, (long)lg.pid,
			    level_names[level], msg);
			if (n >= sizeof(line))
				n = sizeof(line) - 1;
			log_write(lg.fd, line, n);
		}
	}
	/* Until ready, the person who started us sees errors and warnings. */
	if (level <= LL_WARNING && lg.startup_fd >= 0 &&
	    !(lg.dest == DEST_STDERR && lg.startup_fd == 2)) {
		n = (size_t)snprintf(line, sizeof(line), "preforkd: %s%s\n",
		    level == LL_WARNING ? "warning: " : "", msg);
		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		log_write(lg.startup_fd, line, n);
	}
	errno = saved;
}

void
log_msg(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

#define LOG_FN(fn, level)				\
void							\
fn(const char *fmt, ...)				\
{							\
	va_list ap;					\
							\
	va_start(ap, fmt);				\
	log_vmsg(level, fmt, ap);			\
	va_end(ap);					\
}

LOG_FN(log_error, LL_ERROR)
LOG_FN(log_warning, LL_WARNING)
LOG_FN(log_notice, LL_NOTICE)
LOG_FN(log_info, LL_INFO)
LOG_FN(log_debug, LL_DEBUG)

/* fatal - log an error and exit with the runtime-failure status. */
void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LL_ERROR, fmt, ap);
	va_end(ap);
	exit(EXIT_RUNTIME);
}
