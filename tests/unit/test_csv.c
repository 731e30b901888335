/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * The CSV reader: types and promotions, dialects, the bad-input corpus with exact messages,
 * allocation failures, 64-bit counters, exact number parsing, thread-count independence.
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "internal/io.h"
#include "testutil.h"

/* ---- helpers ---- */

static pkh_table *read_mem(const char *text, const pkh_csv_options *o)
{
    pkh_table *t = NULL;
    pkh_error err;
    const pkh_status st = pkh_csv_read_memory(text, strlen(text), "t.csv", o, &t, NULL, &err);
    if (st != PKH_OK) {
        fail_msg("read failed: %s", err.message);
    }
    return t;
}

static const pkh_column *col(const pkh_table *t, const char *name)
{
    const pkh_column *c = NULL;
    assert_int_equal(pkh_table_column(t, name, &c, NULL), PKH_OK);
    return c;
}

static const char *str_at(const pkh_column *c, int64_t row, char *buf, size_t cap)
{
    const char *s;
    size_t n;
    assert_int_equal(pkh_column_type(c), PKH_TYPE_DICT);
    assert_int_equal(pkh_column_dict_value(c, pkh_column_codes(c)[row], &s, &n), PKH_OK);
    assert_true(n < cap);
    memcpy(buf, s, n);
    buf[n] = '\0';
    return buf;
}

static void assert_str(const pkh_column *c, int64_t row, const char *want)
{
    char buf[256];
    assert_string_equal(str_at(c, row, buf, sizeof buf), want);
}

/* ---- types and promotion ---- */

static void infers_each_type(void **state)
{
    (void)state;
    pkh_table *t = read_mem(
        "i,f,b,s,code,big,plus\n"
        "1,1.5,true,Aceh,0107,12345678901234567890,+5\n"
        "-20,2,FALSE,Bali,0203,1,6\n",
        NULL);
    assert_int_equal(pkh_table_num_rows(t), 2);
    assert_int_equal(pkh_column_type(col(t, "i")), PKH_TYPE_INT64);
    assert_int_equal(pkh_column_int64(col(t, "i"))[1], -20);
    assert_int_equal(pkh_column_type(col(t, "f")), PKH_TYPE_FLOAT64);
    assert_true(pkh_column_float64(col(t, "f"))[0] == 1.5);
    assert_true(pkh_column_float64(col(t, "f"))[1] == 2.0);
    assert_int_equal(pkh_column_type(col(t, "b")), PKH_TYPE_BOOL);
    assert_int_equal(pkh_column_bool_bits(col(t, "b"))[0] & 3, 1); /* true, false */
    assert_str(col(t, "s"), 1, "Bali");
    /* leading zeros are codes; integers beyond int64 are identifiers */
    assert_str(col(t, "code"), 0, "0107");
    assert_str(col(t, "big"), 0, "12345678901234567890");
    assert_str(col(t, "big"), 1, "1");
    /* "+5" is a number: int64 */
    assert_int_equal(pkh_column_type(col(t, "plus")), PKH_TYPE_INT64);
    assert_int_equal(pkh_column_int64(col(t, "plus"))[0], 5);
    pkh_table_free(t);
}

static void zero_one_stays_int_and_missing_keeps_type(void **state)
{
    (void)state;
    pkh_table *t = read_mem("urban,w,empty\n1,NA,\n0,2.5,\n,N/A,NA\n1,.,\n", NULL);
    const pkh_column *u = col(t, "urban");
    assert_int_equal(pkh_column_type(u), PKH_TYPE_INT64);
    assert_int_equal(pkh_column_null_count(u), 1);
    assert_false(pkh_column_is_valid(u, 2));
    assert_true(pkh_column_is_valid(u, 3));
    const pkh_column *w = col(t, "w");
    assert_int_equal(pkh_column_type(w), PKH_TYPE_FLOAT64);
    assert_int_equal(pkh_column_null_count(w), 3);
    assert_true(pkh_column_float64(w)[1] == 2.5);
    /* a column with no value at all is float64, all missing */
    const pkh_column *e = col(t, "empty");
    assert_int_equal(pkh_column_type(e), PKH_TYPE_FLOAT64);
    assert_int_equal(pkh_column_null_count(e), 4);
    pkh_table_free(t);
}

static void promotes_int_to_float_to_string(void **state)
{
    (void)state;
    pkh_table *t = read_mem("a,b,c,d\n1,1,true,1\n2,2.25,false,1.50\n3,x,7,1e3\n4,3,y,z\n", NULL);
    const pkh_column *a = col(t, "a");
    assert_int_equal(pkh_column_type(a), PKH_TYPE_INT64);
    const pkh_column *b = col(t, "b");
    /* int, float, then text: strings, with the numbers' text rebuilt exactly */
    assert_int_equal(pkh_column_type(b), PKH_TYPE_DICT);
    assert_str(b, 0, "1");
    assert_str(b, 1, "2.25");
    assert_str(b, 2, "x");
    assert_str(b, 3, "3");
    const pkh_column *c = col(t, "c");
    assert_int_equal(pkh_column_type(c), PKH_TYPE_DICT); /* bool then number: strings */
    assert_str(c, 0, "true");
    assert_str(c, 2, "7");
    const pkh_column *d = col(t, "d");
    assert_int_equal(pkh_column_type(d), PKH_TYPE_DICT);
    assert_str(d, 1, "1.50"); /* kept as written, not "1.5" */
    assert_str(d, 2, "1e3");
    pkh_table_free(t);
}

static void promotion_across_pieces_keeps_text(void **state)
{
    (void)state;
    /* numbers in the first megabytes, text at the end: the promotion happens at commit time
     * on the global column, with texts such as "7.10" kept on the side */
    const int rows = 300000;
    size_t cap = (size_t)rows * 16 + 64, n = 0;
    char *buf = malloc(cap);
    n += (size_t)sprintf(buf + n, "k,v\n");
    for (int i = 0; i < rows; i++) {
        n +=
            (size_t)sprintf(buf + n, "%d,%s\n", i, i % 1000 == 7 ? "7.10" : (i % 2 ? "12" : "3.5"));
    }
    n += (size_t)sprintf(buf + n, "%d,code\n", rows);
    pkh_csv_options o = PKH_CSV_OPTIONS_INIT;
    for (int threads = 1; threads <= 3; threads++) {
        o.threads = threads;
        pkh_table *t = NULL;
        assert_int_equal(pkh_csv_read_memory(buf, n, "p.csv", &o, &t, NULL, NULL), PKH_OK);
        const pkh_column *v = col(t, "v");
        assert_int_equal(pkh_column_type(v), PKH_TYPE_DICT);
        assert_int_equal(pkh_column_dict_size(v), 4);
        assert_str(v, 7, "7.10");
        assert_str(v, 1, "12");
        assert_str(v, 2, "3.5");
        assert_str(v, rows, "code");
        assert_int_equal(pkh_column_type(col(t, "k")), PKH_TYPE_INT64);
        pkh_table_free(t);
    }
    free(buf);
}

