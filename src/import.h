/*
 * import.h - what the import files share: "preforkd --import-inetd" and
 * "--import-xinetd" read another super-server's configuration into a list
 * of services (import_inetd.c, import_xinetd.c), and import.c writes that
 * list as a preforkd.conf, saying in comments what was not carried over
 * and why.  The parsers are pure functions over text; only the reading of
 * files and directories, and the port lookup given to them, touch the
 * system.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef IMPORT_H
#define IMPORT_H

#include <stddef.h>
#include <stdio.h>

/* What becomes of one service of the old configuration. */
enum import_state {
	IMPORT_LIVE,		/* carried over, running */
	IMPORT_OFF,		/* carried over, commented out (disabled) */
	IMPORT_SKIP,		/* not carried: only comments saying why */
};

#define IMPORT_LISTEN_MAX	8

/*
 * One service being carried over.  Every string is owned by the import
 * (its arena), never NULL once set: a failed allocation gives "" and
 * marks the import out of memory.
 */
struct import_svc {
	enum import_state	 state;
	const char		*where;		/* "FILE:LINE" */
	const char		*what;		/* the source line, as a comment */
	const char		**notes;	/* comments: what was not carried */
	size_t			 nnotes;
	const char		*name;		/* wanted name; made unique later */
	const char		*proto;		/* "tcp", "udp", "unix": for names */
	const char		*listen[IMPORT_LISTEN_MAX];
	size_t			 nlisten;
	const char		*handler;	/* a built-in's name, or "exec" */
	const char		**argv;
	size_t			 nargv;
	const char		**env;
	size_t			 nenv;
	const char		*mode;		/* exec.mode */
	const char		*user;		/* NULL: the global user */
	const char		*group;
	int			 workers;	/* static pool; 0: dynamic */
	int			 max_workers;	/* dynamic pool's limit */
	const char		**access;
	size_t			 naccess;
	int			 max_per_source;	/* 0: none */
	const char		*max_rate;		/* NULL: none */
	const char		*max_rate_per_source;
};

/* Looks a service name up for a protocol ("tcp", "udp"): a port or -1. */
typedef int (*import_port_fn)(const char *name, const char *proto);

/* A whole import: its services in the order of the files, and notes. */
struct import {
	const char		 *option;	/* "--import-inetd" */
	const char		 *path;		/* as given on the command line */
	struct import_svc	**svc;
	size_t			  nsvc;
	const char		**notes;	/* for the header, once each */
	size_t			  nnotes;
	import_port_fn		  port;
	void			**arena;	/* everything allocated, to free */
	size_t			  narena;
	int			  nomem;
};

/* import.c: the import, its strings, and the services' common parts. */
#define IMPORT_DEFAULT_MAX_WORKERS	64
#define IMPORT_USER			"nobody"

struct import	*import_new(const char *option, const char *path,
		    import_port_fn);
void		 import_free(struct import *);
char		*import_copy(struct import *, const char *, size_t);
const char	*import_strdup(struct import *, const char *);
const char	*import_strndup(struct import *, const char *, size_t);
const char	*import_printf(struct import *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
void		 import_push(struct import *, const char ***, size_t *,
		    const char *);
const char	*import_words(struct import *, const char *);
struct import_svc *import_svc_new(struct import *, const char *file,
		    int line, const char *what);
void		 import_note(struct import *, struct import_svc *,
		    const char *, ...) __attribute__((format(printf, 3, 4)));
void		 import_header(struct import *, const char *);
void		 import_skip(struct import *, struct import_svc *,
		    const char *, ...) __attribute__((format(printf, 3, 4)));
void		 import_off(struct import *, struct import_svc *,
		    const char *, ...) __attribute__((format(printf, 3, 4)));
const char	*import_builtin(const char *name);
int		 import_port(struct import *, struct import_svc *,
		    const char *service, const char *proto, const char *how);
void		 import_listen(struct import *, struct import_svc *,
		    const char *host, int port, const char *proto);
void		 import_program(struct import *, struct import_svc *,
		    const char *server, const char *const *args, size_t nargs,
		    int args_have_argv0);
int		 import_user(struct import *, struct import_svc *,
		    const char *user, const char *group, int internal);
void		 import_serve(struct import *, struct import_svc *, int dgram,
		    int wait, int instances);
int		 import_is_wait(const struct import_svc *);
int		 import_write(struct import *, FILE *);
int		 import_port_system(const char *, const char *);
char		*import_read(const char *path);
int		 import_main(const char *option, const char *path);

/* import_inetd.c: inetd.conf */
void		 import_inetd(struct import *, const char *file,
		    const char *text);

/* import_xinetd.c: xinetd.conf and xinetd.d */
void		 import_xinetd_text(struct import *, const char *file,
		    const char *text);
int		 import_xinetd_path(struct import *, const char *path);
int		 import_xinetd_addr(struct import *, const char *item,
		    const char ***out, size_t *nout);

#endif /* IMPORT_H */
