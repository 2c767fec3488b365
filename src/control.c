/*
 * control.c - the control socket: a unix stream socket (mode 0600) on
 * which the master answers "status" and "status json" (preforkd -s
 * status), "progress" (one line: how far a start or reload is; -s upgrade
 * asks the new master) and "reload" (preforkd -s reload, which so learns
 * the outcome).  Everything is non-blocking and bounded in time, so that
 * a slow or silent client can never stall the master's loop.  A reload's
 * client waits while the new pools are forked: it gets progress lines and
 * the outcome as the master's loop comes to them (control_waiters_say).
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef HAVE_MALLOC_TRIM
#include <malloc.h>
#endif

#include "preforkd.h"

/* How long a client may take to ask and to read the answer. */
#define CONTROL_CLIENT_MS	5000
/* An answer this big (the status of thousands of workers) is given back
 * to the system once sent. */
#define CONTROL_BIG_ANSWER	(128 * 1024)

struct control_client {
	int		 fd;		/* -1: free */
	int64_t		 deadline;
	char		 in[CONTROL_REQUEST_MAX];
	size_t		 inlen;
	int		 answered;	/* the request is taken */
	int		 waiting;	/* for a reload's outcome */
	int		 done;		/* close once out is written */
	int		 eof;		/* it sent EOF: poll it for no input */
	char		*out;		/* to write from outoff to outlen */
	size_t		 outlen;
	size_t		 outoff;
	size_t		 outcap;
};

static struct listener		ctl = { .fd = -1 };
static struct control_client	clients[CONTROL_CLIENTS_MAX];
static int			clients_ready;

/*
 * control_client_close - done with cl.  After a big answer the freed
 * memory goes back to the system: left in the master's heap, its dirty
 * pages would be copied into the page tables of every worker forked
 * later, and make each fork of a big pool slower (malloc keeps such
 * buffers in the heap once it has freed one of that size).
 */
static void
control_client_close(struct control_client *cl)
{
	int big = cl->outcap >= CONTROL_BIG_ANSWER;

	if (cl->fd != -1)
		close(cl->fd);
	free(cl->out);
	memset(cl, 0, sizeof(*cl));
	cl->fd = -1;
#ifdef HAVE_MALLOC_TRIM
	if (big)
		(void)malloc_trim(0);
#else
	(void)big;
#endif
}

/* control_append - text added to what cl is to be sent.  -1: out of memory. */
static int
control_append(struct control_client *cl, const char *text)
{
	size_t n = strlen(text), cap;
	char *p;

	if (cl->outoff == cl->outlen)
		cl->outoff = cl->outlen = 0;
	if (cl->outlen + n + 1 > cl->outcap) {
		cap = cl->outcap == 0 ? 256 : cl->outcap;
		while (cap < cl->outlen + n + 1)
			cap *= 2;
		if ((p = realloc(cl->out, cap)) == NULL)
			return -1;
		cl->out = p;
		cl->outcap = cap;
	}
	memcpy(cl->out + cl->outlen, text, n + 1);
	cl->outlen += n;
	return 0;
}

static void
control_clients_init(void)
{
	size_t i;

	if (clients_ready)
		return;
	for (i = 0; i < CONTROL_CLIENTS_MAX; i++)
		clients[i].fd = -1;
	clients_ready = 1;
}

/*
 * control_open - bind the control socket at path (a stale one of a dead
 * run is replaced, a live one is an error).  0, or -1 with err.
 */
int
control_open(const char *path, char *err, size_t errlen)
{
	char text[sizeof(((struct sockaddr_un *)0)->sun_path) + 8];
	char cause[256];

	control_clients_init();
	snprintf(text, sizeof(text), "unix:%s", path);
	if (addr_parse(text, &ctl.addr, cause, sizeof(cause)) == -1) {
		snprintf(err, errlen, "control socket %s: %s", path, cause);
		return -1;
	}
	/* During an upgrade, the old master hands it over. */
	if (listen_inherit_take(&ctl, CONTROL_FDNAME, 16, 0600, 0))
		return 0;
	if (listen_open(&ctl, 16, 0600, 0, cause, sizeof(cause)) == -1) {
		snprintf(err, errlen, "cannot open the control socket %s: %s",
		    path, cause);
		return -1;
	}
	return 0;
}

