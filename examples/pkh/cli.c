/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * Shared pieces of the pkh command-line tool: errors, reading, output.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

double cli_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "pkh %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nRun 'pkh %s --help' to see the options.\n", cmd);
    va_end(ap);
    return EXIT_USAGE;
}

int cli_fail(const pkh_error *err)
{
    fprintf(stderr, "pkh: %s\n", err->message[0] ? err->message : pkh_status_string(err->code));
    return EXIT_DATA;
}

int cli_failf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "pkh: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return EXIT_DATA;
}

char **cli_split(const char *s, char sep, size_t *n)
{
    size_t count = 1;
    for (const char *p = s; *p; p++) {
        count += *p == sep;
    }
    char **list = calloc(count + 1, sizeof *list);
    if (list == NULL) {
        return NULL;
    }
    size_t k = 0;
    const char *start = s;
    for (const char *p = s;; p++) {
        if (*p == sep || *p == '\0') {
            list[k] = strndup(start, (size_t)(p - start));
            if (list[k] == NULL) {
                cli_free_list(list);
                return NULL;
            }
            k++;
            start = p + 1;
            if (*p == '\0') {
                break;
            }
        }
    }
    if (n != NULL) {
        *n = k;
    }
    return list;
}

void cli_free_list(char **list)
{
    if (list == NULL) {
        return;
    }
    for (char **p = list; *p; p++) {
        free(*p);
    }
    free(list);
}

int cli_read_option(cli_read *r, const char *name, const char *value)
{
    if (strcmp(name, "delim") == 0) {
        r->delim = value;
    } else if (strcmp(name, "decimal") == 0) {
        r->decimal = value;
    } else if (strcmp(name, "na") == 0) {
        r->na = value;
    } else if (strcmp(name, "columns") == 0) {
        r->columns = value;
    } else if (strcmp(name, "types") == 0) {
        r->types = value;
    } else if (strcmp(name, "threads") == 0) {
        r->threads = atoi(value);
    } else {
        return 0;
    }
    return 1;
}

typedef struct progress {
    const char *name;
    double last;
    bool shown;
} progress;

static int on_progress(void *ctx, int64_t done, int64_t total)
{
    progress *p = ctx;
    const double now = cli_now();
    if (total <= 0 || now - p->last < 0.2) {
        return 0;
    }
    p->last = now;
    p->shown = true;
    fprintf(stderr, "\rpkh: reading %s  %3d%%  (%lld of %lld MB)\033[K", p->name,
            (int)(100.0 * (double)done / (double)total), (long long)(done >> 20),
            (long long)(total >> 20));
    fflush(stderr);
    return 0;
}

static int parse_delim(const char *cmd, const char *s, char *out)
{
    if (strcmp(s, "tab") == 0 || strcmp(s, "\\t") == 0) {
        *out = '\t';
    } else if (strlen(s) == 1) {
        *out = s[0];
    } else {
        return cli_usage(cmd, "--delim takes one character, or 'tab' (got \"%s\")", s);
    }
    return 0;
}

static int parse_types(const char *cmd, const char *s, pkh_csv_type **types, size_t *n,
                       char ***names)
{
    char **items = cli_split(s, ',', n);
    if (items == NULL) {
        return cli_failf("out of memory");
    }
    *types = calloc(*n > 0 ? *n : 1, sizeof **types);
    for (size_t i = 0; i < *n; i++) {
        char *colon = strrchr(items[i], ':');
        pkh_type t;
        if (colon == NULL || pkh_type_parse(colon + 1, &t) != PKH_OK) {
            cli_free_list(items);
            free(*types);
            *types = NULL;
            return cli_usage(cmd,
                             "--types takes COLUMN:TYPE pairs separated by commas, TYPE "
                             "one of int64, float64, bool, string (got \"%s\")",
                             s);
        }
        *colon = '\0';
        (*types)[i].column = items[i];
        (*types)[i].type = t;
    }
    *names = items;
    return 0;
}