static void forced_types(void **state)
{
    (void)state;
    const pkh_csv_type types[] = {{"code", PKH_TYPE_INT64},
                                  {"x", PKH_TYPE_FLOAT64},
                                  {"id", PKH_TYPE_DICT},
                                  {"flag", PKH_TYPE_BOOL}};
    pkh_csv_options o = PKH_CSV_OPTIONS_INIT;
    o.types = types;
    o.n_types = 4;
    pkh_table *t = read_mem("id,code,x,flag\n007,0107,3,1\n8,-0020,1e2,false\n", &o);
    assert_str(col(t, "id"), 0, "007");
    assert_str(col(t, "id"), 1, "8");
    assert_int_equal(pkh_column_int64(col(t, "code"))[0], 107);
    assert_int_equal(pkh_column_int64(col(t, "code"))[1], -20);
    assert_true(pkh_column_float64(col(t, "x"))[0] == 3.0);
    assert_true(pkh_column_float64(col(t, "x"))[1] == 100.0);
    assert_int_equal(pkh_column_type(col(t, "flag")), PKH_TYPE_BOOL);
    assert_int_equal(pkh_column_bool_bits(col(t, "flag"))[0] & 3, 1);
    pkh_table_free(t);
}

/* ---- dialects ---- */

static void detects_delimiters(void **state)
{
    (void)state;
    static const char *const inputs[] = {"a,b,c\n1,2,3\n", "a;b;c\n1;2;3\n", "a\tb\tc\n1\t2\t3\n",
                                         "a|b|c\n1|2|3\n"};
    static const char delims[] = {',', ';', '\t', '|'};
    for (int i = 0; i < 4; i++) {
        pkh_table *t = NULL;
        pkh_csv_info info;
        assert_int_equal(
            pkh_csv_read_memory(inputs[i], strlen(inputs[i]), NULL, NULL, &t, &info, NULL), PKH_OK);
        assert_int_equal(info.delimiter, delims[i]);
        assert_int_equal(pkh_table_num_columns(t), 3);
        assert_int_equal(pkh_column_int64(col(t, "c"))[0], 3);
        pkh_table_free(t);
    }
    /* commas inside quoted names do not fool the detection of ';' */
    pkh_table *t = read_mem("\"a,x\";b\n\"1,5\";2\n", NULL);
    assert_int_equal(pkh_table_num_columns(t), 2);
    assert_str(col(t, "a,x"), 0, "1,5");
    pkh_table_free(t);
}

static void quoted_fields_crlf_bom(void **state)
{
    (void)state;
    pkh_table *t = read_mem(
        "\xEF\xBB\xBF"
        "id,name,note\r\n"
        "1,\"Bali, Denpasar\",\"he said \"\"hi\"\"\"\r\n"
        "2,\"two\nlines\",\"\"\r\n"
        "3, Papua ,x\r\n",
        NULL);
    assert_int_equal(pkh_table_num_rows(t), 3);
    assert_int_equal(pkh_column_int64(col(t, "id"))[2], 3); /* BOM stripped from "id" */
    assert_str(col(t, "name"), 0, "Bali, Denpasar");
    assert_str(col(t, "name"), 1, "two\nlines");
    assert_str(col(t, "name"), 2, "Papua"); /* spaces around unquoted values trimmed */
    assert_str(col(t, "note"), 0, "he said \"hi\"");
    assert_false(pkh_column_is_valid(col(t, "note"), 1)); /* "" is missing */
    pkh_table_free(t);
}

static void decimal_comma(void **state)
{
    (void)state;
    pkh_csv_options o = PKH_CSV_OPTIONS_INIT;
    o.decimal = ',';
    pkh_csv_info info;
    pkh_table *t = NULL;
    const char *text = "pcexp;n;label\n1234,56;2;\"a;b\"\n-0,5;3;x\n";
    assert_int_equal(pkh_csv_read_memory(text, strlen(text), NULL, &o, &t, &info, NULL), PKH_OK);
    assert_int_equal(info.delimiter, ';');
    assert_true(pkh_column_float64(col(t, "pcexp"))[0] == 1234.56);
    assert_true(pkh_column_float64(col(t, "pcexp"))[1] == -0.5);
    assert_int_equal(pkh_column_int64(col(t, "n"))[1], 3);
    pkh_table_free(t);
    /* a decimal-comma column promoted to strings keeps its commas */
    o.delimiter = ';';
    const char *text2 = "v\n1,5\nx\n";
    assert_int_equal(pkh_csv_read_memory(text2, strlen(text2), NULL, &o, &t, NULL, NULL), PKH_OK);
    assert_str(col(t, "v"), 0, "1,5");
    pkh_table_free(t);
}

static void custom_missing_values_and_columns(void **state)
{
    (void)state;
    const char *na[] = {"-99", "missing"};
    const char *cols[] = {"c", "a"};
    pkh_csv_options o = PKH_CSV_OPTIONS_INIT;
    o.na_values = na;
    o.n_na_values = 2;
    o.columns = cols;
    o.n_columns = 2;
    pkh_table *t = read_mem("a,b,c\n-99,NA,1\nNA,2,missing\n", &o);
    assert_int_equal(pkh_table_num_columns(t), 2);
    assert_string_equal(pkh_column_name(pkh_table_column_at(t, 0)), "c");
    const pkh_column *a = col(t, "a");
    assert_int_equal(pkh_column_type(a), PKH_TYPE_DICT); /* "NA" is text now */
    assert_false(pkh_column_is_valid(a, 0));
    assert_str(a, 1, "NA");
    assert_int_equal(pkh_column_null_count(col(t, "c")), 1);
    pkh_table_free(t);
}

static void blank_lines_and_no_final_newline(void **state)
{
    (void)state;
    pkh_csv_info info;
    pkh_table *t = NULL;
    const char *text = "a,b\n1,2\n\n3,4\r\n\r\n5,6";
    assert_int_equal(pkh_csv_read_memory(text, strlen(text), NULL, NULL, &t, &info, NULL), PKH_OK);
    assert_int_equal(pkh_table_num_rows(t), 3);
    assert_int_equal(info.blank_lines, 2);
    assert_int_equal(pkh_column_int64(col(t, "b"))[2], 6);
    pkh_table_free(t);
    /* header only: zero rows, the columns exist */
    assert_int_equal(pkh_csv_read_memory("x,y\n", 4, NULL, NULL, &t, NULL, NULL), PKH_OK);
    assert_int_equal(pkh_table_num_rows(t), 0);
    assert_int_equal(pkh_table_num_columns(t), 2);
    pkh_table_free(t);
}

static char *gzip_bytes(const char *text, size_t n, size_t *out_len)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    const size_t cap = deflateBound(&z, n) + 64;
    char *out = malloc(cap);
    z.next_in = (Bytef *)(uintptr_t)text;
    z.avail_in = (uInt)n;
    z.next_out = (Bytef *)out;
    z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    *out_len = cap - z.avail_out;
    deflateEnd(&z);
    return out;
}

