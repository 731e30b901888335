/*
 * SPDX-License-Identifier: GPL-3.0-or-later
 * Byte sources (file, standard input, memory) and output files written atomically.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "internal/io.h"

static void set_name(char *dst, const char *src)
{
    const size_t n = strlen(src);
    const size_t k = n < PKH_ERROR_SOURCE_SIZE - 1 ? n : PKH_ERROR_SOURCE_SIZE - 1;
    memcpy(dst, src, k);
    dst[k] = '\0';
}

static const char *errno_text(int e, char *buf, size_t cap)
{
    /* GNU strerror_r returns the text (possibly a static string), thread-safe either way */
    return strerror_r(e, buf, cap);
}

static int64_t file_read(void *ctx, void *buffer, size_t capacity, pkh_error *err)
{
    pkh__file_source *fs = ctx;
    for (;;) {
        const ssize_t n = read(fs->fd, buffer, capacity);
        if (n >= 0) {
            return (int64_t)n;
        }
        if (errno != EINTR) {
            char buf[128];
            pkh__error(err, PKH_EIO, fs->name, 0, 0, "cannot read: %s",
                       errno_text(errno, buf, sizeof buf));
            return -1;
        }
    }
}

pkh_status pkh__file_source_open(pkh__file_source *fs, const char *path, pkh_error *err)
{
    memset(fs, 0, sizeof *fs);
    fs->fd = -1;
    if (strcmp(path, "-") == 0) {
        fs->fd = STDIN_FILENO;
        set_name(fs->name, "<stdin>");
    } else {
        set_name(fs->name, path);
        fs->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fs->fd < 0) {
            char buf[128];
            const int e = errno;
            return pkh__error(err, e == ENOENT ? PKH_ENOTFOUND : PKH_EIO, fs->name, 0, 0,
                              "cannot open: %s%s", errno_text(e, buf, sizeof buf),
                              e == ENOENT ? " (check the path)" : "");
        }
        fs->owns_fd = 1;
    }
    struct stat st;
    fs->base.size = -1;
    if (fstat(fs->fd, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            pkh__file_source_close(fs);
            return pkh__error(err, PKH_EIO, path, 0, 0, "is a directory, not a file");
        }
        if (S_ISREG(st.st_mode)) {
            fs->base.size = (int64_t)st.st_size;
#ifdef POSIX_FADV_SEQUENTIAL
            posix_fadvise(fs->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
        }
    }
    fs->base.read = file_read;
    fs->base.ctx = fs;
    fs->base.name = fs->name;
    return PKH_OK;
}

void pkh__file_source_close(pkh__file_source *fs)
{
    if (fs->owns_fd && fs->fd >= 0) {
        close(fs->fd);
    }
    fs->fd = -1;
    fs->owns_fd = 0;
}

static int64_t memory_read(void *ctx, void *buffer, size_t capacity, pkh_error *err)
{
    (void)err;
    pkh__memory_source *ms = ctx;
    const size_t left = ms->size - ms->pos;
    const size_t n = left < capacity ? left : capacity;
    if (n > 0) {
        memcpy(buffer, ms->data + ms->pos, n);
    }
    ms->pos += n;
    return (int64_t)n;
}

void pkh__memory_source_init(pkh__memory_source *ms, const void *data, size_t size,
                             const char *name)
{
    ms->data = data;
    ms->size = size;
    ms->pos = 0;
    ms->base.read = memory_read;
    ms->base.ctx = ms;
    ms->base.name = name != NULL ? name : "<memory>";
    ms->base.size = (int64_t)size;
}

/* ---- output files ---- */

struct pkh__outfile {
    const pkh_allocator *alloc;
    int fd;
    int to_stdout;
    int gzip;
    z_stream z;
    int z_ready;
    char *path;
    char *tmp;
    unsigned char *buf; /* staging for plain output, deflate output for gzip */
    size_t len, cap;
};

int pkh__path_is_gz(const char *path)
{
    const size_t n = strlen(path);
    return n >= 3 && strcmp(path + n - 3, ".gz") == 0;
}

static void outfile_free(pkh__outfile *f)
{
    if (f->z_ready) {
        deflateEnd(&f->z);
    }
    pkh__free_str(f->alloc, f->path);
    pkh__free_str(f->alloc, f->tmp);
    pkh__free(f->alloc, f->buf, f->cap);
    pkh__free(f->alloc, f, sizeof *f);
}

void pkh__outfile_abort(pkh__outfile *f)
{
    if (f == NULL) {
        return;
    }
    if (!f->to_stdout && f->fd >= 0) {
        close(f->fd);
        unlink(f->tmp);
    }
    outfile_free(f);
}

static pkh_status open_tmp(pkh__outfile *f, pkh_error *err)
{
    const size_t n = strlen(f->path);
    f->tmp = pkh__alloc(f->alloc, n + 16);
    if (f->tmp == NULL) {
        return pkh__enomem(err);
    }
    memcpy(f->tmp, f->path, n);
    memcpy(f->tmp + n, ".tmp-XXXXXX", 12);
    f->fd = mkostemp(f->tmp, O_CLOEXEC);
    if (f->fd < 0) {
        char buf[128];
        const int e = errno;
        return pkh__error(err, PKH_EIO, f->path, 0, 0, "cannot write: %s",
                          errno_text(e, buf, sizeof buf));
    }
    return PKH_OK;
}