int cli_read_table(const char *cmd, const char *path, const cli_read *r,
                   const char *const *extra_columns, pkh_table **out, pkh_csv_info *info)
{
    pkh_csv_options o = PKH_CSV_OPTIONS_INIT;
    o.summaries = r->summaries;
    int rc = 0;
    char **na = NULL, **cols = NULL, **type_names = NULL;
    const char **all_cols = NULL;
    pkh_csv_type *types = NULL;
    if (r->delim != NULL) {
        rc = parse_delim(cmd, r->delim, &o.delimiter);
    }
    if (rc == 0 && r->decimal != NULL) {
        if (strcmp(r->decimal, ",") != 0 && strcmp(r->decimal, ".") != 0) {
            rc = cli_usage(cmd, "--decimal takes '.' or ',' (got \"%s\")", r->decimal);
        }
        o.decimal = r->decimal[0];
    }
    if (rc == 0 && r->na != NULL) {
        na = cli_split(r->na, ',', &o.n_na_values);
        o.na_values = (const char *const *)na;
    }
    if (rc == 0 && r->types != NULL) {
        rc = parse_types(cmd, r->types, &types, &o.n_types, &type_names);
        o.types = types;
    }
    size_t ncols = 0;
    if (rc == 0 && r->columns != NULL) {
        cols = cli_split(r->columns, ',', &ncols);
    }
    if (rc == 0 && (cols != NULL || extra_columns != NULL)) {
        size_t nextra = 0;
        while (extra_columns != NULL && extra_columns[nextra] != NULL) {
            nextra++;
        }
        all_cols = calloc(ncols + nextra + 1, sizeof *all_cols);
        size_t k = 0;
        for (size_t i = 0; i < ncols; i++) {
            all_cols[k++] = cols[i];
        }
        for (size_t i = 0; i < nextra; i++) {
            bool dup = false;
            for (size_t j = 0; j < k && !dup; j++) {
                dup = strcmp(all_cols[j], extra_columns[i]) == 0;
            }
            if (!dup) {
                all_cols[k++] = extra_columns[i];
            }
        }
        o.columns = all_cols;
        o.n_columns = k;
    }
    o.threads = r->threads;
    progress p = {path, cli_now(), false};
    if (isatty(STDERR_FILENO)) {
        o.progress = on_progress;
        o.progress_ctx = &p;
    }
    if (rc == 0) {
        pkh_error err;
        if (pkh_csv_read_path(path, &o, out, info, &err) != PKH_OK) {
            if (p.shown) {
                fprintf(stderr, "\r\033[K");
            }
            rc = cli_fail(&err);
        } else if (p.shown) {
            fprintf(stderr, "\r\033[K");
        }
    }
    cli_free_list(na);
    cli_free_list(cols);
    cli_free_list(type_names);
    free(types);
    free(all_cols);
    return rc;
}

int cli_parse_format(const char *s, cli_format *out)
{
    if (strcmp(s, "table") == 0) {
        *out = FMT_TABLE;
    } else if (strcmp(s, "csv") == 0) {
        *out = FMT_CSV;
    } else if (strcmp(s, "json") == 0) {
        *out = FMT_JSON;
    } else {
        return -1;
    }
    return 0;
}

cli_format cli_default_format(const char *output)
{
    if (output != NULL && strcmp(output, "-") != 0) {
        const size_t n = strlen(output);
        if (n >= 5 && strcmp(output + n - 5, ".json") == 0) {
            return FMT_JSON;
        }
        return FMT_CSV;
    }
    return isatty(STDOUT_FILENO) ? FMT_TABLE : FMT_CSV;
}

/* ---- the text table ---- */

static char *cell_display(const pkh_column *c, int64_t row)
{
    char buf[64];
    if (!pkh_column_is_valid(c, row)) {
        return strdup("");
    }
    switch (pkh_column_type(c)) {
    case PKH_TYPE_INT64:
        snprintf(buf, sizeof buf, "%lld", (long long)pkh_column_int64(c)[row]);
        break;
    case PKH_TYPE_FLOAT64: {
        const double v = pkh_column_float64(c)[row];
        if (isnan(v)) {
            return strdup("NaN");
        }
        if ((v == floor(v) || fabs(v) >= 1e4) && fabs(v) < 1e15) {
            snprintf(buf, sizeof buf, "%.0f", v); /* counts, money: whole numbers */
        } else if (fabs(v) >= 1e-4 && fabs(v) < 1e15) {
            snprintf(buf, sizeof buf, "%.5g", v);
        } else {
            snprintf(buf, sizeof buf, "%.4g", v);
        }
        break;
    }
    case PKH_TYPE_BOOL:
        snprintf(buf, sizeof buf, "%s",
                 pkh_column_bool_bits(c)[row / 8] >> (row % 8) & 1 ? "true" : "false");
        break;
    case PKH_TYPE_DICT: {
        const char *s;
        size_t n;
        pkh_column_dict_value(c, pkh_column_codes(c)[row], &s, &n);
        return strndup(s, n);
    }
    }
    return strdup(buf);
}

