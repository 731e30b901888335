/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * The CSV reader.
 *
 * The input is cut into pieces of about 1 MiB that end on a record boundary (a newline outside
 * quotes). Worker threads take pieces in turn, parse each into a batch of typed values, and
 * append ("commit") the batches to the table's columns in piece order, so the result is the
 * same for any number of threads. A piece without any quote character goes through a tight
 * scanner; a piece with quotes goes through libcsv (strict mode), which handles quoted
 * delimiters, doubled quotes and line breaks inside fields.
 *
 * Memory: the table's columns are reserved for the row count projected from the file size and
 * faulted in about a piece ahead of the parsing (faulting page by page on first touch costs
 * several times more here). A piece without quotes parses its numeric columns straight into
 * them, from the row its lines predict (no fewer than the rows before it); its commit moves
 * them down only when blank lines or multi-line records came before, and otherwise copies
 * nothing. With pkh_csv_options.summaries the scanner also summarises each 1024-row chunk as
 * its last row is parsed, so describing a file needs no second pass over its columns.
 *
 * Types are inferred as values arrive (bool | int64 -> float64 -> string). A column that turns
 * into strings after numbers rebuilds the earlier numbers' text from their values; texts that
 * would not rebuild exactly ("1.50", "+3", "1e3") are kept on the side while the column is
 * numeric.
 */
#include <csv.h>
#include <math.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <zlib.h>

#include "internal/io.h"

#define PIECE_TARGET ((size_t)1 << 20)
#define PIECE_PAD ((size_t)128) /* bytes after a piece's text: its sentinel, zeros, loads */
#define HEAD_TARGET ((size_t)64 << 10)
#define DEFAULT_MAX_FIELD ((int64_t)256 << 20)
#define SIDE_BUDGET ((size_t)16 << 20) /* bytes of kept number texts per column */
#define GZ_IN ((size_t)256 << 10)

enum kind { K_NONE = 0, K_BOOL = 1, K_INT = 2, K_FLOAT = 3, K_STR = 4 };

static const char *kind_name(int k)
{
    static const char *const names[] = {"missing", "bool", "int64", "float64", "string"};
    return names[k];
}

/* ---- side texts: the original text of numbers that would not rebuild exactly ---- */

typedef struct side_entry {
    int64_t row;
    size_t off;
    size_t len;
} side_entry;

typedef struct side_list {
    side_entry *e;
    size_t n, cap;
    char *text;
    size_t text_len, text_cap;
    bool overflow; /* budget exceeded: the exact text of some numbers is lost */
    /* the buffers reserved whole (the budget, unfaulted) and faulted in as they fill: for the
     * table's columns, where doubling would copy and first-touch megabytes */
    bool whole;
    size_t e_faulted, text_faulted; /* bytes */
} side_list;

#define SIDE_FAULT_STEP ((size_t)256 << 10)

static void side_free(const pkh_allocator *a, side_list *s)
{
    pkh__free(a, s->e, s->whole ? SIDE_BUDGET : s->cap * sizeof *s->e);
    pkh__free(a, s->text, s->text_cap);
    const bool whole = s->whole;
    memset(s, 0, sizeof *s);
    s->whole = whole;
}

/* Empty the list, keeping its buffers. */
static void side_clear(side_list *s)
{
    s->n = 0;
    s->text_len = 0;
    s->overflow = false;
}

/* A whole list's buffers: the budget each, reserved at the first entry, faulted in by steps. */
static pkh_status side_whole(const pkh_allocator *a, side_list *s, size_t len)
{
    if (s->e == NULL) {
        s->e = pkh__realloc_unfaulted(a, NULL, 0, SIDE_BUDGET);
        if (s->e == NULL) {
            return PKH_ENOMEM;
        }
        s->cap = SIDE_BUDGET / sizeof *s->e;
        s->text = pkh__realloc_unfaulted(a, NULL, 0, SIDE_BUDGET);
        if (s->text == NULL) {
            return PKH_ENOMEM;
        }
        s->text_cap = SIDE_BUDGET;
    }
    while ((s->n + 1) * sizeof *s->e > s->e_faulted) {
        pkh__prefault(a, s->e, SIDE_BUDGET, s->e_faulted, SIDE_FAULT_STEP);
        s->e_faulted += SIDE_FAULT_STEP;
    }
    while (s->text_len + len > s->text_faulted) {
        pkh__prefault(a, s->text, SIDE_BUDGET, s->text_faulted, SIDE_FAULT_STEP);
        s->text_faulted += SIDE_FAULT_STEP;
    }
    return PKH_OK;
}

static pkh_status side_add(const pkh_allocator *a, side_list *s, int64_t row, const char *t,
                           size_t len)
{
    if (s->overflow) {
        return PKH_OK;
    }
    if (s->text_len + len + s->n * sizeof *s->e > SIDE_BUDGET) {
        s->overflow = true;
        return PKH_OK;
    }
    if (s->whole) {
        const pkh_status st = side_whole(a, s, len);
        if (st != PKH_OK) {
            return st;
        }
    }
    if (s->n == s->cap) {
        const size_t cap = s->cap ? s->cap * 2 : 64;
        side_entry *e = pkh__realloc(a, s->e, s->cap * sizeof *e, cap * sizeof *e);
        if (e == NULL) {
            return PKH_ENOMEM;
        }
        s->e = e;
        s->cap = cap;
    }
    if (s->text_len + len > s->text_cap) {
        size_t cap = s->text_cap ? s->text_cap * 2 : 1024;
        while (cap < s->text_len + len) {
            cap *= 2;
        }
        char *p = pkh__realloc(a, s->text, s->text_cap, cap);
        if (p == NULL) {
            return PKH_ENOMEM;
        }
        s->text = p;
        s->text_cap = cap;
    }
    memcpy(s->text + s->text_len, t, len);
    s->e[s->n++] = (side_entry){row, s->text_len, len};
    s->text_len += len;
    return PKH_OK;
}

/* ---- per-thread batch of parsed values ---- */

/* A recently seen short string of a column and its code in the batch's dictionary. */
typedef struct str_slot {
    uint64_t w[4]; /* the text as overlapping 8-byte words (see string_words) */
    uint32_t len;
    uint32_t gen; /* the batch's generation when filled */
    int32_t code;
} str_slot;

#define STR_CACHE 512 /* 256 sets of two ways: two strings of a set do not evict each other */

typedef struct bcol {
    int kind;
    uint64_t *slots;      /* int64 bits, double bits, bool 0/1, or local string codes: `own`,
                           * or (direct) the column's own rows from the piece's predicted row */
    uint64_t *own;        /* the batch's buffer */
    int64_t own_cap;      /* rows */
    bool direct;          /* slots point into the global column */
    uint8_t fault_width;  /* bytes a row of the global column, as seen under the lock */
    str_slot *cache;      /* STR_CACHE slots, for the scanner's strings; NULL until needed */
    uint32_t cache_gen;   /* slots of other generations are empty (codes of earlier pieces) */
    uint8_t *validity;    /* NULL while nothing is missing */
    int64_t validity_cap; /* rows */
    int64_t nulls;
    pkh__dict dict;
    bool dict_ready;
    side_list side;
} bcol;

typedef struct piece {
    char *data;
    size_t len;
    int64_t index;
    int64_t first_line; /* physical line number of data[0] */
    int64_t lines;      /* newlines in data */
    int64_t pred;       /* newlines of the pieces before: no fewer than their records */
    double share;       /* estimated share of the input up to the piece's end; 0: unknown */
    bool quoted;        /* holds a quote character */
    bool last;
} piece;

struct reader;

struct field_plan;

enum copy_kind { COPY_NONE = 0, COPY_SLOTS = 1, COPY_ZERO = 2, COPY_INT_TO_FLOAT = 3 };

typedef struct batch {
    struct reader *r;
    int64_t rows, cap;
    bcol *cols;
    uint8_t *copy; /* per column: the copy left for after the commit lock (enum copy_kind) */
    const uint8_t **vsnap;   /* per column: its validity bitmap when the batch was committed */
    int64_t base;            /* the first global row of the committed batch */
    struct field_plan *plan; /* nfile + 1 entries, for the fast scanner */
    bool parsing;            /* counted in reader.parsing (writing into the global columns) */
    /* summary parts made while parsing (opts->summaries), for the chunks of global rows that
     * fall in the piece if its rows start at pc.pred: ncols x parts_cap, each stamped with the
     * column's kind then (kept only if the kind holds to the commit) */
    pkh__summary_part *parts;
    uint8_t *part_kind;
    int64_t parts_cap, nparts, next_cut;
    int64_t part_first; /* global chunk of the first part */
    int64_t blank_lines;
    /* the piece being parsed */
    piece pc;
    char *buf; /* piece buffer owned by this worker */
    size_t buf_cap;
    /* libcsv path */
    int field;      /* field index within the current record */
    int64_t record; /* records seen in this piece, for locating errors */
    pkh_status status;
    pkh_error err;
} batch;

/* ---- global columns ---- */

typedef struct gcol {
    int field; /* index in the file's records */
    char *name;
    int kind;
    int forced; /* K_NONE or the forced kind */
    void *data; /* 8-byte slots, or int32 codes once K_STR */
    size_t data_bytes;
    uint8_t *validity;
    size_t validity_bytes;
    int64_t nulls;
    pkh__dict dict;
    bool dict_ready;
    side_list side;
    int64_t first_number_line; /* for the message when a lossy promotion is refused */
    /* summary parts (opts->summaries), one per PKH__SUMMARY_CHUNK rows, filled by the batches
     * that copy a whole chunk; dropped (parts_ok false) when a numeric column changes type */
    pkh__summary_part *parts;
    int64_t parts_cap;
    bool parts_ok;
    atomic_bool side_full; /* side.overflow, for the scanners (which then keep no side texts) */
} gcol;

typedef struct reader {
    const pkh_allocator *alloc;
    const pkh_csv_options *opts;
    locale_t loc;
    const char *name;
    char delim, decimal;
    int64_t max_field;
    /* missing-value texts */
    const char *const *na;
    size_t n_na;
    bool na_first[256];
    /* file layout */
    int nfile;         /* fields per record */
    int *field_to_col; /* -1 when not read */
    char **file_names; /* header names, for messages */
    int ncols;
    gcol *cols;
    /* source and decompression */
    const pkh_source *src;
    bool gz, gz_ready, src_eof, gz_stream_end, gz_trailing, text_done;
    pkh_error *perr; /* where the producer's messages go (r->err or prod_err) */
    pkh_error prod_err;
    pkh_status pstatus; /* the producer's failure */
    z_stream z;
    unsigned char *gz_in;
    int64_t src_bytes; /* consumed from the source (compressed) */
    int64_t csv_bytes; /* CSV text produced */
    /* producer */
    pthread_mutex_t prod_lock;
    char *carry;
    size_t carry_len, carry_cap;
    bool done;
    int64_t next_piece;
    int64_t next_line;
    int64_t pred_rows;    /* newlines in the pieces handed out */
    int64_t handed_bytes; /* CSV bytes of the pieces handed out, header included */
    /* commit */
    pthread_mutex_t commit_lock;
    pthread_cond_t commit_cond;
    int64_t commit_turn;
    int inflight;         /* batches copying their values outside the lock */
    int parsing;          /* batches parsing straight into the global columns */
    int64_t faulted_rows; /* rows of the global columns faulted in (claimed) so far */
    int64_t rows;
    int64_t cap_rows;
    int64_t blank_lines;
    atomic_bool stop; /* set under commit_lock; read by the producer too */
    int64_t stop_at;  /* piece index of the first failure */
    pkh_status status;
    pkh_error *err;
} reader;

static pkh_status fail(reader *r, pkh_status code, int64_t line, int64_t column, const char *fmt,
                       ...) PKH__PRINTF(5, 6);

static pkh_status fail(reader *r, pkh_status code, int64_t line, int64_t column, const char *fmt,
                       ...)
{
    va_list ap;
    va_start(ap, fmt);
    pkh__verror(r->err, code, r->name, line, column, fmt, ap);
    va_end(ap);
    return code;
}

/* A failure of the producer (reading, decompressing, cutting pieces). */
static pkh_status pfail(reader *r, pkh_status code, int64_t line, int64_t column, const char *fmt,
                        ...) PKH__PRINTF(5, 6);

static pkh_status pfail(reader *r, pkh_status code, int64_t line, int64_t column, const char *fmt,
                        ...)
{
    va_list ap;
    va_start(ap, fmt);
    pkh__verror(r->perr, code, r->name, line, column, fmt, ap);
    va_end(ap);
    r->pstatus = code;
    return code;
}

/* ---- decompression and raw reading ---- */