pkh_status pkh__outfile_open(const char *path, int gzip, int level, const pkh_allocator *a,
                             pkh__outfile **out, pkh_error *err)
{
    a = pkh__allocator(a);
    pkh__outfile *f = pkh__calloc(a, 1, sizeof *f);
    if (f == NULL) {
        return pkh__enomem(err);
    }
    f->alloc = a;
    f->fd = -1;
    f->gzip = gzip;
    f->cap = (size_t)1 << 20;
    f->buf = pkh__alloc(a, f->cap);
    f->path = pkh__strdup(a, path);
    if (f->buf == NULL || f->path == NULL) {
        outfile_free(f);
        return pkh__enomem(err);
    }
    pkh_status st = PKH_OK;
    if (strcmp(path, "-") == 0) {
        f->to_stdout = 1;
        f->fd = STDOUT_FILENO;
    } else {
        st = open_tmp(f, err);
    }
    if (st == PKH_OK && gzip) {
        if (deflateInit2(&f->z, level >= 1 && level <= 9 ? level : 6, Z_DEFLATED, 15 + 16, 8,
                         Z_DEFAULT_STRATEGY) != Z_OK) {
            st = pkh__enomem(err);
        } else {
            f->z_ready = 1;
        }
    }
    if (st != PKH_OK) {
        pkh__outfile_abort(f);
        return st;
    }
    *out = f;
    return PKH_OK;
}

static pkh_status write_all(pkh__outfile *f, const unsigned char *p, size_t n, pkh_error *err)
{
    while (n > 0) {
        const ssize_t k = write(f->fd, p, n);
        if (k < 0) {
            if (errno == EINTR) {
                continue;
            }
            char buf[128];
            const int e = errno;
            return pkh__error(err, PKH_EIO, f->path, 0, 0, "cannot write: %s",
                              errno_text(e, buf, sizeof buf));
        }
        p += k;
        n -= (size_t)k;
    }
    return PKH_OK;
}

static pkh_status deflate_some(pkh__outfile *f, const void *data, size_t len, int flush,
                               pkh_error *err)
{
    f->z.next_in = (Bytef *)(uintptr_t)data;
    f->z.avail_in = (uInt)len;
    do {
        f->z.next_out = f->buf;
        f->z.avail_out = (uInt)f->cap;
        const int rc = deflate(&f->z, flush);
        if (rc == Z_STREAM_ERROR) {
            return pkh__error(err, PKH_EIO, f->path, 0, 0, "gzip compression failed");
        }
        const pkh_status st = write_all(f, f->buf, f->cap - f->z.avail_out, err);
        if (st != PKH_OK) {
            return st;
        }
    } while (f->z.avail_out == 0 || f->z.avail_in > 0);
    return PKH_OK;
}

pkh_status pkh__outfile_write(pkh__outfile *f, const void *data, size_t len, pkh_error *err)
{
    if (f->gzip) {
        const unsigned char *p = data;
        while (len > 0) {
            const size_t k = len > ((size_t)1 << 30) ? ((size_t)1 << 30) : len;
            const pkh_status st = deflate_some(f, p, k, Z_NO_FLUSH, err);
            if (st != PKH_OK) {
                return st;
            }
            p += k;
            len -= k;
        }
        return PKH_OK;
    }
    if (f->len + len > f->cap) {
        const pkh_status st = write_all(f, f->buf, f->len, err);
        f->len = 0;
        if (st != PKH_OK) {
            return st;
        }
        if (len > f->cap) {
            return write_all(f, data, len, err);
        }
    }
    memcpy(f->buf + f->len, data, len);
    f->len += len;
    return PKH_OK;
}

/* mkostemp makes 0600 files; the result should get the usual 0666 & ~umask. umask() cannot be
 * read without changing it (process-global, racy), so read it from /proc. */
static mode_t current_umask(void)
{
    mode_t mask = 022;
    FILE *fp = fopen("/proc/self/status", "re");
    if (fp == NULL) {
        return mask;
    }
    char line[256];
    while (fgets(line, sizeof line, fp) != NULL) {
        if (strncmp(line, "Umask:", 6) == 0) {
            mask = (mode_t)strtoul(line + 6, NULL, 8);
            break;
        }
    }
    fclose(fp);
    return mask;
}

pkh_status pkh__outfile_commit(pkh__outfile *f, pkh_error *err)
{
    pkh_status st =
        f->gzip ? deflate_some(f, NULL, 0, Z_FINISH, err) : write_all(f, f->buf, f->len, err);
    f->len = 0;
    if (f->to_stdout) {
        outfile_free(f);
        return st;
    }
    if (st == PKH_OK) {
        fchmod(f->fd, 0666 & ~current_umask());
    }
    if (close(f->fd) != 0 && st == PKH_OK) {
        st = pkh__error(err, PKH_EIO, f->path, 0, 0, "cannot close");
    }
    f->fd = -1;
    if (st == PKH_OK) {
        if (rename(f->tmp, f->path) != 0) {
            char buf[128];
            const int e = errno;
            st = pkh__error(err, PKH_EIO, f->path, 0, 0, "cannot rename the temporary file: %s",
                            errno_text(e, buf, sizeof buf));
        }
    }
    if (st != PKH_OK) {
        unlink(f->tmp);
    }
    outfile_free(f);
    return st;
}
