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
#include <unistd.h>

#include "preforkd.h"
#include "fuzz.h"

static char	fuzz_dir[64];
static char	fuzz_file[96];

/* fuzz_cleanup - at exit: the file and its directory go. */
static void
fuzz_cleanup(void)
{
	(void)unlink(fuzz_file);
	(void)rmdir(fuzz_dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");
	struct stat st;

	(void)argc;
	(void)argv;
	conf_sandbox = 1;
	/* A file written for every input: in memory when there is room. */
	if (tmp == NULL || *tmp == '\0' || strlen(tmp) >= 32)
		tmp = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) &&
		    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/preforkd-fuzz.XXXXXX", tmp);
	if (mkdtemp(fuzz_dir) == NULL) {
		perror(fuzz_dir);
		exit(1);
	}
	snprintf(fuzz_file, sizeof(fuzz_file), "%s/preforkd.conf", fuzz_dir);
	atexit(fuzz_cleanup);
	return 0;
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
	FILE *fp;
	size_t i;

	if ((fp = fopen(fuzz_file, "w")) == NULL ||
	    fwrite(data, 1, size, fp) != size || fclose(fp) != 0) {
		perror(fuzz_file);
		exit(1);
	}
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