/* control_fd - the listening control socket, for an upgrade; or -1. */
int
control_fd(void)
{
	return ctl.fd;
}

/* control_disown - the new master serves it now: never remove the file. */
void
control_disown(void)
{
	ctl.shared = 1;
}

/*
 * control_release - the new master of an upgrade answers from now on:
 * stop answering, without removing the socket it took over.  What is
 * left to say (a reload's last line) gets one try.
 */
void
control_release(void)
{
	struct control_client *cl;
	ssize_t n;
	size_t i;

	for (i = 0; i < CONTROL_CLIENTS_MAX; i++) {
		cl = &clients[i];
		if (cl->fd != -1 && cl->outoff < cl->outlen) {
			n = write(cl->fd, cl->out + cl->outoff,
			    cl->outlen - cl->outoff);
			(void)n;
		}
		control_client_close(cl);
	}
	if (ctl.fd != -1)
		close(ctl.fd);
	ctl.fd = -1;
}

/* control_close - at exit: close everything, remove the socket file. */
void
control_close(void)
{
	size_t i;

	control_clients_init();
	for (i = 0; i < CONTROL_CLIENTS_MAX; i++)
		control_client_close(&clients[i]);
	listen_close(&ctl);
}

/* control_child_close - in a new worker: drop the descriptors, keep the file. */
PF_START void
control_child_close(void)
{
	size_t i;

	if (ctl.fd != -1)
		close(ctl.fd);
	for (i = 0; i < CONTROL_CLIENTS_MAX; i++)
		if (clients_ready && clients[i].fd != -1)
			close(clients[i].fd);
}

/*
 * control_asked - whether a control client has come, has written, or
 * has room for the next piece of its answer (a poll() that does not
 * wait, of what control_pollfds() waits for): a batch of forks ends early
 * for it (supervise_fill), so that on a machine where one fork can take
 * tens of milliseconds, -s status waits for one fork, not for a batch;
 * the status of thousands of workers, larger than a socket's buffer,
 * leaves in pieces, and each goes as soon as the client has read the
 * last, not at the end of a batch.
 */
int
control_asked(void)
{
	struct pollfd pfd[1 + CONTROL_CLIENTS_MAX];
	int n;

	n = control_pollfds(pfd, 1 + CONTROL_CLIENTS_MAX);
	return n > 0 && poll(pfd, (nfds_t)n, 0) > 0;
}

/*
 * control_pollfds - add what the control socket waits for to pfd (room
 * for 1 + CONTROL_CLIENTS_MAX entries); returns how many were added.
 */
int
control_pollfds(struct pollfd *pfd, int max)
{
	struct control_client *cl;
	int n = 0;
	size_t i;

	if (ctl.fd == -1 || max < 1)
		return 0;
	pfd[n].fd = ctl.fd;
	pfd[n].events = POLLIN;
	pfd[n++].revents = 0;
	for (i = 0; i < CONTROL_CLIENTS_MAX && n < max; i++) {
		cl = &clients[i];
		if (cl->fd == -1)
			continue;
		pfd[n].fd = cl->fd;
		/* Waiting, input only tells that it went away (EOF, HUP). */
		pfd[n].events = cl->eof ? 0 : POLLIN;
		if (cl->outoff < cl->outlen)
			pfd[n].events |= POLLOUT;
		pfd[n++].revents = 0;
	}
	return n;
}

static struct control_client *
control_client_of(int fd)
{
	size_t i;

	for (i = 0; i < CONTROL_CLIENTS_MAX; i++)
		if (clients[i].fd == fd)
			return &clients[i];
	return NULL;
}

