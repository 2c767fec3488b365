/*
 * preforkd/module.h - the C interface of preforkd handlers, module ABI 2.1:
 * the built-in services, the exec handler and modules loaded with
 * dlopen() all fill in the same struct preforkd_module.  See
 * preforkd-module(3).
 *
 * A module is a shared object that defines one symbol,
 *
 *	const struct preforkd_module preforkd_module = {
 *		PREFORKD_MODULE_INIT,
 *		.name = "whoami",
 *		.serve_stream = whoami_stream,
 *		...
 *	};
 *
 * and calls nothing in preforkd directly: everything it may use comes in
 * function pointers (settings accessors at configure time, the accessor
 * table of a connection afterwards), so it links with no preforkd library.
 *
 * Where each callback runs:
 *   configure, release	in the master, at start-up, -t and reload;
 *   worker_start, serve_*, worker_stop  in each worker process.
 *
 * How the interface grows.  The version is MAJOR.MINOR.  A new minor only
 * appends: an entry at the end of struct preforkd_api, a member at the
 * end of struct preforkd_settings or of the descriptor, a constant; so a
 * module built against an older minor keeps loading.  A module declares
 * the minor it was built for (PREFORKD_MODULE_INIT), and preforkd refuses
 * one that declares a newer minor than its own (it may call what this
 * preforkd lacks) or another major.  An entry marked "since 2.N" is
 * there for a module that declares 2.N or later; a module that declares
 * an older minor on purpose, to run on older preforkd too, checks
 * PREFORKD_API_HAS() before it calls a newer entry.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef PREFORKD_MODULE_H
#define PREFORKD_MODULE_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version of this interface (see the top of the file). */
#define PREFORKD_MODULE_ABI_MAJOR	2
#define PREFORKD_MODULE_ABI_MINOR	2

/* The name of the descriptor a module defines. */
#define PREFORKD_MODULE_SYMBOL	"preforkd_module"

#if defined(__GNUC__) || defined(__clang__)
#define PREFORKD_PRINTF(f, a)	__attribute__((format(printf, f, a)))
#else
#define PREFORKD_PRINTF(f, a)
#endif

/* Transport of a connection (the proto accessor). */
#define PREFORKD_PROTO_TCP	0
#define PREFORKD_PROTO_UDP	1
#define PREFORKD_PROTO_UNIX	2

/* How a connection ended (the set_end accessor), for the access log. */
#define PREFORKD_END_CLOSED	0	/* normally */
#define PREFORKD_END_TIMEOUT	1	/* io_timeout passed */
#define PREFORKD_END_RESET	2	/* the client went away */
#define PREFORKD_END_ERROR	3	/* any other failure */

/* Levels for the log function (the error log's levels). */
#define PREFORKD_LOG_ERROR	0
#define PREFORKD_LOG_WARNING	1
#define PREFORKD_LOG_NOTICE	2
#define PREFORKD_LOG_INFO	3
#define PREFORKD_LOG_DEBUG	4

/* The largest datagram serve_datagram is given and a reply may have. */
#define PREFORKD_DGRAM_MAX	65507

/* Enough for any text format_addr writes (a 108-byte path, all \xHH). */
#define PREFORKD_ADDR_TEXT_MAX	512

/*
 * One accepted stream connection, or one received datagram: preforkd's,
 * and opaque.  A module holds a pointer and reaches everything through
 * the accessor table; the one thing the ABI says of its layout is that
 * it begins with a pointer to that table (preforkd_conn_api() reads it).
 */
struct preforkd_conn;
struct preforkd_service;

/*
 * What preforkd offers a running handler, per connection.  The table
 * begins with its own size; later minors append entries, never move one.
 * Reads and writes honour the service's io_timeout, count bytes for the
 * access log, never raise SIGPIPE, and record how the connection ended.
 */
struct preforkd_api {
	size_t		 size;		/* sizeof the table in this preforkd */
	unsigned int	 abi_minor;	/* this preforkd's minor */

