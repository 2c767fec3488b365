/*
 * batch.c - datagrams taken and answered a batch at a time.  Where
 * several datagrams are queued on a UDP listener, one recvmmsg() takes up
 * to BATCH_MAX of them; the worker then serves each one exactly as a
 * single datagram (admission, scoreboard, handler, counters and access
 * log, one by one: worker.c), and the replies its handler makes meanwhile
 * wait here, to leave together with one sendmmsg() once the batch is done.
 * One datagram at a time costs what recvfrom() and sendto() cost: a
 * worker whose last BATCH_LONE_AFTER batches each held a single datagram
 * takes the next BATCH_LONE_RUN with recvfrom() (recvmmsg() reads its
 * vector and, for MSG_WAITFORONE, tries the queue once more), then looks
 * with one recvmmsg(): more than one datagram, and batches go on; one,
 * and the next run alone starts.  A lone reply goes with sendto().
 *
 * Memory: one private mapping per worker that serves UDP, reserved (not
 * committed) at start.  Each received datagram lands first in a small
 * head buffer (BATCH_HEAD bytes, all heads side by side: a batch of small
 * datagrams touches a few pages), and only a longer one spills into its
 * own region of the mapping, whose pages are touched only then.  A reply
 * that points into the datagrams received (echo's) is sent from there;
 * any other is copied into the reply area first, since the handler's
 * buffer does not outlive its call.
 *
 * recvmmsg() is called with MSG_WAITFORONE and no timeout: its timeout
 * is only checked after each datagram, so it cannot bound a wait
 * (recvmmsg(2), BUGS); the listener is non-blocking anyway.  Without
 * recvmmsg()/sendmmsg() (not Linux), the same interface takes one
 * datagram at a time with recvfrom() and sends each reply with sendto().
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "preforkd.h"
#include "conn.h"

#ifndef MAP_ANONYMOUS
#define MAP_ANONYMOUS	MAP_ANON
#endif
#ifndef MAP_NORESERVE
#define MAP_NORESERVE	0
#endif

/* A datagram up to this long stays in its head buffer. */
#define BATCH_HEAD	2048
/* Room for one datagram whole, one byte more to see an oversized one. */
#define BATCH_ROOM	(DGRAM_MAX + 1)
/* Replies queued at most (a handler may answer a datagram more than once). */
#define BATCH_OUT	(2 * BATCH_MAX)
/* Bytes of copied replies queued at most. */
#define BATCH_OUT_BYTES	(2 * BATCH_ROOM)

#if defined(HAVE_RECVMMSG) && defined(HAVE_SENDMMSG)
#define BATCH_MMSG	1
#endif

/* Batches of one in a row before datagrams are taken alone, and how many. */
#define BATCH_LONE_AFTER	8
#define BATCH_LONE_RUN		64

/* The control part of the mapping, at its start. */
struct batch_ctl {
#ifdef BATCH_MMSG
	struct mmsghdr		 rx[BATCH_MAX];
	struct mmsghdr		 tx[BATCH_OUT];
#endif
	struct iovec		 rxiov[BATCH_MAX][2];
	struct iovec		 txiov[BATCH_OUT];
	struct sockaddr_storage	 rxname[BATCH_MAX];
	socklen_t		 rxnamelen[BATCH_MAX];
	size_t			 rxlen[BATCH_MAX];
	struct sockaddr_storage	 txname[BATCH_OUT];
	socklen_t		 txnamelen[BATCH_OUT];
	int			 txfd;		/* where the queue goes */
	size_t			 ntx;		/* replies queued */
	size_t			 outused;	/* bytes of out[] in use */
	int			 ones;		/* batches of one in a row */
	int			 lone;		/* datagrams still to take alone */
	int			 alone;		/* the last one was: whole in room 0 */
};

static struct batch_ctl	*bc PF_HOT_DATA;
static unsigned char	*heads PF_HOT_DATA;	/* BATCH_MAX * BATCH_HEAD */
static unsigned char	*rooms PF_HOT_DATA;	/* BATCH_MAX * BATCH_ROOM */
static unsigned char	*out PF_HOT_DATA;	/* BATCH_OUT_BYTES */
static size_t		 maplen;

/*
 * batch_init - reserve the batch's memory (once per worker, before its
 * first datagram).  0, or -1 with errno.
 */
