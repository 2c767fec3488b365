/*
 * builtins.h - the built-ins of an imported configuration, checked
 * (builtins.c).
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef TAP_BUILTINS_H
#define TAP_BUILTINS_H

struct pf_daemon;

/* The number of TAP tests pf_builtins_check runs. */
#define PF_BUILTINS_TESTS	11

void	pf_builtins_check(struct pf_daemon *d, const char *what, int echo,
	    int discard, int daytime, int timep, int chargen,
	    const char *udp_discard);

#endif /* TAP_BUILTINS_H */