static void *gz_alloc(void *opaque, uInt items, uInt size)
{
    const pkh_allocator *a = opaque;
    size_t n;
    if (!pkh__mul_size(items, size, &n) || n > SIZE_MAX - 64) {
        return NULL;
    }
    size_t *p = pkh__alloc(a, n + 64);
    if (p == NULL) {
        return NULL;
    }
    p[0] = n + 64;
    return (char *)p + 64;
}

static void gz_free(void *opaque, void *ptr)
{
    if (ptr != NULL) {
        size_t *p = (size_t *)(void *)((char *)ptr - 64);
        pkh__free(opaque, p, p[0]);
    }
}

static int64_t source_read(reader *r, void *buf, size_t cap)
{
    pkh_error e;
    pkh_error_clear(&e);
    const int64_t n = r->src->read(r->src->ctx, buf, cap, &e);
    if (n < 0) {
        if (e.code == PKH_OK) {
            pfail(r, PKH_EIO, 0, 0, "cannot read");
        } else {
            if (r->perr != NULL) {
                *r->perr = e;
            }
            r->pstatus = e.code;
        }
        return -1;
    }
    r->src_bytes += n;
    return n;
}

static int64_t gz_read(reader *r, unsigned char *buf, size_t cap)
{
    r->z.next_out = buf;
    r->z.avail_out = (uInt)(cap > (1u << 30) ? (1u << 30) : cap);
    while (r->z.avail_out > 0) {
        if (r->z.avail_in == 0 && !r->src_eof) {
            const int64_t n = source_read(r, r->gz_in, GZ_IN);
            if (n < 0) {
                return -1;
            }
            r->src_eof = n == 0;
            r->z.next_in = r->gz_in;
            r->z.avail_in = (uInt)n;
        }
        if (r->gz_trailing || (r->z.avail_in == 0 && r->src_eof)) {
            if (!r->gz_stream_end) {
                pfail(r, PKH_EPARSE, 0, 0,
                      "truncated gzip stream (the file ends before the "
                      "compressed data does; was the download or copy complete?)");
                return -1;
            }
            break;
        }
        if (r->gz_stream_end) { /* another gzip member follows (concatenated files) */
            if (r->z.next_in[0] != 0x1f) {
                r->gz_trailing = true; /* trailing bytes after a complete stream: ignored */
                break;
            }
            inflateReset(&r->z);
            r->gz_stream_end = false;
        }
        const int rc = inflate(&r->z, Z_NO_FLUSH);
        if (rc == Z_STREAM_END) {
            r->gz_stream_end = true;
        } else if (rc == Z_MEM_ERROR) {
            pfail(r, PKH_ENOMEM, 0, 0, "out of memory");
            return -1;
        } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
            pfail(r, PKH_EPARSE, 0, 0, "corrupt gzip stream: %s",
                  r->z.msg != NULL ? r->z.msg : "invalid data");
            return -1;
        }
    }
    return (int64_t)(cap - r->z.avail_out);
}

/* Read CSV text (decompressed) into buf; 0 at the end, -1 on error. */
static int64_t text_read(reader *r, char *buf, size_t cap)
{
    if (r->text_done) {
        return 0;
    }
    const int64_t n = r->gz ? gz_read(r, (unsigned char *)buf, cap) : source_read(r, buf, cap);
    if (n > 0) {
        r->csv_bytes += n;
    } else if (n == 0) {
        r->text_done = true;
    }
    return n;
}

/* True once a read has returned the end of the text. */
static bool text_eof(const reader *r)
{
    return r->text_done;
}

/* ---- piece cutting ---- */

/* Newlines in p[0, n), and whether a quote character appears: SSE2 byte compares, the
 * newlines summed in 8-bit lanes (at most 255 blocks between the sums), one pass at about a
 * cycle per 16 bytes. */
static size_t count_newlines(const char *p, size_t n, bool *quote)
{
    size_t count = 0, i = 0;
    bool q = false;
#ifdef __SSE2__
    const __m128i nl = _mm_set1_epi8('\n'), dq = _mm_set1_epi8('"');
    __m128i quotes = _mm_setzero_si128();
    while (n - i >= 16) {
        size_t blocks = (n - i) / 16;
        blocks = blocks < 255 ? blocks : 255;
        __m128i acc = _mm_setzero_si128();
        for (size_t k = 0; k < blocks; k++, i += 16) {
            const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
            acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(v, nl)); /* a match is -1 */
            quotes = _mm_or_si128(quotes, _mm_cmpeq_epi8(v, dq));
        }
        const __m128i sums = _mm_sad_epu8(acc, _mm_setzero_si128());
        count += (size_t)_mm_cvtsi128_si32(sums) + (size_t)_mm_extract_epi16(sums, 4);
    }
    q = _mm_movemask_epi8(quotes) != 0;
#endif
    for (; i < n; i++) {
        count += p[i] == '\n';
        q = q || p[i] == '"';
    }
    *quote = q;
    return count;
}

/* One past the last newline outside quotes, or 0. The text starts at a record boundary. */
static size_t last_record_end(const char *p, size_t n, bool quoted)
{
    if (!quoted) {
        const char *nl = memrchr(p, '\n', n);
        return nl != NULL ? (size_t)(nl - p) + 1 : 0;
    }
    size_t cut = 0;
    bool in_quote = false;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '"') {
            in_quote = !in_quote;
        } else if (p[i] == '\n' && !in_quote) {
            cut = i + 1;
        }
    }
    return cut;
}

static pkh_status ensure_buf(reader *r, char **buf, size_t *cap, size_t need)
{
    if (need <= *cap) {
        return PKH_OK;
    }
    size_t n = *cap ? *cap : PIECE_TARGET;
    while (n < need) {
        n *= 2;
    }
    char *p = pkh__realloc(r->alloc, *buf, *cap, n);
    if (p == NULL) {
        return pfail(r, PKH_ENOMEM, 0, 0, "out of memory");
    }
    *buf = p;
    *cap = n;
    return PKH_OK;
}

/* Fill the batch's piece from the carry and the source. Caller holds prod_lock. Returns
 * PKH_OK with b->pc.len == 0 and r->done when nothing is left. */
static pkh_status next_piece(reader *r, batch *b)
{
    b->pc.len = 0;
    if (r->done || atomic_load(&r->stop)) {
        return PKH_OK;
    }
    size_t target = PIECE_TARGET;
    pkh_status st = ensure_buf(r, &b->buf, &b->buf_cap, target + r->carry_len + PIECE_PAD);
    if (st != PKH_OK) {
        return st;
    }
    memcpy(b->buf, r->carry, r->carry_len);
    size_t len = r->carry_len;
    size_t cut = 0, lines = 0;
    bool quoted = false;
    for (;;) {
        while (len < target && !text_eof(r)) {
            const int64_t n = text_read(r, b->buf + len, target - len);
            if (n < 0) {
                return r->pstatus;
            }
            if (n == 0) {
                break;
            }
            len += (size_t)n;
        }
        lines = count_newlines(b->buf, len, &quoted);
        if (text_eof(r)) {
            cut = len;
            break;
        }
        cut = last_record_end(b->buf, len, quoted);
        if (cut > 0) {
            break;
        }
        if ((int64_t)len >= r->max_field) {
            return pfail(r, PKH_EOVERFLOW, r->next_line, 0,
                         "a record longer than %lld bytes (an unterminated quote?)",
                         (long long)r->max_field);
        }
        target *= 2;
        st = ensure_buf(r, &b->buf, &b->buf_cap, target + PIECE_PAD);
        if (st != PKH_OK) {
            return st;
        }
    }
    r->carry_len = len - cut;
    if (r->carry_len > 0) {
        st = ensure_buf(r, &r->carry, &r->carry_cap, r->carry_len);
        if (st != PKH_OK) {
            return st;
        }
        memcpy(r->carry, b->buf + cut, r->carry_len);
    }
    b->pc.data = b->buf;
    b->pc.len = cut;
    if (quoted) { /* the text after the cut holds quotes or newlines: count again */
        lines = count_newlines(b->buf, cut, &quoted);
    } /* else the cut is one past the last newline, or the end */
    b->pc.index = r->next_piece++;
    b->pc.first_line = r->next_line;
    b->pc.quoted = quoted;
    b->pc.lines = (int64_t)lines;
    r->next_line += b->pc.lines;
    b->pc.pred = r->pred_rows;
    r->pred_rows += b->pc.lines;
    r->handed_bytes += (int64_t)cut;
    /* the share of the source consumed, scaled for what is still in the buffers (for gzip,
     * by the compression ratio) */
    b->pc.share = r->src->size > 0 && r->src_bytes > 0 && r->csv_bytes > 0
                      ? (double)r->src_bytes * ((double)r->handed_bytes / (double)r->csv_bytes) /
                            (double)r->src->size
                      : 0.0;
    b->pc.last = r->carry_len == 0 && text_eof(r);
    if (b->pc.last) {
        r->done = true;
    }
    if (r->opts->progress != NULL &&
        r->opts->progress(r->opts->progress_ctx, r->src_bytes + r->opts->first_byte,
                          r->src->size) != 0) {
        return pfail(r, PKH_ECANCELED, 0, 0, "reading canceled");
    }
    return PKH_OK;
}

/* Physical line where record `k` (0-based, blank lines not counted) of a piece starts. */
static int64_t record_line(const piece *pc, int64_t k)
{
    int64_t line = 0, records = 0, start = 0;
    bool in_quote = false, content = false;
    for (size_t i = 0; i < pc->len; i++) {
        const char c = pc->data[i];
        if (!content && c != '\n' && c != '\r') {
            content = true;
            start = line;
        }
        if (c == '"') {
            in_quote = !in_quote;
        } else if (c == '\n') {
            if (!in_quote && content) {
                if (records == k) {
                    return pc->first_line + start;
                }
                records++;
                content = false;
            }
            line++;
        }
    }
    return pc->first_line + (content ? start : line);
}

/* ---- values into a batch ---- */

/* Make a batch hold `cap` rows. Each buffer records its own capacity, so a failure half-way
 * leaves everything freeable. A column writing into the global column (direct) moves its rows
 * so far into its own buffer. */
static pkh_status batch_reserve(reader *r, batch *b, int64_t cap)
{
    for (int c = 0; c < r->ncols; c++) {
        bcol *bc = &b->cols[c];
        if (bc->own_cap < cap) {
            uint64_t *s = pkh__realloc(r->alloc, bc->own, (size_t)bc->own_cap * 8, (size_t)cap * 8);
            if (s == NULL) {
                return PKH_ENOMEM;
            }
            bc->own = s;
            bc->own_cap = cap;
        }
        if (bc->direct) {
            memcpy(bc->own, bc->slots, (size_t)b->rows * 8);
            bc->direct = false;
        }
        bc->slots = bc->own;
        if (bc->validity != NULL && bc->validity_cap < cap) {
            const size_t old = pkh__bitmap_bytes(bc->validity_cap), now = pkh__bitmap_bytes(cap);
            uint8_t *v = pkh__realloc(r->alloc, bc->validity, old, now);
            if (v == NULL) {
                return PKH_ENOMEM;
            }
            memset(v + old, 0xff, now - old);
            bc->validity = v;
            bc->validity_cap = cap;
        }
    }
    b->cap = cap;
    return PKH_OK;
}

/* Double the rows a batch holds. */
static pkh_status batch_grow(reader *r, batch *b)
{
    return batch_reserve(r, b, b->cap ? b->cap * 2 : 4096);
}

static pkh_status set_null(reader *r, batch *b, bcol *bc, int64_t row)
{
    if (bc->validity == NULL) {
        bc->validity = pkh__alloc(r->alloc, pkh__bitmap_bytes(b->cap));
        if (bc->validity == NULL) {
            return PKH_ENOMEM;
        }
        bc->validity_cap = b->cap;
        memset(bc->validity, 0xff, pkh__bitmap_bytes(b->cap));
    }
    pkh__bit_clear(bc->validity, row);
    bc->slots[row] = 0;
    bc->nulls++;
    return PKH_OK;
}

static bool is_na(const reader *r, const char *s, size_t len)
{
    if (!r->na_first[(unsigned char)s[0]]) {
        return false;
    }
    for (size_t i = 0; i < r->n_na; i++) {
        if (strlen(r->na[i]) == len && memcmp(r->na[i], s, len) == 0) {
            return true;
        }
    }
    return false;
}

/* 1 true, 0 false, -1 neither; *canon when spelled exactly "true"/"false". */
static int parse_bool(const char *s, size_t len, bool *canon)
{
    static const char *const words[] = {"true", "false"};
    for (int w = 0; w < 2; w++) {
        const size_t wl = strlen(words[w]);
        if (len != wl) {
            continue;
        }
        bool eq = true, exact = true;
        for (size_t i = 0; i < len && eq; i++) {
            const char c = s[i];
            const char lc = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
            eq = lc == words[w][i];
            exact = exact && c == words[w][i];
        }
        if (eq) {
            *canon = exact;
            return w == 0 ? 1 : 0;
        }
    }
    return -1;
}

