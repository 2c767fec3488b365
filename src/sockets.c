/*
 * sockets.c - the listening sockets of a configuration, as a table per
 * service: on a reload each address keeps the socket it has (the same
 * fd, the kernel's accept queue with it), the new ones are bound, all or
 * nothing; and the line per socket that the log shows.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preforkd.h"
#include "master.h"

static struct listener *	sockets_old(const char *service, const struct addr *a, struct listener ***taken, const struct conf *nc);

/*
 * sockets_old - the open listener of the running generation that
 * a new service's listen address can take over: the same address, or for
 * port 0 the same host in the same service (so the kernel's port stays).
 */
static struct listener *
sockets_old(const char *service, const struct addr *a,
    struct listener ***taken, const struct conf *nc)
{
	const struct sockaddr *sa = (const struct sockaddr *)&a->ss;
	struct listener *l;
	size_t i, j, k, n;
	int port0 = addr_port(sa) == 0, used;

	for (i = 0; i < master.nsvc; i++) {
		for (j = 0; j < master.svc[i].nlisteners; j++) {
			l = &master.svc[i].listeners[j];
			if (l->fd == -1 || l->addr.proto != a->proto)
				continue;
			if (port0 ? strcmp(master.svc[i].conf->name, service) != 0 ||
			    addr_port((const struct sockaddr *)&l->addr.ss) !=
			    0 || !addr_sockaddr_same((const struct sockaddr *)
			    &l->addr.ss, sa, 1) : !addr_same(&l->addr, a))
				continue;
			/* Each kept socket goes to one new listener only. */
			for (used = 0, k = 0; k < nc->nservices && !used; k++)
				for (n = 0; taken[k] != NULL &&
				    n < nc->services[k].nlisten; n++)
					if (taken[k][n] == l)
						used = 1;
			if (!used)
				return l;
		}
	}
	return NULL;
}

/* sockets_free - free a listener table (closing what is open). */
void
sockets_free(const struct conf *conf, struct listener **nl)
{
	size_t i, j;

	for (i = 0; i < conf->nservices; i++) {
		if (nl[i] == NULL)
			continue;
		for (j = 0; j < conf->services[i].nlisten; j++)
			if (nl[i][j].fd != -1)
				listen_close(&nl[i][j]);
		free(nl[i]);
	}
	free(nl);
}

/*
 * sockets_open - the listeners of configuration nc, a table per service.
 * Each address takes, in this order: the socket of the running
 * generation with the same address (a reload: same fd, the kernel's
 * accept queue with the connections waiting in it survives), a socket
 * passed in LISTEN_FDS or by the old master of an upgrade (start-up), or
 * a new one bound now.  All or nothing: every address that cannot be
 * bound is added to errs ("service S: cannot listen on A: cause"), what
 * was bound is closed again, nothing of the running generation is
 * touched, and NULL is returned.
 */
struct listener **
sockets_open(const struct conf *nc, struct errlist *errs)
{
	const struct conf_service *cs;
	struct listener **nl, ***from, *old;
	char cause[256], desc[ADDR_TEXT_MAX];
	size_t i, j, before = errs->n;

	nl = calloc(nc->nservices, sizeof(*nl));
	from = calloc(nc->nservices, sizeof(*from));
	if (nl == NULL || from == NULL)
		goto nomem;
	for (i = 0; i < nc->nservices; i++) {
		cs = &nc->services[i];
		nl[i] = calloc(cs->nlisten, sizeof(**nl));
		from[i] = calloc(cs->nlisten, sizeof(**from));
		if (nl[i] == NULL || from[i] == NULL)
			goto nomem;
		for (j = 0; j < cs->nlisten; j++) {
			nl[i][j].addr = cs->listen[j];
			nl[i][j].text = cs->listen_text[j];
			nl[i][j].fd = -1;
			if ((from[i][j] = sockets_old(cs->name,
			    &cs->listen[j], from, nc)) != NULL)
				continue;
			if (listen_inherit_take(&nl[i][j], cs->name,
			    cs->backlog, cs->unix_mode, cs->io_timeout))
				continue;
			if (listen_open(&nl[i][j], cs->backlog, cs->unix_mode,
			    cs->io_timeout, cause, sizeof(cause)) == -1)
				errlist_add(errs, "service %s: cannot listen on "
				    "%s: %s", cs->name, addr_format(
				    &cs->listen[j], desc, sizeof(desc)), cause);
		}
	}
	if (errs->n > before)
		goto fail;
	/* Every bind worked: now take the kept sockets over. */
	for (i = 0; i < nc->nservices; i++) {
		cs = &nc->services[i];
		for (j = 0; j < cs->nlisten; j++) {
			if ((old = from[i][j]) == NULL) {
				if (master.nsvc > 0)
					log_notice("service %s: listening on %s "
					    "(fd %d, new in this configuration)",
					    cs->name, listen_describe(&nl[i][j],
					    desc, sizeof(desc)), nl[i][j].fd);
				continue;
			}
			nl[i][j].fd = old->fd;
			nl[i][j].bound = old->bound;
			nl[i][j].shared = old->shared;
			nl[i][j].unix_dev = old->unix_dev;
			nl[i][j].unix_ino = old->unix_ino;
			nl[i][j].unix_mode = old->unix_mode;
			old->fd = -1;
			if (listen_adjust(&nl[i][j], cs->backlog, cs->unix_mode,
			    cs->io_timeout, cause, sizeof(cause)) == -1)
				log_warning("service %s: %s: %s", cs->name,
				    listen_describe(&nl[i][j], desc,
				    sizeof(desc)), cause);
		}
	}
	for (i = 0; i < nc->nservices; i++)
		free(from[i]);
	free(from);
	for (i = 0; i < nc->nservices; i++) {
		cs = &nc->services[i];
		listen_policy(nl[i], cs->nlisten, cs->exec != NULL &&
		    cs->exec->mode == EXEC_WAIT);
	}
	return nl;

nomem:
	errlist_add(errs, "out of memory");
fail:
	if (from != NULL) {
		for (i = 0; i < nc->nservices; i++)
			free(from[i]);
		free(from);
	}
	if (nl != NULL)
		sockets_free(nc, nl);
	return NULL;
}

/* sockets_log - one line per socket: protocol, address, fd. */
void
sockets_log(void)
{
	char desc[ADDR_TEXT_MAX], extra[96];
	const struct listener *l;
	size_t i, j;

	for (i = 0; i < master.nsvc; i++) {
		for (j = 0; j < master.svc[i].nlisteners; j++) {
			l = &master.svc[i].listeners[j];
			extra[0] = '\0';
			if (l->addr.proto == PROTO_UNIX)
				snprintf(extra, sizeof(extra), ", mode %04o",
				    (unsigned)master.svc[i].conf->unix_mode);
			else if (addr_port((const struct sockaddr *)
			    &l->addr.ss) == 0)
				snprintf(extra, sizeof(extra), "; port 0 in "
				    "the config, chosen by the kernel");
			else if (l->addr.wildcard &&
			    l->bound.ss.ss_family == AF_INET6)
				snprintf(extra, sizeof(extra), ", v4 and v6");
			log_notice("service %s: listening on %s (fd %d%s)",
			    master.svc[i].conf->name, listen_describe(l, desc,
			    sizeof(desc)), l->fd, extra);
		}
	}
}