	/* ---------------------------------------------------------- 2.0 */
	/* The socket: the connection's, or for a datagram the listener's.
	 * preforkd owns it and closes it once the handler returns. */
	int	(*fd)(const struct preforkd_conn *);
	/* PREFORKD_PROTO_*. */
	int	(*proto)(const struct preforkd_conn *);
	/* The address the client reached, and the client's; *len is set
	 * (0 for the client of a connected socket: not known).  Valid while
	 * the connection is served.  On a service with proxy_protocol, the
	 * client and the address it reached are the ones the balancer's
	 * PROXY header names (for the balancer's own LOCAL connections, the
	 * balancer and this end of the socket): via() gives the balancer. */
	const struct sockaddr *(*local)(const struct preforkd_conn *,
		    socklen_t *len);
	const struct sockaddr *(*remote)(const struct preforkd_conn *,
		    socklen_t *len);
	/* The service the connection came to. */
	const struct preforkd_service *(*service)(const struct preforkd_conn *);
	/* When it was accepted (received), in milliseconds of
	 * CLOCK_MONOTONIC: the service's timeout counts from here. */
	int64_t	(*started)(const struct preforkd_conn *);
	/* Up to len bytes: the count, 0 at end of file, -1 (errno set;
	 * ETIMEDOUT when the client stayed silent for io_timeout). */
	ssize_t	(*read)(struct preforkd_conn *, void *, size_t);
	/* All of buf: 0, or -1 (errno set: EPIPE, ECONNRESET, ETIMEDOUT). */
	int	(*write)(struct preforkd_conn *, const void *, size_t);
	/* One datagram back to the sender of the one being served: 0 or -1. */
	int	(*reply)(struct preforkd_conn *, const void *, size_t);
	/* How the connection ended, for the access log: PREFORKD_END_*
	 * (PREFORKD_END_ERROR for a client that broke the protocol). */
	void	(*set_end)(struct preforkd_conn *, int);
	/* A line in the error log, tagged with the service and the pid. */
	void	(*log)(int, const char *, ...) PREFORKD_PRINTF(2, 3);
	/* "127.0.0.1:5000", "[::1]:80", "/path" or "@name" (unix) for an
	 * address: printable ASCII only, a unix path's other bytes (the
	 * client chose them) escaped as \n, \t, \\, \" or \xHH. */
	char	*(*format_addr)(const struct sockaddr *, socklen_t, char *,
		    size_t);

	/* ---------------------------------------------------------- 2.1 */
	/* Since 2.1.  The process group this worker's descendants run in
	 * (a program the handler started with setpgid()), 0 for none: the
	 * master stops that group with a hung worker and kills it with a
	 * dead one, once it has checked the group is this worker's
	 * descendants'.  The report stands until the next.  0, or -1 with
	 * errno: EINVAL (not 0 and not the id of a group leader), ESRCH
	 * (no such process). */
	int	(*report_group)(struct preforkd_conn *, pid_t pgid);

	/* ---------------------------------------------------------- 2.2 */
	/* Since 2.2.  The balancer a connection came through (a service
	 * with proxy_protocol: the peer that sent the PROXY header), or
	 * NULL with *len 0 for a direct connection and a datagram. */
	const struct sockaddr *(*via)(const struct preforkd_conn *,
		    socklen_t *len);
};

/*
 * Whether api has member, for a module that declares an older minor
 * than the header it was built with: PREFORKD_API_HAS(api, report_group).
 */
#define PREFORKD_API_HAS(api, member)					\
	((api)->size >= offsetof(struct preforkd_api, member) +		\
	    sizeof((api)->member))

/* A service as its handler sees it, in the workers. */
struct preforkd_service {
	const char			*name;
	void				*state;		/* what configure set */
	int				 timeout;	/* s per connection; 0 off */
	int				 io_timeout;	/* s of client silence; 0 off */
	const struct preforkd_api	*api;
};

/*
 * A module's settings group ("module = { settings = { ... }; }"), seen
 * only through these accessors, in configure.  Each get function returns
 * 1 when the setting is there and valid (the value is stored), 0 when it
 * is absent (the value is left as it was: set defaults first), or -1 when
 * it is there but wrong, after reporting it with FILE:LINE.  Strings stay
 * valid until release is called.  Settings the module never asks for are
 * reported as unknown once configure returns 0.  Like the api, it begins
 * with its size, and later minors append.
 */
