/*
 * notify.c - the systemd notification protocol, spoken directly: one
 * datagram of "KEY=value" lines to the AF_UNIX socket named by
 * NOTIFY_SOCKET (a path, or an abstract name when it starts with "@").
 * Without NOTIFY_SOCKET every call is a no-op.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "preforkd.h"

static char	*notify_path;	/* NULL: not under systemd */

/*
 * notify_init - take NOTIFY_SOCKET out of the environment (workers and
 * the programs they run must not inherit it) and remember it.
 */
void
notify_init(void)
{
	const char *s = getenv("NOTIFY_SOCKET");

	if (s != NULL && (s[0] == '/' || s[0] == '@') && s[1] != '\0')
		notify_path = strdup(s);
	unsetenv("NOTIFY_SOCKET");
}

/* notify_socket - the socket path, for a successor master; or NULL. */
const char *
notify_socket(void)
{
	return notify_path;
}

/* notify_send - send one notification; 0, or -1 with errno (logged once). */
int
notify_send(const char *fmt, ...)
{
	struct sockaddr_un sun;
	char msg[512];
	socklen_t len;
	va_list ap;
	size_t n;
	int fd, rc;

	if (notify_path == NULL)
		return 0;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	n = strlen(notify_path);
	if (n >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, notify_path, n);
	if (sun.sun_path[0] == '@')
		sun.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);

	if ((fd = socket(AF_UNIX, SOCK_DGRAM, 0)) == -1)
		return -1;
	rc = sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&sun, len) ==
	    -1 ? -1 : 0;
	if (rc == -1)
		log_warning("cannot notify systemd at %s: %s", notify_path,
		    strerror(errno));
	close(fd);
	return rc;
}

/* notify_monotonic_usec - CLOCK_MONOTONIC in microseconds, for RELOADING=1. */
unsigned long long
notify_monotonic_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000ULL;
}
