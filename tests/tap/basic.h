/*
 * basic.h - a small TAP producer for preforkd's tests, in the manner of
 * c-tap-harness: plan, ok, is_int, is_string, like, diag, bail.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef TAP_BASIC_H
#define TAP_BASIC_H

#include <stddef.h>

void	plan(int);
void	plan_lazy(void);
int	tap_failures(void);
void	skip_all(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
int	ok(int, const char *, ...) __attribute__((format(printf, 2, 3)));
int	is_int(long long, long long, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
int	is_string(const char *, const char *, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
int	like(const char *, const char *, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
void	skip(const char *, ...) __attribute__((format(printf, 1, 2)));
void	diag(const char *, ...) __attribute__((format(printf, 1, 2)));
void	bail(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
void	sysbail(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
char   *tap_strdup_printf(const char *, ...) __attribute__((format(printf, 1, 2)));

#endif