struct preforkd_settings {
	size_t		 size;		/* sizeof the struct in this preforkd */
	const char	*service;	/* the service's name */
	const char	*path;		/* the module's file */
	void		*state;		/* yours: handed back in every call */

	int	(*get_string)(struct preforkd_settings *, const char *name,
		    const char **value);
	int	(*get_int)(struct preforkd_settings *, const char *name,
		    long long min, long long max, long long *value);
	int	(*get_bool)(struct preforkd_settings *, const char *name,
		    int *value);
	int	(*get_float)(struct preforkd_settings *, const char *name,
		    double *value);
	/* An array or list of strings: a NULL-terminated vector, *n long. */
	int	(*get_strings)(struct preforkd_settings *, const char *name,
		    const char *const **values, size_t *n);
	/* Report a problem with setting name (NULL: the settings group);
	 * preforkd prints "FILE:LINE: services.[0].module.settings.NAME: ". */
	void	(*error)(struct preforkd_settings *, const char *name,
		    const char *fmt, ...) PREFORKD_PRINTF(3, 4);

	void	*priv;			/* preforkd's */
};

/*
 * The descriptor.  abi_major and abi_minor come first in every ABI, so
 * that any preforkd can read them; size lets a later minor append
 * callbacks.  Fill all three with PREFORKD_MODULE_INIT.  Every callback
 * may be NULL, but a service can only listen on stream sockets (tcp,
 * unix) if serve_stream is set, and on udp only if serve_datagram is.
 */
struct preforkd_module {
	unsigned int	 abi_major;	/* PREFORKD_MODULE_ABI_MAJOR */
	unsigned int	 abi_minor;	/* the minor the module needs */
	size_t		 size;		/* sizeof(struct preforkd_module) */
	const char	*name;

	/* Master: check the settings, build the service's state; 0 or -1
	 * (with errors reported).  Runs for -t too. */
	int	(*configure)(struct preforkd_settings *);
	/* Master: the configuration is dropped; free what configure made. */
	void	(*release)(void *state);

	/* Worker, once, after privileges are dropped; 0, or -1 (the
	 * worker exits and its respawns are throttled). */
	int	(*worker_start)(const struct preforkd_service *);
	/* Serve one connection until it ends; preforkd closes the fd. */
	void	(*serve_stream)(struct preforkd_conn *);
	/* Answer one datagram (reply with preforkd_reply), data is len long. */
	void	(*serve_datagram)(struct preforkd_conn *,
		    const unsigned char *data, size_t len);
	/* Worker, before a clean exit. */
	void	(*worker_stop)(const struct preforkd_service *);
};

/*
 * The version fields of a descriptor: the minor of this header, or an
 * older one (PREFORKD_MODULE_INIT_MINOR(0)) for a module that must also
 * load in older preforkd and checks PREFORKD_API_HAS() for what is newer.
 */
#define PREFORKD_MODULE_INIT_MINOR(minor)				\
	.abi_major = PREFORKD_MODULE_ABI_MAJOR,				\
	.abi_minor = (minor),						\
	.size = sizeof(struct preforkd_module)
#define PREFORKD_MODULE_INIT						\
	PREFORKD_MODULE_INIT_MINOR(PREFORKD_MODULE_ABI_MINOR)

/* The accessor table of connection c: the pointer it begins with. */
static inline const struct preforkd_api *
preforkd_conn_api(const struct preforkd_conn *c)
{
	return *(const struct preforkd_api *const *)(const void *)c;
}

/* Shorthands for the connection helpers. */
static inline ssize_t
preforkd_read(struct preforkd_conn *c, void *buf, size_t len)
{
	return preforkd_conn_api(c)->read(c, buf, len);
}

static inline int
preforkd_write(struct preforkd_conn *c, const void *buf, size_t len)
{
	return preforkd_conn_api(c)->write(c, buf, len);
}

static inline int
preforkd_reply(struct preforkd_conn *c, const void *buf, size_t len)
{
	return preforkd_conn_api(c)->reply(c, buf, len);
}

#ifdef __cplusplus
}
#endif

#endif /* PREFORKD_MODULE_H */