/* Display width of UTF-8 text (code points; good enough for names of places). */
static size_t text_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++) {
        w += ((unsigned char)*s & 0xC0) != 0x80;
    }
    return w;
}

static void print_table(FILE *f, const pkh_table *t, const char *title)
{
    const int64_t nc = pkh_table_num_columns(t), nr = pkh_table_num_rows(t);
    size_t *width = calloc((size_t)nc, sizeof *width);
    char **cells = calloc((size_t)(nc * nr) + 1, sizeof *cells);
    for (int64_t c = 0; c < nc; c++) {
        const pkh_column *col = pkh_table_column_at(t, c);
        width[c] = text_width(pkh_column_name(col));
        for (int64_t r = 0; r < nr; r++) {
            char *s = cell_display(col, r);
            const size_t w = text_width(s);
            width[c] = w > width[c] ? w : width[c];
            cells[r * nc + c] = s;
        }
    }
    if (title != NULL) {
        fprintf(f, "%s\n", title);
    }
    for (int64_t c = 0; c < nc; c++) {
        const pkh_column *col = pkh_table_column_at(t, c);
        const bool right = pkh_column_type(col) != PKH_TYPE_DICT;
        const char *name = pkh_column_name(col);
        const int pad = (int)(width[c] - text_width(name));
        fprintf(f, "%s%*s%s%*s", c ? "  " : "", right ? pad : 0, "", name, right ? 0 : pad, "");
    }
    fputc('\n', f);
    for (int64_t c = 0; c < nc; c++) {
        fprintf(f, "%s", c ? "  " : "");
        for (size_t k = 0; k < width[c]; k++) {
            fputc('-', f);
        }
    }
    fputc('\n', f);
    for (int64_t r = 0; r < nr; r++) {
        for (int64_t c = 0; c < nc; c++) {
            const pkh_column *col = pkh_table_column_at(t, c);
            const bool right = pkh_column_type(col) != PKH_TYPE_DICT;
            const char *s = cells[r * nc + c];
            const int pad = (int)(width[c] - text_width(s));
            if (c == nc - 1 && !right) {
                fprintf(f, "%s%s", c ? "  " : "", s);
            } else {
                fprintf(f, "%s%*s%s%*s", c ? "  " : "", right ? pad : 0, "", s, right ? 0 : pad,
                        "");
            }
        }
        fputc('\n', f);
    }
    for (int64_t k = 0; k < nc * nr; k++) {
        free(cells[k]);
    }
    free(cells);
    free(width);
}

/* jansson writes reals with 17 significant digits ("0.94999999999999996"): the meta's reals are
 * written again in the shortest form that reads back as the same double ("0.95"), as the
 * results' numbers are, keeping a decimal point ("460000.0"). Texts in quotes are copied as
 * they are. Returns a new string (free()), or NULL when out of memory. */
static char *shortest_reals(const char *in)
{
    const size_t n = strlen(in);
    char *out = malloc(2 * n + 64);
    if (out == NULL) {
        return NULL;
    }
    size_t o = 0;
    bool quoted = false;
    for (size_t i = 0; i < n; i++) {
        const char c = in[i];
        if (quoted) {
            out[o++] = c;
            if (c == '\\' && i + 1 < n) {
                out[o++] = in[++i];
            } else if (c == '"') {
                quoted = false;
            }
            continue;
        }
        if (c == '"') {
            quoted = true;
            out[o++] = c;
            continue;
        }
        if (c != '-' && (c < '0' || c > '9')) {
            out[o++] = c;
            continue;
        }
        size_t j = i;
        bool real = false;
        while (j < n && strchr("+-0123456789.eE", in[j]) != NULL) {
            real = real || in[j] == '.' || in[j] == 'e' || in[j] == 'E';
            j++;
        }
        char tok[64], buf[40];
        const size_t len = j - i;
        if (real && len < sizeof tok) {
            memcpy(tok, in + i, len);
            tok[len] = '\0';
        }
        const double x = real && len < sizeof tok ? strtod(tok, NULL) : NAN;
        if (isfinite(x)) {
            size_t k = pkh_format_double(x, buf);
            if (strpbrk(buf, ".eE") == NULL) {
                memcpy(buf + k, ".0", 3);
                k += 2;
            }
            memcpy(out + o, buf, k);
            o += k;
        } else {
            memcpy(out + o, in + i, len);
            o += len;
        }
        i = j - 1;
    }
    out[o] = '\0';
    return out;
}

