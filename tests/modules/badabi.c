/*
 * badabi.c - modules whose descriptor preforkd must refuse, one source
 * built three ways (Makefile.am): badabi.so for another major (3.0),
 * newminor.so for a newer minor than the daemon's (2.99), badsize.so with
 * a descriptor size too small for its version.  preforkd -t must name the
 * file, the line and both versions (or the sizes).
 *
 * SPDX-License-Identifier: MIT
 */
#include <unistd.h>

#include <preforkd/module.h>

#ifndef BADABI_MAJOR
#define BADABI_MAJOR	PREFORKD_MODULE_ABI_MAJOR
#endif
#ifndef BADABI_MINOR
#define BADABI_MINOR	PREFORKD_MODULE_ABI_MINOR
#endif
#ifndef BADABI_SIZE
#define BADABI_SIZE	sizeof(struct preforkd_module)
#endif

static void
badabi_stream(struct preforkd_conn *c)
{
	(void)preforkd_write(c, "never\n", 6);
}

const struct preforkd_module preforkd_module = {
	.abi_major = BADABI_MAJOR,
	.abi_minor = BADABI_MINOR,
	.size = BADABI_SIZE,
	.name = "badabi",
	.serve_stream = badabi_stream,
};
