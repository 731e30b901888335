/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * libFuzzer target for the CSV reader. The first byte picks the options; the rest is the file.
 * Built with clang (-DPKH_FUZZ=ON) for fuzzing, and with a plain main() (replay_main.c) that
 * replays the corpus as an ordinary test.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <pkh/pkh.h>

#include "fuzz_options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) {
        return 0;
    }
    const uint8_t mode = data[0];
    static const char delims[] = {0, ',', ';', '\t'};
    const char *cols[] = {"b", "a"};
    pkh_csv_options o = PKH_CSV_OPTIONS_INIT;
    o.delimiter = delims[mode & 3];
    o.decimal = (mode & 4) ? ',' : '.';
    if (o.decimal == ',' && o.delimiter == ',') {
        o.delimiter = ';';
    }
    fuzz_common_options(mode, &o);
    if (mode & 64) {
        o.columns = cols;
        o.n_columns = 2;
    }
    if (mode & 128) {
        o.max_field_bytes = 64;
    }
    pkh_table *t = NULL;
    pkh_error err;
    if (pkh_csv_read_memory(data + 1, size - 1, "fuzz.csv", &o, &t, NULL, &err) == PKH_OK) {
        /* touch every column through the public API */
        for (int64_t c = 0; c < pkh_table_num_columns(t); c++) {
            pkh_column_summary s;
            pkh_column_summarize(pkh_table_column_at(t, c), 1, &s, NULL);
        }
        pkh_table_free(t);
    } else if (err.message[0] == '\0') {
        abort(); /* every failure must explain itself */
    }
    return 0;
}
