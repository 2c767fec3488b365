/*
 * module.c - load a handler module: dlopen() the shared object, find its
 * descriptor and check that it speaks our module ABI.  conf_module.c
 * calls this while it loads the configuration, in the master, so every
 * worker forked later shares the loaded code copy-on-write, and -t
 * reports a bad module.
 *
 * The ABI rule (preforkd/module.h): the same major, and a minor no newer
 * than ours.  A module of an older minor may have a shorter descriptor
 * than ours, so preforkd never uses the module's own: it copies what the
 * module's size says it filled into one of our size, the rest NULL.
 *
 * A module runs in the master, as root when preforkd runs as root, so it
 * must be code that only root could have put there: the file and every
 * directory on the way to it, up from "/" and through every symbolic
 * link, must belong to root (or, for a preforkd run by an ordinary user,
 * to root or that user) and be writable by nobody else.  A directory
 * that is sticky and root-owned (/tmp) is accepted, as a shell accepts
 * it: others may add files there, but cannot replace ours.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preforkd.h"
#include "handler.h"

/*
 * What handler = "module" names until conf_module.c has loaded the module
 * itself; it never serves (conf_service.c refuses a service left with it).
 */
const struct preforkd_module handler_module = {
	PREFORKD_MODULE_INIT,
	.name = "module",
};

/* How many symbolic links a module's path may go through, as the kernel. */
#define MODULE_LINKS_MAX	40

/* The end of member f of the descriptor: how far a module must fill it. */
#define MODULE_END(f)	(offsetof(struct preforkd_module, f) +		\
			    sizeof(((struct preforkd_module *)0)->f))

/*
 * The least size of the descriptor of each minor of our major: the end
 * of its last member.  A minor that appends a callback adds a line here
 * with the new member's end.
 */
static const size_t module_min_size[] = {
	MODULE_END(worker_stop),	/* 2.0 */
	MODULE_END(worker_stop),	/* 2.1: the api grew, not this */
	MODULE_END(worker_stop),	/* 2.2: the api grew (via), not this */
};
_Static_assert(sizeof(module_min_size) / sizeof(module_min_size[0]) ==
    PREFORKD_MODULE_ABI_MINOR + 1, "one line per minor in module_min_size");
_Static_assert(MODULE_END(worker_stop) == sizeof(struct preforkd_module),
    "a member added to the descriptor needs its line in module_min_size");

/* A loaded module: the dlopen() handle and our copy of its descriptor. */
struct module {
	void			*dl;
	struct preforkd_module	 desc;
};

/*
 * module_untrusted - why the file or directory what (with stat st) may
 * not hold a module's code, in why; 0 when it may (see the top of the
 * file for the rule).
 */
static int
module_untrusted(const char *what, const char *name, const struct stat *st,
    char *why, size_t whylen)
{
	uid_t me = geteuid();

	if (st->st_uid != 0 && (me == 0 || st->st_uid != me)) {
		if (me == 0)
			snprintf(why, whylen, "%s %s belongs to uid %ld, not "
			    "to root", what, name, (long)st->st_uid);
		else
			snprintf(why, whylen, "%s %s belongs to uid %ld, "
			    "neither to root nor to you (uid %ld)", what, name,
			    (long)st->st_uid, (long)me);
		return 1;
	}
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) != 0 &&
	    !(S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX) != 0 &&
	    st->st_uid == 0)) {
		snprintf(why, whylen, "%s %s is writable by %s (mode %04o)",
		    what, name, (st->st_mode & S_IWOTH) != 0 ? "everyone" :
		    "its group", (unsigned)(st->st_mode & 07777));
		return 1;
	}
	return 0;
}

/*
 * module_walk - resolve path as the kernel would, one component at a
 * time with lstat(), checking every directory on the way (symbolic links
 * included: a link's own directory is checked before it is followed).
 * On success (0) real holds the path of the file itself, free of links.
 * 1 when a directory may not hold a module, -1 on an error; the reason
 * in why.
 */
