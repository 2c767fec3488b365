/*
 * whoami.c - an example preforkd module: tells each client how the server
 * sees it, its 5-tuple (protocol, the address it reached, its own address
 * and port), plus the worker that answered and how many clients that
 * worker has served.  Over TCP or a unix socket the answer is written and
 * the connection closed; over UDP every datagram gets the answer back.
 * Useful behind NAT, proxies and load balancers: what did the server see?
 *
 *	module = {
 *		path = "/usr/lib/preforkd/whoami.so";
 *		settings = {
 *			format = "json";	# "text" (default) or "json"
 *			greeting = "hello";	# a first line, text format only
 *		};
 *	};
 *
 * Build your own like it:  cc -shared -fPIC $(pkg-config --cflags
 * preforkd) -o whoami.so whoami.c
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L	/* strdup */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <preforkd/module.h>

#define WHOAMI_GREETING_MAX	200
#define WHOAMI_ANSWER_MAX	(WHOAMI_GREETING_MAX + 4 * PREFORKD_ADDR_TEXT_MAX)

/* One service's settings, built in the master by configure. */
struct whoami {
	int	 json;
	char	*greeting;	/* NULL: none */
};

/* Per worker: a worker is a process, so a plain static is per worker. */
static unsigned long	whoami_served;

static int
whoami_configure(struct preforkd_settings *s)
{
	struct whoami *w;
	const char *format = "text", *greeting = NULL;
	int bad = 0;

	if (s->get_string(s, "format", &format) == -1)
		bad = 1;
	else if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0) {
		s->error(s, "format", "must be \"text\" or \"json\" (got \"%s\")",
		    format);
		bad = 1;
	}
	if (s->get_string(s, "greeting", &greeting) == -1)
		bad = 1;
	else if (greeting != NULL && strlen(greeting) > WHOAMI_GREETING_MAX) {
		s->error(s, "greeting", "must be at most %d characters (got %zu)",
		    WHOAMI_GREETING_MAX, strlen(greeting));
		bad = 1;
	} else if (greeting != NULL && strcmp(format, "json") == 0) {
		s->error(s, "greeting", "only applies to format = \"text\"");
		bad = 1;
	} else if (greeting != NULL && strpbrk(greeting, "\r\n") != NULL) {
		s->error(s, "greeting", "must be one line");
		bad = 1;
	}
	if (bad)
		return -1;
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		s->error(s, NULL, "out of memory");
		return -1;
	}
	w->json = strcmp(format, "json") == 0;
	if (greeting != NULL && (w->greeting = strdup(greeting)) == NULL) {
		free(w);
		s->error(s, NULL, "out of memory");
		return -1;
	}
	s->state = w;
	return 0;
}

static void
whoami_release(void *state)
{
	struct whoami *w = state;

	free(w->greeting);
	free(w);
}

static int
whoami_worker_start(const struct preforkd_service *svc)
{
	whoami_served = 0;
	svc->api->log(PREFORKD_LOG_DEBUG, "whoami: worker ready for %s",
	    svc->name);
	return 0;
}

/*
 * whoami_json_text - text as the inside of a JSON string.  format_addr
 * gives printable ASCII only (it escapes what a unix client put in its
 * path, as \n or \xHH), so only its backslashes and quotes need a
 * backslash more here.
 */
static void
whoami_json_text(char *dst, size_t len, const char *text)
{
	size_t n = 0;

	for (; *text != '\0' && n + 3 < len; text++) {
		if (*text == '\\' || *text == '"')
			dst[n++] = '\\';
		dst[n++] = *text;
	}
	dst[n] = '\0';
}

/* whoami_answer - the answer for connection c into buf; its length. */
static size_t
whoami_answer(struct preforkd_conn *c, char *buf, size_t len)
{
	const struct preforkd_api *api = preforkd_conn_api(c);
	const struct preforkd_service *svc = api->service(c);
	const struct whoami *w = svc->state;
	static const char *const protos[] = { "tcp", "udp", "unix" };
	char local[PREFORKD_ADDR_TEXT_MAX], remote[PREFORKD_ADDR_TEXT_MAX];
	char jlocal[2 * PREFORKD_ADDR_TEXT_MAX];
	char jremote[2 * PREFORKD_ADDR_TEXT_MAX];
	const struct sockaddr *sa;
	const char *proto;
	socklen_t salen;
	int n, p;

	p = api->proto(c);
	proto = p >= 0 && p <= 2 ? protos[p] : "?";
	sa = api->local(c, &salen);
	api->format_addr(sa, salen, local, sizeof(local));
	sa = api->remote(c, &salen);
	api->format_addr(sa, salen, remote, sizeof(remote));
	whoami_served++;
	/* A unix path may hold a backslash or a quote: JSON needs them escaped. */
	if (w->json) {
		whoami_json_text(jlocal, sizeof(jlocal), local);
		whoami_json_text(jremote, sizeof(jremote), remote);
		n = snprintf(buf, len, "{\"proto\":\"%s\",\"local\":\"%s\","
		    "\"remote\":\"%s\",\"service\":\"%s\",\"worker\":%ld,"
		    "\"served\":%lu}\n", proto, jlocal, jremote,
		    svc->name, (long)getpid(), whoami_served);
	} else
		n = snprintf(buf, len, "%s%sproto %s\nlocal %s\nremote %s\n"
		    "service %s\nworker %ld\nserved %lu\n",
		    w->greeting != NULL ? w->greeting : "",
		    w->greeting != NULL ? "\n" : "", proto, local, remote,
		    svc->name, (long)getpid(), whoami_served);
	if (n < 0)
		return 0;
	return (size_t)n < len ? (size_t)n : len - 1;
}

static void
whoami_stream(struct preforkd_conn *c)
{
	char buf[WHOAMI_ANSWER_MAX];

	(void)preforkd_write(c, buf, whoami_answer(c, buf, sizeof(buf)));
}

/* whoami_port - the client's port, or 0. */
static int
whoami_port(const struct preforkd_conn *c)
{
	socklen_t len;
	const struct sockaddr *sa = preforkd_conn_api(c)->remote(c, &len);

	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in))
		return ntohs(((const struct sockaddr_in *)(const void *)
		    sa)->sin_port);
	if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6))
		return ntohs(((const struct sockaddr_in6 *)(const void *)
		    sa)->sin6_port);
	return 0;
}

static void
whoami_datagram(struct preforkd_conn *c, const unsigned char *data,
    size_t len)
{
	char buf[WHOAMI_ANSWER_MAX];

	(void)data;
	(void)len;
	/*
	 * A (spoofed) source port below 1024 may be another service that
	 * answers every datagram, like echo: answering it could start an
	 * endless ping-pong.  Port 0 cannot be answered at all.
	 */
	if (whoami_port(c) < 1024)
		return;
	(void)preforkd_reply(c, buf, whoami_answer(c, buf, sizeof(buf)));
}

const struct preforkd_module preforkd_module = {
	PREFORKD_MODULE_INIT,
	.name = "whoami",
	.configure = whoami_configure,
	.release = whoami_release,
	.worker_start = whoami_worker_start,
	.serve_stream = whoami_stream,
	.serve_datagram = whoami_datagram,
	.worker_stop = NULL,
};
