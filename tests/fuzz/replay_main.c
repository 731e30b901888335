/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * Replays fuzz corpora as an ordinary test: every file under the directories given (recursively)
 * goes through LLVMFuzzerTestOneInput once, and each once more with every possible first byte
 * for the small ones, so the options are all exercised.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static long files = 0;

static void run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return;
    }
    fseek(f, 0, SEEK_END);
    const long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)n + 1);
    const size_t got = fread(buf + 1, 1, (size_t)n, f);
    fclose(f);
    LLVMFuzzerTestOneInput(buf + 1, got);
    if (got < 4096) {
        for (int mode = 0; mode < 256; mode += 7) {
            buf[0] = (uint8_t)mode;
            LLVMFuzzerTestOneInput(buf, got + 1);
        }
    }
    free(buf);
    files++;
}

static void walk(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        run_file(dir);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') {
            continue;
        }
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            walk(path);
        } else {
            run_file(path);
        }
    }
    closedir(d);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        walk(argv[i]);
    }
    printf("replayed %ld files\n", files);
    return files > 0 ? 0 : 1;
}