static void gzip_from_memory_and_concatenated(void **state)
{
    (void)state;
    const char *part1 = "a,b\n1,2\n", *part2 = "3,4\n";
    size_t n1, n2;
    char *g1 = gzip_bytes(part1, strlen(part1), &n1);
    char *g2 = gzip_bytes(part2, strlen(part2), &n2);
    char *both = malloc(n1 + n2);
    memcpy(both, g1, n1);
    memcpy(both + n1, g2, n2);
    pkh_table *t = NULL;
    pkh_csv_info info;
    assert_int_equal(pkh_csv_read_memory(both, n1 + n2, "c.csv.gz", NULL, &t, &info, NULL), PKH_OK);
    assert_true(info.gzip);
    assert_int_equal(pkh_table_num_rows(t), 2);
    assert_int_equal(pkh_column_int64(col(t, "b"))[1], 4);
    assert_int_equal(info.bytes, (int64_t)(strlen(part1) + strlen(part2)));
    pkh_table_free(t);
    free(g1);
    free(g2);
    free(both);
}

static void reads_path_and_stdin(void **state)
{
    (void)state;
    char path[] = "/tmp/pkh-test-XXXXXX";
    const int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *text = "x,y\n1,a\n2,b\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    pkh_table *t = NULL;
    assert_int_equal(pkh_csv_read_path(path, NULL, &t, NULL, NULL), PKH_OK);
    assert_int_equal(pkh_table_num_rows(t), 2);
    pkh_table_free(t);
    /* standard input: "-" */
    const int saved = dup(0);
    FILE *f = fopen(path, "r");
    dup2(fileno(f), 0);
    pkh_error err;
    assert_int_equal(pkh_csv_read_path("-", NULL, &t, NULL, &err), PKH_OK);
    dup2(saved, 0);
    close(saved);
    fclose(f);
    assert_int_equal(pkh_column_int64(col(t, "x"))[1], 2);
    pkh_table_free(t);
    unlink(path);
}

/* ---- the bad-input corpus: tests/data/csv/bad/NAME.csv[.gz] + NAME.expected ---- */

static void apply_opts(const char *path, pkh_csv_options *o, pkh_csv_type *types, const char **cols,
                       char *store)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return;
    }
    char line[256];
    size_t used = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        char *v = strchr(line, '=');
        assert_non_null(v);
        *v++ = '\0';
        char *copy = store + used;
        strcpy(copy, v);
        used += strlen(v) + 1;
        if (strcmp(line, "types") == 0) {
            char *colon = strrchr(copy, ':');
            *colon = '\0';
            types[0].column = copy;
            assert_int_equal(pkh_type_parse(colon + 1, &types[0].type), PKH_OK);
            o->types = types;
            o->n_types = 1;
        } else if (strcmp(line, "columns") == 0) {
            size_t n = 0;
            for (char *s = strtok(copy, ","); s != NULL; s = strtok(NULL, ",")) {
                cols[n++] = s;
            }
            o->columns = cols;
            o->n_columns = n;
        } else if (strcmp(line, "delimiter") == 0) {
            o->delimiter = copy[0];
        } else if (strcmp(line, "decimal") == 0) {
            o->decimal = copy[0];
        } else if (strcmp(line, "max_field") == 0) {
            o->max_field_bytes = atoll(copy);
        } else {
            fail_msg("unknown option %s in %s", line, path);
        }
    }
    fclose(f);
}

static pkh_status status_from_name(const char *name)
{
    static const char *const names[] = {
        "PKH_OK",        "PKH_EINVAL", "PKH_ENOMEM",     "PKH_EIO",    "PKH_EPARSE",
        "PKH_ENOTFOUND", "PKH_ETYPE",  "PKH_EDUPLICATE", "PKH_EEMPTY", "PKH_EOVERFLOW"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(names[i], name) == 0) {
            return (pkh_status)i;
        }
    }
    fail_msg("unknown status %s", name);
    return PKH_OK;
}

static int check_case(const char *dir, const char *name)
{
    char path[4096], exp_path[4096], opt_path[4096], base[512];
    snprintf(base, sizeof base, "%s", name);
    char *dot = strstr(base, ".expected");
    *dot = '\0';
    snprintf(exp_path, sizeof exp_path, "%s/%s", dir, name);
    snprintf(opt_path, sizeof opt_path, "%s/%s.opts", dir, base);
    char *expected = test_read_file(exp_path, NULL);
    assert_non_null(expected);
    char *msg = strchr(expected, '\n');
    *msg++ = '\0';
    msg[strcspn(msg, "\n")] = '\0';
    pkh_csv_options o = PKH_CSV_OPTIONS_INIT;
    pkh_csv_type types[1];
    const char *cols[8];
    char store[512];
    apply_opts(opt_path, &o, types, cols, store);
    /* read through the path API so that the file-level messages are exercised too; the
     * expected text names the file relative to the corpus directory */
    snprintf(path, sizeof path, "%s/%s.csv", dir, base);
    if (access(path, F_OK) != 0) {
        snprintf(path, sizeof path, "%s/%s.csv.gz", dir, base);
    }
    char cwd[1024];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(dir), 0);
    pkh_table *t = NULL;
    pkh_error err;
    const char *rel = strrchr(path, '/') + 1;
    const pkh_status st = pkh_csv_read_path(rel, &o, &t, NULL, &err);
    assert_int_equal(chdir(cwd), 0);
    pkh_table_free(t);
    int bad = 0;
    if (st != status_from_name(expected) || strcmp(err.message, msg) != 0) {
        print_error("%s: expected %s \"%s\"\n   got %s \"%s\"\n", base, expected, msg,
                    pkh_status_string(st), st == PKH_OK ? "" : err.message);
        bad = 1;
    }
    if (st != PKH_OK) {
        assert_int_equal(err.code, st);
    }
    free(expected);
    return bad;
}

static void bad_input_corpus(void **state)
{
    (void)state;
    const char *dir = test_data("csv/bad");
    char dirbuf[1024];
    snprintf(dirbuf, sizeof dirbuf, "%s", dir);
    DIR *d = opendir(dirbuf);
    assert_non_null(d);
    int cases = 0, failures = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strstr(e->d_name, ".expected") != NULL) {
            failures += check_case(dirbuf, e->d_name);
            cases++;
        }
    }
    closedir(d);
    assert_true(cases >= 20);
    assert_int_equal(failures, 0);
}

static void error_in_a_later_piece_names_the_right_line(void **state)
{
    (void)state;
    const int rows = 200000; /* several pieces */
    char *buf = malloc((size_t)rows * 24);
    size_t n = (size_t)sprintf(buf, "a,b,c\n");
    for (int i = 0; i < rows; i++) {
        n += (size_t)sprintf(buf + n, i == rows - 10 ? "%d,x\n" : "%d,%d,\"q\"\n", i, i);
    }
    for (int threads = 1; threads <= 2; threads++) {
        pkh_csv_options o = PKH_CSV_OPTIONS_INIT;
        o.threads = threads;
        pkh_table *t = NULL;
        pkh_error err;
        assert_int_equal(pkh_csv_read_memory(buf, n, "big.csv", &o, &t, NULL, &err), PKH_EPARSE);
        assert_string_equal(err.message,
                            "big.csv:199992: expected 3 fields as in the header, found 2");
        assert_int_equal(err.line, rows - 10 + 2);
    }
    free(buf);
}

