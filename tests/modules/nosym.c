/*
 * nosym.c - a shared object that is no preforkd module: it has no
 * preforkd_module descriptor, and preforkd -t must say so.
 *
 * SPDX-License-Identifier: MIT
 */
int	nosym_answer(void);

int
nosym_answer(void)
{
	return 42;
}
