/*
 * conf-fuzz.c - libFuzzer target: the configuration's validation,
 * conf_load (conf*.c, libconfig underneath) on the fuzzer's bytes written
 * as a file, as preforkd -t reads one.
 *
 * The load is sandboxed (conf_sandbox, which the daemon never sets): an
 * @include fails, a module is not loaded, user and group names are not
 * looked up.  Besides no crash, leak or undefined behaviour: a refused
 * file gets at least one message, and every message names the file (as
 * "FILE:LINE: SETTING: ..." does); a file that loads has a service.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>
#ifdef __linux__
#include <sys/mman.h>
#endif
#include <unistd.h>

#include "preforkd.h"
#include "fuzz.h"

static char	fuzz_dir[64];
static char	fuzz_file[96];
static int	fuzz_memfd = -1;	/* Linux: the file, in memory */

/* fuzz_cleanup - at exit: the file and its directory go. */
static void
fuzz_cleanup(void)
{
	(void)unlink(fuzz_file);
	(void)rmdir(fuzz_dir);
}

/*
 * The file every input is written to.  On Linux a memfd, named by its
 * /proc/self/fd path: in memory, and nothing left behind however the run
 * ends (a finding ends it without atexit).  Elsewhere a file in a fresh
 * directory of TMPDIR.
 */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");

	(void)argc;
	(void)argv;
	conf_sandbox = 1;
#ifdef __linux__
	if ((fuzz_memfd = memfd_create("preforkd.conf", MFD_CLOEXEC)) != -1) {
		snprintf(fuzz_file, sizeof(fuzz_file), "/proc/self/fd/%d",
		    fuzz_memfd);
		return 0;
	}
#endif
	if (tmp == NULL || *tmp == '\0' || strlen(tmp) >= 32)
		tmp = "/tmp";
	snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/preforkd-fuzz.XXXXXX", tmp);
	if (mkdtemp(fuzz_dir) == NULL) {
		perror(fuzz_dir);
		exit(1);
	}
	snprintf(fuzz_file, sizeof(fuzz_file), "%s/preforkd.conf", fuzz_dir);
	atexit(fuzz_cleanup);
	return 0;
}

/* fuzz_write - the input, as the whole of the file. */
static void
fuzz_write(const uint8_t *data, size_t size)
{
	FILE *fp;

	if (fuzz_memfd != -1) {
		if (ftruncate(fuzz_memfd, 0) == 0 &&
		    pwrite(fuzz_memfd, data, size, 0) == (ssize_t)size)
			return;
	} else if ((fp = fopen(fuzz_file, "w")) != NULL &&
	    fwrite(data, 1, size, fp) == size && fclose(fp) == 0)
		return;
	perror(fuzz_file);
	exit(1);
}

/* Whether msg names the file, as every message about it must. */
static int
fuzz_names_file(const char *msg)
{
	size_t n = strlen(fuzz_file);

	if (strncmp(msg, "warning: ", 9) == 0)
		msg += 9;
	return strncmp(msg, fuzz_file, n) == 0 && msg[n] == ':';
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct errlist errs = { NULL, 0 };
	struct conf *conf;
	size_t i;

	fuzz_write(data, size);
	conf = conf_load(fuzz_file, &errs);
	if (conf == NULL)
		FUZZ_CHECK(errs.n > 0);
	else
		FUZZ_CHECK(conf->nservices > 0);
	for (i = 0; i < errs.n; i++) {
		if (!fuzz_names_file(errs.msg[i])) {
			fprintf(stderr, "message: %s\n", errs.msg[i]);
			FUZZ_CHECK(!"every message names the file");
		}
	}
	for (i = 0; conf != NULL && i < conf->warnings.n; i++) {
		if (!fuzz_names_file(conf->warnings.msg[i])) {
			fprintf(stderr, "warning: %s\n", conf->warnings.msg[i]);
			FUZZ_CHECK(!"every warning names the file");
		}
	}
	conf_free(conf);
	errlist_free(&errs);
	return 0;
}