static void
control_accept(void)
{
	struct control_client *cl;
	int fd;

	while ((fd = accept(ctl.fd, NULL, NULL)) != -1) {
		if ((cl = control_client_of(-1)) == NULL) {
			log_warning("control socket: too many clients; "
			    "closing a new one");
			close(fd);
			continue;
		}
		if (fd_cloexec(fd, 1) == -1 || fd_nonblock(fd, 1) == -1) {
			log_warning("control socket: fcntl on a new client: "
			    "%s; closing it", strerror(errno));
			close(fd);
			continue;
		}
		cl->fd = fd;
		cl->deadline = now_ms() + CONTROL_CLIENT_MS;
	}
}

/* control_reply - text (a heap string, taken over) is cl's whole answer. */
static void
control_reply(struct control_client *cl, char *text)
{
	if (text == NULL || *text == '\0') {
		free(text);
		control_client_close(cl);
		return;
	}
	free(cl->out);
	cl->out = text;
	cl->outlen = cl->outcap = strlen(text);
	cl->outoff = 0;
	cl->done = 1;
}

/* The requests, as the client writes them (without the line end). */
static const struct {
	const char	*text;
	int		 ask;		/* enum control_ask */
} control_asks[] = {
	{ "status", CONTROL_STATUS },
	{ "status json", CONTROL_STATUS_JSON },
	{ "progress", CONTROL_PROGRESS },
	{ "reload", CONTROL_RELOAD },
};

/*
 * control_request - the request at the start of buf[0..len), bytes a
 * client sent: CONTROL_MORE while no line end ("\n", or "\r\n") came,
 * CONTROL_TOO_LONG when none came in CONTROL_REQUEST_MAX bytes, else
 * what the line asks, CONTROL_UNKNOWN for any other line.  The line is
 * put in shown (shownlen bytes, escaped: it is the client's) for the
 * messages.  Pure, and reads nothing past len: tests/fuzz drives it.
 */
int
control_request(const char *buf, size_t len, char *shown, size_t shownlen)
{
	const char *nl;
	size_t n, i;

	if (shownlen > 0)
		shown[0] = '\0';
	if (len > CONTROL_REQUEST_MAX)
		len = CONTROL_REQUEST_MAX;
	if ((nl = memchr(buf, '\n', len)) == NULL)
		return len == CONTROL_REQUEST_MAX ? CONTROL_TOO_LONG :
		    CONTROL_MORE;
	n = (size_t)(nl - buf);
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	escape_text(shown, shownlen, buf, n, ESCAPE_VALUE);
	for (i = 0; i < sizeof(control_asks) / sizeof(control_asks[0]); i++)
		if (strlen(control_asks[i].text) == n &&
		    memcmp(control_asks[i].text, buf, n) == 0)
			return control_asks[i].ask;
	return CONTROL_UNKNOWN;
}

/* control_answer - the request ask (enum control_ask) is whole: reply. */
static void
control_answer(struct control_client *cl, int ask, const char *shown)
{
	char *text;
	int wait;

	cl->answered = 1;
	switch (ask) {
	case CONTROL_STATUS:
		control_reply(cl, master_status(0));
		break;
	case CONTROL_STATUS_JSON:
		control_reply(cl, master_status(1));
		break;
	case CONTROL_PROGRESS:
		control_reply(cl, master_progress());
		break;
	case CONTROL_RELOAD:
		text = master_reload_request(&wait);
		if (!wait) {
			control_reply(cl, text);
			return;
		}
		/* The outcome comes later: no deadline till then. */
		cl->waiting = 1;
		cl->deadline = INT64_MAX;
		if (text != NULL && control_append(cl, text) == -1)
			control_client_close(cl);
		free(text);
		break;
	default:
		log_warning("control socket: unknown request \"%s\"", shown);
		if (asprintf(&text, "error: unknown request \"%s\" (use "
		    "\"status\", \"status json\", \"progress\" or "
		    "\"reload\")\n", shown) == -1)
			text = NULL;
		control_reply(cl, text);
		break;
	}
}