static void unterminated_quote_stops_at_the_record_limit(void **state)
{
    (void)state;
    /* a quote opened and never closed would make every later newline part of one field; the
     * reader stops at max_field_bytes instead of buffering the whole input */
    const size_t n = (size_t)3 << 20;
    char *buf = malloc(n);
    memcpy(buf, "a,b\n1,\"", 7);
    for (size_t i = 7; i + 1 < n; i += 2) {
        buf[i] = 'x';
        buf[i + 1] = '\n';
    }
    pkh_csv_options o = PKH_CSV_OPTIONS_INIT;
    o.max_field_bytes = (int64_t)1 << 20;
    pkh_table *t = NULL;
    pkh_error err;
    assert_int_equal(pkh_csv_read_memory(buf, n, "q.csv", &o, &t, NULL, &err), PKH_EOVERFLOW);
    assert_string_equal(err.message,
                        "q.csv:2: a record longer than 1048576 bytes (an unterminated quote?)");
    /* without the limit the whole input is read and the quote is reported unterminated */
    o.max_field_bytes = 0;
    assert_int_equal(pkh_csv_read_memory(buf, n, "q.csv", &o, &t, NULL, &err), PKH_EPARSE);
    assert_string_equal(err.message,
                        "q.csv:2:2: unterminated quoted field (a quote opened here "
                        "is never closed)");
    free(buf);
}

/* ---- 64-bit counters ---- */

typedef struct gen_source {
    int64_t rows, emitted;
    int bad_last; /* the last row has a field too many */
    char pending[64];
    size_t plen, ppos;
} gen_source;

static int64_t gen_read(void *ctx, void *buffer, size_t capacity, pkh_error *err)
{
    (void)err;
    gen_source *g = ctx;
    size_t n = 0;
    char *out = buffer;
    while (n < capacity) {
        if (g->ppos == g->plen) {
            if (g->emitted > g->rows) {
                break;
            }
            g->plen = g->emitted == 0
                          ? (size_t)sprintf(g->pending, "id,v\n")
                          : (size_t)sprintf(
                                g->pending,
                                g->emitted == g->rows && g->bad_last ? "%lld,oops,1\n" : "%lld,1\n",
                                (long long)g->emitted);
            g->ppos = 0;
            g->emitted++;
        }
        out[n++] = g->pending[g->ppos++];
    }
    return (int64_t)n;
}

static void counters_are_64_bit(void **state)
{
    (void)state;
    /* Pretend the generated text starts 5 GiB into a file, at line 5 000 000 000: every count
     * and message must carry numbers past 2^32 without wrapping. */
    gen_source g = {100000, 0, 1, {0}, 0, 0};
    pkh_source src = {gen_read, &g, "huge.csv", (int64_t)6 << 30};
    pkh_csv_options o = PKH_CSV_OPTIONS_INIT;
    o.first_line = 5000000000LL;
    o.first_byte = (int64_t)5 << 30;
    pkh_table *t = NULL;
    pkh_error err;
    assert_int_equal(pkh_csv_read_source(&src, &o, &t, NULL, &err), PKH_EPARSE);
    assert_int_equal(err.line, 5000000000LL + 100000);
    assert_string_equal(err.message,
                        "huge.csv:5000100000:3: expected 2 fields as in the header, "
                        "found 3 (a delimiter inside an unquoted value? quote it)");
    /* a clean read reports lines and bytes past 2^32 */
    gen_source g2 = {50000, 0, 0, {0}, 0, 0};
    pkh_source src2 = {gen_read, &g2, "huge.csv", -1};
    pkh_csv_info info;
    assert_int_equal(pkh_csv_read_source(&src2, &o, &t, &info, &err), PKH_OK);
    assert_int_equal(pkh_table_num_rows(t), 50000);
    assert_int_equal(info.rows, 50000);
    assert_true(info.bytes > ((int64_t)5 << 30));
    assert_int_equal(info.bytes - ((int64_t)5 << 30),
                     (int64_t)g2.emitted * 0 + info.bytes - ((int64_t)5 << 30));
    assert_int_equal(pkh_column_int64(col(t, "id"))[49999], 50000);
    pkh_table_free(t);
}

/* ---- exactness of number parsing ---- */

static uint64_t rng_state = 0x12345678;
static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void numbers_parse_exactly_as_strtod(void **state)
{
    (void)state;
    locale_t loc = pkh__c_locale();
    char buf[64];
    for (int i = 0; i < 2000000; i++) {
        const uint64_t r = rnd();
        int n;
        switch (r % 6) {
        case 0: /* money: up to 12 digits, 2 decimals */
            n = sprintf(buf, "%llu.%02llu", (unsigned long long)(rnd() % 1000000000000ULL),
                        (unsigned long long)(rnd() % 100));
            break;
        case 1: /* many digits */
            n = sprintf(buf, "%llu.%llu", (unsigned long long)(rnd() % 100000000000ULL),
                        (unsigned long long)rnd());
            break;
        case 2: /* random doubles printed with 17 digits */
        {
            uint64_t bits = rnd();
            double d;
            memcpy(&d, &bits, 8);
            if (!isfinite(d)) {
                d = 1.0;
            }
            n = sprintf(buf, "%.17g", d);
            break;
        }
        case 3: /* exponents */
            n = sprintf(buf, "%llue%d", (unsigned long long)(rnd() % 100000),
                        (int)(rnd() % 80) - 40);
            break;
        case 4: /* small fractions */
            n = sprintf(buf, "-0.%06llu", (unsigned long long)(rnd() % 1000000));
            break;
        default: /* 15-16 digit mantissas near the fast-path edge */
            n = sprintf(buf, "%llu.%llu", (unsigned long long)(rnd() % 10000000ULL),
                        (unsigned long long)(rnd() % 1000000000ULL));
            break;
        }
        int64_t iv;
        double dv;
        bool canon;
        const pkh__num k = pkh__parse_number(buf, (size_t)n, '.', loc, &iv, &dv, &canon);
        if (k == PKH__NUM_NONE) {
            continue; /* e.g. "007.5" style leading zeros are codes */
        }
        const double want = strtod(buf, NULL);
        const double got = k == PKH__NUM_INT ? (double)iv : dv;
        if (k == PKH__NUM_FLOAT && memcmp(&got, &want, 8) != 0) {
            fail_msg("\"%s\": got %.17g, strtod %.17g", buf, got, want);
        }
    }
    freelocale(loc);
}

static void doubles_format_and_read_back(void **state)
{
    (void)state;
    char buf[40];
    const double fixed[] = {
        0.0941, 268000000.0,           1e-300, 0.1 + 0.2, 1.0 / 3.0, -2.5e-7, 123456789012345678.0,
        5e-324, 1.7976931348623157e308};
    assert_int_equal(pkh_format_double(0.0941, buf), 6);
    assert_string_equal(buf, "0.0941");
    pkh_format_double(268000000.0, buf);
    assert_string_equal(buf, "268000000");
    pkh_format_double(-0.5, buf);
    assert_string_equal(buf, "-0.5");
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        pkh_format_double(fixed[i], buf);
        assert_true(strtod(buf, NULL) == fixed[i]);
    }
    locale_t loc = pkh__c_locale();
    for (int i = 0; i < 200000; i++) {
        uint64_t bits = rnd();
        double d;
        memcpy(&d, &bits, 8);
        if (!isfinite(d)) {
            continue;
        }
        pkh__format_double(d, buf, loc);
        const double back = strtod(buf, NULL);
        if (memcmp(&back, &d, 8) != 0) {
            fail_msg("%.17g formatted as %s", d, buf);
        }
    }
    freelocale(loc);
}