/* Text of a numeric/bool slot value, for promotion to string. */
static size_t value_text(const reader *r, int kind, uint64_t bits, char *buf)
{
    if (kind == K_INT) {
        return pkh__int_text((int64_t)bits, buf);
    }
    if (kind == K_BOOL) {
        memcpy(buf, bits ? "true" : "false", bits ? 5 : 6);
        return bits ? 4 : 5;
    }
    double d;
    memcpy(&d, &bits, 8);
    return pkh__float_text(d, r->decimal, buf);
}

static pkh_status ensure_dict(reader *r, pkh__dict *d, bool *ready)
{
    if (*ready) {
        return PKH_OK;
    }
    const pkh_status st = pkh__dict_init(d, r->alloc);
    *ready = st == PKH_OK;
    return st;
}

/* Turn the first `rows` slots (numbers or bools of `kind`) into string codes of `d`.
 * `codes32`: write int32 codes into the same buffer (global columns) instead of 64-bit slots. */
static pkh_status promote_slots(reader *r, int kind, void *data, const uint8_t *validity,
                                int64_t rows, const side_list *side, pkh__dict *d, bool codes32)
{
    size_t si = 0;
    uint64_t *slots = data;
    int32_t *codes = data;
    for (int64_t i = 0; i < rows; i++) {
        const uint64_t bits = slots[i];
        int32_t code = 0;
        if (validity == NULL || pkh__bit_get(validity, i)) {
            char buf[40];
            const char *t = buf;
            size_t len;
            while (si < side->n && side->e[si].row < i) {
                si++;
            }
            if (si < side->n && side->e[si].row == i) {
                t = side->text + side->e[si].off;
                len = side->e[si].len;
            } else {
                len = value_text(r, kind, bits, buf);
            }
            const pkh_status st = pkh__dict_intern(d, t, len, &code);
            if (st != PKH_OK) {
                return st;
            }
        }
        if (codes32) {
            codes[i] = code;
        } else {
            slots[i] = (uint64_t)code;
        }
    }
    return PKH_OK;
}

static pkh_status batch_to_string(reader *r, batch *b, bcol *bc, int64_t rows)
{
    pkh_status st = ensure_dict(r, &bc->dict, &bc->dict_ready);
    if (st == PKH_OK && bc->kind != K_NONE) {
        st = promote_slots(r, bc->kind, bc->slots, bc->validity, rows, &bc->side, &bc->dict, false);
    }
    (void)b;
    side_clear(&bc->side);
    bc->kind = K_STR;
    return st;
}

static pkh_status put_string(reader *r, bcol *bc, int64_t row, const char *s, size_t len)
{
    int32_t code;
    pkh_status st = ensure_dict(r, &bc->dict, &bc->dict_ready);
    if (st == PKH_OK) {
        st = pkh__dict_intern(&bc->dict, s, len, &code);
    }
    if (st == PKH_OK) {
        bc->slots[row] = (uint64_t)code;
    }
    return st;
}

static pkh_status forced_value(reader *r, batch *b, int c, const char *s, size_t len, int64_t row)
{
    bcol *bc = &b->cols[c];
    const int forced = r->cols[c].forced;
    int64_t iv;
    double dv;
    bool canon;
    if (forced == K_STR) {
        return put_string(r, bc, row, s, len);
    }
    if (forced == K_BOOL) {
        int v = parse_bool(s, len, &canon);
        if (v < 0 && len == 1 && (s[0] == '0' || s[0] == '1')) {
            v = s[0] == '1';
        }
        if (v >= 0) {
            bc->slots[row] = (uint64_t)v;
            return PKH_OK;
        }
        return PKH_ETYPE;
    }
    /* numbers: leading zeros are fine when the type is forced */
    size_t skip = 0;
    const bool sign = len > 0 && (s[0] == '-' || s[0] == '+');
    while (sign + skip + 1 < len && s[sign + skip] == '0' &&
           (unsigned)(s[sign + skip + 1] - '0') < 10u) {
        skip++;
    }
    char tmp[64];
    const char *t = s;
    size_t tl = len;
    if (skip > 0 && len < sizeof tmp) {
        if (sign) {
            tmp[0] = s[0];
        }
        memcpy(tmp + sign, s + sign + skip, len - sign - skip);
        t = tmp;
        tl = len - skip;
    }
    const pkh__num num = pkh__parse_number(t, tl, r->decimal, r->loc, &iv, &dv, &canon);
    if (forced == K_INT) {
        if (num != PKH__NUM_INT) {
            return PKH_ETYPE;
        }
        bc->slots[row] = (uint64_t)iv;
        return PKH_OK;
    }
    if (num == PKH__NUM_INT) {
        dv = (double)iv;
    } else if (num != PKH__NUM_FLOAT) {
        return PKH_ETYPE;
    }
    memcpy(&bc->slots[row], &dv, 8);
    return PKH_OK;
}

/* The value of column c in the current row. `s` is already trimmed and not missing. */
static pkh_status inferred_value(reader *r, batch *b, bcol *bc, const char *s, size_t len,
                                 int64_t row)
{
    if (bc->kind == K_STR) {
        return put_string(r, bc, row, s, len);
    }
    int64_t iv = 0;
    double dv = 0;
    bool canon = true;
    int vk;
    const pkh__num num = pkh__parse_number(s, len, r->decimal, r->loc, &iv, &dv, &canon);
    if (num == PKH__NUM_INT) {
        vk = K_INT;
    } else if (num == PKH__NUM_FLOAT) {
        vk = K_FLOAT;
    } else if (num == PKH__NUM_NONE && parse_bool(s, len, &canon) >= 0) {
        vk = K_BOOL;
        iv = parse_bool(s, len, &canon);
    } else {
        vk = K_STR;
    }
    if (bc->kind == K_NONE) {
        bc->kind = vk;
    } else if (bc->kind != vk) {
        if (bc->kind == K_INT && vk == K_FLOAT) {
            for (int64_t i = 0; i < row; i++) {
                const double d = (double)(int64_t)bc->slots[i];
                memcpy(&bc->slots[i], &d, 8);
            }
            bc->kind = K_FLOAT;
        } else if (bc->kind == K_FLOAT && vk == K_INT) {
            dv = (double)iv;
            vk = K_FLOAT;
        } else {
            const pkh_status st = batch_to_string(r, b, bc, row);
            if (st != PKH_OK) {
                return st;
            }
        }
    }
    if (bc->kind == K_STR) {
        return put_string(r, bc, row, s, len);
    }
    if (vk == K_FLOAT) {
        memcpy(&bc->slots[row], &dv, 8);
    } else {
        bc->slots[row] = (uint64_t)iv;
    }
    return canon ? PKH_OK : side_add(r->alloc, &bc->side, row, s, len);
}

static bool is_space(const reader *r, char c)
{
    return c == ' ' || (c == '\t' && r->delim != '\t');
}

/* Field `f` of the current record (text not NUL-terminated; NULL for an empty field). */
static pkh_status put_field(reader *r, batch *b, int c, const char *s, size_t len)
{
    bcol *bc = &b->cols[c];
    const int64_t row = b->rows;
    while (len > 0 && is_space(r, s[0])) {
        s++;
        len--;
    }
    while (len > 0 && is_space(r, s[len - 1])) {
        len--;
    }
    if (len == 0 || is_na(r, s, len)) {
        return set_null(r, b, bc, row);
    }
    if (r->cols[c].forced != K_NONE) {
        return forced_value(r, b, c, s, len, row);
    }
    return inferred_value(r, b, bc, s, len, row);
}

static pkh_status field_error(reader *r, batch *b, pkh_status st, int64_t line, int f,
                              const char *s, size_t len)
{
    if (st == PKH_ENOMEM) {
        return pkh__enomem(&b->err);
    }
    char q[64];
    const int c = r->field_to_col[f];
    const char *name = r->file_names[f];
    if (st == PKH_ETYPE) {
        return pkh__error(&b->err, st, r->name, line, f + 1,
                          "cannot read %s as %s in column \"%s\" (its type is forced)",
                          pkh__quote(s, len, q, sizeof q), kind_name(r->cols[c].forced), name);
    }
    return pkh__error(&b->err, st, r->name, line, f + 1,
                      "column \"%s\": too many distinct "
                      "values",
                      name);
}

static pkh_status count_error(reader *r, batch *b, int64_t line, int64_t found)
{
    return pkh__error(&b->err, PKH_EPARSE, r->name, line, found > r->nfile ? r->nfile + 1 : 0,
                      "expected %d fields as in the header, found %lld%s", r->nfile,
                      (long long)found,
                      found > r->nfile ? " (a delimiter inside an unquoted value? quote it)" : "");
}

/* ---- the fast scanner (no quotes in the piece) ---- */

static const double pow10_small[16] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                       1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};

/* SWAR helpers: eight characters at a time. The piece buffer has PIECE_PAD readable bytes
 * after its text, so the loads never leave it. */
static inline uint64_t load8(const char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* The value of the first `len` (0..8) digits of v. */
static inline uint64_t digits_value(uint64_t v, unsigned len)
{
    if (len == 0) {
        return 0;
    }
    v <<= 8 * (8 - len); /* the digits at the top, zeros (value 0) below */
    v &= 0x0F0F0F0F0F0F0F0FULL;
    v = (v * 10 + (v >> 8)) & 0x00FF00FF00FF00FFULL;
    v = (v * 100 + (v >> 16)) & 0x0000FFFF0000FFFFULL;
    v = (v * 10000 + (v >> 32)) & 0x00000000FFFFFFFFULL;
    return v;
}

static const uint64_t pow10_u64[16] = {1,
                                       10,
                                       100,
                                       1000,
                                       10000,
                                       100000,
                                       1000000,
                                       10000000,
                                       100000000,
                                       1000000000,
                                       10000000000,
                                       100000000000,
                                       1000000000000,
                                       10000000000000,
                                       100000000000000,
                                       1000000000000000};

/* Bit i set when s[i] is a decimal digit, for i < 16 (the piece's padding keeps the load inside
 * the buffer). */
static inline unsigned digit_bits16(const char *s)
{
#ifdef __SSE2__
    const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);
    const __m128i t = _mm_sub_epi8(v, _mm_set1_epi8('0'));
    return (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(t, _mm_set1_epi8(9)), t));
#else
    unsigned m = 0;
    for (unsigned i = 0; i < 16; i++) {
        m |= (unsigned)((unsigned char)(s[i] - '0') < 10u) << i;
    }
    return m;
#endif
}

/* Bit i set when s[i] == c, for i < 16. */
static inline unsigned char_bits16(const char *s, char c)
{
#ifdef __SSE2__
    const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);
    return (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(c)));
#else
    unsigned m = 0;
    for (unsigned i = 0; i < 16; i++) {
        m |= (unsigned)(s[i] == c) << i;
    }
    return m;
#endif
}

/* The value of the n (0..16) digits at s. */
static inline uint64_t digits_n(const char *s, size_t n)
{
    if (n <= 8) {
        return digits_value(load8(s), (unsigned)n);
    }
    return digits_value(load8(s), 8) * pow10_u64[n - 8] +
           digits_value(load8(s + 8), (unsigned)(n - 8));
}

/* A canonical integer ("-12", "0", not "007", "+1" or "-0"), the whole field [p, e). False when
 * the general path must decide. */
static inline bool int_field(const char *p, const char *e, uint64_t *out)
{
    const bool neg = *p == '-';
    const char *const s = p + neg;
    const size_t len = (size_t)(e - s);
    if (len == 1 && !neg && (unsigned)(s[0] - '0') < 10u) { /* codes, counts, flags */
        *out = (uint64_t)(s[0] - '0');
        return true;
    }
    if (len == 0 || len > 16) {
        return false;
    }
    const unsigned field = (1u << len) - 1;
    if ((digit_bits16(s) & field) != field || (len > 1 && *s == '0')) {
        return false;
    }
    const uint64_t v = digits_n(s, len);
    if (neg && v == 0) {
        return false;
    }
    *out = neg ? (uint64_t)0 - v : v;
    return true;
}

/* A decimal of at most 15 digits ("1455764.98", "0.5", "200", "314.30"), the whole field
 * [p, e): exactly m / 10^k (both exact doubles, one correctly rounded division, as strtod).
 * False otherwise. `*exact` says whether the value's shortest text is the field's (not so with
 * trailing zeros). */
