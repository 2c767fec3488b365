/*
 * file.c - opening the files the master writes as root (error log, access
 * log, pid file) by a name in a directory that someone else may be able to
 * write.  Such a name is never followed when it is a symbolic link, never
 * opened when it is not a regular file (a FIFO could block the master, a
 * device could be anything), and the caller learns whether the file was
 * just created by us, the only case in which it may give it away (fchown)
 * to the workers' user.  The attack is nginx's CVE-2016-1247: a log
 * directory writable by the workers' user, the log replaced with a symbolic
 * link to a file of root's, and a root process that reopens and chowns it.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "preforkd.h"

#ifndef O_NOFOLLOW
#error "preforkd needs O_NOFOLLOW (POSIX.1-2008)"
#endif

/* A name that came and went under us is tried again, this many times. */
#define FILE_RETRIES	8

/*
 * file_open_once - one attempt: create path (O_EXCL, so that nothing in
 * its place is followed or reused) when create is set, or open what is
 * there.  Non-blocking, so that a FIFO cannot stop us.
 */
static int
file_open_once(const char *path, int flags, mode_t mode, int create)
{
	flags |= O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK;
	if (create)
		flags |= O_CREAT | O_EXCL;
	return open(path, flags, mode);
}

/*
 * file_open - open path with flags (O_WRONLY | O_APPEND, O_RDWR...) as a
 * regular file, never through a symbolic link.  With created not NULL the
 * file is created (mode) when missing, and *created says whether this call
 * created it.  Returns the descriptor (close-on-exec, blocking), or -1
 * with errno: ELOOP for a symbolic link, FILE_ENOTREG for anything else
 * that is not a regular file; file_error() puts either in words.
 */
int
file_open(const char *path, int flags, mode_t mode, int *created)
{
	struct stat st;
	int fd = -1, i;

	if (created != NULL)
		*created = 0;
	for (i = 0; i < FILE_RETRIES; i++) {
		if (created != NULL) {
			if ((fd = file_open_once(path, flags, mode, 1)) != -1) {
				*created = 1;
				break;
			}
			if (errno != EEXIST)
				break;
		}
		fd = file_open_once(path, flags, mode, 0);
		/* Removed between the two opens: create it, again. */
		if (fd != -1 || created == NULL || errno != ENOENT)
			break;
	}
	if (fd == -1) {
#ifdef EMLINK
		if (errno == EMLINK)	/* the BSDs' O_NOFOLLOW error */
			errno = ELOOP;
#endif
		if (errno == ENXIO)	/* a socket, or a FIFO with no reader */
			errno = FILE_ENOTREG;
		return -1;
	}
	if (fstat(fd, &st) == -1)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		errno = FILE_ENOTREG;
		goto fail;
	}
	if (fd_nonblock(fd, 0) == -1)
		goto fail;
	return fd;

fail:
	i = errno;
	close(fd);
	errno = i;
	return -1;
}

/*
 * file_append - open (or create) a log file at path for appending, as
 * file_open does.  When we are root and uid is not -1, a file that this
 * call created is given to uid:gid (the workers' user, who must be able to
 * open it again after a rotation); an existing file never is, whatever it
 * may be.  *created says which.  The descriptor, or -1 with errno.
 */
int
file_append(const char *path, uid_t uid, gid_t gid, int *created)
{
	int fd;

	fd = file_open(path, O_WRONLY | O_APPEND, 0644, created);
	if (fd != -1 && *created && geteuid() == 0 && uid != (uid_t)-1)
		(void)fchown(fd, uid, gid);
	return fd;
}

/*
 * file_error - strerror() for what file_open and the checks of its
 * callers return, with the two refusals of this file in plain words.
 */
const char *
file_error(int error)
{
	if (error == ELOOP)
		return "a symbolic link is in its place (not followed)";
	if (error == FILE_ENOTREG)
		return "not a regular file";
	return strerror(error);
}

/*
 * file_error_at - file_error() for a file at path, naming the directory
 * when it is the directory that is missing: "directory /usr/local/var/run
 * does not exist" tells an administrator what to create (make install
 * creates $runstatedir; a directory of their own config is theirs), where
 * "No such file or directory" sends them looking for the file.  For the
 * pid file, the logs and unix sockets, which preforkd creates; the text is
 * valid until the next call.
 */
const char *
file_error_at(const char *path, int error)
{
	static char text[PATH_MAX + 32];
	char copy[PATH_MAX];
	const char *dir;
	struct stat st;

	if (error != ENOENT)
		return file_error(error);
	snprintf(copy, sizeof(copy), "%s", path);
	dir = dirname(copy);
	if (stat(dir, &st) == -1 && errno == ENOENT) {
		snprintf(text, sizeof(text), "directory %s does not exist",
		    dir);
		return text;
	}
	return file_error(error);
}

/*
 * file_same - is the name path still the file open on fd (same device and
 * inode, not followed)?  For removing our own file, never a successor's.
 */
int
file_same(const char *path, int fd)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && lstat(path, &b) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}