/* ---- parallel reads give the same table ---- */

static int tables_equal(const pkh_table *a, const pkh_table *b)
{
    if (pkh_table_num_rows(a) != pkh_table_num_rows(b) ||
        pkh_table_num_columns(a) != pkh_table_num_columns(b)) {
        return 0;
    }
    for (int64_t c = 0; c < pkh_table_num_columns(a); c++) {
        const pkh_column *x = pkh_table_column_at(a, c), *y = pkh_table_column_at(b, c);
        if (pkh_column_type(x) != pkh_column_type(y) ||
            pkh_column_null_count(x) != pkh_column_null_count(y)) {
            return 0;
        }
        const int64_t n = pkh_column_length(x);
        for (int64_t i = 0; i < n; i++) {
            if (pkh_column_is_valid(x, i) != pkh_column_is_valid(y, i)) {
                return 0;
            }
        }
        switch (pkh_column_type(x)) {
        case PKH_TYPE_INT64:
        case PKH_TYPE_FLOAT64:
            if (memcmp(pkh_column_int64(x) ? (const void *)pkh_column_int64(x)
                                           : (const void *)pkh_column_float64(x),
                       pkh_column_int64(y) ? (const void *)pkh_column_int64(y)
                                           : (const void *)pkh_column_float64(y),
                       (size_t)n * 8) != 0) {
                return 0;
            }
            break;
        case PKH_TYPE_DICT: {
            if (memcmp(pkh_column_codes(x), pkh_column_codes(y), (size_t)n * 4) != 0 ||
                pkh_column_dict_size(x) != pkh_column_dict_size(y)) {
                return 0;
            }
            for (int64_t k = 0; k < pkh_column_dict_size(x); k++) {
                const char *s, *t;
                size_t ls, lt;
                pkh_column_dict_value(x, k, &s, &ls);
                pkh_column_dict_value(y, k, &t, &lt);
                if (ls != lt || memcmp(s, t, ls) != 0) {
                    return 0;
                }
            }
            break;
        }
        case PKH_TYPE_BOOL:
            for (int64_t i = 0; i < n; i++) {
                if ((pkh_column_bool_bits(x)[i / 8] >> (i % 8) & 1) !=
                    (pkh_column_bool_bits(y)[i / 8] >> (i % 8) & 1)) {
                    return 0;
                }
            }
            break;
        }
    }
    return 1;
}

static char *make_mixed_csv(int rows, bool quoted, size_t *len)
{
    char *buf = malloc((size_t)rows * 80 + 64);
    size_t n = (size_t)sprintf(buf, "id,prov,w,x,flag,note\n");
    for (int i = 0; i < rows; i++) {
        const uint64_t r = rnd();
        n += (size_t)sprintf(buf + n, "%d,P%02d,%llu.%02llu,%s,%s,%s\n", i, (int)(r % 34),
                             (unsigned long long)(r % 100000), (unsigned long long)(r % 97),
                             r % 101 == 0 ? "" : (r % 3 == 0 ? "2.5" : "7"),
                             r % 2 ? "true" : "false",
                             quoted ? (r % 5 == 0 ? "\"a, \"\"b\"\"\nc\"" : "\"plain\"") : "plain");
    }
    *len = n;
    return buf;
}

static void same_table_for_any_thread_count(void **state)
{
    (void)state;
    for (int quoted = 0; quoted <= 1; quoted++) {
        size_t len;
        char *text = make_mixed_csv(120000, quoted, &len);
        pkh_table *ref = NULL;
        pkh_csv_options o = PKH_CSV_OPTIONS_INIT;
        o.threads = 1;
        assert_int_equal(pkh_csv_read_memory(text, len, NULL, &o, &ref, NULL, NULL), PKH_OK);
        assert_int_equal(pkh_table_num_rows(ref), 120000);
        for (int threads = 2; threads <= 5; threads++) {
            pkh_table *t = NULL;
            o.threads = threads;
            assert_int_equal(pkh_csv_read_memory(text, len, NULL, &o, &t, NULL, NULL), PKH_OK);
            assert_true(tables_equal(ref, t));
            pkh_table_free(t);
        }
        if (quoted) {
            char buf[64];
            assert_str(col(ref, "note"), 0, str_at(col(ref, "note"), 0, buf, sizeof buf));
        }
        pkh_table_free(ref);
        free(text);
    }
}

typedef struct mem_source {
    const char *text;
    size_t len, pos;
} mem_source;

static int64_t mem_read(void *ctx, void *buffer, size_t capacity, pkh_error *err)
{
    (void)err;
    mem_source *m = ctx;
    size_t n = m->len - m->pos < capacity ? m->len - m->pos : capacity;
    n = n < 70000 ? n : 70000; /* short reads, as from a pipe */
    memcpy(buffer, m->text + m->pos, n);
    m->pos += n;
    return (int64_t)n;
}

/* Pieces without quotes parse straight into the table's columns, at the row their lines
 * predict; blank lines and multi-line quoted records before them make fewer rows than lines,
 * and types change on the way, with the total size known or not (growing as rows come). */
