/*
 * preforkd/module.h - the C interface of preforkd handlers: the built-in
 * services, the exec handler and modules loaded with dlopen() all fill in
 * the same struct preforkd_module.  See preforkd-module(3).
 *
 * A module is a shared object that defines one symbol,
 *
 *	const struct preforkd_module preforkd_module = {
 *		.abi = PREFORKD_MODULE_ABI,
 *		.name = "whoami",
 *		.serve_stream = whoami_stream,
 *		...
 *	};
 *
 * and calls nothing in preforkd directly: everything it may use comes in
 * function pointers (settings accessors at configure time, connection
 * helpers and a logger afterwards), so it links with no preforkd library.
 *
 * Where each callback runs:
 *   configure, release	in the master, at start-up, -t and reload;
 *   worker_start, serve_*, worker_stop  in each worker process.
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

/*
 * The version of this interface.  preforkd refuses a module whose .abi
 * differs from its own; it changes whenever a structure below changes in
 * a way an already built module would misread.
 */
#define PREFORKD_MODULE_ABI	1

/* The name of the descriptor a module defines. */
#define PREFORKD_MODULE_SYMBOL	"preforkd_module"

#if defined(__GNUC__) || defined(__clang__)
#define PREFORKD_PRINTF(f, a)	__attribute__((format(printf, f, a)))
#else
#define PREFORKD_PRINTF(f, a)
#endif

/* Transport of a connection (struct preforkd_conn, proto). */
#define PREFORKD_PROTO_TCP	0
#define PREFORKD_PROTO_UDP	1
#define PREFORKD_PROTO_UNIX	2

/* How a connection ended (struct preforkd_conn, end), for the access log. */
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

struct preforkd_conn;

/*
 * What preforkd offers a running handler: reads and writes that honour
 * the service's io_timeout, count bytes for the access log, never raise
 * SIGPIPE, and record how the connection ended.
 */
struct preforkd_api {
	/* Up to len bytes: the count, 0 at end of file, -1 (errno set;
	 * ETIMEDOUT when the client stayed silent for io_timeout). */
	ssize_t	(*read)(struct preforkd_conn *, void *, size_t);
	/* All of buf: 0, or -1 (errno set: EPIPE, ECONNRESET, ETIMEDOUT). */
	int	(*write)(struct preforkd_conn *, const void *, size_t);
	/* One datagram back to the sender of the one being served: 0 or -1. */
	int	(*reply)(struct preforkd_conn *, const void *, size_t);
	/* A line in the error log, tagged with the service and the pid. */
	void	(*log)(int, const char *, ...) PREFORKD_PRINTF(2, 3);
	/* "127.0.0.1:5000", "[::1]:80", "/path" or "@name" (unix) for an
	 * address: printable ASCII only, a unix path's other bytes (the
	 * client chose them) escaped as \n, \t, \\, \" or \xHH. */
	char	*(*format_addr)(const struct sockaddr *, socklen_t, char *,
		    size_t);
};

/* Enough for any text format_addr writes (a 108-byte path, all \xHH). */
#define PREFORKD_ADDR_TEXT_MAX	512

/* A service as its handler sees it, in the workers. */
struct preforkd_service {
	const char			*name;
	void				*state;		/* what configure set */
	int				 timeout;	/* s per connection; 0 off */
	int				 io_timeout;	/* s of client silence; 0 off */
	const struct preforkd_api	*api;
};

/*
 * One accepted stream connection, or one received datagram.  Handlers
 * read the fields and may set end; preforkd owns the rest and closes fd.
 */
struct preforkd_conn {
	int				 fd;
	int				 proto;		/* PREFORKD_PROTO_* */
	struct sockaddr_storage		 local;
	socklen_t			 locallen;
	struct sockaddr_storage		 remote;
	socklen_t			 remotelen;	/* 0: not known */
	const struct preforkd_service	*service;
	int				 io_timeout_ms;	/* 0: none */
	uint64_t			 bytes_in;
	uint64_t			 bytes_out;
	int				 end;		/* PREFORKD_END_* */
	int				 exec_status;	/* preforkd's: exec */
	const struct preforkd_api	*api;
};

/*
 * A module's settings group ("module = { settings = { ... }; }"), seen
 * only through these accessors, in configure.  Each get function returns
 * 1 when the setting is there and valid (the value is stored), 0 when it
 * is absent (the value is left as it was: set defaults first), or -1 when
 * it is there but wrong, after reporting it with FILE:LINE.  Strings stay
 * valid until release is called.  Settings the module never asks for are
 * reported as unknown once configure returns 0.
 */
struct preforkd_settings {
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
 * The descriptor.  Every callback may be NULL, but a service can only
 * listen on stream sockets (tcp, unix) if serve_stream is set, and on
 * udp only if serve_datagram is.
 */
struct preforkd_module {
	unsigned int	 abi;		/* PREFORKD_MODULE_ABI */
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

/* Shorthands for the connection helpers. */
static inline ssize_t
preforkd_read(struct preforkd_conn *c, void *buf, size_t len)
{
	return c->api->read(c, buf, len);
}

static inline int
preforkd_write(struct preforkd_conn *c, const void *buf, size_t len)
{
	return c->api->write(c, buf, len);
}

static inline int
preforkd_reply(struct preforkd_conn *c, const void *buf, size_t len)
{
	return c->api->reply(c, buf, len);
}

#ifdef __cplusplus
}
#endif

#endif /* PREFORKD_MODULE_H */
