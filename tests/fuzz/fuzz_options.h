/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * What the CSV fuzz targets draw from bits 3 to 5 of their first byte: the threads, forced
 * column types and missing-value texts (the other bits are each target's own).
 */
#ifndef PKH_FUZZ_OPTIONS_H
#define PKH_FUZZ_OPTIONS_H

#include <stdint.h>

#include <pkh/pkh.h>

static const char *const fuzz_na[] = {"NA", "-", "x"};
static const pkh_csv_type fuzz_types[] = {
    {"a", PKH_TYPE_INT64}, {"b", PKH_TYPE_FLOAT64}, {"c", PKH_TYPE_DICT}, {"d", PKH_TYPE_BOOL}};

static inline void fuzz_common_options(uint8_t mode, pkh_csv_options *o)
{
    o->threads = (mode & 8) ? 2 : 1;
    if (mode & 16) {
        o->types = fuzz_types;
        o->n_types = sizeof fuzz_types / sizeof fuzz_types[0];
    }
    if (mode & 32) {
        o->na_values = fuzz_na;
        o->n_na_values = sizeof fuzz_na / sizeof fuzz_na[0];
    }
}

#endif