static int
module_walk(const char *path, char *real, size_t reallen, char *why,
    size_t whylen)
{
	char todo[PATH_MAX], done[PATH_MAX], cand[PATH_MAX], target[PATH_MAX];
	char tmp[PATH_MAX], *comp, *rest;
	struct stat st;
	int links = 0;
	ssize_t n;

	if (lstat("/", &st) == -1)
		goto fail;
	if (module_untrusted("the directory", "/", &st, why, whylen))
		return 1;
	done[0] = '\0';	/* "/" */
	if (path[0] == '/')
		snprintf(todo, sizeof(todo), "%s", path);
	else if (getcwd(tmp, sizeof(tmp)) == NULL ||
	    snprintf(todo, sizeof(todo), "%s/%s", tmp, path) >=
	    (int)sizeof(todo)) {
		snprintf(why, whylen, "cannot make the path absolute");
		return -1;
	}
	rest = todo;
	for (;;) {
		while (*rest == '/')
			rest++;
		if (*rest == '\0') {
			snprintf(why, whylen, "%s", strerror(EISDIR));
			return -1;
		}
		comp = rest;
		if ((rest = strchr(comp, '/')) != NULL)
			*rest++ = '\0';
		else
			rest = comp + strlen(comp);
		if (strcmp(comp, ".") == 0)
			continue;
		if (strcmp(comp, "..") == 0) {
			if (strrchr(done, '/') != NULL)
				*strrchr(done, '/') = '\0';
			continue;
		}
		if (snprintf(cand, sizeof(cand), "%s/%s", done, comp) >=
		    (int)sizeof(cand)) {
			errno = ENAMETOOLONG;
			goto fail;
		}
		if (lstat(cand, &st) == -1)
			goto fail;
		if (S_ISLNK(st.st_mode)) {
			if (++links > MODULE_LINKS_MAX) {
				errno = ELOOP;
				goto fail;
			}
			if ((n = readlink(cand, target, sizeof(target) - 1)) == -1)
				goto fail;
			target[n] = '\0';
			if (snprintf(tmp, sizeof(tmp), "%s/%s", target, rest) >=
			    (int)sizeof(tmp)) {
				errno = ENAMETOOLONG;
				goto fail;
			}
			memcpy(todo, tmp, sizeof(todo));
			rest = todo;
			if (target[0] == '/')
				done[0] = '\0';
			continue;
		}
		while (*rest == '/')
			rest++;
		if (*rest == '\0') {
			/* The file itself: module_open checks it, opened. */
			snprintf(real, reallen, "%s", cand);
			return 0;
		}
		if (!S_ISDIR(st.st_mode)) {
			errno = ENOTDIR;
			goto fail;
		}
		if (module_untrusted("the directory", cand, &st, why, whylen))
			return 1;
		memcpy(done, cand, sizeof(done));
	}

fail:
	snprintf(why, whylen, "%s", strerror(errno));
	return -1;
}

/*
 * module_check - may path be loaded as a module?  0 with the path of the
 * file itself (symbolic links resolved) in real, or -1 with err.
 */
static int
module_check(const char *path, char *real, size_t reallen, char *err,
    size_t errlen)
{
	char why[PATH_MAX + 128];
	struct stat st;
	int fd, rc;

	if ((rc = module_walk(path, real, reallen, why, sizeof(why))) == 1)
		goto unsafe;
	if (rc == -1)
		goto refuse;
	if ((fd = file_open(real, O_RDONLY, 0, NULL)) == -1) {
		snprintf(why, sizeof(why), "%s", file_error(errno));
		goto refuse;
	}
	if (fstat(fd, &st) == -1) {
		snprintf(why, sizeof(why), "fstat: %s", strerror(errno));
		close(fd);
		goto refuse;
	}
	close(fd);
	if (module_untrusted("the file", real, &st, why, sizeof(why)))
		goto unsafe;
	return 0;

refuse:
	snprintf(err, errlen, "cannot load \"%s\": %s", path, why);
	return -1;
unsafe:
	snprintf(err, errlen, "cannot load \"%s\": %s; a module runs in the "
	    "master%s, so the file and every directory above it must be "
	    "writable by %s only", path, why, geteuid() == 0 ? " as root" :
	    "", geteuid() == 0 ? "root" : "root or you");
	return -1;
}

/*
 * module_version - whether descriptor m (of the module at path) speaks
 * our ABI: 0, or -1 with why in err.  Only the version comes first in
 * every ABI, so nothing else is read until it matches: the major, then
 * the minor, then the size the module says it filled.
 */
