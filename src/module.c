/*
 * module.c - load a handler module: dlopen() the shared object, find its
 * descriptor and check that it speaks our module ABI.  conf.c calls this
 * while it loads the configuration, in the master, so every worker forked
 * later shares the loaded code copy-on-write, and -t reports a bad module.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "preforkd.h"
#include "handler.h"

/*
 * What handler = "module" names until conf.c has loaded the module
 * itself; it never serves (conf.c refuses a service left with it).
 */
const struct preforkd_module handler_module = {
	.abi = PREFORKD_MODULE_ABI,
	.name = "module",
};

/*
 * module_open - dlopen path (RTLD_NOW: a missing symbol is an error now,
 * not in a worker later) and find its descriptor.  0 with *dl and *mod
 * set, or -1 with a message for "FILE:LINE: ...module.path: " in err.
 */
int
module_open(const char *path, void **dl, const struct preforkd_module **mod,
    char *err, size_t errlen)
{
	const struct preforkd_module *m;
	struct stat st;
	const char *why;
	void *h;

	*dl = NULL;
	*mod = NULL;
	if (stat(path, &st) == -1) {
		snprintf(err, errlen, "cannot load \"%s\": %s", path,
		    strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "cannot load \"%s\": not a regular file",
		    path);
		return -1;
	}
	dlerror();
	if ((h = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		why = dlerror();
		snprintf(err, errlen, "cannot load \"%s\": %s", path,
		    why != NULL ? why : "dlopen failed");
		return -1;
	}
	dlerror();
	m = (const struct preforkd_module *)dlsym(h, PREFORKD_MODULE_SYMBOL);
	if (m == NULL) {
		snprintf(err, errlen, "\"%s\" is not a preforkd module: it "
		    "defines no \"%s\" (see preforkd-module(3))", path,
		    PREFORKD_MODULE_SYMBOL);
		dlclose(h);
		return -1;
	}
	/* The ABI first: until it matches, no other field can be trusted. */
	if (m->abi != PREFORKD_MODULE_ABI) {
		snprintf(err, errlen, "\"%s\" was built for module ABI %u, "
		    "this preforkd speaks %d", path, m->abi,
		    PREFORKD_MODULE_ABI);
		dlclose(h);
		return -1;
	}
	if (m->name == NULL || *m->name == '\0') {
		snprintf(err, errlen, "\"%s\": its module descriptor has no "
		    "name", path);
		dlclose(h);
		return -1;
	}
	if (m->serve_stream == NULL && m->serve_datagram == NULL) {
		snprintf(err, errlen, "\"%s\": module %s serves neither "
		    "connections nor datagrams", path, m->name);
		dlclose(h);
		return -1;
	}
	*dl = h;
	*mod = m;
	return 0;
}

/* module_close - let go of a module loaded by module_open; NULL is fine. */
void
module_close(void *dl)
{
	if (dl != NULL)
		dlclose(dl);
}
