/*
 * pkh — poverty, inequality and cash-transfer analysis.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Core: status codes, the error record, allocator hooks.
 */
#ifndef PKH_CORE_H
#define PKH_CORE_H

#include <stddef.h>
#include <stdint.h>

#include <pkh/pkh_export.h>
#include <pkh/pkh_version.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Result of every fallible call. Values are ABI: they never change and are never reused.
 */
typedef enum pkh_status {
    PKH_OK = 0,           /**< success */
    PKH_EINVAL = 1,       /**< an argument or option value is invalid */
    PKH_ENOMEM = 2,       /**< an allocation failed */
    PKH_EIO = 3,          /**< a file could not be opened, read or written */
    PKH_EPARSE = 4,       /**< malformed input (CSV syntax, gzip stream, expression, JSON) */
    PKH_ENOTFOUND = 5,    /**< a named column, file, group or key does not exist */
    PKH_ETYPE = 6,        /**< a value or column has the wrong type */
    PKH_EDUPLICATE = 7,   /**< a name that must be unique is repeated */
    PKH_EEMPTY = 8,       /**< no data where some is needed (empty file, empty group) */
    PKH_EOVERFLOW = 9,    /**< a count or size exceeds what the format can hold */
    PKH_ENUMERIC = 10,    /**< a numerical procedure failed (singular matrix, no convergence) */
    PKH_ECANCELED = 11,   /**< stopped by a caller's callback */
    PKH_EUNSUPPORTED = 12 /**< a valid request this build or format cannot serve */
} pkh_status;

/** Short fixed text for a status, e.g. "out of memory". Never NULL; static storage. */
PKH_API const char *pkh_status_string(pkh_status status);

/** Capacity of pkh_error.message, bytes including the terminating NUL. */
#define PKH_ERROR_MESSAGE_SIZE 512
/** Capacity of pkh_error.source, bytes including the terminating NUL. */
#define PKH_ERROR_SOURCE_SIZE 256

/**
 * A caller-owned error record, filled by a failing call when the caller passes one.
 *
 * `message` is complete and human-readable, already prefixed with the location when one is
 * known ("survey.csv:12:3: ..."). The other fields let programs act on the location.
 */
typedef struct pkh_error {
    pkh_status code;                      /**< same as the call's return value */
    int64_t line;                         /**< 1-based line in `source`, 0 when unknown */
    int64_t column;                       /**< 1-based field (column) number, 0 when unknown */
    char source[PKH_ERROR_SOURCE_SIZE];   /**< file name, "<stdin>", "<memory>", or "" */
    char message[PKH_ERROR_MESSAGE_SIZE]; /**< NUL-terminated; truncated if longer */
} pkh_error;

/** Reset an error record to PKH_OK with empty texts. `err` may be NULL. */
PKH_API void pkh_error_clear(pkh_error *err);

/**
 * Allocator hooks, settable per object. All three functions receive `ctx`.
 *
 * `allocate` returns `size` bytes aligned to `alignment` (a power of two, at most 4096) or NULL.
 * `reallocate` resizes a block from `allocate`, keeping its alignment and contents; it may
 * return NULL, leaving the old block valid. `deallocate` gets the size of the block; `ptr` may be
 * NULL. Sizes are never 0. The library may ask for very large blocks (column buffers).
 */
typedef struct pkh_allocator {
    void *(*allocate)(void *ctx, size_t size, size_t alignment);
    void *(*reallocate)(void *ctx, void *ptr, size_t old_size, size_t new_size, size_t alignment);
    void (*deallocate)(void *ctx, void *ptr, size_t size);
    void *ctx;
} pkh_allocator;

/**
 * The default allocator: malloc-backed for small blocks, and for large column buffers
 * anonymous memory mapped and pre-faulted in one step (much faster than first touch page by
 * page). Stateless; static storage.
 */
PKH_API const pkh_allocator *pkh_allocator_default(void);

/** Library version as "MAJOR.MINOR.PATCH"; static storage. */
PKH_API const char *pkh_version_string(void);

#ifdef __cplusplus
}
#endif
#endif /* PKH_CORE_H */