/*
 * control_read - read the request; once it is taken, only notice that
 * the client went away (its EOF; a waiting one is then polled for HUP).
 */
static void
control_read(struct control_client *cl)
{
	char junk[64], shown[4 * CONTROL_REQUEST_MAX + 1];
	ssize_t n;
	int ask;

	if (cl->answered) {
		n = read(cl->fd, junk, sizeof(junk));
		if (n == 0)
			cl->eof = 1;
		else if (n == -1 && errno != EAGAIN && errno != EINTR)
			control_client_close(cl);
		return;
	}
	n = read(cl->fd, cl->in + cl->inlen, sizeof(cl->in) - cl->inlen);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		control_client_close(cl);
		return;
	}
	cl->inlen += (size_t)n;
	ask = control_request(cl->in, cl->inlen, shown, sizeof(shown));
	if (ask == CONTROL_TOO_LONG) {
		log_warning("control socket: request too long (no line end in "
		    "%d bytes)", CONTROL_REQUEST_MAX);
		control_client_close(cl);
	} else if (ask != CONTROL_MORE)
		control_answer(cl, ask, shown);
}

/* control_io - read the request, or write more of the answer. */
static void
control_io(struct control_client *cl, short revents)
{
	ssize_t n;

	if (revents & (POLLIN | POLLHUP | POLLERR))
		control_read(cl);
	if (cl->fd == -1 || cl->outoff == cl->outlen) {
		/* Gone, with nothing more to say or to wait for. */
		if (cl->fd != -1 && cl->waiting && (revents & (POLLHUP |
		    POLLERR)) != 0)
			control_client_close(cl);
		return;
	}
	if ((revents & (POLLOUT | POLLERR | POLLHUP)) == 0)
		return;
	n = write(cl->fd, cl->out + cl->outoff, cl->outlen - cl->outoff);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		control_client_close(cl);
		return;
	}
	cl->outoff += (size_t)n;
	if (cl->outoff == cl->outlen && cl->done)
		control_client_close(cl);
}

/*
 * control_waiters_say - a line for every client waiting for a reload's
 * outcome; with last, it is the outcome: they are closed once it is
 * written (within CONTROL_CLIENT_MS).
 */
void
control_waiters_say(const char *line, int last)
{
	struct control_client *cl;
	size_t i;

	for (i = 0; i < CONTROL_CLIENTS_MAX; i++) {
		cl = &clients[i];
		if (cl->fd == -1 || !cl->waiting)
			continue;
		if (control_append(cl, line) == -1) {
			control_client_close(cl);
			continue;
		}
		if (last) {
			cl->waiting = 0;
			cl->done = 1;
			cl->deadline = now_ms() + CONTROL_CLIENT_MS;
		}
	}
}

/*
 * control_handle - act on what poll() said about the control descriptors
 * (all revents 0 when it timed out), and drop clients that outlived their
 * deadline.  The master calls it on every turn of its loop, which wakes at
 * least once a second, so a client that sends nothing is gone soon after
 * CONTROL_CLIENT_MS even when nothing else happens.
 */
void
control_handle(struct pollfd *pfd, int n)
{
	struct control_client *cl;
	int64_t now = now_ms();
	size_t i;
	int k;

	for (k = 0; k < n; k++) {
		if (pfd[k].revents == 0)
			continue;
		if (pfd[k].fd == ctl.fd)
			control_accept();
		else if ((cl = control_client_of(pfd[k].fd)) != NULL)
			control_io(cl, pfd[k].revents);
	}
	for (i = 0; i < CONTROL_CLIENTS_MAX; i++) {
		if (clients[i].fd == -1 || now < clients[i].deadline)
			continue;
		log_info("control socket: a client %s within %d ms; closing it",
		    !clients[i].answered ? "sent no complete request" :
		    "did not read the answer", CONTROL_CLIENT_MS);
		control_client_close(&clients[i]);
	}
}