static inline bool float_field(const char *p, const char *e, char decimal, uint64_t *out,
                               bool *exact)
{
    const bool neg = *p == '-';
    const char *const s = p + neg;
    const size_t len = (size_t)(e - s);
    if (len == 0 || len > 16) {
        return false;
    }
    const unsigned field = (1u << len) - 1, dot = char_bits16(s, decimal) & field;
    if (((digit_bits16(s) | dot) & field) != field || (dot & (dot - 1)) != 0) {
        return false; /* not digits and at most one decimal mark */
    }
    const size_t ni = dot != 0 ? (size_t)__builtin_ctz(dot) : len;
    if (ni == 0 || ni > 15 || (ni > 1 && *s == '0')) {
        return false;
    }
    uint64_t m = digits_n(s, ni);
    size_t nf = 0;
    if (dot != 0) {
        const char *const f = s + ni + 1;
        nf = len - ni - 1;
        if (nf == 0 || ni + nf > 15 ||
            (*s == '0' && nf >= 5 && f[0] == '0' && f[1] == '0' && f[2] == '0' && f[3] == '0')) {
            return false;
        }
        *exact = e[-1] != '0';
        /* one or two decimals (money) without the SWAR steps */
        const uint64_t fv = nf == 2   ? (uint64_t)((f[0] - '0') * 10 + (f[1] - '0'))
                            : nf == 1 ? (uint64_t)(f[0] - '0')
                                      : digits_n(f, nf);
        m = m * pow10_u64[nf] + fv;
    } else if (neg && m == 0) {
        return false;
    } else {
        *exact = true;
    }
    double v = (double)m;
    if (nf > 0) {
        v /= pow10_small[nf];
    }
    v = neg ? -v : v;
    memcpy(out, &v, 8);
    return true;
}

/* The stops (delimiters and newlines) of a piece, taken in order: a compare mask of 64 bytes at
 * a time (SSE2), so that where each field ends never waits on the parse of the one before: the
 * fields' values are worked out beside the walk from stop to stop. The piece ends with a
 * newline sentinel and PIECE_PAD bytes of zeros and padding, so the loads stay inside it. */
typedef struct stop_cursor {
    const char *base; /* the 64-byte block being taken */
    uint64_t left;    /* its stops not taken yet, a bit a byte */
    uint64_t nl;      /* its newlines (among the stops) */
} stop_cursor;

static inline void stop_block(stop_cursor *c, char delim)
{
    const char *const p = c->base;
#ifdef __SSE2__
    const __m128i dv = _mm_set1_epi8(delim), nv = _mm_set1_epi8('\n');
    uint64_t m = 0, n = 0;
    for (int i = 0; i < 4; i++) {
        const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * i));
        const __m128i isnl = _mm_cmpeq_epi8(v, nv);
        const __m128i hit = _mm_or_si128(_mm_cmpeq_epi8(v, dv), isnl);
        m |= (uint64_t)(unsigned)_mm_movemask_epi8(hit) << (16 * i);
        n |= (uint64_t)(unsigned)_mm_movemask_epi8(isnl) << (16 * i);
    }
#else
    uint64_t m = 0, n = 0;
    for (int i = 0; i < 64; i++) {
        m |= (uint64_t)(p[i] == delim || p[i] == '\n') << i;
        n |= (uint64_t)(p[i] == '\n') << i;
    }
#endif
    c->left = m;
    c->nl = n;
}

static inline void stops_start(stop_cursor *c, const char *p, char delim)
{
    c->base = p;
    stop_block(c, delim);
}

/* The next stop (the piece's sentinel newline bounds the walk). */
static inline const char *next_stop(stop_cursor *c, char delim)
{
    while (c->left == 0) {
        c->base += 64;
        stop_block(c, delim);
    }
    const char *q = c->base + __builtin_ctzll(c->left);
    c->left &= c->left - 1;
    return q;
}

/* Set bits of a word (no popcnt instruction in the baseline instruction set). */
static inline unsigned bits64(uint64_t x)
{
    x = x - ((x >> 1) & 0x5555555555555555ULL);
    x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
    x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
    return (unsigned)((x * 0x0101010101010101ULL) >> 56);
}

/* When the next k stops are k - 1 delimiters and then a newline (k fields, not read, end the
 * record), takes them and returns the newline; else takes nothing and returns NULL (the fields
 * then go one by one, where the record's field count is checked). */
static inline const char *skip_record(stop_cursor *c, int k, char delim)
{
    stop_cursor t = *c;
    unsigned seen = 0;
    for (;;) {
        while (t.left == 0) {
            t.base += 64;
            stop_block(&t, delim);
        }
        const uint64_t nls = t.left & t.nl;
        if (nls != 0) {
            const uint64_t bit = nls & (0 - nls);
            if (seen + bits64(t.left & (bit - 1)) != (unsigned)k - 1) {
                return NULL;
            }
            t.left &= ~(bit | (bit - 1));
            *c = t;
            return t.base + __builtin_ctzll(bit);
        }
        seen += bits64(t.left);
        if (seen >= (unsigned)k) {
            return NULL;
        }
        t.left = 0;
    }
}

/* How the fast scanner treats each field of a record, rebuilt when a column's kind changes
 * or the batch grows: dense, so the inner loop touches one small array per field. */
enum field_mode { M_SKIP = 0, M_GENERIC = 1, M_INT = 2, M_FLOAT = 3, M_STR = 4 };

typedef struct field_plan {
    uint64_t *slots; /* the column's batch slots (NULL when not read) */
    int col;
    int mode;
    int skip;         /* M_SKIP: the fields not read from this one on, in a row (at least 1) */
    bool skip_to_end; /* ... and they end the record */
    bool side;        /* keep the texts of numbers that would not rebuild (budget left) */
} field_plan;

static int field_mode_of(const reader *r, const batch *b, int f)
{
    const int c = r->field_to_col[f];
    if (c < 0) {
        return M_SKIP;
    }
    if (r->cols[c].forced != K_NONE) {
        return M_GENERIC;
    }
    switch (b->cols[c].kind) {
    case K_INT:
        return M_INT;
    case K_FLOAT:
        return M_FLOAT;
    case K_STR:
        return M_STR;
    default:
        return M_GENERIC;
    }
}

/* Four integer fields of one digit each ("0,1,0,2," or, ending the record, "0,1,0,2\n"), as
 * survey files hold runs of counts and flags: checked and stored with one 8-byte load. Returns
 * the terminator after the fourth, or NULL (the fields go one by one). */
static inline const char *four_digits(const char *p, char delim, bool ends_record,
                                      const field_plan *fp, int64_t row)
{
    const uint64_t v = load8(p), evens = 0x00FF00FF00FF00FFULL;
    const uint64_t odd = ((0x0001000100010001ULL * (uint8_t)delim) << 8) &
                         (ends_record ? 0x00FFFFFFFFFFFFFFULL : ~0ULL);
    const uint64_t want = odd | (ends_record ? (uint64_t)'\n' << 56 : 0);
    const uint64_t e = v & evens;
    /* each even byte at least '0' (no borrow out of its lane's high bit) and at most '9' */
    const uint64_t ge =
        ((e | 0x8000800080008000ULL) - 0x0030003000300030ULL) & 0x8000800080008000ULL;
    const uint64_t le = (e + 0x0046004600460046ULL) & 0xFF80FF80FF80FF80ULL;
    if ((v & ~evens) != want || ge != 0x8000800080008000ULL || le != 0) {
        return NULL;
    }
    const uint64_t d = e - 0x0030003000300030ULL;
    fp[0].slots[row] = d & 0xff;
    fp[1].slots[row] = (d >> 16) & 0xff;
    fp[2].slots[row] = (d >> 32) & 0xff;
    fp[3].slots[row] = d >> 48;
    return p + 7;
}

static void plan_field(const reader *r, const batch *b, field_plan *plan, int f)
{
    const int c = r->field_to_col[f];
    plan[f].col = c;
    plan[f].slots = c >= 0 ? b->cols[c].slots : NULL;
    plan[f].mode = field_mode_of(r, b, f);
    plan[f].side = c >= 0 && !atomic_load_explicit(&r->cols[c].side_full, memory_order_relaxed);
    int skip = 0;
    while (f + skip < r->nfile && r->field_to_col[f + skip] < 0) {
        skip++;
    }
    plan[f].skip = skip > 0 ? skip : 1;
    plan[f].skip_to_end = skip > 0 && f + skip == r->nfile;
}

/* A text of 1 to 32 bytes as four words that determine it (with its length): overlapping
 * loads, or the masked first word below 8 bytes (the piece's padding keeps loads inside). */
static inline void string_words(const char *p, size_t len, uint64_t w[4])
{
    w[0] = load8(p);
    w[1] = w[2] = w[3] = 0;
    if (len < 8) {
        w[0] &= ~0ULL >> (64 - 8 * len);
    } else if (len <= 16) {
        w[1] = load8(p + len - 8);
    } else {
        w[1] = load8(p + 8);
        w[2] = load8(p + len - 16);
        w[3] = load8(p + len - 8);
    }
}

/* A string field without surrounding spaces or a missing-value text: its code from the
 * column's cache of recent strings, else from the dictionary. */
static pkh_status fast_string(reader *r, batch *b, int c, const char *p, size_t len)
{
    if (len == 0 || is_space(r, p[0]) || is_space(r, p[len - 1]) || is_na(r, p, len)) {
        return put_field(r, b, c, p, len);
    }
    bcol *bc = &b->cols[c];
    if (len > 32) {
        return put_string(r, bc, b->rows, p, len);
    }
    if (bc->cache == NULL) {
        bc->cache = pkh__calloc(r->alloc, STR_CACHE, sizeof *bc->cache);
        if (bc->cache == NULL) {
            return PKH_ENOMEM;
        }
        bc->cache_gen++; /* never 0, the generation of the zeroed slots */
    }
    uint64_t w[4];
    string_words(p, len, w);
    const uint64_t key =
        (w[0] ^ (w[1] * 0x9e3779b97f4a7c15ULL) ^ (w[3] << 1) ^ len) * 0xff51afd7ed558ccdULL;
    str_slot *e = &bc->cache[(key >> 56) * 2];
    for (int way = 0; way < 2; way++) {
        const str_slot *f = &e[way];
        if (f->gen == bc->cache_gen && f->len == len &&
            ((f->w[0] ^ w[0]) | (f->w[1] ^ w[1]) | (f->w[2] ^ w[2]) | (f->w[3] ^ w[3])) == 0) {
            bc->slots[b->rows] = (uint64_t)f->code;
            return PKH_OK;
        }
    }
    const pkh_status st = put_string(r, bc, b->rows, p, len);
    if (st == PKH_OK) { /* the newest in the first way, the other one kept */
        e[1] = e[0];
        memcpy(e->w, w, sizeof w);
        e->len = (uint32_t)len;
        e->gen = bc->cache_gen;
        e->code = (int32_t)bc->slots[b->rows];
    }
    return st;
}

/* Called when the batch's rows end a chunk of global rows (if they start at pc.pred): the
 * summary parts of that chunk for the numeric columns, from values still in cache. */
static void chunk_parts(const reader *r, batch *b)
{
    b->next_cut += PKH__SUMMARY_CHUNK;
    if (b->rows < PKH__SUMMARY_CHUNK || b->nparts == b->parts_cap) {
        return; /* the chunk began in an earlier piece */
    }
    const int64_t from = b->rows - PKH__SUMMARY_CHUNK;
    if (b->nparts == 0) {
        b->part_first = (b->pc.pred + from) / PKH__SUMMARY_CHUNK;
    }
    for (int c = 0; c < r->ncols; c++) {
        const bcol *bc = &b->cols[c];
        const size_t at = (size_t)c * (size_t)b->parts_cap + (size_t)b->nparts;
        b->part_kind[at] = (uint8_t)bc->kind;
        if (bc->kind == K_INT || bc->kind == K_FLOAT) {
            pkh__summary_chunk(bc->kind == K_FLOAT, bc->slots, bc->validity, from, b->rows,
                               &b->parts[at]);
        }
    }
    b->nparts++;
}

