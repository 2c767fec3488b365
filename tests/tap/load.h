/*
 * load.h - a small load generator for preforkd's reliability test: client
 * threads that keep talking to an echo service on loopback and count, per
 * phase of the test, what succeeded and how the rest failed.
 *
 * Short clients loop on: connect, send one line, shut down the writing
 * side, read the echo up to EOF, close.  Long clients keep one connection
 * and exchange a line on it every interval_ms, reconnecting after a
 * failure.  Every wait is bounded (PF_LOAD_IO_MS).  An outcome counts in
 * the phase in which its connection (or exchange) began, so a connection
 * left hanging by a phase is that phase's failure even when it times out
 * in the next one.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef TAP_LOAD_H
#define TAP_LOAD_H

#define PF_LOAD_PHASES	8
#define PF_LOAD_IO_MS	3000	/* bound on one connect, write or read */

enum pf_load_outcome {
	PF_LOAD_OK,		/* the echo came back, byte for byte */
	PF_LOAD_REFUSED,	/* connect: ECONNREFUSED */
	PF_LOAD_RESET,		/* ECONNRESET, EPIPE, or EOF before the echo */
	PF_LOAD_FAILED,		/* a timeout, wrong bytes, anything else */
	PF_LOAD_OUTCOMES
};

struct pf_load_counts {
	long	s[PF_LOAD_OUTCOMES];	/* short connections */
	long	l[PF_LOAD_OUTCOMES];	/* exchanges on the long ones */
	char	first[160];		/* the first failure, described */
};

struct pf_load;

struct pf_load	*pf_load_start(const char *host, int port, int nshort,
		    int nlong, int interval_ms);
void		 pf_load_phase(struct pf_load *, int phase);
int		 pf_load_settle(struct pf_load *, int timeout_ms);
void		 pf_load_get(struct pf_load *, int phase,
		    struct pf_load_counts *);
long		 pf_load_short_failures(const struct pf_load_counts *);
long		 pf_load_long_failures(const struct pf_load_counts *);
void		 pf_load_stop(struct pf_load *);
void		 pf_load_free(struct pf_load *);

#endif /* TAP_LOAD_H */