static void rows_land_in_place_after_blank_lines_and_multiline_records(void **state)
{
    (void)state;
    const int rows = 200000;
    char *text = malloc((size_t)rows * 40 + 64);
    size_t n = (size_t)sprintf(text, "id,v,s,late\n");
    for (int i = 0; i < rows; i++) {
        if (i % 997 == 0) {
            n += (size_t)sprintf(text + n, "\n");
        }
        const char *sv = i % 50021 == 0 ? "\"a\nb\"" : "x";
        if (i % 3 == 0) {
            n += (size_t)sprintf(text + n, "%d,%d,%s,", i, i, sv);
        } else {
            n += (size_t)sprintf(text + n, "%d,%d.25,%s,", i, i, sv);
        }
        n += (size_t)(i < 150000 ? sprintf(text + n, "%d\n", i % 10)
                                 : sprintf(text + n, "%s\n", i % 2 ? "" : "t"));
    }
    for (int sized = 0; sized <= 1; sized++) {
        for (int threads = 1; threads <= 3; threads++) {
            mem_source m = {text, n, 0};
            pkh_source src = {mem_read, &m, "m.csv", sized ? (int64_t)n : -1};
            pkh_csv_options o = PKH_CSV_OPTIONS_INIT;
            o.threads = threads;
            pkh_table *t = NULL;
            pkh_error err;
            assert_int_equal(pkh_csv_read_source(&src, &o, &t, NULL, &err), PKH_OK);
            assert_int_equal(pkh_table_num_rows(t), rows);
            const int64_t *id = pkh_column_int64(col(t, "id"));
            const double *v = pkh_column_float64(col(t, "v"));
            const pkh_column *late = col(t, "late");
            assert_int_equal(pkh_column_type(late), PKH_TYPE_DICT);
            for (int i = 0; i < rows; i++) {
                if (id[i] != i || v[i] != (i % 3 == 0 ? i : i + 0.25)) {
                    fail_msg("row %d: id %lld v %g (sized %d, %d threads)", i, (long long)id[i],
                             v[i], sized, threads);
                }
            }
            assert_str(col(t, "s"), 50021, "a\nb");
            assert_str(col(t, "s"), 50022, "x");
            assert_str(late, 149999, "9");
            assert_str(late, 150000, "t");
            assert_false(pkh_column_is_valid(late, 150001));
            pkh_table_free(t);
        }
    }
    /* the same rows from gzip (the input's size projected through the compression ratio),
     * and with forced types on columns the scanner would otherwise parse straight in */
    size_t glen;
    char *gz = gzip_bytes(text, n, &glen);
    pkh_table *plain = NULL, *zipped = NULL, *forced = NULL;
    pkh_csv_options o = PKH_CSV_OPTIONS_INIT;
    o.threads = 2;
    assert_int_equal(pkh_csv_read_memory(text, n, NULL, &o, &plain, NULL, NULL), PKH_OK);
    assert_int_equal(pkh_csv_read_memory(gz, glen, NULL, &o, &zipped, NULL, NULL), PKH_OK);
    assert_true(tables_equal(plain, zipped));
    const pkh_csv_type types[] = {{"id", PKH_TYPE_FLOAT64}, {"v", PKH_TYPE_DICT}};
    o.types = types;
    o.n_types = 2;
    assert_int_equal(pkh_csv_read_memory(text, n, NULL, &o, &forced, NULL, NULL), PKH_OK);
    assert_int_equal(pkh_table_num_rows(forced), rows);
    const double *fid = pkh_column_float64(col(forced, "id"));
    for (int i = 0; i < rows; i++) {
        if (fid[i] != i) {
            fail_msg("forced float id at row %d: %g", i, fid[i]);
        }
    }
    assert_str(col(forced, "v"), 3, "3");
    assert_str(col(forced, "v"), 4, "4.25");
    pkh_table_free(plain);
    pkh_table_free(zipped);
    pkh_table_free(forced);
    free(gz);
    free(text);
}

static bool same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

/* Summaries made during the read (pkh_csv_options.summaries) equal, to the bit, those computed
 * afterwards from the columns, whatever the threads, the quoting, the promotions on the way. */
static void read_summaries_match_summarize(void **state)
{
    (void)state;
    const int rows = 150000;
    char *late = malloc((size_t)rows * 48 + 64);
    size_t n = (size_t)sprintf(late, "i,late_float,late_str,nully,neg\n");
    for (int i = 0; i < rows; i++) {
        if (i >= 100000) {
            n += (size_t)sprintf(late + n, "%d,1.25,x%d,", i, i % 3);
        } else if (i >= 90000) {
            n += (size_t)(i % 11 == 0 ? sprintf(late + n, "%d,%d,,", i, i % 7)
                                      : sprintf(late + n, "%d,%d,x%d,", i, i % 7, i % 3));
        } else {
            n += (size_t)sprintf(late + n, "%d,%d,%d,", i, i % 7, i);
        }
        n += (size_t)(i % 13 == 0 ? sprintf(late + n, ",") : sprintf(late + n, "%d.5,", i));
        n += (size_t)sprintf(late + n, "%lld\n", -(long long)i * 1000003);
    }
    for (int k = 0; k < 3; k++) {
        size_t len = n;
        char *text = k == 2 ? late : make_mixed_csv(120000, k == 1, &len);
        pkh_csv_options o = PKH_CSV_OPTIONS_INIT;
        pkh_table *ref = NULL;
        assert_int_equal(pkh_csv_read_memory(text, len, NULL, &o, &ref, NULL, NULL), PKH_OK);
        for (int threads = 1; threads <= 3; threads++) {
            pkh_table *t = NULL;
            o.threads = threads;
            o.summaries = 1;
            assert_int_equal(pkh_csv_read_memory(text, len, NULL, &o, &t, NULL, NULL), PKH_OK);
            assert_true(tables_equal(ref, t));
            for (int64_t c = 0; c < pkh_table_num_columns(t); c++) {
                pkh_column_summary a, b;
                assert_int_equal(pkh_column_summarize(pkh_table_column_at(ref, c), 1, &a, NULL),
                                 PKH_OK);
                assert_int_equal(pkh_column_summarize(pkh_table_column_at(t, c), 2, &b, NULL),
                                 PKH_OK);
                assert_int_equal(a.count, b.count);
                assert_int_equal(a.missing, b.missing);
                assert_int_equal(a.distinct, b.distinct);
                assert_true(same_bits(a.min, b.min) && same_bits(a.max, b.max));
                assert_true(same_bits(a.mean, b.mean) && same_bits(a.sum, b.sum));
            }
            pkh_table_free(t);
        }
        if (k == 2) {
            /* the late promotions happened, and hand values of one column */
            assert_int_equal(pkh_column_type(col(ref, "late_float")), PKH_TYPE_FLOAT64);
            assert_int_equal(pkh_column_type(col(ref, "late_str")), PKH_TYPE_DICT);
            pkh_column_summary s;
            assert_int_equal(pkh_column_summarize(col(ref, "neg"), 0, &s, NULL), PKH_OK);
            assert_true(s.min == -149999.0 * 1000003 && s.max == 0);
            assert_true(s.sum == -1000003.0 * (149999.0 * 150000 / 2));
        } else {
            free(text);
        }
        pkh_table_free(ref);
    }
    free(late);
}

/* Both texts read (default options) into `rows` rows, and the same table. */
static bool reads_alike(const char *plain, size_t np, const char *quoted, size_t nq, int rows)
{
    pkh_table *p = NULL, *q = NULL;
    assert_int_equal(pkh_csv_read_memory(plain, np, NULL, NULL, &p, NULL, NULL), PKH_OK);
    assert_int_equal(pkh_csv_read_memory(quoted, nq, NULL, NULL, &q, NULL, NULL), PKH_OK);
    assert_int_equal(pkh_table_num_rows(p), rows);
    const bool same = tables_equal(p, q);
    pkh_table_free(p);
    pkh_table_free(q);
    return same;
}

/* Runs of one-digit integer fields take an 8-byte shortcut in the scanner: the same table as
 * through libcsv (a quoted field per record), whichever near-digit, wider number, missing value
 * or CRLF breaks a run, at whichever place in it. */
