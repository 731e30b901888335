/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * Test helpers: a counting allocator that can fail on demand, file helpers.
 */
#ifndef PKH_TESTUTIL_H
#define PKH_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <cmocka.h>

#include <pkh/pkh.h>

/** Counts live bytes and calls; fails every allocation after `budget` successful ones. */
typedef struct test_alloc {
    pkh_allocator base;
    long budget; /* < 0: never fail */
    long calls;
    long failures;
    int64_t live_bytes;
    int64_t live_blocks;
} test_alloc;

void test_alloc_init(test_alloc *a, long budget);

/** Read a whole file (NUL-terminated); NULL if it cannot be read. Free with free(). */
char *test_read_file(const char *path, size_t *len);

/** Path under tests/data (static buffer, valid until the next call). */
const char *test_data(const char *rel);

/** A data file under tests/data (e.g. "r/eusilc.csv"), read with the default options. */
pkh_table *test_load(const char *rel);

/**
 * Fail the test (at the caller's file and line) unless |a - b| <= eps, as doubles: cmocka's
 * assert_float_equal converts its arguments to float (24 bits). Two NaNs are equal; a NaN and a
 * number are not.
 */
void test_assert_near(double a, double b, double eps, const char *expr, const char *file, int line);
#define assert_near(a, b, eps) test_assert_near((a), (b), (eps), #a, __FILE__, __LINE__)

/** Text of a cell: a string column's value, a number with 17 digits, "" when missing. */
void test_cell_text(const pkh_column *c, int64_t row, char *buf, size_t cap);

/* ---- the R reference files of tests/data/r (format: scripts/r/README.md) ---- */

enum {
    TR_DATASET,
    TR_DESIGN,
    TR_LINE,
    TR_BY,
    TR_GROUP,
    TR_IND,
    TR_PARAM,
    TR_EST,
    TR_SE,
    TR_LO,
    TR_HI,
    TR_DF,
    TR_DEFF,
    TR_SOURCE,
    TR_NOTE,
    TR_COLUMNS
};

typedef struct test_ref {
    pkh_table *t;
    const pkh_column *c[TR_COLUMNS];
} test_ref;

/** Open tests/data/r/FILE: text columns as strings, the numbers as float64, "" missing. */
void test_ref_open(test_ref *r, const char *file);
void test_ref_close(test_ref *r);
/** A number column of the reference (NaN when empty). */
double test_ref_num(const test_ref *r, int col, int64_t row);

/**
 * A design label ("ids=db030;strata=db040;weights=rb050;fpc=fpc;lonely=adjust") as a spec
 * and its weight column (into `weight`; `buf` holds the texts the spec points into, both at
 * least as long as the label). False for designs pkh does not do (two-stage, "ids=a+b").
 */
struct pkh_design_spec;
bool test_design_spec(const char *label, struct pkh_design_spec *spec, char *weight, char *buf);

#endif