static pkh_status parse_plain(reader *r, batch *b)
{
    const char *p = b->pc.data;
    const char *const end = p + b->pc.len;
    const char delim = r->delim, decimal = r->decimal;
    const int nfile = r->nfile;
    int64_t line = b->pc.first_line;
    /* a sentinel newline, then zeros: the loads near the end stay inside the buffer */
    b->pc.data[b->pc.len] = '\n';
    memset(b->pc.data + b->pc.len + 1, 0, PIECE_PAD - 1);
    field_plan *plan = b->plan;
    for (int f = 0; f < nfile; f++) {
        plan_field(r, b, plan, f);
    }
    plan[nfile].mode = M_SKIP; /* fields past the header's count */
    plan[nfile].slots = NULL;
    plan[nfile].col = -1;
    plan[nfile].skip = 1;
    plan[nfile].skip_to_end = false;
    plan[nfile].side = false;
    stop_cursor stops;
    stops_start(&stops, p, delim);
    while (p < end) {
        if (*p == '\n' || (*p == '\r' && (p[1] == '\n' || p + 1 == end))) {
            b->blank_lines++;
            if (*p == '\n' || p[1] == '\n') {
                p = next_stop(&stops, delim) + 1;
            } else {
                p++;
            }
            line++;
            continue;
        }
        if (b->rows == b->cap) {
            if (batch_grow(r, b) != PKH_OK) {
                return pkh__enomem(&b->err);
            }
            for (int f = 0; f < nfile; f++) {
                plan_field(r, b, plan, f);
            }
        }
        const int64_t row = b->rows;
        int f = 0;
        for (;;) {
            const field_plan *fp = &plan[f < nfile ? f : nfile];
            const char *q;
            if (fp->mode == M_SKIP && fp->skip_to_end &&
                (q = skip_record(&stops, fp->skip, delim)) != NULL) {
                f += fp->skip - 1;
                goto field_done;
            }
            q = next_stop(&stops, delim); /* the field's terminator */
            if (fp->mode == M_SKIP) {
                for (int k = fp->skip; --k > 0 && *q != '\n'; f++) {
                    q = next_stop(&stops, delim);
                }
                goto field_done;
            }
            /* the field is [p, fe) */
            const char *const fe = *q == '\n' && q > p && q[-1] == '\r' ? q - 1 : q;
            bool done = false;
            if (fp->mode == M_INT) {
                if (f + 3 < nfile && fp[1].mode == M_INT && fp[2].mode == M_INT &&
                    fp[3].mode == M_INT && fe == q &&
                    four_digits(p, delim, f + 3 == nfile - 1, fp, row) != NULL) {
                    for (int k = 0; k < 3; k++) {
                        q = next_stop(&stops, delim);
                    }
                    f += 3;
                    goto field_done;
                }
                done = int_field(p, fe, &fp->slots[row]);
            } else if (fp->mode == M_FLOAT) {
                bool exact;
                done = float_field(p, fe, decimal, &fp->slots[row], &exact);
                if (done && !exact && fp->side &&
                    side_add(r->alloc, &b->cols[fp->col].side, row, p, (size_t)(fe - p)) !=
                        PKH_OK) {
                    return pkh__enomem(&b->err);
                }
            }
            if (!done) {                 /* not parsed above */
                if (fp->mode == M_STR) { /* strings stay strings: the plan holds */
                    const pkh_status st = fast_string(r, b, fp->col, p, (size_t)(fe - p));
                    if (st != PKH_OK) {
                        return field_error(r, b, st, line, f, p, (size_t)(fe - p));
                    }
                } else {
                    const pkh_status st = put_field(r, b, fp->col, p, (size_t)(fe - p));
                    if (st != PKH_OK) {
                        return field_error(r, b, st, line, f, p, (size_t)(fe - p));
                    }
                    plan_field(r, b, plan, f); /* the column's kind may have changed */
                }
            }
        field_done:
            f++;
            p = q + 1;
            if (*q == '\n') {
                break;
            }
        }
        if (p > end) {
            p = end;
        }
        if (f != nfile) {
            return count_error(r, b, line, f);
        }
        b->rows++;
        line++;
        if (b->rows == b->next_cut) {
            chunk_parts(r, b);
        }
    }
    return PKH_OK;
}

static size_t plan_size(void)
{
    return sizeof(field_plan);
}

/* ---- the libcsv path (quotes in the piece) ---- */

static void on_field(void *data, size_t len, void *opaque)
{
    batch *b = opaque;
    reader *r = b->r;
    if (b->status == PKH_OK) {
        if (b->field == 0 && b->rows == b->cap && batch_grow(r, b) != PKH_OK) {
            b->status = pkh__enomem(&b->err);
        } else if (b->field < r->nfile && r->field_to_col[b->field] >= 0) {
            const int c = r->field_to_col[b->field];
            const pkh_status st = put_field(r, b, c, data, data != NULL ? len : 0);
            if (st != PKH_OK) {
                b->status = field_error(r, b, st, record_line(&b->pc, b->record), b->field,
                                        data != NULL ? data : "", data != NULL ? len : 0);
            }
        }
    }
    b->field++;
}

static void on_record(int c, void *opaque)
{
    (void)c;
    batch *b = opaque;
    reader *r = b->r;
    if (b->status == PKH_OK) {
        if (b->field != r->nfile) {
            b->status = count_error(r, b, record_line(&b->pc, b->record), b->field);
        } else {
            b->rows++;
        }
    }
    b->field = 0;
    b->record++;
}

static int csv_space(unsigned char c)
{
    return c == CSV_SPACE;
}

static int csv_space_tab(unsigned char c)
{
    return c == CSV_SPACE || c == CSV_TAB;
}

static pkh_status libcsv_error(reader *r, batch *b, int64_t at_record, bool at_end)
{
    const int64_t line = record_line(&b->pc, at_record);
    if (at_end) {
        return pkh__error(&b->err, PKH_EPARSE, r->name, line, b->field + 1,
                          "unterminated quoted field (a quote opened here is never closed)");
    }
    return pkh__error(&b->err, PKH_EPARSE, r->name, line, b->field + 1,
                      "malformed quoted field: a quote must open and close a whole field, and "
                      "a quote inside a quoted field is written twice (\"\")");
}

static pkh_status parse_quoted(reader *r, batch *b)
{
    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_EMPTY_IS_NULL) != 0) {
        return pkh__enomem(&b->err);
    }
    csv_set_delim(&p, (unsigned char)r->delim);
    csv_set_quote(&p, '"');
    csv_set_space_func(&p, r->delim == '\t' ? csv_space : csv_space_tab);
    b->field = 0;
    b->record = 0;
    b->status = PKH_OK;
    const size_t done = csv_parse(&p, b->pc.data, b->pc.len, on_field, on_record, b);
    pkh_status st = b->status;
    if (st == PKH_OK && done < b->pc.len) {
        st = csv_error(&p) == CSV_ENOMEM ? pkh__enomem(&b->err)
                                         : libcsv_error(r, b, b->record, false);
    }
    if (st == PKH_OK && csv_fini(&p, on_field, on_record, b) != 0) {
        st = csv_error(&p) == CSV_ENOMEM ? pkh__enomem(&b->err)
                                         : libcsv_error(r, b, b->record, true);
    }
    if (st == PKH_OK) {
        st = b->status;
    }
    csv_free(&p);
    return st;
}

static void batch_reset(reader *r, batch *b)
{
    for (int c = 0; c < r->ncols; c++) {
        bcol *bc = &b->cols[c];
        bc->kind = r->cols[c].forced;
        bc->nulls = 0;
        if (bc->validity != NULL) {
            pkh__free(r->alloc, bc->validity, pkh__bitmap_bytes(bc->validity_cap));
            bc->validity = NULL;
            bc->validity_cap = 0;
        }
        if (bc->dict_ready) {
            pkh__dict_free(&bc->dict);
            bc->dict_ready = false;
        }
        side_clear(&bc->side);
        bc->cache_gen++;
    }
    b->rows = 0;
    b->blank_lines = 0;
    b->nparts = 0;
}

static pkh_status parse_piece(reader *r, batch *b)
{
    batch_reset(r, b);
    pkh_error_clear(&b->err);
    return b->pc.quoted ? parse_quoted(r, b) : parse_plain(r, b);
}

/* ---- committing a batch to the global columns ---- */

/* Make the global columns hold `need` rows, those of the input up to `share` of it (0:
 * unknown): sized for the whole input as projected from that share, once it is known. */
static pkh_status reserve_rows(reader *r, int64_t need, double share)
{
    if (need <= r->cap_rows) {
        return PKH_OK;
    }
    int64_t cap = need + need / 2;
    if (share > 0) {
        const double est = (double)need / (share < 1.0 ? share : 1.0) * 1.03 + 1024;
        if (est >= (double)need && est < (double)INT64_MAX / 16) {
            cap = (int64_t)est;
        }
    }
    for (int c = 0; c < r->ncols; c++) {
        gcol *g = &r->cols[c];
        /* 8 bytes a row even once a column holds int32 codes: batches parsing into the column
         * keep their 8-byte rows there until their commit (finish_column trims) */
        const size_t bytes = (size_t)cap * 8;
        void *p = pkh__realloc_unfaulted(r->alloc, g->data, g->data_bytes, bytes);
        if (p == NULL) {
            return pkh__enomem(r->err);
        }
        g->data = p;
        g->data_bytes = bytes;
        if (g->validity != NULL) {
            uint8_t *v =
                pkh__realloc(r->alloc, g->validity, g->validity_bytes, pkh__bitmap_bytes(cap));
            if (v == NULL) {
                return pkh__enomem(r->err);
            }
            g->validity = v;
            g->validity_bytes = pkh__bitmap_bytes(cap);
        }
    }
    if (r->opts->summaries) {
        const int64_t chunks = (cap + PKH__SUMMARY_CHUNK - 1) / PKH__SUMMARY_CHUNK;
        for (int c = 0; c < r->ncols; c++) {
            gcol *g = &r->cols[c];
            pkh__summary_part *p = pkh__realloc(
                r->alloc, g->parts, (size_t)g->parts_cap * sizeof *p, (size_t)chunks * sizeof *p);
            if (p == NULL) {
                return pkh__enomem(r->err);
            }
            memset(p + g->parts_cap, 0, (size_t)(chunks - g->parts_cap) * sizeof *p);
            g->parts = p;
            g->parts_cap = chunks;
        }
    }
    r->cap_rows = cap;
    return PKH_OK;
}

static pkh_status lossy_error(reader *r, gcol *g, const batch *b)
{
    return fail(r, PKH_ETYPE, b->pc.first_line, g->field + 1,
                "column \"%s\" holds numbers and then text; too many of the numbers are "
                "written in a form that would change if the column were read as strings "
                "(such as 1.50 or 1e3): give its type as string (--types %s:string)",
                g->name, g->name);
}

/* Promote a global numeric/bool column to strings, in place (8-byte slots -> int32 codes). */
static pkh_status global_to_string(reader *r, gcol *g, const batch *b)
{
    if (g->side.overflow) {
        return lossy_error(r, g, b);
    }
    pkh_status st = ensure_dict(r, &g->dict, &g->dict_ready);
    if (st == PKH_OK && g->kind != K_NONE) {
        st = promote_slots(r, g->kind, g->data, g->validity, r->rows, &g->side, &g->dict, true);
    }
    if (st != PKH_OK) {
        return st == PKH_ENOMEM
                   ? pkh__enomem(r->err)
                   : fail(r, st, 0, 0, "column \"%s\": too many distinct values", g->name);
    }
    side_free(r->alloc, &g->side);
    g->kind = K_STR;
    return PKH_OK;
}

static pkh_status commit_validity(reader *r, gcol *g, const bcol *bc, int64_t base, int64_t n)
{
    if (bc->nulls == 0 && g->validity == NULL) {
        return PKH_OK;
    }
    if (g->validity == NULL) {
        g->validity_bytes = pkh__bitmap_bytes(r->cap_rows);
        g->validity = pkh__alloc(r->alloc, g->validity_bytes);
        if (g->validity == NULL) {
            return pkh__enomem(r->err);
        }
        memset(g->validity, 0, g->validity_bytes);
        pkh__bitmap_set_range(g->validity, 0, base);
    }
    if (bc->validity != NULL) {
        pkh__bitmap_copy_at(g->validity, base, bc->validity, n);
    } else {
        pkh__bitmap_set_range(g->validity, base, base + n);
    }
    g->nulls += bc->nulls;
    return PKH_OK;
}

static pkh_status commit_strings(reader *r, gcol *g, bcol *bc, int64_t base, int64_t n,
                                 const batch *b)
{
    (void)b;
    pkh_status st = ensure_dict(r, &g->dict, &g->dict_ready);
    if (st != PKH_OK) {
        return pkh__enomem(r->err);
    }
    int32_t *codes = (int32_t *)g->data + base;
    if (bc->kind == K_STR) {
        const int64_t nd = bc->dict_ready ? bc->dict.size : 0;
        int32_t *map = pkh__alloc(r->alloc, (size_t)(nd > 0 ? nd : 1) * 4);
        if (map == NULL) {
            return pkh__enomem(r->err);
        }
        for (int64_t k = 0; k < nd && st == PKH_OK; k++) {
            size_t len;
            const char *s = pkh__dict_get(&bc->dict, (int32_t)k, &len);
            st = pkh__dict_intern(&g->dict, s, len, &map[k]);
        }
        if (st == PKH_OK) {
            for (int64_t i = 0; i < n; i++) {
                const bool valid = bc->validity == NULL || pkh__bit_get(bc->validity, i);
                codes[i] = valid ? map[bc->slots[i]] : 0;
            }
        }
        pkh__free(r->alloc, map, (size_t)(nd > 0 ? nd : 1) * 4);
    } else if (bc->kind == K_NONE) {
        memset(codes, 0, (size_t)n * 4);
    } else {
        st = promote_slots(r, bc->kind, bc->slots, bc->validity, n, &bc->side, &g->dict, false);
        for (int64_t i = 0; i < n && st == PKH_OK; i++) {
            codes[i] = (int32_t)bc->slots[i];
        }
    }
    if (st != PKH_OK) {
        return st == PKH_ENOMEM
                   ? pkh__enomem(r->err)
                   : fail(r, st, 0, 0, "column \"%s\": too many distinct values", g->name);
    }
    return PKH_OK;
}