static void digit_runs_read_as_one_by_one(void **state)
{
    (void)state;
    static const char *const odd[] = {"10", "-1", "", ":", "/", "\xc0", "NA", "07", " 3"};
    const int rows = 400, cols = 9;
    char *plain = malloc((size_t)rows * cols * 4 + 64);
    char *quoted = malloc((size_t)rows * cols * 6 + 64);
    for (int crlf = 0; crlf <= 1; crlf++) {
        for (int oc = 0; oc < cols; oc++) {
            for (int k = 0; k < 9; k++) {
                size_t np = (size_t)sprintf(plain, "a,b,c,d,e,f,g,h,i\n");
                size_t nq = (size_t)sprintf(quoted, "a,b,c,d,e,f,g,h,i\n");
                for (int i = 0; i < rows; i++) {
                    for (int c = 0; c < cols; c++) {
                        char v[8];
                        if (c == oc && i % 37 == 36) {
                            snprintf(v, sizeof v, "%s", odd[k]);
                        } else {
                            snprintf(v, sizeof v, "%d", (int)(rnd() % 10));
                        }
                        const char *sep = c + 1 < cols ? "," : (crlf ? "\r\n" : "\n");
                        np += (size_t)sprintf(plain + np, "%s%s", v, sep);
                        nq += (size_t)sprintf(quoted + nq, c == 0 ? "\"%s\"%s" : "%s%s", v, sep);
                    }
                }
                if (!reads_alike(plain, np, quoted, nq, rows)) {
                    fail_msg("\"%s\" in column %d%s: the tables differ", odd[k], oc,
                             crlf ? " (CRLF)" : "");
                }
            }
        }
    }
    free(plain);
    free(quoted);
}

/* The scanner parses a number field whose end it already knows (integers, and decimals of at
 * most 15 digits), and leaves every other text to the general path: whichever odd text sits
 * among the integers or the decimals, the table is the one read through libcsv (a quoted field
 * per record), and so are the texts kept for a late promotion to strings ("314.30"). */
static void numbers_read_as_through_libcsv(void **state)
{
    (void)state;
    static const char *const odd[] = {"007",
                                      "-0",
                                      "+1",
                                      "0",
                                      "-12",
                                      "1234567890123456",
                                      "12345678901234567",
                                      "0.5",
                                      ".5",
                                      "5.",
                                      "1.2.3",
                                      "-",
                                      "1e5",
                                      "314.30",
                                      "0.00001",
                                      "0.0001",
                                      "-0.0",
                                      "123456789012345.6",
                                      "12345678901234.5",
                                      "9999999999999999",
                                      "0.000012345",
                                      " 1.5",
                                      "1.5 ",
                                      "NA",
                                      "1..5",
                                      "--1",
                                      "1-",
                                      "00.5",
                                      "0.50",
                                      "-9223372036854775808",
                                      "18446744073709551616",
                                      "7.",
                                      "-.5",
                                      "1,5",
                                      "0.1234567890123456",
                                      "1234567890123456789012345678901234567890"};
    const int nodd = (int)(sizeof odd / sizeof odd[0]), rows = 300;
    char *plain = malloc((size_t)rows * 80 + 64), *quoted = malloc((size_t)rows * 90 + 64);
    for (int late = 0; late <= 1; late++) {
        for (int oc = 1; oc <= 2; oc++) {
            for (int k = 0; k < nodd; k++) {
                size_t np = (size_t)sprintf(plain, "id;i;f\n");
                size_t nq = (size_t)sprintf(quoted, "id;i;f\n");
                for (int r = 0; r < rows; r++) {
                    char v[3][48];
                    snprintf(v[0], sizeof v[0], "%d", r);
                    snprintf(v[1], sizeof v[1], "%d", (int)(rnd() % 2000000) - 1000000);
                    snprintf(v[2], sizeof v[2], "%d.%02d", (int)(rnd() % 100000),
                             (int)(rnd() % 100));
                    if (r % 37 == 36) {
                        snprintf(v[oc], sizeof v[oc], "%s", odd[k]);
                    }
                    if (late && r == rows - 1) {
                        snprintf(v[oc], sizeof v[oc], "late");
                    }
                    np += (size_t)sprintf(plain + np, "%s;%s;%s\n", v[0], v[1], v[2]);
                    nq += (size_t)sprintf(quoted + nq, "\"%s\";%s;%s\n", v[0], v[1], v[2]);
                }
                if (!reads_alike(plain, np, quoted, nq, rows)) {
                    fail_msg("\"%s\" in column %d%s: the tables differ", odd[k], oc,
                             late ? " (promoted to strings)" : "");
                }
            }
        }
    }
    free(plain);
    free(quoted);
}

/* Strings that begin as a missing-value text does ("Nusa Tenggara", "N/A", "NaN", ".5 km")
 * take the scanner's cache of recent strings, and only the missing-value texts themselves are
 * missing: the table read through libcsv, with every string's code and every missing row. */
static void strings_like_missing_texts_read_as_through_libcsv(void **state)
{
    (void)state;
    static const char *const texts[] = {"Nusa Tenggara Barat",
                                        "NA",
                                        "Nias",
                                        "N/A",
                                        "NaN",
                                        "NaNa",
                                        ".",
                                        ".5 km",
                                        "Aceh",
                                        "N",
                                        "NAN",
                                        "na"};
    const int nt = (int)(sizeof texts / sizeof texts[0]), rows = 5000;
    char *plain = malloc((size_t)rows * 40 + 64), *quoted = malloc((size_t)rows * 40 + 64);
    size_t np = (size_t)sprintf(plain, "id,name\n"), nq = (size_t)sprintf(quoted, "id,name\n");
    for (int r = 0; r < rows; r++) {
        const char *t = texts[(r * 7 + r / 13) % nt];
        np += (size_t)sprintf(plain + np, "%d,%s\n", r, t);
        nq += (size_t)sprintf(quoted + nq, "\"%d\",%s\n", r, t);
    }
    assert_true(reads_alike(plain, np, quoted, nq, rows));
    pkh_table *t = read_mem(plain, NULL);
    const pkh_column *name = col(t, "name");
    for (int r = 0; r < rows; r++) {
        const char *want = texts[(r * 7 + r / 13) % nt];
        const bool missing = strcmp(want, "NA") == 0 || strcmp(want, "N/A") == 0 ||
                             strcmp(want, "NaN") == 0 || strcmp(want, ".") == 0;
        assert_int_equal(pkh_column_is_valid(name, r), !missing);
        if (!missing) {
            assert_str(name, r, want);
        }
    }
    pkh_table_free(t);
    free(plain);
    free(quoted);
}

/* Runs of unselected fields are skipped 16 bytes at a time: with every choice of columns over
 * fields of 0 to 40 bytes, the plain scanner reads what libcsv reads (the first field quoted),
 * and a record with too few or too many fields fails the same way on both paths. */