static int
module_version(const char *path, const struct preforkd_module *m,
    char *err, size_t errlen)
{
	if (m->abi_major != PREFORKD_MODULE_ABI_MAJOR) {
		/* ABI 1 had one number; ABI 2 and later begin with two. */
		if (m->abi_major < 2)
			snprintf(err, errlen, "\"%s\" was built for module ABI "
			    "%u, this preforkd speaks %d.%d: rebuild it against "
			    "this preforkd's <preforkd/module.h>", path,
			    m->abi_major, PREFORKD_MODULE_ABI_MAJOR,
			    PREFORKD_MODULE_ABI_MINOR);
		else
			snprintf(err, errlen, "\"%s\" was built for module ABI "
			    "%u.%u, this preforkd speaks %d.%d: another major "
			    "version; rebuild it against this preforkd's "
			    "<preforkd/module.h>", path, m->abi_major,
			    m->abi_minor, PREFORKD_MODULE_ABI_MAJOR,
			    PREFORKD_MODULE_ABI_MINOR);
		return -1;
	}
	if (m->abi_minor > PREFORKD_MODULE_ABI_MINOR) {
		snprintf(err, errlen, "\"%s\" was built for module ABI %u.%u, "
		    "this preforkd speaks %d.%d: the module may need what this "
		    "preforkd lacks; use a preforkd of ABI %u.%u or later, or "
		    "build the module for %d.%d", path, m->abi_major,
		    m->abi_minor, PREFORKD_MODULE_ABI_MAJOR,
		    PREFORKD_MODULE_ABI_MINOR, m->abi_major, m->abi_minor,
		    PREFORKD_MODULE_ABI_MAJOR, PREFORKD_MODULE_ABI_MINOR);
		return -1;
	}
	if (m->size < module_min_size[m->abi_minor]) {
		snprintf(err, errlen, "\"%s\": its module descriptor says it "
		    "is %zu bytes, less than the %zu of ABI %u.%u: fill its "
		    "version and size with PREFORKD_MODULE_INIT (see "
		    "preforkd-module(3))", path, m->size,
		    module_min_size[m->abi_minor], m->abi_major, m->abi_minor);
		return -1;
	}
	return 0;
}

/*
 * module_open - dlopen path (RTLD_NOW: a missing symbol is an error now,
 * not in a worker later) and find its descriptor.  0 with *dl (for
 * module_close) and *mod (our copy of the descriptor, valid until then)
 * set, or -1 with a message for "FILE:LINE: ...module.path: " in err.
 */
int
module_open(const char *path, void **dl, const struct preforkd_module **mod,
    char *err, size_t errlen)
{
	const struct preforkd_module *m;
	struct module *lm;
	char real[PATH_MAX];
	const char *why;
	void *h;

	*dl = NULL;
	*mod = NULL;
	if (module_check(path, real, sizeof(real), err, errlen) == -1)
		return -1;
	dlerror();
	/* By the checked name: no one but root can change what it means. */
	if ((h = dlopen(real, RTLD_NOW | RTLD_LOCAL)) == NULL) {
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
		goto fail;
	}
	/* The version first: until it matches, no other field can be trusted. */
	if (module_version(path, m, err, errlen) == -1)
		goto fail;
	if ((lm = calloc(1, sizeof(*lm))) == NULL) {
		snprintf(err, errlen, "cannot load \"%s\": %s", path,
		    strerror(errno));
		goto fail;
	}
	memcpy(&lm->desc, m, m->size < sizeof(lm->desc) ? m->size :
	    sizeof(lm->desc));
	lm->dl = h;
	m = &lm->desc;
	if (m->name == NULL || *m->name == '\0') {
		snprintf(err, errlen, "\"%s\": its module descriptor has no "
		    "name", path);
		module_close(lm);
		return -1;
	}
	if (m->serve_stream == NULL && m->serve_datagram == NULL) {
		snprintf(err, errlen, "\"%s\": module %s serves neither "
		    "connections nor datagrams", path, m->name);
		module_close(lm);
		return -1;
	}
	*dl = lm;
	*mod = m;
	return 0;

fail:
	dlclose(h);
	return -1;
}

/* module_close - let go of a module loaded by module_open; NULL is fine. */
void
module_close(void *dl)
{
	struct module *lm = dl;

	if (lm == NULL)
		return;
	dlclose(lm->dl);
	free(lm);
}