int cli_emit(const pkh_table *results, json_t *meta, cli_format fmt, const char *output,
             const char *title)
{
    const char *path = output != NULL ? output : "-";
    pkh_error err;
    pkh_status st = PKH_OK;
    if (fmt == FMT_JSON) {
        char *d = meta != NULL ? json_dumps(meta, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
        char *m = d != NULL ? shortest_reals(d) : NULL;
        free(d);
        if (meta != NULL && m == NULL) {
            return cli_failf("out of memory");
        }
        st = pkh_json_write_path(results, m, path, &err);
        free(m);
    } else if (fmt == FMT_CSV) {
        fflush(stdout);
        st = pkh_csv_write_path(results, path, NULL, &err);
    } else if (strcmp(path, "-") == 0) {
        print_table(stdout, results, title);
        fflush(stdout);
    } else {
        /* a text table to a file: write beside it and rename, like the other writers */
        char *tmp = malloc(strlen(path) + 16);
        sprintf(tmp, "%s.tmp-%ld", path, (long)getpid());
        FILE *f = fopen(tmp, "w");
        if (f == NULL) {
            free(tmp);
            return cli_failf("%s: cannot write", path);
        }
        print_table(f, results, title);
        const bool ok = fclose(f) == 0 && rename(tmp, path) == 0;
        if (!ok) {
            remove(tmp);
        }
        free(tmp);
        if (!ok) {
            return cli_failf("%s: cannot write", path);
        }
    }
    return st == PKH_OK ? 0 : cli_fail(&err);
}

/* ---- results: a wide table on a terminal ---- */

static bool any_valid(const pkh_column *c)
{
    return pkh_column_null_count(c) < pkh_column_length(c);
}

/* Text of a group key cell ("all" for the whole population). */
static char *group_text(const pkh_table *res, int64_t nby, int64_t row)
{
    char buf[512];
    size_t o = 0;
    buf[0] = '\0';
    for (int64_t j = 0; j < nby; j++) {
        const pkh_column *c = pkh_table_column_at(res, j);
        char *s = pkh_column_is_valid(c, row) ? cell_display(c, row) : strdup("all");
        o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%s", j ? "\x1f" : "", s);
        free(s);
        if (o >= sizeof buf) {
            break;
        }
    }
    return strdup(buf);
}

int cli_emit_results(const pkh_table *res, json_t *meta, cli_format fmt, const char *output,
                     const char *title, size_t nby)
{
    if (fmt != FMT_TABLE) {
        return cli_emit(res, meta, fmt, output, NULL);
    }
    const int64_t rows = pkh_table_num_rows(res);
    const pkh_column *ind = NULL, *est = NULL, *se = NULL;
    pkh_table_column(res, "indicator", &ind, NULL);
    pkh_table_column(res, "estimate", &est, NULL);
    pkh_table_column(res, "se", &se, NULL);
    const bool with_se = se != NULL && any_valid(se);
    /* distinct groups and indicators, in order of appearance */
    char **groups = calloc((size_t)rows + 1, sizeof *groups);
    char **names = calloc((size_t)rows + 1, sizeof *names);
    int64_t ng = 0, ni = 0;
    int64_t *gidx = calloc((size_t)rows + 1, sizeof *gidx), *iidx = calloc((size_t)rows + 1, 8);
    for (int64_t r = 0; r < rows; r++) {
        char *g = group_text(res, (int64_t)nby, r);
        int64_t k = 0;
        while (k < ng && strcmp(groups[k], g) != 0) {
            k++;
        }
        if (k == ng) {
            groups[ng++] = g;
        } else {
            free(g);
        }
        gidx[r] = k;
        char *nm = cell_display(ind, r);
        k = 0;
        while (k < ni && strcmp(names[k], nm) != 0) {
            k++;
        }
        if (k == ni) {
            names[ni++] = nm;
        } else {
            free(nm);
        }
        iidx[r] = k;
    }
    const int64_t ncols = (int64_t)nby + ni * (with_se ? 2 : 1);
    double *cells = malloc(sizeof(double) * (size_t)(ng * ncols + 1));
    uint8_t *valid = calloc((size_t)(ng * ncols) / 8 + 8, 1);
    for (int64_t r = 0; r < rows; r++) {
        const int64_t base = gidx[r] * (ni * (with_se ? 2 : 1)) + iidx[r] * (with_se ? 2 : 1);
        const int64_t cell = gidx[r] * ncols + (int64_t)nby + iidx[r] * (with_se ? 2 : 1);
        (void)base;
        if (pkh_column_is_valid(est, r)) {
            cells[cell] = pkh_column_float64(est)[r];
            valid[cell / 8] |= (uint8_t)(1u << (cell % 8));
        }
        if (with_se && pkh_column_is_valid(se, r)) {
            cells[cell + 1] = pkh_column_float64(se)[r];
            valid[(cell + 1) / 8] |= (uint8_t)(1u << ((cell + 1) % 8));
        }
    }
    /* the wide table: group key columns as text, then one column per indicator */
    pkh_table_builder *b = NULL;
    pkh_table_builder_new(NULL, &b, NULL);
    const char **keyvals = calloc((size_t)ng + 1, sizeof *keyvals);
    char **parts = calloc((size_t)(ng * (int64_t)(nby + 1)) + 1, sizeof *parts);
    for (size_t j = 0; j < nby; j++) {
        for (int64_t g = 0; g < ng; g++) {
            const char *s = groups[g];
            for (size_t skip = 0; skip < j; skip++) {
                s = strchr(s, '\x1f') + 1;
            }
            const char *e = strchr(s, '\x1f');
            parts[g * (int64_t)nby + (int64_t)j] = strndup(s, e ? (size_t)(e - s) : strlen(s));
            keyvals[g] = parts[g * (int64_t)nby + (int64_t)j];
        }
        pkh_table_builder_add_strings(b, pkh_column_name(pkh_table_column_at(res, (int64_t)j)),
                                      keyvals, ng, NULL);
    }
    double *colv = malloc(sizeof(double) * (size_t)(ng + 1));
    uint8_t *colvalid = calloc((size_t)ng / 8 + 8, 1);
    for (int64_t c = (int64_t)nby; c < ncols; c++) {
        memset(colvalid, 0, (size_t)ng / 8 + 8);
        for (int64_t g = 0; g < ng; g++) {
            const int64_t cell = g * ncols + c;
            colv[g] = cells[cell];
            if (valid[cell / 8] >> (cell % 8) & 1) {
                colvalid[g / 8] |= (uint8_t)(1u << (g % 8));
            }
        }
        const int64_t k = (c - (int64_t)nby) / (with_se ? 2 : 1);
        char name[160];
        snprintf(name, sizeof name, "%s%s", names[k],
                 with_se && (c - (int64_t)nby) % 2 == 1 ? " se" : "");
        pkh_table_builder_add_float64(b, name, colv, colvalid, ng, NULL);
    }
    pkh_table *wide = NULL;
    int rc = 0;
    pkh_error err;
    if (pkh_table_builder_finish(b, &wide, &err) != PKH_OK) {
        rc = cli_fail(&err);
    } else {
        rc = cli_emit(wide, NULL, FMT_TABLE, output, title);
    }
    pkh_table_free(wide);
    pkh_table_builder_free(b);
    for (int64_t g = 0; g < ng * (int64_t)nby; g++) {
        free(parts[g]);
    }
    for (int64_t g = 0; g < ng; g++) {
        free(groups[g]);
    }
    for (int64_t k = 0; k < ni; k++) {
        free(names[k]);
    }
    free(parts);
    free(keyvals);
    free(groups);
    free(names);
    free(gidx);
    free(iidx);
    free(cells);
    free(valid);
    free(colv);
    free(colvalid);
    return rc;
}

/* ---- --define and --filter ---- */

int cli_exprs_parse(const char *cmd, const char *const *defines, int n, const char *filter,
                    cli_exprs *e)
{
    (void)cmd;
    memset(e, 0, sizeof *e);
    pkh_error err;
    for (int i = 0; i < n; i++) {
        const char *text = NULL;
        if (pkh_define_split(defines[i], e->names[i], sizeof e->names[i], &text, &err) != PKH_OK ||
            pkh_expr_parse(text, NULL, &e->defs[i], &err) != PKH_OK) {
            fprintf(stderr, "pkh: --define %s: %s\n", defines[i], err.message);
            cli_exprs_free(e);
            return EXIT_DATA;
        }
        e->n = i + 1;
    }
    if (filter != NULL && pkh_expr_parse(filter, NULL, &e->filter, &err) != PKH_OK) {
        fprintf(stderr, "pkh: --filter: %s\n", err.message);
        cli_exprs_free(e);
        return EXIT_DATA;
    }
    return 0;
}

void cli_exprs_free(cli_exprs *e)
{
    for (int i = 0; i < e->n; i++) {
        pkh_expr_free(e->defs[i]);
    }
    pkh_expr_free(e->filter);
    free(e->mask);
    memset(e, 0, sizeof *e);
}

static bool is_defined(const cli_exprs *e, const char *name, int before)
{
    for (int i = 0; i < before; i++) {
        if (strcmp(e->names[i], name) == 0) {
            return true;
        }
    }
    return false;
}

int cli_exprs_columns(const cli_exprs *e, const char **cols, int n, int cap)
{
    for (int i = 0; i <= e->n; i++) {
        const pkh_expr *x = i < e->n ? e->defs[i] : e->filter;
        for (int64_t k = 0; x != NULL && k < pkh_expr_num_columns(x) && n < cap; k++) {
            const char *c = pkh_expr_column(x, k);
            bool dup = is_defined(e, c, i < e->n ? i : e->n);
            for (int j = 0; j < n && !dup; j++) {
                dup = strcmp(cols[j], c) == 0;
            }
            if (!dup) {
                cols[n++] = c;
            }
        }
    }
    return n;
}

int cli_exprs_remove_defined(const cli_exprs *e, const char **cols, int n)
{
    int m = 0;
    for (int i = 0; i < n; i++) {
        if (!is_defined(e, cols[i], e->n)) {
            cols[m++] = cols[i];
        }
    }
    cols[m] = NULL;
    return m;
}

int cli_exprs_apply(cli_exprs *e, pkh_table **t, int threads)
{
    pkh_error err;
    for (int i = 0; i < e->n; i++) {
        pkh_table *col = NULL, *both = NULL;
        if (pkh_expr_eval(e->defs[i], *t, e->names[i], threads, &col, &err) != PKH_OK ||
            pkh_table_concat_columns(*t, col, &both, &err) != PKH_OK) {
            pkh_table_free(col);
            fprintf(stderr, "pkh: --define %s=%s: %s\n", e->names[i], pkh_expr_text(e->defs[i]),
                    err.message);
            return EXIT_DATA;
        }
        pkh_table_free(col);
        pkh_table_free(*t);
        *t = both;
    }
    if (e->filter == NULL) {
        return 0;
    }
    pkh_table *col = NULL;
    if (pkh_expr_eval(e->filter, *t, "filter", threads, &col, &err) != PKH_OK) {
        fprintf(stderr, "pkh: --filter: %s\n", err.message);
        return EXIT_DATA;
    }
    const pkh_column *c = pkh_table_column_at(col, 0);
    if (pkh_column_type(c) != PKH_TYPE_BOOL) {
        const pkh_type type = pkh_column_type(c);
        pkh_table_free(col);
        return cli_failf(
            "--filter: \"%s\" is not a condition (it gives %s values); write a "
            "comparison such as 'urban == 1'",
            pkh_expr_text(e->filter), pkh_type_name(type));
    }
    const int64_t n = pkh_column_length(c);
    e->mask = malloc((size_t)(n > 0 ? n : 1));
    const uint8_t *bits = pkh_column_bool_bits(c);
    for (int64_t i = 0; i < n; i++) {
        e->mask[i] = pkh_column_is_valid(c, i) && ((bits[i / 8] >> (i % 8)) & 1);
    }
    pkh_table_free(col);
    return 0;
}
