/*
 * tools.h - what the monitoring tests need besides the daemon: running
 * the real outside tools (promtool, python3, prometheus, haproxy), in
 * the foreground with a bound or in the background until stopped by pid,
 * and a plain HTTP/1.1 GET over TCP or a unix socket.  tools.c.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef TAP_TOOLS_H
#define TAP_TOOLS_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

int	 pf_tool_have(const char *path);
int	 pf_tool_run(const char *const *argv, const char *input, char *out,
	    size_t outlen, int timeout_ms);
pid_t	 pf_tool_start(const char *const *argv, const char *log);
void	 pf_tool_stop(pid_t pid);
char	*pf_http(const char *host, int port, const char *unix_path,
	    const char *request, int timeout_ms);
char	*pf_http_get(const char *host, int port, const char *path,
	    const char *accept);
int	 pf_http_status(const char *response);
const char *pf_http_body(const char *response);
int	 pf_metric(const char *body, const char *name_and_labels,
	    uint64_t *value);

#endif /* TAP_TOOLS_H */