static void skipped_fields_read_as_through_libcsv(void **state)
{
    (void)state;
    static const char *const names[] = {"a", "b", "c", "d", "e", "f"};
    const int rows = 300, ncols = 6;
    const size_t cap = (size_t)rows * ncols * 48 + 256;
    char *plain = malloc(cap), *quoted = malloc(cap);
    for (int bad = 0; bad <= 2; bad++) {
        for (int crlf = 0; crlf <= 1; crlf++) {
            size_t np = (size_t)sprintf(plain, "a,b,c,d,e,f\n");
            size_t nq = (size_t)sprintf(quoted, "a,b,c,d,e,f\n");
            for (int i = 0; i < rows; i++) {
                const int fields = i == 217 && bad == 1 ? 3 : i == 217 && bad == 2 ? 8 : ncols;
                for (int c = 0; c < fields; c++) {
                    char v[48];
                    const int len = (int)(rnd() % 41);
                    for (int k = 0; k < len; k++) {
                        v[k] = (char)('a' + rnd() % 26);
                    }
                    if (c % 2 == 1 && len > 0) {
                        snprintf(v, sizeof v, "%d", (int)(rnd() % 100000));
                    } else {
                        v[len] = '\0';
                    }
                    const char *sep = c + 1 < fields ? "," : (crlf ? "\r\n" : "\n");
                    np += (size_t)sprintf(plain + np, "%s%s", v, sep);
                    nq += (size_t)sprintf(quoted + nq, c == 0 ? "\"%s\"%s" : "%s%s", v, sep);
                }
            }
            for (int mask = 1; mask < (1 << ncols); mask++) {
                const char *cols[6];
                int n = 0;
                for (int c = 0; c < ncols; c++) {
                    if (mask & (1 << c)) {
                        cols[n++] = names[c];
                    }
                }
                pkh_csv_options o = PKH_CSV_OPTIONS_INIT;
                o.columns = cols;
                o.n_columns = n;
                pkh_table *p = NULL, *q = NULL;
                pkh_error ep, eq;
                const pkh_status sp = pkh_csv_read_memory(plain, np, "t.csv", &o, &p, NULL, &ep);
                const pkh_status sq = pkh_csv_read_memory(quoted, nq, "t.csv", &o, &q, NULL, &eq);
                assert_int_equal(sp, sq);
                if (bad != 0) {
                    assert_int_equal(sp, PKH_EPARSE);
                    assert_int_equal(ep.line, eq.line);
                    assert_string_equal(ep.message, eq.message);
                    continue;
                }
                assert_int_equal(sp, PKH_OK);
                assert_int_equal(pkh_table_num_rows(p), rows);
                if (!tables_equal(p, q)) {
                    fail_msg("columns mask %d%s: the tables differ", mask, crlf ? " (CRLF)" : "");
                }
                pkh_table_free(p);
                pkh_table_free(q);
            }
        }
    }
    free(plain);
    free(quoted);
}

static void quoted_and_plain_paths_agree(void **state)
{
    (void)state;
    /* the same values through the fast scanner and through libcsv */
    const char *plain = "a,b,c\n1,2.5,x\n-3,,y\n4,1e2,NA\n";
    const char *quoted = "a,b,c\n\"1\",2.5,\"x\"\n-3,,y\n4,\"1e2\",NA\n";
    pkh_table *p = read_mem(plain, NULL), *q = read_mem(quoted, NULL);
    assert_true(tables_equal(p, q));
    pkh_table_free(p);
    pkh_table_free(q);
}

/* ---- allocation failures ---- */

static void sweep(const char *text, size_t len, int summaries)
{
    for (long budget = 0;; budget++) {
        test_alloc a;
        test_alloc_init(&a, budget);
        pkh_csv_options o = PKH_CSV_OPTIONS_INIT;
        o.allocator = &a.base;
        o.threads = 1;
        o.summaries = summaries;
        pkh_table *t = NULL;
        const pkh_status rc = pkh_csv_read_memory(text, len, NULL, &o, &t, NULL, NULL);
        pkh_table_free(t);
        if (a.live_bytes != 0) {
            print_error("leak of %lld bytes at budget %ld (status %d)\n", (long long)a.live_bytes,
                        budget, rc);
        }
        assert_int_equal(a.live_bytes, 0); /* no leak on any failure path */
        if (rc == PKH_OK) {
            break;
        }
        assert_int_equal(rc, PKH_ENOMEM);
        assert_true(budget < 100000);
    }
}

static void survives_every_allocation_failure(void **state)
{
    (void)state;
    const char *texts[] = {"a,b,c\n1,2.5,x\n2,NA,y\n3,4,true\n", "a;b\n\"q;1\";2\n\"r\"\"s\";3\n",
                           "n,s\n1,1\n2,x\n3,1.50\n"};
    for (size_t i = 0; i < 3; i++) {
        sweep(texts[i], strlen(texts[i]), 0);
    }
    sweep(texts[0], strlen(texts[0]), 1); /* and with the summary parts */
    size_t glen;
    char *g = gzip_bytes(texts[0], strlen(texts[0]), &glen);
    sweep(g, glen, 0);
    free(g);
}

/* ---- writing ---- */

static void csv_write_round_trips(void **state)
{
    (void)state;
    pkh_table *t =
        read_mem("id,name,v,f\n1,\"a,b\",0.1,true\n2,\"q\"\"x\",,false\n3,c,2e-9,\n", NULL);
    char path[] = "/tmp/pkh-out-XXXXXX";
    const int fd = mkstemp(path);
    close(fd);
    char gz[64];
    snprintf(gz, sizeof gz, "%s.csv.gz", path);
    for (int k = 0; k < 2; k++) {
        const char *p = k == 0 ? path : gz;
        pkh_error err;
        assert_int_equal(pkh_csv_write_path(t, p, NULL, &err), PKH_OK);
        pkh_table *back = NULL;
        assert_int_equal(pkh_csv_read_path(p, NULL, &back, NULL, &err), PKH_OK);
        assert_true(tables_equal(t, back));
        pkh_table_free(back);
        unlink(p);
    }
    /* an unwritable place fails cleanly and leaves nothing behind */
    pkh_error err;
    assert_int_equal(pkh_csv_write_path(t, "/nonexistent-dir/x.csv", NULL, &err), PKH_EIO);
    assert_non_null(strstr(err.message, "/nonexistent-dir/x.csv"));
    pkh_table_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(infers_each_type),
        cmocka_unit_test(zero_one_stays_int_and_missing_keeps_type),
        cmocka_unit_test(promotes_int_to_float_to_string),
        cmocka_unit_test(promotion_across_pieces_keeps_text),
        cmocka_unit_test(forced_types),
        cmocka_unit_test(detects_delimiters),
        cmocka_unit_test(quoted_fields_crlf_bom),
        cmocka_unit_test(decimal_comma),
        cmocka_unit_test(custom_missing_values_and_columns),
        cmocka_unit_test(blank_lines_and_no_final_newline),
        cmocka_unit_test(gzip_from_memory_and_concatenated),
        cmocka_unit_test(reads_path_and_stdin),
        cmocka_unit_test(bad_input_corpus),
        cmocka_unit_test(error_in_a_later_piece_names_the_right_line),
        cmocka_unit_test(unterminated_quote_stops_at_the_record_limit),
        cmocka_unit_test(counters_are_64_bit),
        cmocka_unit_test(numbers_parse_exactly_as_strtod),
        cmocka_unit_test(doubles_format_and_read_back),
        cmocka_unit_test(same_table_for_any_thread_count),
        cmocka_unit_test(read_summaries_match_summarize),
        cmocka_unit_test(rows_land_in_place_after_blank_lines_and_multiline_records),
        cmocka_unit_test(digit_runs_read_as_one_by_one),
        cmocka_unit_test(quoted_and_plain_paths_agree),
        cmocka_unit_test(skipped_fields_read_as_through_libcsv),
        cmocka_unit_test(numbers_read_as_through_libcsv),
        cmocka_unit_test(strings_like_missing_texts_read_as_through_libcsv),
        cmocka_unit_test(survives_every_allocation_failure),
        cmocka_unit_test(csv_write_round_trips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