static pkh_status commit_column(reader *r, gcol *g, bcol *bc, int64_t base, int64_t n, batch *b)
{
    pkh_status st = PKH_OK;
    if (g->kind == K_NONE && bc->kind != K_NONE) {
        if (bc->kind == K_STR) {
            st = global_to_string(r, g, b);
        } else {
            g->kind = bc->kind;
        }
    } else if (bc->kind != K_NONE && bc->kind != g->kind) {
        const bool numeric =
            (g->kind == K_INT || g->kind == K_FLOAT) && (bc->kind == K_INT || bc->kind == K_FLOAT);
        if (g->kind == K_INT && bc->kind == K_FLOAT) {
            double *d = g->data;
            const int64_t *v = g->data;
            for (int64_t i = 0; i < base; i++) {
                d[i] = (double)v[i];
            }
            g->kind = K_FLOAT;
            g->parts_ok = false;
        } else if (!numeric && g->kind != K_STR) {
            st = global_to_string(r, g, b);
            g->parts_ok = false;
        }
    }
    if (st != PKH_OK) {
        return st;
    }
    const int c = (int)(g - r->cols);
    b->vsnap[c] = NULL;
    if (g->kind == K_STR) {
        st = commit_strings(r, g, bc, base, n, b);
        b->copy[c] = COPY_NONE;
    } else if (g->kind == K_FLOAT && bc->kind == K_INT) {
        b->copy[c] = COPY_INT_TO_FLOAT;
    } else if (bc->kind == K_NONE) {
        b->copy[c] = COPY_ZERO;
    } else {
        b->copy[c] = COPY_SLOTS;
    }
    if (st == PKH_OK && g->kind != K_STR) {
        if (bc->side.overflow) {
            g->side.overflow = true;
        }
        for (size_t k = 0; k < bc->side.n && st == PKH_OK; k++) {
            const side_entry *e = &bc->side.e[k];
            st = side_add(r->alloc, &g->side, base + e->row, bc->side.text + e->off, e->len);
        }
        if (g->side.overflow) {
            atomic_store_explicit(&g->side_full, true, memory_order_relaxed);
        }
        if (st != PKH_OK) {
            return pkh__enomem(r->err);
        }
    }
    if (st == PKH_OK) {
        st = commit_validity(r, g, bc, base, n);
        b->vsnap[c] = g->validity; /* read outside the lock by summary_parts() */
    }
    if (st == PKH_OK && g->parts_ok && b->nparts > 0 && base == b->pc.pred &&
        b->copy[c] == COPY_SLOTS && bc->kind == g->kind) {
        /* the parts made while parsing hold for the rows as committed */
        for (int64_t j = 0; j < b->nparts; j++) {
            const size_t at = (size_t)c * (size_t)b->parts_cap + (size_t)j;
            if (b->part_kind[at] == bc->kind) {
                g->parts[b->part_first + j] = b->parts[at];
            }
        }
    }
    return st;
}

/* True when committing `b` changes data that other batches may be copying into: the column
 * buffers move (growth) or a column changes type. */
static bool commit_grows(const reader *r, const batch *b)
{
    return r->rows + b->rows > r->cap_rows;
}

static bool commit_is_exclusive(const reader *r, const batch *b)
{
    if (commit_grows(r, b)) {
        return true;
    }
    for (int c = 0; c < r->ncols; c++) {
        const int gk = r->cols[c].kind, bk = b->cols[c].kind;
        if (bk != K_NONE && bk != gk && !(gk == K_FLOAT && bk == K_INT) && gk != K_STR) {
            return true;
        }
    }
    return false;
}

/* The summary parts of the chunks that lie wholly in rows [base, base + n), just copied (so in
 * cache). Their values and validity bits were written by this batch alone. */
static void summary_parts(const gcol *g, const uint8_t *validity, int64_t base, int64_t n)
{
    const int64_t k0 = (base + PKH__SUMMARY_CHUNK - 1) / PKH__SUMMARY_CHUNK;
    const int64_t k1 = (base + n) / PKH__SUMMARY_CHUNK;
    for (int64_t k = k0; k < k1; k++) {
        if (!g->parts[k].done) {
            pkh__summary_chunk(g->kind == K_FLOAT, g->data, validity, k * PKH__SUMMARY_CHUNK,
                               (k + 1) * PKH__SUMMARY_CHUNK, &g->parts[k]);
        }
    }
}

/* The values of the committed batch, copied outside the lock: the rows [base, base + n) belong
 * to this batch alone, and the buffers cannot move or change type while any copy runs. */
static void copy_values(reader *r, batch *b)
{
    const int64_t base = b->base, n = b->rows;
    for (int c = 0; c < r->ncols; c++) {
        const gcol *g = &r->cols[c];
        const bcol *bc = &b->cols[c];
        uint64_t *const to = (uint64_t *)g->data + base;
        switch (b->copy[c]) {
        case COPY_SLOTS:
            if (bc->slots != to) { /* direct: only when rows came out fewer than lines */
                memmove(to, bc->slots, (size_t)n * 8);
            }
            break;
        case COPY_ZERO:
            memset(to, 0, (size_t)n * 8); /* nulls left zeros in direct slots too */
            break;
        case COPY_INT_TO_FLOAT: {
            /* forward: a direct batch's slots start at or after `to` */
            double *d = (double *)to;
            for (int64_t i = 0; i < n; i++) {
                const int64_t v = (int64_t)bc->slots[i];
                d[i] = (double)v;
            }
            break;
        }
        default:
            break;
        }
        if (g->parts_ok && (g->kind == K_INT || g->kind == K_FLOAT)) {
            summary_parts(g, b->vsnap[c], base, n);
        }
    }
}

static pkh_status commit_batch(reader *r, batch *b)
{
    const int64_t base = r->rows, n = b->rows;
    if (n > INT64_MAX - base) {
        return fail(r, PKH_EOVERFLOW, 0, 0, "too many rows");
    }
    if (commit_is_exclusive(r, b)) {
        /* growth moves the buffers: wait for the batches parsing into them too */
        const bool grows = commit_grows(r, b);
        while (r->inflight > 0 || (grows && r->parsing > 0)) {
            pthread_cond_wait(&r->commit_cond, &r->commit_lock);
        }
    }
    for (int c = 0; c < r->ncols; c++) { /* the buffers may have moved since the parse */
        if (b->cols[c].direct) {
            b->cols[c].slots = (uint64_t *)r->cols[c].data + b->pc.pred;
        }
    }
    b->base = base;
    pkh_status st = reserve_rows(r, base + n, b->pc.share);
    for (int c = 0; c < r->ncols && st == PKH_OK; c++) {
        st = commit_column(r, &r->cols[c], &b->cols[c], base, n, b);
    }
    if (st == PKH_OK) {
        r->rows += n;
        r->blank_lines += b->blank_lines;
    }
    return st;
}

/* ---- workers ---- */

static void free_parts(reader *r, batch *b)
{
    const size_t n = (size_t)(r->ncols > 0 ? r->ncols : 1) * (size_t)b->parts_cap;
    pkh__free(r->alloc, b->parts, n * sizeof *b->parts);
    pkh__free(r->alloc, b->part_kind, n);
    b->parts = NULL;
    b->part_kind = NULL;
    b->parts_cap = 0;
}

static void batch_free(reader *r, batch *b)
{
    if (b->cols != NULL) {
        batch_reset(r, b);
        for (int c = 0; c < r->ncols; c++) {
            pkh__free(r->alloc, b->cols[c].own, (size_t)b->cols[c].own_cap * 8);
            pkh__free(r->alloc, b->cols[c].cache, STR_CACHE * sizeof(str_slot));
            side_free(r->alloc, &b->cols[c].side);
        }
        pkh__free(r->alloc, b->cols, (size_t)r->ncols * sizeof *b->cols);
    }
    pkh__free(r->alloc, b->plan, (size_t)(r->nfile + 1) * plan_size());
    pkh__free(r->alloc, b->copy, (size_t)(r->ncols > 0 ? r->ncols : 1));
    pkh__free(r->alloc, b->vsnap, (size_t)(r->ncols > 0 ? r->ncols : 1) * sizeof *b->vsnap);
    free_parts(r, b);
    pkh__free(r->alloc, b->buf, b->buf_cap);
    memset(b, 0, sizeof *b);
}

static pkh_status batch_init(reader *r, batch *b)
{
    memset(b, 0, sizeof *b);
    b->r = r;
    b->cols = pkh__calloc(r->alloc, (size_t)(r->ncols > 0 ? r->ncols : 1), sizeof *b->cols);
    b->plan = pkh__alloc(r->alloc, (size_t)(r->nfile + 1) * plan_size());
    b->copy = pkh__calloc(r->alloc, (size_t)(r->ncols > 0 ? r->ncols : 1), 1);
    b->vsnap = pkh__calloc(r->alloc, (size_t)(r->ncols > 0 ? r->ncols : 1), sizeof *b->vsnap);
    if (b->cols == NULL || b->plan == NULL || b->copy == NULL || b->vsnap == NULL) {
        return PKH_ENOMEM;
    }
    return batch_grow(r, b);
}

/* Before parsing a piece without quotes: make the global columns hold its rows (no more than
 * its lines, plus one for a last line without a newline, from row pc.pred on) and let its
 * numeric columns parse straight into them, so that the commit copies nothing unless blank
 * lines or multi-line records came before. Columns of strings (int32 codes in the end) and
 * pieces with quotes (records not bounded by lines) use the batch's own buffers. */
static pkh_status attach_piece(reader *r, batch *b)
{
    for (int c = 0; c < r->ncols; c++) {
        b->cols[c].direct = false;
        b->cols[c].slots = b->cols[c].own;
    }
    if (b->pc.quoted) {
        return PKH_OK;
    }
    const int64_t rows = b->pc.lines + 1;
    if (b->cap < rows && batch_reserve(r, b, rows) != PKH_OK) {
        return pkh__enomem(&b->err);
    }
    if (r->opts->summaries) {
        const int64_t want = rows / PKH__SUMMARY_CHUNK + 1;
        if (want > b->parts_cap) {
            free_parts(r, b);
            const size_t nc = (size_t)(r->ncols > 0 ? r->ncols : 1);
            b->parts = pkh__alloc(r->alloc, nc * (size_t)want * sizeof *b->parts);
            b->part_kind = pkh__alloc(r->alloc, nc * (size_t)want);
            b->parts_cap = want;
            if (b->parts == NULL || b->part_kind == NULL) {
                free_parts(r, b);
                return pkh__enomem(&b->err);
            }
        }
        b->next_cut = PKH__SUMMARY_CHUNK - b->pc.pred % PKH__SUMMARY_CHUNK;
    }
    const int64_t need = b->pc.pred + rows;
    pkh_status st = PKH_OK;
    pthread_mutex_lock(&r->commit_lock);
    while (need > r->cap_rows && !r->stop && st == PKH_OK) {
        if (r->parsing == 0 && r->inflight == 0) {
            st = reserve_rows(r, need, b->pc.share);
        } else {
            pthread_cond_wait(&r->commit_cond, &r->commit_lock);
        }
    }
    int64_t fault_from = 0, fault_to = 0;
    if (st == PKH_OK && !r->stop) {
        r->parsing++;
        b->parsing = true;
        for (int c = 0; c < r->ncols; c++) {
            const gcol *g = &r->cols[c];
            if (g->kind != K_STR && g->forced != K_STR) {
                b->cols[c].direct = true;
                b->cols[c].slots = (uint64_t *)g->data + b->pc.pred;
            }
            b->cols[c].fault_width = g->kind == K_STR ? 4 : 8;
        }
        if (need + rows > r->faulted_rows) {
            /* about one piece ahead, one piece at a time: every worker takes its turn */
            fault_from = r->faulted_rows;
            fault_to = need + rows < r->cap_rows ? need + rows : r->cap_rows;
            r->faulted_rows = fault_to;
        }
    }
    pthread_mutex_unlock(&r->commit_lock);
    if (fault_to > fault_from) {
        /* the next rows' pages, faulted in by one thread while the others parse (the buffers
         * cannot move: this batch counts as parsing) */
        for (int c = 0; c < r->ncols; c++) {
            const gcol *g = &r->cols[c]; /* data and data_bytes cannot change meanwhile */
            const size_t w = b->cols[c].fault_width;
            pkh__prefault(r->alloc, g->data, g->data_bytes, (size_t)fault_from * w,
                          (size_t)(fault_to - fault_from) * w);
        }
    }
    return st == PKH_OK ? PKH_OK : pkh__enomem(&b->err);
}

