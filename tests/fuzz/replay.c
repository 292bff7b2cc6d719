/*
 * Runs fuzz targets without libFuzzer: feeds each file named on the command
 * line, or each regular file in a directory named there, to
 * LLVMFuzzerTestOneInput once. `make test` uses it to replay the corpora.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Inputs larger than this are skipped: the corpora hold small seeds. */
#define REPLAY_MAX_INPUT (1024 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Runs one file; returns 1 when it ran, 0 when skipped, -1 on error. */
static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = NULL;
	long len;
	int rc = -1;

	if (!f) {
		fprintf(stderr, "replay: cannot open '%s'\n", path);
		return -1;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
		goto out;
	if (len > REPLAY_MAX_INPUT) {
		fprintf(stderr, "replay: skipping '%s' (%ld bytes)\n", path, len);
		rc = 0;
		goto out;
	}
	/* An exact-size allocation lets AddressSanitizer catch reads past the end. */
	data = malloc(len ? (size_t)len : 1);
	if (!data || fread(data, 1, (size_t)len, f) != (size_t)len)
		goto out;
	LLVMFuzzerTestOneInput(data, (size_t)len);
	rc = 1;
out:
	if (rc < 0)
		fprintf(stderr, "replay: cannot read '%s'\n", path);
	free(data);
	fclose(f);
	return rc;
}

/* Runs every regular file of a directory, in name order. */
static int run_dir(const char *dir, long *ran)
{
	struct dirent **names = NULL;
	char path[4096];
	int n, i, err = 0, rc;

	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "replay: cannot list '%s'\n", dir);
		return -1;
	}
	for (i = 0; i < n; i++) {
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			rc = run_file(path);
			if (rc < 0)
				err = -1;
			else
				*ran += rc;
		}
		free(names[i]);
	}
	free(names);
	return err;
}

int main(int argc, char **argv)
{
	long ran = 0;
	int i, err = 0, rc;
	struct stat st;

	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "replay: no such file '%s'\n", argv[i]);
			err = 1;
		} else if (S_ISDIR(st.st_mode)) {
			if (run_dir(argv[i], &ran) < 0)
				err = 1;
		} else {
			rc = run_file(argv[i]);
			if (rc < 0)
				err = 1;
			else
				ran += rc;
		}
	}
	printf("replay: %ld inputs ran\n", ran);
	return err;
}