int
batch_init(void)
{
	size_t ctl, k;
	unsigned char *p;

	if (bc != NULL)
		return 0;
	ctl = (sizeof(struct batch_ctl) + 4095) & ~(size_t)4095;
	maplen = ctl + BATCH_MAX * BATCH_HEAD + BATCH_OUT_BYTES +
	    BATCH_MAX * (size_t)BATCH_ROOM;
	p = mmap(NULL, maplen, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	bc = (struct batch_ctl *)(void *)p;
	heads = p + ctl;
	out = heads + BATCH_MAX * BATCH_HEAD;
	rooms = out + BATCH_OUT_BYTES;
	for (k = 0; k < BATCH_MAX; k++) {
		/* A long datagram goes on, past its head, into its room,
		 * BATCH_HEAD bytes in: batch_data() moves the head there. */
		bc->rxiov[k][0].iov_base = heads + k * BATCH_HEAD;
		bc->rxiov[k][0].iov_len = BATCH_HEAD;
		bc->rxiov[k][1].iov_base = rooms + k * (size_t)BATCH_ROOM +
		    BATCH_HEAD;
		bc->rxiov[k][1].iov_len = BATCH_ROOM - BATCH_HEAD;
#ifdef BATCH_MMSG
		bc->rx[k].msg_hdr.msg_name = &bc->rxname[k];
		bc->rx[k].msg_hdr.msg_iov = bc->rxiov[k];
		bc->rx[k].msg_hdr.msg_iovlen = 2;
#endif
	}
	bc->txfd = -1;
	return 0;
}

/*
 * batch_recv_one - take one datagram queued on fd, whole into room 0
 * (one longer than BATCH_ROOM is cut there: too long, as seen by its
 * length).  1, or -1 with errno.
 */
PF_HOT static int
batch_recv_one(int fd)
{
	ssize_t n;

	bc->rxnamelen[0] = sizeof(bc->rxname[0]);
	n = recvfrom(fd, rooms, BATCH_ROOM, 0,
	    (struct sockaddr *)&bc->rxname[0], &bc->rxnamelen[0]);
	if (n == -1)
		return -1;
	bc->rxlen[0] = (size_t)n;
	bc->alone = 1;
	return 1;
}

/*
 * batch_recv - take up to max (1 .. BATCH_MAX) datagrams queued on fd:
 * how many, or -1 with errno (EAGAIN: none queued).  One at a time while
 * they come one at a time (BATCH_LONE_AFTER, above).
 */
PF_HOT int
batch_recv(int fd, int max)
{
#ifdef BATCH_MMSG
	int k, n;

	if (max > BATCH_MAX)
		max = BATCH_MAX;
	if (max == 1 || bc->lone > 0) {
		/* After a run alone, one batch of one starts the next. */
		if (bc->lone > 0 && --bc->lone == 0)
			bc->ones = BATCH_LONE_AFTER - 1;
		return batch_recv_one(fd);
	}
	for (k = 0; k < max; k++)
		bc->rx[k].msg_hdr.msg_namelen = sizeof(bc->rxname[k]);
	n = recvmmsg(fd, bc->rx, (unsigned int)max, MSG_WAITFORONE, NULL);
	bc->alone = 0;
	for (k = 0; k < n; k++) {
		bc->rxlen[k] = bc->rx[k].msg_len;
		bc->rxnamelen[k] = bc->rx[k].msg_hdr.msg_namelen;
		/* Cut short (over BATCH_ROOM): too long, as seen by length. */
		if (bc->rx[k].msg_hdr.msg_flags & MSG_TRUNC)
			bc->rxlen[k] = BATCH_ROOM;
	}
	if (n > 1)
		bc->ones = 0;
	else if (n == 1 && ++bc->ones == BATCH_LONE_AFTER) {
		bc->ones = 0;
		bc->lone = BATCH_LONE_RUN;
	}
	return n;
#else
	(void)max;
	return batch_recv_one(fd);
#endif
}

/*
 * batch_data - datagram k of the last batch_recv(), whole in one buffer,
 * *len bytes long (more than DGRAM_MAX: it was too long, and cut); its
 * sender in *from, *fromlen long.  Valid until the next batch_recv().
 */
PF_HOT const unsigned char *
batch_data(int k, size_t *len, const struct sockaddr **from,
    socklen_t *fromlen)
{
	unsigned char *room = rooms + (size_t)k * BATCH_ROOM;

	*len = bc->rxlen[k];
	*from = (const struct sockaddr *)&bc->rxname[k];
	*fromlen = bc->rxnamelen[k];
#ifdef BATCH_MMSG
	if (bc->alone)
		return room;
	if (*len <= BATCH_HEAD)
		return heads + (size_t)k * BATCH_HEAD;
	memcpy(room, heads + (size_t)k * BATCH_HEAD, BATCH_HEAD);
#endif
	return room;
}

/* batch_received - whether p .. p+len lies in the datagrams received. */
PF_HOT static int
batch_received(const void *p, size_t len)
{
	const unsigned char *b = p;

	return (b >= heads && b + len <= heads + BATCH_MAX * BATCH_HEAD) ||
	    (b >= rooms && b + len <= rooms + BATCH_MAX * (size_t)BATCH_ROOM);
}

/*
 * batch_reply - queue buf, a reply to to on fd, for batch_flush(); it
 * flushes first when the queue is full.  0, or -1 with errno when a reply
 * cannot be queued (too long: EMSGSIZE).
 */
PF_HOT int
batch_reply(int fd, const struct sockaddr *to, socklen_t tolen,
    const void *buf, size_t len)
{
	size_t k;
	void *data = (void *)(uintptr_t)buf;

	if (len > DGRAM_MAX || tolen > sizeof(bc->txname[0])) {
		errno = EMSGSIZE;
		return -1;
	}
	if (bc->ntx == BATCH_OUT || (bc->ntx > 0 && bc->txfd != fd) ||
	    (!batch_received(buf, len) &&
	    bc->outused + len > BATCH_OUT_BYTES))
		batch_flush();
	if (!batch_received(buf, len)) {
		/* The handler's own buffer: gone once it returns. */
		data = out + bc->outused;
		memcpy(data, buf, len);
		bc->outused += len;
	}
	k = bc->ntx++;
	bc->txfd = fd;
	memcpy(&bc->txname[k], to, tolen);
	bc->txnamelen[k] = tolen;
	bc->txiov[k].iov_base = data;
	bc->txiov[k].iov_len = len;
	return 0;
}

/* batch_send_each - send the queued replies one sendto() each. */
PF_HOT static void
batch_send_each(void)
{
	ssize_t n;
	size_t k;

	for (k = 0; k < bc->ntx; k++) {
		do
			n = sendto(bc->txfd, bc->txiov[k].iov_base,
			    bc->txiov[k].iov_len, DGRAM_SEND_FLAGS,
			    (const struct sockaddr *)&bc->txname[k],
			    bc->txnamelen[k]);
		while (n == -1 && errno == EINTR);
	}
}

#ifdef BATCH_MMSG
/* batch_send_all - send the queued replies with sendmmsg(). */
PF_HOT static void
batch_send_all(void)
{
	size_t i, k = 0;
	int n;

	for (i = 0; i < bc->ntx; i++) {
		memset(&bc->tx[i].msg_hdr, 0, sizeof(bc->tx[i].msg_hdr));
		bc->tx[i].msg_hdr.msg_name = &bc->txname[i];
		bc->tx[i].msg_hdr.msg_namelen = bc->txnamelen[i];
		bc->tx[i].msg_hdr.msg_iov = &bc->txiov[i];
		bc->tx[i].msg_hdr.msg_iovlen = 1;
	}
	while (k < bc->ntx) {
		n = sendmmsg(bc->txfd, bc->tx + k, (unsigned int)(bc->ntx - k),
		    DGRAM_SEND_FLAGS);
		if (n > 0) {
			k += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		/* Reply k failed: drop it, send the others. */
		k++;
	}
}
#endif

/*
 * batch_flush - send every queued reply: one sendmmsg() for several, a
 * sendto() for one.  A reply the kernel refuses (a full socket buffer, an
 * unreachable sender) is dropped, as UDP drops it (and as a single
 * sendto() failing did: the handlers ignore it), and the rest still go.
 */
PF_HOT void
batch_flush(void)
{
#ifdef BATCH_MMSG
	if (bc->ntx > 1)
		batch_send_all();
	else
#endif
		batch_send_each();
	bc->ntx = 0;
	bc->outused = 0;
}

/* batch_pending - replies queued and not yet sent. */
PF_HOT size_t
batch_pending(void)
{
	return bc != NULL ? bc->ntx : 0;
}