/* Wait for this piece's turn; record `st` as the reader's failure, or commit. */
static void finish_piece(reader *r, batch *b, int64_t index, pkh_status st, const pkh_error *e)
{
    pthread_mutex_lock(&r->commit_lock);
    if (b->parsing) {
        b->parsing = false;
        r->parsing--;
        pthread_cond_broadcast(&r->commit_cond);
    }
    while (r->commit_turn != index && !(r->stop && index > r->stop_at)) {
        pthread_cond_wait(&r->commit_cond, &r->commit_lock);
    }
    bool copy = false;
    if (!(r->stop && index > r->stop_at)) {
        if (st == PKH_OK) {
            st = commit_batch(r, b);
        } else if (r->err != NULL && e != NULL) {
            *r->err = *e;
        }
        if (st != PKH_OK) {
            r->stop = true;
            r->stop_at = index;
            r->status = st;
        } else {
            r->commit_turn++;
            r->inflight++;
            copy = true;
        }
    }
    pthread_cond_broadcast(&r->commit_cond);
    pthread_mutex_unlock(&r->commit_lock);
    if (copy) {
        copy_values(r, b);
        pthread_mutex_lock(&r->commit_lock);
        r->inflight--;
        pthread_cond_broadcast(&r->commit_cond);
        pthread_mutex_unlock(&r->commit_lock);
    }
}

static pkh_status worker(void *ctx, int64_t t)
{
    (void)t;
    reader *r = ctx;
    batch b;
    if (batch_init(r, &b) != PKH_OK) {
        batch_free(r, &b);
        pthread_mutex_lock(&r->commit_lock);
        if (!r->stop) {
            r->stop = true;
            r->stop_at = -1;
            r->status = pkh__enomem(r->err);
        }
        pthread_cond_broadcast(&r->commit_cond);
        pthread_mutex_unlock(&r->commit_lock);
        return PKH_OK;
    }
    for (;;) {
        pthread_mutex_lock(&r->prod_lock);
        /* producer errors are reported in piece order, like parse errors */
        pkh_error perr;
        pkh_error_clear(&r->prod_err);
        const int64_t index = r->next_piece;
        const pkh_status st = next_piece(r, &b);
        if (st != PKH_OK) {
            r->done = true; /* no more pieces after a failed read */
            perr = r->prod_err;
        }
        pthread_mutex_unlock(&r->prod_lock);
        if (st != PKH_OK) {
            finish_piece(r, &b, index, st, &perr);
            break;
        }
        if (b.pc.len == 0) {
            break;
        }
        pkh_status pst = attach_piece(r, &b);
        if (pst == PKH_OK) {
            pst = parse_piece(r, &b);
        }
        finish_piece(r, &b, b.pc.index, pst, &b.err);
        if (pst != PKH_OK) {
            break;
        }
    }
    batch_free(r, &b);
    return PKH_OK;
}

/* ---- header and dialect ---- */

typedef struct header_ctx {
    reader *r;
    char **names;
    int n, cap;
    bool records_done;
    pkh_status status;
} header_ctx;

static void header_field(void *data, size_t len, void *opaque)
{
    header_ctx *h = opaque;
    if (h->status != PKH_OK || h->records_done) {
        return;
    }
    if (h->n == h->cap) {
        const int cap = h->cap ? h->cap * 2 : 32;
        char **p = pkh__realloc(h->r->alloc, h->names, (size_t)h->cap * sizeof *p,
                                (size_t)cap * sizeof *p);
        if (p == NULL) {
            h->status = PKH_ENOMEM;
            return;
        }
        h->names = p;
        h->cap = cap;
    }
    const char *s = data != NULL ? data : "";
    if (data == NULL) {
        len = 0;
    }
    h->names[h->n] = pkh__strndup(h->r->alloc, s, len);
    if (h->names[h->n] == NULL) {
        h->status = PKH_ENOMEM;
        return;
    }
    h->n++;
}

static void header_record(int c, void *opaque)
{
    (void)c;
    header_ctx *h = opaque;
    h->records_done = true;
}

/* Count of `d` outside quotes in each of the first lines; score consistency. */
static int delimiter_score(const char *p, size_t n, char d, int *header_count)
{
    int counts[32], lines = 0, cur = 0;
    bool in_quote = false;
    for (size_t i = 0; i < n && lines < 32; i++) {
        if (p[i] == '"') {
            in_quote = !in_quote;
        } else if (!in_quote && p[i] == d) {
            cur++;
        } else if (!in_quote && p[i] == '\n') {
            counts[lines++] = cur;
            cur = 0;
        }
    }
    if (lines == 0) {
        counts[lines++] = cur;
    }
    *header_count = counts[0];
    if (counts[0] == 0) {
        return 0;
    }
    for (int l = 1; l < lines; l++) {
        if (counts[l] != counts[0]) {
            return 1; /* present but inconsistent */
        }
    }
    return 2;
}

static char detect_delimiter(const reader *r, const char *p, size_t n)
{
    static const char candidates[] = {',', ';', '\t', '|'};
    char best = 0;
    int best_score = 0, best_count = 0;
    for (size_t k = 0; k < sizeof candidates; k++) {
        const char d = candidates[k];
        if (d == r->decimal) {
            continue;
        }
        int count;
        const int score = delimiter_score(p, n, d, &count);
        if (score > best_score || (score == best_score && score > 0 && count > best_count)) {
            best = d;
            best_score = score;
            best_count = count;
        }
    }
    if (best == 0) {
        best = r->decimal == ',' ? ';' : ',';
    }
    return best;
}

/* Read until the carry holds the whole header record (or the input ends). */
static pkh_status fill_head(reader *r, size_t *header_end)
{
    size_t want = HEAD_TARGET;
    for (;;) {
        pkh_status st = ensure_buf(r, &r->carry, &r->carry_cap, want);
        if (st != PKH_OK) {
            return st;
        }
        while (r->carry_len < want && !text_eof(r)) {
            const int64_t n = text_read(r, r->carry + r->carry_len, want - r->carry_len);
            if (n < 0) {
                return r->pstatus;
            }
            if (n == 0) {
                break;
            }
            r->carry_len += (size_t)n;
        }
        bool in_quote = false;
        for (size_t i = 0; i < r->carry_len; i++) {
            if (r->carry[i] == '"') {
                in_quote = !in_quote;
            } else if (r->carry[i] == '\n' && !in_quote) {
                *header_end = i + 1;
                return PKH_OK;
            }
        }
        if (text_eof(r)) {
            *header_end = r->carry_len;
            return PKH_OK;
        }
        if ((int64_t)want >= r->max_field) {
            return pfail(r, PKH_EOVERFLOW, 1, 0, "a header longer than %lld bytes",
                         (long long)r->max_field);
        }
        want *= 2;
    }
}

static pkh_status parse_header(reader *r, const char *p, size_t n, header_ctx *h)
{
    struct csv_parser cp;
    if (csv_init(&cp, CSV_STRICT | CSV_STRICT_FINI | CSV_EMPTY_IS_NULL) != 0) {
        return pkh__enomem(r->err);
    }
    csv_set_delim(&cp, (unsigned char)r->delim);
    csv_set_space_func(&cp, r->delim == '\t' ? csv_space : csv_space_tab);
    pkh_status st = PKH_OK;
    if (csv_parse(&cp, p, n, header_field, header_record, h) < n) {
        st = csv_error(&cp) == CSV_ENOMEM
                 ? pkh__enomem(r->err)
                 : fail(r, PKH_EPARSE, r->opts->first_line, 0, "malformed quoted header name");
    } else if (csv_fini(&cp, header_field, header_record, h) != 0) {
        st = csv_error(&cp) == CSV_ENOMEM ? pkh__enomem(r->err)
                                          : fail(r, PKH_EPARSE, r->opts->first_line, 0,
                                                 "unterminated quoted field in the header");
    }
    csv_free(&cp);
    if (st == PKH_OK && h->status != PKH_OK) {
        st = pkh__enomem(r->err);
    }
    return st;
}

static pkh_status check_names(reader *r, header_ctx *h)
{
    const int64_t line = r->opts->first_line;
    for (int i = 0; i < h->n; i++) {
        if (h->names[i][0] == '\0') {
            return fail(r, PKH_EPARSE, line, i + 1, "column %d has an empty name in the header",
                        i + 1);
        }
    }
    for (int i = 0; i < h->n; i++) {
        const bool selected = r->opts->columns == NULL || r->field_to_col[i] >= 0;
        for (int j = 0; j < i && selected; j++) {
            if (strcmp(h->names[i], h->names[j]) == 0) {
                return fail(r, PKH_EDUPLICATE, line, i + 1,
                            "duplicate column name \"%s\" in the header (also column %d)",
                            h->names[i], j + 1);
            }
        }
    }
    return PKH_OK;
}

static int find_name(const header_ctx *h, const char *name)
{
    for (int i = 0; i < h->n; i++) {
        if (strcmp(h->names[i], name) == 0) {
            return i;
        }
    }
    return -1;
}

static pkh_status missing_column(reader *r, const header_ctx *h, const char *name)
{
    char list[200];
    size_t o = 0;
    list[0] = '\0';
    for (int i = 0; i < h->n && o + 4 < sizeof list; i++) {
        const int k = snprintf(list + o, sizeof list - o, "%s%s", i ? ", " : "", h->names[i]);
        if (k < 0 || (size_t)k >= sizeof list - o) {
            memcpy(list + sizeof list - 4, "...", 4);
            break;
        }
        o += (size_t)k;
    }
    return fail(r, PKH_ENOTFOUND, 0, 0, "no column \"%s\" in the header (the columns are: %s)",
                name, list);
}

static pkh_status select_columns(reader *r, header_ctx *h)
{
    const pkh_csv_options *o = r->opts;
    r->nfile = h->n;
    r->file_names = h->names;
    r->field_to_col = pkh__alloc(r->alloc, (size_t)h->n * sizeof *r->field_to_col);
    if (r->field_to_col == NULL) {
        return pkh__enomem(r->err);
    }
    for (int i = 0; i < h->n; i++) {
        r->field_to_col[i] = o->columns == NULL ? i : -1;
    }
    r->ncols = o->columns == NULL ? h->n : (int)o->n_columns;
    for (size_t k = 0; o->columns != NULL && k < o->n_columns; k++) {
        const int f = find_name(h, o->columns[k]);
        if (f < 0) {
            return missing_column(r, h, o->columns[k]);
        }
        if (r->field_to_col[f] >= 0) {
            return fail(r, PKH_EDUPLICATE, 0, 0, "column \"%s\" is asked for twice", o->columns[k]);
        }
        r->field_to_col[f] = (int)k;
    }
    pkh_status st = check_names(r, h);
    if (st != PKH_OK) {
        return st;
    }
    r->cols = pkh__calloc(r->alloc, (size_t)(r->ncols > 0 ? r->ncols : 1), sizeof *r->cols);
    if (r->cols == NULL) {
        return pkh__enomem(r->err);
    }
    for (int f = 0; f < h->n; f++) {
        if (r->field_to_col[f] >= 0) {
            gcol *g = &r->cols[r->field_to_col[f]];
            g->field = f;
            g->name = h->names[f];
            g->parts_ok = o->summaries != 0;
            g->side.whole = pkh__allocator_lazy(r->alloc);
            atomic_init(&g->side_full, false);
        }
    }
    for (size_t k = 0; k < o->n_types; k++) {
        const int f = find_name(h, o->types[k].column);
        if (f < 0) {
            return missing_column(r, h, o->types[k].column);
        }
        if (r->field_to_col[f] < 0) {
            continue;
        }
        static const int kinds[] = {0, K_INT, K_FLOAT, K_BOOL, K_STR};
        const pkh_type t = o->types[k].type;
        if (t < PKH_TYPE_INT64 || t > PKH_TYPE_DICT) {
            return fail(r, PKH_EINVAL, 0, 0, "invalid type for column \"%s\"", o->types[k].column);
        }
        gcol *g = &r->cols[r->field_to_col[f]];
        g->forced = kinds[t];
        g->kind = kinds[t];
    }
    return PKH_OK;
}

static pkh_status read_header(reader *r, header_ctx *h)
{
    size_t end = 0;
    pkh_status st = fill_head(r, &end);
    if (st != PKH_OK) {
        return st;
    }
    size_t start = 0;
    if (r->carry_len >= 3 && memcmp(r->carry, "\xEF\xBB\xBF", 3) == 0) {
        start = 3; /* UTF-8 byte-order mark */
    }
    bool blank = true;
    for (size_t i = start; i < end && blank; i++) {
        blank = r->carry[i] == '\n' || r->carry[i] == '\r' || r->carry[i] == ' ';
    }
    if (blank) {
        return fail(r, PKH_EEMPTY, 0, 0,
                    "empty file (no header row): a CSV file needs a header "
                    "line naming its columns");
    }
    if (r->delim == 0) {
        r->delim = detect_delimiter(r, r->carry + start, r->carry_len - start);
    }
    st = parse_header(r, r->carry + start, end - start, h);
    if (st == PKH_OK) {
        st = select_columns(r, h);
    }
    if (st != PKH_OK) {
        return st;
    }
    memmove(r->carry, r->carry + end, r->carry_len - end);
    r->carry_len -= end;
    r->handed_bytes = (int64_t)end;
    r->next_line = r->opts->first_line + 1;
    if (r->carry_len == 0 && text_eof(r)) {
        r->done = true;
    }
    return PKH_OK;
}

