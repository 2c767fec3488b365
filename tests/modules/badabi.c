/*
 * badabi.c - a module built for another module ABI (7): preforkd -t must
 * refuse it, naming the file, the line and both versions.
 *
 * SPDX-License-Identifier: MIT
 */
#include <preforkd/module.h>

const struct preforkd_module preforkd_module = {
	.abi = 7,
	.name = "badabi",
};
