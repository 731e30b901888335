/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * Internal I/O helpers: number parsing and formatting, byte sources, output files.
 */
#ifndef PKH_INTERNAL_IO_H
#define PKH_INTERNAL_IO_H

#include <locale.h>
#include <stdio.h>

#include <pkh/io.h>

#include "internal/table.h"

/* ---- numbers ---- */

typedef enum pkh__num {
    PKH__NUM_NONE = 0,  /* not a number: a string */
    PKH__NUM_INT = 1,   /* fits int64 */
    PKH__NUM_FLOAT = 2, /* a decimal or exponent number, inf */
    PKH__NUM_BIGINT = 3 /* digits only but beyond int64: an identifier, kept as a string */
} pkh__num;

/**
 * Parse a number token exactly (the double strtod gives). `canonical` is set to false when the
 * text differs from what pkh__number_text() rebuilds from the value ("1.50", "+3", "1e3"), so a
 * column promoted to string can keep the original text. `loc` is a "C" locale for the rare
 * strtod_l fallback.
 */
pkh__num pkh__parse_number(const char *p, size_t n, char decimal, locale_t loc, int64_t *iv,
                           double *dv, bool *canonical);

/** Text of a canonical number (as defined by pkh__parse_number) into buf (32 bytes). */
size_t pkh__int_text(int64_t v, char *buf);
size_t pkh__float_text(double v, char decimal, char *buf);

/** Shortest-or-%.17g round-trip formatting with '.'; `loc` a "C" locale for verification. */
size_t pkh__format_double(double v, char *buf, locale_t loc);

/** newlocale(LC_ALL_MASK, "C", 0); (locale_t)0 on failure. */
locale_t pkh__c_locale(void);

/* ---- sources ---- */

/** A file source over a path ("-" is standard input). Close with pkh__source_close(). */
typedef struct pkh__file_source {
    pkh_source base;
    int fd;
    int owns_fd;
    char name[PKH_ERROR_SOURCE_SIZE];
} pkh__file_source;

pkh_status pkh__file_source_open(pkh__file_source *fs, const char *path, pkh_error *err);
void pkh__file_source_close(pkh__file_source *fs);

typedef struct pkh__memory_source {
    pkh_source base;
    const unsigned char *data;
    size_t size, pos;
} pkh__memory_source;

void pkh__memory_source_init(pkh__memory_source *ms, const void *data, size_t size,
                             const char *name);

/* ---- output files written under a temporary name, renamed on success ---- */

typedef struct pkh__outfile pkh__outfile;

/**
 * Open `path` for writing ("-" for standard output); gzip-compress when `gzip` is set (level
 * 1..9). Data goes to "path.tmp-XXXXXX" until pkh__outfile_commit renames it.
 */
pkh_status pkh__outfile_open(const char *path, int gzip, int level, const pkh_allocator *a,
                             pkh__outfile **out, pkh_error *err);
pkh_status pkh__outfile_write(pkh__outfile *f, const void *data, size_t len, pkh_error *err);
/** Flush, close and rename into place; frees `f` whatever the outcome. */
pkh_status pkh__outfile_commit(pkh__outfile *f, pkh_error *err);
/** Close and delete the temporary file; frees `f`. NULL is fine. */
void pkh__outfile_abort(pkh__outfile *f);
/** 1 if `path` ends with ".gz". */
int pkh__path_is_gz(const char *path);

#endif /* PKH_INTERNAL_IO_H */