/* ---- the table ---- */

static pkh_status finish_column(reader *r, gcol *g, pkh_column *col)
{
    const int64_t n = r->rows;
    memset(col, 0, sizeof *col);
    col->name = pkh__strdup(r->alloc, g->name);
    if (col->name == NULL) {
        return PKH_ENOMEM;
    }
    col->length = n;
    col->null_count = g->nulls;
    if (g->kind == K_BOOL) {
        col->type = PKH_TYPE_BOOL;
        col->values_bytes = pkh__bitmap_bytes(n);
        col->values = pkh__calloc(r->alloc, 1, col->values_bytes);
        if (col->values == NULL) {
            return PKH_ENOMEM;
        }
        const uint64_t *s = g->data;
        for (int64_t i = 0; i < n; i++) {
            if (s[i]) {
                pkh__bit_set(col->values, i);
            }
        }
    } else {
        col->type = g->kind == K_INT   ? PKH_TYPE_INT64
                    : g->kind == K_STR ? PKH_TYPE_DICT
                                       : PKH_TYPE_FLOAT64; /* all-missing columns: float64 */
        const size_t w = g->kind == K_STR ? 4 : 8;
        const size_t want = n > 0 ? (size_t)n * w : 1;
        void *p = g->data != NULL ? pkh__realloc(r->alloc, g->data, g->data_bytes, want)
                                  : pkh__calloc(r->alloc, 1, want);
        if (p == NULL) {
            return PKH_ENOMEM;
        }
        col->values = p;
        col->values_bytes = want;
        g->data = NULL;
        g->data_bytes = 0;
        if (g->kind == K_STR || g->dict_ready) {
            if (ensure_dict(r, &g->dict, &g->dict_ready) != PKH_OK) {
                return PKH_ENOMEM;
            }
            pkh__dict_move_to_column(&g->dict, col);
            g->dict_ready = false;
            col->type = g->kind == K_STR ? PKH_TYPE_DICT : col->type;
        }
    }
    if (g->nulls > 0) {
        col->validity = g->validity;
        col->validity_bytes = g->validity_bytes;
        g->validity = NULL;
        /* clear the padding bits past the end */
        for (int64_t i = n; i < (int64_t)((n + 7) / 8) * 8; i++) {
            pkh__bit_clear(col->validity, i);
        }
    }
    if (g->parts_ok && (g->kind == K_INT || g->kind == K_FLOAT) && g->parts != NULL) {
        /* the chunks that straddled batches, then the ordered merge */
        const int64_t chunks = (n + PKH__SUMMARY_CHUNK - 1) / PKH__SUMMARY_CHUNK;
        for (int64_t k = 0; k < chunks; k++) {
            if (!g->parts[k].done) {
                const int64_t to = (k + 1) * PKH__SUMMARY_CHUNK;
                pkh__summary_chunk(g->kind == K_FLOAT, col->values, col->validity,
                                   k * PKH__SUMMARY_CHUNK, to < n ? to : n, &g->parts[k]);
            }
        }
        pkh__summary_merge(g->kind == K_FLOAT, n, g->parts, &col->summary);
        col->has_summary = true;
    } else if (r->opts->summaries && col->type == PKH_TYPE_DICT) {
        /* every dictionary entry came from a present value */
        const pkh_column_summary s = {n - g->nulls, g->nulls, NAN, NAN, NAN, NAN, col->dict_size};
        col->summary = s;
        col->has_summary = true;
    }
    return PKH_OK;
}

typedef struct finish_job {
    reader *r;
    pkh_column *cols;
} finish_job;

static pkh_status finish_task(void *ctx, int64_t c)
{
    const finish_job *j = ctx;
    return finish_column(j->r, &j->r->cols[c], &j->cols[c]);
}

static pkh_status make_table(reader *r, pkh_table **out)
{
    pkh_column *cols = pkh__calloc(r->alloc, (size_t)(r->ncols > 0 ? r->ncols : 1), sizeof *cols);
    if (cols == NULL) {
        return pkh__enomem(r->err);
    }
    /* the columns are independent: finished on every thread (the summary parts of the chunks
     * that straddled pieces are the bulk of it) */
    finish_job j = {r, cols};
    if (pkh__parallel_for(pkh__threads(r->opts->threads), r->ncols, finish_task, &j) != PKH_OK) {
        for (int k = 0; k < r->ncols; k++) {
            pkh__column_release(r->alloc, &cols[k]);
        }
        pkh__free(r->alloc, cols, (size_t)(r->ncols > 0 ? r->ncols : 1) * sizeof *cols);
        return pkh__enomem(r->err);
    }
    const pkh_status st = pkh__table_take(r->alloc, cols, r->ncols, r->rows, out, r->err);
    pkh__free(r->alloc, cols, (size_t)(r->ncols > 0 ? r->ncols : 1) * sizeof *cols);
    return st;
}

/* ---- setup and teardown ---- */

static const char *const default_na[] = {"NA", "N/A", ".", "NaN"};

static pkh_status check_options(reader *r)
{
    const pkh_csv_options *o = r->opts;
    if (o->decimal != '.' && o->decimal != ',') {
        return fail(r, PKH_EINVAL, 0, 0, "the decimal mark must be '.' or ','");
    }
    if (o->delimiter != 0 && (o->delimiter == '"' || o->delimiter == '\n' || o->delimiter == '\r' ||
                              o->delimiter == o->decimal)) {
        return fail(r, PKH_EINVAL, 0, 0, "invalid delimiter '%c'%s", o->delimiter,
                    o->delimiter == o->decimal ? " (it is also the decimal mark)" : "");
    }
    r->na = o->na_values != NULL ? o->na_values : default_na;
    r->n_na = o->na_values != NULL ? o->n_na_values : sizeof default_na / sizeof default_na[0];
    for (size_t i = 0; i < r->n_na; i++) {
        if (r->na[i][0] != '\0') {
            r->na_first[(unsigned char)r->na[i][0]] = true;
        }
    }
    return PKH_OK;
}

static void reader_free(reader *r, header_ctx *h)
{
    for (int i = 0; i < h->n; i++) {
        pkh__free_str(r->alloc, h->names[i]);
    }
    pkh__free(r->alloc, h->names, (size_t)h->cap * sizeof *h->names);
    for (int c = 0; c < r->ncols && r->cols != NULL; c++) {
        gcol *g = &r->cols[c];
        pkh__free(r->alloc, g->data, g->data_bytes);
        pkh__free(r->alloc, g->validity, g->validity_bytes);
        if (g->dict_ready) {
            pkh__dict_free(&g->dict);
        }
        side_free(r->alloc, &g->side);
        pkh__free(r->alloc, g->parts, (size_t)g->parts_cap * sizeof *g->parts);
    }
    pkh__free(r->alloc, r->cols, (size_t)(r->ncols > 0 ? r->ncols : 1) * sizeof *r->cols);
    pkh__free(r->alloc, r->field_to_col, (size_t)(r->nfile > 0 ? r->nfile : 1) * sizeof(int));
    pkh__free(r->alloc, r->carry, r->carry_cap);
    if (r->gz_ready) {
        inflateEnd(&r->z);
    }
    pkh__free(r->alloc, r->gz_in, GZ_IN);
    if (r->loc != (locale_t)0) {
        freelocale(r->loc);
    }
}

/* Look at the first bytes: gzip magic means decompress. */
static pkh_status detect_gzip(reader *r)
{
    r->gz_in = pkh__alloc(r->alloc, GZ_IN);
    if (r->gz_in == NULL) {
        return pkh__enomem(r->err);
    }
    size_t have = 0;
    while (have < 2) {
        const int64_t n = source_read(r, r->gz_in + have, GZ_IN - have);
        if (n < 0) {
            return r->pstatus;
        }
        if (n == 0) {
            break;
        }
        have += (size_t)n;
    }
    if (have >= 2 && r->gz_in[0] == 0x1f && r->gz_in[1] == 0x8b) {
        r->gz = true;
        r->z.zalloc = gz_alloc;
        r->z.zfree = gz_free;
        r->z.opaque = (void *)(uintptr_t)r->alloc;
        if (inflateInit2(&r->z, 15 + 16) != Z_OK) {
            return pkh__enomem(r->err);
        }
        r->gz_ready = true;
        r->z.next_in = r->gz_in;
        r->z.avail_in = (uInt)have;
        return PKH_OK;
    }
    /* plain text: the bytes already read start the carry */
    pkh_status st = ensure_buf(r, &r->carry, &r->carry_cap, HEAD_TARGET);
    if (st != PKH_OK) {
        return st;
    }
    memcpy(r->carry, r->gz_in, have);
    r->carry_len = have;
    r->csv_bytes += (int64_t)have;
    if (have == 0) {
        r->text_done = true;
    }
    return PKH_OK;
}

static pkh_status run(reader *r, header_ctx *h, pkh_table **out)
{
    pkh_status st = check_options(r);
    if (st == PKH_OK) {
        r->loc = pkh__c_locale();
        st = r->loc == (locale_t)0 ? pkh__enomem(r->err) : PKH_OK;
    }
    if (st == PKH_OK) {
        st = detect_gzip(r);
    }
    if (st == PKH_OK) {
        st = read_header(r, h);
    }
    if (st != PKH_OK) {
        return st;
    }
    r->perr = &r->prod_err;
    pthread_mutex_init(&r->prod_lock, NULL);
    pthread_mutex_init(&r->commit_lock, NULL);
    pthread_cond_init(&r->commit_cond, NULL);
    const int threads = pkh__threads(r->opts->threads);
    pkh__parallel_for(threads, threads, worker, r);
    pthread_cond_destroy(&r->commit_cond);
    pthread_mutex_destroy(&r->commit_lock);
    pthread_mutex_destroy(&r->prod_lock);
    if (r->status != PKH_OK) {
        return r->status;
    }
    return make_table(r, out);
}

pkh_status pkh_csv_read_source(const pkh_source *source, const pkh_csv_options *opts,
                               pkh_table **out, pkh_csv_info *info, pkh_error *err)
{
    static const pkh_csv_options defaults = PKH_CSV_OPTIONS_INIT;
    pkh_csv_options o = opts != NULL ? *opts : defaults;
    if (o.first_line <= 0) {
        o.first_line = 1;
    }
    if (o.first_byte < 0) {
        o.first_byte = 0;
    }
    reader r;
    memset(&r, 0, sizeof r);
    atomic_init(&r.stop, false);
    r.alloc = pkh__allocator(o.allocator);
    r.opts = &o;
    r.err = err;
    r.perr = err;
    r.src = source;
    r.name = source->name != NULL ? source->name : "<input>";
    r.delim = o.delimiter;
    r.decimal = o.decimal;
    r.max_field = o.max_field_bytes > 0 ? o.max_field_bytes : DEFAULT_MAX_FIELD;
    header_ctx h;
    memset(&h, 0, sizeof h);
    h.r = &r;
    pkh_error_clear(err);
    pkh_table *t = NULL;
    const pkh_status st = run(&r, &h, &t);
    if (st == PKH_OK) {
        *out = t;
        if (info != NULL) {
            info->delimiter = r.delim;
            info->gzip = r.gz;
            info->rows = r.rows;
            info->lines = r.next_line - o.first_line;
            info->bytes = r.csv_bytes + o.first_byte;
            info->blank_lines = r.blank_lines;
        }
    }
    reader_free(&r, &h);
    return st;
}

pkh_status pkh_csv_read_memory(const void *data, size_t size, const char *name,
                               const pkh_csv_options *opts, pkh_table **out, pkh_csv_info *info,
                               pkh_error *err)
{
    pkh__memory_source ms;
    pkh__memory_source_init(&ms, data, size, name);
    return pkh_csv_read_source(&ms.base, opts, out, info, err);
}

pkh_status pkh_csv_read_path(const char *path, const pkh_csv_options *opts, pkh_table **out,
                             pkh_csv_info *info, pkh_error *err)
{
    pkh__file_source fs;
    const pkh_status st = pkh__file_source_open(&fs, path, err);
    if (st != PKH_OK) {
        return st;
    }
    const pkh_status rc = pkh_csv_read_source(&fs.base, opts, out, info, err);
    pkh__file_source_close(&fs);
    return rc;
}
